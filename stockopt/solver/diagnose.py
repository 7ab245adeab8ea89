"""Explaining a failed solve in words: which policy floor or cap, and what it would need.

Cover floors can ask for more stock than budgets, capacities or market depth allow;
concentration caps can be impossible when baseline supply is concentrated and the offtakes
offered cannot dilute it (too little volume, none from another source, or fees beyond the
budgets). These checks turn such infeasibility into sentences a planner can act on
(``explain_cover_floors``, ``explain_concentration_caps``, both from elastic LPs cut from
the rendered matrix's first-stage rows). Every other status a solve can end in has its
words too (``status_words``), and a solution that breaks its own rows is explained by the
row's coefficients (``unreliable_explanation``).
"""

from __future__ import annotations

import dataclasses
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
from .check import ABSOLUTE_TOLERANCE, NUMERICALLY_UNRELIABLE, RELATIVE_TOLERANCE, Violation

BUDGET_ROWS = ("budget_limit", "pooled_budget_limit", "period_budget_limit")
"""The first-stage row families that hold budgets (left out by ``with_budgets=False``)."""

FLOOR_LEVERS = ("purchase",)
"""The first-stage variable families the cover-floor diagnosis may use: purchases. The
other first-stage variables (offtake, swap and mitigation capacities, ζ) stay at 0."""

SLACK = "cover_slack"
"""The elastic columns' family: tonnes a cover floor is short (one per cover_floor row)."""

CAP_LEVERS = ("offtake_capacity",)
"""The first-stage variable families the concentration-cap diagnosis may use: offtake
capacities (the only variables in a concentration_limit row)."""

CAP_SLACK = "cap_slack"
"""The elastic columns' family: t/period a concentration_limit row is over its cap."""

STATUS_WORDS: dict[str, str] = {
    "infeasible": (
        "no plan meets every row at once: a cover floor, concentration cap, market depth, "
        "stockpile capacity or budget cannot hold together with the others; check the "
        "CoverTargets and ConcentrationLimits sheets against the budgets, capacities and "
        "offtakes offered (relax a floor or cap, raise a budget, or offer more volume)"),
    "primal infeasible or unbounded": (
        "HiGHS found the model either infeasible or unbounded without telling which: a "
        "policy floor or cap that cannot hold, or a lever with a negative price, fee or "
        "cost that nothing limits; check both"),
    "unbounded": (
        "the objective can fall without limit: some lever earns money (a negative price, "
        "fee, holding or mitigation cost) and no budget, capacity or market depth limits "
        "it; make such numbers non-negative or give the lever a limit"),
    "empty": (
        "the model has nothing to decide: no stockpile, offtake, swap or mitigation lever "
        "and no demand gives it a variable; check the Holdings, Offtakes, Swaps, "
        "Mitigation and Demand sheets"),
    "unknown": (
        "HiGHS stopped without a verdict, which on this model means numerical trouble: "
        "input numbers many orders of magnitude apart (e.g. a price of 1e20 beside "
        "demands of 0.001, or a unit mistake); check the inputs for such numbers, or try "
        "--algorithm ipx"),
    "time limit reached": (
        "the solver ran out of time before it could prove the plan optimal, so no plan is "
        "reported; give it more time (--time-limit) or make the model smaller (fewer "
        "scenarios, periods or minerals)"),
    "iteration limit reached": (
        "the simplex method hit its iteration limit before the optimum; this is not "
        "expected with stockopt's settings: try --algorithm ipx, and report the workbook"),
    NUMERICALLY_UNRELIABLE: (
        "some input numbers are so far apart in size that the solver's tolerances hide "
        "the smaller ones, and the plan it found breaks a row in the model's own units "
        f"(by more than {RELATIVE_TOLERANCE:g} of the row's scale + {ABSOLUTE_TOLERANCE:g}), "
        "so it is not reported; check the inputs for a unit mistake or an extreme number"),
    "memory limit reached": (
        "the solver ran out of memory; make the model smaller (fewer scenarios, periods "
        "or minerals) or run on a machine with more memory"),
    "interrupted by user": ("the solve was interrupted (e.g. Ctrl-C) before it ended, so no "
                            "plan is reported; run it again and let it finish"),
    "model error": (
        "HiGHS refused the model as given (e.g. a coefficient that is not a finite "
        "number); check the inputs for non-numbers and extreme values"),
}
"""Each status a solve can end in -> what it means and what the user can do."""

