"""The reviewer's workbook: sheets, numbers a reviewer reads, safe writing, a real client.

The example is solved once per module through the command line; small hand-checkable
instances check the derived numbers (expected shortfalls, the CVaR tail, the stock
account). The LibreOffice test converts the output to PDF with ``soffice --headless``
and is skipped, with the reason shown, only where soffice is not installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from stockopt.commands.cli import main
from stockopt.files.atomic import OutputNotWritable
from stockopt.model import build_model
from stockopt.report.cells import HEADER_FILL, SheetWriter
from stockopt.report.sheets import SHEET_NAMES
from stockopt.report.tables import (
    budget_step,
    deliveries_wide,
    expected_shortfalls,
    releases_wide,
    scenario_ranking,
    step_words,
    stock_account,
)
from stockopt.report.workbook import OUTPUT_COLUMNS, RunAudit, check_target, write_report
from stockopt.results.extract import Results, extract
from stockopt.solver.highs import solve
from stockopt.workbook.example import example_tables
from stockopt.workbook.normalize import load
from stockopt.workbook.template import write_input_workbook

VOLATILE_AUDIT = ("phase 1", "phase 2", "phase 3", "timestamp", "step times")
"""Summary audit rows that differ between two runs of the same input (times, clock)."""


def _solve_cli(workbook: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["solve", str(workbook), "-o", str(out), *extra])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """The bundled-style example: input, output workbook and summary JSON."""
    folder = tmp_path_factory.mktemp("report")
    path = folder / "example.xlsx"
    write_input_workbook(path, example_tables(), title="example")
    out = folder / "example-results.xlsx"
    code, output = _solve_cli(path, out, "--summary-json", str(folder / "s.json"))
    assert code == 0, output
    return path, out, json.loads((folder / "s.json").read_text())


@pytest.fixture(scope="module")
def workbook(example: tuple[Path, Path, dict]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(example[1])


def _header_row(ws, containing: str | None = None) -> int:  # noqa: ANN001
    """The first row whose first cell has the header fill (and, if given, one of whose
    header texts starts with ``containing``)."""
    for row in ws.iter_rows(min_row=1, max_row=60):
        cell = row[0]
        if cell.fill is not None and cell.fill.fgColor.rgb == HEADER_FILL.fgColor.rgb and (
                containing is None
                or any(str(c.value or "").startswith(containing) for c in row)):
            return cell.row
    raise AssertionError(f"{ws.title}: no header row")


def _solved(tmp_path: Path, tables: dict) -> tuple[Results, object]:
    path = tmp_path / "in.xlsx"
    write_input_workbook(path, tables, title="t")
    data = load(path).data
    assert data is not None
    model = build_model(data)
    return extract(model, data, solve(model)), data


def _small(party: str = "US", stockpile: str = "nds", scenario: str = "ban",
           mineral: str = "ga") -> dict:
    """One party, one mineral, two periods; demand 10 t/period; supply 10 t/period from
    'china', cut to 0 in ``scenario`` (probability 0.5); budget 5 at price 1 per t."""
    return {
        "Periods": [{"period": "2027"}, {"period": "2028"}],
        "Parties": [{"party": party, "budget": 5}],
        "Minerals": [{"mineral": mineral, "price": 1}],
        "Stockpiles": [{"stockpile": stockpile, "party": party}],
        "Holdings": [{"stockpile": stockpile, "mineral": mineral}],
        "Demand": [{"party": party, "mineral": mineral, "demand": 10}],
        "Supply": [{"party": party, "mineral": mineral, "source": "china", "volume": 10}],
        "Scenarios": [{"scenario": "calm", "probability": 0.5},
                      {"scenario": scenario, "probability": 0.5, "description": "=HYPERLINK(1)"}],
        "Disruptions": [{"scenario": scenario, "source": "china", "mineral": mineral,
                         "availability": 0}],
    }


# --- the sheets ------------------------------------------------------------------------------

def test_sheets_in_order_with_short_names_frozen_styled_headers(workbook) -> None:  # noqa: ANN001
    assert workbook.sheetnames == list(SHEET_NAMES)
    assert workbook.sheetnames[0] == "Summary"
    for ws in workbook.worksheets:
        assert len(ws.title) <= 31
        if ws.title == "Summary":
            continue
        assert ws.freeze_panes is not None, ws.title
        row = _header_row(ws)
        assert int(re.sub(r"\D", "", ws.freeze_panes)) > 1
        assert ws.cell(row=row, column=1).font.bold, ws.title
        for j in range(1, ws.max_column + 1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width
            assert 8 <= width <= 60, (ws.title, j, width)


def test_headers_carry_units_and_every_column_is_in_the_dictionary(workbook) -> None:  # noqa: ANN001
    shortfalls = workbook["Shortfalls"]
    row = _header_row(shortfalls)
    headers = [c.value for c in shortfalls[row]]
    assert "shortfall (t/period)" in headers and "shortfall share (%)" in headers
    # headers in words, never a programmer's name
    assert not any("_" in str(h) for h in headers if h)
    dictionary = workbook["Dictionary"]
    listed = {c.value for c in dictionary["A"][_header_row(dictionary):]}
    names = {c.value for c in dictionary["B"][_header_row(dictionary):]}
    for name in ("Summary", "Decisions", "Scenarios", "Shortfalls"):
        ws = workbook[name]
        for r in ws.iter_rows():
            for cell in r:
                if cell.fill.fgColor.rgb == HEADER_FILL.fgColor.rgb:
                    column = str(cell.value).split(" (")[0]
                    assert column in listed, (name, column)
    units = {r[1].value: r[2].value for r in dictionary.iter_rows(min_row=4)}
    assert units["cost"] == "USD" and units["stock_level"] == "t"
    assert units["shortfall_share"] == "%" and "shortfall_share" in names
    assert set(OUTPUT_COLUMNS) >= {k for k in units if k in OUTPUT_COLUMNS}


def test_summary_answers_at_a_glance(example, workbook) -> None:  # noqa: ANN001
    path, _, summary = example
    ws = workbook["Summary"]
    cells = {c.value: ws.cell(row=c.row, column=2).value for c in ws["A"] if c.value}
    assert str(ws["A2"].value).startswith("Status: optimal")
    assert cells["risk R*"] == pytest.approx(summary["risk"])
    assert cells["cost"] == pytest.approx(summary["cost"])
    assert cells["expected loss"] == pytest.approx(summary["expected_loss"])
    assert cells["input SHA-256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert cells["input file"] == path.name
    for key in ("stockopt version", "Pyomo version", "HiGHS version", "solver algorithm",
                "risk_weight λ", "cvar_alpha α", "timestamp"):
        assert cells[key], key
    assert any(str(k).startswith("phase 1") for k in cells)
    assert any(str(k).startswith("phase 2") for k in cells)
    text = [str(c.value) for c in ws["A"] if c.value]
    assert any(re.match(r"1 million USD more for \S+ (lowers the risk by|would not)", t)
               for t in text)
    links = {c.hyperlink.location.split("!")[0].strip("'") for row in ws.iter_rows()
             for c in row if c.hyperlink is not None}
    assert links == set(SHEET_NAMES[1:])
    # each party's own risk equals the JSON's
    row = _header_row(ws, "risk (")
    header = [str(c.value).split(" (")[0].replace(" ", "_") for c in ws[row]]
    for r in ws.iter_rows(min_row=row + 1, max_row=row + len(summary["parties"]),
                          values_only=True):
        rec = dict(zip(header, r, strict=False))
        assert rec["risk"] == pytest.approx(summary["parties"][rec["party"]]["risk"])
        assert rec["cvar"] == pytest.approx(summary["parties"][rec["party"]]["cvar"])
    # spend per party equals the JSON, and the levers add up to it
    row = _header_row(ws, "spend (")
    header = [str(c.value).split(" (")[0].replace(" ", "_") for c in ws[row]]
    for r in ws.iter_rows(min_row=row + 1, max_row=row + len(summary["spend"]), values_only=True):
        rec = dict(zip(header, r, strict=False))
        assert rec["spend"] == pytest.approx(summary["spend"][rec["party"]], rel=1e-9, abs=1e-3)
        levers = (rec["purchase_cost"] + rec["holding_cost"] + rec["offtake_fees"]
                  + rec["swap_fees"])
        assert levers == pytest.approx(rec["spend"], rel=1e-6, abs=1e-3)


def test_decisions_show_chosen_and_not_chosen_options(workbook) -> None:  # noqa: ANN001
    ws = workbook["Decisions"]
    values = [str(c.value) for c in ws["A"] if c.value]
    assert any(v.startswith("Stockpile purchases:") for v in values)
    assert any(v.startswith("Offtake contracts:") for v in values)
    assert any(v.startswith("Swap agreements:") for v in values)
    chosen = [c.value for row in ws.iter_rows() for c in row if c.value in ("yes", "no")]
    assert "yes" in chosen and "no" in chosen


def test_charts_are_native_excel_charts(example) -> None:  # noqa: ANN001
    with zipfile.ZipFile(example[1]) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
        sheets = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert len(charts) == 4
    assert sum(bool(re.search(r"<(c:)?barChart>", c)) for c in charts) == 3
    assert sum(bool(re.search(r"<(c:)?lineChart>", c)) for c in charts) == 1
    assert any("Loss by scenario" in c for c in charts)
    assert any("Each party" in c for c in charts)
    assert b"<f>" not in sheets  # no formulas anywhere: every value is written as a value


def test_shortfalls_heat_map_is_one_rule_per_column(workbook) -> None:  # noqa: ANN001
    ws = workbook["Shortfalls"]
    rules = [(str(rng.sqref), rule.type) for rng in ws.conditional_formatting
             for rule in rng.rules]
    assert len(rules) == 2 and {t for _, t in rules} == {"colorScale"}
    assert all(":" in ref for ref, _ in rules)


BUNDLED = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_example.xlsx"


def test_stock_account_balances() -> None:
    """closing = opening + arrived − released − lent + returned, row by row, on the
    bundled example."""
    data = load(BUNDLED).data
    assert data is not None
    model = build_model(data)
    results = extract(model, data, solve(model))
    acc = stock_account(results, data)
    assert len(acc) == len(results.tables["stock_levels"])
    balance = (acc["opening_level"] + acc["arrived"] - acc["released"] - acc["lent"]
               + acc["returned"])
    assert (balance - acc["stock_level"]).abs().max() < 1e-6
    assert acc["lent"].sum() > 0  # the example draws on swaps


def test_wide_releases_and_deliveries_hold_every_long_row_and_nothing_else() -> None:
    """The Stock sheet's per-period tables: each nonzero release or delivery of the long
    tables sits in its row and period column; every other cell is blank; delivery cost
    sums per row."""
    data = load(BUNDLED).data
    assert data is not None
    model = build_model(data)
    results = extract(model, data, solve(model))
    for long, wide, keys, value in (
            (results.tables["releases"], releases_wide(results, data),
             ["scenario", "stockpile", "party", "mineral"], "release"),
            (results.tables["offtake_deliveries"], deliveries_wide(results, data),
             ["scenario", "offtake"], "delivery")):
        assert len(long) > 0
        periods = [p for p in data.periods if p in wide.columns]
        stacked = wide.set_index(keys)[periods].stack(future_stack=True).dropna().rename(value)
        expected = long.set_index([*keys, "period"])[value]
        assert len(stacked) == len(expected)  # no cell filled that the long table lacks
        assert (stacked.reindex(expected.index) - expected).abs().max() < 1e-12
        assert not wide.duplicated(keys).any()
    cost = deliveries_wide(results, data).set_index(["scenario", "offtake"])["cost"]
    by_row = results.tables["offtake_deliveries"].groupby(["scenario", "offtake"])["cost"].sum()
    assert (cost.reindex(by_row.index) - by_row).abs().max() < 1e-6


def test_fast_row_conversion_writes_the_same_bytes_as_openpyxl(
        example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """report.cells.use_fast_rows changes how fast rows are converted, not what is written:
    every part of the .xlsx but the creation time is identical to openpyxl's own path."""
    import stockopt.report.workbook as report_module

    path = example[0]
    loaded = load(path)
    model = build_model(loaded.data)
    results = extract(model, loaded.data, solve(model))
    audit = RunAudit(path, timestamp="2026-01-01 00:00:00 UTC")

    def parts(target: Path) -> dict[str, bytes]:
        write_report(target, results, loaded.data, audit, loaded.raw)
        with zipfile.ZipFile(target) as z:
            return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}

    fast = parts(tmp_path / "fast.xlsx")
    monkeypatch.setattr(report_module, "use_fast_rows", lambda ws: ws)
    standard = parts(tmp_path / "standard.xlsx")
    assert fast.keys() == standard.keys()
    assert [n for n in fast if fast[n] != standard[n]] == []
    assert len(fast["xl/worksheets/sheet5.xml"]) > 10_000  # the Stock sheet, with its tables


