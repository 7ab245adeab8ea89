"""Every rule of WORKBOOK.md ("What bad input gets"), one test each.

Each test builds a workbook from Python data (``tests/workbooks.py``), runs
``stockopt validate --json`` through click's CliRunner and checks that the problem
names the sheet (as spelled in the file), every Excel row involved and the column, that
the exit status is 2 on errors, and that nothing was written or modified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from workbooks import minimal_sheets, write_workbook

from stockopt.commands.cli import main
from stockopt.workbook.schema import SHEETS_BY_KEY

Sheets = dict[str, list[list]]


def full_sheets() -> Sheets:
    """A valid workbook that uses every sheet and every column."""
    return {
        "Settings": [["key", "value"], ["risk_weight", 0.5], ["cvar_alpha", 0.9],
                     ["pooled_budget", 100], ["currency", "EUR"]],
        "Periods": [["period"], [2027], [2028], [2029]],
        "Parties": [["party", "budget"], ["US", 50], ["EU", None]],
        "PeriodBudgets": [["party", "period", "budget"], ["EU", 2027, 1e6]],
        "Minerals": [["mineral", "price", "max_acquisition", "lead_time",
                      "max_acquisition_per_period"],
                     ["ga", 2, 100, 1, 50], ["ge", 3, None, None, None]],
        "PricePath": [["mineral", "period", "price"], ["ge", 2027, 3.5]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["nds", "US", None],
                       ["joint", "US", 0.4], ["joint", "EU", 0.6]],
        "Holdings": [["stockpile", "mineral", "initial_stock", "max_stock", "holding_cost",
                      "max_release"],
                     ["nds", "ga", 5, 50, 0.1, None],
                     ["joint", "ga", 0, None, None, None],
                     ["joint", "ge", 1, 10, None, 5]],
        "Demand": [["party", "mineral", "period", "demand", "criticality"],
                   ["US", "ga", None, 10, None],
                   ["US", "ga", 2028, 12, 2],
                   ["EU", "ge", None, 4, None]],
        "Supply": [["party", "mineral", "source", "period", "volume"],
                   ["US", "ga", "china", None, 10],
                   ["EU", "ge", "domestic", 2027, 4]],
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
                      "first_period", "min_take"],
                     ["aus_ga", "US", "ga", "australia", 5, 1, 2, 2028, 0.5]],
        "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "return_mineral",
                   "return_ratio", "return_lag", "max_volume", "fee"],
                  ["sw1", "joint", "US", "ga", "ge", 1.1, 2, 5, 0.5]],
        "Scenarios": [["scenario", "probability", "description"], ["calm", 0.6, "nothing"],
                      ["ban", 0.4, "export ban"]],
        "Disruptions": [["scenario", "source", "mineral", "start_period", "end_period",
                         "availability"],
                        ["ban", "china", "*", 2028, None, 0]],
        "DemandShocks": [["scenario", "party", "mineral", "start_period", "end_period",
                          "multiplier"],
                         ["ban", "*", "ga", None, 2028, 1.5]],
        "Risks": [["risk", "group", "source", "mineral", "start_probability", "min_duration",
                   "max_duration", "availability", "party", "demand_multiplier"],
                  ["cut_ga", "war", "china", "ga", 0.1, 1, 2, 0, None, None],
                  ["surge_ga", "war", None, "*", 0.1, 1, 2, None, "US", 1.5]],
        "CoverTargets": [["target", "party", "stockpile", "mineral", "periods", "basis",
                          "domestic_sources", "from_period"],
                         ["us_ga", "US", None, "ga", 0.5, None, None, 2028],
                         ["joint_ge", None, "joint", "ge", 1, "net_imports", "domestic", None]],
        "ConcentrationLimits": [["party", "mineral", "max_share", "excluded_sources"],
                                ["US", "*", None, None], ["EU", "ge", 0.8, "domestic"]],
        "Mitigation": [["option", "party", "mineral", "max_share", "cost", "lead_time", "fee"],
                       ["us_thrift", "US", "ga", 0.2, 5, 1, 0.5]],
    }


def set_cell(sheets: Sheets, sheet: str, row: int, column: str, value: object) -> None:
    """Set the cell at Excel ``row`` under header ``column`` (adding the column if absent)."""
    header = sheets[sheet][0]
    if column not in header:
        header.append(column)
        for r in sheets[sheet][1:]:
            r.append(None)
    index = header.index(column)
    target = sheets[sheet][row - 1]
    while len(target) <= index:
        target.append(None)
    target[index] = value


def drop_column(sheets: Sheets, sheet: str, column: str) -> None:
    """Remove the column headed ``column`` from ``sheet``."""
    index = sheets[sheet][0].index(column)
    for r in sheets[sheet]:
        del r[index]


@dataclass
class Outcome:
    """What ``stockopt validate --json`` did."""

    exit_code: int
    problems: list[dict]
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[dict]:
        return [p for p in self.problems if p["severity"] == "error"]

    @property
    def warnings(self) -> list[dict]:
        return [p for p in self.problems if p["severity"] == "warning"]


def run_validate(path: Path, *args: str) -> tuple[int, str, str]:
    """Run ``stockopt validate`` on ``path``; check the file and its folder are untouched."""
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    listing = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
    result = CliRunner().invoke(main, ["validate", *args, str(path)])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if before is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "input was modified"
    if path.parent.is_dir():
        assert sorted(p.name for p in path.parent.iterdir()) == listing, "something was written"
    return result.exit_code, result.stdout, result.stderr


def check(tmp_path: Path, sheets: Sheets, name: str = "input.xlsx") -> Outcome:
    """Write ``sheets`` and validate them with ``--json``."""
    path = write_workbook(tmp_path / name, sheets)
    return check_file(path)


def check_file(path: Path) -> Outcome:
    """Validate an existing workbook file with ``--json``."""
    code, out, err = run_validate(path, "--json")
    data = json.loads(out) if out.strip().startswith("{") else {"problems": []}
    outcome = Outcome(code, data["problems"], out, err)
    for p in outcome.problems:  # every problem is also printed on standard error
        assert p["message"] in err
    if outcome.errors:
        assert code == 2, err
        assert "fix the errors and run validate again" in err  # validate writes nothing
        assert "nothing was written" not in err
    return outcome


def assert_problem(outcome: Outcome, sheet: str | None, rows: tuple[int, ...], column: str | None,
                   *fragments: str, severity: str = "error") -> dict:
    """The one problem at (sheet, rows, column); its message names all three."""
    matches = [p for p in outcome.problems
               if p["severity"] == severity and p["sheet"] == sheet
               and tuple(p["rows"]) == tuple(rows) and p["column"] == column]
    assert matches, f"no {severity} at {sheet} {rows} {column}; got:\n" + "\n".join(
        p["message"] for p in outcome.problems)
    problem = matches[0]
    message = problem["message"]
    if sheet:
        assert f"sheet '{sheet}'" in message
    if rows:
        label = "row" if len(rows) == 1 else "rows"
        assert f"{label} {', '.join(str(r) for r in rows)}" in message
    if column:
        assert f"column '{column}'" in message
    for fragment in fragments:
        assert fragment in message, message
    if severity == "error":
        assert outcome.exit_code == 2
    return problem


# --- the valid baselines ------------------------------------------------------


def test_minimal_workbook_is_valid(tmp_path: Path) -> None:
    code, out, err = run_validate(write_workbook(tmp_path / "m.xlsx", minimal_sheets()))
    assert code == 0, err
    assert out.count("\n") == 1 and "valid:" in out


def test_full_workbook_is_valid_without_warnings(tmp_path: Path) -> None:
    outcome = check(tmp_path, full_sheets())
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.problems == []


# --- sheets and columns ---------------------------------------------------------


@pytest.mark.parametrize("sheet", ["Periods", "Parties", "Minerals", "Demand", "Scenarios"])
def test_missing_required_sheet(tmp_path: Path, sheet: str) -> None:
    sheets = full_sheets()
    del sheets[sheet]
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, sheet, (), None, "required", "no such sheet")
    assert len(outcome.errors) == 1, "a missing sheet must not cascade into other errors"


def test_optional_sheets_may_be_absent(tmp_path: Path) -> None:
    sheets = {name: rows for name, rows in minimal_sheets().items()
              if name in ("Periods", "Parties", "Minerals", "Demand", "Scenarios")}
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0, outcome.stderr


def _required_column_rounds() -> list[list[tuple[str, str]]]:
    """Round k drops the k-th required column of every sheet that has one."""
    from stockopt.workbook.schema import SHEETS

    rounds: list[list[tuple[str, str]]] = []
    for sheet in SHEETS:
        for k, col in enumerate(sheet.required_columns):
            if len(rounds) <= k:
                rounds.append([])
            rounds[k].append((sheet.name, col.name))
    return rounds


@pytest.mark.parametrize("dropped", _required_column_rounds(),
                         ids=lambda d: "+".join(c for _s, c in d))
def test_missing_required_column(tmp_path: Path, dropped: list[tuple[str, str]]) -> None:
    sheets = full_sheets()
    for sheet, column in dropped:
        drop_column(sheets, sheet, column)
    outcome = check(tmp_path, sheets)
    for sheet, column in dropped:
        problem = assert_problem(outcome, sheet, (1,), column, "in row 1 (required)")
        only_column = len(full_sheets()[sheet][0]) == 1
        assert problem["found"] == ("an empty sheet" if only_column else "no such column")
    # one error per missing column, nothing cascading from it
    assert len(outcome.errors) == len(dropped), "\n".join(p["message"] for p in outcome.errors)


def test_repeated_header_on_one_sheet(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Parties"][0].append(" Budget ")
    for row in sheets["Parties"][1:]:
        row.append(1)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Parties", (1,), "budget", "columns B and C")


def test_required_sheet_without_rows(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Scenarios"] = [["scenario", "probability"]]
    sheets.pop("Disruptions")
    sheets.pop("DemandShocks")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Scenarios", (2,), "scenario", "at least one", "no rows")


@pytest.mark.parametrize(("sheet", "column"), [("Periods", "period"), ("Parties", "party"),
                                               ("Minerals", "mineral")])
def test_declaring_sheet_without_rows(tmp_path: Path, sheet: str, column: str) -> None:
    sheets = minimal_sheets()
    sheets[sheet] = [sheets[sheet][0]]
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, sheet, (2,), column, "no rows")
    assert len(outcome.errors) == 1, "\n".join(p["message"] for p in outcome.errors)


def test_empty_required_sheet(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets["Periods"] = []
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Periods", (1,), "period", "in row 1 (required)", "empty sheet")
    assert len(outcome.errors) == 1


def test_blank_first_row_is_not_skipped(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets["Parties"] = [[], ["party", "budget"], ["US", 5]]
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Parties", (1,), "party", "no such column (row 1 is blank)")


def test_two_sheets_for_one_table(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets[" parties"] = [["party"], ["EU"]]
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, " parties", (), None, "two sheets")


# --- numbers ------------------------------------------------------------------


@pytest.mark.parametrize(("value", "found"), [("abc", "'abc'"), (True, "TRUE"),
                                              ("#N/A", "#N/A"), ("#DIV/0!", "#DIV/0!"),
                                              ("1,000", "'1,000'"), ("12 t", "'12 t'")])
def test_non_numeric_number(tmp_path: Path, value: object, found: str) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 3, "price", value)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Minerals", (3,), "price", "a number from 0.001 to 1e10 (currency/t)",
                   found, "cell B3")
    assert len(outcome.errors) == 1


def _non_negative_columns() -> list[tuple[str, int, str]]:
    return [("Parties", 2, "budget"), ("Minerals", 2, "max_acquisition"),
            ("Holdings", 2, "initial_stock"), ("Holdings", 2, "max_stock"),
            ("Holdings", 2, "holding_cost"), ("Holdings", 2, "max_release"),
            ("Demand", 2, "demand"), ("Demand", 2, "criticality"), ("Supply", 2, "volume"),
            ("Offtakes", 2, "max_volume"), ("Offtakes", 2, "fee"), ("Offtakes", 2, "price"),
            ("Swaps", 2, "max_volume"), ("Swaps", 2, "fee"), ("Stockpiles", 2, "cost_share")]


def test_negative_where_non_negative_required(tmp_path: Path) -> None:
    sheets = full_sheets()
    cells = _non_negative_columns()
    for sheet, row, column in cells:
        set_cell(sheets, sheet, row, column, -1)
    set_cell(sheets, "Stockpiles", 2, "cost_share", None)  # single member: share 1
    cells.remove(("Stockpiles", 2, "cost_share"))
    sheets["Stockpiles"].append(["solo", "EU", -1])
    sheets["Holdings"].append(["solo", "ga"])
    cells.append(("Stockpiles", 5, "cost_share"))
    outcome = check(tmp_path, sheets)
    for sheet, row, column in cells:
        expected = SHEETS_BY_KEY[sheet.lower()].column(column).expected_range(True)
        problem = assert_problem(outcome, sheet, (row,), column, f"expected {expected};",
                                 "found -1.")
        assert "-1.0" not in problem["message"]
    assert len(outcome.errors) == len(cells), "\n".join(p["message"] for p in outcome.errors)


def test_negative_probability(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Scenarios", 2, "probability", -0.5)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Scenarios", (2,), "probability", "≥ 0", "-0.5")


@pytest.mark.parametrize("price", [0, -5, "0"])
def test_price_not_positive(tmp_path: Path, price: object) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", price)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Minerals", (2,), "price", "a number from 0.001 to 1e10",
                   f"found {price}.")


def test_blank_required_number(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 3, "demand", None)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Demand", (3,), "demand", "(required)", "a blank cell")


def test_large_numbers_are_printed_in_full(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Holdings", 2, "initial_stock", 1234567)
    set_cell(sheets, "Holdings", 2, "max_stock", 1234566.5)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Holdings", (2,), "initial_stock", "1234566.5", "1234567 t")


# --- references -----------------------------------------------------------------


def _reference_columns() -> list[tuple[str, str]]:
    return [("Stockpiles", "party"), ("Holdings", "stockpile"), ("Holdings", "mineral"),
            ("Demand", "party"), ("Demand", "mineral"), ("Demand", "period"),
            ("Supply", "party"), ("Supply", "mineral"), ("Supply", "period"),
            ("Offtakes", "party"), ("Offtakes", "mineral"), ("Offtakes", "first_period"),
            ("Swaps", "lender_stockpile"), ("Swaps", "receiver"), ("Swaps", "mineral"),
            ("Swaps", "return_mineral"), ("Disruptions", "scenario"),
            ("Disruptions", "mineral"), ("Disruptions", "start_period"),
            ("Disruptions", "end_period"), ("DemandShocks", "scenario"),
            ("DemandShocks", "party"), ("DemandShocks", "mineral"),
            ("DemandShocks", "start_period"), ("DemandShocks", "end_period")]


def test_undeclared_references(tmp_path: Path) -> None:
    sheets = full_sheets()
    for sheet, column in _reference_columns():
        set_cell(sheets, sheet, 2, column, "atlantis")
    outcome = check(tmp_path, sheets)
    for sheet, column in _reference_columns():
        assert_problem(outcome, sheet, (2,), column, "'atlantis', which is not declared",
                       "cell ")
    # each undeclared name is reported once, and nothing else is
    assert len(outcome.errors) == len(_reference_columns()), "\n".join(
        p["message"] for p in outcome.errors)


def test_undeclared_swap_mineral_is_not_also_unheld(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Swaps", 2, "mineral", "atlantis")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Swaps", (2,), "mineral", "not declared")
    assert len(outcome.errors) == 1


def test_wildcard_only_where_allowed(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 2, "party", "*")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Demand", (2,), "party", "'*', which is not declared")


def test_identifiers_are_compared_after_trimming(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 2, "party", "  US ")
    assert check(tmp_path, sheets).exit_code == 0


def test_identifiers_are_case_sensitive(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 2, "party", "us")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Demand", (2,), "party", "'us'")


# --- duplicates ---------------------------------------------------------------


@pytest.mark.parametrize(("sheet", "extra", "rows", "column"), [
    ("Periods", ["2027"], (2, 5), "period"),
    ("Parties", ["US", 10], (2, 4), "party"),
    ("Minerals", ["ga", 5], (2, 4), "mineral"),
    ("Scenarios", ["calm", 0], (2, 4), "scenario"),
    ("Offtakes", ["aus_ga", "EU", "ge", "australia", 1], (2, 3), "offtake"),
    ("Swaps", ["sw1", "nds", "EU", "ga", None, None, None, 3], (2, 3), "swap"),
    ("Stockpiles", ["joint", "EU", 0], (3, 4, 5), "stockpile, party"),
    ("Holdings", ["joint", "ge", 0], (3, 4, 5), "stockpile, mineral"),
])
def test_duplicate_identifiers(tmp_path: Path, sheet: str, extra: list, rows: tuple[int, ...],
                               column: str) -> None:
    sheets = full_sheets()
    sheets[sheet].append(extra)
    outcome = check(tmp_path, sheets)
    dup_rows = rows if len(rows) == 2 else rows[1:]
    assert_problem(outcome, sheet, dup_rows, column, "2 rows" if "," in column else "2 times")


def test_duplicate_demand_row(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Demand"].append(["US", "ga", "2028", 5])
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Demand", (3, 5), "party, mineral, period", "period '2028'")
    assert len(outcome.errors) == 1


def test_two_blank_period_demand_rows(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Demand"].append(["US", "ga", None, 5])
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Demand", (2, 5), "party, mineral, period", "period blank")
    assert len(outcome.errors) == 1


def test_demand_period_row_overriding_blank_is_fine(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Demand"].append(["EU", "ge", 2029, 7])
    assert check(tmp_path, sheets).exit_code == 0


# --- sums ----------------------------------------------------------------------


def test_probabilities_not_summing_to_one(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Scenarios", 3, "probability", 0.3)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Scenarios", (2, 3), "probability", "sum to 1", "a sum of 0.9")
    assert len(outcome.errors) == 1


def test_probabilities_within_tolerance_and_zero_allowed(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Scenarios", 2, "probability", 0.6 + 5e-7)
    sheets["Scenarios"].append(["never", 0])
    assert check(tmp_path, sheets).exit_code == 0


def test_probabilities_just_outside_tolerance(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Scenarios", 2, "probability", 0.6 + 2e-6)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Scenarios", (2, 3), "probability", "sum to 1")


def test_cost_shares_not_summing_to_one(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Stockpiles", 4, "cost_share", 0.5)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Stockpiles", (3, 4), "cost_share", "'joint'", "a sum of 0.9")
    assert len(outcome.errors) == 1


def test_single_member_share_other_than_one(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Stockpiles", 2, "cost_share", 0.5)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Stockpiles", (2,), "cost_share", "'nds'", "0.5")


def test_blank_cost_share_in_joint_stockpile(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Stockpiles", 4, "cost_share", None)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Stockpiles", (4,), "cost_share", "joint stockpile 'joint'",
                   "a blank cell")
    assert len(outcome.errors) == 1


# --- ranges ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_availability_outside_zero_one(tmp_path: Path, value: float) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Disruptions", 2, "availability", value)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Disruptions", (2,), "availability", "≥ 0 and ≤ 1", str(value))


@pytest.mark.parametrize("value", [0, -1])
def test_multiplier_not_positive(tmp_path: Path, value: float) -> None:
    sheets = full_sheets()
    set_cell(sheets, "DemandShocks", 2, "multiplier", value)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "DemandShocks", (2,), "multiplier", "a number from 0.001 to 1000",
                   f"found {value}.")


@pytest.mark.parametrize("value", [0, -0.5])
def test_return_ratio_not_positive(tmp_path: Path, value: float) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Swaps", 2, "return_ratio", value)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Swaps", (2,), "return_ratio", "a number from 0.001 to 1000",
                   f"found {value}.")


@pytest.mark.parametrize("value", [1.5, -1, "2.5"])
def test_return_lag_not_whole_non_negative(tmp_path: Path, value: object) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Swaps", 2, "return_lag", value)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Swaps", (2,), "return_lag", "a whole number ≥ 0", f"found {value}.")


@pytest.mark.parametrize("value", [0, 3, "4"])
def test_return_lag_whole_numbers_accepted(tmp_path: Path, value: object) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Swaps", 2, "return_lag", value)
    assert check(tmp_path, sheets).exit_code == 0


def test_initial_stock_above_max_stock(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Holdings", 4, "initial_stock", 11)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Holdings", (4,), "initial_stock", "max_stock (10 t)", "found 11 t")


@pytest.mark.parametrize("sheet", ["Disruptions", "DemandShocks"])
def test_start_period_after_end_period(tmp_path: Path, sheet: str) -> None:
    sheets = full_sheets()
    set_cell(sheets, sheet, 2, "start_period", 2029)
    set_cell(sheets, sheet, 2, "end_period", "2027")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, sheet, (2,), "start_period, end_period", "'2027'", "'2029'")


# --- settings ---------------------------------------------------------------------


@pytest.mark.parametrize(("key", "value"), [("risk_weight", -0.1), ("risk_weight", 1.1),
                                            ("cvar_alpha", 1), ("cvar_alpha", -0.1),
                                            ("cvar_alpha", "abc"), ("pooled_budget", -1)])
def test_setting_out_of_range(tmp_path: Path, key: str, value: object) -> None:
    sheets = full_sheets()
    row = next(i for i, r in enumerate(sheets["Settings"], 1) if r[0] == key)
    set_cell(sheets, "Settings", row, "value", value)
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Settings", (row,), "value", key)
    assert f"found {value}." in problem["message"] or f"found '{value}'." in problem["message"]
    assert len(outcome.errors) == 1


@pytest.mark.parametrize(("key", "value"), [("risk_weight", 0), ("risk_weight", 1),
                                            ("cvar_alpha", 0), ("cvar_alpha", 0.999999),
                                            ("cvar_alpha", "0.95"), ("pooled_budget", None)])
def test_setting_in_range(tmp_path: Path, key: str, value: object) -> None:
    sheets = full_sheets()
    row = next(i for i, r in enumerate(sheets["Settings"], 1) if r[0] == key)
    set_cell(sheets, "Settings", row, "value", value)
    assert check(tmp_path, sheets).exit_code == 0


def test_repeated_settings_key(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Settings"].append([" Risk_Weight ", 0.2])
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Settings", (2, 6), "key", "risk_weight once", "2 times")


def test_unknown_setting_key_is_an_error(tmp_path: Path) -> None:
    """An unknown key would leave its setting at the default silently: an error."""
    sheets = full_sheets()
    sheets["Settings"].append(["solver", "cbc"])
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Settings", (6,), "key", "'solver'", "default used")
    assert len(outcome.errors) == 1


def test_setting_error_value_reported_once(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Settings", 2, "value", "#REF!")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Settings", (2,), "value", "#REF!")
    assert len(outcome.errors) == 1


def test_setting_value_without_key(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Settings"].append([None, 3])
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Settings", (6,), "key", "a blank cell")


# --- swaps ------------------------------------------------------------------------


def test_swap_lender_does_not_hold_mineral(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Swaps", 2, "lender_stockpile", "nds")
    set_cell(sheets, "Swaps", 2, "return_mineral", None)
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0, outcome.stderr  # nds holds ga
    set_cell(sheets, "Swaps", 2, "mineral", "ge")
    outcome = check(tmp_path, sheets, "second.xlsx")
    assert_problem(outcome, "Swaps", (2,), "mineral", "'nds'", "'ge'")
    assert len(outcome.errors) == 1  # blank return mineral = the drawn one: not reported twice


def test_swap_lender_does_not_hold_return_mineral(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Swaps", 2, "lender_stockpile", "nds")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Swaps", (2,), "return_mineral", "'nds'", "'ge'")
    assert len(outcome.errors) == 1


def test_receiver_may_be_member_of_lender(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Swaps", 2, "receiver", "EU")
    assert check(tmp_path, sheets).exit_code == 0


# --- cells -------------------------------------------------------------------------


def test_date_cell_in_identifier_column(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Periods"][2] = [dt.datetime(2028, 1, 1)]
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Periods", (3,), "period", "cell A3", "a date cell (2028-01-01)")


def test_date_cell_in_number_column(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 2, "demand", dt.datetime(2028, 1, 1))
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Demand", (2,), "demand", "cell D2", "2028-01-01")


def test_formula_without_cached_value(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", "=1+1")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Minerals", (2,), "price", "cell B2", "no cached value")
    assert len(outcome.errors) == 1


def with_cached_values(path: Path, cached: dict[str, tuple[str, str]]) -> Path:
    """Give formulas a cached value: ``{formula text: (cached text, cell type)}``.

    openpyxl writes a formula as ``<c r="B2"><f>1+1</f><v/></c>`` (never calculated);
    this patches every sheet XML to what a spreadsheet program saves after
    calculating: ``<c r="B2" t="..."><f>1+1</f><v>2</v></c>``.
    """
    patched = path.with_name("cached-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                text = data.decode()
                for formula, (value, kind) in cached.items():
                    in_xml = escape(formula)  # as it stands in the XML: & is &amp;
                    text, count = re.subn(
                        rf'<c r="([A-Z]+[0-9]+)"([^>]*)><f>{re.escape(in_xml)}</f>\s*<v\s*/>',
                        rf'<c r="\1"\2 t="{kind}"><f>{in_xml}</f><v>{value}</v>', text)
                    assert count <= 1, formula
                data = text.encode()
            dst.writestr(info, data)
    path.unlink()
    return patched


def test_formula_with_cached_value_is_read_by_value(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", "=1+1")
    set_cell(sheets, "Scenarios", 3, "probability", "=1-B2")
    set_cell(sheets, "Parties", 3, "budget", '=IF(TRUE,"","x")')  # cached "": blank
    set_cell(sheets, "Demand", 2, "party", '="U"&"S"')
    path = with_cached_values(write_workbook(tmp_path / "f.xlsx", sheets),
                              {"1+1": ("7.5", "n"), "1-B2": ("0.4", "n"),
                               'IF(TRUE,"","x")': ("", "str"), '"U"&"S"': ("US", "str")})
    outcome = check_file(path)
    assert outcome.exit_code == 0, outcome.stderr

    from stockopt.workbook.normalize import load

    data = load(path).data
    assert data is not None and data.price["ga"] == 7.5 and data.probability["ban"] == 0.4
    assert data.budget["EU"] is None and data.demand[("US", "ga", 1)] == 10


def test_formula_with_cached_error_value(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Offtakes", 2, "fee", "=1/0")
    path = with_cached_values(write_workbook(tmp_path / "e.xlsx", sheets),
                              {"1/0": ("#DIV/0!", "e")})
    outcome = check_file(path)
    assert_problem(outcome, "Offtakes", (2,), "fee", "cell F2", "the error value #DIV/0!")


# --- leniency -------------------------------------------------------------------


def test_extra_columns_are_a_warning(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Parties", 2, "notes", "our side")
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0
    assert_problem(outcome, "Parties", (1,), "notes", "cell C1", "ignored", severity="warning")


def test_disruption_source_named_nowhere_is_an_error(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Disruptions", 2, "source", "atlantis")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Disruptions", (2,), "source", "'atlantis'", "disrupt nothing")
    assert len(outcome.errors) == 1


def test_disruption_source_named_by_offtake_only(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Disruptions", 2, "source", "australia")
    assert check(tmp_path, sheets).problems == []


def test_readme_sheet_is_ignored(tmp_path: Path) -> None:
    sheets = {" ReadMe ": [["How to fill this in"], [None, "#N/A", "=1+1"]], **full_sheets()}
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0 and outcome.problems == []


def test_unknown_sheet_is_a_warning(tmp_path: Path) -> None:
    sheets = {**full_sheets(), "Scratch": [["x"], [1]]}
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0
    assert_problem(outcome, "Scratch", (), None, "ignored", severity="warning")


def test_near_miss_names_get_a_suggestion(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Period"] = sheets.pop("Periods")
    sheets["Parties"][0][1] = "budgets"
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Periods", (), None, "no such sheet")
    assert_problem(outcome, "Period", (), None, "did you mean Periods?", severity="warning")
    assert_problem(outcome, "Parties", (1,), "budgets", "did you mean budget?",
                   severity="warning")


@pytest.mark.parametrize(("sheet", "row", "column"), [("Parties", 3, "party"),
                                                      ("Supply", 2, "source")])
def test_star_is_not_a_name(tmp_path: Path, sheet: str, row: int, column: str) -> None:
    sheets = full_sheets()
    set_cell(sheets, sheet, row, column, "*")
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, sheet, (row,), column, "other than *")


def test_names_case_insensitive_with_spaces(tmp_path: Path) -> None:
    sheets = {}
    for name, rows in full_sheets().items():
        header = [f"  {h.upper()} " for h in rows[0]]
        sheets[f" {name.lower()}  "] = [header, *rows[1:]]
    sheets[" settings  "][1][0] = " RISK_WEIGHT"
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.problems == []


def test_problems_name_the_sheet_as_spelled(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets[" minerals "] = sheets.pop("Minerals")
    sheets[" minerals "][0][1] = "PRICE "
    set_cell(sheets, " minerals ", 2, "PRICE ", -3)
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, " minerals ", (2,), "price", "found -3.")


def test_columns_in_any_order(tmp_path: Path) -> None:
    sheets = full_sheets()
    for name, rows in sheets.items():
        sheets[name] = [list(reversed(r + [None] * (len(rows[0]) - len(r)))) for r in rows]
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.problems == []


def test_blank_rows_anywhere_are_skipped(tmp_path: Path) -> None:
    sheets = full_sheets()
    for name, rows in sheets.items():
        spaced = [rows[0]]
        for r in rows[1:]:
            spaced += [[], [None, "  "], r]
        sheets[name] = [*spaced, [], []]
    sheets["Minerals"][3][1] = -1  # Excel row 4 once blank rows are in
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Minerals", (4,), "price", "found -1.")
    assert len(outcome.errors) == 1


def test_row_with_only_unknown_columns_is_not_a_record(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Parties", 1, "notes", "notes")
    sheets["Parties"].append([None, None, "a comment"])
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0, outcome.stderr


def test_whole_number_identifiers_read_as_text(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Periods"] = [["period"], [2027], [2028.0], ["2029"]]
    set_cell(sheets, "Demand", 3, "period", "2028")
    set_cell(sheets, "Offtakes", 2, "first_period", 2028)
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0, outcome.stderr

    from stockopt.workbook.normalize import load

    data = load(tmp_path / "input.xlsx").data
    assert data is not None and data.periods == ["2027", "2028", "2029"]


def test_numbers_typed_as_text(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", " 12.5 ")
    set_cell(sheets, "Demand", 2, "demand", "1e1")
    set_cell(sheets, "Scenarios", 2, "probability", ".6")
    outcome = check(tmp_path, sheets)
    assert outcome.exit_code == 0, outcome.stderr

    from stockopt.workbook.normalize import load

    data = load(tmp_path / "input.xlsx").data
    assert data is not None and data.price["ga"] == 12.5 and data.probability["calm"] == 0.6


def test_every_problem_at_once(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", "abc")
    set_cell(sheets, "Demand", 4, "party", "JP")
    set_cell(sheets, "Scenarios", 3, "probability", 0.5)
    set_cell(sheets, "Settings", 3, "value", 1)
    sheets["Parties"].append(["EU", 1])
    set_cell(sheets, "Disruptions", 2, "availability", 2)
    del sheets["Periods"][0][0]
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Minerals", (2,), "price", "'abc'")
    assert_problem(outcome, "Demand", (4,), "party", "'JP'")
    assert_problem(outcome, "Scenarios", (2, 3), "probability", "sum to 1")
    assert_problem(outcome, "Settings", (3,), "value", "cvar_alpha")
    assert_problem(outcome, "Parties", (3, 4), "party", "'EU'")
    assert_problem(outcome, "Disruptions", (2,), "availability", "found 2.")
    assert_problem(outcome, "Periods", (1,), "period", "no such column")
    assert len(outcome.errors) == 7
    assert "7 errors" in outcome.stderr


def test_json_output_parses_and_lists_problems(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", -1)
    sheets["Minerals"][0].append("colour")  # an unknown column: a warning
    path = write_workbook(tmp_path / "j.xlsx", sheets)
    code, out, _err = run_validate(path, "--json")
    assert code == 2
    data = json.loads(out)
    assert data["errors"] == 1 and data["warnings"] == 1
    error = next(p for p in data["problems"] if p["severity"] == "error")
    assert error["sheet"] == "Minerals" and error["rows"] == [2] and error["column"] == "price"
    assert error["cell"] == "B2"
    assert {"expected", "found", "message"} <= set(error)


def test_json_output_when_valid(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Minerals"][0].append("colour")  # an unknown column: a warning
    code, out, err = run_validate(write_workbook(tmp_path / "j.xlsx", sheets), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["errors"] == 0 and data["warnings"] == 1
    assert "valid:" in err


def test_load_returns_no_data_on_errors(tmp_path: Path) -> None:
    from stockopt.workbook.normalize import load

    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", -1)
    loaded = load(write_workbook(tmp_path / "x.xlsx", sheets))
    assert loaded.data is None and loaded.problems.has_errors


# --- plausibility bounds, spreads in one LP row, data without a header (issue 15) -------------


@pytest.mark.parametrize(("sheet", "row", "column", "value", "expected"), [
    ("Demand", 2, "demand", 1e-9, "0 or a number from 0.001 to 1e9 (t/period)"),
    ("Demand", 2, "demand", 2e9, "0 or a number from 0.001 to 1e9 (t/period)"),
    ("Demand", 2, "criticality", 1e9, "0 or a number from 0.001 to 1000 (weight)"),
    ("Minerals", 2, "price", 1e20, "a number from 0.001 to 1e10 (currency/t)"),
    ("Holdings", 2, "holding_cost", 1e15, "0 or a number from 0.001 to 1e10 (currency/t/period)"),
    ("Offtakes", 2, "fee", 1e12, "0 or a number from 0.001 to 1e10 (currency per t/period)"),
    ("Parties", 2, "budget", 1e14, "0 or a number from 1 to 1e13 (currency)"),
    ("Parties", 2, "budget", 0.5, "0 or a number from 1 to 1e13 (currency)"),
    ("DemandShocks", 2, "multiplier", 1e9, "a number from 0.001 to 1000 (factor)"),
    ("Swaps", 2, "return_lag", 1e20, "a whole number ≥ 0 and ≤ 1000 (periods)"),
    ("Swaps", 2, "return_ratio", 1e4, "a number from 0.001 to 1000 (t/t)"),
    ("Risks", 2, "max_duration", 1e20, "a whole number ≥ 1 and ≤ 1000 (periods)"),
    ("Supply", 2, "volume", 1e10, "0 or a number from 0.001 to 1e9 (t/period)"),
    ("CoverTargets", 2, "periods", 5000, "0 or a number from 0.001 to 1000 (periods)"),
    ("Mitigation", 2, "lead_time", 1001, "a whole number ≥ 0 and ≤ 1000 (periods)"),
])
def test_implausible_magnitude(tmp_path: Path, sheet: str, row: int, column: str, value: float,
                               expected: str) -> None:
    """Every number has a plausible range, declared once in the schema; the message names
    the cell and states the range with its unit."""
    from stockopt.workbook.problems import number_text

    sheets = full_sheets()
    set_cell(sheets, sheet, row, column, value)
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, sheet, (row,), column, f"expected {expected};",
                             f"found {number_text(float(value))}.")
    assert problem["cell"]
    assert SHEETS_BY_KEY[sheet.lower()].column(column).expected_range(True) == expected


def test_zero_stays_allowed_below_the_smallest_magnitude(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 2, "demand", 0)
    set_cell(sheets, "Offtakes", 2, "fee", 0)
    set_cell(sheets, "Parties", 2, "budget", 0)
    assert not check(tmp_path, sheets).errors


def test_pooled_budget_bounds(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Settings"][3][1] = 1e20
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Settings", (4,), "value",
                   "0 or a number from 1 to 1e13 (currency) for pooled_budget", "found 1e+20.")


def test_budget_row_spread(tmp_path: Path) -> None:
    """A fee 1e-7 of the row's largest cost cannot be told from 0 by the LP: refused, naming
    the fee's cell and the cost it is compared with."""
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", 1e6)  # ga: 1e6 per t, typical 12 t
    set_cell(sheets, "Parties", 2, "budget", 1e9)
    set_cell(sheets, "Offtakes", 2, "fee", 0.001)  # aus_ga, US
    sheets["Settings"][3][1] = None  # no pooled budget (it would report the same spread)
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Offtakes", (2,), "fee",
                             "costs in the budget row of party 'US' within a factor of 1e+07",
                             "the fee of Offtakes 'aus_ga'", "set the small cost to 0")
    assert problem["cell"] == "F2"
    assert len(outcome.errors) == 1


