"""The output workbook: a Summary first, then the decisions and per-scenario results.

Every output column is declared once in ``OUTPUT_COLUMNS`` (unit and meaning); the
Dictionary sheet is generated from it. Every user-supplied string is written as text,
never as a formula. The file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import __version__
from .atomic import write_atomically
from .data import ModelData
from .results import Results

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)


@dataclass(frozen=True)
class OutputColumn:
    """One output column: its unit and meaning (for the Dictionary sheet and header notes)."""

    unit: str
    meaning: str
    number_format: str = "General"


_T = "#,##0.###"
_MONEY = "#,##0"
_SHARE = "0.0%"

OUTPUT_COLUMNS: dict[str, OutputColumn] = {
    "scenario": OutputColumn("", "Disruption scenario (Scenarios sheet of the input)."),
    "party": OutputColumn("", "Allied party."),
    "mineral": OutputColumn("", "Critical mineral."),
    "period": OutputColumn("", "Planning period."),
    "stockpile": OutputColumn("", "Stockpile."),
    "source": OutputColumn("", "Origin source of the flow."),
    "offtake": OutputColumn("", "Offtake option."),
    "swap": OutputColumn("", "Swap agreement option."),
    "lender_stockpile": OutputColumn("", "Stockpile lent from."),
    "receiver": OutputColumn("", "Party that draws on the swap."),
    "return_mineral": OutputColumn("", "Mineral returned for a swap draw."),
    "return_ratio": OutputColumn("t/t", "Tonnes returned per tonne drawn.", "0.00"),
    "return_lag": OutputColumn("periods", "Periods between a draw and its return.", "0"),
    "initial_stock": OutputColumn("t", "Stock already held at the start.", _T),
    "purchase": OutputColumn("t", "Tonnes bought before period 1 (a).", _T),
    "start_level": OutputColumn("t", "Stock at the start of the horizon, S = initial + purchase.",
                                _T),
    "max_stock": OutputColumn("t", "Physical capacity (blank = unlimited).", _T),
    "purchase_cost": OutputColumn("currency", "Purchase × price.", _MONEY),
    "holding_cost": OutputColumn("currency", "Purchase × holding cost × number of periods.",
                                 _MONEY),
    "total_cost": OutputColumn("currency", "Purchase and holding cost of the purchase.", _MONEY),
    "cost_shares": OutputColumn("", "How the stockpile's costs are split between members."),
    "capacity": OutputColumn("t/period (offtakes) or t (swaps)",
                             "Capacity reserved by the plan (x for offtakes, y for swaps).", _T),
    "max_volume": OutputColumn("t/period (offtakes) or t (swaps)", "Most capacity on offer.",
                               _T),
    "fee": OutputColumn("currency per unit of capacity", "Reservation fee offered.", "#,##0.00"),
    "fee_paid": OutputColumn("currency", "Capacity × fee.", _MONEY),
    "price": OutputColumn("currency/t", "Price per tonne delivered.", "#,##0.00"),
    "first_period": OutputColumn("", "First period with offtake deliveries."),
    "chosen": OutputColumn("", "Whether the plan reserves any of this option."),
    "probability": OutputColumn("fraction", "Scenario probability.", "0.00%"),
    "loss": OutputColumn("periods of demand",
                         "L_s: shortfall in periods of baseline demand, criticality weighted.",
                         "0.0000"),
    "operating_cost": OutputColumn("currency", "Delivered offtake purchases plus the value of "
                                   "swap returns still owed at the end, in this scenario.",
                                   _MONEY),
    "description": OutputColumn("", "Scenario description from the input."),
    "in_cvar_tail": OutputColumn("", "Whether the scenario is in the worst 1 − α of "
                                 "probability that CVaR averages."),
    "demand": OutputColumn("t/period", "Demand in this scenario (baseline × shocks).", _T),
    "shortfall": OutputColumn("t/period", "Demand not met (e).", _T),
    "shortfall_share": OutputColumn("fraction", "Shortfall ÷ demand.", _SHARE),
    "loss_contribution": OutputColumn("periods of demand",
                                      "Criticality ÷ baseline demand × shortfall.", "0.0000"),
    "release": OutputColumn("t/period", "Released from the stockpile to the member (r).", _T),
    "stock_level": OutputColumn("t", "Stock at the end of the period (z).", _T),
    "draw": OutputColumn("t/period", "Swap draw (f).", _T),
    "return_amount": OutputColumn("t", "Tonnes owed back for this draw (ratio × draw).", _T),
    "return_period": OutputColumn("", "Period the return falls due."),
    "outstanding_at_end": OutputColumn("t", "Return still owed after the last period.", _T),
    "outstanding_value": OutputColumn("currency", "Replacement value of what is still owed.",
                                      _MONEY),
    "delivery": OutputColumn("t/period", "Offtake delivery taken (v).", _T),
    "cost": OutputColumn("currency", "Cost of the deliveries.", _MONEY),
}
"""Every column of the output tables, declared once."""


@dataclass
class RunAudit:
    """Facts about the run for the audit record on the Summary sheet."""

    input_path: Path
    timings: dict[str, float] = field(default_factory=dict)
    timestamp: str = field(default_factory=lambda: datetime.now(UTC).strftime(
        "%Y-%m-%d %H:%M:%S UTC"))

    @property
    def input_sha256(self) -> str:
        digest = hashlib.sha256()
        with Path(self.input_path).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()


def _text(ws: Worksheet, row: int, col: int, value: object) -> None:
    """Write a cell; strings always as text (never a formula)."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"


