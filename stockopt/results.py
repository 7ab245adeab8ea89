"""Extracting the solution: tidy tables, one per variable family, and the headline numbers.

Tables are pandas DataFrames whose columns are named like the model's sets and
variables; units are in ``stockopt.report``'s column dictionary. Small values below
``ZERO_TOLERANCE`` are reported as 0 (solver round-off).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from .data import ModelData
from .solve import SolveOutcome

ZERO_TOLERANCE = 1e-9
"""Values smaller in magnitude than this (t or currency) are reported as 0."""


def _v(x: pyo.Var | float) -> float:
    value = pyo.value(x, exception=False)
    if value is None:
        return 0.0
    return 0.0 if abs(value) < ZERO_TOLERANCE else float(value)


def exact_cvar(losses: list[float], probabilities: list[float], alpha: float) -> float:
    """CVaR_α of a discrete loss distribution: min over ζ of ζ + Σ π·max(0, L−ζ)/(1−α).

    The minimum of this convex piecewise-linear function is at one of the losses.
    """
    if not losses:
        return 0.0
    best = None
    for zeta in set(losses):
        value = zeta + sum(p * max(0.0, loss - zeta) for loss, p in zip(losses, probabilities,
                                                                         strict=True)) / (1 - alpha)
        best = value if best is None else min(best, value)
    return float(best)


@dataclass
class Results:
    """The solved plan: headline numbers and tidy tables."""

    status: str
    risk: float
    cost: float
    expected_loss: float
    cvar: float
    spend: dict[str, float]
    budget_shadow_price: dict[str, float]
    pooled_budget_shadow_price: float
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    outcome: SolveOutcome | None = None

    def summary_dict(self) -> dict:
        """The keys the contract's summary JSON requires, plus solver details."""
        data = {
            "status": self.status,
            "risk": self.risk,
            "cost": self.cost,
            "expected_loss": self.expected_loss,
            "cvar": self.cvar,
            "spend": self.spend,
            "budget_shadow_price": self.budget_shadow_price,
            "pooled_budget_shadow_price": self.pooled_budget_shadow_price,
        }
        if self.outcome is not None:
            data["solver"] = {
                "name": self.outcome.solver, "version": self.outcome.solver_version,
                "algorithm": self.outcome.algorithm,
                "phases": [{"name": p.name, "status": p.status, "objective": p.objective,
                            "seconds": round(p.seconds, 4)} for p in self.outcome.phases],
                "rows": self.outcome.rows, "columns": self.outcome.columns,
                "nonzeros": self.outcome.nonzeros,
            }
        return data


