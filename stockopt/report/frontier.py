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
from .columns import LOSS, MONEY, RATE
from .printing import FONT, break_before, page_setup, repeat_columns, repeat_rows
from .tables import step_words

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(name=FONT, bold=True, color="FFFFFF")
BOLD = Font(name=FONT, bold=True)
THIN = Side(style="thin", color="A6A6A6")

PERIODS = LOSS
SHADOW = RATE
SCALE = '0.00"×"'
SECONDS = "0.00"
COLUMN_WIDTH = 11
"""Width of the Frontier table's number columns (characters; headers wrap)."""
CHART_WIDTH_CM, CHART_HEIGHT_CM = 24.0, 11.0
"""Each chart within one landscape A4 page (27.7 × 19 cm inside the margins)."""



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
        cols.append((lever_header(lever, data), MONEY, lambda p, q=lever: p.levers[q]))
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


def lever_header(lever: str, data: ModelData) -> str:
    """The Frontier table's header of spend lever ``lever``: 'swap fees (USD)'."""
    return f"{lever.replace('_', ' ')} ({data.currency})"


def levers_used(run: FrontierRun, data: ModelData) -> list[str]:
    """The levers the workbook offers that some point spends on (the lever mix chart's
    series): a lever with nothing to buy (no swaps offered, say) gets no legend entry."""
    return [lv for lv in levers_offered(data)
            if _offers(lv, data) and any(abs(p.levers.get(lv, 0.0)) > 1e-9
                                         for p in run.points)]


def _offers(lever: str, data: ModelData) -> bool:
    """Whether ``data`` has anything for spend lever ``lever`` to pay for."""
    return {"offtake_fees": bool(data.offtakes), "swap_fees": bool(data.swaps),
            "mitigation_fees": bool(data.mitigations)}.get(lever, True)


def _largest_spend(run: FrontierRun) -> float:
    return max((sum(p.spend.values()) for p in run.points), default=0.0)


def _column_values(ws: Worksheet, col: int, n: int) -> list[object]:
    return [ws.cell(row=i, column=col).value for i in range(2, n + 2)]


def _sensible_axes(chart: ScatterChart, xs: list[float], scale: bool) -> None:
    """The x axis from the smallest to the largest swept value (never past the data), in
    millions (or × for a scale sweep); axes drawn."""
    if xs:
        low, high = min(xs), max(xs)
        pad = (high - low) * 0.02 if high > low else max(abs(high) * 0.05, 1.0)
        chart.x_axis.scaling.min = max(0.0, low - pad) if low >= 0 else low - pad
        chart.x_axis.scaling.max = high + pad
    chart.x_axis.number_format = SCALE if scale else _money_axis(max(xs, default=0.0))
    chart.x_axis.majorGridlines = None


def _money_axis(largest: float) -> str:
    """An axis number format for money up to ``largest``: millions ('12M') from a million
    up, whole units below."""
    return '#,##0,,"M"' if largest >= 1e6 else "#,##0"


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
        ws.column_dimensions[get_column_letter(j)].width = COLUMN_WIDTH if j > 1 else 7
    ws.row_dimensions[1].height = 105
    for i, point in enumerate(run.points, start=2):
        for j, (_header, fmt, get) in enumerate(cols, start=1):
            value = i - 1 if get is None else get(point)  # type: ignore[operator]
            _put(ws, i, j, value, fmt)
    ws.freeze_panes = "B2"
    page_setup(ws)
    repeat_rows(ws, 1)
    repeat_columns(ws, "A")
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(run.points) + 1}"
    return {header: j for j, (header, _f, _g) in enumerate(cols, start=1)}


def _write_charts(ws: Worksheet, frontier: Worksheet, run: FrontierRun, data: ModelData,
                  columns: dict[str, int]) -> None:
    n = len(run.points)
    x_col = swept_column(run, data)
    x_title = [h for h, c in columns.items() if c == x_col][0]
    xs = Reference(frontier, min_col=x_col, min_row=2, max_row=n + 1)

    x_values = [float(v) for v in _column_values(frontier, x_col, n) if v is not None]
    risk = ScatterChart()
    risk.title = "Risk against budget"
    risk.x_axis.title = x_title
    risk.y_axis.title = "periods of demand lost"
    risk.height, risk.width = CHART_HEIGHT_CM, CHART_WIDTH_CM
    risk.style = 13
    _sensible_axes(risk, x_values, run.sweep.mode == "scale")
    risk.y_axis.number_format = "0.0"
    risk.y_axis.scaling.min = 0
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
    page_setup(ws)
    ws.add_chart(risk, "A3")

    mix = BarChart()
    mix.type = "col"
    mix.grouping = "stacked"
    mix.overlap = 100
    mix.title = "Lever mix against budget"
    mix.x_axis.title = x_title
    mix.y_axis.title = f"spend ({data.currency})"
    mix.height, mix.width = CHART_HEIGHT_CM, CHART_WIDTH_CM
    mix.y_axis.number_format = _money_axis(_largest_spend(run))
    mix.y_axis.scaling.min = 0
    mix.x_axis.number_format = (SCALE if run.sweep.mode == "scale"
                                else _money_axis(max(x_values, default=0.0)))
    for lever in levers_used(run, data):  # a lever the workbook does not offer has no entry
        mix.add_data(Reference(frontier, min_col=columns[lever_header(lever, data)],
                               min_row=1, max_row=n + 1), titles_from_data=True)
    mix.set_categories(xs)
    mix.legend.position = "b"
    mix.x_axis.delete = False
    mix.y_axis.delete = False
    ws.add_chart(mix, "A27")  # 24 rows of 0.5 cm below the first chart: its own page
    break_before(ws, 26)


ABOUT_WIDTH = 90
"""Width of the About sheet's value column (characters): with the labels, one page wide."""

_LEVER_WORDS = {
    "purchase_cost": "purchase cost of the stockpile purchases",
    "holding_cost": "holding cost of the purchases, for all periods",
    "offtake_fees": "offtake reservation fees",
    "swap_fees": "swap reservation fees",
    "mitigation_fees": "mitigation preparation fees",
}


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
        ("levers", f"{len(levers_offered(data))} spend columns, which sum to the total spend: "
         + "; ".join(_LEVER_WORDS[lv] for lv in levers_offered(data))
         + (f". The lever mix chart shows the {len(levers_used(run, data))} with any spend"
            if len(levers_used(run, data)) < len(levers_offered(data)) else "")),
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
    _put(ws, 1, 1, "About this frontier").font = Font(name=FONT, bold=True, size=14)
    for i, (key, value) in enumerate(rows, start=3):
        label = _put(ws, i, 1, key)
        label.font = BOLD
        label.alignment = Alignment(vertical="top", wrap_text=True)
        _put(ws, i, 2, value, "0.00" if isinstance(value, float) else None)
        ws.cell(row=i, column=2).alignment = Alignment(wrap_text=True, vertical="top",
                                                       horizontal="left")
        lines = max(1, math.ceil(len(str(value)) / (ABOUT_WIDTH - 4)))
        ws.row_dimensions[i].height = 15 * lines
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = ABOUT_WIDTH
    page_setup(ws)


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
