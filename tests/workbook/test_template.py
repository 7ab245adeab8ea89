"""The template and example workbooks: derived from the schema, and they validate.

Each test writes a workbook into pytest's ``tmp_path`` and reads it back, either with
openpyxl (to see formatting, comments and validations) or through ``stockopt``'s own
reader and validator (``normalize.load``), so what the template promises is what the
reader accepts.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.worksheet import Worksheet
from workbooks import minimal_sheets, write_workbook

from stockopt.commands.cli import main
from stockopt.files import atomic as atomic_module
from stockopt.workbook.example import example_tables
from stockopt.workbook.normalize import load
from stockopt.workbook.schema import (
    SCENARIOS,
    SETTINGS,
    SETTINGS_KEYS,
    SHEETS,
    WILDCARD,
    Kind,
    Ref,
)
from stockopt.workbook.template import (
    LAST_DATA_ROW,
    README_TITLE,
    write_input_workbook,
    write_template,
)


@pytest.fixture(scope="module")
def template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    write_template(path)
    return path


@pytest.fixture(scope="module")
def example_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("example") / "example.xlsx"
    write_template(path, example=True)
    return path


@pytest.fixture(scope="module")
def template_wb(template_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(template_path)


@pytest.fixture(scope="module")
def example_wb(example_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(example_path)


def _validations_of(ws: Worksheet, cell: str) -> list:
    return [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]


# --- round trip -----------------------------------------------------------------

def test_example_round_trip_through_the_cli(tmp_path: Path) -> None:
    """`template --example` then `validate`: exit 0, no warning, no error."""
    out = tmp_path / "e.xlsx"
    runner = CliRunner()
    written = runner.invoke(main, ["template", "--example", str(out)])
    assert written.exit_code == 0, written.output
    checked = runner.invoke(main, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "valid" in checked.output
    assert "warning" not in checked.output.lower()
    assert "error" not in checked.output.lower()


def test_example_loads_cleanly_and_keeps_its_meaning(example_path: Path) -> None:
    """The example read back through stockopt's reader: no problems, the data as written."""
    loaded = load(example_path)
    assert loaded.problems.items == [], [p.message for p in loaded.problems.items]
    data = loaded.data
    assert data is not None
    assert data.parties == ["US", "EU"]
    assert data.periods == ["2027", "2028", "2029", "2030"]
    assert len(data.minerals) == 3 and len(data.scenarios) == 3
    assert sum(data.probability.values()) == pytest.approx(1.0)
    joint = [m for m in data.members.values() if len(m) == 2]
    assert joint == [{"US": 0.5, "EU": 0.5}]
    assert len(data.offtakes) == 1
    (swap,) = data.swaps.values()
    assert (swap.return_ratio, swap.return_lag, swap.receiver) == (1.05, 2, "EU")
    assert data.risk_weight == 0.5 and data.cvar_alpha == 0.9 and data.currency == "USD"
    assert data.demand_multiplier, "the example has a demand shock"
    assert data.availability, "the example has disruptions"


def test_example_budgets_bind(example_path: Path) -> None:
    """The budgets are smaller than buying the full market depth of every mineral.

    Buying the market depth of each mineral with a limit (cobalt alone: 20,000 t x
    33,000 USD/t = 660 M USD) costs more than the 270 M USD of both budgets together,
    so the plan cannot cover everything.
    """
    data = load(example_path).data
    assert data is not None
    depth_cost = sum(data.price[m] * q for m, q in data.max_acquisition.items() if q)
    total_budget = sum(b for b in data.budget.values() if b is not None)
    assert depth_cost > total_budget > 0