def test_expected_shortfall_is_hand_derived(tmp_path: Path) -> None:
    """Budget 5 buys 5 t; in 'ban' (π = 0.5) 20 t are demanded and none arrives: 15 t short.
    Expected shortfall 7.5 t of an expected demand 20 t (37.5%), worst scenario 'ban'."""
    results, data = _solved(tmp_path, _small())
    top = expected_shortfalls(results, data)
    assert len(top) == 1
    row = top.iloc[0]
    assert (row["party"], row["mineral"], row["worst_scenario"]) == ("US", "ga", "ban")
    assert row["expected_shortfall"] == pytest.approx(7.5)
    assert row["expected_demand"] == pytest.approx(20.0)
    assert row["expected_shortfall_share"] == pytest.approx(0.375)
    assert row["worst_scenario_shortfall"] == pytest.approx(15.0)


def test_cvar_tail_is_marked() -> None:
    """α = 0.9: the tail is the worst 10% of probability: 5% of 'war' and 5% of the 10% of
    'ban' ('partly'); 'calm' is out."""
    losses = pd.DataFrame({"scenario": ["calm", "ban", "war"], "probability": [0.85, 0.1, 0.05],
                           "loss": [0.0, 5.0, 10.0], "operating_cost": [0.0, 0.0, 0.0],
                           "description": ["", "", ""]})
    results = Results("optimal", 1.0, 0.0, 1.0, 7.5, {}, {}, 0.0,
                      tables={"scenario_losses": losses})

    class Data:
        cvar_alpha = 0.9

    ranking = scenario_ranking(results, Data())  # type: ignore[arg-type]
    assert list(ranking["scenario"]) == ["war", "ban", "calm"]
    assert list(ranking["in_cvar_tail"]) == ["yes", "partly", "no"]
    assert list(ranking["tail_weight"]) == pytest.approx([0.05, 0.05, 0.0])


