"""Concentration caps: no single source above a share of supply plus contracted offtakes.

Mirrors ``models/formulation.md``, section "Concentration caps". Component:
``concentration_limit`` (first stage), for each capped (p, m), non-excluded source c and
period t with an offtake delivering:

    q[p,m,c,t] + Σ_{o→c} x_o ≤ L·(Σ_c' q[p,m,c',t] + Σ_o x_o)

written as Σ_o (1[c_o = c] − L)·x_o ≤ L·Q[p,m,t] − q[p,m,c,t]. Rows with no offtake are
data alone: they hold or not before any solve (``ModelIndex.concentration_fixed``).
"""

from __future__ import annotations

import pyomo.environ as pyo

from .context import ModelContext
from .index import concentration_terms


def row_terms(ctx: ModelContext, p: str, mi: str, c: str, t: int
              ) -> tuple[list[tuple[str, float]], float]:
    """The offtake coefficients and the right-hand side (t/period) of one row."""
    data, idx = ctx.data, ctx.index
    share = idx.concentration_share[(p, mi)]
    by_source, active = concentration_terms(data, idx.supply_sources, idx.offtakes_to, p, mi, t)
    coefs = [(o, (1.0 if data.offtakes[o].source == c else 0.0) - share) for o in active]
    rhs = share * sum(by_source.values()) - by_source.get(c, 0.0)
    return coefs, rhs


def add_first_stage(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """concentration_limit rows over ``CONCENTRATION_ROWS``."""
    def rule(_m, p, mi, c, t):
        coefs, rhs = row_terms(ctx, p, mi, c, t)
        return pyo.quicksum(a * _m.offtake_capacity[o] for o, a in coefs) <= rhs

    m.CONCENTRATION_ROWS = pyo.Set(initialize=ctx.index.CONCENTRATION_ROWS, dimen=4,
                                   ordered=True)
    m.concentration_limit = pyo.Constraint(m.CONCENTRATION_ROWS, rule=rule,
                                           doc="one source's share of supply + offtakes ≤ L")
