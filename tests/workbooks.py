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