STATUS_SYNONYMS = {"load error": "model error", "presolve error": "unknown",
                   "solve error": "unknown", "postsolve error": "unknown",
                   "not set": "unknown", "interrupted by highs": "unknown",
                   "solution limit reached": "iteration limit reached",
                   "bound on objective reached": "unknown",
                   "target for objective reached": "unknown"}
"""HiGHS statuses that share another's words."""


def status_words(status: str) -> str:
    """What ``status`` (HiGHS's model status in lower case, or "numerically
    unreliable") means for the plan and what the user can do, in words."""
    key = status.strip().lower()
    key = STATUS_SYNONYMS.get(key, key)
    return STATUS_WORDS.get(key, f"HiGHS ended with status '{status}', so no plan is "
                                 "reported; " + STATUS_WORDS["unknown"].split(", which ")[1])


def unreliable_explanation(found: Sequence[Violation], lp: MatrixLP) -> str:
    """Why a solution breaks its rows ``found`` (worst first): the worst row's
    coefficients per solver unit, their spread and the column of the largest, and what to
    do. Model units."""
    worst = found[0]
    text = status_words(NUMERICALLY_UNRELIABLE)
    if worst.kind != "row" or not 0 <= worst.position < lp.n_rows:
        return text
    i = worst.position
    A = lp.A.tocsr()
    span = slice(A.indptr[i], A.indptr[i + 1])
    cols = A.indices[span]
    size = np.abs(A.data[span]) * lp.col_unit[cols]
    size_nz = size[size > 0]
    if len(size_nz) < 2:
        return text
    big = int(cols[int(np.argmax(size))])
    ratio = float(size_nz.max() / size_nz.min())
    return (f"{text}. In {worst.name} the coefficients (per solver unit) range from "
            f"{size_nz.min():.3g} to {size_nz.max():.3g}, a factor of {ratio:.2g}; the "
            f"largest is on {lp.col_name(big)} ({A.data[span][int(np.argmax(size))]:.3g} per "
            "model unit). HiGHS scales each row by its largest coefficient, so the others "
            "fall below its tolerances: check the input behind that column (a fee, price "
            "or cost in the wrong unit?)")



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


def before_solving(data: ModelData, idx: ModelIndex) -> tuple[str, str] | None:
    """What makes the plan infeasible in the data alone, found before solving: (message,
    explanation) for a concentration cap that baseline supply breaks with nothing to
    dilute it, or a cover floor no order can reach (``unreachable_floors``); None when
    neither."""
    fixed = fixed_concentration_violations(data, idx)
    if fixed:
        return ("the plan is infeasible: a concentration cap cannot hold (found before "
                "solving)", fixed)
    unreachable = unreachable_floors(data, idx)
    if unreachable:
        return ("the plan is infeasible: a cover floor cannot be met (found before solving)",
                unreachable)
    return None


