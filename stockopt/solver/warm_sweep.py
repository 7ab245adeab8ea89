"""Both lexicographic phases re-solved hot after budget changes (the frontier's solver).

``WarmSweepSolver`` solves the same problem as ``LoadedLP.solve`` (the same scaled
arrays, options, tie-break and phase-2 risk bound R ≤ R* + 1e-7·max(1, |R*|)) point after
point of a budget sweep. Phase 1 (risk) and phase 2 (cost, with the risk row) each keep
their own HiGHS instance, so between points only row bounds move (the budgets, and the
risk bound): each instance keeps its optimal basis and factorization, which a bound
change leaves dual feasible, and dual simplex continues from it. No rows are added or
removed and no basis is reloaded.

A cold point runs as ``LoadedLP.solve`` does: phase 1 from scratch (dual simplex on
R + w·Cost at the tie-break's tight dual tolerance, then R alone by primal simplex from
that basis), phase 2 by unperturbed primal simplex from the phase-1 basis plus the risk
row. A hot phase that needs more simplex iterations than the first cold solve of that
phase (at least 1,000) is abandoned and run cold, so a hot point costs at most about
twice a cold one (``fallbacks`` counts them). Runs, duals, budget bounds and the risk row
are the driver's (``solver.driver``). Each phase's solution is checked against the
model's rows in model units, as ``LoadedLP.solve`` does (``solver.check``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np

from ..model.matrix import Solution
from . import driver
from .driver import Highs, PhaseRecord, RiskRow
from .highs import (
    DUAL_PRICING,
    PHASE2_OPTIONS,
    TIE_BREAK_OPTIONS,
    LoadedLP,
    SolveFailed,
    SolveOutcome,
    check_solution,
    highs_version,
    risk_bound,
    tie_break_weight,
)

DUAL_SIMPLEX: dict[str, object] = {"simplex_strategy": 1}
"""Hot runs (both phases) and the cold phase 1."""

PRIMAL_SIMPLEX: dict[str, object] = {"simplex_strategy": 4}
"""The R polish after the tie-broken phase 1, and the cold phase 2 from phase 1's basis."""

MIN_REFERENCE_ITERATIONS = 1000
"""A hot phase may always take this many simplex iterations before it is re-run cold."""


