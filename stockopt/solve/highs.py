"""The one module that talks to the solver: HiGHS, in two lexicographic phases.

The LP arrives in matrix form (a ``MatrixLP``: built directly by the array builder, or
compiled from the Pyomo model by Pyomo's standard-form compiler) and is passed to HiGHS
(highspy) as arrays, the cheapest hand-off route; both phases then run on that same
loaded HiGHS model:

1. phase 1 minimizes the risk R (by default HiGHS's dual simplex with Devex pricing;
   interior point with crossover on request), so the optimum is basic and the budget
   rows' duals (∂R*/∂B) are available; it first minimizes R + w·Cost at a tight dual
   tolerance (the tie-break, ``TIE_BREAK``), then R alone from that basis;
2. phase 2 adds the row R ≤ R* + 1e-7·max(1, |R*|), switches the objective to the
   expected cost and re-solves with primal simplex (bound perturbation off),
   warm-started from the phase-1 basis (which stays primal feasible, so primal simplex
   continues from it).

Before the hand-off the LP is scaled, by powers of two so that scaling is exact:
every tonnage column of a mineral is measured in that mineral's own unit (about its
largest baseline demand, so 19 t of gallium and 90,000 t of nickel both become numbers
near 1), then every row is scaled so its largest coefficient is about 1, and the cost
objective likewise. Without it, budgets in the billions and risk coefficients in the
millionths left HiGHS with residual infeasibilities after unscaling (phase 2 ended
"unknown") and risk costs near its dual tolerance. Solutions, duals and objective
values are unscaled on the way back. Termination is checked after each phase;
anything but optimal raises ``SolveFailed`` with HiGHS's model status.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp

from ..model.matrix import MatrixLP, Solution

RISK_BOUND_RELATIVE = 1e-7
"""Phase 2 keeps R ≤ R* + RISK_BOUND_RELATIVE · max(1, |R*|) (the contract's relaxation)."""

DUAL_PRICING: dict[str, object] = {"simplex_dual_edge_weight_strategy": 1}
"""Dual simplex prices with Devex edge weights rather than HiGHS's default dual steepest
edge: about as many iterations, each cheaper (phase 1 at ``l`` 130 s → 71 s, at ``m``
25.7 s → 12.6 s; benchmarks/README.md)."""

ALGORITHMS: dict[str, dict[str, object]] = {
    "simplex": {"solver": "simplex", "simplex_strategy": 1, **DUAL_PRICING},
    "ipx": {"solver": "ipx", "run_crossover": "on"},
    "choose": {"solver": "choose"},
}
"""Phase-1 algorithm choices (HiGHS options). Crossover stays on: duals need a basis."""

ALGORITHM_NAMES = {"simplex": "dual simplex", "ipx": "interior point (ipx) with crossover",
                   "choose": "HiGHS's choice of algorithm"}
"""The phase-1 algorithm choices in words."""

DEFAULT_ALGORITHM = "simplex"
"""Measured on the benchmark ladder (benchmarks/README.md): dual simplex on the scaled
model beat interior point with crossover on this LP class."""

PHASE2_OPTIONS: dict[str, object] = {"solver": "simplex", "simplex_strategy": 4,
                                     "primal_simplex_bound_perturbation_multiplier": 0.0}
"""Phase 2: primal simplex from the phase-1 basis, without bound perturbation.

HiGHS's primal simplex perturbs bounds by default; on this LP class removing them at the
end left thousands of primal infeasibilities (sum 840 at ``l``) for a dual-simplex
clean-up. Unperturbed, phase 2 took 165 s instead of 352 s at ``l`` and 6.6 s instead of
14.5 s at ``m``. Should an unperturbed run end in anything but optimal or a time limit,
phase 2 is repeated with HiGHS's default (``PHASE2_FALLBACK``)."""

PHASE2_FALLBACK: dict[str, object] = {"primal_simplex_bound_perturbation_multiplier": 1.0}
"""HiGHS's default bound perturbation, for the retry after an unperturbed phase 2 fails."""

TIE_BREAK = 3e-4
"""Phase 1 first minimizes R + w·Cost, w = TIE_BREAK · max|risk coefficient| / max|cost
coefficient| (scaled LP), then R alone by primal simplex from that basis (usually 0
iterations). The tie-break only chooses WHICH risk-optimal vertex phase 1 ends on: a cheap
one, from which phase 2's primal simplex has little left to do. R* is the second solve's,
exactly as without it (see benchmarks/README.md for the times)."""

DUAL_TOLERANCE = 1e-7
"""HiGHS's default dual feasibility tolerance, used by every run but the tie-broken one."""

TIE_BREAK_OPTIONS: dict[str, object] = {"dual_feasibility_tolerance": 1e-9}
"""The tie-broken phase-1 run (dual simplex) at a tighter dual tolerance. In R + w·Cost
the cost part of a reduced cost is w times smaller than in phase 2; below HiGHS's
default tolerance (1e-7) it is invisible, so phase 1 ended near, not on, the cheapest
risk-optimal vertex and phase 2 had to walk there. At 1e-9 phase 2 at ``l`` took 1,405
iterations (9.6 s) instead of 42,000–49,000 (165–236 s), phase 1 151 s instead of 72 s
(benchmarks/README.md). If that run ends neither optimal nor at the time limit, it is
repeated at the default tolerance. The R polish and phase 2 run at the default."""

INF = highspy.kHighsInf


class SolveFailed(Exception):
    """A phase did not end optimal. ``status`` is HiGHS's model status in lower case."""

    def __init__(self, phase: str, status: str, outcome: SolveOutcome,
                 explanation: str = "", message: str | None = None) -> None:
        super().__init__(message or
                         f"{phase} did not solve to optimality: HiGHS status '{status}'")
        self.phase = phase
        self.status = status
        self.outcome = outcome
        self.explanation = explanation
        """Why, in words, when it can be said (e.g. which policy floor is out of reach)."""


@dataclass
class PhaseRecord:
    """What one phase did: its status, objective, wall time (s) and iteration counts."""

    name: str
    status: str
    objective: float | None
    seconds: float
    algorithm: str
    simplex_iterations: int = 0
    ipm_iterations: int = 0
    crossover_iterations: int = 0


@dataclass
class SolveOutcome:
    """Everything the solve produced, for extraction and the audit record."""

    status: str
    risk: float | None = None
    cost: float | None = None
    budget_duals: dict[str, float] = field(default_factory=dict)
    pooled_budget_dual: float = 0.0
    phases: list[PhaseRecord] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    rows: int = 0
    columns: int = 0
    nonzeros: int = 0
    solver: str = "HiGHS"
    solver_version: str = ""
    algorithm: str = DEFAULT_ALGORITHM


@functools.cache
def highs_version() -> str:
    """The HiGHS version as "major.minor.patch"."""
    h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _power_of_two_scale(magnitude: np.ndarray) -> np.ndarray:
    """2^-round(log2(m)) for each magnitude m > 0 (1 where m is 0)."""
    safe = np.where(magnitude > 0, magnitude, 1.0)
    return np.exp2(-np.round(np.log2(safe)))


class LoadedLP:
    """The compiled model loaded into one HiGHS instance, re-solvable after edits.

    ``solve()`` runs both phases; between solves, ``set_budget`` and
    ``set_pooled_budget`` change budget right-hand sides (for budget sweeps), and the
    next phase 1 warm-starts from the previous phase-1 basis.
    """

    def __init__(self, source: MatrixLP | pyo.ConcreteModel, *, verbose: bool = False) -> None:
        if isinstance(source, MatrixLP):
            self.model = None
            raw = source
        else:
            from ..model.compile import compile_pyomo

            self.model = source
            raw = compile_pyomo(source)
        self.raw = raw
        self.lp = scale(raw)
        lp = self.lp
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", bool(verbose))
        self.h.setOptionValue("log_to_console", bool(verbose))
        hlp = highspy.HighsLp()
        hlp.num_col_ = len(lp.col_lower)
        hlp.num_row_ = len(lp.row_lower)
        hlp.col_cost_ = lp.risk_cost
        hlp.col_lower_ = lp.col_lower
        hlp.col_upper_ = lp.col_upper
        hlp.row_lower_ = lp.row_lower
        hlp.row_upper_ = lp.row_upper
        hlp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        hlp.a_matrix_.start_ = lp.A.indptr.astype(np.int32)
        hlp.a_matrix_.index_ = lp.A.indices.astype(np.int32)
        hlp.a_matrix_.value_ = lp.A.data.astype(float)
        hlp.a_matrix_.num_col_ = hlp.num_col_
        hlp.a_matrix_.num_row_ = hlp.num_row_
        self.h.passModel(hlp)
        self.n_rows = hlp.num_row_
        self.budget_rows = dict(raw.budget_rows)
        self.pooled_row = raw.pooled_row
        self._phase1_basis = None
        self._risk_nz = np.flatnonzero(lp.risk_cost).astype(np.int32)
        self._risk_row_scale = float(_power_of_two_scale(
            np.array([np.abs(lp.risk_cost).max(initial=0.0)]))[0])
        self._all_cols = np.arange(hlp.num_col_, dtype=np.int32)

    @property
    def nonzeros(self) -> int:
        return int(self.lp.A.nnz)

    def scenario_count(self) -> int:
        """Number of scenarios in the loaded LP."""
        return next(iter(self.raw.layout.second.values())).shape[0]

    def set_budget(self, party: str, value: float | None) -> None:
        """Set party ``party``'s budget B_p (currency; None = no limit) for the next solve."""
        i = self.budget_rows[party]
        upper = INF if value is None else value * self.lp.row_scale[i]
        self.h.changeRowBounds(i, -INF, upper)

    def set_pooled_budget(self, value: float | None) -> None:
        """Set the pooled budget B_all (currency; None = no limit) for the next solve."""
        if self.pooled_row is None:
            raise KeyError("the model has no pooled budget row")
        i = self.pooled_row
        upper = INF if value is None else value * self.lp.row_scale[i]
        self.h.changeRowBounds(i, -INF, upper)

    def _run(self, name: str, algorithm: str, options: dict[str, object],
             deadline: float | None) -> PhaseRecord:
        self.h.setOptionValue("dual_feasibility_tolerance", DUAL_TOLERANCE)
        for key, value in options.items():
            self.h.setOptionValue(key, value)
        if deadline is not None:
            # HiGHS measures time_limit against the instance's total run time, which
            # keeps growing across re-solves: add what has run so far.
            remaining = max(deadline - time.perf_counter(), 0.0)
            self.h.setOptionValue("time_limit", self.h.getRunTime() + remaining)
        else:
            self.h.setOptionValue("time_limit", INF)
        start = time.perf_counter()
        self.h.run()
        seconds = time.perf_counter() - start
        info = self.h.getInfo()
        status = self.h.modelStatusToString(self.h.getModelStatus()).strip().lower()
        objective = info.objective_function_value if status == "optimal" else None
        return PhaseRecord(name, status, objective, seconds, algorithm,
                           simplex_iterations=int(info.simplex_iteration_count),
                           ipm_iterations=max(int(info.ipm_iteration_count), 0),
                           crossover_iterations=max(int(info.crossover_iteration_count), 0))

    def _run_primal(self, name: str, algorithm: str, deadline: float | None) -> PhaseRecord:
        """Primal simplex from the current basis (``PHASE2_OPTIONS``); if it ends in
        neither optimal nor a time limit, once more with bound perturbation on."""
        record = self._run(name, algorithm, PHASE2_OPTIONS, deadline)
        if record.status in ("optimal", "time limit reached"):
            return record
        retry = self._run(name, algorithm, {**PHASE2_OPTIONS, **PHASE2_FALLBACK}, deadline)
        retry.seconds += record.seconds
        retry.simplex_iterations += record.simplex_iterations
        return retry

    def _reset_to_phase1(self) -> None:
        """Undo a previous phase 2: drop the risk-bound row, restore the risk objective."""
        if self.h.getNumRow() > self.n_rows:
            extra = np.arange(self.n_rows, self.h.getNumRow(), dtype=np.int32)
            self.h.deleteRows(len(extra), extra)
            self.h.changeColsCost(len(self._all_cols), self._all_cols, self.lp.risk_cost)
            if self._phase1_basis is not None:
                self.h.setBasis(self._phase1_basis)

    def solve(self, *, time_limit: float | None = None, algorithm: str = DEFAULT_ALGORITHM,
              on_phase: Callable[[str], None] | None = None) -> SolveOutcome:
        """Run phase 1 and phase 2; return the outcome (raises SolveFailed if not optimal)."""
        outcome = SolveOutcome(status="unknown", solver_version=highs_version(),
                               algorithm=algorithm, rows=self.n_rows,
                               columns=len(self.lp.col_lower), nonzeros=self.nonzeros)
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        notify = on_phase or (lambda _label: None)
        self._reset_to_phase1()

        notify("phase 1/2: minimizing risk")
        phase1 = self._phase1(algorithm, deadline)
        outcome.phases.append(phase1)
        outcome.timings["phase1"] = phase1.seconds
        if phase1.status != "optimal":
            outcome.status = phase1.status
            raise SolveFailed("phase 1 (risk)", phase1.status, outcome)
        risk_star = float(phase1.objective)
        outcome.risk = risk_star
        self._phase1_basis = self.h.getBasis()
        self._record_budget_duals(outcome)

        notify("phase 2/2: cheapest plan at that risk")
        bound = risk_star + RISK_BOUND_RELATIVE * max(1.0, abs(risk_star))
        s = self._risk_row_scale
        self.h.addRow(-INF, bound * s, len(self._risk_nz), self._risk_nz,
                      self.lp.risk_cost[self._risk_nz] * s)
        self.h.changeColsCost(len(self._all_cols), self._all_cols, self.lp.cost_cost)
        phase2 = self._run_primal("phase 2 (cost)", "primal simplex (warm start)", deadline)
        outcome.phases.append(phase2)
        outcome.timings["phase2"] = phase2.seconds
        if phase2.status != "optimal":
            outcome.status = phase2.status
            raise SolveFailed("phase 2 (cost)", phase2.status, outcome)
        outcome.cost = float(phase2.objective) / self.lp.cost_scale
        phase2.objective = outcome.cost  # report in currency, not the solver's scaled units
        outcome.status = "optimal"
        return outcome

    def _phase1(self, algorithm: str, deadline: float | None) -> PhaseRecord:
        """min R + w·Cost (``TIE_BREAK``), then min R from that basis: one phase-1 record."""
        cols, lp = self._all_cols, self.lp
        cost_max = float(np.abs(lp.cost_cost).max(initial=0.0))
        if TIE_BREAK <= 0 or cost_max == 0.0:
            return self._run("phase 1 (risk)", algorithm, ALGORITHMS[algorithm], deadline)
        weight = TIE_BREAK * float(np.abs(lp.risk_cost).max(initial=0.0)) / cost_max
        self.h.changeColsCost(len(cols), cols, lp.risk_cost + weight * lp.cost_cost)
        options = ALGORITHMS[algorithm]
        if algorithm == "simplex":
            options = {**options, **TIE_BREAK_OPTIONS}
        first = self._run("phase 1 (risk)", algorithm, options, deadline)
        if first.status not in ("optimal", "time limit reached") and options is not \
                ALGORITHMS[algorithm]:  # once more at HiGHS's default tolerance
            retry = self._run("phase 1 (risk)", algorithm, ALGORITHMS[algorithm], deadline)
            retry.seconds += first.seconds
            retry.simplex_iterations += first.simplex_iterations
            first = retry
        self.h.changeColsCost(len(cols), cols, lp.risk_cost)
        if first.status != "optimal":
            return first
        polish = self._run_primal("phase 1 (risk)", "primal simplex", deadline)
        polish.seconds += first.seconds
        polish.simplex_iterations += first.simplex_iterations
        polish.ipm_iterations += first.ipm_iterations
        polish.crossover_iterations += first.crossover_iterations
        polish.algorithm = (f"{ALGORITHM_NAMES.get(algorithm, algorithm)} on R + "
                            f"{TIE_BREAK:g}·Cost (tie-break), then primal simplex on R")
        return polish

    def solve_risk(self, *, time_limit: float | None = None,
                   algorithm: str = DEFAULT_ALGORITHM) -> PhaseRecord:
        """Phase 1 only: minimize R and return its record (no risk bound, no cost phase).

        For uses that need the risk optimum alone, e.g. evaluating a fixed plan. Raises
        SolveFailed when it does not end optimal.
        """
        self._reset_to_phase1()
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        record = self._run("phase 1 (risk)", algorithm, ALGORITHMS[algorithm], deadline)
        if record.status != "optimal":
            raise SolveFailed("phase 1 (risk)", record.status,
                              SolveOutcome(status=record.status, phases=[record]))
        self._phase1_basis = self.h.getBasis()
        return record

    def _record_budget_duals(self, outcome: SolveOutcome) -> None:
        """Budget shadow prices ∂R*/∂B (≤ 0) from the phase-1 row duals, unscaled."""
        duals = self.h.getSolution().row_dual
        scale = self.lp.row_scale
        for party, i in self.budget_rows.items():
            outcome.budget_duals[party] = min(0.0, float(duals[i]) * float(scale[i]))
        if self.pooled_row is not None:
            i = self.pooled_row
            outcome.pooled_budget_dual = min(0.0, float(duals[i]) * float(scale[i]))
        parties = self.model.PARTIES if self.model is not None else ()
        for p in parties:
            outcome.budget_duals.setdefault(p, 0.0)

    def primal_values(self) -> np.ndarray:
        """Column values of the last solution, in the model's units (t, currency)."""
        return np.asarray(self.h.getSolution().col_value, dtype=float) * self.lp.col_scale

    def solution(self) -> Solution:
        """The last solution by variable family (model units)."""
        values = self.primal_values()
        if not np.all(np.isfinite(values)):  # pragma: no cover - defensive
            raise ValueError("HiGHS returned a non-finite solution")
        return Solution.from_vector(self.raw.layout, values)

    def load_primal(self) -> None:
        """Copy the last solution into the Pyomo model's variables (Pyomo route only;
        variables in no row get 0)."""
        if self.model is None:
            raise ValueError("this LoadedLP was built from arrays; use solution()")
        from ..model.compile import pyomo_columns

        values = self.primal_values()
        for var in self.model.component_data_objects(pyo.Var, descend_into=True):
            var.set_value(0.0 if var.lb is None or var.lb <= 0 else var.lb,
                          skip_validation=True)
        for var, x in zip(pyomo_columns(self.model, self.raw), values.tolist(), strict=True):
            var.set_value(x, skip_validation=True)


@dataclass
class ScaledLP:
    """A MatrixLP scaled for the solver (see the module docstring).

    Column j is the model variable divided by ``col_scale[j]``; row i is multiplied by
    ``row_scale[i]``; the cost objective by ``cost_scale``.
    """

    A: sp.csc_matrix
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    risk_cost: np.ndarray
    cost_cost: np.ndarray
    row_scale: np.ndarray
    col_scale: np.ndarray
    cost_scale: float


def scale(lp: MatrixLP) -> ScaledLP:
    """Scale ``lp`` by powers of two: mineral units on columns, then row equilibration."""
    col_scale = lp.col_unit
    A = sp.csr_matrix(lp.A @ sp.diags(col_scale))
    row_max = np.asarray(abs(A).max(axis=1).toarray()).ravel() if A.nnz \
        else np.zeros(A.shape[0])
    row_scale = _power_of_two_scale(row_max)
    A = sp.csc_matrix(sp.diags(row_scale) @ A)
    with np.errstate(invalid="ignore"):
        row_lower = np.where(np.isfinite(lp.row_lower), lp.row_lower * row_scale, -INF)
        row_upper = np.where(np.isfinite(lp.row_upper), lp.row_upper * row_scale, INF)
    cost_cost = lp.cost_cost * col_scale
    cost_scale = float(_power_of_two_scale(np.array([np.abs(cost_cost).max(initial=0.0)]))[0])
    return ScaledLP(A=A, col_lower=lp.col_lower / col_scale, col_upper=lp.col_upper / col_scale,
                    row_lower=row_lower, row_upper=row_upper,
                    risk_cost=lp.risk_cost * col_scale, cost_cost=cost_cost * cost_scale,
                    row_scale=row_scale, col_scale=col_scale, cost_scale=cost_scale)


def _solve_loaded(source: MatrixLP | pyo.ConcreteModel, *, time_limit: float | None,
                  verbose: bool, algorithm: str,
                  on_phase: Callable[[str], None] | None) -> tuple[SolveOutcome, LoadedLP]:
    """Hand ``source`` to HiGHS and run both phases, timing the hand-off."""
    (on_phase or (lambda _label: None))("handing the model to HiGHS")
    t0 = time.perf_counter()
    loaded = LoadedLP(source, verbose=verbose)
    handoff = time.perf_counter() - t0
    try:
        outcome = loaded.solve(time_limit=time_limit, algorithm=algorithm, on_phase=on_phase)
    except SolveFailed as exc:
        exc.outcome.timings["handoff"] = handoff
        raise
    outcome.timings["handoff"] = handoff
    return outcome, loaded


def solve(model: pyo.ConcreteModel, *, time_limit: float | None = None, verbose: bool = False,
          algorithm: str = DEFAULT_ALGORITHM,
          on_phase: Callable[[str], None] | None = None) -> SolveOutcome:
    """Solve the Pyomo ``model`` lexicographically and load the phase-2 solution into it.

    The Pyomo route (reference); ``solve_lp`` is the same for a MatrixLP built from
    arrays. ``time_limit`` (s) bounds both phases together; ``verbose`` streams the
    HiGHS log; ``on_phase`` is called with a label as each step starts. Raises
    ``SolveFailed`` when a phase does not end optimal.
    """
    outcome, loaded = _solve_loaded(model, time_limit=time_limit, verbose=verbose,
                                    algorithm=algorithm, on_phase=on_phase)
    t0 = time.perf_counter()
    loaded.load_primal()
    outcome.timings["load_solution"] = time.perf_counter() - t0
    return outcome


def solve_lp(lp: MatrixLP, *, time_limit: float | None = None, verbose: bool = False,
             algorithm: str = DEFAULT_ALGORITHM, parties: list[str] | tuple[str, ...] = (),
             on_phase: Callable[[str], None] | None = None) -> tuple[SolveOutcome, Solution]:
    """Solve a MatrixLP lexicographically; return the outcome and the phase-2 solution.

    ``parties`` lists every party, so parties without a budget get a shadow price of 0.
    """
    outcome, loaded = _solve_loaded(lp, time_limit=time_limit, verbose=verbose,
                                    algorithm=algorithm, on_phase=on_phase)
    for p in parties:
        outcome.budget_duals.setdefault(p, 0.0)
    t0 = time.perf_counter()
    solution = loaded.solution()
    outcome.timings["load_solution"] = time.perf_counter() - t0
    return outcome, solution
