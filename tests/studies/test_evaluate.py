"""``stockopt evaluate``: a plan's losses with its first stage fixed, in and out of sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from test_scenarios import RISK_HEADER
from workbooks import minimal_sheets, write_workbook

from stockopt.commands.cli import main
from stockopt.model.risk import cvar_equal, exact_cvar
from stockopt.studies.evaluation import (
    MIN_TAIL_SCENARIOS,
    InSample,
    Interval,
    Plan,
    PlanError,
    Statistics,
    in_sample_statistics,
    out_of_sample_statistics,
    plan_vectors,
    read_plan,
    sample_losses,
    sample_warnings,
    samples_for_tail,
    verdict,
    workbook_losses,
)
from stockopt.workbook.normalize import load
from stockopt.workbook.sampling import Sample, risk_events


def hand_sheets() -> dict[str, list[list]]:
    """One party, demand 10 t/period of ga over two periods, all of it from China.

    A stockpile 'nds' may hold ga at price 1 per t (budget 5: the optimum buys 5 t).
    Risk 'ban' cuts China to 0 (p 0.5 per period, 1 period).
    """
    sheets = minimal_sheets()
    sheets["Risks"] = [RISK_HEADER, ["ban", None, "china", "ga", 0.5, 1, 1, 0, None, None]]
    return sheets


def hand_sample() -> Sample:
    """Four scenarios: cut in 2027 only; in both periods; never; in 2028 only."""
    active = np.array([[1, 0], [1, 1], [0, 0], [0, 1]], dtype=bool)
    from stockopt.workbook.sampling import RiskEffect, RiskEvent

    event = RiskEvent("ban", 0.5, 1, 1, (RiskEffect("ban", "china", "ga", 0.0, None, 1.0),))
    return Sample([event], {"ban": active}, {"ban": active.copy()},
                  ["s1", "s2", "s3", "s4"], np.full(4, 0.25), 0, "test")


def test_hand_derived_losses_with_a_fixed_stockpile(tmp_path: Path) -> None:
    """The plan fixes 5 t of stock. A cut in one period leaves 10 − 5 = 5 t short:
    loss 5/10 = 0.5 periods of demand. A cut in both periods: 20 − 5 = 15 t short, loss
    1.5. No cut: 0. Losses (0.5, 1.5, 0, 0.5): E[L] = 0.625; CVaR_0.9 with four equally
    likely scenarios is the worst loss, 1.5; CVaR_0.5 is the mean of the worst two, 1.0."""
    loaded = load(write_workbook(tmp_path / "in.xlsx", hand_sheets()))
    data = loaded.data
    first = plan_vectors(Plan(purchases={("nds", "ga"): 5.0}), data)
    losses = sample_losses(data, hand_sample(), first, batch=3)  # two batches: 3 + 1
    assert losses == pytest.approx([0.5, 1.5, 0.0, 0.5], abs=1e-9)
    assert float(cvar_equal(losses, 0.9)) == pytest.approx(1.5)
    assert float(cvar_equal(losses, 0.5)) == pytest.approx(1.0)
    stats = out_of_sample_statistics(losses, 0.9, 0.5, seed=0)
    assert stats.expected_loss.value == pytest.approx(0.625)
    half = 1.959963984540054 * np.std(losses, ddof=1) / 2
    assert stats.expected_loss.low == pytest.approx(0.625 - half)
    assert stats.expected_loss.high == pytest.approx(0.625 + half)
    assert stats.cvar.value == pytest.approx(1.5)
    assert stats.risk.value == pytest.approx(0.5 * 0.625 + 0.5 * 1.5)
    assert stats.cvar.low <= 1.5 <= stats.cvar.high
    # in sample: the workbook's own 'calm' and 'ban' (both periods cut), 0.5 each
    ins = in_sample_statistics(data, workbook_losses(data, first))
    assert ins.losses == pytest.approx([0.0, 1.5])
    assert ins.expected_loss == pytest.approx(0.75)


def test_budget_rows_do_not_bind_a_given_plan(tmp_path: Path) -> None:
    """The workbook's budget is 5, but a plan of 8 t is evaluated as given: loss 1.2."""
    data = load(write_workbook(tmp_path / "in.xlsx", hand_sheets())).data
    first = plan_vectors(Plan(purchases={("nds", "ga"): 8.0}), data)
    assert sample_losses(data, hand_sample(), first) == pytest.approx([0.2, 1.2, 0, 0.2])


