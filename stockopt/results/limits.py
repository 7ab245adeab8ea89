"""The price of every limit: ∂R*/∂(limit) from phase 1's duals, and which limits matter most.

Phase 1 minimizes the risk R; at its optimum, each limit of the workbook has a shadow
price, the change of R* per unit the limit moves (``solver.driver.limit_duals`` gives the
duals in model units, by family). Some limits are rows of the LP, some are column bounds,
some are both (a stockpile's capacity bounds its purchases, every stock level and, with
orders over time, the order_capacity rows); a limit's price is the sum over everything it
bounds, each row's dual or column's reduced cost times how much the bound moves per unit
of the limit:

* **market depth** (Minerals ``max_acquisition``): the ``market_depth`` row's dual, periods
  per t; **per-period market depth** (``max_acquisition_per_period``): each
  ``period_market_depth`` row's dual, per t in that period;
* **stockpile capacity** (Holdings ``max_stock``): the reduced costs of the purchase
  columns (bounded by max_stock − initial stock) and of every stock level z[k,m,t,s]
  (bounded by max_stock), plus the ``order_capacity`` row's dual; periods per t;
* **release limit** (Holdings ``max_release``): Σ_{t,s} of the ``release_limit`` rows'
  duals: every period's and scenario's limit rises together; periods per t/period;
* **cover floor** (CoverTargets): the ``cover_floor`` row's dual, periods per t of the
  required level (≥ 0: a higher floor costs risk; relaxing means lowering it);
* **concentration cap** (ConcentrationLimits ``max_share`` L): the row
  Σ_o (1[c_o = c] − L)·x_o ≤ L·Q − q moves in both its right-hand side and its
  coefficients, so ∂R*/∂L = Σ_rows y·(Q[p,m,t] + Σ_o x_o) at the reported plan x;
  periods per unit of share (1 = 100 percentage points);
* **mitigation capacity bound** (Mitigation ``max_share``): the bounds μ[i,t,s] ≤
  share·D[p,m,t,s] and u_i ≤ share·max D, so Σ reduced cost × D; periods per unit of share;
* **offtake and swap capacity on offer** (``max_volume``): the capacity column's reduced
  cost, periods per t/period (offtakes) or per t (swaps);
* **party risk limits** (``max_risk``, ``party_risk_limit = alone``): the
  ``party_risk_limit`` row's dual, periods of R* per period of R_p;
* **budgets**: as ``budget_shadow_price`` (quoted per unit of each party's currency).

Each price is clipped to the side its bound binds on (≤ 0 for an upper limit, ≥ 0 for a
floor), as the budget shadow prices are. Where phase 1's optimum is degenerate, the duals
are not unique and a price is one valid one-sided derivative.

Ranking: prices per tonne, per currency unit and per share cannot be compared, so limits
are ranked by what relaxing each by 1% of its value buys, −price × 1% × value (periods of
demand); ``ranked`` returns them largest first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import ModelStatement
from ..model.index import concentration_terms, demand_matrix
from ..model.matrix import Solution
from ..solver.driver import Duals

KINDS: dict[str, tuple[str, str]] = {
    "budget": ("budget", "{currency}"),
    "pooled_budget": ("pooled budget", "{currency}"),
    "period_budget": ("period budget", "{currency}"),
    "market_depth": ("market depth", "t"),
    "period_market_depth": ("market depth per period", "t per period"),
    "stockpile_capacity": ("stockpile capacity", "t"),
    "release_limit": ("release limit", "t/period"),
    "cover_floor": ("cover floor", "t"),
    "concentration_cap": ("concentration cap", "share"),
    "mitigation_capacity": ("mitigation capacity bound", "share"),
    "offtake_capacity": ("offtake capacity on offer", "t/period"),
    "swap_capacity": ("swap capacity on offer", "t"),
    "risk_limit": ("party risk limit", "periods"),
}
"""Limit kind -> (words, unit of the limit); the JSON key of a kind is
``<kind>_shadow_price`` (budgets keep their own keys, ``budget_shadow_price`` ...)."""

JSON_KINDS = tuple(k for k in KINDS if k not in ("budget", "pooled_budget", "period_budget"))
"""The kinds written under ``<kind>_shadow_price`` in the summary JSON."""

SCENARIO_ROW_DUALS = ("release_limit",)
SCENARIO_COLUMN_DUALS = ("stock_level", "mitigation_use")
"""The scenario row and column families whose duals ``limit_prices`` reads (``second``);
every other dual it reads is a first-stage row's or column's. A decomposition brings these
back from its subproblems (``engines.benders``)."""

RELAXATION_PERCENT = 1.0
"""The ranking's unit of relaxation: 1% of each limit's value."""


@dataclass(frozen=True)
class LimitPrice:
    """One limit and its shadow price.

    ``kind`` is a key of ``KINDS``; ``key`` names the limit within its kind (e.g.
    ("gallium",) or ("nds", "gallium")); ``value`` is the limit in its unit
    (``KINDS[kind][1]``); ``price`` ∂R*/∂value (periods of demand per unit); ``floor``
    is True for a lower limit (relaxing means lowering it).
    """

    kind: str
    key: tuple[str, ...]
    value: float
    price: float
    floor: bool = False

    @property
    def words(self) -> str:
        """The limit in words, e.g. "market depth gallium"."""
        return f"{KINDS[self.kind][0]} {' '.join(self.key)}"

    def unit(self, currency: str) -> str:
        """The limit's unit (currency filled in)."""
        return KINDS[self.kind][1].format(currency=currency)

    @property
    def gain_per_unit(self) -> float:
        """How much R* falls per unit of relaxation (periods per unit, ≥ 0)."""
        return self.price if self.floor else -self.price

    @property
    def gain_per_percent(self) -> float:
        """How much R* falls when the limit is relaxed by 1% of its value (periods)."""
        return self.gain_per_unit * abs(self.value) * RELAXATION_PERCENT / 100.0


