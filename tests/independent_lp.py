"""An independent implementation of the model contract, for cross-checking stockopt.

Written from the shared specification only (FORMULATION.md and WORKBOOK.md), not from
stockopt's model code. The three optional policy levers (cover floors, concentration caps,
demand-side mitigation) are named but not defined by the contract (FORMULATION-v2.md: "the
policy levers the product already has"); their rows follow the user guide of the sheets
(README, "Policy levers" and the CoverTargets / ConcentrationLimits / Mitigation tables) and
the readings stated in models/formulation.md, written here without looking at the model
code. Each is stated where it is built (``build``). FORMULATION-v2 section 5 (Stockpiles
column ``access``: members of a ``shares`` stockpile draw within their cost shares) is
written from that section's formula. FORMULATION-v2 sections 3 and 4 are covered too:
``alone_sheets`` restricts the workbook to one party AT THE SHEET LEVEL, following the
section's list (not stockopt's ModelData restriction), ``alone_risk`` is R_p^alone (phase 1
of that restricted workbook), and ``build`` adds section 4's party risk limits (Parties
column ``max_risk``, Settings ``party_risk_limit = alone``). Parts:

* ``read_sheets`` / ``data_from_sheets``: an independent reading of a workbook (or of the
  ``{sheet: [header, rows...]}`` lists the tests write) into a ``ModelData`` container, so
  that stockopt's own reader/normalizer can be checked too (``compare_data``).
* ``solve_independent``: the extensive-form LP of FORMULATION.md built row by row into a
  sparse matrix and solved by HiGHS dual simplex through ``scipy.optimize.linprog``.
  Phase 1 minimizes R; phase 2 adds R <= R* + 1e-7·max(1, |R*|) and minimizes Cost. The
  party risk limits (section 4) are rows of both phases; with ``party_risk_limit = alone``
  the data must carry ``alone_risk`` (``with_alone_risks`` or ``solve_sheets``).
* ``alone_sheets`` / ``alone_risk`` / ``with_alone_risks`` / ``solve_sheets``: section 3
  on the ``{sheet: [records]}`` dicts of ``read_sheets`` / ``sheets_from_lists``.
* ``party_risks``: section 2's E_p, CVaR_p and R_p of a plan given by its shortfalls.
* ``budget_dual_interval``: the exact range of valid phase-1 budget duals, from one-sided
  finite differences of R*(B) (R* is convex and piecewise linear in each budget, so the
  set of optimal duals of one budget row is [left derivative, right derivative]); also
  of a PeriodBudgets row (``period``).

FORMULATION-v2 sections 6 (purchases over time) and 7 (take-or-pay) are written from
those sections' formulas, each where it is built (``build``): orders a[k,m,t] (period 1
under ``purchase_timing = start``, any period under ``periods``; none with t + ℓ_m > n),
arrivals arr[k,m,t] = a[k,m,t−ℓ_m] in the stock balance, capacity S0 + Σ_{t'≤t} arr ≤ cap
for every t, market depth over all orders and per order period, PricePath prices,
holding from arrival, PeriodBudgets rows F_{p,t} ≤ B_{p,t} (fees in period 1), cover
floors on S0 + Σ_{t'≤t} arr in every t from ``from_period``, section 5's shares with
Σ_{t'≤t} arr, and take-or-pay w[o,t,s] ≥ min_take·A·x − v priced at price_o.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import openpyxl
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from stockopt.data import (
    ConcentrationLimit,
    CoverTarget,
    Holding,
    Mitigation,
    ModelData,
    Offtake,
    Swap,
)

# --------------------------------------------------------------------------------------
# Reading (WORKBOOK.md)
# --------------------------------------------------------------------------------------

KNOWN_COLUMNS = {
    "party", "mineral", "stockpile", "offtake", "swap", "scenario", "period", "source",
    "lender_stockpile", "receiver", "return_mineral", "first_period", "start_period",
    "end_period", "key", "value", "budget", "price", "max_acquisition", "cost_share",
    "initial_stock", "max_stock", "holding_cost", "max_release", "demand", "criticality",
    "volume", "max_volume", "fee", "return_ratio", "return_lag", "probability", "description",
    "availability", "multiplier",
    # The policy-lever sheets (CoverTargets, ConcentrationLimits, Mitigation).
    "target", "periods", "basis", "domestic_sources", "max_share", "excluded_sources",
    "option", "cost", "lead_time",
    # FORMULATION-v2 section 5: Stockpiles access (free or shares).
    "access",
    # FORMULATION-v2 section 8: a party's budget in its own currency.
    "currency",
    # FORMULATION-v2 section 4: the most risk a party accepts.
    "max_risk",
    # FORMULATION-v2 sections 6-7: Minerals lead_time (named above, as Mitigation's) and
    # max_acquisition_per_period; sheets PricePath (mineral, period, price) and
    # PeriodBudgets (party, period, budget); CoverTargets from_period; Offtakes min_take.
    "max_acquisition_per_period", "from_period", "min_take",
}
"""Every column WORKBOOK.md (and the lever sheets' guide) names; a row counts as a record if
one of these is non-blank."""


def read_sheets(path: str | Path) -> dict[str, list[dict]]:
    """Read an .xlsx into {lower-case sheet name: [record dicts keyed by lower-case header]}."""
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    out: dict[str, list[dict]] = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        out[ws.title.strip().lower()] = _records(rows)
    wb.close()
    return out


def sheets_from_lists(sheets: dict[str, list[list]]) -> dict[str, list[dict]]:
    """The same structure as ``read_sheets`` from the lists given to ``write_workbook``."""
    return {name.strip().lower(): _records(rows) for name, rows in sheets.items()}


def _records(rows: list[list]) -> list[dict]:
    if not rows:
        return []
    header = [None if h is None else str(h).strip().lower() for h in rows[0]]
    recs = []
    for row in rows[1:]:
        rec = {}
        for h, v in zip(header, row, strict=False):
            if h not in KNOWN_COLUMNS:
                continue
            if isinstance(v, str) and not v.strip():
                v = None
            rec[h] = v
        if any(v is not None for v in rec.values()):
            recs.append(rec)
    return recs


def _ident(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise ValueError(f"boolean identifier {v!r}")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return repr(v)
    s = str(v).strip()
    return s or None


def _num(v: object, default: float | None = None) -> float | None:
    if v is None:
        return default
    if isinstance(v, str):
        return float(v.strip())
    return float(v)


def _source_list(v: object, default: tuple[str, ...]) -> tuple[str, ...]:
    """A ';'-separated list of sources, each trimmed; blank gives ``default``."""
    if v is None:
        return default
    return tuple(x.strip() for x in str(v).split(";") if x.strip())


def data_from_sheets(sheets: dict[str, list[dict]]) -> ModelData:
    """Apply WORKBOOK.md's rules (defaults, blank periods, min/product, wildcards)."""
    def table(name: str) -> list[dict]:
        return sheets.get(name, [])

    def g(rec: dict, col: str) -> object:
        return rec.get(col)

    periods = [_ident(g(r, "period")) for r in table("periods")]
    pos = {p: i + 1 for i, p in enumerate(periods)}
    n = len(periods)

    settings = {"risk_weight": 0.5, "cvar_alpha": 0.9, "pooled_budget": None}
    for r in table("settings"):
        key = str(g(r, "key")).strip().lower()
        if key in settings and g(r, "value") is not None:
            settings[key] = _num(g(r, "value"))

    # FORMULATION-v2 section 8: a budget is in its party's currency (blank: the base, the
    # Settings currency) and enters as budget × rate, the rate being base units per unit.
    text = {str(g(r, "key")).strip().lower(): g(r, "value") for r in table("settings")}
    base = str(text.get("currency") or "USD").strip()
    rates: dict[str, float] = {}
    for item in str(text.get("exchange_rates") or "").split(";"):
        if item.strip():
            code, rate = item.split("=")
            rates[code.strip()] = float(rate)
    rates.pop(base, None)
    own = {_ident(g(r, "party")): _ident(g(r, "currency")) for r in table("parties")}
    own = {p: c for p, c in own.items() if c is not None and c != base}

    # FORMULATION-v2 section 6: purchase_timing, start (default, blank) or periods,
    # case-insensitive.
    timing = text.get("purchase_timing")
    timing = "start" if timing is None else str(timing).strip().lower()

    parties = [_ident(g(r, "party")) for r in table("parties")]
    budget = {_ident(g(r, "party")): _num(g(r, "budget")) for r in table("parties")}
    budget = {p: b * rates[own[p]] if b is not None and p in own else b
              for p, b in budget.items()}
    minerals = [_ident(g(r, "mineral")) for r in table("minerals")]
    price = {_ident(g(r, "mineral")): _num(g(r, "price")) for r in table("minerals")}
    maxacq = {_ident(g(r, "mineral")): _num(g(r, "max_acquisition")) for r in table("minerals")}
    # Section 6: lead time ℓ_m in whole periods (blank 0; kept only where nonzero), the
    # market depth per order period (blank: none), PricePath prices by order period and
    # PeriodBudgets rows (in the party's currency, entering as budget × rate).
    lead = {_ident(g(r, "mineral")): int(_num(g(r, "lead_time"), 0.0)) for r in table("minerals")}
    lead = {m: v for m, v in lead.items() if v != 0}
    per_period = {_ident(g(r, "mineral")): _num(g(r, "max_acquisition_per_period"))
                  for r in table("minerals") if g(r, "max_acquisition_per_period") is not None}
    price_path = {(_ident(g(r, "mineral")), pos[_ident(g(r, "period"))]): _num(g(r, "price"))
                  for r in table("pricepath")}
    pb_entered = {(_ident(g(r, "party")), pos[_ident(g(r, "period"))]): _num(g(r, "budget"))
                  for r in table("periodbudgets") if g(r, "budget") is not None}
    pb = {(p, t): b * rates[own[p]] if p in own else b for (p, t), b in pb_entered.items()}

    members: dict[str, dict[str, float]] = {}
    access: dict[str, str] = {}
    for r in table("stockpiles"):
        members.setdefault(_ident(g(r, "stockpile")), {})[_ident(g(r, "party"))] = \
            _num(g(r, "cost_share"), 1.0)
        # access: free (the default, blank) or shares, case-insensitive; all rows of one
        # stockpile agree in a valid workbook.
        if str(g(r, "access") or "").strip().lower() == "shares":
            access[_ident(g(r, "stockpile"))] = "shares"
    holdings = {}
    for r in table("holdings"):
        holdings[(_ident(g(r, "stockpile")), _ident(g(r, "mineral")))] = Holding(
            initial_stock=_num(g(r, "initial_stock"), 0.0),
            max_stock=_num(g(r, "max_stock")),
            holding_cost=_num(g(r, "holding_cost"), 0.0),
            max_release=_num(g(r, "max_release")),
        )

    demand: dict = {}
    crit: dict = {}
    # Blank-period rows first (every period), then period rows override their period.
    for blank in (True, False):
        for r in table("demand"):
            per = _ident(g(r, "period"))
            if (per is None) != blank:
                continue
            p, m = _ident(g(r, "party")), _ident(g(r, "mineral"))
            for t in (range(1, n + 1) if per is None else [pos[per]]):
                demand[(p, m, t)] = _num(g(r, "demand"))
                crit[(p, m, t)] = _num(g(r, "criticality"), 1.0)

    supply: dict = {}
    for r in table("supply"):
        per = _ident(g(r, "period"))
        key3 = (_ident(g(r, "party")), _ident(g(r, "mineral")), _ident(g(r, "source")))
        for t in (range(1, n + 1) if per is None else [pos[per]]):
            supply[(*key3, t)] = supply.get((*key3, t), 0.0) + _num(g(r, "volume"))

    offtakes = {}
    for r in table("offtakes"):
        fp = _ident(g(r, "first_period"))
        offtakes[_ident(g(r, "offtake"))] = Offtake(
            party=_ident(g(r, "party")), mineral=_ident(g(r, "mineral")),
            source=_ident(g(r, "source")), max_volume=_num(g(r, "max_volume")),
            fee=_num(g(r, "fee"), 0.0), price=_num(g(r, "price"), 0.0),
            first_period=1 if fp is None else pos[fp],
            min_take=_num(g(r, "min_take"), 0.0),  # section 7, default 0
        )
    swaps = {}
    for r in table("swaps"):
        m = _ident(g(r, "mineral"))
        swaps[_ident(g(r, "swap"))] = Swap(
            lender=_ident(g(r, "lender_stockpile")), receiver=_ident(g(r, "receiver")),
            mineral=m, return_mineral=_ident(g(r, "return_mineral")) or m,
            return_ratio=_num(g(r, "return_ratio"), 1.0),
            return_lag=int(_num(g(r, "return_lag"), 1.0)),
            max_volume=_num(g(r, "max_volume")), fee=_num(g(r, "fee"), 0.0),
        )

    scenarios = [_ident(g(r, "scenario")) for r in table("scenarios")]
    prob = {_ident(g(r, "scenario")): _num(g(r, "probability")) for r in table("scenarios")}

    def span(r: dict) -> range:
        a, b = _ident(g(r, "start_period")), _ident(g(r, "end_period"))
        return range(1 if a is None else pos[a], (n if b is None else pos[b]) + 1)

    # Availability for every (source, mineral) any Supply or Offtakes row could use.
    sources = {c for (_p, _m, c, _t) in supply} | {o.source for o in offtakes.values()}
    avail: dict = {}
    for r in table("disruptions"):
        s, c0, m0 = _ident(g(r, "scenario")), _ident(g(r, "source")), _ident(g(r, "mineral"))
        for c in sources:
            for m in minerals:
                if c0 not in ("*", c) or m0 not in ("*", m):
                    continue
                for t in span(r):
                    k = (c, m, t, s)
                    avail[k] = min(avail.get(k, 1.0), _num(g(r, "availability")))
    mult: dict = {}
    for r in table("demandshocks"):
        s, p0, m0 = _ident(g(r, "scenario")), _ident(g(r, "party")), _ident(g(r, "mineral"))
        for p in parties:
            for m in minerals:
                if p0 not in ("*", p) or m0 not in ("*", m):
                    continue
                for t in span(r):
                    k = (p, m, t, s)
                    mult[k] = mult.get(k, 1.0) * _num(g(r, "multiplier"))

    # CoverTargets: the floor in tonnes is periods × the horizon average (over all n
    # periods) of the per-period basis: baseline demand d, or net imports
    # max(0, d − Σ_{c domestic} q), per party and period; a stockpile target sums the
    # basis of its members.
    def basis(p: str, m: str, t: int, kind: str, domestic: tuple[str, ...]) -> float:
        d = demand.get((p, m, t), 0.0)
        if kind == "net_imports":
            d = max(0.0, d - sum(supply.get((p, m, c, t), 0.0) for c in set(domestic)))
        return d

    cover = {}
    for r in table("covertargets"):
        p, k, m = _ident(g(r, "party")), _ident(g(r, "stockpile")), _ident(g(r, "mineral"))
        kind = "demand" if g(r, "basis") is None else str(g(r, "basis")).strip().lower()
        dom = _source_list(g(r, "domestic_sources"), ("domestic",))
        who = [p] if p is not None else list(members[k])
        total = sum(basis(q, m, t, kind, dom) for q in who for t in range(1, n + 1))
        per_count = _num(g(r, "periods"))
        fp = _ident(g(r, "from_period"))  # section 6: a period label, default the first
        cover[_ident(g(r, "target"))] = CoverTarget(
            party=p, stockpile=k, mineral=m, periods=per_count, basis=kind,
            domestic_sources=dom, required=per_count * total / n,
            from_period=1 if fp is None else pos[fp],
        )
    conc = [
        ConcentrationLimit(
            party=_ident(g(r, "party")), mineral=_ident(g(r, "mineral")),
            max_share=_num(g(r, "max_share"), 0.65),
            excluded=_source_list(g(r, "excluded_sources"), ()),
        )
        for r in table("concentrationlimits")
    ]
    # ModelData holds the caps in force per (party, mineral): a ``*`` row is expanded to
    # every mineral without a row of its own (stockopt's model reads them so; a ModelData
    # of ours is also given to stockopt.solve directly).
    conc = [ConcentrationLimit(party=p, mineral=m, max_share=share, excluded=tuple(sorted(ex)))
            for (p, m), (share, ex) in concentration_caps(
                _Caps(concentration_limits=conc, minerals=minerals)).items()]
    mitig = {}
    for r in table("mitigation"):
        mitig[_ident(g(r, "option"))] = Mitigation(
            party=_ident(g(r, "party")), mineral=_ident(g(r, "mineral")),
            max_share=_num(g(r, "max_share")), cost=_num(g(r, "cost"), 0.0),
            lead_time=int(_num(g(r, "lead_time"), 0.0)), fee=_num(g(r, "fee"), 0.0),
        )

    # FORMULATION-v2 section 4: Parties column max_risk (blank: no limit) and the setting
    # party_risk_limit (none, the default, or alone; case-insensitive, blank: none).
    max_risk = {_ident(g(r, "party")): _num(g(r, "max_risk")) for r in table("parties")
                if g(r, "max_risk") is not None}
    limit = text.get("party_risk_limit")
    limit = "none" if limit is None else str(limit).strip().lower()

    return ModelData(
        periods=periods, parties=parties, minerals=minerals, scenarios=scenarios,
        stockpiles=list(members), budget=budget, price=price, max_acquisition=maxacq,
        members=members, holdings=holdings, demand=demand, criticality=crit,
        supply=supply, offtakes=offtakes, swaps=swaps, probability=prob,
        availability=avail, demand_multiplier=mult,
        risk_weight=float(settings["risk_weight"]), cvar_alpha=float(settings["cvar_alpha"]),
        pooled_budget=settings["pooled_budget"],
        cover_targets=cover, concentration_limits=conc, mitigations=mitig, access=access,
        currency=base, party_currency=own, exchange_rates=rates,
        max_risk=max_risk, party_risk_limit=limit, alone_risk={},
        purchase_timing=timing, lead_time=lead, price_path=price_path,
        max_acquisition_per_period=per_period, period_budgets=pb,
        period_budgets_entered=pb_entered,
    )


@dataclass
class _Caps:
    """What ``concentration_caps`` reads of a ModelData."""

    concentration_limits: list
    minerals: list


def concentration_caps(data: ModelData | _Caps) -> dict[tuple[str, str], tuple[float, frozenset]]:
    """{(party, mineral): (max_share, excluded sources)} in force: a row naming the mineral
    overrides the party's ``*`` row, which covers every other mineral."""
    caps: dict[tuple[str, str], tuple[float, frozenset]] = {}
    for specific in (False, True):
        for c in data.concentration_limits:
            if (c.mineral != "*") != specific:
                continue
            for m in (data.minerals if c.mineral == "*" else [c.mineral]):
                caps[(c.party, m)] = (c.max_share, frozenset(c.excluded))
    return caps


def _supplied(data: ModelData) -> set[tuple[str, str]]:
    """(party, mineral) pairs with a Supply row (positive volume) or an offtake option."""
    return {(p, m) for (p, m, _c, _t), q in data.supply.items() if q > 0} | \
        {(o.party, o.mineral) for o in data.offtakes.values()}


def compare_data(mine: ModelData, theirs: ModelData) -> list[str]:
    """Differences that matter to the LP between two readings of one workbook."""
    diffs: list[str] = []

    def same(a: object, b: object) -> bool:
        if isinstance(a, int | float) and isinstance(b, int | float):
            return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, Holding | Offtake | Swap | Mitigation) and type(a) is type(b):
            return same(vars(a), vars(b))
        return a == b

    def check(what: str, a: object, b: object) -> None:
        if not same(a, b):
            diffs.append(f"{what}: mine {a!r} theirs {b!r}")

    for name in ("periods", "parties", "minerals", "scenarios", "budget", "price",
                 "max_acquisition", "members", "holdings", "offtakes", "swaps", "probability",
                 "risk_weight", "cvar_alpha", "pooled_budget", "mitigations", "currency",
                 "party_currency", "exchange_rates", "max_risk", "party_risk_limit",
                 # FORMULATION-v2 sections 6-7 (Offtake.min_take is compared with the
                 # offtakes, CoverTarget.from_period with the cover targets below, the
                 # PricePath below).
                 "purchase_timing", "lead_time", "max_acquisition_per_period",
                 "period_budgets", "period_budgets_entered"):
        check(name, getattr(mine, name), getattr(theirs, name))
    # PricePath: the price of an order of every (mineral, period), the row's or the
    # Minerals price (a row equal to the Minerals price may be kept or left out).
    for m in mine.minerals:
        for t in mine.period_numbers:
            check(f"price{(m, t)}", mine.price_path.get((m, t), mine.price[m]),
                  theirs.price_path.get((m, t), theirs.price.get(m)))
    # Cover floors: who, what and the floor in tonnes (domestic sources matter only for
    # a net-imports basis).
    if mine.cover_targets.keys() != theirs.cover_targets.keys():
        diffs.append(f"cover targets: {sorted(mine.cover_targets)} vs "
                     f"{sorted(theirs.cover_targets)}")
    for name in mine.cover_targets.keys() & theirs.cover_targets.keys():
        a, b = mine.cover_targets[name], theirs.cover_targets[name]
        check(f"cover {name}", (a.party, a.stockpile, a.mineral, a.basis.lower(),
                                a.from_period),
              (b.party, b.stockpile, b.mineral, b.basis.lower(), b.from_period))
        if not math.isclose(a.required, b.required, rel_tol=1e-9, abs_tol=1e-9):
            diffs.append(f"cover {name} required: mine {a.required!r} theirs {b.required!r}")
        if a.basis == "net_imports":
            check(f"cover {name} domestic", set(a.domestic_sources), set(b.domestic_sources))
    # Concentration caps in force, wherever they can matter (supply or offtakes exist).
    cm, ct = concentration_caps(mine), concentration_caps(theirs)
    for pm in sorted(_supplied(mine)):
        check(f"cap{pm}", cm.get(pm), ct.get(pm))
    check("shares access", {k for k, v in mine.access.items() if v == "shares"},
          {k for k, v in theirs.access.items() if v == "shares"})
    if set(mine.stockpiles) != set(theirs.stockpiles):
        diffs.append(f"stockpiles: {mine.stockpiles} vs {theirs.stockpiles}")
    ts = mine.period_numbers
    for p in mine.parties:
        for m in mine.minerals:
            for t in ts:
                d1 = mine.demand.get((p, m, t), 0.0)
                check(f"d{(p, m, t)}", d1, theirs.demand.get((p, m, t), 0.0))
                if d1 > 0:
                    check(f"crit{(p, m, t)}", mine.criticality[(p, m, t)],
                          theirs.criticality.get((p, m, t), 1.0))
                for s in mine.scenarios:
                    check(f"D{(p, m, t, s)}", _D(mine, p, m, t, s), _D(theirs, p, m, t, s))
    keys = {k for k, v in mine.supply.items() if v != 0} | set(theirs.supply)
    for k in keys:
        check(f"q{k}", mine.supply.get(k, 0.0), theirs.supply.get(k, 0.0))
    flows = {(c, m) for (_p, m, c, _t) in keys} | \
        {(o.source, o.mineral) for o in mine.offtakes.values()}
    for c, m in sorted(flows):
        for t in ts:
            for s in mine.scenarios:
                check(f"A{(c, m, t, s)}", mine.availability.get((c, m, t, s), 1.0),
                      theirs.availability.get((c, m, t, s), 1.0))
    return diffs


