"""The frontier's outputs: a workbook (table, native charts, About sheet) and a JSON summary.

Sheets: ``Frontier`` (one row per point, units in the headers, frozen styled header),
``Charts`` (risk against budget as a scatter chart with lines; the lever mix against
budget as a stacked column chart; both native Excel charts reading the Frontier table)
and ``About`` (input file and SHA-256, versions, the sweep's definition, how shadow
prices are quoted). Strings are always written as text, never as formulas. Files are
written atomically (``stockopt.files.atomic``).
"""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..data import ModelData
from ..files.atomic import write_atomically
from ..files.provenance import file_sha256, package_version
from ..model.budgets import levers_offered
from ..studies.frontier import FrontierPoint, FrontierRun, Sweep
from .tables import step_words

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="A6A6A6")

MONEY = "#,##0"
PERIODS = "0.0000"
SHADOW = "0.000000"
SCALE = '0.00"×"'
SECONDS = "0.000"



def budget_step(sweep: Sweep) -> float:
    """The budget increment shadow prices are quoted per (currency).

    1 million, unless the budgets involved are below 100 million: then the power of ten
    at or below 1 % of the smallest positive one, so the step stays a small change.
    """
    candidates = [b for b in sweep.base.values() if b]
    if sweep.mode != "scale":
        candidates.append(max(sweep.values))
    smallest = min((b for b in candidates if b > 0), default=None)
    if smallest is None or smallest >= 1e8:
        return 1e6
    return 10.0 ** math.floor(math.log10(smallest / 100))



def _text(cell: Cell, value: str) -> None:
    """Store ``value`` as text (a leading '=' never becomes a formula)."""
    cell.value = value
    cell.data_type = "s"


def _put(ws: Worksheet, row: int, col: int, value: object, fmt: str | None = None) -> Cell:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        _text(cell, value)
    else:
        cell.value = value
        if fmt:
            cell.number_format = fmt
    return cell



def frontier_columns(run: FrontierRun, data: ModelData
                     ) -> list[tuple[str, str, object]]:
    """(header with unit, number format, getter) for each column of the Frontier table."""
    sweep, cur = run.sweep, data.currency
    step = budget_step(sweep)
    words = step_words(step)
    budgeted = [p for p in data.parties
                if any(pt.budgets.get(p) is not None for pt in run.points)]
    has_pooled = any(pt.pooled_budget is not None for pt in run.points)
    cols: list[tuple[str, str, object]] = [("point", "0", None)]
    if sweep.mode == "scale":
        cols.append(("budget scale factor (× workbook budgets)", SCALE, lambda p: p.value))
    for party in data.parties:
        cols.append((f"budget {party} ({cur}; blank = unlimited)", MONEY,
                     lambda p, q=party: p.budgets.get(q)))
    if has_pooled:
        cols.append((f"pooled budget ({cur})", MONEY, lambda p: p.pooled_budget))
    cols += [
        ("risk R* (periods of demand lost)", PERIODS, lambda p: p.risk),
        ("expected loss (periods of demand lost)", PERIODS, lambda p: p.expected_loss),
        (f"CVaR α={data.cvar_alpha:g} (periods of demand lost)", PERIODS, lambda p: p.cvar),
        (f"cost ({cur})", MONEY, lambda p: p.cost),
    ]
    for party in data.parties:
        cols.append((f"spend {party} ({cur})", MONEY, lambda p, q=party: p.spend[q]))
    cols.append((f"total spend ({cur})", MONEY, lambda p: sum(p.spend.values())))
    for lever in levers_offered(data):
        cols.append((f"{lever.replace('_', ' ')} ({cur})", MONEY,
                     lambda p, q=lever: p.levers[q]))
    for party in budgeted:
        cols.append((f"shadow price {party}: ∂R*/∂B_{party} (periods per {words} {cur})",
                     SHADOW, lambda p, q=party: p.shadow_price[q] * step))
    if has_pooled:
        cols.append((f"shadow price pooled: ∂R*/∂B_all (periods per {words} {cur})", SHADOW,
                     lambda p: p.pooled_shadow_price * step))
    if sweep.mode == "scale":
        cols.append(("∂R*/∂s (periods per 1× of the workbook budgets)", SHADOW,
                     lambda p: p.scale_derivative))
    cols += [("solve time (s)", SECONDS, lambda p: p.seconds),
             ("simplex iterations", "0", lambda p: p.iterations),
             ("start", "@", lambda p: "warm" if p.warm else "cold")]
    return cols