def _table(ws: Worksheet, df: pd.DataFrame, start_row: int = 1) -> None:
    """Write ``df`` with a styled, frozen header and formats from OUTPUT_COLUMNS."""
    for j, name in enumerate(df.columns, start=1):
        _text(ws, start_row, j, name)
        cell = ws.cell(row=start_row, column=j)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        spec = OUTPUT_COLUMNS.get(name)
        width = max(len(name) + 2, 10)
        if spec is not None and spec.unit:
            width = max(width, min(len(spec.unit) + 2, 22))
        ws.column_dimensions[get_column_letter(j)].width = min(max(width, 12), 40)
    formats = [OUTPUT_COLUMNS.get(c, OutputColumn("", "")).number_format for c in df.columns]
    for i, record in enumerate(df.itertuples(index=False), start=start_row + 1):
        for j, value in enumerate(record, start=1):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            if hasattr(value, "item"):
                value = value.item()
            _text(ws, i, j, value)
            if not isinstance(value, str | bool):
                ws.cell(row=i, column=j).number_format = formats[j - 1]
    ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
    if len(df.columns):
        ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(df.columns))}" \
                             f"{start_row + max(len(df), 1)}"


def _summary(ws: Worksheet, results: Results, data: ModelData, audit: RunAudit) -> None:
    cur = data.currency
    ws["A1"] = "stockopt results"
    ws["A1"].font = TITLE_FONT
    rows: list[tuple[str, object, str]] = [
        ("status", results.status, "both phases solved to optimality" if results.status ==
         "optimal" else "see the solver section"),
        ("risk", results.risk, "R*: (1−λ)·expected loss + λ·CVaR, periods of baseline demand"),
        ("expected_loss", results.expected_loss, "Σ_s π_s L_s of this plan (periods of demand)"),
        ("cvar", results.cvar, f"mean loss of the worst {1 - data.cvar_alpha:.0%} of "
         "probability (periods of demand)"),
        ("cost", results.cost, f"expected total cost ({cur}): preparedness spending + expected "
         "offtake purchases + value of swap returns owed at the end"),
    ]
    r = 3
    for key, value, meaning in rows:
        _text(ws, r, 1, key)
        ws.cell(row=r, column=1).font = BOLD
        _text(ws, r, 2, value)
        if isinstance(value, float):
            ws.cell(row=r, column=2).number_format = _MONEY if key == "cost" else "0.000000"
        _text(ws, r, 3, meaning)
        r += 1
    r += 1
    for j, head in enumerate(["party", f"spend ({cur})", f"budget ({cur})",
                              "budget shadow price (risk per currency unit)", "in words"], 1):
        _text(ws, r, j, head)
        ws.cell(row=r, column=j).fill, ws.cell(row=r, column=j).font = HEADER_FILL, HEADER_FONT
    r += 1
    for p in data.parties:
        price = results.budget_shadow_price.get(p, 0.0)
        budget = data.budget.get(p)
        _text(ws, r, 1, p)
        _text(ws, r, 2, results.spend[p])
        ws.cell(row=r, column=2).number_format = _MONEY
        _text(ws, r, 3, "unlimited" if budget is None else budget)
        ws.cell(row=r, column=3).number_format = _MONEY
        _text(ws, r, 4, price)
        _text(ws, r, 5, _shadow_words(p, price, cur))
        r += 1
    if data.pooled_budget is not None:
        _text(ws, r, 1, "pooled budget")
        _text(ws, r, 2, sum(results.spend.values()))
        _text(ws, r, 3, data.pooled_budget)
        _text(ws, r, 4, results.pooled_budget_shadow_price)
        _text(ws, r, 5, _shadow_words("all parties together", results.pooled_budget_shadow_price,
                                      cur))
        r += 1
    r += 1
    _text(ws, r, 1, "Audit")
    ws.cell(row=r, column=1).font = BOLD
    r += 1
    outcome = results.outcome
    audit_rows = [
        ("input file", str(Path(audit.input_path).name)),
        ("input SHA-256", audit.input_sha256),
        ("stockopt version", __version__),
        ("Pyomo version", _pyomo_version()),
        ("HiGHS version", outcome.solver_version if outcome else ""),
        ("Python", platform.python_version()),
        ("solver algorithm", outcome.algorithm if outcome else ""),
        ("risk_weight λ", data.risk_weight),
        ("cvar_alpha α", data.cvar_alpha),
        ("timestamp", audit.timestamp),
    ]
    if outcome is not None:
        audit_rows.append(("model size", f"{outcome.rows:,} rows, {outcome.columns:,} columns, "
                                         f"{outcome.nonzeros:,} nonzeros"))
        for phase in outcome.phases:
            audit_rows.append((phase.name, f"{phase.status}, {phase.seconds:.3f} s, "
                                           f"{phase.algorithm}"))
    for key, value in audit_rows:
        _text(ws, r, 1, key)
        _text(ws, r, 2, value)
        r += 1
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 22
    ws.column_dimensions["D"].width = 22
    ws.column_dimensions["E"].width = 60


