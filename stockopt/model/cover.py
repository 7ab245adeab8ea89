"""Cover floors: stockpile levels at the start of the horizon, in periods of cover.

Mirrors ``models/formulation.md``, section "Cover floors". Component: ``cover_floor``
(first stage): for a party target Σ_k σ[k,p]·(S0[k,m] + a[k,m]) ≥ Q_f over the
stockpiles it is a member of; for a stockpile target S0[k,m] + a[k,m] ≥ Q_f (t). Q_f
is computed when the workbook is read (``CoverTarget.required``).
"""

from __future__ import annotations

import pyomo.environ as pyo

from .context import ModelContext


def floor_terms(ctx: ModelContext, name: str) -> tuple[list[tuple[tuple[str, str], float]], float]:
    """The purchases (k, m) with their weights in target ``name``, and the right-hand side
    Q_f − (existing stock counted towards it) in tonnes."""
    data, idx = ctx.data, ctx.index
    target = data.cover_targets[name]
    m = target.mineral
    if target.stockpile is not None:
        weights = [((target.stockpile, m), 1.0)]
    else:
        weights = [((k, m), data.members[k][target.party])
                   for k in idx.stockpiles_serving.get((target.party, m), ())]
    existing = sum(w * data.holdings[h].initial_stock for h, w in weights)
    return weights, target.required - existing


def add_first_stage(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """One cover_floor row per target."""
    def rule(_m, name):
        weights, rhs = floor_terms(ctx, name)
        return pyo.quicksum(w * _m.purchase[h] for h, w in weights) >= rhs

    m.COVER_TARGETS = pyo.Set(initialize=ctx.index.COVER_TARGETS, ordered=True)
    m.cover_floor = pyo.Constraint(m.COVER_TARGETS, rule=rule,
                                   doc="start-of-horizon level ≥ required cover (t)")
