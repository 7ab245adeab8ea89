"""`stockopt sensitivity` and `stockopt compare` end to end, and their bad inputs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import sensitivity_sheets, write_workbook

from stockopt.commands.cli import main

RISKS = [["risk", "source", "mineral", "start_probability", "min_duration", "max_duration",
          "availability"], ["china_ga", "china", "ga", 0.3, 1, 2, 0.0]]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """in.xlsx (with Risks), A-results.xlsx solved on it, B-results.xlsx solved with US's
    budget halved."""
    folder = tmp_path_factory.mktemp("cli")
    sheets = sensitivity_sheets()
    sheets["Risks"] = RISKS
    write_workbook(folder / "in.xlsx", sheets)
    half = copy.deepcopy(sheets)
    half["Parties"][1][1] = 2.5
    write_workbook(folder / "half.xlsx", half)
    for name, source in (("A-results.xlsx", "in.xlsx"), ("B-results.xlsx", "half.xlsx")):
        result = CliRunner().invoke(main, ["solve", str(folder / source), "-o",
                                           str(folder / name), "--quiet"])
        assert result.exit_code == 0, result.output
    return folder


def test_sensitivity_end_to_end(folder: Path) -> None:
    out, summary = folder / "sens.xlsx", folder / "sens.json"
    result = CliRunner().invoke(main, ["sensitivity", str(folder / "in.xlsx"), "-o", str(out),
                                       "--summary-json", str(summary), "--groups",
                                       "demand,budget,risk_weight", "--range", "0.1"])
    assert result.exit_code == 0, result.output
    assert "sensitivity: 5 groups ±10%" in result.output and "solved 11 times" in result.output
    payload = json.loads(summary.read_text())
    assert payload["range"] == 0.1 and len(payload["points"]) == 10
    swings = [g["swing"] for g in payload["tornado"]]
    assert swings == sorted(swings, reverse=True)
    assert {p["kind"] for p in payload["points"]} == {"demand", "budget", "risk_weight"}
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Tornado", "Points", "About"]
    tornado = wb["Tornado"]
    assert len(tornado._charts) == 1
    assert tornado.page_setup.orientation == "landscape"
    assert tornado.print_title_rows and wb["Points"].print_title_rows
    labels = [r[1] for r in tornado.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert labels == [g["group"] for g in payload["tornado"]]


def test_sensitivity_quiet_and_default_output(folder: Path, tmp_path: Path) -> None:
    source = tmp_path / "w.xlsx"
    source.write_bytes((folder / "in.xlsx").read_bytes())
    result = CliRunner().invoke(main, ["sensitivity", str(source), "--groups", "budget",
                                       "--quiet"])
    assert result.exit_code == 0 and result.output == ""
    assert (tmp_path / "w-sensitivity.xlsx").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--range", "0"], "--range"),
    (["--range", "1.5"], "--range"),
    (["--groups", "demand,weather"], "--groups"),
])
def test_sensitivity_bad_options(folder: Path, args: list[str], message: str) -> None:
    out = folder / "never.xlsx"
    result = CliRunner().invoke(main, ["sensitivity", str(folder / "in.xlsx"), "-o", str(out),
                                       *args])
    assert result.exit_code == 2 and message in result.output and not out.exists()


def test_sensitivity_refuses_its_input_as_output_and_a_bad_workbook(folder: Path,
                                                                    tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sensitivity", str(folder / "in.xlsx"), "-o",
                                       str(folder / "in.xlsx")])
    assert result.exit_code == 2
    bad = sensitivity_sheets()
    bad["Scenarios"][1][1] = 0.9  # probabilities no longer sum to 1
    write_workbook(tmp_path / "bad.xlsx", bad)
    result = CliRunner().invoke(main, ["sensitivity", str(tmp_path / "bad.xlsx")])
    assert result.exit_code == 2 and "Scenarios" in result.output
    assert not (tmp_path / "bad-sensitivity.xlsx").exists()


def test_compare_end_to_end(folder: Path) -> None:
    out, summary = folder / "cmp.xlsx", folder / "cmp.json"
    result = CliRunner().invoke(main, ["compare", str(folder / "A-results.xlsx"),
                                       str(folder / "B-results.xlsx"), "--on",
                                       str(folder / "in.xlsx"), "--samples", "40", "--seed",
                                       "2", "-o", str(out), "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    assert "* spend of US" in result.output
    payload = json.loads(summary.read_text())
    assert set(payload["plans"]) == {"A-results", "B-results"}
    assert payload["decisions_differing"] and payload["sample"]["scenarios"] == 40
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Comparison", "Decisions", "Losses", "Sampled losses", "About"]
    assert len(wb["Losses"]._charts) == 1
    decisions = wb["Decisions"]
    filled = [c for row in decisions.iter_rows() for c in row
              if c.fill is not None and c.fill.fgColor.rgb == "00FFF2CC"]
    assert filled  # the differing values are highlighted


def test_compare_a_plan_with_itself(folder: Path) -> None:
    summary = folder / "self.json"
    plan = str(folder / "A-results.xlsx")
    result = CliRunner().invoke(main, ["compare", plan, plan, "--on", str(folder / "in.xlsx"),
                                       "-o", str(folder / "self.xlsx"), "--summary-json",
                                       str(summary)])
    assert result.exit_code == 0, result.output
    payload = json.loads(summary.read_text())
    assert payload["decisions_differing"] == [] and payload["measures_differing"] == []
    assert "0 decisions differ" in result.output
    assert not any(line.startswith("* ") for line in result.output.splitlines())


def test_compare_bad_inputs(folder: Path, tmp_path: Path) -> None:
    a, b, inp = (str(folder / n) for n in ("A-results.xlsx", "B-results.xlsx", "in.xlsx"))
    runner = CliRunner()
    one = runner.invoke(main, ["compare", a, "--on", inp, "-o", str(tmp_path / "x.xlsx")])
    assert one.exit_code == 2 and "at least two" in one.output
    clash = runner.invoke(main, ["compare", a, b, "--on", inp, "-o", a])
    assert clash.exit_code == 2
    not_results = runner.invoke(main, ["compare", a, inp, "--on", inp, "-o",
                                       str(tmp_path / "y.xlsx")])
    assert not_results.exit_code == 2 and "Decisions" in not_results.output
    no_risks = sensitivity_sheets()
    write_workbook(tmp_path / "norisks.xlsx", no_risks)
    sampled = runner.invoke(main, ["compare", a, b, "--on", str(tmp_path / "norisks.xlsx"),
                                   "--samples", "5", "-o", str(tmp_path / "z.xlsx")])
    assert sampled.exit_code == 2 and "Risks" in sampled.output
    assert not any((tmp_path / n).exists() for n in ("x.xlsx", "y.xlsx", "z.xlsx"))
