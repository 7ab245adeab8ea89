"""stockopt against the independent implementation on workbooks with access shares
(FORMULATION-v2 section 5): the random workbooks of test_independent.py (swaps from joint
stockpiles, cross-mineral returns, lags, tight caps, budgets) and the policy levers of
test_independent_levers.py, with the Stockpiles column ``access`` set to shares on some
stockpiles (now and then in mixed case, on a single-member stockpile too, where it must
change nothing). The independent rows are written from the spec formula
(``independent_lp.build``), not from stockopt's model code."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_independent import check_against_independent, random_sheets, rescale, scramble
from test_independent_levers import add_random_levers
from workbooks import write_workbook

N_RANDOM_ACCESS = 24


def with_access(sheets: dict[str, list[list]], seed: int) -> dict[str, list[list]]:
    """``sheets`` with an access column on Stockpiles: each stockpile shares with
    probability 0.7 (written 'shares', 'Shares' or ' SHARES '), else free or blank; at
    least one joint stockpile shares when there is one. A separate random stream."""
    rng = random.Random(7_919 * seed + 5)
    header, *rows = sheets["Stockpiles"]
    names = list(dict.fromkeys(r[0] for r in rows))
    members = {k: sum(1 for r in rows if r[0] == k) for k in names}
    shared = {k for k in names if rng.random() < 0.7}
    joint = [k for k in names if members[k] > 1]
    if joint and not shared & set(joint):
        shared.add(rng.choice(joint))
    word = {k: rng.choice(["shares", "Shares", " SHARES "]) if k in shared
            else rng.choice([None, "free", "Free"]) for k in names}
    out = dict(sheets)
    out["Stockpiles"] = [[*header, "access"]] + [[*r, word[r[0]]] for r in rows]
    return out


@pytest.mark.parametrize("seed", range(N_RANDOM_ACCESS))
def test_random_workbook_with_access_shares_agrees(seed: int, tmp_path: Path) -> None:
    sheets = random_sheets(seed)
    if seed % 4 == 1:
        sheets = add_random_levers(sheets, seed)
    sheets = with_access(sheets, seed)
    if seed % 4 == 3:
        sheets = rescale(sheets, 1e3, 1e3)
    if seed % 3 == 2:
        sheets = scramble(sheets, seed)
    path = write_workbook(tmp_path / f"access{seed}.xlsx", sheets)
    check_against_independent(path, sheets)
