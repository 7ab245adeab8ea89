"""Sparse index sets, decided once from the model data.

Every constraint family reads its index tuples and lookup maps from here; no rule
scans a list. Periods are numbers 1..n. All lists are built in a deterministic order
(data order, then period), so the same input gives the same model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..data import ModelData


@dataclass
class ModelIndex:
    """Index tuples and lookup maps shared by all constraint families.

    Names follow the Pyomo sets: ``HOLDINGS`` (k, m), ``ORDERS`` (k, m, t) the periods an
    order may be placed in (FORMULATION-v2 section 6), ``RELEASES`` (k, p, m),
    ``OFFTAKE_PERIODS`` (o, t), ``SWAP_PERIODS`` (w, t), ``DEMANDS`` (p, m, t) with
    baseline demand > 0, ``BALANCES`` (p, m, t) party-balance rows that can bind.
    """

    PERIODS: list[int]
    HOLDINGS: list[tuple[str, str]]
    ORDERS: list[tuple[str, str, int]]
    RELEASES: list[tuple[str, str, str]]
    OFFTAKES: list[str]
    OFFTAKE_PERIODS: list[tuple[str, int]]
    SWAPS: list[str]
    SWAP_PERIODS: list[tuple[str, int]]
    DEMANDS: list[tuple[str, str, int]]
    BALANCES: list[tuple[str, str, int]]
    PARTIES: list[str]
    MINERALS: list[str]
    # lookup maps
    orders_of: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(k, m) -> the periods an order of it may be placed in (``ModelData.order_periods``)."""
    members_of: dict[str, list[str]] = field(default_factory=dict)
    stockpiles_serving: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    offtakes_to: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    swaps_lending: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    swaps_returning: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    swaps_received: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    swaps_repaid_by: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    holdings_of_mineral: dict[str, list[str]] = field(default_factory=dict)
    supply_sources: dict[tuple[str, str, int], list[tuple[str, float]]] = field(
        default_factory=dict)
    # policy levers (empty without the optional sheets)
    COVER_TARGETS: list[str] = field(default_factory=list)
    CONCENTRATION_ROWS: list[tuple[str, str, str, int]] = field(default_factory=list)
    concentration_share: dict[tuple[str, str], float] = field(default_factory=dict)
    concentration_fixed: list[tuple[str, str, str, int]] = field(default_factory=list)
    MITIGATIONS: list[str] = field(default_factory=list)
    MITIGATION_PERIODS: list[tuple[str, int]] = field(default_factory=list)
    mitigations_of: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # swap returns, derived once from each swap's return lag
    SWAP_RETURNS: list[tuple[str, int, int]] = field(default_factory=list)
    SWAP_OWED: list[tuple[str, int]] = field(default_factory=list)
    mineral_unit: dict[str, float] = field(default_factory=dict)


def build_index(data: ModelData) -> ModelIndex:
    """Decide every sparse index set of the model from ``data`` (once)."""
    n = data.n_periods
    periods = list(range(1, n + 1))
    holdings = list(data.holdings)
    orders_of = {(k, m): data.order_periods(m) for (k, m) in holdings}
    orders = [(k, m, t) for (k, m) in holdings for t in orders_of[(k, m)]]
    releases = [(k, p, m) for (k, m) in holdings for p in data.members[k]]
    offtakes = list(data.offtakes)
    offtake_periods = [(o, t) for o in offtakes for t in periods
                       if t >= data.offtakes[o].first_period]
    swaps = list(data.swaps)
    swap_periods = [(w, t) for w in swaps for t in periods]
    demands = [(p, m, t) for p in data.parties for m in data.minerals for t in periods
               if data.demand.get((p, m, t), 0.0) > 0.0]

    members_of = {k: list(data.members[k]) for k in data.stockpiles}
    stockpiles_serving: dict[tuple[str, str], list[str]] = defaultdict(list)
    holdings_of_mineral: dict[str, list[str]] = defaultdict(list)
    for k, m in holdings:
        holdings_of_mineral[m].append(k)
        for p in data.members[k]:
            stockpiles_serving[(p, m)].append(k)
    offtakes_to: dict[tuple[str, str], list[str]] = defaultdict(list)
    for o, spec in data.offtakes.items():
        offtakes_to[(spec.party, spec.mineral)].append(o)
    swaps_lending: dict[tuple[str, str], list[str]] = defaultdict(list)
    swaps_returning: dict[tuple[str, str], list[str]] = defaultdict(list)
    swaps_received: dict[tuple[str, str], list[str]] = defaultdict(list)
    swaps_repaid_by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for w, spec in data.swaps.items():
        swaps_lending[(spec.lender, spec.mineral)].append(w)
        swaps_returning[(spec.lender, spec.return_mineral)].append(w)
        swaps_received[(spec.receiver, spec.mineral)].append(w)
        swaps_repaid_by[(spec.receiver, spec.return_mineral)].append(w)
    supply_sources: dict[tuple[str, str, int], list[tuple[str, float]]] = defaultdict(list)
    for (p, m, c, t), q in data.supply.items():
        supply_sources[(p, m, t)].append((c, q))

    returns, owed = swap_returns(data, periods)
    # Party-balance rows: every (p, m, t) with demand, and every (p, m, t) where a swap
    # return is owed (a return must be covered by real inflows even without demand).
    balances = set(demands)
    for w, _t, back in returns:
        spec = data.swaps[w]
        balances.add((spec.receiver, spec.return_mineral, back))
    order = {pm: i for i, pm in enumerate((p, m) for p in data.parties for m in data.minerals)}
    balance_list = sorted(balances, key=lambda pmt: (order[(pmt[0], pmt[1])], pmt[2]))

    levers = _lever_index(data, periods, supply_sources, offtakes_to)
    return ModelIndex(
        **levers,
        PERIODS=periods, HOLDINGS=holdings, ORDERS=orders, orders_of=orders_of,
        RELEASES=releases, OFFTAKES=offtakes,
        OFFTAKE_PERIODS=offtake_periods, SWAPS=swaps, SWAP_PERIODS=swap_periods,
        DEMANDS=demands, BALANCES=balance_list, PARTIES=list(data.parties),
        MINERALS=list(data.minerals), members_of=members_of,
        stockpiles_serving=dict(stockpiles_serving), offtakes_to=dict(offtakes_to),
        swaps_lending=dict(swaps_lending), swaps_returning=dict(swaps_returning),
        swaps_received=dict(swaps_received), swaps_repaid_by=dict(swaps_repaid_by),
        holdings_of_mineral=dict(holdings_of_mineral), supply_sources=dict(supply_sources),
        SWAP_RETURNS=returns, SWAP_OWED=owed, mineral_unit=mineral_units(data),
    )


