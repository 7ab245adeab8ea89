"""Small instances whose optimum is derived by hand, at least one per lever.

Each test builds its workbook from Python data, solves it through the real pipeline
(load → build → solve → extract) and compares with the derivation in its docstring.
Unless stated, λ = 0 (risk = expected loss) to keep the arithmetic short. The phase-2
risk bound R ≤ R* + 1e-7·max(1, |R*|) lets the cost fall by a few millionths of a unit
below the exact lexicographic optimum, so costs are compared with rel = 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from workbooks import minimal_sheets, write_workbook

from stockopt.api import solve as solve_workbook
from stockopt.model.risk import exact_cvar
from stockopt.results.extract import Results
from stockopt.workbook.normalize import load

ROUTE = {"algorithm": "simplex", "builder": "arrays"}


@pytest.fixture(autouse=True, params=[("simplex", "arrays"), ("ipx", "pyomo")],
                ids=["simplex-arrays", "ipx-pyomo"])
def route(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Every hand-derived case runs on both model builders and both phase-1 algorithms."""
    ROUTE["algorithm"], ROUTE["builder"] = request.param
    return request.param


def solve_sheets(tmp_path: Path, sheets: dict, name: str = "case.xlsx") -> Results:
    loaded = load(write_workbook(tmp_path / name, sheets))
    assert loaded.data is not None, [p.message for p in loaded.problems.items]
    return solve_workbook(loaded.data, builder=ROUTE["builder"],
                           algorithm=ROUTE["algorithm"])


