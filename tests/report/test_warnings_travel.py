"""Input warnings travel with the results (issue #18 item 2): the summary JSON's
``warnings`` and the Summary sheet's "Input warnings" list every warning of the input,
each naming its sheet, row and column."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from workbooks import minimal_sheets, write_workbook

from stockopt.commands.cli import main
from stockopt.report.sheets import SUMMARY


def _solve(tmp_path: Path, sheets: dict) -> tuple[dict, list[str]]:
    path = write_workbook(tmp_path / "in.xlsx", sheets)
    out, js = tmp_path / "out.xlsx", tmp_path / "out.json"
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "--summary-json",
                                       str(js), "--quiet"])
    assert result.exit_code == 0, result.output
    cells = [str(c) for row in openpyxl.load_workbook(out)[SUMMARY].iter_rows(values_only=True)
             for c in row if c is not None]
    return json.loads(js.read_text()), cells


def test_a_warning_is_in_the_json_and_on_the_summary(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets["Parties"] = [["party", "budget", "notes"], ["US", 5, "ours"]]  # unknown column
    payload, cells = _solve(tmp_path, sheets)
    assert len(payload["warnings"]) == 1
    message = payload["warnings"][0]
    assert "sheet 'Parties'" in message and "'notes'" in message
    assert "Input warnings (1)" in cells
    assert message in cells


def test_no_warnings_is_said_too(tmp_path: Path) -> None:
    payload, cells = _solve(tmp_path, minimal_sheets())
    assert payload["warnings"] == []
    assert "Input warnings (0)" in cells
