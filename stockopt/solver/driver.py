"""The HiGHS driver: the one module that imports highspy.

Everything that talks to HiGHS goes through here: the lexicographic solve
(``solver.highs``), the frontier's warm sweeps (``solver.warm_sweep``), the fixed-plan
batches (``solver.fixed_plan``, through ``LoadedLP``) and the infeasibility diagnosis
(``solver.diagnose``). This module owns:

* the power-of-two scaling of a ``MatrixLP`` (``scale``) and its hand-off to a new,
  quiet (unless verbose) HiGHS instance as arrays (``load``);
* options and runs: ``run`` sets the options, the simplex iteration limit and the time
  limit (against the instance's cumulative run time), runs, and reads the model status,
  objective and iteration counts into a ``PhaseRecord``;
* duals in model units: row duals and reduced costs unscaled (``unscaled_row_duals``,
  ``unscaled_reduced_costs``), by family (``limit_duals``), the budget rows' shadow prices
  (``budget_shadow_prices``); the budget rows' and other rows' bounds (``set_row_upper``,
  ``set_budget_rows``);
* the phase-2 risk row R ≤ R* + RISK_BOUND_RELATIVE·max(1, |R*|) (``RiskRow``);
* an optimum's optimal face (``optimal_face``), a copy of the LP restricted to it
  (``on_face``) and its basis lifted back to the whole LP (``lift_basis``), for phase 3;
* the HiGHS version (``highs_version``).

Units: the functions take and return model units (t, currency, periods of demand lost);
the scaled values HiGHS holds appear only inside this module and in ``ScaledLP``.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from ..model.matrix import ColumnLayout, MatrixLP, Solution

INF = highspy.kHighsInf
"""HiGHS's infinity (an unbounded row or column side)."""

Highs = highspy.Highs
"""A HiGHS instance (for type hints outside this module)."""

Basis = highspy.HighsBasis
"""A HiGHS basis (for type hints outside this module)."""

DUAL_TOLERANCE = 1e-7
"""HiGHS's default dual feasibility tolerance; ``run`` sets it before a run's options, so
a run uses it unless its options say otherwise."""

ITERATION_LIMIT_DEFAULT = 2147483647
"""HiGHS's default simplex_iteration_limit (no limit); ``run`` restores it when a run is
not iteration-limited."""

RISK_BOUND_RELATIVE = 1e-7
"""Phase 2 keeps R ≤ R* + RISK_BOUND_RELATIVE · max(1, |R*|) (the contract's relaxation)."""


_banner_passed = False
"""Whether this process has made a HiGHS instance (HiGHS prints its banner, "Running HiGHS
1.16.0 ...", on standard output when the first one is made, whatever its options)."""


def _highs(verbose: bool = False) -> highspy.Highs:
    """``highspy.Highs()``, with HiGHS's one-time banner kept off standard output unless
    ``verbose``: the banner is written by the C++ library to file descriptor 1 before any
    option can be set, so for the first instance that descriptor points at /dev/null."""
    global _banner_passed
    if _banner_passed or verbose:
        _banner_passed = True
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _banner_passed = True
    return h


@functools.cache
def highs_version() -> str:
    """The HiGHS version as "major.minor.patch"."""
    h = _highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def new_highs(*, verbose: bool = False) -> highspy.Highs:
    """An empty HiGHS instance: quiet, or streaming its log to the console if ``verbose``
    (then with HiGHS's banner)."""
    h = _highs(verbose)
    h.setOptionValue("output_flag", bool(verbose))
    h.setOptionValue("log_to_console", bool(verbose))
    return h


def set_options(h: highspy.Highs, options: Mapping[str, object]) -> None:
    """Set HiGHS options (name -> value); they stay set for later runs of ``h``."""
    for key, value in options.items():
        h.setOptionValue(key, value)


# -- scaling and hand-off --------------------------------------------------------------

def power_of_two_scale(magnitude: np.ndarray) -> np.ndarray:
    """2^-round(log2(m)) for each magnitude m > 0 (1 where m is 0): exact scale factors
    that bring each m near 1."""
    safe = np.where(magnitude > 0, magnitude, 1.0)
    return np.exp2(-np.round(np.log2(safe)))


def _scalar_scale(magnitude: float) -> float:
    return float(power_of_two_scale(np.array([magnitude]))[0])