def test_budget_far_below_the_cost_of_a_typical_quantity(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", 1e9)  # 12 t of ga cost 1.2e10
    set_cell(sheets, "Parties", 2, "budget", 1e4)
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Parties", (2,), "budget",
                             "a budget of party 'US' of at least 1/1e+05",
                             "found 10000, while buying 'ga'", "raise the budget")
    assert problem["cell"] == "B2"


def test_loss_row_spread(tmp_path: Path) -> None:
    """Demand 1e-9 of its mineral's largest, or a criticality as far apart, ends 'unbounded'
    in HiGHS: refused at validation, naming the demand cell."""
    sheets = full_sheets()
    set_cell(sheets, "Demand", 3, "demand", 1e6)  # ga's largest demand
    set_cell(sheets, "Demand", 2, "demand", 0.01)  # 1e8 times less
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Demand", (2,), "demand, criticality",
                             "within a factor of 1e+07", "demand 0.01 of 'ga'")
    assert problem["cell"] == "D2"


@pytest.mark.parametrize("path", sorted(Path("inputs").glob("*.xlsx")), ids=lambda p: p.name)
def test_bundled_examples_stay_valid(path: Path) -> None:
    code, _out, err = run_validate(path)
    assert code == 0, err


def test_value_under_a_blank_header_is_an_error(tmp_path: Path) -> None:
    """Clearing a header used to drop its column silently (start_period on Disruptions:
    R* 45.06 became 51.22); now the values below it are an error naming the cells."""
    sheets = full_sheets()
    sheets["Disruptions"][0][3] = None  # the start_period header
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Disruptions", (2,), None,
                             "expected a header in cell D1 for the values in column D",
                             "found 1 value under a blank header, the first 2028 in D2")
    assert problem["cell"] == "D2"


