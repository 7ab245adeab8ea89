"""Sparse index sets, decided once from the model data.

Every constraint family reads its index tuples and lookup maps from here; no rule
scans a list. Periods are numbers 1..n. All lists are built in a deterministic order
(data order, then period), so the same input gives the same model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..data import ModelData


@dataclass
class ModelIndex:
    """Index tuples and lookup maps shared by all constraint families.

    Names follow the Pyomo sets: ``HOLDINGS`` (k, m), ``RELEASES`` (k, p, m),
    ``OFFTAKE_PERIODS`` (o, t), ``SWAP_PERIODS`` (w, t), ``DEMANDS`` (p, m, t) with
    baseline demand > 0, ``BALANCES`` (p, m, t) party-balance rows that can bind.
    """

    PERIODS: list[int]
    HOLDINGS: list[tuple[str, str]]
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


def build_index(data: ModelData) -> ModelIndex:
    """Decide every sparse index set of the model from ``data`` (once)."""
    n = data.n_periods
    periods = list(range(1, n + 1))
    holdings = list(data.holdings)
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

    # Party-balance rows: every (p, m, t) with demand, and every (p, m, t) where a swap
    # return is owed (a return must be covered by real inflows even without demand).
    balances = set(demands)
    for (p, m), ws in swaps_repaid_by.items():
        for w in ws:
            lag = data.swaps[w].return_lag
            for t in periods:
                if t - lag >= 1:
                    balances.add((p, m, t))
    order = {pm: i for i, pm in enumerate((p, m) for p in data.parties for m in data.minerals)}
    balance_list = sorted(balances, key=lambda pmt: (order[(pmt[0], pmt[1])], pmt[2]))

    levers = _lever_index(data, periods, supply_sources, offtakes_to)
    return ModelIndex(
        **levers,
        PERIODS=periods, HOLDINGS=holdings, RELEASES=releases, OFFTAKES=offtakes,
        OFFTAKE_PERIODS=offtake_periods, SWAPS=swaps, SWAP_PERIODS=swap_periods,
        DEMANDS=demands, BALANCES=balance_list, PARTIES=list(data.parties),
        MINERALS=list(data.minerals), members_of=members_of,
        stockpiles_serving=dict(stockpiles_serving), offtakes_to=dict(offtakes_to),
        swaps_lending=dict(swaps_lending), swaps_returning=dict(swaps_returning),
        swaps_received=dict(swaps_received), swaps_repaid_by=dict(swaps_repaid_by),
        holdings_of_mineral=dict(holdings_of_mineral), supply_sources=dict(supply_sources),
    )


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


def family_index(idx: ModelIndex, family: str) -> list:
    """The index list of a variable family, in column order (as the Pyomo model indexes it).

    First stage: purchase (k, m); offtake_capacity o; swap_capacity w; cvar_threshold
    [None]. Per scenario: stock_level (k, m, t); release (k, p, m, t); offtake_delivery
    (o, t); swap_draw (w, t); shortfall (p, m, t); cvar_excess [None].
    """
    periods = idx.PERIODS
    lists = {
        "purchase": lambda: list(idx.HOLDINGS),
        "offtake_capacity": lambda: list(idx.OFFTAKES),
        "swap_capacity": lambda: list(idx.SWAPS),
        "cvar_threshold": lambda: [None],
        "stock_level": lambda: [(k, m, t) for (k, m) in idx.HOLDINGS for t in periods],
        "release": lambda: [(k, p, m, t) for (k, p, m) in idx.RELEASES for t in periods],
        "offtake_delivery": lambda: list(idx.OFFTAKE_PERIODS),
        "swap_draw": lambda: list(idx.SWAP_PERIODS),
        "shortfall": lambda: list(idx.DEMANDS),
        "cvar_excess": lambda: [None],
        "mitigation_capacity": lambda: list(idx.MITIGATIONS),
        "mitigation_use": lambda: list(idx.MITIGATION_PERIODS),
    }
    return lists[family]()
