"""Cover floors: stockpile levels at the start of the horizon, in periods of cover.

Mirrors ``models/formulation.md``, section "Cover floors". Rows ``cover_floor`` (first
stage): for a party target Σ_k σ[k,p]·(S0[k,m] + a[k,m]) ≥ Q_f over the stockpiles it is
a member of; for a stockpile target S0[k,m] + a[k,m] ≥ Q_f (t). Q_f is computed when the
workbook is read (``CoverTarget.required``); existing stock moves to the right-hand side.
"""

from __future__ import annotations

from ..data import ModelData
from .index import ModelIndex
from .statement import FIRST, ModelStatement, Terms


def floor_terms(data: ModelData, idx: ModelIndex, name: str
                ) -> tuple[list[tuple[tuple[str, str], float]], float]:
    """The purchases (k, m) with their weights in target ``name``, and the right-hand side
    Q_f − (existing stock counted towards it) in tonnes."""
    target = data.cover_targets[name]
    m = target.mineral
    if target.stockpile is not None:
        weights = [((target.stockpile, m), 1.0)]
    else:
        weights = [((k, m), data.members[k][target.party])
                   for k in idx.stockpiles_serving.get((target.party, m), ())]
    existing = sum(w * data.holdings[h].initial_stock for h, w in weights)
    return weights, target.required - existing


def add_variables(st: ModelStatement) -> None:
    """Cover floors add no variables."""


def add_rows(st: ModelStatement) -> None:
    """One cover_floor row per target."""
    names = st.index.COVER_TARGETS
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
