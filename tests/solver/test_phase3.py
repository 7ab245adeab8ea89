"""Phase 3 (FORMULATION-v2 section 1): among the plans at R* and C*, the one that moves
the least stock; R*, the cost and the shadow prices stay phases 1 and 2's."""

from __future__ import annotations

from pathlib import Path

import pytest
from workbooks import minimal_sheets, write_workbook

import stockopt
from stockopt.model import build_matrix_lp
from stockopt.solver.highs import LoadedLP, PhaseRecord

EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_example.xlsx"


def test_nothing_is_released_where_nothing_needs_it(tmp_path: Path) -> None:
    """``minimal_sheets``: US needs 10 t of ga in each of 2 periods, all from china, cut
    to 0 in 'ban' (π 0.5); the budget buys 5 t at price 1 into nds.

    By hand: R* = 1.125 and cost 5 (see tests/test_api.py). In 'calm' supply meets demand,
    so any release there is free and useless: phase 3 releases nothing in 'calm' and
    exactly the 5 t in 'ban' (where each tonne cuts the loss), so Move = 0.5 · 5/10 =
    0.25 (u_ga = 10), 'calm' ends with the 5 t in stock and 'ban' with none. Phase 3 may
    use the contract's relaxation R ≤ R* + 1e-7·max(1, R*) to release a little less in
    'ban' (1.5e-6 t here), hence the tolerances."""
    result = stockopt.solve(stockopt.load(write_workbook(tmp_path / "m.xlsx",
                                                         minimal_sheets())))
    assert result.risk == pytest.approx(1.125, abs=1e-9)
    assert result.cost == pytest.approx(5.0, rel=1e-6)
    assert result.released_by_scenario == pytest.approx({"calm": 0.0, "ban": 5.0}, abs=1e-5)
    assert result.released_by_scenario["calm"] == 0.0
    phases = [p.name for p in result.outcome.phases]
    assert phases == ["phase 1 (risk)", "phase 2 (cost)", "phase 3 (releases)"]
    assert result.outcome.phases[2].objective == pytest.approx(0.25, abs=1e-6)
    end = result.tables["end_stock"].set_index("scenario")["end_stock"]
    assert end.to_dict() == pytest.approx({"calm": 5.0, "ban": 0.0}, abs=1e-5)
    assert result.summary_dict()["released_by_scenario"] == result.released_by_scenario


def test_the_bundled_example_keeps_its_optimum_and_releases_nothing_in_calm() -> None:
    """The issue's case: before phase 3 the calm scenario released 90,675 t (all of the
    NDS cobalt among them); now nothing. The example plans over time (purchase_timing
    periods, one budget row per party and year, lead times): R* 44.2468, cost 7.882
    billion USD, and no budget binds (U.S. 2.96 of 10 billion USD, EU 4.09 of 15 billion
    EUR; no year near its row), so every budget shadow price, per party and per (party,
    year), is 0. Measured with HiGHS 1.16.0 on the example as committed with #17 item 4
    (``python docs/example_numbers.py``)."""
    result = stockopt.solve(stockopt.load(EXAMPLE))
    assert result.released_by_scenario["calm"] == 0.0
    assert result.risk == pytest.approx(44.2467818878509, rel=1e-12)
    assert result.cost == pytest.approx(7881609115.143013, rel=1e-12)
    assert result.budget_shadow_price == {"US": 0.0, "EU": 0.0}
    assert all(v == 0.0 for per in result.period_budget_shadow_price.values()
               for v in per.values())
    assert set(result.period_budget_shadow_price["EU"]) == {"2027", "2028", "2029", "2030",
                                                            "2031"}
    assert all(v > 0 for s, v in result.released_by_scenario.items() if s != "calm")


def test_phase3_from_the_optimal_face_ends_where_primal_from_phase_2_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Phase 3 first minimizes Move on phase 2's optimal face (a copy of the LP), then
    runs primal simplex on the whole LP from there. Against primal simplex from phase 2's
    basis alone (the face run made to fail, which is also the fallback): the same R*, cost
    and shadow prices bit for bit (phases 1 and 2 are untouched), the same optimal Move to
    round-off, and both plans within the two bound rows (checked by the solve)."""
    matrix = build_matrix_lp(stockopt.load(EXAMPLE).data)
    on_face = LoadedLP(matrix).solve()

    real = LoadedLP._start_on_face

    def failed(self: LoadedLP, face, objective, name, algorithm, deadline,  # noqa: ANN001, ANN202
               **options):
        if name != "phase 3 (releases)":  # phase 2 of orders over time starts on a face too
            return real(self, face, objective, name, algorithm, deadline, **options)
        return PhaseRecord("phase 3 (releases)", "unknown", None, 0.0, "dual simplex")

    monkeypatch.setattr(LoadedLP, "_start_on_face", failed)
    plain = LoadedLP(matrix).solve()
    assert on_face.risk == plain.risk and on_face.cost == plain.cost
    assert on_face.budget_duals == plain.budget_duals
    assert on_face.period_budget_duals == plain.period_budget_duals
    assert "optimal face" in on_face.phases[2].algorithm
    assert on_face.phases[2].objective == pytest.approx(plain.phases[2].objective, rel=1e-9)
    assert plain.phases[2].status == on_face.phases[2].status == "optimal"


def test_a_phase3_that_breaks_a_row_leaves_phase_2s_plan(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Phase 3 only chooses among plans of risk R* and cost C*: when its plan fails the
    solution check (as round-off once did, a cost of 1e-5 above a bound of 1e-7 at C* = 0),
    the solve still ends optimal with phase 2's plan, restored from its basis, and phase 3's
    record says it was not applied. A time limit in phase 3 still fails the solve."""
    from stockopt.solver import highs

    matrix = build_matrix_lp(stockopt.load(EXAMPLE).data)
    reference = LoadedLP(matrix)
    expected = reference.solve()
    real = LoadedLP._warm_phase
    phase2_x = {}

    def breaking(self, name, key, objective, outcome, deadline, earlier=None,  # noqa: ANN001, ANN202
                 **bounds):
        record = real(self, name, key, objective, outcome, deadline, earlier, **bounds)
        if key == "phase2":
            phase2_x["x"] = self.primal_values()
        if key == "phase3":
            outcome.status = highs.NUMERICALLY_UNRELIABLE
            raise highs.SolveFailed(name, highs.NUMERICALLY_UNRELIABLE, outcome)
        return record

    monkeypatch.setattr(LoadedLP, "_warm_phase", breaking)
    loaded = LoadedLP(matrix)
    outcome = loaded.solve()
    assert outcome.status == "optimal"
    assert outcome.risk == expected.risk and outcome.cost == expected.cost
    assert outcome.phases[-1].name == "phase 3 (releases)"
    assert outcome.phases[-1].status == "not applied"
    assert "the plan is phase 2's" in outcome.phases[-1].algorithm
    assert loaded.primal_values() == pytest.approx(phase2_x["x"], rel=1e-9, abs=1e-6)

    def timed_out(self, name, key, objective, outcome, deadline, earlier=None,  # noqa: ANN001, ANN202
                  **bounds):
        if key == "phase3":
            outcome.status = "time limit reached"
            raise highs.SolveFailed(name, "time limit reached", outcome)
        return real(self, name, key, objective, outcome, deadline, earlier, **bounds)

    monkeypatch.setattr(LoadedLP, "_warm_phase", timed_out)
    with pytest.raises(highs.SolveFailed) as failed:
        LoadedLP(matrix).solve()
    assert failed.value.status == "time limit reached"
