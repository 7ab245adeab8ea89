"""Checking the input tables against every rule of the workbook format.

``validate`` reports every problem it finds, each naming the sheet, the Excel rows,
the column, what was expected and what was found; it changes nothing. Defaults are
applied afterwards, by ``normalize``.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from .currency import close_match, parse_exchange_rates
from .problems import Problems, found_text, number_text, quoted
from .reader import DECIMAL_TEXT, INVALID, Invalid, RawWorkbook, Record, Table
from .schema import (
    ACCESS_MODES,
    CONCENTRATION_LIMITS,
    COVER_BASES,
    COVER_TARGETS,
    DEMAND,
    DEMAND_SHOCKS,
    DISRUPTIONS,
    HOLDINGS,
    LIST_SEPARATOR,
    MINERALS,
    MITIGATION,
    OFFTAKES,
    PARTIES,
    PERIOD_BUDGETS,
    PERIODS,
    PRICE_PATH,
    PURCHASE_TIMINGS,
    RISKS,
    SCENARIOS,
    SETTINGS,
    SETTINGS_BY_KEY,
    SETTINGS_KEYS,
    SHEETS,
    STOCKPILES,
    SUPPLY,
    SWAPS,
    WILDCARD,
    Kind,
    Ref,
    Setting,
)

SUM_TOLERANCE = 1e-6
"""How far probabilities and cost shares may be from summing to 1."""

MAX_BUDGET_ROW_SPREAD = 1e7
"""The most the costs in one budget row may differ: the largest over the smallest nonzero
cost of a typical quantity (a cost per tonne times its mineral's typical tonnage, see
``typical_tonnage``). Measured on the bundled example: spreads up to 1e9 solve within the
budget, from 7e8 .. 3e9 plans break the budget or fail (README "What bad input gets")."""

MAX_COST_TO_BUDGET = 1e5
"""The most a typical quantity of one budgeted item may cost, in budgets (the budget must
buy at least 1/100,000 of it). Measured: 5e5 solves within the budget, from 5e6 (one price)
or 1e7 (every price) the plan breaks the budget."""

MAX_LOSS_SPREAD = 1e7
"""The most the weights of a tonne short may differ across the Demand sheet: criticality /
demand × the mineral's typical tonnage (one LP row, the loss). Measured: 1e8 solves, 1e9 ends
"unbounded"."""


def validate(raw: RawWorkbook, problems: Problems) -> None:
    """Check every table of ``raw``; append every problem found to ``problems``."""
    for sheet in SHEETS:
        if sheet is not SETTINGS:
            _check_cells(raw[sheet.name], problems)
    _check_settings(raw[SETTINGS.name], problems)
    declared = _check_declarations(raw, problems)
    _check_references(raw, declared, problems)
    _check_keys(raw, problems)
    _check_stockpiles(raw[STOCKPILES.name], problems)
    _check_access(raw[STOCKPILES.name], problems)
    _check_holdings(raw[HOLDINGS.name], problems)
    _check_probabilities(raw[SCENARIOS.name], problems)
    positions = period_positions(raw)
    _check_period_ranges(raw[DISRUPTIONS.name], positions, problems)
    _check_period_ranges(raw[DEMAND_SHOCKS.name], positions, problems)
    _check_swaps(raw, declared, problems)
    _check_sources(raw, problems)
    _check_unused(raw, problems)
    _check_risks(raw, problems)
    _check_cover_targets(raw, declared, problems)
    _check_concentration_limits(raw, declared, problems)
    _check_mitigation(raw, declared, problems)
    _check_currencies(raw, problems)
    _check_schedule(raw, declared, problems)
    if not problems.has_errors:
        _check_budget_rows(raw, problems)
        _check_loss_row(raw, problems)


def _valid(value: object) -> bool:
    return value is not None and not isinstance(value, Invalid)


def _check_cells(table: Table, problems: Problems) -> None:
    """Required cells present, numbers in range."""
    present = table.columns
    for rec in table.records:
        for col in table.sheet.columns:
            if col.name not in present:
                continue
            value = rec[col.name]
            if value is None:
                if col.required:
                    problems.error(table.title, rec.row, col.name,
                                   _what(col) + " (required)", "a blank cell")
                continue
            if value is INVALID:
                continue
            if col.kind is Kind.NUMBER and not col.in_range(value):
                hint = ""
                if col.is_fraction and 10 <= value <= 100 and float(value).is_integer():
                    hint = (f" (shares are fractions: {value / 100:g} for {value:g} %, "
                            "not a percentage)")
                problems.error(table.title, rec.row, col.name, col.expected_range(True),
                               found_text(value) + hint, cell=_cell(table, col.name, rec.row))


def _cell(table: Table, column: str, row: int) -> str | None:
    """The cell reference (e.g. "B3") of ``column`` in Excel row ``row``."""
    letter = table.columns.get(column)
    return f"{letter}{row}" if letter else None


def _what(col) -> str:  # noqa: ANN001
    if col.kind is Kind.NUMBER:
        return col.expected_range()
    if col.kind is Kind.IDENTIFIER:
        return "a name" + (" or *" if col.wildcard else "")
    return "a value"


def _check_settings(table: Table, problems: Problems) -> None:
    if "key" not in table.columns:
        return  # reported as a missing column
    seen: dict[str, list[int]] = defaultdict(list)
    for rec in table.records:
        key = rec["key"]
        if not _valid(key):
            if key is None and _valid(rec["value"]):
                problems.error(table.title, rec.row, "key", "a setting name ("
                               + ", ".join(s.key for s in SETTINGS_KEYS) + ")", "a blank cell")
            continue
        name = str(key).strip().lower()
        seen[name].append(rec.row)
        setting = SETTINGS_BY_KEY.get(name)
        if setting is None:
            problems.error(table.title, rec.row, "key", "a known setting ("
                           + ", ".join(s.key for s in SETTINGS_KEYS) + ")",
                           f"{quoted(key)}, which is none of them (its value would be "
                           "ignored and the default used)"
                           + _setting_suggestion(str(key)),
                           cell=_cell(table, "key", rec.row))
            continue
        value = rec["value"]
        if _valid(value) and setting.choices and setting_choice(setting, value) is None:
            problems.error(table.title, rec.row, "value",
                           f"one of {', '.join(setting.choices)} for {setting.key}",
                           found_text(value) + did_you_mean(str(value), setting.choices),
                           cell=_cell(table, "value", rec.row))
            continue
        if not _valid(value) or setting.kind is not Kind.NUMBER:
            continue  # blank: the default; unreadable: already reported
        number = as_number(value)
        if number is None or not setting.in_range(number):
            problems.error(table.title, rec.row, "value",
                           f"{setting.expected_range(True)} for {setting.key}",
                           found_text(value if number is None else number),
                           cell=_cell(table, "value", rec.row))
    for name, rows in seen.items():
        if len(rows) > 1:
            problems.error(table.title, rows, "key", f"the setting {name} once",
                           f"it {len(rows)} times")


def as_number(value: object) -> float | None:
    """``value`` as a float: a number, or text that spells one (``DECIMAL_TEXT``);
    None for booleans, other text, NaN and infinities."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if DECIMAL_TEXT.match(text):
        number = float(text)
        return number if number == number and abs(number) != float("inf") else None
    return None


_DECLARING = {
    Ref.PERIOD: (PERIODS, "period"),
    Ref.PARTY: (PARTIES, "party"),
    Ref.MINERAL: (MINERALS, "mineral"),
    Ref.SCENARIO: (SCENARIOS, "scenario"),
}


