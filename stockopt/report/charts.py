"""Native Excel charts of the output workbook (openpyxl), drawn from cells already written.

Three charts: loss by scenario (horizontal bars, worst first, the CVaR tail in red),
spend by party and lever (stacked columns), and stock levels over the periods of the
worst scenario (lines). Axes are kept visible explicitly (``delete = False``) so that
Excel and LibreOffice both draw them.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .cells import TableSpan

BLUE, RED = "2E75B6", "C00000"
LEVER_COLORS = ("2E75B6", "9DC3E6", "70AD47", "FFC000", "7030A0")
"""Purchases, holding, offtake fees, swap fees, mitigation fees."""
WIDTH_CM, HEIGHT_CM = 16.0, 8.0
MAX_HEIGHT_CM = 15.0
"""Tallest chart: within one landscape A4 page with its margins."""
LINE_HEIGHT_CM = HEIGHT_CM + 1


def _axes_visible(chart: BarChart | LineChart | ScatterChart) -> None:
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def loss_by_scenario(ws: WriteOnlyWorksheet, span: TableSpan, tail: Sequence[bool],
                     limit: int = 30) -> BarChart:
    """Bars of L_s for the ``limit`` worst scenarios of the (sorted) Scenarios table."""
    n = min(span.last_row - span.first_row + 1, limit)
    chart = BarChart()
    chart.type = "bar"
    total = span.last_row - span.first_row + 1
    chart.title = ("Loss by scenario" + (f", {n} worst of {total}" if total > n else "")
                   + (" (red: the CVaR tail)" if any(tail[:n]) else ""))
    chart.y_axis.title = "periods of baseline demand lost"
    chart.x_axis.scaling.orientation = "maxMin"  # worst at the top
    chart.y_axis.crosses = "max"  # ... and the value axis stays at the bottom
    chart.y_axis.number_format = "0.0"
    chart.legend = None
    loss = span.col("loss")
    chart.add_data(Reference(ws, min_col=loss, min_row=span.header_row,
                             max_row=span.first_row + n - 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=span.col("scenario"), min_row=span.first_row,
                                   max_row=span.first_row + n - 1))
    series = chart.series[0]
    series.graphicalProperties = GraphicalProperties(solidFill=BLUE)
    for i, in_tail in enumerate(tail[:n]):
        if in_tail:
            series.dPt.append(DataPoint(idx=i, spPr=GraphicalProperties(solidFill=RED)))
    chart.gapWidth = 40
    _axes_visible(chart)
    chart.width, chart.height = WIDTH_CM, min(MAX_HEIGHT_CM, max(HEIGHT_CM, 2.5 + 0.42 * n))
    return chart


def spend_by_party(ws: WriteOnlyWorksheet, span: TableSpan, levers: Sequence[str],
                   currency: str) -> BarChart:
    """Stacked columns: each party's spend, split by lever (in millions of ``currency``)."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Spend by party and lever"
    chart.y_axis.title = f"million {currency}"
    chart.y_axis.number_format = '#,##0,,'
    chart.y_axis.majorGridlines = None
    first, last = span.col(levers[0]), span.col(levers[-1])
    chart.add_data(Reference(ws, min_col=first, max_col=last, min_row=span.header_row,
                             max_row=span.last_row), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=span.col("party"), min_row=span.first_row,
                                   max_row=span.last_row))
    for series, color in zip(chart.series, LEVER_COLORS, strict=False):
        series.graphicalProperties = GraphicalProperties(solidFill=color)
    chart.legend.position = "b"
    chart.gapWidth = 60
    _axes_visible(chart)
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM
    return chart


def party_columns(ws: WriteOnlyWorksheet, span: TableSpan, first: str, last: str,
                  title: str, y_title: str, *, from_zero: bool = False,
                  size: tuple[float, float] = (WIDTH_CM, HEIGHT_CM)) -> BarChart:
    """Clustered columns per party (the table's ``party`` column): the table's columns
    ``first`` to ``last`` (periods of demand), titled from their headers."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = title
    chart.y_axis.title = y_title
    chart.y_axis.number_format = "0.0"
    chart.y_axis.majorGridlines = None
    if from_zero:
        chart.y_axis.scaling.min = 0
    chart.add_data(Reference(ws, min_col=span.col(first), max_col=span.col(last),
                             min_row=span.header_row, max_row=span.last_row),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=span.col("party"), min_row=span.first_row,
                                   max_row=span.last_row))
    chart.legend.position = "b"
    chart.gapWidth = 80
    _axes_visible(chart)
    chart.width, chart.height = size
    return chart


def party_risk(ws: WriteOnlyWorksheet, span: TableSpan) -> BarChart:
    """Clustered columns: each party's expected loss, CVaR and risk (periods of demand)."""
    return party_columns(ws, span, "expected_loss", "risk", "Each party's own risk",
                         "periods of demand lost")


