"""The sheets of the output workbook, one function each, in the order a reviewer reads them.

Summary (headline, spend against budget, what more money buys, charts, the largest
expected shortfalls, the audit record), Decisions, Scenarios, Shortfalls, Stock and
swaps, Inputs and Dictionary. Each function writes one write-only sheet top to bottom
with a ``SheetWriter``; the tables come from ``tables``.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.formatting.rule import ColorScaleRule

from .. import __version__
from ..data import ModelData
from ..results.extract import Results
from ..workbook.reader import RawWorkbook
from ..workbook.schema import SETTINGS, SETTINGS_KEYS, SHEETS
from . import charts, limits, policy, tables
from .cells import (
    BOLD,
    NOTE_FONT,
    SheetWriter,
    TableSpan,
    clean_text,
    header_text,
    section_anchors,
    start_sheet,
)
from .columns import (
    LOSS,
    MONEY,
    OUTPUT_COLUMNS,
    TONNES,
    column_spec,
    money_text,
    number_text,
    percent_text,
)

SUMMARY, DECISIONS, SCENARIOS, SHORTFALLS = "Summary", "Decisions", "Scenarios", "Shortfalls"
STOCK, INPUTS, DICTIONARY = "Stock and swaps", "Inputs", "Dictionary"
POLICY = policy.POLICY
SHEET_NAMES = (SUMMARY, DECISIONS, SCENARIOS, SHORTFALLS, STOCK, INPUTS, DICTIONARY)
"""The sheets, in workbook order (every name ≤ 31 characters), for an input without policy
levers; ``sheet_names`` adds the Policy levers sheet after Stock and swaps when it has them."""


def sheet_names(data: ModelData) -> tuple[str, ...]:
    """The sheets of the output for ``data``, in workbook order."""
    if not policy.has_policy_levers(data):
        return SHEET_NAMES
    at = SHEET_NAMES.index(STOCK) + 1
    return (*SHEET_NAMES[:at], POLICY, *SHEET_NAMES[at:])

SHEET_PURPOSE = {
    DECISIONS: "what the plan buys and reserves, and the options not chosen",
    SCENARIOS: "loss per scenario, worst first, CVaR tail marked",
    SHORTFALLS: "tonnes short per scenario, party, mineral and period (heat map)",
    STOCK: "stock levels, releases, swap draws and returns, obligations at the end",
    POLICY: "cover floors, concentration before and after the plan, mitigation and its use",
    INPUTS: "the settings and the input tables, as read",
    DICTIONARY: "every column: unit and meaning",
}


@dataclass
class Audit:
    """The audit facts the Summary shows (see ``workbook.RunAudit``)."""

    input_name: str
    input_sha256: str
    timestamp: str
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    """The input's warnings (each names its sheet, row and column), listed under the audit."""






def _pyomo_version() -> str:
    import pyomo.version

    return str(pyomo.version.version)


# --- Summary ---------------------------------------------------------------------------------