def _D(data: ModelData, p: str, m: str, t: int, s: str) -> float:
    d = data.demand.get((p, m, t), 0.0)
    return d * data.demand_multiplier.get((p, m, t, s), 1.0)


# --------------------------------------------------------------------------------------
# The LP (FORMULATION.md)
# --------------------------------------------------------------------------------------

INF = math.inf


class _LP:
    """Columns with bounds and sparse rows lo <= a·x <= hi, built by name."""

    def __init__(self) -> None:
        self.col: dict[tuple, int] = {}
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []
        self.row_name: dict[tuple, int] = {}
        self.infeasible: list[tuple] = []  # rows of data alone that the data breaks
        # FORMULATION-v2 section 2: {party: {scenario: loss terms of L_{p,s}}}.
        self.party_losses: dict[str, dict[str, list]] = {}
        # Section 4 rows: [(party, kind, bound)]; parties whose R_p^alone is missing.
        self.limits: list[tuple[str, str, float]] = []
        self.party_risk_terms: dict[str, list] = {}  # left side of a party's limit rows
        self.missing_alone: list[str] = []
        # FORMULATION-v2 section 6: {(party, period): terms of F_{p,t}}.
        self.period_spend: dict[tuple[str, int], list] = {}

    def var(self, key: tuple, lb: float = 0.0, ub: float = INF) -> int:
        assert key not in self.col, key
        self.col[key] = len(self.lb)
        self.lb.append(lb)
        self.ub.append(ub)
        return self.col[key]

    def row(self, terms: list[tuple[tuple, float]], lo: float, hi: float,
            name: tuple | None = None) -> None:
        coef: dict[int, float] = {}
        for key, c in terms:
            j = self.col[key]
            coef[j] = coef.get(j, 0.0) + c
        if name is not None:
            self.row_name[name] = len(self.rows)
        self.rows.append((coef, lo, hi))

    def objective(self, terms: list[tuple[tuple, float]]) -> np.ndarray:
        c = np.zeros(len(self.lb))
        for key, v in terms:
            c[self.col[key]] += v
        return c


