"""Purchases over time through the command line (FORMULATION-v2 section 6): the summary
JSON's purchases, spend_by_period and period_budget_shadow_price, the Decisions sheet's
order schedule and spending per period (read back), evaluate re-reading the schedule,
and a cover floor no order can reach.

The workbook is ``schedule_sheets``: one party US needing 2 t/period of g over 2027–2029,
supply from x cut to 0 in 'cut' (π 0.5) in 2029; g arrives one period after it is ordered
(lead time 1), so orders are possible in 2027 and 2028; PeriodBudgets 500 per period, price
1000 per t. Each period's budget buys 0.5 t, so 1 t of the 2 needed in 2029 arrives (L_cut
= 1/2, R* = 0.75·0.5 = 0.375 with λ 0.5, α 0.9); one more unit of money in 2027 or 2028
buys 1/1000 t: ∂R*/∂B = −0.375/1000 (tests/model/test_schedules.py derives the same
numbers at price 1)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import write_workbook

from stockopt.commands.cli import main
from stockopt.report.sheets import DECISIONS

RISK_HEADER = ["risk", "group", "source", "mineral", "start_probability", "min_duration",
               "max_duration", "availability", "party", "demand_multiplier"]


def schedule_sheets() -> dict[str, list[list]]:
    return {
        "Settings": [["key", "value"], ["purchase_timing", "periods"]],
        "Periods": [["period"], [2027], [2028], [2029]],
        "Parties": [["party", "budget"], ["US", None]],
        "PeriodBudgets": [["party", "period", "budget"], ["US", 2027, 500], ["US", 2028, 500],
                          ["US", 2029, 500]],
        "Minerals": [["mineral", "price", "lead_time"], ["g", 1000, 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
        "Holdings": [["stockpile", "mineral"], ["nds", "g"]],
        "Demand": [["party", "mineral", "demand"], ["US", "g", 2]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "g", "x", 2]],
        "Scenarios": [["scenario", "probability"], ["calm", 0.5], ["cut", 0.5]],
        "Disruptions": [["scenario", "source", "mineral", "start_period", "availability"],
                        ["cut", "x", "g", 2029, 0]],
        "Risks": [RISK_HEADER, ["cut", None, "x", "g", 0.3, 1, 1, 0, None, None]],
    }


@pytest.fixture()
def solved(tmp_path: Path) -> tuple[Path, Path, dict]:
    path = write_workbook(tmp_path / "in.xlsx", schedule_sheets())
    out, js = tmp_path / "out.xlsx", tmp_path / "out.json"
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "--summary-json",
                                       str(js), "--quiet"])
    assert result.exit_code == 0, result.output
    return path, out, json.loads(js.read_text())


def test_summary_json_has_the_schedule(solved: tuple[Path, Path, dict]) -> None:
    _path, _out, payload = solved
    assert payload["risk"] == pytest.approx(0.375, rel=1e-9)
    orders = {(o["period"], o["stockpile"]): o["tonnes"] for o in payload["purchases"]}
    assert orders == pytest.approx({("2027", "nds"): 0.5, ("2028", "nds"): 0.5}, rel=1e-6)
    prices = payload["period_budget_shadow_price"]["US"]
    assert prices["2027"] == pytest.approx(-0.375e-3, rel=1e-7)
    assert prices["2028"] == pytest.approx(-0.375e-3, rel=1e-7)
    assert prices["2029"] == 0.0
    assert sum(payload["spend_by_period"]["US"].values()) == pytest.approx(
        payload["spend"]["US"], rel=1e-12)


def test_decisions_sheet_shows_the_schedule_and_spending_per_period(
        solved: tuple[Path, Path, dict]) -> None:
    _path, out, _payload = solved
    rows = [[v for v in r if v is not None]
            for r in openpyxl.load_workbook(out)[DECISIONS].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and str(r[0]).startswith("Order schedule"))
    header = rows[start + 2]
    assert header[:5] == ["stockpile", "mineral", "order period", "arrival period",
                          "ordered (t)"]
    assert [r[:4] for r in rows[start + 3:start + 5]] == [["nds", "g", "2027", "2028"],
                                                          ["nds", "g", "2028", "2029"]]
    spend = next(i for i, r in enumerate(rows) if r and str(r[0]).startswith("Spending per"))
    assert rows[spend + 2] == ["period", "US spend (USD)", "US period budget (USD)"]
    assert rows[spend + 3][0] == "2027" and rows[spend + 3][1] == pytest.approx(500, rel=1e-6)
    text = " ".join(str(r[0]) for r in rows[spend:] if r)
    assert "binding period budgets lowers the risk by" in text
    ws = openpyxl.load_workbook(out)[DECISIONS]
    assert ws._charts  # the chart of spending against the period budgets


def test_evaluate_reads_the_schedule_back(solved: tuple[Path, Path, dict],
                                          tmp_path: Path) -> None:
    """The plan re-read from Decisions is the plan solved: in sample its risk is R*."""
    path, out, _payload = solved
    js = tmp_path / "ev.json"
    result = CliRunner().invoke(main, ["evaluate", str(path), "--plan", str(out), "--samples",
                                       "20", "-o", str(tmp_path / "ev.xlsx"), "--summary-json",
                                       str(js), "--quiet"])
    assert result.exit_code == 0, result.output
    payload = json.loads(js.read_text())
    assert payload["in_sample"]["risk"] == pytest.approx(0.375, rel=1e-6)


def test_a_floor_no_order_can_reach_is_reported_before_solving(tmp_path: Path) -> None:
    """A 1-period cover floor on g from 2027: orders arrive from 2028 on and nothing is
    held, so it cannot be met; the solve stops before HiGHS and says so (exit 1)."""
    sheets = schedule_sheets()
    sheets["CoverTargets"] = [["target", "party", "mineral", "periods"], ["f", "US", "g", 1]]
    path = write_workbook(tmp_path / "in.xlsx", sheets)
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(tmp_path / "o.xlsx")])
    assert result.exit_code == 1
    assert "cover floor 'f'" in result.stderr and "no order of g can arrive" in result.stderr
    assert "set from_period to a later period" in result.stderr
    sheets["CoverTargets"] = [["target", "party", "mineral", "periods", "from_period"],
                              ["f", "US", "g", 0.25, 2029]]
    path = write_workbook(tmp_path / "in2.xlsx", sheets)
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(tmp_path / "o2.xlsx"),
                                       "--quiet"])
    assert result.exit_code == 0, result.output


def test_the_frontier_scales_period_budgets_with_the_others(tmp_path: Path) -> None:
    """--scale-all moves every budget together, PeriodBudgets rows included: at 2× each
    period buys 1 t, 2 t arrive by 2029 and nothing is lost (R* 0); at 0× nothing can be
    bought (L_cut = 1, R* 0.75). The scale derivative at 1× counts the period budgets:
    Σ_t B_t·∂R*/∂B_t = 2·500·(−0.375e-3) = −0.375 per unit of scale."""
    path = write_workbook(tmp_path / "in.xlsx", schedule_sheets())
    js = tmp_path / "f.json"
    result = CliRunner().invoke(main, ["frontier", str(path), "--steps", "3", "-o",
                                       str(tmp_path / "f.xlsx"), "--summary-json", str(js),
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    points = json.loads(js.read_text())["points"]
    assert [p["risk"] for p in points] == pytest.approx([0.75, 0.375, 0.0], abs=1e-9)
    assert points[1]["scale_derivative"] == pytest.approx(-0.375, rel=1e-7)
    assert points[1]["period_budget_shadow_price"]["US"]["2027"] == pytest.approx(-0.375e-3,
                                                                                  rel=1e-7)
