"""Writing input workbooks (templates, worked examples) derived from the schema.

Every sheet, header, comment, width, number format, dropdown and range check written
here comes from ``stockopt.workbook.schema``; nothing names a sheet or column by hand, so the
template cannot drift from what the reader and validator accept.

The workbook opens on a README sheet (title, notes such as sources and assumptions,
how to fill the workbook, a guide to every sheet, setting and column), followed by
one sheet per input table in ``SHEETS`` order. On each input sheet:

* the header row is bold on a coloured fill: dark for required columns, light for
  optional ones; each header cell carries a comment with the unit, default, allowed
  values and meaning; the header row is frozen;
* column widths and number formats come from the schema (identifier columns are
  formatted as text, "@", so a typed 2027 stays the label "2027");
* data validation: dropdowns of the declared names for reference columns, a
  dropdown of known sources (new ones may still be typed) for source columns, a
  dropdown of the known keys on Settings, and range checks for numbers (fractions
  0..1, non-negative quantities and money, whole numbers for lags). Columns that
  accept ``*`` warn instead of refusing, so ``*`` can be typed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__
from ..files.atomic import write_atomically
from ..files.printing import FONT, page_setup, repeat_rows
from .schema import (
    SETTINGS,
    SETTINGS_KEYS,
    SHEETS,
    WILDCARD,
    Column,
    Kind,
    Ref,
    Sheet,
)

README_TITLE = "README"
"""Name of the first sheet (the reader ignores it, see ``schema.IGNORED_SHEETS``)."""

LAST_DATA_ROW = 1000
"""Data validations and column formats cover rows 2..LAST_DATA_ROW of each input sheet;
dropdowns of declared names read the declaring column down to the same row."""

MAX_LIST_CHARS = 255
"""Excel's limit on the text of an explicit dropdown list (items joined by commas)."""

REQUIRED_FILL = PatternFill("solid", fgColor="1F4E78")
OPTIONAL_FILL = PatternFill("solid", fgColor="BDD7EE")
REQUIRED_FONT = Font(name=FONT, bold=True, color="FFFFFF")
OPTIONAL_FONT = Font(name=FONT, bold=True, color="000000")
TITLE_FONT = Font(name=FONT, bold=True, size=14)
HEADING_FONT = Font(name=FONT, bold=True, size=12)
BOLD = Font(name=FONT, bold=True)
LINK_FONT = Font(name=FONT, color="0563C1", underline="single")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

Rows = list[dict[str, object]]


# --- public API -----------------------------------------------------------------

def write_input_workbook(path: Path, tables: Mapping[str, Rows], *, title: str,
                         notes: Sequence[tuple[str, str]] = ()) -> None:
    """Write an input workbook to ``path`` (.xlsx), atomically.

    ``tables`` maps schema sheet names (``Sheet.name``) to rows; each row is a dict
    keyed by schema column names (``Column.name``), with values in the column's unit
    (t, t/period, currency, currency/t, fractions 0..1, ...). Missing keys and
    ``None`` leave the cell blank. Rows are written in the schema's column order.
    Strings are always written as text, never as formulas (a value "=1+1" stays the
    text "=1+1"); whole numbers in identifier columns are written as their text.

    ``title`` heads the README sheet; ``notes`` are (heading, text) pairs shown
    under it, for instance sources and assumptions.

    Every schema sheet is written, with its header row, even when it has no rows.
    The file is first saved to a temporary file in the same folder, then renamed
    over ``path``, so a reader never sees a half-written workbook. Raises
    ``ValueError`` for an unknown sheet or column name, ``OSError`` if the file
    cannot be written.
    """
    _check_tables(tables)
    wb = Workbook()
    readme = wb.active
    readme.title = README_TITLE
    _write_readme(readme, title, notes)
    sources = _known_sources(tables)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        _write_sheet(ws, sheet, tables.get(sheet.name, []), sources)
    wb.properties.creator = f"stockopt {__version__}"
    wb.properties.title = title
    _save_atomically(wb, Path(path))


