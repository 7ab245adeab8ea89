"""The model built directly as arrays: the same LP as the Pyomo model, vectorized.

The Pyomo model (``stockopt.model``) is the readable reference; this builder writes the
very same rows and columns straight into sparse-matrix arrays, family by family, in
the order of ``models/formulation.md``. Its cost grows linearly with the model and it
holds no per-element Python objects, so it builds millions of nonzeros in seconds and
within a small share of the memory (see benchmarks/README.md). A test compares the two
builders' matrices entry by entry.

The second stage has the same pattern in every scenario; only a few numbers change
(availabilities A[c,m,t,s], demands D[p,m,t,s], probabilities π_s). The pattern is
built once, in scenario-local coordinates, and stamped out per scenario.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import scipy.sparse as sp

from ..data import ModelData
from ..lp import FIRST_STAGE_FAMILIES, SECOND_STAGE_FAMILIES, ColumnLayout, MatrixLP
from . import concentration, cover, mitigation
from .context import ModelContext
from .index import ModelIndex, build_index, family_index

INF = float("inf")


class _Entries:
    """COO triplets collected family by family."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []

    def add(self, rows, cols, vals) -> None:  # noqa: ANN001 - array-likes
        rows = np.asarray(rows, dtype=np.int64)
        self.rows.append(rows)
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.broadcast_to(np.asarray(vals, dtype=float), rows.shape).copy())

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        return np.concatenate(self.rows), np.concatenate(self.cols), np.concatenate(self.vals)


def mineral_units(data: ModelData) -> dict[str, float]:
    """Each mineral's tonnage unit for solver scaling: the power of two nearest its largest
    baseline demand (t/period), else its largest stock level or capacity, else 1."""
    typical: dict[str, float] = {}
    for (_p, m, _t), d in data.demand.items():
        typical[m] = max(typical.get(m, 0.0), d)
    for (_k, m), h in data.holdings.items():
        if typical.get(m, 0.0) <= 0.0:
            typical[m] = max(typical.get(m, 0.0), h.initial_stock, h.max_stock or 0.0)
    return {m: float(np.exp2(np.round(np.log2(typical[m])))) if typical.get(m, 0.0) > 0
            else 1.0 for m in data.minerals}


def family_units(data: ModelData, idx: ModelIndex, family: str) -> np.ndarray:
    """The scaling unit of each column of ``family``: its mineral's unit, or 1."""
    units = mineral_units(data)
    items = family_index(idx, family)
    mineral_of = {
        "purchase": lambda i: i[1], "stock_level": lambda i: i[1], "release": lambda i: i[2],
        "shortfall": lambda i: i[1],
        "offtake_capacity": lambda i: data.offtakes[i].mineral,
        "offtake_delivery": lambda i: data.offtakes[i[0]].mineral,
        "swap_capacity": lambda i: data.swaps[i].mineral,
        "swap_draw": lambda i: data.swaps[i[0]].mineral,
        "mitigation_capacity": lambda i: data.mitigations[i].mineral,
        "mitigation_use": lambda i: data.mitigations[i[0]].mineral,
    }.get(family)
    if mineral_of is None:
        return np.ones(len(items))
    return np.array([units[mineral_of(i)] for i in items], dtype=float)


