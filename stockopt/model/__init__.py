"""The stockopt optimization model in Pyomo: the extensive form over all scenarios.

One module per constraint family (``stockpiles``, ``offtakes``, ``swaps``,
``balance``, ``risk``, ``budgets``); ``scenario.build_scenario`` builds the second
stage of one scenario. ``models/formulation.md`` is the same model written for people.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import ModelData
from . import budgets, risk
from .context import ModelContext
from .index import ModelIndex, build_index
from .scenario import add_first_stage, build_scenario

__all__ = ["ModelContext", "ModelIndex", "build_model", "build_index"]


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """Build the extensive-form LP for ``data``.

    The model has two objectives: ``risk`` (active, phase 1) and ``cost`` (inactive,
    phase 2). The model context is attached as ``model.ctx``.
    """
    ctx = ModelContext(data, build_index(data))
    m = pyo.ConcreteModel(name="stockopt")
    m.ctx = ctx
    add_first_stage(m, ctx)
    m.SCENARIOS = pyo.Set(initialize=data.scenarios, ordered=True)
    m.scenario = pyo.Block(m.SCENARIOS, rule=lambda b, s: build_scenario(b, ctx, s, m))
    budgets.add_spending(m, ctx)
    risk.add_objective(m, ctx)
    budgets.add_objective(m, ctx)
    return m
