"""Party balance: what reaches each party, against its demand; the shortfall.

Mirrors ``models/formulation.md``, section "Party balance". Components per scenario:
``shortfall`` (e[p,m,t] ∈ [0, D[p,m,t,s]], t/period) and ``party_balance``:

    Σ_c q·A + Σ_o v + Σ_k r + Σ_w f − Σ_w ret + e ≥ D

The supply term Σ_c q[p,m,c,t]·A[c,m,t,s] is data, so it moves to the right-hand side.
Rows exist for every (p, m, t) with demand and wherever a swap return is owed; a row
with no demand, no return and only non-negative inflows could never bind and is left out.
"""

from __future__ import annotations

import pyomo.environ as pyo

from .context import ModelContext


def add_scenario_variables(b: pyo.Block, ctx: ModelContext, s: str) -> None:
    """Shortfall e[p,m,t] ∈ [0, D[p,m,t,s]] where baseline demand is positive."""
    data = ctx.data
    b.shortfall = pyo.Var(ctx.index.DEMANDS,
                          bounds=lambda _b, p, mi, t: (0.0, data.scenario_demand(p, mi, t, s)),
                          doc="e[p,m,t]: demand not met (t/period)")


def supply_arriving(ctx: ModelContext, p: str, mi: str, t: int, s: str) -> float:
    """Σ_c q[p,m,c,t] · A[c,m,t,s]: baseline supply that gets through (t/period)."""
    data = ctx.data
    return sum(q * data.availability_of(c, mi, t, s)
               for c, q in ctx.index.supply_sources.get((p, mi, t), ()))


def add_scenario_constraints(b: pyo.Block, ctx: ModelContext, s: str, fs: pyo.Block) -> None:
    """Party balance rows of scenario ``s``."""
    data, idx = ctx.data, ctx.index
    swaps = data.swaps
    demanded = set(idx.DEMANDS)

    def balance(_b, p, mi, t):
        inflow = (
            pyo.quicksum(_b.offtake_delivery[o, t] for o in idx.offtakes_to.get((p, mi), ())
                         if t >= data.offtakes[o].first_period)
            + pyo.quicksum(_b.release[k, p, mi, t] for k in idx.stockpiles_serving.get((p, mi), ()))
            + pyo.quicksum(_b.swap_draw[w, t] for w in idx.swaps_received.get((p, mi), ()))
            - pyo.quicksum(swaps[w].return_ratio * _b.swap_draw[w, t - swaps[w].return_lag]
                           for w in idx.swaps_repaid_by.get((p, mi), ())
                           if t - swaps[w].return_lag >= 1)
            + pyo.quicksum(_b.mitigation_use[i, t] for i in idx.mitigations_of.get((p, mi), ())
                           if t >= data.mitigations[i].lead_time + 1)
        )
        if (p, mi, t) in demanded:
            inflow = inflow + _b.shortfall[p, mi, t]
        demand = data.scenario_demand(p, mi, t, s)
        supply = supply_arriving(ctx, p, mi, t, s)
        rhs = demand - supply
        if abs(rhs) <= 1e-12 * max(demand, supply):
            rhs = 0.0  # round-off of supply shares summing to demand
        return inflow >= rhs

    b.party_balance = pyo.Constraint(idx.BALANCES, rule=balance,
                                     doc="supply + deliveries + releases + draws - returns "
                                         "+ shortfall ≥ demand (t/period)")
