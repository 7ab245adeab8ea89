"""The mpi-sppy engine: same model code, same optimum, bounds that hold.

Skipped when the ``[mpi]`` extra (mpi-sppy, mpi4py, an MPI) is not installed. The
scenario creator is checked through mpi-sppy's own extensive form (one process) against
the default engine, for phase 1 (R*) and for phase 2 by allowances (the cost at the
same risk bound R̄). ``stockopt solve --engine mpisppy`` runs end to end under
``mpiexec -n 2`` and its bounds must bracket the default engine's optimum within the
gap; ``stockopt evaluate`` under ``mpiexec -n 2`` must give the one-process numbers.
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

from stockopt.api import solve as solve_workbook  # noqa: E402
from stockopt.engines import mpisppy as mpisppy_engine  # noqa: E402
from stockopt.model.matrix import FIRST_STAGE_FAMILIES  # noqa: E402
from stockopt.workbook.normalize import load  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_example.xlsx"


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("mpisppy") / "minimal.xlsx", minimal_sheets())


@pytest.mark.parametrize("which", ["minimal", "example"])
def test_scenario_creator_gives_the_extensive_form_optimum(which: str, minimal: Path) -> None:
    data = load(minimal if which == "minimal" else EXAMPLE).data
    reference = solve_workbook(data).risk
    risk, first_stage = mpisppy_engine.solve_extensive_form(data)
    assert risk == pytest.approx(reference, rel=1e-6, abs=1e-9)
    assert set(first_stage) == set(FIRST_STAGE_FAMILIES)
    n = len(data.periods)
    orders = sum(sum(1 for t in range(1, n + 1) if t + data.lead_time.get(m, 0) <= n)
                 if data.purchase_timing == "periods" else 1 for _k, m in data.holdings)
    assert first_stage["purchase"].shape == (orders,)  # example: 11 x 4 + 18 x 5 = 134


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
    reference = solve_workbook(data)
    assert 0.0 <= reference.risk <= ceiling


@pytest.mark.parametrize(("ranks", "layout"), [(1, "ef"), (2, "ph+lagrangian"),
                                               (4, "ph+lagrangian"), (6, "ph+lagrangian")])
def test_cylinder_layout_by_rank_count(ranks: int, layout: str) -> None:
    assert mpisppy_engine.cylinder_layout(ranks) == layout
    assert layout in mpisppy_engine.CYLINDERS


@pytest.mark.parametrize("ranks", [0, 3, 5, 7])
def test_other_rank_counts_are_refused_naming_the_supported_ones(ranks: int) -> None:
    with pytest.raises(ValueError, match="1 or an even number"):
        mpisppy_engine.cylinder_layout(ranks)


def test_one_rank_solves_the_extensive_form(minimal: Path) -> None:
    data = load(minimal).data
    reference = solve_workbook(data).risk
    result = mpisppy_engine.solve_phase1(data)  # this process: COMM_WORLD of size 1
    assert result.cylinders == "ef"
    assert result.lower_bound == pytest.approx(reference, rel=1e-6)
    assert result.upper_bound == pytest.approx(reference, rel=1e-6)
    assert result.gap <= 1e-6


@pytest.mark.parametrize("which", ["minimal", "example"])
def test_allowances_give_the_default_phase2_optimum(which: str, minimal: Path) -> None:
    """Phase 2 by allowances ρ_s (Σ π ρ ≤ R̄, R_s ≤ ρ_s) has the extensive form's optimum.

    With R̄ the default engine's own bound R* + 1e-7·max(1, R*), the allowance model's
    extensive form (built from the scenario creator) must reach the default engine's
    phase-2 cost: the reformulation is exact, not a relaxation.
    """
    data = load(minimal if which == "minimal" else EXAMPLE).data
    reference = solve_workbook(data)
    bound = reference.risk + 1e-7 * max(1.0, abs(reference.risk))
    setup = mpisppy_engine.Phase2Setup(bound, max(1.0, reference.cost),
                                       10.0 * mpisppy_engine.loss_ceiling(data) + 1.0)
    cost, first = mpisppy_engine.solve_extensive_form(data, phase2=setup)
    assert cost == pytest.approx(reference.cost, rel=1e-6)
    assert first["purchase"].sum() > 0


def test_the_evaluator_reproduces_the_default_optimum() -> None:
    """The default engine's plan, evaluated scenario by scenario with its first stage fixed,
    has the same risk (within the phase-2 bound's 1e-7) and the same cost (1e-6)."""
    from stockopt.model import build_matrix_lp, state_model
    from stockopt.model.index import build_index
    from stockopt.solver.fixed_plan import evaluate_scenarios, plan_value
    from stockopt.solver.highs import solve_lp

    data = load(EXAMPLE).data
    idx = build_index(data)
    outcome, sol = solve_lp(build_matrix_lp(data, idx), parties=data.parties)
    ev = evaluate_scenarios(data, data.scenarios, sol.first, batch=3)
    value = plan_value(state_model(data), sol.first, ev)
    assert value.risk == pytest.approx(outcome.risk, rel=3e-7)
    assert value.cost == pytest.approx(outcome.cost, rel=1e-6)


def _find_mpiexec() -> str | None:
    """mpiexec on PATH, or beside this Python (where the mpich wheel installs it)."""
    beside = Path(sys.executable).parent / "mpiexec"
    return shutil.which("mpiexec") or (str(beside) if beside.exists() else None)


MPIEXEC_PATH = _find_mpiexec()
MPIEXEC = pytest.mark.skipif(MPIEXEC_PATH is None, reason="no mpiexec (the [mpi] extra)")


@MPIEXEC
def test_solve_on_two_ranks_brackets_the_default_optimum(minimal: Path, tmp_path: Path) -> None:
    """`mpiexec -n 2 stockopt solve --engine mpisppy`: workbook, JSON, bounds within the gap.

    The minimal case's optimum (R* = 1.125, cost 5, see test_solve_cli) must lie within
    the reported bounds on both phases, each gap at most 0.5%; the reported plan keeps
    within phase 2's risk bound R̄ and its cost is phase 2's upper bound.
    """
    reference = solve_workbook(load(minimal).data)
    out, summary = tmp_path / "out.xlsx", tmp_path / "summary.json"
    run = subprocess.run(
        [MPIEXEC_PATH, "-n", "2", sys.executable, "-m", "stockopt", "solve", str(minimal),
         "-o", str(out), "--summary-json", str(summary), "--engine", "mpisppy",
         "--time-limit", "120"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert out.exists()
    result = json.loads(summary.read_text(encoding="utf-8"))
    bounds = result["bounds"]
    assert result["status"] == "within gap"
    assert bounds["ranks"] == 2
    tol = 1e-6
    assert bounds["risk"]["lower"] <= reference.risk + tol <= bounds["risk"]["upper"] + 2 * tol
    assert bounds["risk"]["relative_gap"] <= 0.005
    assert result["risk"] <= bounds["risk_bound_phase2"] + 1e-9
    assert bounds["cost"]["lower"] <= reference.cost + 1e-6
    assert bounds["cost"]["relative_gap"] <= 0.005
    assert result["cost"] == pytest.approx(bounds["cost"]["upper"], rel=1e-9)
    assert result["budget_shadow_price"] == {p: None for p in result["spend"]}
    assert "risk bounds" in run.stdout
    import openpyxl

    wb = openpyxl.load_workbook(out, read_only=True)
    text = " ".join(str(v) for row in wb["Summary"].iter_rows(values_only=True)
                    for v in row if v is not None)
    wb.close()
    assert "How close to optimal: bounds from the decomposition" in text
    assert "scenario decomposition on 2 ranks" in text
    assert "Budget shadow prices are not available from the decomposition engine" in text
    assert "Decisions" in wb.sheetnames and "Shortfalls" in wb.sheetnames


@MPIEXEC
def test_solve_refuses_an_odd_rank_count(minimal: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [MPIEXEC_PATH, "-n", "3", sys.executable, "-m", "stockopt", "solve", str(minimal),
         "-o", str(tmp_path / "out.xlsx"), "--engine", "mpisppy"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "1 or an even number" in run.stderr
    assert not (tmp_path / "out.xlsx").exists()


@MPIEXEC
def test_evaluate_on_two_ranks_matches_one_process(tmp_path: Path) -> None:
    """The sample's batches shared over 2 ranks give the very same statistics."""
    risks = EXAMPLE.with_name("us_eu_risks.xlsx")
    plan = tmp_path / "plan.xlsx"
    assert subprocess.run([sys.executable, "-m", "stockopt", "solve", str(risks), "-o",
                           str(plan), "--quiet"], timeout=120).returncode == 0
    outputs = {}
    for ranks in (1, 2):
        summary = tmp_path / f"eval{ranks}.json"
        command = [sys.executable, "-m", "stockopt", "evaluate", str(risks), "--plan",
                   str(plan), "--samples", "60", "--batch-size", "10", "-o",
                   str(tmp_path / f"eval{ranks}.xlsx"), "--summary-json", str(summary),
                   "--quiet"]
        if ranks > 1:
            command = [MPIEXEC_PATH, "-n", str(ranks), *command]
        run = subprocess.run(command, capture_output=True, text=True, timeout=240)
        assert run.returncode == 0, run.stderr[-2000:]
        payload = json.loads(summary.read_text(encoding="utf-8"))
        payload.pop("seconds")
        outputs[ranks] = payload
    assert outputs[1] == outputs[2]
