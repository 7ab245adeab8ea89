"""``stockopt cooperation``: alone versus together (FORMULATION-v2 section 3).

Solves every party's stand-alone problem and the joint problem with a progress line,
writes the cooperation workbook (``stockopt.report.cooperation``) and, if asked, the
summary JSON, and prints a compact table. Returns the exit status.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..api import cooperate
from ..data import ModelData
from ..report.cooperation import sentences, write_cooperation_workbook
from ..solver.highs import SolveFailed
from ..studies.cooperation import Cooperation
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    echo_solve_failure,
    write_study_outputs,
    wrote,
)
from .progress import Progress


def human_table(cooperation: Cooperation, data: ModelData) -> str:
    """Per party: risk alone, together, the gain, spend alone and together."""
    cur = data.currency
    lines = [f"{'party':<12} {'risk alone':>11} {'together':>11} {'gain':>9} "
             f"{'spend alone (' + cur + ')':>22} {'together (' + cur + ')':>22}"]
    for p, g in cooperation.gains.items():
        lines.append(f"{p:<12} {g.risk_alone:>11.4f} {g.risk_together:>11.4f} "
                     f"{g.gain:>+9.4f} {g.spend_alone:>22,.0f} {g.spend_together:>22,.0f}")
    return "\n".join(lines + ["(risk in periods of each party's own demand lost; gain = "
                              "alone − together, + = better together)"])


def run_cooperation(workbook: Path, data: ModelData, *, output: Path,
                    summary_json: Path | None, time_limit: float | None,
                    quiet: bool) -> int:
    """Solve alone and together, write the outputs; return the exit status (0 or 1)."""
    progress = Progress(enabled=False if quiet else None)
    timings: dict[str, float] = {}
    with progress:
        t0 = time.perf_counter()
        try:
            result = cooperate(data, time_limit=time_limit, on_phase=progress.step)
        except SolveFailed as exc:
            progress.close()
            echo_solve_failure(exc, name_phase=True)
            return EXIT_FAILURE
        timings["solve"] = time.perf_counter() - t0
        progress.step(f"writing {output.name}")
        if not write_study_outputs(
                output, summary_json, ((workbook, "input workbook"),),
                lambda: write_cooperation_workbook(output, result, data, workbook, timings),
                result.summary_dict, on_error=progress.close):
            return EXIT_FAILURE
    if not quiet:
        click.echo(human_table(result, data))
        for text in sentences(result, data)[len(result.gains):]:
            click.echo(text)
        click.echo(wrote(output, summary_json))
    return EXIT_OK
