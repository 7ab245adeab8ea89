"""A name that matches nothing gets the declared name it most likely means (issue #18
item 1, first part): case or a small edit."""

from __future__ import annotations

from pathlib import Path

from test_validation import assert_problem, check, full_sheets, set_cell


def test_a_wrongly_cased_party_is_named(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 2, "party", "us")
    problem = assert_problem(check(tmp_path, sheets), "Demand", (2,), "party", "'us'")
    assert "did you mean 'US'?" in problem["message"]


def test_a_misspelt_mineral_is_named(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 2, "mineral", "gaa")
    problem = assert_problem(check(tmp_path, sheets), "Demand", (2,), "mineral", "'gaa'")
    assert "did you mean 'ga'?" in problem["message"]


def test_a_name_far_from_every_declared_one_gets_no_guess(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Demand", 2, "mineral", "unobtainium")
    problem = assert_problem(check(tmp_path, sheets), "Demand", (2,), "mineral")
    assert "did you mean" not in problem["message"]


def test_a_disruption_source_typo_is_named_with_its_cell(tmp_path: Path) -> None:
    sheets = full_sheets()
    row = next(i for i, r in enumerate(sheets["Disruptions"], 1)
               if i > 1 and r[sheets["Disruptions"][0].index("source")] not in ("*", None))
    source = sheets["Disruptions"][row - 1][sheets["Disruptions"][0].index("source")]
    set_cell(sheets, "Disruptions", row, "source", str(source).upper() + "X")
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Disruptions", (row,), "source", severity="warning")
    assert f"did you mean '{source}'?" in problem["message"]
    assert "cell " in problem["message"]


def test_a_share_typed_as_a_percentage_gets_the_hint(tmp_path: Path) -> None:
    """60 in a fraction column (a Disruptions availability) is out of range, with the hint
    that it means 0.6."""
    sheets = full_sheets()
    set_cell(sheets, "Disruptions", 2, "availability", 60)
    problem = assert_problem(check(tmp_path, sheets), "Disruptions", (2,), "availability")
    assert "0.6 for 60 %" in problem["message"]


def test_probabilities_typed_as_percentages_get_the_hint(tmp_path: Path) -> None:
    """Probabilities 60/40 sum to 100: the sum error says to divide by 100 (each value is
    also out of range, with the share hint)."""
    sheets = full_sheets()
    header = sheets["Scenarios"][0]
    rows = [r for r in sheets["Scenarios"][1:]]
    share = [60, 40] + [0] * (len(rows) - 2)
    for i, value in enumerate(share, start=2):
        set_cell(sheets, "Scenarios", i, "probability", value)
    outcome = check(tmp_path, sheets)
    rows_involved = tuple(range(2, len(rows) + 2))
    problem = assert_problem(outcome, "Scenarios", rows_involved, "probability")
    assert "divide each by 100" in problem["message"]
    assert header[0] == "scenario"