def write_summary(w: SheetWriter, results: Results, data: ModelData, audit: Audit,
                  scenarios_ws, scenario_span: TableSpan, tail: list[bool]) -> None:  # noqa: ANN001
    """Summary: status, headline numbers, spend against budget, charts, top shortfalls, audit."""
    cur = data.currency
    spend = tables.spend_by_party(results, data)
    top = tables.expected_shortfalls(results, data).drop(columns="rank")
    parties = tables.party_risks(results)
    widths = w.fit_widths([spend, top, parties], first=24, minimum=12)
    w.layout(widths, freeze=None, landscape=True)
    w.title(f"stockopt results: {audit.input_name}", back_to=None)
    ok = results.status == "optimal"
    status_text = f"Status: {results.status}" + (
        " (every phase solved to optimality)" if ok else " (not optimal: see the audit "
        "below)")
    if results.decomposition is not None:
        status_text += (f"; Benders decomposition on {results.decomposition['ranks']} "
                        "rank(s), see below")
    w.append([w.cell(status_text, font=BOLD),
              None, None, None, w.cell(f"run {audit.timestamp}", font=NOTE_FONT)])
    w.nav([(name, name, "A1") for name in sheet_names(data)[1:]])
    w.blank()

    w.section("How much risk is left")
    tail_share = 1 - data.cvar_alpha
    headline = [
        ("risk R*", results.risk, LOSS, "periods of demand",
         f"(1−λ)·expected loss + λ·CVaR with λ = {data.risk_weight:g}: the objective the plan "
         "minimizes"),
        ("expected loss", results.expected_loss, LOSS, "periods of demand",
         "Σ_s π_s L_s: a scenario's loss L_s is its shortfall in periods of baseline demand, "
         "criticality weighted"),
        (f"CVaR {data.cvar_alpha:.0%}", results.cvar, LOSS, "periods of demand",
         f"the mean loss of the worst {tail_share:.0%} of probability (the shaded rows on "
         "Scenarios)"),
        ("cost", results.cost, MONEY, cur,
         "preparedness spending + expected offtake purchases "
         + ("+ expected mitigation costs " if data.mitigations else "")
         + "+ value of swap returns owed at the end "
         + "(the cheapest plan at this risk)"),
    ]
    for label, value, fmt, unit, meaning in headline:
        w.append([w.cell(label, font=BOLD), w.cell(value, fmt), unit,
                  w.cell(meaning, font=NOTE_FONT)])
    w.blank()

    party_span = None
    if len(parties):
        w.section("Each party's own risk")
        w.note("The same measure for each party's own losses (its shortfalls in periods of "
               "its own baseline demand): what each government can read as its risk under "
               "this plan. The parties' risks add up to at least R*, since CVaR is "
               "subadditive; the loss of each party per scenario is on Scenarios.")
        party_span = w.table(parties, f"{SUMMARY}: each party's own risk", widths=widths)
        w.blank()

    if results.decomposition is not None:
        _decomposition_section(w, results)
    w.section("What the plan spends, with whose money, and what more money would buy")
    spend_span = w.table(spend, f"{SUMMARY}: spend against budget", widths=widths)
    for sentence in tables.currency_sentences(results, data):
        w.append([sentence])
    for sentence in tables.shadow_price_sentences(results, data):
        w.append([sentence])
    for sentence in tables.period_budget_sentences(results, data):
        w.append([sentence])
    if data.pooled_budget is not None:
        total = float(spend["spend"].sum())
        w.append([f"All parties together spend {money_text(total, cur)} of the pooled budget "
                  f"of {money_text(data.pooled_budget, cur)}."])
    w.blank()

    limits.write_limit_prices(w, results, data)

    if policy.has_policy_levers(data):
        w.section("Policy levers")
        for sentence in policy.policy_sentences(results, data):
            w.append([sentence])
        w.append([w.link(f"Details on {POLICY}", POLICY)])
        w.blank()

    w.section("Charts")
    w.note(f"Loss by scenario: red bars are the scenarios in the CVaR tail, the worst "
           f"{percent_text(1 - data.cvar_alpha)} of probability whose mean loss is the CVaR "
           "(shaded on Scenarios); blue bars the others.")
    anchor = w.row + 1
    loss_chart = charts.loss_by_scenario(scenarios_ws, scenario_span, tail)
    w.ws.add_chart(loss_chart, f"A{anchor}")
    if len(spend):
        w.ws.add_chart(charts.spend_by_party(w.ws, spend_span, tables.lever_columns(data),
                                             cur), f"F{anchor}")
    rows = int(max(loss_chart.height, charts.HEIGHT_CM) / 0.53) + 2
    if party_span is not None and len(parties) > 1:
        w.ws.add_chart(charts.party_risk(w.ws, party_span), f"A{anchor + rows}")
        rows += int(charts.HEIGHT_CM / 0.53) + 2
    for _ in range(rows):
        w.blank()

    w.section("Where the risk is: the ten largest expected shortfalls (party, mineral)")
    w.note("Expected over the scenarios and summed over the periods; the full detail per "
           "scenario and period is on Shortfalls.")
    w.table(top, f"{SUMMARY}: largest expected shortfalls", widths=widths)
    w.blank()

    limits.write_limit_table(w, results, data)

    w.section("Audit of the run")
    outcome = results.outcome
    facts: list[tuple[str, str]] = [
        ("input file", audit.input_name),
        ("input SHA-256", audit.input_sha256),
        ("stockopt version", __version__),
        ("Pyomo version", _pyomo_version()),
        ("HiGHS version", outcome.solver_version if outcome else ""),
        ("Python version", platform.python_version()),
        ("solver algorithm", outcome.algorithm if outcome else ""),
    ]
    if outcome is not None:
        # the objectives as reported (R*, cost), not the solver's internally scaled values
        reported = [f"R* = {results.risk:.10g}", f"cost = {results.cost:,.2f} {cur}"]
        for i, phase in enumerate(outcome.phases):
            objective = f", {reported[i]}" if i < len(reported) else ""
            facts.append((phase.name, f"{phase.status}{objective}, {phase.seconds:.3f} s, "
                                      f"{phase.algorithm}"))
        facts.append(("model size", f"{outcome.rows:,} rows, {outcome.columns:,} columns, "
                                    f"{outcome.nonzeros:,} nonzeros"))
    facts += [
        ("risk_weight λ", f"{data.risk_weight:g}"),
        ("cvar_alpha α", f"{data.cvar_alpha:g}"),
        ("pooled_budget", "none" if data.pooled_budget is None else
         money_text(data.pooled_budget, cur)),
        ("currency", cur),
        *([("exchange_rates", data.exchange_rates_source)] if data.party_currency else []),
        ("timestamp", audit.timestamp),
    ]
    if audit.timings:
        facts.append(("step times (s)", ", ".join(f"{k} {v:.3f}" for k, v in
                                                  audit.timings.items())))
    for key, value in facts:
        w.append([w.cell(key, font=BOLD), value])
    w.blank()
    w.section(f"Input warnings ({len(audit.warnings)})")
    if audit.warnings:
        w.note("The workbook was read with these warnings; each may change the answer (a name "
               "that matches nothing, a column that is ignored). The same list is in the "
               "summary JSON (warnings).")
        for message in audit.warnings:
            w.append([message])
    else:
        w.note("None: the input workbook was read without warnings.")


