"""The price of every limit (``results.limits``) against finite differences of R*.

Each test builds a small workbook where the limit binds, reads its shadow price from the
solve, and re-solves with the limit moved by ±δ. R* is convex in a bound (an LP's value
function is convex in its right-hand sides and bounds), so any valid dual lies between the
one-sided differences: (R*(b) − R*(b − δ))/δ ≤ price ≤ (R*(b + δ) − R*(b))/δ, with both
equal where the dual is unique; the limits that move coefficients (concentration caps) are
compared with the central difference on an instance where R* is smooth there. Each test
also checks that the price is not 0, so none can pass by a limit that does not bind.

Every test but the party risk limit's (which the decomposition does not state) runs on both
engines: the extensive form's phase-1 duals, and the Benders engine's, assembled from its
master (first-stage rows and columns) and its subproblems (scenario rows and columns, each
weighted by ∂R*/∂Q_s); the finite differences are the extensive form's.

The base instance (``minimal_sheets``): US needs 10 t/period of ga over 2 periods; its only
supply (china, 10 t/period) is cut in 'ban' (π = 0.5); a stockpile buys ga at 1 per t with
a budget of 5. R = 0.5·E[L] + 0.5·CVaR_0.9 = 0.75·L_ban with L_ban = (20 − released)/10,
so each tonne released in 'ban' lowers R* by 0.075.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from workbooks import minimal_sheets, write_workbook

from stockopt.api import solve
from stockopt.data import ModelData
from stockopt.results.limits import LimitPrice, prices_json, ranked
from stockopt.workbook.normalize import load

DELTA = 1e-3
TOL = 1e-6


@pytest.fixture(params=["highs", "benders"])
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def _data(tmp_path, sheets: dict) -> ModelData:  # noqa: ANN001
    loaded = load(write_workbook(tmp_path / "w.xlsx", sheets))
    assert loaded.data is not None, [p.message for p in loaded.problems.errors]
    return loaded.data


def _price(data: ModelData, kind: str, key: tuple[str, ...], engine: str = "highs"
           ) -> LimitPrice:
    results = solve(data, engine=engine)
    found = [p for p in results.limit_prices if p.kind == kind and p.key == key]
    assert len(found) == 1, [(p.kind, p.key) for p in results.limit_prices]
    return found[0]


def _check(data: ModelData, kind: str, key: tuple[str, ...],
           moved: Callable[[ModelData, float], ModelData], *, central: bool = False,
           engine: str = "highs") -> LimitPrice:
    """The price of limit (kind, key) lies between the one-sided differences of R* when
    ``moved(data, d)`` moves the limit by d (or equals the central difference)."""
    price = _price(data, kind, key, engine)
    r0 = solve(data).risk
    up = solve(moved(data, DELTA)).risk
    down = solve(moved(data, -DELTA)).risk
    assert price.price != 0.0
    if central:
        assert price.price == pytest.approx((up - down) / (2 * DELTA), rel=1e-4, abs=TOL)
    else:
        left, right = (r0 - down) / DELTA, (up - r0) / DELTA
        assert left - TOL <= price.price <= right + TOL, (left, price.price, right)
    return price


def _holding(data: ModelData, h: tuple[str, str], **changes: float) -> ModelData:
    holdings = dict(data.holdings)
    holdings[h] = dataclasses.replace(holdings[h], **changes)
    return dataclasses.replace(data, holdings=holdings)


def test_market_depth(tmp_path, engine: str) -> None:  # noqa: ANN001
    """max_acquisition 3 t (< what the budget buys): a = 3, each extra tonne −0.075."""
    sheets = minimal_sheets()
    sheets["Minerals"] = [["mineral", "price", "max_acquisition"], ["ga", 1, 3]]
    data = _data(tmp_path, sheets)
    price = _check(data, "market_depth", ("ga",), lambda d, x: dataclasses.replace(
        d, max_acquisition={"ga": 3 + x}), engine=engine)
    assert price.price == pytest.approx(-0.075)
    assert price.value == 3 and price.unit("USD") == "t"


def test_stockpile_capacity_bounds_purchases_and_levels(tmp_path, engine: str) -> None:  # noqa: ANN001
    """max_stock 3 t: the price sums the purchase bound and every stock level's, −0.075."""
    sheets = minimal_sheets()
    sheets["Holdings"] = [["stockpile", "mineral", "max_stock"], ["nds", "ga", 3]]
    data = _data(tmp_path, sheets)
    price = _check(data, "stockpile_capacity", ("nds", "ga"),
                   lambda d, x: _holding(d, ("nds", "ga"), max_stock=3 + x), engine=engine)
    assert price.price == pytest.approx(-0.075)