def test_template_writer_reads_like_a_plain_workbook(tmp_path: Path) -> None:
    """The same tables written plainly and by the template writer load to the same data."""
    sheets = minimal_sheets()
    plain = write_workbook(tmp_path / "plain.xlsx", sheets)
    tables = {name: [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
              for name, rows in sheets.items()}
    styled = tmp_path / "styled.xlsx"
    write_input_workbook(styled, tables, title="minimal")
    a, b = load(plain), load(styled)
    assert a.data is not None and b.data is not None
    assert a.data == b.data
    assert [p.message for p in b.problems.items] == [p.message for p in a.problems.items]


# --- the empty template -----------------------------------------------------------

def test_template_has_every_sheet_and_header(template_wb: openpyxl.Workbook) -> None:
    assert template_wb.sheetnames == [README_TITLE, *(s.name for s in SHEETS)]
    for sheet in SHEETS:
        ws = template_wb[sheet.name]
        headers = [c.value for c in ws[1]]
        assert headers == [c.name for c in sheet.columns], sheet.name
        assert ws.freeze_panes == "A2", sheet.name


def test_template_headers_show_required_unit_and_meaning(
        template_wb: openpyxl.Workbook) -> None:
    for sheet in SHEETS:
        ws = template_wb[sheet.name]
        fills = {}
        for index, col in enumerate(sheet.columns, start=1):
            cell = ws.cell(1, index)
            assert cell.font.bold
            assert cell.comment is not None and col.description in cell.comment.text
            if col.unit:
                assert col.unit in cell.comment.text
            fills.setdefault(col.required, set()).add(cell.fill.fgColor.rgb)
            letter = cell.column_letter
            assert ws.column_dimensions[letter].width == col.width
        if True in fills and False in fills:
            assert fills[True].isdisjoint(fills[False]), sheet.name


def test_template_settings_lists_every_key_and_loads_cleanly(template_path: Path) -> None:
    """Only the empty required sheets are reported; Settings (pre-filled) is fine."""
    wb = openpyxl.load_workbook(template_path)
    ws = wb[SETTINGS.name]
    keys = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    assert keys == [s.key for s in SETTINGS_KEYS]
    loaded = load(template_path)
    assert loaded.data is None  # required sheets are empty
    assert all(p.sheet != SETTINGS.name for p in loaded.problems.items)
    required_empty = {s.name for s in SHEETS if s.required}
    assert {p.sheet for p in loaded.problems.errors} <= required_empty


def test_readme_lists_every_sheet_column_and_setting(template_wb: openpyxl.Workbook) -> None:
    ws = template_wb[README_TITLE]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows()]
    pairs = {(r[0], r[1]) for r in rows}
    for sheet in SHEETS:
        for col in sheet.columns:
            assert (sheet.name, col.name) in pairs, (sheet.name, col.name)
            guide = next(r for r in rows if r[:2] == (sheet.name, col.name))
            assert guide[2] == ("required" if col.required else "optional")
            assert guide[7] == col.description
            if col.kind is Kind.NUMBER:
                assert guide[5] == col.expected_range()
    first_cells = {r[0] for r in rows}
    assert {s.key for s in SETTINGS_KEYS} <= first_cells
    assert {s.name for s in SHEETS} <= first_cells


def test_readme_shows_the_notes(tmp_path: Path) -> None:
    path = tmp_path / "n.xlsx"
    write_input_workbook(path, {}, title="T", notes=[("Source", "USGS MCS 2026")])
    ws = openpyxl.load_workbook(path)[README_TITLE]
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert values[0] == "T"
    assert "Source" in values and "USGS MCS 2026" in values


# --- data validation and formats ---------------------------------------------------

def test_reference_columns_have_dropdowns_of_the_declaring_sheet(
        template_wb: openpyxl.Workbook) -> None:
    declaring = {s.declares: s for s in SHEETS if s.declares is not None}
    checked = 0
    for sheet in SHEETS:
        ws = template_wb[sheet.name]
        for index, col in enumerate(sheet.columns, start=1):
            if col.references is None or col.references is Ref.SOURCE:
                continue
            cell = f"{ws.cell(2, index).column_letter}2"
            (dv,) = _validations_of(ws, cell)
            assert dv.type == "list"
            assert f"'{declaring[col.references].name}'!" in dv.formula1
            assert f"{LAST_DATA_ROW}" in dv.formula1
            # a wildcard column must let '*' through (warning, not stop)
            assert dv.errorStyle == ("warning" if col.wildcard else "stop")
            checked += 1
    assert checked >= 10


def test_number_columns_have_range_checks(template_wb: openpyxl.Workbook) -> None:
    for sheet in SHEETS:
        ws = template_wb[sheet.name]
        for index, col in enumerate(sheet.columns, start=1):
            if col.kind is not Kind.NUMBER:
                continue
            (dv,) = _validations_of(ws, f"{ws.cell(2, index).column_letter}2")
            assert dv.type == ("whole" if col.integer else "decimal")
            if col.is_fraction:
                assert (dv.operator, dv.formula1, dv.formula2) == ("between", "0", "1")
            elif col.minimum == 0 and col.maximum is None:
                expected = "greaterThan" if col.minimum_exclusive else "greaterThanOrEqual"
                assert (dv.operator, dv.formula1) == (expected, "0")


