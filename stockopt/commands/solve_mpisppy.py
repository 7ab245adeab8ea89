"""``stockopt solve --engine mpisppy``: both phases decomposed, then the usual outputs.

Run under ``mpiexec -n R`` (R = 1 or even). Every rank reads the workbook; phase 1 and
phase 2 run on mpi-sppy (``stockopt.engines.mpisppy``); the final plan is evaluated on every
scenario, the scenarios spread over all R ranks (``stockopt.solver.fixed_plan``), and rank 0
assembles the solution and writes the same output workbook and summary JSON as the
default engine, plus the bounds. Budget shadow prices are not available from the
decomposition (PH's duals are not the extensive form's); they are reported as absent.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import click
import numpy as np
from mpi4py import MPI

from ..data import ModelData
from ..engines import mpisppy as engine
from ..model import state_model
from ..model.party_limits import has_limits
from ..results.extract import extract
from ..solver.fixed_plan import (
    EvaluationFailed,
    ScenarioEvaluation,
    evaluate_scenarios,
    plan_solution,
)
from ..solver.highs import PhaseRecord, SolveOutcome, highs_version
from ..workbook.normalize import Loaded, load
from .common import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, echo_problems, load_or_exit
from .solve import human_summary, write_outputs

PHASE1_TIME_SHARE = 2.0 / 3.0
"""Share of ``--time-limit`` phase 1 may use; phase 2 gets what is left."""


def peak_memory_mb() -> float:
    """This process's peak resident memory (MB, Linux's ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _record(result: engine.PhaseResult, name: str, unit: str) -> PhaseRecord:
    return PhaseRecord(name, result.status, result.upper_bound, result.seconds,
                       f"mpi-sppy {engine.CYLINDERS[result.cylinders]} on {result.ranks} ranks; "
                       f"bounds [{result.lower_bound:.8g}, {result.upper_bound:.8g}] {unit}, "
                       f"gap {result.gap:.3%}, {result.iterations} PH iterations")


def bounds_payload(phase1: engine.PhaseResult, phase2: engine.PhaseResult, gap: float,
                   risk_bound: float) -> dict:
    """The decomposition's bounds for the summary JSON and the Summary sheet."""
    def one(r: engine.PhaseResult) -> dict:
        return {"lower": r.lower_bound, "upper": r.upper_bound, "relative_gap": r.gap,
                "status": r.status, "iterations": r.iterations, "seconds": round(r.seconds, 3),
                "evaluations": r.evaluations}
    return {"engine": "mpisppy", "ranks": phase1.ranks,
            "cylinders": engine.CYLINDERS[phase1.cylinders], "gap_target": gap,
            "risk": one(phase1), "cost": one(phase2), "risk_bound_phase2": risk_bound}


def evaluate_everywhere(comm: MPI.Comm, data: ModelData, first: dict[str, np.ndarray]
                        ) -> ScenarioEvaluation | None:
    """The plan on every scenario of ``data``, shared out over ``comm``'s ranks in
    contiguous blocks and gathered on rank 0 (None on the other ranks). Raises
    EvaluationFailed on every rank if any rank's evaluation failed."""
    rank, size = comm.Get_rank(), comm.Get_size()
    names = list(data.scenarios)
    bounds = np.linspace(0, len(names), size + 1).round().astype(int)
    mine = names[bounds[rank]:bounds[rank + 1]]
    try:
        local, error = evaluate_scenarios(data, mine, first), None
    except EvaluationFailed as exc:
        local, error = None, str(exc)
    parts = comm.gather((local, error), root=0)
    errors = comm.bcast([e for _part, e in parts if e] if rank == 0 else None, root=0)
    if errors:
        raise EvaluationFailed(errors[0])
    if rank != 0:
        return None
    return ScenarioEvaluation.concatenate([p for p, _e in parts])


