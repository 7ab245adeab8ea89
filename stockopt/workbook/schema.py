"""The input workbook, declared once.

Every sheet and column of the stockopt input workbook (see ``WORKBOOK.md`` in the
shared specification) is declared here with its type, unit, default, allowed range,
references and meaning. The reader, the validator, the template generator and the
README's sheet guide are all derived from these declarations, so they cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """How a cell is read."""

    IDENTIFIER = "identifier"  # text; a whole number is read as its integer text
    NUMBER = "number"  # a number, or a plain decimal typed as text
    TEXT = "text"  # free text (descriptions, setting values)


class Ref(StrEnum):
    """What an identifier column refers to (the declaring table)."""

    PARTY = "party"
    MINERAL = "mineral"
    STOCKPILE = "stockpile"
    PERIOD = "period"
    SCENARIO = "scenario"
    SOURCE = "source"  # sources are not declared; used for template dropdowns only


@dataclass(frozen=True)
class Column:
    """One column of an input sheet.

    ``default`` is the value a blank cell takes (``None`` means "no value", for
    instance "no limit"); ``default_text`` says the same in words for people.
    ``minimum``/``maximum`` bound numbers, inclusive unless the ``*_exclusive`` flag
    is set; ``smallest`` is the smallest magnitude a nonzero value may have (a plausibility
    bound: nearer 0 than that is refused, 0 itself is allowed when ``minimum`` allows it).
    ``references`` names the table an identifier must be declared in;
    ``wildcard`` allows ``*`` (match every value).
    """

    name: str
    kind: Kind
    description: str
    required: bool = False
    unit: str = ""
    default: float | str | None = None
    default_text: str = ""
    minimum: float | None = None
    minimum_exclusive: bool = False
    maximum: float | None = None
    maximum_exclusive: bool = False
    integer: bool = False
    smallest: float | None = None
    references: Ref | None = None
    wildcard: bool = False
    number_format: str = ""
    width: int = 14
    choices: tuple[str, ...] = ()
    """For a text column with a fixed set of values (case-insensitive): those values (the
    template offers them as a dropdown)."""

    @property
    def is_fraction(self) -> bool:
        """True for numbers restricted to 0..1 (shares, probabilities, availabilities)."""
        return self.minimum == 0 and self.maximum == 1

    def expected_range(self, with_unit: bool = False) -> str:
        """The allowed range in words, e.g. 'a number > 0', 'a whole number ≥ 0 and ≤ 1000'
        or '0 or a number from 0.001 to 1e9' (with the unit in brackets if asked)."""
        what = "a whole number" if self.integer else "a number"
        unit = f" ({self.unit})" if with_unit and self.unit else ""
        if self.smallest is not None and self.maximum is not None:
            zero = "0 or " if self.minimum == 0 and not self.minimum_exclusive else ""
            return f"{zero}{what} from {_fmt(self.smallest)} to {_fmt(self.maximum)}{unit}"
        parts = []
        if self.minimum is not None:
            parts.append(f"{'>' if self.minimum_exclusive else '≥'} {_fmt(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"{'<' if self.maximum_exclusive else '≤'} {_fmt(self.maximum)}")
        return f"{what} {' and '.join(parts)}".strip() + unit

    def in_range(self, value: float) -> bool:
        """Whether ``value`` lies in the declared range (and is whole if required)."""
        if self.integer and value != int(value):
            return False
        lo, hi = self.minimum, self.maximum
        if lo is not None and (value < lo or (self.minimum_exclusive and value == lo)):
            return False
        if self.smallest is not None and value != 0 and abs(value) < self.smallest:
            return False
        return not (hi is not None and (value > hi or (self.maximum_exclusive and value == hi)))


def _fmt(x: float) -> str:
    """A bound as people write it: 0.001, 1000, 1e9 (powers of ten from 1e5 in short)."""
    x = float(x)
    if x >= 1e5 and f"{x:.0e}".startswith("1e"):
        return f"1e{int(f'{x:.0e}'.split('e')[1])}"
    return str(int(x)) if x.is_integer() else str(x)


@dataclass(frozen=True)
class Sheet:
    """One input table: a sheet of the workbook, one record per row.

    ``key`` lists the columns whose values identify a record; two records with the
    same key are an error.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = False
    key: tuple[str, ...] = ()
    declares: Ref | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        """The column called ``name`` (exact schema spelling)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


# --- plausibility bounds ---------------------------------------------------------
# Every number has a range that a real planner's workbook never leaves and that keeps the
# LP numerically safe (issue 15). Magnitudes are (smallest nonzero, largest); 0 stays
# allowed where the column allows it. The bundled examples span: tonnages 0.24 .. 3.9e5 t,
# money per tonne 20 .. 4.1e6, budgets 2e9 .. 3.2e9, criticality 1 .. 3, factors 1.02 .. 7.4,
# lags and durations 1 .. 5 periods. Measured on the bundled example (one value scaled by
# powers of ten, solved, spend compared with the budget; README "What bad input gets"): a
# price, holding cost or fee near 1e14 .. 1e15 per tonne gives a plan over its budget or a
# failed solve; a criticality 1e9 times the others, or a demand 1e9 times smaller than its
# mineral's largest, ends "unbounded"; a demand multiplier of 1e7 or more makes the plan buy
# less and less. Spreads between cells that land in one LP row are checked in validate.py.

TONNES = (1e-3, 1e9)
"""Tonnages (t, t/period): from 1 kg to a billion tonnes (world iron ore output ~2.5e9 t/year;
critical minerals ~1e1 .. 4e6 t/year)."""

MONEY_PER_TONNE = (1e-3, 1e10)
"""Prices, fees, holding and mitigation costs per tonne (or per t/period): up to 1e10 covers
the dearest metals (rhodium ~1.5e8 USD/t) in any currency short of ~70 units per dollar."""

BUDGET = (1.0, 1e13)
"""Budgets (currency): from 1 to ten trillion."""

WEIGHTS = (1e-3, 1e3)
"""Criticality weights (1 = ordinary)."""

FACTORS = (1e-3, 1e3)
"""Demand multipliers and swap return ratios (t/t)."""

MAX_PERIODS = 1000
"""The longest lag, lead time or event duration (periods)."""

COVER_PERIODS = (1e-3, 1e3)
"""Periods of cover of a floor."""

RISK_LIMIT = (1e-6, 1e6)
"""A party's risk limit (periods of its baseline demand lost, criticality weighted)."""

