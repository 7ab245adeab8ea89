"""Budgets: preparedness spending per party, budget limits, and the cost objective.

Mirrors ``models/formulation.md``, section "Budgets and cost". Expressions ``spend``
(F_p, currency: the terms every lever family contributed, labelled by lever) and per
scenario ``operating_cost`` (the terms families contributed: delivered offtake
purchases, replacement value of swap returns owed at the end, mitigation use); rows
``budget_limit`` (F_p ≤ B_p) and ``pooled_budget_limit`` (Σ_p F_p ≤ B_all); the phase-2
objective ``cost`` = min ``cost_value`` = Σ_p F_p + Σ_s π_s · operating_cost_s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import ModelData
from .risk import SCALAR
from .statement import FIRST, SCENARIO, ModelStatement, ObjectivePart, Terms
from .stockpiles import period_spend_terms

SPEND_LEVERS = ("purchase_cost", "holding_cost", "offtake_fees", "swap_fees",
                "mitigation_fees")
"""The parts of a party's preparedness spending F_p, by lever (the labels of ``spend``)."""

def levers_offered(data: ModelData) -> tuple[str, ...]:
    """The spend levers the data can use: ``SPEND_LEVERS``, without mitigation fees
    when no mitigation option is offered."""
    return SPEND_LEVERS if data.mitigations else SPEND_LEVERS[:-1]


OPERATING_PARTS = ("offtake_deliveries", "returns_owed", "mitigation_use", "take_or_pay")
"""The parts of a scenario's operating cost (the labels of ``operating_cost``)."""


def add_variables(st: ModelStatement) -> None:
    """Budgets add no variables."""


def add_rows(st: ModelStatement) -> None:
    """spend, budget_limit, pooled_budget_limit, operating_cost and the cost objective."""
    data, idx = st.data, st.index
    st.add_set("PARTIES", idx.PARTIES, "parties")
    st.add_expression("spend", FIRST, idx.PARTIES, st.contributions.get("spend", []),
                      set_name="PARTIES", doc="F_p: preparedness spending (currency)")
    budgeted = [p for p in idx.PARTIES if data.budget.get(p) is not None]
    st.add_set("BUDGETED_PARTIES", budgeted, "parties with a budget")
    st.add_rows_of_expression("budget_limit", "spend", budgeted, [[p] for p in budgeted],
                              upper=[data.budget[p] for p in budgeted],
                              set_name="BUDGETED_PARTIES", after_scenarios=True,
                              doc="F_p ≤ B_p (currency)")
    if data.pooled_budget is not None:
        st.add_rows_of_expression("pooled_budget_limit", "spend", SCALAR, [list(idx.PARTIES)],
                                  upper=data.pooled_budget, after_scenarios=True,
                                  doc="Σ_p F_p ≤ B_all (currency)")
    add_period_budgets(st)
    st.add_expression("operating_cost", SCENARIO, SCALAR,
                      st.contributions.get("operating_cost", []),
                      doc="delivered offtake cost + replacement value of outstanding "
                          "returns + mitigation use (currency)")
    st.add_objective("cost", "cost_value", [
        ObjectivePart("spend", 1.0),
        ObjectivePart("operating_cost", 1.0),
    ], doc="phase 2: minimize the expected cost", value_doc="expected total cost (currency)")


FEE_LEVERS = SPEND_LEVERS[2:]
"""The fee levers of ``spend`` (offtake, swap and mitigation fees): paid in period 1."""


def period_keys(data: ModelData) -> list[tuple[str, int]]:
    """The (party, period) rows of PeriodBudgets, parties in Parties order, then periods."""
    rank = {p: i for i, p in enumerate(data.parties)}
    return sorted(data.period_budgets, key=lambda key: (rank[key[0]], key[1]))


