"""Explaining an infeasible plan in words: which policy floor or cap, and what it would need.

Cover floors can ask for more stock than budgets, capacities or market depth allow;
concentration caps can be impossible when baseline supply is concentrated and no offtake
can dilute it. These checks turn such infeasibility into sentences a planner can act on.
"""

from __future__ import annotations

import highspy
import numpy as np

from ..data import ModelData
from ..model.cover import floor_terms
from ..model.index import ModelIndex, concentration_terms

INF = highspy.kHighsInf


def _money(x: float, currency: str) -> str:
    return f"{x:,.0f} {currency}"


def fixed_concentration_violations(data: ModelData, idx: ModelIndex) -> str:
    """Sentences for caps that baseline supply breaks with no offtake to dilute it ("" if none).

    One sentence per (party, mineral, source), listing the periods and the largest share.
    """
    grouped: dict[tuple[str, str, str], list[tuple[int, float]]] = {}
    for (p, m, c, t) in idx.concentration_fixed:
        by_source, _active = concentration_terms(data, idx.supply_sources, idx.offtakes_to,
                                                 p, m, t)
        total = sum(by_source.values())
        grouped.setdefault((p, m, c), []).append(
            (t, by_source.get(c, 0.0) / total if total else 1.0))
    lines = []
    for (p, m, c), rows in grouped.items():
        cap = idx.concentration_share[(p, m)]
        periods = ", ".join(data.period_label(t) for t, _share in rows)
        worst = max(share for _t, share in rows)
        lines.append(f"concentration cap for {p}, {m}: {c} supplies up to {worst:.0%} of the "
                     f"baseline supply (period{'s' if len(rows) > 1 else ''} {periods}), above "
                     f"the {cap:.0%} limit, and no offtake option delivers then to dilute it "
                     "(add offtake options from other sources, raise the limit, or exclude "
                     "the source)")
    return "; ".join(lines)


def explain_cover_floors(data: ModelData, idx: ModelIndex) -> str:
    """Which cover floors cannot be met within budgets, and the money each would need.

    Solves a small first-stage LP: purchases within capacities and market depth, the
    floors made elastic (slack tonnes, each weighted by 1/Q_f), budgets kept. Floors
    left short are priced at the party's (or the stockpile's members') cost per tonne of
    level, price + n·holding cost. Then the same without budgets: what remains short
    there cannot be bought at any price (capacity or market depth).
    """
    if not data.cover_targets:
        return ""
    short_with = _elastic_floors(data, idx, with_budgets=True)
    if short_with is None:
        return ""
    short_without = _elastic_floors(data, idx, with_budgets=False) or {}
    n = data.n_periods
    lines = []
    for name, short in short_with.items():
        if short <= 1e-6 * max(1.0, data.cover_targets[name].required):
            continue
        target = data.cover_targets[name]
        weights, _rhs = floor_terms(data, idx, name)
        unit = min(data.price[m] + n * data.holdings[(k, m)].holding_cost for (k, m), _w in weights)
        who = target.party if target.party is not None else f"the members of {target.stockpile}"
        impossible = min(short, short_without.get(name, 0.0))
        buyable = short - impossible
        text = (f"cover floor '{name}' ({target.party or target.stockpile}, {target.mineral}, "
                f"{target.periods:g} periods of {target.basis.replace('_', ' ')} = "
                f"{target.required:,.1f} t) is short by {short:,.1f} t within the budgets")
        if buyable > 1e-6 * max(1.0, target.required):
            text += (f"; buying the {buyable:,.1f} t that can be bought needs about "
                     f"{_money(buyable * unit, data.currency)} more for {who}")
        if impossible > 1e-6 * max(1.0, target.required):
            text += (f"; {impossible:,.1f} t cannot be bought at any price (stockpile "
                     "capacity or market depth)")
        lines.append(text)
    return "; ".join(lines)


def _elastic_floors(data: ModelData, idx: ModelIndex, *,
                    with_budgets: bool) -> dict[str, float] | None:
    n = data.n_periods
    holdings = idx.HOLDINGS
    h_of = {h: j for j, h in enumerate(holdings)}
    targets = idx.COVER_TARGETS
    n_a, n_s = len(holdings), len(targets)
    lower = np.zeros(n_a + n_s)
    upper = np.full(n_a + n_s, INF)
    for j, (k, m) in enumerate(holdings):
        h = data.holdings[(k, m)]
        if h.max_stock is not None:
            upper[j] = h.max_stock - h.initial_stock
    cost = np.zeros(n_a + n_s)
    rows: list[tuple[list[int], list[float], float, float]] = []
    for f, name in enumerate(targets):
        weights, rhs = floor_terms(data, idx, name)
        cost[n_a + f] = 1.0 / max(data.cover_targets[name].required, 1e-9)
        rows.append(([h_of[h] for h, _w in weights] + [n_a + f],
                     [w for _h, w in weights] + [1.0], rhs, INF))
    for m in idx.MINERALS:
        if data.max_acquisition.get(m) is not None and idx.holdings_of_mineral.get(m):
            cols = [h_of[(k, m)] for k in idx.holdings_of_mineral[m]]
            rows.append((cols, [1.0] * len(cols), -INF, data.max_acquisition[m]))
    if with_budgets:
        spend = {p: ([], []) for p in idx.PARTIES}
        for j, (k, m) in enumerate(holdings):
            unit = data.price[m] + n * data.holdings[(k, m)].holding_cost
            for p, share in data.members[k].items():
                spend[p][0].append(j)
                spend[p][1].append(share * unit)
        for p in idx.PARTIES:
            if data.budget.get(p) is not None:
                rows.append((spend[p][0], spend[p][1], -INF, data.budget[p]))
        if data.pooled_budget is not None:
            cols = [c for p in idx.PARTIES for c in spend[p][0]]
            vals = [v for p in idx.PARTIES for v in spend[p][1]]
            rows.append((cols, vals, -INF, data.pooled_budget))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(n_a + n_s, lower, upper)
    h.changeColsCost(n_a + n_s, np.arange(n_a + n_s, dtype=np.int32), cost)
    for cols, vals, lo, hi in rows:
        h.addRow(lo, hi, len(cols), np.asarray(cols, dtype=np.int32), np.asarray(vals))
    h.run()
    if h.modelStatusToString(h.getModelStatus()).strip().lower() != "optimal":
        return None
    x = np.asarray(h.getSolution().col_value)
    return {name: float(x[n_a + f]) for f, name in enumerate(targets)}