def _decomposition_section(w: SheetWriter, results: Results) -> None:
    """How the Benders engine reached the optimum: bounds, iterations, time split."""
    d = results.decomposition
    w.section("How it was solved: Benders decomposition")
    w.note(f"{d['scenarios']:,} scenarios ({d['distinct_scenarios']:,} distinct) in "
           f"{d['batches']} batches on {d['ranks']} MPI rank(s); the master holds the "
           f"{d['first_stage_columns']} first-stage decisions, CVaR and one cut per scenario "
           f"and iteration ({d['stabilization']}). Each phase stops when its lower bound (the "
           "master) and upper bound (a plan evaluated on every scenario) meet; R* and the cost "
           "above are the plan's, re-solved with its first stage fixed.")
    for label, key in (("phase 1 (risk)", "phase1"), ("phase 2 (cost)", "phase2")):
        p = d[key]
        w.append([w.cell(label, font=BOLD),
                  f"{p['iterations']} iterations, bounds [{p['lower_bound']:.12g}, "
                  f"{p['upper_bound']:.12g}], gap {p['relative_gap']:.2g}, {p['seconds']:.1f} s "
                  f"(master {p['master_seconds']:.1f} s, subproblems "
                  f"{p['subproblem_seconds']:.1f} s)"])
    w.append([w.cell("peak memory per rank (MB)", font=BOLD),
              ", ".join(f"{m:,.0f}" for m in d["peak_memory_mb_per_rank"])])
    w.blank()


# --- Decisions -------------------------------------------------------------------------------

def write_decisions(w: SheetWriter, results: Results, data: ModelData) -> None:
    """Decisions: purchases, offtakes and swaps, chosen first, then those not chosen."""
    sections = [
        ("Stockpile purchases", tables.purchases(results, data), "purchase",
         "Tonnes bought before period 1 and the resulting levels, with cost and cost shares."),
        ("Offtake contracts", tables.offtakes(results, data), "offtake_capacity",
         "Capacity reserved at projects; deliveries follow the source's availability in "
         "each scenario."),
        ("Swap agreements", tables.swaps(results, data), "swap_capacity",
         "Capacity to draw on an ally's stockpile in a disruption, returned in kind later."),
    ]
    widths = w.fit_widths([df for _, df, _, _ in sections], first=16)
    after = start_sheet(w, widths, [title for title, *_ in sections])
    w.title("Decisions: what the plan buys and reserves")
    w.note("Chosen options first (largest cost first), then the options offered but not "
           "chosen, in grey.")
    anchors = section_anchors(after, [len(df) for _, df, _, _ in sections], before_table=3)
    w.nav([(title, DECISIONS, f"A{a}") for (title, *_), a in zip(sections, anchors,
                                                                 strict=True)])
    for title, df, note in ((t, df, n) for t, df, _, n in sections):
        w.blank()
        chosen = int((df["chosen"] == "yes").sum()) if len(df) else 0
        w.section(f"{title}: {chosen} of {len(df)} chosen")
        w.note(note)
        styles = ["muted" if c == "no" else None for c in df["chosen"]]
        w.table(df, f"{DECISIONS}: {title.lower()}", widths=widths, row_styles=styles)
    if tables.plans_over_time(data):
        _write_schedule(w, results, data, widths)


