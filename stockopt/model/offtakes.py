"""Offtake contracts: capacity reserved once, deliveries follow the origin's availability.

Mirrors ``models/formulation.md``, section "Offtakes". Components: ``offtake_capacity``
(x_o, t/period); per scenario ``offtake_delivery`` (v[o,t], t/period) and
``offtake_availability`` (v[o,t] ≤ A[c_o,m_o,t,s]·x_o for t ≥ t0_o).
"""

from __future__ import annotations

import pyomo.environ as pyo

from .context import ModelContext


def add_first_stage(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """Offtake capacity x_o ∈ [0, xmax_o] (t/period)."""
    data, idx = ctx.data, ctx.index
    m.OFFTAKES = pyo.Set(initialize=idx.OFFTAKES, ordered=True)
    m.offtake_capacity = pyo.Var(m.OFFTAKES,
                                 bounds=lambda _m, o: (0.0, data.offtakes[o].max_volume),
                                 doc="x_o: capacity reserved (t/period)")


def add_scenario_variables(b: pyo.Block, ctx: ModelContext, s: str) -> None:
    """Deliveries v[o,t] ≥ 0, only from the first delivery period on (none before)."""
    b.offtake_delivery = pyo.Var(ctx.index.OFFTAKE_PERIODS, domain=pyo.NonNegativeReals,
                                 doc="v[o,t]: tons delivered (t/period)")


def add_scenario_constraints(b: pyo.Block, ctx: ModelContext, s: str, fs: pyo.Block) -> None:
    """v[o,t] ≤ A[c_o,m_o,t,s] · x_o: only the share of the flow that gets through arrives."""
    data = ctx.data

    def availability(_b, o, t):
        spec = data.offtakes[o]
        share = data.availability_of(spec.source, spec.mineral, t, s)
        return _b.offtake_delivery[o, t] - share * fs.offtake_capacity[o] <= 0.0

    b.offtake_availability = pyo.Constraint(ctx.index.OFFTAKE_PERIODS, rule=availability,
                                            doc="v[o,t] ≤ A·x_o (t/period)")


def delivered_cost(b: pyo.Block, ctx: ModelContext) -> pyo.Expression:
    """Σ_{o,t} price_o · v[o,t] of one scenario (currency)."""
    data = ctx.data
    return pyo.quicksum(data.offtakes[o].price * b.offtake_delivery[o, t]
                        for (o, t) in ctx.index.OFFTAKE_PERIODS if data.offtakes[o].price != 0.0)
