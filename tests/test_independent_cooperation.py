"""Cooperation and party risk limits (FORMULATION-v2 sections 2-4) against the independent
implementation.

``independent_lp`` restricts a workbook to one party at the SHEET level, following the list
of section 3 (``alone_sheets``), solves R_p^alone itself (``alone_risk``) and adds section
4's rows (Parties ``max_risk``, Settings ``party_risk_limit = alone``) to its own LP; none
of it is taken from stockopt's model or studies code. Checked here:

* ``stockopt.studies.cooperation.alone(data, p)`` (a ModelData restriction) reads the same
  as the sheet-level restriction (``compare_data``), and its ``alone_risk`` equals ours;
* ``stockopt.solve`` with limits: R* and the cost equal ours, or both say infeasible (then
  stockopt raises ``SolveFailed`` with status 'infeasible');
* the reported plan's per-party measures (section 2) recomputed from its shortfall table,
  the limits it reports and that they hold;
* ``stockopt.api.cooperate``: risk_alone is our R_p^alone; risk_together is R_p of the
  reported joint plan (not unique in general, so compared with our LP only where the
  instance makes it unique: the hand cases and one-party workbooks).

Tolerances: R* and R_p^alone to 1e-6 relative (both are phase-1 optima of the same LP,
solved by two HiGHS builds). The cost to 1e-6 relative, with an absolute floor of 1e-5
(see ``cost_close``): the phase-2 optimum is the same LP's, but stockopt's HiGHS runs at
the default primal feasibility tolerance of 1e-7, which shows in a cost near 0.
"""

from __future__ import annotations

import math
import random
import shutil
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from independent_lp import (
    alone_risk,
    alone_sheets,
    compare_data,
    data_from_sheets,
    min_party_risk,
    party_risks,
    read_sheets,
    sheets_from_lists,
    solve_independent,
    solve_sheets,
)
from test_independent import random_sheets, rescale, scramble
from test_independent_levers import add_random_levers
from workbooks import write_workbook

import stockopt
from stockopt import SolveFailed
from stockopt.api import cooperate
from stockopt.studies.cooperation import alone as their_alone
from stockopt.studies.cooperation import alone_risk as their_alone_risk

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "us_eu_example.xlsx"
N_RANDOM_ALONE = 16
N_RANDOM_LIMITS = 24
N_RANDOM_COOPERATE = 8


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def example_lists() -> dict[str, list[list]]:
    """The bundled example as ``{sheet: [header, rows...]}`` (for write_workbook)."""
    wb = openpyxl.load_workbook(EXAMPLE, data_only=True, read_only=True)
    out = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    wb.close()
    return out


def _sheet(sheets: dict[str, list[list]], name: str) -> str:
    found = [k for k in sheets if k.strip().lower() == name]
    assert len(found) == 1, (name, list(sheets))
    return found[0]


def with_limits(sheets: dict[str, list[list]], max_risk: dict[str, float | None],
                limit: str | None = None) -> dict[str, list[list]]:
    """``sheets`` with a Parties column max_risk (``max_risk[p]``; absent or None: blank)
    and, when ``limit`` is given, a Settings row party_risk_limit = ``limit``."""
    out = {k: [list(r) for r in rows] for k, rows in sheets.items()}
    name = _sheet(out, "parties")
    header, *rows = out[name]
    names = [str(h).strip().lower() if h is not None else None for h in header]
    col = names.index("party")
    if "max_risk" in names:  # the bundled example has the column, blank
        j = names.index("max_risk")
        out[name] = [header] + [[*r[:j], max_risk.get(r[col]), *r[j + 1:]] for r in rows]
    else:
        out[name] = [[*header, "max_risk"]] + [[*r, max_risk.get(r[col])] for r in rows]
    if limit is not None:
        if not any(k.strip().lower() == "settings" for k in out):
            out["Settings"] = [["key", "value"]]
        out[_sheet(out, "settings")].append(["party_risk_limit", limit])
    return out


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def cost_close(theirs: float, ours: float) -> bool:
    """Cost agreement to 1e-6 relative, with an absolute floor of 1e-5: stockopt runs HiGHS
    at its default primal feasibility tolerance (1e-7), and a column that sits 1e-7·(a
    scaled unit) below 0 or a risk row 1e-7 past its bound shows in the cost: on
    random_sheets(1012) stockopt reports Cost = −3.3e-6 where the optimum is 0; in the
    hand case 'alone' it buys 7e-7 t less than the phase-2 row allows."""
    return abs(theirs - ours) <= max(1e-6 * max(abs(theirs), abs(ours)), 1e-5)