# --- column helpers -------------------------------------------------------------

_MONEY = "#,##0.00"
_TONS = "#,##0.###"
_FRACTION = "0.00####"
_PLAIN = "General"


def _ident(name: str, description: str, ref: Ref | None = None, *, required: bool = True,
           wildcard: bool = False, default_text: str = "", width: int = 16) -> Column:
    return Column(name, Kind.IDENTIFIER, description, required=required, references=ref,
                  wildcard=wildcard, default_text=default_text, number_format="@", width=width)


def _number(name: str, description: str, unit: str, *, required: bool = False,
            default: float | None = None, default_text: str = "", minimum: float | None = 0.0,
            minimum_exclusive: bool = False, maximum: float | None = None,
            maximum_exclusive: bool = False, integer: bool = False,
            bounds: tuple[float, float] | None = None, number_format: str = _TONS,
            width: int = 14) -> Column:
    """A number column; ``bounds`` = (smallest nonzero magnitude, maximum) of a magnitude."""
    smallest = None
    if bounds is not None:
        smallest, maximum = bounds
    return Column(name, Kind.NUMBER, description, required=required, unit=unit, default=default,
                  default_text=default_text, minimum=minimum, minimum_exclusive=minimum_exclusive,
                  maximum=maximum, maximum_exclusive=maximum_exclusive, integer=integer,
                  smallest=smallest, number_format=number_format, width=width)


# --- the sheets -----------------------------------------------------------------

ACCESS_MODES: tuple[str, ...] = ("free", "shares")
"""Allowed values of Stockpiles.access (case-insensitive); the first is the default."""

PARTY_RISK_LIMITS: tuple[str, ...] = ("none", "alone")
"""Allowed values of the setting party_risk_limit (case-insensitive); the first is the
default."""

PURCHASE_TIMINGS: tuple[str, ...] = ("start", "periods")
"""Allowed values of the setting purchase_timing (case-insensitive); the first is the
default (FORMULATION-v2 section 6)."""


