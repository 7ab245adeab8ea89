"""The validated, normalized model data: what the model builder sees.

Defaults are applied, blank-period rows expanded, disruptions and demand shocks
resolved into per-(scenario, period) factors. Nothing here refers to workbook cells.
Units: tonnes (t), the workbook's currency, periods. Periods are numbered 1..n in
the order of the Periods sheet; ``period_labels[t - 1]`` is the label of period t.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Holding:
    """A (stockpile, mineral) pair that may hold material (units: t, currency/t/period)."""

    initial_stock: float
    max_stock: float | None
    holding_cost: float
    max_release: float | None


@dataclass(frozen=True)
class Offtake:
    """An offtake option: capacity (t/period) reserved at a project in ``source``.

    ``fee`` is currency per t/period of capacity, paid once; ``price`` currency per
    tonne delivered; ``first_period`` the period number (1-based) of first delivery.
    """

    party: str
    mineral: str
    source: str
    max_volume: float
    fee: float
    price: float
    first_period: int
    min_take: float = 0.0
    """Take-or-pay share in [0, 1]: the buyer pays ``price`` for at least this share of
    what the project can ship, delivered or not (FORMULATION-v2 section 7)."""


@dataclass(frozen=True)
class Swap:
    """A swap option: ``receiver`` may draw ``mineral`` from ``lender`` stockpile.

    Each tonne drawn in period t is returned as ``return_ratio`` tonnes of
    ``return_mineral`` in period t + ``return_lag``. ``max_volume`` bounds the capacity
    (t of total draw per scenario); ``fee`` is currency per tonne of capacity.
    """

    lender: str
    receiver: str
    mineral: str
    return_mineral: str
    return_ratio: float
    return_lag: int
    max_volume: float
    fee: float


@dataclass(frozen=True)
class CoverTarget:
    """A stockpile floor in periods of cover (sheet CoverTargets).

    Exactly one of ``party`` and ``stockpile`` is set. For a party, the level is its own
    and its cost share of joint stockpiles, Σ_k σ[k,p]·S[k,m]; for a stockpile, S[k,m].
    ``required`` is the floor in tonnes: ``periods`` × the average over the horizon of
    the per-period basis (baseline demand, or net imports: demand less supply from the
    ``domestic_sources``, floored at 0), summed over the stockpile's members when the
    target is on a stockpile.
    """

    party: str | None
    stockpile: str | None
    mineral: str
    periods: float
    basis: str
    domestic_sources: tuple[str, ...]
    required: float
    from_period: int = 1
    """The first period (1-based) in which the floor applies to the planned level
    S0 + Σ_{t'≤t} arrivals (FORMULATION-v2 section 6); with orders only before period 1,
    the start-of-horizon level."""


@dataclass(frozen=True)
class ConcentrationLimit:
    """No single source above ``max_share`` of a party's baseline supply plus contracted
    offtake capacity of a mineral, in any period (sheet ConcentrationLimits). Sources in
    ``excluded`` (own or allied production) are not capped but count in the total."""

    party: str
    mineral: str
    max_share: float
    excluded: tuple[str, ...]


@dataclass(frozen=True)
class Mitigation:
    """A demand-side mitigation option (sheet Mitigation): substitution or economizing.

    In a scenario it cuts up to ``max_share`` of the party's demand D[p,m,t,s] at ``cost``
    currency per tonne, from period ``lead_time`` + 1 on; ``fee`` (currency per t/period
    of prepared capacity) is paid once from the party's budget.
    """

    party: str
    mineral: str
    max_share: float
    cost: float
    lead_time: int
    fee: float


@dataclass
class ModelData:
    """Everything the optimization model needs, validated and with defaults applied.

    Sparse dictionaries hold only meaningful entries: ``availability`` only where
    below 1, ``demand_multiplier`` only where not 1, ``supply`` only where positive.
    """

    periods: list[str]
    parties: list[str]
    minerals: list[str]
    scenarios: list[str]
    stockpiles: list[str]
    budget: dict[str, float | None]
    price: dict[str, float]
    max_acquisition: dict[str, float | None]
    members: dict[str, dict[str, float]]
    holdings: dict[tuple[str, str], Holding]
    demand: dict[tuple[str, str, int], float]
    criticality: dict[tuple[str, str, int], float]
    supply: dict[tuple[str, str, str, int], float]
    offtakes: dict[str, Offtake]
    swaps: dict[str, Swap]
    probability: dict[str, float]
    availability: dict[tuple[str, str, int, str], float]
    demand_multiplier: dict[tuple[str, str, int, str], float]
    risk_weight: float = 0.5
    cvar_alpha: float = 0.9
    pooled_budget: float | None = None
    currency: str = "USD"
    scenario_description: dict[str, str] = field(default_factory=dict)
    cover_targets: dict[str, CoverTarget] = field(default_factory=dict)
    concentration_limits: list[ConcentrationLimit] = field(default_factory=list)
    mitigations: dict[str, Mitigation] = field(default_factory=dict)
    party_currency: dict[str, str] = field(default_factory=dict)
    """Party -> the currency its budget is entered in (absent: the base ``currency``)."""
    exchange_rates: dict[str, float] = field(default_factory=dict)
    """Currency -> units of the base currency per unit (the base itself is 1)."""
    access: dict[str, str] = field(default_factory=dict)
    """Stockpile -> "free" or "shares" (absent: "free"; FORMULATION-v2 section 5)."""
    max_risk: dict[str, float] = field(default_factory=dict)
    """Party -> the most risk R_p it accepts (periods; FORMULATION-v2 section 4)."""
    party_risk_limit: str = "none"
    """"none" or "alone": no party's risk above its stand-alone R_p^alone."""
    alone_risk: dict[str, float] = field(default_factory=dict)
    """Party -> R_p^alone, filled in before solving when ``party_risk_limit`` is "alone"."""
    purchase_timing: str = "start"
    """"start" (orders in period 1 only, v1) or "periods" (an order at the start of any
    period; FORMULATION-v2 section 6)."""
    lead_time: dict[str, int] = field(default_factory=dict)
    """Mineral -> ℓ_m, whole periods from order to arrival (absent: 0)."""
    price_path: dict[tuple[str, int], float] = field(default_factory=dict)
    """(mineral, period) -> price of orders placed in that period (currency/t; absent:
    ``price[m]``); sheet PricePath."""
    max_acquisition_per_period: dict[str, float] = field(default_factory=dict)
    """Mineral -> the most ordered in one period over all stockpiles (t; absent: none)."""
    period_budgets: dict[tuple[str, int], float] = field(default_factory=dict)
    """(party, period) -> the most the party may spend in that period (base currency,
    entered × rate); sheet PeriodBudgets. Absent: no per-period limit."""
    period_budgets_entered: dict[tuple[str, int], float] = field(default_factory=dict)
    """(party, period) -> the PeriodBudgets amount as entered, in the party's currency."""
    budget_entered: dict[str, float | None] = field(default_factory=dict)
    """Party -> its budget exactly as entered, in its own currency (None: unlimited), for
    reports; ``budget`` holds it in the base currency (entered × ``rate``), which the model
    uses. Absent for a party: ``budget`` / ``rate``."""
    exchange_rates_source: str = ""
    """Where the rates were read, for reports (e.g. "Settings row 5, exchange_rates
    'EUR=1.08'"); blank when no party has its own currency."""

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def period_numbers(self) -> range:
        """Periods as numbers 1..n."""
        return range(1, len(self.periods) + 1)

    @property
    def sources(self) -> list[str]:
        """Every source named by Supply or Offtakes, sorted."""
        found = {c for (_p, _m, c, _t) in self.supply} | {o.source for o in self.offtakes.values()}
        return sorted(found)

    def rate(self, party: str) -> float:
        """Units of the base currency per unit of ``party``'s own currency (1 for the base)."""
        return self.exchange_rates.get(self.currency_of(party), 1.0)

    def currency_of(self, party: str) -> str:
        """The currency ``party``'s budget is entered in."""
        return self.party_currency.get(party, self.currency)

    def budget_own(self, party: str) -> float | None:
        """``party``'s budget in its own currency: as entered (None: unlimited)."""
        if party in self.budget_entered:
            return self.budget_entered[party]
        b = self.budget.get(party)
        return None if b is None else b / self.rate(party)

    def order_price(self, mineral: str, t: int) -> float:
        """price[m,t]: currency per tonne ordered in period ``t`` (PricePath, else the
        Minerals price)."""
        return self.price_path.get((mineral, t), self.price[mineral])

    def lead(self, mineral: str) -> int:
        """ℓ_m: periods from an order of ``mineral`` to its arrival."""
        return self.lead_time.get(mineral, 0)

    def order_periods(self, mineral: str) -> list[int]:
        """The periods an order of ``mineral`` may be placed in: period 1 under ``start``,
        every period under ``periods``; only those whose order arrives by the last period
        (t + ℓ_m ≤ n)."""
        last = self.n_periods - self.lead(mineral)
        return [t for t in (range(1, 2) if self.purchase_timing == "start"
                            else self.period_numbers) if t <= last]

    def access_of(self, stockpile: str) -> str:
        """"free" or "shares": how the members of ``stockpile`` may draw on it."""
        return self.access.get(stockpile, "free")

    def period_label(self, t: int) -> str:
        """The workbook label of period number ``t`` (1-based)."""
        return self.periods[t - 1]

    def availability_of(self, source: str, mineral: str, t: int, scenario: str) -> float:
        """A[c,m,t,s]: share of the normal flow from ``source`` that arrives (1 if undisrupted)."""
        return self.availability.get((source, mineral, t, scenario), 1.0)

    def scenario_demand(self, party: str, mineral: str, t: int, scenario: str) -> float:
        """D[p,m,t,s] = d[p,m,t] · g[p,m,t,s] in t/period."""
        d = self.demand.get((party, mineral, t), 0.0)
        if d == 0.0:
            return 0.0
        return d * self.demand_multiplier.get((party, mineral, t, scenario), 1.0)

    def summary_line(self) -> str:
        """One line counting what the workbook declares."""
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"
        return ", ".join([
            n(len(self.parties), "party").replace("partys", "parties"),
            n(len(self.minerals), "mineral"),
            n(len(self.periods), "period"),
            n(len(self.scenarios), "scenario"),
            n(len(self.stockpiles), "stockpile"),
            n(len(self.holdings), "holding"),
            n(len(self.offtakes), "offtake"),
            n(len(self.swaps), "swap"),
        ])