def one_party(demand: float = 10.0, periods: int = 1, lam: float = 0.0, budget=None,
              price: float = 1.0) -> dict:
    """US demands ``demand`` t/period of 'ga'; its only supply (china, 10 t) is cut to 0
    in the single scenario 'cut' (probability 1). National stockpile 'nds' holds 'ga'."""
    return {
        "Settings": [["key", "value"], ["risk_weight", lam]],
        "Periods": [["period"]] + [[f"P{t}"] for t in range(1, periods + 1)],
        "Parties": [["party", "budget"], ["US", budget]],
        "Minerals": [["mineral", "price"], ["ga", price]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", demand]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "china", demand]],
        "Scenarios": [["scenario", "probability"], ["cut", 1]],
        "Disruptions": [["scenario", "source", "mineral", "availability"],
                        ["cut", "china", "ga", 0]],
    }


def test_budget_buys_part_of_the_demand(tmp_path: Path) -> None:
    """Demand 10 t/period for 2 periods; supply cut to 0 in 'ban' (π = 0.5), intact in
    'calm'; price 1, budget 5, λ = 0.5, α = 0.9.

    The budget buys a = 5 t, released in 'ban': loss L_ban = (20 − 5)/10 = 1.5 periods,
    L_calm = 0. Expected loss 0.75; the CVaR at α = 0.9 is the mean of the worst 10 %,
    all inside 'ban': 1.5. R* = 0.5·0.75 + 0.5·1.5 = 1.125. Cost = spend = 5.
    One more unit of money buys 1 t more: L_ban falls by 0.1, E[L] by 0.05, CVaR by 0.1,
    so ∂R*/∂B = −(0.5·0.05 + 0.5·0.1) = −0.075.
    """
    r = solve_sheets(tmp_path, minimal_sheets())
    assert r.status == "optimal"
    assert r.risk == pytest.approx(1.125, abs=1e-9)
    assert r.cost == pytest.approx(5.0, rel=1e-6)
    assert r.expected_loss == pytest.approx(0.75, abs=1e-6)
    assert r.cvar == pytest.approx(1.5, abs=1e-6)
    assert r.spend["US"] == pytest.approx(5.0, rel=1e-6)
    assert r.budget_shadow_price["US"] == pytest.approx(-0.075, abs=1e-9)
    assert r.tables["purchases"].loc[0, "purchase"] == pytest.approx(5.0, rel=1e-6)


def test_joint_stockpile_cost_shares_split_spend(tmp_path: Path) -> None:
    """A joint stockpile with shares US 0.6, EU 0.4; price 2; US budget 6, EU unlimited.

    US pays 0.6·2·a ≤ 6, so a ≤ 5; US demand 10 is fully cut: L = (10 − a)/10 = 0.5.
    Spend: US 0.6·2·5 = 6, EU 0.4·2·5 = 4; cost 10. The US budget binds: one more unit
    buys 1/1.2 t, lowering L by 1/12, so ∂R*/∂B_US = −1/12; EU has no budget: 0.
    """
    s = one_party(price=2.0)
    s["Parties"] = [["party", "budget"], ["US", 6], ["EU", None]]
    s["Stockpiles"] = [["stockpile", "party", "cost_share"], ["joint", "US", 0.6],
                       ["joint", "EU", 0.4]]
    s["Holdings"] = [["stockpile", "mineral"], ["joint", "ga"]]
    r = solve_sheets(tmp_path, s)
    assert r.risk == pytest.approx(0.5, abs=1e-9)
    assert r.spend["US"] == pytest.approx(6.0, rel=1e-6)
    assert r.spend["EU"] == pytest.approx(4.0, rel=1e-6)
    assert r.cost == pytest.approx(10.0, rel=1e-6)
    assert r.budget_shadow_price["US"] == pytest.approx(-1 / 12, abs=1e-9)
    assert r.budget_shadow_price["EU"] == 0.0


def test_offtake_with_disrupted_origin(tmp_path: Path) -> None:
    """No supply; demand 10. Offtake from 'australia': up to 8 t/period, fee 1 per
    t/period, delivered price 3. 'calm' (π 0.5) gets everything through, 'cut' (π 0.5)
    25 % of the Australian flow. Budget 100 does not bind.

    x = 8 (each unit of capacity lowers E[L] by 0.5·0.1 + 0.5·0.025 > 0).
    calm: v = 8, L = 0.2; cut: v = 2, L = 0.8; R* = E[L] = 0.5.
    Cost = fee 8 + E[3·v] = 8 + 0.5·24 + 0.5·6 = 23.
    """
    s = one_party(budget=100)
    s["Supply"] = [["party", "mineral", "source", "volume"]]
    s["Disruptions"] = [["scenario", "source", "mineral", "availability"],
                        ["cut", "australia", "ga", 0.25]]
    s["Scenarios"] = [["scenario", "probability"], ["calm", 0.5], ["cut", 0.5]]
    s["Holdings"] = [["stockpile", "mineral", "max_stock"], ["nds", "ga", 0]]
    s["Offtakes"] = [["offtake", "party", "mineral", "source", "max_volume", "fee", "price"],
                     ["aus", "US", "ga", "australia", 8, 1, 3]]
    r = solve_sheets(tmp_path, s)
    assert r.risk == pytest.approx(0.5, abs=1e-9)
    assert r.cost == pytest.approx(23.0, rel=1e-6)
    losses = r.tables["scenario_losses"].set_index("scenario")["loss"]
    assert losses["calm"] == pytest.approx(0.2, abs=1e-6)
    assert losses["cut"] == pytest.approx(0.8, abs=1e-6)
    assert r.tables["offtakes"].loc[0, "capacity"] == pytest.approx(8.0, rel=1e-6)


def test_offtake_first_period(tmp_path: Path) -> None:
    """Two periods, demand 10 each, no supply, no stockpile; an offtake of 10 t/period
    (free) delivers only from period P2 on. Period P1 is fully short: L = 10/10 = 1."""
    s = one_party(periods=2)
    s["Supply"] = [["party", "mineral", "source", "volume"]]
    s["Disruptions"] = [s["Disruptions"][0]]  # nothing is supplied, nothing to disrupt
    s["Holdings"] = [["stockpile", "mineral", "max_stock"], ["nds", "ga", 0]]
    s["Offtakes"] = [["offtake", "party", "mineral", "source", "max_volume", "first_period"],
                     ["late", "US", "ga", "canada", 10, "P2"]]
    r = solve_sheets(tmp_path, s)
    assert r.risk == pytest.approx(1.0, abs=1e-9)
    deliveries = r.tables["offtake_deliveries"]
    assert set(deliveries["period"]) == {"P2"}
    assert deliveries["delivery"].sum() == pytest.approx(10.0, rel=1e-6)


def _swap_case(demand_period: str, ga_supply: float = 10.0, ga_cap=None,
               ga_release=None) -> dict:
    """EU needs 5 t of 'ge' in one period and has none; the US stockpile 'us_nds' holds
    10 t of ge (US budget 0: nothing can be bought). Swap 'w': EU draws ge from us_nds,
    returns 1.05 t of 'ga' per t one period later; capacity up to 5 t, fee 2 per t. EU
    has ``ga_supply`` t/period of domestic ga to repay with and no ga demand."""
    return {
        "Settings": [["key", "value"], ["risk_weight", 0]],
        "Periods": [["period"], ["P1"], ["P2"], ["P3"]],
        "Parties": [["party", "budget"], ["US", 0], ["EU", 100]],
        "Minerals": [["mineral", "price"], ["ge", 50], ["ga", 100]],
        "Stockpiles": [["stockpile", "party"], ["us_nds", "US"]],
        "Holdings": [["stockpile", "mineral", "initial_stock", "max_stock", "max_release"],
                     ["us_nds", "ge", 10, None, None], ["us_nds", "ga", 0, ga_cap, ga_release]],
        "Demand": [["party", "mineral", "period", "demand"], ["EU", "ge", demand_period, 5]],
        "Supply": [["party", "mineral", "source", "volume"], ["EU", "ga", "domestic", ga_supply]],
        "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "return_mineral",
                   "return_ratio", "return_lag", "max_volume", "fee"],
                  ["w", "us_nds", "EU", "ge", "ga", 1.05, 1, 5, 2]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
    }


