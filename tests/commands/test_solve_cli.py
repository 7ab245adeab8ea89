"""`stockopt solve` end to end on real workbooks, and the invariances of the optimum."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import minimal_sheets, write_workbook

from stockopt.commands.cli import main
from stockopt.model import build_model
from stockopt.results.extract import extract
from stockopt.solver.highs import solve
from stockopt.workbook.example import example_tables
from stockopt.workbook.normalize import load
from stockopt.workbook.template import write_input_workbook

CONTRACT_KEYS = {"status", "risk", "cost", "expected_loss", "cvar", "spend",
                 "budget_shadow_price", "pooled_budget_shadow_price"}


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("example") / "example.xlsx"
    result = CliRunner().invoke(main, ["template", "--example", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _solve_cli(workbook: Path, *extra: str) -> tuple[int, str, dict | None, Path]:
    out = workbook.with_name(workbook.stem + "-out.xlsx")
    summary = workbook.with_name(workbook.stem + "-summary.json")
    result = CliRunner().invoke(main, ["solve", str(workbook), "-o", str(out),
                                       "--summary-json", str(summary), *extra])
    payload = json.loads(summary.read_text()) if summary.exists() else None
    return result.exit_code, result.output, payload, out


def test_example_solves_optimal_with_the_same_risk_every_run(example: Path) -> None:
    code1, output, first, out = _solve_cli(example)
    assert code1 == 0, output
    assert set(first) >= CONTRACT_KEYS
    assert first["status"] == "optimal"
    code2, _, second, _ = _solve_cli(example)
    assert code2 == 0
    assert second["risk"] == first["risk"]
    assert second["cost"] == pytest.approx(first["cost"], rel=1e-9)
    assert "risk" in output and "spend vs budget" in output
    # spend within budgets; shadow prices are ≤ 0
    data = load(example).data
    for party, spend in first["spend"].items():
        budget = data.budget[party]
        assert budget is None or spend <= budget * (1 + 1e-9)
        assert first["budget_shadow_price"][party] <= 0.0
    assert first["expected_loss"] <= first["cvar"] + 1e-9
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames[0] == "Summary"
    assert {"Decisions", "Scenarios", "Shortfalls", "Stock and swaps", "Inputs",
            "Dictionary"} <= set(wb.sheetnames)


def test_default_output_is_beside_the_input(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "plan.xlsx", minimal_sheets())
    result = CliRunner().invoke(main, ["solve", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plan-results.xlsx").exists()


def test_refuses_to_overwrite_the_input(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "plan.xlsx", minimal_sheets())
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(path)])
    assert result.exit_code == 2
    assert "input" in result.output
    assert path.read_bytes() == before


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets["Scenarios"] = [["scenario", "probability"], ["calm", 0.5], ["ban", 0.7]]
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    code, output, payload, out = _solve_cli(path)
    assert code == 2
    assert "Scenarios" in output and "rows 2, 3" in output and "probability" in output
    assert payload is None and not out.exists()


def test_time_limit_exits_1_with_status_and_no_workbook(example: Path, tmp_path: Path) -> None:
    copy = tmp_path / "limited.xlsx"
    copy.write_bytes(example.read_bytes())
    code, output, payload, out = _solve_cli(copy, "--time-limit", "0.000001")
    assert code == 1
    assert payload["status"] == "time limit reached"
    assert "time limit" in output
    assert not out.exists()


def test_unwritable_output_is_a_message_and_exit_1(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "plan.xlsx", minimal_sheets())
    result = CliRunner().invoke(main, ["solve", str(path), "-o",
                                       str(tmp_path / "no" / "such" / "out.xlsx")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def _solve_tables(tmp_path: Path, tables: dict, name: str):
    path = tmp_path / name
    write_input_workbook(path, tables, title=name)
    data = load(path).data
    model = build_model(data)
    return extract(model, data, solve(model))


MONEY_COLUMNS = {"Parties": ["budget"], "Minerals": ["price"], "Holdings": ["holding_cost"],
                 "Offtakes": ["fee", "price"], "Swaps": ["fee"]}


def test_scaling_all_money_by_10_keeps_risk_and_scales_cost(tmp_path: Path) -> None:
    """Prices, fees and budgets × 10: every feasible plan stays feasible with the same
    losses, so R* is unchanged and every cost term (and the optimum) is × 10."""
    base = example_tables()
    scaled = example_tables()
    for sheet, columns in MONEY_COLUMNS.items():
        for row in scaled.get(sheet, []):
            for col in columns:
                if row.get(col) is not None:
                    row[col] = row[col] * 10
    for row in scaled.get("Settings", []):
        if row["key"] == "pooled_budget" and row.get("value") is not None:
            row["value"] = row["value"] * 10
    r1 = _solve_tables(tmp_path, base, "base.xlsx")
    r10 = _solve_tables(tmp_path, scaled, "scaled.xlsx")
    assert r10.risk == pytest.approx(r1.risk, abs=1e-6 + 1e-5 * abs(r1.risk))
    assert r10.cost == pytest.approx(10 * r1.cost, rel=1e-4)


def test_duplicating_a_scenario_with_half_the_probability_changes_nothing(
        tmp_path: Path) -> None:
    """Splitting scenario s into two identical copies with π_s/2 each leaves the loss
    distribution, hence R* and the cost optimum, unchanged."""
    base = example_tables()
    split = example_tables()
    first = split["Scenarios"][0]
    name = first["scenario"]
    first["probability"] = first["probability"] / 2
    copy = dict(first, scenario=name + "_copy")
    split["Scenarios"].append(copy)
    for sheet in ("Disruptions", "DemandShocks"):
        for row in list(split.get(sheet, [])):
            if row["scenario"] == name:
                split[sheet].append(dict(row, scenario=name + "_copy"))
    r1 = _solve_tables(tmp_path, base, "base.xlsx")
    r2 = _solve_tables(tmp_path, split, "split.xlsx")
    assert r2.risk == pytest.approx(r1.risk, abs=1e-6 + 1e-5 * abs(r1.risk))
    assert r2.cost == pytest.approx(r1.cost, rel=1e-4)
