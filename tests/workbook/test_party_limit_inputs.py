"""Bad input for the party risk limits (FORMULATION-v2 section 4): the Parties column
max_risk and the setting party_risk_limit, each problem named by sheet, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_validation import assert_problem, check, full_sheets, set_cell

import stockopt
from stockopt.workbook.normalize import load


@pytest.mark.parametrize("value", [-0.5, "abc", 1e-9, 2e6])
def test_max_risk_out_of_range(tmp_path: Path, value: object) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Parties", 2, "max_risk", value)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Parties", (2,), "max_risk")
    assert len(outcome.errors) == 1


@pytest.mark.parametrize(("value", "hint"), [("alon", "did you mean alone?"),
                                              ("nne", "did you mean none?"),
                                              ("always", None)])
def test_party_risk_limit_must_be_none_or_alone(tmp_path: Path, value: str,
                                                hint: str | None) -> None:
    sheets = full_sheets()
    sheets["Settings"].append(["party_risk_limit", value])
    row = len(sheets["Settings"])
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Settings", (row,), "value", "none, alone",
                             "party_risk_limit")
    if hint:
        assert hint in problem["message"]
    else:
        assert "did you mean" not in problem["message"]


@pytest.mark.parametrize(("value", "expected"), [(" Alone ", "alone"), ("NONE", "none"),
                                                 (None, "none")])
def test_party_risk_limit_values_read(tmp_path: Path, value: object, expected: str) -> None:
    sheets = full_sheets()
    sheets["Settings"].append(["party_risk_limit", value])
    set_cell(sheets, "Parties", 2, "max_risk", 0.25)
    assert check(tmp_path, sheets).exit_code == 0
    from workbooks import write_workbook
    data = load(write_workbook(tmp_path / "ok.xlsx", sheets)).data
    assert data is not None
    assert data.party_risk_limit == expected
    assert data.max_risk == {"US": 0.25}


def test_the_frontier_refuses_the_alone_limit(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from workbooks import minimal_sheets, write_workbook

    from stockopt.commands.cli import main
    sheets = minimal_sheets()
    sheets["Settings"] = [["key", "value"], ["party_risk_limit", "alone"]]
    path = write_workbook(tmp_path / "w.xlsx", sheets)
    result = CliRunner().invoke(main, ["frontier", str(path), "-o", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 2
    assert "party_risk_limit" in result.stderr
    assert stockopt.load(path).data.party_risk_limit == "alone"
