"""Defaults applied in one place, and blank periods, disruptions and shocks resolved.

One hand-made workbook (``sheets()``) whose every derived value is worked out in the
test that checks it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from workbooks import minimal_sheets, write_workbook

from stockopt.data import Holding, ModelData, Offtake, Swap
from stockopt.workbook.normalize import load


def sheets() -> dict[str, list[list]]:
    """Three periods (2027-2029), two parties, two minerals, three scenarios."""
    return {
        "Periods": [["period"], [2027], [2028], [2029]],
        "Parties": [["party", "budget"], ["US", None], ["EU", 100]],
        "Minerals": [["mineral", "price", "max_acquisition"], ["ga", 2, None], ["ge", 3, 50]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["nds", "US", None],
                       ["joint", "US", 0.4], ["joint", "EU", 0.6]],
        "Holdings": [["stockpile", "mineral", "initial_stock", "max_stock", "holding_cost",
                      "max_release"],
                     ["nds", "ga"],
                     ["joint", "ge", 5, 10, 0.2, 3],
                     ["joint", "ga", None, 8]],
        "Demand": [["party", "mineral", "period", "demand", "criticality"],
                   ["US", "ga", 2028, 12, 3],      # overrides the blank-period row below
                   ["US", "ga", None, 10, None],
                   ["EU", "ge", None, 4, 2],
                   ["EU", "ga", "2029", 5]],
        "Supply": [["party", "mineral", "source", "period", "volume"],
                   ["US", "ga", "china", None, 10],
                   ["US", "ga", "china", 2028, 5],    # adds to the row above in 2028
                   ["US", "ga", "domestic", None, 2],
                   ["EU", "ge", "china", 2027, 4],
                   ["US", "ga", "kz", None, 0]],      # zero: no flow
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
                      "first_period"],
                     ["o1", "US", "ga", "australia", 5],
                     ["o2", "EU", "ge", "chile", 3, 1, 2, 2028]],
        "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "return_mineral",
                   "return_ratio", "return_lag", "max_volume", "fee"],
                  ["sw1", "joint", "US", "ge", None, None, None, 5],
                  ["sw2", "joint", "EU", "ge", "ga", 1.2, 0, 4, 0.5]],
        "Scenarios": [["scenario", "probability", "description"], ["calm", 0.5],
                      ["ban", 0.3, "China export ban"], ["surge", 0.2, None]],
        "Disruptions": [["scenario", "source", "mineral", "start_period", "end_period",
                         "availability"],
                        ["ban", "china", "*", 2028, None, 0.5],
                        ["ban", "*", "ga", 2029, 2029, 0.2],
                        ["ban", "china", "ge", None, 2027, 0.7]],
        "DemandShocks": [["scenario", "party", "mineral", "start_period", "end_period",
                          "multiplier"],
                         ["surge", "*", "*", None, None, 2],
                         ["surge", "US", "ga", 2028, 2028, 1.5],
                         ["surge", "*", "ge", 2029, None, 0.5]],
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ModelData:
    path = write_workbook(tmp_path_factory.mktemp("normalize") / "n.xlsx", sheets())
    loaded = load(path)
    assert not loaded.problems.items, [p.message for p in loaded.problems.items]
    assert loaded.data is not None
    return loaded.data


def test_declarations_in_workbook_order(data: ModelData) -> None:
    assert data.periods == ["2027", "2028", "2029"]
    assert data.parties == ["US", "EU"]
    assert data.minerals == ["ga", "ge"]
    assert data.scenarios == ["calm", "ban", "surge"]
    assert data.stockpiles == ["nds", "joint"]


def test_blank_limits_are_unlimited(data: ModelData) -> None:
    assert data.budget == {"US": None, "EU": 100}
    assert data.price == {"ga": 2, "ge": 3}
    assert data.max_acquisition == {"ga": None, "ge": 50}


def test_cost_share_one_for_single_member(data: ModelData) -> None:
    assert data.members == {"nds": {"US": 1.0}, "joint": {"US": 0.4, "EU": 0.6}}


def test_holding_defaults(data: ModelData) -> None:
    assert data.holdings[("nds", "ga")] == Holding(initial_stock=0.0, max_stock=None,
                                                   holding_cost=0.0, max_release=None)
    assert data.holdings[("joint", "ge")] == Holding(5.0, 10.0, 0.2, 3.0)
    assert data.holdings[("joint", "ga")] == Holding(0.0, 8.0, 0.0, None)


def test_blank_period_demand_expanded_and_overridden(data: ModelData) -> None:
    """US ga: 10 every period, but 12 (criticality 3) in 2028; EU ga only in 2029."""
    assert data.demand == {
        ("US", "ga", 1): 10, ("US", "ga", 2): 12, ("US", "ga", 3): 10,
        ("EU", "ge", 1): 4, ("EU", "ge", 2): 4, ("EU", "ge", 3): 4,
        ("EU", "ga", 3): 5,
    }
    assert data.criticality[("US", "ga", 1)] == 1.0  # default
    assert data.criticality[("US", "ga", 2)] == 3.0  # from the overriding row
    assert data.criticality[("EU", "ge", 2)] == 2.0
    assert data.criticality[("EU", "ga", 3)] == 1.0
    assert data.scenario_demand("EU", "ga", 1, "calm") == 0.0  # no row means 0


def test_supply_rows_add_up(data: ModelData) -> None:
    """china 10 every period plus 5 in 2028; the zero kz row is no flow at all."""
    assert data.supply == {
        ("US", "ga", "china", 1): 10, ("US", "ga", "china", 2): 15,
        ("US", "ga", "china", 3): 10,
        ("US", "ga", "domestic", 1): 2, ("US", "ga", "domestic", 2): 2,
        ("US", "ga", "domestic", 3): 2,
        ("EU", "ge", "china", 1): 4,
    }
    assert data.sources == ["australia", "chile", "china", "domestic"]


def test_offtake_defaults(data: ModelData) -> None:
    assert data.offtakes["o1"] == Offtake("US", "ga", "australia", 5.0, fee=0.0, price=0.0,
                                          first_period=1)
    assert data.offtakes["o2"] == Offtake("EU", "ge", "chile", 3.0, fee=1.0, price=2.0,
                                          first_period=2)


def test_swap_defaults(data: ModelData) -> None:
    assert data.swaps["sw1"] == Swap("joint", "US", "ge", return_mineral="ge", return_ratio=1.0,
                                     return_lag=1, max_volume=5.0, fee=0.0)
    assert data.swaps["sw2"] == Swap("joint", "EU", "ge", "ga", 1.2, 0, 4.0, 0.5)
    assert isinstance(data.swaps["sw1"].return_lag, int)


def test_probabilities_used_as_given(data: ModelData) -> None:
    assert data.probability == {"calm": 0.5, "ban": 0.3, "surge": 0.2}
    assert data.scenario_description == {"calm": "", "ban": "China export ban", "surge": ""}


def test_disruptions_overlap_to_the_minimum_and_wildcards_match_every_source(
        data: ModelData) -> None:
    """In 'ban': china (every mineral) at 0.5 from 2028; every source of ga at 0.2 in 2029,
    domestic and offtake sources included; china ge at 0.7 in 2027. china ga 2029 is
    covered by both the first two rows: min(0.5, 0.2) = 0.2."""
    assert data.availability == {
        ("china", "ga", 2, "ban"): 0.5, ("china", "ga", 3, "ban"): 0.2,
        ("china", "ge", 2, "ban"): 0.5, ("china", "ge", 3, "ban"): 0.5,
        ("china", "ge", 1, "ban"): 0.7,
        ("domestic", "ga", 3, "ban"): 0.2, ("australia", "ga", 3, "ban"): 0.2,
    }
    assert data.availability_of("chile", "ge", 3, "ban") == 1.0
    assert data.availability_of("china", "ga", 1, "calm") == 1.0


def test_demand_shocks_overlap_multiply_and_wildcards_match_every_party(
        data: ModelData) -> None:
    """In 'surge': ×2 for every demanded (party, mineral) in every period; US ga ×1.5 more
    in 2028 (= 3); every party's ge ×0.5 more from 2029 (EU ge 2029: 2 × 0.5 = 1, so no
    entry)."""
    expected = {(p, m, t, "surge"): 2.0 for p, m in [("US", "ga"), ("EU", "ge"), ("EU", "ga")]
                for t in (1, 2, 3)}
    expected[("US", "ga", 2, "surge")] = 3.0
    del expected[("EU", "ge", 3, "surge")]
    assert data.demand_multiplier == pytest.approx(expected)
    assert data.scenario_demand("US", "ga", 2, "surge") == pytest.approx(36.0)
    assert data.scenario_demand("EU", "ge", 3, "surge") == 4.0
    assert data.scenario_demand("US", "ga", 2, "ban") == 12.0


def test_settings_defaults(data: ModelData) -> None:
    assert (data.risk_weight, data.cvar_alpha, data.pooled_budget, data.currency) == (
        0.5, 0.9, None, "USD")


def test_settings_given(tmp_path: Path) -> None:
    s = minimal_sheets()
    s["Settings"] = [["Key", "Value"], [" RISK_WEIGHT ", "0.7"], ["cvar_alpha", 0.95],
                     ["pooled_budget", 1000], ["currency", "EUR"]]
    data = load(write_workbook(tmp_path / "s.xlsx", s)).data
    assert data is not None
    assert (data.risk_weight, data.cvar_alpha, data.pooled_budget, data.currency) == (
        0.7, 0.95, 1000.0, "EUR")


def test_blank_setting_value_takes_the_default(tmp_path: Path) -> None:
    s = minimal_sheets()
    s["Settings"] = [["key", "value"], ["risk_weight", None], ["currency", None]]
    data = load(write_workbook(tmp_path / "s.xlsx", s)).data
    assert data is not None and data.risk_weight == 0.5 and data.currency == "USD"


def test_minimal_workbook(tmp_path: Path) -> None:
    """The docstring of ``minimal_sheets`` describes exactly this data."""
    data = load(write_workbook(tmp_path / "m.xlsx", minimal_sheets())).data
    assert data is not None
    assert data.demand == {("US", "ga", 1): 10, ("US", "ga", 2): 10}
    assert data.availability == {("china", "ga", 1, "ban"): 0.0, ("china", "ga", 2, "ban"): 0.0}
    assert data.members == {"nds": {"US": 1.0}} and data.budget == {"US": 5}
    assert data.offtakes == {} and data.swaps == {} and data.demand_multiplier == {}