def shortfall_map(results: stockopt.Results, data) -> dict[tuple, float]:  # noqa: ANN001
    """{(p, m, t, s): e} from the reported plan's shortfall table (t: 1..n)."""
    pos = {lab: i + 1 for i, lab in enumerate(data.periods)}
    tab = results.tables["shortfalls"]
    return {(p, m, pos[str(t)], s): float(e) for s, p, m, t, e in
            zip(tab["scenario"], tab["party"], tab["mineral"], tab["period"],
                tab["shortfall"], strict=True)}


def check_party_measures(results: stockopt.Results, mine) -> None:  # noqa: ANN001
    """Section 2 of the reported plan, recomputed from its shortfalls: E_p, CVaR_p, R_p;
    and Σ_p R_p ≥ R (CVaR is subadditive)."""
    ours = party_risks(mine, shortfall_map(results, mine))
    for p in mine.parties:
        for key in ("expected_loss", "cvar", "risk"):
            assert close(results.parties[p][key], ours[p][key], 1e-7), \
                (p, key, results.parties[p][key], ours[p][key])
    total = sum(results.parties[p]["risk"] for p in mine.parties)
    assert total >= results.risk - 1e-6 * max(1.0, abs(results.risk)), (total, results.risk)


def check_limits(path: Path, raw: dict[str, list[dict]]) -> dict:
    """Solve ``path`` with stockopt (``stockopt.solve``) and independently (``raw``, the
    same workbook as records) and assert agreement. Returns {"status", "risk", "cost",
    "bounds"} of ours, with stockopt's numbers under "theirs"."""
    mine = data_from_sheets(raw)
    wb = stockopt.load(path)
    assert compare_data(mine, wb.data) == []
    ref = solve_sheets(raw)
    try:
        res = stockopt.solve(wb)
    except SolveFailed as exc:
        if ref.status.startswith("alone infeasible"):
            # R_p^alone does not exist: the limit has no bound; stockopt stops at the
            # stand-alone problem and says whose it is, or earlier, when the joint problem
            # is infeasible by itself (a concentration cap the data break, checked first).
            plain = solve_independent(replace(mine, party_risk_limit="none"))
            assert "stand-alone" in exc.phase or (
                plain.infeasible and exc.status == "infeasible"), (exc.phase, exc.status)
            return {"status": "alone infeasible"}
        assert ref.infeasible, (ref.status, exc.phase, exc.status)
        assert exc.status == "infeasible", (exc.phase, exc.status)
        return {"status": "infeasible", "explanation": exc.explanation}
    assert ref.status == "optimal", (ref.status, res.risk, res.cost)
    assert close(res.risk, ref.risk), (res.risk, ref.risk)
    assert cost_close(res.cost, ref.cost), (res.cost, ref.cost)

    # The limits stockopt reports are ours (the tightest bound of each limited party),
    # and the reported plan keeps them (R_p at most the bound, to solver tolerance).
    bounds: dict[str, float] = {}
    for p, _kind, b in ref.limits:
        bounds[p] = min(bounds.get(p, math.inf), b)
    assert set(res.risk_limits) == set(bounds), (res.risk_limits, bounds)
    for p, b in bounds.items():
        assert close(res.risk_limits[p], b, 1e-6), (p, res.risk_limits[p], b)
        assert res.parties[p]["risk"] <= b + 1e-6 * max(1.0, b), (p, res.parties[p], b)
        # ours too (phase 2's plan)
        assert ref.party[p]["risk"] <= b + 1e-6 * max(1.0, b), (p, ref.party[p], b)
    check_party_measures(res, mine)
    return {"status": "optimal", "risk": ref.risk, "cost": ref.cost, "bounds": bounds,
            "theirs": (res.risk, res.cost), "parties": res.parties}


# --------------------------------------------------------------------------------------
# Section 3: Alone(p), the restriction and R_p^alone
# --------------------------------------------------------------------------------------

