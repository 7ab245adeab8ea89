"""Stockpiles: purchases before period 1, releases to members, stock levels over time.

Mirrors ``models/formulation.md``, section "Stockpiles". Variables ``purchase`` (a[k,m],
t), per scenario ``stock_level`` (z[k,m,t], t) and ``release`` (r[k,p,m,t], t/period);
rows ``market_depth``, per scenario ``stock_balance`` and ``release_limit``; the
purchase and holding cost of a[k,m] in each member's ``spend``.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .statement import FIRST, INF, SCENARIO, ModelStatement, Terms


def levels(st: ModelStatement) -> list[tuple[str, str, int]]:
    """Stock-level index (k, m, t): every holding in every period."""
    return [(k, m, t) for (k, m) in st.index.HOLDINGS for t in st.index.PERIODS]


def add_variables(st: ModelStatement) -> None:
    """a[k,m] ∈ [0, cap − S0]; z[k,m,t] ∈ [0, cap]; r[k,p,m,t] ≥ 0."""
    data, idx = st.data, st.index
    n = data.n_periods
    holdings = idx.HOLDINGS
    st.add_set("HOLDINGS", holdings, "(stockpile, mineral) pairs that may hold material", 2)
    cap = np.array([INF if data.holdings[h].max_stock is None else data.holdings[h].max_stock
                    for h in holdings], dtype=float)
    s0 = np.array([data.holdings[h].initial_stock for h in holdings], dtype=float)
    unit = np.array([idx.mineral_unit[m] for (_k, m) in holdings], dtype=float)
    st.add_variables("purchase", FIRST, holdings, upper=cap - s0, unit=unit,
                     set_name="HOLDINGS", doc="a[k,m]: tons bought (t)")
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
    """market_depth, stock_balance, release_limit; purchases in ``spend``."""
    data, idx = st.data, st.index
    n = data.n_periods
    purchase = st.position("purchase")

    limited = [m for m in idx.MINERALS
               if data.max_acquisition.get(m) is not None and idx.holdings_of_mineral.get(m)]
    st.add_set("MARKET_DEPTH_MINERALS", limited,
               "minerals with a market depth and at least one holding")
    rows = [i for i, m in enumerate(limited) for _k in idx.holdings_of_mineral[m]]
    cols = [purchase[(k, m)] for m in limited for k in idx.holdings_of_mineral[m]]
    st.add_rows("market_depth", FIRST, limited, [Terms("purchase", rows, cols, 1.0)],
                upper=[data.max_acquisition[m] for m in limited],
                set_name="MARKET_DEPTH_MINERALS", doc="Σ_k a[k,m] ≤ maxacq[m] (t)")

    # z[t] − z[t−1] + Σ r + Σ f − Σ ρ·f[t−L] = 0, with z[0] = S0 + a (a moves left, S0 right)
    balance = levels(st)
    here = np.arange(len(balance))
    later = here.reshape(-1, n)[:, 1:].ravel() if n > 1 else here[:0]
    first_period = here.reshape(-1, n)[:, 0] if n else here[:0]
    level = st.position("stock_level")
    draw = st.position("swap_draw")
    ret_r, ret_c, ret_v = [], [], []
    for w, t, back in idx.SWAP_RETURNS:
        spec = data.swaps[w]
        ret_r.append(level[(spec.lender, spec.return_mineral, back)])
        ret_c.append(draw[(w, t)])
        ret_v.append(-spec.return_ratio)
    held = [(spec.lender, spec.return_mineral) for spec in data.swaps.values()]
    if any(h not in purchase for h in held):  # pragma: no cover - validation refuses it
        raise ValueError("a swap returns to a stockpile that does not hold its mineral")
    s0 = np.array([data.holdings[h].initial_stock for h in idx.HOLDINGS], dtype=float)
    bound = np.zeros(len(balance))
    bound[first_period] = s0
    st.add_rows("stock_balance", SCENARIO, balance, [
        Terms("stock_level", here, here, 1.0),
        Terms("stock_level", later, later - 1, -1.0),
        Terms("purchase", first_period, np.arange(len(idx.HOLDINGS)), -1.0),
        *_outflows(st, balance),
        Terms("swap_draw", ret_r, ret_c, ret_v),
    ], lower=bound, upper=bound,
        doc="z[t] = z[t-1] - releases - swap draws + swap returns (t)")

    limited_rows = [(k, m, t) for (k, m) in idx.HOLDINGS for t in idx.PERIODS
                    if data.holdings[(k, m)].max_release is not None]
    st.add_rows("release_limit", SCENARIO, limited_rows, _outflows(st, limited_rows),
                upper=[data.holdings[(k, m)].max_release for (k, m, _t) in limited_rows],
                doc="Σ_p r + Σ_w f ≤ maxrel[k,m] (t/period)")
    st.contribute("spend", spend_terms(st))


def tonne_costs(data: ModelData, holding: tuple[str, str]) -> tuple[float, float]:
    """What one tonne bought for ``holding`` (k, m) costs (currency/t): its price[m], and
    its holding cost over the whole horizon, n·hold[k,m]. Shared by the stockpile's
    members in their cost shares."""
    return data.price[holding[1]], data.n_periods * data.holdings[holding].holding_cost


def spend_terms(st: ModelStatement) -> list[Terms]:
    """Each member's cost share of purchases: σ[k,p]·price[m]·a (``purchase_cost``) and
    σ[k,p]·n·hold[k,m]·a (``holding_cost``), rows by party."""
    data, idx = st.data, st.index
    party = st.party_position
    r, c, price, hold = [], [], [], []
    for h, (k, m) in enumerate(idx.HOLDINGS):
        unit_price, unit_holding = tonne_costs(data, (k, m))
        for p, share in data.members[k].items():
            if share != 0.0:
                r.append(party[p])
                c.append(h)
                price.append(share * unit_price)
                hold.append(share * unit_holding)
    hold_a = np.array(hold, dtype=float)
    keep = hold_a != 0.0
    return [Terms("purchase", r, c, price, label="purchase_cost"),
            Terms("purchase", np.array(r, dtype=np.int64)[keep],
                  np.array(c, dtype=np.int64)[keep], hold_a[keep], label="holding_cost")]
