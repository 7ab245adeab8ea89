"""The HiGHS driver: scaling, runs and time limits on a reused instance, budget duals and
bounds, the phase-2 risk row; the lexicographic solve and the warm sweep share them."""

from __future__ import annotations

import math
import time
from pathlib import Path

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

from stockopt.model import build_matrix_lp
from stockopt.model.matrix import ColumnLayout, MatrixLP
from stockopt.solver import driver
from stockopt.solver.driver import (
    INF,
    ITERATION_LIMIT_DEFAULT,
    RISK_BOUND_RELATIVE,
    PhaseRecord,
    RiskRow,
)
from stockopt.solver.highs import LoadedLP
from stockopt.solver.warm_sweep import WarmSweepSolver
from stockopt.workbook.normalize import load

EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_example.xlsx"


@pytest.fixture(scope="module")
def example_lp() -> MatrixLP:
    data = load(EXAMPLE).data
    return build_matrix_lp(data)


def tiny(budgets: tuple[float | None, float | None] = (3.0, 4.0),
         pooled: float | None = 6.0) -> MatrixLP:
    """Two purchases x0, x1 (t, units 4 and 1) and two parties: 'A' pays 2 per t of x0,
    'B' 8 per t of x1; A's row, B's row, then the pooled row Σ spend. The risk objective
    is −0.5·x0 − 0.25·x1 (periods, up to a constant), the cost 2·x0 + 8·x1; x ≤ 10 t."""
    A = sp.csr_matrix(np.array([[2.0, 0.0], [0.0, 8.0], [2.0, 8.0]]))
    upper = np.array([np.inf if b is None else b for b in (*budgets, pooled)])
    rows = np.array([0, 1], dtype=np.int64)
    return MatrixLP(A=A, col_lower=np.zeros(2), col_upper=np.full(2, 10.0),
                    row_lower=np.full(3, -np.inf), row_upper=upper,
                    risk_cost=np.array([-0.5, -0.25]), cost_cost=np.array([2.0, 8.0]),
                    layout=ColumnLayout(first={"purchase": np.arange(2)}),
                    row_layout=ColumnLayout(first={"budget_limit": rows,
                                                   "pooled_budget_limit": np.array([2])}),
                    row_family=["budget_limit", "budget_limit", "pooled_budget_limit"],
                    parties=["A", "B"], budgeted=["A", "B"], col_unit=np.array([4.0, 1.0]))


def test_scale_is_by_powers_of_two_and_keeps_the_budget_rows() -> None:
    lp = driver.scale(tiny())
    for factor in (*lp.row_scale, *lp.col_scale, lp.cost_scale):
        assert math.log2(factor) == round(math.log2(factor))
    assert lp.budget_rows == {"A": 0, "B": 1} and lp.pooled_row == 2
    # x0 in units of 4 t: A's row 2·4 = 8, scaled by 1/8
    assert lp.row_scale[0] == 0.125 and lp.A[0, 0] == 1.0
    assert lp.row_upper[0] == 3.0 * 0.125


def test_budget_shadow_prices_unscale_and_clip() -> None:
    """∂R*/∂B = row dual × row scale, at most 0; the pooled row's too."""
    lp = driver.scale(tiny())
    duals = [-3.0, 0.7, -1.0]
    parties, pooled = driver.budget_shadow_prices(lp, duals)
    assert parties == {"A": -3.0 * lp.row_scale[0], "B": 0.0}
    assert pooled == -1.0 * lp.row_scale[2]
    lp.pooled_row = None
    assert driver.budget_shadow_prices(lp, duals)[1] == 0.0


def test_shadow_prices_of_a_solved_lp() -> None:
    """No pooled budget. A's budget 3 buys 1.5 t of x0 and binds: R falls by 0.5 per t at
    2 per t, ∂R*/∂B_A = −0.25; B's 4 buys 0.5 t of x1 and binds: ∂R*/∂B_B = −0.25/8."""
    lp = driver.scale(tiny(pooled=None))
    h = driver.load(lp, lp.risk_cost)
    assert driver.run(h, "phase 1 (risk)", "dual simplex", {}).status == "optimal"
    parties, pooled = driver.budget_shadow_prices(lp, driver.row_duals(h))
    assert parties["A"] == pytest.approx(-0.25, rel=1e-12)
    assert parties["B"] == pytest.approx(-0.25 / 8, rel=1e-12)
    assert pooled == 0.0