def build_matrix_lp(data: ModelData, idx: ModelIndex | None = None) -> MatrixLP:
    """Build the extensive-form LP of ``data`` as arrays (same rows and columns as Pyomo)."""
    idx = idx or build_index(data)
    n = data.n_periods
    T = np.arange(1, n + 1)
    S = len(data.scenarios)
    lam, alpha = data.risk_weight, data.cvar_alpha

    # ---- columns ------------------------------------------------------------------
    sizes = {f: len(family_index(idx, f)) for f in FIRST_STAGE_FAMILIES + SECOND_STAGE_FAMILIES}
    first_off, pos = {}, 0
    for f in FIRST_STAGE_FAMILIES:
        first_off[f] = pos
        pos += sizes[f]
    n_first = pos
    local_off, pos = {}, 0
    for f in SECOND_STAGE_FAMILIES:
        local_off[f] = pos
        pos += sizes[f]
    block = pos
    n_cols = n_first + S * block
    layout = ColumnLayout(
        first={f: first_off[f] + np.arange(sizes[f]) for f in FIRST_STAGE_FAMILIES},
        second={f: n_first + np.arange(S)[:, None] * block + local_off[f]
                + np.arange(sizes[f])[None, :] for f in SECOND_STAGE_FAMILIES})

    h_of = {h: i for i, h in enumerate(idx.HOLDINGS)}
    rel_of = {r: i for i, r in enumerate(idx.RELEASES)}
    w_of = {w: i for i, w in enumerate(idx.SWAPS)}
    o_of = {o: i for i, o in enumerate(idx.OFFTAKES)}
    ot_of = {ot: i for i, ot in enumerate(idx.OFFTAKE_PERIODS)}
    dem_of = {d: i for i, d in enumerate(idx.DEMANDS)}

    def z_col(h: int, t: int) -> int:
        return local_off["stock_level"] + h * n + (t - 1)

    def r_col(r: int, t: int) -> int:
        return local_off["release"] + r * n + (t - 1)

    def f_col(w: int, t: int) -> int:
        return local_off["swap_draw"] + w * n + (t - 1)

    # ---- first-stage rows: market_depth ------------------------------------------------
    first_rows = _Entries()
    row_family: list[str] = []
    lo: list[float] = []
    hi: list[float] = []
    depth_minerals = [m for m in idx.MINERALS if data.max_acquisition.get(m) is not None
                      and idx.holdings_of_mineral.get(m)]
    for m in depth_minerals:
        i = len(row_family)
        cols = [first_off["purchase"] + h_of[(k, m)] for k in idx.holdings_of_mineral[m]]
        first_rows.add([i] * len(cols), cols, 1.0)
        row_family.append("market_depth")
        lo.append(-INF)
        hi.append(data.max_acquisition[m])
    # cover_floor (f): Σ_k w·a[k,m] ≥ Q_f − existing stock counted
    ctx = ModelContext(data, idx)
    for name in idx.COVER_TARGETS:
        weights, rhs = cover.floor_terms(ctx, name)
        i = len(row_family)
        first_rows.add([i] * len(weights),
                       [first_off["purchase"] + h_of[h] for h, _w in weights],
                       [w for _h, w in weights])
        row_family.append("cover_floor")
        lo.append(rhs)
        hi.append(INF)
    # concentration_limit (p, m, c, t): Σ_o (1[c_o = c] − L)·x_o ≤ L·Q − q_c
    for (p, m, c, t) in idx.CONCENTRATION_ROWS:
        coefs, rhs = concentration.row_terms(ctx, p, m, c, t)
        i = len(row_family)
        first_rows.add([i] * len(coefs),
                       [first_off["offtake_capacity"] + o_of[o] for o, _a in coefs],
                       [a for _o, a in coefs])
        row_family.append("concentration_limit")
        lo.append(-INF)
        hi.append(rhs)
    n_depth = len(row_family)

    # ---- the second-stage pattern, in local coordinates ----------------------------
    # rows: stock_balance, release_limit, offtake_availability, swap_capacity_limit,
    # party_balance, cvar_excess_def. ``loc`` entries have local columns; ``link``
    # entries have first-stage (global) columns.
    loc, link = _Entries(), _Entries()
    pat_family: list[str] = []
    pat_lo: list[float] = []
    pat_hi: list[float] = []

    # stock_balance (k, m, t): z[t] − z[t−1] + Σ r + Σ f − Σ ρ f[t−L] = 0 (t = 1: − a = S0)
    for hi_, (k, m) in enumerate(idx.HOLDINGS):
        s0 = data.holdings[(k, m)].initial_stock
        base = len(pat_family)
        rows = base + (T - 1)
        loc.add(rows, [z_col(hi_, t) for t in T], 1.0)
        if n > 1:
            loc.add(rows[1:], [z_col(hi_, t - 1) for t in T[1:]], -1.0)
        link.add([base], [first_off["purchase"] + hi_], -1.0)
        for p in idx.members_of[k]:
            ri = rel_of[(k, p, m)]
            loc.add(rows, [r_col(ri, t) for t in T], 1.0)
        for w in idx.swaps_lending.get((k, m), ()):
            loc.add(rows, [f_col(w_of[w], t) for t in T], 1.0)
        for w in idx.swaps_returning.get((k, m), ()):
            spec = data.swaps[w]
            ts = T[T - spec.return_lag >= 1]
            loc.add(base + (ts - 1), [f_col(w_of[w], t - spec.return_lag) for t in ts],
                    -spec.return_ratio)
        pat_family += ["stock_balance"] * n
        pat_lo += [s0] + [0.0] * (n - 1)
        pat_hi += [s0] + [0.0] * (n - 1)

    # release_limit (k, m, t): Σ_p r + Σ_w f ≤ maxrel
    for k, m in idx.HOLDINGS:
        limit = data.holdings[(k, m)].max_release
        if limit is None:
            continue
        rows = len(pat_family) + (T - 1)
        for p in idx.members_of[k]:
            loc.add(rows, [r_col(rel_of[(k, p, m)], t) for t in T], 1.0)
        for w in idx.swaps_lending.get((k, m), ()):
            loc.add(rows, [f_col(w_of[w], t) for t in T], 1.0)
        pat_family += ["release_limit"] * n
        pat_lo += [-INF] * n
        pat_hi += [limit] * n

    # offtake_availability (o, t): v − A·x ≤ 0; the coefficient on x varies by scenario
    avail_base = len(pat_family)
    n_ot = len(idx.OFFTAKE_PERIODS)
    if n_ot:
        loc.add(avail_base + np.arange(n_ot), local_off["offtake_delivery"] + np.arange(n_ot),
                1.0)
    avail_x_cols = np.array([first_off["offtake_capacity"] + o_of[o]
                             for (o, _t) in idx.OFFTAKE_PERIODS], dtype=np.int64)
    pat_family += ["offtake_availability"] * n_ot
    pat_lo += [-INF] * n_ot
    pat_hi += [0.0] * n_ot

    # swap_capacity_limit (w): Σ_t f − y ≤ 0
    for wi, _w in enumerate(idx.SWAPS):
        row = len(pat_family)
        loc.add([row] * n, [f_col(wi, t) for t in T], 1.0)
        link.add([row], [first_off["swap_capacity"] + wi], -1.0)
        pat_family.append("swap_capacity_limit")
        pat_lo.append(-INF)
        pat_hi.append(0.0)

    # mitigation_capacity_limit (i, t): μ[i,t] − u_i ≤ 0
    mit_of = {it: j for j, it in enumerate(idx.MITIGATION_PERIODS)}
    mi_of = {i: j for j, i in enumerate(idx.MITIGATIONS)}
    for j, (i, _t) in enumerate(idx.MITIGATION_PERIODS):
        row = len(pat_family)
        loc.add([row], [local_off["mitigation_use"] + j], 1.0)
        link.add([row], [first_off["mitigation_capacity"] + mi_of[i]], -1.0)
        pat_family.append("mitigation_capacity_limit")
        pat_lo.append(-INF)
        pat_hi.append(0.0)

    # party_balance (p, m, t): Σ v + Σ r + Σ f − Σ ρ f[t−L] + μ + e ≥ D − Σ_c q·A
    bal_base = len(pat_family)
    swaps = data.swaps
    for bi, (p, m, t) in enumerate(idx.BALANCES):
        row = bal_base + bi
        for o in idx.offtakes_to.get((p, m), ()):
            if t >= data.offtakes[o].first_period:
                loc.add([row], [local_off["offtake_delivery"] + ot_of[(o, t)]], 1.0)
        for k in idx.stockpiles_serving.get((p, m), ()):
            loc.add([row], [r_col(rel_of[(k, p, m)], t)], 1.0)
        for w in idx.swaps_received.get((p, m), ()):
            loc.add([row], [f_col(w_of[w], t)], 1.0)
        for w in idx.swaps_repaid_by.get((p, m), ()):
            if t - swaps[w].return_lag >= 1:
                loc.add([row], [f_col(w_of[w], t - swaps[w].return_lag)],
                        -swaps[w].return_ratio)
        for i in idx.mitigations_of.get((p, m), ()):
            if (i, t) in mit_of:
                loc.add([row], [local_off["mitigation_use"] + mit_of[(i, t)]], 1.0)
        if (p, m, t) in dem_of:
            loc.add([row], [local_off["shortfall"] + dem_of[(p, m, t)]], 1.0)
    n_bal = len(idx.BALANCES)
    pat_family += ["party_balance"] * n_bal
    pat_lo += [0.0] * n_bal  # replaced per scenario
    pat_hi += [INF] * n_bal

    # cvar_excess_def: Σ crit/d · e − ζ − η ≤ 0
    loss_coef = np.array([data.criticality[d] / data.demand[d] for d in idx.DEMANDS])
    cvar_row = len(pat_family)
    if len(idx.DEMANDS):
        loc.add(np.full(len(idx.DEMANDS), cvar_row), local_off["shortfall"]
                + np.arange(len(idx.DEMANDS)), loss_coef)
    loc.add([cvar_row], [local_off["cvar_excess"]], -1.0)
    link.add([cvar_row], [first_off["cvar_threshold"]], -1.0)
    pat_family.append("cvar_excess_def")
    pat_lo.append(-INF)
    pat_hi.append(0.0)
    pat_rows = len(pat_family)

    # ---- scenario data: availabilities, demands ------------------------------------
    avail_by_s: dict[str, dict[tuple[str, str, int], float]] = defaultdict(dict)
    for (c, m, t, s), a in data.availability.items():
        avail_by_s[s][(c, m, t)] = a
    mult_by_s: dict[str, dict[tuple[str, str, int], float]] = defaultdict(dict)
    for (p, m, t, s), g in data.demand_multiplier.items():
        mult_by_s[s][(p, m, t)] = g
    ot_keys = [(data.offtakes[o].source, data.offtakes[o].mineral, t)
               for (o, t) in idx.OFFTAKE_PERIODS]
    bal_d = np.array([data.demand.get(b, 0.0) for b in idx.BALANCES])
    sup_row, sup_q, sup_key = [], [], []
    for bi, (p, m, t) in enumerate(idx.BALANCES):
        for c, q in idx.supply_sources.get((p, m, t), ()):
            sup_row.append(bi)
            sup_q.append(q)
            sup_key.append((c, m, t))
    sup_row_a = np.array(sup_row, dtype=np.int64)
    sup_q_a = np.array(sup_q, dtype=float)
    sup_pos: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for j, key in enumerate(sup_key):
        sup_pos[key].append(j)
    ot_pos: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for j, key in enumerate(ot_keys):
        ot_pos[key].append(j)
    dem_d = np.array([data.demand[d] for d in idx.DEMANDS])
    bal_pos = {b: i for i, b in enumerate(idx.BALANCES)}
    dem_pos = {d: i for i, d in enumerate(idx.DEMANDS)}

    # ---- stamp out the scenarios ---------------------------------------------------
    loc_r, loc_c, loc_v = loc.arrays()
    link_r, link_c, link_v = link.arrays()
    blocks_r, blocks_c, blocks_v = [first_rows.arrays()[0]], [first_rows.arrays()[1]], \
        [first_rows.arrays()[2]]
    pat_lo_a = np.array(pat_lo, dtype=float)
    pat_hi_a = np.array(pat_hi, dtype=float)
    row_lo_parts = [np.array(lo, dtype=float)]
    row_hi_parts = [np.array(hi, dtype=float)]
    shortfall_ub = np.empty((S, len(idx.DEMANDS)))
    for si, s in enumerate(data.scenarios):
        r0 = n_depth + si * pat_rows
        c0 = n_first + si * block
        blocks_r += [loc_r + r0, link_r + r0]
        blocks_c += [loc_c + c0, link_c]
        blocks_v += [loc_v, link_v]
        # availability coefficients −A on x_o
        share = np.ones(n_ot)
        bal_a = np.ones(len(sup_q_a))
        for key, a in avail_by_s.get(s, {}).items():
            for j in ot_pos.get(key, ()):
                share[j] = a
            for j in sup_pos.get(key, ()):
                bal_a[j] = a
        if n_ot:
            blocks_r.append(avail_base + np.arange(n_ot) + r0)
            blocks_c.append(avail_x_cols)
            blocks_v.append(-share)
        # demands D = d·g and the balance right-hand sides D − Σ q·A
        g_bal = np.ones(n_bal)
        g_dem = np.ones(len(idx.DEMANDS))
        for key, g in mult_by_s.get(s, {}).items():
            if key in bal_pos:
                g_bal[bal_pos[key]] = g
            if key in dem_pos:
                g_dem[dem_pos[key]] = g
        demand_b = np.where(bal_d > 0, bal_d * g_bal, 0.0)
        supply_b = np.bincount(sup_row_a, weights=sup_q_a * bal_a, minlength=n_bal) \
            if len(sup_q_a) else np.zeros(n_bal)
        rhs = demand_b - supply_b
        rhs[np.abs(rhs) <= 1e-12 * np.maximum(demand_b, supply_b)] = 0.0
        lo_s = pat_lo_a.copy()
        lo_s[bal_base:bal_base + n_bal] = rhs
        row_lo_parts.append(lo_s)
        row_hi_parts.append(pat_hi_a)
        shortfall_ub[si] = dem_d * g_dem
    row_family += pat_family * S

    # ---- budgets -------------------------------------------------------------------
    spend_entries: dict[str, list[tuple[int, float]]] = {p: [] for p in idx.PARTIES}
    for hi_, (k, m) in enumerate(idx.HOLDINGS):
        unit = data.price[m] + n * data.holdings[(k, m)].holding_cost
        for p, share_p in data.members[k].items():
            if share_p != 0.0:
                spend_entries[p].append((first_off["purchase"] + hi_, share_p * unit))
    for o, spec in data.offtakes.items():
        if spec.fee != 0.0:
            spend_entries[spec.party].append((first_off["offtake_capacity"] + o_of[o], spec.fee))
    for w, spec in data.swaps.items():
        if spec.fee != 0.0:
            spend_entries[spec.receiver].append((first_off["swap_capacity"] + w_of[w],
                                                 spec.fee))
    for i, spec in data.mitigations.items():
        if spec.fee != 0.0:
            spend_entries[spec.party].append((first_off["mitigation_capacity"] + mi_of[i],
                                              spec.fee))
    budget_rows: dict[str, int] = {}
    tail = _Entries()
    next_row = n_depth + S * pat_rows
    tail_lo, tail_hi = [], []
    for p in idx.PARTIES:
        if data.budget.get(p) is None:
            continue
        budget_rows[p] = next_row
        entries = spend_entries[p]
        tail.add([next_row] * len(entries), [c for c, _ in entries], [v for _, v in entries])
        row_family.append("budget_limit")
        tail_lo.append(-INF)
        tail_hi.append(data.budget[p])
        next_row += 1
    pooled_row = None
    if data.pooled_budget is not None:
        pooled_row = next_row
        entries = [e for p in idx.PARTIES for e in spend_entries[p]]
        tail.add([next_row] * len(entries), [c for c, _ in entries], [v for _, v in entries])
        row_family.append("pooled_budget_limit")
        tail_lo.append(-INF)
        tail_hi.append(data.pooled_budget)
        next_row += 1
    tr, tc, tv = tail.arrays()
    blocks_r.append(tr)
    blocks_c.append(tc)
    blocks_v.append(tv)
    row_lo_parts.append(np.array(tail_lo, dtype=float))
    row_hi_parts.append(np.array(tail_hi, dtype=float))
    n_rows = next_row

    A = sp.csr_matrix((np.concatenate(blocks_v),
                       (np.concatenate(blocks_r), np.concatenate(blocks_c))),
                      shape=(n_rows, n_cols))
    A.sum_duplicates()
    A.eliminate_zeros()

    # ---- bounds --------------------------------------------------------------------
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, INF)
    for hi_, (k, m) in enumerate(idx.HOLDINGS):
        h = data.holdings[(k, m)]
        if h.max_stock is not None:
            col_upper[first_off["purchase"] + hi_] = h.max_stock - h.initial_stock
            col_upper[layout.second["stock_level"][:, hi_ * n:(hi_ + 1) * n]] = h.max_stock
    for oi, o in enumerate(idx.OFFTAKES):
        col_upper[first_off["offtake_capacity"] + oi] = data.offtakes[o].max_volume
    for wi, w in enumerate(idx.SWAPS):
        col_upper[first_off["swap_capacity"] + wi] = data.swaps[w].max_volume
    col_lower[first_off["cvar_threshold"]] = -INF
    col_upper[layout.second["shortfall"]] = shortfall_ub
    for j, i in enumerate(idx.MITIGATIONS):
        col_upper[first_off["mitigation_capacity"] + j] = mitigation.capacity_bound(ctx, i)
    for si, s_name in enumerate(data.scenarios):
        for j, (i, t) in enumerate(idx.MITIGATION_PERIODS):
            spec = data.mitigations[i]
            col_upper[layout.second["mitigation_use"][si, j]] = \
                spec.max_share * data.scenario_demand(spec.party, spec.mineral, t, s_name)

    # ---- objectives ----------------------------------------------------------------
    prob = np.array([data.probability[s] for s in data.scenarios])
    risk_cost = np.zeros(n_cols)
    risk_cost[first_off["cvar_threshold"]] = lam
    live = prob != 0.0
    risk_cost[layout.second["shortfall"][live]] = \
        (1.0 - lam) * prob[live, None] * loss_coef[None, :]
    risk_cost[layout.second["cvar_excess"][live, 0]] = lam / (1.0 - alpha) * prob[live]

    cost_cost = np.zeros(n_cols)
    for p in idx.PARTIES:
        for c, v in spend_entries[p]:
            cost_cost[c] += v
    delivery_price = np.array([data.offtakes[o].price for (o, _t) in idx.OFFTAKE_PERIODS])
    if n_ot:
        cost_cost[layout.second["offtake_delivery"][live]] += \
            prob[live, None] * delivery_price[None, :]
    owed = np.zeros(sizes["swap_draw"])
    for wi, w in enumerate(idx.SWAPS):
        spec = swaps[w]
        for t in T:
            if t + spec.return_lag > n:
                owed[wi * n + (t - 1)] = spec.return_ratio * data.price[spec.return_mineral]
    use_cost = np.array([data.mitigations[i].cost for (i, _t) in idx.MITIGATION_PERIODS])
    if use_cost.any():
        cost_cost[layout.second["mitigation_use"][live]] += prob[live, None] * use_cost[None, :]
    if owed.any():
        cost_cost[layout.second["swap_draw"][live]] += prob[live, None] * owed[None, :]

    col_unit = np.ones(n_cols)
    for f in FIRST_STAGE_FAMILIES:
        col_unit[layout.first[f]] = family_units(data, idx, f)
    for f in SECOND_STAGE_FAMILIES:
        col_unit[layout.second[f]] = family_units(data, idx, f)[None, :]

    return MatrixLP(A=A, col_lower=col_lower, col_upper=col_upper,
                    row_lower=np.concatenate(row_lo_parts),
                    row_upper=np.concatenate(row_hi_parts), risk_cost=risk_cost,
                    cost_cost=cost_cost, layout=layout, row_family=row_family,
                    budget_rows=budget_rows, pooled_row=pooled_row, col_unit=col_unit)
