"""Party balance: what reaches each party, against its demand; the shortfall.

Mirrors ``models/formulation.md``, section "Party balance". Variables per scenario
``shortfall`` (e[p,m,t] ∈ [0, D[p,m,t,s]], t/period); rows per scenario
``party_balance``:

    Σ_o v + Σ_k r + Σ_w f − Σ_w ρ·f[t−L] + Σ_i μ + e ≥ D − Σ_c q·A

The supply term Σ_c q[p,m,c,t]·A[c,m,t,s] is data, so it is on the right-hand side.
Rows exist for every (p, m, t) with demand and wherever a swap return is owed; a row
with no demand, no return and only non-negative inflows could never bind and is left out.
"""

from __future__ import annotations

import numpy as np

from .index import availability_matrix, demand_matrix
from .statement import INF, SCENARIO, ModelStatement, Terms

ROUND_OFF = 1e-12
"""A right-hand side within ROUND_OFF·max(D, supply) of 0 is 0: supply shares that sum to
demand leave round-off, which would otherwise force a shortfall of 1e-13 t."""


def add_variables(st: ModelStatement) -> None:
    """e[p,m,t] ∈ [0, D[p,m,t,s]] where baseline demand is positive."""
    idx = st.index
    st.add_variables("shortfall", SCENARIO, idx.DEMANDS, upper=demand_matrix(st.data, idx.DEMANDS)
                     if idx.DEMANDS else np.zeros((st.n_scenarios, 0)),
                     unit=[idx.mineral_unit[m] for (_p, m, _t) in idx.DEMANDS],
                     doc="e[p,m,t]: demand not met (t/period)")


def supply_arriving(st: ModelStatement, rows: list[tuple[str, str, int]]) -> np.ndarray:
    """Σ_c q[p,m,c,t]·A[c,m,t,s] for each row (p, m, t): baseline supply that gets
    through, shape (scenarios, len(rows)), t/period."""
    data, idx = st.data, st.index
    row_of, keys, q = [], [], []
    for i, (p, m, t) in enumerate(rows):
        for c, amount in idx.supply_sources.get((p, m, t), ()):
            row_of.append(i)
            keys.append((c, m, t))
            q.append(amount)
    out = np.zeros((st.n_scenarios, len(rows)))
    if keys:
        arriving = availability_matrix(data, keys) * np.array(q)[None, :]
        np.add.at(out, (slice(None), np.array(row_of)), arriving)
    return out


def add_rows(st: ModelStatement) -> None:
    """party_balance rows of every scenario."""
    data, idx = st.data, st.index
    rows = idx.BALANCES
    delivery, release = st.position("offtake_delivery"), st.position("release")
    draw, use = st.position("swap_draw"), st.position("mitigation_use")
    short = st.position("shortfall")
    terms: dict[str, tuple[list, list]] = {f: ([], []) for f in (
        "offtake_delivery", "release", "swap_draw", "mitigation_use", "shortfall")}

    def put(family: str, i: int, j: int) -> None:
        terms[family][0].append(i)
        terms[family][1].append(j)

    for i, (p, m, t) in enumerate(rows):
        for o in idx.offtakes_to.get((p, m), ()):
            if (o, t) in delivery:
                put("offtake_delivery", i, delivery[(o, t)])
        for k in idx.stockpiles_serving.get((p, m), ()):
            put("release", i, release[(k, p, m, t)])
        for w in idx.swaps_received.get((p, m), ()):
            put("swap_draw", i, draw[(w, t)])
        for i_m in idx.mitigations_of.get((p, m), ()):
            if (i_m, t) in use:
                put("mitigation_use", i, use[(i_m, t)])
        if (p, m, t) in short:
            put("shortfall", i, short[(p, m, t)])
    row_pos = {key: i for i, key in enumerate(rows)}
    ret_r, ret_c, ret_v = [], [], []
    for w, t, back in idx.SWAP_RETURNS:
        spec = data.swaps[w]
        ret_r.append(row_pos[(spec.receiver, spec.return_mineral, back)])
        ret_c.append(draw[(w, t)])
        ret_v.append(-spec.return_ratio)

    demand = demand_matrix(data, rows)
    supply = supply_arriving(st, rows)
    rhs = demand - supply
    rhs[np.abs(rhs) <= ROUND_OFF * np.maximum(demand, supply)] = 0.0
    st.add_rows("party_balance", SCENARIO, rows, [
        *(Terms(f, r, c, 1.0) for f, (r, c) in terms.items() if f != "shortfall"),
        Terms("swap_draw", ret_r, ret_c, ret_v),
        Terms("shortfall", *terms["shortfall"], 1.0),
    ], lower=rhs if rows else np.zeros((st.n_scenarios, 0)), upper=INF,
        doc="supply + deliveries + releases + draws - returns + shortfall ≥ demand (t/period)")
