"""The Pyomo model compiled to a MatrixLP with Pyomo's standard-form compiler.

This is the reference route (readable model → matrix); ``stockopt.model.arrays``
builds the same matrix directly. Both objectives are compiled together.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from ..lp import FIRST_STAGE_FAMILIES, SECOND_STAGE_FAMILIES, ColumnLayout, MatrixLP
from .arrays import family_units
from .index import family_index

INF = float("inf")


def compile_pyomo(model: pyo.ConcreteModel) -> MatrixLP:
    """Compile the Pyomo ``model`` (objectives ``risk`` and ``cost``) to a MatrixLP."""
    data, idx = model.ctx.data, model.ctx.index
    model.cost.activate()
    try:
        info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    finally:
        model.cost.deactivate()
    names = [o.parent_component().local_name for o in info.objectives]
    c = info.c.toarray() if hasattr(info.c, "toarray") else np.asarray(info.c)
    if np.any(np.asarray(info.c_offset, dtype=float) != 0.0):  # pragma: no cover
        raise ValueError("objective constants are not expected in this model")
    n_cols = len(info.columns)

    scen_pos = {s: i for i, s in enumerate(data.scenarios)}
    positions = {f: {key: i for i, key in enumerate(family_index(idx, f))}
                 for f in FIRST_STAGE_FAMILIES + SECOND_STAGE_FAMILIES}
    layout = ColumnLayout(
        first={f: np.full(len(positions[f]), -1, dtype=np.int64) for f in FIRST_STAGE_FAMILIES},
        second={f: np.full((len(scen_pos), len(positions[f])), -1, dtype=np.int64)
                for f in SECOND_STAGE_FAMILIES})
    lower = np.empty(n_cols)
    upper = np.empty(n_cols)
    for j, var in enumerate(info.columns):
        lb, ub = var.bounds
        lower[j] = -INF if lb is None else lb
        upper[j] = INF if ub is None else ub
        family = var.parent_component().local_name
        block = var.parent_block()
        if block is model:
            layout.first[family][positions[family][var.index()]] = j
        else:
            layout.second[family][scen_pos[block.index()], positions[family][var.index()]] = j

    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.fromiter((r[1] for r in info.rows), dtype=np.int8, count=len(info.rows))
    row_family = [con.parent_component().local_name for con, _s in info.rows]
    budget_rows, pooled_row = {}, None
    for i, (con, _s) in enumerate(info.rows):
        if row_family[i] == "budget_limit":
            budget_rows[str(con.index())] = i
        elif row_family[i] == "pooled_budget_limit":
            pooled_row = i

    col_unit = np.ones(n_cols)
    for f in FIRST_STAGE_FAMILIES:
        cols = layout.first[f]
        units = family_units(data, idx, f)
        col_unit[cols[cols >= 0]] = units[cols >= 0]
    for f in SECOND_STAGE_FAMILIES:
        cols = layout.second[f]
        units = np.broadcast_to(family_units(data, idx, f)[None, :], cols.shape)
        col_unit[cols[cols >= 0]] = units[cols >= 0]

    A = sp.csr_matrix(info.A)
    A.eliminate_zeros()
    return MatrixLP(A=A, col_lower=lower, col_upper=upper,
                    row_lower=np.where(sense <= 0, rhs, -INF),
                    row_upper=np.where(sense >= 0, rhs, INF),
                    risk_cost=np.asarray(c[names.index("risk")], dtype=float).ravel(),
                    cost_cost=np.asarray(c[names.index("cost")], dtype=float).ravel(),
                    layout=layout, row_family=row_family, budget_rows=budget_rows,
                    pooled_row=pooled_row, col_unit=col_unit)


def pyomo_columns(model: pyo.ConcreteModel, lp: MatrixLP) -> list:
    """The Pyomo variable of each column of ``lp`` (compiled from ``model``), in order."""
    data, idx = model.ctx.data, model.ctx.index
    columns: list = [None] * lp.n_cols
    for f, cols in lp.layout.first.items():
        component = getattr(model, f)
        for key, j in zip(family_index(idx, f), cols, strict=True):
            if j >= 0:
                columns[j] = component[key]
    for f, cols in lp.layout.second.items():
        for si, s in enumerate(data.scenarios):
            component = getattr(model.scenario[s], f)
            for key, j in zip(family_index(idx, f), cols[si], strict=True):
                if j >= 0:
                    columns[j] = component[key]
    return columns