def unreachable_floors(data: ModelData, idx: ModelIndex) -> str:
    """Sentences for cover floors that no order can reach by their first period and that
    the existing stock does not meet ("" if none): the model leaves such a floor out (it
    has no variable), so it is reported before solving (FORMULATION-v2 section 6)."""
    lines = []
    for name in idx.COVER_TARGETS:
        weights, need = floor_terms(data, idx, name)
        target = data.cover_targets[name]
        if weights or need <= 1e-9 * max(1.0, target.required):
            continue
        lead = data.lead(target.mineral)
        lines.append(f"cover floor '{name}' ({target.party or target.stockpile}, "
                     f"{target.mineral}, {target.required:,.1f} t from "
                     f"{data.period_label(target.from_period)}) cannot be met: no order of "
                     f"{target.mineral} can arrive by then (lead time {lead} period"
                     f"{'s' if lead != 1 else ''}) and the existing stock is "
                     f"{target.required - need:,.1f} t; set from_period to a later period, "
                     "or lower the floor")
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
        who = target.party if target.party is not None else f"the members of {target.stockpile}"
        text = (f"cover floor '{name}' ({target.party or target.stockpile}, {target.mineral}, "
                f"{target.periods:g} periods of {target.basis.replace('_', ' ')} = "
                f"{target.required:,.1f} t) is short by {short:,.1f} t within the budgets")
        if not weights:
            lead = data.lead(target.mineral)
            lines.append(text + f"; no order can arrive by its first period "
                         f"{data.period_label(target.from_period)} (lead time {lead} "
                         f"period{'s' if lead != 1 else ''}), so only existing stock counts: "
                         "set from_period later, or lower the floor")
            continue
        unit = min(sum(tonne_costs(data, h)) for h, _w in weights)
        impossible = min(short, short_without.get(name, 0.0))
        buyable = short - impossible
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
    cost = 1.0 / np.maximum(np.asarray(required, dtype=float), 1e-9)
    return _with_slack(part, floors, 1.0, cost, _row_units(part, floors), SLACK)


def _with_slack(lp: MatrixLP, rows: np.ndarray, sign: float, cost: np.ndarray,
                unit: np.ndarray, family: str) -> MatrixLP:
    """``lp`` with one slack column ≥ 0 per row in ``rows``, entered with coefficient
    ``sign`` (±1), priced ``cost`` in the ``risk_cost`` slot (``cost_cost`` 0, no phase 3)
    and scaled by ``unit``; the slack columns are family ``family`` in ``layout.first``.
    The elastic LPs of this module are all built this way."""
    n, k = lp.n_cols, len(rows)
    slack = sp.csr_matrix((np.full(k, sign), (rows, np.arange(k))), shape=(lp.n_rows, k))
    layout = ColumnLayout(first={**lp.layout.first, family: n + np.arange(k)},
                          second=dict(lp.layout.second))
    return dataclasses.replace(
        lp, A=sp.csr_matrix(sp.hstack([lp.A.tocsr(), slack])),
        col_lower=np.concatenate([lp.col_lower, np.zeros(k)]),
        col_upper=np.concatenate([lp.col_upper, np.full(k, np.inf)]),
        risk_cost=np.concatenate([np.zeros(n), np.asarray(cost, dtype=float)]),
        cost_cost=np.zeros(n + k), move_cost=None, layout=layout,
        col_unit=np.concatenate([lp.col_unit, np.asarray(unit, dtype=float)]))


def elastic_floors(lp: MatrixLP, required: Sequence[float], *,
                   with_budgets: bool) -> np.ndarray | None:
    """Tonnes each cover floor of ``lp`` stays short at least (aligned with its
    cover_floor rows), solving ``elastic_floor_lp`` through the driver; None if that LP
    does not solve to optimality."""
    return _least_slack(elastic_floor_lp(lp, required, with_budgets=with_budgets), SLACK,
                        "elastic cover floors")


def _least_slack(elastic: MatrixLP, slack: str, name: str) -> np.ndarray | None:
    """Solve an elastic LP (its risk objective prices the slack) through the driver; the
    slack family's values, or None if it does not solve to optimality."""
    scaled = driver.scale(elastic)
    h = driver.load(scaled, scaled.risk_cost)
    record = driver.run(h, name, "HiGHS's choice", {})
    if record.status != "optimal":
        return None
    return driver.primal_values(h, scaled)[elastic.layout.first[slack]]


def _elastic_floors(data: ModelData, idx: ModelIndex, lp: MatrixLP, *,
                    with_budgets: bool) -> dict[str, float] | None:
    """Cover floor name -> tonnes short (see ``elastic_floors``), or None; the floors with a
    cover_floor row (those some order can reach)."""
    names = [name for name in idx.COVER_TARGETS if floor_terms(data, idx, name)[0]]
    short = elastic_floors(lp, [data.cover_targets[name].required for name in names],
                           with_budgets=with_budgets)
    if short is None:
        return None
    return {name: float(x) for name, x in zip(names, short, strict=True)}


