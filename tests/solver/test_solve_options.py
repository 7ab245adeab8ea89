"""The HiGHS option sets of the phases, and the retry when unperturbed primal fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from stockopt.model import build_matrix_lp
from stockopt.model.index import build_index
from stockopt.solver import highs as solve_module
from stockopt.solver.highs import (
    ALGORITHMS,
    DUAL_TOLERANCE,
    FACE_OPTIONS,
    PHASE2_FACE_OPTIONS,
    PHASE2_FALLBACK,
    PHASE2_OPTIONS,
    TIE_BREAK_OPTIONS,
    LoadedLP,
    PhaseRecord,
)
from stockopt.workbook.normalize import load

EXAMPLE = Path(__file__).parents[2] / "inputs" / "us_eu_example.xlsx"


@pytest.fixture(scope="module")
def example_lp():
    """The bundled example with every order placed before period 1 (v1's route: the
    tie-broken phase 1, primal simplex from its basis in phase 2)."""
    data = dataclasses.replace(load(EXAMPLE).data, purchase_timing="start")
    return build_matrix_lp(data, build_index(data))


@pytest.fixture(scope="module")
def over_time_lp():
    """The bundled example as it is: orders in every period of 2027-2031."""
    data = load(EXAMPLE).data
    return build_matrix_lp(data, build_index(data))


def fail_runs(monkeypatch: pytest.MonkeyPatch, fails, status: str = "unknown",  # noqa: ANN001
              seconds: float = 0.5, iterations: int = 7) -> list[dict]:
    """Make every ``LoadedLP._run`` for which ``fails(name, options)`` holds end with
    ``status`` instead of solving (a stand-in for a run that stalls or ends "unknown");
    returns the list of every run's options, in order."""
    calls: list[dict] = []
    real_run = LoadedLP._run

    def run(self, name, algorithm, options, deadline):  # noqa: ANN001, ANN202
        calls.append(dict(options))
        if fails(name, options):
            return PhaseRecord(name, status, None, seconds, algorithm,
                               simplex_iterations=iterations)
        return real_run(self, name, algorithm, options, deadline)

    monkeypatch.setattr(LoadedLP, "_run", run)
    return calls


