"""The "Policy levers" sheet: cover floors, concentration caps and demand-side mitigation.

Written only when the input has any of the CoverTargets, ConcentrationLimits or
Mitigation rows (``has_policy_levers``). The tables are derived (pure pandas) from the
results tables ``cover_floors``, ``concentration``, ``mitigations`` and
``mitigation_use`` (see ``stockopt.results.extract``); a results table that is absent leaves its
section with a note. Units: tonnes (t), t/period, the input's currency, fractions.
"""

from __future__ import annotations

import pandas as pd

from ..data import ModelData
from ..results.extract import ZERO_TOLERANCE, Results
from .cells import SheetWriter, section_anchors, start_sheet
from .columns import money_text
from .tables import worst_first

POLICY = "Policy levers"
"""The sheet's name (≤ 31 characters)."""

BINDING_TOLERANCE = 1e-6
"""A floor is binding when the level is within this share of the floor (relative)."""

COVER_COLUMNS = ["target", "party", "stockpile", "mineral", "basis", "cover_periods",
                 "required_level", "covered_level", "cover_held", "floor_status"]
CONCENTRATION_COLUMNS = ["party", "mineral", "share_limit", "top_source_before",
                         "top_share_before", "top_source_after", "top_share_after",
                         "within_limit", "excluded_sources"]
SHARE_COLUMNS = ["party", "mineral", "source", "period", "share_before", "share_after",
                 "share_limit", "excluded"]
MITIGATION_COLUMNS = ["option", "party", "mineral", "chosen", "mitigation_capacity",
                      "max_cut_share", "lead_time", "fee_paid", "expected_mitigation",
                      "expected_mitigation_cost"]
USE_COLUMNS = ["scenario", "option", "party", "mineral", "period", "mitigation_use",
               "mitigation_cost"]


def has_policy_levers(data: ModelData) -> bool:
    """Whether the input declares any cover floor, concentration cap or mitigation option."""
    return bool(data.cover_targets or data.concentration_limits or data.mitigations)


def _yes_no(flag: object) -> str:
    return "yes" if bool(flag) else "no"


def cover_floors(results: Results) -> pd.DataFrame | None:
    """Each cover floor: required and covered level (t), cover held (periods), status.

    ``floor_status`` is "binding" when the covered level is the floor (within
    ``BINDING_TOLERANCE``, the floor then costs money), "met" when above it, "not met"
    otherwise. ``cover_held`` = covered level ÷ (required ÷ periods): the periods of the
    basis the level holds (blank for a floor of 0). None when the results have no
    ``cover_floors`` table.
    """
    if "cover_floors" not in results.tables:
        return None
    df = results.tables["cover_floors"]
    rows = []
    for r in df.itertuples(index=False):
        required, level, periods = float(r.required), float(r.level), float(r.periods)
        per_period = required / periods if periods > 0 else 0.0
        slack = level - required
        if required > ZERO_TOLERANCE and abs(slack) <= BINDING_TOLERANCE * max(1.0, required):
            status = "binding"
        elif bool(r.met) or slack >= -BINDING_TOLERANCE * max(1.0, required):
            status = "met"
        else:
            status = "not met"
        rows.append({"target": r.target, "party": _blank(r.party),
                     "stockpile": _blank(r.stockpile), "mineral": r.mineral, "basis": r.basis,
                     "cover_periods": periods, "required_level": required,
                     "covered_level": level,
                     "cover_held": level / per_period if per_period > ZERO_TOLERANCE else None,
                     "floor_status": status})
    return pd.DataFrame(rows, columns=COVER_COLUMNS)


def _blank(value: object) -> object:
    """None for a missing value (None or NaN), else the value."""
    return None if value is None or (isinstance(value, float) and value != value) else value


def concentration_summary(results: Results, data: ModelData) -> pd.DataFrame | None:
    """Per party and mineral: the largest share of a capped source, before and after the plan.

    Before = baseline supply alone, after = with the plan's offtake capacity; the largest
    over capped (not excluded) sources and periods, with its source (the first in the
    table's order on a tie). ``within_limit`` compares the share after with the limit.
    Rows in the order of the model data's concentration limits. None when the results
    have no ``concentration`` table.
    """
    if "concentration" not in results.tables:
        return None
    df = results.tables["concentration"]
    rows = []
    for lim in data.concentration_limits:
        sub = df[(df["party"] == lim.party) & (df["mineral"] == lim.mineral)]
        capped = sub[~sub["excluded"].astype(bool)]
        before = _top(capped, "share_before")
        after = _top(capped, "share_after")
        rows.append({"party": lim.party, "mineral": lim.mineral, "share_limit": lim.max_share,
                     "top_source_before": before[0], "top_share_before": before[1],
                     "top_source_after": after[0], "top_share_after": after[1],
                     "within_limit": _yes_no(after[1] is None
                                             or after[1] <= lim.max_share + 1e-9),
                     "excluded_sources": "; ".join(lim.excluded)})
    return pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS)