def _write_schedule(w: SheetWriter, results: Results, data: ModelData,
                    widths: list[float]) -> None:
    """The order schedule and the spending per period against the period budgets, with a
    chart (FORMULATION-v2 section 6)."""
    schedule = tables.order_schedule(results)
    w.blank()
    w.section("Order schedule: what is ordered in which period")
    w.note("Each order is placed at the start of its period and arrives at the start of its "
           "arrival period (order period + the mineral's lead time), when it can be released; "
           "holding is charged from arrival. Orders of 0 t are left out.")
    if len(schedule):
        w.table(schedule, f"{DECISIONS}: order schedule", widths=widths)
    else:
        w.note("(no orders)")
    per_period, spend_cols, budget_cols = tables.period_spending(results, data)
    w.blank()
    w.section("Spending per period against the period budgets")
    w.note(f"F_p,t in {data.currency}: the orders placed in the period at their price, holding "
           "of the orders arrived by then, and all fees in the first period; the periods add "
           "up to the party's spend. Period budgets from the PeriodBudgets sheet, converted to "
           f"{data.currency} at each party's rate.")
    span = w.table(per_period, None, widths=widths, headers=list(per_period.columns),
                   formats=["General"] + [MONEY] * (len(per_period.columns) - 1))
    for sentence in tables.period_budget_sentences(results, data):
        w.append([sentence])
    w.ws.add_chart(charts.spend_per_period(w.ws, span, spend_cols, budget_cols,
                                           data.currency), f"A{w.row + 2}")
    for _ in range(int(charts.HEIGHT_CM / 0.53) + 3):
        w.blank()


# --- Scenarios -------------------------------------------------------------------------------

def write_scenarios(w: SheetWriter, results: Results, data: ModelData
                    ) -> tuple[TableSpan, list[bool]]:
    """Scenarios: probability and loss, worst first, the CVaR tail shaded."""
    ranking = tables.scenario_ranking(results, data)
    widths = w.fit_widths([ranking])
    w.layout(widths, freeze="C4")
    w.title("Scenarios: loss per scenario, worst first")
    w.note(f"Shaded rows are the CVaR tail: the worst {1 - data.cvar_alpha:.0%} of probability, "
           f"whose mean loss is CVaR = {number_text(results.cvar)}. Expected loss = "
           f"{number_text(results.expected_loss)} periods of demand.")
    tail = [m != "no" for m in ranking["in_cvar_tail"]]
    span = w.table(ranking, SCENARIOS, widths=widths,
                   row_styles=["tail" if t else None for t in tail])
    w.ws.auto_filter.ref = span.ref
    by_party = tables.party_losses_worst_first(results)
    if len(by_party):
        w.blank()
        w.section("Loss by party, per scenario (same order)")
        w.table(by_party, f"{SCENARIOS} (loss by party)", widths=widths)
    return span, tail


# --- Shortfalls ------------------------------------------------------------------------------

SHORTFALL_ROWS_IN_FULL = 10_000
"""Up to this many (scenario, party, mineral, period) rows the Shortfalls sheet lists them
all; beyond it, only the rows with a shortfall (most are zero in large sampled runs, and
writing them dominated the time outside the solver)."""


