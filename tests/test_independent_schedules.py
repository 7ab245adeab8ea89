"""Purchases over time and take-or-pay (FORMULATION-v2 sections 6 and 7) against the
independent implementation.

``independent_lp`` writes sections 6 and 7 from the spec's formulas alone (see ``build``:
orders a[k,m,t], arrivals arr[k,m,t] = a[k,m,t−ℓ_m], capacity S0 + Σ_{t'≤t} arr ≤ cap for
every t, market depth over all orders and per order period, PricePath prices, holding
from arrival, PeriodBudgets rows F_{p,t} ≤ B_{p,t} with the fees in period 1, cover floors
on S0 + Σ_{t'≤t} arr from ``from_period``, section 5's shares on Σ_{t'≤t} arr, take-or-pay
w ≥ min_take·A·x − v priced at price_o) and reads the new inputs itself
(``data_from_sheets``). Checked here:

* stockopt's MODEL, given OUR reading (``stockopt.solve(data_from_sheets(...))`` takes a
  ModelData): R* and the cost agree with our LP, or both say infeasible;
* once stockopt's reader of these inputs is on main (``SHEETS_BY_KEY`` has ``pricepath``),
  also its READING (``compare_data`` of ``stockopt.load(workbook).data`` with ours) and the
  solve through the workbook;
* ``period_budget_shadow_price`` (∂R*/∂B_{p,t}, per unit of the party's own currency) lies
  in the exact range of valid phase-1 duals of the row, from one-sided finite differences
  of our R*(B_{p,t}) (``budget_dual_interval``);
* v1-equivalence: a v1 workbook with ``purchase_timing = start`` stated, Minerals lead_time
  0 and PricePath rows for period 1 equal to the Minerals price gives bit-identical R* and
  cost in stockopt to the workbook without them.

Tolerances: R* to 1e-6 relative; the cost to 1e-6 relative with an absolute floor of 1e-5
(``cost_close``): both are optima of the same LPs, but stockopt runs HiGHS at its default
primal feasibility tolerance of 1e-7 (ours at 1e-9), which shows in a cost near 0 and in
phase 2's use of the 1e-7·max(1, R*) relaxation of R*.
"""

from __future__ import annotations

import math
import random
import shutil
from pathlib import Path

import pytest
from independent_lp import (
    budget_dual_interval,
    compare_data,
    data_from_sheets,
    read_sheets,
    sheets_from_lists,
    solve_independent,
)
from test_independent import random_sheets, rescale, scramble
from test_independent_levers import add_random_levers
from workbooks import write_workbook

import stockopt
from stockopt import SolveFailed

ROOT = Path(__file__).resolve().parent.parent
N_RANDOM_SCHEDULES = 60
N_V1_EQUIVALENCE = 12


def reader_merged() -> bool:
    """True once stockopt's own reader of the section 6-7 inputs is on main."""
    from stockopt.workbook.schema import SHEETS_BY_KEY

    return "pricepath" in SHEETS_BY_KEY


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def cost_close(theirs: float, ours: float) -> bool:
    """1e-6 relative, absolute floor 1e-5 (stockopt's HiGHS at feasibility tolerance 1e-7)."""
    return abs(theirs - ours) <= max(1e-6 * max(abs(theirs), abs(ours)), 1e-5)


def check(sheets: dict[str, list[list]], tmp_path: Path, name: str,
          duals: str = "binding") -> dict:
    """Solve ``sheets`` independently and with stockopt (from our ModelData; and from the
    workbook once stockopt's reader is merged) and assert agreement. ``duals``: "all"
    (every PeriodBudgets row), "binding" (at most two binding rows, to keep the runtime
    down) or "none". Returns {"ref": ours, "theirs":
    {route: stockopt Results or None when infeasible}}."""
    path = write_workbook(tmp_path / f"{name}.xlsx", sheets) if reader_merged() else None
    return check_raw(sheets_from_lists(sheets), path, duals)