def test_cross_mineral_swap_with_lag_and_ratio(tmp_path: Path) -> None:
    """Demand in P1: EU draws f = 5 t of ge in P1 (L = 0) and returns 1.05·5 = 5.25 t
    of ga in P2, out of its domestic ga (10 t) and into us_nds's ga stock.
    R* = 0; cost = fee 2·5 = 10 (the return falls inside the horizon). With releases of
    ga from us_nds blocked (max_release 0), the returned 5.25 t stay in its ga stock."""
    r = solve_sheets(tmp_path, _swap_case("P1", ga_release=0))
    assert r.risk == pytest.approx(0.0, abs=1e-9)
    assert r.cost == pytest.approx(10.0, rel=1e-6)
    levels = r.tables["stock_levels"].set_index(["stockpile", "mineral", "period"])["stock_level"]
    assert levels["us_nds", "ga", "P2"] == pytest.approx(5.25, rel=1e-6)
    assert levels["us_nds", "ga", "P3"] == pytest.approx(5.25, rel=1e-6)
    draws = r.tables["swap_draws"]
    assert draws["draw"].sum() == pytest.approx(5.0, rel=1e-6)
    assert draws["outstanding_at_end"].sum() == 0.0
    assert list(draws["return_period"]) == ["P2"]


def test_swap_return_past_the_horizon_is_valued(tmp_path: Path) -> None:
    """Demand in P3 (the last period): the draw f = 5 in P3 is due in P4, after the
    horizon: 5.25 t of ga outstanding, valued at price[ga] = 100: 525.
    R* = 0; cost = fee 10 + 525 = 535."""
    r = solve_sheets(tmp_path, _swap_case("P3"))
    assert r.risk == pytest.approx(0.0, abs=1e-9)
    assert r.cost == pytest.approx(535.0, rel=1e-6)
    draws = r.tables["swap_draws"]
    assert draws["outstanding_at_end"].sum() == pytest.approx(5.25, rel=1e-6)
    assert draws["outstanding_value"].sum() == pytest.approx(525.0, rel=1e-6)


def test_swap_return_must_come_from_real_inflows(tmp_path: Path) -> None:
    """As the P1 case, but EU has no ga at all: the P2 return of ga cannot be covered
    (there is no ga demand, so no shortfall to hide it in), so no draw is possible and
    all 5 t are short: L = 5/5 = 1."""
    r = solve_sheets(tmp_path, _swap_case("P1", ga_supply=0.0))
    assert r.risk == pytest.approx(1.0, abs=1e-9)