def check_alone(path: Path, raw: dict[str, list[dict]]) -> dict[str, float]:
    """For every party: stockopt's ModelData restriction reads as our sheet restriction,
    and R_p^alone agrees (or both find Alone(p) infeasible). Returns ours."""
    theirs = stockopt.load(path).data
    out = {}
    for p in theirs.parties:
        mine = data_from_sheets(alone_sheets(raw, p))
        assert compare_data(mine, their_alone(theirs, p)) == [], p
        r = alone_risk(raw, p)
        out[p] = r
        if math.isinf(r):
            with pytest.raises(SolveFailed):
                their_alone_risk(theirs, p)
            continue
        assert close(their_alone_risk(theirs, p), r), (p, their_alone_risk(theirs, p), r)
    return out


def test_alone_bundled_example(tmp_path: Path) -> None:
    path = tmp_path / "us_eu_example.xlsx"
    shutil.copyfile(EXAMPLE, path)
    risks = check_alone(path, read_sheets(path))
    # The joint stockpile US_EU_joint is in neither stand-alone problem, nor are the
    # swaps (each lends from the other party's stockpile).
    raw = read_sheets(path)
    for p in ("US", "EU"):
        cut = alone_sheets(raw, p)
        assert {r["stockpile"] for r in cut["stockpiles"]} == {f"{p}_NDS" if p == "US"
                                                                else "EU_stockpile"}
        assert cut["swaps"] == []
    # Together the pooled R* is below the sum of the stand-alone ones.
    joint = solve_independent(data_from_sheets(raw)).risk
    assert joint < risks["US"] + risks["EU"]


@pytest.mark.parametrize("seed", range(N_RANDOM_ALONE))
def test_alone_random(seed: int, tmp_path: Path) -> None:
    sheets = random_sheets(seed)
    if seed % 2 == 0:
        sheets = add_random_levers(sheets, seed)
    if seed % 4 == 3:
        sheets = rescale(sheets, 1e3, 1e3)
    if seed % 3 == 2:
        sheets = scramble(sheets, seed)
    path = write_workbook(tmp_path / f"alone{seed}.xlsx", sheets)
    check_alone(path, sheets_from_lists(sheets))


# --------------------------------------------------------------------------------------
# Section 4 by hand
# --------------------------------------------------------------------------------------

