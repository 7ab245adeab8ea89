"""The ``stockopt scenarios`` and ``stockopt evaluate`` commands: run, write, report.

``scenarios`` samples equally likely scenarios from the Risks sheet and writes a copy
of the input workbook whose Scenarios, Disruptions and DemandShocks sheets hold them.
``evaluate`` fixes a solved plan's first-stage decisions and reports its loss statistics
in sample and on a fresh sample (see ``stockopt.evaluate``). Both return the exit status:
0 success, 1 a failure inside (solver, unwritable output); bad input exits 2 before.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font

from .. import __version__
from ..data import ModelData
from ..files.atomic import OutputNotWritable, write_atomically
from ..solve.fixed_plan import EvaluationFailed
from ..solve.parallel import is_root, world
from ..studies.evaluation import (
    BOOTSTRAP_RESAMPLES,
    InSample,
    Plan,
    Statistics,
    in_sample_statistics,
    out_of_sample_statistics,
    plan_vectors,
    sample_losses,
    verdict,
    workbook_losses,
)
from ..workbook.file import open_workbook
from ..workbook.reader import RawWorkbook
from ..workbook.sampling import (
    METHOD,
    Sample,
    describe,
    risk_events,
    sample_notes,
    sample_scenarios,
    sampled_workbook_tables,
    sha256_of,
)
from ..workbook.template import write_input_workbook
from .solve import write_json

EXIT_OK, EXIT_FAILURE = 0, 1
BOLD = Font(bold=True)


# --- scenarios -------------------------------------------------------------------------------

def _readme_notes(path: Path) -> tuple[str | None, list[tuple[str, str]]]:
    """The title and the Notes (heading, text) of a README sheet written by stockopt, if any."""
    try:
        with open_workbook(path) as wb:
            title = next((n for n in wb.sheet_names if n.strip().lower() == "readme"), None)
            if title is None:
                return None, []
            heading, notes, inside = None, [], False
            for row, cells in wb.rows(title):
                first = cells.get(1)
                if row == 1 and isinstance(first, str):
                    heading = first
                if first == "Notes" and not inside:
                    inside = True
                    continue
                if inside:
                    if not isinstance(first, str) or not isinstance(cells.get(2), str):
                        break
                    notes.append((first, cells[2]))
            return heading, notes
    except Exception:  # noqa: BLE001 - the notes are a courtesy; never fail the command
        return None, []


def run_scenarios_command(workbook: Path, raw: RawWorkbook, data: ModelData, *, output: Path,
                          samples: int, seed: int, quiet: bool = False) -> int:
    """Sample ``samples`` scenarios with ``seed`` and write the sampled workbook."""
    events = risk_events(raw)
    sample = sample_scenarios(events, data.n_periods, samples, seed)
    tables = sampled_workbook_tables(raw, sample, data.periods)
    title, old_notes = _readme_notes(workbook)
    notes = sample_notes(workbook, sample, data.n_periods)
    if old_notes:
        notes += [(f"From {workbook.name}: {h}", t) for h, t in old_notes]
    heading = f"{title or workbook.stem}: {samples} scenarios sampled from its risks (seed {seed})"
    try:
        write_input_workbook(output, tables, title=heading, notes=notes)
    except (OSError, OutputNotWritable) as exc:
        click.echo(f"error: cannot write {output}: {exc}", err=True)
        return EXIT_FAILURE
    if not quiet:
        calm = sum(1 for i in range(sample.size)
                   if not any(sample.active[e.name][i].any() for e in events))
        cells = samples * data.n_periods
        click.echo(f"sampled {samples} scenarios (seed {seed}) from {len(events)} risk "
                   f"event{'s' if len(events) != 1 else ''}; {calm} with no event")
        click.echo(f"{'event':<24}{'p/period':>10}{'starts/period':>15}{'scenarios hit':>15}")
        for e in events:
            starts = int(sample.started[e.name].sum())
            hit = int(sample.active[e.name].any(axis=1).sum())
            click.echo(f"{e.name:<24}{e.start_probability:>10.3g}{starts / cells:>15.3f}"
                       f"{hit / samples:>15.1%}")
        click.echo(f"wrote {output}")
    return EXIT_OK


# --- evaluate --------------------------------------------------------------------------------

def _rows(ins: InSample, out: Statistics, plan: Plan) -> list[tuple[str, object, object,
                                                                      object, object, str]]:
    """(measure, in sample, out of sample, 95% low, 95% high, interval method) rows."""
    return [
        ("scenarios", ins.scenarios, out.scenarios, None, None, ""),
        ("expected loss", ins.expected_loss, out.expected_loss.value, out.expected_loss.low,
         out.expected_loss.high, out.expected_loss.method),
        ("CVaR", ins.cvar, out.cvar.value, out.cvar.low, out.cvar.high, out.cvar.method),
        ("risk R", ins.risk, out.risk.value, out.risk.low, out.risk.high, out.risk.method),
        ("worst scenario loss", ins.worst, out.worst, None, None, ""),
        ("share of scenarios with a loss", float((ins.losses > 1e-9).mean())
         if len(ins.losses) else 0.0, out.share_with_loss, None, None, ""),
    ]


def _terminal(ins: InSample, out: Statistics, plan: Plan, data: ModelData) -> str:
    lines = [f"losses in periods of baseline demand lost (λ={data.risk_weight:g}, "
             f"α={data.cvar_alpha:g})",
             f"{'measure':<32}{'in sample':>12}{'out of sample':>15}{'95% interval':>24}"]
    for name, a, b, lo, hi, _m in _rows(ins, out, plan):
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
                      "cvar": ins.cvar, "risk": ins.risk, "worst": ins.worst},
        "plan_summary": plan.summary,
        "out_of_sample": {"scenarios": out.scenarios, "seed": sample.seed,
                          "stream": "SeedSequence(seed, spawn_key=(1,))", "method": METHOD,
                          "expected_loss": interval(out.expected_loss),
                          "cvar": interval(out.cvar), "risk": interval(out.risk),
                          "worst": out.worst, "share_with_loss": out.share_with_loss},
        "verdict": verdict(ins, out),
        "seconds": round(seconds, 3),
        "stockopt_version": __version__,
    }


def _write_xlsx(path: Path, workbook: Path, plan_path: Path, ins: InSample, out: Statistics,
                plan: Plan, data: ModelData, sample: Sample, losses: np.ndarray) -> None:
    from ..report.cells import set_value

    wb = Workbook()
    ws = wb.active
    ws.title = "Evaluation"

    def put(sheet, row: int, values: list, bold: bool = False, fmt: str | None = None) -> None:  # noqa: ANN001
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row, col)
            set_value(cell, value)
            if bold:
                cell.font = BOLD
            if fmt and isinstance(value, float):
                cell.number_format = fmt

    put(ws, 1, [f"Out-of-sample evaluation of {plan_path.name} on {workbook.name}"], bold=True)
    put(ws, 2, [f"Losses in periods of baseline demand lost, criticality weighted; "
                f"λ = {data.risk_weight:g}, α = {data.cvar_alpha:g}."])
    put(ws, 4, ["measure", "in sample", "out of sample", "95% low", "95% high",
                "interval method"], bold=True)
    for r, row in enumerate(_rows(ins, out, plan), start=5):
        put(ws, r, list(row), fmt="0.0000")
    r = 5 + len(_rows(ins, out, plan)) + 1
    put(ws, r, [verdict(ins, out)])
    r += 2
    facts = [
        ("in sample", f"the {ins.scenarios} scenarios of {workbook.name}'s Scenarios sheet, "
         "with their probabilities"),
        ("out of sample", f"{out.scenarios} equally likely scenarios sampled from its Risks "
         f"sheet, seed {sample.seed} on the evaluation stream SeedSequence(seed, "
         f"spawn_key=(1,)); {METHOD}"),
        ("second stage", "first-stage decisions fixed at the plan; each scenario's loss "
         "minimized on its own (optimal for any risk measure monotone in the losses); budget "
         "and market-depth rows dropped"),
        ("CVaR, risk interval", f"95% percentile bootstrap, {BOOTSTRAP_RESAMPLES} resamples, "
         "seeded from the seed"),
        ("input", f"{workbook.name} (SHA-256 {sha256_of(workbook)})"),
        ("plan", f"{plan_path.name} (SHA-256 {sha256_of(plan_path)})"),
        ("plan's Summary", ", ".join(f"{k} {v:.10g}" for k, v in plan.summary.items())
         or "not found"),
        ("stockopt version", __version__),
    ]
    for key, value in facts:
        put(ws, r, [key, value])
        ws.cell(r, 1).font = BOLD
        r += 1
    for col, width in zip("ABCDEF", (32, 14, 14, 12, 12, 44), strict=True):
        ws.column_dimensions[col].width = width

    ls = wb.create_sheet("Losses")
    put(ls, 1, ["scenario", "sample", "probability", "loss (periods of demand)", "events"],
        bold=True)
    row = 2
    for s, loss in zip(data.scenarios, ins.losses.tolist(), strict=True):
        put(ls, row, [s, "in sample", data.probability[s], loss,
                      data.scenario_description.get(s, "")])
        row += 1
    for i, loss in enumerate(losses.tolist()):
        put(ls, row, [sample.names[i], "out of sample", float(sample.probability[i]), loss,
                      describe(sample, i, data.periods)])
        row += 1
    for col, width in zip("ABCDE", (18, 14, 12, 24, 80), strict=True):
        ls.column_dimensions[col].width = width
    ls.freeze_panes = "A2"
    write_atomically(path, wb.save)


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
    try:
        _write_xlsx(output, workbook, plan_path, ins, out, plan, data, sample, losses)
        if summary_json is not None:
            write_json(summary_json, _summary_payload(workbook, plan_path, ins, out, plan,
                                                      data, sample, seconds))
    except OutputNotWritable as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_FAILURE
    if not quiet:
        click.echo(_terminal(ins, out, plan, data))
        reported = plan.summary.get("risk")
        if reported is not None and abs(reported - ins.risk) > 1e-4 * max(1.0, abs(reported)):
            click.echo(f"warning: the plan's Summary reports risk {reported:.6g}, but on this "
                       f"workbook's scenarios it is {ins.risk:.6g}: was the plan solved on "
                       "another workbook?", err=True)
        click.echo(f"wrote {output} ({seconds:.1f} s)")
    return EXIT_OK