def test_swap_return_cannot_overfill_the_lender(tmp_path: Path) -> None:
    """As the P1 case, but us_nds can hold at most 3 t of ga and may release none (a
    member could otherwise take the surplus out at once): the return 1.05·f ≤ 3,
    f ≤ 2.857…; shortfall 5 − 3/1.05, L = (5 − 3/1.05)/5 = 0.428571…"""
    r = solve_sheets(tmp_path, _swap_case("P1", ga_cap=3, ga_release=0))
    assert r.risk == pytest.approx((5 - 3 / 1.05) / 5, abs=1e-9)


def test_cvar_with_full_risk_weight_picks_the_tail(tmp_path: Path) -> None:
    """Two minerals A and B, demand 10 each, one period; A is cut in s1 (π 0.7), B in s2
    (π 0.3). Price 1, budget 10, so a_A + a_B = 10 and L1 = a_B/10, L2 = a_A/10.

    λ = 0: minimize 0.7·L1 + 0.3·L2: buy all A: R* = 0.3.
    λ = 1, α = 0.5: CVaR averages the worst half of probability. If L2 ≥ L1 the tail is
    s2 plus 0.2 of s1: (0.3 L2 + 0.2 L1)/0.5 = 0.4 + 0.2·L2 with L1 = 1 − L2, least at
    L2 = 0.5; if L1 ≥ L2 it is L1, least at 0.5. So R* = 0.5 with a_A = a_B = 5, and the
    expected loss of that plan is 0.5 too.
    """
    def sheets(lam: float) -> dict:
        return {
            "Settings": [["key", "value"], ["risk_weight", lam], ["cvar_alpha", 0.5]],
            "Periods": [["period"], ["P1"]],
            "Parties": [["party", "budget"], ["US", 10]],
            "Minerals": [["mineral", "price"], ["A", 1], ["B", 1]],
            "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
            "Holdings": [["stockpile", "mineral"], ["nds", "A"], ["nds", "B"]],
            "Demand": [["party", "mineral", "demand"], ["US", "A", 10], ["US", "B", 10]],
            "Supply": [["party", "mineral", "source", "volume"], ["US", "A", "x", 10],
                       ["US", "B", "y", 10]],
            "Scenarios": [["scenario", "probability"], ["s1", 0.7], ["s2", 0.3]],
            "Disruptions": [["scenario", "source", "mineral", "availability"],
                            ["s1", "x", "A", 0], ["s2", "y", "B", 0]],
        }
    neutral = solve_sheets(tmp_path, sheets(0.0), "neutral.xlsx")
    assert neutral.risk == pytest.approx(0.3, abs=1e-9)
    averse = solve_sheets(tmp_path, sheets(1.0), "averse.xlsx")
    assert averse.risk == pytest.approx(0.5, abs=1e-9)
    assert averse.cvar == pytest.approx(0.5, abs=1e-6)
    assert averse.expected_loss == pytest.approx(0.5, abs=1e-6)
    bought = averse.tables["purchases"].set_index("mineral")["purchase"]
    assert bought["A"] == pytest.approx(5.0, abs=1e-5)
    assert bought["B"] == pytest.approx(5.0, abs=1e-5)


