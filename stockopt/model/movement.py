"""Movement: the material a plan moves out of stockpiles, for phase 3 (no needless releases).

Mirrors ``models/formulation.md``, section "Movement" (FORMULATION-v2 section 1). Releases
and swap draws cost nothing, and material beyond demand is not used, so among the
cost-optimal plans some release stock where nothing needs it. Per scenario the expression
``movement`` weighs each release r[k,p,m,t] by 1/u_m and each swap draw f[w,t] by
1/u_{m_w}, u_m the mineral's largest baseline demand d[p,m,t] over parties and periods (1
for a mineral without demand); the objective ``move`` = min ``move_value`` = Σ_s π_s ·
movement_s is phase 3's, minimized with the risk and the cost held at their optima.
"""

from __future__ import annotations

import numpy as np

from .risk import SCALAR
from .statement import SCENARIO, ModelStatement, ObjectivePart, Terms


def demand_units(st: ModelStatement) -> dict[str, float]:
    """u_m: each mineral's largest baseline demand d[p,m,t] (t/period), 1 without demand."""
    unit = dict.fromkeys(st.index.MINERALS, 0.0)
    for (_p, m, _t), d in st.data.demand.items():
        unit[m] = max(unit[m], d)
    return {m: u if u > 0.0 else 1.0 for m, u in unit.items()}


def add_variables(st: ModelStatement) -> None:
    """Movement adds no variables."""


def add_rows(st: ModelStatement) -> None:
    """The movement expression and the phase-3 objective ``move``."""
    unit = demand_units(st)
    releases = st.variables["release"].index
    draws = st.variables["swap_draw"].index
    release_weight = np.array([1.0 / unit[m] for (_k, _p, m, _t) in releases], dtype=float)
    draw_weight = np.array([1.0 / unit[st.data.swaps[w].mineral] for (w, _t) in draws],
                           dtype=float)
    st.add_expression("movement", SCENARIO, SCALAR, [
        Terms("release", np.zeros(len(releases)), np.arange(len(releases)), release_weight),
        Terms("swap_draw", np.zeros(len(draws)), np.arange(len(draws)), draw_weight),
    ], doc="Σ_t (Σ r/u_m + Σ f/u_m'): material moved out of stockpiles (periods of demand)")
    st.add_objective("move", "move_value", [ObjectivePart("movement", 1.0)],
                     doc="phase 3: minimize the material moved",
                     value_doc="Move = Σ_s π_s movement_s")