def write_template(path: Path, *, example: bool = False) -> None:
    """Write the input template to ``path`` (.xlsx).

    Without ``example`` the input sheets are empty, except Settings, which lists
    every known key with its default value (blank where the default is "none"), so
    it validates as is. An empty template does not validate as a whole: the
    required sheets have no rows yet. With ``example`` the sheets hold the worked
    example of ``stockopt.workbook.example`` (which validates cleanly) and the README lists
    its sources and assumptions.
    """
    if example:
        from .example import EXAMPLE_TITLE, example_notes, example_tables

        write_input_workbook(path, example_tables(), title=EXAMPLE_TITLE, notes=example_notes())
    else:
        write_input_workbook(path, {SETTINGS.name: default_settings_rows()},
                             title="stockopt input workbook (template)")


def default_settings_rows() -> Rows:
    """One Settings row per known key, holding its default value (None where none)."""
    key_col, value_col = _settings_columns()
    return [{key_col.name: s.key, value_col.name: s.default} for s in SETTINGS_KEYS]


# --- checks ---------------------------------------------------------------------

def _check_tables(tables: Mapping[str, Rows]) -> None:
    by_name = {s.name: s for s in SHEETS}
    for name, rows in tables.items():
        sheet = by_name.get(name)
        if sheet is None:
            raise ValueError(f"unknown sheet {name!r}; expected one of "
                             + ", ".join(by_name))
        known = {c.name for c in sheet.columns}
        for i, row in enumerate(rows):
            extra = set(row) - known
            if extra:
                raise ValueError(f"{name} row {i + 1}: unknown column(s) "
                                 + ", ".join(sorted(extra)) + "; expected "
                                 + ", ".join(c.name for c in sheet.columns))


def _settings_columns() -> tuple[Column, Column]:
    """The Settings sheet's key column and value column."""
    key_col = SETTINGS.column(SETTINGS.key[0])
    value_col = next(c for c in SETTINGS.columns if c is not key_col)
    return key_col, value_col


# --- README ---------------------------------------------------------------------

_GUIDE_HEADERS = ("sheet", "column", "required?", "unit", "default (blank cell)",
                  "allowed values", "refers to", "meaning")
_GUIDE_WIDTHS = (16, 18, 11, 20, 24, 28, 26, 80)

_HOW_TO = (
    "Fill one sheet per table. The first row of each sheet holds the column headers; leave "
    "them as they are (case and surrounding spaces do not matter, column order is free). "
    "Each later row is one record; blank rows are skipped.",
    "Dark header = required column (every row needs a value); light header = optional "
    "column (a blank cell takes the default shown below). Point at a header cell to see its "
    "unit and meaning.",
    "Quantities are metric tons (t); money is in the workbook's currency (Settings); shares, "
    "probabilities and availabilities are fractions (0.65, not 65%).",
    "Names (of parties, minerals, stockpiles, periods, scenarios, sources) are text and must "
    "match exactly; dropdowns list the names declared on their sheet. '*' in a column marked "
    "'or *' matches every value.",
    "A sheet may be left with only its header row when it is not needed; the required "
    "sheets (dark tabs) need at least one row. Check a filled workbook with: "
    "stockopt validate FILE.xlsx",
)