def _upper(x: np.ndarray | float) -> np.ndarray:
    """Prices of upper limits: ≤ 0 (the other side is not this limit's)."""
    return np.minimum(np.asarray(x, dtype=float), 0.0)


def limit_prices(st: ModelStatement, duals: Duals, plan: Solution,
                 budget_duals: dict[str, float], pooled_dual: float,
                 period_budget_duals: dict[tuple[str, int], float]) -> list[LimitPrice]:
    """Every limit of ``st.data`` with its price, from phase 1's ``duals`` (model units)
    and the reported ``plan`` (its offtake capacities weigh the concentration caps); the
    budgets' from their duals (base currency). Limits in input order, kind by kind."""
    data, idx = st.data, st.index
    rows, cols = duals.rows, duals.cols
    out: list[LimitPrice] = []

    for p in data.parties:
        if data.budget.get(p) is not None:
            out.append(LimitPrice("budget", (p,), float(data.budget[p]),
                                  min(0.0, budget_duals.get(p, 0.0))))
    if data.pooled_budget is not None:
        out.append(LimitPrice("pooled_budget", (), float(data.pooled_budget),
                              min(0.0, pooled_dual)))
    for (p, t), b in data.period_budgets.items():
        out.append(LimitPrice("period_budget", (p, data.period_label(t)), float(b),
                              min(0.0, period_budget_duals.get((p, t), 0.0))))

    if "market_depth" in st.rows:
        y = _upper(rows.first["market_depth"])
        for i, m in enumerate(st.rows["market_depth"].index):
            out.append(LimitPrice("market_depth", (m,), float(data.max_acquisition[m]),
                                  float(y[i])))
    if "period_market_depth" in st.rows:
        y = _upper(rows.first["period_market_depth"])
        for i, (m, t) in enumerate(st.rows["period_market_depth"].index):
            out.append(LimitPrice("period_market_depth", (m, data.period_label(t)),
                                  float(data.max_acquisition_per_period[m]), float(y[i])))

    capped = [h for h in idx.HOLDINGS if data.holdings[h].max_stock is not None]
    if capped:
        price = dict.fromkeys(capped, 0.0)
        rc = _upper(cols.first["purchase"])
        for j, (k, m, _t) in enumerate(idx.ORDERS):
            if (k, m) in price:
                price[(k, m)] += float(rc[j])
        levels = _upper(cols.second["stock_level"]).sum(axis=0)
        for j, (k, m, _t) in enumerate(st.variables["stock_level"].index):
            if (k, m) in price:
                price[(k, m)] += float(levels[j])
        if "order_capacity" in st.rows:
            y = _upper(rows.first["order_capacity"])
            for i, h in enumerate(st.rows["order_capacity"].index):
                price[h] += float(y[i])
        out += [LimitPrice("stockpile_capacity", h, float(data.holdings[h].max_stock),
                           price[h]) for h in capped]

    if st.rows["release_limit"].size:
        y = _upper(rows.second["release_limit"]).sum(axis=0)
        price = {}
        for i, (k, m, _t) in enumerate(st.rows["release_limit"].index):
            price[(k, m)] = price.get((k, m), 0.0) + float(y[i])
        out += [LimitPrice("release_limit", h, float(data.holdings[h].max_release), v)
                for h, v in price.items()]

    if "cover_floor" in st.rows:
        y = np.maximum(rows.first["cover_floor"], 0.0)
        for i, name in enumerate(st.rows["cover_floor"].index):
            out.append(LimitPrice("cover_floor", (name,),
                                  float(data.cover_targets[name].required), float(y[i]),
                                  floor=True))

    if "concentration_limit" in st.rows and st.rows["concentration_limit"].size:
        y = _upper(rows.first["concentration_limit"])
        capacity = dict(zip(idx.OFFTAKES, plan.first["offtake_capacity"].tolist(),
                            strict=True))
        price = {}
        for i, (p, m, _c, t) in enumerate(st.rows["concentration_limit"].index):
            by_source, active = concentration_terms(data, idx.supply_sources, idx.offtakes_to,
                                                    p, m, t)
            moved = sum(by_source.values()) + sum(capacity[o] for o in active)
            price[(p, m)] = price.get((p, m), 0.0) + float(y[i]) * moved
        for lim in data.concentration_limits:
            if (lim.party, lim.mineral) in price:
                out.append(LimitPrice("concentration_cap", (lim.party, lim.mineral),
                                      float(lim.max_share), price[(lim.party, lim.mineral)]))

    if idx.MITIGATIONS:
        rc_use = _upper(cols.second["mitigation_use"])
        rc_cap = _upper(cols.first["mitigation_capacity"])
        uses = idx.MITIGATION_PERIODS
        specs = [data.mitigations[i] for i, _t in uses]
        demand = demand_matrix(data, [(sp.party, sp.mineral, t)
                                      for sp, (_i, t) in zip(specs, uses, strict=True)])
        per_use = (rc_use * demand).sum(axis=0) if uses else np.zeros(0)
        for j, i in enumerate(idx.MITIGATIONS):
            spec = data.mitigations[i]
            peak = demand_matrix(data, [(spec.party, spec.mineral, t) for t in idx.PERIODS])
            total = float(rc_cap[j]) * float(peak.max() if peak.size else 0.0)
            total += float(sum(per_use[k] for k, (o, _t) in enumerate(uses) if o == i))
            out.append(LimitPrice("mitigation_capacity", (i,), float(spec.max_share), total))

    rc = _upper(cols.first["offtake_capacity"])
    out += [LimitPrice("offtake_capacity", (o,), float(data.offtakes[o].max_volume),
                       float(rc[j])) for j, o in enumerate(idx.OFFTAKES)]
    rc = _upper(cols.first["swap_capacity"])
    out += [LimitPrice("swap_capacity", (w,), float(data.swaps[w].max_volume), float(rc[j]))
            for j, w in enumerate(idx.SWAPS)]

    if "party_risk_limit" in st.rows:
        y = _upper(rows.first["party_risk_limit"])
        bound = st.rows["party_risk_limit"].upper
        for i, (p, kind) in enumerate(st.rows["party_risk_limit"].index):
            out.append(LimitPrice("risk_limit", (p, kind), float(bound[i]), float(y[i])))
    return [_cleaned(p) for p in out]