class WarmSweepSolver:
    """Both phases of one point, each on its own HiGHS instance kept hot between points.

    Phase 1 runs on ``loaded.h``; phase 2 on a second HiGHS instance holding the same
    rows plus the risk row and the cost objective. Uses ``loaded``'s public attributes
    (``h``, ``lp``, ``raw``, ``n_rows``); do not call ``loaded.solve`` on the same
    LoadedLP while this solver is in use.
    """

    def __init__(self, loaded: LoadedLP, *, phase2_start: str = "previous") -> None:
        self.loaded = loaded
        lp = loaded.lp
        self.h1 = loaded.h
        if driver.row_count(self.h1) != loaded.n_rows:
            raise ValueError("WarmSweepSolver needs a LoadedLP that has not been solved")
        driver.set_options(self.h1, {"solver": "simplex", **DUAL_PRICING})
        # phase 1 minimizes R + w·Cost (LoadedLP's tie-break: it ends on a cheap
        # risk-optimal vertex), then R alone from that basis for the exact R*
        weight = tie_break_weight(lp) or 0.0
        self._weighted = lp.risk_cost + weight * lp.cost_cost
        self._tie_break = weight > 0.0
        driver.set_objective(self.h1, self._weighted)
        self.h2 = driver.clone(self.h1)
        driver.set_options(self.h2, {"solver": "simplex", **DUAL_PRICING, **PHASE2_OPTIONS})
        self.risk_row = RiskRow.of(lp)
        self._risk_row_number = self.risk_row.add_to(self.h2, None)
        driver.set_objective(self.h2, lp.cost_cost)
        self._phase2_solved = False
        self.phase2_start = phase2_start
        """"previous": phase 2 hot from the previous point's phase-2 basis (dual simplex);
        "phase1": from this point's phase-1 basis (primal simplex), as a cold point does."""
        self._reference_iterations: dict[str, int] = {}
        self.fallbacks = 0
        """How many hot phases were abandoned and re-run cold."""

    def set_budgets(self, budgets: Mapping[str, float | None], pooled: float | None,
                    period: Mapping[tuple[str, int], float] | None = None) -> None:
        """Set B_p (currency; None = unlimited) for every budget row, B_all if it has a
        row, and the PeriodBudgets rows B_{p,t} given in ``period``, in both instances."""
        self.set_row_upper(driver.budget_row_bounds(self.loaded.lp, budgets, pooled, period))

    def set_row_upper(self, bounds: Mapping[int, float | None]) -> None:
        """Set ≤ rows of the model (row -> upper bound in model units, e.g. a budget in
        currency or a market depth in t; None = unlimited) in both instances: a change of
        right-hand sides only, so both bases stay and the next solve is hot. The
        solution check (``solver.check``) checks against the bounds as set."""
        driver.set_row_upper([self.h1, self.h2], self.loaded.lp, bounds)
        raw = self.loaded.raw
        for i, value in bounds.items():
            raw.row_lower[i] = -np.inf
            raw.row_upper[i] = np.inf if value is None else value

    def start_from(self, start: driver.Basis,
                   reference_iterations: Mapping[str, int] | None = None) -> None:
        """Start the next phase 1 hot from ``start``, a phase-1 basis of another LP of the
        same shape (the same model with other coefficients, e.g. a sensitivity point
        rebuilt from arrays), instead of from scratch; call ``solve(cold=False)`` next.
        ``reference_iterations`` (phase name -> iterations of a cold solve, e.g. the
        other LP's ``reference_iterations``) caps the hot run before it is re-run cold."""
        driver.set_basis(self.h1, start)
        self._reference_iterations.update(reference_iterations or {})

    @property
    def reference_iterations(self) -> dict[str, int]:
        """Phase name -> the simplex iterations a hot run of it may take before it is
        re-run cold (from the first cold solve, at least ``MIN_REFERENCE_ITERATIONS``)."""
        return dict(self._reference_iterations)

    def phase1_basis(self) -> driver.Basis:
        """A copy of the last phase-1 basis (optimal for R and the tie-broken objective)."""
        return driver.basis(self.h1)

    def _phase(self, outcome: SolveOutcome, h: Highs, name: str, warm: bool,
               cold_start: Callable[[], None], cold_options: Mapping[str, object],
               cold_algorithm: str, deadline: float | None,
               options: Mapping[str, object] | None = None) -> PhaseRecord:
        """Run a phase hot (dual simplex, iteration-limited), falling back to cold.

        ``options`` apply to both runs; ``cold_options`` to the cold one."""
        options = options or {}
        if warm:
            limit = self._reference_iterations.get(name)
            record = driver.run(h, name, "dual simplex (hot start)",
                                {**options, **DUAL_SIMPLEX}, deadline, iteration_limit=limit)
            outcome.phases.append(record)
            if record.status != "iteration limit reached":
                return record
            self.fallbacks += 1
        cold_start()
        record = driver.run(h, name, cold_algorithm, {**options, **cold_options}, deadline)
        outcome.phases.append(record)
        self._reference_iterations.setdefault(
            name, max(record.simplex_iterations, MIN_REFERENCE_ITERATIONS))
        return record

    def solve(self, *, time_limit: float | None = None, cold: bool = False) -> SolveOutcome:
        """Solve both phases at the current budgets; ``cold`` ignores the previous bases.

        ``time_limit`` (s) bounds both phases together. Raises SolveFailed when a phase
        does not end optimal.
        """
        loaded, lp = self.loaded, self.loaded.lp
        outcome = SolveOutcome(status="unknown", solver_version=highs_version(),
                               algorithm="dual simplex (hot start)", rows=loaded.n_rows,
                               columns=lp.n_cols, nonzeros=loaded.nonzeros)
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        h1, h2 = self.h1, self.h2

        # the tie-broken run at LoadedLP's tight dual tolerance
        tight = TIE_BREAK_OPTIONS if self._tie_break else {}
        phase1 = self._phase(outcome, h1, "phase 1 (risk)", not cold,
                             lambda: driver.forget_solution(h1),
                             DUAL_SIMPLEX, "dual simplex", deadline, options=tight)
        risk_duals = None
        if phase1.status == "optimal" and self._tie_break:
            # R alone from the tie-broken basis (usually no iterations), then the weighted
            # objective back for the next point: the basis is optimal for both (the duals
            # are read before the objective changes)
            driver.set_objective(h1, lp.risk_cost)
            phase1 = driver.run(h1, "phase 1 (risk)", "primal simplex on R alone",
                                PRIMAL_SIMPLEX, deadline)
            outcome.phases.append(phase1)
            risk_duals = driver.row_duals(h1)
            driver.set_objective(h1, self._weighted)
        if phase1.status != "optimal":
            outcome.status = phase1.status
            raise SolveFailed("phase 1 (risk)", phase1.status, outcome)
        risk_star = float(phase1.objective)
        outcome.risk = risk_star
        check_solution(loaded.check, driver.primal_values(h1, lp), "phase 1 (risk)", outcome)
        row_duals = driver.row_duals(h1) if risk_duals is None else risk_duals
        outcome.budget_duals, outcome.pooled_budget_dual = driver.budget_shadow_prices(
            lp, row_duals)
        outcome.period_budget_duals = driver.period_budget_shadow_prices(lp, row_duals)

        self.risk_row.bound(h2, self._risk_row_number, risk_star)

        def from_phase1() -> None:
            # the phase-1 basis with the risk row basic: primal feasible for phase 2
            driver.set_basis(h2, driver.with_basic_rows(driver.basis(h1), 1))

        hot2 = not cold and self._phase2_solved and self.phase2_start == "previous"
        phase2 = self._phase(outcome, h2, "phase 2 (cost)", hot2, from_phase1,
                             PRIMAL_SIMPLEX, "primal simplex (from phase 1)", deadline)
        if phase2.status != "optimal":
            outcome.status = phase2.status
            self._phase2_solved = False
            raise SolveFailed("phase 2 (cost)", phase2.status, outcome)
        try:
            check_solution(loaded.check, driver.primal_values(h2, lp), "phase 2 (cost)",
                           outcome, risk_bound=risk_bound(risk_star))
        except SolveFailed:
            self._phase2_solved = False
            raise
        self._phase2_solved = True
        outcome.cost = float(phase2.objective) / lp.cost_scale
        outcome.status = "optimal"
        for key, prefix in (("phase1", "phase 1"), ("phase2", "phase 2")):
            outcome.timings[key] = sum(p.seconds for p in outcome.phases
                                       if p.name.startswith(prefix))
        return outcome

    def solution(self) -> Solution:
        """The last phase-2 solution by variable family (model units: t, currency)."""
        return driver.solution(self.h2, self.loaded.lp, self.loaded.raw.layout)