def test_stockpile_capacity_with_orders_over_time(tmp_path, engine: str) -> None:  # noqa: ANN001
    """Orders in either period (purchase_timing periods): the cap is also the order_capacity
    row; a stock bought in period 2 helps period 2 only, so the cap's price is the same
    −0.075 per tonne as long as the first period's order fills it."""
    sheets = minimal_sheets()
    sheets["Settings"] = [["key", "value"], ["purchase_timing", "periods"]]
    sheets["Holdings"] = [["stockpile", "mineral", "max_stock"], ["nds", "ga", 3]]
    data = _data(tmp_path, sheets)
    price = _check(data, "stockpile_capacity", ("nds", "ga"),
                   lambda d, x: _holding(d, ("nds", "ga"), max_stock=3 + x), engine=engine)
    assert price.price == pytest.approx(-0.075)


def test_release_limit(tmp_path, engine: str) -> None:  # noqa: ANN001
    """max_release 2 t/period: 5 t bought, 4 released in 'ban'; 1 t/period more releases
    2 t more: −0.15 per t/period."""
    sheets = minimal_sheets()
    sheets["Holdings"] = [["stockpile", "mineral", "max_release"], ["nds", "ga", 2]]
    data = _data(tmp_path, sheets)
    price = _check(data, "release_limit", ("nds", "ga"),
                   lambda d, x: _holding(d, ("nds", "ga"), max_release=2 + x), engine=engine)
    assert price.price == pytest.approx(-0.15)


def test_cover_floor(tmp_path, engine: str) -> None:  # noqa: ANN001
    """A floor of 2 t of ge (never cut) takes 2 of the 5 units of budget from ga: each
    tonne of floor costs +0.075 (a floor: relaxing it means lowering it)."""
    sheets = minimal_sheets()
    sheets["Minerals"] = [["mineral", "price"], ["ga", 1], ["ge", 1]]
    sheets["Holdings"] = [["stockpile", "mineral"], ["nds", "ga"], ["nds", "ge"]]
    sheets["Demand"] = [["party", "mineral", "period", "demand"], ["US", "ga", None, 10],
                        ["US", "ge", None, 10]]
    sheets["Supply"] = [["party", "mineral", "source", "volume"], ["US", "ga", "china", 10],
                        ["US", "ge", "canada", 10]]
    sheets["CoverTargets"] = [["target", "party", "mineral", "periods", "basis"],
                              ["ge_floor", "US", "ge", 0.2, "demand"]]
    data = _data(tmp_path, sheets)

    def moved(d: ModelData, x: float) -> ModelData:
        target = d.cover_targets["ge_floor"]
        return dataclasses.replace(d, cover_targets={"ge_floor": dataclasses.replace(
            target, required=target.required + x)})

    price = _check(data, "cover_floor", ("ge_floor",), moved, engine=engine)
    assert price.price == pytest.approx(0.075) and price.floor
    assert price.gain_per_unit == pytest.approx(0.075)


def _offtake_sheets(max_volume: float = 10.0) -> dict:
    """Demand 20 t/period: china 10 (cut in 'ban', excluded from the cap) and domestic 10;
    an offtake from canada (fee 0.1 per t/period, price 1 per t, up to ``max_volume``);
    ga costs 1,000 per t, so the budget of 2 buys almost no stock."""
    sheets = minimal_sheets()
    sheets["Parties"] = [["party", "budget"], ["US", 2]]
    sheets["Minerals"] = [["mineral", "price"], ["ga", 1000]]
    sheets["Demand"] = [["party", "mineral", "period", "demand"], ["US", "ga", None, 20]]
    sheets["Supply"] = [["party", "mineral", "source", "volume"], ["US", "ga", "china", 10],
                        ["US", "ga", "domestic", 10]]
    sheets["Offtakes"] = [["offtake", "party", "mineral", "source", "max_volume", "fee",
                           "price"], ["o_ca", "US", "ga", "canada", max_volume, 0.1, 1]]
    return sheets


