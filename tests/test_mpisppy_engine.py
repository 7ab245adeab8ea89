"""The mpi-sppy engine (issue #9, in progress): same model code, same optimum.

Skipped when the ``[mpi]`` extra (mpi-sppy, mpi4py, an MPI) is not installed. The
scenario creator is checked through mpi-sppy's own extensive form (one process) against
the default engine's R*; the decomposition runs on a two-scenario case under
``mpiexec -n 3`` (PH hub + Lagrangian and x-hat spokes) and ``mpiexec -n 2`` (PH hub with
x-hat = x-bar incumbents + Lagrangian spoke) and must bracket R* within its gap.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workbooks import minimal_sheets, write_workbook

pytest.importorskip("mpi4py", reason="the [mpi] extra (mpi4py, an MPI) is not installed",
                    exc_type=ImportError)
pytest.importorskip("mpisppy", reason="the [mpi] extra (mpi-sppy) is not installed",
                    exc_type=ImportError)

from stockopt.engines import mpisppy_engine  # noqa: E402
from stockopt.normalize import load  # noqa: E402
from stockopt.run import build_and_solve  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "us_eu_example.xlsx"


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("mpisppy") / "minimal.xlsx", minimal_sheets())


@pytest.mark.parametrize("which", ["minimal", "example"])
def test_scenario_creator_gives_the_extensive_form_optimum(which: str, minimal: Path) -> None:
    data = load(minimal if which == "minimal" else EXAMPLE).data
    reference = build_and_solve(data).risk
    risk, first_stage = mpisppy_engine.solve_extensive_form(data)
    assert risk == pytest.approx(reference, rel=1e-6, abs=1e-9)
    assert "cvar_threshold" in first_stage
    assert any(name.startswith("purchase[") for name in first_stage)


def test_scenario_model_holds_the_first_stage_rows_and_one_scenario() -> None:
    data = load(EXAMPLE).data
    ctx = mpisppy_engine.make_context(data)
    s = data.scenarios[1]
    m = mpisppy_engine.scenario_creator(s, ctx)
    assert list(m.SCENARIOS) == [s]
    assert m._mpisppy_probability == data.probability[s]
    assert len(m.budget_limit) == len([p for p in data.parties if data.budget.get(p) is not None])
    assert m.cvar_threshold.lb is None  # free unless bounds are asked for
    bounded = mpisppy_engine.scenario_creator(s, ctx, zeta_bounds=(0.0, 7.0))
    assert (bounded.cvar_threshold.lb, bounded.cvar_threshold.ub) == (0.0, 7.0)
    names = {v.name for node in m._mpisppy_node_list for v in node.nonant_vardata_list}
    assert "cvar_threshold" in names
    assert len(names) == len(m.purchase) + len(m.offtake_capacity) + len(m.swap_capacity) \
        + len(m.mitigation_capacity) + 1


def test_zeta_bounds_are_exact_on_the_example() -> None:
    data = load(EXAMPLE).data
    ceiling = mpisppy_engine.loss_ceiling(data)
    reference = build_and_solve(data)
    assert 0.0 <= reference.risk <= ceiling


@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="no mpiexec on PATH")
def test_three_ranks_bracket_the_optimum_within_the_gap(minimal: Path, tmp_path: Path) -> None:
    reference = build_and_solve(load(minimal).data).risk
    out = tmp_path / "bounds.json"
    run = subprocess.run(
        ["mpiexec", "-n", "3", sys.executable, "-m", "stockopt.engines.mpisppy_engine",
         str(minimal), "--gap", "0.005", "--max-iterations", "100", "--json", str(out)],
        capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    tol = 1e-6 * max(1.0, abs(reference))
    assert result["lower_bound"] <= reference + tol
    assert result["upper_bound"] >= reference - tol
    assert result["relative_gap"] <= 0.005
    assert abs(result["upper_bound"] - reference) <= 0.005 * abs(result["upper_bound"]) + tol
    assert result["first_stage"]["purchase[nds,ga]"] == pytest.approx(5.0, abs=1e-6)


@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="no mpiexec on PATH")
def test_two_ranks_bracket_the_optimum_within_the_gap(minimal: Path, tmp_path: Path) -> None:
    reference = build_and_solve(load(minimal).data).risk
    out = tmp_path / "bounds.json"
    run = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, "-m", "stockopt.engines.mpisppy_engine",
         str(minimal), "--gap", "0.005", "--max-iterations", "100", "--json", str(out)],
        capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["ranks"] == 2
    assert result["cylinders"] == "ph+lagrangian"
    tol = 1e-6 * max(1.0, abs(reference))
    assert result["lower_bound"] <= reference + tol
    assert result["upper_bound"] >= reference - tol
    assert result["relative_gap"] <= 0.005
    assert result["relative_gap"] == pytest.approx(
        (result["upper_bound"] - result["lower_bound"]) / abs(result["upper_bound"]))
    assert result["first_stage"]["purchase[nds,ga]"] == pytest.approx(5.0, abs=1e-6)


@pytest.mark.parametrize(("ranks", "layout"), [(1, "ef"), (2, "ph+lagrangian"),
                                               (3, "ph+lagrangian+xhatshuffle"),
                                               (6, "ph+lagrangian+xhatshuffle")])
def test_cylinder_layout_by_rank_count(ranks: int, layout: str) -> None:
    assert mpisppy_engine.cylinder_layout(ranks) == layout
    assert layout in mpisppy_engine.CYLINDERS


@pytest.mark.parametrize("ranks", [0, 4, 5, 7])
def test_other_rank_counts_are_refused_naming_the_supported_ones(ranks: int) -> None:
    with pytest.raises(ValueError, match="1, 2 or a multiple of 3"):
        mpisppy_engine.cylinder_layout(ranks)


def test_one_rank_solves_the_extensive_form(minimal: Path) -> None:
    data = load(minimal).data
    reference = build_and_solve(data).risk
    result = mpisppy_engine.solve_phase1(data)  # this process: COMM_WORLD of size 1
    assert result.cylinders == "ef"
    assert result.lower_bound == result.upper_bound == pytest.approx(reference, rel=1e-6)
    assert result.gap == 0.0
