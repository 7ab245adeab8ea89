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
    return _Builder(data, idx or build_index(data)).build()


class _Builder:
    """Assembles the MatrixLP family by family (the order of ``models/formulation.md``).

    First-stage rows come first, then one block of rows per scenario stamped from one
    pattern (scenario-local columns in ``loc``, first-stage columns in ``link``), then
    the budget rows. Row bounds that differ by scenario are filled in per scenario.
    """

    def __init__(self, data: ModelData, idx: ModelIndex) -> None:
        self.data, self.idx = data, idx
        self.ctx = ModelContext(data, idx)
        self.n = data.n_periods
        self.T = np.arange(1, self.n + 1)
        self.S = len(data.scenarios)
        self.sizes = {f: len(family_index(idx, f))
                      for f in FIRST_STAGE_FAMILIES + SECOND_STAGE_FAMILIES}
        self.first_off: dict[str, int] = {}
        pos = 0
        for f in FIRST_STAGE_FAMILIES:
            self.first_off[f] = pos
            pos += self.sizes[f]
        self.n_first = pos
        self.local_off: dict[str, int] = {}
        pos = 0
        for f in SECOND_STAGE_FAMILIES:
            self.local_off[f] = pos
            pos += self.sizes[f]
        self.block = pos
        self.n_cols = self.n_first + self.S * self.block
        self.layout = ColumnLayout(
            first={f: self.first_off[f] + np.arange(self.sizes[f])
                   for f in FIRST_STAGE_FAMILIES},
            second={f: self.n_first + np.arange(self.S)[:, None] * self.block
                    + self.local_off[f] + np.arange(self.sizes[f])[None, :]
                    for f in SECOND_STAGE_FAMILIES})
        self.h_of = {h: i for i, h in enumerate(idx.HOLDINGS)}
        self.rel_of = {r: i for i, r in enumerate(idx.RELEASES)}
        self.w_of = {w: i for i, w in enumerate(idx.SWAPS)}
        self.o_of = {o: i for i, o in enumerate(idx.OFFTAKES)}
        self.ot_of = {ot: i for i, ot in enumerate(idx.OFFTAKE_PERIODS)}
        self.dem_of = {d: i for i, d in enumerate(idx.DEMANDS)}
        self.mit_of = {it: j for j, it in enumerate(idx.MITIGATION_PERIODS)}
        self.mi_of = {i: j for j, i in enumerate(idx.MITIGATIONS)}
        self.loss_coef = np.array([data.criticality[d] / data.demand[d] for d in idx.DEMANDS])
        # first-stage rows
        self.first_rows = _Entries()
        self.row_family: list[str] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        # the second-stage pattern
        self.loc, self.link = _Entries(), _Entries()
        self.pat_family: list[str] = []
        self.pat_lo: list[float] = []
        self.pat_hi: list[float] = []

    # -- column positions ------------------------------------------------------------
    def first(self, family: str, j: int) -> int:
        return self.first_off[family] + j

    def z_col(self, h: int, t: int) -> int:
        return self.local_off["stock_level"] + h * self.n + (t - 1)

    def r_col(self, r: int, t: int) -> int:
        return self.local_off["release"] + r * self.n + (t - 1)

    def f_col(self, w: int, t: int) -> int:
        return self.local_off["swap_draw"] + w * self.n + (t - 1)

    def _first_row(self, family: str, cols: list[int], vals, lo: float,  # noqa: ANN001
                   hi: float) -> None:
        i = len(self.row_family)
        self.first_rows.add([i] * len(cols), cols, vals)
        self.row_family.append(family)
        self.lo.append(lo)
        self.hi.append(hi)

    def _pattern_rows(self, family: str, count: int, lo, hi) -> None:  # noqa: ANN001
        self.pat_family += [family] * count
        self.pat_lo += lo if isinstance(lo, list) else [lo] * count
        self.pat_hi += hi if isinstance(hi, list) else [hi] * count

    # -- first-stage rows ------------------------------------------------------------
    def market_depth(self) -> None:
        """Σ_k a[k,m] ≤ maxacq[m]."""
        data, idx = self.data, self.idx
        for m in idx.MINERALS:
            if data.max_acquisition.get(m) is None or not idx.holdings_of_mineral.get(m):
                continue
            cols = [self.first("purchase", self.h_of[(k, m)])
                    for k in idx.holdings_of_mineral[m]]
            self._first_row("market_depth", cols, 1.0, -INF, data.max_acquisition[m])

    def cover_floor(self) -> None:
        """Σ_k w·a[k,m] ≥ Q_f − existing stock counted."""
        for name in self.idx.COVER_TARGETS:
            weights, rhs = cover.floor_terms(self.ctx, name)
            self._first_row("cover_floor",
                            [self.first("purchase", self.h_of[h]) for h, _w in weights],
                            [w for _h, w in weights], rhs, INF)

    def concentration_limit(self) -> None:
        """Σ_o (1[c_o = c] − L)·x_o ≤ L·Q − q_c."""
        for (p, m, c, t) in self.idx.CONCENTRATION_ROWS:
            coefs, rhs = concentration.row_terms(self.ctx, p, m, c, t)
            self._first_row("concentration_limit",
                            [self.first("offtake_capacity", self.o_of[o]) for o, _a in coefs],
                            [a for _o, a in coefs], -INF, rhs)

    # -- the second-stage pattern ----------------------------------------------------
    def stock_balance(self) -> None:
        """z[t] − z[t−1] + Σ r + Σ f − Σ ρ f[t−L] = 0 (t = 1: − a = S0)."""
        data, idx, T, n = self.data, self.idx, self.T, self.n
        for h, (k, m) in enumerate(idx.HOLDINGS):
            s0 = data.holdings[(k, m)].initial_stock
            base = len(self.pat_family)
            rows = base + (T - 1)
            self.loc.add(rows, [self.z_col(h, t) for t in T], 1.0)
            if n > 1:
                self.loc.add(rows[1:], [self.z_col(h, t - 1) for t in T[1:]], -1.0)
            self.link.add([base], [self.first("purchase", h)], -1.0)
            for p in idx.members_of[k]:
                self.loc.add(rows, [self.r_col(self.rel_of[(k, p, m)], t) for t in T], 1.0)
            for w in idx.swaps_lending.get((k, m), ()):
                self.loc.add(rows, [self.f_col(self.w_of[w], t) for t in T], 1.0)
            for w in idx.swaps_returning.get((k, m), ()):
                spec = data.swaps[w]
                ts = T[T - spec.return_lag >= 1]
                self.loc.add(base + (ts - 1),
                             [self.f_col(self.w_of[w], t - spec.return_lag) for t in ts],
                             -spec.return_ratio)
            bound = [s0] + [0.0] * (n - 1)
            self._pattern_rows("stock_balance", n, bound, list(bound))

    def release_limit(self) -> None:
        """Σ_p r + Σ_w f ≤ maxrel."""
        idx, T, n = self.idx, self.T, self.n
        for k, m in idx.HOLDINGS:
            limit = self.data.holdings[(k, m)].max_release
            if limit is None:
                continue
            rows = len(self.pat_family) + (T - 1)
            for p in idx.members_of[k]:
                self.loc.add(rows, [self.r_col(self.rel_of[(k, p, m)], t) for t in T], 1.0)
            for w in idx.swaps_lending.get((k, m), ()):
                self.loc.add(rows, [self.f_col(self.w_of[w], t) for t in T], 1.0)
            self._pattern_rows("release_limit", n, -INF, limit)

    def offtake_availability(self) -> None:
        """v − A·x ≤ 0; the coefficient −A on x is stamped per scenario."""
        n_ot = len(self.idx.OFFTAKE_PERIODS)
        self.avail_base = len(self.pat_family)
        if n_ot:
            self.loc.add(self.avail_base + np.arange(n_ot),
                         self.local_off["offtake_delivery"] + np.arange(n_ot), 1.0)
        self.avail_x_cols = np.array([self.first("offtake_capacity", self.o_of[o])
                                      for (o, _t) in self.idx.OFFTAKE_PERIODS], dtype=np.int64)
        self._pattern_rows("offtake_availability", n_ot, -INF, 0.0)

    def swap_capacity_limit(self) -> None:
        """Σ_t f − y ≤ 0."""
        for wi, _w in enumerate(self.idx.SWAPS):
            row = len(self.pat_family)
            self.loc.add([row] * self.n, [self.f_col(wi, t) for t in self.T], 1.0)
            self.link.add([row], [self.first("swap_capacity", wi)], -1.0)
            self._pattern_rows("swap_capacity_limit", 1, -INF, 0.0)

    def mitigation_capacity_limit(self) -> None:
        """μ[i,t] − u_i ≤ 0."""
        for j, (i, _t) in enumerate(self.idx.MITIGATION_PERIODS):
            row = len(self.pat_family)
            self.loc.add([row], [self.local_off["mitigation_use"] + j], 1.0)
            self.link.add([row], [self.first("mitigation_capacity", self.mi_of[i])], -1.0)
            self._pattern_rows("mitigation_capacity_limit", 1, -INF, 0.0)

    def party_balance(self) -> None:
        """Σ v + Σ r + Σ f − Σ ρ f[t−L] + μ + e ≥ D − Σ_c q·A (right-hand side per scenario)."""
        data, idx, loc, off = self.data, self.idx, self.loc, self.local_off
        swaps = data.swaps
        self.bal_base = len(self.pat_family)
        for bi, (p, m, t) in enumerate(idx.BALANCES):
            row = self.bal_base + bi
            for o in idx.offtakes_to.get((p, m), ()):
                if t >= data.offtakes[o].first_period:
                    loc.add([row], [off["offtake_delivery"] + self.ot_of[(o, t)]], 1.0)
            for k in idx.stockpiles_serving.get((p, m), ()):
                loc.add([row], [self.r_col(self.rel_of[(k, p, m)], t)], 1.0)
            for w in idx.swaps_received.get((p, m), ()):
                loc.add([row], [self.f_col(self.w_of[w], t)], 1.0)
            for w in idx.swaps_repaid_by.get((p, m), ()):
                if t - swaps[w].return_lag >= 1:
                    loc.add([row], [self.f_col(self.w_of[w], t - swaps[w].return_lag)],
                            -swaps[w].return_ratio)
            for i in idx.mitigations_of.get((p, m), ()):
                if (i, t) in self.mit_of:
                    loc.add([row], [off["mitigation_use"] + self.mit_of[(i, t)]], 1.0)
            if (p, m, t) in self.dem_of:
                loc.add([row], [off["shortfall"] + self.dem_of[(p, m, t)]], 1.0)
        self._pattern_rows("party_balance", len(idx.BALANCES), 0.0, INF)

    def cvar_excess_def(self) -> None:
        """Σ crit/d · e − ζ − η ≤ 0."""
        n_dem = len(self.idx.DEMANDS)
        row = len(self.pat_family)
        if n_dem:
            self.loc.add(np.full(n_dem, row), self.local_off["shortfall"] + np.arange(n_dem),
                         self.loss_coef)
        self.loc.add([row], [self.local_off["cvar_excess"]], -1.0)
        self.link.add([row], [self.first("cvar_threshold", 0)], -1.0)
        self._pattern_rows("cvar_excess_def", 1, -INF, 0.0)

    # -- scenarios, budgets, bounds, objectives ----------------------------------------
    def stamp_scenarios(self) -> tuple[list, list, list, list, list, np.ndarray]:
        """Every scenario's block of rows: the pattern plus −A on x and D − Σ q·A."""
        data, idx = self.data, self.idx
        n_ot, n_bal = len(idx.OFFTAKE_PERIODS), len(idx.BALANCES)
        avail_by_s: dict[str, dict[tuple[str, str, int], float]] = defaultdict(dict)
        for (c, m, t, s), a in data.availability.items():
            avail_by_s[s][(c, m, t)] = a
        mult_by_s: dict[str, dict[tuple[str, str, int], float]] = defaultdict(dict)
        for (p, m, t, s), g in data.demand_multiplier.items():
            mult_by_s[s][(p, m, t)] = g
        ot_pos: dict[tuple[str, str, int], list[int]] = defaultdict(list)
        for j, (o, t) in enumerate(idx.OFFTAKE_PERIODS):
            ot_pos[(data.offtakes[o].source, data.offtakes[o].mineral, t)].append(j)
        bal_d = np.array([data.demand.get(b, 0.0) for b in idx.BALANCES])
        sup_row, sup_q = [], []
        sup_pos: dict[tuple[str, str, int], list[int]] = defaultdict(list)
        for bi, (p, m, t) in enumerate(idx.BALANCES):
            for c, q in idx.supply_sources.get((p, m, t), ()):
                sup_pos[(c, m, t)].append(len(sup_q))
                sup_row.append(bi)
                sup_q.append(q)
        sup_row_a = np.array(sup_row, dtype=np.int64)
        sup_q_a = np.array(sup_q, dtype=float)
        dem_d = np.array([data.demand[d] for d in idx.DEMANDS])
        bal_pos = {b: i for i, b in enumerate(idx.BALANCES)}

        pat_rows = len(self.pat_family)
        n_fixed = len(self.row_family)
        loc_r, loc_c, loc_v = self.loc.arrays()
        link_r, link_c, link_v = self.link.arrays()
        rows, cols, vals, lows, highs = [], [], [], [], []
        pat_lo = np.array(self.pat_lo, dtype=float)
        pat_hi = np.array(self.pat_hi, dtype=float)
        shortfall_ub = np.empty((self.S, len(idx.DEMANDS)))
        for si, s in enumerate(data.scenarios):
            r0 = n_fixed + si * pat_rows
            c0 = self.n_first + si * self.block
            rows += [loc_r + r0, link_r + r0]
            cols += [loc_c + c0, link_c]
            vals += [loc_v, link_v]
            share = np.ones(n_ot)
            bal_a = np.ones(len(sup_q_a))
            for key, a in avail_by_s.get(s, {}).items():
                for j in ot_pos.get(key, ()):
                    share[j] = a
                for j in sup_pos.get(key, ()):
                    bal_a[j] = a
            if n_ot:
                rows.append(self.avail_base + np.arange(n_ot) + r0)
                cols.append(self.avail_x_cols)
                vals.append(-share)
            g_bal = np.ones(n_bal)
            g_dem = np.ones(len(idx.DEMANDS))
            for key, g in mult_by_s.get(s, {}).items():
                if key in bal_pos:
                    g_bal[bal_pos[key]] = g
                if key in self.dem_of:
                    g_dem[self.dem_of[key]] = g
            demand_b = np.where(bal_d > 0, bal_d * g_bal, 0.0)
            supply_b = np.bincount(sup_row_a, weights=sup_q_a * bal_a, minlength=n_bal) \
                if len(sup_q_a) else np.zeros(n_bal)
            rhs = demand_b - supply_b
            rhs[np.abs(rhs) <= 1e-12 * np.maximum(demand_b, supply_b)] = 0.0
            lo_s = pat_lo.copy()
            lo_s[self.bal_base:self.bal_base + n_bal] = rhs
            lows.append(lo_s)
            highs.append(pat_hi)
            shortfall_ub[si] = dem_d * g_dem
        self.row_family += self.pat_family * self.S
        return rows, cols, vals, lows, highs, shortfall_ub

    def spend_entries(self) -> dict[str, list[tuple[int, float]]]:
        """F_p as (column, coefficient) pairs per party."""
        data, idx = self.data, self.idx
        entries: dict[str, list[tuple[int, float]]] = {p: [] for p in idx.PARTIES}
        for h, (k, m) in enumerate(idx.HOLDINGS):
            unit = data.price[m] + self.n * data.holdings[(k, m)].holding_cost
            for p, share in data.members[k].items():
                if share != 0.0:
                    entries[p].append((self.first("purchase", h), share * unit))
        for o, spec in data.offtakes.items():
            if spec.fee != 0.0:
                entries[spec.party].append((self.first("offtake_capacity", self.o_of[o]),
                                            spec.fee))
        for w, spec in data.swaps.items():
            if spec.fee != 0.0:
                entries[spec.receiver].append((self.first("swap_capacity", self.w_of[w]),
                                               spec.fee))
        for i, spec in data.mitigations.items():
            if spec.fee != 0.0:
                entries[spec.party].append((self.first("mitigation_capacity", self.mi_of[i]),
                                            spec.fee))
        return entries

    def budgets(self, spend: dict[str, list[tuple[int, float]]]
                ) -> tuple[_Entries, list[float], list[float], dict[str, int], int | None]:
        """budget_limit rows (F_p ≤ B_p) and the pooled_budget_limit row."""
        data, idx = self.data, self.idx
        tail, lows, highs, budget_rows = _Entries(), [], [], {}
        pooled_row = None
        next_row = len(self.row_family)

        def add(family: str, entries: list[tuple[int, float]], limit: float) -> int:
            nonlocal next_row
            tail.add([next_row] * len(entries), [c for c, _ in entries], [v for _, v in entries])
            self.row_family.append(family)
            lows.append(-INF)
            highs.append(limit)
            next_row += 1
            return next_row - 1

        for p in idx.PARTIES:
            if data.budget.get(p) is not None:
                budget_rows[p] = add("budget_limit", spend[p], data.budget[p])
        if data.pooled_budget is not None:
            pooled_row = add("pooled_budget_limit",
                             [e for p in idx.PARTIES for e in spend[p]], data.pooled_budget)
        return tail, lows, highs, budget_rows, pooled_row

    def bounds(self, shortfall_ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds: capacities, option sizes, D for shortfalls and mitigation use."""
        data, idx, n, layout = self.data, self.idx, self.n, self.layout
        lower = np.zeros(self.n_cols)
        upper = np.full(self.n_cols, INF)
        for h, (k, m) in enumerate(idx.HOLDINGS):
            spec = data.holdings[(k, m)]
            if spec.max_stock is not None:
                upper[self.first("purchase", h)] = spec.max_stock - spec.initial_stock
                upper[layout.second["stock_level"][:, h * n:(h + 1) * n]] = spec.max_stock
        for oi, o in enumerate(idx.OFFTAKES):
            upper[self.first("offtake_capacity", oi)] = data.offtakes[o].max_volume
        for wi, w in enumerate(idx.SWAPS):
            upper[self.first("swap_capacity", wi)] = data.swaps[w].max_volume
        lower[self.first("cvar_threshold", 0)] = -INF
        upper[layout.second["shortfall"]] = shortfall_ub
        for j, i in enumerate(idx.MITIGATIONS):
            upper[self.first("mitigation_capacity", j)] = mitigation.capacity_bound(self.ctx, i)
        for si, s in enumerate(data.scenarios):
            for j, (i, t) in enumerate(idx.MITIGATION_PERIODS):
                spec = data.mitigations[i]
                upper[layout.second["mitigation_use"][si, j]] = \
                    spec.max_share * data.scenario_demand(spec.party, spec.mineral, t, s)
        return lower, upper

    def objectives(self, spend: dict[str, list[tuple[int, float]]]
                   ) -> tuple[np.ndarray, np.ndarray]:
        """The risk objective R and the cost objective Cost."""
        data, idx, layout, n = self.data, self.idx, self.layout, self.n
        lam, alpha = data.risk_weight, data.cvar_alpha
        prob = np.array([data.probability[s] for s in data.scenarios])
        live = prob != 0.0
        risk = np.zeros(self.n_cols)
        risk[self.first("cvar_threshold", 0)] = lam
        risk[layout.second["shortfall"][live]] = \
            (1.0 - lam) * prob[live, None] * self.loss_coef[None, :]
        risk[layout.second["cvar_excess"][live, 0]] = lam / (1.0 - alpha) * prob[live]

        cost = np.zeros(self.n_cols)
        for p in idx.PARTIES:
            for c, v in spend[p]:
                cost[c] += v
        delivery_price = np.array([data.offtakes[o].price for (o, _t) in idx.OFFTAKE_PERIODS])
        if len(delivery_price):
            cost[layout.second["offtake_delivery"][live]] += \
                prob[live, None] * delivery_price[None, :]
        owed = np.zeros(self.sizes["swap_draw"])
        for wi, w in enumerate(idx.SWAPS):
            spec = data.swaps[w]
            for t in self.T:
                if t + spec.return_lag > n:
                    owed[wi * n + (t - 1)] = spec.return_ratio * data.price[spec.return_mineral]
        use_cost = np.array([data.mitigations[i].cost for (i, _t) in idx.MITIGATION_PERIODS])
        if use_cost.any():
            cost[layout.second["mitigation_use"][live]] += prob[live, None] * use_cost[None, :]
        if owed.any():
            cost[layout.second["swap_draw"][live]] += prob[live, None] * owed[None, :]
        return risk, cost

    def build(self) -> MatrixLP:
        """All families in the order of the Pyomo model; then assemble the matrix."""
        self.market_depth()
        self.cover_floor()
        self.concentration_limit()
        self.stock_balance()
        self.release_limit()
        self.offtake_availability()
        self.swap_capacity_limit()
        self.mitigation_capacity_limit()
        self.party_balance()
        self.cvar_excess_def()
        fixed_lo, fixed_hi = list(self.lo), list(self.hi)
        rows, cols, vals, lows, highs, shortfall_ub = self.stamp_scenarios()
        spend = self.spend_entries()
        tail, tail_lo, tail_hi, budget_rows, pooled_row = self.budgets(spend)
        first_r, first_c, first_v = self.first_rows.arrays()
        tail_r, tail_c, tail_v = tail.arrays()
        n_rows = len(self.row_family)
        A = sp.csr_matrix((np.concatenate([first_v, *vals, tail_v]),
                           (np.concatenate([first_r, *rows, tail_r]),
                            np.concatenate([first_c, *cols, tail_c]))),
                          shape=(n_rows, self.n_cols))
        A.sum_duplicates()
        A.eliminate_zeros()
        lower, upper = self.bounds(shortfall_ub)
        risk, cost = self.objectives(spend)
        col_unit = np.ones(self.n_cols)
        for f in FIRST_STAGE_FAMILIES:
            col_unit[self.layout.first[f]] = family_units(self.data, self.idx, f)
        for f in SECOND_STAGE_FAMILIES:
            col_unit[self.layout.second[f]] = family_units(self.data, self.idx, f)[None, :]
        return MatrixLP(A=A, col_lower=lower, col_upper=upper,
                        row_lower=np.concatenate([np.array(fixed_lo, dtype=float), *lows,
                                                  np.array(tail_lo, dtype=float)]),
                        row_upper=np.concatenate([np.array(fixed_hi, dtype=float), *highs,
                                                  np.array(tail_hi, dtype=float)]),
                        risk_cost=risk, cost_cost=cost, layout=self.layout,
                        row_family=self.row_family, budget_rows=budget_rows,
                        pooled_row=pooled_row, col_unit=col_unit)
