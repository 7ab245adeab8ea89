"""The Summary's section on the price of every limit (``results.limits``), in one function.

``write_limit_prices`` writes, under the spend and budget section: the three limits whose
relaxation by 1% of their value lowers R* most, in words; ``write_limit_table``, further
down the sheet (after the charts and shortfalls, so the Summary's first page stays the
headline), the table of every limit with a nonzero shadow price (rank, limit, value and
unit, ∂R*/∂limit, the risk reduction of a 1% relaxation), columns declared in
``report.columns`` like every other table.
"""

from __future__ import annotations

import pandas as pd

from ..data import ModelData
from ..results.extract import Results
from ..results.limits import LimitPrice, ranked
from .cells import SheetWriter
from .columns import number_text

SECTION = "The price of every limit: what relaxing each would buy"

LIMIT_COLUMNS = ("rank", "limit", "limit_value", "limit_unit", "shadow_price",
                 "risk_reduction_per_percent")
"""The columns of the Summary's table of limits."""


def limit_table(prices: list[LimitPrice], risk: float, currency: str) -> pd.DataFrame:
    """Every limit that binds (its 1% relaxation lowers R*), largest gain first."""
    rows = [{"rank": i, "limit": p.words, "limit_value": p.value,
             "limit_unit": p.unit(currency), "shadow_price": p.price,
             "risk_reduction_per_percent": p.gain_per_percent}
            for i, p in enumerate(ranked(prices, risk), start=1)]
    return pd.DataFrame(rows, columns=list(LIMIT_COLUMNS))


def _amount(x: float) -> str:
    """A limit's value or step in words: 3 significant digits below 1,000, whole above."""
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def limit_sentence(p: LimitPrice, risk: float, currency: str) -> str:
    """One limit in words: what a 1% relaxation buys, and the rate per unit."""
    unit = p.unit(currency)
    step = abs(p.value) * 0.01
    verb = "lowering" if p.floor else "raising"
    share = f" ({p.gain_per_percent / risk:.2%} of R*)" if risk > 0 else ""
    return (f"{p.words} ({_amount(p.value)} {unit}): {verb} it by 1% ({_amount(step)} {unit}) "
            f"lowers the risk by {number_text(p.gain_per_percent)} periods of demand{share}; "
            f"{number_text(p.gain_per_unit)} per {unit}, at the margin.")


def write_limit_prices(w: SheetWriter, results: Results, data: ModelData) -> None:
    """The section on the Summary: the three limits that matter most in words, then the
    table of every binding limit. Says so when the outcome carries no duals."""
    w.section(SECTION)
    if results.limit_prices is None:
        w.append(["Shadow prices of the limits were not computed for this plan."])
        w.blank()
        return
    table = limit_table(results.limit_prices, results.risk, data.currency)
    w.note("Phase 1's duals: how the risk R* moves per unit of each limit (market depth, "
           "stockpile capacity, release limits, cover floors, concentration caps, mitigation "
           "bounds, capacity on offer, risk limits, budgets). Units differ, so limits are "
           "ranked by what relaxing each by 1% of its value buys.")
    if not len(table):
        w.append(["No limit binds: relaxing any of them by 1% would not lower the risk."])
        w.blank()
        return
    top = ranked(results.limit_prices, results.risk, top=3)
    w.append([f"The {len(top)} limit{'s' if len(top) != 1 else ''} whose relaxation lowers "
              "the risk most:"])
    for i, p in enumerate(top, start=1):
        w.append([f"{i}. {limit_sentence(p, results.risk, data.currency)}"])
    w.note(f"All {len(table)} limits that bind are in the table \"{TABLE_SECTION}\" "
           "further down this sheet.")
    w.blank()


TABLE_SECTION = "Every limit that binds, ranked"


def write_limit_table(w: SheetWriter, results: Results, data: ModelData) -> None:
    """The table of every binding limit (``write_limit_prices`` says the three that matter
    most); nothing when there are no duals or no limit binds."""
    if results.limit_prices is None:
        return
    table = limit_table(results.limit_prices, results.risk, data.currency)
    if not len(table):
        return
    w.section(TABLE_SECTION)
    w.table(table, "Summary: the price of every limit", widths=w.widths)
    w.note("Every limit's price, also those at 0, is in the summary JSON "
           "(<limit>_shadow_price). At a degenerate optimum a price is one valid one-sided "
           "rate; a larger change can move R* by less.")
    w.blank()
