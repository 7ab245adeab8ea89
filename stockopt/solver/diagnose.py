"""Explaining an infeasible plan in words: which policy floor or cap, and what it would need.

Cover floors can ask for more stock than budgets, capacities or market depth allow;
concentration caps can be impossible when baseline supply is concentrated and no offtake
can dilute it. These checks turn such infeasibility into sentences a planner can act on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ..data import ModelData
from ..model import render_matrix, state_model
from ..model.cover import floor_terms
from ..model.index import ModelIndex, concentration_terms
from ..model.matrix import ColumnLayout, MatrixLP
from ..model.stockpiles import tonne_costs
from . import driver

BUDGET_ROWS = ("budget_limit", "pooled_budget_limit")
"""The first-stage row families that hold budgets (left out by ``with_budgets=False``)."""

FLOOR_LEVERS = ("purchase",)
"""The first-stage variable families the cover-floor diagnosis may use: purchases. The
other first-stage variables (offtake, swap and mitigation capacities, ζ) stay at 0."""

SLACK = "cover_slack"
"""The elastic columns' family: tonnes a cover floor is short (one per cover_floor row)."""


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


def explain_cover_floors(data: ModelData, idx: ModelIndex, lp: MatrixLP | None = None) -> str:
    """Which cover floors cannot be met within budgets, and the money each would need.

    Solves the model's first-stage LP (``lp``, the matrix of ``data``'s model; rendered
    here when not given) with purchases only and the floors made elastic (slack tonnes,
    each weighted by 1/Q_f; ``elastic_floor_lp``): purchases within capacities, market
    depth and budgets. Floors left short are priced at the party's (or the stockpile's
    members') cost per tonne of level, price + n·holding cost. Then the same without
    budgets: what remains short there cannot be bought at any price (capacity or market
    depth).
    """
    if not data.cover_targets:
        return ""
    if lp is None:
        lp = render_matrix(state_model(data, idx))
    short_with = _elastic_floors(data, idx, lp, with_budgets=True)
    if short_with is None:
        return ""
    short_without = _elastic_floors(data, idx, lp, with_budgets=False) or {}
    lines = []
    for name, short in short_with.items():
        if short <= 1e-6 * max(1.0, data.cover_targets[name].required):
            continue
        target = data.cover_targets[name]
        weights, _rhs = floor_terms(data, idx, name)
        unit = min(sum(tonne_costs(data, h)) for h, _w in weights)
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


def first_stage_part(lp: MatrixLP, columns: Sequence[str], rows: Sequence[str]) -> MatrixLP:
    """The LP of ``lp``'s first-stage row families ``rows`` over its first-stage variable
    families ``columns``, every other variable fixed at 0 (left out).

    Rows whose every entry is on a left-out variable are left out too: they constrain only
    what is fixed (e.g. concentration caps, on offtake capacities alone). Rows without any
    entry stay. Bounds, units and both objectives are ``lp``'s, restricted; ``layout`` and
    ``row_layout`` say where each family landed (-1: left out). Model units.
    """
    cols = np.concatenate([np.zeros(0, dtype=np.int64)] + [
        c[c >= 0] for f, c in lp.layout.first.items() if f in columns])
    picked = {f: r for f, r in lp.row_layout.first.items() if f in rows}
    row_ids = np.concatenate([np.zeros(0, dtype=np.int64)] + [r[r >= 0] for r in picked.values()])
    A = lp.A.tocsr()[row_ids]
    kept_nnz = np.diff(A[:, cols].tocsr().indptr)
    any_nnz = np.diff(A.indptr)
    keep = (kept_nnz > 0) | (any_nnz == 0)
    new_row = np.full(lp.n_rows, -1, dtype=np.int64)
    new_row[row_ids[keep]] = np.arange(int(keep.sum()))
    new_col = np.full(lp.n_cols, -1, dtype=np.int64)
    new_col[cols] = np.arange(len(cols))
    row_ids = row_ids[keep]

    def relabel(positions: np.ndarray, new: np.ndarray) -> np.ndarray:
        return np.where(positions >= 0, new[np.maximum(positions, 0)], -1)

    return MatrixLP(
        A=sp.csr_matrix(A[keep][:, cols]), col_lower=lp.col_lower[cols],
        col_upper=lp.col_upper[cols], row_lower=lp.row_lower[row_ids],
        row_upper=lp.row_upper[row_ids], risk_cost=lp.risk_cost[cols],
        cost_cost=lp.cost_cost[cols],
        layout=ColumnLayout(first={f: relabel(c, new_col) for f, c in lp.layout.first.items()
                                   if f in columns}),
        row_layout=ColumnLayout(first={f: relabel(r, new_row) for f, r in picked.items()}),
        row_family=[lp.row_family[i] for i in row_ids], parties=list(lp.parties),
        budgeted=list(lp.budgeted) if "budget_limit" in picked else [],
        col_unit=lp.col_unit[cols])


