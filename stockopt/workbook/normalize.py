"""From validated tables to model data: defaults applied, in one place.

Call only on a workbook that validated without errors. Blank-period Demand and Supply
rows are expanded to every period; Disruptions (minimum of overlapping rows) and
DemandShocks (product of overlapping rows) are resolved for the (source, mineral) and
(party, mineral) pairs that can use them.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..data import ConcentrationLimit, CoverTarget, Holding, Mitigation, ModelData, Offtake, Swap
from .currency import parse_exchange_rates
from .problems import Problems
from .reader import RawWorkbook, read_workbook
from .schema import (
    CONCENTRATION_LIMITS,
    COVER_TARGETS,
    DEMAND,
    DEMAND_SHOCKS,
    DISRUPTIONS,
    HOLDINGS,
    MINERALS,
    MITIGATION,
    OFFTAKES,
    PARTIES,
    PERIOD_BUDGETS,
    PRICE_PATH,
    SCENARIOS,
    SETTINGS,
    SETTINGS_BY_KEY,
    STOCKPILES,
    SUPPLY,
    SWAPS,
    WILDCARD,
)
from .validate import (
    access_mode,
    as_number,
    base_currency,
    cover_basis,
    exchange_rates_record,
    period_positions,
    setting_choice,
    split_names,
    validate,
)


def _default(sheet, column: str, value):  # noqa: ANN001, ANN202
    return sheet.column(column).default if value is None else value


def normalize(raw: RawWorkbook) -> ModelData:
    """Build the ModelData of a workbook that validated cleanly."""
    positions = period_positions(raw)
    periods = list(positions)
    n = len(periods)
    all_t = range(1, n + 1)

    settings = {s.key: s.default for s in SETTINGS_BY_KEY.values()}
    for rec in raw[SETTINGS.name].records:
        key = str(rec["key"] or "").strip().lower()
        setting = SETTINGS_BY_KEY.get(key)
        if setting is None or rec["value"] is None:
            continue
        if setting.choices:
            settings[key] = setting_choice(setting, rec["value"])
        else:
            settings[key] = as_number(rec["value"]) if setting.kind.value == "number" else \
                str(rec["value"])

    parties = [str(r["party"]) for r in raw[PARTIES.name].records]
    budget = {str(r["party"]): r["budget"] for r in raw[PARTIES.name].records}
    currencies = _currencies(raw)
    minerals = [str(r["mineral"]) for r in raw[MINERALS.name].records]
    price = {str(r["mineral"]): float(r["price"]) for r in raw[MINERALS.name].records}
    max_acq = {str(r["mineral"]): r["max_acquisition"] for r in raw[MINERALS.name].records}

    members: dict[str, dict[str, float]] = {}
    for r in raw[STOCKPILES.name].records:
        share = r["cost_share"]
        members.setdefault(str(r["stockpile"]), {})[str(r["party"])] = \
            1.0 if share is None else float(share)
    stockpiles = list(members)

    holdings: dict[tuple[str, str], Holding] = {}
    for r in raw[HOLDINGS.name].records:
        holdings[(str(r["stockpile"]), str(r["mineral"]))] = Holding(
            initial_stock=float(_default(HOLDINGS, "initial_stock", r["initial_stock"])),
            max_stock=r["max_stock"],
            holding_cost=float(_default(HOLDINGS, "holding_cost", r["holding_cost"])),
            max_release=r["max_release"],
        )

    demand: dict[tuple[str, str, int], float] = {}
    criticality: dict[tuple[str, str, int], float] = {}
    rows = raw[DEMAND.name].records
    for r in sorted(rows, key=lambda r: r["period"] is not None):  # blank periods first
        crit = float(_default(DEMAND, "criticality", r["criticality"]))
        ts = all_t if r["period"] is None else (positions[r["period"]],)
        for t in ts:
            demand[(str(r["party"]), str(r["mineral"]), t)] = float(r["demand"])
            criticality[(str(r["party"]), str(r["mineral"]), t)] = crit

    supply: dict[tuple[str, str, str, int], float] = defaultdict(float)
    for r in raw[SUPPLY.name].records:
        ts = all_t if r["period"] is None else (positions[r["period"]],)
        for t in ts:
            supply[(str(r["party"]), str(r["mineral"]), str(r["source"]), t)] += float(r["volume"])
    supply = {k: v for k, v in supply.items() if v > 0}

    offtakes: dict[str, Offtake] = {}
    for r in raw[OFFTAKES.name].records:
        offtakes[str(r["offtake"])] = Offtake(
            party=str(r["party"]), mineral=str(r["mineral"]), source=str(r["source"]),
            max_volume=float(r["max_volume"]),
            fee=float(_default(OFFTAKES, "fee", r["fee"])),
            price=float(_default(OFFTAKES, "price", r["price"])),
            first_period=1 if r["first_period"] is None else positions[r["first_period"]],
            min_take=float(_default(OFFTAKES, "min_take", r["min_take"])),
        )

    swaps: dict[str, Swap] = {}
    for r in raw[SWAPS.name].records:
        swaps[str(r["swap"])] = Swap(
            lender=str(r["lender_stockpile"]), receiver=str(r["receiver"]),
            mineral=str(r["mineral"]),
            return_mineral=str(r["return_mineral"] or r["mineral"]),
            return_ratio=float(_default(SWAPS, "return_ratio", r["return_ratio"])),
            return_lag=int(_default(SWAPS, "return_lag", r["return_lag"])),
            max_volume=float(r["max_volume"]),
            fee=float(_default(SWAPS, "fee", r["fee"])),
        )

    scenarios = [str(r["scenario"]) for r in raw[SCENARIOS.name].records]
    probability = {str(r["scenario"]): float(r["probability"])
                   for r in raw[SCENARIOS.name].records}
    description = {str(r["scenario"]): str(r["description"] or "")
                   for r in raw[SCENARIOS.name].records}

    flows = sorted({(c, m) for (_p, m, c, _t) in supply} |
                   {(o.source, o.mineral) for o in offtakes.values()})
    availability: dict[tuple[str, str, int, str], float] = {}
    for r in raw[DISRUPTIONS.name].records:
        start, end = _span(r, positions, n)
        for c, m in flows:
            if r["source"] not in (WILDCARD, c) or r["mineral"] not in (WILDCARD, m):
                continue
            for t in range(start, end + 1):
                key = (c, m, t, str(r["scenario"]))
                availability[key] = min(availability.get(key, 1.0), float(r["availability"]))
    availability = {k: v for k, v in availability.items() if v < 1.0}

    demanded = sorted({(p, m) for (p, m, _t), d in demand.items() if d > 0})
    multiplier: dict[tuple[str, str, int, str], float] = {}
    for r in raw[DEMAND_SHOCKS.name].records:
        start, end = _span(r, positions, n)
        for p, m in demanded:
            if r["party"] not in (WILDCARD, p) or r["mineral"] not in (WILDCARD, m):
                continue
            for t in range(start, end + 1):
                key = (p, m, t, str(r["scenario"]))
                multiplier[key] = multiplier.get(key, 1.0) * float(r["multiplier"])
    multiplier = {k: v for k, v in multiplier.items() if v != 1.0}

    return ModelData(
        periods=periods, parties=parties, minerals=minerals, scenarios=scenarios,
        stockpiles=stockpiles, budget=currencies.in_base(budget), price=price,
        max_acquisition=max_acq,
        members=members, holdings=holdings, demand=demand, criticality=criticality,
        supply=supply, offtakes=offtakes, swaps=swaps, probability=probability,
        availability=availability, demand_multiplier=multiplier,
        risk_weight=float(settings["risk_weight"]), cvar_alpha=float(settings["cvar_alpha"]),
        pooled_budget=None if settings["pooled_budget"] is None else float(
            settings["pooled_budget"]),
        currency=str(settings["currency"]), scenario_description=description,
        cover_targets=_cover_targets(raw, members, demand, supply, positions),
        concentration_limits=_concentration_limits(raw, parties, minerals, supply, offtakes),
        mitigations=_mitigations(raw),
        access=_access(raw),
        max_risk={str(r["party"]): float(r["max_risk"]) for r in raw[PARTIES.name].records
                  if r["max_risk"] is not None},
        party_risk_limit=str(settings["party_risk_limit"]),
        party_currency=currencies.party_currency, exchange_rates=currencies.rates,
        budget_entered=dict(budget) if currencies.party_currency else {},
        exchange_rates_source=currencies.source,
        purchase_timing=str(settings["purchase_timing"]),
        lead_time={str(r["mineral"]): int(r["lead_time"]) for r in raw[MINERALS.name].records
                   if r["lead_time"] is not None and int(r["lead_time"]) != 0},
        max_acquisition_per_period={
            str(r["mineral"]): float(r["max_acquisition_per_period"])
            for r in raw[MINERALS.name].records if r["max_acquisition_per_period"] is not None},
        price_path=_price_path(raw, price, positions),
        **_period_budgets(raw, currencies, positions),
    )


def _price_path(raw: RawWorkbook, price: dict[str, float], positions: dict[str, int]
                ) -> dict[tuple[str, int], float]:
    """PricePath rows as (mineral, period number) -> price (currency/t), leaving out rows
    equal to the Minerals price (the default). Rows that can never apply (a later period
    under purchase_timing start, an order arriving after the horizon) are kept: they were
    warned about, and ``ModelData.order_price`` is asked only for periods orders exist in."""
    path: dict[tuple[str, int], float] = {}
    for r in raw[PRICE_PATH.name].records:
        m, value = str(r["mineral"]), float(r["price"])
        if value != price[m]:
            path[(m, positions[r["period"]])] = value
    return path


def _period_budgets(raw: RawWorkbook, currencies: _Currencies, positions: dict[str, int]
                    ) -> dict[str, dict[tuple[str, int], float]]:
    """PeriodBudgets rows (FORMULATION-v2 sections 6 and 8): ``period_budgets`` in the base
    currency (entered × the party's rate, exactly as entered for a party in the base
    currency) and ``period_budgets_entered`` as entered, both keyed by (party, period
    number), one entry per row."""
    entered = {(str(r["party"]), positions[r["period"]]): float(r["budget"])
               for r in raw[PERIOD_BUDGETS.name].records}
    base: dict[tuple[str, int], float] = {}
    for (p, t), b in entered.items():
        converted = currencies.in_base({p: b})[p]
        base[(p, t)] = b if converted is None else float(converted)
    return {"period_budgets": base, "period_budgets_entered": entered}


@dataclass
class _Currencies:
    """The parties' own currencies (only those that differ from the base), the rates read
    from Settings exchange_rates (without the base currency) and where they were read."""

    party_currency: dict[str, str]
    rates: dict[str, float]
    source: str

    def in_base(self, budget: dict[str, float | None]) -> dict[str, float | None]:
        """Budgets in the base currency: entered × rate for a party with its own currency;
        the others exactly as entered."""
        return {p: b if b is None or p not in self.party_currency
                else float(b) * self.rates[self.party_currency[p]] for p, b in budget.items()}


def _currencies(raw: RawWorkbook) -> _Currencies:
    """FORMULATION-v2 section 8: Parties currency (blank: the base) and Settings
    exchange_rates, read by ``currency.parse_exchange_rates`` (validated before)."""
    base = base_currency(raw)
    party_currency = {str(r["party"]): str(r["currency"]) for r in raw[PARTIES.name].records
                      if r["currency"] is not None and str(r["currency"]) != base}
    rec = exchange_rates_record(raw)
    if rec is None:
        return _Currencies(party_currency, {}, "")
    rates = {c: v for c, v in parse_exchange_rates(rec["value"]).rates.items() if c != base}
    source = (f"{raw[SETTINGS.name].title} row {rec.row}, exchange_rates "
              f"'{str(rec['value']).strip()}'") if party_currency else ""
    return _Currencies(party_currency, rates, source)


def _cover_targets(raw: RawWorkbook, members: dict[str, dict[str, float]],
                   demand: dict[tuple[str, str, int], float],
                   supply: dict[tuple[str, str, str, int], float], positions: dict[str, int]
                   ) -> dict[str, CoverTarget]:
    """CoverTargets rows with their floors in tonnes, keyed by target name.

    ``required`` = periods × (1/n) Σ_t b_t, where b_t sums over the covered parties (the
    party, or the stockpile's members) the per-period basis: baseline demand d[p,m,t], or
    net imports max(0, d[p,m,t] − Σ_{c ∈ domestic} q[p,m,c,t]) (t/period). ``from_period``
    is the period number of the row's from_period (blank: 1).
    """
    n = len(positions)
    targets: dict[str, CoverTarget] = {}
    for r in raw[COVER_TARGETS.name].records:
        party = None if r["party"] is None else str(r["party"])
        stockpile = None if r["stockpile"] is None else str(r["stockpile"])
        mineral = str(r["mineral"])
        basis = cover_basis(r["basis"]) or "demand"
        domestic = split_names(_default(COVER_TARGETS, "domestic_sources",
                                        r["domestic_sources"]))
        periods = float(r["periods"])
        target = CoverTarget(
            party=party, stockpile=stockpile, mineral=mineral, periods=periods, basis=basis,
            domestic_sources=domestic, required=0.0,
            from_period=1 if r["from_period"] is None else positions[r["from_period"]])
        targets[str(r["target"])] = dataclasses.replace(
            target, required=required_cover(target, members, demand, supply, n))
    return targets


def required_cover(target: CoverTarget, members: dict[str, dict[str, float]],
                   demand: dict[tuple[str, str, int], float],
                   supply: dict[tuple[str, str, str, int], float], n: int) -> float:
    """A cover floor in tonnes: periods × (1/n) Σ_t b_t over the ``n`` periods, b_t the
    per-period basis summed over the covered parties (the target's party, or its
    stockpile's members): baseline demand d[p,m,t], or net imports
    max(0, d[p,m,t] − Σ_{c ∈ domestic} q[p,m,c,t]) (t/period)."""
    covered = ([target.party] if target.party is not None
               else list(members.get(target.stockpile or "", {})))
    total = 0.0
    for p in covered:
        for t in range(1, n + 1):
            d = demand.get((p, target.mineral, t), 0.0)
            if target.basis == "net_imports":
                d = max(0.0, d - sum(supply.get((p, target.mineral, c, t), 0.0)
                                     for c in target.domestic_sources))
            total += d
    return target.periods * total / n if n else 0.0


def _concentration_limits(raw: RawWorkbook, parties: list[str], minerals: list[str],
                          supply: dict[tuple[str, str, str, int], float],
                          offtakes: dict[str, Offtake]) -> list[ConcentrationLimit]:
    """One limit per (party, mineral), in Parties × Minerals order.

    A ``*`` row stands for every mineral the party has baseline supply or offtake options
    for; a row naming the mineral overrides it.
    """
    options: dict[str, set[str]] = {p: set() for p in parties}
    for (p, m, _c, _t) in supply:
        options.setdefault(p, set()).add(m)
    for o in offtakes.values():
        options.setdefault(o.party, set()).add(o.mineral)
    chosen: dict[tuple[str, str], ConcentrationLimit] = {}
    rows = raw[CONCENTRATION_LIMITS.name].records
    for r in sorted(rows, key=lambda r: r["mineral"] != WILDCARD):  # * rows first
        party = str(r["party"])
        share = float(_default(CONCENTRATION_LIMITS, "max_share", r["max_share"]))
        excluded = split_names(r["excluded_sources"])
        targets = sorted(options.get(party, set())) if r["mineral"] == WILDCARD \
            else [str(r["mineral"])]
        for m in targets:
            chosen[(party, m)] = ConcentrationLimit(party, m, share, excluded)
    rank_p = {p: i for i, p in enumerate(parties)}
    rank_m = {m: i for i, m in enumerate(minerals)}
    return [chosen[k] for k in sorted(chosen, key=lambda k: (rank_p[k[0]], rank_m[k[1]]))]


def _access(raw: RawWorkbook) -> dict[str, str]:
    """Stockpile -> "shares" for the stockpiles whose members draw by cost share
    (FORMULATION-v2 section 5); the others, free, are left out. Validation made every row
    of a stockpile agree."""
    return {str(r["stockpile"]): "shares" for r in raw[STOCKPILES.name].records
            if access_mode(r["access"]) == "shares"}


def _mitigations(raw: RawWorkbook) -> dict[str, Mitigation]:
    """Mitigation rows with the defaults applied, keyed by option name (row order)."""
    return {str(r["option"]): Mitigation(
        party=str(r["party"]), mineral=str(r["mineral"]), max_share=float(r["max_share"]),
        cost=float(_default(MITIGATION, "cost", r["cost"])),
        lead_time=int(_default(MITIGATION, "lead_time", r["lead_time"])),
        fee=float(_default(MITIGATION, "fee", r["fee"])),
    ) for r in raw[MITIGATION.name].records}


def _span(rec, positions: dict[str, int], n: int) -> tuple[int, int]:  # noqa: ANN001
    start = 1 if rec["start_period"] is None else positions[rec["start_period"]]
    end = n if rec["end_period"] is None else positions[rec["end_period"]]
    return start, end


@dataclass
class Loaded:
    """The outcome of loading a workbook: its data (None when there are errors) and problems."""

    data: ModelData | None
    problems: Problems
    raw: RawWorkbook | None = None


def load(path: str | Path) -> Loaded:
    """Read, validate and normalize the workbook at ``path``.

    Raises ``UnreadableWorkbook`` when the file cannot be read at all; otherwise every
    problem found is in the result, and ``data`` is None when any is an error.
    """
    problems = Problems()
    raw = read_workbook(path, problems)
    validate(raw, problems)
    if problems.has_errors:
        return Loaded(None, problems, raw)
    return Loaded(normalize(raw), problems, raw)
