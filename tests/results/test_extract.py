"""Extraction and accounting on a plan given by hand: spend by party and lever, the
operating cost per scenario, losses, and the swap draws table, all derived in the
docstrings (no solve: the plan is written into a Solution directly)."""

from __future__ import annotations

import numpy as np
import pytest
from workbooks import minimal_sheets, write_workbook

from stockopt.model import state_model
from stockopt.model.budgets import SPEND_LEVERS, spending
from stockopt.model.matrix import Solution
from stockopt.results.extract import extract
from stockopt.solver.highs import SolveOutcome
from stockopt.workbook.normalize import load


@pytest.fixture(scope="module")
def statement(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """US and EU; ga at price 2; stockpile nds (US alone) and joint (US 0.6, EU 0.4), both
    holding ga at 0.5 per t per period over 2 periods; offtake o1 for US from aus (fee 3
    per t/period, price 4 per t); swap w1 from nds to EU, returned 1.5 for 1 a period
    later (fee 0.25 per t of capacity). Scenarios calm and ban (π 0.5 each)."""
    sheets = minimal_sheets()
    sheets["Parties"] = [["party", "budget"], ["US", 100], ["EU", 100]]
    sheets["Minerals"] = [["mineral", "price"], ["ga", 2]]
    sheets["Stockpiles"] = [["stockpile", "party", "cost_share"], ["nds", "US", None],
                            ["joint", "US", 0.6], ["joint", "EU", 0.4]]
    sheets["Holdings"] = [["stockpile", "mineral", "holding_cost"], ["nds", "ga", 0.5],
                          ["joint", "ga", 0.5]]
    sheets["Offtakes"] = [["offtake", "party", "mineral", "source", "max_volume", "fee", "price"],
                          ["o1", "US", "ga", "aus", 10, 3, 4]]
    sheets["Swaps"] = [["swap", "lender_stockpile", "receiver", "mineral", "return_ratio",
                        "return_lag", "max_volume", "fee"], ["w1", "nds", "EU", "ga", 1.5, 1,
                                                             10, 0.25]]
    loaded = load(write_workbook(tmp_path_factory.mktemp("extract") / "x.xlsx", sheets))
    assert loaded.data is not None, [p.message for p in loaded.problems.errors]
    return state_model(loaded.data)


def _plan(st) -> Solution:  # noqa: ANN001
    """Buy 4 t at nds and 5 t at joint, reserve 2 t/period of o1 and 1 t of w1; in 'ban'
    take 2 t from o1 in period 1 and draw 1 t of w1 in period 2; nothing else."""
    first = {f: np.zeros(st.variables[f].size) for f in st.first_stage()}
    second = {f: np.zeros((st.n_scenarios, st.variables[f].size)) for f in st.second_stage()}
    first["purchase"][st.position("purchase")[("nds", "ga", 1)]] = 4.0
    first["purchase"][st.position("purchase")[("joint", "ga", 1)]] = 5.0
    first["offtake_capacity"][0] = 2.0
    first["swap_capacity"][0] = 1.0
    ban = st.scenarios.index("ban")
    second["offtake_delivery"][ban, st.position("offtake_delivery")[("o1", 1)]] = 2.0
    second["swap_draw"][ban, st.position("swap_draw")[("w1", 2)]] = 1.0
    return Solution(first, second)


def test_spending_by_party_and_lever(statement) -> None:  # noqa: ANN001
    """A tonne costs 2 to buy and 2·0.5 = 1 to hold. US: nds 4 t (8 + 4) and 0.6 of joint's
    5 t (6 + 3), the o1 fee 2·3 = 6: purchase 14, holding 7, offtake fees 6, total 27.
    EU: 0.4 of joint (4 + 2) and the w1 fee 1·0.25: total 6.25."""
    spent = spending(statement, _plan(statement).first)
    us = {lv: spent.table[("US", lv)] for lv in SPEND_LEVERS}
    eu = {lv: spent.table[("EU", lv)] for lv in SPEND_LEVERS}
    assert us == pytest.approx({"purchase_cost": 14, "holding_cost": 7, "offtake_fees": 6,
                                "swap_fees": 0, "mitigation_fees": 0})
    assert eu == pytest.approx({"purchase_cost": 4, "holding_cost": 2, "offtake_fees": 0,
                                "swap_fees": 0.25, "mitigation_fees": 0})
    assert spent.by_party == pytest.approx({"US": 27, "EU": 6.25})
    assert spent.total == pytest.approx(33.25)
    assert sum(spent.by_lever.values()) == pytest.approx(spent.total)


def test_results_tables_follow_the_statement(statement) -> None:  # noqa: ANN001
    """'ban' pays 2·4 = 8 for deliveries and owes the return of the period-2 draw after the
    horizon: 1.5 t of ga at price 2 = 3, so its operating cost is 11; 'calm' pays 0.
    The draw's row says "after horizon", 1.5 t outstanding worth 3."""
    st = statement
    outcome = SolveOutcome(status="optimal", risk=0.0, cost=0.0)
    results = extract(_plan(st), st.data, outcome, st)
    ops = results.tables["scenario_losses"].set_index("scenario")["operating_cost"]
    assert ops.to_dict() == pytest.approx({"calm": 0.0, "ban": 11.0})
    draw = results.tables["swap_draws"].iloc[0]
    assert (draw["scenario"], draw["swap"], draw["return_period"]) == \
        ("ban", "w1", "after horizon")
    assert draw["outstanding_at_end"] == pytest.approx(1.5)
    assert draw["outstanding_value"] == pytest.approx(3.0)
    assert results.spend == pytest.approx({"US": 27, "EU": 6.25})
    assert results.spend_by_lever["EU"]["swap_fees"] == pytest.approx(0.25)
    purchases = results.tables["purchases"].set_index("stockpile")
    assert purchases.loc["joint", "total_cost"] == pytest.approx(15.0)  # 5 t · (2 + 1)


def test_losses_of_the_plan(statement) -> None:  # noqa: ANN001
    """No release anywhere: 'ban' is short of all 10 t in both periods but the 2 t from o1
    in period 1 and the 1 t drawn by the EU, which has no demand; US loses (8 + 10)/10 =
    1.8 periods of demand in 'ban', nothing in 'calm' (supply arrives).

    Per party (FORMULATION-v2 section 2): E_US = 0.5·1.8 = 0.9; the CVaR tail (1 − 0.9 =
    0.1 of probability) lies in 'ban', so CVaR_US = 1.8 and R_US = 0.5·0.9 + 0.5·1.8 =
    1.35; the EU, with no demand, has 0 everywhere."""
    st = statement
    plan = _plan(st)
    ban = st.scenarios.index("ban")
    short = plan.second["shortfall"]
    short[ban, st.position("shortfall")[("US", "ga", 1)]] = 8.0
    short[ban, st.position("shortfall")[("US", "ga", 2)]] = 10.0
    results = extract(plan, st.data, SolveOutcome(status="optimal", risk=0.0, cost=0.0), st)
    losses = results.tables["scenario_losses"].set_index("scenario")["loss"]
    assert losses.to_dict() == pytest.approx({"calm": 0.0, "ban": 1.8})
    assert results.expected_loss == pytest.approx(0.9)
    assert results.parties["US"] == pytest.approx({"expected_loss": 0.9, "cvar": 1.8,
                                                   "risk": 1.35})
    assert results.parties["EU"] == pytest.approx({"expected_loss": 0.0, "cvar": 0.0,
                                                   "risk": 0.0})
    assert results.summary_dict()["parties"] == results.parties
    by_party = results.tables["party_losses"].set_index(["scenario", "party"])["loss"]
    assert by_party.to_dict() == pytest.approx({("calm", "US"): 0.0, ("calm", "EU"): 0.0,
                                                ("ban", "US"): 1.8, ("ban", "EU"): 0.0})
