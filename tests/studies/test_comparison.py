"""``stockopt compare``'s study: a plan compared with itself has no differences; two plans
solved under different budgets differ where their decisions do, with both values; each
plan's numbers are those of its own solve; a fresh sample is common to the plans."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from workbooks import sensitivity_sheets as sheets
from workbooks import write_workbook

from stockopt.api import load as api_load
from stockopt.api import solve, write_report
from stockopt.studies.comparison import compare_plans, headline, paired_differences, plan_names
from stockopt.studies.evaluation import PlanError, read_plan
from stockopt.workbook.sampling import risk_events, sample_scenarios

RISKS = [["risk", "source", "mineral", "start_probability", "min_duration", "max_duration",
          "availability"], ["china_ga", "china", "ga", 0.3, 1, 2, 0.0]]


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """IN (with a Risks sheet), plan A solved on it, plan B solved with US's budget halved."""
    folder = tmp_path_factory.mktemp("compare")
    base = sheets()
    base["Risks"] = RISKS
    wb_in = api_load(write_workbook(folder / "in.xlsx", base))
    a_results = solve(wb_in)
    a = write_report(a_results, wb_in, folder / "A-results.xlsx")
    half = copy.deepcopy(base)
    half["Parties"][1][1] = 2.5
    wb_half = api_load(write_workbook(folder / "half.xlsx", half))
    b_results = solve(wb_half)
    b = write_report(b_results, wb_half, folder / "B-results.xlsx")
    return wb_in, a, a_results, b, b_results


def test_a_plan_with_itself_has_no_differences(plans) -> None:  # noqa: ANN001
    wb_in, a, a_results, _b, _ = plans
    sample = sample_scenarios(risk_events(wb_in.loaded.raw), wb_in.data.n_periods, 50, 7,
                              evaluation=True, prefix="eval")
    comparison = compare_plans(wb_in.data, [(a, read_plan(a)), (a, read_plan(a))],
                               sample=sample)
    assert comparison.names == ["A-results (1)", "A-results (2)"]
    assert len(comparison.decisions) == 0
    table = headline(comparison, wb_in.data)
    assert set(table["differs"]) == {"no"}
    first, second = comparison.plans
    assert np.array_equal(first.sample_losses, second.sample_losses)
    (diff,) = paired_differences(comparison)
    assert diff.mean == diff.low == diff.high == 0.0
    # the evaluated plan's numbers are its solve's (R* within phase 2's tolerance)
    assert first.results.risk == pytest.approx(a_results.risk, rel=1e-6)
    assert first.results.cost == pytest.approx(a_results.cost, rel=1e-6)
    assert first.results.spend == pytest.approx(a_results.spend, rel=1e-6)
    assert not first.breaks


def test_two_plans_differ_where_their_decisions_do(plans) -> None:  # noqa: ANN001
    wb_in, a, a_results, b, b_results = plans
    comparison = compare_plans(wb_in.data, [(a, read_plan(a)), (b, read_plan(b))])
    decisions = comparison.decisions
    assert len(decisions)
    bought = {}
    for name, results in (("A-results", a_results), ("B-results", b_results)):
        bought[name] = {f"{r.stockpile} {r.mineral}": r.purchase
                        for r in results.tables["purchases"].itertuples(index=False)}
    for row in decisions.to_dict(orient="records"):
        assert row["kind"] == "purchase"
        for name in ("A-results", "B-results"):
            assert row[name] == pytest.approx(bought[name][row["decision"]], abs=1e-6)
        assert row["difference"] == pytest.approx(row["B-results"] - row["A-results"])
    # every purchase that differs is listed, and none that does not
    differing = {k for k in bought["A-results"]
                 if abs(bought["A-results"][k] - bought["B-results"][k]) > 1e-6}
    assert set(decisions["decision"]) == differing
    table = headline(comparison, wb_in.data).set_index("measure")
    assert table.loc["risk R", "B-results"] == pytest.approx(b_results.risk, rel=1e-6)
    assert table.loc["spend of US", "differs"] == "yes"
    assert table.loc["risk R", "A-results"] <= table.loc["risk R", "B-results"] + 1e-9


def test_a_plan_from_another_workbook_is_refused_by_name(plans, tmp_path: Path) -> None:  # noqa: ANN001
    wb_in, a, *_ = plans
    other = sheets()
    other["Holdings"].append(["eus", "ge"])
    wb_other = api_load(write_workbook(tmp_path / "other.xlsx", other))
    c = write_report(solve(wb_other), wb_other, tmp_path / "C-results.xlsx")
    with pytest.raises(PlanError, match="C-results.xlsx: sheet 'Decisions'"):
        compare_plans(wb_in.data, [(a, read_plan(a)), (c, read_plan(c))])


def test_plan_names() -> None:
    assert plan_names([Path("x/a.xlsx"), Path("y/b.xlsx"), Path("z/a.xlsx")]) == \
        ["a (1)", "b", "a (2)"]