def _two_parties(us_crit: float = 2.0) -> dict[str, list[list]]:
    """One period, one scenario (so R_p = L_p), ga at 1/t, no supply; US and EU each
    demand 10 t (criticality US 2, EU 1), budget 4 each; own stockpiles us and eu and a
    joint one (shares 0.5/0.5), free access.

    Alone: each buys 4 t in its own stockpile: R_US^alone = 2·6/10 = 1.2, R_EU^alone =
    6/10 = 0.6 (sum 1.8). Together the budgets buy 8 t in all (a tonne of the joint
    stockpile costs each 0.5), and a tonne to the US cuts 0.2, to the EU 0.1: all 8 to the
    US (joint 8, each pays 4): L_US = 2·2/10 = 0.4, L_EU = 1.0, R* = 1.4, cost 8, and this
    plan is the only optimum (so R_p together is unique)."""
    return {
        "Periods": [["period"], [2027]],
        "Parties": [["party", "budget"], ["US", 4], ["EU", 4]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["us", "US", None],
                       ["eu", "EU", None], ["joint", "US", 0.5], ["joint", "EU", 0.5]],
        "Holdings": [["stockpile", "mineral"], ["us", "ga"], ["eu", "ga"], ["joint", "ga"]],
        "Demand": [["party", "mineral", "demand", "criticality"], ["US", "ga", 10, us_crit],
                   ["EU", "ga", 10, 1]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
    }


HAND_LIMITS = {
    # No limit: R* = 1.4 (all 8 t to the US), cost 8.
    "none": ({}, None, 1.4, 8.0),
    # EU at most as badly off as alone (0.6 + 1e-7): the EU keeps 4 t, the US gets 4:
    # R* = 1.2 + 0.6 = 1.8 (up to the 1e-7 slack: EU may lose 1e-6 t more, the US gains
    # it at 0.2/t, R* = 1.8 − 1e-7), cost 8.
    "alone": ({}, " Alone ", 1.8 - 1e-7, 8.0),
    # EU max_risk 0.8: EU gets 2 t, US 6: R* = 0.8 + 0.8 = 1.6, cost 8.
    "max_risk": ({"EU": 0.8}, None, 1.6, 8.0),
    # Both: the tighter (alone, 0.6 + 1e-7) binds for the EU; US max_risk 1.5 is slack.
    "both": ({"EU": 0.8, "US": 1.5}, "alone", 1.8 - 1e-7, 8.0),
    # US max_risk 0.4 is exactly its R_p at the unlimited optimum: nothing changes.
    "max_risk_at_optimum": ({"US": 0.4}, "none", 1.4, 8.0),
}


@pytest.mark.parametrize("name", sorted(HAND_LIMITS))
def test_limits_hand(name: str, tmp_path: Path) -> None:
    max_risk, limit, r_star, cost = HAND_LIMITS[name]
    sheets = with_limits(_two_parties(), max_risk, limit)
    path = write_workbook(tmp_path / f"{name}.xlsx", sheets)
    got = check_limits(path, sheets_from_lists(sheets))
    assert got["status"] == "optimal", got
    assert got["risk"] == pytest.approx(r_star, abs=1e-9)
    assert got["theirs"][0] == pytest.approx(r_star, abs=1e-8)
    # Phase 2 spends the relaxation R <= R* + 1e-7·max(1, R*) on cost: the last tonnes
    # to the US cut 0.2 each, so ~R*·1e-7/0.2 ≤ 1e-6 t (at 1/t) fewer are bought.
    assert got["cost"] == pytest.approx(cost, abs=1e-6)
    # stockopt's phase 2 solves HiGHS at its default primal feasibility tolerance (1e-7):
    # in the 'alone' case its plan has R = R* + 3.2e-7 (the row allows R* + 1.8e-7) and
    # buys 7e-7 t less than ours (cost 7.9999984 vs 7.9999991); so 2e-6 here.
    assert got["theirs"][1] == pytest.approx(cost, abs=2e-6)


HAND_INFEASIBLE = {
    # US needs ≥ 9 t (0.2) and EU ≥ 4 t (0.6): 13 t, the two budgets buy 8.
    "max_risk_conflict": ({"US": 0.2, "EU": 0.6}, None),
    # US max_risk 0.8 needs ≥ 6 t; alone the EU needs its 4 t: 10 > 8.
    "max_risk_and_alone": ({"US": 0.8}, "alone"),
}


@pytest.mark.parametrize("name", sorted(HAND_INFEASIBLE))
def test_limits_hand_infeasible(name: str, tmp_path: Path) -> None:
    max_risk, limit = HAND_INFEASIBLE[name]
    sheets = with_limits(_two_parties(), max_risk, limit)
    path = write_workbook(tmp_path / f"{name}.xlsx", sheets)
    assert check_limits(path, sheets_from_lists(sheets))["status"] == "infeasible"


def test_alone_limit_conflict_on_market_depth(tmp_path: Path) -> None:
    """Market depth is in full in each Alone(p): ga has 10 t to buy, each party alone
    buys its 10 t (R_p^alone = 0, unlimited budgets), together they cannot both: with
    party_risk_limit = alone phase 1 is infeasible."""
    sheets = {
        "Periods": [["period"], [2027]],
        "Parties": [["party"], ["US"], ["EU"]],
        "Minerals": [["mineral", "price", "max_acquisition"], ["ga", 1, 10]],
        "Stockpiles": [["stockpile", "party"], ["us", "US"], ["eu", "EU"]],
        "Holdings": [["stockpile", "mineral"], ["us", "ga"], ["eu", "ga"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10], ["EU", "ga", 10]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "Settings": [["key", "value"], ["party_risk_limit", "ALONE"]],
    }
    path = write_workbook(tmp_path / "depth.xlsx", sheets)
    raw = sheets_from_lists(sheets)
    assert alone_risk(raw, "US") == pytest.approx(0.0, abs=1e-12)
    assert alone_risk(raw, "EU") == pytest.approx(0.0, abs=1e-12)
    assert check_limits(path, raw)["status"] == "infeasible"


# --------------------------------------------------------------------------------------
# Section 4 on the bundled example and random workbooks
# --------------------------------------------------------------------------------------

# The bundled example (planning over time since #17 item 4; measured with HiGHS 1.16.0):
# R* = 44.2468 without limits, R_US^alone = 21.0883, R_EU^alone = 24.94 (their sum
# 46.03). The joint optimum is not unique in how R splits between the parties, so 'alone'
# holds at some optimum and leaves R* (not the cost, necessarily) as it was; max_risk US
# 19.4 raises R* (to 44.2525 in our LP), alone or not; EU 19.0 binds (R_EU 22.98 in the
# plan as stated) but costs nothing (a plan at R* has R_EU 19.0); alone with
# EU 24.0 is slack; US and EU both at 21 cannot hold (Σ_p R_p ≥ R ≥ 44.25 > 42); alone
# with EU 20 cannot either (21.09 + 20 < 44.25).
EXAMPLE_LIMITS = {
    "alone": ({}, "alone", 44.246781887850915),
    "max_risk_us": ({"US": 19.4}, None, 44.252476567003406),
    "max_risk_eu": ({"EU": 19.0}, "none", 44.24678188785093),
    "alone_and_max_risk": ({"US": 19.4}, "alone", 44.25247656700339),
    "alone_slack_max_risk": ({"EU": 24.0}, "alone", 44.246781887850915),
    "max_risk_conflict": ({"US": 21.0, "EU": 21.0}, None, None),
    "alone_and_max_risk_conflict": ({"EU": 20.0}, "alone", None),
}


@pytest.mark.parametrize("variant", sorted(EXAMPLE_LIMITS))
def test_limits_bundled_example(variant: str, tmp_path: Path) -> None:
    max_risk, limit, r_star = EXAMPLE_LIMITS[variant]
    sheets = with_limits(example_lists(), max_risk, limit)
    path = write_workbook(tmp_path / f"example_{variant}.xlsx", sheets)
    got = check_limits(path, sheets_from_lists(sheets))
    if r_star is None:
        assert got["status"] == "infeasible"
        return
    assert got["status"] == "optimal"
    # our value, recorded when the case was written (a regression guard for both)
    assert got["risk"] == pytest.approx(r_star, rel=1e-6)


def random_limits(sheets: dict[str, list[list]], seed: int) -> dict[str, list[list]]:
    """``sheets`` with random limits that tend to bind. For a limited party p, with
    lo = min R_p over all plans and hi = min R_p over the plans with R <= R* (+ 1e-7),
    both from our LP (``min_party_risk``): max_risk = lo + w·(hi − lo), w in (0, 1) mostly
    (R* must rise), now and then above hi (slack) or below lo (cannot hold), or, when
    hi ≈ lo, 0.5·hi or 1.2·hi; zero to all
    parties limited; party_risk_limit alone (in mixed case) in about half the workbooks.
    A separate random stream."""
    rng = random.Random(4_099 * seed + 11)
    data = data_from_sheets(sheets_from_lists(sheets))
    ref = solve_independent(data)
    parties = list(data.parties)
    max_risk: dict[str, float | None] = {}
    if ref.status == "optimal":
        cap = ref.risk + 1e-7 * max(1.0, ref.risk)
        for p in rng.sample(parties, rng.choice([0, 1, 1, 1, 2, len(parties)])
                            if len(parties) > 1 else rng.choice([0, 1, 1])):
            lo, hi = min_party_risk(data, p), min_party_risk(data, p, cap)
            # (never within 1e-6 of lo or hi: a knife edge is for neither solver to call)
            w = rng.choice([0.2, 0.5, 0.5, 0.8, 0.8, 1.5, -0.3])
            max_risk[p] = max(0.0, round(lo + w * (hi - lo), 9)) \
                if hi > lo + 1e-5 * max(1.0, hi) else round(hi * rng.choice([0.5, 1.2]), 9)
    limit = rng.choice([None, "none", "alone", "Alone", " ALONE "]) if rng.random() < 0.8 \
        else None
    if not max_risk and limit in (None, "none"):
        limit = "alone"
    return with_limits(sheets, max_risk, limit)


KNOWN_STOCKOPT_FAILURES: dict[int, str] = {
    # random_sheets(7), rescaled ×1e3, party_risk_limit alone failed phase 3 as
    # "numerically unreliable" until phases 2 and 3 got a retry at a tighter primal
    # feasibility tolerance (stockopt.solver.highs.TIGHT_FEASIBILITY); it now agrees.
}


@pytest.mark.parametrize("seed", [
    pytest.param(s, marks=pytest.mark.xfail(reason=KNOWN_STOCKOPT_FAILURES[s], strict=False))
    if s in KNOWN_STOCKOPT_FAILURES else s for s in range(N_RANDOM_LIMITS)])
def test_limits_random(seed: int, tmp_path: Path) -> None:
    sheets = random_sheets(seed)
    if seed % 3 == 1:
        sheets = add_random_levers(sheets, seed)
    sheets = random_limits(sheets, seed)
    if seed % 4 == 3:
        sheets = rescale(sheets, 1e3, 1e3)
    if seed % 5 == 2:
        sheets = scramble(sheets, seed)
    path = write_workbook(tmp_path / f"limits{seed}.xlsx", sheets)
    check_limits(path, sheets_from_lists(sheets))


# --------------------------------------------------------------------------------------
# stockopt.api.cooperate
# --------------------------------------------------------------------------------------

def check_cooperate(path: Path, raw: dict[str, list[dict]]) -> stockopt.Cooperation | None:
    """cooperate's risk_alone is our R_p^alone; risk_together is the reported joint plan's
    R_p (recomputed from its shortfalls); the joint R* is ours (with the workbook's
    limits); with 'alone' limits nobody loses (gain ≥ −1e-7·max(1, R_p^alone)). Returns
    None when the joint problem or a stand-alone one is infeasible (both agree)."""
    mine = data_from_sheets(raw)
    ours_alone = {p: alone_risk(raw, p) for p in mine.parties}
    try:
        coop = cooperate(stockopt.load(path))
    except SolveFailed as exc:
        if any(math.isinf(r) for r in ours_alone.values()):
            assert "stand-alone" in exc.phase, exc.phase
        else:
            ref = solve_sheets(raw)
            assert ref.infeasible, (ref.status, exc.phase, exc.status)
        return None
    assert all(math.isfinite(r) for r in ours_alone.values()), ours_alone
    ref = solve_sheets(raw)
    assert ref.status == "optimal", ref.status
    assert close(coop.joint.risk, ref.risk), (coop.joint.risk, ref.risk)
    ours_together = party_risks(mine, shortfall_map(coop.joint, mine))
    for p, g in coop.gains.items():
        assert close(g.risk_alone, ours_alone[p]), (p, g.risk_alone, ours_alone[p])
        assert g.risk_together == coop.joint.parties[p]["risk"]
        assert close(g.risk_together, ours_together[p]["risk"], 1e-7), \
            (p, g.risk_together, ours_together[p])
        assert g.gain == pytest.approx(g.risk_alone - g.risk_together, abs=1e-12)
        if mine.party_risk_limit == "alone":
            slack = 1e-7 * max(1.0, g.risk_alone) + 1e-6 * max(1.0, g.risk_alone)
            assert g.gain >= -slack, (p, g.gain)
    if len(mine.parties) == 1:
        # One party: its R_p is the joint R (unique up to phase 2's 1e-7 relaxation).
        (p,) = mine.parties
        assert coop.gains[p].risk_together == pytest.approx(
            ref.risk, abs=1e-6 * max(1.0, ref.risk))
    return coop


def test_cooperate_hand(tmp_path: Path) -> None:
    """_two_parties: R^alone 1.2 and 0.6; together (unique plan) 0.4 and 1.0: the US gains
    0.8, the EU loses 0.4. With party_risk_limit alone: both as alone (gains ≈ 0)."""
    sheets = _two_parties()
    path = write_workbook(tmp_path / "hand.xlsx", sheets)
    coop = check_cooperate(path, sheets_from_lists(sheets))
    assert coop is not None
    ref = {"US": (1.2, 0.4), "EU": (0.6, 1.0)}
    for p, (a, t) in ref.items():
        assert coop.gains[p].risk_alone == pytest.approx(a, abs=1e-9)
        assert coop.gains[p].risk_together == pytest.approx(t, abs=1e-6)

    sheets = with_limits(sheets, {}, "alone")
    path = write_workbook(tmp_path / "hand_alone.xlsx", sheets)
    coop = check_cooperate(path, sheets_from_lists(sheets))
    assert coop is not None
    for p in ("US", "EU"):
        assert coop.gains[p].gain == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("limit", [None, "alone"])
def test_cooperate_bundled_example(limit: str | None, tmp_path: Path) -> None:
    sheets = with_limits(example_lists(), {}, limit)
    path = write_workbook(tmp_path / f"example_coop_{limit}.xlsx", sheets)
    coop = check_cooperate(path, sheets_from_lists(sheets))
    assert coop is not None


@pytest.mark.parametrize("seed", range(N_RANDOM_COOPERATE))
def test_cooperate_random(seed: int, tmp_path: Path) -> None:
    sheets = random_sheets(100 + seed)
    if seed % 2 == 1:
        sheets = random_limits(sheets, 100 + seed)
    if seed % 4 == 3:
        sheets = rescale(sheets, 1e3, 1e3)
    path = write_workbook(tmp_path / f"coop{seed}.xlsx", sheets)
    check_cooperate(path, sheets_from_lists(sheets))
