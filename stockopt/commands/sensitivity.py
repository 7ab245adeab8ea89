"""``stockopt sensitivity``: vary each input group low and high with a progress line, write
the sensitivity workbook and JSON (``stockopt.report.sensitivity``), print the groups that
move R* most. Returns the exit status."""

from __future__ import annotations

from pathlib import Path

import click

from ..api import sensitivity
from ..data import ModelData
from ..files.atomic import OutputNotWritable
from ..report.sensitivity import summary_payload, tornado_table, write_sensitivity_workbook
from ..studies.sensitivity import PointFailed, SensitivityRun
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    echo_solve_failure,
    refusal,
    write_json,
    write_study_outputs,
    wrote,
)
from .progress import Progress

SHOWN = 10
"""Groups printed on the terminal (the workbook has them all)."""


def human_table(run: SensitivityRun, data: ModelData) -> str:
    """The groups that move R* most, for the terminal."""
    table = tornado_table(run, data).head(SHOWN)
    lines = [f"sensitivity: {len(run.groups)} groups ±{run.spread:.0%}, R* = "
             f"{run.base_risk:.6g} periods of demand lost",
             f"{'group':<34}{'R* low':>10}{'R* high':>10}{'Δ low':>10}{'Δ high':>10}"]
    for row in table.itertuples(index=False):
        lines.append(f"{row.group:<34}{run.base_risk + row.risk_change_low:>10.4f}"
                     f"{run.base_risk + row.risk_change_high:>10.4f}"
                     f"{row.risk_change_low:>+10.4f}{row.risk_change_high:>+10.4f}")
    return "\n".join(lines)


def run_sensitivity_command(workbook: Path, data: ModelData, *, output: Path,
                            summary_json: Path | None, kinds: tuple[str, ...] | None,
                            spread: float, time_limit: float | None, quiet: bool) -> int:
    """Run the study with a progress bar and write the outputs; the exit status."""
    progress = Progress(enabled=False if quiet else None)

    def on_point(k: int, n: int, label: str) -> None:
        filled = round(20 * (k - 1) / n)
        progress.step(f"sensitivity [{'#' * filled}{'.' * (20 - filled)}] {k}/{n} {label}")

    with progress:
        progress.step("building the model")
        try:
            run = sensitivity(data, kinds=kinds, spread=spread, time_limit=time_limit,
                              on_point=on_point)
        except PointFailed as exc:
            progress.close()
            click.echo(f"error: {exc.what}:", err=True)
            echo_solve_failure(exc.error)
            if summary_json is not None:
                try:
                    write_json(summary_json, {
                        "status": getattr(exc.error, "status", "failed"),
                        "failed_point": exc.what,
                        "explanation": getattr(exc.error, "explanation", str(exc.error))})
                except OutputNotWritable as err:
                    click.echo(refusal(err), err=True)
            return EXIT_FAILURE
        progress.step(f"writing {output.name}")
        if not write_study_outputs(output, summary_json, ((workbook, "input workbook"),),
                                   lambda: write_sensitivity_workbook(output, run, data,
                                                                      workbook),
                                   lambda: summary_payload(run, data, workbook),
                                   on_error=progress.close):
            return EXIT_FAILURE
    if not quiet:
        click.echo(human_table(run, data))
        click.echo(f"solved {run.solves} times in {run.seconds['total']:.2f} s; "
                   f"{wrote(output, summary_json)}")
    return EXIT_OK