def swept_column(run: FrontierRun, data: ModelData) -> int:
    """1-based column of the swept parameter in the Frontier table (the charts' x axis)."""
    headers = [h for h, _f, _g in frontier_columns(run, data)]
    if run.sweep.mode == "scale":
        return 2
    if run.sweep.mode == "party":
        return headers.index(f"budget {run.sweep.party} ({data.currency}; blank = unlimited)") + 1
    return headers.index(f"pooled budget ({data.currency})") + 1


def _write_frontier(ws: Worksheet, run: FrontierRun, data: ModelData) -> dict[str, int]:
    cols = frontier_columns(run, data)
    for j, (header, _fmt, _get) in enumerate(cols, start=1):
        cell = _put(ws, 1, j, header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = Border(bottom=THIN)
        ws.column_dimensions[get_column_letter(j)].width = 16 if j > 1 else 7
    ws.row_dimensions[1].height = 75
    for i, point in enumerate(run.points, start=2):
        for j, (_header, fmt, get) in enumerate(cols, start=1):
            value = i - 1 if get is None else get(point)  # type: ignore[operator]
            _put(ws, i, j, value, fmt)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(run.points) + 1}"
    return {header: j for j, (header, _f, _g) in enumerate(cols, start=1)}


def _write_charts(ws: Worksheet, frontier: Worksheet, run: FrontierRun, data: ModelData,
                  columns: dict[str, int]) -> None:
    n = len(run.points)
    x_col = swept_column(run, data)
    x_title = [h for h, c in columns.items() if c == x_col][0]
    xs = Reference(frontier, min_col=x_col, min_row=2, max_row=n + 1)

    risk = ScatterChart()
    risk.title = "Risk against budget"
    risk.x_axis.title = x_title
    risk.y_axis.title = "periods of demand lost"
    risk.height, risk.width = 9, 18
    for header, color in (("risk R* (periods of demand lost)", "1F4E78"),
                          ("expected loss (periods of demand lost)", "70AD47"),
                          (f"CVaR α={data.cvar_alpha:g} (periods of demand lost)", "C00000")):
        ys = Reference(frontier, min_col=columns[header], min_row=1, max_row=n + 1)
        series = Series(ys, xs, title_from_data=True)
        series.marker.symbol = "circle"
        series.marker.graphicalProperties.solidFill = color
        series.graphicalProperties.line.solidFill = color
        series.smooth = False
        risk.series.append(series)
    risk.legend.position = "b"
    risk.x_axis.delete = False
    risk.y_axis.delete = False
    _put(ws, 1, 1, "Charts read the Frontier sheet; x axis: " + x_title)
    ws.add_chart(risk, "A3")

    mix = BarChart()
    mix.type = "col"
    mix.grouping = "stacked"
    mix.overlap = 100
    mix.title = "Lever mix against budget"
    mix.x_axis.title = x_title
    mix.y_axis.title = f"spend ({data.currency})"
    mix.height, mix.width = 9, 18
    first = columns[[h for h in columns if h.startswith("purchase cost")][0]]
    data_ref = Reference(frontier, min_col=first,
                         max_col=first + len(levers_offered(data)) - 1, min_row=1,
                         max_row=n + 1)
    mix.add_data(data_ref, titles_from_data=True)
    mix.set_categories(xs)
    mix.legend.position = "b"
    mix.x_axis.delete = False
    mix.y_axis.delete = False
    ws.add_chart(mix, "A22")


