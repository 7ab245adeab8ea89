"""The ``stockopt compare`` outputs: plans side by side in a workbook, and a JSON summary.

Sheets: ``Comparison`` (headline numbers, each party's risk, spend by party and lever, one
column per plan, the rows where the plans differ highlighted; limits a plan breaks on this
input; on a fresh sample, each plan's statistics and the paired differences), ``Decisions``
(the decisions that differ, every plan's value highlighted), ``Losses`` (each plan's loss in
each of the input's scenarios, with a clustered bar chart), ``Sampled losses`` (with
``--samples``: each plan's loss on every sampled scenario, the same scenarios for all) and
``About``. Cells go through ``report.cells`` (text never a formula); sheets print landscape,
fit to width, headers repeated. Written atomically.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import PatternFill

from ..data import ModelData
from ..files.atomic import write_atomically
from ..files.provenance import file_sha256, package_version
from ..files.targets import check_targets
from ..solver.driver import highs_version
from ..studies.comparison import (
    Comparison,
    differs,
    headline,
    paired_differences,
    scenario_losses,
)
from ..workbook.sampling import METHOD
from . import charts
from .cells import BOLD, SheetWriter, TableSpan, use_fast_rows
from .columns import LOSS, MONEY, TONNES

COMPARISON, DECISIONS, LOSSES, SAMPLED, ABOUT = ("Comparison", "Decisions", "Losses",
                                                 "Sampled losses", "About")

CHANGED_FILL = PatternFill("solid", fgColor="FFF2CC")
"""The fill of values that differ between the plans."""

PLAN_COLORS = ("2E75B6", "C00000", "70AD47", "FFC000", "7030A0", "9DC3E6")


def _format(unit: str) -> str:
    return LOSS if unit.startswith("periods") else TONNES if unit.startswith("t") else MONEY


def _write_wide(w: SheetWriter, df: pd.DataFrame, names: list[str], key_cols: list[str],
                highlight: list[bool], unit_col: str | None = "unit") -> TableSpan:
    """A table with one column per plan; the plan cells of highlighted rows filled."""
    header = w.header(list(df.columns), None, texts=list(df.columns), widths=w.widths)
    w.ws.print_title_rows = f"{header}:{header}"
    for (_i, row), hot in zip(df.iterrows(), highlight, strict=True):
        fmt = _format(str(row[unit_col])) if unit_col else LOSS
        cells: list[object] = []
        for col in df.columns:
            value = row[col]
            if col in names or col == "difference":
                cells.append(w.cell(float(value), fmt, fill=CHANGED_FILL if hot else None))
            elif col in key_cols:
                cells.append(w.cell(value))
            else:
                cells.append(w.cell(value, "0.0%" if col == "probability" else None))
        w.append(cells)
    if not len(df):
        w.note("(none)")
    return TableSpan(w.ws.title, header, header + 1, header + len(df), list(df.columns))


def losses_chart(ws, span: TableSpan, names: list[str]) -> BarChart:  # noqa: ANN001
    """Clustered bars: each plan's loss per scenario (periods of demand lost)."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Loss per scenario, plan by plan"
    chart.y_axis.title = "periods of baseline demand lost"
    chart.y_axis.number_format = "0.0"
    for i, name in enumerate(names):
        chart.add_data(Reference(ws, min_col=span.col(name), min_row=span.header_row,
                                 max_row=span.last_row), titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = PLAN_COLORS[i % len(PLAN_COLORS)]
    chart.set_categories(Reference(ws, min_col=span.col("scenario"), min_row=span.first_row,
                                   max_row=span.last_row))
    chart.legend.position = "b"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = charts.WIDTH_CM + 4, charts.HEIGHT_CM
    return chart


def sentences(comparison: Comparison, data: ModelData) -> list[str]:
    """What differs, in words: risk and cost against the first plan, broken limits, the
    paired differences on the sample."""
    plans = comparison.plans
    first = plans[0]
    out = []
    for p in plans[1:]:
        a, b = first.results, p.results
        risk = (f"the same risk ({b.risk:.6g} periods of demand)"
                if not differs([a.risk, b.risk]) else
                f"risk {b.risk - a.risk:+.4g} periods of demand ({b.risk:.6g} against "
                f"{a.risk:.6g})")
        cost = ("the same cost" if not differs([a.cost, b.cost]) else
                f"cost {b.cost - a.cost:+,.0f} {data.currency}")
        out.append(f"{p.name} against {first.name}: {risk}, {cost}.")
    n = len(comparison.decisions)
    out.append(f"{n} decision{'s' if n != 1 else ''} differ" + (" (see Decisions)." if n else
                                                                ": the plans are the same."))
    for p in plans:
        if p.breaks:
            out.append(f"{p.name} breaks a limit of this input: " + "; ".join(p.breaks[:3])
                       + (f" (and {len(p.breaks) - 3} more)" if len(p.breaks) > 3 else "")
                       + ".")
    for d in paired_differences(comparison):
        verdict = ("lower" if d.high < 0 else "higher" if d.low > 0 else
                   "not distinguishable from")
        out.append(f"On the {comparison.sample.size} sampled scenarios (the same for every "
                   f"plan), {d.plan}'s mean loss is {d.mean:+.4g} periods against "
                   f"{first.name}'s (95% interval [{d.low:+.4g}, {d.high:+.4g}]): {verdict}"
                   f"{' than' if verdict != 'not distinguishable from' else ''} "
                   f"{first.name}'s.")
    return out


def build_comparison_workbook(comparison: Comparison, data: ModelData, input_path: Path
                              ) -> openpyxl.Workbook:
    """The comparison workbook (write-only: it can be saved once)."""
    wb = openpyxl.Workbook(write_only=True)
    cur = data.currency
    names = comparison.names
    plan_widths = [max(14, min(30, len(n) + 2)) for n in names]

    table = headline(comparison, data)
    w = SheetWriter(use_fast_rows(wb.create_sheet(COMPARISON)), cur)
    w.layout([34, 18, *plan_widths, 9], freeze=None)
    w.title(f"Plans compared on {input_path.name}", back_to=None)
    w.note("Each plan's first stage fixed and evaluated on the input's scenarios (each "
           "scenario's loss minimized, then the cheapest recourse), like stockopt evaluate; "
           "values that differ between the plans are highlighted.")
    for text in sentences(comparison, data):
        w.append([text])
    w.blank()
    _write_wide(w, table, names, ["measure", "unit"], [d == "yes" for d in table["differs"]])
    if comparison.sample is not None:
        w.blank()
        w.section(f"On {comparison.sample.size} fresh scenarios sampled from the Risks sheet "
                  f"(seed {comparison.sample.seed}; the same scenarios for every plan)")
        rows = []
        for label, get in (("expected loss", lambda s: s.expected_loss),
                           (f"CVaR {data.cvar_alpha:g}", lambda s: s.cvar),
                           ("risk R", lambda s: s.risk)):
            for part, pick in (("", lambda iv: iv.value), (" 95% low", lambda iv: iv.low),
                               (" 95% high", lambda iv: iv.high)):
                values = [pick(get(p.sample_statistics)) for p in comparison.plans]
                rows.append({"measure": label + part, "unit": "periods of demand",
                             **dict(zip(names, values, strict=True))})
        sampled = pd.DataFrame(rows, columns=["measure", "unit", *names])
        _write_wide(w, sampled, names, ["measure", "unit"], [False] * len(sampled))

    dw = SheetWriter(use_fast_rows(wb.create_sheet(DECISIONS)), cur)
    dw.layout([34, 20, 10, *plan_widths, 14], freeze="A4")
    dw.title("Decisions that differ between the plans", back_to=COMPARISON)
    dw.note("Purchases per holding (and per order period when the input orders over time), "
            "offtake, swap and mitigation capacities; difference = last plan − first.")
    _write_wide(dw, comparison.decisions, names, ["decision", "kind", "unit"],
                [True] * len(comparison.decisions))

    losses = scenario_losses(comparison, data)
    lw = SheetWriter(use_fast_rows(wb.create_sheet(LOSSES)), cur)
    lw.layout([22, 12, *plan_widths], freeze="A4")
    lw.title("Loss per scenario, plan by plan (periods of baseline demand lost)",
             back_to=COMPARISON)
    lw.note("The input's scenarios with their probabilities; rows where the plans' losses "
            "differ are highlighted.")
    span = _write_wide(lw, losses, names, ["scenario"],
                       [bool(len(names) > 1 and (losses[names].max(axis=1) - losses[names].min(
                           axis=1)).iloc[i] > 1e-6) for i in range(len(losses))],
                       unit_col=None)
    if len(losses):
        lw.ws.add_chart(losses_chart(lw.ws, span, names), f"A{span.last_row + 3}")

    if comparison.sample is not None:
        sample = comparison.sample
        sw = SheetWriter(use_fast_rows(wb.create_sheet(SAMPLED)), cur)
        sw.layout([18, *plan_widths], freeze="A4")
        sw.title("Loss on every sampled scenario, plan by plan", back_to=COMPARISON)
        sw.note(f"{sample.size} scenarios sampled from the input's Risks sheet, seed "
                f"{sample.seed}, evaluation stream; {METHOD}")
        frame = pd.DataFrame({"scenario": sample.names,
                              **{p.name: p.sample_losses for p in comparison.plans}})
        _write_wide(sw, frame, names, ["scenario"], [False] * len(frame), unit_col=None)

    about = SheetWriter(use_fast_rows(wb.create_sheet(ABOUT)), cur)
    about.layout([30, 100])
    about.title("About this comparison", back_to=COMPARISON)
    facts = [("input workbook", input_path.name),
             ("input SHA-256", file_sha256(input_path) if input_path.exists() else ""),
             ("written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))]
    for p in comparison.plans:
        facts.append((f"plan {p.name}", f"{p.path.name} (SHA-256 {file_sha256(p.path)})"))
    facts += [("evaluation", "first stage fixed at the plan; per scenario the loss minimized, "
                             "then the cheapest recourse at that loss (stockopt evaluate's "
                             "method); budgets and other first-stage limits are not imposed, "
                             "only checked"),
              ("differs", "values more than 1e-6 × max(1, |value|) apart"),
              ("stockopt", package_version("stockopt")), ("HiGHS", highs_version())]
    about.header(["item", "value"], None, texts=["item", "value"])
    for key, value in facts:
        about.append([about.cell(key, font=BOLD), value])
    return wb


def write_comparison_workbook(path: Path, comparison: Comparison, data: ModelData,
                              input_path: Path) -> None:
    """Write the comparison workbook to ``path`` atomically (never over an input)."""
    check_targets(((Path(path), None),), ((Path(input_path), "input workbook"),
                                          *((p.path, "plan workbook") for p in comparison.plans)))

    def write(fh: BinaryIO) -> None:
        build_comparison_workbook(comparison, data, input_path).save(fh)

    write_atomically(Path(path), write)


def summary_payload(comparison: Comparison, data: ModelData, input_path: Path) -> dict:
    """The comparison as JSON-ready data."""
    losses = scenario_losses(comparison, data)
    plans = {}
    for p in comparison.plans:
        r = p.results
        entry = {"path": str(p.path), "sha256": file_sha256(p.path), "risk": r.risk,
                 "expected_loss": r.expected_loss, "cvar": r.cvar, "cost": r.cost,
                 "spend": r.spend, "spend_by_lever": r.spend_by_lever, "parties": r.parties,
                 "breaks": p.breaks,
                 "losses": dict(zip(losses["scenario"], losses[p.name].tolist(), strict=True))}
        if p.sample_statistics is not None:
            s = p.sample_statistics
            entry["sample"] = {k: {"value": iv.value, "low": iv.low, "high": iv.high}
                               for k, iv in (("expected_loss", s.expected_loss),
                                             ("cvar", s.cvar), ("risk", s.risk))}
        plans[p.name] = entry
    payload = {
        "status": "evaluated", "input": str(input_path),
        "input_sha256": file_sha256(input_path), "currency": data.currency,
        "units": {"risk": "periods of baseline demand lost", "money": data.currency},
        "plans": plans,
        "decisions_differing": comparison.decisions.to_dict(orient="records"),
        "measures_differing": [r["measure"] for r in headline(comparison, data)
                               .to_dict(orient="records") if r["differs"] == "yes"],
    }
    if comparison.sample is not None:
        payload["sample"] = {"scenarios": comparison.sample.size,
                             "seed": comparison.sample.seed,
                             "paired_mean_loss_difference": [
                                 {"plan": d.plan, "against": comparison.plans[0].name,
                                  "mean": d.mean, "low": d.low, "high": d.high}
                                 for d in paired_differences(comparison)]}
    return payload