def _top(df: pd.DataFrame, column: str) -> tuple[str | None, float | None]:
    """(source, share) of the row with the largest ``column``; (None, None) when empty."""
    if df.empty:
        return None, None
    values = df[column].astype(float).to_numpy()
    i = int(values.argmax())
    return str(df["source"].iloc[i]), float(values[i])


def concentration_shares(results: Results) -> pd.DataFrame | None:
    """Every share per party, mineral, source and period, before and after the plan."""
    if "concentration" not in results.tables:
        return None
    df = results.tables["concentration"]
    out = pd.DataFrame({
        "party": df["party"], "mineral": df["mineral"], "source": df["source"],
        "period": df["period"], "share_before": df["share_before"].astype(float),
        "share_after": df["share_after"].astype(float),
        "share_limit": df["max_share"].astype(float),
        "excluded": [_yes_no(x) for x in df["excluded"]]}, columns=SHARE_COLUMNS)
    return out.reset_index(drop=True)


def _expected(table: pd.DataFrame, value: str, data: ModelData) -> pd.Series:
    """Σ_s π_s Σ_t ``value`` per option."""
    if table.empty:
        return pd.Series(dtype=float)
    weighted = table[value].astype(float) * table["scenario"].map(data.probability).astype(float)
    return weighted.groupby(table["option"], sort=False).sum()


def mitigation_options(results: Results, data: ModelData) -> pd.DataFrame | None:
    """Each mitigation option: capacity prepared, fee paid, expected use and its cost.

    Chosen options first (largest fee first, then largest capacity), then the options
    not chosen, in input order. None when the results have no ``mitigations`` table.
    """
    if "mitigations" not in results.tables:
        return None
    df = results.tables["mitigations"]
    use = results.tables.get("mitigation_use", pd.DataFrame(columns=USE_COLUMNS))
    use = use.rename(columns={"use": "mitigation_use", "cost": "mitigation_cost"})
    out = pd.DataFrame({
        "option": df["option"], "party": df["party"], "mineral": df["mineral"],
        "mitigation_capacity": df["capacity"].astype(float),
        "max_cut_share": df["max_share"].astype(float), "lead_time": df["lead_time"],
        "fee_paid": df["fee_paid"].astype(float)})
    out["expected_mitigation"] = out["option"].map(
        _expected(use, "mitigation_use", data)).fillna(0.0).astype(float)
    out["expected_mitigation_cost"] = out["option"].map(
        _expected(use, "mitigation_cost", data)).fillna(0.0).astype(float)
    used = (out["mitigation_capacity"] > ZERO_TOLERANCE) | \
        (out["expected_mitigation"] > ZERO_TOLERANCE)
    chosen = out[used].sort_values(["fee_paid", "mitigation_capacity"], ascending=False,
                                   kind="stable")
    out = pd.concat([chosen, out[~used]]) if (~used).any() else chosen
    out["chosen"] = [_yes_no(x) for x in used.reindex(out.index)]
    return out[MITIGATION_COLUMNS].reset_index(drop=True)


def mitigation_use(results: Results) -> pd.DataFrame | None:
    """Demand cut per scenario, option and period (nonzero rows), scenarios worst first."""
    if "mitigation_use" not in results.tables:
        return None
    df = results.tables["mitigation_use"]
    df = df[df["use"].astype(float) > ZERO_TOLERANCE]
    out = pd.DataFrame({
        "scenario": df["scenario"], "option": df["option"], "party": df["party"],
        "mineral": df["mineral"], "period": df["period"],
        "mitigation_use": df["use"].astype(float), "mitigation_cost": df["cost"].astype(float)},
        columns=USE_COLUMNS)
    return worst_first(out.reset_index(drop=True), results)




