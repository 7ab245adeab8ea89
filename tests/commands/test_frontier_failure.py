"""A frontier point that does not solve says why, on the terminal and in the JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from stockopt.commands.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_example.xlsx"


def test_a_failed_point_is_explained(tmp_path: Path) -> None:
    """A time limit far below what any point needs: exit 1, no workbook, the reason in
    words (what to do about a time limit) on standard error and in the summary JSON."""
    out, summary = tmp_path / "f.xlsx", tmp_path / "f.json"
    result = CliRunner().invoke(main, ["frontier", str(EXAMPLE), "-o", str(out),
                                       "--summary-json", str(summary), "--time-limit",
                                       "0.00001", "--steps", "2", "--quiet"])
    assert result.exit_code == 1, result.output
    assert not out.exists()
    assert "why: " in result.output and "--time-limit" in result.output
    payload = json.loads(summary.read_text())
    assert payload["status"] == "time limit reached"
    assert "time" in payload["explanation"]
