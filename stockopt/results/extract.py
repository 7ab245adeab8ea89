"""Extracting the solution: tidy tables, one per variable family, and the headline numbers.

Tables are pandas DataFrames whose columns are named like the model's sets and
variables; units are in ``stockopt.report``'s column dictionary. Small values below
``ZERO_TOLERANCE`` are reported as 0 (solver round-off).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..data import ModelData
from ..model import ModelStatement, state_model
from ..model.access import entitlements
from ..model.budgets import SPEND_LEVERS, operating_costs, period_spending, spending
from ..model.cover import floor_terms
from ..model.index import concentration_terms
from ..model.matrix import Solution
from ..model.party_limits import has_limits, limits
from ..model.risk import exact_cvar, party_losses, party_measures, scenario_losses
from ..model.stockpiles import tonne_costs
from ..solver.highs import SolveOutcome
from .limits import LimitPrice, limit_prices, prices_json

ZERO_TOLERANCE = 1e-9
"""Values smaller in magnitude than this (t or currency) are reported as 0."""


def _v(x: pyo.Var | float) -> float:
    value = pyo.value(x, exception=False)
    if value is None:
        return 0.0
    return 0.0 if abs(value) < ZERO_TOLERANCE else float(value)


@dataclass
class Results:
    """The solved plan: headline numbers and tidy tables."""

    status: str
    risk: float
    cost: float
    expected_loss: float
    cvar: float
    spend: dict[str, float]
    budget_shadow_price: dict[str, float]
    pooled_budget_shadow_price: float
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    spend_by_lever: dict[str, dict[str, float]] = field(default_factory=dict)
    """{party: {lever: currency}} over ``SPEND_LEVERS``: each party's F_p by lever."""
    released_by_scenario: dict[str, float] = field(default_factory=dict)
    """{scenario: Σ releases + Σ swap draws} of the reported plan (t over the horizon)."""
    parties: dict[str, dict[str, float]] = field(default_factory=dict)
    """{party: {expected_loss, cvar, risk}}: each party's own risk R_p = (1−λ)·E_p +
    λ·CVaR_p of its losses L_{p,s} (periods of its baseline demand lost)."""
    risk_limits: dict[str, float] = field(default_factory=dict)
    """{party: the tightest bound on its risk R_p} for parties with a risk limit
    (FORMULATION-v2 section 4; periods)."""
    outcome: SolveOutcome | None = None
    decomposition: dict | None = None
    """Set by the Benders engine (``stockopt.engines.benders``): ranks, batches, each
    phase's iterations, bounds and time split, peak memory per rank; None for the
    extensive form."""
    purchases: list[dict[str, object]] = field(default_factory=list)
    """[{stockpile, mineral, period, tonnes}]: every nonzero order of the plan (period: the
    order period's label; FORMULATION-v2 section 6)."""
    spend_by_period: dict[str, dict[str, float]] = field(default_factory=dict)
    """{party: {period label: F_{p,t}}} (base currency): orders placed in the period at
    their price, holding of the orders arrived by then, fees in period 1; sums to
    ``spend``."""
    period_budget_shadow_price: dict[str, dict[str, float]] = field(default_factory=dict)
    """{party: {period label: ∂R*/∂B_{p,t} ≤ 0}} per unit of the party's own currency, for
    the PeriodBudgets rows; empty without them."""
    currencies: dict[str, dict[str, object]] = field(default_factory=dict)
    """{party: {currency, rate, budget_own, spend_own}}: the currency the party's budget is
    entered in, its rate (units of the base currency per unit), the budget as entered and
    the spend converted to that currency (spend ÷ rate). ``spend`` and every other amount
    stay in the base currency; ``budget_shadow_price`` is per unit of the party's own
    currency (FORMULATION-v2 section 8)."""
    limit_prices: list[LimitPrice] | None = None
    base_currency: str = ""
    """The workbook's base currency (the unit of ``spend``, ``cost`` and the budgets)."""
    """The price ∂R*/∂(limit) of every limit of the workbook, from phase 1's duals
    (``results.limits``); None where no phase-1 duals exist (the decomposition engine)."""

    def summary_dict(self) -> dict:
        """The keys the contract's summary JSON requires, plus solver details."""
        data = {
            "status": self.status,
            "risk": self.risk,
            "cost": self.cost,
            "expected_loss": self.expected_loss,
            "cvar": self.cvar,
            "spend": self.spend,
            "budget_shadow_price": self.budget_shadow_price,
            "pooled_budget_shadow_price": self.pooled_budget_shadow_price,
            "parties": self.parties,
            "released_by_scenario": self.released_by_scenario,
            "currencies": self.currencies,
            "purchases": self.purchases,
            "spend_by_period": self.spend_by_period,
        }
        if self.period_budget_shadow_price:
            data["period_budget_shadow_price"] = self.period_budget_shadow_price
        if self.risk_limits:
            data["risk_limits"] = self.risk_limits
        if self.limit_prices is not None:
            data.update(prices_json(self.limit_prices, self.risk, self.base_currency))
        if self.decomposition is not None:
            data["decomposition"] = self.decomposition
        if self.outcome is not None:
            data["solver"] = {
                "name": self.outcome.solver, "version": self.outcome.solver_version,
                "algorithm": self.outcome.algorithm,
                "phases": [{"name": p.name, "status": p.status, "objective": p.objective,
                            "seconds": round(p.seconds, 4)} for p in self.outcome.phases],
                "rows": self.outcome.rows, "columns": self.outcome.columns,
                "nonzeros": self.outcome.nonzeros,
            }
        return data


