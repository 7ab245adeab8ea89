"""Offtake contracts: capacity reserved once, deliveries follow the origin's availability.

Mirrors ``models/formulation.md``, section "Offtakes". Variables ``offtake_capacity``
(x_o, t/period), per scenario ``offtake_delivery`` (v[o,t], t/period); rows per scenario
``offtake_availability`` (v[o,t] ≤ A[c_o,m_o,t,s]·x_o for t ≥ t0_o); the fee in the
buyer's ``spend`` and the delivered price in ``operating_cost``. Take-or-pay
(FORMULATION-v2 section 7, Offtakes ``min_take`` > 0): per scenario ``unused_take``
(w[o,t] ≥ 0, t/period) with rows ``take_or_pay`` (w[o,t] ≥ min_take·A·x_o − v[o,t]), the
tonnes paid for and not taken, priced in ``operating_cost``.
"""

from __future__ import annotations

import numpy as np

from .index import availability_matrix
from .statement import FIRST, SCENARIO, ModelStatement, Terms


def take_or_pay_periods(st: ModelStatement) -> list[tuple[str, int]]:
    """The (o, t) delivery periods of offtakes with a take-or-pay share (min_take > 0)."""
    return [(o, t) for (o, t) in st.index.OFFTAKE_PERIODS if st.data.offtakes[o].min_take > 0]


def add_variables(st: ModelStatement) -> None:
    """x_o ∈ [0, xmax_o]; v[o,t] ≥ 0 from the first delivery period on; w[o,t] ≥ 0 where
    the offtake is take-or-pay."""
    data, idx = st.data, st.index
    st.add_set("OFFTAKES", idx.OFFTAKES, "offtake options")
    st.add_variables("offtake_capacity", FIRST, idx.OFFTAKES,
                     upper=[data.offtakes[o].max_volume for o in idx.OFFTAKES],
                     unit=[idx.mineral_unit[data.offtakes[o].mineral] for o in idx.OFFTAKES],
                     set_name="OFFTAKES", doc="x_o: capacity reserved (t/period)")
    st.add_variables("offtake_delivery", SCENARIO, idx.OFFTAKE_PERIODS,
                     unit=[idx.mineral_unit[data.offtakes[o].mineral]
                           for (o, _t) in idx.OFFTAKE_PERIODS],
                     doc="v[o,t]: tons delivered (t/period)")
    paid = take_or_pay_periods(st)
    if paid:
        st.add_variables("unused_take", SCENARIO, paid,
                         unit=[idx.mineral_unit[data.offtakes[o].mineral] for (o, _t) in paid],
                         doc="w[o,t]: tons paid for under take-or-pay and not taken "
                             "(t/period)")


def add_rows(st: ModelStatement) -> None:
    """v[o,t] − A[c_o,m_o,t,s]·x_o ≤ 0; fees in spend, prices in operating cost."""
    data, idx = st.data, st.index
    periods = idx.OFFTAKE_PERIODS
    here = np.arange(len(periods))
    share = availability_matrix(
        data, [(data.offtakes[o].source, data.offtakes[o].mineral, t) for (o, t) in periods])
    st.add_rows("offtake_availability", SCENARIO, periods, [
        Terms("offtake_delivery", here, here, 1.0),
        Terms("offtake_capacity", here, st.positions("offtake_capacity", [o for o, _ in periods]),
              -share),
    ], upper=0.0, doc="v[o,t] ≤ A·x_o (t/period)")

    paid = take_or_pay_periods(st)
    if paid:
        k = np.arange(len(paid))
        floor = availability_matrix(
            data, [(data.offtakes[o].source, data.offtakes[o].mineral, t) for (o, t) in paid])
        take = np.array([data.offtakes[o].min_take for (o, _t) in paid], dtype=float)
        st.add_rows("take_or_pay", SCENARIO, paid, [
            Terms("offtake_capacity", k, st.positions("offtake_capacity", [o for o, _ in paid]),
                  take[None, :] * floor),
            Terms("offtake_delivery", k, st.positions("offtake_delivery", paid), -1.0),
            Terms("unused_take", k, k, -1.0),
        ], upper=0.0, doc="w[o,t] ≥ min_take·A·x_o − v[o,t] (t/period)")
        st.contribute_operating_cost("unused_take",
                                     [data.offtakes[o].price for (o, _t) in paid],
                                     "take_or_pay")

    specs = [data.offtakes[o] for o in idx.OFFTAKES]
    st.contribute_fees("offtake_capacity", [sp.party for sp in specs], [sp.fee for sp in specs],
                       "offtake_fees")
    st.contribute_operating_cost("offtake_delivery",
                                 [data.offtakes[o].price for (o, _t) in periods],
                                 "offtake_deliveries")