def extract(model: pyo.ConcreteModel, data: ModelData, outcome: SolveOutcome) -> Results:
    """Read the loaded solution of ``model`` into Results."""
    idx = model.ctx.index
    label = data.period_label
    n = data.n_periods

    spend = {p: _v(model.spend[p]) for p in data.parties}
    losses = [_v(model.scenario[s].loss) for s in data.scenarios]
    probs = [data.probability[s] for s in data.scenarios]
    expected_loss = sum(p * loss for p, loss in zip(probs, losses, strict=True))
    cvar = exact_cvar(losses, probs, data.cvar_alpha)

    tables: dict[str, pd.DataFrame] = {}
    rows = []
    for (k, mi) in idx.HOLDINGS:
        h = data.holdings[(k, mi)]
        a = _v(model.purchase[k, mi])
        unit = data.price[mi] + n * h.holding_cost
        rows.append({"stockpile": k, "mineral": mi, "initial_stock": h.initial_stock,
                     "purchase": a, "start_level": h.initial_stock + a,
                     "max_stock": h.max_stock, "purchase_cost": a * data.price[mi],
                     "holding_cost": a * n * h.holding_cost, "total_cost": a * unit,
                     "cost_shares": "; ".join(f"{p} {s:g}" for p, s in data.members[k].items())})
    tables["purchases"] = pd.DataFrame(rows, columns=[
        "stockpile", "mineral", "initial_stock", "purchase", "start_level", "max_stock",
        "purchase_cost", "holding_cost", "total_cost", "cost_shares"])

    rows = []
    for o, spec in data.offtakes.items():
        x = _v(model.offtake_capacity[o])
        rows.append({"offtake": o, "party": spec.party, "mineral": spec.mineral,
                     "source": spec.source, "capacity": x, "max_volume": spec.max_volume,
                     "fee": spec.fee, "fee_paid": x * spec.fee, "price": spec.price,
                     "first_period": label(spec.first_period), "chosen": x > ZERO_TOLERANCE})
    tables["offtakes"] = pd.DataFrame(rows, columns=[
        "offtake", "party", "mineral", "source", "capacity", "max_volume", "fee", "fee_paid",
        "price", "first_period", "chosen"])

    rows = []
    for w, spec in data.swaps.items():
        y = _v(model.swap_capacity[w])
        rows.append({"swap": w, "lender_stockpile": spec.lender, "receiver": spec.receiver,
                     "mineral": spec.mineral, "return_mineral": spec.return_mineral,
                     "return_ratio": spec.return_ratio, "return_lag": spec.return_lag,
                     "capacity": y, "max_volume": spec.max_volume, "fee": spec.fee,
                     "fee_paid": y * spec.fee, "chosen": y > ZERO_TOLERANCE})
    tables["swaps"] = pd.DataFrame(rows, columns=[
        "swap", "lender_stockpile", "receiver", "mineral", "return_mineral", "return_ratio",
        "return_lag", "capacity", "max_volume", "fee", "fee_paid", "chosen"])

    tables["scenario_losses"] = pd.DataFrame(
        [{"scenario": s, "probability": data.probability[s], "loss": loss,
          "operating_cost": _v(model.scenario[s].operating_cost),
          "description": data.scenario_description.get(s, "")}
         for s, loss in zip(data.scenarios, losses, strict=True)],
        columns=["scenario", "probability", "loss", "operating_cost", "description"])

    shortfall_rows, release_rows, level_rows, draw_rows, delivery_rows = [], [], [], [], []
    for s in data.scenarios:
        b = model.scenario[s]
        for (p, mi, t) in idx.DEMANDS:
            dem = data.scenario_demand(p, mi, t, s)
            e = _v(b.shortfall[p, mi, t])
            shortfall_rows.append({"scenario": s, "party": p, "mineral": mi, "period": label(t),
                                   "demand": dem, "shortfall": e,
                                   "shortfall_share": e / dem if dem > 0 else 0.0,
                                   "loss_contribution": data.criticality[(p, mi, t)]
                                   / data.demand[(p, mi, t)] * e})
        for (k, p, mi) in idx.RELEASES:
            for t in idx.PERIODS:
                r = _v(b.release[k, p, mi, t])
                if r:
                    release_rows.append({"scenario": s, "stockpile": k, "party": p,
                                         "mineral": mi, "period": label(t), "release": r})
        for (k, mi) in idx.HOLDINGS:
            for t in idx.PERIODS:
                level_rows.append({"scenario": s, "stockpile": k, "mineral": mi,
                                   "period": label(t), "stock_level": _v(b.stock_level[k, mi, t])})
        for (w, t) in idx.SWAP_PERIODS:
            f = _v(b.swap_draw[w, t])
            if f:
                spec = data.swaps[w]
                due = t + spec.return_lag
                draw_rows.append({
                    "scenario": s, "swap": w, "period": label(t), "draw": f,
                    "return_mineral": spec.return_mineral, "return_amount": spec.return_ratio * f,
                    "return_period": label(due) if due <= n else "after horizon",
                    "outstanding_at_end": spec.return_ratio * f if due > n else 0.0,
                    "outstanding_value": spec.return_ratio * f * data.price[spec.return_mineral]
                    if due > n else 0.0})
        for (o, t) in idx.OFFTAKE_PERIODS:
            v = _v(b.offtake_delivery[o, t])
            if v:
                delivery_rows.append({"scenario": s, "offtake": o, "period": label(t),
                                      "delivery": v, "cost": v * data.offtakes[o].price})
    tables["shortfalls"] = pd.DataFrame(shortfall_rows, columns=[
        "scenario", "party", "mineral", "period", "demand", "shortfall", "shortfall_share",
        "loss_contribution"])
    tables["releases"] = pd.DataFrame(release_rows, columns=[
        "scenario", "stockpile", "party", "mineral", "period", "release"])
    tables["stock_levels"] = pd.DataFrame(level_rows, columns=[
        "scenario", "stockpile", "mineral", "period", "stock_level"])
    tables["swap_draws"] = pd.DataFrame(draw_rows, columns=[
        "scenario", "swap", "period", "draw", "return_mineral", "return_amount",
        "return_period", "outstanding_at_end", "outstanding_value"])
    tables["offtake_deliveries"] = pd.DataFrame(delivery_rows, columns=[
        "scenario", "offtake", "period", "delivery", "cost"])

    return Results(
        status=outcome.status, risk=float(outcome.risk), cost=float(outcome.cost),
        expected_loss=float(expected_loss), cvar=cvar, spend=spend,
        budget_shadow_price={p: outcome.budget_duals.get(p, 0.0) for p in data.parties},
        pooled_budget_shadow_price=outcome.pooled_budget_dual, tables=tables, outcome=outcome)
