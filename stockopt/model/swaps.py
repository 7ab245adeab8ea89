"""Swap agreements: capacity reserved once; draws in a scenario, returned in kind later.

Mirrors ``models/formulation.md``, section "Swaps". Variables ``swap_capacity`` (y_w, t),
per scenario ``swap_draw`` (f[w,t], t/period); rows per scenario
``swap_capacity_limit`` (Σ_t f[w,t] ≤ y_w). A draw in period t is returned in period
t + L_w as ρ_w·f[w,t] tonnes of the return mineral, out of the receiver's balance and into
the lender's stock (``ModelIndex.SWAP_RETURNS``, used by ``stock_balance`` and
``party_balance``); a return due after the last period is owed at the end
(``ModelIndex.SWAP_OWED``) and its replacement value enters ``operating_cost``. The fee is
in the receiver's ``spend``.
"""

from __future__ import annotations

import numpy as np

from .statement import FIRST, SCENARIO, ModelStatement, Terms


def add_variables(st: ModelStatement) -> None:
    """y_w ∈ [0, ymax_w]; f[w,t] ≥ 0."""
    data, idx = st.data, st.index
    st.add_set("SWAPS", idx.SWAPS, "swap options")
    st.add_variables("swap_capacity", FIRST, idx.SWAPS,
                     upper=[data.swaps[w].max_volume for w in idx.SWAPS],
                     unit=[idx.mineral_unit[data.swaps[w].mineral] for w in idx.SWAPS],
                     set_name="SWAPS", doc="y_w: swap capacity reserved (t)")
    st.add_variables("swap_draw", SCENARIO, idx.SWAP_PERIODS,
                     unit=[idx.mineral_unit[data.swaps[w].mineral] for (w, _t) in idx.SWAP_PERIODS],
                     doc="f[w,t]: tons drawn (t/period)")


def add_rows(st: ModelStatement) -> None:
    """Σ_t f[w,t] − y_w ≤ 0; fees in spend; returns owed at the end in operating cost."""
    data, idx = st.data, st.index
    draw = st.position("swap_draw")
    rows = [i for i, w in enumerate(idx.SWAPS) for _t in idx.PERIODS]
    cols = [draw[(w, t)] for w in idx.SWAPS for t in idx.PERIODS]
    here = np.arange(len(idx.SWAPS))
    st.add_rows("swap_capacity_limit", SCENARIO, idx.SWAPS, [
        Terms("swap_draw", rows, cols, 1.0),
        Terms("swap_capacity", here, here, -1.0),
    ], upper=0.0, set_name="SWAPS", doc="Σ_t f[w,t] ≤ y_w (t)")

    specs = [data.swaps[w] for w in idx.SWAPS]
    st.contribute_fees("swap_capacity", [sp.receiver for sp in specs], [sp.fee for sp in specs],
                       "swap_fees")
    owed = np.zeros(len(idx.SWAP_PERIODS))
    for w, t in idx.SWAP_OWED:  # replacement value of the return still owed at the end
        spec = data.swaps[w]
        owed[draw[(w, t)]] = spec.return_ratio * data.price[spec.return_mineral]
    st.contribute_operating_cost("swap_draw", owed, "returns_owed")
