"""Access to a joint stockpile by cost shares (FORMULATION-v2 section 5, model/access.py).

Small instances whose optimum follows by hand from the section's formula (derivations in
each test's docstring), each also solved by the independent implementation
(``tests/independent_lp.py``, written from the spec formula), plus the two renderings
agreeing entry by entry on the access rows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from test_builders_agree import EXAMPLE, _assert_same
from test_independent import check_against_independent
from workbooks import write_workbook

import stockopt
from stockopt.model import build_matrix_lp, build_model, state_model
from stockopt.model.access import entitlements, share_rows, shared_stockpiles
from stockopt.model.compile import compile_pyomo
from stockopt.workbook.normalize import load


def joint_sheets(access: str | None, *, n: int = 1, budget_a: float = 0,
                 swap: list | None = None) -> dict[str, list[list]]:
    """Parties A and B share 'joint' 50/50 (access ``access``), which holds 100 t of ga
    (price 1/t). Both demand 80 t/period; A's supply (80 t/period from china) is cut to 0
    in the only scenario 'ban'; B's (domestic) is not. B's budget is unlimited; A's is
    ``budget_a``."""
    labels = [2027 + i for i in range(n)]
    sheets: dict[str, list[list]] = {
        "Periods": [["period"], *[[p] for p in labels]],
        "Parties": [["party", "budget"], ["A", budget_a], ["B", None]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party", "cost_share", "access"],
                       ["joint", "A", 0.5, access], ["joint", "B", 0.5, access]],
        "Holdings": [["stockpile", "mineral", "initial_stock"], ["joint", "ga", 100]],
        "Demand": [["party", "mineral", "demand"], ["A", "ga", 80], ["B", "ga", 80]],
        "Supply": [["party", "mineral", "source", "volume"], ["A", "ga", "china", 80],
                   ["B", "ga", "domestic", 80]],
        "Scenarios": [["scenario", "probability"], ["ban", 1]],
        "Disruptions": [["scenario", "source", "mineral", "availability"],
                        ["ban", "china", "ga", 0]],
    }
    if swap is not None:
        sheets.update(swap)
    return sheets


def _solve(tmp_path: Path, name: str, sheets: dict) -> dict:
    """stockopt's summary, after checking it against the independent implementation."""
    return check_against_independent(write_workbook(tmp_path / f"{name}.xlsx", sheets), sheets)


def test_a_member_takes_at_most_its_share(tmp_path: Path) -> None:
    """One period, one scenario (so R = L: CVaR of one outcome is the outcome), budgets 0
    for A (so nothing is bought: A pays half of every tonne).

    Free access: A takes 80 of the 100 t, no shortfall: R* = 0.
    Shares: A's entitlement is 0.5·(100 + 0) = 50 t, so A takes 50 and is short 30 t of
    its baseline 80: L = 30/80 = 0.375; B needs nothing from the stockpile. The loss
    difference is exactly 0.375. Cost 0 in both (nothing bought, no fees)."""
    free = _solve(tmp_path, "free", joint_sheets(None))
    shares = _solve(tmp_path, "shares", joint_sheets("Shares"))
    assert free["risk"] == pytest.approx(0.0, abs=1e-7)
    assert shares["risk"] == pytest.approx(0.375, abs=1e-7)
    assert shares["risk"] - free["risk"] == pytest.approx(0.375, abs=1e-7)
    assert free["cost"] == pytest.approx(0.0, abs=1e-7)
    assert shares["cost"] == pytest.approx(0.0, abs=1e-7)


def test_entitlement_is_cumulative_and_grows_with_purchases(tmp_path: Path) -> None:
    """Two periods, A short 80 t in each; A's budget 10, B's unlimited, price 1/t, so A's
    spend 0.5·a ≤ 10 allows a ≤ 20 t.

    Shares: A's cumulative releases by period 2 are at most 0.5·(100 + a) ≤ 60 t, whatever
    the split between the periods (entitlements are cumulative). Shortfall 160 − 60 = 100,
    L = 100/80 = 1.25 = R*. Buying less raises the loss, so a = 20 and Cost = 20. One more
    unit of A's budget buys 2 t, raising A's entitlement by 1 t: ∂R*/∂B_A = −1/80.
    Free access: all of the stockpile's 100 + 20 t may go to A: shortfall 160 − 120 = 40,
    L = 40/80 = 0.5 (a = 20 again, Cost 20)."""
    shares = _solve(tmp_path, "shares2", joint_sheets("shares", n=2, budget_a=10))
    assert shares["risk"] == pytest.approx(1.25, abs=1e-7)
    assert shares["cost"] == pytest.approx(20.0, rel=1e-6)
    assert shares["budget_shadow_price"]["A"] == pytest.approx(-1 / 80, rel=1e-6)
    free = _solve(tmp_path, "free2", joint_sheets("free", n=2, budget_a=10))
    assert free["risk"] == pytest.approx(0.5, abs=1e-7)
    assert free["cost"] == pytest.approx(20.0, rel=1e-6)