@dataclass
class IndependentResult:
    status: str
    risk: float = math.nan
    cost: float = math.nan
    expected_loss: float = math.nan
    cvar: float = math.nan
    losses: dict[str, float] = field(default_factory=dict)
    spend: dict[str, float] = field(default_factory=dict)
    budget_dual: dict[str, float] = field(default_factory=dict)
    pooled_dual: float = 0.0
    period_budget_dual: dict[tuple[str, int], float] = field(default_factory=dict)
    """{(party, period number): a phase-1 dual of F_{p,t} <= B_{p,t}} (base units; one
    valid dual of possibly many, see ``budget_dual_interval``)."""
    period_spend: dict[tuple[str, int], float] = field(default_factory=dict)
    """{(party, period number): F_{p,t}} of the phase-2 plan (base currency)."""
    orders: dict[tuple[str, str, int], float] = field(default_factory=dict)
    """{(stockpile, mineral, period number): a[k,m,t]} of the phase-2 plan (not unique)."""
    phase2_risk: float = math.nan
    infeasible: bool = False
    party: dict[str, dict[str, float]] = field(default_factory=dict)
    """Section 2 of the phase-2 plan: {p: {expected_loss, cvar, risk}} (not unique)."""
    limits: list[tuple[str, str, float]] = field(default_factory=list)
    """Section 4 rows in the model: (party, "max_risk" or "alone", bound)."""


