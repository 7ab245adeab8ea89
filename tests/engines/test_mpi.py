"""The Benders engine on the command line, in one process and under ``mpiexec -n 2``.

Multi-rank tests start ``mpiexec`` in a subprocess and are skipped only when there is no
mpiexec (the ``[mpi]`` extra: mpi4py and the MPICH wheel). Every failure path must end
with a message on every rank, the same nonzero exit on all of them, and no hanging rank
(each run has a timeout): a rank that dies, a master that is infeasible, a time limit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_independent_levers import INFEASIBLE_CASES
from workbooks import minimal_sheets, write_workbook

from stockopt.api import solve as solve_workbook
from stockopt.commands.cli import main
from stockopt.engines.benders import FAULT_VARIABLE
from stockopt.workbook.normalize import load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inputs" / "us_eu_example.xlsx"
RISKS = ROOT / "inputs" / "us_eu_risks.xlsx"


def _find_mpiexec() -> str | None:
    """mpiexec on PATH, or beside this Python (where the mpich wheel installs it)."""
    beside = Path(sys.executable).parent / "mpiexec"
    return shutil.which("mpiexec") or (str(beside) if beside.exists() else None)


MPIEXEC_PATH = _find_mpiexec()
MPIEXEC = pytest.mark.skipif(MPIEXEC_PATH is None, reason="no mpiexec (the [mpi] extra)")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def _solve(args: list[str], ranks: int | None, timeout: float = 300,
           **env: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "stockopt", "solve", *args]
    if ranks is not None:
        command = [MPIEXEC_PATH, "-n", str(ranks), *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=_env(**env), cwd=ROOT)


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 scenarios sampled from the bundled risk register (orders over time)."""
    path = tmp_path_factory.mktemp("sampled") / "s60.xlsx"
    run = subprocess.run([sys.executable, "-m", "stockopt", "scenarios", str(RISKS),
                          "--samples", "60", "--seed", "3", "-o", str(path), "--quiet"],
                         capture_output=True, text=True, timeout=120, env=_env(), cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return path


def test_engine_benders_in_one_process_without_mpi4py(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--engine benders needs no MPI: the same workbook and JSON as the extensive form (the
    optimum to 1e-8 / 1e-7), plus the decomposition's figures, in the JSON and the Summary."""
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py -> ImportError
    path = write_workbook(tmp_path / "in.xlsx", minimal_sheets())
    outputs = {}
    for engine in ("highs", "benders"):
        out, summary = tmp_path / f"{engine}.xlsx", tmp_path / f"{engine}.json"
        run = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "--summary-json",
                                        str(summary), "--engine", engine])
        assert run.exit_code == 0, run.output
        outputs[engine] = json.loads(summary.read_text(encoding="utf-8"))
    ef, bd = outputs["highs"], outputs["benders"]
    assert set(bd) - set(ef) == {"decomposition"}
    assert set(ef) <= set(bd)  # every limit's price too (the master's and subproblems' duals)
    assert {"budget_shadow_price", "pooled_budget_shadow_price", "limits_ranked"} <= set(bd)
    assert bd["limit_shadow_price_units"] == ef["limit_shadow_price_units"]
    assert bd["risk"] == pytest.approx(ef["risk"], rel=1e-8, abs=1e-12)
    assert bd["cost"] == pytest.approx(ef["cost"], rel=1e-7)
    assert bd["status"] == "optimal"
    d = bd["decomposition"]
    assert d["engine"] == "benders" and d["ranks"] == 1
    assert d["phase1"]["relative_gap"] <= 1e-10 and d["phase1"]["iterations"] >= 1
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "benders.xlsx", read_only=True)
    text = " ".join(str(v) for row in wb["Summary"].iter_rows(values_only=True)
                    for v in row if v is not None)
    assert "How it was solved: Benders decomposition" in text
    assert sorted(wb.sheetnames) == sorted(openpyxl.load_workbook(
        tmp_path / "highs.xlsx", read_only=True).sheetnames)


def test_engine_benders_refuses_party_risk_limits(tmp_path: Path) -> None:
    sheets = minimal_sheets()
    sheets["Parties"] = [[*sheets["Parties"][0], "max_risk"],
                         *[[*r, 50] for r in sheets["Parties"][1:]]]
    path = write_workbook(tmp_path / "limits.xlsx", sheets)
    out = tmp_path / "out.xlsx"
    run = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "--engine", "benders"])
    assert run.exit_code == 2
    assert "max_risk" in run.output and "--engine highs" in run.output
    assert not out.exists()
    auto = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "--quiet"])
    assert auto.exit_code == 0 and out.exists()  # auto: the extensive form


