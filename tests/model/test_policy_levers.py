"""Hand-derived optima for the policy levers: cover floors, concentration caps, mitigation.

The levers are set on the ModelData directly (the input side is tested on its own), so
these tests pin the model: both builders, both phase-1 algorithms. λ = 0 throughout
(risk = expected loss). Costs are compared with rel = 1e-6 (the phase-2 relaxation).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from workbooks import write_workbook

from stockopt.api import solve as solve_workbook
from stockopt.data import ConcentrationLimit, CoverTarget, Mitigation, ModelData
from stockopt.model import build_matrix_lp
from stockopt.model.index import build_index
from stockopt.results.extract import Results
from stockopt.solver.highs import SolveFailed
from stockopt.workbook.normalize import load

ROUTE = {"algorithm": "simplex", "builder": "arrays"}


@pytest.fixture(autouse=True, params=[("simplex", "arrays"), ("ipx", "pyomo")],
                ids=["simplex-arrays", "ipx-pyomo"])
def route(request: pytest.FixtureRequest) -> tuple[str, str]:
    ROUTE["algorithm"], ROUTE["builder"] = request.param
    return request.param


def _data(tmp_path: Path, *, periods: int = 1, cut: bool = False, budget=None,
          supply=(("china", 10.0),), cap=None, extra_party: bool = False) -> ModelData:
    """US demands 10 t/period of 'ga' (price 1); supply as given; one scenario 'only'
    (probability 1), where every source is cut to 0 if ``cut``. Stockpile 'nds' (US).
    With ``extra_party``, EU (demand 6, supplied 6 from china) shares a joint stockpile
    with US, cost shares 0.5/0.5."""
    sheets = {
        "Settings": [["key", "value"], ["risk_weight", 0]],
        "Periods": [["period"]] + [[f"P{t}"] for t in range(1, periods + 1)],
        "Parties": [["party", "budget"], ["US", budget]] + ([["EU", None]] if extra_party
                                                          else []),
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["nds", "US", None]]
        + ([["joint", "US", 0.5], ["joint", "EU", 0.5]] if extra_party else []),
        "Holdings": [["stockpile", "mineral", "max_stock"], ["nds", "ga", cap]]
        + ([["joint", "ga", None]] if extra_party else []),
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10]]
        + ([["EU", "ga", 6]] if extra_party else []),
        "Supply": [["party", "mineral", "source", "volume"]]
        + [["US", "ga", c, q] for c, q in supply]
        + ([["EU", "ga", "china", 6]] if extra_party else []),
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "Disruptions": [["scenario", "source", "mineral", "availability"]]
        + ([["only", "*", "*", 0]] if cut else []),
    }
    loaded = load(write_workbook(tmp_path / "p.xlsx", sheets))
    assert loaded.data is not None, [p.message for p in loaded.problems.items]
    return loaded.data


def _solve(data: ModelData) -> Results:
    return solve_workbook(data, builder=ROUTE["builder"], algorithm=ROUTE["algorithm"])


def _floor(required: float, *, party: str | None = "US", stockpile: str | None = None,
           periods: float = 1.0, basis: str = "demand") -> dict[str, CoverTarget]:
    return {"f": CoverTarget(party=party, stockpile=stockpile, mineral="ga", periods=periods,
                             basis=basis, domestic_sources=("domestic",), required=required)}


def test_cover_floor_forces_a_purchase(tmp_path: Path) -> None:
    """Nothing is ever disrupted, so the plain plan buys nothing (R* = 0, cost 0). A
    floor of 1.5 periods of US demand (15 t) makes the cheapest risk-optimal plan buy
    15 t at price 1: cost 15, risk still 0."""
    base = _data(tmp_path)
    assert _solve(base).cost == pytest.approx(0.0, abs=1e-9)
    r = _solve(dataclasses.replace(base, cover_targets=_floor(15.0, periods=1.5)))
    assert r.risk == pytest.approx(0.0, abs=1e-9)
    assert r.cost == pytest.approx(15.0, rel=1e-6)
    floors = r.tables["cover_floors"]
    assert floors.loc[0, "level"] == pytest.approx(15.0, rel=1e-6)
    assert bool(floors.loc[0, "met"])


def test_party_floor_counts_its_share_of_a_joint_stockpile(tmp_path: Path) -> None:
    """US's floor of 10 t may be met from its national stockpile (weight 1) or from the
    joint one (weight 0.5, the cost share): the national route costs 10, the joint 2·10·
    (0.5 + 0.5) = 20, so the plan buys 10 t in 'nds'. Add a floor on the joint stockpile
    itself of 16 t (US 10 + EU 6, one period): 16 t there, which count 0.5·16 = 8 t
    towards the US floor, so 'nds' needs only 2 more: cost 16 + 2 = 18."""
    base = _data(tmp_path, extra_party=True)
    r = _solve(dataclasses.replace(base, cover_targets=_floor(10.0)))
    assert r.cost == pytest.approx(10.0, rel=1e-6)
    bought = r.tables["purchases"].set_index("stockpile")["purchase"]
    assert bought["nds"] == pytest.approx(10.0, rel=1e-6)
    floors = {**_floor(10.0), "j": CoverTarget(party=None, stockpile="joint", mineral="ga",
                                              periods=1.0, basis="demand",
                                              domestic_sources=(), required=16.0)}
    r = _solve(dataclasses.replace(base, cover_targets=floors))
    assert r.cost == pytest.approx(18.0, rel=1e-6)
    bought = r.tables["purchases"].set_index("stockpile")["purchase"]
    assert bought["nds"] == pytest.approx(2.0, rel=1e-6)
    assert bought["joint"] == pytest.approx(16.0, rel=1e-6)


def test_infeasible_floor_is_explained_in_money(tmp_path: Path) -> None:
    """A 15 t floor with a budget of 5 at price 1 cannot be met: the solve fails and the
    message names the floor and the 10 more the party would need."""
    data = dataclasses.replace(_data(tmp_path, budget=5), cover_targets=_floor(15.0))
    with pytest.raises(SolveFailed) as info:
        _solve(data)
    assert info.value.status == "infeasible"
    text = str(info.value.explanation)
    assert "'f'" in text and "US" in text and "10" in text


def test_floor_beyond_market_depth_is_not_priced(tmp_path: Path) -> None:
    """At most 3 t can be bought (market depth), unlimited budget: a 15 t floor cannot be
    met at any price, and the explanation says so instead of quoting money."""
    data = _data(tmp_path)
    data = dataclasses.replace(data, max_acquisition={"ga": 3.0}, cover_targets=_floor(15.0))
    with pytest.raises(SolveFailed) as info:
        _solve(data)
    text = info.value.explanation
    assert "12.0 t cannot be bought at any price" in text
    assert "USD more" not in text


def test_concentration_cap_buys_diversifying_offtake(tmp_path: Path) -> None:
    """US gets 8 t/period from china and 2 from aus (80 % china). A 0.65 cap needs
    8 ≤ 0.65·(10 + x) for offtake capacity x from canada: x ≥ 8/0.65 − 10 = 2.3077,
    at a fee of 1 per t/period: cost 2.3077. Excluding china from the cap: cost 0."""
    base = _data(tmp_path, supply=(("china", 8.0), ("aus", 2.0)))
    from stockopt.data import Offtake

    offer = {"ca": Offtake(party="US", mineral="ga", source="canada", max_volume=20.0,
                           fee=1.0, price=0.0, first_period=1)}
    capped = dataclasses.replace(base, offtakes=offer, concentration_limits=[
        ConcentrationLimit(party="US", mineral="ga", max_share=0.65, excluded=())])
    r = _solve(capped)
    assert r.risk == pytest.approx(0.0, abs=1e-9)
    assert r.cost == pytest.approx(8 / 0.65 - 10, rel=1e-6)
    conc = r.tables["concentration"]
    china = conc[conc["source"] == "china"].iloc[0]
    assert china["share_before"] == pytest.approx(0.8)
    assert china["share_after"] == pytest.approx(0.65, rel=1e-6)
    free = dataclasses.replace(capped, concentration_limits=[
        ConcentrationLimit(party="US", mineral="ga", max_share=0.65, excluded=("china",))])
    assert _solve(free).cost == pytest.approx(0.0, abs=1e-9)


def test_concentration_cap_that_no_offtake_can_meet(tmp_path: Path) -> None:
    """80 % from china and no offtake to dilute it: the cap cannot hold; the solve stops
    before HiGHS with a message naming party, mineral, source and shares."""
    base = _data(tmp_path, supply=(("china", 8.0), ("aus", 2.0)))
    capped = dataclasses.replace(base, concentration_limits=[
        ConcentrationLimit(party="US", mineral="ga", max_share=0.65, excluded=())])
    assert build_index(capped).concentration_fixed
    with pytest.raises(SolveFailed) as info:
        _solve(capped)
    assert info.value.status == "infeasible"
    assert "china" in str(info.value.explanation) and "80" in str(info.value.explanation)


def test_mitigation_cuts_demand_after_its_lead_time(tmp_path: Path) -> None:
    """Two periods, demand 10, everything cut, nothing in stock (capacity 0). Option
    'sub' cuts up to 30 % of demand at 2 per t, from period 2 (lead time 1), no fee:
    shortfall 10 + 7, L = 1.7; cost 2·3 = 6. With a fee of 5 per t/period and a budget
    of 10, only 2 t/period can be prepared: L = (10 + 8)/10 = 1.8, cost 10 + 2·2 = 14."""
    base = _data(tmp_path, periods=2, cut=True, cap=0)
    free = dataclasses.replace(base, mitigations={"sub": Mitigation(
        party="US", mineral="ga", max_share=0.3, cost=2.0, lead_time=1, fee=0.0)})
    r = _solve(free)
    assert r.risk == pytest.approx(1.7, abs=1e-9)
    assert r.cost == pytest.approx(6.0, rel=1e-6)
    use = r.tables["mitigation_use"]
    assert set(use["period"]) == {"P2"}
    assert use["use"].sum() == pytest.approx(3.0, rel=1e-6)
    paid = dataclasses.replace(base, budget={"US": 10.0}, mitigations={"sub": Mitigation(
        party="US", mineral="ga", max_share=0.3, cost=2.0, lead_time=1, fee=5.0)})
    r = _solve(paid)
    assert r.risk == pytest.approx(1.8, abs=1e-9)
    assert r.cost == pytest.approx(14.0, rel=1e-6)
    assert r.spend["US"] == pytest.approx(10.0, rel=1e-6)


def test_levers_absent_change_nothing(tmp_path: Path) -> None:
    """Without levers the LP has no lever rows or columns (v1 optima unchanged)."""
    lp = build_matrix_lp(_data(tmp_path))
    assert not {"cover_floor", "concentration_limit", "mitigation_capacity_limit"} \
        & set(lp.row_family)
    assert lp.layout.first["mitigation_capacity"].size == 0
