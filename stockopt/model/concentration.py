"""Concentration caps: no single source above a share of supply plus contracted offtakes.

Mirrors ``models/formulation.md``, section "Concentration caps". Rows
``concentration_limit`` (first stage), for each capped (p, m), non-excluded source c and
period t with an offtake delivering:

    q[p,m,c,t] + Σ_{o→c} x_o ≤ L·(Σ_c' q[p,m,c',t] + Σ_o x_o)

written as Σ_o (1[c_o = c] − L)·x_o ≤ L·Q[p,m,t] − q[p,m,c,t]. Rows with no offtake are
data alone: they hold or not before any solve (``ModelIndex.concentration_fixed``).
"""

from __future__ import annotations

from .index import concentration_terms
from .statement import FIRST, ModelStatement, Terms


def add_variables(st: ModelStatement) -> None:
    """Concentration caps add no variables."""


def add_rows(st: ModelStatement) -> None:
    """concentration_limit rows over ``CONCENTRATION_ROWS``."""
    data, idx = st.data, st.index
    keys = idx.CONCENTRATION_ROWS
    st.add_set("CONCENTRATION_ROWS", keys, "(party, mineral, source, period) capped", 4)
    capacity = st.position("offtake_capacity")
    rows, cols, coefs, rhs = [], [], [], []
    for i, (p, m, c, t) in enumerate(keys):
        share = idx.concentration_share[(p, m)]
        by_source, active = concentration_terms(data, idx.supply_sources, idx.offtakes_to,
                                                p, m, t)
        for o in active:
            rows.append(i)
            cols.append(capacity[o])
            coefs.append((1.0 if data.offtakes[o].source == c else 0.0) - share)
        rhs.append(share * sum(by_source.values()) - by_source.get(c, 0.0))
    st.add_rows("concentration_limit", FIRST, keys,
                [Terms("offtake_capacity", rows, cols, coefs)], upper=rhs,
                set_name="CONCENTRATION_ROWS",
                doc="one source's share of supply + offtakes ≤ L")