def _check_declarations(raw: RawWorkbook,
                        problems: Problems) -> dict[Ref, set[str] | None]:
    """Collect the declared names of each kind; duplicates and empty tables are errors.

    A kind whose declaring sheet or column is missing, or which declares no readable
    name, maps to None: that problem is already reported, and references to the kind
    are not checked (they would all fail and bury the one real problem).
    """
    declared: dict[Ref, set[str] | None] = {}
    for ref, (sheet, column) in _DECLARING.items():
        table = raw[sheet.name]
        names = _unique_names(table, column, problems)
        declared[ref] = names or None
        if table.present and column in table.columns and not table.records:
            problems.error(table.title, 2, column, f"at least one {column}", "no rows")
    stockpiles = raw[STOCKPILES.name]
    declared[Ref.STOCKPILE] = {str(r["stockpile"]) for r in stockpiles.records
                               if _valid(r["stockpile"])}
    if stockpiles.present and "stockpile" not in stockpiles.columns:
        declared[Ref.STOCKPILE] = None
    _unique_names(raw[OFFTAKES.name], "offtake", problems)
    _unique_names(raw[SWAPS.name], "swap", problems)
    _check_reserved(raw, problems)
    return declared


_RESERVED_IN = ((PARTIES, "party"), (MINERALS, "mineral"), (STOCKPILES, "stockpile"),
                (SCENARIOS, "scenario"), (PERIODS, "period"), (SUPPLY, "source"),
                (OFFTAKES, "source"))


def _check_reserved(raw: RawWorkbook, problems: Problems) -> None:
    """``*`` means "every value" in Disruptions and DemandShocks, so it cannot be a name."""
    for sheet, column in _RESERVED_IN:
        table = raw[sheet.name]
        for rec in table.records:
            if rec[column] == WILDCARD:
                problems.error(table.title, rec.row, column,
                               "a name other than * (* means every value)", "'*'",
                               cell=_cell(table, column, rec.row))


def _unique_names(table: Table, column: str, problems: Problems) -> set[str]:
    rows: dict[str, list[int]] = defaultdict(list)
    for rec in table.records:
        name = rec[column]
        if _valid(name):
            rows[str(name)].append(rec.row)
    for name, where in rows.items():
        if len(where) > 1:
            problems.error(table.title, where, column, f"each {column} named once",
                           f"{quoted(name)} {len(where)} times")
    return set(rows)


def _check_references(raw: RawWorkbook, declared: dict[Ref, set[str] | None],
                      problems: Problems) -> None:
    """Every identifier that refers to a declared name must find it."""
    where = {ref: f"the {sheet.name} sheet" for ref, (sheet, _c) in _DECLARING.items()}
    where[Ref.STOCKPILE] = "the Stockpiles sheet"
    for sheet in SHEETS:
        table = raw[sheet.name]
        for col in sheet.columns:
            if col.references is None or col.references is Ref.SOURCE:
                continue
            if col.name not in table.columns:
                continue
            names = declared[col.references]
            if names is None:
                continue
            for rec in table.records:
                value = rec[col.name]
                if not _valid(value):
                    continue
                if col.wildcard and value == WILDCARD:
                    continue
                if value not in names:
                    kind = col.references.value
                    problems.error(table.title, rec.row, col.name,
                                   f"a {kind} declared in {where[col.references]}"
                                   + (" (or *)" if col.wildcard else ""),
                                   f"{quoted(value)}, which is not declared"
                                   + suggestion(str(value), names),
                                   cell=_cell(table, col.name, rec.row))


def _check_keys(raw: RawWorkbook, problems: Problems) -> None:
    """Two records with the same key on Stockpiles, Holdings, Demand, PricePath,
    PeriodBudgets or ConcentrationLimits are errors (on ConcentrationLimits a * row and a row
    for one mineral are different keys: the specific row overrides the * row for that
    mineral). A blank optional key cell (Demand period) is part of the key; a blank required
    one is reported on its own and the row is left out here."""
    for sheet in (STOCKPILES, HOLDINGS, DEMAND, PRICE_PATH, PERIOD_BUDGETS,
                  CONCENTRATION_LIMITS):
        table = raw[sheet.name]
        if not all(k in table.columns or not sheet.column(k).required for k in sheet.key):
            continue
        rows: dict[tuple, list[int]] = defaultdict(list)
        for rec in table.records:
            key = tuple(rec[k] for k in sheet.key)
            if any(isinstance(v, Invalid) for v in key):
                continue
            if any(v is None for k, v in zip(sheet.key, key, strict=True)
                   if sheet.column(k).required):
                continue
            rows[key].append(rec.row)
        for key, where in rows.items():
            if len(where) > 1:
                shown = ", ".join(f"{k} {quoted(v)}" if v is not None else f"{k} blank"
                                  for k, v in zip(sheet.key, key, strict=True))
                problems.error(table.title, where, ", ".join(sheet.key),
                               "one row per " + " and ".join(sheet.key),
                               f"{len(where)} rows for {shown}")


def _check_stockpiles(table: Table, problems: Problems) -> None:
    members: dict[str, list[Record]] = defaultdict(list)
    for rec in table.records:
        if _valid(rec["stockpile"]):
            members[str(rec["stockpile"])].append(rec)
    for name, recs in members.items():
        shares = [r["cost_share"] for r in recs]
        share_col = STOCKPILES.column("cost_share")
        if any(isinstance(s, Invalid) or (s is not None and not share_col.in_range(s))
               for s in shares):
            continue  # already reported, cell by cell
        if len(recs) == 1:
            continue
        blanks = [r.row for r in recs if r["cost_share"] is None]
        if blanks:
            problems.error(table.title, blanks, "cost_share",
                           f"a cost share for each member of the joint stockpile {quoted(name)}",
                           "a blank cell")
            continue
        total = sum(float(s) for s in shares)
        if abs(total - 1.0) > SUM_TOLERANCE:
            problems.error(table.title, [r.row for r in recs], "cost_share",
                           f"the cost shares of stockpile {quoted(name)} to sum to 1",
                           f"a sum of {_sum_text(total)}")
    for name, recs in members.items():
        share = recs[0]["cost_share"]
        if len(recs) == 1 and _valid(share) and STOCKPILES.column("cost_share").in_range(share) \
                and abs(float(share) - 1.0) > SUM_TOLERANCE:
            problems.error(table.title, recs[0].row, "cost_share",
                           f"a cost share of 1 (or blank) for {quoted(name)}, its only member",
                           found_text(recs[0]["cost_share"]),
                           cell=_cell(table, "cost_share", recs[0].row))


def access_mode(value: object) -> str | None:
    """The Stockpiles access of a cell: the default ("free") when blank, the lower-case
    choice when it is one of ``schema.ACCESS_MODES``, None otherwise (an error)."""
    if value is None or not str(value).strip():
        return str(STOCKPILES.column("access").default)
    text = str(value).strip().lower()
    return text if text in ACCESS_MODES else None