@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.9, 0.95, 0.99])
def test_cvar_of_equal_weights_is_the_exact_cvar(alpha: float) -> None:
    rng = np.random.default_rng(3)
    for n in (1, 3, 7, 40):
        losses = rng.exponential(size=n).round(2)
        assert float(cvar_equal(losses, alpha)) == pytest.approx(
            exact_cvar(losses.tolist(), [1 / n] * n, alpha), rel=1e-12, abs=1e-12)


# --- end to end --------------------------------------------------------------------------------

def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture
def solved(tmp_path: Path) -> tuple[Path, Path]:
    """A sampled workbook (30 scenarios) and its solved plan."""
    src = write_workbook(tmp_path / "in.xlsx", hand_sheets())
    sampled = tmp_path / "sampled.xlsx"
    assert _invoke("scenarios", str(src), "--samples", "30", "--seed", "1", "-o",
                   str(sampled), "--quiet")[0] == 0
    results = tmp_path / "results.xlsx"
    code, output = _invoke("solve", str(sampled), "-o", str(results), "--quiet",
                           "--summary-json", str(tmp_path / "s.json"))
    assert code == 0, output
    return sampled, results


def test_read_plan_from_a_results_workbook(solved: tuple[Path, Path], tmp_path: Path) -> None:
    _sampled, results = solved
    plan = read_plan(results)
    assert plan.purchases == {("nds", "ga"): pytest.approx(5.0)}
    assert plan.offtakes == {} and plan.swaps == {}
    summary = json.loads((tmp_path / "s.json").read_text())
    assert plan.summary["risk"] == pytest.approx(summary["risk"])
    assert plan.summary["cvar"] == pytest.approx(summary["cvar"])


def test_evaluate_command_end_to_end(solved: tuple[Path, Path], tmp_path: Path) -> None:
    sampled, results = solved
    out, js = tmp_path / "eval.xlsx", tmp_path / "eval.json"
    code, output = _invoke("evaluate", str(sampled), "--plan", str(results), "--samples",
                           "300", "--seed", "5", "--batch-size", "120", "-o", str(out),
                           "--summary-json", str(js))
    assert code == 0, output
    assert "out of sample" in output and "95% interval" in output
    payload = json.loads(js.read_text())
    summary = json.loads((tmp_path / "s.json").read_text())
    # in sample, the plan's own numbers come back
    assert payload["in_sample"]["expected_loss"] == pytest.approx(summary["expected_loss"])
    assert payload["in_sample"]["cvar"] == pytest.approx(summary["cvar"])
    oos = payload["out_of_sample"]
    assert oos["scenarios"] == 300
    # with the plan's 5 t in stock, one period cut loses 0.5 and both periods 1.5, so
    # E[L] = 0.5·P(one cut) + 1.5·P(two cuts) = 0.5·0.5 + 1.5·0.25 = 0.625
    assert read_plan(results).purchases[("nds", "ga")] == pytest.approx(5.0)
    assert oos["expected_loss"]["low"] <= 0.625 <= oos["expected_loss"]["high"]
    assert oos["cvar"]["low"] <= oos["cvar"]["value"] <= oos["cvar"]["high"]
    wb = openpyxl.load_workbook(out, read_only=True)
    try:
        assert wb.sheetnames == ["Evaluation", "Losses"]
        rows = list(wb["Losses"].iter_rows(values_only=True))
        assert len(rows) == 1 + 30 + 300
    finally:
        wb.close()
    # the same seed gives the same numbers
    code, _ = _invoke("evaluate", str(sampled), "--plan", str(results), "--samples", "300",
                      "--seed", "5", "-o", str(tmp_path / "again.xlsx"), "--summary-json",
                      str(tmp_path / "again.json"), "--quiet")
    assert code == 0
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["out_of_sample"] == payload["out_of_sample"]
    # 30 in-sample scenarios at α = 0.9: 3 carry the tail, so the in-sample risk is rough
    # and the JSON says so; 300 samples put N·(1 − α) = 30 in the out-of-sample tail
    assert payload["in_sample"]["tail_scenarios"] == 3
    assert oos["tail_scenarios"] == pytest.approx(30.0)
    assert len(payload["warnings"]) == 1 and "rests on 3 scenarios" in payload["warnings"][0]
    assert "rests on 3 scenarios" in output  # on standard error too (CliRunner mixes them)


