"""stockopt solve (through the CLI) against an independent implementation of the contract.

``independent_lp`` was written from FORMULATION.md and WORKBOOK.md only (the policy
levers, which the contract names without defining, from the sheets' user guide and the
readings in models/formulation.md; see test_independent_levers.py). Each case
writes a workbook, runs ``stockopt solve --summary-json`` through click's CliRunner,
reads the same workbook independently, solves the extensive form itself and compares
what the contract says is unique: R* (1e-6 + 1e-5·|R*|), Cost (1e-4 relative) and the
budget shadow prices (each must lie in the exact range of valid phase-1 duals). Expected
loss and CVaR are not unique in phase 2; only their risk combination is bounded.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from independent_lp import (
    budget_dual_interval,
    compare_data,
    data_from_sheets,
    read_sheets,
    sheets_from_lists,
    solve_independent,
)
from workbooks import without_unnamed_sources, write_workbook

from stockopt.commands.cli import main
from stockopt.workbook.normalize import load

ROOT = Path(__file__).resolve().parent.parent
N_RANDOM = 24


def run_cli(workbook: Path, *extra: str, allow_fail: bool = False) -> dict:
    out = workbook.with_name(workbook.stem + "-out.xlsx")
    summary = workbook.with_name(workbook.stem + "-summary.json")
    result = CliRunner().invoke(main, ["solve", str(workbook), "-o", str(out),
                                       "--summary-json", str(summary), "--quiet", *extra])
    if allow_fail and result.exit_code != 0:
        return {"exit_code": result.exit_code, "output": result.output,
                "wrote_workbook": out.exists()}
    assert result.exit_code == 0, result.output
    return json.loads(summary.read_text())


def check_against_independent(workbook: Path, sheets: dict | None = None,
                              cli_args: tuple[str, ...] = ()) -> dict:
    """Solve ``workbook`` both ways and assert agreement; returns stockopt's summary with
    the observed differences under "diffs". When the independent model is infeasible
    (cover floors or concentration caps that cannot be met), stockopt must fail too: exit
    1, no output workbook; the summary then holds "exit_code" and "output"."""
    raw = read_sheets(workbook) if sheets is None else sheets_from_lists(sheets)
    mine = data_from_sheets(raw)
    theirs = load(workbook).data
    assert theirs is not None
    assert compare_data(mine, theirs) == []
    ref = solve_independent(mine)

    summary = run_cli(workbook, *cli_args, allow_fail=True)
    if "exit_code" in summary:
        assert ref.infeasible, (summary, ref.status)
        assert summary["exit_code"] == 1, summary
        assert not summary["wrote_workbook"]
        return summary
    assert not ref.infeasible, ("stockopt solved a plan the independent model calls "
                                f"infeasible: {ref.status}", summary)
    assert summary["status"] == "optimal"
    assert ref.status == "optimal"
    r_star = ref.risk
    d_risk = abs(summary["risk"] - r_star)
    assert d_risk <= 1e-6 + 1e-5 * abs(r_star), (summary["risk"], r_star)
    d_cost = abs(summary["cost"] - ref.cost)
    scale = max(abs(ref.cost), abs(summary["cost"]))
    assert d_cost <= max(1e-4 * scale, 1e-6), (summary["cost"], ref.cost)

    # Phase 2 keeps R within the contract's relaxation of R*.
    lam = mine.risk_weight
    combo = (1 - lam) * summary["expected_loss"] + lam * summary["cvar"]
    tol = 1e-6 + 1e-5 * abs(r_star)
    assert r_star - tol <= combo <= r_star + 1e-7 * max(1.0, abs(r_star)) + tol, (combo, r_star)
    assert summary["cvar"] >= summary["expected_loss"] - tol

    # Spending respects the budgets and adds up to at most the cost.
    for p, f in summary["spend"].items():
        b = mine.budget[p]
        assert f >= -1e-6
        if b is not None:
            assert f <= b + 1e-6 * max(1.0, b)
    total = sum(summary["spend"].values())
    assert total <= summary["cost"] + 1e-6 * max(1.0, summary["cost"])
    if mine.pooled_budget is not None:
        assert total <= mine.pooled_budget + 1e-6 * max(1.0, mine.pooled_budget)

    # Budget duals: each in [left, right] derivative of R*(B).
    def dual_ok(reported: float, party: str | None, b: float) -> None:
        assert reported <= 1e-12
        lo, hi = budget_dual_interval(mine, party, r_star)
        slack = 1e-4 * max(abs(lo) if lo > -math.inf else 0.0, abs(hi)) + \
            1e-7 * max(1.0, abs(r_star)) / max(1.0, abs(b))
        assert lo - slack <= reported <= hi + slack, (party, reported, lo, hi)

    for p in mine.parties:
        b = mine.budget[p]
        # reported per unit of the party's own currency (FORMULATION-v2 section 8); the
        # interval is per base unit, as B in the model
        reported = summary["budget_shadow_price"].get(p, 0.0) / mine.rate(p)
        if b is None:
            assert reported == 0.0
        else:
            dual_ok(reported, p, b)
    if mine.pooled_budget is None:
        assert summary["pooled_budget_shadow_price"] == 0.0
    else:
        dual_ok(summary["pooled_budget_shadow_price"], None, mine.pooled_budget)
    summary["diffs"] = {"risk_abs": d_risk, "risk_rel": d_risk / max(1.0, abs(r_star)),
                        "cost_rel": d_cost / scale if scale > 0 else 0.0}
    return summary


def test_bundled_example_agrees(tmp_path: Path) -> None:
    path = tmp_path / "us_eu_example.xlsx"
    shutil.copyfile(ROOT / "inputs" / "us_eu_example.xlsx", path)
    check_against_independent(path)


def test_template_example_agrees(tmp_path: Path) -> None:
    path = tmp_path / "example.xlsx"
    result = CliRunner().invoke(main, ["template", "--example", str(path)])
    assert result.exit_code == 0, result.output
    check_against_independent(path)


# --------------------------------------------------------------------------------------
# Random small workbooks touching every feature of the contract
# --------------------------------------------------------------------------------------

PARTIES = ["US", "EU", "JP"]
MINERALS = ["ga", "ge", "co"]
STOCKPILES = ["nds", "joint", "res"]
SOURCES = ["china", "drc", "domestic", "chile"]


def random_sheets(seed: int) -> dict[str, list[list]]:
    """A valid random workbook; odd seeds stress swaps (cross-mineral, lags, tight caps)."""
    rng = random.Random(seed)
    stress = seed % 2 == 1
    n = rng.randint(2 if stress else 1, 4)
    numeric = rng.random() < 0.5
    labels = [2027 + i for i in range(n)] if numeric else [f"{2027 + i}-Q1" for i in range(n)]

    def per(i: int) -> object:  # a reference to period i (0-based), number or text
        return rng.choice([labels[i], str(labels[i])]) if numeric else labels[i]

    def maybe(p: float, value: object) -> object:
        return value if rng.random() < p else None

    def span() -> tuple[object, object]:
        i, j = sorted(rng.randrange(n) for _ in range(2))
        return maybe(0.6, per(i)), maybe(0.6, per(j))

    parties = PARTIES[:rng.randint(1, 3)]
    minerals = MINERALS[:rng.randint(1, 3)]
    stockpiles = STOCKPILES[:rng.randint(1, 3)]
    sheets: dict[str, list[list]] = {
        "Periods": [["period"], *[[lab] for lab in labels]],
        "Parties": [["party", "budget"]] + [
            [p, rng.choice([None, 0, rng.randint(5, 120), round(rng.uniform(5, 200), 2)])]
            for p in parties],
        "Minerals": [["mineral", "price", "max_acquisition"]] + [
            [m, round(rng.uniform(0.5, 8), 2), maybe(0.4, rng.randint(0, 25))]
            for m in minerals],
    }
    rows = [["stockpile", "party", "cost_share"]]
    for k in stockpiles:
        mem = rng.sample(parties, rng.randint(1, len(parties)))
        if len(mem) == 1:
            rows.append([k, mem[0], rng.choice([None, 1])])
            continue
        cuts = sorted(rng.sample(range(1, 20), len(mem) - 1))
        shares = [b - a for a, b in zip([0, *cuts], [*cuts, 20], strict=True)]
        rows += [[k, p, sh / 20] for p, sh in zip(mem, shares, strict=True)]
    sheets["Stockpiles"] = rows

    held: dict[str, list[str]] = {}
    rows = [["stockpile", "mineral", "initial_stock", "max_stock", "holding_cost", "max_release"]]
    for k in stockpiles:
        held[k] = rng.sample(minerals, rng.randint(1, len(minerals)))
        for m in held[k]:
            s0 = maybe(0.5, rng.randint(0, 10))
            cap = maybe(0.8 if stress else 0.4, (s0 or 0) + rng.randint(0, 6 if stress else 20))
            rows.append([k, m, s0, cap, maybe(0.5, round(rng.uniform(0, 0.8), 2)),
                         maybe(0.4, rng.randint(1, 8))])
    sheets["Holdings"] = rows

    rows = [["party", "mineral", "period", "demand", "criticality"]]
    for p in parties:
        for m in minerals:
            if rng.random() < (0.4 if stress else 0.25):
                continue  # no demand at all for this pair
            if rng.random() < 0.75:
                rows.append([p, m, None, rng.randint(0, 15), maybe(0.3, rng.choice([0.5, 2, 0]))])
            for i in rng.sample(range(n), rng.randint(0, n)):
                if rng.random() < 0.4:
                    rows.append([p, m, per(i), rng.randint(0, 20),
                                 maybe(0.3, rng.choice([0.5, 3, 0]))])
    rows = [rows[0], *sorted(rows[1:], key=lambda _r: rng.random())]
    sheets["Demand"] = rows

    rows = [["party", "mineral", "source", "period", "volume"]]
    for p in parties:
        for m in minerals:
            for _ in range(rng.randint(0, 3)):
                rows.append([p, m, rng.choice(SOURCES), maybe(0.3, per(rng.randrange(n))),
                             rng.randint(0, 12)])
    sheets["Supply"] = rows

    rows = [["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
             "first_period"]]
    for i in range(rng.randint(0, 3)):
        rows.append([f"o{i}", rng.choice(parties), rng.choice(minerals), rng.choice(SOURCES),
                     rng.randint(1, 10), maybe(0.6, round(rng.uniform(0, 3), 2)),
                     maybe(0.6, round(rng.uniform(0, 10), 2)), maybe(0.5, per(rng.randrange(n)))])
    sheets["Offtakes"] = rows

    rows = [["swap", "lender_stockpile", "receiver", "mineral", "return_mineral",
             "return_ratio", "return_lag", "max_volume", "fee"]]
    for i in range(rng.randint(2, 5) if stress else rng.randint(0, 3)):
        k = rng.choice(stockpiles)
        m = rng.choice(held[k])
        rows.append([f"w{i}", k, rng.choice(parties), m,
                     maybe(0.8 if stress else 0.4, rng.choice(held[k])),
                     maybe(0.6, rng.choice([0.5, 1, 1.5, 2])), maybe(0.7, rng.choice([0, 1, 2, 3])),
                     rng.randint(1, 15), maybe(0.5, round(rng.uniform(0, 2), 2))])
    sheets["Swaps"] = rows

    ns = rng.randint(1, 4)
    weights = [rng.choice([0, 1, 2, 3]) for _ in range(ns)]
    if sum(weights) == 0:
        weights[0] = 1
    scen = [f"s{i}" for i in range(ns)]
    sheets["Scenarios"] = [["scenario", "probability"]] + [
        [s, w / sum(weights)] for s, w in zip(scen, weights, strict=True)]

    rows = [["scenario", "source", "mineral", "start_period", "end_period", "availability"]]
    for _ in range(rng.randint(0, 6)):
        rows.append([rng.choice(scen), rng.choice([*SOURCES, "*"]),
                     rng.choice([*minerals, "*"]), *span(),
                     rng.choice([0, 0.25, 0.5, 0.8, 1])])
    sheets["Disruptions"] = rows
    rows = [["scenario", "party", "mineral", "start_period", "end_period", "multiplier"]]
    for _ in range(rng.randint(0, 4)):
        rows.append([rng.choice(scen), rng.choice([*parties, "*"]),
                     rng.choice([*minerals, "*"]), *span(), rng.choice([0.5, 1.5, 2, 3])])
    sheets["DemandShocks"] = rows

    rows = [["key", "value"]]
    lam = rng.choice([None, 0, 0.3, 1])
    alpha = rng.choice([None, 0, 0.5, 0.9])
    if lam is not None:
        rows.append(["risk_weight", lam])
    if alpha is not None:
        rows.append(["cvar_alpha", alpha])
    if rng.random() < 0.3:
        rows.append(["pooled_budget", rng.randint(0, 150)])
    sheets["Settings"] = rows
    return without_unnamed_sources(sheets)


NUMBER_COLUMNS = {"budget", "price", "max_acquisition", "cost_share", "initial_stock",
                  "max_stock", "holding_cost", "max_release", "demand", "criticality", "volume",
                  "max_volume", "fee", "return_ratio", "return_lag", "probability",
                  "availability", "multiplier", "value", "periods", "max_share", "cost",
                  "lead_time"}


def scramble(sheets: dict[str, list[list]], seed: int) -> dict[str, list[list]]:
    """The same workbook as people write it: sheet and header case, padding, column order,
    blank rows, extra columns, numbers typed as text, padded identifiers, a README sheet."""
    rng = random.Random(seed)

    def case(text: str) -> str:
        return rng.choice([text, text.upper(), text.title(), f" {text} "])

    out: dict[str, list[list]] = {"README": [["anything"], ["ignored"]]}
    for name, rows in sheets.items():
        header = rows[0]
        order = list(range(len(header)))
        rng.shuffle(order)
        extra = rng.random() < 0.3
        new_rows = [[case(header[i]) for i in order] + (["notes"] if extra else [])]
        for row in rows[1:]:
            cells = []
            for i in order:
                v = row[i] if i < len(row) else None
                col = header[i]
                if v is not None and rng.random() < 0.15:
                    if col in NUMBER_COLUMNS and isinstance(v, int | float):
                        v = f" {v!r} "
                    elif isinstance(v, str):
                        v = f"  {v} "
                cells.append(v)
            new_rows.append(cells + (["note"] if extra else []))
            if rng.random() < 0.1:
                new_rows.append([None] * len(new_rows[0]))
        sheet_name = rng.choice([name, name.upper(), name.lower()])
        out[sheet_name] = new_rows
    return out


TON_COLUMNS = {"max_acquisition", "initial_stock", "max_stock", "max_release", "demand",
               "volume", "max_volume"}
PER_TON_COLUMNS = {"price", "holding_cost", "fee", "cost"}


def rescale(sheets: dict[str, list[list]], tons: float, per_ton: float) -> dict:
    """The same workbook in other units (kt-sized volumes, large budgets), as real ones are."""
    out = {}
    for name, rows in sheets.items():
        header = rows[0]
        new_rows = [header]
        for row in rows[1:]:
            row = list(row)
            for i, col in enumerate(header):
                v = row[i] if i < len(row) else None
                if not isinstance(v, int | float):
                    continue
                if col in TON_COLUMNS:
                    row[i] = v * tons
                elif col in PER_TON_COLUMNS:
                    row[i] = v * per_ton
                elif col == "budget" or (col == "value" and row[0] == "pooled_budget"):
                    row[i] = v * tons * per_ton
            new_rows.append(row)
        out[name] = new_rows
    return out


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_random_workbook_agrees(seed: int, tmp_path: Path) -> None:
    sheets = random_sheets(seed)
    if seed % 4 == 3:
        sheets = rescale(sheets, 1e3, 1e3)
    if seed % 3 == 2:
        sheets = scramble(sheets, seed)
    path = write_workbook(tmp_path / f"case{seed}.xlsx", sheets)
    check_against_independent(path, sheets)


# --------------------------------------------------------------------------------------
# Hand-derived cases: each number below follows from FORMULATION.md by hand
# --------------------------------------------------------------------------------------

def _base(n: int = 2) -> dict[str, list[list]]:
    return {
        "Periods": [["period"], *[[2027 + i] for i in range(n)]],
        "Parties": [["party", "budget"], ["US", None], ["EU", 0]],
        "Minerals": [["mineral", "price"], ["ga", 2], ["ge", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "EU"]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
    }


HAND_CASES = {
    # US draws ga in 2027 and owes ge in 2028 but has no ge at all: the (US, ge) balance
    # row has D = 0 and still binds ("a return must be covered by real inflows"), so no
    # draw; US loses its whole 2027 ga demand: L = 10/10 = 1.
    "return_needs_inflow": ({
        **_base(),
        "Holdings": [["stockpile", "mineral", "initial_stock"], ["nds", "ga", 10],
                     ["nds", "ge", 0]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", 2027, 10]],
        "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "return_mineral",
                   "max_volume"], ["w", "nds", "US", "ga", "ge", 10]],
    }, 1.0, 0.0),
    # The same with the return past the horizon (lag 2, n = 2): draw 10, owe 10 t of ge
    # at price 1 at the end: R* = 0, Cost = 1·1·10 = 10.
    "return_after_horizon": ({
        **_base(),
        "Holdings": [["stockpile", "mineral", "initial_stock"], ["nds", "ga", 10],
                     ["nds", "ge", 0]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", 2027, 10]],
        "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "return_mineral",
                   "return_lag", "max_volume"], ["w", "nds", "US", "ga", "ge", 2, 10]],
    }, 0.0, 10.0),
    # Returns cannot overfill: nds holds 10 of cap 10, releases ≤ 6 per period; a draw f in
    # 2027 comes back as 3f in 2028, so 10 − f − r1 − r2 + 3f ≤ 10 with r1 ≤ 6 − f, r2 ≤ 6
    # gives f ≤ 4 (6 without the cap): shortfall 6, L = 0.6. Cost: 0 (no fees, no prices).
    "returns_cannot_overfill": ({
        **_base(),
        "Holdings": [["stockpile", "mineral", "initial_stock", "max_stock", "max_release"],
                     ["nds", "ga", 10, 10, 6]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", 2027, 10]],
        "Supply": [["party", "mineral", "source", "period", "volume"],
                   ["US", "ga", "domestic", 2028, 20]],
        "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "return_ratio",
                   "max_volume"], ["w", "nds", "US", "ga", 3, 10]],
    }, 0.6, 0.0),
    # Joint stockpile, shares 0.25/0.75, price 4 + n·hold = 4 + 2·0.5 = 5 per t; US budget
    # 5 buys 4 t (US pays 1.25/t). US needs 20 t over two periods with no supply: shortfall
    # 16, L = 1.6. Cost = 4·5 = 20; ∂R*/∂B_US = −(1/10)/1.25 = −0.08.
    "joint_shares_and_holding": ({
        "Periods": [["period"], ["P1"], ["P2"]],
        "Parties": [["party", "budget"], ["US", 5], ["EU", None]],
        "Minerals": [["mineral", "price"], ["ga", 4]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["joint", "US", 0.25],
                       ["joint", "EU", 0.75]],
        "Holdings": [["stockpile", "mineral", "holding_cost"], ["joint", "ga", 0.5]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10]],
        "Scenarios": [["scenario", "probability"], ["ban", 1]],
    }, 1.6, 20.0),
    # Offtake from 2028 on, cut to half in 2029 in s1: L_s1 = 1 + 0.5, L_s2 = 1;
    # R = 0.5·1.25 + 0.5·CVaR_0.9 (= 1.5) = 1.375. Cost = fee 10 + 2·(0.5·15 + 0.5·20) = 45.
    "offtake_first_period": ({
        "Periods": [["period"], [2027], [2028], [2029]],
        "Parties": [["party"], ["US"]],
        "Minerals": [["mineral", "price"], ["ga", 4]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10]],
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
                      "first_period"], ["o", "US", "ga", "drc", 10, 1, 2, 2028]],
        "Scenarios": [["scenario", "probability"], ["s1", 0.5], ["s2", 0.5]],
        "Disruptions": [["scenario", "source", "mineral", "start_period", "availability"],
                        ["s1", "drc", "*", 2029, 0.5]],
    }, 1.375, 45.0),
}


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_hand_case(name: str, tmp_path: Path) -> None:
    sheets, risk, cost = HAND_CASES[name]
    path = write_workbook(tmp_path / f"{name}.xlsx", sheets)
    summary = check_against_independent(path, sheets)
    assert summary["risk"] == pytest.approx(risk, abs=1e-7)
    assert summary["cost"] == pytest.approx(cost, rel=1e-6, abs=1e-7)
    if name == "joint_shares_and_holding":
        assert summary["budget_shadow_price"]["US"] == pytest.approx(-0.08, rel=1e-6)
        assert summary["spend"] == pytest.approx({"US": 5.0, "EU": 15.0}, rel=1e-6)