SWAP_OUT = {
    # C (no demand covered otherwise) draws ga from 'joint', returned after the horizon
    "Parties": [["party", "budget"], ["A", 0], ["B", 0], ["C", None]],
    "Demand": [["party", "mineral", "demand"], ["A", "ga", 80], ["B", "ga", 80],
               ["C", "ga", 40]],
    "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "max_volume"],
              ["w", "joint", "C", "ga", 50]],
}


def test_a_swap_draw_reduces_every_members_entitlement(tmp_path: Path) -> None:
    """One period; C (not a member) demands 40 t with no supply and may draw up to 50 t
    from 'joint' (return lag 1 = after the horizon, owed at price 1/t). Budgets of A and B
    are 0: nothing is bought.

    Shares: A takes r_A ≤ 0.5·(100 − f), C draws f ≤ 40 usefully (and f + r_A ≤ 100).
    L = (80 − r_A)/80 + (40 − f)/40 with r_A = 50 − f/2 is 30/80 + f/160 + 1 − f/40,
    falling by 3/160 per tonne drawn: f = 40, r_A = 30, L = 0.375 + 0.25 = 0.625 = R*.
    (Without the draw's effect on A's entitlement A would get 50: L = 0.375.) Cost: the
    40 t owed at the end at price 1: 40.
    Free: C's tonne weighs 1/40, A's 1/80; 100 t serve C's 40 and A's 60: L = 20/80 =
    0.25, Cost 40."""
    shares = _solve(tmp_path, "swap_shares", joint_sheets("shares", swap=SWAP_OUT))
    assert shares["risk"] == pytest.approx(0.625, abs=1e-7)
    assert shares["cost"] == pytest.approx(40.0, rel=1e-6)
    free = _solve(tmp_path, "swap_free", joint_sheets(None, swap=SWAP_OUT))
    assert free["risk"] == pytest.approx(0.25, abs=1e-7)
    assert free["cost"] == pytest.approx(40.0, rel=1e-6)


SWAP_BACK = {
    # C draws ga in 2027 and returns 1.5 t per tonne in 2028 from its 2028 supply
    "Parties": [["party", "budget"], ["A", 0], ["B", 0], ["C", None]],
    "Demand": [["party", "mineral", "period", "demand"], ["A", "ga", None, 80],
               ["B", "ga", None, 80], ["C", "ga", 2027, 40]],
    "Supply": [["party", "mineral", "source", "period", "volume"],
               ["A", "ga", "china", None, 80], ["B", "ga", "domestic", None, 80],
               ["C", "ga", "domestic", 2028, 60]],
    "Disruptions": [["scenario", "source", "mineral", "start_period", "availability"],
                    ["ban", "china", "ga", 2028, 0]],
    "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "return_ratio",
               "max_volume"], ["w", "joint", "C", "ga", 1.5, 50]],
}


def test_a_swap_return_restores_the_entitlement(tmp_path: Path) -> None:
    """Two periods. C needs 40 t in 2027 only and may draw from 'joint', returning 1.5 t
    per tonne in 2028 out of its 60 t of 2028 supply (so f ≤ 40). A is short 80 t in 2028
    only (china cut in 2028). Nothing is bought (budgets 0).

    Shares: by 2028 A may have taken 0.5·(100 − f + 1.5·f) = 50 + f/4; C's shortfall is
    40 − f. L = (30 − f/4)/80 + (40 − f)/40 falls in f: f = 40, A gets 60, L = 20/80 = 0.25
    = R*. Cost 0 (the return is inside the horizon, no fees).
    Free: f = 40 in 2027, 60 t back in 2028, the stockpile holds 120 t: A takes 80,
    R* = 0."""
    shares = _solve(tmp_path, "back_shares", joint_sheets("shares", n=2, swap=SWAP_BACK))
    assert shares["risk"] == pytest.approx(0.25, abs=1e-7)
    assert shares["cost"] == pytest.approx(0.0, abs=1e-6)
    free = _solve(tmp_path, "back_free", joint_sheets(None, n=2, swap=SWAP_BACK))
    assert free["risk"] == pytest.approx(0.0, abs=1e-7)