def explain_concentration_caps(data: ModelData, idx: ModelIndex,
                               lp: MatrixLP | None = None) -> str:
    """Which concentration caps cannot hold, and what would dilute them ("" if none).

    Solves the model's concentration_limit rows over the offtake capacities (every other
    variable at 0) with each row made elastic (``elastic_cap_lp``): first without budgets
    (what stays over there cannot be diluted by the offtakes offered at any price: the
    sentence says how much more offtake capacity from other sources would), then with
    the budget rows (what is over only there needs more money for the offtake fees).
    One sentence per (party, mineral, source), listing the periods. ``lp`` is the matrix
    of ``data``'s model (rendered here when not given).
    """
    if not idx.CONCENTRATION_ROWS:
        return ""
    if lp is None:
        lp = render_matrix(state_model(data, idx))
    over_free = elastic_caps(lp, with_budgets=False)
    over_budget = elastic_caps(lp, with_budgets=True)
    if over_free is None or over_budget is None:
        return ""
    rows = lp.row_layout.first.get("concentration_limit", np.zeros(0, dtype=np.int64))
    unit = _row_units(lp, rows)
    grouped: dict[tuple[str, str, str], list[tuple[int, float, float]]] = {}
    for k, key in enumerate(idx.CONCENTRATION_ROWS):
        tol = 1e-6 * unit[k]
        free, within = float(over_free[k]), float(over_budget[k])
        if free > tol or within > tol:
            p, m, c, t = key
            grouped.setdefault((p, m, c), []).append((t, free if free > tol else 0.0,
                                                      within))
    lines = []
    for (p, m, c), found in grouped.items():
        lines.append(_cap_sentence(data, idx, p, m, c, found))
    return "; ".join(lines)


def _row_units(lp: MatrixLP, rows: np.ndarray) -> np.ndarray:
    """The largest column unit among each row's entries (1 for an empty row)."""
    A = lp.A.tocsr()
    out = np.ones(len(rows))
    for k, r in enumerate(rows):
        units = lp.col_unit[A.indices[A.indptr[r]:A.indptr[r + 1]]]
        if len(units):
            out[k] = float(units.max())
    return out


def _cap_sentence(data: ModelData, idx: ModelIndex, p: str, m: str, c: str,
                  found: list[tuple[int, float, float]]) -> str:
    """The sentence for cap (p, m) on source c over ``found`` (period, t/period over at
    any price, t/period over within the budgets)."""
    share = idx.concentration_share[(p, m)]
    periods = [t for t, _free, _within in found]
    label = ", ".join(data.period_label(t) for t in periods)
    worst_share, supply, total = 0.0, 0.0, 0.0
    for t in periods:
        by_source, _active = concentration_terms(data, idx.supply_sources, idx.offtakes_to,
                                                 p, m, t)
        q, tot = by_source.get(c, 0.0), sum(by_source.values())
        if tot > 0 and q / tot >= worst_share:
            worst_share, supply, total = q / tot, q, tot
    others = [o for o in idx.offtakes_to.get((p, m), ())
              if data.offtakes[o].source != c
              and any(t >= data.offtakes[o].first_period for t in periods)]
    text = (f"concentration cap for {p}, {m} (at most {share:.0%} from one source): {c} "
            f"supplies {supply:,.4g} of {total:,.4g} t/period of baseline supply "
            f"({worst_share:.0%}) in period{'s' if len(periods) > 1 else ''} {label}")
    free = max(f for _t, f, _w in found)
    if free > 0:
        more = free / share if share > 0 else float("inf")
        if not others:
            text += (f", and no offtake from a source other than {c} is offered for {p}, "
                     f"{m} then to dilute it; about {more:,.4g} t/period of offtake "
                     "capacity from other sources would (add offtake options, raise the "
                     "limit, or exclude the source)")
        else:
            offered = sum(data.offtakes[o].max_volume for o in others)
            text += (f"; even with every offtake offered from other sources at its largest "
                     f"volume ({offered:,.4g} t/period in all) it stays over, and about "
                     f"{more:,.4g} t/period more offtake capacity from other sources would "
                     "dilute it (offer more volume, raise the limit, or exclude the source)")
        return text
    extra = max(w for _t, _f, w in found) / share if share > 0 else 0.0
    fees = [data.offtakes[o].fee for o in others if data.offtakes[o].fee > 0]
    text += ("; the offtakes that would dilute it cost more in fees than the budgets allow"
             f" (about {extra:,.4g} t/period of capacity short")
    if fees:
        text += (f", about {_money(extra * min(fees), data.currency)} more for {p} at the "
                 "cheapest fee")
    return text + "; raise the budget, or relax the limit)"