def _write_readme(ws: Worksheet, title: str, notes: Sequence[tuple[str, str]]) -> None:
    for i, width in enumerate(_GUIDE_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    text_width = sum(_GUIDE_WIDTHS[1:])
    page_setup(ws)  # landscape, one page wide: the merged, wrapped guide is never cut
    _put(ws, 1, 1, title).font = TITLE_FONT
    _put(ws, 2, 1, f"Input workbook for stockopt {__version__}. The guide below is generated "
         "from the program's input schema.")
    row = 4

    if notes:
        ws.cell(row, 1, "Notes").font = HEADING_FONT
        row += 1
        for heading, text in notes:
            _put(ws, row, 1, heading).font = BOLD
            ws.cell(row, 1).alignment = TOP
            _merged_text(ws, row, 2, len(_GUIDE_HEADERS), text, text_width)
            row += 1
        row += 1

    ws.cell(row, 1, "How to fill this workbook").font = HEADING_FONT
    row += 1
    for text in _HOW_TO:
        _merged_text(ws, row, 1, len(_GUIDE_HEADERS), "• " + text, text_width + _GUIDE_WIDTHS[0])
        row += 1
    row += 1

    ws.cell(row, 1, "Sheets").font = HEADING_FONT
    row += 1
    for col, label in enumerate(("sheet", "required?", "what it holds"), start=1):
        _guide_header(ws, row, col, label)
    row += 1
    for sheet in SHEETS:
        cell = _put(ws, row, 1, sheet.name)
        cell.hyperlink = f"#'{sheet.name}'!A1"
        cell.font = LINK_FONT
        cell.alignment = TOP
        ws.cell(row, 2, "required" if sheet.required else "optional").alignment = TOP
        text = " ".join((sheet.description, *sheet.notes))
        _merged_text(ws, row, 3, len(_GUIDE_HEADERS), text, sum(_GUIDE_WIDTHS[2:]))
        row += 1
    row += 1

    key_col, value_col = _settings_columns()
    ws.cell(row, 1, f"{SETTINGS.name} keys (one row each: {key_col.name} and "
                    f"{value_col.name}; a blank {value_col.name} means the default)"
            ).font = HEADING_FONT
    row += 1
    for col, label in enumerate(("key", "kind", "", "unit", "default", "allowed values", "",
                                 "meaning"), start=1):
        if label:
            _guide_header(ws, row, col, label)
    row += 1
    for setting in SETTINGS_KEYS:
        allowed = setting.expected_range() if setting.kind is Kind.NUMBER else "text"
        values = (setting.key, setting.kind.value, "", setting.unit, setting.default_text,
                  allowed, "", setting.description)
        _guide_row(ws, row, values)
        row += 1
    row += 1

    ws.cell(row, 1, "Columns").font = HEADING_FONT
    row += 1
    for col, label in enumerate(_GUIDE_HEADERS, start=1):
        _guide_header(ws, row, col, label)
    row += 1
    for sheet in SHEETS:
        for column in sheet.columns:
            values = (sheet.name, column.name, "required" if column.required else "optional",
                      column.unit, "" if column.required else _default_text(column),
                      _allowed_text(column), _refers_text(column), column.description)
            _guide_row(ws, row, values)
            row += 1


def _guide_header(ws: Worksheet, row: int, col: int, label: str) -> None:
    cell = ws.cell(row, col, label)
    cell.font = REQUIRED_FONT
    cell.fill = REQUIRED_FILL


def _guide_row(ws: Worksheet, row: int, values: Sequence[str]) -> None:
    for col, value in enumerate(values, start=1):
        if value:
            cell = _put(ws, row, col, value)
            cell.alignment = WRAP_TOP
    lines = max(_lines(str(v), w) for v, w in zip(values, _GUIDE_WIDTHS, strict=True))
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def _merged_text(ws: Worksheet, row: int, first: int, last: int, text: str,
                 width: int) -> None:
    cell = _put(ws, row, first, text)
    cell.alignment = WRAP_TOP
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    lines = _lines(text, width)
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def _lines(text: str, width: int) -> int:
    """Rough number of wrapped lines ``text`` needs in a column ``width`` characters wide."""
    usable = max(1, int(width * 1.1) - 2)
    return sum(max(1, math.ceil(len(part) / usable)) for part in text.split("\n"))


def _default_text(col: Column) -> str:
    if col.default_text:
        return col.default_text
    return "" if col.default is None else str(col.default)


def _allowed_text(col: Column) -> str:
    if col.kind is Kind.NUMBER:
        return col.expected_range()
    if col.kind is Kind.IDENTIFIER:
        return "a name (text)" + (f" or {WILDCARD}" if col.wildcard else "")
    return "text"


def _refers_text(col: Column) -> str:
    if col.references is None:
        return ""
    if col.references is Ref.SOURCE:
        return "a source (not declared; named on the sheets with a source column)"
    declaring = _declaring(col.references)
    what = f"a {col.references.value} on {declaring[0].name}" if declaring else \
        f"a {col.references.value}"
    return what + (f" (or {WILDCARD})" if col.wildcard else "")


# --- input sheets ---------------------------------------------------------------

def _write_sheet(ws: Worksheet, sheet: Sheet, rows: Rows, sources: list[str]) -> None:
    if sheet.required:
        ws.sheet_properties.tabColor = REQUIRED_FILL.fgColor.rgb
    for index, col in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(1, index, col.name)
        cell.font = REQUIRED_FONT if col.required else OPTIONAL_FONT
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.comment = _header_comment(col)
        dim = ws.column_dimensions[letter]
        dim.width = col.width
        if col.number_format:
            dim.number_format = col.number_format  # new cells typed below the data
    ws.freeze_panes = "A2"
    page_setup(ws)
    repeat_rows(ws, 1)  # the header on every printed page

    for r, record in enumerate(rows, start=2):
        for index, col in enumerate(sheet.columns, start=1):
            value = record.get(col.name)
            if value is None:
                continue
            if col.kind is Kind.IDENTIFIER and isinstance(value, int) \
                    and not isinstance(value, bool):
                value = str(value)
            cell = _put(ws, r, index, value)  # strings stay text, never formulas
            if col.number_format:
                cell.number_format = col.number_format

    last = max(LAST_DATA_ROW, len(rows) + 1)
    for index, col in enumerate(sheet.columns, start=1):
        dv = _validation(sheet, col, sources)
        if dv is not None:
            letter = get_column_letter(index)
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)