def _check_access(table: Table, problems: Problems) -> None:
    """Stockpiles.access (FORMULATION-v2 section 5): free or shares, case-insensitive (a
    near miss gets a suggestion); one value for all rows of a stockpile, a blank cell
    counting as the default free (so blank beside shares is a conflict); shares on a
    stockpile with a single member is a warning (the member's share is 1: no limit)."""
    if "access" not in table.columns:
        return
    default = str(STOCKPILES.column("access").default)
    modes: dict[str, list[tuple[Record, str]]] = defaultdict(list)
    for rec in table.records:
        value = rec["access"]
        if isinstance(value, Invalid):
            continue  # already reported, cell by cell
        mode = access_mode(value)
        if mode is None:
            close = difflib.get_close_matches(str(value).strip().lower(), ACCESS_MODES, n=1,
                                              cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.error(table.title, rec.row, "access",
                           " or ".join(ACCESS_MODES) + f" (blank means {default})",
                           found_text(value) + hint, cell=_cell(table, "access", rec.row))
        elif _valid(rec["stockpile"]):
            modes[str(rec["stockpile"])].append((rec, mode))
    for name, given in modes.items():
        found = sorted({mode for _rec, mode in given}, key=ACCESS_MODES.index)
        if len(found) > 1:
            parts = []
            for mode in found:
                rows = [rec.row for rec, m in given if m == mode]
                blank = [rec.row for rec, m in given if m == mode and rec["access"] is None]
                text = f"{mode} on row{'s' if len(rows) > 1 else ''} " + \
                    ", ".join(str(r) for r in rows)
                if blank:
                    text += " (a blank cell means " + default + ")"
                parts.append(text)
            problems.error(table.title, sorted(rec.row for rec, _m in given), "access",
                           f"the same access on every row of stockpile {quoted(name)}",
                           "; ".join(parts))
            continue
        parties = {str(rec["party"]) for rec, _m in given if _valid(rec["party"])}
        if found == ["shares"] and len(parties) == 1:
            rows = [rec.row for rec, _m in given]
            problems.warning(table.title, rows, "access",
                             "access shares only on a joint stockpile (several members)",
                             f"shares on {quoted(name)}, whose only member is "
                             f"{quoted(next(iter(parties)))} (its share is 1: it changes "
                             "nothing)", cell=_cell(table, "access", rows[0])
                             if len(rows) == 1 else None)


def _sum_text(total: float) -> str:
    """A sum for a message: 0.9, not 0.8999999999999999; 1.000002 kept visible."""
    return number_text(round(total, 9))


def _check_holdings(table: Table, problems: Problems) -> None:
    for rec in table.records:
        s0, cap = rec["initial_stock"], rec["max_stock"]
        if _valid(s0) and _valid(cap) and s0 > cap:
            problems.error(table.title, rec.row, "initial_stock",
                           f"an initial stock no larger than max_stock ({number_text(cap)} t)",
                           f"{number_text(s0)} t", cell=_cell(table, "initial_stock", rec.row))


def _check_probabilities(table: Table, problems: Problems) -> None:
    if not table.records or "probability" not in table.columns:
        return
    values = [r["probability"] for r in table.records]
    if any(not _valid(v) for v in values):
        return
    total = sum(values)
    if abs(total - 1.0) > SUM_TOLERANCE:
        hint = (" (probabilities are fractions: divide each by 100)"
                if abs(total - 100.0) <= 100 * SUM_TOLERANCE else "")
        problems.error(table.title, [r.row for r in table.records], "probability",
                       "scenario probabilities that sum to 1",
                       f"a sum of {_sum_text(total)}{hint}")


def period_positions(raw: RawWorkbook) -> dict[str, int]:
    """Period label -> period number (1-based), in the order of the Periods sheet."""
    positions: dict[str, int] = {}
    for rec in raw[PERIODS.name].records:
        label = rec["period"]
        if _valid(label) and label not in positions:
            positions[str(label)] = len(positions) + 1
    return positions


def _check_period_ranges(table: Table, positions: dict[str, int], problems: Problems) -> None:
    for rec in table.records:
        start, end = rec["start_period"], rec["end_period"]
        if start in positions and end in positions and positions[start] > positions[end]:
            problems.error(table.title, rec.row, "start_period, end_period",
                           f"a start period no later than the end period {quoted(end)}",
                           f"start {quoted(start)}")


def _check_swaps(raw: RawWorkbook, declared: dict[Ref, set[str] | None],
                 problems: Problems) -> None:
    """A swap's lender stockpile must hold both the drawn and the return mineral.

    Names that are not declared are reported once, as such, and not checked here.
    """
    table = raw[SWAPS.name]
    holdings = raw[HOLDINGS.name]
    if holdings.present and not {"stockpile", "mineral"} <= set(holdings.columns):
        return  # reported as a missing column
    held = {(str(r["stockpile"]), str(r["mineral"])) for r in holdings.records
            if _valid(r["stockpile"]) and _valid(r["mineral"])}
    stockpiles, minerals = declared[Ref.STOCKPILE], declared[Ref.MINERAL]

    def known(name: object, names: set[str] | None) -> bool:
        return _valid(name) and (names is None or name in names)

    for rec in table.records:
        lender, mineral, back = rec["lender_stockpile"], rec["mineral"], rec["return_mineral"]
        if not known(lender, stockpiles):
            continue
        if known(mineral, minerals) and (lender, mineral) not in held:
            problems.error(table.title, rec.row, "mineral",
                           f"a mineral that the lender stockpile {quoted(lender)} holds (a "
                           "Holdings row for that stockpile and mineral)",
                           f"{quoted(mineral)}, which {quoted(lender)} does not hold")
        if known(back, minerals) and back != mineral and (lender, back) not in held:
            problems.error(table.title, rec.row, "return_mineral",
                           f"a return mineral that the lender stockpile {quoted(lender)} holds (a "
                           "Holdings row for that stockpile and mineral)",
                           f"{quoted(back)}, which {quoted(lender)} does not hold")


def _check_sources(raw: RawWorkbook, problems: Problems) -> None:
    named = _supply_sources(raw)
    table = raw[DISRUPTIONS.name]
    if named is None:
        return
    for rec in table.records:
        source = rec["source"]
        if _valid(source) and source != WILDCARD and source not in named:
            problems.error(table.title, rec.row, "source",
                           "a source named on the Supply or Offtakes sheet (or *)",
                           f"{quoted(source)}, which no Supply or Offtakes row names (the row "
                           "would disrupt nothing)" + suggestion(str(source), named),
                           cell=_cell(table, "source", rec.row))


def _check_unused(raw: RawWorkbook, problems: Problems) -> None:
    held = {str(r["stockpile"]) for r in raw[HOLDINGS.name].records if _valid(r["stockpile"])}
    table = raw[STOCKPILES.name]
    reported: set[str] = set()
    for rec in table.records:
        name = rec["stockpile"]
        if _valid(name) and name not in held and name not in reported:
            reported.add(name)
            problems.warning(table.title, rec.row, "stockpile",
                             f"a Holdings row for stockpile {quoted(name)}",
                             "none (the stockpile can hold nothing)")
    demand = raw[DEMAND.name]
    if demand.present and not demand.records:
        problems.warning(demand.title, None, None, "demand rows",
                         "no rows (all demand is 0, so there is no shortfall risk)")


# --- Risks (the risk register used to sample scenarios) ---------------------------------------

RISK_EVENT_COLUMNS = ("start_probability", "min_duration", "max_duration")
"""Columns on which the rows of one Risks group must agree (they are one event)."""


def risk_durations(rec: Record) -> tuple[float | None, float | None]:
    """(min_duration, max_duration) of a Risks row with the defaults applied (periods).

    None where the cell could not be read (already reported).
    """
    lo, hi = rec["min_duration"], rec["max_duration"]
    if isinstance(lo, Invalid) or isinstance(hi, Invalid):
        return None, None
    lo_value = 1.0 if lo is None else float(lo)
    return lo_value, lo_value if hi is None else float(hi)


def _check_risks(raw: RawWorkbook, problems: Problems) -> None:
    """Rules of the Risks sheet beyond single cells: unique names, effects, durations, groups.

    Every row needs an effect (a source with its availability, or a party with its demand
    multiplier); min_duration ≤ max_duration; rows of one group agree on start_probability
    and durations; a source that no Supply or Offtakes row names is an error (with the
    closest declared name suggested).
    """
    table = raw[RISKS.name]
    if not table.present or not table.records:
        return
    _unique_names(table, "risk", problems)
    named = _supply_sources(raw)
    for rec in table.records:
        source, party = rec["source"], rec["party"]
        avail, mult = rec["availability"], rec["demand_multiplier"]
        if source is None and party is None:
            problems.error(table.title, rec.row, "source, party",
                           "a source (a supply cut, with availability) or a party (a demand "
                           "surge, with demand_multiplier), or both", "both blank (the row "
                           "has no effect)")
        if source is not None and avail is None:
            problems.error(table.title, rec.row, "availability",
                           "an availability (a number ≥ 0 and ≤ 1) for the source "
                           f"{quoted(source)}",
                           "a blank cell")
        if source is None and avail is not None:
            problems.error(table.title, rec.row, "source",
                           "a source (or *) for the availability given on this row",
                           "a blank cell", cell=_cell(table, "source", rec.row))
        if party is None and mult is not None:
            problems.error(table.title, rec.row, "party",
                           "a party (or *) for the demand_multiplier given on this row",
                           "a blank cell", cell=_cell(table, "party", rec.row))
        if named is not None and _valid(source) and source != WILDCARD and source not in named:
            problems.error(table.title, rec.row, "source",
                           "a source named on the Supply or Offtakes sheet (or *)",
                           f"{quoted(source)}, which no Supply or Offtakes row names (the row "
                           "would cut nothing)" + suggestion(str(source), named),
                           cell=_cell(table, "source", rec.row))
        lo, hi = risk_durations(rec)
        if lo is not None and hi is not None and lo > hi:
            problems.error(table.title, rec.row, "min_duration, max_duration",
                           f"a min_duration no longer than max_duration ({number_text(hi)})",
                           f"min_duration {number_text(lo)}")
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in table.records:
        if _valid(rec["group"]):
            groups[str(rec["group"])].append(rec)
    for name, recs in groups.items():
        if len(recs) < 2:
            continue
        values = {
            "start_probability": [r["start_probability"] for r in recs],
            "min_duration": [risk_durations(r)[0] for r in recs],
            "max_duration": [risk_durations(r)[1] for r in recs],
        }
        for column in RISK_EVENT_COLUMNS:
            seen = values[column]
            if any(not _valid(v) for v in seen):
                continue  # blank or unreadable: reported cell by cell
            if len(set(seen)) > 1:
                shown = ", ".join(number_text(float(v)) for v in dict.fromkeys(seen))
                problems.error(table.title, [r.row for r in recs], column,
                               f"the same {column} on every row of group {quoted(name)} (one "
                               "event: its rows start and end together)",
                               f"different values ({shown})")


# --- Policy levers: CoverTargets, ConcentrationLimits, Mitigation ------------------------------

def split_names(value: object) -> tuple[str, ...]:
    """The names in a list cell ('US-domestic; Canada' -> ('US-domestic', 'Canada')).

    Names are separated by ``schema.LIST_SEPARATOR`` and trimmed; blank items are dropped,
    repeated ones kept once (first-seen order). A blank or unreadable cell gives ().
    """
    if not _valid(value):
        return ()
    parts = (part.strip() for part in str(value).split(LIST_SEPARATOR))
    return tuple(dict.fromkeys(part for part in parts if part))


def closest_name(value: str, names: Iterable[str]) -> str | None:
    """The declared name ``value`` most likely means: the one equal to it but for case or
    surrounding spaces, else the closest by spelling (difflib ratio ≥ 0.75); None if
    none is close."""
    known = sorted(str(n) for n in names)
    folded = value.strip().casefold()
    same = [n for n in known if n.strip().casefold() == folded]
    if same:
        return same[0]
    close = difflib.get_close_matches(folded, [n.casefold() for n in known], n=1, cutoff=0.75)
    return next((n for n in known if n.casefold() == close[0]), None) if close else None


def suggestion(value: str, names: Iterable[str]) -> str:
    """" (did you mean 'X'?)" for the closest declared name, or ""."""
    near = closest_name(value, names)
    return f" (did you mean {quoted(near)}?)" if near is not None and near != value else ""


def _setting_suggestion(key: str) -> str:
    """" (did you mean 'risk_weight'?)" for a Settings key that is a near miss of a known
    one (case, spaces or hyphens for underscores, a small edit), else ""."""
    near = closest_name(re.sub(r"[\s-]+", "_", key.strip()), [s.key for s in SETTINGS_KEYS])
    return f" (did you mean {quoted(near)}?)" if near is not None else ""


def setting_choice(setting: Setting, value: object) -> str | None:
    """The lower-case choice a text setting's cell names: its default when blank, None
    when it is none of ``setting.choices`` (an error)."""
    if value is None:
        return None if setting.default is None else str(setting.default)
    text = str(value).strip().lower()
    return text if text in setting.choices else None


def did_you_mean(text: str, choices: Sequence[str]) -> str:
    """" (did you mean X?)" when ``text`` is a near miss of one of ``choices``, else ""."""
    close = difflib.get_close_matches(text.strip().lower(), [c.lower() for c in choices],
                                      n=1, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean {next(c for c in choices if c.lower() == close[0])}?)"


def cover_basis(value: object) -> str | None:
    """The CoverTargets basis of a cell: its default when blank, the lower-case choice when
    it is one of ``schema.COVER_BASES``, None otherwise (an error)."""
    if value is None:
        return str(COVER_TARGETS.column("basis").default)
    text = str(value).strip().lower()
    return text if text in COVER_BASES else None


def _supply_sources(raw: RawWorkbook, sheets: tuple = (SUPPLY, OFFTAKES)) -> set[str] | None:
    """The sources named on ``sheets``; None when one of them lacks its source column
    (reported as a missing column, so nothing can be said about names that match none)."""
    if any(raw[t.name].present and "source" not in raw[t.name].columns for t in sheets):
        return None
    return {str(r["source"]) for t in sheets for r in raw[t.name].records if _valid(r["source"])}


def _held(raw: RawWorkbook) -> set[tuple[str, str]] | None:
    """(stockpile, mineral) pairs with a Holdings row; None when the sheet lacks a key column."""
    holdings = raw[HOLDINGS.name]
    if holdings.present and not {"stockpile", "mineral"} <= set(holdings.columns):
        return None  # reported as a missing column
    return {(str(r["stockpile"]), str(r["mineral"])) for r in holdings.records
            if _valid(r["stockpile"]) and _valid(r["mineral"])}


def _known(name: object, names: set[str] | None) -> bool:
    """A readable name that is declared (or whose kind could not be checked)."""
    return _valid(name) and name != WILDCARD and (names is None or name in names)


def _check_cover_targets(raw: RawWorkbook, declared: dict[Ref, set[str] | None],
                         problems: Problems) -> None:
    """CoverTargets: unique names; exactly one of party and stockpile; a known basis; the
    floor's stockpile (or one of the party's stockpiles) holds the mineral; domestic
    sources that no Supply row names are errors (the closest suggested); sources that supply
    other parties or minerals only, and a default that matches nothing, get a warning."""
    table = raw[COVER_TARGETS.name]
    if not table.present or not table.records:
        return
    _unique_names(table, "target", problems)
    held = _held(raw)
    memberships: dict[str, set[str]] = defaultdict(set)  # party -> stockpiles it is in
    members: dict[str, set[str]] = defaultdict(set)  # stockpile -> its member parties
    for rec in raw[STOCKPILES.name].records:
        if _valid(rec["stockpile"]) and _valid(rec["party"]):
            memberships[str(rec["party"])].add(str(rec["stockpile"]))
            members[str(rec["stockpile"])].add(str(rec["party"]))
    supplied: dict[tuple[str, str], set[str]] = defaultdict(set)  # (party, mineral) -> sources
    for rec in raw[SUPPLY.name].records:
        if _valid(rec["party"]) and _valid(rec["mineral"]) and _valid(rec["source"]):
            supplied[(str(rec["party"]), str(rec["mineral"]))].add(str(rec["source"]))
    every_supply = _supply_sources(raw, (SUPPLY,))
    parties, stockpiles = declared[Ref.PARTY], declared[Ref.STOCKPILE]
    minerals = declared[Ref.MINERAL]
    for rec in table.records:
        party, stockpile, mineral = rec["party"], rec["stockpile"], rec["mineral"]
        if party is None and stockpile is None:
            problems.error(table.title, rec.row, "party, stockpile",
                           "a party or a stockpile (exactly one: whose stock must cover the "
                           "floor)", "both blank")
        elif party is not None and stockpile is not None:
            problems.error(table.title, rec.row, "party, stockpile",
                           "a party or a stockpile, not both (a party target counts the "
                           "party's stockpiles; a stockpile target one stockpile)",
                           f"both filled (party {quoted(party)}, stockpile {quoted(stockpile)})")
        elif held is not None and _known(mineral, minerals):
            if stockpile is not None and _known(stockpile, stockpiles) \
                    and (stockpile, mineral) not in held:
                problems.error(table.title, rec.row, "mineral",
                               f"a mineral that stockpile {quoted(stockpile)} holds (a Holdings "
                               "row for that stockpile and mineral)",
                               f"{quoted(mineral)}, which {quoted(stockpile)} does not hold (the "
                               "floor could never be met)", cell=_cell(table, "mineral", rec.row))
            if party is not None and _known(party, parties) and not any(
                    (k, mineral) in held for k in memberships.get(str(party), ())):
                problems.error(table.title, rec.row, "mineral",
                               f"a mineral that a stockpile of party {quoted(party)} holds (a "
                               "Holdings row for a stockpile the party is a member of)",
                               f"{quoted(mineral)}, which no stockpile of {quoted(party)} holds "
                               "(the floor could never be met)",
                               cell=_cell(table, "mineral", rec.row))
        basis = cover_basis(rec["basis"]) if not isinstance(rec["basis"], Invalid) else ""
        if basis is None:
            problems.error(table.title, rec.row, "basis",
                           " or ".join(COVER_BASES) + " (blank means "
                           f"{COVER_BASES[0]})", found_text(rec["basis"]),
                           cell=_cell(table, "basis", rec.row))
        given = rec["domestic_sources"]
        if basis == "net_imports":
            names = split_names(given) if given is not None else split_names(
                COVER_TARGETS.column("domestic_sources").default)
            covered = [str(party)] if party is not None else sorted(
                members.get(str(stockpile), ()))
            named = set().union(*(supplied[(p, str(mineral))] for p in covered))
            nowhere = [c for c in names if c not in every_supply] \
                if given is not None and every_supply is not None else []
            if nowhere:
                problems.error(table.title, rec.row, "domestic_sources",
                               "sources named on the Supply sheet",
                               ", ".join(f"{quoted(c)}{suggestion(c, every_supply)}"
                                         for c in nowhere)
                               + ", which no Supply row names (they would reduce no imports)",
                               cell=_cell(table, "domestic_sources", rec.row))
            unknown = [c for c in names if c not in named and c not in nowhere] \
                if every_supply is not None else []
            if unknown and (party is None) != (stockpile is None):
                what = "" if given is not None else " (the default)"
                who = f"party {quoted(party)}" if party is not None else \
                    f"the members of {quoted(stockpile)}"
                problems.warning(table.title, rec.row, "domestic_sources",
                                 f"sources that supply {who} with {quoted(mineral)} on the Supply "
                                 "sheet", ", ".join(f"{quoted(c)}" for c in unknown) + f"{what}, "
                                 "which supply none (they reduce no imports)",
                                 cell=_cell(table, "domestic_sources", rec.row))
        elif basis == "demand" and _valid(given) and split_names(given):
            problems.warning(table.title, rec.row, "domestic_sources",
                             "domestic_sources only with basis net_imports",
                             f"{quoted(given)} with basis demand (ignored)",
                             cell=_cell(table, "domestic_sources", rec.row))


def _check_concentration_limits(raw: RawWorkbook, declared: dict[Ref, set[str] | None],
                                problems: Problems) -> None:
    """ConcentrationLimits (duplicate rows are checked with the other keys): excluded
    sources that no Supply or Offtakes row names are errors (the closest suggested); rows
    that cap nothing get warnings."""
    table = raw[CONCENTRATION_LIMITS.name]
    if not table.present or not table.records:
        return
    named = _supply_sources(raw)
    options: set[tuple[str, str]] = set()  # (party, mineral) with supply or offtakes
    for sheet in (SUPPLY, OFFTAKES):
        for r in raw[sheet.name].records:
            if _valid(r["party"]) and _valid(r["mineral"]):
                options.add((str(r["party"]), str(r["mineral"])))
    minerals = declared[Ref.MINERAL]
    for rec in table.records:
        unknown = [c for c in split_names(rec["excluded_sources"]) if c not in named] \
            if named is not None else []
        if unknown:
            problems.error(table.title, rec.row, "excluded_sources",
                           "sources named on the Supply or Offtakes sheet",
                           ", ".join(f"{quoted(c)}{suggestion(c, named)}" for c in unknown)
                           + ", which no Supply or Offtakes row names (excluding a source no "
                           "row names would change nothing)",
                           cell=_cell(table, "excluded_sources", rec.row))
        party, mineral = rec["party"], rec["mineral"]
        if _valid(party) and _known(mineral, minerals) and (party, mineral) not in options:
            problems.warning(table.title, rec.row, "mineral",
                             f"a mineral that party {quoted(party)} is supplied with or offered "
                             "offtakes of", f"{quoted(mineral)}, which it is not (the row caps "
                             "nothing)", cell=_cell(table, "mineral", rec.row))


def _check_mitigation(raw: RawWorkbook, declared: dict[Ref, set[str] | None],
                      problems: Problems) -> None:
    """Mitigation: unique option names; an option on a (party, mineral) without demand gets
    a warning (it cuts nothing)."""
    table = raw[MITIGATION.name]
    if not table.present or not table.records:
        return
    _unique_names(table, "option", problems)
    demanded = {(str(r["party"]), str(r["mineral"])) for r in raw[DEMAND.name].records
                if _valid(r["party"]) and _valid(r["mineral"]) and _valid(r["demand"])
                and r["demand"] > 0}
    parties, minerals = declared[Ref.PARTY], declared[Ref.MINERAL]
    for rec in table.records:
        party, mineral = rec["party"], rec["mineral"]
        if _known(party, parties) and _known(mineral, minerals) \
                and (party, mineral) not in demanded:
            problems.warning(table.title, rec.row, "mineral",
                             f"a mineral that party {quoted(party)} demands (a Demand row above 0)",
                             f"{quoted(mineral)}, which it does not (the option cuts nothing)",
                             cell=_cell(table, "mineral", rec.row))


# --- Spreads that land in one LP row ------------------------------------------------------------

def typical_tonnage(raw: RawWorkbook) -> dict[str, float]:
    """Each mineral's typical tonnage (t): its largest baseline demand, else its largest
    initial or maximum stock, else 1 (the solver scales the mineral's columns by about this)."""
    typical: dict[str, float] = {}
    for rec in raw[DEMAND.name].records:
        if _valid(rec["mineral"]) and _valid(rec["demand"]):
            m = str(rec["mineral"])
            typical[m] = max(typical.get(m, 0.0), float(rec["demand"]))
    held: dict[str, float] = {}
    for rec in raw[HOLDINGS.name].records:
        if _valid(rec["mineral"]):
            m = str(rec["mineral"])
            for column in ("initial_stock", "max_stock"):
                if _valid(rec[column]):
                    held[m] = max(held.get(m, 0.0), float(rec[column]))
    for m, h in held.items():
        if typical.get(m, 0.0) <= 0.0 and h > 0.0:
            typical[m] = h
    return {m: q for m, q in typical.items() if q > 0.0}


def _number_or(value: object, default: float) -> float:
    return float(value) if _valid(value) else default


def _where(table: Table, column: str, row: int) -> str:
    cell = _cell(table, column, row)
    return f"{table.title}!{cell}" if cell else f"{table.title} row {row}"


BudgetItem = tuple[str, float, str, str]
"""A cost in a budget row: (party, cost of a typical quantity, what, where)."""


def _orders(raw: RawWorkbook) -> list[tuple[int, str, str, str, float, str, float, str]]:
    """Every order a budget row can hold (FORMULATION-v2 section 6): (period number t,
    party, stockpile, mineral, the party's share × the mineral's typical tonnage, price[m,t]
    with its cell, holding cost with its cell) for each Holdings row, member with a share
    above 0 and period t an order of the mineral may be placed in (the first only under
    purchase_timing start; none arriving after the last period)."""
    typical = typical_tonnage(raw)
    positions = period_positions(raw)
    n = len(positions)
    timing, leads = purchase_timing(raw), lead_times(raw)
    minerals = raw[MINERALS.name]
    price_cell = {str(r["mineral"]): (float(r["price"]), _where(minerals, "price", r.row))
                  for r in minerals.records if _valid(r["mineral"]) and _valid(r["price"])}
    path = raw[PRICE_PATH.name]
    path_cell = {(str(r["mineral"]), positions[str(r["period"])]):
                 (float(r["price"]), _where(path, "price", r.row)) for r in path.records
                 if _valid(r["mineral"]) and _valid(r["period"]) and _valid(r["price"])
                 and str(r["period"]) in positions}
    members: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for rec in raw[STOCKPILES.name].records:
        if _valid(rec["stockpile"]) and _valid(rec["party"]):
            members[str(rec["stockpile"])].append((str(rec["party"]),
                                                   _number_or(rec["cost_share"], 1.0)))
    orders = []
    holdings = raw[HOLDINGS.name]
    for rec in holdings.records:
        k, m = rec["stockpile"], rec["mineral"]
        if not (_valid(k) and _valid(m)) or str(m) not in price_cell:
            continue
        k, m = str(k), str(m)
        hold = _number_or(rec["holding_cost"], 0.0)
        hold_where = _where(holdings, "holding_cost", rec.row)
        last = n - leads.get(m, 0)
        for t in (range(1, 2) if timing == "start" else range(1, n + 1)):
            if t > last:
                continue
            price, where = path_cell.get((m, t), price_cell[m])
            for party, share in members.get(k, []):
                if share > 0:
                    orders.append((t, party, k, m, share * typical.get(m, 1.0), price, where,
                                   hold, hold_where))
    return orders


def _fee_items(raw: RawWorkbook) -> list[BudgetItem]:
    """The offtake, swap and mitigation fees (paid once, in the first period)."""
    typical = typical_tonnage(raw)
    items = []
    for sheet, who in ((OFFTAKES, "party"), (SWAPS, "receiver"), (MITIGATION, "party")):
        table = raw[sheet.name]
        for rec in table.records:
            fee, party, m = rec["fee"], rec[who], rec["mineral"]
            if _valid(fee) and fee > 0 and _valid(party) and _valid(m):
                name = rec[sheet.key[0]] if sheet.key else ""
                items.append((str(party), float(fee) * typical.get(str(m), 1.0),
                              f"the fee of {sheet.name} {quoted(name)} "
                              f"({number_text(float(fee))} per t)",
                              _where(table, "fee", rec.row)))
    return items


def _budget_items(raw: RawWorkbook) -> list[BudgetItem]:
    """Every cost in a party's budget row (the total): each order at its price plus holding
    from its arrival to the end of the horizon, and the fees."""
    n = len(period_positions(raw))
    labels = list(period_positions(raw))
    leads, timing = lead_times(raw), purchase_timing(raw)
    items = []
    for t, party, k, m, quantity, price, where, hold, hold_where in _orders(raw):
        held = n - t - leads.get(m, 0) + 1
        when = f" in period {quoted(labels[t - 1])}" if timing == "periods" else ""
        what = (f"buying {quoted(m)} for {quoted(k)}{when} (price {number_text(price)} + "
                f"{held} periods × holding {number_text(hold)} per t)")
        items.append((party, quantity * (price + held * hold), what,
                      hold_where if hold * held > price else where))
    return items + _fee_items(raw)


def _period_budget_items(raw: RawWorkbook, party: str, t: int) -> list[BudgetItem]:
    """Every cost in the PeriodBudgets row of ``party`` and period number ``t``: orders
    placed in t at their price, the holding in t of orders arrived by then, and in the
    first period the fees (FORMULATION-v2 section 6, F_{p,t})."""
    leads = lead_times(raw)
    items: list[BudgetItem] = []
    held: set[tuple[str, str]] = set()
    for t_order, p, k, m, quantity, price, where, hold, hold_where in _orders(raw):
        if p != party:
            continue
        if t_order == t:
            items.append((p, quantity * price, f"buying {quoted(m)} for {quoted(k)} (price "
                          f"{number_text(price)} per t)", where))
        if t_order + leads.get(m, 0) <= t and hold > 0 and (k, m) not in held:
            held.add((k, m))
            items.append((p, quantity * hold, f"holding {quoted(m)} in {quoted(k)} "
                          f"({number_text(hold)} per t and period)", hold_where))
    if t == 1:
        items += [i for i in _fee_items(raw) if i[0] == party]
    return items


def _check_budget_rows(raw: RawWorkbook, problems: Problems) -> None:
    """Each budget row (a party's, and the pooled one) must be one the LP can hold: its
    costs of a typical quantity within ``MAX_BUDGET_ROW_SPREAD`` of each other, none above
    ``MAX_COST_TO_BUDGET`` budgets."""
    items = _budget_items(raw)
    parties = raw[PARTIES.name]
    rates = party_rates(raw)  # budgets in the base currency, as the costs
    rows: list[tuple[str, float, str, str, list]] = []
    for rec in parties.records:
        party, budget = rec["party"], rec["budget"]
        if _valid(party) and _valid(budget) and budget > 0:
            rate = rates.get(str(party), 1.0)
            converted = "" if rate == 1.0 else \
                f" (converted to {base_currency(raw)} at the rate {number_text(rate)})"
            rows.append((f"party {quoted(party)}{converted}", float(budget) * rate,
                         _where(parties, "budget", rec.row),
                         [i for i in items if i[0] == str(party)]))
    positions = period_positions(raw)
    period_budgets = raw[PERIOD_BUDGETS.name]
    for rec in period_budgets.records:
        party, period, budget = rec["party"], rec["period"], rec["budget"]
        if _valid(party) and _valid(period) and str(period) in positions and _valid(budget) \
                and budget > 0:
            rate = rates.get(str(party), 1.0)
            converted = "" if rate == 1.0 else \
                f" (converted to {base_currency(raw)} at the rate {number_text(rate)})"
            rows.append((f"party {quoted(party)} in period {quoted(period)}{converted}",
                         float(budget) * rate, _where(period_budgets, "budget", rec.row),
                         _period_budget_items(raw, str(party), positions[str(period)])))
    for rec in raw[SETTINGS.name].records:
        if _valid(rec["key"]) and str(rec["key"]).strip().lower() == "pooled_budget":
            pooled = as_number(rec["value"]) if _valid(rec["value"]) else None
            if pooled:
                rows.append(("the pooled budget", pooled, _where(raw[SETTINGS.name], "value",
                                                                 rec.row), items))
    spread_reported: set[str] = set()  # a small cost is reported once, in its first row
    for who, budget, budget_cell, row_items in rows:
        if not row_items:
            continue
        top = max(row_items, key=lambda i: i[1])
        low = min(row_items, key=lambda i: i[1])
        note = ("costs per tonne times the mineral's typical tonnage, its largest demand; "
                "the LP cannot hold costs further apart in one budget row")
        if top[1] > MAX_COST_TO_BUDGET * budget:
            sheet, cell = budget_cell.split("!") if "!" in budget_cell else (PARTIES.name, None)
            problems.error(sheet, _row_of(cell), "budget" if who.startswith("party") else "value",
                           f"a budget of {who} of at least 1/{_short(MAX_COST_TO_BUDGET)} of "
                           f"the cost of a typical quantity of what it pays for ({note})",
                           f"{number_text(budget)}, while {top[2]} ({top[3]}) costs "
                           f"{_short(top[1])} for a typical quantity; raise the budget or "
                           "check the units", cell=cell)
        if top[1] > MAX_BUDGET_ROW_SPREAD * low[1] and low[3] not in spread_reported:
            spread_reported.add(low[3])
            sheet, cell = low[3].split("!") if "!" in low[3] else (low[3], None)
            column = "fee" if "fee" in low[2] and "buying" not in low[2] else \
                ("holding_cost" if "Holdings" in sheet else "price")
            problems.error(sheet, _row_of(cell), column,
                           f"costs in the budget row of {who} within a factor of "
                           f"{_short(MAX_BUDGET_ROW_SPREAD)} of each other ({note})",
                           f"{low[2]} costs {_short(low[1])} for a typical quantity, "
                           f"{_short(top[1] / low[1])} times less than {top[2]} ({top[3]}: "
                           f"{_short(top[1])}); set the small cost to 0 or check the units",
                           cell=cell)


def _check_loss_row(raw: RawWorkbook, problems: Problems) -> None:
    """The weights of a tonne short (criticality / demand × the mineral's typical tonnage)
    must lie within ``MAX_LOSS_SPREAD`` of each other: they share one LP row, the loss."""
    typical = typical_tonnage(raw)
    table = raw[DEMAND.name]
    weights = []
    for rec in table.records:
        d, m = rec["demand"], rec["mineral"]
        crit = _number_or(rec["criticality"], 1.0) if not isinstance(rec["criticality"],
                                                                       Invalid) else 0.0
        if _valid(d) and d > 0 and crit > 0 and _valid(m):
            weights.append((crit * typical.get(str(m), float(d)) / float(d), rec, crit))
    if not weights:
        return
    top = max(weights, key=lambda w: w[0])
    low = min(weights, key=lambda w: w[0])
    if top[0] > MAX_LOSS_SPREAD * low[0]:
        rec, crit = top[1], top[2]
        m = rec["mineral"]
        problems.error(table.title, rec.row, "demand, criticality",
                       f"shortfall weights (criticality / demand × the largest demand of the "
                       f"mineral) within a factor of {_short(MAX_LOSS_SPREAD)} of each other "
                       "(they share one LP row, the loss)",
                       f"demand {number_text(float(rec['demand']))} of {quoted(m)} (largest "
                       f"{number_text(typical.get(str(m), 0.0))}) at criticality "
                       f"{number_text(crit)}: weight {_short(top[0])}, {_short(top[0] / low[0])} "
                       f"times row {low[1].row}'s {_short(low[0])}; raise the small demand, set "
                       "it to 0, or lower its criticality",
                       cell=_cell(table, "demand", rec.row))


def _short(x: float) -> str:
    """A magnitude in a message: 3 significant digits (1.2e+08, 0.19, 4500)."""
    return f"{x:.3g}"


def _row_of(cell: str | None) -> int | None:
    digits = "".join(ch for ch in cell or "" if ch.isdigit())
    return int(digits) if digits else None


# --- Budgets in the parties' own currencies (FORMULATION-v2 section 8) --------------------------

def _setting_record(raw: RawWorkbook, key: str) -> Record | None:
    """The first Settings row of ``key`` (a repeated key is reported by ``_check_settings``)."""
    table = raw[SETTINGS.name]
    if "key" not in table.columns:
        return None
    for rec in table.records:
        if _valid(rec["key"]) and str(rec["key"]).strip().lower() == key:
            return rec
    return None


def base_currency(raw: RawWorkbook) -> str:
    """The base currency: the Settings ``currency`` (trimmed), or its default."""
    rec = _setting_record(raw, "currency")
    value = rec["value"] if rec is not None else None
    if not _valid(value) or not str(value).strip():
        return str(SETTINGS_BY_KEY["currency"].default)
    return str(value).strip()


def exchange_rates_record(raw: RawWorkbook) -> Record | None:
    """The Settings row of ``exchange_rates`` with a readable value, or None."""
    rec = _setting_record(raw, "exchange_rates")
    return rec if rec is not None and _valid(rec["value"]) else None


def party_rates(raw: RawWorkbook) -> dict[str, float]:
    """Party -> units of the base currency per unit of its budget's currency (1 for a party
    in the base currency, or whose currency has no rate: that is reported elsewhere)."""
    rec = exchange_rates_record(raw)
    rates = parse_exchange_rates(rec["value"]).rates if rec is not None else {}
    base = base_currency(raw)
    out: dict[str, float] = {}
    for r in raw[PARTIES.name].records:
        code = r["currency"]
        if _valid(r["party"]) and _valid(code) and str(code) != base:
            out[str(r["party"])] = rates.get(str(code), 1.0)
    return out


def _check_currencies(raw: RawWorkbook, problems: Problems) -> None:
    """Settings exchange_rates and Parties currency: every item of the rates well formed
    (``currency.parse_exchange_rates``), a rate for the base currency only if it is 1, a rate
    for every party currency other than the base (a near miss suggested), and a warning for a
    rate no party uses."""
    settings, parties = raw[SETTINGS.name], raw[PARTIES.name]
    base = base_currency(raw)
    rec = exchange_rates_record(raw)
    rates: dict[str, float] = {}
    if rec is not None:
        parsed = parse_exchange_rates(rec["value"])
        cell = _cell(settings, "value", rec.row)
        for expected, found in parsed.problems:
            problems.error(settings.title, rec.row, "value", f"{expected} for exchange_rates",
                           found, cell=cell)
        rates = parsed.rates
        if base in rates and rates[base] != 1.0:
            problems.error(settings.title, rec.row, "value",
                           f"no rate, or a rate of 1, for {base}, the base currency (the "
                           "Settings currency)", f"'{base}={number_text(rates[base])}'",
                           cell=cell)
    given = sorted(c for c in rates if c != base)
    used: set[str] = set()
    period_budgets = raw[PERIOD_BUDGETS.name]
    period_rows: dict[str, list[int]] = defaultdict(list)  # party -> its PeriodBudgets rows
    for r in period_budgets.records:
        if _valid(r["party"]):
            period_rows[str(r["party"])].append(r.row)
    if "currency" in parties.columns:
        for r in parties.records:
            code = r["currency"]
            if not _valid(code) or str(code) == base:
                continue
            code = str(code)
            used.add(code)
            if code in rates:
                continue
            where = ("the Settings key exchange_rates gives "
                     + (", ".join(f"{c}={number_text(rates[c])}" for c in given)
                        if given else "no rates"))
            guess = close_match(code, [*given, base])
            hint = ""
            if guess is not None:
                hint = f"; did you mean '{guess}'" + (
                    " (the base currency)?" if guess == base else "?")
            also = period_rows.get(str(r["party"]), [])
            if also:
                hint = (f" (the party's budget and its {period_budgets.title} "
                        f"row{'s' if len(also) > 1 else ''} "
                        f"{', '.join(str(x) for x in also)} are in it){hint}")
            problems.error(parties.title, r.row, "currency",
                           f"the base currency '{base}' (or blank), or a currency with a rate "
                           f"in the Settings key exchange_rates ({where})",
                           f"{quoted(code)}, which has no rate{hint}",
                           cell=_cell(parties, "currency", r.row))
    if rec is not None:
        for code in given:
            if code not in used:
                problems.warning(settings.title, rec.row, "value",
                                 "rates only for currencies a party's budget is in (Parties "
                                 "column currency)",
                                 f"'{code}={number_text(rates[code])}', which no party uses "
                                 "(ignored)", cell=_cell(settings, "value", rec.row))


# --- Purchases over time and take-or-pay (FORMULATION-v2 sections 6 and 7) ----------------------

def purchase_timing(raw: RawWorkbook, unknown: str | None = PURCHASE_TIMINGS[0]) -> str | None:
    """The Settings purchase_timing: "start" (the default, when absent or blank) or
    "periods"; ``unknown`` when the cell is unreadable or not a known value (reported by
    ``_check_settings``)."""
    setting = SETTINGS_BY_KEY["purchase_timing"]
    rec = _setting_record(raw, "purchase_timing")
    value = rec["value"] if rec is not None else None
    if value is None:
        return PURCHASE_TIMINGS[0]
    choice = setting_choice(setting, value) if _valid(value) else None
    return choice or unknown


def lead_times(raw: RawWorkbook) -> dict[str, int]:
    """Mineral -> its Minerals lead_time (whole periods), for the readable, valid cells."""
    col = MINERALS.column("lead_time")
    return {str(r["mineral"]): int(r["lead_time"]) for r in raw[MINERALS.name].records
            if _valid(r["mineral"]) and _valid(r["lead_time"]) and col.in_range(r["lead_time"])}


def _check_schedule(raw: RawWorkbook, declared: dict[Ref, set[str] | None],
                    problems: Problems) -> None:
    """Warnings for inputs of purchases over time that can never apply (the generic checks
    cover ranges, references and duplicate keys):

    * a mineral whose lead_time is at least the number of periods: no order arrives within
      the horizon, so none can be placed;
    * a PricePath row for a period other than the first under purchase_timing start (orders
      are placed in the first period only), or for a period whose orders would arrive after
      the last period (period + lead_time beyond the horizon);
    * a PeriodBudgets amount above the party's Parties budget (both in the party's currency:
      the total still binds, so the period row limits nothing more);
    * an Offtakes min_take above 0 on an offtake with price 0 (take-or-pay costs nothing).
    """
    positions = period_positions(raw)
    n = len(positions)
    labels = list(positions)
    timing = purchase_timing(raw, unknown=None)  # None: no warning that depends on it
    leads = lead_times(raw)
    minerals = raw[MINERALS.name]
    if n:
        for rec in minerals.records:
            m, lead = rec["mineral"], rec["lead_time"]
            if _valid(m) and str(m) in leads and leads[str(m)] >= n:
                problems.warning(minerals.title, rec.row, "lead_time",
                                 f"a lead time shorter than the horizon ({n} period"
                                 f"{'s' if n != 1 else ''}: an order placed in the first "
                                 "period arrives lead_time periods later)",
                                 f"{number_text(float(lead))}: no order of {quoted(m)} can "
                                 "arrive within the horizon, so none can be placed",
                                 cell=_cell(minerals, "lead_time", rec.row))
    path = raw[PRICE_PATH.name]
    for rec in path.records:
        m, period = rec["mineral"], rec["period"]
        if not (_known(m, declared[Ref.MINERAL]) and _valid(period) and period in positions):
            continue
        t, lead = positions[str(period)], leads.get(str(m), 0)
        if timing == "start" and t != 1:
            problems.warning(path.title, rec.row, "period",
                             f"the first period ({quoted(labels[0])}) with purchase_timing "
                             "start (orders are placed in the first period only; set "
                             "purchase_timing to periods to order later)",
                             f"{quoted(period)} (the row never applies)",
                             cell=_cell(path, "period", rec.row))
        elif timing is not None and t + lead > n and lead < n:
            problems.warning(path.title, rec.row, "period",
                             f"a period whose orders of {quoted(m)} arrive by the last period "
                             f"({quoted(labels[n - lead - 1])} or earlier, with lead_time "
                             f"{lead})", f"{quoted(period)} (no order can be placed then: the "
                             "row never applies)", cell=_cell(path, "period", rec.row))
    parties = raw[PARTIES.name]
    total = {str(r["party"]): r for r in parties.records
             if _valid(r["party"]) and _valid(r["budget"])}
    budgets = raw[PERIOD_BUDGETS.name]
    for rec in budgets.records:
        party, amount = rec["party"], rec["budget"]
        if not (_valid(party) and _valid(amount)) or str(party) not in total:
            continue
        whole = total[str(party)]
        if float(amount) > float(whole["budget"]):
            problems.warning(budgets.title, rec.row, "budget",
                             f"a budget for the period no larger than the party's budget "
                             f"({number_text(float(whole['budget']))} on {parties.title} row "
                             f"{whole.row}, in the same currency)",
                             f"{number_text(float(amount))} (the party's budget still bounds "
                             "the total, so this row limits nothing more)",
                             cell=_cell(budgets, "budget", rec.row))
    offtakes = raw[OFFTAKES.name]
    for rec in offtakes.records:
        share, price = rec["min_take"], rec["price"]
        if _valid(share) and share > 0 and (price is None or (_valid(price) and price == 0)):
            problems.warning(offtakes.title, rec.row, "min_take",
                             "min_take only on an offtake with a price per tonne delivered "
                             "(take-or-pay pays that price)",
                             f"{number_text(float(share))} with "
                             f"{'a blank price (0)' if price is None else 'price 0'}: it costs "
                             "nothing and changes nothing", cell=_cell(offtakes, "min_take",
                                                                       rec.row))