def write_shortfalls(w: SheetWriter, results: Results, data: ModelData) -> None:
    """Shortfalls: one row per scenario, party, mineral and period, as a heat map."""
    sf = tables.worst_first(results.tables["shortfalls"], results)
    sf = sf[["scenario", "party", "mineral", "period", "demand", "shortfall", "shortfall_share",
             "loss_contribution"]]
    left_out = 0
    if len(sf) > SHORTFALL_ROWS_IN_FULL:
        short = sf[sf["shortfall"] > 0]
        left_out = len(sf) - len(short)
        sf = short
    widths = w.fit_widths([sf])
    w.layout(widths, freeze="A4")
    w.title("Shortfalls: tonnes short per scenario, party, mineral and period")
    note = ("Scenarios worst first (as on Scenarios). Colour: white = no shortfall, deep red = "
            "the whole demand short (share) or the largest shortfall (tonnes).")
    if left_out:
        note += (f" Only rows with a shortfall are listed: the other {left_out:,} (scenario, "
                 "party, mineral, period) rows had their demand met in full.")
    w.note(note)
    span = w.table(sf, SHORTFALLS, widths=widths)
    if span.last_row >= span.first_row:
        w.ws.auto_filter.ref = span.ref
        w.ws.conditional_formatting.add(span.data_range("shortfall_share"), ColorScaleRule(
            start_type="num", start_value=0, start_color="FFFFFF",
            mid_type="num", mid_value=0.5, mid_color="F8B26A",
            end_type="num", end_value=1, end_color="C00000"))
        w.ws.conditional_formatting.add(span.data_range("shortfall"), ColorScaleRule(
            start_type="num", start_value=0, start_color="FFFFFF",
            end_type="max", end_color="F8696B"))


# --- Stock and swaps -------------------------------------------------------------------------

def write_stock_and_swaps(w: SheetWriter, results: Results, data: ModelData) -> None:
    """Stock and swaps: worst-scenario levels (chart), swap draws and returns, obligations
    outstanding at the end, the stock account per period, releases and offtake deliveries,
    and, when a joint stockpile has access shares, each member's entitlement and use."""
    worst, levels = tables.worst_scenario_levels(results, data)
    draws = tables.worst_first(results.tables["swap_draws"], results)
    owed = tables.worst_first(tables.outstanding_obligations(results), results)
    end = tables.worst_first(results.tables.get("end_stock", pd.DataFrame(
        columns=["scenario", "stockpile", "mineral", "end_stock"])), results)
    account = tables.stock_account(results, data, worst)
    wide = tables.worst_first(tables.stock_levels_wide(results, data), results)
    releases = tables.worst_first(tables.releases_wide(results, data), results)
    deliveries = tables.worst_first(tables.deliveries_wide(results, data), results)
    labels = ["Worst scenario", "Swap draws", "Owed at the end", "Stock left", "Stock account",
              "Levels per scenario", "Releases", "Deliveries"]
    sections: list[tuple[str, pd.DataFrame, str]] = [
        (f"Stock levels in the worst scenario ({worst})", levels,
         "Tonnes at the start and at the end of each period, for the holdings drawn down "
         "the most (at most 8)."),
        ("Swap draws and their returns", draws,
         "Each draw, the return it owes (ratio × draw, in the return mineral) and when it "
         "falls due."),
        ("Swap returns still owed at the end", owed,
         "Obligations outstanding after the last period, valued at the return mineral's "
         "price (they count in the cost)."),
        ("Stock left at the end of the horizon", end,
         "Tonnes in each stockpile after the last period, per scenario: what the plan leaves "
         "for the years after (no stock is released where nothing needs it)."),
        (f"Stock account in the worst scenario ({worst})", account,
         "How each holding moved: stock_level = opening_level + arrived − released − lent + "
         "returned."),
        ("Stock levels per scenario", wide,
         "stock_level (t) at the start (after purchases) and at the end of each period."),
        ("Releases to members", releases,
         "release (t) per period; only holdings and members with a release, blank = none."),
        ("Offtake deliveries", deliveries,
         "delivery (t) per period and their cost; only offtakes with a delivery, blank = none."),
    ]
    shares = tables.access_shares(results)
    if shares is not None:
        labels.append("Members' shares")
        sections.append((
            "Members' shares of joint stockpiles (access shares)", shares,
            "Each member may take at most its cost share of what the stockpile has had "
            "(initial stock, purchases, swap returns, less swap draws). held_to_share = yes: "
            "the member reached its entitlement in the tightest period."))
    per_period = {
        id(wide): (["scenario", "stockpile", "mineral"], "stock_level", []),
        id(releases): (["scenario", "stockpile", "party", "mineral"], "release", []),
        id(deliveries): (["scenario", "offtake"], "delivery", ["cost"]),
    }
    widths = w.fit_widths([df for _, df, _ in sections], first=14)
    after = start_sheet(w, widths, labels)
    w.title("Stock and swaps: levels, releases, draws, returns and obligations")
    w.note("Scenarios worst first (as on Scenarios). One section per table; the links below "
           "jump to each.")
    pad = _chart_padding(levels)
    anchors = section_anchors(after, [len(df) for _, df, _ in sections], before_table=3,
                              extra=[pad] + [0] * (len(sections) - 1))
    w.nav([(label, STOCK, f"A{a}") for label, a in zip(labels, anchors, strict=True)])
    for i, (title, df, note) in enumerate(sections):
        w.blank()
        w.section(title)
        w.note(note)
        place = f"{STOCK}: {title.split(' (')[0].lower()}"
        if i == 0:
            _levels_table(w, levels, worst, place, widths, pad)
            continue
        spec = per_period.get(id(df))
        if spec is not None:  # keys, the value in the period columns, columns after them
            span = _periods_table(w, df, *spec, place, widths)
            if df is wide and span.last_row >= span.first_row:
                w.ws.auto_filter.ref = span.ref
            continue
        w.table(df, place, widths=widths)