def test_value_right_of_the_last_header_is_an_error(tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Parties"][1].extend([None, 7])
    sheets["Parties"][2].extend([None, 8])
    outcome = check(tmp_path, sheets)
    assert_problem(outcome, "Parties", (2, 3), None, "a header in cell D1",
                   "found 2 values right of the last header (B1), the first 7 in D2")


def test_named_extra_column_stays_a_warning(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Parties", 2, "note", "hello")
    outcome = check(tmp_path, sheets)
    assert not outcome.errors
    assert_problem(outcome, "Parties", (1,), "note", "the column is ignored", severity="warning")


def test_problem_list_is_bounded_with_exact_counts(tmp_path: Path) -> None:
    """Thousands of bad rows give a bounded list (text and JSON) and exact counts."""
    from stockopt.workbook.problems import MAX_LISTED

    sheets = minimal_sheets()
    sheets["Demand"] += [["US", "ga", 2027, -i] for i in range(1, 301)]
    outcome = check(tmp_path, sheets)
    data = json.loads(outcome.stdout)
    assert data["errors"] >= 300 and data["not_listed"]["errors"] == data["errors"] - MAX_LISTED
    assert len(outcome.problems) == MAX_LISTED + 1
    last = outcome.problems[-1]["message"]
    assert f"{data['errors']:,} errors" in last and "not listed" in last
    assert len(outcome.stderr.splitlines()) < MAX_LISTED + 5


def test_long_values_are_shortened(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets["Demand"].append(["x" * 10_000, "ga", None, 5])
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Demand", (3,), "party", "characters left out")
    assert len(problem["message"]) < 400
    assert max(len(line) for line in outcome.stderr.splitlines()) < 1000