def tightest_limits(data: ModelData) -> dict[str, float]:
    """{party: its smallest risk bound} over ``data``'s party risk limits (periods)."""
    out: dict[str, float] = {}
    if has_limits(data):
        for p, _kind, bound in limits(data):
            out[p] = min(bound, out.get(p, bound))
    return out


def solution_from_model(model: pyo.ConcreteModel) -> Solution:
    """Read a solved Pyomo model's variable values into a Solution (unset values: 0)."""
    st: ModelStatement = model.statement

    def value(component, key) -> float:  # noqa: ANN001
        return _v(component if key is None else component[key])

    first = {f: np.array([value(getattr(model, f), key) for key in st.variables[f].index])
             for f in st.first_stage()}
    second = {f: np.array([[value(getattr(model.scenario[s], f), key)
                            for key in st.variables[f].index] for s in st.scenarios])
              .reshape(st.n_scenarios, -1) for f in st.second_stage()}
    return Solution(first, second)


def _clean(values: np.ndarray) -> np.ndarray:
    out = np.where(np.abs(values) < ZERO_TOLERANCE, 0.0, values)
    return out + 0.0  # no negative zeros


def extract(source: pyo.ConcreteModel | Solution, data: ModelData, outcome: SolveOutcome,
            statement: ModelStatement | None = None) -> Results:
    """Read a solution into Results: headline numbers and tidy tables.

    ``source`` is a Solution (array route) or a solved Pyomo model (reference route);
    ``statement`` is the model the solution belongs to (stated again from ``data`` when
    not given).
    """
    if isinstance(source, Solution):
        sol = source
        st = statement or state_model(data)
    else:
        sol = solution_from_model(source)
        st = source.statement
    idx = st.index
    sol = Solution({f: _clean(v) for f, v in sol.first.items()},
                   {f: _clean(v) for f, v in sol.second.items()})
    label = data.period_label
    scenarios = data.scenarios
    probs = np.array([data.probability[s] for s in scenarios])

    purchase = sol.first["purchase"]
    spent = spending(st, sol.first)
    spend = {p: float(v) for p, v in spent.by_party.items()}

    losses = scenario_losses(st, sol.second)
    expected_loss = float(probs @ losses)
    cvar = exact_cvar(losses.tolist(), probs.tolist(), data.cvar_alpha)

    tables: dict[str, pd.DataFrame] = {}
    rows = []
    ordered = np.zeros(len(idx.HOLDINGS))
    cost_of = np.zeros((len(idx.HOLDINGS), 2))
    holding_row = {h: i for i, h in enumerate(idx.HOLDINGS)}
    order_rows = []
    for j, (k, mi, t) in enumerate(idx.ORDERS):
        a = float(purchase[j])
        unit_price, unit_holding = tonne_costs(data, (k, mi, t))
        i = holding_row[(k, mi)]
        ordered[i] += a
        cost_of[i] += (a * unit_price, a * unit_holding)
        order_rows.append({"stockpile": k, "mineral": mi, "order_period": label(t),
                           "arrival_period": label(t + data.lead(mi)), "tonnes": a,
                           "price": unit_price, "purchase_cost": a * unit_price,
                           "holding_cost": a * unit_holding})
    tables["orders"] = pd.DataFrame(order_rows, columns=[
        "stockpile", "mineral", "order_period", "arrival_period", "tonnes", "price",
        "purchase_cost", "holding_cost"])
    for i, (k, mi) in enumerate(idx.HOLDINGS):
        h = data.holdings[(k, mi)]
        a = float(ordered[i])
        rows.append({"stockpile": k, "mineral": mi, "initial_stock": h.initial_stock,
                     "purchase": a, "start_level": h.initial_stock + a,
                     "max_stock": h.max_stock, "purchase_cost": float(cost_of[i, 0]),
                     "holding_cost": float(cost_of[i, 1]),
                     "total_cost": float(cost_of[i, 0] + cost_of[i, 1]),
                     "cost_shares": "; ".join(f"{p} {s:g}" for p, s in data.members[k].items()),
                     "access": data.access_of(k)})
    tables["purchases"] = pd.DataFrame(rows, columns=[
        "stockpile", "mineral", "initial_stock", "purchase", "start_level", "max_stock",
        "purchase_cost", "holding_cost", "total_cost", "cost_shares", "access"])

    rows = []
    for i, o in enumerate(idx.OFFTAKES):
        spec = data.offtakes[o]
        x = float(sol.first["offtake_capacity"][i])
        rows.append({"offtake": o, "party": spec.party, "mineral": spec.mineral,
                     "source": spec.source, "capacity": x, "max_volume": spec.max_volume,
                     "fee": spec.fee, "fee_paid": x * spec.fee, "price": spec.price,
                     "first_period": label(spec.first_period), "chosen": x > ZERO_TOLERANCE})
    tables["offtakes"] = pd.DataFrame(rows, columns=[
        "offtake", "party", "mineral", "source", "capacity", "max_volume", "fee", "fee_paid",
        "price", "first_period", "chosen"])

    rows = []
    for i, w in enumerate(idx.SWAPS):
        spec = data.swaps[w]
        y = float(sol.first["swap_capacity"][i])
        rows.append({"swap": w, "lender_stockpile": spec.lender, "receiver": spec.receiver,
                     "mineral": spec.mineral, "return_mineral": spec.return_mineral,
                     "return_ratio": spec.return_ratio, "return_lag": spec.return_lag,
                     "capacity": y, "max_volume": spec.max_volume, "fee": spec.fee,
                     "fee_paid": y * spec.fee, "chosen": y > ZERO_TOLERANCE})
    tables["swaps"] = pd.DataFrame(rows, columns=[
        "swap", "lender_stockpile", "receiver", "mineral", "return_mineral", "return_ratio",
        "return_lag", "capacity", "max_volume", "fee", "fee_paid", "chosen"])

    operating = operating_costs(st, sol.first, sol.second)
    tables["scenario_losses"] = pd.DataFrame(
        {"scenario": scenarios, "probability": probs, "loss": losses,
         "operating_cost": operating,
         "description": [data.scenario_description.get(s, "") for s in scenarios]},
        columns=["scenario", "probability", "loss", "operating_cost", "description"])
    by_party = party_losses(st, sol.second)
    tables["party_losses"] = pd.DataFrame(
        {"scenario": np.repeat(scenarios, len(by_party)),
         "party": list(by_party) * len(scenarios),
         "loss": np.stack([by_party[p] for p in by_party], axis=1).ravel()
         if by_party else np.zeros(0)},
        columns=["scenario", "party", "loss"])

    n_s = len(scenarios)
    dem = idx.DEMANDS
    base = np.array([data.demand[d] for d in dem])
    mult = np.ones((n_s, len(dem)))
    dem_pos = {d: i for i, d in enumerate(dem)}
    scen_pos = {s: i for i, s in enumerate(scenarios)}
    for (p, mi, t, s), g in data.demand_multiplier.items():
        if (p, mi, t) in dem_pos:
            mult[scen_pos[s], dem_pos[(p, mi, t)]] = g
    demand = base[None, :] * mult
    e = sol.second["shortfall"]
    coef = np.array([data.criticality[d] / data.demand[d] for d in dem])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(demand > 0, e / np.where(demand > 0, demand, 1.0), 0.0)
    tables["shortfalls"] = pd.DataFrame({
        "scenario": np.repeat(scenarios, len(dem)),
        "party": [d[0] for d in dem] * n_s,
        "mineral": [d[1] for d in dem] * n_s,
        "period": [label(d[2]) for d in dem] * n_s,
        "demand": demand.ravel(), "shortfall": e.ravel(), "shortfall_share": share.ravel(),
        "loss_contribution": (e * coef[None, :]).ravel()},
        columns=["scenario", "party", "mineral", "period", "demand", "shortfall",
                 "shortfall_share", "loss_contribution"])

    levels_idx = st.variables["stock_level"].index
    tables["stock_levels"] = pd.DataFrame({
        "scenario": np.repeat(scenarios, len(levels_idx)),
        "stockpile": [x[0] for x in levels_idx] * n_s,
        "mineral": [x[1] for x in levels_idx] * n_s,
        "period": [label(x[2]) for x in levels_idx] * n_s,
        "stock_level": sol.second["stock_level"].ravel()},
        columns=["scenario", "stockpile", "mineral", "period", "stock_level"])
    last = np.array([x[2] == data.n_periods for x in levels_idx], dtype=bool)
    tables["end_stock"] = pd.DataFrame({
        "scenario": np.repeat(scenarios, int(last.sum())),
        "stockpile": [x[0] for x, keep in zip(levels_idx, last, strict=True) if keep] * n_s,
        "mineral": [x[1] for x, keep in zip(levels_idx, last, strict=True) if keep] * n_s,
        "end_stock": sol.second["stock_level"][:, last].ravel()},
        columns=["scenario", "stockpile", "mineral", "end_stock"])

    rel_idx = st.variables["release"].index
    rel = sol.second["release"]
    si, ji = np.nonzero(rel)
    tables["releases"] = pd.DataFrame({
        "scenario": [scenarios[i] for i in si], "stockpile": [rel_idx[j][0] for j in ji],
        "party": [rel_idx[j][1] for j in ji], "mineral": [rel_idx[j][2] for j in ji],
        "period": [label(rel_idx[j][3]) for j in ji], "release": rel[si, ji]},
        columns=["scenario", "stockpile", "party", "mineral", "period", "release"])

    draws = sol.second["swap_draw"]
    si, ji = np.nonzero(draws)
    returned = {(w, t): back for w, t, back in idx.SWAP_RETURNS}
    owed_value = np.zeros(draws.shape[1])  # currency per tonne drawn, from operating_cost
    for terms in st.expressions["operating_cost"].terms:
        if terms.label == "returns_owed":
            owed_value[terms.col] = terms.coef
    rows = []
    for s_i, j in zip(si.tolist(), ji.tolist(), strict=True):
        w, t = idx.SWAP_PERIODS[j]
        spec = data.swaps[w]
        f = float(draws[s_i, j])
        due = returned.get((w, t))
        rows.append({"scenario": scenarios[s_i], "swap": w, "period": label(t), "draw": f,
                     "return_mineral": spec.return_mineral,
                     "return_amount": spec.return_ratio * f,
                     "return_period": "after horizon" if due is None else label(due),
                     "outstanding_at_end": spec.return_ratio * f if due is None else 0.0,
                     "outstanding_value": float(owed_value[j]) * f})
    tables["swap_draws"] = pd.DataFrame(rows, columns=[
        "scenario", "swap", "period", "draw", "return_mineral", "return_amount",
        "return_period", "outstanding_at_end", "outstanding_value"])

    delivery_price = np.array([data.offtakes[o].price for (o, _t) in idx.OFFTAKE_PERIODS])
    deliveries = sol.second["offtake_delivery"]
    si, ji = np.nonzero(deliveries)
    tables["offtake_deliveries"] = pd.DataFrame({
        "scenario": [scenarios[i] for i in si],
        "offtake": [idx.OFFTAKE_PERIODS[j][0] for j in ji],
        "period": [label(idx.OFFTAKE_PERIODS[j][1]) for j in ji],
        "delivery": deliveries[si, ji], "cost": deliveries[si, ji] * delivery_price[ji]
        if len(ji) else np.zeros(0)},
        columns=["scenario", "offtake", "period", "delivery", "cost"])

    tables.update(lever_tables(st, sol))
    if st.rows["access_share"].size:
        tables["access_shares"] = access_table(st, sol)

    return Results(
        status=outcome.status, risk=float(outcome.risk), cost=float(outcome.cost),
        expected_loss=expected_loss, cvar=cvar, spend=spend,
        budget_shadow_price=budget_shadow_prices(outcome.budget_duals, data),
        pooled_budget_shadow_price=outcome.pooled_budget_dual, tables=tables,
        spend_by_lever={p: {lv: float(spent.table[(p, lv)]) for lv in SPEND_LEVERS}
                        for p in data.parties},
        parties=party_measures(st, sol.second),
        risk_limits=tightest_limits(data),
        released_by_scenario={s: float(sol.second["release"][i].sum()
                                       + sol.second["swap_draw"][i].sum())
                              for i, s in enumerate(scenarios)},
        outcome=outcome,
        purchases=[{"stockpile": r["stockpile"], "mineral": r["mineral"],
                    "period": r["order_period"], "tonnes": r["tonnes"]}
                   for r in order_rows if r["tonnes"] > ZERO_TOLERANCE],
        period_budget_shadow_price=period_budget_shadow_prices(outcome.period_budget_duals,
                                                               data),
        spend_by_period=_by_party_period(period_spending(st, sol.first), data),
        currencies={p: {"currency": data.currency_of(p), "rate": data.rate(p),
                        "budget_own": data.budget_own(p), "spend_own": spend[p] / data.rate(p)}
                    for p in data.parties},
        base_currency=data.currency,
        limit_prices=None if outcome.limit_duals is None else limit_prices(
            st, outcome.limit_duals, sol, outcome.budget_duals, outcome.pooled_budget_dual,
            outcome.period_budget_duals))