def test_offtake_capacity_on_offer(tmp_path, engine: str) -> None:  # noqa: ANN001
    """The offtake's max_volume of 4 t/period binds (the budget could pay for 20)."""
    data = _data(tmp_path, _offtake_sheets(4))

    def moved(d: ModelData, x: float) -> ModelData:
        return dataclasses.replace(d, offtakes={"o_ca": dataclasses.replace(
            d.offtakes["o_ca"], max_volume=4 + x)})

    _check(data, "offtake_capacity", ("o_ca",), moved, engine=engine)


def test_concentration_cap(tmp_path, engine: str) -> None:  # noqa: ANN001
    """A cap of 20% on any source but china and domestic: canada's x ≤ 0.2·(20 + x), so
    x ≤ 5; the cap moves the row's coefficients and right-hand side together."""
    sheets = _offtake_sheets()
    sheets["ConcentrationLimits"] = [["party", "mineral", "max_share", "excluded_sources"],
                                     ["US", "ga", 0.2, "china; domestic"]]
    data = _data(tmp_path, sheets)

    def moved(d: ModelData, x: float) -> ModelData:
        return dataclasses.replace(d, concentration_limits=[dataclasses.replace(
            d.concentration_limits[0], max_share=0.2 + x)])

    price = _check(data, "concentration_cap", ("US", "ga"), moved, central=True, engine=engine)
    assert price.unit("USD") == "share"


def test_mitigation_capacity_bound(tmp_path, engine: str) -> None:  # noqa: ANN001
    """A mitigation option that may cut up to 10% of US's ga demand (no fee, no cost)."""
    sheets = minimal_sheets()
    sheets["Mitigation"] = [["option", "party", "mineral", "max_share", "cost", "lead_time",
                             "fee"], ["sub", "US", "ga", 0.1, 0, 0, 0]]
    data = _data(tmp_path, sheets)

    def moved(d: ModelData, x: float) -> ModelData:
        return dataclasses.replace(d, mitigations={"sub": dataclasses.replace(
            d.mitigations["sub"], max_share=0.1 + x)})

    price = _check(data, "mitigation_capacity", ("sub",), moved, engine=engine)
    # 10% of 10 t/period in both periods of 'ban': 2 t less short per unit... per 0.1 of
    # share; d share = 1 cuts 20 t, 0.075 each
    assert price.price == pytest.approx(-1.5)


def _two_party_sheets() -> dict:
    """US and EU each need 10 t/period of ga from china (cut in 'ban'); US's stockpile
    nds may lend to EU by a swap (return after the horizon, fee 0.01 per t); US has a
    budget of 30 (more than it needs: the rest is for EU), EU of 1."""
    sheets = minimal_sheets()
    sheets["Parties"] = [["party", "budget", "max_risk"], ["US", 30, None], ["EU", 1, None]]
    sheets["Demand"] = [["party", "mineral", "period", "demand"], ["US", "ga", None, 10],
                        ["EU", "ga", None, 10]]
    sheets["Supply"] = [["party", "mineral", "source", "volume"], ["US", "ga", "china", 10],
                        ["EU", "ga", "china", 10]]
    sheets["Swaps"] = [["swap", "lender_stockpile", "receiver", "mineral", "return_lag",
                        "max_volume", "fee"], ["w", "nds", "EU", "ga", 5, 3, 0.01]]
    return sheets


def test_swap_capacity_on_offer(tmp_path, engine: str) -> None:  # noqa: ANN001
    """The swap's max_volume of 3 t binds: EU can draw at most 3 t from US's stock."""
    data = _data(tmp_path, _two_party_sheets())

    def moved(d: ModelData, x: float) -> ModelData:
        return dataclasses.replace(d, swaps={"w": dataclasses.replace(d.swaps["w"],
                                                                      max_volume=3 + x)})

    _check(data, "swap_capacity", ("w",), moved, engine=engine)


