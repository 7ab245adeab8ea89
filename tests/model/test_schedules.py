"""Purchases over time and take-or-pay (FORMULATION-v2 sections 6 and 7), by hand.

Every instance has one party US and one mineral g (price 1 per t) held in one stockpile
nds; scenarios 'calm' and 'cut' (π 0.5 each), supply from source x cut to 0 in 'cut' in
the periods named. With λ = 0.5 and α = 0.9 the CVaR is the loss in 'cut' and E = 0.5·L,
so R = 0.25·L_cut + 0.5·L_cut = 0.75·L_cut. The schedule settings are set on the loaded
data (``dataclasses.replace``), so these tests exercise the model alone. Costs and
tonnes are compared at 1e-6: phase 2 may use the contract's R ≤ R* + 1e-7·max(1, R*) to
buy a little less (2.7e-7 t here).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from workbooks import write_workbook

import stockopt
from stockopt.data import ModelData, Offtake


def base(tmp_path: Path, *, periods: int, demand: float, cut: list[int],
         budget: float | None = None, holding_cost: float = 0.0) -> ModelData:
    """The instance of the module docstring with ``periods`` periods (2027, ...), US
    demand ``demand`` t/period met by supply from x, cut to 0 in 'cut' in periods ``cut``
    (1-based)."""
    labels = [2027 + i for i in range(periods)]
    sheets = {
        "Periods": [["period"]] + [[p] for p in labels],
        "Parties": [["party", "budget"], ["US", budget]],
        "Minerals": [["mineral", "price"], ["g", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
        "Holdings": [["stockpile", "mineral", "holding_cost"], ["nds", "g", holding_cost]],
        "Demand": [["party", "mineral", "demand"], ["US", "g", demand]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "g", "x", demand]],
        "Scenarios": [["scenario", "probability"], ["calm", 0.5], ["cut", 0.5]],
        "Disruptions": [["scenario", "source", "mineral", "start_period", "end_period",
                         "availability"]] + [["cut", "x", "g", labels[t - 1], labels[t - 1], 0]
                                             for t in cut],
    }
    data = stockopt.load(write_workbook(tmp_path / "w.xlsx", sheets)).data
    assert data.risk_weight == 0.5 and data.cvar_alpha == 0.9
    return data


def orders(result: stockopt.Results) -> dict[str, float]:
    """Tonnes ordered by order period (label), orders above 1e-5 t (the relaxations of
    phases 2 and 3 leave crumbs of 1e-7 t)."""
    return {str(r["period"]): r["tonnes"] for r in result.purchases if r["tonnes"] > 1e-5}


def test_period_budgets_spread_the_purchase(tmp_path: Path) -> None:
    """3 periods, demand 2 t/period, cut in period 3 only; lead time 1 (an order of period
    t arrives in t + 1, so orders are possible in periods 1 and 2 only); PeriodBudgets 1
    per period. 2 t are needed in period 3 and each period's budget buys 1 t: one order
    in each of periods 1 and 2 (unique), R* = 0, cost 2."""
    data = base(tmp_path, periods=3, demand=2, cut=[3])
    data = dataclasses.replace(data, purchase_timing="periods", lead_time={"g": 1},
                               period_budgets={("US", t): 1.0 for t in (1, 2, 3)})
    r = stockopt.solve(data)
    assert r.risk == pytest.approx(0.0, abs=1e-9)
    assert r.cost == pytest.approx(2.0, rel=1e-6)
    assert orders(r) == pytest.approx({"2027": 1.0, "2028": 1.0}, rel=1e-6)
    assert r.summary_dict()["purchases"][0] == {"stockpile": "nds", "mineral": "g",
                                                "period": "2027", "tonnes": pytest.approx(1.0)}


def test_binding_period_budgets_have_shadow_prices(tmp_path: Path) -> None:
    """As above with PeriodBudgets 0.5: 1 t arrives by period 3, 1 t of the 2 is short in
    'cut': L_cut = 1/2, R* = 0.75·0.5 = 0.375. One more unit of money in period 1 or 2
    buys 1 t more, cutting L_cut by 1/2 and R by 0.375: ∂R*/∂B_{US,t} = −0.375 for t = 1,
    2; period 3 (no order can be placed then) 0."""
    data = base(tmp_path, periods=3, demand=2, cut=[3])
    data = dataclasses.replace(data, purchase_timing="periods", lead_time={"g": 1},
                               period_budgets={("US", t): 0.5 for t in (1, 2, 3)})
    r = stockopt.solve(data)
    assert r.risk == pytest.approx(0.375, rel=1e-9)
    prices = r.summary_dict()["period_budget_shadow_price"]["US"]
    assert prices["2027"] == pytest.approx(-0.375, rel=1e-7)
    assert prices["2028"] == pytest.approx(-0.375, rel=1e-7)
    assert prices["2029"] == pytest.approx(0.0, abs=1e-12)


def test_a_lead_time_delays_even_a_start_purchase(tmp_path: Path) -> None:
    """2 periods, demand 1, cut in both; purchase_timing start with lead time 1: the
    period-1 order arrives in period 2, so period 1's tonne is lost whatever is bought:
    L_cut = 1, R* = 0.75, and 1 t is bought (cost 1). Without the lead time both periods
    are covered: R* = 0, cost 2."""
    data = base(tmp_path, periods=2, demand=1, cut=[1, 2])
    late = stockopt.solve(dataclasses.replace(data, lead_time={"g": 1}))
    assert late.risk == pytest.approx(0.75, rel=1e-9)
    assert late.cost == pytest.approx(1.0, rel=1e-6)
    on_time = stockopt.solve(data)
    assert on_time.risk == pytest.approx(0.0, abs=1e-9)
    assert on_time.cost == pytest.approx(2.0, rel=1e-6)
    table = late.tables["orders"]
    assert list(table["arrival_period"]) == ["2028"]


def test_per_period_market_depth(tmp_path: Path) -> None:
    """2 periods, demand 3, cut in period 2; orders in both periods, at most 1 t each
    (max_acquisition_per_period): 2 t arrive by period 2, 1 t short: L_cut = 1/3,
    R* = 0.25. Without the per-period depth: 3 t, R* = 0."""
    data = base(tmp_path, periods=2, demand=3, cut=[2])
    data = dataclasses.replace(data, purchase_timing="periods")
    capped = stockopt.solve(dataclasses.replace(data, max_acquisition_per_period={"g": 1.0}))
    assert capped.risk == pytest.approx(0.25, rel=1e-9)
    assert orders(capped) == pytest.approx({"2027": 1.0, "2028": 1.0}, rel=1e-6)
    assert stockopt.solve(data).risk == pytest.approx(0.0, abs=1e-9)


def test_holding_is_charged_from_arrival(tmp_path: Path) -> None:
    """3 periods, demand 1, cut in period 3, holding 0.1 per t per period. An order of
    period t costs 1 + (3 − t + 1)·0.1: 1.3, 1.2, 1.1. Under ``periods`` the cheapest
    plan orders 1 t in period 3: cost 1.1; under ``start`` (v1): 1 + 3·0.1 = 1.3."""
    data = base(tmp_path, periods=3, demand=1, cut=[3], holding_cost=0.1)
    assert stockopt.solve(data).cost == pytest.approx(1.3, rel=1e-6)
    r = stockopt.solve(dataclasses.replace(data, purchase_timing="periods"))
    assert r.risk == pytest.approx(0.0, abs=1e-9)
    assert r.cost == pytest.approx(1.1, rel=1e-6)
    assert orders(r) == pytest.approx({"2029": 1.0}, rel=1e-6)


def test_price_path_moves_the_order(tmp_path: Path) -> None:
    """As the holding test without holding cost, with PricePath 0.8 in period 2: the
    order moves to period 2 (cost 0.8)."""
    data = base(tmp_path, periods=3, demand=1, cut=[3])
    r = stockopt.solve(dataclasses.replace(data, purchase_timing="periods",
                                           price_path={("g", 2): 0.8}))
    assert r.cost == pytest.approx(0.8, rel=1e-6)
    assert orders(r) == pytest.approx({"2028": 1.0}, rel=1e-6)


def test_take_or_pay(tmp_path: Path) -> None:
    """1 period, demand 1, supply from x cut in 'cut'; no stockpile budget (price 1e6 per
    t keeps the stockpile out) but an offtake from y (never cut) of up to 1 t/period at 2
    per t delivered. R* = 0 with x = 1 (delivering 1 t in 'cut'). As a call option (v1)
    the calm year takes nothing: cost 0.5·2 = 1. With min_take 0.5 the calm year pays for
    0.5 t anyway: cost 0.5·2 + 0.5·(0.5·2) = 1.5."""
    data = base(tmp_path, periods=1, demand=1, cut=[1], budget=0.0)
    offtake = Offtake(party="US", mineral="g", source="y", max_volume=1.0, fee=0.0, price=2.0,
                      first_period=1)
    option = dataclasses.replace(data, offtakes={"o": offtake})
    r = stockopt.solve(option)
    assert (r.risk, r.cost) == (pytest.approx(0.0, abs=1e-9), pytest.approx(1.0, rel=1e-6))
    paid = dataclasses.replace(option, offtakes={"o": dataclasses.replace(offtake,
                                                                          min_take=0.5)})
    r = stockopt.solve(paid)
    assert r.risk == pytest.approx(0.0, abs=1e-9)
    assert r.cost == pytest.approx(1.5, rel=1e-6)


def test_cover_floor_from_a_later_period(tmp_path: Path) -> None:
    """3 periods, no disruption, price 1, holding 0.1: a floor of 1 t from period 3 on is
    met most cheaply by ordering in period 3 (cost 1.1); from period 1 it needs an order
    in period 1 (cost 1.3)."""
    from stockopt.data import CoverTarget

    data = base(tmp_path, periods=3, demand=1, cut=[], holding_cost=0.1)
    floor = CoverTarget(party="US", stockpile=None, mineral="g", periods=1.0, basis="demand",
                        domestic_sources=(), required=1.0, from_period=3)
    data = dataclasses.replace(data, purchase_timing="periods", cover_targets={"f": floor})
    assert stockopt.solve(data).cost == pytest.approx(1.1, rel=1e-6)
    early = dataclasses.replace(data, cover_targets={"f": dataclasses.replace(floor,
                                                                             from_period=1)})
    assert stockopt.solve(early).cost == pytest.approx(1.3, rel=1e-6)
