"""The output workbook, the reviewer's record of a run: ``write_report`` and ``RunAudit``.

Sheets, in order: Summary, Decisions, Scenarios, Shortfalls, Stock and swaps, Policy
levers (only when the input has policy levers, ``policy``), Inputs, Dictionary
(``sheets``), with native charts (``charts``). Every column
is declared once in ``OUTPUT_COLUMNS`` (``columns``), which gives the headers
their units and generates the Dictionary. The workbook is streamed with openpyxl's
write-only mode (time linear in the number of cells), every user-supplied string is
written as text, never as a formula, and the file is written to a temporary file in
the target folder and renamed into place. The input workbook is never the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import openpyxl

from ..data import ModelData
from ..files.atomic import write_atomically
from ..files.provenance import file_sha256
from ..files.targets import check_targets
from ..results.extract import Results
from ..workbook.reader import RawWorkbook
from . import sheets
from .cells import SheetWriter, use_fast_rows
from .columns import OUTPUT_COLUMNS, OutputColumn
from .tables import budget_step, step_words

__all__ = ["OUTPUT_COLUMNS", "OutputColumn", "RunAudit", "build_workbook", "check_target",
           "write_report"]


@dataclass
class RunAudit:
    """Facts about the run for the audit record on the Summary sheet.

    ``timings`` are the pipeline's step times in seconds; ``timestamp`` is UTC.
    """

    input_path: Path
    timings: dict[str, float] = field(default_factory=dict)
    timestamp: str = field(default_factory=lambda: datetime.now(UTC).strftime(
        "%Y-%m-%d %H:%M:%S UTC"))
    warnings: list[str] = field(default_factory=list)
    """The input's warning messages (they travel with the results)."""

    @property
    def input_sha256(self) -> str:
        """SHA-256 of the input file's bytes (hex)."""
        return file_sha256(self.input_path)


def check_target(path: Path, input_path: Path | None = None) -> None:
    """Refuse, with a clear message, an output that cannot or must not be written: the
    commands' one rule for outputs (``stockopt.files.targets``) applied to one workbook.

    Raises OutputClash (an OutputNotWritable) when ``path`` is the input workbook, and
    OutputNotWritable when its folder is missing or not writable, or it is a folder, a
    read-only file, or open in Excel or LibreOffice (their lock file sits beside it).
    Files locked by Windows are caught when writing.
    """
    inputs = () if input_path is None else ((Path(input_path), "input workbook"),)
    check_targets(((Path(path), None),), inputs)


def build_workbook(results: Results, data: ModelData, audit: RunAudit,
                   raw: RawWorkbook | None = None) -> openpyxl.Workbook:
    """The output workbook (write-only: it can be saved once)."""
    wb = openpyxl.Workbook(write_only=True)
    ws = {name: use_fast_rows(wb.create_sheet(name)) for name in sheets.sheet_names(data)}
    step = step_words(budget_step(data))
    used: dict[str, list[str]] = {}
    writers: list[SheetWriter] = []

    def writer(name: str) -> SheetWriter:
        writers.append(SheetWriter(ws[name], data.currency, step, used=used))
        return writers[-1]

    facts = sheets.Audit(Path(audit.input_path).name, audit.input_sha256, audit.timestamp,
                         dict(audit.timings), list(audit.warnings))
    scenario_span, tail = sheets.write_scenarios(writer(sheets.SCENARIOS), results, data)
    sheets.write_summary(writer(sheets.SUMMARY), results, data, facts, ws[sheets.SCENARIOS],
                         scenario_span, tail)
    sheets.write_decisions(writer(sheets.DECISIONS), results, data)
    sheets.write_shortfalls(writer(sheets.SHORTFALLS), results, data)
    sheets.write_stock_and_swaps(writer(sheets.STOCK), results, data)
    if sheets.POLICY in ws:
        sheets.write_policy(writer(sheets.POLICY), results, data)
    sheets.write_inputs(writer(sheets.INPUTS), data, raw, facts)
    sheets.write_dictionary(writer(sheets.DICTIONARY), data.currency, step,
                            sheets.echoed_sheets(raw))
    for w in writers:  # page breaks and repeated headers, from the tables each one wrote
        w.finish()
    return wb


def write_report(path: Path, results: Results, data: ModelData, audit: RunAudit,
                 raw: RawWorkbook | None = None) -> None:
    """Write the output workbook to ``path`` atomically.

    ``raw`` (the input tables as read) feeds the Inputs sheet. Raises OutputNotWritable
    with a one-line reason when the target must not or cannot be written.
    """
    check_target(Path(path), Path(audit.input_path))

    def write(fh: BinaryIO) -> None:  # built only once the temporary file exists
        build_workbook(results, data, audit, raw).save(fh)

    write_atomically(Path(path), write)