def elastic_cap_lp(lp: MatrixLP, *, with_budgets: bool) -> MatrixLP:
    """The concentration caps of ``lp`` made elastic: its concentration_limit rows (and,
    if ``with_budgets``, its budget rows) over its offtake capacities
    (``first_stage_part``), plus one column e_r ≥ 0 (t/period) per concentration_limit
    row r entered with coefficient −1 (Σ a·x − e_r ≤ L·Q − q_c). The objective, min
    Σ_r e_r / u_r (u_r the largest unit of the row's offtakes), is in the ``risk_cost``
    slot; ``cost_cost`` is 0. The elastic columns are family ``CAP_SLACK``.
    """
    rows = ["concentration_limit", *(BUDGET_ROWS if with_budgets else ())]
    part = first_stage_part(lp, CAP_LEVERS, [f for f in lp.row_layout.first if f in rows])
    caps = part.row_layout.first.get("concentration_limit", np.zeros(0, dtype=np.int64))
    unit = _row_units(part, caps)
    return _with_slack(part, caps, -1.0, 1.0 / unit, unit, CAP_SLACK)


def elastic_caps(lp: MatrixLP, *, with_budgets: bool) -> np.ndarray | None:
    """t/period each concentration_limit row of ``lp`` stays over its cap at least
    (aligned with those rows), solving ``elastic_cap_lp`` through the driver; None if
    that LP does not solve to optimality."""
    return _least_slack(elastic_cap_lp(lp, with_budgets=with_budgets), CAP_SLACK,
                        "elastic concentration caps")


LIMIT_SLACK = "risk_limit_slack"
"""The elastic columns of ``elastic_limit_lp``: each party risk limit's excess (periods)."""

SHARED_ROWS = ("market_depth", "pooled_budget_limit", "budget_limit", "release_limit")
"""Row families that can explain why party risk limits conflict (what parties compete
for), named when they bind in the least-excess plan."""


def elastic_limit_lp(lp: MatrixLP) -> MatrixLP:
    """``lp`` with its party_risk_limit rows made elastic: one column v_r ≥ 0 (periods)
    per such row r, entered with coefficient −1 (R_p-row − v_r ≤ bound_r). The objective,
    min Σ_r v_r / max(1, bound_r), is in the ``risk_cost`` slot; ``cost_cost`` is 0. The
    elastic columns are family ``LIMIT_SLACK``."""
    rows = lp.row_layout.first.get("party_risk_limit", np.zeros(0, dtype=np.int64))
    bound = np.maximum(1.0, np.abs(lp.row_upper[rows]))
    return _with_slack(lp, rows, -1.0, 1.0 / bound, np.ones(len(rows)), LIMIT_SLACK)


