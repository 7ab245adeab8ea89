"""The master problem of the L-shaped method: the first stage, CVaR, and the cuts.

``FirstStage`` reads the first stage as the extensive form states it, from the matrix
rendering of the model over one scenario (``model.matrix.render_matrix``): the first-stage
columns x (purchases, offtake, swap and mitigation capacities; not ζ), their bounds and
scaling units, every first-stage row (budgets, PeriodBudgets, market depth, order capacity,
cover floors, concentration caps) and the first-stage part of the cost (``spend``).

``Master`` holds, for the S scenarios of positive probability (π_s > 0):

    columns  x, ζ (free), t ≥ 0 (the level step's norm), θ_s, η_s ≥ 0, φ_s
    rows     the first-stage rows
             θ_s − ζ − η_s ≤ 0                     (η_s ≥ θ_s − ζ: CVaR in the master)
             ±(x_j − x̂_j) − r_j·t ≤ 0              (the level step's box around x̂)
             R = (1−λ)·Σ π_s θ_s + λ·(ζ + Σ π_s η_s/(1−α))      (the risk row)
             Cost = spend(x) + Σ π_s φ_s                        (the cost row)
             cuts

Phase 1 minimizes R; θ_s is scenario s's loss, bounded below by its optimality cuts
θ_s ≥ Q_s(x_k) + g·(x − x_k). Phase 2 bounds the risk row by R̄ = R* + 1e-7·max(1, |R*|)
(``driver.RiskRow``, the extensive form's relaxation), reads θ_s as the allowance ρ_s of
scenario s (so the phase-1 cuts become its feasibility cuts ρ_s ≥ cut(x)) and minimizes the
cost, φ_s bounded below by optimality cuts φ_s ≥ C_s + g·(x − x_k) + h·(ρ_s − ρ_k). The
risk and cost rows double as the level rows of the level method (``project``).

Everything is scaled by powers of two, like the extensive form (``driver.scale``); each cut
row by the power of two nearest its largest coefficient. Units at this module's boundary
are the model's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..data import ModelData
from ..model import FIRST, state_model
from ..model.matrix import ColumnLayout, MatrixLP, objective_vector, render_matrix
from ..solver import driver
from ..solver.driver import RiskRow, power_of_two_scale
from ..solver.fixed_plan import subset
from .blocks import first_stage_bounds, x_families

MASTER_OPTIONS: dict[str, object] = {"solver": "simplex", "simplex_strategy": 1,
                                     "primal_feasibility_tolerance": 1e-9,
                                     "dual_feasibility_tolerance": 1e-9}
"""Master runs: dual simplex from the last basis (new cuts are rows violated at the last
optimum, a new level or box moves row bounds), at tolerances tighter than HiGHS's default so
the lower bound carries the digits phase 1's 1e-10 stop needs."""


