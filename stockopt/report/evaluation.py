"""The ``stockopt evaluate`` output workbook: the loss statistics of a plan in sample and
out of sample (sheet Evaluation, with the verdict, how they were obtained and a chart of
the losses in and out of sample) and every scenario's loss (sheet Losses). Written
atomically, in the product's page setup and number formats.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from .. import __version__
from ..data import ModelData
from ..files.atomic import write_atomically
from ..studies.evaluation import (
    BOOTSTRAP_RESAMPLES,
    MIN_TAIL_SCENARIOS,
    InSample,
    Plan,
    Statistics,
    sample_warnings,
    verdict,
)
from ..workbook.sampling import METHOD, Sample, describe, sha256_of
from . import charts
from .cells import BOLD, SheetWriter, use_fast_rows
from .columns import LOSS, PERCENT, number_text
from .printing import break_before


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


VERDICT_WIDTH = 120
"""Characters per line of the verdict and the warnings (the table's width: one page wide)."""


def write_evaluation_workbook(path: Path, workbook: Path, plan_path: Path, ins: InSample,
                              out: Statistics, plan: Plan, data: ModelData, sample: Sample,
                              losses: np.ndarray) -> None:
    """Write the evaluation workbook (sheets Evaluation and Losses) to ``path``, atomically.

    Evaluation: the statistics in and out of sample with their intervals, the verdict and
    any small-sample warnings (wrapped to the table's width), how the numbers were
    obtained, and a chart of the losses in and out of sample (each sample's losses worst
    first against the share of probability at or above them). Losses: every scenario's
    loss, each sample worst first, in the product's number formats."""
    wb = Workbook(write_only=True)
    ev = SheetWriter(use_fast_rows(wb.create_sheet("Evaluation")), data.currency)
    ls = SheetWriter(use_fast_rows(wb.create_sheet("Losses")), data.currency)

    table = losses_table(ins, data, sample, losses)
    ls.layout([18, 14, 12, 14, 16, 80], freeze="A2")
    span = ls.table(table, None, widths=ls.widths, headers=LOSS_HEADERS,
                    formats=["General", "General", PROBABILITY, LOSS, PERCENT, "General"])
    ls.finish()

    ev.layout([32, 14, 14, 12, 12, 44], freeze=None)
    ev.title(f"Out-of-sample evaluation of {plan_path.name} on {workbook.name}", back_to=None)
    ev.note(f"Losses in periods of baseline demand lost, criticality weighted; "
            f"λ = {data.risk_weight:g}, α = {data.cvar_alpha:g}.")
    ev.blank()
    rows = evaluation_rows(ins, out, plan)
    frame = pd.DataFrame([list(r) for r in rows], columns=["measure", "in", "out", "low",
                                                             "high", "method"])
    ev.table(frame.iloc[:1], None, widths=ev.widths, headers=EVALUATION_HEADERS,
             formats=["General", "#,##0", "#,##0", "General", "General", "General"])
    for _, row in frame.iloc[1:].iterrows():  # one number format per row's kind
        fmt = PERCENT if row["measure"].startswith("share") else LOSS
        ev.append([row["measure"], *(ev.cell(v, fmt) if v is not None else None
                                     for v in row.iloc[1:5]), row["method"]])
    ev.blank()
    ev.section("Verdict")
    for line in textwrap.wrap(verdict(ins, out), VERDICT_WIDTH):
        ev.append([ev.cell(line, font=BOLD)])
    warnings = sample_warnings(ins, out, data.cvar_alpha)
    for text in warnings:
        for i, line in enumerate(textwrap.wrap(text, VERDICT_WIDTH - 10)):
            ev.append([("Warning: " if i == 0 else "  ") + line])
    ev.blank()
    ev.section("How the numbers were obtained")
    facts = [
        ("in sample", f"the {ins.scenarios} scenarios of {workbook.name}'s Scenarios sheet, "
         "with their probabilities"),
        ("out of sample", f"{out.scenarios} equally likely scenarios sampled from its Risks "
         f"sheet, seed {sample.seed} on the evaluation stream SeedSequence(seed, "
         f"spawn_key=(1,)); {METHOD}"),
        ("CVaR tail", f"in sample {ins.tail_scenarios} scenarios, out of sample N·(1 − α) = "
         f"{number_text(out.tail_scenarios)} (conclusions need at least "
         f"{MIN_TAIL_SCENARIOS})"),
        ("second stage", "first-stage decisions fixed at the plan; each scenario's loss "
         "minimized on its own (optimal for any risk measure monotone in the losses); budget "
         "and market-depth rows dropped"),
        ("CVaR, risk interval", f"95% percentile bootstrap, {BOOTSTRAP_RESAMPLES} resamples, "
         "seeded from the seed"),
        ("input", f"{workbook.name} (SHA-256 {sha256_of(workbook)})"),
        ("plan", f"{plan_path.name} (SHA-256 {sha256_of(plan_path)})"),
        ("plan's Summary", ", ".join(f"{k} {number_text(v)}" for k, v in plan.summary.items())
         or "not found"),
        ("stockopt version", __version__),
    ]
    for key, value in facts:
        lines = textwrap.wrap(value, VERDICT_WIDTH - 32) or [""]
        ev.append([ev.cell(key, font=BOLD), lines[0]])
        for line in lines[1:]:
            ev.append([None, line])
    ev.blank()
    ev.section("Losses in and out of sample")
    ev.ws.add_chart(charts.losses_in_and_out(ls.ws, span, len(ins.losses), len(losses)),
                    f"A{ev.row + 1}")
    break_before(ev.ws, ev.row)
    write_atomically(path, wb.save)


EVALUATION_HEADERS = ["measure", "in sample", "out of sample", "95% low", "95% high",
                      "interval method"]
LOSS_HEADERS = ["scenario", "sample", "probability (%)", "loss (periods of demand)",
                "probability of this loss or worse (%)", "events"]
PROBABILITY = "0.00%"
"""Scenario probabilities: two decimals, as sampled scenarios are often below 1%."""


def losses_table(ins: InSample, data: ModelData, sample: Sample, losses: np.ndarray
                 ) -> pd.DataFrame:
    """Every scenario's loss, the in-sample ones then the out-of-sample ones, each worst
    first (ties in input order), with the probability of that loss or a worse one within
    its sample."""
    frames = []
    inside = pd.DataFrame({"scenario": list(data.scenarios), "sample": "in sample",
                           "probability": [data.probability[s] for s in data.scenarios],
                           "loss": ins.losses.astype(float),
                           "events": [data.scenario_description.get(s, "")
                                      for s in data.scenarios]})
    outside = pd.DataFrame({"scenario": list(sample.names[:len(losses)]),
                            "sample": "out of sample",
                            "probability": np.asarray(sample.probability[:len(losses)],
                                                      dtype=float),
                            "loss": np.asarray(losses, dtype=float),
                            "events": [describe(sample, i, data.periods)
                                       for i in range(len(losses))]})
    for frame in (inside, outside):
        frame = frame.sort_values("loss", ascending=False, kind="stable")
        frame["exceedance"] = frame["probability"].cumsum().clip(upper=1.0)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    return table[["scenario", "sample", "probability", "loss", "exceedance", "events"]]
