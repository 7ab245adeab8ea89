"""Writing one table of styled numbers: openpyxl's write-only mode (as stockopt writes it)
against XlsxWriter, the writer pandas prefers (issue #18 item 8).

    python benchmarks/writers.py               # 50,000 rows x 12 columns (600,000 cells)
    python benchmarks/writers.py --rows 20000

Each row is three text keys (scenario, party, mineral) and nine numbers in the tonnes format,
the shape of the results workbook's per-scenario tables. openpyxl is driven the way
``stockopt.report.cells.SheetWriter.table`` drives it (one reused styled cell per column,
rows through ``use_fast_rows``); XlsxWriter with one format object, in its default mode and
in ``constant_memory`` mode. XlsxWriter is not a stockopt dependency: its rows are skipped
when it is not installed. Prints seconds and microseconds per cell.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TONNES = "#,##0.0"


def _rows(n: int, columns: int) -> list[list[object]]:
    rng = random.Random(1)
    return [[f"s{i % 150:04d}", f"P{i % 3 + 1}", f"m{i % 20:02d}"]
            + [rng.random() * 1000 for _ in range(columns - 3)] for i in range(n)]


def with_openpyxl(rows: list[list[object]]) -> tuple[float, int]:
    """Seconds and bytes for openpyxl's write-only mode, styled as stockopt styles it."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    from stockopt.report.cells import use_fast_rows

    start = time.perf_counter()
    wb = openpyxl.Workbook(write_only=True)
    ws = use_fast_rows(wb.create_sheet("table"))
    width = len(rows[0])
    cells = [WriteOnlyCell(ws) for _ in range(width)]
    for cell in cells[3:]:
        cell.number_format = TONNES
    for row in rows:
        out: list[object] = list(row[:3])
        for j in range(3, width):
            cells[j].value = row[j]
            out.append(cells[j])
        ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return time.perf_counter() - start, len(buffer.getvalue())


def with_xlsxwriter(rows: list[list[object]], constant_memory: bool) -> tuple[float, int]:
    """Seconds and bytes for XlsxWriter (one number format for the numbers)."""
    import xlsxwriter

    start = time.perf_counter()
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": constant_memory, "in_memory": True})
    ws = wb.add_worksheet("table")
    fmt = wb.add_format({"num_format": TONNES})
    for i, row in enumerate(rows):
        ws.write_row(i, 0, row[:3])
        for j in range(3, len(row)):
            ws.write_number(i, j, row[j], fmt)
    wb.close()
    return time.perf_counter() - start, len(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--columns", type=int, default=12)
    args = parser.parse_args()
    rows = _rows(args.rows, args.columns)
    cells = args.rows * args.columns
    runs = [("openpyxl write-only (stockopt's way)", lambda: with_openpyxl(rows))]
    try:
        import xlsxwriter  # noqa: F401

        runs += [("XlsxWriter", lambda: with_xlsxwriter(rows, False)),
                 ("XlsxWriter constant_memory", lambda: with_xlsxwriter(rows, True))]
    except ImportError:
        print("(XlsxWriter is not installed: pip install xlsxwriter to compare)")
    print(f"| writer | seconds | µs per cell | MB | ({cells:,} cells) |")
    print("|---|---|---|---|---|")
    for name, run in runs:
        seconds, size = run()
        print(f"| {name} | {seconds:.2f} | {seconds / cells * 1e6:.1f} | {size / 1e6:.1f} | |")


if __name__ == "__main__":
    main()
