"""Budgets in the parties' own currencies (FORMULATION-v2 section 8): Parties column
``currency`` and Settings key ``exchange_rates``, read, validated and normalized.

The workbook is ``minimal_sheets()`` (one party US, budget 5, base currency USD) with the
US budget entered as EUR 2.5 at EUR=2; each rule is then broken on a copy. Every problem
must name the sheet, the Excel row and the column.
"""

from __future__ import annotations

import pytest
from test_validation import assert_problem, check
from workbooks import minimal_sheets, write_workbook

from stockopt.workbook.currency import RATE_RANGE, close_match, parse_exchange_rates
from stockopt.workbook.normalize import load

Sheets = dict[str, list[list]]


def sheets(rates: object = "EUR=2", currency: object = "EUR", budget: object = 2.5,
           base: str | None = None) -> Sheets:
    """minimal_sheets() with the US budget in ``currency`` and Settings exchange_rates
    ``rates`` (Settings row 2; the base currency, when given, on row 3)."""
    s = minimal_sheets()
    s["Parties"] = [["party", "budget", "currency"], ["US", budget, currency]]
    s["Settings"] = [["key", "value"], ["exchange_rates", rates]]
    if base is not None:
        s["Settings"].append(["currency", base])
    return s


def test_a_party_budget_in_its_own_currency_is_valid_and_converted(tmp_path) -> None:  # noqa: ANN001
    """EUR 2.5 at 2 USD per EUR: the model's budget is USD 5; what was entered is kept."""
    outcome = check(tmp_path, sheets())
    assert outcome.exit_code == 0 and outcome.problems == []
    data = load(write_workbook(tmp_path / "x.xlsx", sheets())).data
    assert data.budget == {"US": 5.0}
    assert data.budget_entered == {"US": 2.5} and data.budget_own("US") == 2.5
    assert data.party_currency == {"US": "EUR"} and data.exchange_rates == {"EUR": 2.0}
    assert data.rate("US") == 2.0 and data.currency_of("US") == "EUR"
    assert data.exchange_rates_source == "Settings row 2, exchange_rates 'EUR=2'"


def test_without_currencies_nothing_changes(tmp_path) -> None:  # noqa: ANN001
    """A v1 workbook: budgets exactly as entered, no currency fields."""
    data = load(write_workbook(tmp_path / "x.xlsx", minimal_sheets())).data
    assert data.budget == {"US": 5.0}
    assert data.party_currency == {} and data.exchange_rates == {}
    assert data.budget_entered == {} and data.exchange_rates_source == ""
    assert data.rate("US") == 1.0 and data.budget_own("US") == 5


@pytest.mark.parametrize("currency", [None, "USD"])
def test_the_base_currency_needs_no_rate(tmp_path, currency) -> None:  # noqa: ANN001
    s = sheets(rates=None, currency=currency)
    s["Settings"] = [["key", "value"]]
    outcome = check(tmp_path, s)
    assert outcome.problems == []
    data = load(write_workbook(tmp_path / "x.xlsx", s)).data
    assert data.budget == {"US": 2.5} and data.party_currency == {}


def test_the_rates_may_be_spaced_and_end_with_a_separator(tmp_path) -> None:  # noqa: ANN001
    s = sheets(rates="  EUR = 2 ;\nGBP=1.25; ", currency="EUR")
    s["Parties"].append(["UK", 10, "GBP"])
    s["Stockpiles"].append(["uk", "UK", None])
    s["Holdings"].append(["uk", "ga"])
    outcome = check(tmp_path, s)
    assert outcome.problems == []
    data = load(write_workbook(tmp_path / "x.xlsx", s)).data
    assert data.budget == {"US": 5.0, "UK": 12.5}
    assert data.exchange_rates == {"EUR": 2.0, "GBP": 1.25}


@pytest.mark.parametrize(("rates", "fragments"), [
    ("EUR:2", ["items CODE=rate separated by ';'", "'EUR:2' (no '=')"]),
    ("EUR=2, GBP=1.27", ["a ',' is not a separator"]),
    ("EUR=2=3", ["more than one '='"]),
    ("EUR=2; =3", ["a currency code", "'=3' (no code)"]),
    ("1EUR=2", ["a currency code", "(code '1EUR')"]),
    ("EUR=abc", ["a number from 1e-06 to 1e+06 after 'EUR='", "'EUR=abc'"]),
    ("EUR=1,08", ["use '.' as the decimal point"]),
    ("EUR=", ["a number from"]),
    ("EUR=0", ["a rate from 1e-06 to 1e+06 for EUR", "must be positive", "'EUR=0'"]),
    ("EUR=-2", ["a rate from", "'EUR=-2'"]),
    ("EUR=2e7", ["a rate from", "'EUR=2e7'"]),
    ("EUR=2; EUR=2", ["each currency once", "a second rate for EUR"]),
    (1.08, ["items CODE=rate", "'1.08'"]),
])
def test_a_bad_rate_item_names_the_settings_row(tmp_path, rates, fragments) -> None:  # noqa: ANN001
    outcome = check(tmp_path, sheets(rates=rates))
    assert_problem(outcome, "Settings", (2,), "value", "exchange_rates", "cell B2", *fragments)