SETTINGS = Sheet(
    "Settings",
    "Model settings as key/value pairs. The sheet may be absent: every setting has a default.",
    (
        Column("key", Kind.TEXT, "Setting name: risk_weight, cvar_alpha, pooled_budget, "
               "currency, exchange_rates, party_risk_limit or purchase_timing (case-insensitive).",
               required=True, width=18),
        Column("value", Kind.TEXT, "Setting value; blank means the default.",
               default_text="the setting's default", width=18),
    ),
    key=("key",),
)

PERIODS = Sheet(
    "Periods",
    "The planning periods, listed in time order (for example 2027, 2028 or 2027-Q1).",
    (_ident("period", "Period label; the order of the rows is the time order."),),
    required=True,
    key=("period",),
    declares=Ref.PERIOD,
)

PARTIES = Sheet(
    "Parties",
    "The allied parties (for example US, EU) and their preparedness budgets.",
    (
        _ident("party", "Party name."),
        _number("budget", "Preparedness budget: the most this party may spend on purchases "
                "(its cost share), holding of purchases, offtake fees and swap fees; in the "
                "party's own currency (column currency; blank there: the base currency).",
                "currency", default_text="unlimited", bounds=BUDGET, number_format=_MONEY,
                width=18),
        _ident("currency", "Currency of this party's budget (for example EUR); the Settings "
               "key exchange_rates must give its rate to the base currency (the Settings "
               "currency). The budget enters as budget × rate; prices and fees stay in the "
               "base currency.", required=False,
               default_text="the Settings currency", width=12),
        _number("max_risk", "The most risk this party accepts: R_p = (1 − λ)·E_p + λ·CVaR_p of "
                "its own losses, in periods of its baseline demand lost (FORMULATION-v2 "
                "section 4).", "periods", default_text="no limit", bounds=RISK_LIMIT,
                number_format=_FRACTION),
    ),
    required=True,
    key=("party",),
    declares=Ref.PARTY,
)

PERIOD_BUDGETS = Sheet(
    "PeriodBudgets",
    "Budgets per period: the most a party may spend in one period. A period's spending is "
    "the party's cost share of the orders placed in that period (at their price) and of the "
    "holding cost, for that period, of the purchases arrived by then, plus, in the first "
    "period, its offtake, swap and mitigation fees; over all periods this adds up to what "
    "the Parties budget bounds. The Parties budget still bounds the total; a period without "
    "a row has no per-period limit. One row per party and period.",
    (
        _ident("party", "Party whose spending is limited.", Ref.PARTY),
        _ident("period", "Period limited.", Ref.PERIOD),
        _number("budget", "The most the party may spend in that period, in the party's own "
                "currency (Parties column currency; blank there: the base currency); it "
                "enters as budget × rate, like the Parties budget.", "currency",
                required=True, bounds=BUDGET, number_format=_MONEY, width=18),
    ),
    key=("party", "period"),
)

MINERALS = Sheet(
    "Minerals",
    "The critical minerals, their acquisition price, market depth and lead time.",
    (
        _ident("mineral", "Mineral name."),
        _number("price", "Acquisition price for stockpile purchases (an order placed in a "
                "period with a PricePath row for the mineral pays that row's price instead).",
                "currency/t", required=True, minimum=0.0, minimum_exclusive=True,
                bounds=MONEY_PER_TONNE, number_format=_MONEY),
        _number("max_acquisition", "Market depth: the most that may be bought in total across "
                "all stockpiles (and, with purchase_timing periods, all periods).", "t",
                default_text="unlimited", bounds=TONNES, width=16),
        _number("lead_time", "Whole periods from order to delivery: an order placed at the "
                "start of period t arrives at the start of period t + lead_time and can be "
                "released then; orders that would arrive after the last period cannot be "
                "placed. With purchase_timing start (orders in the first period only) a "
                "purchase arrives at the start of period 1 + lead_time; until then only the "
                "initial stock is there. 0: purchases arrive at once.", "periods",
                default=0.0, default_text="0", integer=True, maximum=MAX_PERIODS,
                number_format="0"),
        _number("max_acquisition_per_period", "The most that may be ordered in one period, "
                "over all stockpiles (with purchase_timing start: the most bought in all, "
                "like max_acquisition).", "t/period", default_text="no per-period limit",
                bounds=TONNES, width=16),
    ),
    required=True,
    key=("mineral",),
    declares=Ref.MINERAL,
)