def test_budget_bounds_are_set_scaled_in_every_instance() -> None:
    lp = driver.scale(tiny())
    h1, h2 = (driver.load(lp, lp.risk_cost) for _ in range(2))
    bounds = driver.budget_row_bounds(lp, {"A": 5.0}, None)
    assert bounds == {0: 5.0, 1: None, 2: None}  # B missing: unlimited; pooled: None
    driver.set_budget_rows([h1, h2], lp, bounds)
    for h in (h1, h2):
        upper = h.getLp().row_upper_
        assert upper[0] == 5.0 * lp.row_scale[0] and upper[1] == INF and upper[2] == INF
    # LoadedLP's per-party setters go through the same function
    loaded = LoadedLP(tiny())
    loaded.set_budget("B", 2.0)
    loaded.set_pooled_budget(None)
    upper = loaded.h.getLp().row_upper_
    assert upper[1] == 2.0 * loaded.lp.row_scale[1] and upper[2] == INF


def test_time_limit_counts_the_instance_s_run_time_so_far(example_lp: MatrixLP) -> None:
    """HiGHS compares time_limit with the instance's total run time, which grows across
    runs: the limit is the run time so far plus what remains to the deadline."""
    lp = driver.scale(example_lp)
    h = driver.load(lp, lp.risk_cost)
    assert driver.time_limit_for(h, None) == INF
    assert driver.run(h, "phase 1 (risk)", "dual simplex", {}).status == "optimal"
    so_far = h.getRunTime()
    assert so_far > 0.0
    limit = driver.time_limit_for(h, time.perf_counter() + 5.0)
    assert so_far + 4.9 < limit <= so_far + 5.0
    assert driver.time_limit_for(h, time.perf_counter() - 1.0) == so_far  # past: none left
    # a second run of the reused instance within a generous deadline ends optimal
    driver.forget_solution(h)
    record = driver.run(h, "phase 1 (risk)", "dual simplex", {}, time.perf_counter() + 60.0)
    assert record.status == "optimal"
    assert h.getOptionValue("time_limit")[1] == pytest.approx(so_far + 60.0, abs=1.0)
    driver.run(h, "phase 1 (risk)", "dual simplex", {})
    assert h.getOptionValue("time_limit")[1] == INF


def test_iteration_limit_and_tolerance_are_per_run(example_lp: MatrixLP) -> None:
    lp = driver.scale(example_lp)
    h = driver.load(lp, lp.risk_cost)
    limited = driver.run(h, "phase 1 (risk)", "dual simplex", {"presolve": "off",
                                                                "dual_feasibility_tolerance": 1e-9},
                         iteration_limit=3)
    assert limited.status == "iteration limit reached" and limited.simplex_iterations == 3
    assert limited.objective is None
    record = driver.run(h, "phase 1 (risk)", "dual simplex", {})
    assert record.status == "optimal" and record.objective is not None
    assert h.getOptionValue("simplex_iteration_limit")[1] == ITERATION_LIMIT_DEFAULT
    assert h.getOptionValue("dual_feasibility_tolerance")[1] == driver.DUAL_TOLERANCE


def test_risk_row_bound_and_scale() -> None:
    lp = driver.scale(tiny())
    row = RiskRow.of(lp)
    biggest = np.abs(lp.risk_cost).max()
    assert row.scale == 2.0 ** -round(math.log2(biggest))
    assert row.values.tolist() == (lp.risk_cost * row.scale).tolist()
    for r in (0.0, 0.5, 3.0, -2.0):
        assert row.upper(r) == (r + RISK_BOUND_RELATIVE * max(1.0, abs(r))) * row.scale
    assert row.upper(None) == INF
    h = driver.load(lp, lp.cost_cost)
    number = row.add_to(h, None)
    assert number == lp.n_rows and driver.row_count(h) == lp.n_rows + 1
    row.bound(h, number, 3.0)
    assert h.getLp().row_upper_[number] == row.upper(3.0)
    assert driver.drop_rows_after(h, lp.n_rows) and driver.row_count(h) == lp.n_rows
    assert not driver.drop_rows_after(h, lp.n_rows)


