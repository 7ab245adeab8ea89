"""Every status a solve can end in comes with words: the concentration-cap diagnosis
(which cap, party, mineral, source, periods, and what would dilute it), and each HiGHS
status's meaning and remedy, wired into SolveFailed.explanation.

Hand instance (``_cap_data``): the minimal workbook (US demands 10 t/period of 'ga',
supplied 10 t/period from 'china', budget 5, periods 2027 and 2028) with a 50 % cap on
US 'ga' and one offtake option 'o1'. China's share is 10 / (10 + x) ≤ 0.5 only if x ≥ 10
t/period of offtake capacity from another source.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from workbooks import minimal_sheets, write_workbook

from stockopt import api
from stockopt.solver import highs as highs_module
from stockopt.solver.diagnose import STATUS_SYNONYMS, STATUS_WORDS, status_words
from stockopt.solver.driver import PhaseRecord
from stockopt.solver.highs import LoadedLP, SolveFailed, SolveOutcome


def _cap_data(tmp_path: Path, *, max_volume: float, fee: float = 0.0,
              source: str = "aus", budget: float = 5.0):  # noqa: ANN202
    sheets = minimal_sheets()
    sheets["Parties"] = [["party", "budget"], ["US", budget]]
    sheets["Offtakes"] = [["offtake", "party", "mineral", "source", "max_volume", "fee"],
                          ["o1", "US", "ga", source, max_volume, fee]]
    sheets["ConcentrationLimits"] = [["party", "mineral", "max_share"], ["US", "ga", 0.5]]
    return api.load(write_workbook(tmp_path / "cap.xlsx", sheets))


def _why(workbook: api.Workbook) -> SolveFailed:
    with pytest.raises(SolveFailed) as failed:
        api.solve(workbook)
    return failed.value


def test_too_little_offtake_volume(tmp_path: Path) -> None:
    exc = _why(_cap_data(tmp_path, max_volume=4.0))
    assert exc.status == "infeasible"
    assert exc.explanation == (
        "concentration cap for US, ga (at most 50% from one source): china supplies 10 of "
        "10 t/period of baseline supply (100%) in periods 2027, 2028; even with every "
        "offtake offered from other sources at its largest volume (4 t/period in all) it "
        "stays over, and about 6 t/period more offtake capacity from other sources would "
        "dilute it (offer more volume, raise the limit, or exclude the source)")


def test_offtakes_only_from_the_capped_source(tmp_path: Path) -> None:
    exc = _why(_cap_data(tmp_path, max_volume=40.0, source="china"))
    assert "no offtake from a source other than china is offered for US, ga then" \
        in exc.explanation
    assert "about 10 t/period of offtake capacity from other sources would" in exc.explanation


def test_offtake_fees_beyond_the_budget(tmp_path: Path) -> None:
    """Fee 1 per t/period, budget 5: 5 t/period of the 10 needed can be reserved."""
    exc = _why(_cap_data(tmp_path, max_volume=40.0, fee=1.0))
    assert "china supplies 10 of 10 t/period" in exc.explanation
    assert ("the offtakes that would dilute it cost more in fees than the budgets allow "
            "(about 5 t/period of capacity short, about 5 USD more for US at the cheapest "
            "fee; raise the budget, or relax the limit)") in exc.explanation


def test_a_cap_that_can_hold_solves(tmp_path: Path) -> None:
    results = api.solve(_cap_data(tmp_path, max_volume=40.0, fee=0.1))
    assert results.status == "optimal"


@pytest.mark.parametrize("status", [*STATUS_WORDS, *STATUS_SYNONYMS, "something new"])
def test_every_status_has_words_and_a_remedy(status: str) -> None:
    text = status_words(status)
    assert len(text) > 60
    assert any(word in text for word in ("check", "try", "give", "make", "run", "add",
                                         "relax", "raise"))


def test_words_say_what_to_do() -> None:
    assert "--time-limit" in status_words("time limit reached")
    assert "negative price" in status_words("unbounded")
    assert "--algorithm ipx" in status_words("iteration limit reached")
    assert "unit mistake" in status_words("numerically unreliable")
    assert "Demand" in status_words("empty")
    assert status_words("Solve error") == status_words("unknown")


def test_solve_failed_carries_the_words_by_default() -> None:
    exc = SolveFailed("phase 1 (risk)", "unbounded", SolveOutcome(status="unbounded"))
    assert exc.explanation == status_words("unbounded")
    assert SolveFailed("x", "infeasible", SolveOutcome(status="x"), "").explanation == ""


@pytest.mark.parametrize("status", ["unbounded", "time limit reached",
                                    "iteration limit reached", "unknown", "empty"])
def test_each_status_reaches_the_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      status: str) -> None:
    """A phase that ends in ``status`` raises SolveFailed with its words (api.solve)."""
    def run(self, name, algorithm, options, deadline):  # noqa: ANN001, ANN202
        return PhaseRecord(name, status, None, 0.0, algorithm)

    monkeypatch.setattr(LoadedLP, "_run", run)
    sheets = minimal_sheets()
    with pytest.raises(highs_module.SolveFailed) as failed:
        api.solve(api.load(write_workbook(tmp_path / "m.xlsx", sheets)))
    assert failed.value.status == status
    assert failed.value.explanation == status_words(status)


def test_infeasible_without_a_single_culprit_gets_the_general_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(self, name, algorithm, options, deadline):  # noqa: ANN001, ANN202
        return PhaseRecord(name, "infeasible", None, 0.0, algorithm)

    monkeypatch.setattr(LoadedLP, "_run", run)
    exc = _why(api.load(write_workbook(tmp_path / "m.xlsx", minimal_sheets())))
    assert exc.explanation == status_words("infeasible")
    assert "CoverTargets" in exc.explanation
