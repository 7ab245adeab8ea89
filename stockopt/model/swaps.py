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

    fee = [(st.party_position[spec.receiver], j, spec.fee)
           for j, (w, spec) in enumerate(data.swaps.items()) if spec.fee != 0.0]
    st.contribute("spend", [Terms("swap_capacity", [r for r, _, _ in fee],
                                  [c for _, c, _ in fee], [v for _, _, v in fee],
                                  label="swap_fees")])
    owed = [(draw[(w, t)], data.swaps[w].return_ratio * data.price[data.swaps[w].return_mineral])
            for (w, t) in idx.SWAP_OWED]
    value = np.array([v for _, v in owed], dtype=float)
    keep = np.flatnonzero(value != 0.0)
    st.contribute("operating_cost", [Terms("swap_draw", np.zeros(len(keep)),
                                           np.array([c for c, _ in owed], dtype=np.int64)[keep],
                                           value[keep], label="returns_owed")])
