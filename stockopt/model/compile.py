"""The Pyomo rendering compiled to a ``MatrixLP`` by Pyomo's standard-form compiler.

This is the route of ``stockopt solve --builder pyomo``: the readable model, compiled
by Pyomo itself. ``matrix.render_matrix`` gives the same LP directly; a test compares the
two entry by entry (same statement, so they agree by construction; the test guards the
renderers). Both objectives are compiled together.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from .matrix import ColumnLayout, MatrixLP
from .statement import ModelStatement

INF = float("inf")


def _place(st: ModelStatement, model: pyo.ConcreteModel, components: list,
           families: dict) -> ColumnLayout:
    """Where each family's entries landed among ``components`` (variables or rows)."""
    number = {s: i for i, s in enumerate(st.scenarios)}
    layout = ColumnLayout(
        first={f: np.full(fam.size, -1, dtype=np.int64)
               for f, fam in families.items() if fam.stage == "first"},
        second={f: np.full((st.n_scenarios, fam.size), -1, dtype=np.int64)
                for f, fam in families.items() if fam.stage == "scenario"})
    for j, obj in enumerate(components):
        family = obj.parent_component().local_name
        pos = st.position(family)[obj.index()]
        block = obj.parent_block()
        if block is model:
            layout.first[family][pos] = j
        else:
            layout.second[family][number[block.index()], pos] = j
    return layout


def compile_pyomo(model: pyo.ConcreteModel) -> MatrixLP:
    """Compile the Pyomo ``model`` (from ``render_pyomo``) to a MatrixLP."""
    st: ModelStatement = model.statement
    later = [getattr(model, name) for name in list(st.objectives)[1:]]
    for objective in later:
        objective.activate()
    try:
        info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    finally:
        for objective in later:
            objective.deactivate()
    names = [o.parent_component().local_name for o in info.objectives]
    c = info.c.toarray() if hasattr(info.c, "toarray") else np.asarray(info.c)
    if np.any(np.asarray(info.c_offset, dtype=float) != 0.0):  # pragma: no cover
        raise ValueError("objective constants are not expected in this model")
    n_cols = len(info.columns)
    layout = _place(st, model, info.columns, st.variables)
    row_layout = _place(st, model, [con for con, _s in info.rows], st.rows)
    lower = np.array([-INF if v.lb is None else v.lb for v in info.columns], dtype=float)
    upper = np.array([INF if v.ub is None else v.ub for v in info.columns], dtype=float)
    col_unit = np.ones(n_cols)
    for f, cols in layout.first.items():
        col_unit[cols[cols >= 0]] = st.variables[f].unit[cols >= 0]
    for f, cols in layout.second.items():
        units = np.broadcast_to(st.variables[f].unit[None, :], cols.shape)
        col_unit[cols[cols >= 0]] = units[cols >= 0]
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.fromiter((r[1] for r in info.rows), dtype=np.int8, count=len(info.rows))
    A = sp.csr_matrix(info.A)
    A.eliminate_zeros()
    return MatrixLP(A=A, col_lower=lower, col_upper=upper,
                    row_lower=np.where(sense <= 0, rhs, -INF),
                    row_upper=np.where(sense >= 0, rhs, INF),
                    risk_cost=np.asarray(c[names.index("risk")], dtype=float).ravel(),
                    cost_cost=np.asarray(c[names.index("cost")], dtype=float).ravel(),
                    layout=layout, row_layout=row_layout,
                    row_family=[con.parent_component().local_name for con, _s in info.rows],
                    parties=list(st.index.PARTIES),
                    budgeted=list(st.rows["budget_limit"].index)
                    if "budget_limit" in st.rows else [],
                    col_unit=col_unit,
                    move_cost=np.asarray(c[names.index("move")], dtype=float).ravel()
                    if "move" in names else None)


def pyomo_columns(model: pyo.ConcreteModel, lp: MatrixLP) -> list:
    """The Pyomo variable of each column of ``lp`` (compiled from ``model``), in order."""
    st: ModelStatement = model.statement
    columns: list = [None] * lp.n_cols
    for f, cols in lp.layout.first.items():
        component = getattr(model, f)
        for key, j in zip(st.variables[f].index, cols, strict=True):
            if j >= 0:
                columns[j] = component if key is None else component[key]
    for f, cols in lp.layout.second.items():
        for si, s in enumerate(st.scenarios):
            component = getattr(model.scenario[s], f)
            for key, j in zip(st.variables[f].index, cols[si], strict=True):
                if j >= 0:
                    columns[j] = component if key is None else component[key]
    return columns
