"""A fixed first stage evaluated scenario by scenario: losses, operating costs, recourse.

With the first stage (purchases, offtake, swap and mitigation capacities) fixed, every
scenario's second stage is independent of the others. For a set of scenarios this
module solves, batch by batch, the LP with the first stage fixed and

1. minimizes Σ_s L_s (each scenario's loss at its minimum L_s*, periods of baseline
   demand lost), then
2. minimizes Σ_s operating_cost_s subject to Σ_s L_s ≤ Σ_s L_s* + 1e-7·max(1, Σ_s L_s*)
   (the cheapest loss-minimal recourse: delivered offtake purchases, replacement value
   of outstanding swap returns, mitigation costs; currency).

Minimizing every L_s is optimal for any risk measure monotone in the losses, so
R(x) = (1−λ)·E[L] + λ·CVaR_α(L) of the plan follows exactly from the losses
(``plan_risk``), with the CVaR threshold ζ at the loss's α-quantile (``var_threshold``).

Rows over first-stage columns only (budgets, market depth, cover floors, concentration
caps) are released: the plan is given. The decomposition engine uses this to turn a
candidate first stage into a valid upper bound and, at the end, into the reported plan;
because every batch stands alone, the scenarios can be spread over MPI ranks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..data import ModelData
from ..model import FIRST, ModelStatement, state_model
from ..model.budgets import operating_costs, spending
from ..model.matrix import MatrixLP, Solution, render_matrix
from ..model.risk import exact_cvar, risk_of, scenario_losses, var_threshold
from .highs import NUMERICALLY_UNRELIABLE, LoadedLP, SolveFailed

DEFAULT_BATCH = 100
"""Scenarios per evaluation LP (memory stays bounded by one batch)."""


class EvaluationFailed(Exception):
    """An evaluation LP did not solve to optimality (HiGHS status in lower case)."""


def subset(data: ModelData, scenarios: Sequence[str]) -> ModelData:
    """``data`` restricted to ``scenarios`` (probabilities kept as they are)."""
    keep = set(scenarios)
    return dataclasses.replace(
        data, scenarios=list(scenarios),
        probability={s: data.probability[s] for s in scenarios},
        availability={k: v for k, v in data.availability.items() if k[3] in keep},
        demand_multiplier={k: v for k, v in data.demand_multiplier.items() if k[3] in keep},
        scenario_description={s: data.scenario_description.get(s, "") for s in scenarios})


def fix_first_stage(lp: MatrixLP, first: dict[str, np.ndarray]) -> None:
    """Fix the first-stage columns of ``lp`` at ``first`` (clipped to their bounds) and
    release every row that holds first-stage columns only."""
    for family, values in first.items():
        cols = lp.layout.first.get(family)
        if cols is None or not len(cols):
            continue
        v = np.clip(np.asarray(values, dtype=float), lp.col_lower[cols], lp.col_upper[cols])
        lp.col_lower[cols] = v
        lp.col_upper[cols] = v
    is_first = np.zeros(lp.n_cols, dtype=bool)
    for cols in lp.layout.first.values():
        is_first[cols[cols >= 0]] = True
    A = lp.A.tocsr()
    counts = np.diff(A.indptr)
    row_of_entry = np.repeat(np.arange(A.shape[0]), counts)
    second_nnz = np.bincount(row_of_entry, weights=~is_first[A.indices], minlength=A.shape[0])
    only_first = (counts > 0) & (second_nnz == 0)
    lp.row_lower[only_first] = -np.inf
    lp.row_upper[only_first] = np.inf


BREAK_TOLERANCE = 1e-6
"""A first-stage row counts as broken by a plan when it is off by more than this, relative
to max(1, |bound|) (model units)."""


def first_stage_breaks(st: ModelStatement, first: dict[str, np.ndarray]) -> list[str]:
    """The rows over first-stage variables only (budgets, market depth, cover floors,
    concentration caps, order capacity) that the plan ``first`` breaks in the model ``st``,
    each in words: "budget_limit[US]: 1.2e+09 above 1e+09". Empty when the plan fits."""
    out = []
    for name, fam in st.rows.items():
        if fam.stage != FIRST or fam.expected or not fam.size:
            continue
        value = st.evaluate(name, first)
        for i, key in enumerate(fam.index):
            for bound, side, over in ((fam.upper[i], "above", value[i] - fam.upper[i]),
                                      (fam.lower[i], "below", fam.lower[i] - value[i])):
                if np.isfinite(bound) and over > BREAK_TOLERANCE * max(1.0, abs(bound)):
                    parts = key if isinstance(key, tuple) else (key,)
                    # integers in an index are period numbers: shown by their label
                    words = [st.data.period_label(int(x)) if isinstance(x, int | np.integer)
                             and not isinstance(x, bool) else str(x) for x in parts]
                    out.append(f"{name}[{', '.join(words)}]: "
                               f"{value[i]:,.6g} {side} {bound:,.6g}")
    return out


@dataclass
class ScenarioEvaluation:
    """A fixed plan on a list of scenarios (in that order).

    ``losses`` L_s (periods of baseline demand lost), ``operating_costs`` (currency per
    scenario, not probability weighted), ``second`` each second-stage family's values,
    shape (len(scenarios), n) aligned with ``family_index`` (model units).
    """

    scenarios: list[str]
    losses: np.ndarray
    operating_costs: np.ndarray
    second: dict[str, np.ndarray]

    @classmethod
    def concatenate(cls, parts: Sequence[ScenarioEvaluation]) -> ScenarioEvaluation:
        """The parts one after another (they must share the model's second-stage index)."""
        parts = [p for p in parts if p.scenarios]
        if not parts:
            return cls([], np.zeros(0), np.zeros(0), {})
        return cls([s for p in parts for s in p.scenarios],
                   np.concatenate([p.losses for p in parts]),
                   np.concatenate([p.operating_costs for p in parts]),
                   {f: np.concatenate([p.second[f] for p in parts]) for f in parts[0].second})

    def reordered(self, scenarios: Sequence[str]) -> ScenarioEvaluation:
        """The same evaluation with rows in the order of ``scenarios`` (all present)."""
        where = {s: i for i, s in enumerate(self.scenarios)}
        order = np.array([where[s] for s in scenarios], dtype=int)
        return ScenarioEvaluation(list(scenarios), self.losses[order],
                                  self.operating_costs[order],
                                  {f: v[order] for f, v in self.second.items()})


@dataclass
class FixedPlanLP:
    """The LP of ``data``'s scenarios with the plan fixed: λ = 0 and equal weights 1/n, so
    minimizing the risk row minimizes every scenario's loss (``flat`` is that data)."""

    flat: ModelData
    statement: ModelStatement
    lp: MatrixLP
    loaded: LoadedLP

    @classmethod
    def build(cls, data: ModelData, first: dict[str, np.ndarray]) -> FixedPlanLP:
        """Build it from arrays and load it into HiGHS (ζ is left free: λ = 0)."""
        n = len(data.scenarios)
        # party risk limits link the scenarios and constrain a plan being chosen; the
        # plan here is given, so they are left out
        flat = dataclasses.replace(data, risk_weight=0.0,
                                   probability={s: 1.0 / n for s in data.scenarios},
                                   max_risk={}, party_risk_limit="none", alone_risk={})
        st = state_model(flat)
        lp = render_matrix(st)
        fix_first_stage(lp, {f: v for f, v in first.items() if f != "cvar_threshold"})
        return cls(flat, st, lp, LoadedLP(lp))

    def run(self, both_phases: bool) -> None:
        """Minimize the losses (and then, if ``both_phases``, the operating cost among
        loss-minimal recourse). Raises EvaluationFailed when HiGHS does not end optimal."""
        try:
            if both_phases:
                self.loaded.solve()
            else:
                self.loaded.solve_risk()
        except SolveFailed as exc:
            detail = f" ({exc})" if exc.status == NUMERICALLY_UNRELIABLE else ""
            raise EvaluationFailed(
                f"the evaluation LP of {len(self.flat.scenarios)} scenarios with the plan "
                f"fixed ended with status '{exc.status}'{detail}") from exc


def _batch(data: ModelData, first: dict[str, np.ndarray]) -> ScenarioEvaluation:
    fixed = FixedPlanLP.build(data, first)
    fixed.run(both_phases=True)
    st = fixed.statement
    sol = fixed.loaded.solution()
    return ScenarioEvaluation(list(data.scenarios),
                              np.asarray(scenario_losses(st, sol.second), dtype=float),
                              operating_costs(st, sol.first, sol.second),
                              {f: np.asarray(sol.second[f], dtype=float)
                               for f in st.second_stage()})


def evaluate_scenarios(data: ModelData, scenarios: Sequence[str], first: dict[str, np.ndarray],
                       *, batch: int = DEFAULT_BATCH) -> ScenarioEvaluation:
    """The plan ``first`` (family -> values aligned with ``family_index``; model units) on
    ``scenarios``, ``batch`` scenarios per LP. Raises EvaluationFailed."""
    names = list(scenarios)
    parts = [_batch(subset(data, names[i:i + batch]), first)
             for i in range(0, len(names), batch)]
    return ScenarioEvaluation.concatenate(parts)


def plan_risk(data: ModelData, losses: np.ndarray, probabilities: np.ndarray) -> float:
    """R = (1−λ)·Σ π_s L_s + λ·CVaR_α (periods) of losses with probabilities π_s."""
    return risk_of(losses, probabilities, data.risk_weight, data.cvar_alpha)


@dataclass
class PlanValue:
    """A fixed plan's exact value on all scenarios: risk R (periods), expected loss and
    CVaR (periods), cost = Σ_p F_p + Σ_s π_s·operating_cost_s (currency)."""

    risk: float
    expected_loss: float
    cvar: float
    cost: float


def plan_value(st: ModelStatement, first: dict[str, np.ndarray],
               evaluation: ScenarioEvaluation) -> PlanValue:
    """R, E[L], CVaR and cost of ``first`` from its evaluation on every scenario of
    ``st.data`` (any order)."""
    data = st.data
    probs = np.array([data.probability[s] for s in evaluation.scenarios])
    losses = evaluation.losses
    cvar = exact_cvar(losses.tolist(), probs.tolist(), data.cvar_alpha)
    cost = spending(st, first).total
    cost += float(probs @ evaluation.operating_costs)
    return PlanValue(plan_risk(data, losses, probs), float(probs @ losses), cvar, cost)


def plan_solution(st: ModelStatement, first: dict[str, np.ndarray],
                  evaluation: ScenarioEvaluation) -> Solution:
    """The whole model's Solution for the plan: ``first``, ζ at the loss α-quantile,
    the evaluated recourse, η_s = (L_s − ζ)⁺. ``evaluation`` covers every scenario."""
    data = st.data
    ev = evaluation.reordered(data.scenarios)
    probs = np.array([data.probability[s] for s in data.scenarios])
    zeta = var_threshold(ev.losses, probs, data.cvar_alpha)
    first_out = {}
    for family in st.first_stage():
        n = st.variables[family].size
        values = np.asarray(first.get(family, np.zeros(n)), dtype=float)
        first_out[family] = np.array([zeta]) if family == "cvar_threshold" else values
    second = dict(ev.second)
    second["cvar_excess"] = np.maximum(ev.losses - zeta, 0.0).reshape(-1, 1)
    return Solution(first_out, second)