def test_phase2_retries_with_perturbation_when_the_unperturbed_run_fails(
        example_lp, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = LoadedLP(example_lp).solve()
    calls = fail_runs(monkeypatch, lambda name, options: name == "phase 2 (cost)"
                      and options == PHASE2_OPTIONS)
    outcome = LoadedLP(example_lp).solve()
    retried = [c for c in calls if c.get("primal_simplex_bound_perturbation_multiplier")
               == PHASE2_FALLBACK["primal_simplex_bound_perturbation_multiplier"]]
    assert len(retried) == 1
    assert outcome.status == "optimal"
    assert outcome.risk == pytest.approx(reference.risk, rel=1e-9)
    assert outcome.cost == pytest.approx(reference.cost, rel=1e-7)
    phase2 = next(p for p in outcome.phases if p.name == "phase 2 (cost)")
    assert phase2.seconds >= 0.5 and phase2.simplex_iterations >= 7  # both runs counted


def test_a_time_limit_is_not_retried(example_lp, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fail_runs(monkeypatch, lambda name, _options: name == "phase 2 (cost)",
                      status="time limit reached", seconds=1.0, iterations=0)
    with pytest.raises(solve_module.SolveFailed) as failed:
        LoadedLP(example_lp).solve()
    assert failed.value.status == "time limit reached"
    assert len(calls) == 3  # tie-broken run, R polish, one phase 2


def test_option_sets_are_valid_highs_options() -> None:
    import highspy

    h = highspy.Highs()
    for options in (*solve_module.ALGORITHMS.values(), PHASE2_OPTIONS, PHASE2_FALLBACK,
                    TIE_BREAK_OPTIONS, FACE_OPTIONS, PHASE2_FACE_OPTIONS):
        for key, value in options.items():
            assert h.setOptionValue(key, value) == highspy.HighsStatus.kOk, key


def test_only_the_tie_broken_run_uses_the_tight_dual_tolerance(
        example_lp, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, float]] = []
    real_run = LoadedLP._run

    def recording_run(self, name, algorithm, options, deadline):  # noqa: ANN001, ANN202
        record = real_run(self, name, algorithm, options, deadline)
        seen.append((name, self.h.getOptionValue("dual_feasibility_tolerance")[1]))
        return record

    monkeypatch.setattr(LoadedLP, "_run", recording_run)
    LoadedLP(example_lp).solve()
    assert seen == [("phase 1 (risk)", TIE_BREAK_OPTIONS["dual_feasibility_tolerance"]),
                    ("phase 1 (risk)", DUAL_TOLERANCE), ("phase 2 (cost)", DUAL_TOLERANCE),
                    ("phase 3 (releases)", DUAL_TOLERANCE)]


def test_tie_broken_run_retried_at_the_default_tolerance_when_it_fails(
        example_lp, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = LoadedLP(example_lp).solve()
    tight = TIE_BREAK_OPTIONS["dual_feasibility_tolerance"]
    calls = fail_runs(monkeypatch, lambda _name, options:
                      options.get("dual_feasibility_tolerance") == tight,
                      seconds=0.25, iterations=3)
    outcome = LoadedLP(example_lp).solve()
    assert calls[1] == ALGORITHMS["simplex"]  # the retry, at HiGHS's default tolerance
    assert outcome.status == "optimal"
    assert outcome.risk == pytest.approx(reference.risk, rel=1e-9)
    assert outcome.cost == pytest.approx(reference.cost, rel=1e-7)


def test_orders_over_time_skip_the_tie_break_and_start_phase2_on_phase1s_face(
        example_lp, over_time_lp, monkeypatch: pytest.MonkeyPatch) -> None:
    """With orders in several periods phase 1 is one run on R at HiGHS's default dual
    tolerance, and phase 2 first minimizes the cost on a copy restricted to phase 1's
    optimal face (a cold, presolved dual simplex; ``FACE_OPTIONS`` below
    ``PHASE2_FACE_MIN_ROWS`` rows, ``PHASE2_FACE_OPTIONS`` from there on: Devex pricing,
    no zero-cost-singleton presolve rule) before primal simplex on the whole LP, to the same
    R* and cost; phase 3's face run keeps ``FACE_OPTIONS``. With orders before period 1
    only, phase 2 has no face run."""
    assert over_time_lp.orders_over_time and not example_lp.orders_over_time
    seen: list[tuple[str, float]] = []
    faces: list[str] = []
    face_options: list[dict[str, object]] = []
    real_run = LoadedLP._run
    real_face = LoadedLP._start_on_face

    def recording_run(self, name, algorithm, options, deadline):  # noqa: ANN001, ANN202
        record = real_run(self, name, algorithm, options, deadline)
        seen.append((name, self.h.getOptionValue("dual_feasibility_tolerance")[1]))
        return record

    def recording_face(self, face, objective, name, algorithm, deadline,  # noqa: ANN001, ANN202
                       **options):
        faces.append(name)
        face_options.append(options.get("options", FACE_OPTIONS))
        record = real_face(self, face, objective, name, algorithm, deadline, **options)
        assert record.status == "optimal"
        return record

    monkeypatch.setattr(LoadedLP, "_run", recording_run)
    monkeypatch.setattr(LoadedLP, "_start_on_face", recording_face)
    outcome = LoadedLP(over_time_lp).solve()
    assert seen == [("phase 1 (risk)", DUAL_TOLERANCE), ("phase 2 (cost)", DUAL_TOLERANCE),
                    ("phase 3 (releases)", DUAL_TOLERANCE)]
    assert faces == ["phase 2 (cost)", "phase 3 (releases)"]
    assert over_time_lp.n_rows < solve_module.PHASE2_FACE_MIN_ROWS
    assert face_options == [FACE_OPTIONS, FACE_OPTIONS]
    phase2 = next(p for p in outcome.phases if p.name == "phase 2 (cost)")
    assert "phase 1's optimal face" in phase2.algorithm
    monkeypatch.setattr(solve_module, "PHASE2_FACE_MIN_ROWS", over_time_lp.n_rows)
    face_options.clear()
    large = LoadedLP(over_time_lp).solve()
    assert face_options == [PHASE2_FACE_OPTIONS, FACE_OPTIONS]
    assert PHASE2_FACE_OPTIONS["simplex_dual_edge_weight_strategy"] == 1
    assert PHASE2_FACE_OPTIONS["presolve_rule_off"] == 1 << 18
    assert large.risk == outcome.risk  # phase 1 is the same run
    assert large.cost == pytest.approx(outcome.cost, rel=1e-9)
    faces.clear()
    LoadedLP(example_lp).solve()
    assert faces == ["phase 3 (releases)"]
