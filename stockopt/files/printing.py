"""How every sheet stockopt writes prints: one page setup for all of them.

A4 landscape, fit to the page width (as many pages down as needed), narrow margins, no
grid lines, the sheet's name and "page N of M" in the footer; a long table's header row
repeated at the top of every page it runs over (``repeat_rows``), and the label columns of
a wide table at the left of every page (``repeat_columns``, for whoever prints without
fitting); a manual page break before a long section (``break_before``) so it starts on a
page of its own, under its heading. Works on openpyxl's normal and write-only worksheets
(the print titles and breaks are kept by the workbook and written when it is saved, so
they may be set after the rows).

Lives below ``workbook`` so the input template and the sampled input workbooks print like
the outputs; ``stockopt.report.printing`` is the same helper for the report writers.
"""

from __future__ import annotations

from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break

PAGE_ROWS = 40
"""Rows of a table above which it is 'long': it starts on a new page and, as the sheet's
last table, repeats its header on every page."""

FONT = "Calibri"
"""The one font of every workbook stockopt writes (body text, headers, charts' text)."""


def page_setup(ws, *, landscape: bool = True) -> None:  # noqa: ANN001 (both sheet kinds)
    """Landscape A4, fit to the page width, footer with the sheet name and page number."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.25,
                                  footer=0.3)
    footer = getattr(ws, "oddFooter", None)
    if footer is not None:
        footer.center.text = "&A, page &P of &N"
        footer.center.size = 8


def repeat_rows(ws, first: int, last: int | None = None) -> None:  # noqa: ANN001
    """Print rows ``first``..``last`` (1-based) at the top of every page from where they
    stand (a table's header row)."""
    ws.print_title_rows = f"{first}:{last if last is not None else first}"


def repeat_columns(ws, first: str, last: str | None = None) -> None:  # noqa: ANN001
    """Print columns ``first``..``last`` (letters) at the left of every page."""
    ws.print_title_cols = f"{first}:{last if last is not None else first}"


def break_before(ws, row: int) -> None:  # noqa: ANN001
    """A manual page break above ``row`` (1-based): the row starts a new page."""
    if row > 1 and all(b.id != row - 1 for b in ws.row_breaks.brk):
        ws.row_breaks.append(Break(id=row - 1))
