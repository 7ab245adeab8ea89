"""Inputs of purchases over time and take-or-pay offtakes (FORMULATION-v2 sections 6 and 7):
Settings purchase_timing, Minerals lead_time and max_acquisition_per_period, the sheets
PricePath and PeriodBudgets, CoverTargets from_period and Offtakes min_take; read,
validated (every problem named by sheet, Excel row and column) and normalized.

The workbook is ``full_sheets()`` (three periods 2027..2029; US budget 50, EU unlimited),
which already uses every new column once; each rule is broken on a copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_validation import Sheets, assert_problem, check, full_sheets, set_cell
from workbooks import minimal_sheets, write_workbook

from stockopt.data import ModelData
from stockopt.studies.cooperation import alone
from stockopt.workbook.normalize import load


def _load(tmp_path: Path, sheets: Sheets) -> ModelData:
    loaded = load(write_workbook(tmp_path / "ok.xlsx", sheets))
    assert loaded.data is not None, [p.message for p in loaded.problems.items]
    return loaded.data


def _timing(sheets: Sheets, value: object) -> int:
    """Add the Settings row purchase_timing = ``value``; return its Excel row."""
    sheets["Settings"].append(["purchase_timing", value])
    return len(sheets["Settings"])


# --- the full workbook, and a v1 workbook -------------------------------------------------------

def test_every_new_input_normalizes(tmp_path: Path) -> None:
    data = _load(tmp_path, full_sheets())
    assert data.purchase_timing == "start"
    assert data.lead_time == {"ga": 1}
    assert data.max_acquisition_per_period == {"ga": 50.0}
    assert data.price_path == {("ge", 1): 3.5}
    assert data.order_price("ge", 1) == 3.5 and data.order_price("ga", 1) == 2.0
    assert data.period_budgets == {("EU", 1): 1e6}
    assert data.period_budgets_entered == {("EU", 1): 1e6}
    assert data.cover_targets["us_ga"].from_period == 2
    assert data.cover_targets["joint_ge"].from_period == 1
    assert data.offtakes["aus_ga"].min_take == 0.5


def test_a_workbook_without_the_new_inputs_gets_the_defaults(tmp_path: Path) -> None:
    data = _load(tmp_path, minimal_sheets())
    defaults = ModelData(**{f: getattr(data, f) for f in (
        "periods", "parties", "minerals", "scenarios", "stockpiles", "budget", "price",
        "max_acquisition", "members", "holdings", "demand", "criticality", "supply",
        "offtakes", "swaps", "probability", "availability", "demand_multiplier")})
    for field in ("purchase_timing", "lead_time", "price_path", "max_acquisition_per_period",
                  "period_budgets", "period_budgets_entered"):
        assert getattr(data, field) == getattr(defaults, field), field
    assert data.order_periods("ga") == [1]


def test_blank_new_cells_take_the_defaults(tmp_path: Path) -> None:
    s = full_sheets()
    for sheet, row, column in (("Minerals", 2, "lead_time"),
                               ("Minerals", 2, "max_acquisition_per_period"),
                               ("CoverTargets", 2, "from_period"), ("Offtakes", 2, "min_take")):
        set_cell(s, sheet, row, column, None)
    _timing(s, None)
    assert check(tmp_path, s).problems == []
    data = _load(tmp_path, s)
    assert data.purchase_timing == "start" and data.lead_time == {}
    assert data.max_acquisition_per_period == {}
    assert data.cover_targets["us_ga"].from_period == 1
    assert data.offtakes["aus_ga"].min_take == 0.0


# --- Settings purchase_timing -----------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [(" Periods ", "periods"), ("START", "start")])
def test_purchase_timing_values_read(tmp_path: Path, value: str, expected: str) -> None:
    s = full_sheets()
    _timing(s, value)
    assert check(tmp_path, s).problems == []
    assert _load(tmp_path, s).purchase_timing == expected


@pytest.mark.parametrize(("value", "hint"), [("period", "did you mean periods?"),
                                              ("strat", "did you mean start?"),
                                              ("monthly", None), (3, None)])
def test_purchase_timing_must_be_start_or_periods(tmp_path: Path, value: object,
                                                  hint: str | None) -> None:
    s = full_sheets()
    row = _timing(s, value)
    outcome = check(tmp_path, s)
    problem = assert_problem(outcome, "Settings", (row,), "value", "start, periods",
                             "purchase_timing")
    assert (hint in problem["message"]) if hint else ("did you mean" not in problem["message"])
    assert len(outcome.errors) == 1


def test_an_unknown_timing_gives_no_warnings_that_depend_on_it(tmp_path: Path) -> None:
    s = full_sheets()
    s["PricePath"] += [["ge", 2028, 4], ["ga", 2029, 4]]  # never / too late, whichever timing
    row = _timing(s, "perods")
    outcome = check(tmp_path, s)
    assert_problem(outcome, "Settings", (row,), "value", "did you mean periods?")
    assert len(outcome.problems) == 1


# --- Minerals lead_time and max_acquisition_per_period ----------------------------------------

@pytest.mark.parametrize("value", [-1, 1.5, "abc", 1001, True])
def test_lead_time_must_be_a_whole_number_of_periods(tmp_path: Path, value: object) -> None:
    s = full_sheets()
    set_cell(s, "Minerals", 3, "lead_time", value)
    outcome = check(tmp_path, s)
    assert_problem(outcome, "Minerals", (3,), "lead_time", "a whole number ≥ 0 and ≤ 1000",
                   "cell D3")
    assert len(outcome.errors) == 1


@pytest.mark.parametrize("value", [-5, 1e-4, 2e9, "10 t"])
def test_max_acquisition_per_period_out_of_range(tmp_path: Path, value: object) -> None:
    s = full_sheets()
    set_cell(s, "Minerals", 3, "max_acquisition_per_period", value)
    outcome = check(tmp_path, s)
    assert_problem(outcome, "Minerals", (3,), "max_acquisition_per_period",
                   "0 or a number from 0.001 to 1e9 (t/period)", "cell E3")
    assert len(outcome.errors) == 1


def test_a_per_period_limit_above_the_total_is_fine(tmp_path: Path) -> None:
    s = full_sheets()
    set_cell(s, "Minerals", 2, "max_acquisition_per_period", 500)  # max_acquisition 100
    assert check(tmp_path, s).problems == []
    assert _load(tmp_path, s).max_acquisition_per_period == {"ga": 500.0}


@pytest.mark.parametrize("timing", ["start", "periods"])
@pytest.mark.parametrize("lead", [3, 7])
def test_a_lead_time_as_long_as_the_horizon_is_a_warning(tmp_path: Path, lead: int,
                                                         timing: str) -> None:
    s = full_sheets()
    _timing(s, timing)
    set_cell(s, "Minerals", 2, "lead_time", lead)
    outcome = check(tmp_path, s)
    assert outcome.exit_code == 0
    problem = assert_problem(outcome, "Minerals", (2,), "lead_time",
                             "shorter than the horizon (3 periods", f"found {lead}:",
                             "no order of 'ga' can arrive within the horizon",
                             severity="warning")
    assert problem["cell"] == "D2"
    assert len(outcome.warnings) == 1
    data = _load(tmp_path, s)
    assert data.lead_time == {"ga": lead} and data.order_periods("ga") == []


@pytest.mark.parametrize("timing", ["start", "periods"])
def test_a_lead_time_within_the_horizon_is_no_warning(tmp_path: Path, timing: str) -> None:
    s = full_sheets()
    _timing(s, timing)
    set_cell(s, "Minerals", 2, "lead_time", 2)
    assert check(tmp_path, s).problems == []
    data = _load(tmp_path, s)
    assert data.order_periods("ga") == [1]  # 1 + 2 = 3 ≤ 3, under either timing


# --- PricePath --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, -2, "cheap", 1e11, 1e-4])
def test_price_path_price_out_of_range(tmp_path: Path, value: object) -> None:
    s = full_sheets()
    set_cell(s, "PricePath", 2, "price", value)
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PricePath", (2,), "price", "a number from 0.001 to 1e10 (currency/t)",
                   "cell C2")
    assert len(outcome.errors) == 1


@pytest.mark.parametrize(("column", "value", "kind"), [("mineral", "gallium", "mineral"),
                                                       ("period", 2030, "period")])
def test_price_path_refers_to_declared_names(tmp_path: Path, column: str, value: object,
                                             kind: str) -> None:
    s = full_sheets()
    set_cell(s, "PricePath", 2, column, value)
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PricePath", (2,), column, f"a {kind} declared in the",
                   f"'{value}', which is not declared")
    assert len(outcome.errors) == 1


@pytest.mark.parametrize("column", ["mineral", "period", "price"])
def test_price_path_cells_are_required(tmp_path: Path, column: str) -> None:
    s = full_sheets()
    set_cell(s, "PricePath", 2, column, None)
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PricePath", (2,), column, "(required)", "a blank cell")
    assert len(outcome.errors) == 1


def test_a_price_path_row_given_twice_names_both_rows(tmp_path: Path) -> None:
    s = full_sheets()
    s["PricePath"] += [["ga", 2027, 4], ["ge", "2027", 5]]
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PricePath", (2, 4), "mineral, period",
                   "one row per mineral and period", "2 rows for mineral 'ge', period '2027'")
    assert len(outcome.errors) == 1


def test_price_path_keys_use_period_numbers(tmp_path: Path) -> None:
    s = full_sheets()
    _timing(s, "periods")
    set_cell(s, "Minerals", 2, "lead_time", None)
    s["PricePath"] += [["ga", 2029, 2.75], ["ga", 2028, 2],  # 2028: the Minerals price
                       ["ge", 2028, "4.5"]]
    assert check(tmp_path, s).problems == []
    data = _load(tmp_path, s)
    assert data.price_path == {("ge", 1): 3.5, ("ga", 3): 2.75, ("ge", 2): 4.5}
    assert data.order_price("ga", 2) == 2.0 and data.order_price("ga", 3) == 2.75


def test_price_path_after_the_first_period_never_applies_under_start(tmp_path: Path) -> None:
    s = full_sheets()
    s["PricePath"] += [["ge", 2028, 4], ["ga", 2027, 2.2]]
    outcome = check(tmp_path, s)
    assert outcome.exit_code == 0
    problem = assert_problem(outcome, "PricePath", (3,), "period",
                             "the first period ('2027') with purchase_timing start",
                             "'2028' (the row never applies)", severity="warning")
    assert problem["cell"] == "B3"
    assert len(outcome.warnings) == 1
    _timing(s, "periods")
    assert check(tmp_path, s, "periods.xlsx").problems == []


def test_price_path_for_an_order_arriving_too_late_never_applies(tmp_path: Path) -> None:
    s = full_sheets()
    _timing(s, "periods")  # ga: lead_time 1, so orders in 2027 and 2028 only
    s["PricePath"] += [["ga", 2029, 4], ["ga", 2028, 4]]
    outcome = check(tmp_path, s)
    assert outcome.exit_code == 0
    assert_problem(outcome, "PricePath", (3,), "period",
                   "a period whose orders of 'ga' arrive by the last period ('2028' or earlier, "
                   "with lead_time 1)", "'2029' (no order can be placed then",
                   severity="warning")
    assert len(outcome.warnings) == 1


# --- PeriodBudgets ----------------------------------------------------------------------------

@pytest.mark.parametrize("value", [-1, 0.5, 2e13, "lots"])
def test_period_budget_out_of_range(tmp_path: Path, value: object) -> None:
    s = full_sheets()
    set_cell(s, "PeriodBudgets", 2, "budget", value)
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PeriodBudgets", (2,), "budget",
                   "0 or a number from 1 to 1e13 (currency)", "cell C2")
    assert len(outcome.errors) == 1


@pytest.mark.parametrize(("column", "value", "kind"), [("party", "UK", "party"),
                                                       ("period", "2027-Q1", "period")])
def test_period_budgets_refer_to_declared_names(tmp_path: Path, column: str, value: object,
                                                kind: str) -> None:
    s = full_sheets()
    set_cell(s, "PeriodBudgets", 2, column, value)
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PeriodBudgets", (2,), column, f"a {kind} declared in the",
                   f"'{value}', which is not declared")
    assert len(outcome.errors) == 1


def test_a_period_budget_given_twice_names_both_rows(tmp_path: Path) -> None:
    s = full_sheets()
    s["PeriodBudgets"] += [["US", 2028, 10], ["EU", 2027, 5e5]]
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PeriodBudgets", (2, 4), "party, period",
                   "one row per party and period", "2 rows for party 'EU', period '2027'")
    assert len(outcome.errors) == 1


def test_a_missing_period_budget_column_is_reported(tmp_path: Path) -> None:
    s = full_sheets()
    s["PeriodBudgets"] = [["party", "period"], ["EU", 2027]]
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PeriodBudgets", (1,), "budget", "in row 1 (required)",
                   "no such column")
    assert len(outcome.errors) == 1


def test_a_period_budget_above_the_total_is_a_warning(tmp_path: Path) -> None:
    s = full_sheets()
    s["PeriodBudgets"] += [["US", 2028, 60], ["US", 2029, 50]]  # US budget 50 (Parties row 2)
    outcome = check(tmp_path, s)
    assert outcome.exit_code == 0
    problem = assert_problem(outcome, "PeriodBudgets", (3,), "budget",
                             "no larger than the party's budget (50 on Parties row 2",
                             "found 60 (the party's budget still bounds the total",
                             severity="warning")
    assert problem["cell"] == "C3"
    assert len(outcome.warnings) == 1  # equal to the total is fine; EU is unlimited


def test_period_budgets_in_a_party_currency_are_converted(tmp_path: Path) -> None:
    """US in EUR at 1.08: the period rows, like the total, enter the model × 1.08."""
    s = full_sheets()
    s["Settings"] = [["key", "value"], ["exchange_rates", "EUR=1.08"],
                     ["purchase_timing", "periods"]]
    s["Parties"] = [["party", "budget", "currency"], ["US", 50, "EUR"], ["EU", None, None]]
    s["PeriodBudgets"] += [["US", 2028, 20], ["US", "2027", 12.5]]
    assert check(tmp_path, s).problems == []
    data = _load(tmp_path, s)
    assert data.budget["US"] == pytest.approx(54.0)
    assert data.period_budgets == {("EU", 1): 1e6, ("US", 2): pytest.approx(21.6),
                                   ("US", 1): pytest.approx(13.5)}
    assert data.period_budgets_entered == {("EU", 1): 1e6, ("US", 2): 20.0, ("US", 1): 12.5}


def test_a_party_currency_without_rate_names_its_period_budget_rows(tmp_path: Path) -> None:
    s = full_sheets()
    s["Settings"] = [["key", "value"], ["exchange_rates", "EUR=1.08"]]
    s["Parties"] = [["party", "budget", "currency"], ["US", 50, "EUR"], ["EU", None, "EURO"]]
    s["PeriodBudgets"] += [["EU", 2028, 10]]
    outcome = check(tmp_path, s)
    assert_problem(outcome, "Parties", (3,), "currency", "'EURO', which has no rate",
                   "its PeriodBudgets rows 2, 3 are in it", "did you mean 'EUR'?")
    assert len(outcome.errors) == 1


def test_a_period_budget_far_below_a_typical_purchase_is_refused(tmp_path: Path) -> None:
    """A PeriodBudgets row is a budget row of the LP: the same size checks as Parties."""
    s = full_sheets()
    s["PeriodBudgets"] += [["US", 2027, 1]]  # US buys ga (price 2e6, 12 t) in 2027
    set_cell(s, "Minerals", 2, "price", 2e6)
    set_cell(s, "Parties", 2, "budget", 1e9)
    s["Settings"][3][1] = None  # no pooled budget
    outcome = check(tmp_path, s)
    assert_problem(outcome, "PeriodBudgets", (3,), "budget",
                   "a budget of party 'US' in period '2027' of at least 1/1e+05",
                   "buying 'ga' for 'nds' (price 2000000 per t)")


def test_alone_keeps_the_partys_period_budgets(tmp_path: Path) -> None:
    s = full_sheets()
    s["PeriodBudgets"] += [["US", 2028, 10]]
    data = _load(tmp_path, s)
    assert alone(data, "US").period_budgets == {("US", 2): 10.0}
    assert alone(data, "US").period_budgets_entered == {("US", 2): 10.0}
    assert alone(data, "EU").period_budgets == {("EU", 1): 1e6}


# --- CoverTargets from_period -----------------------------------------------------------------

def test_from_period_must_be_a_declared_period(tmp_path: Path) -> None:
    s = full_sheets()
    set_cell(s, "CoverTargets", 3, "from_period", "2031")
    outcome = check(tmp_path, s)
    assert_problem(outcome, "CoverTargets", (3,), "from_period", "a period declared in the",
                   "'2031', which is not declared")
    assert len(outcome.errors) == 1


@pytest.mark.parametrize("timing", ["start", "periods"])
def test_from_period_is_fine_under_both_timings(tmp_path: Path, timing: str) -> None:
    s = full_sheets()
    _timing(s, timing)
    set_cell(s, "CoverTargets", 3, "from_period", 2029)
    assert check(tmp_path, s).problems == []
    assert _load(tmp_path, s).cover_targets["joint_ge"].from_period == 3


# --- Offtakes min_take ------------------------------------------------------------------------

@pytest.mark.parametrize("value", [-0.1, 1.5, "half", 50])
def test_min_take_must_be_a_share(tmp_path: Path, value: object) -> None:
    s = full_sheets()
    set_cell(s, "Offtakes", 2, "min_take", value)
    outcome = check(tmp_path, s)
    assert_problem(outcome, "Offtakes", (2,), "min_take", "a number ≥ 0 and ≤ 1 (fraction)",
                   "cell I2")
    assert len(outcome.errors) == 1


@pytest.mark.parametrize("price", [0, None])
def test_take_or_pay_at_price_zero_is_a_warning(tmp_path: Path, price: object) -> None:
    s = full_sheets()
    set_cell(s, "Offtakes", 2, "price", price)
    outcome = check(tmp_path, s)
    assert outcome.exit_code == 0
    assert_problem(outcome, "Offtakes", (2,), "min_take",
                   "min_take only on an offtake with a price", "found 0.5 with",
                   "changes nothing", severity="warning")
    assert len(outcome.warnings) == 1


def test_min_take_read_as_given(tmp_path: Path) -> None:
    s = full_sheets()
    set_cell(s, "Offtakes", 2, "min_take", 1)
    assert check(tmp_path, s).problems == []
    assert _load(tmp_path, s).offtakes["aus_ga"].min_take == 1.0