def swap_returns(data: ModelData, periods: list[int]
                 ) -> tuple[list[tuple[str, int, int]], list[tuple[str, int]]]:
    """Where each swap draw comes back: a draw f[w,t] is returned as ρ_w·f[w,t] in period
    t + L_w. Returns (w, t, t + L_w) for returns inside the horizon, and (w, t) for the
    draws whose return falls after the last period (owed at the end)."""
    n = len(periods)
    inside, owed = [], []
    for w, spec in data.swaps.items():
        for t in periods:
            if t + spec.return_lag <= n:
                inside.append((w, t, t + spec.return_lag))
            else:
                owed.append((w, t))
    return inside, owed


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


def scenario_positions(data: ModelData) -> dict[str, int]:
    """Scenario name -> its number (0-based, data order)."""
    return {s: i for i, s in enumerate(data.scenarios)}


def availability_matrix(data: ModelData, keys: list[tuple[str, str, int]]) -> np.ndarray:
    """A[c,m,t,s] for each (source, mineral, period) in ``keys``: shape (scenarios, len(keys)),
    1 where undisrupted."""
    return _by_scenario(data.availability, keys, len(data.scenarios), scenario_positions(data))


def demand_matrix(data: ModelData, keys: list[tuple[str, str, int]]) -> np.ndarray:
    """D[p,m,t,s] = d[p,m,t]·g[p,m,t,s] for each (party, mineral, period) in ``keys``:
    shape (scenarios, len(keys)), t/period (0 where there is no baseline demand)."""
    base = np.array([data.demand.get(key, 0.0) for key in keys], dtype=float)
    mult = _by_scenario(data.demand_multiplier, keys, len(data.scenarios),
                        scenario_positions(data))
    return np.where(base[None, :] != 0.0, base[None, :] * mult, 0.0)


def _by_scenario(factors: dict[tuple[str, str, int, str], float],
                 keys: list[tuple[str, str, int]], n_scenarios: int,
                 scenario: dict[str, int]) -> np.ndarray:
    """A sparse per-scenario factor (key + scenario -> value, 1 where absent) as an array
    of shape (scenarios, len(keys))."""
    out = np.ones((n_scenarios, len(keys)))
    where: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for j, key in enumerate(keys):
        where[key].append(j)
    for (a, b, t, s), value in factors.items():
        js = where.get((a, b, t))
        if js:
            out[scenario[s], js] = value
    return out


CONCENTRATION_TOLERANCE = 1e-9
"""Relative slack allowed before a fixed (offtake-free) concentration row counts as violated."""


def concentration_terms(data: ModelData, supply_sources: dict, offtakes_to: dict, p: str,
                        m: str, t: int) -> tuple[dict[str, float], list[str]]:
    """Baseline supply by source (t/period) and the offtakes delivering in period t."""
    by_source: dict[str, float] = {}
    for c, q in supply_sources.get((p, m, t), ()):
        by_source[c] = by_source.get(c, 0.0) + q
    active = [o for o in offtakes_to.get((p, m), ()) if t >= data.offtakes[o].first_period]
    return by_source, active


def _lever_index(data: ModelData, periods: list[int], supply_sources: dict,
                 offtakes_to: dict) -> dict:
    """Index sets of the policy levers: cover floors, concentration rows, mitigation."""
    rows, fixed, share = [], [], {}
    for lim in data.concentration_limits:
        share[(lim.party, lim.mineral)] = lim.max_share
        for t in periods:
            by_source, active = concentration_terms(data, supply_sources, offtakes_to,
                                                    lim.party, lim.mineral, t)
            sources = sorted(set(by_source) | {data.offtakes[o].source for o in active})
            total = sum(by_source.values())
            for c in sources:
                if c in lim.excluded:
                    continue
                if active:
                    rows.append((lim.party, lim.mineral, c, t))
                elif by_source.get(c, 0.0) > lim.max_share * total * (1 + CONCENTRATION_TOLERANCE):
                    fixed.append((lim.party, lim.mineral, c, t))
    mitigations_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for i, spec in data.mitigations.items():
        mitigations_of[(spec.party, spec.mineral)].append(i)
    return {
        "COVER_TARGETS": list(data.cover_targets),
        "CONCENTRATION_ROWS": rows,
        "concentration_share": share,
        "concentration_fixed": fixed,
        "MITIGATIONS": list(data.mitigations),
        "MITIGATION_PERIODS": [(i, t) for i, spec in data.mitigations.items() for t in periods
                               if t >= spec.lead_time + 1],
        "mitigations_of": dict(mitigations_of),
    }