def elastic_floor_lp(lp: MatrixLP, required: Sequence[float], *,
                     with_budgets: bool) -> MatrixLP:
    """The cover floors of ``lp`` made elastic: ``lp``'s first-stage rows over its
    purchases (``first_stage_part``; without the budget rows unless ``with_budgets``),
    plus one slack column s_f ≥ 0 (t) per cover_floor row f, entered with coefficient 1
    (Σ w·a + s_f ≥ Q_f − existing). The objective, min Σ_f s_f / Q_f (Q_f = ``required``,
    t, aligned with the cover_floor rows), is in the ``risk_cost`` slot; ``cost_cost``
    is 0. Slack columns are family ``SLACK`` in ``layout.first``, each scaled by the unit
    of its floor's purchases.
    """
    rows = [f for f in lp.row_layout.first if with_budgets or f not in BUDGET_ROWS]
    part = first_stage_part(lp, FLOOR_LEVERS, rows)
    floors = part.row_layout.first.get("cover_floor", np.zeros(0, dtype=np.int64))
    n, k = part.n_cols, len(floors)
    slack = sp.csr_matrix((np.ones(k), (floors, np.arange(k))), shape=(part.n_rows, k))
    A = part.A.tocsr()

    def unit_of(r: int) -> float:  # the largest unit of the floor's purchases, else 1
        units = part.col_unit[A.indices[A.indptr[r]:A.indptr[r + 1]]]
        return float(units.max()) if len(units) else 1.0

    unit = np.array([unit_of(r) for r in floors], dtype=float)
    cost = 1.0 / np.maximum(np.asarray(required, dtype=float), 1e-9)
    part.layout.first[SLACK] = n + np.arange(k)
    return MatrixLP(
        A=sp.csr_matrix(sp.hstack([A, slack])),
        col_lower=np.concatenate([part.col_lower, np.zeros(k)]),
        col_upper=np.concatenate([part.col_upper, np.full(k, np.inf)]),
        row_lower=part.row_lower, row_upper=part.row_upper,
        risk_cost=np.concatenate([np.zeros(n), cost]), cost_cost=np.zeros(n + k),
        layout=part.layout, row_layout=part.row_layout, row_family=part.row_family,
        parties=part.parties, budgeted=part.budgeted,
        col_unit=np.concatenate([part.col_unit, unit]))


def elastic_floors(lp: MatrixLP, required: Sequence[float], *,
                   with_budgets: bool) -> np.ndarray | None:
    """Tonnes each cover floor of ``lp`` stays short at least (aligned with its
    cover_floor rows), solving ``elastic_floor_lp`` through the driver; None if that LP
    does not solve to optimality."""
    elastic = elastic_floor_lp(lp, required, with_budgets=with_budgets)
    scaled = driver.scale(elastic)
    h = driver.load(scaled, scaled.risk_cost)
    record = driver.run(h, "elastic cover floors", "HiGHS's choice", {})
    if record.status != "optimal":
        return None
    return driver.primal_values(h, scaled)[elastic.layout.first[SLACK]]


def _elastic_floors(data: ModelData, idx: ModelIndex, lp: MatrixLP, *,
                    with_budgets: bool) -> dict[str, float] | None:
    """Cover floor name -> tonnes short (see ``elastic_floors``), or None."""
    names = idx.COVER_TARGETS
    short = elastic_floors(lp, [data.cover_targets[name].required for name in names],
                           with_budgets=with_budgets)
    if short is None:
        return None
    return {name: float(x) for name, x in zip(names, short, strict=True)}