def _header_comment(col: Column) -> Comment:
    lines = [f"{col.name}: {'required' if col.required else 'optional'}"]
    if col.unit:
        lines.append(f"Unit: {col.unit}")
    lines.append(f"Allowed: {_allowed_text(col)}")
    refers = _refers_text(col)
    if refers:
        lines.append(f"Refers to: {refers}")
    if not col.required:
        lines.append(f"Blank means: {_default_text(col) or 'no value'}")
    lines.append(col.description)
    text = "\n".join(lines)
    comment = Comment(text, "stockopt")
    comment.width = 300
    comment.height = 20 * (_lines(text, 40) + 1)
    return comment


def _declaring(ref: Ref) -> tuple[Sheet, Column] | None:
    """The sheet that declares names of kind ``ref``, and its name column."""
    for sheet in SHEETS:
        if sheet.declares is ref:
            col = next(c for c in sheet.columns
                       if c.kind is Kind.IDENTIFIER and c.references is None)
            return sheet, col
    return None


def _known_sources(tables: Mapping[str, Rows]) -> list[str]:
    """Sources named in the rows of sheets whose source column is not a wildcard column."""
    found: set[str] = set()
    for sheet in SHEETS:
        for col in sheet.columns:
            if col.references is not Ref.SOURCE or col.wildcard:
                continue
            for row in tables.get(sheet.name, []):
                value = row.get(col.name)
                if value is not None and str(value).strip():
                    found.add(str(value).strip())
    return sorted(found, key=lambda s: (s.casefold(), s))


def _list_formula(items: Sequence[str]) -> str | None:
    """An explicit dropdown list, as many items as Excel allows, or None if there are none."""
    kept: list[str] = []
    for item in items:
        if any(ch in item for ch in ',"') or item in kept:
            continue
        if len(",".join([*kept, item])) > MAX_LIST_CHARS:
            break
        kept.append(item)
    return f'"{",".join(kept)}"' if kept else None