ROUND_OFF = 1e-12
"""A price whose effect on R* over the whole limit, |price|·max(1, |value|), is below this
(periods) is solver round-off (e.g. 3e-21 from a reduced cost unscaled): reported as 0."""


def _cleaned(p: LimitPrice) -> LimitPrice:
    if p.price != 0.0 and abs(p.price) * max(1.0, abs(p.value)) < ROUND_OFF:
        return LimitPrice(p.kind, p.key, p.value, 0.0, p.floor)
    return p


def ranked(prices: list[LimitPrice], risk: float, top: int | None = None
           ) -> list[LimitPrice]:
    """The limits whose relaxation by 1% of their value lowers R* (by more than
    1e-10·max(1, |R*|) periods), largest gain first (input order on ties); the first
    ``top`` of them (all when None)."""
    tiny = 1e-10 * max(1.0, abs(risk))
    found = [p for p in prices if p.gain_per_percent > tiny]
    found.sort(key=lambda p: -p.gain_per_percent)
    return found if top is None else found[:top]


def _nest(target: dict, key: tuple[str, ...], value: float) -> None:
    for part in key[:-1]:
        target = target.setdefault(part, {})
    target[key[-1]] = value


def prices_json(prices: list[LimitPrice], risk: float, currency: str) -> dict:
    """The summary JSON's keys: ``<kind>_shadow_price`` for every kind of limit the
    workbook has (nested by the limit's key, e.g. {stockpile: {mineral: price}}), the
    units, and ``limits_ranked``: the three limits whose 1% relaxation lowers R* most."""
    out: dict = {}
    units: dict[str, str] = {}
    for p in prices:
        if p.kind not in JSON_KINDS:
            continue
        name = f"{p.kind}_shadow_price"
        _nest(out.setdefault(name, {}), p.key, p.price)
        units[name] = f"periods per {p.unit(currency)}"
    out["limit_shadow_price_units"] = units
    out["limits_ranked"] = [
        {"limit": p.kind, "key": list(p.key), "words": p.words, "value": p.value,
         "unit": p.unit(currency), "shadow_price": p.price,
         "risk_reduction_per_unit": p.gain_per_unit,
         "risk_reduction_per_percent": p.gain_per_percent}
        for p in ranked(prices, risk, top=3)]
    return out
