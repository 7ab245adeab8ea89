"""Demand-side mitigation: substitution or economizing that cuts demand in a scenario.

Mirrors ``models/formulation.md``, section "Mitigation". Variables
``mitigation_capacity`` (u_i, t/period, first stage), per scenario ``mitigation_use``
(μ[i,t] ∈ [0, share_i·D[p,m,t,s]], from period lead_i + 1 on); rows per scenario
``mitigation_capacity_limit`` (μ[i,t] ≤ u_i). Use enters the party balance like supply
(``balance``), costs cost_i per tonne in ``operating_cost``; the fee is in ``spend``.
"""

from __future__ import annotations

import numpy as np

from .index import demand_matrix
from .statement import FIRST, SCENARIO, ModelStatement, Terms


def capacity_bounds(st: ModelStatement) -> np.ndarray:
    """The most capacity each option can usefully prepare: share_i · max_{t,s} D[p,m,t,s]."""
    data, idx = st.data, st.index
    out = np.zeros(len(idx.MITIGATIONS))
    for j, i in enumerate(idx.MITIGATIONS):
        spec = data.mitigations[i]
        demand = demand_matrix(data, [(spec.party, spec.mineral, t) for t in idx.PERIODS])
        out[j] = spec.max_share * (demand.max() if demand.size else 0.0)
    return out


def add_variables(st: ModelStatement) -> None:
    """u_i ∈ [0, share_i · peak demand]; μ[i,t] ∈ [0, share_i · D[p,m,t,s]]."""
    data, idx = st.data, st.index
    st.add_set("MITIGATIONS", idx.MITIGATIONS, "demand-side mitigation options")
    st.add_variables("mitigation_capacity", FIRST, idx.MITIGATIONS, upper=capacity_bounds(st),
                     unit=[idx.mineral_unit[data.mitigations[i].mineral]
                           for i in idx.MITIGATIONS],
                     set_name="MITIGATIONS", doc="u_i: prepared mitigation capacity (t/period)")
    uses = idx.MITIGATION_PERIODS
    specs = [data.mitigations[i] for (i, _t) in uses]
    demand = demand_matrix(data, [(sp.party, sp.mineral, t)
                                  for sp, (_i, t) in zip(specs, uses, strict=True)])
    share = np.array([sp.max_share for sp in specs], dtype=float)
    st.add_variables("mitigation_use", SCENARIO, uses,
                     upper=share[None, :] * demand if uses else np.zeros((st.n_scenarios, 0)),
                     unit=[idx.mineral_unit[sp.mineral] for sp in specs],
                     doc="μ[i,t]: demand cut by mitigation (t/period)")


def add_rows(st: ModelStatement) -> None:
    """μ[i,t] − u_i ≤ 0; fees in spend, use cost in operating cost."""
    data, idx = st.data, st.index
    uses = idx.MITIGATION_PERIODS
    here = np.arange(len(uses))
    st.add_rows("mitigation_capacity_limit", SCENARIO, uses, [
        Terms("mitigation_use", here, here, 1.0),
        Terms("mitigation_capacity", here,
              st.positions("mitigation_capacity", [i for i, _t in uses]), -1.0),
    ], upper=0.0, doc="μ[i,t] ≤ u_i (t/period)")

    specs = [data.mitigations[i] for i in idx.MITIGATIONS]
    st.contribute_fees("mitigation_capacity", [sp.party for sp in specs],
                       [sp.fee for sp in specs], "mitigation_fees")
    st.contribute_operating_cost("mitigation_use", [data.mitigations[i].cost for (i, _t) in uses],
                                 "mitigation_use")
