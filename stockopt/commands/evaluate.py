"""``stockopt evaluate``: fix a solved plan's first-stage decisions and report its loss
statistics in sample and on a fresh sample (see ``stockopt.studies.evaluation``); write the
evaluation workbook (``stockopt.report.evaluation``) and, if asked, a summary JSON.

Returns the exit status: 0 success, 1 a failure inside (solver, unwritable output); bad
input exits 2 before.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .. import __version__
from ..data import ModelData
from ..report.evaluation import evaluation_rows, write_evaluation_workbook
from ..solver.fixed_plan import EvaluationFailed
from ..solver.parallel import is_root, world
from ..studies.evaluation import (
    InSample,
    Plan,
    Statistics,
    in_sample_statistics,
    out_of_sample_statistics,
    plan_vectors,
    sample_losses,
    sample_warnings,
    verdict,
    workbook_losses,
)
from ..workbook.reader import RawWorkbook
from ..workbook.sampling import METHOD, Sample, risk_events, sample_scenarios, sha256_of
from .common import EXIT_FAILURE, EXIT_OK, write_study_outputs, wrote


def _terminal(ins: InSample, out: Statistics, plan: Plan, data: ModelData) -> str:
    lines = [f"losses in periods of baseline demand lost (λ={data.risk_weight:g}, "
             f"α={data.cvar_alpha:g})",
             f"{'measure':<32}{'in sample':>12}{'out of sample':>15}{'95% interval':>24}"]
    for name, a, b, lo, hi, _m in evaluation_rows(ins, out, plan):
        if isinstance(a, int):
            lines.append(f"{name:<32}{a:>12d}{b:>15d}")
            continue
        interval = f"[{lo:.4g}, {hi:.4g}]" if lo is not None else ""
        lines.append(f"{name:<32}{a:>12.4g}{b:>15.4g}{interval:>24}")
    if plan.summary:
        lines.append("the plan's Summary reports: " + ", ".join(
            f"{k} {v:.6g}" for k, v in plan.summary.items()))
    lines.append(verdict(ins, out))
    return "\n".join(lines)


def _summary_payload(workbook: Path, plan_path: Path, ins: InSample, out: Statistics,
                     plan: Plan, data: ModelData, sample: Sample, seconds: float) -> dict:
    def interval(iv) -> dict:  # noqa: ANN001
        return {"value": iv.value, "low": iv.low, "high": iv.high, "method": iv.method}

    return {
        "input": workbook.name, "input_sha256": sha256_of(workbook),
        "plan": plan_path.name, "plan_sha256": sha256_of(plan_path),
        "risk_weight": data.risk_weight, "cvar_alpha": data.cvar_alpha,
        "in_sample": {"scenarios": ins.scenarios, "expected_loss": ins.expected_loss,
                      "cvar": ins.cvar, "risk": ins.risk, "worst": ins.worst,
                      "tail_scenarios": ins.tail_scenarios},
        "plan_summary": plan.summary,
        "out_of_sample": {"scenarios": out.scenarios, "seed": sample.seed,
                          "stream": "SeedSequence(seed, spawn_key=(1,))", "method": METHOD,
                          "expected_loss": interval(out.expected_loss),
                          "cvar": interval(out.cvar), "risk": interval(out.risk),
                          "worst": out.worst, "share_with_loss": out.share_with_loss,
                          "tail_scenarios": out.tail_scenarios},
        "verdict": verdict(ins, out),
        "warnings": sample_warnings(ins, out, data.cvar_alpha),
        "seconds": round(seconds, 3),
        "stockopt_version": __version__,
    }


def run_evaluate_command(workbook: Path, raw: RawWorkbook, data: ModelData, plan: Plan,
                         plan_path: Path, *, output: Path, summary_json: Path | None,
                         samples: int, seed: int, batch: int, quiet: bool = False) -> int:
    """Evaluate ``plan`` in sample and on ``samples`` fresh scenarios; write the outputs.

    Raises PlanError (bad input) when the plan does not fit the workbook.
    """
    t0 = time.perf_counter()
    first = plan_vectors(plan, data)
    events = risk_events(raw)
    sample = sample_scenarios(events, data.n_periods, samples, seed, evaluation=True,
                              prefix="eval")

    comm = world()  # under `mpiexec -n R`: the batches are shared over the R ranks
    root = is_root(comm)
    quiet = quiet or not root
    show = not quiet and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            click.echo(f"\revaluated {done}/{total} scenarios", nl=done == total, err=True)

    try:
        ins = in_sample_statistics(data, workbook_losses(data, first, batch=batch, comm=comm))
        losses = sample_losses(data, sample, first, batch=batch, on_batch=progress, comm=comm)
    except EvaluationFailed as exc:
        if root:
            click.echo(f"error: {exc}. Nothing was written.", err=True)
        return EXIT_FAILURE
    seconds = time.perf_counter() - t0
    if not root:
        return EXIT_OK
    out = out_of_sample_statistics(losses, data.cvar_alpha, data.risk_weight, seed)
    if not write_study_outputs(
            output, summary_json, ((workbook, "input workbook"), (plan_path, "plan workbook")),
            lambda: write_evaluation_workbook(output, workbook, plan_path, ins, out, plan, data,
                                              sample, losses),
            lambda: _summary_payload(workbook, plan_path, ins, out, plan, data, sample,
                                     seconds)):
        return EXIT_FAILURE
    if not quiet:
        click.echo(_terminal(ins, out, plan, data))
        for message in sample_warnings(ins, out, data.cvar_alpha):
            click.echo(f"warning: {message}", err=True)
        reported = plan.summary.get("risk")
        if reported is not None and abs(reported - ins.risk) > 1e-4 * max(1.0, abs(reported)):
            click.echo(f"warning: the plan's Summary reports risk {reported:.6g}, but on this "
                       f"workbook's scenarios it is {ins.risk:.6g}: was the plan solved on "
                       "another workbook?", err=True)
        click.echo(f"{wrote(output, summary_json)} ({seconds:.1f} s)")
    return EXIT_OK