def budget_shadow_prices(duals: dict[str, float], data: ModelData) -> dict[str, float]:
    """∂R*/∂B_p per unit of each party's own currency (periods per unit): the dual of its
    budget row, which is in base units (periods per base unit), times its rate (base units
    per unit of its currency; 1 for a party in the base currency). FORMULATION-v2 section 8.
    """
    prices = {}
    for p in data.parties:
        dual, rate = duals.get(p, 0.0), data.rate(p)
        prices[p] = dual if rate == 1.0 else rate * dual
    return prices


def _by_party_period(values: dict[tuple[str, int], float], data: ModelData
                     ) -> dict[str, dict[str, float]]:
    """{(party, period number): x} -> {party: {period label: x}}."""
    out: dict[str, dict[str, float]] = {p: {} for p in data.parties}
    for (p, t), x in values.items():
        out[p][data.period_label(t)] = x
    return out


def period_budget_shadow_prices(duals: dict[tuple[str, int], float], data: ModelData
                                ) -> dict[str, dict[str, float]]:
    """{party: {period label: ∂R*/∂B_{p,t}}} per unit of the party's own currency (rate ×
    the base-unit dual, as ``budget_shadow_prices``), PeriodBudgets rows only."""
    out: dict[str, dict[str, float]] = {}
    for (p, t), dual in sorted(duals.items(), key=lambda kv: (data.parties.index(kv[0][0]),
                                                              kv[0][1])):
        rate = data.rate(p)
        out.setdefault(p, {})[data.period_label(t)] = dual if rate == 1.0 else rate * dual
    return out