def exact_cvar(losses: dict[str, float], prob: dict[str, float], alpha: float) -> float:
    """min over ζ of ζ + Σ π_s max(0, L_s − ζ)/(1−α); the minimum is at some L_s."""
    best = math.inf
    for z in losses.values():
        val = z + sum(prob[s] * max(0.0, L - z) for s, L in losses.items()) / (1.0 - alpha)
        best = min(best, val)
    return best


def build(data: ModelData) -> tuple[_LP, list, list, dict, dict]:
    """The extensive form. Returns (lp, risk terms, cost terms, loss terms, spend terms)."""
    lp = _LP()
    T = list(range(1, data.n_periods + 1))
    n = data.n_periods
    S = data.scenarios
    pi = data.probability
    H = data.holdings
    lam, alpha = data.risk_weight, data.cvar_alpha

    # FORMULATION-v2 section 6, orders and arrivals. a[k,m,t] >= 0 for (k,m) ∈ H and the
    # order periods t: t = 1 under purchase_timing start, every period under periods,
    # only those with t + ℓ_m <= n (later orders do not exist). An order of period t
    # arrives at the start of t + ℓ_m: arr[k,m,t] = a[k,m,t−ℓ_m] when that order exists.
    def lead(m: str) -> int:
        return int(data.lead_time.get(m, 0))

    def order_periods(m: str) -> list[int]:
        first = T if data.purchase_timing == "periods" else [1]
        return [t for t in first if t + lead(m) <= n]

    def price(m: str, t: int) -> float:  # PricePath, else the Minerals price
        return data.price_path.get((m, t), data.price[m])

    def arr(k: str, m: str, t: int, coef: float = 1.0) -> list:
        key = ("a", k, m, t - lead(m))
        return [(key, coef)] if key in lp.col else []

    def arrived(k: str, m: str, t: int, coef: float = 1.0) -> list:
        """Σ_{t'≤t} arr[k,m,t'] (times coef)."""
        return [tm for tt in range(1, t + 1) for tm in arr(k, m, tt, coef)]

    # First stage
    for (k, m) in H:
        for t in order_periods(m):
            lp.var(("a", k, m, t))
    for o, off in data.offtakes.items():
        lp.var(("x", o), 0.0, off.max_volume)
    for w, sw in data.swaps.items():
        lp.var(("y", w), 0.0, sw.max_volume)
    # Mitigation capacity u_i >= 0 (t/period). No upper bound of its own: use is bounded
    # by share·D and by u, so capacity beyond share·max D buys nothing.
    for i in data.mitigations:
        lp.var(("u", i), 0.0, INF)

    # Capacity (section 6): S0[k,m] + Σ_{t'≤t} arr[k,m,t'] <= cap[k,m] for every t (and
    # z <= cap, the column bound below).
    for (k, m), h in H.items():
        if h.max_stock is None:
            continue
        for t in T:
            terms = arrived(k, m, t)
            if terms:
                lp.row(terms, -INF, h.max_stock - h.initial_stock)
            elif h.initial_stock > h.max_stock:
                lp.infeasible.append(("capacity", k, m, t))

    # Market depth over all orders: Σ_{k,t} a[k,m,t] <= maxacq[m]; and, per order period,
    # Σ_k a[k,m,t] <= max_acquisition_per_period[m].
    for m in data.minerals:
        if data.max_acquisition.get(m) is not None:
            terms = [(("a", k, mm, t), 1.0) for (k, mm) in H if mm == m
                     for t in order_periods(m)]
            if terms:
                lp.row(terms, -INF, data.max_acquisition[m])
        if data.max_acquisition_per_period.get(m) is not None:
            for t in order_periods(m):
                terms = [(("a", k, mm, t), 1.0) for (k, mm) in H if mm == m]
                if terms:
                    lp.row(terms, -INF, data.max_acquisition_per_period[m])

    # Spending F_p: an order of period t costs price[m,t] + (n − t − ℓ_m + 1)·hold[k,m]
    # per tonne (holding from arrival to the end of the horizon), σ[k,p] of it to p; fees
    # as v1. fees[p] also feeds F_{p,1} below.
    spend: dict[str, list] = {p: [] for p in data.parties}
    fees: dict[str, list] = {p: [] for p in data.parties}
    for (k, m), h in H.items():
        for t in order_periods(m):
            unit = price(m, t) + (n - t - lead(m) + 1) * h.holding_cost
            for p, share in data.members[k].items():
                spend[p].append((("a", k, m, t), share * unit))
    for o, off in data.offtakes.items():
        fees[off.party].append((("x", o), off.fee))
    for w, sw in data.swaps.items():
        fees[sw.receiver].append((("y", w), sw.fee))
    # Mitigation: the preparation fee per t/period of capacity, from the party's budget.
    for i, mi in data.mitigations.items():
        fees[mi.party].append((("u", i), mi.fee))
    for p in data.parties:
        spend[p] += fees[p]

    # PeriodBudgets (section 6): F_{p,t} <= B_{p,t} (base currency), with
    #   F_{p,t} = Σ_{(k,m)} σ[k,p]·( price[m,t]·a[k,m,t]
    #                                + hold[k,m]·Σ_{t': t'+ℓ_m <= t} a[k,m,t'] )
    #             + [t = 1]·(p's offtake, swap and mitigation fees).
    # (lp.period_spend holds F_{p,t} for every party and period, rows or not.)
    for p in data.parties:
        for t in T:
            terms = []
            for (k, m), h in H.items():
                share = data.members[k].get(p)
                if share is None:
                    continue
                if ("a", k, m, t) in lp.col:
                    terms.append((("a", k, m, t), share * price(m, t)))
                terms += [(("a", k, m, tt), share * h.holding_cost)
                          for tt in order_periods(m) if tt + lead(m) <= t]
            if t == 1:
                terms += fees[p]
            lp.period_spend[(p, t)] = terms
    for (p, t), cap_pt in data.period_budgets.items():
        if (p, t) in lp.period_spend:
            lp.row(lp.period_spend[(p, t)], -INF, cap_pt, name=("period_budget", p, t))
    for p in data.parties:
        if data.budget.get(p) is not None:
            lp.row(spend[p], -INF, data.budget[p], name=("budget", p))
    if data.pooled_budget is not None:
        lp.row([tm for p in data.parties for tm in spend[p]], -INF, data.pooled_budget,
               name=("pooled",))

    # Cover floors (first stage), on the planned level S0 + Σ_{t'≤t} arr in every period t
    # from the row's from_period on (section 6; v1: the level S0 + a at the start):
    #   party target (p, m):     Σ_{k: p∈Mem(k), (k,m)∈H} σ[k,p]·(S0[k,m] + Σ arr) ≥ Q
    #   stockpile target (k, m): S0[k,m] + Σ_{t'≤t} arr[k,m,t'] ≥ Q
    # Q (``required``, tonnes) = periods × horizon average of the basis (data_from_sheets).
    for name, ct in data.cover_targets.items():
        m = ct.mineral
        if ct.party is not None:
            held = [(k, data.members[k][ct.party]) for k in data.stockpiles
                    if ct.party in data.members[k] and (k, m) in H]
        else:
            held = [(ct.stockpile, 1.0)] if (ct.stockpile, m) in H else []
        s0 = sum(sh * H[(k, m)].initial_stock for k, sh in held)
        for t in range(ct.from_period, n + 1):
            lp.row([tm for k, sh in held for tm in arrived(k, m, t, sh)], ct.required - s0,
                   INF, name=("cover", name, t))

    # Concentration caps (first stage): for each capped (p, m) with share L, every source c
    # not excluded and every period t, counting the offtakes of (p, m) that deliver in t
    # (t ≥ t0_o) at their reserved capacity and the baseline supply q:
    #   q[p,m,c,t] + Σ_{o: c_o=c} x_o ≤ L·(Σ_c' q[p,m,c',t] + Σ_o x_o)
    # i.e. Σ_o (1[c_o=c] − L)·x_o ≤ L·Σ_c' q[p,m,c',t] − q[p,m,c,t].
    for (p, m), (share, excluded) in concentration_caps(data).items():
        offs = {o: off for o, off in data.offtakes.items()
                if off.party == p and off.mineral == m}
        srcs = {c for (pp, mm, c, _t) in data.supply if pp == p and mm == m} | \
            {off.source for off in offs.values()}
        for t in T:
            q = {c: data.supply.get((p, m, c, t), 0.0) for c in srcs}
            live = {o: off for o, off in offs.items() if t >= off.first_period}
            for c in sorted(srcs - excluded):
                terms = [(("x", o), (1.0 if off.source == c else 0.0) - share)
                         for o, off in live.items()]
                rhs = share * sum(q.values()) - q[c]
                if any(coef != 0.0 for _k, coef in terms):
                    lp.row(terms, -INF, rhs)
                elif rhs < -1e-9 * max(1.0, sum(q.values())):
                    lp.infeasible.append(("concentration", p, m, c, t))

    # Second stage
    for s in S:
        for t in T:
            for (k, m), h in H.items():
                lp.var(("z", k, m, t, s), 0.0, INF if h.max_stock is None else h.max_stock)
                for p in data.members[k]:
                    lp.var(("r", k, p, m, t, s))
            for o in data.offtakes:
                lp.var(("v", o, t, s))
            for w in data.swaps:
                lp.var(("f", w, t, s))
            # Mitigation use: 0 <= mu <= share_i·D[p_i,m_i,t,s], from period lead_i + 1.
            for i, mi in data.mitigations.items():
                D = _D(data, mi.party, mi.mineral, t, s)
                if t > mi.lead_time and D > 0:
                    lp.var(("mu", i, t, s), 0.0, mi.max_share * D)
            for p in data.parties:
                for m in data.minerals:
                    D = _D(data, p, m, t, s)
                    if D > 0:
                        lp.var(("e", p, m, t, s), 0.0, D)
        lp.var(("eta", s))
    lp.var(("zeta",), -INF, INF)

    def ret_terms(w: str, t: int, s: str, sign: float) -> list:
        sw = data.swaps[w]
        t_draw = t - sw.return_lag
        if t_draw >= 1:
            return [(("f", w, t_draw, s), sign * sw.return_ratio)]
        return []

    losses: dict[str, list] = {}
    for s in S:
        for t in T:
            # Offtake deliveries
            for o, off in data.offtakes.items():
                if t < off.first_period:
                    lp.row([(("v", o, t, s), 1.0)], -INF, 0.0)
                else:
                    A = data.availability.get((off.source, off.mineral, t, s), 1.0)
                    lp.row([(("v", o, t, s), 1.0), (("x", o), -A)], -INF, 0.0)
                    # Section 7, take-or-pay: w[o,t,s] >= 0,
                    #   w >= min_take·A·x − v   (t >= t0_o); price_o·w in the cost.
                    if off.min_take > 0:
                        lp.var(("w", o, t, s))
                        lp.row([(("w", o, t, s), 1.0), (("v", o, t, s), 1.0),
                                (("x", o), -off.min_take * A)], 0.0, INF)
            # Mitigation use within the prepared capacity: mu <= u.
            for i in data.mitigations:
                if ("mu", i, t, s) in lp.col:
                    lp.row([(("mu", i, t, s), 1.0), (("u", i), -1.0)], -INF, 0.0)
            # Stock balance, capacity (bounds on z), release limit
            for (k, m), h in H.items():
                # z[t] = z[t−1] + arr[t] − releases − draws + returns, z[0] = S0.
                terms = [(("z", k, m, t, s), 1.0)] + arr(k, m, t, -1.0)
                rhs = 0.0
                if t == 1:
                    rhs = h.initial_stock
                else:
                    terms.append((("z", k, m, t - 1, s), -1.0))
                rel = [(("r", k, p, m, t, s), 1.0) for p in data.members[k]]
                rel += [(("f", w, t, s), 1.0) for w, sw in data.swaps.items()
                        if sw.lender == k and sw.mineral == m]
                terms += rel
                for w, sw in data.swaps.items():
                    if sw.lender == k and sw.return_mineral == m:
                        terms += ret_terms(w, t, s, -1.0)
                lp.row(terms, rhs, rhs)
                if h.max_release is not None:
                    lp.row(rel, -INF, h.max_release)
            # Party balance (every p, m, including D = 0: returns must be covered)
            for p in data.parties:
                for m in data.minerals:
                    D = _D(data, p, m, t, s)
                    base = sum(q * data.availability.get((c, m, t, s), 1.0)
                               for (pp, mm, c, tt), q in data.supply.items()
                               if pp == p and mm == m and tt == t)
                    terms = []
                    for o, off in data.offtakes.items():
                        if off.party == p and off.mineral == m:
                            terms.append((("v", o, t, s), 1.0))
                    for k in data.stockpiles:
                        if p in data.members[k] and (k, m) in H:
                            terms.append((("r", k, p, m, t, s), 1.0))
                    for w, sw in data.swaps.items():
                        if sw.receiver == p and sw.mineral == m:
                            terms.append((("f", w, t, s), 1.0))
                        if sw.receiver == p and sw.return_mineral == m:
                            terms += ret_terms(w, t, s, -1.0)
                    # Demand cut by mitigation counts as an inflow.
                    for i, mi in data.mitigations.items():
                        if mi.party == p and mi.mineral == m and ("mu", i, t, s) in lp.col:
                            terms.append((("mu", i, t, s), 1.0))
                    if D > 0:
                        terms.append((("e", p, m, t, s), 1.0))
                    if terms:
                        lp.row(terms, D - base, INF)
                    elif D - base > 1e-12:
                        raise AssertionError("infeasible balance row")
        # FORMULATION-v2 section 5, access by shares: for every member p of a stockpile k
        # with access shares, (k, m) ∈ H and period t, cumulative releases to p stay within
        # σ[k,p] × (S0 + arrivals so far + returns into (k, m) so far − swap draws from
        # (k, m) so far):
        #   Σ_{t'≤t} r[k,p,m,t'] − σ·Σ_{t'≤t} arr − σ·Σ_{t'≤t} ret + σ·Σ_{t'≤t} f ≤ σ·S0
        # (written for single-member stockpiles too: there it is implied by the balance).
        for k in data.stockpiles:
            if data.access.get(k, "free") != "shares":
                continue
            for (kk, m), h in H.items():
                if kk != k:
                    continue
                for p, share in data.members[k].items():
                    for t in T:
                        terms = [(("r", k, p, m, tt, s), 1.0) for tt in range(1, t + 1)]
                        terms += arrived(k, m, t, -share)
                        for w, sw in data.swaps.items():
                            if sw.lender != k:
                                continue
                            for tt in range(1, t + 1):
                                if sw.mineral == m:
                                    terms.append((("f", w, tt, s), share))
                                if sw.return_mineral == m:
                                    terms += ret_terms(w, tt, s, -share)
                        lp.row(terms, -INF, share * h.initial_stock)
        # Swap capacity per scenario
        for w in data.swaps:
            lp.row([(("f", w, t, s), 1.0) for t in T] + [(("y", w), -1.0)], -INF, 0.0)
        # Loss and CVaR: eta_s >= L_s - zeta. L_s = Σ_p L_{p,s} (section 2), with
        #   L_{p,s} = Σ_{m,t: d[p,m,t]>0} (crit[p,m,t]/d[p,m,t])·e[p,m,t,s]
        # (e exists only where D > 0; elsewhere the shortfall is 0).
        loss = []
        for p in data.parties:
            mine = []
            for m in data.minerals:
                for t in T:
                    d = data.demand.get((p, m, t), 0.0)
                    if d > 0 and _D(data, p, m, t, s) > 0:
                        mine.append((("e", p, m, t, s), data.criticality[(p, m, t)] / d))
            lp.party_losses.setdefault(p, {})[s] = mine
            loss += mine
        losses[s] = loss
        lp.row([(("eta", s), 1.0), (("zeta",), 1.0)] + [(key, -c) for key, c in loss],
               0.0, INF)

    # FORMULATION-v2 section 4, party risk limits, in every phase (rows of lp): for each
    # limited party p, zeta_p free, eta_{p,s} >= 0,
    #   eta_{p,s} >= L_{p,s} - zeta_p                                  (every s)
    #   (1-λ)·Σ_s π_s L_{p,s} + λ·(zeta_p + Σ_s π_s eta_{p,s}/(1-α)) <= bound
    # one row per bound: max_risk (Parties column), and with party_risk_limit = alone
    # R_p^alone + 1e-7·max(1, R_p^alone). Both rows share zeta_p and eta_{p,s}.
    for p in data.parties:
        bounds = []
        if p in data.max_risk:
            bounds.append(("max_risk", float(data.max_risk[p])))
        if data.party_risk_limit == "alone":
            if p not in data.alone_risk:
                lp.missing_alone.append(p)
            else:
                r = float(data.alone_risk[p])
                bounds.append(("alone", r + 1e-7 * max(1.0, r)))
        if not bounds:
            continue
        lp.var(("zeta_p", p), -INF, INF)
        for s in S:
            lp.var(("eta_p", p, s))
            lp.row([(("eta_p", p, s), 1.0), (("zeta_p", p), 1.0)]
                   + [(key, -c) for key, c in lp.party_losses[p][s]], 0.0, INF)
        lhs = [(key, (1 - lam) * pi[s] * c) for s in S for key, c in lp.party_losses[p][s]]
        lhs.append((("zeta_p", p), lam))
        lhs += [(("eta_p", p, s), lam * pi[s] / (1 - alpha)) for s in S]
        lp.party_risk_terms[p] = lhs
        for kind, bound in bounds:
            lp.row(lhs, -INF, bound, name=("party_limit", p, kind))
            lp.limits.append((p, kind, bound))

    risk = [(key, (1 - lam) * pi[s] * c) for s in S for key, c in losses[s]]
    risk.append((("zeta",), lam))
    risk += [(("eta", s), lam * pi[s] / (1 - alpha)) for s in S]

    cost = [tm for p in data.parties for tm in spend[p]]
    for s in S:
        for o, off in data.offtakes.items():
            cost += [(("v", o, t, s), pi[s] * off.price) for t in T]
            cost += [(("w", o, t, s), pi[s] * off.price) for t in T if ("w", o, t, s) in lp.col]
        for w, sw in data.swaps.items():
            cost += [(("f", w, t, s), pi[s] * sw.return_ratio * data.price[sw.return_mineral])
                     for t in T if t + sw.return_lag > n]
        # Mitigation: cost per tonne of demand cut, paid in the scenario.
        for i, mi in data.mitigations.items():
            cost += [(("mu", i, t, s), pi[s] * mi.cost) for t in T if ("mu", i, t, s) in lp.col]
    return lp, risk, cost, losses, spend


