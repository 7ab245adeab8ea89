"""Build input workbooks from Python data, for tests.

``write_workbook(path, {"Parties": [["party", "budget"], ["US", 100]], ...})`` writes
one sheet per key; the first list is the header row. Values are written as given
(numbers stay numbers, strings stay strings).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write ``sheets`` to an .xlsx at ``path`` and return the path."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def minimal_sheets() -> dict[str, list[list]]:
    """A small valid workbook: one party, one mineral, two periods, two scenarios.

    Demand 10 t/period of 'ga' for US; supply 10 t/period from 'china', cut to 0 in
    scenario 'ban' (probability 0.5) in both periods; a national stockpile 'nds'
    holding 'ga' at price 1 per t; budget 5.
    """
    return {
        "Periods": [["period"], [2027], [2028]],
        "Parties": [["party", "budget"], ["US", 5]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["nds", "US", None]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", None, 10]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "china", 10]],
        "Scenarios": [["scenario", "probability"], ["calm", 0.5], ["ban", 0.5]],
        "Disruptions": [["scenario", "source", "mineral", "availability"],
                        ["ban", "china", "ga", 0]],
    }


def sensitivity_sheets() -> dict[str, list[list]]:
    """US and EU need ga (and US ge) over two periods, supplied from china; 'ban' (π 0.3)
    cuts ga to 0 and ge to 0.2, 'partial' (π 0.2) cuts ga to half; budgets 5 (US) and 4
    (EU), ga's market depth 6 t, a cover floor on ge in demand terms (sensitivity and
    comparison tests)."""
    return {
        "Periods": [["period"], [2027], [2028]],
        "Parties": [["party", "budget"], ["US", 5], ["EU", 4]],
        "Minerals": [["mineral", "price", "max_acquisition"], ["ga", 1, 6], ["ge", 2, None]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["nds", "US", None],
                       ["eus", "EU", None]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"], ["nds", "ge"], ["eus", "ga"]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", None, 10],
                   ["US", "ge", None, 5], ["EU", "ga", None, 8]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "china", 10],
                   ["US", "ge", "china", 5], ["EU", "ga", "china", 8]],
        "Scenarios": [["scenario", "probability"], ["calm", 0.5], ["ban", 0.3],
                      ["partial", 0.2]],
        "Disruptions": [["scenario", "source", "mineral", "availability"],
                        ["ban", "china", "ga", 0], ["ban", "china", "ge", 0.2],
                        ["partial", "china", "ga", 0.5]],
        "CoverTargets": [["target", "party", "mineral", "periods", "basis"],
                         ["ge_floor", "US", "ge", 0.1, "demand"]],
    }


def without_unnamed_sources(sheets: dict[str, list[list]]) -> dict[str, list[list]]:
    """``sheets`` with every source reference that no Supply or Offtakes row names taken
    out, since validation refuses one (a typo would silently disrupt nothing): such
    Disruptions and Risks rows are dropped (they cut nothing, so the LP is unchanged), such
    names leave ConcentrationLimits.excluded_sources (excluding them changes nothing) and
    CoverTargets.domestic_sources (a list left empty becomes blank: the default). For
    random workbooks, which draw sources from a fixed list."""
    def names(sheet: str) -> set[str]:
        rows = sheets.get(sheet) or [[]]
        if "source" not in rows[0]:
            return set()
        at = rows[0].index("source")
        return {str(r[at]) for r in rows[1:] if r[at] is not None}

    supplied = names("Supply")
    named = supplied | names("Offtakes")
    out = dict(sheets)
    for sheet in ("Disruptions", "Risks"):
        rows = sheets.get(sheet)
        if rows and "source" in rows[0]:
            at = rows[0].index("source")
            out[sheet] = [rows[0], *[r for r in rows[1:]
                                     if r[at] in (None, "*") or str(r[at]) in named]]
    for sheet, column, known in (("ConcentrationLimits", "excluded_sources", named),
                                 ("CoverTargets", "domestic_sources", supplied)):
        rows = sheets.get(sheet)
        if not rows or column not in rows[0]:
            continue
        at = rows[0].index(column)
        kept = [rows[0]]
        for r in rows[1:]:
            r = list(r)
            if r[at] is not None:
                listed = [c.strip() for c in str(r[at]).split(";") if c.strip()]
                r[at] = "; ".join(c for c in listed if c in known) or None
            kept.append(r)
        out[sheet] = kept
    return out