PRICE_PATH = Sheet(
    "PricePath",
    "Prices of orders placed in a given period (for example a forecast rising price): an "
    "order of the mineral placed at the start of the period pays this price instead of the "
    "Minerals price; periods without a row pay the Minerals price. With purchase_timing "
    "start orders are placed in the first period only, so only rows for the first period "
    "apply. One row per mineral and period.",
    (
        _ident("mineral", "Mineral priced.", Ref.MINERAL),
        _ident("period", "Period in which the order is placed (not the period of delivery).",
               Ref.PERIOD),
        _number("price", "Price of an order placed in that period, in the base currency (the "
                "Settings currency), like the Minerals price.", "currency/t", required=True,
                minimum=0.0, minimum_exclusive=True, bounds=MONEY_PER_TONNE,
                number_format=_MONEY),
    ),
    key=("mineral", "period"),
)

STOCKPILES = Sheet(
    "Stockpiles",
    "Stockpiles and their members: one row per (stockpile, member party). A joint stockpile "
    "has several members whose cost shares sum to 1.",
    (
        _ident("stockpile", "Stockpile name."),
        _ident("party", "A member party of the stockpile.", Ref.PARTY),
        _number("cost_share", "This member's share of the stockpile's purchase and holding "
                "costs; may be blank only for a single-member stockpile (then 1). The shares "
                "of a stockpile sum to 1.", "fraction", default_text="1 (single member only)",
                maximum=1.0, number_format=_FRACTION),
        Column("access", Kind.TEXT, "How members draw on a joint stockpile: free (any member "
               "may take any amount) or shares (each member's cumulative releases stay within "
               "its cost share of what the stockpile has had). All rows of a stockpile give "
               "the same value.", default=ACCESS_MODES[0], default_text=ACCESS_MODES[0],
               width=10, choices=ACCESS_MODES),
    ),
    key=("stockpile", "party"),
    declares=Ref.STOCKPILE,
)

HOLDINGS = Sheet(
    "Holdings",
    "Which minerals each stockpile may hold, with its current stock, capacity, holding cost "
    "and release limit.",
    (
        _ident("stockpile", "Stockpile name.", Ref.STOCKPILE),
        _ident("mineral", "Mineral held.", Ref.MINERAL),
        _number("initial_stock", "Stock at the start of the horizon (already owned).", "t",
                default=0.0, default_text="0", bounds=TONNES),
        _number("max_stock", "Physical capacity: the most the stockpile may hold at any time.",
                "t", default_text="unlimited", bounds=TONNES),
        _number("holding_cost", "Cost of holding one tonne for one period (charged on purchases "
                "for every period from their arrival to the end of the horizon).",
                "currency/t/period", default=0.0, default_text="0", bounds=MONEY_PER_TONNE,
                number_format=_MONEY, width=16),
        _number("max_release", "The most released in one period by all members and swap draws "
                "together.", "t/period", default_text="unlimited", bounds=TONNES),
    ),
    key=("stockpile", "mineral"),
)

DEMAND = Sheet(
    "Demand",
    "Baseline demand per party, mineral and period. A blank period means every period; a row "
    "with a period overrides it for that period. No row means demand 0.",
    (
        _ident("party", "Party whose demand this is.", Ref.PARTY),
        _ident("mineral", "Mineral demanded.", Ref.MINERAL),
        _ident("period", "Period; blank means every period.", Ref.PERIOD, required=False,
               default_text="every period"),
        _number("demand", "Baseline demand.", "t/period", required=True, bounds=TONNES),
        _number("criticality", "Weight of a shortfall here in the loss (1 = ordinary).",
                "weight", default=1.0, default_text="1", bounds=WEIGHTS,
                number_format=_FRACTION),
    ),
    required=True,
    key=("party", "mineral", "period"),
)

SUPPLY = Sheet(
    "Supply",
    "Baseline supply reaching a party from a source (country, 'domestic', ...). A blank period "
    "means every period; rows add up.",
    (
        _ident("party", "Party receiving the supply.", Ref.PARTY),
        _ident("mineral", "Mineral supplied.", Ref.MINERAL),
        _ident("source", "Origin source (country, 'domestic', ...).", Ref.SOURCE),
        _ident("period", "Period; blank means every period.", Ref.PERIOD, required=False,
               default_text="every period"),
        _number("volume", "Baseline supply volume.", "t/period", required=True, bounds=TONNES),
    ),
)