def run_mpisppy_solve(workbook: Path, loaded: Loaded, *, output: Path,
                      summary_json: Path | None, gap: float, time_limit: float | None,
                      max_iterations: int, rho: float, verbose: bool, quiet: bool,
                      phase2_iterations: int = 60) -> int:
    """Solve both phases decomposed and write the outputs on rank 0; the exit status.

    Exit 0 when phase 1 reaches ``gap`` (phase 2 reports the gap it reaches), 1 when
    phase 1 stops short of it (the workbook is still written, with the bounds) or fails.
    ``time_limit`` (s) is shared: phase 1 gets ``PHASE1_TIME_SHARE`` of it, phase 2 the rest.
    """
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    talk = rank == 0 and not quiet

    def say(text: str) -> None:
        if talk:
            click.echo(text, err=True)

    try:
        engine.cylinder_layout(size)
    except ValueError as exc:
        if rank == 0:
            click.echo(f"error: {exc}. Start it with `mpiexec -n 2 stockopt solve ... "
                       "--engine mpisppy` (or -n 1 for the extensive form).", err=True)
        return EXIT_BAD_INPUT
    data = loaded.data
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    say(f"mpisppy engine: {size} rank(s), {engine.CYLINDERS[engine.cylinder_layout(size)]}; "
        f"{len(engine.scenario_names(data))} scenarios; gap target {gap:.2%}")
    limit1 = None if time_limit is None else time_limit * PHASE1_TIME_SHARE
    phase1 = engine.solve_phase1(data, gap=gap, max_iterations=max_iterations,
                                 time_limit=limit1, rho=rho, verbose=verbose, comm=comm)
    timings["phase1"] = phase1.seconds
    say(f"phase 1 (risk): R* in [{phase1.lower_bound:.8g}, {phase1.upper_bound:.8g}], gap "
        f"{phase1.gap:.3%}, {phase1.iterations} PH iterations, {phase1.seconds:.1f} s")
    limit2 = None if time_limit is None else max(time_limit - (time.perf_counter() - t_start),
                                                 1.0)
    phase2 = engine.solve_phase2(data, phase1, gap=gap, max_iterations=phase2_iterations,
                                 time_limit=limit2, rho=rho, verbose=verbose, comm=comm)
    timings["phase2"] = phase2.seconds
    say(f"phase 2 (cost): cost in [{phase2.lower_bound:,.0f}, {phase2.upper_bound:,.0f}] "
        f"{data.currency}, gap {phase2.gap:.3%}, {phase2.iterations} PH iterations, "
        f"{phase2.seconds:.1f} s")
    t0 = time.perf_counter()
    plan = phase2.plan.first
    try:
        evaluation = evaluate_everywhere(comm, data, plan)
    except EvaluationFailed as exc:
        if rank == 0:
            click.echo(f"error: evaluating the final plan failed: {exc}", err=True)
        return EXIT_FAILURE
    timings["evaluate"] = time.perf_counter() - t0
    memory = comm.gather(peak_memory_mb(), root=0)
    reached = phase1.gap <= gap
    status = "within gap" if reached else phase1.status
    exit_code = EXIT_OK if reached else EXIT_FAILURE
    if rank != 0:
        return exit_code

    st = state_model(data)
    sol = plan_solution(st, plan, evaluation)
    value = phase2.plan.value
    setup = engine.phase2_setup(data, phase1)
    outcome = SolveOutcome(status=status, risk=value.risk, cost=value.cost,
                           solver="HiGHS (in mpi-sppy)", algorithm="scenario decomposition")
    outcome.phases = [_record(phase1, "phase 1 (risk)", "periods"),
                      _record(phase2, "phase 2 (cost)", data.currency)]
    outcome.solver_version = highs_version()
    outcome.timings = dict(timings)
    results = extract(sol, data, outcome, st)
    results.status = status
    results.risk = value.risk
    results.cost = value.cost
    results.budget_shadow_price = {}
    results.pooled_budget_shadow_price = float("nan")
    results.bounds = bounds_payload(phase1, phase2, gap, setup.risk_bound)
    results.bounds["peak_memory_mb_per_rank"] = [round(m, 1) for m in memory]
    if not write_outputs(workbook, loaded, results, output, summary_json, timings):
        return EXIT_FAILURE
    if not quiet:
        click.echo(human_summary(results, data, output, summary_json))
    if not reached:
        click.echo(f"warning: phase 1 did not reach the gap target {gap:.2%} ({status}); the "
                   "workbook holds the best plan found, with its bounds on the Summary sheet.",
                   err=True)
    elif phase2.gap > gap and not quiet:
        click.echo(f"note: phase 2's cost bounds are {phase2.gap:.2%} apart ({phase2.status}); "
                   "the cost of the plan is an upper bound (see README, \"Scenario "
                   "decomposition\", on why phase 2's lower bound is weak).", err=True)
    return exit_code


def run_mpisppy_command(workbook: Path, output: Path, summary_json: Path | None,
                        **options: object) -> int:
    """``solve --engine mpisppy``: every rank reads; rank 0 alone reports and writes."""
    rank = MPI.COMM_WORLD.Get_rank()
    if rank == 0:
        try:
            loaded = load_or_exit(workbook)
        except SystemExit:
            MPI.COMM_WORLD.bcast(False, root=0)  # the other ranks stop too
            raise
        MPI.COMM_WORLD.bcast(True, root=0)
        if not options["quiet"]:
            echo_problems(loaded)
    else:
        if not MPI.COMM_WORLD.bcast(None, root=0):
            return EXIT_BAD_INPUT
        loaded = load(workbook)
        options["quiet"] = True
        options["verbose"] = False
    if loaded.data is not None and has_limits(loaded.data):
        if rank == 0:
            click.echo("error: sheet 'Parties' column 'max_risk' / setting party_risk_limit: "
                       "a party's risk limit links every scenario (FORMULATION-v2 section 4), "
                       "which scenario decomposition cannot split; expected no party risk "
                       "limits with --engine mpisppy, found some. Use --engine highs (the "
                       "default). Nothing was written.", err=True)
        return EXIT_BAD_INPUT
    try:
        return run_mpisppy_solve(workbook, loaded, output=output, summary_json=summary_json,
                                 **options)
    except Exception as exc:  # noqa: BLE001 - one rank failing must not leave the others hanging
        click.echo(f"error: the decomposition failed on MPI rank {rank}: "
                   f"{type(exc).__name__}: {exc}. No output was written.", err=True)
        MPI.COMM_WORLD.Abort(EXIT_FAILURE)
        return EXIT_FAILURE  # pragma: no cover - Abort ends the process
