"""``stockopt sensitivity``'s study: every point against a cold solve of the modified
workbook, the fixed plan against an independent evaluation, and the groups it forms.

The workbook (``sheets``): US and EU need ga (and US ge) over two periods, supplied from
china; 'ban' (π 0.3) cuts ga to 0 and ge to 0.2, 'partial' (π 0.2) cuts ga to half;
budgets 5 (US) and 4 (EU), ga's market depth 6 t, a cover floor on ge in demand terms.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from workbooks import sensitivity_sheets as sheets
from workbooks import write_workbook

from stockopt.api import solve
from stockopt.model import state_model
from stockopt.solver.fixed_plan import evaluate_scenarios, plan_value
from stockopt.studies.sensitivity import (
    KINDS,
    Group,
    SensitivityError,
    base_value,
    check_range,
    groups_of,
    parse_kinds,
    run_sensitivity,
    varied,
)
from stockopt.workbook.normalize import load


def modified(base: dict, group: Group, factor: float) -> dict:
    """The workbook's sheets with ``group`` × ``factor``, edited cell by cell (the way an
    analyst would edit the workbook: independent of ``studies.sensitivity.varied``)."""
    s = copy.deepcopy(base)
    kind, x = group.kind, group.target
    if kind == "demand":
        for row in s["Demand"][1:]:
            if row[1] == x:
                row[3] *= factor
    elif kind == "price":
        for row in s["Minerals"][1:]:
            if row[0] == x:
                row[1] *= factor
    elif kind == "market_depth":
        for row in s["Minerals"][1:]:
            if row[0] == x:
                row[2] *= factor
    elif kind == "budget":
        for row in s["Parties"][1:]:
            if row[0] == x:
                row[1] *= factor
    elif kind == "probability":
        rows = s["Scenarios"][1:]
        p = next(r[1] for r in rows if r[0] == x)
        for row in rows:
            row[1] = p * factor if row[0] == x else row[1] * (1 - p * factor) / (1 - p)
    elif kind == "disruption":
        for row in s["Disruptions"][1:]:
            if row[0] == x:
                row[3] = min(1.0, max(0.0, 1 - (1 - row[3]) * factor))
    elif kind == "risk_weight":
        s["Settings"] = [["key", "value"], ["risk_weight", 0.5 * factor]]
    elif kind == "cvar_alpha":
        s["Settings"] = [["key", "value"], ["cvar_alpha", 1 - 0.1 * factor]]
    return s


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    path = write_workbook(tmp_path_factory.mktemp("sens") / "in.xlsx", sheets())
    data = load(path).data
    assert data is not None
    return data, run_sensitivity(data, spread=0.2)


def test_groups(study) -> None:  # noqa: ANN001
    """Every kind is present; ge has no market depth and calm no disruption: left out."""
    data, run = study
    labels = [g.label for g in run.groups]
    assert labels == ["demand ga", "demand ge", "price ga", "price ge", "probability calm",
                      "probability ban", "probability partial", "disruption depth ban",
                      "disruption depth partial", "budget US", "budget EU",
                      "market depth ga", "risk weight λ", "CVaR tail 1 − α"]
    assert {g.kind for g in run.groups} == set(KINDS)
    assert len(run.points) == 2 * len(run.groups) and run.solves == 1 + len(run.points)


def test_every_point_matches_a_cold_solve_of_the_modified_workbook(study, tmp_path) -> None:  # noqa: ANN001
    """R* and cost of each point (warm: budgets, market depth; rebuilt from the base basis:
    the rest) equal a cold `solve` of the workbook edited cell by cell."""
    _data, run = study
    base = sheets()
    for point in run.points:
        path = write_workbook(tmp_path / f"{point.group.kind}.xlsx",
                              modified(base, point.group, point.factor))
        loaded = load(path)
        assert loaded.data is not None, [p.message for p in loaded.problems.errors]
        cold = solve(loaded.data)
        assert point.risk == pytest.approx(cold.risk, rel=1e-6, abs=1e-9), point.group.label
        assert point.cost == pytest.approx(cold.cost, rel=1e-5, abs=1e-6), point.group.label
    starts = {p.group.kind: p.start for p in run.points}
    assert starts["budget"] == "warm" and starts["market_depth"] == "warm"
    assert starts["demand"].startswith("rebuilt")


def test_fixed_plan_risk_is_the_plan_evaluated_on_the_varied_input(study) -> None:  # noqa: ANN001
    """fixed_risk equals the base plan evaluated on every scenario of the varied data
    (both phases of the fixed-plan LP, ``plan_value``), whichever losses the study reused;
    and, where the plan keeps the varied limits, it is never below the re-optimized R*."""
    data, run = study
    base = solve(data)
    st = state_model(data)
    plan = {"purchase": np.zeros(len(st.index.ORDERS))}
    for r in base.tables["orders"].itertuples(index=False):
        j = st.index.ORDERS.index((r.stockpile, r.mineral, data.periods.index(r.order_period) + 1))
        plan["purchase"][j] = r.tonnes
    plan["offtake_capacity"] = np.zeros(0)
    plan["swap_capacity"] = np.zeros(0)
    for point in run.points:
        new = varied(data, point.group, point.factor)
        ev = evaluate_scenarios(new, new.scenarios, plan)
        value = plan_value(state_model(new), plan, ev)
        assert point.fixed_risk == pytest.approx(value.risk, rel=1e-6, abs=1e-9), \
            point.group.label
        if not point.breaks:  # a plan that overspends may beat the re-optimized R*
            assert point.fixed_risk >= point.risk - 1e-6 * max(1.0, point.risk)


def test_budget_low_breaks_the_plan_where_it_overspends(study) -> None:  # noqa: ANN001
    """A 20% smaller budget that binds: the base plan breaks it, and says so."""
    data, run = study
    base = solve(data)
    for p in data.parties:
        low = run.point(Group("budget", p), "low")
        over = base.spend[p] > 0.8 * data.budget[p] * (1 + 1e-6)
        assert bool(low.breaks) == over
        if over:
            assert low.breaks[0].startswith(f"budget_limit[{p}]")
        assert not run.point(Group("budget", p), "high").breaks


def test_tornado_order_and_varied_data(study) -> None:  # noqa: ANN001
    data, run = study
    swings = [run.swing(g) for g in run.tornado()]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    for s in ("calm", "ban"):
        for f in (0.8, 1.2):
            new = varied(data, Group("probability", s), f)
            assert sum(new.probability.values()) == pytest.approx(1.0)
            assert new.probability[s] == pytest.approx(data.probability[s] * f)
    deeper = varied(data, Group("disruption", "ban"), 1.2)
    assert deeper.availability[("china", "ga", 1, "ban")] == 0.0  # kept within [0, 1]
    assert deeper.availability[("china", "ge", 1, "ban")] == pytest.approx(1 - 0.8 * 1.2)
    assert varied(data, Group("cvar_alpha"), 1.2).cvar_alpha == pytest.approx(0.88)
    floor = varied(data, Group("demand", "ge"), 1.2).cover_targets["ge_floor"]
    assert floor.required == pytest.approx(data.cover_targets["ge_floor"].required * 1.2)
    assert base_value(data, Group("demand", "ga")) == pytest.approx(36.0)


def test_bad_requests() -> None:
    assert parse_kinds(None) is None
    assert parse_kinds("demand, price") == ("demand", "price")
    for text in ("demand,prices", "", ","):
        with pytest.raises(SensitivityError, match="--groups"):
            parse_kinds(text)
    for spread in (0.0, -0.1, 1.0, float("nan")):
        with pytest.raises(SensitivityError, match="--range"):
            check_range(spread)


def test_party_risk_limit_alone_is_refused(study) -> None:  # noqa: ANN001
    import dataclasses

    data, _run = study
    with pytest.raises(SensitivityError, match="party_risk_limit"):
        run_sensitivity(dataclasses.replace(data, party_risk_limit="alone"))


def test_groups_of_a_subset(study) -> None:  # noqa: ANN001
    data, _run = study
    assert [g.label for g in groups_of(data, ("budget", "risk_weight"))] == [
        "budget US", "budget EU", "risk weight λ"]


def test_the_api_runs_a_subset(study) -> None:  # noqa: ANN001
    """``stockopt.sensitivity`` from the package root: one kind, another range."""
    import stockopt

    data, run = study
    small = stockopt.sensitivity(data, kinds=["risk_weight"], spread=0.1)
    assert [g.label for g in small.groups] == ["risk weight λ"]
    assert small.base_risk == pytest.approx(run.base_risk)
    assert small.point(Group("risk_weight"), "high").factor == pytest.approx(1.1)