def policy_sentences(results: Results, data: ModelData) -> list[str]:
    """What the levers did, in a few words each (for the Summary)."""
    out = []
    floors = cover_floors(results)
    if data.cover_targets:
        if floors is None:
            out.append(f"{len(data.cover_targets)} cover floors are set.")
        else:
            binding = int((floors["floor_status"] == "binding").sum())
            missed = int((floors["floor_status"] == "not met").sum())
            out.append(f"{len(floors)} cover floor{'s' if len(floors) != 1 else ''}: "
                       f"{binding} binding (the plan holds exactly the floor), "
                       f"{len(floors) - binding - missed} met with room to spare"
                       + (f", {missed} not met" if missed else "") + ".")
    conc = concentration_summary(results, data)
    if data.concentration_limits:
        if conc is None:
            out.append(f"{len(data.concentration_limits)} concentration caps are set.")
        else:
            over_before = int(sum(1 for b, lim in zip(conc["top_share_before"],
                                                      conc["share_limit"], strict=True)
                                  if b is not None and b == b and b > lim + 1e-9))
            out.append(f"Concentration caps on {len(conc)} party-mineral pairs: "
                       f"{over_before} above the cap on baseline supply alone, "
                       f"{int((conc['within_limit'] == 'no').sum())} above it with the plan.")
    options = mitigation_options(results, data)
    if data.mitigations:
        if options is None:
            out.append(f"{len(data.mitigations)} mitigation options are offered.")
        else:
            chosen = int((options["chosen"] == "yes").sum())
            out.append(f"Mitigation: {chosen} of {len(options)} options prepared, fees "
                       f"{money_text(options['fee_paid'].sum(), data.currency)}, expected "
                       f"demand cut {options['expected_mitigation'].sum():,.1f} t over the "
                       "horizon.")
    return out


def write_policy_levers(w: SheetWriter, results: Results, data: ModelData,
                        back_to: str = "Summary") -> None:
    """Policy levers: cover floors, concentration before and after, mitigation options and
    their use per scenario; one section per table, links at the top."""
    floors = cover_floors(results) if data.cover_targets else None
    conc = concentration_summary(results, data) if data.concentration_limits else None
    shares = concentration_shares(results) if data.concentration_limits else None
    options = mitigation_options(results, data) if data.mitigations else None
    uses = mitigation_use(results) if data.mitigations else None
    sections: list[tuple[str, str, pd.DataFrame | None, str, bool]] = []
    if data.cover_targets:
        sections.append((
            "Cover floors", "Cover floors: stock at the start against the floor", floors,
            "A floor is periods × the average per-period basis (baseline demand or net "
            "imports). binding = the plan holds exactly the floor (it costs money); met = "
            "above it.", True))
    if data.concentration_limits:
        sections.append((
            "Concentration", "Concentration: the largest single-source share, before and "
            "after the plan", conc,
            "Share of the party's baseline supply plus offtake capacity from one source, the "
            "largest over capped sources and periods; before = baseline supply alone. "
            "Excluded sources are not capped (left out of the maximum) but count in the "
            "total.", True))
        sections.append(("Shares", "Shares per source and period", shares,
                         "Every source's share of the party's baseline supply plus offtake "
                         "capacity, before and after the plan.", False))
    if data.mitigations:
        sections.append((
            "Mitigation options", "Mitigation options: capacity prepared and expected use",
            options, "Capacity = the most demand the option can cut per period; the fee is "
            "paid from the budget, the cost per tonne in the scenario where it is used.",
            True))
        sections.append(("Mitigation per scenario", "Mitigation used per scenario and period",
                         uses, "Nonzero demand cuts only; scenarios worst first (as on "
                         "Scenarios).", False))
    frames = [df for *_, df, _n, _b in sections if df is not None]
    widths = w.fit_widths(frames or [pd.DataFrame(columns=["target"])], first=14)
    labels = [label for label, *_ in sections]
    after = start_sheet(w, widths, labels)
    w.title("Policy levers: cover floors, concentration caps, demand-side mitigation", back_to)
    w.note("The levers of the CoverTargets, ConcentrationLimits and Mitigation input sheets, "
           "and what the plan does with them.")
    anchors = section_anchors(after, [1 if df is None else len(df)
                                      for *_, df, _n, _b in sections], before_table=3)
    w.nav([(label, POLICY, f"A{a}") for label, a in zip(labels, anchors, strict=True)])
    for _label, title, df, note, _main in sections:
        w.blank()
        w.section(title)
        w.note(note)
        if df is None:
            w.append(["(not in the results of this version)"])
            w.note("")
            continue
        styles = None
        if "floor_status" in df.columns:
            styles = [None if s != "not met" else "tail" for s in df["floor_status"]]
        elif "within_limit" in df.columns:
            styles = ["tail" if s == "no" else None for s in df["within_limit"]]
        elif "chosen" in df.columns:
            styles = ["muted" if c == "no" else None for c in df["chosen"]]
        span = w.table(df, f"{POLICY}: {title.split(':')[0].lower()}", widths=widths,
                       row_styles=styles)
        if len(df) > 20 and span.last_row >= span.first_row:
            w.ws.auto_filter.ref = span.ref
