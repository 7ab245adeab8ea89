"""The second stage of one scenario, as a function of that scenario alone.

``build_scenario(b, ctx, s, fs)`` fills block ``b`` with every second-stage variable
and constraint of scenario ``s``, referring to the first-stage variables held by
``fs``. The extensive form calls it once per scenario; a scenario-decomposition engine
can call it on a model that holds one scenario and its own copy of the first stage.
"""

from __future__ import annotations

import pyomo.environ as pyo

from . import balance, budgets, concentration, cover, mitigation, offtakes, risk, stockpiles, swaps
from .context import ModelContext


def build_scenario(b: pyo.Block, ctx: ModelContext, s: str, fs: pyo.Block) -> None:
    """Add scenario ``s``'s variables, constraints, loss and cost terms to block ``b``."""
    for family in (stockpiles, offtakes, swaps, mitigation, balance):
        family.add_scenario_variables(b, ctx, s)
    for family in (stockpiles, offtakes, swaps, mitigation, balance):
        family.add_scenario_constraints(b, ctx, s, fs)
    risk.add_scenario_components(b, ctx, s, fs)
    budgets.add_scenario_cost(b, ctx)


def add_first_stage(m: pyo.Block, ctx: ModelContext) -> None:
    """All first-stage variables and first-stage-only constraints, on ``m``."""
    stockpiles.add_first_stage(m, ctx)
    offtakes.add_first_stage(m, ctx)
    swaps.add_first_stage(m, ctx)
    risk.add_first_stage(m, ctx)
    mitigation.add_first_stage(m, ctx)
    cover.add_first_stage(m, ctx)
    concentration.add_first_stage(m, ctx)
