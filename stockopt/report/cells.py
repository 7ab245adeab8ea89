"""Writing cells safely and quickly into openpyxl write-only worksheets.

``SheetWriter`` appends rows in order and remembers the row number, so sheets are
written in one pass (linear time, constant memory per row). Every string goes in as
text, never as a formula: openpyxl would store a string starting with ``=`` as a
formula and ``#N/A``-like strings as errors, so those cells are pinned to the string
type; characters XML cannot hold are removed. Headers are ``name (unit)`` from
``OUTPUT_COLUMNS``; number formats come from there too.
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.hyperlink import Hyperlink

from .columns import OUTPUT_COLUMNS, TONNES, OutputColumn, column_spec
from .printing import FONT, PAGE_ROWS, break_before, page_setup, repeat_rows

EXCEL_MAX_ROWS = 1_048_576
"""Rows in one Excel worksheet."""

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(name=FONT, bold=True, color="FFFFFF")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
WRAP_ALIGN = Alignment(wrap_text=True, vertical="top")
GAP_ALIGN = Alignment(indent=1)
"""Text after a column of (right-aligned) numbers: one character in, so the two never
touch ('184,642.0 2028')."""
TITLE_FONT = Font(name=FONT, bold=True, size=14, color="1F4E78")
SECTION_FONT = Font(name=FONT, bold=True, size=12, color="1F4E78")
NOTE_FONT = Font(name=FONT, italic=True, color="595959")
LINK_FONT = Font(name=FONT, underline="single", color="0563C1")
BOLD = Font(name=FONT, bold=True)
MUTED_FONT = Font(name=FONT, color="808080")
TAIL_FILL = PatternFill("solid", fgColor="FCE4D6")

ROW_STYLES: dict[str, tuple[Font | None, PatternFill | None]] = {
    "muted": (MUTED_FONT, None),
    "tail": (None, TAIL_FILL),
}
"""Row variants a table may use: options not chosen (grey), scenarios in the CVaR tail."""

MAX_WIDTH = 50
"""Widest column (characters)."""
HEADER_WRAP = 18
"""Headers longer than this wrap rather than widen their column (characters)."""
WRAP_WIDTH = 60
"""Width of the columns of long free text, which wrap (characters)."""
LINE_HEIGHT = 15.0
"""Height of one line of text (points)."""


def clean_text(value: str) -> str:
    """``value`` without the control characters an .xlsx cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _plain(value: object) -> object:
    """A value openpyxl can store: numpy scalars unwrapped, NaN and None as blank."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _cell_value(value: object) -> object:
    """``value`` as stored: ``_plain``, and strings without the characters XML cannot hold."""
    value = _plain(value)
    return clean_text(value) if isinstance(value, str) else value


def _reads_as_other(value: object) -> bool:
    """Whether openpyxl would read ``value``, given bare, as a formula ('=...') or an error
    ('#N/A') rather than as text: such text must go in a cell marked as text."""
    return isinstance(value, str) and (
        (len(value) > 1 and value.startswith("=")) or value in ERROR_CODES)


def _store(cell: Cell, value: object) -> None:
    """Put the stored form ``value`` (``_cell_value``) in ``cell``; strings stay text."""
    cell.value = value
    if isinstance(value, str) and cell.data_type != "s":  # '=...', '#N/A': keep the text
        cell.data_type = "s"


def set_value(cell: Cell, value: object) -> None:
    """Put ``value`` in ``cell``; a string is always stored as text (never a formula)."""
    _store(cell, _cell_value(value))


def _values_to_row(ws: WriteOnlyWorksheet, values: Sequence[object], row_idx: int
                   ) -> Iterator[Cell]:
    """openpyxl 3.1's ``WriteOnlyWorksheet._values_to_row`` without its slow path for cell
    objects: openpyxl first tries each cell object as a value, which raises and catches
    a ValueError per styled cell. The cells it yields are the same (tested byte for byte
    against openpyxl's own in tests/test_report.py); writing a styled table is about a
    third faster."""
    for col_idx, value in enumerate(values, 1):
        if value is None:
            continue
        cell = value if isinstance(value, Cell) else WriteOnlyCell(ws, value)
        cell.column = col_idx
        cell.row = row_idx
        if cell.hyperlink is not None:
            cell.hyperlink.ref = cell.coordinate
        yield cell


def use_fast_rows(ws: WriteOnlyWorksheet) -> WriteOnlyWorksheet:
    """``ws`` with rows converted by ``_values_to_row`` (this sheet only); returns it."""
    ws._values_to_row = types.MethodType(_values_to_row, ws)  # noqa: SLF001
    return ws


def header_text(name: str, currency: str, step: str = "") -> str:
    """The header of output column ``name``: 'words (unit)', or the words alone."""
    spec = column_spec(name)
    unit = spec.unit_text(currency, step)
    words = spec.words(name, currency, step)
    return f"{words} ({unit})" if unit else words


def _value_width(value: object, number_format: str) -> int:
    value = _plain(value)
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        if "%" in number_format:
            return len(f"{value * 100:.1f}%")
        decimals = number_format.split(".")[1].count("0") if "." in number_format else 0
        return len(f"{value:,.{decimals}f}")
    return len(str(value))


def _lines(value: object, width: float) -> int:
    """Lines that ``value`` takes when wrapped in a column ``width`` characters wide."""
    if not isinstance(value, str) or not value:
        return 1
    return max(1, math.ceil(len(value) * 0.85 / max(width - 1, 1)))


@dataclass
class TableSpan:
    """Where a table landed: its header row and first/last data rows (1-based)."""

    sheet: str
    header_row: int
    first_row: int
    last_row: int
    columns: list[str]
    first_col: int = 1
    truncated: int = 0

    def col(self, name: str) -> int:
        """The 1-based column number of ``name``."""
        return self.first_col + self.columns.index(name)

    def data_range(self, name: str) -> str:
        """'C4:C20', the data cells of column ``name`` ('' when the table is empty)."""
        if self.last_row < self.first_row:
            return ""
        letter = get_column_letter(self.col(name))
        return f"{letter}{self.first_row}:{letter}{self.last_row}"

    @property
    def ref(self) -> str:
        """The whole table with its header, e.g. 'A3:H20'."""
        last = get_column_letter(self.first_col + len(self.columns) - 1)
        return (f"{get_column_letter(self.first_col)}{self.header_row}:"
                f"{last}{max(self.last_row, self.header_row)}")


@dataclass
class SheetWriter:
    """Appends rows to one write-only worksheet, keeping count of the rows written."""

    ws: WriteOnlyWorksheet
    currency: str
    step: str = ""
    row: int = 0
    used: dict[str, list[str]] = field(default_factory=dict)
    """Output column -> the places it appears (shared across sheets, for the Dictionary)."""
    widths: list[float] = field(default_factory=list)
    """Column widths set by ``layout`` (characters)."""
    spans: list[tuple[int, TableSpan]] = field(default_factory=list)
    """The tables written, each with the row of the heading it sits under (for printing)."""
    heading: int = 0
    """The row of the last section heading written."""

    # --- layout (before the first row) --------------------------------------------------

    def layout(self, widths: Sequence[float], freeze: str | None = None,
               landscape: bool = True) -> None:
        """Column widths (characters), frozen panes and page setup; call before any row."""
        self.widths = list(widths)
        for j, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(j)].width = round(width, 1)
        if freeze:
            self.ws.freeze_panes = freeze
        page_setup(self.ws, landscape=landscape)

    def finish(self) -> None:
        """Print the tables written: a long one (more than ``PAGE_ROWS`` rows) below the
        top of the sheet starts a new page under its heading, and the sheet's last table,
        when long, repeats its header row on every page it runs over. (A sheet repeats one
        row range, from where it stands on; so a long table followed by others repeats
        nothing, and its first page still has its header.)"""
        for heading, span in self.spans:
            if span.last_row - span.first_row + 1 > PAGE_ROWS:
                top = heading if 0 < heading < span.header_row else span.header_row
                if top > 8:
                    break_before(self.ws, top)
        if self.spans:
            _, last = max(self.spans, key=lambda item: item[1].header_row)
            if last.last_row - last.first_row + 1 > PAGE_ROWS:
                repeat_rows(self.ws, last.header_row)

    def fit_widths(self, frames: Sequence[pd.DataFrame | list[str]], minimum: int = 9,
                   first: float | None = None, sample: int = 300) -> list[float]:
        """Widths that fit the headers and values of tables laid out from column A.

        Values are measured on the first ``sample`` rows and each column's maximum, so
        the cost does not grow with the table. Columns that are not output columns are
        measured by their name and values (tonnes format).
        """
        widths: list[float] = []
        for frame in frames:
            names = list(frame.columns) if isinstance(frame, pd.DataFrame) else list(frame)
            for j, name in enumerate(names):
                name = str(name)
                declared = name in OUTPUT_COLUMNS
                wrap = declared and column_spec(name).wrap
                fmt = column_spec(name).number_format if declared else TONNES
                text = header_text(name, self.currency, self.step) if declared else name
                # wrap the unit, never a column name (a name has no space to break at)
                head = max(min(len(text), HEADER_WRAP), min(len(name) + 1, 28))
                width = max(minimum, head)
                if isinstance(frame, pd.DataFrame) and len(frame):
                    col = frame[name]
                    values = list(col.iloc[:sample])
                    if col.dtype.kind in "fi" and col.notna().any():
                        values += [col.max(), col.min()]
                    width = max(width, *(_value_width(v, fmt) for v in values))
                while len(widths) <= j:
                    widths.append(minimum)
                widths[j] = max(widths[j], min(width + 2, WRAP_WIDTH if wrap else MAX_WIDTH))
        if first is not None and widths:
            widths[0] = max(widths[0], first)
        return widths

    # --- rows -----------------------------------------------------------------------------

    def append(self, values: Sequence[object]) -> int:
        """Append one row (cells or plain values) and return its row number."""
        cells = []
        for value in values:
            if isinstance(value, Cell) or value is None:
                cells.append(value)
            else:
                cell = WriteOnlyCell(self.ws)
                set_value(cell, value)
                cells.append(cell)
        self.ws.append(cells)
        self.row += 1
        return self.row

    def cell(self, value: object, number_format: str | None = None, font: Font | None = None,
             fill: PatternFill | None = None, align: Alignment | None = None) -> Cell:
        """A styled cell holding ``value`` (strings as text)."""
        cell = WriteOnlyCell(self.ws)
        set_value(cell, value)
        if number_format:
            cell.number_format = number_format
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if align is not None:
            cell.alignment = align
        return cell

    def link(self, label: str, sheet: str, anchor: str = "A1") -> Cell:
        """A cell linking to ``anchor`` on ``sheet`` of this workbook."""
        cell = self.cell(label, font=LINK_FONT)
        cell.hyperlink = Hyperlink(ref="", location=f"{quote_sheetname(sheet)}!{anchor}",
                                   display=clean_text(label))
        return cell

    def _width(self, column: int) -> float:
        return self.widths[column - 1] if column - 1 < len(self.widths) else 8.43

    def blank(self) -> None:
        """An empty row."""
        self.append([])

    def title(self, text: str, back_to: str | None = "Summary") -> int:
        """The sheet's title row, with a link back to ``back_to`` in column D."""
        cells: list[object] = [self.cell(text, font=TITLE_FONT)]
        if back_to:
            # past the end of the title, which spills over the empty cells (14 pt ≈ 1.4 chars)
            column = self.column_after(1, len(text) * 1.4)
            cells += [None] * (column - 2) + [self.link(f"← {back_to}", back_to)]
        return self.append(cells)

    def column_after(self, column: int, chars: float) -> int:
        """The first column after text of ``chars`` characters that starts at ``column``."""
        end, j = 0.0, column
        while end < chars:
            end += self.widths[j - 1] if j - 1 < len(self.widths) else 8.43
            j += 1
        return j

    def nav_rows(self, labels: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Lay out link labels left to right without overlap, in as many rows as needed.

        Returns, per row, (label index, column) pairs; a row never goes past the last
        laid-out column (or column 8 when there are fewer).
        """
        last = max(len(self.widths), 8)
        rows: list[list[tuple[int, int]]] = [[]]
        column = 1
        for i, label in enumerate(labels):
            end = self.column_after(column, len(label) + 2)
            if rows[-1] and end - 1 > last:
                rows.append([])
                column = 1
                end = self.column_after(column, len(label) + 2)
            rows[-1].append((i, column))
            column = end
        return rows

    def nav(self, targets: Sequence[tuple[str, str, str]]) -> None:
        """Rows of links (label, sheet, anchor), laid out by ``nav_rows``."""
        for row in self.nav_rows([label for label, _, _ in targets]):
            cells: list[object] = []
            for i, column in row:
                cells += [None] * (column - 1 - len(cells))
                label, sheet, anchor = targets[i]
                cells.append(self.link(label, sheet, anchor))
            self.append(cells)

    def note(self, text: str) -> int:
        """A one-line note in grey italics (spills over the empty cells to its right)."""
        return self.append([self.cell(text, font=NOTE_FONT)])

    def section(self, text: str) -> int:
        """A section heading; returns its row (a hyperlink anchor)."""
        self.heading = self.append([self.cell(text, font=SECTION_FONT)])
        return self.heading

    def header(self, names: Sequence[str], place: str | None, first_col: int = 1,
               widths: Sequence[float] | None = None, texts: Sequence[str] | None = None
               ) -> int:
        """A styled header row 'name (unit)'; records where each column is used.

        ``texts`` overrides the header texts (for tables whose columns are not output
        columns, such as the echo of the inputs); ``place`` None records nothing.
        """
        if texts is None:
            texts = [header_text(n, self.currency, self.step) for n in names]
        for name in names if place is not None else ():
            places = self.used.setdefault(name, [])
            if place not in places:
                places.append(place)
        lines = 1
        if widths:
            for j, text in enumerate(texts):
                width = widths[first_col - 1 + j] if first_col - 1 + j < len(widths) else 10
                lines = max(lines, math.ceil(len(text) / max(width - 2, 1)))
        if lines > 1:
            self.ws.row_dimensions[self.row + 1].height = 15 * min(lines, 4)
        cells = [None] * (first_col - 1) + [
            self.cell(t, font=HEADER_FONT, fill=HEADER_FILL, align=HEADER_ALIGN) for t in texts]
        return self.append(cells)

    def table(self, df: pd.DataFrame, place: str | None, *,
              widths: Sequence[float] | None = None,
              row_styles: Sequence[str | None] | None = None, first_col: int = 1,
              max_rows: int | None = None, headers: Sequence[str] | None = None,
              formats: Sequence[str] | None = None) -> TableSpan:
        """Write ``df`` under a styled header; numbers get their declared formats.

        Columns are output columns (declared in OUTPUT_COLUMNS) unless ``headers`` and
        ``formats`` are given for them. ``row_styles`` names a ROW_STYLES variant per row
        (or None). Rows beyond what the sheet can hold (Excel's row limit, or
        ``max_rows``) are left out and counted in ``TableSpan.truncated``. Linear in the
        number of cells: one styled cell object per column and variant is reused for
        every row.
        """
        names = list(df.columns)
        header_row = self.header(names, place, first_col, widths, headers)
        room = EXCEL_MAX_ROWS - self.row - 2  # keep a row for the truncation note
        limit = min(len(df), room, max_rows if max_rows is not None else len(df))
        specs: list[OutputColumn] = ([OutputColumn("", "", f) for f in formats]
                                     if formats is not None else [column_spec(n) for n in names])
        top = Alignment(vertical="top") if any(spec.wrap for spec in specs) else None
        numeric = [spec.number_format not in ("General", "@") for spec in specs]
        gap = [j > 0 and numeric[j - 1] and not numeric[j] and not specs[j].wrap
               for j in range(len(specs))]
        prototypes: dict[str | None, list[Cell]] = {}
        styled_columns: dict[str | None, list[bool]] = {}

        def cells_for(variant: str | None) -> list[Cell]:
            if variant not in prototypes:
                font, fill = ROW_STYLES.get(variant, (None, None)) if variant else (None, None)
                row = []
                for spec, after_number in zip(specs, gap, strict=True):
                    fmt = spec.number_format if spec.number_format != "General" else None
                    align = WRAP_ALIGN if spec.wrap else (GAP_ALIGN if after_number else top)
                    row.append(self.cell(None, fmt, font, fill, align))
                prototypes[variant] = row
                styled_columns[variant] = [cell.has_style for cell in row]
            return prototypes[variant]

        columns = [df[n].tolist()[:limit] for n in names]
        pad = [None] * (first_col - 1)
        append = self.ws.append
        wrapped = [(j, self._width(first_col + j)) for j, spec in enumerate(specs) if spec.wrap]
        heights = self.ws.row_dimensions
        for i, values in enumerate(zip(*columns, strict=True)):
            variant = row_styles[i] if row_styles is not None else None
            cells = cells_for(variant)
            if wrapped:  # rows of wrapped text get their height (Excel does not fit it)
                lines = max(_lines(values[j], width) for j, width in wrapped)
                if lines > 1:
                    heights[self.row + 1 + i].height = LINE_HEIGHT * lines
            row: list[object] = list(pad)
            for cell, styled, value in zip(cells, styled_columns[variant], values,
                                           strict=True):
                value = _cell_value(value)
                if value is None and variant is None:
                    row.append(None)  # an empty cell without a row style: nothing to write
                elif styled or _reads_as_other(value):
                    target = cell if styled else WriteOnlyCell(self.ws)
                    _store(target, value)
                    row.append(target)
                else:  # an unstyled column: the bare value, about twice as fast to write
                    row.append(value)
            append(row)
        self.row += limit
        span = TableSpan(self.ws.title, header_row, header_row + 1, header_row + limit, names,
                         first_col, truncated=len(df) - limit)
        self.spans.append((self.heading, span))
        self.heading = 0  # a later table without a heading of its own is not under this one
        if span.truncated:
            self.note(f"{span.truncated:,} more rows are not shown: an Excel sheet holds at "
                      f"most {EXCEL_MAX_ROWS:,} rows.")
        elif not limit:
            self.note("(none)")
        return span


def start_sheet(w: SheetWriter, widths: list[float], labels: list[str]) -> int:
    """Lay out a sheet with section links under its title and note; return the last row
    of the links (the sections start below it). The title, note and links stay frozen."""
    w.widths = list(widths)
    after = 2 + len(w.nav_rows(labels))
    w.layout(widths, freeze=f"A{after + 1}")
    return after


def section_anchors(after_row: int, sizes: list[int], before_table: int,
                    extra: list[int] | None = None) -> list[int]:
    """The rows of the section headings of stacked sections, for the links at the top.

    Each section is a blank row, its heading, ``before_table − 2`` note rows, a header
    and its rows (an empty table writes one "(none)" row); ``extra`` adds rows after a
    section (room left for a chart).
    """
    anchors, row = [], after_row
    for i, n in enumerate(sizes):
        anchors.append(row + 2)
        row += before_table + 1 + max(n, 1) + (extra[i] if extra else 0)
    return anchors