OFFTAKES = Sheet(
    "Offtakes",
    "Offtake contract options: capacity reserved at a mining or processing project in a source "
    "country; deliveries follow that source's availability in each scenario.",
    (
        _ident("offtake", "Offtake option name."),
        _ident("party", "Party that contracts and receives the deliveries.", Ref.PARTY),
        _ident("mineral", "Mineral delivered.", Ref.MINERAL),
        _ident("source", "Origin source of the project.", Ref.SOURCE),
        _number("max_volume", "The most capacity that may be reserved.", "t/period",
                required=True, bounds=TONNES),
        _number("fee", "Reservation fee, paid once, per t/period of capacity.",
                "currency per t/period", default=0.0, default_text="0", bounds=MONEY_PER_TONNE,
                number_format=_MONEY, width=18),
        _number("price", "Price paid per tonne actually delivered.", "currency/t", default=0.0,
                default_text="0", bounds=MONEY_PER_TONNE, number_format=_MONEY),
        _ident("first_period", "First period with deliveries.", Ref.PERIOD, required=False,
               default_text="the first period"),
        _number("min_take", "Take-or-pay share: from first_period on, the buyer pays the price "
                "for at least this share of what the project can ship (the reserved capacity "
                "times the source's availability in the scenario), delivered or not. 0: pay "
                "only for what is delivered.", "fraction", default=0.0, default_text="0",
                maximum=1.0, number_format=_FRACTION),
    ),
    key=("offtake",),
)

SWAPS = Sheet(
    "Swaps",
    "Swap agreement options: the receiver may draw from the lender stockpile in a disruption "
    "and returns return_ratio times the draw, in the return mineral, return_lag periods later.",
    (
        _ident("swap", "Swap option name."),
        _ident("lender_stockpile", "Stockpile lent from.", Ref.STOCKPILE, width=18),
        _ident("receiver", "Party that draws (may be a member of the lender stockpile).",
               Ref.PARTY),
        _ident("mineral", "Mineral drawn.", Ref.MINERAL),
        _ident("return_mineral", "Mineral returned.", Ref.MINERAL, required=False,
               default_text="the drawn mineral", width=16),
        _number("return_ratio", "Tonnes returned per tonne drawn.", "t/t", default=1.0,
                default_text="1", minimum=0.0, minimum_exclusive=True, bounds=FACTORS,
                number_format=_FRACTION),
        _number("return_lag", "Periods between a draw and its return.", "periods", default=1.0,
                default_text="1", integer=True, maximum=MAX_PERIODS, number_format="0"),
        _number("max_volume", "The most swap capacity (total draw per scenario) that may be "
                "reserved.", "t", required=True, bounds=TONNES),
        _number("fee", "Reservation fee per tonne of swap capacity.", "currency/t", default=0.0,
                default_text="0", bounds=MONEY_PER_TONNE, number_format=_MONEY),
    ),
    key=("swap",),
)

SCENARIOS = Sheet(
    "Scenarios",
    "Disruption scenarios and their probabilities (which sum to 1).",
    (
        _ident("scenario", "Scenario name."),
        _number("probability", "Scenario probability.", "fraction", required=True, maximum=1.0,
                number_format=_FRACTION),
        Column("description", Kind.TEXT, "What happens in this scenario (for people).",
               width=40),
    ),
    required=True,
    key=("scenario",),
    declares=Ref.SCENARIO,
)

DISRUPTIONS = Sheet(
    "Disruptions",
    "Supply disruptions: in a scenario, the share of the normal flow from a source that "
    "arrives. Overlapping rows: the minimum applies.",
    (
        _ident("scenario", "Scenario in which the disruption happens.", Ref.SCENARIO),
        _ident("source", "Source disrupted, or * for every source.", Ref.SOURCE, wildcard=True),
        _ident("mineral", "Mineral disrupted, or * for every mineral.", Ref.MINERAL,
               wildcard=True),
        _ident("start_period", "First period disrupted; blank means the first period.",
               Ref.PERIOD, required=False, default_text="the first period"),
        _ident("end_period", "Last period disrupted; blank means the last period.", Ref.PERIOD,
               required=False, default_text="the last period"),
        _number("availability", "Share of the normal flow that arrives (0 = full cut).",
                "fraction", required=True, maximum=1.0, number_format=_FRACTION),
    ),
)