def _statistics(n: int, alpha: float, low: float, high: float) -> Statistics:
    """Out-of-sample statistics of ``n`` equal losses with risk interval [low, high]."""
    mid = (low + high) / 2
    iv = Interval(mid, low, high, "test")
    return Statistics(n, iv, iv, iv, high, 0.5, tail_scenarios=n * (1 - alpha))


def _in_sample(n: int, risk: float, tail: int) -> InSample:
    return InSample(n, risk, risk, risk, risk, np.zeros(n), tail)


def test_verdict_is_worded_by_what_the_interval_can_support() -> None:
    # N·(1 − α) = 20 · 0.1 = 2 tail scenarios out of sample: no verdict either way
    few = verdict(_in_sample(200, 5.0, 20), _statistics(20, 0.9, 1.0, 2.0))
    assert few.startswith("Inconclusive") and "harsher" not in few and "tuned" not in few
    assert "N·(1 − α) = 2 " in few and "above" in few
    # the case: the in-sample tail of 2 scenarios above the interval is not a cause
    rough = verdict(_in_sample(20, 5.0, 2), _statistics(1000, 0.9, 1.0, 2.0))
    assert "harsher than" not in rough.split("not evidence")[0] and "may be chance" in rough
    # with enough tail scenarios on both sides the verdicts are the firm ones
    firm = _statistics(1000, 0.9, 1.0, 2.0)
    assert "harsher than the samples" in verdict(_in_sample(500, 5.0, 50), firm)
    assert "tuned to its 500 scenarios; solve" in verdict(_in_sample(500, 0.5, 50), firm)
    assert "no evidence" in verdict(_in_sample(500, 1.5, 50), firm)
    assert "loose" in verdict(_in_sample(30, 1.5, 3), firm)


def test_small_tails_are_warned_about() -> None:
    assert samples_for_tail(0.9) == 100 and samples_for_tail(0.95) == 200
    assert samples_for_tail(0.9, MIN_TAIL_SCENARIOS) * 0.1 >= MIN_TAIL_SCENARIOS
    warnings = sample_warnings(_in_sample(30, 1.0, 3), _statistics(50, 0.9, 1, 2), 0.9)
    assert len(warnings) == 2
    assert "N·(1 − α) = 5 of the 50" in warnings[0] and "at least 100 samples" in warnings[0]
    assert "rests on 3 scenarios in its tail (of 30" in warnings[1]
    assert sample_warnings(_in_sample(300, 1.0, 30), _statistics(100, 0.9, 1, 2), 0.9) == []


def test_plan_that_does_not_fit_exits_2(solved: tuple[Path, Path], tmp_path: Path) -> None:
    sampled, results = solved
    sheets = hand_sheets()
    sheets["Holdings"] = [["stockpile", "mineral", "max_stock"], ["nds", "ga", 2]]
    other = write_workbook(tmp_path / "other.xlsx", sheets)
    code, output = _invoke("evaluate", str(other), "--plan", str(results), "--samples", "10",
                           "-o", str(tmp_path / "e.xlsx"))
    assert code == 2
    assert "sheet 'Decisions', row" in output and "column 'purchase'" in output
    assert not (tmp_path / "e.xlsx").exists()
    sheets = hand_sheets()
    sheets["Holdings"] = [["stockpile", "mineral"], ["nds", "ga"]]
    sheets["Minerals"].append(["ge", 1])
    sheets["Holdings"].append(["nds", "ge"])
    other = write_workbook(tmp_path / "other2.xlsx", sheets)
    code, output = _invoke("evaluate", str(other), "--plan", str(results), "--samples", "10",
                           "-o", str(tmp_path / "e.xlsx"))
    assert code == 2 and "option 'nds ge'" in output


