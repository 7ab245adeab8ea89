"""Risk: loss per scenario, CVaR in the Rockafellar–Uryasev form, the risk objective.

Mirrors ``models/formulation.md``, section "Risk". Components: ``cvar_threshold``
(ζ, free); per scenario ``loss`` (L_s, periods of baseline demand lost, criticality
weighted), ``cvar_excess`` (η_s ≥ 0) and ``cvar_excess_def`` (η_s ≥ L_s − ζ); the
objective ``risk`` R = (1−λ)·Σ_s π_s L_s + λ·(ζ + Σ_s π_s η_s / (1−α)).
"""

from __future__ import annotations

import pyomo.environ as pyo

from .context import ModelContext


def add_first_stage(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """The CVaR threshold ζ (free; at the optimum, the α-quantile of the loss)."""
    m.cvar_threshold = pyo.Var(domain=pyo.Reals, doc="ζ: CVaR threshold (periods of demand)")


def add_scenario_components(b: pyo.Block, ctx: ModelContext, s: str, fs: pyo.Block) -> None:
    """Loss L_s, excess η_s and η_s ≥ L_s − ζ for scenario ``s``."""
    data = ctx.data
    b.loss = pyo.Expression(
        expr=pyo.quicksum(data.criticality[(p, mi, t)] / data.demand[(p, mi, t)]
                          * b.shortfall[p, mi, t] for (p, mi, t) in ctx.index.DEMANDS),
        doc="L_s = Σ crit/d · e (periods of baseline demand lost)")
    b.cvar_excess = pyo.Var(domain=pyo.NonNegativeReals, doc="η_s: loss above ζ")
    b.cvar_excess_def = pyo.Constraint(expr=b.cvar_excess >= b.loss - fs.cvar_threshold,
                                       doc="η_s ≥ L_s − ζ")


def scenario_risk(b: pyo.Block, ctx: ModelContext, fs: pyo.Block) -> pyo.Expression:
    """R_s = (1−λ)·L_s + λ·ζ + λ·η_s/(1−α), so that R = Σ_s π_s R_s."""
    lam, alpha = ctx.data.risk_weight, ctx.data.cvar_alpha
    return (1.0 - lam) * b.loss + lam * fs.cvar_threshold + lam / (1.0 - alpha) * b.cvar_excess


def add_objective(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """risk_value R (expression) and the phase-1 objective ``risk`` = min R."""
    data = ctx.data
    lam, alpha = data.risk_weight, data.cvar_alpha
    m.risk_value = pyo.Expression(
        expr=(1.0 - lam) * pyo.quicksum(data.probability[s] * m.scenario[s].loss
                                        for s in m.SCENARIOS if data.probability[s] != 0.0)
        + lam * m.cvar_threshold
        + lam / (1.0 - alpha) * pyo.quicksum(data.probability[s] * m.scenario[s].cvar_excess
                                             for s in m.SCENARIOS if data.probability[s] != 0.0),
        doc="R: risk (periods of demand lost)")
    m.risk = pyo.Objective(expr=m.risk_value, sense=pyo.minimize)