def test_party_risk_limit(tmp_path) -> None:  # noqa: ANN001
    """EU needs 5 t/period, so a tonne lent to EU lowers the pooled loss twice as much as
    one kept by US (1/5 against 1/10 per t): with 15 t, R* would lend EU all 10 it needs.
    US accepts at most R_US = 0.9, i.e. keeps at least 8 t: each period of R_US allowed
    lets US lend 1/0.075 t more, worth 0.075 each in R*: the price is −1."""
    sheets = _two_party_sheets()
    sheets["Swaps"][1][5] = 20  # max_volume: the swap no longer binds
    sheets["Parties"][1] = ["US", 15, 0.9]
    sheets["Demand"][2] = ["EU", "ga", None, 5]
    sheets["Supply"][2] = ["EU", "ga", "china", 5]
    data = _data(tmp_path, sheets)

    def moved(d: ModelData, x: float) -> ModelData:
        return dataclasses.replace(d, max_risk={"US": 0.9 + x})

    price = _check(data, "risk_limit", ("US", "max_risk"), moved)
    assert price.price == pytest.approx(-1.0)


def test_json_keys_and_ranking(tmp_path, engine: str) -> None:  # noqa: ANN001
    """The JSON carries one key per kind of limit the workbook has, nested by the limit's
    key, and ranks by the gain of a 1% relaxation: with market depth 3 t (1% = 0.03 t,
    gain 0.00225) and the budget slack, market depth comes first and alone."""
    sheets = minimal_sheets()
    sheets["Minerals"] = [["mineral", "price", "max_acquisition"], ["ga", 1, 3]]
    sheets["Holdings"] = [["stockpile", "mineral", "max_stock", "max_release"],
                          ["nds", "ga", 100, 50]]
    data = _data(tmp_path, sheets)
    results = solve(data, engine=engine)
    payload = results.summary_dict()
    assert payload["market_depth_shadow_price"] == {"ga": pytest.approx(-0.075)}
    assert payload["stockpile_capacity_shadow_price"] == {"nds": {"ga": 0.0}}
    assert payload["release_limit_shadow_price"] == {"nds": {"ga": 0.0}}
    assert "cover_floor_shadow_price" not in payload
    assert payload["limit_shadow_price_units"]["release_limit_shadow_price"] == \
        "periods per t/period"
    top = payload["limits_ranked"]
    assert [entry["limit"] for entry in top] == ["market_depth"]
    assert top[0]["risk_reduction_per_percent"] == pytest.approx(0.075 * 0.03)
    assert ranked(results.limit_prices, results.risk) == ranked(
        results.limit_prices, results.risk, top=5)
    assert prices_json(results.limit_prices, results.risk, "USD")["limits_ranked"] == top


def test_period_market_depth(tmp_path, engine: str) -> None:  # noqa: ANN001
    """Orders in either period, at most 2 t of ga per period: 2 t ordered for period 1
    (released in both periods of 'ban'), 2 t for period 2. The per-period limit is one
    number for every period, so its rate is the sum of the periods' prices, between the
    one-sided differences; period 1's tonne helps both periods of 'ban', so it is worth
    at least period 2's."""
    sheets = minimal_sheets()
    sheets["Settings"] = [["key", "value"], ["purchase_timing", "periods"]]
    sheets["Minerals"] = [["mineral", "price", "max_acquisition_per_period"], ["ga", 1, 2]]
    data = _data(tmp_path, sheets)
    results = solve(data, engine=engine)
    prices = {p.key: p.price for p in results.limit_prices if p.kind == "period_market_depth"}
    assert set(prices) == {("ga", "2027"), ("ga", "2028")}
    total = sum(prices.values())
    r0 = results.risk
    up = solve(dataclasses.replace(data, max_acquisition_per_period={"ga": 2 + DELTA})).risk
    down = solve(dataclasses.replace(data, max_acquisition_per_period={"ga": 2 - DELTA})).risk
    assert (r0 - down) / DELTA - TOL <= total <= (up - r0) / DELTA + TOL
    assert total < 0 and prices[("ga", "2027")] <= prices[("ga", "2028")] <= 0
    assert results.summary_dict()["period_market_depth_shadow_price"] == {
        "ga": {"2027": prices[("ga", "2027")], "2028": prices[("ga", "2028")]}}
