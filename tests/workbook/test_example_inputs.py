"""The bundled example inputs/us_eu_example.xlsx: generated from its CSVs, valid, sourced."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from stockopt.commands.cli import main
from stockopt.workbook.schema import SHEETS

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "inputs"
SCRIPT = INPUTS / "build_example.py"
DERIVE = INPUTS / "derive_example_csvs.py"
WORKBOOK = INPUTS / "us_eu_example.xlsx"
CSV_DIR = INPUTS / "us_eu_example"


def _csv(name: str) -> list[dict[str, str]]:
    with (CSV_DIR / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _values(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)]
                for ws in wb.worksheets}
    finally:
        wb.close()


def test_committed_workbook_is_what_the_script_generates(tmp_path: Path) -> None:
    out = tmp_path / "regenerated.xlsx"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--output", str(out)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    committed, fresh = _values(WORKBOOK), _values(out)
    assert list(committed) == list(fresh)
    for sheet in fresh:
        assert committed[sheet] == fresh[sheet], (
            f"sheet {sheet} differs: rerun `python inputs/build_example.py` and commit the "
            "workbook")


def test_committed_csvs_are_what_the_derivation_writes(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(DERIVE), str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    committed = sorted(p.name for p in CSV_DIR.glob("*.csv"))
    assert committed == sorted(p.name for p in tmp_path.glob("*.csv"))
    for name in committed:
        assert (CSV_DIR / name).read_text(encoding="utf-8") == \
            (tmp_path / name).read_text(encoding="utf-8"), (
            f"{name} differs: rerun `python inputs/derive_example_csvs.py` (or update the "
            "derivation to match a hand edit)")


def test_example_validates_without_warnings() -> None:
    result = CliRunner().invoke(main, ["validate", str(WORKBOOK)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "warning" not in result.output.lower(), result.output


def test_csv_headers_are_schema_columns() -> None:
    for sheet in SHEETS:
        with (CSV_DIR / f"{sheet.name}.csv").open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert set(header) <= {c.name for c in sheet.columns}, sheet.name
        assert {c.name for c in sheet.required_columns} <= set(header), sheet.name


def test_sources_are_facts_or_assumptions() -> None:
    rows = _csv("sources.csv")
    assert rows
    assert list(rows[0]) == ["item", "value", "basis", "source", "kind"]
    for row in rows:
        assert row["kind"] in {"fact", "assumption"}, row
        assert row["item"].strip() and row["value"].strip() and row["basis"].strip(), row
        if row["kind"] == "fact":
            assert row["source"].strip(), f"fact without a source: {row['item']}"
    items = [r["item"] for r in rows]
    assert len(items) == len(set(items)), "duplicate sources.csv items"


@pytest.mark.parametrize("sheet", ["Supply", "Demand"])
def test_every_supply_and_demand_mineral_has_a_source_line(sheet: str) -> None:
    items = [r["item"] for r in _csv("sources.csv")]
    minerals = {r["mineral"] for r in _csv(f"{sheet}.csv")}
    assert minerals
    for mineral in sorted(minerals):
        pattern = re.compile(rf"\b{re.escape(mineral)}\b")
        assert any(pattern.search(item) for item in items), \
            f"{sheet} mineral {mineral} has no line in sources.csv"


def test_readme_carries_every_source_line() -> None:
    wb = openpyxl.load_workbook(WORKBOOK, read_only=True)
    try:
        text = "\n".join(str(v) for row in wb["README"].iter_rows(values_only=True)
                         for v in row if v is not None)
    finally:
        wb.close()
    for row in _csv("sources.csv"):
        heading = f"{'Fact' if row['kind'] == 'fact' else 'Assumption'}: {row['item']}"
        assert heading in text, heading