def explain_party_limits(data: ModelData, lp: MatrixLP) -> str:
    """Why the party risk limits of ``lp`` cannot all hold ("" when it has none, or when
    they can): the limited parties with their limits, how far above them the plan with
    the least total excess leaves each (``elastic_limit_lp``), and what they compete for:
    the shared rows binding in that plan (market depths, the pooled budget; then own
    budgets and release limits), largest shadow price first."""
    rows = lp.row_layout.first.get("party_risk_limit")
    if rows is None or not len(rows):
        return ""
    keys = lp.row_index.get("party_risk_limit", [])
    elastic = elastic_limit_lp(lp)
    scaled = driver.scale(elastic)
    h = driver.load(scaled, scaled.risk_cost)
    record = driver.run(h, "elastic party risk limits", "HiGHS's choice", {})
    names = sorted({p for p, _kind in keys}, key=data.parties.index)
    head = ("the party risk limits of " + " and ".join(names)
            + (" cannot all hold" if len(names) > 1 else " cannot hold"))
    if record.status != "optimal":
        return head + " (the plan is infeasible even with the limits relaxed)"
    excess = driver.primal_values(h, scaled)[elastic.layout.first[LIMIT_SLACK]]
    if float(excess.max(initial=0.0)) <= 1e-9:
        return ""
    parts = []
    for (p, kind), bound, over in zip(keys, lp.row_upper[rows].tolist(), excess.tolist(),
                                      strict=True):
        what = (f"max_risk {bound:.6g}" if kind == "max_risk"
                else f"no worse than alone, {bound:.6g}")
        reach = (f"at best {bound + over:.6g}" if over > 1e-9 else "met")
        parts.append(f"{p} ({what}; {reach})")
    text = head + ": " + ", ".join(parts) + " (periods of demand lost; the plan with the " \
        "least total excess)"
    duals = np.asarray(driver.row_duals(h), dtype=float) * scaled.row_scale
    shared = []
    for family in SHARED_ROWS:
        where = lp.row_layout.first.get(family)
        if where is None and family in lp.row_layout.second:
            where = lp.row_layout.second[family].ravel()
        if where is None:
            continue
        index = lp.row_index.get(family, [])
        by_key: dict[object, float] = {}
        for i in where[where >= 0].tolist():
            price = abs(float(duals[i]))
            if price > 1e-12:
                pos = _position_in(lp, family, i)
                key = index[pos] if pos is not None and pos < len(index) else None
                by_key[key] = by_key.get(key, 0.0) + price
        for key, price in by_key.items():
            shared.append((price, family == "budget_limit", _shared_words(data, family, key)))
    shared.sort(key=lambda x: -x[0])
    common = list(dict.fromkeys(w for _p, own, w in shared if not own))
    own = list(dict.fromkeys(w for _p, own, w in shared if own))
    if common:
        text += ("; they compete for " if len(names) > 1 else "; it is held back by ") \
            + ", ".join(common[:6])
    if own:
        text += "; binding too: " + ", ".join(own)
    if not shared and len(names) > 1:
        text += "; no market depth or budget binds: the limits ask for less loss than " \
            "the supply, stockpiles and swaps offered can give"
    kinds = {kind for _p, kind in keys}
    advice = ["raise or remove the max_risk limits"] if "max_risk" in kinds else []
    if "alone" in kinds:
        advice.append("set party_risk_limit to none")
    return text + ". " + " or ".join(advice).capitalize()


def _position_in(lp: MatrixLP, family: str, row: int) -> int | None:
    """The entry number of matrix row ``row`` within its family (any scenario)."""
    if family in lp.row_layout.first:
        hit = np.flatnonzero(lp.row_layout.first[family] == row)
        return int(hit[0]) if len(hit) else None
    hit = np.argwhere(lp.row_layout.second[family] == row)
    return int(hit[0][1]) if len(hit) else None


def _shared_words(data: ModelData, family: str, key: object) -> str:
    """A binding shared row in words."""
    if family == "market_depth":
        return (f"the market depth of {key} ({data.max_acquisition.get(str(key)) or 0:,.6g} t "
                "in all)")
    if family == "pooled_budget_limit":
        return f"the pooled budget ({_money(data.pooled_budget or 0.0, data.currency)})"
    if family == "budget_limit":
        p = str(key)
        return f"{p}'s budget ({_money(data.budget_own(p) or 0.0, data.currency_of(p))})"
    if family == "release_limit" and isinstance(key, tuple):
        return f"the release limit of {key[0]} for {key[1]}"
    return f"{family}[{key}]"
