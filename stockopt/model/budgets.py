"""Budgets: preparedness spending per party, budget limits, and the cost objective.

Mirrors ``models/formulation.md``, section "Budgets and cost". Components: ``spend``
(F_p, currency), ``budget_limit`` (F_p ≤ B_p), ``pooled_budget_limit`` (Σ_p F_p ≤
B_all), per scenario ``operating_cost`` (delivered offtake purchases plus the
replacement value of swap returns still owed at the end), and the phase-2 objective
``cost`` = Σ_p F_p + Σ_s π_s · operating_cost_s.
"""

from __future__ import annotations

import pyomo.environ as pyo

from . import mitigation, offtakes, swaps
from .context import ModelContext


def add_spending(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """F_p, the budget rows and the pooled budget row."""
    data, idx = ctx.data, ctx.index
    n = data.n_periods
    m.PARTIES = pyo.Set(initialize=idx.PARTIES, ordered=True)

    def spend(_m, p):
        stock = pyo.quicksum(
            data.members[k][p] * (data.price[mi] + n * data.holdings[(k, mi)].holding_cost)
            * _m.purchase[k, mi]
            for (k, mi) in idx.HOLDINGS if p in data.members[k] and data.members[k][p] != 0.0)
        fees_o = pyo.quicksum(spec.fee * _m.offtake_capacity[o]
                              for o, spec in data.offtakes.items()
                              if spec.party == p and spec.fee != 0.0)
        fees_w = pyo.quicksum(spec.fee * _m.swap_capacity[w] for w, spec in data.swaps.items()
                              if spec.receiver == p and spec.fee != 0.0)
        fees_m = pyo.quicksum(spec.fee * _m.mitigation_capacity[i]
                              for i, spec in data.mitigations.items()
                              if spec.party == p and spec.fee != 0.0)
        return stock + fees_o + fees_w + fees_m

    m.spend = pyo.Expression(m.PARTIES, rule=spend, doc="F_p: preparedness spending (currency)")
    budgeted = [p for p in idx.PARTIES if data.budget.get(p) is not None]
    m.BUDGETED_PARTIES = pyo.Set(initialize=budgeted, ordered=True)
    m.budget_limit = pyo.Constraint(m.BUDGETED_PARTIES,
                                    rule=lambda _m, p: _m.spend[p] <= data.budget[p],
                                    doc="F_p ≤ B_p (currency)")
    if data.pooled_budget is not None:
        m.pooled_budget_limit = pyo.Constraint(
            expr=pyo.quicksum(m.spend[p] for p in m.PARTIES) <= data.pooled_budget,
            doc="Σ_p F_p ≤ B_all (currency)")


def add_scenario_cost(b: pyo.Block, ctx: ModelContext) -> None:
    """operating_cost_s: delivered offtake purchases + value of returns still owed (currency)."""
    b.operating_cost = pyo.Expression(
        expr=offtakes.delivered_cost(b, ctx) + swaps.outstanding_value(b, ctx)
        + mitigation.mitigation_cost(b, ctx),
        doc="delivered offtake cost + replacement value of outstanding returns (currency)")


def add_objective(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """cost_value (expression) and the phase-2 objective ``cost`` (deactivated until phase 2)."""
    data = ctx.data
    m.cost_value = pyo.Expression(
        expr=pyo.quicksum(m.spend[p] for p in m.PARTIES)
        + pyo.quicksum(data.probability[s] * m.scenario[s].operating_cost for s in m.SCENARIOS
                       if data.probability[s] != 0.0),
        doc="expected total cost (currency)")
    m.cost = pyo.Objective(expr=m.cost_value, sense=pyo.minimize)
    m.cost.deactivate()