def test_plan_that_is_not_a_results_workbook_exits_2(solved: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    sampled, _results = solved
    code, output = _invoke("evaluate", str(sampled), "--plan", str(sampled), "--samples", "10",
                           "-o", str(tmp_path / "e.xlsx"))
    assert code == 2 and "sheet named Decisions" in output


def test_evaluate_needs_risks(tmp_path: Path, solved: tuple[Path, Path]) -> None:
    _sampled, results = solved
    plain = write_workbook(tmp_path / "plain.xlsx", minimal_sheets())
    code, output = _invoke("evaluate", str(plain), "--plan", str(results), "-o",
                           str(tmp_path / "e.xlsx"))
    assert code == 2 and "sheet 'Risks'" in output


def test_risk_events_of_the_hand_workbook(tmp_path: Path) -> None:
    loaded = load(write_workbook(tmp_path / "in.xlsx", hand_sheets()))
    (event,) = risk_events(loaded.raw)
    assert (event.name, event.start_probability, event.min_duration, event.max_duration) == \
        ("ban", 0.5, 1, 1)


def test_mitigation_capacity_is_read_and_fixed(tmp_path: Path) -> None:
    """A plan's mitigation capacities (Policy levers sheet) are part of the fixed plan.

    On the bundled policy example, evaluating the solved plan on its own scenarios must
    give back the solve's R* (within the phase-2 bound's 1e-7); leaving the mitigation
    capacities free would let the evaluation buy mitigation for nothing and report a risk
    below R* (41.95 instead of 42.28, measured when this was found).
    """
    policy = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_policy.xlsx"
    out, summary = tmp_path / "policy-results.xlsx", tmp_path / "policy.json"
    run = CliRunner().invoke(main, ["solve", str(policy), "-o", str(out), "--summary-json",
                                    str(summary), "--quiet"])
    assert run.exit_code == 0, run.output
    data = load(policy).data
    plan = read_plan(out)
    assert set(plan.mitigations) == set(data.mitigations)
    first = plan_vectors(plan, data)
    assert len(first["mitigation_capacity"]) == len(data.mitigations)
    risk = json.loads(summary.read_text(encoding="utf-8"))["risk"]
    ins = in_sample_statistics(data, workbook_losses(data, first))
    assert ins.risk == pytest.approx(risk, rel=1e-6)
    plan.mitigations.pop(next(iter(plan.mitigations)))
    with pytest.raises(PlanError, match="Policy levers"):
        plan_vectors(plan, data)


def test_fix_first_stage_releases_first_stage_rows_only(tmp_path: Path) -> None:
    """Rows over first-stage columns only (budgets) are released; rows with a second-stage
    column keep their bounds; an empty last row is left alone (no index error)."""
    import scipy.sparse as sp

    from stockopt.model import build_matrix_lp
    from stockopt.model.index import build_index
    from stockopt.solver.fixed_plan import fix_first_stage

    data = load(write_workbook(tmp_path / "in.xlsx", minimal_sheets())).data
    lp = build_matrix_lp(data, build_index(data))
    lp.A = sp.vstack([lp.A, sp.csr_matrix((1, lp.n_cols))]).tocsr()
    lp.row_lower = np.append(lp.row_lower, 0.0)
    lp.row_upper = np.append(lp.row_upper, 1.0)
    lp.row_family = [*lp.row_family, "empty"]
    before_lower, before_upper = lp.row_lower.copy(), lp.row_upper.copy()
    fix_first_stage(lp, {"purchase": np.zeros(len(lp.layout.first["purchase"]))})
    for party, row in lp.budget_rows.items():
        assert lp.row_upper[row] == np.inf, party
    balance = [i for i, f in enumerate(lp.row_family) if f == "party_balance"]
    assert balance and np.array_equal(lp.row_lower[balance], before_lower[balance])
    assert (lp.row_lower[-1], lp.row_upper[-1]) == (before_lower[-1], before_upper[-1])
