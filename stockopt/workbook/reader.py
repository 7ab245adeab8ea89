"""Reading the input workbook into typed tables, driven by the schema.

Sheets and headers are matched case-insensitively, surrounding spaces ignored; columns
may come in any order; blank rows are skipped anywhere. Each cell is converted by its
column's kind (identifier, number, text). Cells that cannot be converted are recorded
as problems and stand as ``INVALID`` in the record, so later checks skip them rather
than report them twice. Nothing here applies defaults or checks ranges: that is the
validator's and the normalizer's work.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from .file import CellError, InputWorkbook, MissingCachedValue, open_workbook
from .problems import Problems, date_text, found_text, number_text, quoted
from .schema import IGNORED_SHEETS, SHEETS, SHEETS_BY_KEY, Column, Kind, Sheet


class Invalid:
    """Stands for a cell whose content could not be read (already reported)."""

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID = Invalid()

Value = str | float | None | Invalid

DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
"""A number typed as text: an optional sign, digits with an optional decimal point (or a
point and digits), an optional exponent."""


@dataclass
class Record:
    """One row of an input sheet: its Excel row number and its typed values by column."""

    row: int
    values: dict[str, Value]

    def __getitem__(self, column: str) -> Value:
        return self.values.get(column)


@dataclass
class Table:
    """The records of one input sheet, as found in the workbook.

    ``sheet_title`` is the sheet's name as spelled in the workbook (for messages);
    ``present`` says whether the sheet exists; ``columns`` maps schema column names to
    their Excel column letters.
    """

    sheet: Sheet
    present: bool = False
    sheet_title: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.sheet_title or self.sheet.name


@dataclass
class RawWorkbook:
    """All input tables read from one workbook (absent sheets hold no records)."""

    path: Path
    tables: dict[str, Table]

    def __getitem__(self, sheet_name: str) -> Table:
        return self.tables[sheet_name]


def read_workbook(path: str | Path, problems: Problems) -> RawWorkbook:
    """Read every known sheet of the workbook at ``path`` into typed tables.

    Problems found (missing sheets and columns, unreadable cells, extra columns) are
    appended to ``problems``. Raises ``UnreadableWorkbook`` if the file cannot be
    read at all.
    """
    path = Path(path)
    tables = {s.name: Table(s) for s in SHEETS}
    with open_workbook(path) as wb:
        matched: dict[str, str] = {}
        for title in wb.sheet_names:
            key = title.strip().lower()
            if key in IGNORED_SHEETS:
                continue
            sheet = SHEETS_BY_KEY.get(key)
            if sheet is None:
                problems.warning(title, None, None, "a known sheet name (" +
                                 ", ".join(s.name for s in SHEETS) + ") or README",
                                 f"an unknown sheet {quoted(title)} (it is ignored"
                                 f"{_did_you_mean(key, [s.name for s in SHEETS])})")
                continue
            if sheet.name in matched:
                problems.error(title, None, None, f"one sheet named {sheet.name}",
                               f"two sheets, {quoted(matched[sheet.name])} and {quoted(title)}")
                continue
            matched[sheet.name] = title
            _read_sheet(wb, title, tables[sheet.name], problems)
    for sheet in SHEETS:
        if sheet.required and not tables[sheet.name].present:
            problems.error(sheet.name, None, None, f"a sheet named {sheet.name} (required)",
                           "no such sheet")
    return RawWorkbook(path, tables)


def _read_sheet(wb: InputWorkbook, title: str, table: Table, problems: Problems) -> None:
    sheet = table.sheet
    table.present = True
    table.sheet_title = title
    rows = wb.rows(title)
    first = next(rows, None)
    if first is None or (not first[1] and next(rows, None) is None):
        for col in sheet.required_columns:
            problems.error(title, 1, col.name, f"a column headed '{col.name}' in row 1 "
                           "(required)", "an empty sheet")
        return
    header_row = 1
    header: dict[int, object] = first[1] if first[0] == header_row else {}
    if first[0] != header_row:
        rows = itertools.chain([first], rows)  # row 1 is blank; the first stored row is data

    known = {c.name.lower(): c for c in sheet.columns}
    by_index: dict[int, Column] = {}
    named = set(header)  # columns with a header, known or not (unknown ones get a warning)
    seen: dict[str, int] = {}
    for index, raw in sorted(header.items()):
        shown = number_text(raw) if isinstance(raw, int | float) else str(raw).strip()
        name = shown.lower()
        letter = get_column_letter(index)
        col = known.get(name)
        if col is None:
            problems.warning(title, header_row, shown, "a known column header ("
                             + ", ".join(c.name for c in sheet.columns) + ")",
                             f"{quoted(shown)} (the column is ignored"
                             f"{_did_you_mean(name, [c.name for c in sheet.columns])})",
                             cell=f"{letter}{header_row}")
            continue
        if col.name in seen:
            problems.error(title, header_row, col.name, f"the header '{col.name}' once",
                           f"it in columns {get_column_letter(seen[col.name])} and {letter}")
            continue
        seen[col.name] = index
        by_index[index] = col
        table.columns[col.name] = letter
    problems.locate(title, table.columns)  # from here on, one-cell problems name the cell
    for col in sheet.required_columns:
        if col.name not in seen:
            problems.error(title, header_row, col.name,
                           f"a column headed '{col.name}' in row 1 (required)",
                           "no such column" + ("" if header else " (row 1 is blank)"))

    unheaded: dict[int, _Unheaded] = {}  # column -> values under a blank header cell
    for row_number, cells in rows:
        values: dict[str, Value] = {}
        for index, raw in cells.items():
            col = by_index.get(index)
            if col is None:
                if header and index not in named:
                    unheaded.setdefault(index, _Unheaded(raw)).add(row_number)
                continue
            values[col.name] = convert_cell(raw, col, title, row_number, problems,
                                            cell=f"{get_column_letter(index)}{row_number}")
        if values:
            table.records.append(Record(row_number, values))
    for index, found in sorted(unheaded.items()):
        letter = get_column_letter(index)
        where = (f"right of the last header ({get_column_letter(max(named))}1)"
                 if index > max(named) else "under a blank header")
        problems.error(title, found.rows, None,
                       f"a header in cell {letter}1 for the values in column {letter} (values "
                       "in a column without a header would be ignored)",
                       f"{found.count:,} value{'s' if found.count != 1 else ''} {where}, the "
                       f"first {found_text(found.first)} in {letter}{found.rows[0]}",
                       cell=f"{letter}{found.rows[0]}" if found.count == 1 else None)


@dataclass
class _Unheaded:
    """Values found in a column whose header cell is blank: the first, their rows."""

    first: object
    rows: list[int] = field(default_factory=list)
    count: int = 0

    def add(self, row: int) -> None:
        self.count += 1
        if len(self.rows) < 1000:
            self.rows.append(row)


def _did_you_mean(name: str, choices: list[str]) -> str:
    """"; did you mean Periods?" when ``name`` is a near miss of one of ``choices``."""
    by_key = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(by_key), n=1, cutoff=0.75)
    return f"; did you mean {by_key[close[0]]}?" if close else ""


def convert_cell(raw: object, col: Column, sheet_title: str, row: int,
                 problems: Problems, cell: str | None = None) -> Value:
    """Convert one non-blank cell to its column's kind, or record a problem and return INVALID.

    ``cell`` is the cell reference (e.g. "B3") named in any problem recorded.
    """
    if isinstance(raw, MissingCachedValue):
        problems.error(sheet_title, row, col.name, "a value (a formula must have been "
                       "calculated and saved by a spreadsheet program)",
                       "a formula with no cached value; open the file in Excel or LibreOffice, "
                       "recalculate and save", cell=cell)
        return INVALID
    if isinstance(raw, CellError):
        problems.error(sheet_title, row, col.name, _expected_kind(col), str(raw), cell=cell)
        return INVALID
    if col.kind is Kind.IDENTIFIER:
        return _identifier(raw, col, sheet_title, row, problems, cell)
    if col.kind is Kind.NUMBER:
        return _number(raw, col, sheet_title, row, problems, cell)
    if isinstance(raw, _dt.datetime | _dt.date | _dt.time | _dt.timedelta):
        return date_text(raw)
    if isinstance(raw, int | float):
        return number_text(raw)
    return str(raw).strip()


def _expected_kind(col: Column) -> str:
    if col.kind is Kind.NUMBER:
        return col.expected_range(True)
    if col.kind is Kind.IDENTIFIER:
        return "a name (text)" + (" or *" if col.wildcard else "")
    return "text"


def _identifier(raw: object, col: Column, sheet_title: str, row: int,
                problems: Problems, cell: str | None = None) -> Value:
    if isinstance(raw, bool):
        problems.error(sheet_title, row, col.name, _expected_kind(col), found_text(raw),
                       cell=cell)
        return INVALID
    if isinstance(raw, _dt.datetime | _dt.date | _dt.time | _dt.timedelta):
        problems.error(sheet_title, row, col.name, _expected_kind(col) +
                       " (format the cell as text, e.g. 2027-Q1)",
                       f"a date cell ({date_text(raw)}); identifiers may not be dates",
                       cell=cell)
        return INVALID
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            problems.error(sheet_title, row, col.name, _expected_kind(col), str(raw), cell=cell)
            return INVALID
        return str(int(raw)) if raw.is_integer() else repr(raw)
    text = str(raw).strip()
    return text if text else None


def _number(raw: object, col: Column, sheet_title: str, row: int, problems: Problems,
            cell: str | None = None) -> Value:
    value: float | None = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if DECIMAL_TEXT.match(text):
            value = float(text)
    if value is None or not math.isfinite(value):
        problems.error(sheet_title, row, col.name, _expected_kind(col), found_text(raw),
                       cell=cell)
        return INVALID
    return value