def _periods_table(w: SheetWriter, df: pd.DataFrame, keys: list[str], value: str,
                   tail: list[str], place: str, widths: list[float]) -> TableSpan:
    """A table with one column per period of ``value`` (t) between ``keys`` and ``tail``
    (output columns); records the columns as used at ``place``."""
    periods = [c for c in df.columns if c not in keys and c not in tail]
    headers = [*keys, *(f"{p} (t)" for p in periods),
               *(header_text(t, w.currency, w.step) for t in tail)]
    formats = (["General"] * len(keys) + [TONNES] * len(periods)
               + [column_spec(t).number_format for t in tail])
    span = w.table(df, None, widths=widths, headers=headers, formats=formats)
    for name in (*keys, value, *tail):
        w.used.setdefault(name, []).append(place)
    return span


def _chart_padding(levels: pd.DataFrame) -> int:
    """Blank rows under the worst-scenario table that hold its chart (0.53 cm a row)."""
    if levels.empty:
        return 0
    return int(charts.LINE_HEIGHT_CM / 0.5) + 2


def _levels_table(w: SheetWriter, levels: pd.DataFrame, worst: str | None, place: str,
                  widths: list[float], pad: int) -> None:
    """The worst scenario's stock levels, one column per holding, with its line chart."""
    if levels.empty or worst is None:
        w.table(pd.DataFrame(columns=["period"]), None, headers=["period"], formats=["General"])
        return
    names = list(levels.columns)
    holdings = names[1:]
    span = w.table(levels, None, widths=widths,
                   headers=["period"] + [f"{h} (t)" for h in holdings],
                   formats=["General"] + [TONNES] * len(holdings))
    w.used.setdefault("period", []).append(place)
    w.used.setdefault("stock_level", []).append(place)
    chart = charts.stock_in_worst_scenario(w.ws, span, worst)
    w.ws.add_chart(chart, f"A{span.last_row + 2}")
    for _ in range(pad):
        w.blank()


# --- Inputs ----------------------------------------------------------------------------------

def _settings_frame(data: ModelData) -> pd.DataFrame:
    used = {"risk_weight": data.risk_weight, "cvar_alpha": data.cvar_alpha,
            "pooled_budget": data.pooled_budget, "currency": data.currency}
    if data.exchange_rates:
        used["exchange_rates"] = "; ".join(f"{c}={r:g}" for c, r in data.exchange_rates.items())
    rows = []
    for s in SETTINGS_KEYS:
        value = used.get(s.key, s.default)
        rows.append({"setting": s.key, "value": "none" if value is None else value,
                     "unit": s.unit.replace("currency", data.currency),
                     "meaning": s.description})
    return pd.DataFrame(rows, columns=["setting", "value", "unit", "meaning"])