def test_budget_step_stays_a_small_change() -> None:
    class Data:
        pooled_budget = None

        def __init__(self, budget: dict) -> None:
            self.budget = budget

    assert budget_step(Data({"US": 2e9, "EU": None})) == 1e6  # type: ignore[arg-type]
    assert budget_step(Data({"US": 5e5})) == 1e3  # type: ignore[arg-type]
    assert step_words(1e6) == "1 million" and step_words(1e3) == "1 thousand"


def test_table_beyond_the_row_limit_is_truncated_with_a_note(tmp_path: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    w = SheetWriter(wb.create_sheet("t"), "USD")
    span = w.table(pd.DataFrame({"shortfall": [1.0, 2.0, 3.0]}), "t", max_rows=2)
    assert (span.first_row, span.last_row, span.truncated) == (2, 3, 1)
    wb.save(tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"]
    assert "1 more rows are not shown" in ws["A4"].value


def test_large_runs_list_only_rows_with_a_shortfall(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond SHORTFALL_ROWS_IN_FULL rows, Shortfalls lists only rows with a shortfall and
    says how many rows (demand met in full) it left out. Here: 4 rows, 2 short (the
    'ban' scenario's two periods), limit lowered to 3."""
    from stockopt.report import sheets as report_sheets

    monkeypatch.setattr(report_sheets, "SHORTFALL_ROWS_IN_FULL", 3)
    results, data = _solved(tmp_path, _small())
    out = tmp_path / "out.xlsx"
    write_report(out, results, data, RunAudit(tmp_path / "in.xlsx"))
    ws = openpyxl.load_workbook(out)["Shortfalls"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("the other 2 (scenario, party, mineral, period) rows" in t for t in texts)
    scenarios = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert scenarios.count("ban") == 2 and "calm" not in scenarios


# --- safe writing ----------------------------------------------------------------------------

INJECTIONS = {"party": "=1+2", "stockpile": "+cmd", "scenario": "-2+3", "mineral": "@SUM(A1)"}


def test_formula_like_names_are_written_as_text(tmp_path: Path) -> None:
    path = tmp_path / "hostile.xlsx"
    write_input_workbook(path, _small(**INJECTIONS), title="hostile")
    out = tmp_path / "hostile-results.xlsx"
    code, output = _solve_cli(path, out)
    assert code == 0, output
    with zipfile.ZipFile(out) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml
    wb = openpyxl.load_workbook(out)
    seen = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "s"}
    assert set(INJECTIONS.values()) | {"=HYPERLINK(1)"} <= seen
    assert not [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f"]


def test_the_input_is_never_the_output(example, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "in.xlsx"
    shutil.copy(example[0], path)
    before = path.read_bytes()
    with pytest.raises(OutputNotWritable, match="is the input workbook"):
        check_target(tmp_path / "." / "in.xlsx", path)
    code, output = _solve_cli(path, path)
    assert code != 0 and "input" in output and "Traceback" not in output
    assert path.read_bytes() == before


def test_a_folder_is_not_a_target(tmp_path: Path) -> None:
    (tmp_path / "out.xlsx").mkdir()
    with pytest.raises(OutputNotWritable, match="is a folder"):
        check_target(tmp_path / "out.xlsx")


@pytest.mark.parametrize("kind", ["read-only", "excel lock", "libreoffice lock"])
def test_unwritable_target_is_a_clear_message_and_exit_1(example, tmp_path: Path,  # noqa: ANN001
                                                         kind: str) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous")
    if kind == "read-only":
        out.chmod(stat.S_IRUSR | stat.S_IRGRP)
    elif kind == "excel lock":
        (tmp_path / "~$out.xlsx").write_bytes(b"")
    elif kind == "libreoffice lock":
        (tmp_path / ".~lock.out.xlsx#").write_bytes(b"")
    code, output = _solve_cli(example[0], out)
    assert code == 1, output
    assert f"cannot write {out}" in output and "Traceback" not in output
    assert out.read_bytes() == b"previous"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- determinism -----------------------------------------------------------------------------

def _values(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows(values_only=True):
            if ws.title == "Summary" and row and (
                    str(row[0]).startswith(VOLATILE_AUDIT)):
                continue
            rows.append(tuple(v for v in row if not (isinstance(v, str) and v.startswith("run "))))
        out[ws.title] = rows
    return out


def test_same_input_same_sheets_and_rows(example, tmp_path: Path) -> None:  # noqa: ANN001
    again = tmp_path / "again.xlsx"
    code, output = _solve_cli(example[0], again)
    assert code == 0, output
    first, second = _values(example[1]), _values(again)
    assert list(first) == list(second)
    for name in first:
        assert first[name] == second[name], name


def test_library_call_without_the_input_tables_says_so(tmp_path: Path) -> None:
    """write_report without ``raw`` still writes every sheet; Inputs says what is missing."""
    results, data = _solved(tmp_path, _small())
    audit = RunAudit(tmp_path / "in.xlsx", {"build": 0.1}, "2026-01-01 00:00:00 UTC")
    write_report(tmp_path / "o.xlsx", results, data, audit)
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx")
    assert wb.sheetnames == list(SHEET_NAMES)
    notes = [c.value for c in wb["Inputs"]["A"] if c.value]
    assert any("not passed" in str(v) for v in notes)
    assert "2026-01-01 00:00:00 UTC" in [c.value for c in wb["Summary"]["B"]]


# --- a real client ---------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed; .ci/run installs it")
def test_libreoffice_opens_the_workbook_and_draws_the_charts(example, tmp_path: Path) -> None:  # noqa: ANN001
    profile = tmp_path / "lo-profile"
    env = dict(os.environ, HOME=str(tmp_path))
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(example[1])],
        capture_output=True, text=True, timeout=300, env=env, check=False)
    pdf = tmp_path / (example[1].stem + ".pdf")
    assert result.returncode == 0 and pdf.exists(), result.stdout + result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; the PDF was made")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=120, check=True).stdout
    for title in ("Loss by scenario", "Spend by party and lever",
                  "Stock levels in the worst scenario"):
        assert title in text, title
    assert "stockopt results" in text and "Audit of the run" in text