DEMAND_SHOCKS = Sheet(
    "DemandShocks",
    "Demand surges (or drops): in a scenario, demand is multiplied. Overlapping rows multiply.",
    (
        _ident("scenario", "Scenario in which the shock happens.", Ref.SCENARIO),
        _ident("party", "Party affected, or * for every party.", Ref.PARTY, wildcard=True),
        _ident("mineral", "Mineral affected, or * for every mineral.", Ref.MINERAL,
               wildcard=True),
        _ident("start_period", "First period affected; blank means the first period.",
               Ref.PERIOD, required=False, default_text="the first period"),
        _ident("end_period", "Last period affected; blank means the last period.", Ref.PERIOD,
               required=False, default_text="the last period"),
        _number("multiplier", "Demand multiplier (1.5 = 50% more demand).", "factor",
                required=True, minimum=0.0, minimum_exclusive=True, bounds=FACTORS,
                number_format=_FRACTION),
    ),
)

RISKS = Sheet(
    "Risks",
    "Risk register for sampling scenarios (stockopt scenarios, stockopt evaluate); the model "
    "itself ignores this sheet. Each row is one effect of a risk event: a supply cut (source, "
    "mineral, availability) and/or a demand surge (party, mineral, demand_multiplier) while the "
    "event runs. In each sampled scenario an event that is not running starts in a period with "
    "probability start_probability and then runs for a whole number of periods drawn evenly "
    "from min_duration..max_duration (cut short at the last period); after it ends it may start "
    "again. Rows sharing a group are one event (common cause): they start and end together.",
    (
        _ident("risk", "Name of this row (unique)."),
        _ident("group", "Event this row belongs to; rows with the same group start and end "
               "together (common cause) and must agree on start_probability, min_duration and "
               "max_duration. Blank: the row is an event of its own.", required=False,
               default_text="the row is its own event"),
        _ident("source", "Source cut during the event, or * for every source; blank: no supply "
               "effect.", Ref.SOURCE, required=False, wildcard=True,
               default_text="no supply effect"),
        _ident("mineral", "Mineral affected (supply and demand effects), or * for every mineral.",
               Ref.MINERAL, wildcard=True),
        _number("start_probability", "Probability that the event starts in a period in which "
                "it is not already running (a per-period hazard).", "fraction per period",
                required=True, maximum=1.0, number_format=_FRACTION, width=16),
        _number("min_duration", "Shortest duration of the event once started.", "periods",
                default=1.0, default_text="1", minimum=1.0, maximum=MAX_PERIODS, integer=True,
                number_format="0"),
        _number("max_duration", "Longest duration of the event once started (durations are "
                "drawn evenly from min_duration..max_duration).", "periods",
                default_text="min_duration", minimum=1.0, maximum=MAX_PERIODS, integer=True,
                number_format="0"),
        _number("availability", "Share of the normal flow from the source that arrives while "
                "the event runs (0 = full cut); required when source is given.", "fraction",
                default_text="none (required with a source)", maximum=1.0,
                number_format=_FRACTION),
        _ident("party", "Party whose demand is multiplied while the event runs, or * for "
               "every party; blank: no demand effect.", Ref.PARTY, required=False,
               wildcard=True, default_text="no demand effect"),
        _number("demand_multiplier", "Demand multiplier while the event runs (1.5 = 50% more); "
                "used with party.", "factor", default=1.0, default_text="1", minimum=0.0,
                minimum_exclusive=True, bounds=FACTORS, number_format=_FRACTION, width=16),
    ),
    key=("risk",),
)

COVER_BASES: tuple[str, ...] = ("demand", "net_imports")
"""Allowed values of CoverTargets.basis (case-insensitive); the first is the default."""

LIST_SEPARATOR = ";"
"""Separates the names in a list cell (CoverTargets.domestic_sources,
ConcentrationLimits.excluded_sources)."""

CRMA_MAX_SHARE = 0.65
"""The EU Critical Raw Materials Act benchmark: at most 65% of a strategic raw material's
annual consumption from a single third country (Regulation (EU) 2024/1252, Art. 1(2)(c))."""

