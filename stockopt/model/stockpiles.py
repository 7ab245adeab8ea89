"""Stockpiles: purchases before period 1, releases to members, stock levels over time.

Mirrors ``models/formulation.md``, section "Stockpiles". Components: ``purchase``
(a[k,m], t), ``market_depth``; per scenario ``stock_level`` (z[k,m,t], t),
``release`` (r[k,p,m,t], t/period), ``stock_balance``, ``release_limit``.
"""

from __future__ import annotations

import pyomo.environ as pyo

from .context import ModelContext


def add_first_stage(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """Purchases a[k,m] ≥ 0 with S0 + a ≤ cap, and market depth Σ_k a[k,m] ≤ maxacq[m]."""
    data, idx = ctx.data, ctx.index
    m.HOLDINGS = pyo.Set(initialize=idx.HOLDINGS, dimen=2, ordered=True)

    def purchase_bounds(_m, k, mi):
        h = data.holdings[(k, mi)]
        upper = None if h.max_stock is None else h.max_stock - h.initial_stock
        return (0.0, upper)

    m.purchase = pyo.Var(m.HOLDINGS, bounds=purchase_bounds, doc="a[k,m]: tons bought (t)")

    limited = [mi for mi in idx.MINERALS
               if data.max_acquisition.get(mi) is not None and idx.holdings_of_mineral.get(mi)]
    m.MARKET_DEPTH_MINERALS = pyo.Set(initialize=limited, ordered=True)
    m.market_depth = pyo.Constraint(
        m.MARKET_DEPTH_MINERALS,
        rule=lambda _m, mi: pyo.quicksum(_m.purchase[k, mi] for k in idx.holdings_of_mineral[mi])
        <= data.max_acquisition[mi],
        doc="Σ_k a[k,m] ≤ maxacq[m] (t)",
    )


def add_scenario_variables(b: pyo.Block, ctx: ModelContext, s: str) -> None:
    """Stock levels z[k,m,t] ∈ [0, cap[k,m]] and releases r[k,p,m,t] ≥ 0 of scenario ``s``."""
    data, idx = ctx.data, ctx.index
    levels = [(k, mi, t) for (k, mi) in idx.HOLDINGS for t in idx.PERIODS]

    def level_bounds(_b, k, mi, _t):
        return (0.0, data.holdings[(k, mi)].max_stock)

    b.stock_level = pyo.Var(levels, bounds=level_bounds, doc="z[k,m,t]: end-of-period stock (t)")
    b.release = pyo.Var([(k, p, mi, t) for (k, p, mi) in idx.RELEASES for t in idx.PERIODS],
                        domain=pyo.NonNegativeReals, doc="r[k,p,m,t]: release to member (t)")


def add_scenario_constraints(b: pyo.Block, ctx: ModelContext, s: str, fs: pyo.Block) -> None:
    """Stock balance and release limits of scenario ``s``; ``fs`` holds the first stage."""
    data, idx = ctx.data, ctx.index
    swaps = data.swaps

    def balance(_b, k, mi, t):
        previous = (data.holdings[(k, mi)].initial_stock + fs.purchase[k, mi]) if t == 1 \
            else _b.stock_level[k, mi, t - 1]
        releases = pyo.quicksum(_b.release[k, p, mi, t] for p in idx.members_of[k])
        draws = pyo.quicksum(_b.swap_draw[w, t] for w in idx.swaps_lending.get((k, mi), ()))
        returns = pyo.quicksum(swaps[w].return_ratio * _b.swap_draw[w, t - swaps[w].return_lag]
                               for w in idx.swaps_returning.get((k, mi), ())
                               if t - swaps[w].return_lag >= 1)
        return _b.stock_level[k, mi, t] == previous - releases - draws + returns

    b.stock_balance = pyo.Constraint(
        [(k, mi, t) for (k, mi) in idx.HOLDINGS for t in idx.PERIODS], rule=balance,
        doc="z[t] = z[t-1] - releases - swap draws + swap returns (t)")

    limited = [(k, mi, t) for (k, mi) in idx.HOLDINGS for t in idx.PERIODS
               if data.holdings[(k, mi)].max_release is not None]
    b.release_limit = pyo.Constraint(
        limited,
        rule=lambda _b, k, mi, t: pyo.quicksum(_b.release[k, p, mi, t] for p in idx.members_of[k])
        + pyo.quicksum(_b.swap_draw[w, t] for w in idx.swaps_lending.get((k, mi), ()))
        <= data.holdings[(k, mi)].max_release,
        doc="Σ_p r + Σ_w f ≤ maxrel[k,m] (t/period)")