def check_raw(raw: dict[str, list[dict]], path: Path | None, duals: str = "binding") -> dict:
    """``check`` of a workbook given as records (``read_sheets``) and its file (None: the
    ModelData route only)."""
    mine = data_from_sheets(raw)
    ref = solve_independent(mine)
    routes: dict[str, object] = {"modeldata": mine}
    if path is not None:
        wb = stockopt.load(path)
        diffs = compare_data(mine, wb.data)
        assert diffs == [], diffs
        routes["workbook"] = wb
    out: dict[str, object] = {}
    for route, source in routes.items():
        try:
            res = stockopt.solve(source)
        except SolveFailed as exc:
            assert ref.infeasible, (route, ref.status, exc.phase, exc.status)
            assert exc.status == "infeasible", (route, exc.phase, exc.status)
            out[route] = None
            continue
        assert ref.status == "optimal", (route, ref.status, res.risk, res.cost)
        assert close(res.risk, ref.risk), (route, res.risk, ref.risk)
        assert cost_close(res.cost, ref.cost), (route, res.cost, ref.cost)
        out[route] = res
    solved = [r for r in out.values() if r is not None]
    if solved and duals != "none" and mine.period_budgets:
        rows = sorted(mine.period_budgets)
        if duals == "binding":
            # binding: a nonzero dual in our phase 1, or spent to the budget in our phase
            # 2 (which may leave a binding row 1e-7 short, using the R* relaxation)
            rows = [pt for pt in rows if abs(ref.period_budget_dual.get(pt, 0.0)) > 1e-12
                    or ref.period_spend.get(pt, 0.0) >=
                    mine.period_budgets[pt] - 1e-5 * max(1.0, mine.period_budgets[pt])][:2]
        for p, t in rows:
            b = mine.period_budgets[(p, t)]
            lo, hi = budget_dual_interval(mine, p, ref.risk, period=t)
            slack = 1e-4 * max(abs(lo) if lo > -math.inf else 0.0, abs(hi)) + \
                1e-7 * max(1.0, abs(ref.risk)) / max(1.0, abs(b))
            for res in solved:
                label = mine.period_label(t)
                # per unit of the party's own currency; the interval is per base unit
                reported = res.period_budget_shadow_price.get(p, {}).get(label, 0.0) \
                    / mine.rate(p)
                assert reported <= 1e-12, (p, label, reported)
                assert lo - slack <= reported <= hi + slack, (p, label, reported, lo, hi)
    return {"ref": ref, "theirs": out, "data": mine}


# --------------------------------------------------------------------------------------
# Hand-derived cases
# --------------------------------------------------------------------------------------