COVER_TARGETS = Sheet(
    "CoverTargets",
    "Stockpile floors in periods of cover (as JOGMEC's 60 days, KOMIR's 100 days or the IEA's "
    "90 days of net imports): the planned stock of a mineral (initial stock plus the "
    "purchases arrived) must be at least periods × the average per-period basis (baseline "
    "demand, or net imports) over the horizon, in every period from from_period on. A party "
    "target counts the party's own stockpiles and its cost share of joint "
    "ones (its demand is the basis); a stockpile target counts that stockpile (its members' "
    "demand, summed, is the basis). Fill exactly one of party and stockpile.",
    (
        _ident("target", "Name of this floor (unique)."),
        _ident("party", "Party whose stock (own stockpiles plus its cost share of joint ones) "
               "must cover its basis; leave blank for a stockpile target.", Ref.PARTY,
               required=False, default_text="none (a stockpile target)"),
        _ident("stockpile", "Stockpile whose stock must cover its members' basis; leave blank "
               "for a party target.", Ref.STOCKPILE, required=False,
               default_text="none (a party target)", width=18),
        _ident("mineral", "Mineral covered.", Ref.MINERAL),
        _number("periods", "Cover required, in periods of the basis (with annual periods, "
                "60 days ≈ 0.164, 90 days ≈ 0.247, 180 days ≈ 0.493).", "periods",
                required=True, bounds=COVER_PERIODS, number_format=_FRACTION),
        Column("basis", Kind.TEXT, "What is covered: demand (baseline demand d) or "
               "net_imports (per period max(0, demand − supply from the domestic_sources)).",
               default=COVER_BASES[0], default_text=COVER_BASES[0], width=14,
               choices=COVER_BASES),
        Column("domestic_sources", Kind.TEXT, "For basis net_imports: the sources counted as "
               f"own production, separated by '{LIST_SEPARATOR}' (for example "
               "'US-domestic; Canada').", default="domestic", default_text="domestic",
               width=22),
        _ident("from_period", "First period in which the floor applies: from then on the "
               "initial stock plus every purchase arrived by the start of the period must "
               "cover it. With purchase_timing start and no lead times every purchase arrives "
               "at the start, so this changes nothing; with lead times, a floor from an "
               "earlier period must be met by the purchases arrived by then.", Ref.PERIOD,
               required=False, default_text="the first period"),
    ),
    key=("target",),
)

CONCENTRATION_LIMITS = Sheet(
    "ConcentrationLimits",
    "Concentration caps (as the EU Critical Raw Materials Act's 65% benchmark): in every "
    "period, no single source may provide more than max_share of a party's baseline supply "
    "plus contracted offtake capacity of a mineral. Excluded sources (own or allied "
    "production) are not capped but count in the total. A row for a specific mineral "
    "overrides the party's * row for that mineral; the * row applies to every mineral the "
    "party has supply or offtake options for.",
    (
        _ident("party", "Party whose supply is capped.", Ref.PARTY),
        _ident("mineral", "Mineral capped, or * for every mineral the party is supplied with "
               "or offered offtakes of.", Ref.MINERAL, wildcard=True),
        _number("max_share", "The most any single (not excluded) source may provide, as a "
                "share of the party's baseline supply plus offtake capacity.", "fraction",
                default=CRMA_MAX_SHARE, default_text=f"{CRMA_MAX_SHARE} (the CRMA benchmark)",
                maximum=1.0, number_format=_FRACTION),
        Column("excluded_sources", Kind.TEXT, "Sources not capped (own or allied production), "
               f"separated by '{LIST_SEPARATOR}'; they still count in the total.",
               default_text="none", width=24),
    ),
    key=("party", "mineral"),
)

MITIGATION = Sheet(
    "Mitigation",
    "Demand-side mitigation options (substitution, economizing, austerity): in a scenario a "
    "party may cut its demand for a mineral by up to max_share, at a cost per tonne not "
    "consumed, from period lead_time + 1 on. A fee per t/period of prepared capacity is paid "
    "once from the party's budget.",
    (
        _ident("option", "Mitigation option name (unique)."),
        _ident("party", "Party whose demand is cut.", Ref.PARTY),
        _ident("mineral", "Mineral whose demand is cut.", Ref.MINERAL),
        _number("max_share", "The most of the party's demand (in each scenario and period) "
                "the option can cut.", "fraction", required=True, maximum=1.0,
                number_format=_FRACTION),
        _number("cost", "Cost per tonne of demand cut (substitute material, redesign, lost "
                "output), paid in the scenario.", "currency/t", default=0.0, default_text="0",
                bounds=MONEY_PER_TONNE, number_format=_MONEY),
        _number("lead_time", "Periods before the option can cut demand (it works from period "
                "lead_time + 1 on).", "periods", default=0.0, default_text="0", integer=True,
                maximum=MAX_PERIODS, number_format="0"),
        _number("fee", "Preparation fee per t/period of mitigation capacity, paid once from "
                "the party's budget.", "currency per t/period", default=0.0, default_text="0",
                bounds=MONEY_PER_TONNE, number_format=_MONEY, width=18),
    ),
    key=("option",),
)

