"""Scenario subproblems of the L-shaped method: a batch of scenarios in one HiGHS instance.

A batch is the matrix rendering (``model.matrix.render_matrix``) of the model restricted to a
few scenarios (``solver.fixed_plan.subset``), recut for decomposition:

- the first-stage rows (budgets, market depth, cover floors, concentration caps) and the
  CVaR rows ``cvar_excess_def`` leave: they live in the master (``engines.master``);
- every scenario gets its **own copy of the first-stage columns** (purchases, offtake, swap
  and mitigation capacities), fixed by their bounds at the master's x. The reduced cost of a
  copy (HiGHS's ``col_dual``) is then the derivative of that scenario's optimum with respect
  to x, so one solve of the batch gives a subgradient per scenario (a multi-cut) without
  adding or removing rows;
- two rows per scenario state its loss L_s (the ``loss`` expression) and its operating cost
  (the ``operating_cost`` expression, which may hold first-stage terms, here on the copies).
  The loss row's upper bound is phase 2's allowance ρ_s (its dual is ∂cost/∂ρ_s), the cost
  row's upper bound holds phase 2's cost in phase 3.

The scenarios of a batch share no row, so minimizing the sum of their losses (phase 1),
operating costs (phase 2) or movements (phase 3) minimizes each one. The batch is scaled by
powers of two like the extensive form (``solver.driver.scale``) and stays loaded between
iterations: a new x or ρ only changes bounds, so dual simplex continues from the last basis.
Units at this module's boundary are the model's (t, currency, periods of demand).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..data import ModelData
from ..model import FAMILIES, ModelStatement, build_index, state_model
from ..model.matrix import (
    ColumnLayout,
    MatrixLP,
    Solution,
    render_matrix,
    scenario_expression_matrix,
)
from ..results.limits import SCENARIO_COLUMN_DUALS, SCENARIO_ROW_DUALS
from ..solver import driver
from ..solver.check import ABSOLUTE_TOLERANCE, SolutionCheck
from ..solver.driver import Duals
from ..solver.fixed_plan import subset
from ..solver.highs import ALGORITHMS

MASTER_FAMILIES = ("cvar_threshold",)
"""First-stage variable families that stay in the master only (ζ: CVaR is in the master)."""

MASTER_ROWS = ("cvar_excess_def",)
"""Scenario row families the master states itself (η_s ≥ θ_s − ζ)."""

MASTER_COLUMNS = ("cvar_excess",)
"""Scenario variable families the master states itself (η_s)."""

SUB_OPTIONS: dict[str, object] = {**ALGORITHMS["simplex"],
                                  "primal_feasibility_tolerance": 1e-9,
                                  "dual_feasibility_tolerance": 1e-9}
"""Subproblem runs: dual simplex (Devex), which continues from the last basis after a bound
change, at tolerances tighter than HiGHS's defaults so that losses, costs and subgradients
carry about nine digits (cuts and bounds need them: phase 1 closes to 1e-10)."""

UNIT_ROUND_OFF = 1e-9
"""The final pass checks each batch's plan (``solver.check``) with the absolute tolerance
max(1e-6, UNIT_ROUND_OFF × the batch's largest scaling unit) in model units: the
subproblems' primal feasibility tolerance (``SUB_OPTIONS``), which HiGHS applies to the
scaled columns, in model units. HiGHS leaves basic values at such round-off (measured on
1,000 samples of the example: -5e-10 of graphite's unit of 65,536 t, i.e. -3.3e-5 t), which
the extensive form's fixed 1e-6 t would call a violation."""

MOVE_OPTIONS: dict[str, object] = {**SUB_OPTIONS, "simplex_strategy": 4}
"""The final pass's least movement: primal simplex from the least-cost basis, which stays
primal feasible when the objective changes and the cost row is added (as phase 3 of the
extensive form)."""

MOVE_RETRY: dict[str, object] = SUB_OPTIONS
"""The retry of a least-movement run that did not end optimal: dual simplex from where the
primal run stopped."""

FINAL_RETRY: dict[str, object] = {**SUB_OPTIONS, "primal_feasibility_tolerance": 1e-11}
"""The one retry of a final-pass batch whose solution breaks a row or bound in model units
(``solver.check``), from its basis."""

COST_SLACK = 1e-7
"""Phase 3 keeps each scenario's operating cost within C_s + COST_SLACK·max(1, |C_s|)
(the extensive form's phase-3 relaxation, scenario by scenario)."""


class BatchFailed(Exception):
    """A subproblem run ended in anything but optimal (``status``: HiGHS's, in lower case)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def x_families(st_first: list[str]) -> list[str]:
    """The first-stage families copied into the subproblems: all but ``MASTER_FAMILIES``."""
    return [f for f in st_first if f not in MASTER_FAMILIES]


def first_stage_bounds(data: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """The bounds of x (``x_families`` order, model units) over ALL of ``data``'s scenarios:
    some depend on the scenario set (a mitigation option's capacity is bounded by its
    share of the peak demand over every scenario, ``model.mitigation.capacity_bounds``),
    so a rendering of a few scenarios does not have them. Only the variable families are
    declared (no rows)."""
    st = ModelStatement(data, build_index(data))
    for family in FAMILIES:
        family.add_variables(st)
    names = x_families(st.first_stage())
    return (np.concatenate([st.variables[f].lower for f in names]),
            np.concatenate([st.variables[f].upper for f in names]))


@dataclass
class BatchReply:
    """What a batch returns to the master, per scenario of the batch (batch order).

    ``values`` Q_s (phase 1: the least loss, periods) or C_s (phase 2 and 3: the operating
    cost, currency); ``losses`` L_s of the solution; ``grad_x`` the subgradient of the value
    with respect to x (shape (B, n_x), per model unit of each first-stage entry);
    ``grad_rho`` ∂C_s/∂ρ_s (phase 2); ``second`` the second-stage values by family (final
    pass only); ``seconds`` and ``iterations`` of the runs; ``violations`` in words (final
    pass: the solution checked against the batch's rows in model units).
    """

    batch: int
    values: np.ndarray
    losses: np.ndarray
    grad_x: np.ndarray | None = None
    grad_rho: np.ndarray | None = None
    second: dict[str, np.ndarray] | None = None
    seconds: float = 0.0
    iterations: int = 0
    status: str = "optimal"
    violations: list[str] = field(default_factory=list)
    floor: np.ndarray | None = None
    """Phase 1: each scenario's least operating cost over the column bounds (currency; a
    lower bound on C_s, -inf where unbounded)."""
    rho: np.ndarray | None = None
    """Phase 2: the allowances the batch was solved at."""
    feasibility: BatchReply | None = None
    """Phase 2, when some ρ_s < Q_s(x): the phase-1 reply at x (for feasibility cuts)."""
    duals: Duals | None = None
    """After phase 1 (``combined_duals``): the extensive form's phase-1 duals of the
    batch's scenario rows and columns the limit prices read (``second`` only, (B, n) each)."""


class ScenarioBatch:
    """One batch of scenarios loaded into HiGHS (see the module docstring)."""

    def __init__(self, number: int, data: ModelData, names: list[str], *,
                 bounds: tuple[np.ndarray, np.ndarray] | None = None,
                 verbose: bool = False) -> None:
        self.number = number
        self.names = list(names)
        st = state_model(subset(data, self.names))
        lp = render_matrix(st)
        B = len(self.names)
        self.families = x_families(st.first_stage())
        xcols = np.concatenate([lp.layout.first[f] for f in self.families]).astype(np.int64)
        n0, n_x = lp.n_cols, len(xcols)
        self.n_x = n_x
        xpos = np.full(n0, -1, dtype=np.int64)
        xpos[xcols] = np.arange(n_x)
        first_cols = np.concatenate([c for c in lp.layout.first.values()])

        # rows: each scenario's rows but the master's, in the rendering's order
        scen_of_row = np.full(lp.n_rows, -1, dtype=np.int64)
        keep_family = np.zeros(lp.n_rows, dtype=bool)
        for family, rows in lp.row_layout.second.items():
            scen_of_row[rows] = np.arange(B)[:, None]
            keep_family[rows] = family not in MASTER_ROWS
        keep = np.flatnonzero(keep_family)
        loss = scenario_expression_matrix(st, "loss", lp.layout, n0)
        cost = scenario_expression_matrix(st, "operating_cost", lp.layout, n0)
        move = (scenario_expression_matrix(st, "movement", lp.layout, n0)
                if "movement" in st.expressions else sp.csr_matrix((B, n0)))
        n_cols = n0 + B * n_x

        def recut(A: sp.csr_matrix, scen: np.ndarray) -> sp.csr_matrix:
            """``A`` with each entry on a first-stage column moved to its row's scenario's
            copy; an entry on a master-only column is an error."""
            A = A.tocoo()
            on_x = xpos[A.col] >= 0
            bad = np.isin(A.col, first_cols) & ~on_x
            if np.any(bad):
                raise ValueError("a scenario row refers to a first-stage column the master "
                                 f"keeps ({lp.col_name(int(A.col[bad][0]))})")
            col = np.where(on_x, n0 + scen[A.row] * n_x + xpos[A.col], A.col)
            return sp.csr_matrix((A.data, (A.row, col)), shape=(A.shape[0], n_cols))

        body = recut(lp.A[keep], scen_of_row[keep])
        loss_rows = recut(loss, np.arange(B))
        cost_rows = recut(cost, np.arange(B))
        move_rows = recut(move, np.arange(B))
        for family in MASTER_COLUMNS:
            cols = lp.layout.second.get(family)
            if cols is not None and body[:, cols.ravel()].nnz:
                raise ValueError(f"a scenario row refers to {family}, which the master keeps")
        A = sp.vstack([body, loss_rows, cost_rows]).tocsr()

        x_lower, x_upper = bounds if bounds is not None else first_stage_bounds(data)
        col_lower = np.concatenate([lp.col_lower, np.tile(x_lower, B)])
        col_upper = np.concatenate([lp.col_upper, np.tile(x_upper, B)])
        unused = np.concatenate([first_cols, *(lp.layout.second[f].ravel()
                                               for f in MASTER_COLUMNS
                                               if f in lp.layout.second)])
        col_lower[unused] = 0.0
        col_upper[unused] = 0.0
        inf = np.full(B, np.inf)
        n_body = body.shape[0]
        new_row = np.full(lp.n_rows, -1, dtype=np.int64)
        new_row[keep] = np.arange(n_body)
        allowance = np.arange(B, dtype=np.int64)[:, None]
        row_layout = ColumnLayout(first={}, second={
            **{f: new_row[r] for f, r in lp.row_layout.second.items() if f not in MASTER_ROWS},
            "loss_allowance": n_body + allowance, "cost_allowance": n_body + B + allowance})
        self.lp = MatrixLP(
            A=A, col_lower=col_lower, col_upper=col_upper,
            row_lower=np.concatenate([lp.row_lower[keep], -inf, -inf]),
            row_upper=np.concatenate([lp.row_upper[keep], inf, inf]),
            risk_cost=np.asarray(loss_rows.sum(axis=0)).ravel(),
            cost_cost=np.asarray(cost_rows.sum(axis=0)).ravel(),
            move_cost=np.asarray(move_rows.sum(axis=0)).ravel(),
            layout=ColumnLayout(first={}, second=dict(lp.layout.second)),
            row_layout=row_layout,
            row_family=[lp.row_family[i] for i in keep] + ["loss_allowance"] * B
            + ["cost_allowance"] * B,
            parties=lp.parties, budgeted=[],
            col_unit=np.concatenate([lp.col_unit, np.tile(lp.col_unit[xcols], B)]),
            row_index={**lp.row_index, "loss_allowance": [None], "cost_allowance": [None]},
            col_index=lp.col_index, scenarios=self.names, periods=lp.periods)
        with np.errstate(invalid="ignore"):
            low = np.where(cost_rows.data > 0, cost_rows.data * col_lower[cost_rows.indices],
                           cost_rows.data * col_upper[cost_rows.indices])
        self.floor = np.add.reduceat(np.append(low, 0.0), cost_rows.indptr[:-1]) \
            if cost_rows.nnz else np.zeros(B)
        self.floor[np.diff(cost_rows.indptr) == 0] = 0.0
        self.floor = np.where(np.isnan(self.floor), -np.inf, self.floor)
        self.copies = (n0 + np.arange(B * n_x)).reshape(B, n_x)
        self.loss_rows = n_body + np.arange(B)
        self.cost_rows = n_body + B + np.arange(B)
        self.scaled = driver.scale(self.lp)
        self.h = driver.load(self.scaled, self.scaled.risk_cost, verbose=verbose)
        self.scaled.A = None  # HiGHS holds its copy; the MatrixLP keeps the model's
        self.objective = "risk"
        self.second_families = st.second_stage()

    @property
    def size(self) -> tuple[int, int, int]:
        """(rows, columns, nonzeros) of the batch's LP."""
        return self.lp.n_rows, self.lp.n_cols, self.lp.nonzeros

    # -- setting x, ρ and the objective ----------------------------------------------------
    def _set_x(self, x: np.ndarray) -> None:
        """Fix every scenario's copy of x at ``x`` (model units), in HiGHS and in the
        MatrixLP the final pass checks against."""
        cols = self.copies.ravel()
        values = np.tile(np.asarray(x, dtype=float), len(self.names))
        self.lp.col_lower[cols] = values
        self.lp.col_upper[cols] = values
        v = values / self.scaled.col_scale[cols]
        driver.set_col_bounds(self.h, cols, v, v)

    def _set_rows(self, rows: np.ndarray, upper: np.ndarray) -> None:
        driver.set_row_bounds(self.h, rows, np.full(len(rows), -np.inf),
                              upper * self.scaled.row_scale[rows])

    def _use(self, objective: str) -> None:
        if self.objective != objective:
            cost = {"risk": self.scaled.risk_cost, "cost": self.scaled.cost_cost,
                    "move": self.scaled.move_cost}[objective]
            driver.set_objective(self.h, cost)
            self.objective = objective

    def _run(self, name: str, deadline: float | None,
             options: dict[str, object] = SUB_OPTIONS) -> driver.PhaseRecord:
        record = driver.run(self.h, name, "dual simplex", options, deadline)
        if record.status != "optimal":
            raise BatchFailed(record.status,
                              f"{name} of scenarios {self.names[0]}..{self.names[-1]} "
                              f"ended with HiGHS status '{record.status}'")
        return record

    def _row_model(self, rows: np.ndarray) -> np.ndarray:
        return driver.row_values(self.h)[rows] / self.scaled.row_scale[rows]

    def _grad_x(self, objective_scale: float) -> np.ndarray:
        cols = self.copies
        return driver.col_duals(self.h)[cols] / (self.scaled.col_scale[cols] * objective_scale)

    # -- the three solves ------------------------------------------------------------------
    def least_loss(self, x: np.ndarray, deadline: float | None = None) -> BatchReply:
        """Phase 1 at x: Q_s(x) = min L_s and its subgradient in x, per scenario."""
        t0 = time.perf_counter()
        self._set_x(x)
        self._use("risk")
        inf = np.full(len(self.names), np.inf)
        self._set_rows(self.loss_rows, inf)
        self._set_rows(self.cost_rows, inf)
        record = self._run("phase 1 subproblem", deadline)
        losses = self._row_model(self.loss_rows)
        return BatchReply(self.number, losses, losses, self._grad_x(1.0),
                          seconds=time.perf_counter() - t0,
                          iterations=record.simplex_iterations, floor=self.floor)

    def loss_duals(self) -> sp.csr_matrix:
        """The last least-loss run's duals ∂Q_s/∂(bound) (model units) of each scenario's
        rows of the families ``SCENARIO_ROW_DUALS`` and columns of ``SCENARIO_COLUMN_DUALS``
        (what the limit prices read), one row per scenario, the families side by side
        (``_dual_layout``); sparse, as most are 0."""
        solution = self.h.getSolution()
        y = Solution.from_vector(self.lp.row_layout, driver.unscaled_row_duals(
            self.scaled, solution.row_dual)).second
        d = Solution.from_vector(self.lp.layout, driver.unscaled_reduced_costs(
            self.scaled, solution.col_dual)).second
        parts = [y[f] for f in SCENARIO_ROW_DUALS if f in y] + \
            [d[f] for f in SCENARIO_COLUMN_DUALS if f in d]
        return sp.csr_matrix(np.hstack(parts) if parts else np.zeros((len(self.names), 0)))

    def combined_duals(self, recorded: list[sp.csr_matrix], weights: np.ndarray) -> Duals:
        """The extensive form's phase-1 duals ∂R*/∂(bound) of this batch's scenario rows and
        columns (``loss_duals``' families, shape (B, n) each): Σ_k weights[k, s] ×
        ``recorded[k]``'s row s, where ``recorded[k]`` is ``loss_duals`` after phase 1's
        k-th pass and weights[k, s] the master's dual of the cut it gave scenario s (per
        period of loss). Weighting each cut's subproblem duals by the cut's dual is what
        makes them, with the master's, one optimal dual of the extensive form."""
        total = np.zeros((len(self.names), recorded[0].shape[1] if recorded else 0))
        for k, duals in enumerate(recorded):
            total += duals.multiply(np.asarray(weights[k], dtype=float)[:, None]).toarray()
        y, d = self._dual_layout()
        out: list[dict[str, np.ndarray]] = [{}, {}]
        start = 0
        for target, layout in zip(out, (y, d), strict=True):
            for f, n in layout:
                target[f] = total[:, start:start + n]
                start += n
        return Duals(Solution({}, out[0]), Solution({}, out[1]))

    def _dual_layout(self) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """(family, width) of ``loss_duals``' rows' and columns' families, in its order."""
        rows = self.lp.row_layout.second
        cols = self.lp.layout.second
        return ([(f, rows[f].shape[1]) for f in SCENARIO_ROW_DUALS if f in rows],
                [(f, cols[f].shape[1]) for f in SCENARIO_COLUMN_DUALS if f in cols])

    def least_cost(self, x: np.ndarray, rho: np.ndarray,
                   deadline: float | None = None) -> BatchReply:
        """Phase 2 at (x, ρ): C_s(x, ρ_s) = min operating cost s.t. L_s ≤ ρ_s, with its
        subgradients in x and ρ_s. Raises BatchFailed("infeasible") when some ρ_s < Q_s(x)."""
        t0 = time.perf_counter()
        self._set_x(x)
        self._use("cost")
        self._set_rows(self.loss_rows, np.asarray(rho, dtype=float))
        self._set_rows(self.cost_rows, np.full(len(self.names), np.inf))
        record = self._run("phase 2 subproblem", deadline)
        scale = self.scaled.cost_scale
        rows = self.loss_rows
        grad_rho = np.asarray(self.h.getSolution().row_dual)[rows] * \
            self.scaled.row_scale[rows] / scale
        return BatchReply(self.number, self._row_model(self.cost_rows),
                          self._row_model(self.loss_rows), self._grad_x(scale),
                          np.minimum(grad_rho, 0.0), seconds=time.perf_counter() - t0,
                          iterations=record.simplex_iterations)

    def final(self, x: np.ndarray, rho: np.ndarray, zeta: float,
              deadline: float | None = None) -> BatchReply:
        """The reported plan's recourse at x: the least operating cost C_s with L_s ≤ ρ_s
        (ρ_s NaN, a scenario of probability 0: L_s ≤ Q_s(x), its least loss; ρ_s below
        Q_s(x) by round-off: raised to it), then the least movement with
        each cost within ``COST_SLACK``; the solution checked against every row of the
        batch in model units (``solver.check``; η_s = (L_s − ζ)⁺ stays the master's)."""
        t0 = time.perf_counter()
        rho = np.asarray(rho, dtype=float)
        iterations = 0
        if np.any(np.isnan(rho)):  # scenarios of probability 0: no allowance, their least loss
            first = self.least_loss(x, deadline)
            rho = np.where(np.isnan(rho), first.values, rho)
            iterations += first.iterations
        try:
            second = self.least_cost(x, rho, deadline)
        except BatchFailed as exc:  # an allowance a little below Q_s(x): raised to it
            if exc.status != "infeasible":
                raise
            first = self.least_loss(x, deadline)
            iterations += first.iterations
            second = self.least_cost(x, np.fmax(rho, first.values), deadline)
        iterations += second.iterations
        costs = second.values
        name = "phase 2 subproblem"
        if self.lp.move_cost is not None and np.any(self.lp.move_cost):
            name = "phase 3 subproblem"
            self._use("move")
            self._set_rows(self.cost_rows, costs + COST_SLACK * np.maximum(1.0, np.abs(costs)))
            try:
                iterations += self._run(name, deadline, MOVE_OPTIONS).simplex_iterations
            except BatchFailed as exc:
                if exc.status == "time limit reached":
                    raise
                # primal simplex gave up on this batch (seen as 'infeasible' at the ladder's
                # m with orders over time): once more by dual simplex; failing that, the
                # batch keeps its least-cost recourse (the same risk and cost; only the least
                # movement, a tie-break among those, is not applied)
                try:
                    iterations += self._run(name, deadline,
                                            MOVE_RETRY).simplex_iterations
                except BatchFailed as again:
                    if again.status == "time limit reached":
                        raise
                    name = "phase 2 subproblem"
                    iterations += self.least_cost(x, rho, deadline).iterations
        check = SolutionCheck(self.lp, absolute=max(ABSOLUTE_TOLERANCE, UNIT_ROUND_OFF * float(
            self.lp.col_unit.max(initial=1.0))))
        values = driver.col_values(self.h) * self.scaled.col_scale
        found = check.violations(values)
        if found:
            # HiGHS's tolerances are in its scaled units: one more run from this basis at a
            # tighter primal tolerance before the plan is called unreliable
            iterations += self._run(name, deadline, FINAL_RETRY).simplex_iterations
            values = driver.col_values(self.h) * self.scaled.col_scale
            found = check.violations(values)
        sol = Solution.from_vector(self.lp.layout, values)
        return BatchReply(self.number, costs, self._row_model(self.loss_rows),
                          second={f: sol.second[f] for f in self.second_families
                                  if f not in MASTER_COLUMNS},
                          seconds=time.perf_counter() - t0, iterations=iterations,
                          violations=[v.describe() for v in found])