def lever_tables(st: ModelStatement, sol: Solution) -> dict[str, pd.DataFrame]:
    """Tables of the policy levers, only for those the workbook uses: cover floors (level
    against the floor, t), concentration per source before and after the plan (shares of
    baseline supply plus contracted offtake capacity), mitigation prepared and used."""
    data, idx = st.data, st.index
    tables: dict[str, pd.DataFrame] = {}
    label = data.period_label
    if data.cover_targets:
        # a floor's row holds Σ w·a ≥ Q − Σ w·S0, so its level Σ w·(S0 + a) is the row's
        # activity plus what its lower bound moved to the right-hand side
        floors = st.rows["cover_floor"]
        held = dict(zip(floors.index, st.evaluate("cover_floor", sol.first) - floors.lower,
                        strict=True))
        rows = []
        for name, target in data.cover_targets.items():
            # a floor no order can reach has no row: its level is the existing stock
            level = float(held.get(name, -floor_terms(data, st.index, name)[1])) \
                + target.required
            rows.append({"target": name, "party": target.party, "stockpile": target.stockpile,
                         "mineral": target.mineral, "periods": target.periods,
                         "basis": target.basis, "required": target.required, "level": level,
                         "met": bool(level >= target.required * (1 - 1e-7) - 1e-9)})
        tables["cover_floors"] = pd.DataFrame(rows, columns=[
            "target", "party", "stockpile", "mineral", "periods", "basis", "required", "level",
            "met"])
    if data.concentration_limits:
        capacity = dict(zip(idx.OFFTAKES, sol.first["offtake_capacity"], strict=True))
        rows = []
        for lim in data.concentration_limits:
            for t in idx.PERIODS:
                by_source, active = concentration_terms(data, idx.supply_sources,
                                                        idx.offtakes_to, lim.party,
                                                        lim.mineral, t)
                contracted: dict[str, float] = {}
                for o in active:
                    c = data.offtakes[o].source
                    contracted[c] = contracted.get(c, 0.0) + float(capacity[o])
                before_total = sum(by_source.values())
                after_total = before_total + sum(contracted.values())
                for c in sorted(set(by_source) | set(contracted)):
                    q = by_source.get(c, 0.0)
                    rows.append({
                        "party": lim.party, "mineral": lim.mineral, "source": c,
                        "period": label(t),
                        "share_before": q / before_total if before_total > 0 else 0.0,
                        "share_after": (q + contracted.get(c, 0.0)) / after_total
                        if after_total > 0 else 0.0,
                        "max_share": lim.max_share, "excluded": c in lim.excluded})
        tables["concentration"] = pd.DataFrame(rows, columns=[
            "party", "mineral", "source", "period", "share_before", "share_after", "max_share",
            "excluded"])
    if data.mitigations:
        cap = sol.first["mitigation_capacity"]
        tables["mitigations"] = pd.DataFrame(
            [{"option": i, "party": data.mitigations[i].party,
              "mineral": data.mitigations[i].mineral, "capacity": float(cap[j]),
              "max_share": data.mitigations[i].max_share,
              "fee_paid": float(cap[j]) * data.mitigations[i].fee,
              "lead_time": data.mitigations[i].lead_time}
             for j, i in enumerate(idx.MITIGATIONS)],
            columns=["option", "party", "mineral", "capacity", "max_share", "fee_paid",
                     "lead_time"])
        use = sol.second["mitigation_use"]
        si, ji = np.nonzero(use)
        rows = []
        for s_i, j in zip(si.tolist(), ji.tolist(), strict=True):
            i, t = idx.MITIGATION_PERIODS[j]
            spec = data.mitigations[i]
            rows.append({"scenario": data.scenarios[s_i], "option": i, "party": spec.party,
                         "mineral": spec.mineral, "period": label(t),
                         "use": float(use[s_i, j]), "cost": float(use[s_i, j]) * spec.cost})
        tables["mitigation_use"] = pd.DataFrame(rows, columns=[
            "scenario", "option", "party", "mineral", "period", "use", "cost"])
    return tables


