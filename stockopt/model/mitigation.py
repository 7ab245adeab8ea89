"""Demand-side mitigation: substitution or economizing that cuts demand in a scenario.

Mirrors ``models/formulation.md``, section "Mitigation". Components:
``mitigation_capacity`` (u_i, t/period, first stage, its fee paid from the party's
budget), per scenario ``mitigation_use`` (μ[i,t] ∈ [0, share_i·D[p,m,t,s]], from period
lead_i + 1 on) and ``mitigation_capacity_limit`` (μ[i,t] ≤ u_i). Use enters the party
balance like supply and costs cost_i per tonne in ``operating_cost``.
"""

from __future__ import annotations

import pyomo.environ as pyo

from .context import ModelContext


def capacity_bound(ctx: ModelContext, i: str) -> float:
    """The most capacity option i can usefully prepare: share_i · max_{t,s} D[p,m,t,s]."""
    data = ctx.data
    spec = data.mitigations[i]
    peak = max((data.scenario_demand(spec.party, spec.mineral, t, s)
                for t in ctx.index.PERIODS for s in data.scenarios), default=0.0)
    return spec.max_share * peak


def add_first_stage(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """Prepared capacity u_i ∈ [0, share_i · peak demand] (t/period)."""
    m.MITIGATIONS = pyo.Set(initialize=ctx.index.MITIGATIONS, ordered=True)
    m.mitigation_capacity = pyo.Var(m.MITIGATIONS,
                                    bounds=lambda _m, i: (0.0, capacity_bound(ctx, i)),
                                    doc="u_i: prepared mitigation capacity (t/period)")


def add_scenario_variables(b: pyo.Block, ctx: ModelContext, s: str) -> None:
    """Use μ[i,t] ∈ [0, share_i · D[p,m,t,s]] from period lead_i + 1 on."""
    data = ctx.data

    def bounds(_b, i, t):
        spec = data.mitigations[i]
        return (0.0, spec.max_share * data.scenario_demand(spec.party, spec.mineral, t, s))

    b.mitigation_use = pyo.Var(ctx.index.MITIGATION_PERIODS, bounds=bounds,
                               doc="μ[i,t]: demand cut by mitigation (t/period)")


def add_scenario_constraints(b: pyo.Block, ctx: ModelContext, s: str, fs: pyo.Block) -> None:
    """μ[i,t] ≤ u_i."""
    b.mitigation_capacity_limit = pyo.Constraint(
        ctx.index.MITIGATION_PERIODS,
        rule=lambda _b, i, t: _b.mitigation_use[i, t] - fs.mitigation_capacity[i] <= 0.0,
        doc="μ[i,t] ≤ u_i (t/period)")


def mitigation_cost(b: pyo.Block, ctx: ModelContext) -> pyo.Expression:
    """Σ_{i,t} cost_i · μ[i,t] of one scenario (currency)."""
    data = ctx.data
    return pyo.quicksum(data.mitigations[i].cost * b.mitigation_use[i, t]
                        for (i, t) in ctx.index.MITIGATION_PERIODS
                        if data.mitigations[i].cost != 0.0)
