"""The optimization model: stated once, rendered twice.

Each constraint family module declares its variables, rows and cost terms once, into a
``ModelStatement`` (``statement.py``); ``matrix.py`` renders the statement as the sparse
matrix handed to HiGHS and ``pyomo_model.py`` as a Pyomo ``ConcreteModel`` named as in
``models/formulation.md``. ``index.py`` decides the sparse index sets once.

A new lever is one module with ``add_variables(st)`` and ``add_rows(st)`` and one line
in ``FAMILIES``.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import ModelData
from . import (
    access,
    balance,
    budgets,
    concentration,
    cover,
    mitigation,
    movement,
    offtakes,
    party_limits,
    risk,
    stockpiles,
    swaps,
)
from .index import ModelIndex, build_index
from .matrix import MatrixLP, render_matrix
from .pyomo_model import render_pyomo
from .statement import FIRST, SCENARIO, ModelStatement

FAMILIES = (stockpiles, offtakes, swaps, mitigation, balance, risk, cover, concentration,
            access, party_limits, budgets, movement)
"""The constraint families, in declaration order (the matrix's column, then row order).
Every family declares its variables first (``add_variables``), then every family its rows
(``add_rows``), so rows may refer to any family's variables; ``budgets`` comes last, as it
collects the ``spend`` and ``operating_cost`` terms the others contributed."""

__all__ = ["FAMILIES", "FIRST", "SCENARIO", "ModelIndex", "ModelStatement", "build_index",
           "build_matrix_lp", "build_model", "state_model"]


def state_model(data: ModelData, index: ModelIndex | None = None) -> ModelStatement:
    """The model of ``data`` stated family by family (index sets decided once)."""
    st = ModelStatement(data, index or build_index(data))
    for family in FAMILIES:
        family.add_variables(st)
    for family in FAMILIES:
        family.add_rows(st)
    return st


def build_matrix_lp(data: ModelData, index: ModelIndex | None = None) -> MatrixLP:
    """The matrix rendering of ``data``'s model (what ``stockopt solve`` hands to HiGHS)."""
    return render_matrix(state_model(data, index))


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """The Pyomo rendering of ``data``'s model: the extensive form over every scenario."""
    return render_pyomo(state_model(data))
