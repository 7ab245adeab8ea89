"""A budget in a party's own currency (FORMULATION-v2 section 8), solved by hand.

The instance is ``minimal_sheets()``: US demands 10 t/period of 'ga' for 2 periods, its
only supply (10 t/period from 'china') is cut to 0 in 'ban' (π = 0.5) and intact in
'calm'; price 1 USD/t, no holding cost; λ = 0.5, α = 0.9. A budget of B USD buys
a = B t (B ≤ 20), released in 'ban': L_ban = (20 − a)/10, L_calm = 0, so
E[L] = 0.5·(20 − a)/10, CVaR_0.9 = (20 − a)/10 and R* = 0.075·(20 − B_USD).

Entered as EUR 2.5 at EUR=2 (2 USD per EUR) the budget is B_USD = 5: the same plan as a
USD 5 budget, R* = 0.075·15 = 1.125, cost = spend = USD 5. Per USD, ∂R*/∂B = −0.075; per
EUR, ∂R*/∂B_EUR = 2 · (−0.075) = −0.15 (one more EUR buys 2 t more).
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import minimal_sheets, write_workbook

from stockopt.api import solve as solve_data
from stockopt.commands.cli import main
from stockopt.results.extract import Results
from stockopt.workbook.normalize import load


def in_euros(budget: float = 2.5, rate: float = 2.0) -> dict:
    """minimal_sheets() with the US budget entered in EUR at ``rate`` USD per EUR."""
    s = minimal_sheets()
    s["Parties"] = [["party", "budget", "currency"], ["US", budget, "EUR"]]
    s["Settings"] = [["key", "value"], ["currency", "USD"], ["exchange_rates", f"EUR={rate}"]]
    return s


def solved(tmp_path: Path, sheets: dict, name: str) -> Results:
    loaded = load(write_workbook(tmp_path / name, sheets))
    assert loaded.data is not None, [p.message for p in loaded.problems.items]
    return solve_data(loaded.data)


def test_budget_times_rate_enters_the_model(tmp_path: Path) -> None:
    """EUR 2.5 at 2 buys what USD 5 buys: the same R*, cost, spend and purchase."""
    euro = solved(tmp_path, in_euros(), "eur.xlsx")
    dollar = solved(tmp_path, minimal_sheets(), "usd.xlsx")
    assert euro.status == dollar.status == "optimal"
    assert euro.risk == pytest.approx(1.125, abs=1e-9)
    assert euro.risk == dollar.risk
    assert euro.cost == pytest.approx(5.0, rel=1e-6) and euro.cost == dollar.cost
    assert euro.spend == dollar.spend  # spend stays in the base currency
    assert euro.tables["purchases"].loc[0, "purchase"] == pytest.approx(5.0, rel=1e-6)


def test_the_shadow_price_is_per_unit_of_the_party_currency(tmp_path: Path) -> None:
    """∂R*/∂B_EUR = rate × ∂R*/∂B_USD = 2 · (−0.075) = −0.15, and a finite difference
    agrees: EUR 2.6 buys 5.2 t, R* = 0.075·14.8 = 1.11, (1.11 − 1.125)/0.1 = −0.15."""
    euro = solved(tmp_path, in_euros(), "eur.xlsx")
    dollar = solved(tmp_path, minimal_sheets(), "usd.xlsx")
    assert dollar.budget_shadow_price["US"] == pytest.approx(-0.075, abs=1e-9)
    assert euro.budget_shadow_price["US"] == pytest.approx(-0.15, abs=1e-9)
    more = solved(tmp_path, in_euros(budget=2.6), "more.xlsx")
    assert more.risk == pytest.approx(1.11, abs=1e-9)
    assert (more.risk - euro.risk) / 0.1 == pytest.approx(euro.budget_shadow_price["US"],
                                                          rel=1e-6)
    assert euro.currencies == {"US": {"currency": "EUR", "rate": 2.0, "budget_own": 2.5,
                                      "spend_own": pytest.approx(2.5, rel=1e-6)}}
    assert dollar.currencies == {"US": {"currency": "USD", "rate": 1.0, "budget_own": 5.0,
                                        "spend_own": dollar.spend["US"]}}


def test_the_solve_json_terminal_and_report_show_both_currencies(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "eur.xlsx", in_euros())
    out, summary = tmp_path / "eur-out.xlsx", tmp_path / "eur.json"
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(out),
                                       "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    payload = json.loads(summary.read_text())
    assert payload["spend"]["US"] == pytest.approx(5.0, rel=1e-6)  # base currency
    assert payload["budget_shadow_price"]["US"] == pytest.approx(-0.15, abs=1e-9)  # per EUR
    assert payload["currencies"]["US"]["currency"] == "EUR"
    assert payload["currencies"]["US"]["budget_own"] == 2.5
    assert payload["currencies"]["US"]["spend_own"] == pytest.approx(2.5, rel=1e-6)
    # the terminal: base amounts, then the party's own, the rate, and the margin per EUR
    line = next(x for x in result.output.splitlines() if x.strip().startswith("US "))
    assert "5 USD of 5 USD = 2.5 EUR of 2.5 EUR at 2 USD/EUR" in line  # money in words
    assert "(1 million EUR more lowers risk by 150,000)" in line  # never 1.5e+05

    ws = openpyxl.load_workbook(out, read_only=True)["Summary"]
    rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] == "party" and "budget own (party's currency)"
                  in r)
    us = rows[rows.index(header) + 1]
    record = dict(zip(header, us, strict=False))
    assert record["budget (USD)"] == pytest.approx(5.0)
    assert record["budget currency"] == "EUR"
    assert record["exchange rate (USD per unit)"] == 2.0
    assert record["budget own (party's currency)"] == 2.5
    assert record["spend own (party's currency)"] == pytest.approx(2.5, rel=1e-6)
    own_step = next(k for k in record if k.startswith("risk reduction per") and "own currency" in k)
    base_step = next(k for k in record if k.startswith("risk reduction per") and "own" not in k)
    assert record[own_step] == pytest.approx(2 * record[base_step], rel=1e-9)
    text = "\n".join(str(r[0]) for r in rows if r and r[0])
    assert ("US's budget is in EUR, converted at 2 USD per EUR (Settings row 3, "
            "exchange_rates 'EUR=2.0'): a budget of 2.5 EUR = 5 USD; it spends 5 USD = "
            "2.5 EUR") in text
    assert "EUR more for US lowers the risk by" in text
    audit = {r[0]: r[1] for r in rows if r and r[0] == "exchange_rates"}
    assert audit == {"exchange_rates": "Settings row 3, exchange_rates 'EUR=2.0'"}


def test_a_workbook_without_currencies_reports_as_before(tmp_path: Path) -> None:
    """No own-currency columns or sentences when every budget is in the base currency."""
    path = write_workbook(tmp_path / "usd.xlsx", minimal_sheets())
    out = tmp_path / "usd-out.xlsx"
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out, read_only=True)["Summary"]
    cells = {c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}
    assert not any(c.startswith(("budget_own", "budget_currency", "exchange_rate"))
                   for c in cells)
    assert not any("converted at" in c for c in cells)