ACCESS_MARGIN_TOLERANCE = 1e-6
"""A member counts as held to its share when it had a positive entitlement (t) in its
tightest period and its margin there is at most this share of max(1 t, that entitlement)
(the solver's tolerances leave margins of about 1e-7 relative). A member whose entitlement
is 0 (nothing in the stockpile) is not counted as held."""


def access_table(st: ModelStatement, sol: Solution) -> pd.DataFrame:
    """Members' use of joint stockpiles with access shares (FORMULATION-v2 section 5): per
    (stockpile, mineral, member, scenario) the cost share, the tonnes released to the member
    over the horizon, its entitlement at the end σ·(S0 + a + returns − draws) (t), and the
    tightest margin over the periods, min_t (entitlement − cumulative releases) (t), with
    the first period where it is reached, and whether the share held the member back
    (``ACCESS_MARGIN_TOLERANCE``). Read from the ``access_share`` rows."""
    data = st.data
    keys = st.rows["access_share"].index
    n, n_s = data.n_periods, st.n_scenarios
    released, entitled = entitlements(st, sol.first, sol.second)
    groups = len(keys) // n  # (k, p, m), each with its n periods in order
    released = released.reshape(n_s, groups, n)
    entitled = entitled.reshape(n_s, groups, n)
    margin = entitled - released
    tight = margin.argmin(axis=2)
    rows = []
    for s_i, s in enumerate(data.scenarios):
        for g in range(groups):
            k, p, m, _t = keys[g * n]
            low = float(margin[s_i, g, tight[s_i, g]])
            then = float(entitled[s_i, g, tight[s_i, g]])
            end = float(entitled[s_i, g, -1])
            rows.append({
                "stockpile": k, "mineral": m, "party": p, "scenario": s,
                "cost_share": data.members[k][p],
                "member_released": float(released[s_i, g, -1]),
                "entitlement_at_end": end, "tightest_margin": low,
                "tightest_period": data.period_label(int(tight[s_i, g]) + 1),
                "held_to_share": then > ACCESS_MARGIN_TOLERANCE
                and low <= ACCESS_MARGIN_TOLERANCE * max(1.0, then)})
    df = pd.DataFrame(rows, columns=[
        "stockpile", "mineral", "party", "scenario", "cost_share", "member_released",
        "entitlement_at_end", "tightest_margin", "tightest_period", "held_to_share"])
    for col in ("member_released", "entitlement_at_end", "tightest_margin"):
        df[col] = _clean(df[col].to_numpy(dtype=float))
    return df