@dataclass
class ScaledLP:
    """A MatrixLP scaled for the solver, as handed to HiGHS.

    Column j is the model variable divided by ``col_scale[j]``; row i is multiplied by
    ``row_scale[i]``; the cost objective by ``cost_scale`` (the risk objective is not
    scaled beyond its columns). ``budget_rows`` (party -> row) and ``pooled_row`` are the
    source's budget rows.
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
    budget_rows: dict[str, int]
    pooled_row: int | None
    period_budget_rows: dict[tuple[str, int], int] = field(default_factory=dict)
    """(party, period) -> its period_budget_limit row (FORMULATION-v2 section 6)."""
    move_cost: np.ndarray | None = None
    """Phase 3's objective, scaled like the columns and then by ``move_scale`` (None: no
    phase 3)."""
    move_scale: float = 1.0

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    @property
    def n_cols(self) -> int:
        return len(self.col_lower)


def scale(lp: MatrixLP) -> ScaledLP:
    """Scale ``lp`` by powers of two: each column by its unit (``col_unit``: a mineral's
    tonnage unit, else 1), then each row so its largest coefficient is about 1, and the
    cost objective so its largest coefficient is about 1."""
    col_scale = lp.col_unit
    A = sp.csr_matrix(lp.A @ sp.diags(col_scale))
    row_max = np.asarray(abs(A).max(axis=1).toarray()).ravel() if A.nnz \
        else np.zeros(A.shape[0])
    row_scale = power_of_two_scale(row_max)
    A = sp.csc_matrix(sp.diags(row_scale) @ A)
    with np.errstate(invalid="ignore"):
        row_lower = np.where(np.isfinite(lp.row_lower), lp.row_lower * row_scale, -INF)
        row_upper = np.where(np.isfinite(lp.row_upper), lp.row_upper * row_scale, INF)
    cost_cost = lp.cost_cost * col_scale
    cost_scale = _scalar_scale(float(np.abs(cost_cost).max(initial=0.0)))
    move_cost, move_scale = None, 1.0
    if lp.move_cost is not None:
        move_cost = lp.move_cost * col_scale
        move_scale = _scalar_scale(float(np.abs(move_cost).max(initial=0.0)))
        move_cost = move_cost * move_scale
    return ScaledLP(A=A, col_lower=lp.col_lower / col_scale, col_upper=lp.col_upper / col_scale,
                    row_lower=row_lower, row_upper=row_upper,
                    risk_cost=lp.risk_cost * col_scale, cost_cost=cost_cost * cost_scale,
                    row_scale=row_scale, col_scale=col_scale, cost_scale=cost_scale,
                    budget_rows=dict(lp.budget_rows), pooled_row=lp.pooled_row,
                    period_budget_rows=lp.period_budget_rows,
                    move_cost=move_cost, move_scale=move_scale)


def load(lp: ScaledLP, cost: np.ndarray, *, verbose: bool = False) -> highspy.Highs:
    """A new HiGHS instance (see ``new_highs``) holding ``lp`` with objective ``cost``
    (scaled, one entry per column), handed over as arrays."""
    h = new_highs(verbose=verbose)
    hlp = highspy.HighsLp()
    hlp.num_col_ = lp.n_cols
    hlp.num_row_ = lp.n_rows
    hlp.col_cost_ = cost
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
    h.passModel(hlp)
    return h


def clone(h: highspy.Highs) -> highspy.Highs:
    """A new quiet HiGHS instance holding a copy of ``h``'s current LP (not its options,
    basis or solution)."""
    copy = new_highs()
    copy.passModel(h.getLp())
    return copy


def set_objective(h: highspy.Highs, cost: np.ndarray) -> None:
    """Replace the objective of ``h`` by ``cost`` (scaled, one entry per column)."""
    cols = np.arange(len(cost), dtype=np.int32)
    h.changeColsCost(len(cols), cols, cost)


# -- runs --------------------------------------------------------------------------------

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

    def add_effort(self, earlier: PhaseRecord) -> None:
        """Count an earlier run of the same phase in this record (seconds, iterations)."""
        self.seconds += earlier.seconds
        self.simplex_iterations += earlier.simplex_iterations
        self.ipm_iterations += earlier.ipm_iterations
        self.crossover_iterations += earlier.crossover_iterations


def time_limit_for(h: highspy.Highs, deadline: float | None) -> float:
    """The time_limit option (s) that stops ``h``'s next run at ``deadline`` (a
    ``time.perf_counter()`` value; None = no limit).

    HiGHS compares time_limit with the instance's total run time (``getRunTime``), which
    keeps growing across runs of a reused instance: limit = run time so far + remaining.
    """
    if deadline is None:
        return INF
    return h.getRunTime() + max(deadline - time.perf_counter(), 0.0)


def status_of(h: highspy.Highs) -> str:
    """HiGHS's model status of the last run, in lower case (e.g. "optimal",
    "infeasible", "time limit reached", "iteration limit reached")."""
    return h.modelStatusToString(h.getModelStatus()).strip().lower()


def run(h: highspy.Highs, name: str, algorithm: str, options: Mapping[str, object],
        deadline: float | None = None, *, iteration_limit: int | None = None) -> PhaseRecord:
    """Run ``h`` once and return what the run did.

    Before the run: the dual feasibility tolerance is reset to ``DUAL_TOLERANCE``, then
    ``options`` are set (they stay set), the simplex iteration limit is
    ``iteration_limit`` (None = HiGHS's default, none) and the time limit ends the run at
    ``deadline`` (a ``time.perf_counter()`` value; None = none). ``name`` and
    ``algorithm`` label the record; its objective is HiGHS's (scaled) objective value when
    the status is "optimal", else None; seconds are wall time.
    """
    h.setOptionValue("dual_feasibility_tolerance", DUAL_TOLERANCE)
    set_options(h, options)
    h.setOptionValue("simplex_iteration_limit",
                     ITERATION_LIMIT_DEFAULT if iteration_limit is None else iteration_limit)
    h.setOptionValue("time_limit", time_limit_for(h, deadline))
    start = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - start
    info = h.getInfo()
    status = status_of(h)
    objective = info.objective_function_value if status == "optimal" else None
    return PhaseRecord(name, status, objective, seconds, algorithm,
                       simplex_iterations=max(int(info.simplex_iteration_count), 0),
                       ipm_iterations=max(int(info.ipm_iteration_count), 0),
                       crossover_iterations=max(int(info.crossover_iteration_count), 0))


# -- reading and moving the solution -------------------------------------------------------

def row_duals(h: highspy.Highs) -> Sequence[float]:
    """The row duals of ``h``'s last solution (scaled, one per row)."""
    return h.getSolution().row_dual


def unscaled_row_duals(lp: ScaledLP, duals: Sequence[float]) -> np.ndarray:
    """Row duals ``duals`` of ``lp`` (scaled, e.g. ``row_duals(h)``) in model units: the
    objective's change per unit of each row's bound, ∂obj/∂b_i = ỹ_i·row_scale[i] (row i
    is multiplied by row_scale[i] in the scaled LP, its bound too). The one place a row
    dual is unscaled (the budget shadow prices and every other limit's price)."""
    return np.asarray(duals, dtype=float)[:lp.n_rows] * lp.row_scale


def unscaled_reduced_costs(lp: ScaledLP, reduced_costs: Sequence[float]) -> np.ndarray:
    """Column reduced costs of ``lp`` (scaled) in model units: the objective's change per
    unit of each column's bound, ∂obj/∂u_j = d̃_j / col_scale[j] (column j of the scaled LP
    is the model variable divided by col_scale[j], so its bound is u_j / col_scale[j])."""
    return np.asarray(reduced_costs, dtype=float)[:lp.n_cols] / lp.col_scale


@dataclass(frozen=True, eq=False)
class Duals:
    """An optimum's duals in model units, by family (phase 1: the risk objective's).

    ``rows`` holds each row family's duals ∂obj/∂(row bound) (periods per row unit: t,
    currency, ...), ``cols`` each variable family's reduced costs ∂obj/∂(column bound),
    both laid out like a ``Solution`` (first stage (n,), scenario families (S, n);
    entries missing from the LP read 0). For a minimization, a ≤ row or an upper bound
    that binds has a dual ≤ 0, a ≥ row or lower bound ≥ 0. Degenerate optima have more
    than one valid set of duals: each is a one-sided derivative (``limit_duals``).
    """

    rows: Solution
    cols: Solution


def limit_duals(h: highspy.Highs, lp: ScaledLP, row_layout: ColumnLayout,
                layout: ColumnLayout) -> Duals:
    """The duals of ``h``'s last solution by family, in model units (``Duals``);
    ``row_layout`` and ``layout`` are the source MatrixLP's."""
    sol = h.getSolution()
    return Duals(Solution.from_vector(row_layout, unscaled_row_duals(lp, sol.row_dual)),
                 Solution.from_vector(layout, unscaled_reduced_costs(lp, sol.col_dual)))


def primal_values(h: highspy.Highs, lp: ScaledLP) -> np.ndarray:
    """Column values of ``h``'s last solution in the model's units (t, currency)."""
    return np.asarray(h.getSolution().col_value, dtype=float) * lp.col_scale


def solution(h: highspy.Highs, lp: ScaledLP, layout: ColumnLayout) -> Solution:
    """``h``'s last solution by variable family (model units); ``layout`` is the source
    MatrixLP's column layout."""
    values = primal_values(h, lp)
    if not np.all(np.isfinite(values)):  # pragma: no cover - defensive
        raise ValueError("HiGHS returned a non-finite solution")
    return Solution.from_vector(layout, values)


def basis(h: highspy.Highs) -> highspy.HighsBasis:
    """A copy of ``h``'s current basis."""
    return h.getBasis()


def set_basis(h: highspy.Highs, start: highspy.HighsBasis) -> None:
    """Start ``h``'s next run from basis ``start``."""
    h.setBasis(start)


def with_basic_rows(start: highspy.HighsBasis, extra_rows: int) -> highspy.HighsBasis:
    """``start`` extended by ``extra_rows`` basic rows (for an LP with that many rows
    appended, e.g. the phase-2 risk row: a phase-1 basis stays primal feasible)."""
    out = highspy.HighsBasis()
    out.col_status = list(start.col_status)
    out.row_status = [*start.row_status, *[highspy.HighsBasisStatus.kBasic] * extra_rows]
    out.valid = True
    return out


@dataclass(frozen=True, eq=False)
class Face:
    """The optimal face of an LP's optimum, as fixings (``optimal_face``).

    ``cols`` and ``rows`` are the columns and rows whose reduced cost or dual exceeds a
    tolerance (so nonbasic), ``col_values`` and ``row_values`` the bound each sits on,
    ``col_at_upper`` and ``row_at_upper`` whether that is its upper bound. Holding them
    there keeps every optimal point of the LP (up to the tolerance) and cuts the rest.
    """

    cols: np.ndarray
    col_values: np.ndarray
    col_at_upper: np.ndarray
    rows: np.ndarray
    row_values: np.ndarray
    row_at_upper: np.ndarray


def optimal_face(h: highspy.Highs, tolerance: float) -> Face:
    """The face of ``h``'s last (optimal) solution: its columns and rows with |reduced
    cost| or |dual| above ``tolerance`` (scaled; a basic one has 0), each at its bound."""
    solution = h.getSolution()
    lp = h.getLp()

    def at_bounds(dual: Sequence[float], value: Sequence[float], lower: Sequence[float],
                  upper: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        index = np.flatnonzero(np.abs(np.asarray(dual)) > tolerance).astype(np.int32)
        values = np.asarray(value)[index]
        at_upper = (np.abs(values - np.asarray(upper)[index])
                    < np.abs(values - np.asarray(lower)[index]))
        return index, values, at_upper

    return Face(*at_bounds(solution.col_dual, solution.col_value, lp.col_lower_, lp.col_upper_),
                *at_bounds(solution.row_dual, solution.row_value, lp.row_lower_, lp.row_upper_))


def on_face(h: highspy.Highs, face: Face, cost: np.ndarray) -> highspy.Highs:
    """A new quiet HiGHS instance holding ``h``'s current LP with objective ``cost``
    (scaled) and ``face``'s columns and rows fixed at their values: the LP restricted to
    that face (rows of ``h`` added after the face was taken stay as they are)."""
    restricted = clone(h)
    set_objective(restricted, cost)
    restricted.changeColsBounds(len(face.cols), face.cols, face.col_values, face.col_values)
    restricted.changeRowsBounds(len(face.rows), face.rows, face.row_values, face.row_values)
    return restricted


def lift_basis(restricted: highspy.Highs, face: Face) -> highspy.HighsBasis:
    """``restricted``'s basis (``on_face``) as a basis of the unrestricted LP: a fixed
    column or row that is nonbasic there is nonbasic at the bound it was fixed at. The
    point it gives is the restricted optimum, so it is feasible for the unrestricted LP."""
    start = restricted.getBasis()
    lower, upper = highspy.HighsBasisStatus.kLower, highspy.HighsBasisStatus.kUpper
    basic = highspy.HighsBasisStatus.kBasic
    out = highspy.HighsBasis()
    for name, index, at_upper in (("col_status", face.cols, face.col_at_upper),
                                  ("row_status", face.rows, face.row_at_upper)):
        status = list(getattr(start, name))
        for i, up in zip(index.tolist(), at_upper.tolist(), strict=True):
            if status[i] != basic:
                status[i] = upper if up else lower
        setattr(out, name, status)
    out.valid = True
    return out


def row_count(h: highspy.Highs) -> int:
    """The number of rows ``h`` holds."""
    return int(h.getNumRow())


def forget_solution(h: highspy.Highs) -> None:
    """Drop ``h``'s basis, factorization and solution: its next run starts cold."""
    h.clearSolver()


def drop_rows_after(h: highspy.Highs, n_rows: int) -> bool:
    """Delete every row of ``h`` numbered ``n_rows`` or above; whether any were."""
    if row_count(h) <= n_rows:
        return False
    extra = np.arange(n_rows, row_count(h), dtype=np.int32)
    h.deleteRows(len(extra), extra)
    return True


# -- budget rows ---------------------------------------------------------------------------

def budget_shadow_prices(lp: ScaledLP, duals: Sequence[float]
                         ) -> tuple[dict[str, float], float]:
    """Budget shadow prices ∂R*/∂B from the row duals ``duals`` of a risk-minimal solution
    of ``lp`` (scaled, e.g. ``row_duals(h)``): ({party: ∂R*/∂B_p} for each budget row,
    ∂R*/∂B_all for the pooled row, 0.0 without one), in periods of baseline demand lost
    per currency unit, unscaled and clipped to ≤ 0."""
    unscaled = unscaled_row_duals(lp, duals)

    def price(i: int) -> float:
        return min(0.0, float(unscaled[i]))

    parties = {party: price(i) for party, i in lp.budget_rows.items()}
    return parties, 0.0 if lp.pooled_row is None else price(lp.pooled_row)


def period_budget_shadow_prices(lp: ScaledLP, duals: Sequence[float]
                                ) -> dict[tuple[str, int], float]:
    """∂R*/∂B_{p,t} (≤ 0, periods per base-currency unit, unscaled) of every PeriodBudgets
    row of ``lp`` from the row duals of a risk-minimal solution."""
    unscaled = unscaled_row_duals(lp, duals)
    return {key: min(0.0, float(unscaled[i])) for key, i in lp.period_budget_rows.items()}


def budget_row_bounds(lp: ScaledLP, budgets: Mapping[str, float | None],
                      pooled: float | None,
                      period: Mapping[tuple[str, int], float] | None = None
                      ) -> dict[int, float | None]:
    """Row -> budget (currency; None = unlimited) for every budget row of ``lp``: B_p for
    each budgeted party (None when ``budgets`` has no entry), B_all for the pooled row, and
    B_{p,t} for the PeriodBudgets rows named in ``period`` (the others keep theirs)."""
    rows: dict[int, float | None] = {i: budgets.get(p) for p, i in lp.budget_rows.items()}
    if lp.pooled_row is not None:
        rows[lp.pooled_row] = pooled
    for key, value in (period or {}).items():
        if key in lp.period_budget_rows:
            rows[lp.period_budget_rows[key]] = value
    return rows


def set_row_upper(instances: Iterable[highspy.Highs], lp: ScaledLP,
                  bounds: Mapping[int, float | None]) -> None:
    """Set ≤ rows (row -> upper bound in model units, e.g. a budget in currency or a
    market depth in t; None = unlimited) to -inf ≤ row ≤ upper, scaled as ``lp``'s rows,
    in every HiGHS instance of ``instances``."""
    scaled = [(i, INF if value is None else value * float(lp.row_scale[i]))
              for i, value in bounds.items()]
    for h in instances:
        for i, upper in scaled:
            h.changeRowBounds(i, -INF, upper)


def set_budget_rows(instances: Iterable[highspy.Highs], lp: ScaledLP,
                    bounds: Mapping[int, float | None]) -> None:
    """Set budget rows (row -> budget in currency; None = unlimited) to -inf ≤ row ≤
    budget (``set_row_upper``)."""
    set_row_upper(instances, lp, bounds)


# -- the phase-2 risk row --------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RiskRow:
    """The phase-2 row R ≤ R* + RISK_BOUND_RELATIVE·max(1, |R*|) of a scaled LP.

    ``cols`` and ``values`` are its coefficients: the risk objective's nonzeros times
    ``scale``, the power of two that brings the largest near 1.
    """

    cols: np.ndarray
    values: np.ndarray
    scale: float

    @classmethod
    def of(cls, lp: ScaledLP) -> RiskRow:
        """The risk row of ``lp`` (from its risk objective)."""
        cols = np.flatnonzero(lp.risk_cost).astype(np.int32)
        s = _scalar_scale(float(np.abs(lp.risk_cost).max(initial=0.0)))
        return cls(cols, lp.risk_cost[cols] * s, s)

    @classmethod
    def of_cost(cls, lp: ScaledLP) -> RiskRow:
        """Phase 3's row Cost ≤ C* + RISK_BOUND_RELATIVE·max(1, |C*|) of ``lp``: the cost
        objective (already scaled by ``cost_scale``), bounded in currency like the risk row
        in periods."""
        cols = np.flatnonzero(lp.cost_cost).astype(np.int32)
        s = _scalar_scale(float(np.abs(lp.cost_cost).max(initial=0.0)))
        return cls(cols, lp.cost_cost[cols] * s, s * lp.cost_scale)

    def upper(self, risk_star: float | None) -> float:
        """The row's scaled upper bound for the risk optimum ``risk_star`` (periods;
        None = no bound)."""
        if risk_star is None:
            return INF
        return (risk_star + RISK_BOUND_RELATIVE * max(1.0, abs(risk_star))) * self.scale

    def add_to(self, h: highspy.Highs, risk_star: float | None) -> int:
        """Append the row to ``h``, bounded for ``risk_star`` (None = unbounded for now);
        its row number."""
        h.addRow(-INF, self.upper(risk_star), len(self.cols), self.cols, self.values)
        return row_count(h) - 1

    def bound(self, h: highspy.Highs, row: int, risk_star: float) -> None:
        """Set the bound of the row (number ``row`` in ``h``) for ``risk_star`` (periods)."""
        h.changeRowBounds(row, -INF, self.upper(risk_star))


# -- rows, bounds and duals for decomposition (``stockopt.engines.benders``) -----------------

def add_rows(h: highspy.Highs, lower: np.ndarray, upper: np.ndarray, A: sp.csr_matrix) -> None:
    """Append the rows ``lower ≤ A x ≤ upper`` (scaled, one column of ``A`` per column of
    ``h``; ±inf allowed) to ``h``."""
    A = sp.csr_matrix(A)
    h.addRows(A.shape[0], np.where(np.isfinite(lower), lower, -INF),
              np.where(np.isfinite(upper), upper, INF), A.nnz,
              A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32),
              A.data.astype(float))


def set_col_bounds(h: highspy.Highs, cols: np.ndarray, lower: np.ndarray,
                   upper: np.ndarray) -> None:
    """Set the bounds of columns ``cols`` of ``h`` (scaled; ±inf allowed)."""
    cols = np.asarray(cols, dtype=np.int32)
    h.changeColsBounds(len(cols), cols, np.where(np.isfinite(lower), lower, -INF),
                       np.where(np.isfinite(upper), upper, INF))


def set_row_bounds(h: highspy.Highs, rows: np.ndarray, lower: np.ndarray,
                   upper: np.ndarray) -> None:
    """Set the bounds of rows ``rows`` of ``h`` (scaled; ±inf allowed)."""
    rows = np.asarray(rows, dtype=np.int32)
    h.changeRowsBounds(len(rows), rows, np.where(np.isfinite(lower), lower, -INF),
                       np.where(np.isfinite(upper), upper, INF))


def col_values(h: highspy.Highs) -> np.ndarray:
    """Column values of ``h``'s last solution (scaled)."""
    return np.asarray(h.getSolution().col_value, dtype=float)


def col_duals(h: highspy.Highs) -> np.ndarray:
    """Reduced costs of ``h``'s last solution (scaled): for a column fixed by its bounds,
    the derivative of the optimum with respect to its value."""
    return np.asarray(h.getSolution().col_dual, dtype=float)


def row_values(h: highspy.Highs) -> np.ndarray:
    """Row activities of ``h``'s last solution (scaled)."""
    return np.asarray(h.getSolution().row_value, dtype=float)


def objective_value(h: highspy.Highs) -> float:
    """The objective value of ``h``'s last solution (scaled)."""
    return float(h.getInfo().objective_function_value)