def test_add_effort_sums_seconds_and_iterations() -> None:
    later = PhaseRecord("p", "optimal", 1.0, 0.5, "a", 3, 2, 1)
    later.add_effort(PhaseRecord("p", "unknown", None, 0.25, "a", 7, 0, 4))
    assert (later.seconds, later.simplex_iterations, later.ipm_iterations,
            later.crossover_iterations) == (0.75, 10, 2, 5)


def test_cold_solve_and_warm_sweep_share_duals_and_risk_row(example_lp: MatrixLP) -> None:
    """The first (cold) point of a warm sweep and LoadedLP.solve: the same R*, cost and
    budget shadow prices; the warm solver's phase-2 risk row is LoadedLP's."""
    reference = LoadedLP(example_lp).solve()
    loaded = LoadedLP(example_lp)
    sweep = WarmSweepSolver(loaded)
    assert sweep.risk_row.scale == loaded.risk_row.scale
    assert sweep.risk_row.cols.tolist() == loaded.risk_row.cols.tolist()
    assert sweep.risk_row.values.tolist() == loaded.risk_row.values.tolist()
    outcome = sweep.solve(cold=True)
    assert outcome.risk == pytest.approx(reference.risk, rel=1e-9)
    assert outcome.cost == pytest.approx(reference.cost, rel=1e-7)
    assert outcome.budget_duals.keys() == reference.budget_duals.keys()
    for party, dual in reference.budget_duals.items():
        assert outcome.budget_duals[party] == pytest.approx(dual, rel=1e-6, abs=1e-15)
    assert outcome.pooled_budget_dual == reference.pooled_budget_dual


def test_the_optimal_face_fixes_what_has_a_dual_and_lifts_back() -> None:
    """Phase 1 of the tiny LP with an unbounded pooled row: both budgets bind (duals −0.25 and
    −0.25/8 before scaling), x0 = 1.5 and x1 = 0.5 are basic. The face fixes the two
    budget rows at their (upper) bounds and no column; the copy on the face holds them
    there without touching the original, and its basis lifts back with both rows
    nonbasic at their upper bounds."""
    lp = driver.scale(tiny(pooled=None))
    h = driver.load(lp, lp.risk_cost)
    assert driver.run(h, "phase 1 (risk)", "dual simplex", {}).status == "optimal"
    face = driver.optimal_face(h, 1e-9)
    assert face.cols.tolist() == []
    assert face.rows.tolist() == [0, 1] and face.row_at_upper.tolist() == [True, True]
    assert face.row_values.tolist() == pytest.approx([3.0 * lp.row_scale[0],
                                                      4.0 * lp.row_scale[1]], rel=1e-12)
    restricted = driver.on_face(h, face, lp.cost_cost)
    copy = restricted.getLp()
    assert list(copy.row_lower_) == [*face.row_values.tolist(), -INF]  # the pooled row: free
    assert list(copy.row_upper_) == [*face.row_values.tolist(), INF]
    assert list(copy.col_cost_) == lp.cost_cost.tolist()
    assert list(h.getLp().row_lower_) == [-INF] * 3  # the original keeps its rows
    assert driver.run(restricted, "phase 3 (releases)", "dual simplex", {}).status == "optimal"
    lifted = driver.lift_basis(restricted, face)
    assert lifted.valid
    nonbasic = [s for s in lifted.row_status if s != highspy.HighsBasisStatus.kBasic]
    assert all(s == highspy.HighsBasisStatus.kUpper for s in nonbasic)
    driver.set_basis(h, lifted)  # the restricted optimum, which is phase 1's again
    record = driver.run(h, "phase 1 (risk)", "primal simplex", {"simplex_strategy": 4})
    assert record.status == "optimal" and record.simplex_iterations == 0
    assert np.asarray(h.getSolution().col_value) * lp.col_scale == pytest.approx([1.5, 0.5])
