"""``stockopt solve``: the pipeline of ``stockopt.api.solve`` (build → solve → extract),
then the outputs.

Reading and validation happen before (``stockopt.workbook.normalize.load``); this module
shows progress, times each step, writes the output workbook and the summary JSON, and
prints a short human summary. It returns the process exit status.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..api import solve
from ..files.atomic import OutputNotWritable
from ..report.columns import money_text, number_text
from ..report.workbook import RunAudit, write_report
from ..results.extract import Results
from ..solver.highs import SolveFailed
from ..workbook.normalize import Loaded
from .common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    check_outputs_or_exit,
    echo_problems,
    echo_solve_failure,
    load_or_exit,
    refusal,
    write_json,
    writing_outputs,
    wrote,
)
from .progress import Progress


def run_solve(workbook: Path, loaded: Loaded, *, output: Path, summary_json: Path | None,
              time_limit: float | None = None, algorithm: str = "simplex", verbose: bool = False,
              quiet: bool = False, builder: str = "arrays", engine: str = "highs",
              comm: Any | None = None) -> int:
    """Build, solve, extract and write; return the exit status (0 or 1). With ``comm``
    (rank 0 of an MPI run) the Benders engine spreads its scenarios over the ranks."""
    data = loaded.data
    if data is None:
        raise ValueError("run_solve needs a workbook that validated without errors")
    timings: dict[str, float] = {}
    progress = Progress(enabled=False if (verbose or quiet) else None)
    with progress:
        try:
            results = solve(data, builder=builder, time_limit=time_limit,
                            verbose=verbose, algorithm=algorithm, on_phase=progress.step,
                            timings=timings, engine=engine, comm=comm)
        except SolveFailed as exc:
            progress.close()
            echo_solve_failure(exc)
            if summary_json is not None:
                _safe_json(summary_json, {"status": exc.status, "failed_phase": exc.phase,
                                          "risk": exc.outcome.risk,
                                          "explanation": exc.explanation})
            return EXIT_FAILURE
        progress.step(f"writing {output.name}")
        if not write_outputs(workbook, loaded, results, output, summary_json, timings,
                             on_error=progress.close):
            return EXIT_FAILURE
    if not quiet:
        click.echo(human_summary(results, data, output, summary_json))
    return EXIT_OK


def write_outputs(workbook: Path, loaded: Loaded, results: Results, output: Path,
                  summary_json: Path | None, timings: dict[str, float],
                  on_error: Callable[[], None] | None = None) -> bool:
    """Write the results workbook and (if asked) the summary JSON, atomically and all or
    nothing; time the workbook into ``timings``. False, after an error message, when a
    target cannot be written (``on_error`` runs first, e.g. to close a progress line)."""
    t0 = time.perf_counter()
    try:
        with writing_outputs(((output, "output workbook"), (summary_json, "summary JSON")),
                             ((workbook, "input workbook"),)):
            warnings = [p.message for p in loaded.problems.warnings]
            write_report(output, results, loaded.data,
                         RunAudit(workbook, timings, warnings=warnings), raw=loaded.raw)
            timings["write_workbook"] = time.perf_counter() - t0
            if summary_json is not None:
                payload = results.summary_dict()
                payload["warnings"] = warnings
                payload["timings_seconds"] = {k: round(v, 4) for k, v in timings.items()}
                write_json(summary_json, payload)
    except OutputNotWritable as exc:
        if on_error is not None:
            on_error()
        click.echo(refusal(exc), err=True)
        return False
    return True


def _safe_json(path: Path, payload: dict) -> None:
    try:
        write_json(path, payload)
    except OutputNotWritable as exc:
        click.echo(refusal(exc), err=True)


def human_summary(results: Results, data, output: Path,  # noqa: ANN001
                  summary_json: Path | None = None) -> str:
    """A few lines for the terminal: risk, loss, CVaR, cost, spend vs budget, top shortfalls,
    and the files written."""
    cur = data.currency
    lines = [f"status        {results.status}"]
    if results.decomposition is not None:
        d = results.decomposition
        lines.append(f"engine        Benders on {d['ranks']} rank(s): phase 1 "
                     f"{d['phase1']['iterations']} iterations ({d['phase1']['seconds']:.1f} s), "
                     f"phase 2 {d['phase2']['iterations']} ({d['phase2']['seconds']:.1f} s), "
                     f"{d['scenarios']:,} scenarios in {d['batches']} batches")
    lines += [
        f"risk          {results.risk:.6g}  (periods of baseline demand lost; "
        f"λ={data.risk_weight:g}, α={data.cvar_alpha:g})",
        f"expected loss {results.expected_loss:.6g}",
        f"CVaR          {results.cvar:.6g}",
        f"cost          {money_text(results.cost, cur)}",
        "spend vs budget:",
    ]
    for p in data.parties:
        b = data.budget.get(p)
        price = results.budget_shadow_price.get(p, 0.0)  # per unit of p's own currency
        own = data.currency_of(p)
        line = (f"  {p:<12} {money_text(results.spend[p], cur):>20} of "
                f"{'no limit' if b is None else money_text(b, cur)}")
        if own != cur:
            entered = data.budget_own(p)
            rate = data.rate(p)
            line += (f" = {money_text(results.spend[p] / rate, own)} of "
                     f"{'no limit' if entered is None else money_text(entered, own)} "
                     f"at {rate:g} {cur}/{own}")
        lines.append(line + (f"   (1 million {own} more lowers risk by "
                             f"{number_text(-price * 1e6)})" if price < 0 else ""))
    sf = results.tables["shortfalls"]
    if len(sf):
        prob = sf["scenario"].map(data.probability)
        expected = (sf.assign(expected=sf["shortfall"] * prob)
                    .groupby(["party", "mineral"], sort=False)["expected"].sum()
                    .sort_values(ascending=False))
        top = expected[expected > 0].head(5)
        if len(top):
            lines.append("largest expected shortfalls (t over the horizon):")
            for (p, mi), value in top.items():
                lines.append(f"  {p:<12} {mi:<16} {value:>14,.1f}")
    lines.append(wrote(output, summary_json))
    return "\n".join(lines)


def run_solve_command(workbook: Path, *, output: Path, summary_json: Path | None,
                      time_limit: float | None, algorithm: str, verbose: bool, quiet: bool,
                      builder: str, engine: str) -> int:
    """``stockopt solve``, in one process or on every rank of ``mpiexec -n R``.

    Rank 0 reads and validates the workbook and sends the model data to the other ranks
    (they need neither the file nor its folder), chooses the engine and writes the outputs;
    with the Benders engine every rank solves its own scenario batches. Returns the exit
    status; every rank ends with the same one (a rank that is told to stop prints why).
    """
    from ..engines import benders
    from ..solver.parallel import world

    comm = world()
    rank = 0 if comm is None else comm.Get_rank()
    if rank != 0:
        return _serve(comm, builder, verbose)
    try:
        check_outputs_or_exit(((output, "output workbook"), (summary_json, "summary JSON")),
                              ((workbook, "input workbook"),))
        loaded = load_or_exit(workbook)
    except SystemExit:
        if comm is not None:
            comm.bcast(None, root=0)  # the other ranks end too (exit 2)
        raise
    if not quiet:
        echo_problems(loaded)
    data = loaded.data
    ranks = 1 if comm is None else comm.Get_size()
    why = benders.unsupported(data)
    if engine == "benders" and why is not None:
        if comm is not None:
            comm.bcast(None, root=0)
        click.echo(f"error: {why}; expected a workbook without them with --engine benders, "
                   "found some. Use --engine highs (or auto). Nothing was written.", err=True)
        return EXIT_BAD_INPUT
    if engine == "highs" and ranks > 1:
        comm.bcast(None, root=0)
        click.echo("error: --engine highs solves the extensive form in one process; expected "
                   "no mpiexec (or -n 1), found "
                   f"{ranks} ranks. Use --engine benders (or auto) under mpiexec. Nothing was "
                   "written.", err=True)
        return EXIT_BAD_INPUT
    chosen = engine
    if engine == "auto":
        chosen = "benders" if builder == "arrays" and benders.prefers_benders(data, ranks) \
            else "highs"
    if comm is not None:
        comm.bcast((data, chosen), root=0)
    return run_solve(workbook, loaded, output=output, summary_json=summary_json,
                     time_limit=time_limit, algorithm=algorithm, verbose=verbose, quiet=quiet,
                     builder=builder, engine=chosen, comm=comm if chosen == "benders" else None)


def _serve(comm: Any, builder: str, verbose: bool) -> int:
    """A rank other than 0: take the model data from rank 0 and solve its share of the
    scenarios until rank 0 says stop; the exit status."""
    from ..engines.benders import Stopped

    message = comm.bcast(None, root=0)
    if message is None:
        return EXIT_BAD_INPUT  # rank 0 refused the input and said why
    data, chosen = message
    if chosen != "benders":
        return EXIT_OK  # rank 0 solves the extensive form alone
    try:
        solve(data, builder=builder, engine="benders", comm=comm, verbose=False)
    except Stopped as exc:
        click.echo(f"stockopt (MPI rank {comm.Get_rank()}): {exc}", err=True)
        return exc.code
    return EXIT_OK
