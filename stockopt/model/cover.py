"""Cover floors: stockpile levels at the start of the horizon, in periods of cover.

Mirrors ``models/formulation.md``, section "Cover floors". Rows ``cover_floor`` (first
stage): for a party target Σ_k σ[k,p]·(S0[k,m] + arrivals by t0) ≥ Q_f over the
stockpiles it is a member of; for a stockpile target S0[k,m] + arrivals by t0 ≥ Q_f (t),
t0 the target's ``from_period``. Q_f is computed when the
workbook is read (``CoverTarget.required``); existing stock moves to the right-hand side.
"""

from __future__ import annotations

from ..data import ModelData
from .index import ModelIndex
from .statement import FIRST, ModelStatement, Terms


def floor_terms(data: ModelData, idx: ModelIndex, name: str
                ) -> tuple[list[tuple[tuple[str, str, int], float]], float]:
    """The orders (k, m, t) that count towards target ``name`` with their weights, and the
    right-hand side Q_f − (existing stock counted towards it) in tonnes.

    The floor applies to the planned level S0 + Σ_{t'≤t} arr in every period t from the
    target's ``from_period`` on (FORMULATION-v2 section 6); that level only grows, so the
    row at ``from_period`` implies the later ones: the orders counted are those arrived by
    then (t + ℓ_m ≤ from_period). Under v1 timing that is every purchase."""
    target = data.cover_targets[name]
    m = target.mineral
    if target.stockpile is not None:
        holdings = [((target.stockpile, m), 1.0)]
    else:
        holdings = [((k, m), data.members[k][target.party])
                    for k in idx.stockpiles_serving.get((target.party, m), ())]
    weights = [((k, mm, t), w) for (k, mm), w in holdings for t in idx.orders_of.get((k, mm), ())
               if t + data.lead(mm) <= target.from_period]
    existing = sum(w * data.holdings[h].initial_stock for h, w in holdings)
    return weights, target.required - existing


def add_variables(st: ModelStatement) -> None:
    """Cover floors add no variables."""


def add_rows(st: ModelStatement) -> None:
    """One cover_floor row per target that some order can reach (a target no order can
    reach by its ``from_period`` is data alone: ``solver.diagnose.unreachable_floors``
    reports it before solving when the existing stock does not meet it)."""
    names = [name for name in st.index.COVER_TARGETS
             if floor_terms(st.data, st.index, name)[0]]
    st.add_set("COVER_TARGETS", names, "cover floors")
    rows, cols, coefs, rhs = [], [], [], []
    purchase = st.position("purchase")
    for i, name in enumerate(names):
        weights, need = floor_terms(st.data, st.index, name)
        for h, w in weights:
            rows.append(i)
            cols.append(purchase[h])
            coefs.append(w)
        rhs.append(need)
    st.add_rows("cover_floor", FIRST, names, [Terms("purchase", rows, cols, coefs)],
                lower=rhs, set_name="COVER_TARGETS",
                doc="start-of-horizon level ≥ required cover (t)")
