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

import click

from ..api import solve
from ..files.atomic import OutputNotWritable
from ..report.columns import money_text, number_text
from ..report.workbook import RunAudit, write_report
from ..results.extract import Results
from ..solver.highs import SolveFailed
from ..workbook.normalize import Loaded
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    echo_solve_failure,
    refusal,
    write_json,
    writing_outputs,
    wrote,
)
from .progress import Progress


def run_solve(workbook: Path, loaded: Loaded, *, output: Path, summary_json: Path | None,
              time_limit: float | None = None, algorithm: str = "simplex", verbose: bool = False,
              quiet: bool = False, builder: str = "arrays") -> int:
    """Build, solve, extract and write; return the exit status (0 or 1)."""
    data = loaded.data
    if data is None:
        raise ValueError("run_solve needs a workbook that validated without errors")
    timings: dict[str, float] = {}
    progress = Progress(enabled=False if (verbose or quiet) else None)
    with progress:
        try:
            results = solve(data, builder=builder, time_limit=time_limit,
                                      verbose=verbose, algorithm=algorithm,
                                      on_phase=progress.step, timings=timings)
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
    if results.bounds is not None:
        b = results.bounds
        lines += [f"risk bounds   [{b['risk']['lower']:.6g}, {b['risk']['upper']:.6g}] "
                  f"gap {b['risk']['relative_gap']:.3%}",
                  f"cost bounds   [{b['cost']['lower']:,.0f}, {b['cost']['upper']:,.0f}] "
                  f"gap {b['cost']['relative_gap']:.3%}"]
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
