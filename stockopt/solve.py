"""The one module that talks to the solver: HiGHS, in two lexicographic phases.

The Pyomo model is compiled once to matrix form by Pyomo's standard-form compiler
(``LinearStandardFormCompiler``) and passed to HiGHS (highspy) as arrays, the cheapest
hand-off route; both phases then run on that same loaded HiGHS model:

1. phase 1 minimizes the risk R with HiGHS's interior point (ipx) and crossover, so the
   optimum is basic and the budget rows' duals (∂R*/∂B) are available;
2. phase 2 adds the row R ≤ R* + 1e-7·max(1, |R*|), swaps the objective to the
   expected cost and re-solves, warm-started from the phase-1 basis (dual simplex).

Termination is checked after each phase; anything but optimal raises ``SolveFailed``
with HiGHS's model status. The primal solution of phase 2 is loaded back into the
Pyomo variables for extraction.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

RISK_BOUND_RELATIVE = 1e-7
"""Phase 2 keeps R ≤ R* + RISK_BOUND_RELATIVE · max(1, |R*|) (the contract's relaxation)."""

ALGORITHMS = {
    "ipx": {"solver": "ipx", "run_crossover": "on"},
    "simplex": {"solver": "simplex", "simplex_strategy": 1},
    "choose": {"solver": "choose"},
}
"""Phase-1 algorithm choices (HiGHS options). ipx with crossover is the default."""


class SolveFailed(Exception):
    """A phase did not end optimal. ``status`` is HiGHS's model status in lower case."""

    def __init__(self, phase: str, status: str, outcome: SolveOutcome) -> None:
        super().__init__(f"{phase} did not solve to optimality: HiGHS status '{status}'")
        self.phase = phase
        self.status = status
        self.outcome = outcome


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
    algorithm: str = "ipx"


def highs_version() -> str:
    """The HiGHS version as "major.minor.patch"."""
    h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


@dataclass
class CompiledLP:
    """The model in matrix form: columns, rows (with sense), objectives and their Pyomo origins."""

    info: object
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    risk_cost: np.ndarray
    cost_cost: np.ndarray
    cost_offset: float
    risk_offset: float


def compile_lp(model: pyo.ConcreteModel) -> CompiledLP:
    """Compile ``model`` (both objectives) to arrays with Pyomo's standard-form compiler."""
    model.cost.activate()
    try:
        info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    finally:
        model.cost.deactivate()
    names = [o.parent_component().local_name for o in info.objectives]
    c = info.c.toarray() if hasattr(info.c, "toarray") else np.asarray(info.c)
    risk_row, cost_row = names.index("risk"), names.index("cost")
    n_cols = len(info.columns)
    col_lower = np.empty(n_cols)
    col_upper = np.empty(n_cols)
    for j, var in enumerate(info.columns):
        lb, ub = var.bounds
        col_lower[j] = -highspy.kHighsInf if lb is None else lb
        col_upper[j] = highspy.kHighsInf if ub is None else ub
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.array([r[1] for r in info.rows], dtype=int)
    row_lower = np.where(sense <= 0, rhs, -highspy.kHighsInf)
    row_upper = np.where(sense >= 0, rhs, highspy.kHighsInf)
    offsets = np.asarray(info.c_offset, dtype=float)
    return CompiledLP(info, col_lower, col_upper, row_lower, row_upper,
                      np.asarray(c[risk_row]).ravel(), np.asarray(c[cost_row]).ravel(),
                      float(offsets[cost_row]), float(offsets[risk_row]))


def _load_highs(lp: CompiledLP, verbose: bool) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(verbose))
    h.setOptionValue("log_to_console", bool(verbose))
    A = lp.info.A.tocsc()
    model = highspy.HighsLp()
    model.num_col_ = len(lp.col_lower)
    model.num_row_ = len(lp.row_lower)
    model.col_cost_ = lp.risk_cost
    model.col_lower_ = lp.col_lower
    model.col_upper_ = lp.col_upper
    model.row_lower_ = lp.row_lower
    model.row_upper_ = lp.row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = A.indptr.astype(np.int32)
    model.a_matrix_.index_ = A.indices.astype(np.int32)
    model.a_matrix_.value_ = A.data.astype(float)
    model.a_matrix_.num_col_ = model.num_col_
    model.a_matrix_.num_row_ = model.num_row_
    h.passModel(model)
    return h


def _status(h: highspy.Highs) -> str:
    return h.modelStatusToString(h.getModelStatus()).strip().lower()


