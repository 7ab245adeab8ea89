"""The budget–risk frontier: hand-derived points, warm equals cold, the CLI and its errors.

The hand instance (``one_party``): US demands 10 t/period of 'ga' for 2 periods; its only
supply is cut to 0 in the single scenario 'cut' (π = 1); a national stockpile buys 'ga'
at price 1 per t; λ = 0, so R = expected loss = shortfall/10. A budget B buys B tonnes
(up to the 20 t needed): R*(B) = (20 − B)/10 for B ≤ 20 and 0 beyond; the shadow price
∂R*/∂B is −0.1 below 20 and 0 above; cost = spend = min(B, 20), all on stockpiles.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import write_workbook

from stockopt.commands.cli import main
from stockopt.studies.frontier import SweepError, define_sweep, run_cold, run_frontier
from stockopt.workbook.normalize import load

EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_example.xlsx"


def one_party(budget: float | None = 10.0, pooled: float | None = None) -> dict:
    """The hand instance of the module docstring (budget B_US, optional pooled budget)."""
    settings = [["key", "value"], ["risk_weight", 0]]
    if pooled is not None:
        settings.append(["pooled_budget", pooled])
    return {
        "Settings": settings,
        "Periods": [["period"], ["P1"], ["P2"]],
        "Parties": [["party", "budget"], ["US", budget]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "china", 10]],
        "Scenarios": [["scenario", "probability"], ["cut", 1]],
        "Disruptions": [["scenario", "source", "mineral", "availability"],
                        ["cut", "china", "ga", 0]],
    }


def hand_data(tmp_path: Path, **kwargs: float | None):
    loaded = load(write_workbook(tmp_path / "hand.xlsx", one_party(**kwargs)))
    assert loaded.data is not None, [p.message for p in loaded.problems.items]
    return loaded.data


def expected_risk(budget: float) -> float:
    return max(0.0, (20.0 - budget) / 10.0)


def test_party_sweep_matches_the_formula(tmp_path: Path) -> None:
    """B_US = 0, 5, ..., 30: R* = (20 − B)/10 then 0; shadow −0.1 below 20, 0 above."""
    data = hand_data(tmp_path)
    sweep = define_sweep(data, party="US", start=0, stop=30, steps=7)
    assert sweep.values == (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0)
    run = run_frontier(data, sweep)
    for p in run.points:
        b = p.value
        assert p.risk == pytest.approx(expected_risk(b), abs=1e-9)
        # phase 2 may trade up to 1e-7·max(1, R*) of loss for cost (the contract's bound)
        assert p.expected_loss == pytest.approx(expected_risk(b), abs=1e-6)
        assert p.cvar == pytest.approx(expected_risk(b), abs=1e-6)  # one scenario
        assert p.cost == pytest.approx(min(b, 20.0), abs=1e-5)
        assert p.spend["US"] == pytest.approx(min(b, 20.0), abs=1e-5)
        stock = p.levers["purchase_cost"] + p.levers["holding_cost"]
        assert stock == pytest.approx(min(b, 20.0), abs=1e-5)
        assert p.levers["offtake_fees"] == 0.0 and p.levers["swap_fees"] == 0.0
        if b < 20:
            assert p.shadow_price["US"] == pytest.approx(-0.1, abs=1e-9)
        elif b > 20:
            assert p.shadow_price["US"] == pytest.approx(0.0, abs=1e-9)
        else:  # the kink: either one-sided value is a valid dual
            assert p.shadow_price["US"] in (pytest.approx(-0.1), pytest.approx(0.0))
    assert [p.warm for p in run.points] == [False] + [True] * 5 + [False]


def test_scale_all_reports_the_direction_derivative(tmp_path: Path) -> None:
    """Scaling B_US = 10 by s ∈ {0, 0.5, 1, 1.5}: R* = (20 − 10 s)/10, ∂R*/∂s = 10·(−0.1)."""
    data = hand_data(tmp_path)
    run = run_frontier(data, define_sweep(data, from_fraction=0, to_fraction=1.5, steps=4))
    for p in run.points:
        assert p.budgets["US"] == pytest.approx(10 * p.value)
        assert p.risk == pytest.approx(expected_risk(10 * p.value), abs=1e-9)
        assert p.scale_derivative == pytest.approx(-1.0, abs=1e-8)


def test_pooled_sweep_creates_the_pooled_row(tmp_path: Path) -> None:
    """No pooled_budget setting and US unlimited: sweeping B_all 0..30 gives the same curve."""
    data = hand_data(tmp_path, budget=None)
    assert data.pooled_budget is None
    with pytest.raises(SweepError, match="no pooled_budget"):
        define_sweep(data, pooled=True)
    run = run_frontier(data, define_sweep(data, pooled=True, start=0, stop=30, steps=4))
    for p in run.points:
        assert p.pooled_budget == p.value
        assert p.risk == pytest.approx(expected_risk(p.value), abs=1e-9)
        assert p.pooled_shadow_price == pytest.approx(-0.1 if p.value < 20 else 0.0, abs=1e-9)
        assert p.shadow_price["US"] == 0.0  # no party budget row


def example_data():
    loaded = load(EXAMPLE)
    assert loaded.data is not None
    return loaded.data


def test_warm_equals_cold_on_the_example() -> None:
    """Warm (one model, re-solved) and cold (rebuilt per point) agree at four points."""
    data = example_data()
    sweep = define_sweep(data, from_fraction=0.3, to_fraction=1.5, steps=4)
    warm = run_frontier(data, sweep).points
    cold = run_cold(data, sweep)
    for w, c in zip(warm, cold, strict=True):
        assert w.value == c.value
        assert w.risk == pytest.approx(c.risk, abs=1e-6 + 1e-5 * abs(c.risk))
        assert w.cost == pytest.approx(c.cost, rel=1e-4)
        assert w.shadow_price == pytest.approx(c.shadow_price, abs=1e-12)


def test_risk_falls_as_budget_grows_and_levers_add_up() -> None:
    """On the example, R* is non-increasing along the sweep; the levers sum to the spend."""
    data = example_data()
    run = run_frontier(data, define_sweep(data, steps=9))
    risks = [p.risk for p in run.points]
    assert all(b <= a + 1e-7 * max(1.0, abs(a)) for a, b in zip(risks, risks[1:], strict=False))
    assert risks[0] > risks[-1]
    for p in run.points:
        assert sum(p.levers.values()) == pytest.approx(sum(p.spend.values()), rel=1e-9,
                                                       abs=1e-3)
        assert all(v <= 0.0 for v in p.shadow_price.values())
        for party, b in p.budgets.items():
            assert b is None or p.spend[party] <= b * (1 + 1e-7) + 1e-3


def test_cli_writes_the_workbook_with_charts(tmp_path: Path) -> None:
    out, js = tmp_path / "f.xlsx", tmp_path / "f.json"
    result = CliRunner().invoke(main, ["frontier", str(EXAMPLE), "-o", str(out), "--steps", "5",
                                       "--summary-json", str(js)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Frontier", "Charts", "About"]
    ws = wb["Frontier"]
    headers = [c.value for c in ws[1]]
    assert "risk R* (periods of demand lost)" in headers and "cost (USD)" in headers
    assert ws.max_row == 6 and ws.freeze_panes == "B2"
    assert len(wb["Charts"]._charts) == 2
    about = {r[0]: r[1] for r in wb["About"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert len(about["input SHA-256"]) == 64
    payload = json.loads(js.read_text())
    assert payload["status"] == "optimal" and len(payload["points"]) == 5
    assert payload["points"][2]["value"] == pytest.approx(1.0)


def test_cli_party_sweep_on_the_hand_instance(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "hand.xlsx", one_party())
    out = tmp_path / "hand-frontier.xlsx"
    result = CliRunner().invoke(main, ["frontier", str(path), "--party", "US",
                                       "--from-fraction", "0", "--to-fraction", "3",
                                       "--steps", "4", "--quiet"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["Frontier"]
    col = [c.value for c in ws[1]].index("risk R* (periods of demand lost)")
    risks = [row[col] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert risks == pytest.approx([2.0, 1.0, 0.0, 0.0], abs=1e-9)


@pytest.mark.parametrize(("args", "message"), [
    (["--party", "XX"], "unknown party 'XX'"),
    (["--party", "US", "--pooled"], "choose one of"),
    (["--from", "0"], "--from and --to go together"),
    (["--from", "0", "--to", "5", "--from-fraction", "0"], "not both"),
    (["--steps", "1"], "--steps must be"),
    (["--from-fraction", "1", "--to-fraction", "0.5"], "above its start"),
    (["--from-fraction", "-1"], "must not be negative"),
    (["--pooled"], "no pooled_budget"),
])
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never.xlsx"
    result = CliRunner().invoke(main, ["frontier", str(EXAMPLE), "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_blank_budget_party_needs_a_range(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "hand.xlsx", one_party(budget=None))
    result = CliRunner().invoke(main, ["frontier", str(path), "--party", "US"])
    assert result.exit_code == 2
    assert "blank (unlimited)" in result.output and "--from and --to" in result.output


def test_time_limit_failure_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "never.xlsx"
    result = CliRunner().invoke(main, ["frontier", str(EXAMPLE), "-o", str(out),
                                       "--time-limit", "1e-9"])
    assert result.exit_code == 1
    assert "time limit" in result.output and "No output workbook was written" in result.output
    assert not out.exists()
