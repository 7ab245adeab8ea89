"""The solution check: every phase's solution is checked against the MatrixLP's rows and
column bounds in model units; a violation is a failure ("numerically unreliable") that
names the row in words.

Hand instances: ``tiny`` (two purchases, two party budgets and a pooled budget, from
test_driver), the minimal workbook of ``tests/workbooks.py`` (budget 5, price 1 per t)
with an offtake whose fee is then set to 1e9 per t/period in the data (input validation
may refuse such a workbook; the solver must stand on its own): HiGHS scales the budget
row by the fee, the purchase's coefficient (1e-9 of it) falls below its tolerances, and
the plan it reports spends 20 against a budget of 5.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from test_driver import tiny
from workbooks import minimal_sheets, write_workbook

from stockopt import api
from stockopt.commands.solve import run_solve
from stockopt.model import build_matrix_lp
from stockopt.solver.check import (
    ABSOLUTE_TOLERANCE,
    NUMERICALLY_UNRELIABLE,
    RELATIVE_TOLERANCE,
    SolutionCheck,
)
from stockopt.solver.fixed_plan import EvaluationFailed, FixedPlanLP
from stockopt.solver.highs import LoadedLP, SolveFailed, risk_bound
from stockopt.solver.warm_sweep import WarmSweepSolver
from stockopt.workbook.normalize import Loaded, load

EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_example.xlsx"


def _loaded(tmp_path: Path, fee: float) -> Loaded:
    """The minimal workbook plus offtake 'o1' (aus, 10 t/period), its fee set to ``fee``
    after validation."""
    sheets = minimal_sheets()
    sheets["Offtakes"] = [["offtake", "party", "mineral", "source", "max_volume", "fee"],
                          ["o1", "US", "ga", "aus", 10, 1]]
    loaded = load(write_workbook(tmp_path / "in.xlsx", sheets))
    assert loaded.data is not None
    data = loaded.data
    offtakes = {"o1": dataclasses.replace(data.offtakes["o1"], fee=fee)}
    return dataclasses.replace(loaded, data=dataclasses.replace(data, offtakes=offtakes))


@pytest.fixture(scope="module")
def example():  # noqa: ANN201
    data = load(EXAMPLE).data
    lp = build_matrix_lp(data)
    loaded = LoadedLP(lp)
    outcome = loaded.solve()
    return data, lp, loaded, outcome


def test_correct_solves_pass_with_a_wide_margin(example) -> None:  # noqa: ANN001
    _data, lp, loaded, outcome = example
    x = loaded.primal_values()
    check = SolutionCheck(lp)
    assert check.violations(x, risk_bound=risk_bound(outcome.risk)) == []
    relative, absolute = check.worst(x)
    assert relative < 1e-3 * RELATIVE_TOLERANCE
    assert absolute < 1.0  # currency, on rows of billions
    assert outcome.timings["check"] >= 0.0


def test_a_perturbed_solution_is_caught_and_named(example) -> None:  # noqa: ANN001
    data, lp, loaded, _outcome = example
    x = loaded.primal_values().copy()
    j = int(lp.layout.first["purchase"][0])  # US_NDS's first mineral, paid by US
    x[j] += 1e6
    found = SolutionCheck(lp).violations(x, limit=1000)
    names = [v.name for v in found]
    assert "budget_limit[US]" in names
    text = next(v for v in found if v.name == "budget_limit[US]").describe()
    assert text.startswith("budget_limit[US]: spend ")
    assert "> budget 1e+10" in text and "of the row's scale" in text  # 5 x 2e9


def test_a_wrong_matrix_is_caught(example) -> None:  # noqa: ANN001
    _data, lp, loaded, _outcome = example
    wrong = dataclasses.replace(lp, row_upper=lp.row_upper.copy())
    # the plan spends 4.4-4.7 billion USD of the EU's 16.2 (the example plans over time and
    # no budget binds, so how much the EU spends is one of the plan's ties, settled by the
    # route phase 2 takes); a total row of 3e9 is broken by the spend above 3e9
    x = loaded.primal_values()
    spend = float((lp.A[[lp.budget_rows["EU"]]] @ x)[0])
    assert 3.5e9 < spend < 16.2e9
    wrong.row_upper[lp.budget_rows["EU"]] = 3.0e9
    found = SolutionCheck(wrong).violations(x)
    assert [v.name for v in found] == ["budget_limit[EU]"]
    assert found[0].amount == pytest.approx(spend - 3.0e9, rel=1e-6)
    assert found[0].relative == pytest.approx((spend - 3.0e9) / spend, rel=1e-6)


def test_scenario_rows_and_columns_are_named_with_scenario_and_period(example) -> None:  # noqa: ANN001
    data, lp, loaded, _outcome = example
    x = loaded.primal_values().copy()
    j = int(lp.layout.second["shortfall"][1, 0])
    x[j] = -5.0
    found = SolutionCheck(lp).violations(x)
    column = next(v for v in found if v.kind == "column")
    assert column.name.startswith(f"shortfall[{data.parties[0]}, ")
    assert f", {data.periods[0]}] in scenario '{data.scenarios[1]}'" in column.name
    assert any(v.kind == "row" and "party_balance[" in v.name for v in found)


def test_tolerances_absolute_and_relative() -> None:
    lp = tiny(budgets=(3.0, 4.0), pooled=None)
    check = SolutionCheck(lp)
    # A's row: 2·x0 ≤ 3; scale = max(3, 2·x0)
    at = 1.5 + (ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * 3.0) / 2 * 0.99
    assert check.violations(np.array([at, 0.0])) == []
    over = 1.5 + (ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * 3.0) / 2 * 1.5
    assert [v.name for v in check.violations(np.array([over, 0.0]))] == ["budget_limit[#0]"]
    # column bounds: 0 ≤ x ≤ 10 (no budgets)
    check = SolutionCheck(tiny(budgets=(None, None), pooled=None))
    assert check.violations(np.array([0.0, -1e-7])) == []
    assert [v.kind for v in check.violations(np.array([0.0, 10.0 + 1e-3]))] == ["column"]
    assert check.violations(np.array([np.nan, 0.0]))[0].kind == "column"


def test_the_risk_bound_is_checked() -> None:
    lp = tiny()
    check = SolutionCheck(lp)
    x = np.array([1.0, 0.0])  # R = -0.5
    assert check.violations(x, risk_bound=-0.5) == []
    found = check.violations(x, risk_bound=-0.6)
    assert [v.kind for v in found] == ["risk bound"]
    assert "risk R -0.5 > R* + 1e-7·max(1, |R*|) -0.6" in found[0].describe()


def test_a_huge_fee_fails_as_numerically_unreliable(tmp_path: Path) -> None:
    with pytest.raises(SolveFailed) as failed:
        api.solve(_loaded(tmp_path, 1e9).data)
    exc = failed.value
    assert exc.status == NUMERICALLY_UNRELIABLE == exc.outcome.status
    assert "budget_limit[US]: spend 20 > budget 5 (violation 75 % of the row's scale)" \
        in str(exc)
    assert "largest is on offtake_capacity[o1] (1e+09 per model unit)" in exc.explanation
    assert "unit mistake" in exc.explanation
    assert api.solve(_loaded(tmp_path, 1.0).data).status == "optimal"  # a normal fee


def test_the_command_exits_1_without_a_workbook(tmp_path: Path) -> None:
    out, summary = tmp_path / "out.xlsx", tmp_path / "s.json"
    code = run_solve(tmp_path / "in.xlsx", _loaded(tmp_path, 1e9), output=out,
                     summary_json=summary, quiet=True)
    assert code == 1
    assert not out.exists()
    payload = json.loads(summary.read_text())
    assert payload["status"] == NUMERICALLY_UNRELIABLE
    assert "offtake_capacity[o1]" in payload["explanation"]


def test_the_warm_sweep_checks_both_phases(tmp_path: Path) -> None:
    data = _loaded(tmp_path, 1e9).data
    solver = WarmSweepSolver(LoadedLP(build_matrix_lp(data)))
    with pytest.raises(SolveFailed) as failed:
        solver.solve(cold=True)
    assert failed.value.status == NUMERICALLY_UNRELIABLE
    assert "budget_limit[US]" in str(failed.value)


def test_the_fixed_plan_evaluation_checks_its_solution(tmp_path: Path) -> None:
    data = _loaded(tmp_path, 1.0).data
    lp = build_matrix_lp(data)
    first = {f: np.zeros(len(c)) for f, c in lp.layout.first.items()}
    fixed = FixedPlanLP.build(data, first)
    fixed.run(both_phases=True)  # a correct evaluation passes
    wrong = dataclasses.replace(fixed.lp, col_upper=fixed.lp.col_upper.copy())
    wrong.col_upper[fixed.lp.layout.second["shortfall"].ravel()] = 0.0  # shortfalls > 0
    fixed.loaded.check = SolutionCheck(wrong)
    with pytest.raises(EvaluationFailed, match="numerically unreliable.*shortfall"):
        fixed.run(both_phases=True)