def _solve(lp: _LP, c: np.ndarray, extra: list[tuple[np.ndarray, float]] = ()):
    """linprog (HiGHS dual simplex) over lo <= Ax <= hi split into A_ub / A_eq."""
    ub_rows, ub_rhs, ub_id, eq_rows, eq_rhs = [], [], [], [], []
    for i, (coef, lo, hi) in enumerate(lp.rows):
        if lo == hi:
            eq_rows.append(coef)
            eq_rhs.append(hi)
            continue
        if hi < INF:
            ub_rows.append(coef)
            ub_rhs.append(hi)
            ub_id.append((i, 1.0))
        if lo > -INF:
            ub_rows.append({j: -v for j, v in coef.items()})
            ub_rhs.append(-lo)
            ub_id.append((i, -1.0))
    n = len(lp.lb)

    def mat(rows: list[dict]) -> csr_matrix:
        data, ri, ci = [], [], []
        for r, coef in enumerate(rows):
            for j, v in coef.items():
                ri.append(r)
                ci.append(j)
                data.append(v)
        return csr_matrix((data, (ri, ci)), shape=(len(rows), n))

    A_ub = mat(ub_rows)
    b_ub = np.array(ub_rhs, dtype=float)
    for vec, rhs in extra:
        A_ub = _vstack(A_ub, csr_matrix(vec.reshape(1, -1)))
        b_ub = np.append(b_ub, rhs)
    tried = []
    # (presolve, feasibility tolerances): the last attempt only when neither of the first
    # two solves nor proves infeasibility. At 1e-9, phase 2 of random workbook 59 of
    # test_independent_schedules (rescaled ×1e3, purchase_timing periods; the seed's
    # workbook when written) is called "unbounded" with and without
    # presolve, by dual simplex, IPM and the default alike, though every cost coefficient
    # is >= 0 on columns >= 0; at 1e-8 it solves (to stockopt's cost).
    for presolve, tol in ((True, 1e-9), (False, 1e-9), (True, 1e-8)):
        if tol > 1e-9 and any(r.status == 2 for r in tried):
            break  # a proof of infeasibility at 1e-9 stands
        # scipy's bundled HiGHS presolve has been seen to call a bounded phase 2 (all cost
        # coefficients >= 0 on columns >= 0) "unbounded" on a rescaled instance (seed 2423
        # of test_independent.random_sheets, with rescale and scramble); without presolve
        # it solves. So a failure is retried once without presolve. The other way round,
        # an infeasible phase 1 with party risk limits (the bundled example with EU
        # max_risk 0.9·R_EU and party_risk_limit alone) is "infeasible" with presolve and
        # "model status unknown" (status 4) without: a proof of infeasibility from either
        # attempt stands when neither solves.
        res = linprog(
            c, A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
            A_eq=mat(eq_rows) if eq_rows else None,
            b_eq=np.array(eq_rhs) if eq_rows else None,
            bounds=list(zip(lp.lb, [None if u == INF else u for u in lp.ub], strict=True)),
            method="highs-ds",
            options={"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol,
                     "presolve": presolve},
        )
        tried.append(res)
        if res.status == 0:
            break
    if res.status != 0 and any(r.status == 2 for r in tried):
        res = next(r for r in tried if r.status == 2)
    duals = {}
    if res.status == 0 and A_ub.shape[0]:
        marg = res.ineqlin.marginals
        for r, (i, _sign) in enumerate(ub_id):
            duals[i] = duals.get(i, 0.0) + marg[r] * _sign
    return res, duals