def period_terms(st: ModelStatement, keys: list[tuple[str, int]]) -> list[Terms]:
    """The terms of F_{p,t} for each (party, period) in ``keys``, row i for ``keys[i]``:
    the orders' price and holding (``stockpiles.period_spend_terms``) and, in period 1,
    the party's fees (its ``spend`` terms of the ``FEE_LEVERS``). Call after every family
    has contributed to ``spend``."""
    row_of = {key: i for i, key in enumerate(keys)}
    first_row = {p: row_of[(p, 1)] for (p, t) in keys if t == 1}
    terms = period_spend_terms(st, keys)
    for t in st.contributions.get("spend", []):
        if t.label not in FEE_LEVERS:
            continue
        party = np.array(st.index.PARTIES)[t.row] if len(t.row) else np.array([])
        keep = np.array([p in first_row for p in party], dtype=bool)
        rows = np.array([first_row[p] for p in party[keep]], dtype=np.int64)
        terms.append(Terms(t.var, rows, t.col[keep], t.coef[keep], label=t.label))
    return terms


def add_period_budgets(st: ModelStatement) -> None:
    """``period_spend`` (F_{p,t}) and ``period_budget_limit`` (F_{p,t} ≤ B_{p,t}) for the
    PeriodBudgets rows (FORMULATION-v2 section 6): the orders placed in t at their price,
    holding of the orders arrived by t, and in period 1 the party's fees; Σ_t F_{p,t} =
    F_p. Nothing without PeriodBudgets rows."""
    keys = period_keys(st.data)
    if not keys:
        return
    terms = period_terms(st, keys)
    st.add_set("PERIOD_BUDGETS", keys, "(party, period) rows of PeriodBudgets", 2)
    st.add_expression("period_spend", FIRST, keys, terms, set_name="PERIOD_BUDGETS",
                      doc="F_{p,t}: spending in period t (currency)")
    st.add_rows_of_expression("period_budget_limit", "period_spend", keys,
                              [[key] for key in keys],
                              upper=[st.data.period_budgets[key] for key in keys],
                              set_name="PERIOD_BUDGETS", after_scenarios=True,
                              doc="F_{p,t} ≤ B_{p,t} (currency)")


# -- accounting: spending and operating cost of a plan (one place) ---------------------

@dataclass
class Spending:
    """Preparedness spending of a plan (currency): ``by_party`` F_p, ``by_lever`` Σ_p by
    ``SPEND_LEVERS``, and ``table`` (party, lever) -> amount."""

    by_party: dict[str, float]
    by_lever: dict[str, float]
    table: dict[tuple[str, str], float]

    @property
    def total(self) -> float:
        return float(sum(self.by_party.values()))


def spending(st: ModelStatement, first: dict[str, np.ndarray]) -> Spending:
    """The ``spend`` expression evaluated at the first stage ``first`` (family -> values,
    model units), split by party and by lever."""
    parts = st.evaluate("spend", first, by_label=True)
    parties = st.index.PARTIES
    table = {(p, lever): float(parts[lever][i]) if lever in parts else 0.0
             for i, p in enumerate(parties) for lever in SPEND_LEVERS}
    return Spending(by_party={p: sum(table[(p, lv)] for lv in SPEND_LEVERS) for p in parties},
                    by_lever={lv: sum(table[(p, lv)] for p in parties) for lv in SPEND_LEVERS},
                    table=table)


def period_spending(st: ModelStatement, first: dict[str, np.ndarray]
                    ) -> dict[tuple[str, int], float]:
    """F_{p,t} of every party and period at the first stage ``first`` (base currency):
    ``period_terms`` over all (party, period) pairs, so Σ_t F_{p,t} = F_p."""
    keys = [(p, t) for p in st.index.PARTIES for t in st.index.PERIODS]
    out = np.zeros(len(keys))
    for t in period_terms(st, keys):
        np.add.at(out, t.row, t.coef * first[t.var][t.col])
    return {key: float(v) for key, v in zip(keys, out, strict=True)}


def operating_costs(st: ModelStatement, first: dict[str, np.ndarray],
                    second: dict[str, np.ndarray]) -> np.ndarray:
    """operating_cost_s of every scenario (currency), shape (scenarios,)."""
    return st.evaluate("operating_cost", first, second)[:, 0]
