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
