"""``stockopt compare``: read plans from results workbooks, evaluate each on one input
(and on a common fresh sample), write the comparison workbook and JSON
(``stockopt.report.comparison``), print the headline side by side. Returns the exit
status; a plan that does not fit the input exits 2 (``PlanError``, raised to the caller)."""

from __future__ import annotations

from pathlib import Path

import click

from ..api import compare_plans
from ..data import ModelData
from ..report.comparison import summary_payload, write_comparison_workbook
from ..solver.fixed_plan import EvaluationFailed
from ..studies.comparison import Comparison, headline
from ..studies.evaluation import Plan
from ..workbook.sampling import Sample
from .common import EXIT_FAILURE, EXIT_OK, write_study_outputs, wrote
from .progress import Progress


def human_table(comparison: Comparison, data: ModelData) -> str:
    """The headline numbers, one column per plan; '*' marks rows that differ."""
    table = headline(comparison, data)
    names = comparison.names
    width = max(14, *(len(n) + 2 for n in names))
    lines = [f"{'':<36}" + "".join(f"{n:>{width}}" for n in names)]
    for row in table.to_dict(orient="records"):
        if row["measure"].startswith("spend of") and ":" in row["measure"] \
                and row["differs"] == "no":
            continue  # the lever split only where it differs
        money = row["unit"] == data.currency
        cells = "".join((f"{row[n]:>{width},.0f}" if money else f"{row[n]:>{width}.4f}")
                        for n in names)
        lines.append(f"{('* ' if row['differs'] == 'yes' else '  ') + row['measure']:<36}"
                     + cells)
    n = len(comparison.decisions)
    lines.append(f"{n} decision{'s' if n != 1 else ''} differ; * = the plans differ")
    return "\n".join(lines)


def run_compare_command(workbook: Path, data: ModelData, plans: list[tuple[Path, Plan]], *,
                        output: Path, summary_json: Path | None, sample: Sample | None,
                        quiet: bool) -> int:
    """Evaluate the plans with a progress line and write the outputs; the exit status."""
    progress = Progress(enabled=False if quiet else None)
    with progress:
        try:
            comparison = compare_plans(data, plans, sample=sample, on_step=progress.step)
        except EvaluationFailed as exc:
            progress.close()
            click.echo(f"error: {exc}. Nothing was written.", err=True)
            return EXIT_FAILURE
        progress.step(f"writing {output.name}")
        inputs = ((workbook, "input workbook"), *((p, "plan workbook") for p, _plan in plans))
        if not write_study_outputs(output, summary_json, inputs,
                                   lambda: write_comparison_workbook(output, comparison, data,
                                                                     workbook),
                                   lambda: summary_payload(comparison, data, workbook),
                                   on_error=progress.close):
            return EXIT_FAILURE
    if not quiet:
        click.echo(human_table(comparison, data))
        click.echo(wrote(output, summary_json))
    return EXIT_OK