def _validation(sheet: Sheet, col: Column, sources: list[str]) -> DataValidation | None:
    """The data validation for one column, or None where nothing useful can be checked."""
    if sheet is SETTINGS and col.name == SETTINGS.key[0]:
        formula = _list_formula([s.key for s in SETTINGS_KEYS])
        return DataValidation(type="list", formula1=formula, allow_blank=True,
                              errorStyle="stop", showErrorMessage=True,
                              errorTitle="Unknown setting",
                              error="Known keys: " + ", ".join(s.key for s in SETTINGS_KEYS)
                              + ". An unknown key is an error (stockopt validate names the "
                              "closest known key).")
    if col.kind is Kind.IDENTIFIER and col.references is Ref.SOURCE:
        items = [WILDCARD, *sources] if col.wildcard else sources
        formula = _list_formula(items)
        if formula is None:
            return None
        return DataValidation(type="list", formula1=formula, allow_blank=True,
                              errorStyle="information", showErrorMessage=True,
                              errorTitle="New source",
                              error="This source is not in the list (sources named when the "
                              "workbook was written). Press OK to keep it.")
    if col.kind is Kind.IDENTIFIER and col.references is not None:
        declaring = _declaring(col.references)
        if declaring is None:
            return None
        decl_sheet, decl_col = declaring
        letter = get_column_letter(decl_sheet.columns.index(decl_col) + 1)
        formula = f"'{decl_sheet.name}'!${letter}$2:${letter}${LAST_DATA_ROW}"
        expected = f"a {col.references.value} declared on the {decl_sheet.name} sheet"
        if col.wildcard:
            return DataValidation(type="list", formula1=formula, allow_blank=True,
                                  errorStyle="warning", showErrorMessage=True,
                                  errorTitle=f"{col.name}: {WILDCARD} or a name",
                                  error=f"Expected {expected}, or {WILDCARD} for every "
                                  f"{col.references.value}. Keep this value?")
        return DataValidation(type="list", formula1=formula, allow_blank=True,
                              errorStyle="stop", showErrorMessage=True,
                              errorTitle=f"Unknown {col.references.value}",
                              error=f"Expected {expected}; declare it there first.")
    if col.kind is Kind.NUMBER:
        return _number_validation(col)
    if col.choices:
        return DataValidation(type="list", formula1=_list_formula(list(col.choices)),
                              allow_blank=True, errorStyle="stop", showErrorMessage=True,
                              errorTitle=f"{col.name}: one of {', '.join(col.choices)}",
                              error=f"Expected one of {', '.join(col.choices)} (blank: "
                              f"{col.default_text or col.choices[0]}).")
    return None


def _number_validation(col: Column) -> DataValidation | None:
    lo, hi = col.minimum, col.maximum
    if lo is None and hi is None:
        return None
    if col.smallest is not None and col.minimum_exclusive:
        lo = col.smallest  # "a number from 0.001 to ..." (0 excluded): exactly Excel's between
    kind = "whole" if col.integer else "decimal"
    if lo is not None and hi is not None:
        # Excel's "between" is inclusive; an exclusive bound is left to the validator.
        operator, f1, f2 = "between", _num(lo), _num(hi)
    elif lo is not None:
        operator = "greaterThan" if col.minimum_exclusive else "greaterThanOrEqual"
        f1, f2 = _num(lo), None
    else:
        operator = "lessThan" if col.maximum_exclusive else "lessThanOrEqual"
        f1, f2 = _num(hi), None
    unit = f" ({col.unit})" if col.unit else ""
    return DataValidation(type=kind, operator=operator, formula1=f1, formula2=f2,
                          allow_blank=True, errorStyle="stop", showErrorMessage=True,
                          errorTitle=f"{col.name}: out of range",
                          error=f"Expected {col.expected_range()}{unit}.")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _put(ws: Worksheet, row: int, col: int, value: object) -> Cell:
    """Set a cell; a string is always stored as text, never as a formula."""
    cell = ws.cell(row, col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


# --- saving ---------------------------------------------------------------------

def _save_atomically(wb: Workbook, path: Path) -> None:
    """Save ``wb`` to ``path`` through a temporary file and a rename (see stockopt.files.atomic)."""
    write_atomically(path, wb.save)
