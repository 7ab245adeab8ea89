"""The ``stockopt evaluate`` output workbook: the loss statistics of a plan in sample and
out of sample (sheet Evaluation, with how they were obtained) and every scenario's loss
(sheet Losses). Written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font

from .. import __version__
from ..data import ModelData
from ..files.atomic import write_atomically
from ..studies.evaluation import BOOTSTRAP_RESAMPLES, InSample, Plan, Statistics, verdict
from ..workbook.sampling import METHOD, Sample, describe, sha256_of
from .cells import set_value

BOLD = Font(bold=True)


def evaluation_rows(ins: InSample, out: Statistics, plan: Plan) -> list[tuple[str, object, object,
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


def write_evaluation_workbook(path: Path, workbook: Path, plan_path: Path, ins: InSample,
                              out: Statistics, plan: Plan, data: ModelData, sample: Sample,
                              losses: np.ndarray) -> None:
    """Write the evaluation workbook (sheets Evaluation and Losses) to ``path``, atomically."""
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
    for r, row in enumerate(evaluation_rows(ins, out, plan), start=5):
        put(ws, r, list(row), fmt="0.0000")
    r = 5 + len(evaluation_rows(ins, out, plan)) + 1
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
