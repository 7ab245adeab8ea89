"""Swap agreements: capacity reserved once; draws in a scenario, returned in kind later.

Mirrors ``models/formulation.md``, section "Swaps". Components: ``swap_capacity``
(y_w, t); per scenario ``swap_draw`` (f[w,t], t/period) and ``swap_capacity_limit``
(Σ_t f[w,t] ≤ y_w). A draw in period t is returned in period t + L_w as ρ_w·f[w,t]
tons of the return mineral, out of the receiver's balance and into the lender's stock
(see ``stock_balance`` and ``party_balance``); a return due after the last period is
an obligation outstanding at the end, valued in the cost objective.
"""

from __future__ import annotations

import pyomo.environ as pyo

from .context import ModelContext


def add_first_stage(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """Swap capacity y_w ∈ [0, ymax_w] (t of total draw per scenario)."""
    data, idx = ctx.data, ctx.index
    m.SWAPS = pyo.Set(initialize=idx.SWAPS, ordered=True)
    m.swap_capacity = pyo.Var(m.SWAPS, bounds=lambda _m, w: (0.0, data.swaps[w].max_volume),
                              doc="y_w: swap capacity reserved (t)")


def add_scenario_variables(b: pyo.Block, ctx: ModelContext, s: str) -> None:
    """Swap draws f[w,t] ≥ 0."""
    b.swap_draw = pyo.Var(ctx.index.SWAP_PERIODS, domain=pyo.NonNegativeReals,
                          doc="f[w,t]: tons drawn (t/period)")


def add_scenario_constraints(b: pyo.Block, ctx: ModelContext, s: str, fs: pyo.Block) -> None:
    """Σ_t f[w,t] ≤ y_w in every scenario."""
    periods = ctx.index.PERIODS
    b.swap_capacity_limit = pyo.Constraint(
        ctx.index.SWAPS,
        rule=lambda _b, w: pyo.quicksum(_b.swap_draw[w, t] for t in periods)
        <= fs.swap_capacity[w],
        doc="Σ_t f[w,t] ≤ y_w (t)")


def outstanding_value(b: pyo.Block, ctx: ModelContext) -> pyo.Expression:
    """Σ_w ρ_w · price[m'_w] · Σ_{t: t+L_w > n} f[w,t]: replacement value of returns owed."""
    data = ctx.data
    n = data.n_periods
    return pyo.quicksum(
        spec.return_ratio * data.price[spec.return_mineral] * b.swap_draw[w, t]
        for w, spec in data.swaps.items() for t in ctx.index.PERIODS
        if t + spec.return_lag > n)