class FirstStage:
    """The first stage of ``data``'s model (see the module docstring), in model units."""

    def __init__(self, data: ModelData) -> None:
        st = state_model(subset(data, data.scenarios[:1]))
        lp = render_matrix(st)
        self.statement = st
        self.families = x_families(st.first_stage())
        self.sizes = {f: st.variables[f].size for f in self.families}
        xcols = np.concatenate([lp.layout.first[f] for f in self.families]).astype(np.int64)
        rows = np.sort(np.concatenate([r for r in lp.row_layout.first.values()]
                                      or [np.zeros(0, dtype=np.int64)])).astype(np.int64)
        A = lp.A[rows]
        Ax = A[:, xcols]
        if Ax.nnz != A.nnz:
            family = lp.row_family[int(rows[np.flatnonzero(np.diff(A.indptr)
                                                        != np.diff(Ax.indptr))[0]])]
            raise ValueError(f"the first-stage row family {family} refers to scenario "
                             "columns or ζ: the decomposition cannot state it in the master")
        self.A = sp.csr_matrix(Ax)
        self.row_lower = lp.row_lower[rows]
        self.row_upper = lp.row_upper[rows]
        self.row_family = [lp.row_family[i] for i in rows]
        position = {int(r): i for i, r in enumerate(rows)}
        self.row_layout = ColumnLayout(first={
            f: np.array([position[int(r)] for r in rs], dtype=np.int64)
            for f, rs in lp.row_layout.first.items()})
        self.row_index = {f: lp.row_index[f] for f in lp.row_layout.first}
        # bounds over every scenario (some depend on the scenario set)
        self.lower, self.upper = first_stage_bounds(data)
        self.unit = lp.col_unit[xcols]
        cost = objective_vector(st, "cost", lp.layout, lp.n_cols, stage=FIRST)
        zeta = lp.layout.first["cvar_threshold"]
        if np.any(cost[zeta] != 0):
            raise ValueError("the cost objective holds ζ: the decomposition cannot state it")
        self.spend = cost[xcols]
        self.parties = lp.parties
        self.budgeted = lp.budgeted
        self.periods = lp.periods
        self.col_index = {f: lp.col_index[f] for f in self.families}
        self.lp = MatrixLP(
            A=self.A, col_lower=self.lower, col_upper=self.upper, row_lower=self.row_lower,
            row_upper=self.row_upper, risk_cost=np.zeros(self.n_x), cost_cost=self.spend,
            layout=ColumnLayout(first={f: np.arange(self.sizes[f]) + sum(
                self.sizes[g] for g in self.families[:i]) for i, f in enumerate(self.families)}),
            row_layout=self.row_layout, row_family=self.row_family, parties=self.parties,
            budgeted=self.budgeted, col_unit=self.unit, row_index=self.row_index,
            col_index=self.col_index, periods=self.periods)
        """The first stage alone, as a MatrixLP (for checking a plan against its rows)."""

    @property
    def n_x(self) -> int:
        return len(self.lower)

    def split(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """x by family (model units), in ``families`` order."""
        out, start = {}, 0
        for f in self.families:
            out[f] = np.asarray(x[start:start + self.sizes[f]], dtype=float)
            start += self.sizes[f]
        return out

    def ranges(self) -> np.ndarray:
        """r_j: the width of each x_j's bounds where finite, else its scaling unit (model
        units); the level step's box is measured in these."""
        width = self.upper - self.lower
        return np.where(np.isfinite(width) & (width > 0), width, self.unit)


@dataclass
class MasterSolution:
    """The master's last optimum: x (model units), ζ, θ_s (ρ_s in phase 2), η_s, φ_s, and
    its objective (periods in phase 1, currency in phase 2; NaN in a level step)."""

    x: np.ndarray
    zeta: float
    theta: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    objective: float


class Master:
    """The master LP in one HiGHS instance (see the module docstring)."""

    def __init__(self, first: FirstStage, probabilities: np.ndarray, risk_weight: float,
                 alpha: float, cost_unit: float, phi_lower: np.ndarray, *,
                 verbose: bool = False) -> None:
        self.first = first
        pi = np.asarray(probabilities, dtype=float)
        S, n_x = len(pi), first.n_x
        self.S, self.n_x = S, n_x
        lam = risk_weight
        # columns
        self.zeta = n_x
        self.t = n_x + 1
        self.theta = n_x + 2 + np.arange(S)
        self.eta = self.theta + S
        self.phi = self.eta + S
        n_cols = n_x + 2 + 3 * S
        col_lower = np.concatenate([first.lower, [-np.inf, 0.0], np.zeros(S), np.zeros(S),
                                    phi_lower])
        col_upper = np.concatenate([first.upper, [np.inf, np.inf], np.full(3 * S, np.inf)])
        unit = np.concatenate([first.unit, [1.0, 1.0], np.ones(2 * S),
                               np.full(S, cost_unit)])
        # rows: first stage, η_s ≥ θ_s − ζ, the box
        m1 = first.A.shape[0]
        eye = sp.identity(S, format="csr")
        excess = sp.hstack([sp.csr_matrix((S, n_x)), sp.csr_matrix(-np.ones((S, 1))),
                            sp.csr_matrix((S, 1)), eye, -eye, sp.csr_matrix((S, S))])
        r = first.ranges()
        box = sp.vstack([sp.hstack([sp.identity(n_x), sp.csr_matrix((n_x, 1)),
                                    sp.csr_matrix(-r[:, None]), sp.csr_matrix((n_x, 3 * S))]),
                         sp.hstack([-sp.identity(n_x), sp.csr_matrix((n_x, 1)),
                                    sp.csr_matrix(-r[:, None]), sp.csr_matrix((n_x, 3 * S))])])
        A = sp.vstack([sp.hstack([first.A, sp.csr_matrix((m1, n_cols - n_x))]), excess,
                       box]).tocsr()
        self.box_rows = m1 + S + np.arange(2 * n_x)
        risk = np.zeros(n_cols)
        risk[self.theta] = (1.0 - lam) * pi
        risk[self.zeta] = lam
        risk[self.eta] = lam / (1.0 - alpha) * pi
        cost = np.zeros(n_cols)
        cost[:n_x] = first.spend
        cost[self.phi] = pi
        self.lp = MatrixLP(
            A=A, col_lower=col_lower, col_upper=col_upper,
            row_lower=np.concatenate([first.row_lower, np.full(S + 2 * n_x, -np.inf)]),
            row_upper=np.concatenate([first.row_upper, np.zeros(S), np.zeros(2 * n_x)]),
            risk_cost=risk, cost_cost=cost,
            layout=ColumnLayout(first={"x": np.arange(n_x), "cvar_threshold":
                                       np.array([self.zeta])}),
            row_layout=first.row_layout,
            row_family=first.row_family + ["cvar_excess_def"] * S + ["level_box"] * 2 * n_x,
            parties=first.parties, budgeted=first.budgeted, col_unit=unit,
            row_index=first.row_index, periods=first.periods)
        self.scaled = driver.scale(self.lp)
        self.h = driver.load(self.scaled, self.scaled.risk_cost, verbose=verbose)
        self.risk_row = RiskRow.of(self.scaled)
        self.risk_row_index = self.risk_row.add_to(self.h, None)
        self.cost_row = RiskRow.of_cost(self.scaled)
        self.cost_row_index = self.cost_row.add_to(self.h, None)
        self.objective = "risk"
        self.cuts = 0
        self._loss_cuts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        """(HiGHS rows, scenario positions, row scales) of every cut on θ_s."""

    # -- cuts -------------------------------------------------------------------------------
    def add_cuts(self, scenarios: np.ndarray, values: np.ndarray, grad_x: np.ndarray,
                 x_k: np.ndarray, grad_rho: np.ndarray | None = None,
                 rho_k: np.ndarray | None = None) -> None:
        """Cuts for ``scenarios`` (positions among the master's S): with ``grad_rho``
        None, θ_s ≥ values_s + grad_x_s·(x − x_k) (phase 1; a feasibility cut on ρ_s in
        phase 2); else φ_s ≥ values_s + grad_x_s·(x − x_k) + grad_rho_s·(ρ_s − rho_k_s)."""
        k = len(scenarios)
        if k == 0:
            return
        cs = self.scaled.col_scale
        gx = -np.asarray(grad_x, dtype=float) * cs[:self.n_x][None, :]
        rhs = np.asarray(values, dtype=float) - np.asarray(grad_x) @ np.asarray(x_k)
        blocks = [sp.csr_matrix(gx)]
        target = self.theta[scenarios] if grad_rho is None else self.phi[scenarios]
        cols = [target]
        coefs = [cs[target]]
        if grad_rho is not None:
            cols.append(self.theta[scenarios])
            coefs.append(-np.asarray(grad_rho, dtype=float))
            rhs = rhs - np.asarray(grad_rho) * np.asarray(rho_k)
        n_cols = self.lp.n_cols
        extra = sp.csr_matrix((np.concatenate(coefs),
                               (np.tile(np.arange(k), len(cols)), np.concatenate(cols))),
                              shape=(k, n_cols))
        A = sp.hstack([blocks[0], sp.csr_matrix((k, n_cols - self.n_x))]).tocsr() + extra
        A.eliminate_zeros()
        row_max = np.asarray(abs(A).max(axis=1).toarray()).ravel()
        rs = power_of_two_scale(row_max)
        A = sp.diags(rs) @ A
        if grad_rho is None:
            first_row = driver.row_count(self.h)
            self._loss_cuts.append((first_row + np.arange(k), np.asarray(scenarios), rs))
        driver.add_rows(self.h, rhs * rs, np.full(k, np.inf), A)
        self.cuts += k

    # -- solving ----------------------------------------------------------------------------
    def _use(self, objective: str) -> None:
        if objective != self.objective:
            if objective == "box":
                cost = np.zeros(self.lp.n_cols)
                cost[self.t] = 1.0
            else:
                cost = self.scaled.risk_cost if objective == "risk" else self.scaled.cost_cost
            driver.set_objective(self.h, cost)
            self.objective = objective

    def solve(self, phase: str, deadline: float | None) -> tuple[driver.PhaseRecord,
                                                                 MasterSolution]:
        """Minimize R (``phase`` "risk") or the cost ("cost") over the cuts so far: a lower
        bound on the phase's optimum, and the minimizer."""
        self._use(phase)
        record = driver.run(self.h, f"{phase} master", "dual simplex", MASTER_OPTIONS, deadline)
        if record.status != "optimal":
            return record, None
        value = driver.objective_value(self.h)
        if phase == "cost":
            value /= self.scaled.cost_scale
        return record, self._solution(value)

    def project(self, phase: str, level: float, center: np.ndarray,
                deadline: float | None) -> tuple[driver.PhaseRecord, MasterSolution | None]:
        """The level method's step: the point of least max_j |x_j − x̂_j|/r_j with the
        phase's objective (over the cuts) at most ``level`` (``center`` x̂, model units)."""
        row, values = ((self.risk_row_index, self.risk_row) if phase == "risk"
                       else (self.cost_row_index, self.cost_row))
        self._set_box(center)
        driver.set_row_bounds(self.h, np.array([row]), np.array([-np.inf]),
                              np.array([level * values.scale]))
        self._use("box")
        record = driver.run(self.h, f"{phase} level step", "dual simplex", MASTER_OPTIONS,
                            deadline)
        solution = self._solution(float("nan")) if record.status == "optimal" else None
        driver.set_row_bounds(self.h, np.array([row]), np.array([-np.inf]),
                              np.array([np.inf]))
        return record, solution

    def _set_box(self, center: np.ndarray) -> None:
        rows = self.box_rows
        rs = self.scaled.row_scale[rows]
        c = np.asarray(center, dtype=float)
        driver.set_row_bounds(self.h, rows, np.full(len(rows), -np.inf),
                              np.concatenate([c, -c]) * rs)

    def set_phi_lower(self, lower: np.ndarray) -> None:
        """φ_s ≥ ``lower`` (currency; a lower bound on each scenario's operating cost)."""
        cols = self.phi
        driver.set_col_bounds(self.h, cols, np.asarray(lower) / self.scaled.col_scale[cols],
                              np.full(len(cols), np.inf))

    def bound_risk(self, risk_star: float) -> None:
        """Phase 2's row R ≤ R* + 1e-7·max(1, |R*|) (``driver.RiskRow``)."""
        self.risk_row.bound(self.h, self.risk_row_index, risk_star)

    def _solution(self, objective: float) -> MasterSolution:
        v = driver.col_values(self.h) * self.scaled.col_scale
        return MasterSolution(v[:self.n_x], float(v[self.zeta]), v[self.theta], v[self.eta],
                              v[self.phi], objective)

    def shadow_prices(self) -> tuple[dict[str, float], float, dict[tuple[str, int], float]]:
        """∂R*/∂B of the budget rows from the last phase-1 master optimum (≤ 0, per
        currency unit): per party, pooled, per (party, period)."""
        duals = driver.row_duals(self.h)
        parties, pooled = driver.budget_shadow_prices(self.scaled, duals)
        return parties, pooled, driver.period_budget_shadow_prices(self.scaled, duals)

    def limit_duals(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """From the last phase-1 master optimum, in model units: the first-stage rows'
        duals ∂R*/∂b by row family, the reduced costs ∂R*/∂(bound) of x by family, and the
        cuts' duals W[k, s] (≥ 0, per period of loss) of the cut the k-th call of
        ``add_cuts`` on θ gave scenario s (0 where it gave none). Scenario s's rows have the
        extensive form's duals Σ_k W[k, s] × (its subproblem's duals in the pass that made
        cut k) (``blocks.ScenarioBatch.combined_duals``)."""
        solution = self.h.getSolution()
        y = np.asarray(solution.row_dual, dtype=float)
        unscaled = driver.unscaled_row_duals(self.scaled, y)
        rows = {f: unscaled[r] for f, r in self.first.row_layout.first.items()}
        reduced = driver.unscaled_reduced_costs(self.scaled, solution.col_dual)[:self.n_x]
        weights = np.zeros((len(self._loss_cuts), self.S))
        for k, (cut_rows, scenarios, rs) in enumerate(self._loss_cuts):
            weights[k, scenarios] = np.maximum(y[cut_rows] * rs, 0.0)
        return rows, self.first.split(reduced), weights

    @property
    def rows(self) -> int:
        return driver.row_count(self.h)