def _one(n: int, **extra: list[list]) -> dict[str, list[list]]:
    """US alone, ga, stockpile nds, one scenario (so R = L), no supply; ``extra`` sheets
    replace or add to these."""
    sheets = {
        "Periods": [["period"], *[[f"P{i + 1}"] for i in range(n)]],
        "Parties": [["party"], ["US"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
    }
    sheets.update(extra)
    return sheets


HAND_CASES = {
    # Lead time under start. n = 3, ga lead 1: the one order (period 1) arrives in P2, so
    # P1's demand of 10 is lost whatever is bought: L = 10/10 = 1 = R*. 20 t cover P2 and
    # P3, each costing price 1 + (n − t − ℓ + 1)·hold = 1 + (3 − 1 − 1 + 1)·0.5 = 2:
    # Cost 40. ge has lead 3 = n: no order exists (1 + 3 > 3), all 3·5 t lost:
    # + 15/5 = 3, R* = 4.
    "lead_time_start": (_one(
        3,
        Minerals=[["mineral", "price", "lead_time"], ["ga", 1, 1], ["ge", 1, 3]],
        Holdings=[["stockpile", "mineral", "holding_cost"], ["nds", "ga", 0.5],
                  ["nds", "ge", 0]],
        Demand=[["party", "mineral", "demand"], ["US", "ga", 10], ["US", "ge", 5]],
    ), 4.0, 40.0, {}),
    # Lead time under periods, PricePath, holding from arrival. n = 3, lead 1, demand 10
    # in P2 and P3 only (none in P1), hold 0.5, prices by order period 3, 1 (P3: the
    # Minerals price 2, but an order of P3 would arrive in P4 > n: it does not exist).
    # P2's demand needs the P1 order: 3 + (3 − 1 − 1 + 1)·0.5 = 4 per t; P3's the P2
    # order: 1 + (3 − 2 − 1 + 1)·0.5 = 1.5 per t. R* = 0, Cost = 40 + 15 = 55.
    "lead_time_periods_price_path": (_one(
        3,
        Settings=[["key", "value"], ["purchase_timing", "Periods"]],
        Minerals=[["mineral", "price", "lead_time"], ["ga", 2, 1]],
        Holdings=[["stockpile", "mineral", "holding_cost"], ["nds", "ga", 0.5]],
        Demand=[["party", "mineral", "period", "demand"], ["US", "ga", "P2", 10],
                ["US", "ga", "P3", 10]],
        PricePath=[["mineral", "period", "price"], ["ga", "P1", 3], ["ga", "P2", 1]],
    ), 0.0, 55.0, {}),
    # PricePath under start: only the period-1 row matters and replaces the Minerals
    # price 5 by 2. n = 2, demand 10 each period, budget 30 buys 15 t: shortfall 5,
    # L = 0.5 = R*. Cost 30. ∂R*/∂B_US = −(1/10)/2 = −0.05 (checked below).
    "price_path_start": (_one(
        2,
        Parties=[["party", "budget"], ["US", 30]],
        Minerals=[["mineral", "price"], ["ga", 5]],
        PricePath=[["mineral", "period", "price"], ["ga", "P1", 2], ["ga", "P2", 1]],
    ), 0.5, 30.0, {}),
    # Market depth per period. periods, n = 2, demand 10 each period, max_acquisition 10,
    # max_acquisition_per_period 6: a1 ≤ 6, a2 ≤ 6, a1 + a2 ≤ 10, shortfall ≥ 20 − 10:
    # R* = 1. Prices P1 2, P2 1: the cheapest optimum is a1 = 4, a2 = 6 (a1 ≥ 4 since
    # a2 ≤ 6): Cost 8 + 6 = 14.
    "depth_per_period": (_one(
        2,
        Settings=[["key", "value"], ["purchase_timing", "periods"]],
        Minerals=[["mineral", "price", "max_acquisition", "max_acquisition_per_period"],
                  ["ga", 1, 10, 6]],
        PricePath=[["mineral", "period", "price"], ["ga", "P1", 2]],
    ), 1.0, 14.0, {}),
    # Capacity with several orders: periods, n = 3, cap 10, S0 0, demand 10 each period.
    # S0 + Σ_{t'≤t} arr ≤ cap for every t caps the orders of the whole horizon at 10 t
    # (the planned level only grows; z ≤ cap alone would allow 10 t each period): at most
    # 10 of the 30 t of demand are covered, R* = 20/10 = 2. Prices 3, 2, 1: all 10 t in
    # P3 (a tonne covers one tonne of demand in any period): Cost 10.
    "capacity_several_orders": (_one(
        3,
        Settings=[["key", "value"], ["purchase_timing", "periods"]],
        Holdings=[["stockpile", "mineral", "max_stock"], ["nds", "ga", 10]],
        PricePath=[["mineral", "period", "price"], ["ga", "P1", 3], ["ga", "P2", 2],
                   ["ga", "P3", 1]],
    ), 2.0, 10.0, {}),
    # Holding from arrival: periods, n = 4, lead 1, hold 1, price 1, demand 10 in P4
    # only; joint stockpile, shares US 0.25 / EU 0.75. Orders of P1-P3 exist (P4 + 1 > 4)
    # and cost 1 + (4 − t − 1 + 1)·1 = 5 − t: the P3 order at 2: R* = 0, Cost 20
    # (US pays 5, EU 15).
    "holding_from_arrival": (_one(
        4,
        Settings=[["key", "value"], ["purchase_timing", "periods"]],
        Parties=[["party"], ["US"], ["EU"]],
        Minerals=[["mineral", "price", "lead_time"], ["ga", 1, 1]],
        Stockpiles=[["stockpile", "party", "cost_share"], ["joint", "US", 0.25],
                    ["joint", "EU", 0.75]],
        Holdings=[["stockpile", "mineral", "holding_cost"], ["joint", "ga", 1]],
        Demand=[["party", "mineral", "period", "demand"], ["US", "ga", "P4", 10]],
    ), 0.0, 20.0, {}),
    # PeriodBudgets, fees in period 1, a party in EUR. periods, n = 2, price 1, lead 0.
    # US: demand 10 per period, hold 0, offtake o (drc, fee 1 per t/period, price 0, max
    #   10), rows P1 5 and P2 5 (USD). F_{US,1} = x + a1, F_{US,2} = a2 (the fee in P1
    #   only). P2 needs x + (a1 − r1) + a2 ≥ 10 with a2 ≤ 5, so x + a1 − r1 ≥ 5 and with
    #   x + a1 ≤ 5: r1 = 0 and the P1 shortfall is 10 − x: x = 5, a1 = 0, a2 = 5 uniquely;
    #   L_US = 5/10 = 0.5. Cost 5 + 5 = 10. (Were the fee charged in P2 as well, P2
    #   would lose 5 more.)
    # EU: EUR at EUR=2, demand 10 in P2 only, hold 1, row P2 4 EUR = 8 USD. An order of
    #   P1 costs F_{EU,1} 1 + 1 and F_{EU,2} 1 (its holding in P2); one of P2 costs 2 in
    #   P2. a1 + 2·a2 ≤ 8: at most 8 t (a1 = 8, a2 = 0): L_EU = 0.2. Cost 8·(1 + 2·1) = 24.
    # R* = 0.7 (one scenario), Cost 34. Duals (base units): US P1: +δ gives x + δ, −0.1δ;
    # −δ loses δ in P1 and δ in P2: [−0.2, −0.1]. US P2: [−0.1, 0]. EU P2: −0.1 per USD,
    # reported −0.2 per EUR.
    "period_budgets_fees_eur": ({
        "Settings": [["key", "value"], ["purchase_timing", "periods"],
                     ["exchange_rates", "EUR=2"]],
        "Periods": [["period"], ["P1"], ["P2"]],
        "Parties": [["party", "currency"], ["US", None], ["EU", "EUR"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"], ["eu", "EU"]],
        "Holdings": [["stockpile", "mineral", "holding_cost"], ["nds", "ga", 0],
                     ["eu", "ga", 1]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", None, 10],
                   ["EU", "ga", "P2", 10]],
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume", "fee"],
                     ["o", "US", "ga", "drc", 10, 1]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "PeriodBudgets": [["party", "period", "budget"], ["US", "P1", 5], ["US", "P2", 5],
                          ["EU", "P2", 4]],
    }, 0.7, 34.0, {("US", "P1"): (-0.2, -0.1), ("US", "P2"): (-0.1, 0.0),
                   ("EU", "P2"): (-0.2, -0.2)}),
    # from_period: periods, n = 3, prices 3, 2, 1; US demand 10 fully supplied (no risk),
    # floor 1 period of demand (Q = 10) from P2: S0 + Σ_{t'≤t} a ≥ 10 for t = 2, 3: the
    # cheapest is 10 t in P2: Cost 20 (from P1 it would be 30, from P3 10).
    "cover_from_period": (_one(
        3,
        Settings=[["key", "value"], ["purchase_timing", "periods"]],
        Supply=[["party", "mineral", "source", "volume"], ["US", "ga", "domestic", 10]],
        PricePath=[["mineral", "period", "price"], ["ga", "P1", 3], ["ga", "P2", 2],
                   ["ga", "P3", 1]],
        CoverTargets=[["target", "party", "mineral", "periods", "from_period"],
                      ["f", "US", "ga", 1, "P2"]],
    ), 0.0, 20.0, {}),
    # from_period under start with lead 1: the level is S0 = 2 in P1 and 2 + a from P2;
    # a stockpile floor of 0.5 periods (Q = 5) from P2 needs a = 3 at price 4: Cost 12.
    # (From P1 it cannot hold: see INFEASIBLE_CASES.) Demand fully supplied: R* = 0.
    "cover_from_period_lead": (_one(
        2,
        Minerals=[["mineral", "price", "lead_time"], ["ga", 4, 1]],
        Holdings=[["stockpile", "mineral", "initial_stock"], ["nds", "ga", 2]],
        Supply=[["party", "mineral", "source", "volume"], ["US", "ga", "domestic", 10]],
        CoverTargets=[["target", "stockpile", "mineral", "periods", "from_period"],
                      ["f", "nds", "ga", 0.5, "P2"]],
    ), 0.0, 12.0, {}),
    # Take-or-pay: n = 2, US demand 10 in P1 only; offtake o (drc, max 10, fee 1, price 2,
    # min_take 0.6) or stock at 5/t. Scenarios calm 0.5, ban 0.5 with drc at 0.5 in P2.
    # R* = 0 either way. A tonne/period of offtake costs fee 1 + P1 delivery 2 + in P2
    # the take-or-pay w ≥ 0.6·A·x − v (v = 0: nothing to use it for; taking delivery costs
    # the same): 0.5·2·0.6 + 0.5·2·0.3 = 0.9, total 3.9 < 5: x = 10.
    # Cost = 10 + 20 + 9 = 39. (Without min_take 30; with min_take 1: 1 + 2 + 1.5 = 4.5.)
    "take_or_pay": (_one(
        2,
        Minerals=[["mineral", "price"], ["ga", 5]],
        Demand=[["party", "mineral", "period", "demand"], ["US", "ga", "P1", 10]],
        Offtakes=[["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
                   "min_take"], ["o", "US", "ga", "drc", 10, 1, 2, 0.6]],
        Scenarios=[["scenario", "probability"], ["calm", 0.5], ["ban", 0.5]],
        Disruptions=[["scenario", "source", "mineral", "start_period", "availability"],
                     ["ban", "drc", "ga", "P2", 0.5]],
    ), 0.0, 39.0, {}),
    # Take-or-pay that changes the plan: min_take 1 and stock at 4/t: the offtake costs
    # 1 + 2 + 0.5·2·1 + 0.5·2·0.5 = 4.5 per t > 4: stock, a = 10: Cost 40.
    "take_or_pay_flips": (_one(
        2,
        Minerals=[["mineral", "price"], ["ga", 4]],
        Demand=[["party", "mineral", "period", "demand"], ["US", "ga", "P1", 10]],
        Offtakes=[["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
                   "min_take"], ["o", "US", "ga", "drc", 10, 1, 2, 1]],
        Scenarios=[["scenario", "probability"], ["calm", 0.5], ["ban", 0.5]],
        Disruptions=[["scenario", "source", "mineral", "start_period", "availability"],
                     ["ban", "drc", "ga", "P2", 0.5]],
    ), 0.0, 40.0, {}),
    # Section 5 with arrivals: joint stockpile (US 0.5, EU 0.5, access shares), periods,
    # n = 2, price 1, depth 20 in all and 10 per period; US demand 10 in P1, EU 10 in P2.
    # US may take 0.5·(arrivals so far) in P1: a1 ≤ 10 gives 5, L_US = 0.5. EU needs
    # 10 ≤ 0.5·(a1 + a2): a1 = a2 = 10, R* = 0.5, Cost 20. (With the orders of the whole
    # horizon in the P1 share, US could take 10: R* = 0.)
    "shares_with_arrivals": ({
        "Settings": [["key", "value"], ["purchase_timing", "periods"]],
        "Periods": [["period"], ["P1"], ["P2"]],
        "Parties": [["party"], ["US"], ["EU"]],
        "Minerals": [["mineral", "price", "max_acquisition", "max_acquisition_per_period"],
                     ["ga", 1, 20, 10]],
        "Stockpiles": [["stockpile", "party", "cost_share", "access"],
                       ["joint", "US", 0.5, "shares"], ["joint", "EU", 0.5, "shares"]],
        "Holdings": [["stockpile", "mineral"], ["joint", "ga"]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", "P1", 10],
                   ["EU", "ga", "P2", 10]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
    }, 0.5, 20.0, {}),
}


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_hand_case(name: str, tmp_path: Path) -> None:
    sheets, risk, cost, duals = HAND_CASES[name]
    got = check(sheets, tmp_path, name, duals="all")
    ref = got["ref"]
    assert ref.status == "optimal", ref.status
    assert ref.risk == pytest.approx(risk, abs=1e-7)
    # phase 2 may spend the 1e-7·max(1, R*) relaxation of R* on cost
    assert ref.cost == pytest.approx(cost, rel=1e-5, abs=1e-5)
    data = got["data"]
    for route, res in got["theirs"].items():
        assert res is not None, route
        assert res.risk == pytest.approx(risk, abs=1e-7), route
        assert res.cost == pytest.approx(cost, rel=1e-5, abs=1e-5), route
        for (p, label), (lo, hi) in duals.items():
            reported = res.period_budget_shadow_price[p][label]
            assert lo - 1e-6 <= reported <= hi + 1e-6, (route, p, label, reported)
        if name == "price_path_start":
            assert res.budget_shadow_price["US"] == pytest.approx(-0.05, rel=1e-6)
    if name == "period_budgets_fees_eur":
        assert data.period_budgets == {("US", 1): 5.0, ("US", 2): 5.0, ("EU", 2): 8.0}
        assert data.period_budgets_entered[("EU", 2)] == 4.0
        # our own dual intervals, by finite differences, are the hand ones (base units)
        for (p, label), (lo, hi) in duals.items():
            t = data.periods.index(label) + 1
            got_lo, got_hi = budget_dual_interval(data, p, ref.risk, period=t)
            rate = data.rate(p)
            assert got_lo * rate == pytest.approx(lo, abs=1e-6), (p, label)
            assert got_hi * rate == pytest.approx(hi, abs=1e-6), (p, label)


INFEASIBLE_CASES = {
    # cover_from_period_lead with the floor from P1: the level in P1 is S0 = 2 < 5
    # whatever is ordered (the order arrives in P2).
    "cover_before_arrival": _one(
        2,
        Minerals=[["mineral", "price", "lead_time"], ["ga", 4, 1]],
        Holdings=[["stockpile", "mineral", "initial_stock"], ["nds", "ga", 2]],
        Supply=[["party", "mineral", "source", "volume"], ["US", "ga", "domestic", 10]],
        CoverTargets=[["target", "stockpile", "mineral", "periods"],
                      ["f", "nds", "ga", 0.5]],
    ),
    # A floor of 5 t from P1 under periods, with PeriodBudgets P1 3 at price 1: at most
    # 3 t by P1.
    "cover_over_period_budget": _one(
        2,
        Settings=[["key", "value"], ["purchase_timing", "periods"]],
        CoverTargets=[["target", "party", "mineral", "periods"], ["f", "US", "ga", 0.5]],
        PeriodBudgets=[["party", "period", "budget"], ["US", "P1", 3]],
    ),
}


@pytest.mark.parametrize("name", sorted(INFEASIBLE_CASES))
def test_infeasible_case(name: str, tmp_path: Path) -> None:
    got = check(INFEASIBLE_CASES[name], tmp_path, name)
    assert got["ref"].infeasible, got["ref"].status
    assert all(res is None for res in got["theirs"].values())


@pytest.mark.parametrize("name", ["us_eu_example.xlsx", "us_eu_policy.xlsx"])
def test_bundled_workbook(name: str, tmp_path: Path) -> None:
    """The bundled workbooks plan over time (purchase_timing periods, lead times,
    PeriodBudgets in USD and EUR; the policy one with cover floors from 2028). Their period
    budgets do not bind, so no dual intervals (each would cost two solves of seconds)."""
    path = tmp_path / name
    shutil.copyfile(ROOT / "inputs" / name, path)
    got = check_raw(read_sheets(path), path if reader_merged() else None, duals="none")
    assert got["data"].purchase_timing == "periods"
    assert got["ref"].status == "optimal", got["ref"].status


# --------------------------------------------------------------------------------------
# Random workbooks with schedules
# --------------------------------------------------------------------------------------

def _set_column(rows: list[list], column: str, values: list[object]) -> list[list]:
    """``rows`` (header first) with ``column`` appended holding ``values`` (one per row)."""
    return [[*rows[0], column]] + [[*r, v] for r, v in zip(rows[1:], values, strict=True)]


def add_random_schedules(sheets: dict[str, list[list]], seed: int,
                         tons: float = 1.0) -> dict[str, list[list]]:
    """``sheets`` plus random section 6-7 inputs (a separate random stream): Settings
    purchase_timing (mostly periods, in any case, or start stated), Minerals lead_time
    0-2 and max_acquisition_per_period (some blank; ``tons`` the workbook's unit of
    volume), PricePath rows around the Minerals price, Offtakes min_take, CoverTargets
    from_period, and now and then a party budgeting in EUR."""
    rng = random.Random(6_151 * seed + 17)
    out = {name: [list(r) for r in rows] for name, rows in sheets.items()}
    labels = [r[0] for r in out["Periods"][1:]]
    n = len(labels)

    def maybe(p: float, value: object) -> object:
        return value if rng.random() < p else None

    timing = rng.choice(["periods", "periods", "Periods", " PERIODS ", "start", None])
    if timing is not None:
        out["Settings"].append(["purchase_timing", timing])
    minerals = out["Minerals"]
    leads = [rng.choice([None, 0, 1, 1, 2]) for _ in minerals[1:]]
    out["Minerals"] = _set_column(minerals, "lead_time", leads)
    out["Minerals"] = _set_column(out["Minerals"], "max_acquisition_per_period",
                                  [maybe(0.4, rng.randint(2, 15) * tons)
                                   for _ in minerals[1:]])
    rows = [["mineral", "period", "price"]]
    for m, price, *_ in minerals[1:]:
        for lab in labels:
            if rng.random() < 0.5:
                rows.append([m, lab, round(price * rng.choice([0.3, 0.7, 1.3, 2.5]), 4)])
    if len(rows) > 1:
        out["PricePath"] = rows
    out["Offtakes"] = _set_column(out["Offtakes"], "min_take",
                                  [maybe(0.6, rng.choice([0, 0.25, 0.5, 1]))
                                   for _ in out["Offtakes"][1:]])
    if "CoverTargets" in out:
        first_arrival = 1 + max([v or 0 for v in leads])
        out["CoverTargets"] = _set_column(
            out["CoverTargets"], "from_period",
            [maybe(0.7, labels[min(n, rng.randint(first_arrival, n + 1)) - 1])
             for _ in out["CoverTargets"][1:]])
    if rng.random() < 0.3:
        parties = [r[0] for r in out["Parties"][1:]]
        eur = rng.choice(parties)
        out["Parties"] = _set_column(out["Parties"], "currency",
                                     ["EUR" if p == eur else maybe(0.3, "USD")
                                      for p in parties])
        out["Settings"].append(["exchange_rates", "EUR=1.25"])
    return out


def add_period_budgets(sheets: dict[str, list[list]], seed: int) -> dict[str, list[list]]:
    """PeriodBudgets rows that bind: our phase-2 plan's F_{p,t} for a few (p, t) with
    positive spend, times 0.3-0.9 (now and then 1.5, slack; or 0), in the party's
    currency (at least 1 unless 0, as the workbook rules ask). Unchanged when our plan
    is infeasible."""
    rng = random.Random(3_571 * seed + 29)
    data = data_from_sheets(sheets_from_lists(sheets))
    ref = solve_independent(data)
    if ref.status != "optimal":
        return sheets
    spent = sorted(pt for pt, f in ref.period_spend.items() if f > 1e-6)
    if not spent:
        return sheets
    rows = [["party", "period", "budget"]]
    for p, t in rng.sample(spent, rng.randint(1, min(3, len(spent)))):
        w = rng.choice([0.3, 0.6, 0.6, 0.9, 0.9, 1.5, 0])
        # (a budget is 0 or at least 1, in the party's currency)
        b = round(w * ref.period_spend[(p, t)] / data.rate(p), 6)
        rows.append([p, data.periods[t - 1] if rng.random() < 0.5
                     else sheets["Periods"][t][0], 0 if b == 0 else max(1.0, b)])
    out = dict(sheets)
    out["PeriodBudgets"] = rows
    return out


def random_schedule_sheets(seed: int) -> dict[str, list[list]]:
    sheets = random_sheets(seed)
    if seed % 3 == 1:
        sheets = add_random_levers(sheets, seed)
    tons = 1.0
    if seed % 4 == 3:
        tons = 1e3
        sheets = rescale(sheets, tons, 1e3)
    sheets = add_period_budgets(add_random_schedules(sheets, seed, tons), seed)
    if seed % 5 == 2:
        sheets = scramble(sheets, seed)
    return sheets


@pytest.mark.parametrize("seed", range(N_RANDOM_SCHEDULES))
def test_random_schedules_agree(seed: int, tmp_path: Path) -> None:
    check(random_schedule_sheets(seed), tmp_path, f"sched{seed}")


def v1_explicit(sheets: dict[str, list[list]]) -> dict[str, list[list]]:
    """The same v1 workbook with purchase_timing = start stated, Minerals lead_time 0 and
    PricePath rows for period 1 at the Minerals price."""
    out = {name: [list(r) for r in rows] for name, rows in sheets.items()}
    out["Settings"].append(["purchase_timing", "start"])
    minerals = out["Minerals"]
    out["Minerals"] = _set_column(minerals, "lead_time", [0] * (len(minerals) - 1))
    first = out["Periods"][1][0]
    out["PricePath"] = [["mineral", "period", "price"]] + [[m, first, price]
                                                           for m, price, *_ in minerals[1:]]
    return out


@pytest.mark.parametrize("seed", range(N_V1_EQUIVALENCE))
def test_v1_equivalence_bit_identical(seed: int, tmp_path: Path) -> None:
    plain = random_sheets(200 + seed)
    if seed % 2 == 1:
        plain = add_random_levers(plain, 200 + seed)
    explicit = v1_explicit(plain)
    a = check(plain, tmp_path, f"v1plain{seed}", duals="none")
    b = check(explicit, tmp_path, f"v1explicit{seed}", duals="none")
    assert b["data"].price_path and b["data"].purchase_timing == "start"
    assert a["theirs"].keys() == b["theirs"].keys()
    for route in a["theirs"]:
        ra, rb = a["theirs"][route], b["theirs"][route]
        assert (ra is None) == (rb is None), route
        if ra is not None:
            assert (ra.risk, ra.cost) == (rb.risk, rb.cost), (route, ra.risk, rb.risk,
                                                                ra.cost, rb.cost)
