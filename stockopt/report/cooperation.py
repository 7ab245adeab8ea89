"""The cooperation workbook: alone versus together, for a negotiator who reads it cold.

Sheets: ``Cooperation`` (per party: risk alone and together, the gain, expected loss and
spending alone and together, in the base currency and the party's own; a clustered
column chart of risk alone against together; one sentence per party saying what
cooperation buys it, and a warning when a party is worse off together), ``Joint levers``
(``studies.cooperation.joint_levers``: the joint stockpiles and swaps each party uses
only together, with what it pays and receives) and ``About`` (input file and SHA-256,
versions, settings, definitions). Written atomically; strings are text, never formulas.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import openpyxl
import pandas as pd

from ..data import ModelData
from ..files.atomic import write_atomically
from ..files.provenance import file_sha256, package_version
from ..files.targets import check_targets
from ..studies.cooperation import Cooperation
from . import charts
from .cells import SheetWriter, use_fast_rows
from .columns import LOSS, MONEY, PERCENT, TONNES, money_text, number_text

COOPERATION = "Cooperation"
LEVERS = "Joint levers"
ABOUT = "About"

PERIODS = LOSS

NOTE_WIDTH = 130
"""Characters per line of a note (the table's width, so the sheet prints on one page)."""


def party_table(cooperation: Cooperation, data: ModelData) -> pd.DataFrame:
    """One row per party: risks (periods), expected losses (periods), spending (base
    currency, and the party's own currency when it has one)."""
    rows = []
    for p, g in cooperation.gains.items():
        rate = data.rate(p)
        rows.append({
            "party": p, "risk_alone": g.risk_alone, "risk_together": g.risk_together,
            "gain": g.gain, "expected_loss_alone": g.expected_loss_alone,
            "expected_loss_together": g.expected_loss_together,
            "spend_alone": g.spend_alone, "spend_together": g.spend_together,
            "own_currency": data.currency_of(p),
            "spend_together_own": g.spend_together / rate})
    return pd.DataFrame(rows)


def party_headers(currency: str) -> tuple[list[str], list[str]]:
    """Header texts and number formats of ``party_table``'s columns."""
    heads = ["party", "risk alone (periods)", "risk together (periods)",
             "gain (periods; + = better together)", "expected loss alone (periods)",
             "expected loss together (periods)", f"spend alone ({currency})",
             f"spend together ({currency})", "own currency", "spend together (own currency)"]
    formats = ["General", PERIODS, PERIODS, PERIODS, PERIODS, PERIODS, MONEY, MONEY,
               "General", MONEY]
    return heads, formats


def sentences(cooperation: Cooperation, data: ModelData) -> list[str]:
    """One sentence per party in plain words, then a warning for parties worse off."""
    cur = data.currency
    out = []
    for p, g in cooperation.gains.items():
        direction = "better" if g.gain > 0 else ("worse" if g.gain < 0 else "no better")
        extra = g.spend_together - g.spend_alone
        out.append(
            f"{p}: risk {number_text(g.risk_alone)} alone, {number_text(g.risk_together)} "
            f"together — {direction} off by {number_text(abs(g.gain))} periods of its demand "
            f"lost; it spends {money_text(g.spend_together, cur)} together against "
            f"{money_text(g.spend_alone, cur)} alone ({'+' if extra >= 0 else '−'}"
            f"{money_text(abs(extra), cur)}).")
    worse = [p for p, g in cooperation.gains.items() if g.gain < -1e-9]
    if worse:
        out.append(
            "Warning: " + ", ".join(worse) + (" is" if len(worse) == 1 else " are")
            + " worse off together than alone in this plan, so it is not one every party "
            "could sign. The joint optimum minimizes the pooled risk; set party_risk_limit "
            "to alone (Settings) to require that no party is worse off, and compare.")
    return out


def build_cooperation_workbook(cooperation: Cooperation, data: ModelData, input_path: Path,
                               timings: dict[str, float] | None = None) -> openpyxl.Workbook:
    """The cooperation workbook (write-only: it can be saved once)."""
    wb = openpyxl.Workbook(write_only=True)
    cur = data.currency
    table = party_table(cooperation, data)
    heads, formats = party_headers(cur)

    w = SheetWriter(use_fast_rows(wb.create_sheet(COOPERATION)), cur)
    w.layout([14, 12, 12, 16, 14, 14, 18, 18, 10, 18], freeze=None)
    w.title("Alone versus together: what cooperation buys each party", back_to=None)
    w.note(f"Input: {input_path.name}. Risk R_p = (1 − λ)·E_p + λ·CVaR_p of the party's own "
           f"losses, in periods of its baseline demand lost (λ = {data.risk_weight:g}, "
           f"α = {data.cvar_alpha:g}).")
    w.note("Alone: the party's stand-alone problem (its own stockpiles, offtakes, swaps on "
           "its own stockpiles, its budget). Together: the joint plan of the workbook.")
    w.note(f"Joint R* {number_text(cooperation.joint.risk)} periods (all parties pooled), "
           f"joint cost {money_text(cooperation.joint.cost, cur)}.")
    w.blank()
    span = w.table(table, None, headers=heads, formats=formats, widths=w.widths)
    w.blank()
    for text in sentences(cooperation, data):
        for line in textwrap.wrap(text, NOTE_WIDTH, subsequent_indent="  "):
            w.note(line)
    w.blank()
    w.ws.add_chart(charts.party_columns(w.ws, span, "risk_alone", "risk_together",
                                        "Risk alone and together",
                                        "periods of own demand lost", from_zero=True,
                                        size=(16.0, 7.5)), f"A{w.row + 1}")

    lv = SheetWriter(use_fast_rows(wb.create_sheet(LEVERS)), cur)
    lv.layout([10, 20, 16, 14, 14, 8, 18, 16, 16, 18], freeze="A5")
    lv.title("Joint levers: what each party uses only together", back_to=COOPERATION)
    for text in ("Joint stockpiles (several members) and swaps drawing on a stockpile the "
                 "party does not hold alone. Received: tonnes released or drawn over the "
                 "horizon, probability-weighted (expected) and in the scenario where it "
                 "receives most; negative for material lent to another party.",
                 f"Spend: the party's cost share of purchases and holding, or the swap fee "
                 f"({cur}). Unused levers are left out."):
        for line in textwrap.wrap(text, NOTE_WIDTH - 20):
            lv.note(line)
    lever_heads = ["party", "lever", "kind", "mineral", "partners", "share (%)",
                   f"spend ({cur})", "expected received (t)", "worst-case received (t)",
                   "scenario of the worst case"]
    lv.table(cooperation.levers, None, headers=lever_heads, widths=lv.widths,
             formats=["General", "General", "General", "General", "General", PERCENT, MONEY,
                      TONNES, TONNES, "General"])
    if not len(cooperation.levers):
        lv.note("No joint lever is used: the parties' plans together are their plans alone.")

    about = SheetWriter(use_fast_rows(wb.create_sheet(ABOUT)), cur)
    about.layout([30, 90])
    about.title("About this workbook", back_to=COOPERATION)
    solver = cooperation.joint.outcome
    facts = [
        ("input workbook", str(input_path.name)),
        ("input SHA-256", file_sha256(input_path) if input_path.exists() else ""),
        ("written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("stockopt version", package_version("stockopt")),
        ("solver", f"{solver.solver} {solver.solver_version}" if solver else "HiGHS"),
        ("base currency", cur),
        ("exchange rates", "; ".join(f"{c}={r:g}" for c, r in data.exchange_rates.items())
         or "none"),
        ("party_risk_limit", data.party_risk_limit),
        ("risk alone", "R* of the party's stand-alone problem (FORMULATION-v2 section 3)"),
        ("risk together", "R_p of the joint plan's reported solution (section 2)"),
        ("gain", "risk alone − risk together (positive: the party gains by cooperating)"),
        ("spend", "preparedness spending F_p: purchases and holding (cost share), offtake, "
                  "swap and mitigation fees, in the base currency"),
    ]
    for key, seconds in (timings or {}).items():
        facts.append((f"time: {key}", f"{seconds:.3f} s"))
    about.header(["item", "value"], None, texts=["item", "value"])
    for key, value in facts:
        about.append([key, value])
    return wb


def write_cooperation_workbook(path: Path, cooperation: Cooperation, data: ModelData,
                               input_path: Path, timings: dict[str, float] | None = None
                               ) -> None:
    """Write the cooperation workbook to ``path`` atomically (never over the input)."""
    check_targets(((Path(path), None),), ((Path(input_path), "input workbook"),))

    def write(fh: BinaryIO) -> None:
        build_cooperation_workbook(cooperation, data, input_path, timings).save(fh)

    write_atomically(Path(path), write)