def test_pooled_budget(tmp_path: Path) -> None:
    """US and EU each demand 10 t, fully cut; each has a national stockpile (price 1);
    no party budgets; pooled budget 6. EU's criticality is 2, so its tonnes are worth
    0.2 of loss each against US's 0.1: EU buys 6. L = 10/10 + 2·4/10 = 1.8.
    ∂R*/∂B_all = −0.2; the party shadow prices are 0 (no party budgets)."""
    s = one_party()
    s["Settings"].append(["pooled_budget", 6])
    s["Parties"] = [["party", "budget"], ["US", None], ["EU", None]]
    s["Stockpiles"] = [["stockpile", "party"], ["us", "US"], ["eu", "EU"]]
    s["Holdings"] = [["stockpile", "mineral"], ["us", "ga"], ["eu", "ga"]]
    s["Demand"] = [["party", "mineral", "demand", "criticality"], ["US", "ga", 10, 1],
                   ["EU", "ga", 10, 2]]
    s["Supply"].append(["EU", "ga", "china", 10])
    r = solve_sheets(tmp_path, s)
    assert r.risk == pytest.approx(1.8, abs=1e-9)
    assert r.pooled_budget_shadow_price == pytest.approx(-0.2, abs=1e-9)
    assert r.budget_shadow_price == {"US": 0.0, "EU": 0.0}
    assert r.spend["EU"] == pytest.approx(6.0, rel=1e-6)


def test_market_depth(tmp_path: Path) -> None:
    """Unlimited budget, but at most 3 t of ga can be bought: L = (10 − 3)/10 = 0.7."""
    s = one_party()
    s["Minerals"] = [["mineral", "price", "max_acquisition"], ["ga", 1, 3]]
    r = solve_sheets(tmp_path, s)
    assert r.risk == pytest.approx(0.7, abs=1e-9)
    assert r.cost == pytest.approx(3.0, rel=1e-6)


def test_max_release(tmp_path: Path) -> None:
    """20 t in stock, at most 4 t released per period; demand 10 in each of 2 periods,
    fully cut; nothing to buy (capacity 20). Shortfall 6 + 6: L = 12/10 = 1.2."""
    s = one_party(periods=2)
    s["Holdings"] = [["stockpile", "mineral", "initial_stock", "max_stock", "max_release"],
                     ["nds", "ga", 20, 20, 4]]
    r = solve_sheets(tmp_path, s)
    assert r.risk == pytest.approx(1.2, abs=1e-9)
    assert r.cost == pytest.approx(0.0, abs=1e-9)


def test_demand_shock(tmp_path: Path) -> None:
    """Demand 10, supply 10 intact, demand × 1.5 in the only scenario and no stockpile:
    shortfall 5, and the loss is normalized by baseline demand: L = 5/10 = 0.5."""
    s = one_party()
    s["Disruptions"] = [["scenario", "source", "mineral", "availability"]]
    s["DemandShocks"] = [["scenario", "party", "mineral", "multiplier"], ["cut", "*", "*", 1.5]]
    s["Holdings"] = [["stockpile", "mineral", "max_stock"], ["nds", "ga", 0]]
    r = solve_sheets(tmp_path, s)
    assert r.risk == pytest.approx(0.5, abs=1e-9)
    sf = r.tables["shortfalls"]
    assert sf.loc[0, "demand"] == pytest.approx(15.0)
    assert sf.loc[0, "shortfall"] == pytest.approx(5.0, rel=1e-6)


def test_holding_cost_is_charged_for_every_period(tmp_path: Path) -> None:
    """Price 1, holding cost 0.5 per t per period, 2 periods: a tonne costs 1 + 2·0.5 = 2.
    Budget 8 buys 4 t against 20 t short: L = 16/10 = 1.6; spend 8."""
    s = one_party(periods=2, budget=8)
    s["Holdings"] = [["stockpile", "mineral", "holding_cost"], ["nds", "ga", 0.5]]
    r = solve_sheets(tmp_path, s)
    assert r.risk == pytest.approx(1.6, abs=1e-9)
    assert r.spend["US"] == pytest.approx(8.0, rel=1e-6)


def test_exact_cvar_of_a_discrete_distribution() -> None:
    """Losses 0, 1, 4 with probabilities 0.5, 0.3, 0.2. At α = 0.7 the tail is the
    worst 30 %: 0.2 at 4 and 0.1 at 1: (0.8 + 0.1)/0.3 = 3. At α = 0 it is the mean,
    1.1."""
    assert exact_cvar([0, 1, 4], [0.5, 0.3, 0.2], 0.7) == pytest.approx(3.0)
    assert exact_cvar([0, 1, 4], [0.5, 0.3, 0.2], 0.0) == pytest.approx(1.1)