def _vstack(a: csr_matrix, b: csr_matrix) -> csr_matrix:
    from scipy.sparse import vstack

    return vstack([a, b], format="csr")


def _require_alone(lp: _LP) -> None:
    if lp.missing_alone:
        raise ValueError(f"party_risk_limit is alone but alone_risk lacks {lp.missing_alone}: "
                         "use with_alone_risks (or solve_sheets)")


def phase1_risk(data: ModelData) -> float:
    """R* only (inf when infeasible)."""
    lp, risk, _cost, _l, _s = build(data)
    _require_alone(lp)
    if lp.infeasible:
        return math.inf
    res, _ = _solve(lp, lp.objective(risk))
    return res.fun if res.status == 0 else math.inf


def solve_independent(data: ModelData) -> IndependentResult:
    lp, risk, cost, losses, spend = build(data)
    _require_alone(lp)
    if lp.infeasible:
        return IndependentResult(status=f"infeasible data rows {lp.infeasible}",
                                 infeasible=True, limits=lp.limits)
    c_risk = lp.objective(risk)
    res1, duals = _solve(lp, c_risk)
    if res1.status != 0:
        return IndependentResult(status=f"phase 1: {res1.message}",
                                 infeasible=res1.status == 2, limits=lp.limits)
    r_star = float(res1.fun)
    bud = {p: duals.get(lp.row_name[("budget", p)], 0.0) if ("budget", p) in lp.row_name
           else 0.0 for p in data.parties}
    pooled = duals.get(lp.row_name[("pooled",)], 0.0) if ("pooled",) in lp.row_name else 0.0
    per = {(p, t): duals.get(lp.row_name[("period_budget", p, t)], 0.0)
           for (p, t) in data.period_budgets if ("period_budget", p, t) in lp.row_name}

    bound = r_star + 1e-7 * max(1.0, abs(r_star))
    res2, _ = _solve(lp, lp.objective(cost), extra=[(c_risk, bound)])
    if res2.status != 0:
        return IndependentResult(status=f"phase 2: {res2.message}", risk=r_star)
    x = res2.x
    L = {s: float(sum(c * x[lp.col[key]] for key, c in terms)) for s, terms in losses.items()}
    el = sum(data.probability[s] * L[s] for s in data.scenarios)
    cv = exact_cvar(L, data.probability, data.cvar_alpha)
    sp = {p: float(sum(c * x[lp.col[key]] for key, c in spend[p])) for p in data.parties}
    per_sp = {pt: float(sum(c * x[lp.col[key]] for key, c in terms))
              for pt, terms in lp.period_spend.items()}
    orders = {key[1:]: float(x[j]) for key, j in lp.col.items() if key[0] == "a"}
    party = {}
    for p, terms in lp.party_losses.items():
        Lp = {s: float(sum(c * x[lp.col[key]] for key, c in terms[s])) for s in terms}
        party[p] = _measures(data, Lp)
    return IndependentResult(
        status="optimal", risk=r_star, cost=float(res2.fun), expected_loss=el, cvar=cv,
        losses=L, spend=sp, budget_dual=bud, pooled_dual=pooled, period_budget_dual=per,
        period_spend=per_sp, orders=orders,
        phase2_risk=float(c_risk @ x), party=party, limits=lp.limits,
    )


