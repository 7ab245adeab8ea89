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
    problem = assert_problem(outcome, "Disruptions", (row,), "source")
    assert f"did you mean '{source}'?" in problem["message"]
    assert "cell " in problem["message"]
    assert len(outcome.errors) == 1


def test_the_issues_china_typos_are_errors_with_the_intended_name(tmp_path: Path) -> None:
    """'Chna' and 'china' for 'China' on Disruptions: each an error naming 'China', so the
    scenario cannot silently disrupt nothing (issue #18: R* fell from 2.12 to 0.23)."""
    sheets = full_sheets()
    for rows in sheets.values():  # the source is spelled 'China' everywhere
        for row in rows[1:]:
            row[:] = ["China" if cell == "china" else cell for cell in row]
    row = next(i for i, r in enumerate(sheets["Disruptions"], 1)
               if i > 1 and r[sheets["Disruptions"][0].index("source")] == "China")
    for typo in ("Chna", "china"):
        set_cell(sheets, "Disruptions", row, "source", typo)
        folder = tmp_path / typo
        folder.mkdir()
        outcome = check(folder, sheets)
        assert_problem(outcome, "Disruptions", (row,), "source", f"'{typo}'",
                       "did you mean 'China'?")
        assert len(outcome.errors) == 1


def test_an_unknown_setting_key_is_an_error_with_the_key_it_most_likely_means(
        tmp_path: Path) -> None:
    sheets = full_sheets()
    sheets["Settings"].append(["risk weight", 0.5])
    outcome = check(tmp_path, sheets)
    row = len(sheets["Settings"])
    problem = assert_problem(outcome, "Settings", (row,), "key", "'risk weight'",
                             "did you mean 'risk_weight'?")
    assert problem["cell"] == f"A{row}"


def test_a_blank_required_cell_names_its_cell(tmp_path: Path) -> None:
    sheets = full_sheets()
    set_cell(sheets, "Minerals", 2, "price", None)
    outcome = check(tmp_path, sheets)
    problem = assert_problem(outcome, "Minerals", (2,), "price")
    assert problem["cell"] is not None and problem["cell"].endswith("2")
    assert f"cell {problem['cell']}" in problem["message"]


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