@MPIEXEC
def test_two_ranks_give_the_extensive_form_optimum(sampled: Path, tmp_path: Path) -> None:
    """`mpiexec -n 2 stockopt solve --engine benders` on 60 sampled scenarios (orders over
    time): R* within 1e-8 and the cost within 1e-7 of the extensive form's, both ranks
    reporting their peak memory, exit 0 on both."""
    reference = solve_workbook(load(sampled).data, engine="highs")
    out, summary = tmp_path / "out.xlsx", tmp_path / "summary.json"
    run = _solve([str(sampled), "-o", str(out), "--summary-json", str(summary), "--engine",
                  "benders", "--quiet"], ranks=2)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout == ""  # --quiet
    result = json.loads(summary.read_text(encoding="utf-8"))
    assert result["risk"] == pytest.approx(reference.risk, rel=1e-8)
    assert result["cost"] == pytest.approx(reference.cost, rel=1e-7)
    assert result["decomposition"]["ranks"] == 2
    assert len(result["decomposition"]["peak_memory_mb_per_rank"]) == 2
    assert result["decomposition"]["batches"] >= 2
    for party, price in reference.budget_shadow_price.items():
        assert result["budget_shadow_price"][party] == pytest.approx(price, abs=1e-12)
    # every limit's price, the scenario rows' gathered from both ranks
    assert {k for k in result if k.endswith("_shadow_price")} == \
        {k for k in reference.summary_dict() if k.endswith("_shadow_price")}


@MPIEXEC
def test_a_rank_that_dies_ends_every_rank(sampled: Path, tmp_path: Path) -> None:
    """Rank 1 exits in its first subproblem pass (the engine's test hook): mpiexec ends
    rank 0 too, nonzero, well within the timeout, and nothing is written."""
    out = tmp_path / "out.xlsx"
    run = _solve([str(sampled), "-o", str(out), "--engine", "benders", "--quiet"], ranks=2,
                 timeout=120, **{FAULT_VARIABLE: "1"})
    assert run.returncode != 0
    assert not out.exists()


@MPIEXEC
def test_an_infeasible_master_stops_every_rank_with_a_message(tmp_path: Path) -> None:
    """A cover floor the budget cannot buy passes the check before solving; the master ends
    infeasible; rank 0 explains, rank 1 says it was stopped and why; both exit 1."""
    path = write_workbook(tmp_path / "floor.xlsx", INFEASIBLE_CASES["cover_floor_over_budget"])
    out = tmp_path / "out.xlsx"
    run = _solve([str(path), "-o", str(out), "--engine", "benders"], ranks=2, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "infeasible" in run.stderr
    assert "MPI rank 1" in run.stderr and "stopped by rank 0" in run.stderr
    assert not out.exists()


@MPIEXEC
def test_a_time_limit_stops_every_rank_with_a_message(sampled: Path, tmp_path: Path) -> None:
    out, summary = tmp_path / "out.xlsx", tmp_path / "s.json"
    run = _solve([str(sampled), "-o", str(out), "--summary-json", str(summary), "--engine",
                  "benders", "--time-limit", "0.5"], ranks=2, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "time limit" in run.stderr
    assert "MPI rank 1" in run.stderr
    assert json.loads(summary.read_text(encoding="utf-8"))["status"] == "time limit reached"
    assert not out.exists()


@MPIEXEC
def test_engine_highs_under_mpiexec_is_refused(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "in.xlsx", minimal_sheets())
    run = _solve([str(path), "-o", str(tmp_path / "o.xlsx"), "--engine", "highs"], ranks=2,
                 timeout=120)
    assert run.returncode == 2
    assert "one process" in run.stderr


@MPIEXEC
def test_evaluate_on_two_ranks_matches_one_process(tmp_path: Path) -> None:
    """The sample's batches shared over 2 ranks give the very same statistics."""
    plan = tmp_path / "plan.xlsx"
    assert _solve([str(RISKS), "-o", str(plan), "--quiet"], ranks=None).returncode == 0
    outputs = {}
    for ranks in (1, 2):
        summary = tmp_path / f"eval{ranks}.json"
        command = [sys.executable, "-m", "stockopt", "evaluate", str(RISKS), "--plan",
                   str(plan), "--samples", "60", "--batch-size", "10", "-o",
                   str(tmp_path / f"eval{ranks}.xlsx"), "--summary-json", str(summary),
                   "--quiet"]
        if ranks > 1:
            command = [MPIEXEC_PATH, "-n", str(ranks), *command]
        run = subprocess.run(command, capture_output=True, text=True, timeout=240,
                             env=_env(), cwd=ROOT)
        assert run.returncode == 0, run.stderr[-2000:]
        payload = json.loads(summary.read_text(encoding="utf-8"))
        payload.pop("seconds")
        outputs[ranks] = payload
    assert outputs[1] == outputs[2]