def _write_about(ws: Worksheet, run: FrontierRun, data: ModelData, input_path: Path,
                 sha256: str, timestamp: str) -> None:
    sweep = run.sweep
    step = budget_step(sweep)
    base = ", ".join(f"{p} {'unlimited' if b is None else f'{b:,.0f}'}"
                     for p, b in sweep.base.items() if p != "pooled")
    pooled = sweep.base.get("pooled")
    rows: list[tuple[str, object]] = [
        ("input file", Path(input_path).name),
        ("input SHA-256", sha256),
        ("written", timestamp),
        ("sweep", sweep.describe()),
        ("swept", sweep.parameter_name),
        ("range", sweep.range_text),
        ("points", len(sweep.values)),
        ("workbook budgets", f"{base} {data.currency}"
         + (f"; pooled {pooled:,.0f} {data.currency}" if pooled is not None else "")),
        ("risk weight λ, CVaR level α", f"{data.risk_weight:g}, {data.cvar_alpha:g}"),
        ("shadow prices", f"∂R*/∂B from phase 1, quoted per {step_words(step)} "
         f"{data.currency} (≤ 0: the risk change for that much more budget, at the "
         "margin; at a kink of the frontier any valid one-sided value)"),
        ("∂R*/∂s", "scale sweeps: Σ_p B_p·∂R*/∂B_p (+ B_all·∂R*/∂B_all) with the workbook's "
         "budgets B, periods per 1× of those budgets (multiply by 0.1 for a 10 % rise)"),
        ("levers", "purchase cost and holding cost (on the purchases, for all periods) of "
         "stockpiles, offtake, swap and mitigation fees; the levers sum to the total spend"),
        ("method", "model built once; each point changes only budget bounds and re-solves "
         "both phases from the previous point's bases (dual simplex); points are solved "
         "from the largest budget down"),
        ("build and load (s)", round(run.build_seconds, 3)),
        ("total time (s)", round(run.total_seconds, 3)),
        ("warm phases re-run cold", run.fallbacks),
        ("stockopt", package_version("stockopt")),
        ("HiGHS", run.highs_version),
        ("highspy", package_version("highspy")),
        ("openpyxl", openpyxl.__version__),
    ]
    _put(ws, 1, 1, "About this frontier").font = Font(bold=True, size=14)
    for i, (key, value) in enumerate(rows, start=3):
        _put(ws, i, 1, key).font = Font(bold=True)
        _put(ws, i, 2, value)
        ws.cell(row=i, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100


def build_frontier_workbook(run: FrontierRun, data: ModelData, input_path: Path,
                            sha256: str | None = None) -> openpyxl.Workbook:
    """The frontier workbook (Frontier, Charts, About) in memory."""
    sha256 = sha256 or file_sha256(input_path)
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    wb = openpyxl.Workbook()
    frontier = wb.active
    frontier.title = "Frontier"
    columns = _write_frontier(frontier, run, data)
    _write_charts(wb.create_sheet("Charts"), frontier, run, data, columns)
    _write_about(wb.create_sheet("About"), run, data, input_path, sha256, timestamp)
    return wb


def write_frontier_workbook(path: Path, run: FrontierRun, data: ModelData,
                            input_path: Path) -> None:
    """Write the frontier workbook to ``path`` atomically (raises OutputNotWritable)."""
    wb = build_frontier_workbook(run, data, input_path)
    buffer = io.BytesIO()
    wb.save(buffer)
    write_atomically(Path(path), lambda fh: fh.write(buffer.getvalue()))


def point_dict(point: FrontierPoint) -> dict:
    """One point for the JSON summary (money in currency, risk in periods, duals per unit)."""
    return {
        "value": point.value, "budgets": point.budgets, "pooled_budget": point.pooled_budget,
        "risk": point.risk, "expected_loss": point.expected_loss, "cvar": point.cvar,
        "cost": point.cost, "spend": point.spend, "spend_by_lever": point.levers,
        "budget_shadow_price": point.shadow_price,
        "pooled_budget_shadow_price": point.pooled_shadow_price,
        "period_budget_shadow_price": point.period_shadow_price,
        "scale_derivative": point.scale_derivative, "seconds": round(point.seconds, 4),
        "simplex_iterations": point.iterations, "start": "warm" if point.warm else "cold",
    }


def summary_payload(run: FrontierRun, data: ModelData, input_path: Path) -> dict:
    """The frontier as JSON-ready data: the sweep, then one entry per point."""
    sweep = run.sweep
    return {
        "status": "optimal",
        "input": str(input_path), "input_sha256": file_sha256(input_path),
        "currency": data.currency,
        "sweep": {"mode": sweep.mode, "party": sweep.party, "range": sweep.range_text,
                  "values": list(sweep.values),
                  "unit": "×" if sweep.mode == "scale" else data.currency,
                  "workbook_budgets": {k: v for k, v in sweep.base.items() if k != "pooled"},
                  "workbook_pooled_budget": sweep.base.get("pooled")},
        "units": {"risk": "periods of baseline demand lost", "money": data.currency,
                  "budget_shadow_price": f"periods per {data.currency}",
                  "scale_derivative": "periods per 1× of the workbook budgets"},
        "points": [point_dict(p) for p in run.points],
        "timings_seconds": {"build": round(run.build_seconds, 4),
                            "total": round(run.total_seconds, 4)},
        "warm_phases_rerun_cold": run.fallbacks,
        "solver": {"name": "HiGHS", "version": run.highs_version},
    }


def write_summary_json(path: Path, payload: dict) -> None:
    """Write ``payload`` as pretty JSON, atomically."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=float) + "\n"
    write_atomically(Path(path), lambda fh: fh.write(text.encode("utf-8")))