def _measures(data: ModelData, losses: dict[str, float]) -> dict[str, float]:
    """E, exact CVaR_α and R = (1−λ)·E + λ·CVaR of per-scenario losses."""
    lam = data.risk_weight
    el = sum(data.probability[s] * losses.get(s, 0.0) for s in data.scenarios)
    full = {s: losses.get(s, 0.0) for s in data.scenarios}
    cv = exact_cvar(full, data.probability, data.cvar_alpha)
    return {"expected_loss": el, "cvar": cv, "risk": (1 - lam) * el + lam * cv}


def party_risks(data: ModelData, shortfall: dict[tuple[str, str, int, str], float]
                ) -> dict[str, dict[str, float]]:
    """FORMULATION-v2 section 2 of a plan given by its shortfalls e[p,m,t,s] (tonnes; t the
    period number 1..n): {p: {expected_loss, cvar, risk}}, with
    L_{p,s} = Σ_{m,t: d[p,m,t]>0} (crit/d)·e[p,m,t,s]."""
    out = {}
    for p in data.parties:
        L = dict.fromkeys(data.scenarios, 0.0)
        for (pp, m, t, s), e in shortfall.items():
            d = data.demand.get((pp, m, t), 0.0)
            if pp == p and d > 0:
                L[s] += data.criticality[(pp, m, t)] / d * e
        out[p] = _measures(data, L)
    return out