SHEETS: tuple[Sheet, ...] = (
    SETTINGS, PERIODS, PARTIES, PERIOD_BUDGETS, MINERALS, PRICE_PATH, STOCKPILES, HOLDINGS,
    DEMAND, SUPPLY, OFFTAKES, SWAPS, SCENARIOS, DISRUPTIONS, DEMAND_SHOCKS, RISKS,
    COVER_TARGETS, CONCENTRATION_LIMITS, MITIGATION,
)
"""All input sheets, in the order the template lays them out."""

POLICY_SHEETS: tuple[Sheet, ...] = (COVER_TARGETS, CONCENTRATION_LIMITS, MITIGATION)
"""The optional policy-lever sheets (issue 8); a workbook without them gives the plain model."""

SHEETS_BY_KEY: dict[str, Sheet] = {s.name.lower(): s for s in SHEETS}
"""Sheets by case-folded name, for matching workbook sheet names."""

IGNORED_SHEETS: frozenset[str] = frozenset({"readme"})
"""Sheet names (case-folded) the reader skips without a warning."""

WILDCARD = "*"


@dataclass(frozen=True)
class Setting:
    """One key of the Settings sheet."""

    key: str
    kind: Kind
    description: str
    unit: str = ""
    default: float | str | None = None
    default_text: str = ""
    minimum: float | None = None
    maximum: float | None = None
    maximum_exclusive: bool = False
    smallest: float | None = None
    choices: tuple[str, ...] = ()
    """For a text setting with a fixed set of values (case-insensitive): those values."""

    def _column(self) -> Column:
        return Column(self.key, self.kind, self.description, unit=self.unit,
                      minimum=self.minimum, maximum=self.maximum,
                      maximum_exclusive=self.maximum_exclusive, smallest=self.smallest)

    def expected_range(self, with_unit: bool = False) -> str:
        """The allowed range in words."""
        return self._column().expected_range(with_unit)

    def in_range(self, value: float) -> bool:
        return self._column().in_range(value)


SETTINGS_KEYS: tuple[Setting, ...] = (
    Setting("risk_weight", Kind.NUMBER, "λ: weight of CVaR in the risk objective; 1 − λ weighs "
            "the expected loss.", "fraction", 0.5, "0.5", 0.0, 1.0),
    Setting("cvar_alpha", Kind.NUMBER, "α: CVaR level; CVaR is the mean loss of the worst "
            "1 − α of probability.", "fraction", 0.9, "0.9", 0.0, 1.0, maximum_exclusive=True),
    Setting("pooled_budget", Kind.NUMBER, "A budget over the spending of all parties together.",
            "currency", None, "none", 0.0, BUDGET[1], smallest=BUDGET[0]),
    Setting("currency", Kind.TEXT, "The base currency: prices, fees and outputs are in it.",
            "", "USD", "USD"),
    Setting("exchange_rates", Kind.TEXT, "Rates of the parties' own currencies, as units of "
            "the base currency per unit, e.g. 'EUR=1.08; GBP=1.27': items CODE=rate separated "
            "by ';', codes matched exactly (case matters), each rate from 1e-06 to 1e6; a rate "
            "for the base currency must be 1. A party's budget enters as budget × rate.", "",
            None, "none"),
    Setting("party_risk_limit", Kind.TEXT, "none, or alone: no party's risk R_p above what "
            "it reaches acting alone (FORMULATION-v2 section 4).", "", PARTY_RISK_LIMITS[0],
            PARTY_RISK_LIMITS[0], choices=PARTY_RISK_LIMITS),
    Setting("purchase_timing", Kind.TEXT, "When stockpile orders may be placed: start (in "
            "the first period only, as v1) or periods (at the start of any period, each "
            "order arriving lead_time periods later; FORMULATION-v2 section 6).", "",
            PURCHASE_TIMINGS[0], PURCHASE_TIMINGS[0], choices=PURCHASE_TIMINGS),
)
"""The keys the Settings sheet understands."""

SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS_KEYS}