def test_entitlements_are_read_from_the_rows(tmp_path: Path) -> None:
    """The API's access_shares table on the swap-return case: A's entitlement at the end
    is 0.5·(100 − 40 + 60) = 60 t, all released (held to its share, margin 0); B's is 60 t
    too, nothing released; B's tightest margin is in 2027, after C's draw of 40 t and
    before its return: 0.5·(100 − 40) = 30 t. Both shares 0.5."""
    path = write_workbook(tmp_path / "t.xlsx", joint_sheets("shares", n=2, swap=SWAP_BACK))
    result = stockopt.solve(stockopt.build(stockopt.load(path)))
    table = result.tables["access_shares"].set_index("party")
    assert list(table.columns) == ["stockpile", "mineral", "scenario", "cost_share",
                                   "member_released", "entitlement_at_end",
                                   "tightest_margin", "tightest_period", "held_to_share"]
    assert table.loc["A", "entitlement_at_end"] == pytest.approx(60.0, abs=1e-4)
    assert table.loc["A", "member_released"] == pytest.approx(60.0, abs=1e-4)
    assert table.loc["A", "tightest_margin"] == pytest.approx(0.0, abs=1e-4)
    assert table.loc["A", "held_to_share"]
    assert table.loc["B", "entitlement_at_end"] == pytest.approx(60.0, abs=1e-4)
    assert table.loc["B", "member_released"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["B", "tightest_margin"] == pytest.approx(30.0, abs=1e-4)
    assert table.loc["B", "tightest_period"] == "2027"
    assert not table.loc["B", "held_to_share"]
    assert set(table["cost_share"]) == {0.5}
    assert list(result.tables["purchases"]["access"]) == ["shares"]


def test_free_access_adds_no_rows_and_single_members_none(tmp_path: Path) -> None:
    """Without shares the family is empty; shares on a single-member stockpile adds no row
    (its share is 1: implied by the stock balance)."""
    data = load(write_workbook(tmp_path / "f.xlsx", joint_sheets(None))).data
    assert data is not None and data.access == {}
    assert share_rows(state_model(data)) == []
    lone = dataclasses.replace(data, members={"joint": {"A": 1.0}},
                               access={"joint": "shares"})
    assert shared_stockpiles(lone) == []


def test_renderings_agree_on_the_example_with_shares() -> None:
    """The bundled example with every stockpile on access shares (the joint US–EU one gets
    rows; the national ones have one member and get none): the matrix and the Pyomo model
    compiled by Pyomo agree entry by entry, and the rows are in the model."""
    data = load(EXAMPLE).data
    assert data is not None
    data = dataclasses.replace(data, access=dict.fromkeys(data.stockpiles, "shares"))
    lp = build_matrix_lp(data)
    model = build_model(data)
    _assert_same(lp, compile_pyomo(model))
    st = state_model(data)
    joint = [k for k in data.stockpiles if len(data.members[k]) > 1]
    assert shared_stockpiles(data) == joint
    rows = st.rows["access_share"]
    held = sum(1 for (k, _m) in data.holdings if k in joint)
    assert rows.size == held * 2 * data.n_periods
    assert "access_share" in lp.row_family
    block = model.scenario[data.scenarios[0]]
    assert len(block.access_share) == rows.size
    assert list(model.ACCESS_SHARES) == joint


def test_entitlements_at_a_hand_made_point() -> None:
    """``entitlements`` at a chosen point of the example's statement: with purchases a,
    no releases or draws, every member's entitlement is σ·(S0 + a) in every period."""
    data = load(EXAMPLE).data
    assert data is not None
    data = dataclasses.replace(data, access=dict.fromkeys(data.stockpiles, "shares"),
                               purchase_timing="start", lead_time={}, period_budgets={},
                               price_path={})  # one order per holding, arriving in period 1
    st = state_model(data)
    first = {f: np.zeros(v.size) for f, v in st.variables.items() if v.stage == "first"}
    first["purchase"] = np.arange(len(st.index.ORDERS), dtype=float)
    second = {f: np.zeros((st.n_scenarios, v.size)) for f, v in st.variables.items()
              if v.stage == "scenario"}
    released, entitled = entitlements(st, first, second)
    purchase = st.position("purchase")
    want = np.array([data.members[k][p] * (data.holdings[(k, m)].initial_stock
                                           + first["purchase"][purchase[(k, m, 1)]])
                     for (k, p, m, _t) in st.rows["access_share"].index])
    assert np.all(released == 0.0)
    np.testing.assert_allclose(entitled, np.broadcast_to(want, entitled.shape), rtol=1e-12)