# --------------------------------------------------------------------------------------
# FORMULATION-v2 section 3: Alone(p), on the sheets
# --------------------------------------------------------------------------------------

PARTY_ROW_SHEETS = ("offtakes", "demand", "supply", "mitigation", "concentrationlimits",
                    "periodbudgets")
"""Sheets of which Alone(p) keeps p's rows (the ``party`` column)."""


def alone_sheets(sheets: dict[str, list[dict]], party: str) -> dict[str, list[dict]]:
    """Alone(``party``) as the section lists it, on ``{sheet: [records]}`` (read_sheets):

    * Parties: the party's row alone (its budget, its currency), without max_risk;
      Settings: pooled_budget and party_risk_limit removed (no pooled budget and no
      section-4 limits: R_p^alone is phase 1 without them), the rest unchanged.
    * Stockpiles: those whose only member is the party (all their rows name it), with their
      Holdings rows; a stockpile with several members is dropped with its holdings.
    * Swaps: lender stockpile kept and receiver the party.
    * Offtakes, Demand, Supply, Mitigation, ConcentrationLimits, PeriodBudgets: the
      party's rows. CoverTargets: rows of the party, and rows of kept stockpiles (a row
      names one or the other). DemandShocks: rows for the party or ``*``.
    * Every other sheet (Periods, Minerals, Scenarios, Disruptions, ...) unchanged.
    """
    p = party

    def who(rec: dict, col: str = "party") -> str | None:
        return _ident(rec.get(col))

    out = {name: [dict(r) for r in recs] for name, recs in sheets.items()}
    if "parties" in out:
        out["parties"] = [{c: v for c, v in r.items() if c != "max_risk"}
                          for r in out["parties"] if who(r) == p]
    if "settings" in out:
        out["settings"] = [r for r in out["settings"]
                           if str(r.get("key")).strip().lower()
                           not in ("pooled_budget", "party_risk_limit")]
    members: dict[str | None, set] = {}
    for r in sheets.get("stockpiles", []):
        members.setdefault(who(r, "stockpile"), set()).add(who(r))
    kept = {k for k, mem in members.items() if mem == {p}}
    if "stockpiles" in out:
        out["stockpiles"] = [r for r in out["stockpiles"] if who(r, "stockpile") in kept]
    if "holdings" in out:
        out["holdings"] = [r for r in out["holdings"] if who(r, "stockpile") in kept]
    if "swaps" in out:
        out["swaps"] = [r for r in out["swaps"]
                        if who(r, "lender_stockpile") in kept and who(r, "receiver") == p]
    for name in PARTY_ROW_SHEETS:
        if name in out:
            out[name] = [r for r in out[name] if who(r) == p]
    if "covertargets" in out:
        out["covertargets"] = [
            r for r in out["covertargets"]
            if (who(r) == p if who(r) is not None else who(r, "stockpile") in kept)]
    if "demandshocks" in out:
        out["demandshocks"] = [r for r in out["demandshocks"] if who(r) in (p, "*")]
    return out


def alone_risk(sheets: dict[str, list[dict]], party: str) -> float:
    """R_p^alone: phase-1 R* of Alone(``party``) (inf when that problem is infeasible)."""
    return phase1_risk(data_from_sheets(alone_sheets(sheets, party)))


def with_alone_risks(sheets: dict[str, list[dict]], data: ModelData | None = None
                     ) -> ModelData:
    """``data`` (default: data_from_sheets(sheets)) with ``alone_risk`` filled for every
    party when ``party_risk_limit`` is alone (inf for a party whose Alone(p) is
    infeasible)."""
    data = data_from_sheets(sheets) if data is None else data
    if data.party_risk_limit != "alone":
        return data
    return replace(data, alone_risk={p: alone_risk(sheets, p) for p in data.parties})


def solve_sheets(sheets: dict[str, list[dict]]) -> IndependentResult:
    """solve_independent of the workbook read from ``sheets``, with R_p^alone solved first
    when the workbook asks for ``alone`` limits (status "alone infeasible: [...]" when
    some Alone(p) is infeasible: the limit then has no finite bound)."""
    data = with_alone_risks(sheets)
    bad = [p for p, r in data.alone_risk.items() if not math.isfinite(r)]
    if bad:
        return IndependentResult(status=f"alone infeasible: {bad}")
    return solve_independent(data)


def min_party_risk(data: ModelData, party: str, risk_cap: float | None = None) -> float:
    """min R_p over the plans of ``data`` (its limits included), with R <= ``risk_cap``
    when given (inf when infeasible). For tests that want limits that bind: a max_risk
    below min R_p at R <= R* + tolerance raises R*, one below min R_p cannot hold."""
    free = replace(data, max_risk={**data.max_risk, party: 1e30})
    lp, risk, _cost, _l, _s = build(free)
    _require_alone(lp)
    if lp.infeasible:
        return math.inf
    extra = [] if risk_cap is None else [(lp.objective(risk), risk_cap)]
    res, _ = _solve(lp, lp.objective(lp.party_risk_terms[party]), extra=extra)
    return float(res.fun) if res.status == 0 else math.inf


def budget_dual_interval(data: ModelData, party: str | None, r_star: float,
                         rel_step: float = 1e-6, period: int | None = None
                         ) -> tuple[float, float]:
    """[left, right] derivative of R* in B_party (party None: the pooled budget; with
    ``period``: the PeriodBudgets row B_{party,period}), per base unit."""
    if period is not None:
        b0 = data.period_budgets[(party, period)]
    else:
        b0 = data.pooled_budget if party is None else data.budget[party]
    assert b0 is not None
    delta = rel_step * max(1.0, abs(b0))

    def with_budget(b: float) -> ModelData:
        if period is not None:
            return replace(data, period_budgets={**data.period_budgets, (party, period): b})
        if party is None:
            return replace(data, pooled_budget=b)
        return replace(data, budget={**data.budget, party: b})

    up = phase1_risk(with_budget(b0 + delta))
    right = (up - r_star) / delta
    if b0 - delta < 0:
        return -INF, right
    down = phase1_risk(with_budget(b0 - delta))
    left = (r_star - down) / delta if down < INF else -INF
    return left, right
