"""The ``stockopt sensitivity`` outputs: a workbook (tornado chart and table, every point,
About) and the JSON summary.

Sheets: ``Tornado`` (the groups that move R* most first: R* at the low and high side and
the change from the workbook's R*, with a native bar chart of the changes, the largest at
the top, and the three largest in words), ``Points`` (every point: R* and cost
re-optimized, the workbook's plan with its first stage fixed, what re-planning is worth,
whether that plan keeps the varied limits) and ``About`` (input file and SHA-256, range,
method, timings, versions). Columns, units and number formats are ``report.columns``';
cells are written through ``report.cells`` (text is never a formula). Sheets print
landscape, fit to the page width, with the table's header repeated on every page.
Written atomically.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.shapes import GraphicalProperties

from ..data import ModelData
from ..files.atomic import write_atomically
from ..files.provenance import file_sha256, package_version
from ..files.targets import check_targets
from ..studies.sensitivity import SIDES, SensitivityRun, base_value
from . import charts
from .cells import SheetWriter, TableSpan, use_fast_rows

TORNADO, POINTS, ABOUT = "Tornado", "Points", "About"

CHART_GROUPS = 25
"""The tornado chart shows this many groups at most (the table has them all)."""

LOW_COLOR, HIGH_COLOR = "2E75B6", "C00000"


def tornado_table(run: SensitivityRun, data: ModelData) -> pd.DataFrame:
    """One row per group, the one that moves R* most first."""
    rows = []
    for i, g in enumerate(run.tornado(), start=1):
        low, high = run.point(g, "low"), run.point(g, "high")
        rows.append({"rank": i, "group": g.label, "base_value": base_value(data, g),
                     "risk_change_low": low.risk - run.base_risk,
                     "risk_change_high": high.risk - run.base_risk,
                     "swing": run.swing(g)})
    return pd.DataFrame(rows, columns=["rank", "group", "base_value", "risk_change_low",
                                       "risk_change_high", "swing"])


def points_table(run: SensitivityRun) -> pd.DataFrame:
    """Every point, in group order (low, then high)."""
    rows = [{"group": p.group.label, "side": p.side, "factor": p.factor,
             "input_value": p.value, "optimal_risk": p.risk,
             "risk_change": p.risk - run.base_risk, "optimal_cost": p.cost,
             "cost_change": p.cost - run.base_cost, "fixed_risk": p.fixed_risk,
             "replanning_gain": p.replanning_gain,
             "base_plan_fits": "no" if p.breaks else "yes",
             "breaks": "; ".join(p.breaks), "seconds": p.seconds, "start": p.start}
            for p in run.points]
    return pd.DataFrame(rows, columns=["group", "side", "factor", "input_value",
                                       "optimal_risk", "risk_change", "optimal_cost",
                                       "cost_change", "fixed_risk", "replanning_gain",
                                       "base_plan_fits", "breaks", "seconds", "start"])


def sentences(run: SensitivityRun, top: int = 3) -> list[str]:
    """The groups that move R* most, in words, and what re-planning is worth."""
    out = []
    spread = f"{run.spread:.0%}"
    for g in run.tornado()[:top]:
        low, high = run.point(g, "low"), run.point(g, "high")
        out.append(f"{g.label}: {spread} lower moves R* to {low.risk:.4g} "
                   f"({low.risk - run.base_risk:+.4g}), {spread} higher to {high.risk:.4g} "
                   f"({high.risk - run.base_risk:+.4g}); the workbook's plan, kept, would "
                   f"carry {low.fixed_risk:.4g} and {high.fixed_risk:.4g}.")
    worth = max(run.points, key=lambda p: p.replanning_gain, default=None)
    if worth is not None and worth.replanning_gain > 1e-9 * max(1.0, run.base_risk):
        out.append(f"Re-planning is worth most for {worth.group.label} {worth.side}: "
                   f"{worth.replanning_gain:.4g} periods of demand less than keeping the "
                   "workbook's plan.")
    broken = sorted({p.group.label + " " + p.side for p in run.points if p.breaks})
    if broken:
        out.append("The workbook's plan breaks a varied limit at: " + ", ".join(broken)
                   + " (see Points, breaks).")
    return out


def tornado_chart(ws, span: TableSpan, n: int) -> BarChart:  # noqa: ANN001
    """Horizontal bars of the change of R* at the low and high side, per group, the
    largest swing at the top (the table's first ``n`` rows)."""
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.title = "How far each input group moves R*" + (
        f" ({n} largest of {span.last_row - span.first_row + 1})"
        if span.last_row - span.first_row + 1 > n else "")
    chart.y_axis.title = "change of R* (periods of demand lost)"
    chart.y_axis.number_format = "0.0"
    chart.x_axis.scaling.orientation = "maxMin"  # the largest swing at the top
    chart.y_axis.crosses = "max"
    chart.x_axis.tickLblPos = "low"  # labels left of the bars, whichever side they go
    chart.x_axis.tickLblSkip = 1  # every group named
    for name, color in (("risk_change_low", LOW_COLOR), ("risk_change_high", HIGH_COLOR)):
        chart.add_data(Reference(ws, min_col=span.col(name), min_row=span.header_row,
                                 max_row=span.first_row + n - 1), titles_from_data=True)
        chart.series[-1].graphicalProperties = GraphicalProperties(solidFill=color)
    chart.set_categories(Reference(ws, min_col=span.col("group"), min_row=span.first_row,
                                   max_row=span.first_row + n - 1))
    chart.gapWidth = 40
    chart.legend.position = "b"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = charts.WIDTH_CM, max(charts.HEIGHT_CM, 3.0 + 0.6 * n)
    return chart


def _print_titles(w: SheetWriter, header_row: int) -> None:
    """Repeat the table's header row on every printed page."""
    w.ws.print_title_rows = f"{header_row}:{header_row}"


def build_sensitivity_workbook(run: SensitivityRun, data: ModelData, input_path: Path
                               ) -> openpyxl.Workbook:
    """The sensitivity workbook (write-only: it can be saved once)."""
    wb = openpyxl.Workbook(write_only=True)
    cur = data.currency
    used: dict[str, list[str]] = {}
    table = tornado_table(run, data)
    w = SheetWriter(use_fast_rows(wb.create_sheet(TORNADO)), cur, used=used)
    w.layout(w.fit_widths([table], first=6), freeze=None)
    w.title(f"Sensitivity of {input_path.name}: which inputs move the risk most",
            back_to=None)
    w.note(f"Each input group varied alone by ±{run.spread:.0%}, the others as in the "
           f"workbook; R* re-optimized. The workbook's R* = {run.base_risk:.6g} periods of "
           f"demand lost, cost {run.base_cost:,.0f} {cur}.")
    for text in sentences(run):
        w.append([text])
    w.blank()
    span = w.table(table, f"{TORNADO}: groups by swing", widths=w.widths)
    _print_titles(w, span.header_row)
    n = min(CHART_GROUPS, len(table))
    if n:
        w.ws.add_chart(tornado_chart(w.ws, span, n), f"H{span.header_row}")

    points = points_table(run)
    pw = SheetWriter(use_fast_rows(wb.create_sheet(POINTS)), cur, used=used)
    pw.layout(pw.fit_widths([points], first=18), freeze="C4")
    pw.title("Every point: re-optimized, and the workbook's plan kept", back_to=TORNADO)
    pw.note("fixed_risk: the workbook's plan (purchases, offtake, swap and mitigation "
            "capacities) with its first stage fixed, each scenario's recourse re-optimized; "
            "replanning_gain = fixed_risk − optimal_risk.")
    span = pw.table(points, f"{POINTS}: every point", widths=pw.widths)
    _print_titles(pw, span.header_row)

    about = SheetWriter(use_fast_rows(wb.create_sheet(ABOUT)), cur)
    about.layout([30, 100], landscape=True)
    about.title("About this study", back_to=TORNADO)
    facts = [
        ("input workbook", input_path.name),
        ("input SHA-256", file_sha256(input_path) if input_path.exists() else ""),
        ("written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("range", f"±{run.spread:g} (low × {1 - run.spread:g}, high × {1 + run.spread:g})"),
        ("groups", f"{len(run.groups)}: " + ", ".join(g.label for g in run.groups)),
        ("solves", f"{run.solves} (the workbook, then each group low and high)"),
        ("base R*, cost", f"{run.base_risk:.10g} periods, {run.base_cost:,.2f} {cur}"),
        ("base plan's risk, fixed", f"{run.base_fixed_risk:.10g} periods (the plan stockopt "
                                    "solve reports, its losses re-optimized per scenario)"),
        ("method", "budgets and market depth change right-hand sides only: re-solved hot on "
                   "one loaded LP (dual simplex from the previous point's bases); every other "
                   "group rebuilt from arrays and started from the workbook's optimal phase-1 "
                   "basis; phases 1 and 2 as stockopt solve (R*, then the cheapest plan)"),
        ("hot starts re-run cold", str(run.fallbacks)),
        ("times (s)", ", ".join(f"{k} {v:.2f}" for k, v in run.seconds.items())),
        ("stockopt", package_version("stockopt")),
        ("HiGHS", run.highs_version),
    ]
    about.header(["item", "value"], None, texts=["item", "value"])
    for key, value in facts:
        about.append([key, value])
    return wb


def write_sensitivity_workbook(path: Path, run: SensitivityRun, data: ModelData,
                               input_path: Path) -> None:
    """Write the sensitivity workbook to ``path`` atomically (never over the input)."""
    check_targets(((Path(path), None),), ((Path(input_path), "input workbook"),))

    def write(fh: BinaryIO) -> None:
        build_sensitivity_workbook(run, data, input_path).save(fh)

    write_atomically(Path(path), write)


def summary_payload(run: SensitivityRun, data: ModelData, input_path: Path) -> dict:
    """The study as JSON-ready data: the base, the groups by swing, every point."""
    return {
        "status": "optimal",
        "input": str(input_path), "input_sha256": file_sha256(input_path),
        "currency": data.currency, "range": run.spread,
        "base": {"risk": run.base_risk, "cost": run.base_cost,
                 "fixed_plan_risk": run.base_fixed_risk},
        "units": {"risk": "periods of baseline demand lost", "cost": data.currency},
        "tornado": [{"group": g.label, "kind": g.kind, "target": g.target,
                     "base_value": base_value(data, g), "swing": run.swing(g),
                     **{f"risk_{s}": run.point(g, s).risk for s in SIDES}}
                    for g in run.tornado()],
        "points": [{"group": p.group.label, "kind": p.group.kind, "target": p.group.target,
                    "side": p.side, "factor": p.factor, "value": p.value, "risk": p.risk,
                    "cost": p.cost, "fixed_plan_risk": p.fixed_risk,
                    "replanning_gain": p.replanning_gain, "base_plan_breaks": p.breaks,
                    "seconds": round(p.seconds, 4), "start": p.start,
                    "simplex_iterations": p.iterations} for p in run.points],
        "timings_seconds": {k: round(v, 4) for k, v in run.seconds.items()},
        "solves": run.solves, "hot_starts_rerun_cold": run.fallbacks,
        "solver": {"name": "HiGHS", "version": run.highs_version},
    }
