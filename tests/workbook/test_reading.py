"""Reading cells into typed values, and the problems' wording.

Cell conversion is tested directly (``convert_cell``); sheet-level reading through small
workbooks written by ``tests/workbooks.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workbooks import minimal_sheets, write_workbook

from stockopt.workbook.file import MISSING_CACHED_VALUE, CellError, open_workbook
from stockopt.workbook.problems import Problems, Severity, found_text, number_text
from stockopt.workbook.reader import INVALID, convert_cell, read_workbook
from stockopt.workbook.schema import DEMAND, DISRUPTIONS, MINERALS, PERIODS, SCENARIOS, SETTINGS

PERIOD = PERIODS.column("period")
PRICE = MINERALS.column("price")
VALUE = SETTINGS.column("value")
DESCRIPTION = SCENARIOS.column("description")


def convert(raw: object, col=PRICE) -> tuple[object, Problems]:  # noqa: ANN001
    problems = Problems()
    return convert_cell(raw, col, "Sheet", 7, problems, cell="B7"), problems


# --- identifiers ----------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    (2027, "2027"), (2027.0, "2027"), ("2027", "2027"), (" 2027-Q1 ", "2027-Q1"),
    (2027.5, "2027.5"), ("US", "US"), (-3, "-3"), (10**20, str(10**20)),
])
def test_identifier_values(raw: object, expected: str) -> None:
    value, problems = convert(raw, PERIOD)
    assert value == expected and not problems.items


@pytest.mark.parametrize(("raw", "found"), [
    (dt.datetime(2027, 1, 1), "a date cell (2027-01-01)"),
    (dt.datetime(2027, 1, 1, 12, 30), "a date cell (2027-01-01T12:30:00)"),
    (dt.date(2027, 3, 1), "a date cell (2027-03-01)"),
    (True, "the logical value TRUE"),
    (float("nan"), "nan"),
    (CellError("#N/A"), "the error value #N/A"),
    (MISSING_CACHED_VALUE, "a formula with no cached value"),
])
def test_identifier_rejects(raw: object, found: str) -> None:
    value, problems = convert(raw, PERIOD)
    assert value is INVALID and not value
    (problem,) = problems.items
    assert problem.severity is Severity.ERROR
    assert (problem.sheet, problem.rows, problem.column, problem.cell) == ("Sheet", (7,), "period",
                                                                           "B7")
    assert found in problem.found
    assert "cell B7" in problem.message


# --- numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    (3, 3.0), (2.5, 2.5), ("12.5", 12.5), (" 12.5 ", 12.5), ("-1", -1.0), ("+4", 4.0),
    (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0), ("2.5E-1", 0.25), (0, 0.0),
])
def test_number_values(raw: object, expected: float) -> None:
    value, problems = convert(raw)
    assert value == expected and isinstance(value, float) and not problems.items


@pytest.mark.parametrize(("raw", "found"), [
    ("abc", "'abc'"), ("1,000", "'1,000'"), ("12 t", "'12 t'"), ("65%", "'65%'"),
    ("nan", "'nan'"), ("inf", "'inf'"), ("1e999", "'1e999'"), (True, "TRUE"),
    (False, "FALSE"), (CellError("#DIV/0!"), "#DIV/0!"), (dt.datetime(2027, 1, 1), "2027-01-01"),
    (MISSING_CACHED_VALUE, "no cached value"), (float("inf"), "inf"),
])
def test_number_rejects(raw: object, found: str) -> None:
    value, problems = convert(raw)
    assert value is INVALID
    (problem,) = problems.items
    assert found in problem.found and problem.cell == "B7"
    assert problem.expected.startswith("a number") or "formula" in problem.expected


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_typed_as_text_round_trips(x: float) -> None:
    value, problems = convert(repr(x))
    assert value == x and not problems.items


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-10**12, max_value=10**12))
def test_whole_number_identifier_reads_as_integer_text(n: int) -> None:
    assert convert(n, PERIOD)[0] == str(n)
    assert convert(float(n), PERIOD)[0] == str(n)


# --- text ------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    (0.5, "0.5"), (1.0, "1"), (3, "3"), (" EUR ", "EUR"),
    (dt.datetime(2027, 1, 1), "2027-01-01"), (True, "TRUE"),
])
def test_text_values(raw: object, expected: str) -> None:
    value, problems = convert(raw, VALUE)
    assert value == expected and not problems.items


def test_text_error_value_is_a_problem() -> None:
    value, problems = convert(CellError("#REF!"), DESCRIPTION)
    assert value is INVALID and "#REF!" in problems.items[0].found


# --- wording ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (-1.0, "-1"), (-1, "-1"), (1234567.0, "1234567"), (0.65, "0.65"), (1e-7, "1e-07"),
    (2.5e20, "2.5e+20"), (0.1 + 0.2, "0.30000000000000004"), (float("inf"), "inf"),
])
def test_number_text(value: float, text: str) -> None:
    assert number_text(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (None, "a blank cell"), ("  ", "a blank cell"), ("abc", "'abc'"), (-2.0, "-2"),
    (True, "the logical value TRUE"), (dt.date(2027, 1, 2), "a date cell (2027-01-02)"),
    (CellError("#N/A"), "the error value #N/A"),
])
def test_found_text(value: object, text: str) -> None:
    assert found_text(value) == text


def test_problem_message_and_json() -> None:
    problems = Problems()
    problems.error("Demand", [5, 3, 5], "party, mineral, period", "one row per party",
                   "2 rows")
    problems.warning("Parties", 1, "notes", "a known column header", "'notes'", cell="C1")
    problems.error(None, None, None, "a readable .xlsx workbook", "a PNG image")
    first, second, third = problems.items
    assert first.rows == (3, 5)
    assert first.message == ("error: sheet 'Demand', rows 3, 5, column 'party, mineral, "
                             "period': expected one row per party; found 2 rows.")
    assert second.message == ("warning: sheet 'Parties', row 1, column 'notes', cell C1: "
                              "expected a known column header; found 'notes'.")
    assert third.location == "workbook"
    data = json.loads(problems.to_json())
    assert data["errors"] == 2 and data["warnings"] == 1
    assert data["problems"][0]["rows"] == [3, 5] and data["problems"][1]["cell"] == "C1"
    assert problems.has_errors and len(problems.errors) == 2 and len(problems.warnings) == 1


# --- sheets -------------------------------------------------------------------------


def test_read_workbook_tables(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets["  demand "] = [["Criticality", "DEMAND", " party", "x", "mineral", "period"],
                           [None, 10, "US", "note", "ga"],
                           [],
                           [2, "12.5", "US", None, "ga", 2028],
                           [None, None, None, "only an unknown column"]]
    del sheets["Demand"]
    problems = Problems()
    raw = read_workbook(write_workbook(tmp_path / "r.xlsx", sheets), problems)
    table = raw[DEMAND.name]
    assert table.present and table.title == "  demand "
    assert table.columns == {"criticality": "A", "demand": "B", "party": "C", "mineral": "E",
                             "period": "F"}
    assert [r.row for r in table.records] == [2, 4]
    assert table.records[0].values == {"demand": 10.0, "party": "US", "mineral": "ga"}
    assert table.records[1]["period"] == "2028" and table.records[1]["criticality"] == 2.0
    assert table.records[1]["demand"] == 12.5
    assert [p.message for p in problems.items] == [
        "warning: sheet '  demand ', row 1, column 'x', cell D1: expected a known column header "
        "(party, mineral, period, demand, criticality); found 'x' (the column is ignored)."]
    assert [r.row for r in raw[DISRUPTIONS.name].records] == [2]
    assert not raw["Offtakes"].present and raw["Offtakes"].title == "Offtakes"


def test_rows_stream_only_stored_non_blank_cells(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "s.xlsx", {"Periods": [["period"], [], ["  "], [2027],
                                                            [None, None, 5]]})
    with open_workbook(path) as wb:
        rows = list(wb.rows("Periods"))
    assert [(r, c) for r, c in rows if c] == [(1, {1: "period"}), (4, {1: 2027}), (5, {3: 5})]


def test_numeric_header_is_named_plainly(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets["Parties"] = [["party", "budget", 2027.0], ["US", 5, 1]]
    problems = Problems()
    read_workbook(write_workbook(tmp_path / "h.xlsx", sheets), problems)
    (warning,) = problems.warnings
    assert warning.column == "2027" and "'2027'" in warning.found


def test_unknown_sheet_and_readme(tmp_path: Path) -> None:
    sheets = {"README": [["anything"]], "Notes": [["x"]], **minimal_sheets()}
    problems = Problems()
    read_workbook(write_workbook(tmp_path / "u.xlsx", sheets), problems)
    assert [(p.severity, p.sheet) for p in problems.items] == [(Severity.WARNING, "Notes")]


def test_reading_is_finite_for_nan_free_numbers() -> None:
    value, _ = convert("1e308")
    assert isinstance(value, float) and math.isfinite(value)


def test_shared_strings_as_excel_writes_them(tmp_path: Path) -> None:
    """Excel stores text in xl/sharedStrings.xml (openpyxl writes inline strings)."""
    import re
    import zipfile

    from stockopt.workbook.normalize import load

    path = write_workbook(tmp_path / "inline.xlsx", minimal_sheets())
    strings: list[str] = []

    def shared(match: re.Match[bytes]) -> bytes:
        text = match.group(2).decode()
        if text not in strings:
            strings.append(text)
        return match.group(1) + b' t="s"><v>' + str(strings.index(text)).encode() + b"</v></c>"

    out = tmp_path / "shared.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'(<c r="[A-Z]+[0-9]+"[^>]*?) t="inlineStr"><is><t>([^<]*)</t>'
                              rb"</is></c>", shared, data)
                assert b"inlineStr" not in data
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument'
                                    b'.spreadsheetml.sharedStrings+xml"/></Types>')
            dst.writestr(info, data)
        items = "".join(f"<si><t>{s}</t></si>" for s in strings)
        dst.writestr("xl/sharedStrings.xml",
                     '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                     f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
    loaded = load(out)
    assert not loaded.problems.items, [p.message for p in loaded.problems.items]
    assert loaded.data is not None and loaded.data.parties == ["US"]
    assert loaded.data.supply[("US", "ga", "china", 1)] == 10
