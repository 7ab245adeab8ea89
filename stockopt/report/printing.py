"""How every output workbook prints: the one page setup of ``stockopt.files.printing``,
for the report writers (results, frontier, evaluation, cooperation, sensitivity and
comparison workbooks).

Call ``page_setup(ws)`` on every sheet (``cells.SheetWriter.layout`` does), then
``repeat_rows(ws, header_row)`` for a sheet whose last table is long and
``break_before(ws, heading_row)`` before a long section that does not start the sheet
(``SheetWriter.finish`` does both from the tables it wrote); ``repeat_columns`` keeps a
wide table's label columns on every page.
"""

from __future__ import annotations

from ..files.printing import (
    FONT,
    PAGE_ROWS,
    break_before,
    page_setup,
    repeat_columns,
    repeat_rows,
)

__all__ = ["FONT", "PAGE_ROWS", "break_before", "page_setup", "repeat_columns", "repeat_rows"]