def test_every_bad_item_is_reported(tmp_path) -> None:  # noqa: ANN001
    outcome = check(tmp_path, sheets(rates="EUR=2; GBP; JPY=0; EUR=3"))
    found = [p["found"] for p in outcome.errors if p["sheet"] == "Settings"]
    assert found == ["'GBP' (no '=')", "'JPY=0'", "'EUR=3', a second rate for EUR"]


@pytest.mark.parametrize(("currency", "hint"), [
    ("eur", "did you mean 'EUR'?"), ("EURO", "did you mean 'EUR'?"),
    ("usd", "did you mean 'USD' (the base currency)?"), ("CHF", ""),
])
def test_a_party_currency_without_a_rate(tmp_path, currency, hint) -> None:  # noqa: ANN001
    outcome = check(tmp_path, sheets(currency=currency))
    problem = assert_problem(outcome, "Parties", (2,), "currency", "cell C2",
                             "the base currency 'USD' (or blank)",
                             "exchange_rates gives EUR=2", f"'{currency}', which has no rate")
    assert hint in problem["message"]
    if not hint:
        assert "did you mean" not in problem["message"]


def test_a_party_currency_when_no_rates_are_given(tmp_path) -> None:  # noqa: ANN001
    s = sheets()
    s["Settings"] = [["key", "value"], ["currency", "USD"]]
    outcome = check(tmp_path, s)
    assert_problem(outcome, "Parties", (2,), "currency", "gives no rates", "'EUR'")


def test_a_rate_for_the_base_currency_must_be_1(tmp_path) -> None:  # noqa: ANN001
    outcome = check(tmp_path, sheets(rates="EUR=2; USD=1.1"))
    assert_problem(outcome, "Settings", (2,), "value", "a rate of 1, for USD",
                   "'USD=1.1'")
    assert check(tmp_path, sheets(rates="EUR=2; USD=1"), "ok.xlsx").problems == []


def test_the_base_currency_is_the_settings_currency(tmp_path) -> None:  # noqa: ANN001
    """Base EUR: a party in USD needs a USD rate; a rate EUR=1 is allowed."""
    s = sheets(rates="USD=0.5; EUR=1", currency="USD", budget=10, base="EUR")
    assert check(tmp_path, s).problems == []
    data = load(write_workbook(tmp_path / "x.xlsx", s)).data
    assert data.currency == "EUR" and data.budget == {"US": 5.0}
    assert data.exchange_rates == {"USD": 0.5}


def test_a_rate_no_party_uses_is_a_warning(tmp_path) -> None:  # noqa: ANN001
    outcome = check(tmp_path, sheets(rates="EUR=2; GBP=1.27"))
    assert outcome.errors == []
    assert_problem(outcome, "Settings", (2,), "value", "'GBP=1.27', which no party uses",
                   severity="warning")


def test_the_budget_row_check_sees_the_budget_in_the_base_currency(tmp_path) -> None:  # noqa: ANN001
    """At price 2e5 USD/t the typical quantity (10 t) costs 2e6 USD, which may be at most
    1e5 budgets: 15 EUR = 30 USD is allowed (2e6 ≤ 3e6), 15 USD is not (2e6 > 1.5e6),
    and neither is 8 EUR = 16 USD (2e6 > 1.6e6)."""
    def priced(budget: float, currency: str | None) -> Sheets:
        s = sheets(budget=budget, currency=currency)
        s["Minerals"] = [["mineral", "price"], ["ga", 2e5]]
        return s

    assert check(tmp_path, priced(15, "EUR")).errors == []
    outcome = check(tmp_path, priced(15, None), "usd.xlsx")
    problem = assert_problem(outcome, "Parties", (2,), "budget")
    assert "converted" not in problem["message"]
    outcome = check(tmp_path, priced(8, "EUR"), "small.xlsx")
    assert_problem(outcome, "Parties", (2,), "budget", "party 'US' (converted to USD at the "
                   "rate 2)", "found 16, ")


def test_parse_exchange_rates_reads_the_documented_text() -> None:
    parsed = parse_exchange_rates("EUR=1.08; GBP = 1.27\nJPY=6.7e-3")
    assert parsed.rates == {"EUR": 1.08, "GBP": 1.27, "JPY": 0.0067}
    assert parsed.problems == []
    assert parse_exchange_rates(None).rates == {}
    assert parse_exchange_rates(f"X={RATE_RANGE[0]}; Y={RATE_RANGE[1]}").problems == []


def test_close_match() -> None:
    assert close_match("eur", ["EUR", "GBP"]) == "EUR"
    assert close_match("EURO", ["EUR", "GBP"]) == "EUR"
    assert close_match("CHF", ["EUR", "GBP"]) is None