def write_inputs(w: SheetWriter, data: ModelData, raw: RawWorkbook | None, audit: Audit
                 ) -> None:
    """Inputs: the settings used and every input table as read (blank = the default)."""
    settings = _settings_frame(data)
    echoes: list[tuple[str, pd.DataFrame, list[str], list[str]]] = []
    if raw is not None:
        for sheet in SHEETS:
            table = raw.tables.get(sheet.name)
            if sheet is SETTINGS or table is None or not table.present:
                continue
            cols = [c for c in sheet.columns if c.name in table.columns]
            frame = pd.DataFrame([[rec[c.name] for c in cols] for rec in table.records],
                                 columns=[c.name for c in cols], dtype=object)
            headers = [f"{c.name} ({c.unit.replace('currency', data.currency)})" if c.unit
                       else c.name for c in cols]
            if sheet.name == "Parties" and data.party_currency and "budget" in table.columns:
                # FORMULATION-v2 section 8: each budget is in its party's own currency
                headers[[c.name for c in cols].index("budget")] = (
                    f"budget (the party's currency; blank currency = {data.currency})")
            formats = [(c.number_format or "General") if c.kind.value == "number" else "General"
                       for c in cols]
            echoes.append((sheet.name, frame, headers, formats))
    widths = w.fit_widths([settings] + [pd.DataFrame(f.to_numpy(), columns=h) if len(f) else h
                                        for _, f, h, _ in echoes], first=14)
    titles = ["Settings"] + [name for name, *_ in echoes]
    after = start_sheet(w, widths, titles)
    w.title("Inputs: the settings and the input tables, as read")
    w.note(f"From {audit.input_name} (SHA-256 {audit.input_sha256[:16]}…). Blank cells took "
           "the defaults of the input format (see the template's README sheet).")
    anchors = section_anchors(after, [len(settings)] + [len(f) for _, f, _, _ in echoes],
                              before_table=2)
    w.nav([(t, INPUTS, f"A{a}") for t, a in zip(titles, anchors, strict=True)])
    w.blank()
    w.section("Settings (as used in this run)")
    w.table(settings, f"{INPUTS}: settings", widths=widths)
    if raw is None:
        w.note("The input tables were not passed to the report writer.")
    for name, frame, headers, formats in echoes:
        w.blank()
        w.section(f"{name} ({len(frame)} row{'s' if len(frame) != 1 else ''})")
        w.table(frame, None, widths=widths, headers=headers, formats=formats)


def _places(places: list[str]) -> str:
    """'Summary (spend against budget); Shortfalls': places grouped by sheet, in order."""
    by_sheet: dict[str, list[str]] = {}
    for place in places:
        sheet, _, section = place.partition(": ")
        by_sheet.setdefault(sheet, [])
        if section:
            by_sheet[sheet].append(section)
    return "; ".join(f"{sheet} ({', '.join(sections)})" if sections else sheet
                     for sheet, sections in by_sheet.items())


# --- Dictionary ------------------------------------------------------------------------------

def write_dictionary(w: SheetWriter, currency: str, step: str,
                     input_sheets: set[str] | None = None) -> None:
    """Dictionary: every output column written, with its unit, meaning and where it appears.

    Generated from OUTPUT_COLUMNS (declaration order) and the places recorded while the
    other sheets were written; the Inputs echo is described by the input format's schema,
    for the sheets in ``input_sheets`` (every sheet when None; ``echoed_sheets`` gives those
    with rows).
    """
    rows = [{"column": spec.words(name, currency, step), "name": name,
             "unit": spec.unit_text(currency, step),
             "meaning": spec.meaning.format(currency=currency, step=step),
             "appears_in": _places(w.used[name])}
            for name, spec in OUTPUT_COLUMNS.items() if name in w.used]
    for sheet in SHEETS:
        if input_sheets is not None and sheet.name not in input_sheets:
            continue
        for col in sheet.columns:
            rows.append({"column": col.name, "name": col.name,
                         "unit": col.unit.replace("currency", currency),
                         "meaning": col.description,
                         "appears_in": f"{INPUTS} ({sheet.name}, as read)"})
    df = pd.DataFrame(rows, columns=["column", "name", "unit", "meaning", "appears_in"])
    widths = w.fit_widths([df])
    w.layout(widths, freeze="A4")
    w.title("Dictionary: every column, its unit and meaning")
    w.note("Headers elsewhere read 'column (unit)'; name is the column's name in the code "
           "and the summary JSON. Money is in "
           f"{clean_text(currency)}; t = tonnes; a loss is measured in periods of baseline "
           "demand.")
    span = w.table(df, None, widths=widths)
    w.ws.auto_filter.ref = span.ref


# --- Policy levers ---------------------------------------------------------------------------

def write_policy(w: SheetWriter, results: Results, data: ModelData) -> None:
    """Policy levers: see ``policy.write_policy_levers``."""
    policy.write_policy_levers(w, results, data, back_to=SUMMARY)


def echoed_sheets(raw: RawWorkbook | None) -> set[str] | None:
    """The input sheets with rows, whose columns the Dictionary describes (every sheet when
    the input tables were not passed)."""
    if raw is None:
        return None
    return {s.name for s in SHEETS if s is not SETTINGS and s.name in raw.tables
            and raw.tables[s.name].records}
