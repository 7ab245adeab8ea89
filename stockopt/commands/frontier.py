"""``stockopt frontier``: solve the sweep with a progress line, write the frontier workbook
and JSON (``stockopt.report.frontier``), print a compact table. Returns the exit status.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..data import ModelData
from ..files.atomic import OutputNotWritable
from ..report.frontier import budget_step, summary_payload, write_frontier_workbook
from ..report.tables import step_words
from ..studies.frontier import FrontierRun, PointFailed, Sweep, run_frontier
from .common import EXIT_FAILURE, EXIT_OK, write_json, write_study_outputs, wrote
from .progress import Progress


def human_table(run: FrontierRun, data: ModelData) -> str:
    """A compact terminal table: swept value, risk, cost, total spend, shadow price."""
    sweep, cur = run.sweep, data.currency
    step = budget_step(sweep)
    head = "scale" if sweep.mode == "scale" else f"{sweep.parameter_name} ({cur})"
    lines = [f"frontier: {sweep.describe()}",
             f"{head:>22}  {'risk R*':>10}  {'cost (' + cur + ')':>18}  "
             f"{'spend (' + cur + ')':>18}  {'dR*/d(' + step_words(step) + ')':>14}"]
    for p in run.points:
        if sweep.mode == "scale":
            x, marginal = f"{p.value:.3g}×", (p.scale_derivative or 0.0)
            total = sum((b or 0.0) for q, b in sweep.base.items() if q != "pooled")
            marginal = marginal / total * step if total else 0.0
        elif sweep.mode == "party":
            x, marginal = f"{p.value:,.0f}", p.shadow_price[str(sweep.party)] * step
        else:
            x, marginal = f"{p.value:,.0f}", p.pooled_shadow_price * step
        lines.append(f"{x:>22}  {p.risk:>10.4f}  {p.cost:>18,.0f}  "
                     f"{sum(p.spend.values()):>18,.0f}  {marginal:>14.4g}")
    return "\n".join(lines)


def run_frontier_command(workbook: Path, data: ModelData, sweep: Sweep, *, output: Path,
                         summary_json: Path | None, time_limit: float | None,
                         quiet: bool) -> int:
    """Solve the sweep with a progress bar, write the outputs; return the exit status."""
    progress = Progress(enabled=False if quiet else None)

    def on_point(k: int, n: int, value: float) -> None:
        filled = round(20 * (k - 1) / n)
        x = f"{value:.3g}×" if sweep.mode == "scale" else f"{value:,.0f} {data.currency}"
        progress.step(f"frontier [{'#' * filled}{'.' * (20 - filled)}] point {k}/{n} ({x})")

    with progress:
        progress.step("building the model")
        try:
            run = run_frontier(data, sweep, time_limit=time_limit, on_point=on_point)
        except PointFailed as exc:
            progress.close()
            hint = " Try a longer --time-limit." if "time limit" in exc.error.status else ""
            click.echo(f"error: {exc}. No output workbook was written.{hint}", err=True)
            if exc.error.explanation:
                click.echo(f"why: {exc.error.explanation}.", err=True)
            if summary_json is not None:
                try:
                    write_json(summary_json, {
                        "status": exc.error.status, "failed_point": exc.index,
                        "failed_value": exc.value, "failed_phase": exc.error.phase,
                        "explanation": exc.error.explanation})
                except OutputNotWritable as err:
                    click.echo(f"error: {err}", err=True)
            return EXIT_FAILURE
        progress.step(f"writing {output.name}")
        if not write_study_outputs(output, summary_json, ((workbook, "input workbook"),),
                                   lambda: write_frontier_workbook(output, run, data, workbook),
                                   lambda: summary_payload(run, data, workbook),
                                   on_error=progress.close):
            return EXIT_FAILURE
    if not quiet:
        click.echo(human_table(run, data))
        click.echo(f"solved {len(run.points)} points in {run.total_seconds:.2f} s "
                   f"(model built once in {run.build_seconds:.2f} s); "
                   f"{wrote(output, summary_json)}")
    return EXIT_OK