def _shadow_words(who: str, price: float, currency: str) -> str:
    if price >= 0.0 or abs(price) < 1e-15:
        return f"more budget for {who} would not lower the risk (budget not binding)"
    return (f"1 million {currency} more for {who} lowers the risk by "
            f"{-price * 1e6:.6g} periods of demand")


def _pyomo_version() -> str:
    import pyomo.version

    return str(pyomo.version.version)


def _dictionary(ws: Worksheet, used: set[str]) -> None:
    df = pd.DataFrame([{"column": name, "unit": spec.unit, "meaning": spec.meaning}
                       for name, spec in OUTPUT_COLUMNS.items() if name in used])
    _table(ws, df)
    ws.column_dimensions["C"].width = 80


def build_workbook(results: Results, data: ModelData, audit: RunAudit) -> openpyxl.Workbook:
    """The output workbook as an openpyxl object (Summary first)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Summary"
    _summary(ws, results, data, audit)
    t = results.tables
    sheets = {
        "Purchases": t["purchases"],
        "Offtakes": t["offtakes"],
        "Swaps": t["swaps"],
        "Scenarios": t["scenario_losses"],
        "Shortfalls": t["shortfalls"],
        "Releases": t["releases"],
        "Stock levels": t["stock_levels"],
        "Swap draws": t["swap_draws"],
        "Offtake deliveries": t["offtake_deliveries"],
    }
    used: set[str] = set()
    for name, df in sheets.items():
        _table(wb.create_sheet(name), df)
        used.update(df.columns)
    _dictionary(wb.create_sheet("Dictionary"), used)
    return wb


def write_report(path: Path, results: Results, data: ModelData, audit: RunAudit) -> None:
    """Write the output workbook to ``path`` atomically."""
    wb = build_workbook(results, data, audit)
    write_atomically(Path(path), wb.save)
