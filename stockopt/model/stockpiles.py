"""Stockpiles: orders over time, releases to members, stock levels over time.

Mirrors ``models/formulation.md``, section "Stockpiles". Variables ``purchase`` (a[k,m,t],
t ordered at the start of period t; under ``purchase_timing = start`` period 1 only, as
v1), per scenario ``stock_level`` (z[k,m,t], t) and ``release`` (r[k,p,m,t], t/period);
rows ``market_depth``, ``period_market_depth`` (Minerals ``max_acquisition_per_period``),
``order_capacity`` (S0 + all arrivals ≤ cap, where a holding has several order periods),
per scenario ``stock_balance`` and ``release_limit``; the purchase and holding cost of
every order in each member's ``spend``. An order of period t arrives at the start of
period t + ℓ_m (``ModelData.lead``) and can be released then (FORMULATION-v2 section 6).
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .statement import FIRST, INF, SCENARIO, ModelStatement, Terms


def levels(st: ModelStatement) -> list[tuple[str, str, int]]:
    """Stock-level index (k, m, t): every holding in every period."""
    return [(k, m, t) for (k, m) in st.index.HOLDINGS for t in st.index.PERIODS]


def arrival(data: ModelData, mineral: str, t: int) -> int:
    """The period an order of ``mineral`` placed at the start of period ``t`` arrives in:
    t + ℓ_m."""
    return t + data.lead(mineral)


def arrived_by(st: ModelStatement, holding: tuple[str, str], t: int) -> list[int]:
    """Entries of ``purchase`` for the orders of ``holding`` (k, m) that have arrived by
    period ``t`` (t' + ℓ_m ≤ t): Σ_{t'≤t} arr[k,m,t'] is the sum of those entries."""
    k, m = holding
    position = st.position("purchase")
    return [position[(k, m, tau)] for tau in st.index.orders_of.get(holding, ())
            if arrival(st.data, m, tau) <= t]


def add_variables(st: ModelStatement) -> None:
    """a[k,m,t] ∈ [0, cap − S0]; z[k,m,t] ∈ [0, cap]; r[k,p,m,t] ≥ 0."""
    data, idx = st.data, st.index
    n = data.n_periods
    holdings = idx.HOLDINGS
    st.add_set("HOLDINGS", holdings, "(stockpile, mineral) pairs that may hold material", 2)
    st.add_set("ORDERS", idx.ORDERS, "(stockpile, mineral, period) an order may be placed in",
               3)
    cap_of = {h: INF if data.holdings[h].max_stock is None else data.holdings[h].max_stock
              for h in holdings}
    room = np.array([cap_of[(k, m)] - data.holdings[(k, m)].initial_stock
                     for (k, m, _t) in idx.ORDERS], dtype=float)
    st.add_variables("purchase", FIRST, idx.ORDERS, upper=room,
                     unit=[idx.mineral_unit[m] for (_k, m, _t) in idx.ORDERS],
                     set_name="ORDERS", doc="a[k,m,t]: tons ordered at the start of period t (t)")
    cap = np.array([cap_of[h] for h in holdings], dtype=float)
    unit = np.array([idx.mineral_unit[m] for (_k, m) in holdings], dtype=float)
    st.add_variables("stock_level", SCENARIO, levels(st), upper=np.repeat(cap, n),
                     unit=np.repeat(unit, n), doc="z[k,m,t]: end-of-period stock (t)")
    releases = [(k, p, m, t) for (k, p, m) in idx.RELEASES for t in idx.PERIODS]
    st.add_variables("release", SCENARIO, releases,
                     unit=[idx.mineral_unit[m] for (_k, _p, m, _t) in releases],
                     doc="r[k,p,m,t]: release to member (t/period)")


def _outflows(st: ModelStatement, rows: list[tuple[str, str, int]]) -> list[Terms]:
    """+1 on every release and every swap draw out of stockpile k's mineral m in period t,
    for each row (k, m, t)."""
    idx = st.index
    rel_r, rel_c, draw_r, draw_c = [], [], [], []
    rel = st.position("release")
    draw = st.position("swap_draw")
    for i, (k, m, t) in enumerate(rows):
        for p in idx.members_of[k]:
            rel_r.append(i)
            rel_c.append(rel[(k, p, m, t)])
        for w in idx.swaps_lending.get((k, m), ()):
            draw_r.append(i)
            draw_c.append(draw[(w, t)])
    return [Terms("release", rel_r, rel_c, 1.0), Terms("swap_draw", draw_r, draw_c, 1.0)]


def add_rows(st: ModelStatement) -> None:
    """market_depth, period_market_depth, order_capacity, stock_balance, release_limit;
    orders in ``spend``."""
    data, idx = st.data, st.index
    n = data.n_periods
    purchase = st.position("purchase")
    orders_of_mineral: dict[str, list[int]] = {}
    for j, (_k, m, _t) in enumerate(idx.ORDERS):
        orders_of_mineral.setdefault(m, []).append(j)

    limited = [m for m in idx.MINERALS
               if data.max_acquisition.get(m) is not None and orders_of_mineral.get(m)]
    st.add_set("MARKET_DEPTH_MINERALS", limited,
               "minerals with a market depth and at least one order period")
    rows = [i for i, m in enumerate(limited) for _j in orders_of_mineral[m]]
    cols = [j for m in limited for j in orders_of_mineral[m]]
    st.add_rows("market_depth", FIRST, limited, [Terms("purchase", rows, cols, 1.0)],
                upper=[data.max_acquisition[m] for m in limited],
                set_name="MARKET_DEPTH_MINERALS", doc="Σ_{k,t} a[k,m,t] ≤ maxacq[m] (t)")

    per_period = sorted({(m, t) for (_k, m, t) in idx.ORDERS
                         if data.max_acquisition_per_period.get(m) is not None},
                        key=lambda mt: (idx.MINERALS.index(mt[0]), mt[1]))
    where = {key: i for i, key in enumerate(per_period)}
    hits = [(where[(m, t)], j) for j, (_k, m, t) in enumerate(idx.ORDERS) if (m, t) in where]
    st.add_rows("period_market_depth", FIRST, per_period,
                [Terms("purchase", [i for i, _j in hits], [j for _i, j in hits], 1.0)],
                upper=[data.max_acquisition_per_period[m] for (m, _t) in per_period],
                doc="Σ_k a[k,m,t] ≤ maxacq_t[m] (t per period)")

    # S0 + Σ_{t'≤t} arr ≤ cap for every t: the planned level only grows, so the last
    # period's row is the one that binds; with one order period the column bound says it
    several = [h for h in idx.HOLDINGS if len(idx.orders_of.get(h, ())) > 1
               and data.holdings[h].max_stock is not None]
    rows = [i for i, h in enumerate(several) for _t in idx.orders_of[h]]
    cols = [purchase[(k, m, t)] for (k, m) in several for t in idx.orders_of[(k, m)]]
    st.add_rows("order_capacity", FIRST, several, [Terms("purchase", rows, cols, 1.0)],
                upper=[data.holdings[h].max_stock - data.holdings[h].initial_stock
                       for h in several],
                doc="S0[k,m] + Σ_t arr[k,m,t] ≤ cap[k,m] (t)")

    # z[t] − z[t−1] − arr[t] + Σ r + Σ f − Σ ρ·f[t−L] = 0, z[0] = S0 (S0 moves right)
    balance = levels(st)
    here = np.arange(len(balance))
    later = here.reshape(-1, n)[:, 1:].ravel() if n > 1 else here[:0]
    first_period = here.reshape(-1, n)[:, 0] if n else here[:0]
    level = st.position("stock_level")
    arrive_r = [level[(k, m, arrival(data, m, t))] for (k, m, t) in idx.ORDERS]
    draw = st.position("swap_draw")
    ret_r, ret_c, ret_v = [], [], []
    for w, t, back in idx.SWAP_RETURNS:
        spec = data.swaps[w]
        ret_r.append(level[(spec.lender, spec.return_mineral, back)])
        ret_c.append(draw[(w, t)])
        ret_v.append(-spec.return_ratio)
    held = [(spec.lender, spec.return_mineral) for spec in data.swaps.values()]
    if any(h not in data.holdings for h in held):  # pragma: no cover - validation refuses it
        raise ValueError("a swap returns to a stockpile that does not hold its mineral")
    s0 = np.array([data.holdings[h].initial_stock for h in idx.HOLDINGS], dtype=float)
    bound = np.zeros(len(balance))
    bound[first_period] = s0
    st.add_rows("stock_balance", SCENARIO, balance, [
        Terms("stock_level", here, here, 1.0),
        Terms("stock_level", later, later - 1, -1.0),
        Terms("purchase", arrive_r, np.arange(len(idx.ORDERS)), -1.0),
        *_outflows(st, balance),
        Terms("swap_draw", ret_r, ret_c, ret_v),
    ], lower=bound, upper=bound,
        doc="z[t] = z[t-1] + arrivals - releases - swap draws + swap returns (t)")

    limited_rows = [(k, m, t) for (k, m) in idx.HOLDINGS for t in idx.PERIODS
                    if data.holdings[(k, m)].max_release is not None]
    st.add_rows("release_limit", SCENARIO, limited_rows, _outflows(st, limited_rows),
                upper=[data.holdings[(k, m)].max_release for (k, m, _t) in limited_rows],
                doc="Σ_p r + Σ_w f ≤ maxrel[k,m] (t/period)")
    st.contribute("spend", spend_terms(st))


def tonne_costs(data: ModelData, order: tuple[str, str, int]) -> tuple[float, float]:
    """What one tonne ordered for (k, m) in period t costs (currency/t): its price[m,t]
    (``ModelData.order_price``), and its holding cost from arrival to the end of the
    horizon, (n − t − ℓ_m + 1)·hold[k,m]; with t = 1 and ℓ = 0, v1's n·hold. Shared by the
    stockpile's members in their cost shares."""
    k, m, t = order
    periods_held = data.n_periods - t - data.lead(m) + 1
    return data.order_price(m, t), periods_held * data.holdings[(k, m)].holding_cost


def spend_terms(st: ModelStatement) -> list[Terms]:
    """Each member's cost share of orders: σ[k,p]·price[m,t]·a (``purchase_cost``) and
    σ[k,p]·(n − t − ℓ + 1)·hold[k,m]·a (``holding_cost``), rows by party."""
    data, idx = st.data, st.index
    party = st.party_position
    r, c, price, hold = [], [], [], []
    for j, order in enumerate(idx.ORDERS):
        unit_price, unit_holding = tonne_costs(data, order)
        for p, share in data.members[order[0]].items():
            if share != 0.0:
                r.append(party[p])
                c.append(j)
                price.append(share * unit_price)
                hold.append(share * unit_holding)
    hold_a = np.array(hold, dtype=float)
    keep = hold_a != 0.0
    return [Terms("purchase", r, c, price, label="purchase_cost"),
            Terms("purchase", np.array(r, dtype=np.int64)[keep],
                  np.array(c, dtype=np.int64)[keep], hold_a[keep], label="holding_cost")]


def period_spend_terms(st: ModelStatement, keys: list[tuple[str, int]]) -> list[Terms]:
    """The orders' part of F_{p,t} for each (party, period) in ``keys`` (FORMULATION-v2
    section 6): σ[k,p]·price[m,t]·a[k,m,t] for the orders placed in t (``purchase_cost``)
    and σ[k,p]·hold[k,m]·a[k,m,t'] for every order arrived by t, t' + ℓ_m ≤ t
    (``holding_cost``), so Σ_t F_{p,t} = F_p."""
    data, idx = st.data, st.index
    row_of = {key: i for i, key in enumerate(keys)}
    r_p, c_p, v_p, r_h, c_h, v_h = [], [], [], [], [], []
    for j, (k, m, tau) in enumerate(idx.ORDERS):
        hold = data.holdings[(k, m)].holding_cost
        for p, share in data.members[k].items():
            if share == 0.0:
                continue
            if (p, tau) in row_of:
                r_p.append(row_of[(p, tau)])
                c_p.append(j)
                v_p.append(share * data.order_price(m, tau))
            if hold != 0.0:
                for t in range(arrival(data, m, tau), data.n_periods + 1):
                    if (p, t) in row_of:
                        r_h.append(row_of[(p, t)])
                        c_h.append(j)
                        v_h.append(share * hold)
    return [Terms("purchase", r_p, c_p, v_p, label="purchase_cost"),
            Terms("purchase", r_h, c_h, v_h, label="holding_cost")]