def test_sources_and_settings_keys_have_open_dropdowns(example_wb: openpyxl.Workbook) -> None:
    """Known sources are offered but new ones may be typed; '*' is offered where allowed."""
    sources = {str(r["source"]) for name in ("Supply", "Offtakes")
               for r in example_tables()[name]}
    for sheet in SHEETS:
        ws = example_wb[sheet.name]
        for index, col in enumerate(sheet.columns, start=1):
            if col.references is not Ref.SOURCE:
                continue
            (dv,) = _validations_of(ws, f"{ws.cell(2, index).column_letter}2")
            assert dv.type == "list" and dv.errorStyle == "information"
            offered = set(dv.formula1.strip('"').split(","))
            assert sources <= offered
            assert (WILDCARD in offered) == col.wildcard
    ws = example_wb[SETTINGS.name]
    (dv,) = _validations_of(ws, "A2")
    assert set(dv.formula1.strip('"').split(",")) == {s.key for s in SETTINGS_KEYS}


def test_data_cells_carry_the_schema_number_formats(example_wb: openpyxl.Workbook) -> None:
    for sheet in SHEETS:
        ws = example_wb[sheet.name]
        for row in ws.iter_rows(min_row=2):
            for index, cell in enumerate(row):
                col = sheet.columns[index]
                if cell.value is None or not col.number_format:
                    continue
                assert cell.number_format == col.number_format, (sheet.name, cell.coordinate)
                if col.kind is Kind.IDENTIFIER:
                    assert cell.number_format == "@" and isinstance(cell.value, str)


# --- writing ----------------------------------------------------------------------------

def test_text_starting_with_equals_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "eq.xlsx"
    tables = {SCENARIOS.name: [{"scenario": "=A1", "probability": 1.0,
                                "description": "=HYPERLINK(\"http://x\")"}]}
    write_input_workbook(path, tables, title="=not a formula", notes=[("=h", "=t")])
    wb = openpyxl.load_workbook(path)
    a2, c2 = wb[SCENARIOS.name]["A2"], wb[SCENARIOS.name]["C2"]
    assert (a2.value, a2.data_type) == ("=A1", "s")
    assert (c2.value, c2.data_type) == ("=HYPERLINK(\"http://x\")", "s")
    title = wb[README_TITLE]["A1"]
    assert (title.value, title.data_type) == ("=not a formula", "s")
    raw = load(path).raw
    assert raw is not None
    assert raw[SCENARIOS.name].records[0]["scenario"] == "=A1"


def test_unknown_sheet_or_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown sheet"):
        write_input_workbook(tmp_path / "x.xlsx", {"Nope": []}, title="t")
    with pytest.raises(ValueError, match="unknown column"):
        write_input_workbook(tmp_path / "x.xlsx", {SCENARIOS.name: [{"nope": 1}]}, title="t")
    assert not list(tmp_path.iterdir())


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed save leaves the old file as it was and no temporary file behind."""
    path = tmp_path / "w.xlsx"
    path.write_bytes(b"old")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic_module.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_template(path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["w.xlsx"]
    monkeypatch.undo()
    write_template(path)
    assert [p.name for p in tmp_path.iterdir()] == ["w.xlsx"]
    assert openpyxl.load_workbook(path).sheetnames[0] == README_TITLE


def test_written_file_has_ordinary_permissions(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    write_template(path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_same_input_gives_the_same_workbook(tmp_path: Path) -> None:
    """Every part of the file but the save time (docProps/core.xml) is identical."""
    parts = []
    for name in ("a.xlsx", "b.xlsx"):
        write_template(tmp_path / name, example=True)
        with zipfile.ZipFile(tmp_path / name) as zf:
            parts.append({n: zf.read(n) for n in zf.namelist() if n != "docProps/core.xml"})
    assert parts[0] == parts[1]


def test_force_is_needed_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"keep me")
    runner = CliRunner()
    refused = runner.invoke(main, ["template", str(out)])
    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert out.read_bytes() == b"keep me"
    forced = runner.invoke(main, ["template", "--example", "--force", str(out)])
    assert forced.exit_code == 0, forced.output
    assert load(out).data is not None


def test_unwritable_folder_exits_with_failure(tmp_path: Path) -> None:
    out = tmp_path / "missing-folder" / "t.xlsx"
    result = CliRunner().invoke(main, ["template", str(out)])
    assert result.exit_code == 1
    assert "cannot write" in result.output


@pytest.mark.parametrize(("sheet", "column", "choices"), [
    ("Stockpiles", "access", "free,shares"), ("CoverTargets", "basis", "demand,net_imports")])
def test_text_columns_with_fixed_values_offer_them(template_wb: openpyxl.Workbook, sheet: str,
                                                   column: str, choices: str) -> None:
    """A text column with a fixed set of values (Stockpiles access, CoverTargets basis)
    gets a dropdown of exactly those values."""
    ws = template_wb[sheet]
    letter = next(c.column_letter for c in ws[1] if c.value == column)
    found = [dv.formula1 for dv in ws.data_validations.dataValidation
             if any(str(r).startswith(f"{letter}2") for r in dv.sqref.ranges)]
    assert found == [f'"{choices}"']