def stock_in_worst_scenario(ws: WriteOnlyWorksheet, span: TableSpan, scenario: str) -> LineChart:
    """One line per holding: stock (t) at the start and the end of each period."""
    chart = LineChart()
    chart.title = f"Stock levels in the worst scenario ({scenario})"
    chart.y_axis.title = "t"
    chart.y_axis.number_format = "#,##0"
    chart.x_axis.title = "end of period"
    chart.add_data(Reference(ws, min_col=span.first_col + 1,
                             max_col=span.first_col + len(span.columns) - 1,
                             min_row=span.header_row, max_row=span.last_row),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=span.first_col, min_row=span.first_row,
                                   max_row=span.last_row))
    for series in chart.series:
        series.smooth = False
    chart.legend.position = "r"
    _axes_visible(chart)
    chart.width, chart.height = WIDTH_CM + 4, LINE_HEIGHT_CM
    return chart


def spend_per_period(ws: WriteOnlyWorksheet, span: TableSpan, spend_cols: Sequence[str],
                     budget_cols: Sequence[str], currency: str) -> BarChart:
    """Clustered columns: each party's spending per period (millions of ``currency``), with
    its period budgets as lines where PeriodBudgets gives them."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Spending per period against the period budgets"
    chart.y_axis.title = f"million {currency}"
    chart.y_axis.number_format = '#,##0,,'
    chart.y_axis.majorGridlines = None
    for col in spend_cols:
        chart.add_data(Reference(ws, min_col=span.col(col), min_row=span.header_row,
                                 max_row=span.last_row), titles_from_data=True)
    categories = Reference(ws, min_col=span.col("period"), min_row=span.first_row,
                           max_row=span.last_row)
    chart.set_categories(categories)
    for series, color in zip(chart.series, LEVER_COLORS, strict=False):
        series.graphicalProperties = GraphicalProperties(solidFill=color)
    if budget_cols:
        line = LineChart()
        for col in budget_cols:
            line.add_data(Reference(ws, min_col=span.col(col), min_row=span.header_row,
                                    max_row=span.last_row), titles_from_data=True)
        line.set_categories(categories)
        chart += line
    chart.legend.position = "b"
    chart.gapWidth = 60
    _axes_visible(chart)
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM
    return chart


def losses_in_and_out(ws: WriteOnlyWorksheet, span: TableSpan, n_in: int, n_out: int
                      ) -> ScatterChart:
    """The evaluation's losses, in and out of sample: each sample's losses worst first (y,
    periods of demand) against the probability of that loss or a worse one (x, %), read
    from the Losses table (in-sample rows first, then the out-of-sample ones)."""
    chart = ScatterChart()
    chart.title = "Losses in and out of sample, worst first"
    chart.x_axis.title = "probability of this loss or worse"
    chart.y_axis.title = "loss (periods of demand)"
    chart.x_axis.number_format = "0%"
    chart.y_axis.number_format = "0.0"
    chart.x_axis.scaling.min, chart.x_axis.scaling.max = 0, 1
    chart.y_axis.scaling.min = 0
    chart.x_axis.majorGridlines = None
    x_col, y_col = span.col("exceedance"), span.col("loss")
    for title, first, count, color in (("in sample", span.first_row, n_in, BLUE),
                                       ("out of sample", span.first_row + n_in, n_out, RED)):
        if count <= 0:
            continue
        xs = Reference(ws, min_col=x_col, min_row=first, max_row=first + count - 1)
        ys = Reference(ws, min_col=y_col, min_row=first, max_row=first + count - 1)
        series = Series(ys, xs, title=title)
        series.marker.symbol = "none"
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = 22000
        series.smooth = False
        chart.series.append(series)
    chart.legend.position = "b"
    _axes_visible(chart)
    chart.width, chart.height = WIDTH_CM + 6, HEIGHT_CM + 3
    return chart
