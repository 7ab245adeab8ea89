"""The HiGHS option sets of the phases, and the retry when unperturbed primal fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockopt.model import build_matrix_lp
from stockopt.model.index import build_index
from stockopt.solver import highs as solve_module
from stockopt.solver.highs import (
    ALGORITHMS,
    DUAL_TOLERANCE,
    PHASE2_FALLBACK,
    PHASE2_OPTIONS,
    PHASE3_FACE_OPTIONS,
    TIE_BREAK_OPTIONS,
    LoadedLP,
    PhaseRecord,
)
from stockopt.workbook.normalize import load


@pytest.fixture(scope="module")
def example_lp():
    data = load(Path(__file__).parents[2] / "inputs" / "us_eu_example.xlsx").data
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
                    TIE_BREAK_OPTIONS, PHASE3_FACE_OPTIONS):
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
