"""Stockpiles column ``access`` (FORMULATION-v2 section 5): what bad input gets, and what
normalize makes of good input. Each problem names the sheet, every Excel row involved and
the column (``assert_problem``)."""

from __future__ import annotations

from pathlib import Path

from test_validation import assert_problem, check, full_sheets, set_cell
from workbooks import write_workbook

from stockopt.workbook.normalize import load


def _with_access(*values: object) -> dict:
    """full_sheets() with ``values`` in the access cells of Stockpiles rows 2, 3, 4 ('nds'
    US alone; 'joint' US 0.4 and EU 0.6)."""
    sheets = full_sheets()
    for row, value in enumerate(values, start=2):
        set_cell(sheets, "Stockpiles", row, "access", value)
    return sheets


def test_valid_values_case_insensitive(tmp_path: Path) -> None:
    outcome = check(tmp_path, _with_access(None, " SHARES ", "Shares"))
    assert outcome.exit_code == 0, outcome.problems
    assert not [p for p in outcome.problems if p["column"] == "access"]
    data = load(write_workbook(tmp_path / "ok.xlsx", _with_access("free", "shares", "shares")))
    assert data.data is not None
    assert data.data.access == {"joint": "shares"}
    assert data.data.access_of("nds") == "free"


def test_unknown_value_suggests_the_close_one(tmp_path: Path) -> None:
    outcome = check(tmp_path, _with_access(None, "share", "shares"))
    problem = assert_problem(outcome, "Stockpiles", (3,), "access", "free or shares",
                             "blank means free", "'share'", "did you mean shares?")
    assert problem["cell"] == "D3"


def test_unknown_value_without_a_close_one(tmp_path: Path) -> None:
    outcome = check(tmp_path, _with_access("pro rata", None, None))
    problem = assert_problem(outcome, "Stockpiles", (2,), "access", "free or shares",
                             "'pro rata'")
    assert "did you mean" not in problem["message"]


def test_a_number_is_not_an_access_mode(tmp_path: Path) -> None:
    outcome = check(tmp_path, _with_access(None, 1, 1))
    assert_problem(outcome, "Stockpiles", (3,), "access", "free or shares")
    assert_problem(outcome, "Stockpiles", (4,), "access", "free or shares")


def test_conflicting_rows_name_every_row(tmp_path: Path) -> None:
    outcome = check(tmp_path, _with_access(None, "shares", "free"))
    assert_problem(outcome, "Stockpiles", (3, 4), "access",
                   "the same access on every row of stockpile 'joint'",
                   "free on row 4", "shares on row 3")


def test_blank_beside_shares_is_free_so_a_conflict(tmp_path: Path) -> None:
    """A blank cell is the default, free: blank on one row of a stockpile and shares on
    another conflict, and the message says the blank means free."""
    outcome = check(tmp_path, _with_access(None, "shares", None))
    assert_problem(outcome, "Stockpiles", (3, 4), "access",
                   "the same access on every row of stockpile 'joint'",
                   "free on row 4 (a blank cell means free)", "shares on row 3")


def test_shares_on_a_single_member_is_a_warning(tmp_path: Path) -> None:
    outcome = check(tmp_path, _with_access("shares", None, None))
    assert outcome.exit_code == 0
    assert_problem(outcome, "Stockpiles", (2,), "access", "joint stockpile",
                   "'nds', whose only member is 'US'", "changes nothing", severity="warning")