def _run(h: highspy.Highs, name: str, algorithm: str, options: dict,
         deadline: float | None) -> PhaseRecord:
    for key, value in options.items():
        h.setOptionValue(key, value)
    if deadline is not None:
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.0))
    start = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - start
    info = h.getInfo()
    status = _status(h)
    objective = h.getInfo().objective_function_value if status == "optimal" else None
    return PhaseRecord(name, status, objective, seconds, algorithm,
                       simplex_iterations=int(info.simplex_iteration_count),
                       ipm_iterations=int(info.ipm_iteration_count),
                       crossover_iterations=int(info.crossover_iteration_count))


def solve(model: pyo.ConcreteModel, *, time_limit: float | None = None, verbose: bool = False,
          algorithm: str = "ipx",
          on_phase: Callable[[str], None] | None = None) -> SolveOutcome:
    """Solve ``model`` lexicographically (risk, then cost) and load the phase-2 solution.

    ``time_limit`` (s) bounds both phases together; ``verbose`` streams the HiGHS log;
    ``on_phase`` is called with a label as each step starts (for a progress display).
    Raises ``SolveFailed`` when a phase does not end optimal.
    """
    outcome = SolveOutcome(status="unknown", solver_version=highs_version(), algorithm=algorithm)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    notify = on_phase or (lambda _label: None)

    notify("compiling the model for HiGHS")
    t0 = time.perf_counter()
    lp = compile_lp(model)
    h = _load_highs(lp, verbose)
    outcome.timings["handoff"] = time.perf_counter() - t0
    outcome.rows, outcome.columns = len(lp.row_lower), len(lp.col_lower)
    outcome.nonzeros = int(lp.info.A.nnz)

    notify("phase 1/2: minimizing risk")
    phase1 = _run(h, "phase 1 (risk)", algorithm, ALGORITHMS[algorithm], deadline)
    outcome.phases.append(phase1)
    outcome.timings["phase1"] = phase1.seconds
    if phase1.status != "optimal":
        outcome.status = phase1.status
        raise SolveFailed("phase 1 (risk)", phase1.status, outcome)
    risk_star = float(phase1.objective) + lp.risk_offset
    outcome.risk = risk_star
    _record_budget_duals(model, lp, h, outcome)

    notify("phase 2/2: cheapest plan at that risk")
    bound = risk_star + RISK_BOUND_RELATIVE * max(1.0, abs(risk_star)) - lp.risk_offset
    nz = np.flatnonzero(lp.risk_cost)
    h.addRow(-highspy.kHighsInf, bound, len(nz), nz.astype(np.int32), lp.risk_cost[nz])
    h.changeColsCost(len(lp.cost_cost), np.arange(len(lp.cost_cost), dtype=np.int32),
                     lp.cost_cost)
    phase2 = _run(h, "phase 2 (cost)", "simplex (warm start)",
                  {"solver": "simplex", "simplex_strategy": 1}, deadline)
    outcome.phases.append(phase2)
    outcome.timings["phase2"] = phase2.seconds
    if phase2.status != "optimal":
        outcome.status = phase2.status
        raise SolveFailed("phase 2 (cost)", phase2.status, outcome)
    outcome.cost = float(phase2.objective) + lp.cost_offset
    outcome.status = "optimal"

    t0 = time.perf_counter()
    _load_primal(model, lp, h)
    outcome.timings["load_solution"] = time.perf_counter() - t0
    return outcome


def _record_budget_duals(model: pyo.ConcreteModel, lp: CompiledLP, h: highspy.Highs,
                         outcome: SolveOutcome) -> None:
    """Budget shadow prices ∂R*/∂B (≤ 0) from the phase-1 row duals."""
    duals = h.getSolution().row_dual
    for i, (con, _sense) in enumerate(lp.info.rows):
        comp = con.parent_component().local_name
        if comp == "budget_limit":
            outcome.budget_duals[str(con.index())] = min(0.0, float(duals[i]))
        elif comp == "pooled_budget_limit":
            outcome.pooled_budget_dual = min(0.0, float(duals[i]))
    for p in model.PARTIES:
        outcome.budget_duals.setdefault(p, 0.0)


def _load_primal(model: pyo.ConcreteModel, lp: CompiledLP, h: highspy.Highs) -> None:
    """Copy HiGHS's column values into the Pyomo variables (unused variables get 0)."""
    values = h.getSolution().col_value
    for var in model.component_data_objects(pyo.Var, descend_into=True):
        var.set_value(0.0 if var.lb is None or var.lb <= 0 else var.lb, skip_validation=True)
    for var, x in zip(lp.info.columns, values, strict=True):
        var.set_value(float(x), skip_validation=True)
    if not math.isfinite(sum(values)):  # pragma: no cover - defensive
        raise ValueError("HiGHS returned a non-finite solution")
