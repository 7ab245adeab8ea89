"""The model rendered as a Pyomo ``ConcreteModel``, named as in ``models/formulation.md``.

``render_pyomo`` turns a ``ModelStatement`` into a real Pyomo model: one ``Set`` per
named set, one ``Var``, ``Constraint`` or ``Expression`` per family (first-stage families
on the model, scenario families on the block ``scenario[s]``), and the objectives
``risk`` (active) and ``cost`` (deactivated) with their value expressions
``risk_value`` and ``cost_value``. Each row's body is built from the statement's terms,
so it is the very row of the matrix rendering.

``stockopt solve --builder pyomo`` solves through it (compiled to a matrix by Pyomo's
standard-form compiler, ``stockopt.model.compile``); ``render_pyomo(st, scenarios=[s],
objectives=False)`` gives one scenario's model without objectives, for Pyomo-based tools.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from .statement import FIRST, SCENARIO, ExprFamily, ModelStatement, RowFamily, VarFamily


def _bound(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _key(k):  # noqa: ANN001, ANN202 - an index tuple or None
    return k


class _Vars:
    """The variable objects of each family, in index order, for one scenario."""

    def __init__(self, model: pyo.Block, block: pyo.Block | None, st: ModelStatement) -> None:
        self.model, self.block, self.st = model, block, st
        self._cache: dict[str, list] = {}

    def __call__(self, family: str) -> list:
        if family not in self._cache:
            fam = self.st.variables[family]
            owner = self.model if fam.stage == FIRST else self.block
            component = getattr(owner, family)
            self._cache[family] = [component] if fam.index == [None] else \
                [component[k] for k in fam.index]
        return self._cache[family]


class _Expected:
    """The variables of an expectation row (``RowFamily.expected``): a first-stage family's
    objects once, a scenario family's in every scenario s with its weight π_s."""

    def __init__(self, model: pyo.Block, st: ModelStatement) -> None:
        self.st = st
        self.first = _Vars(model, None, st)
        self.blocks = [(number, _Vars(model, model.scenario[s], st))
                       for number, s in enumerate(st.scenarios)]
        self.prob = st.probabilities()

    def weighted(self, family: str) -> list[tuple[int, float, list]]:
        """(scenario number, weight, variables) for each copy of ``family`` in the row."""
        if self.st.variables[family].stage == FIRST:
            return [(0, 1.0, self.first(family))]
        return [(s, float(self.prob[s]), objs(family)) for s, objs in self.blocks
                if self.prob[s] != 0.0]


def _bodies(fam: ExprFamily | RowFamily, s: int, objs: _Vars | _Expected
            ) -> list[LinearExpression | int]:
    """Each row's linear body Σ coef·var, from the family's terms (zeros left out)."""
    monomials: list[list] = [[] for _ in range(fam.size)]
    for t in fam.terms:
        copies = objs.weighted(t.var) if isinstance(objs, _Expected) else [(s, 1.0, objs(t.var))]
        for number, weight, variables in copies:
            for r, c, a in zip(t.row.tolist(), t.col.tolist(), t.coef_in(number).tolist(),
                               strict=True):
                if a != 0.0:
                    monomials[r].append(MonomialTermExpression((weight * a, variables[c])))
    return [LinearExpression(args) if args else 0 for args in monomials]


def _add_vars(owner: pyo.Block, fam: VarFamily, s: int, model: pyo.Block) -> None:
    lower = fam.lower[s] if fam.lower.ndim == 2 else fam.lower
    upper = fam.upper[s] if fam.upper.ndim == 2 else fam.upper
    if fam.index == [None]:
        setattr(owner, fam.name, pyo.Var(bounds=(_bound(lower[0]), _bound(upper[0])),
                                         doc=fam.doc))
        return
    bounds = {k: (_bound(lo), _bound(hi))
              for k, lo, hi in zip(fam.index, lower.tolist(), upper.tolist(), strict=True)}
    index = getattr(model, fam.set_name) if fam.set_name and fam.stage == FIRST \
        else list(fam.index)
    setattr(owner, fam.name, pyo.Var(index, bounds=bounds, doc=fam.doc))


def _add_rows(owner: pyo.Block, fam: RowFamily, s: int, objs: _Vars | _Expected,
              model: pyo.Block) -> None:
    lower = fam.lower[s] if fam.lower.ndim == 2 else fam.lower
    upper = fam.upper[s] if fam.upper.ndim == 2 else fam.upper
    if fam.of_expression is not None:
        name, members = fam.of_expression
        expr = getattr(owner, name)
        bodies = [pyo.quicksum(expr[k] if k is not None else expr for k in keys)
                  for keys in members]
    else:
        bodies = _bodies(fam, s, objs)

    def row(i: int):  # noqa: ANN202
        body, lo, hi = bodies[i], _bound(lower[i]), _bound(upper[i])
        if isinstance(body, int):  # a row with no terms: data alone
            return pyo.Constraint.Skip
        if lo is not None and lo == hi:
            return body == lo
        return (lo, body, hi)

    if fam.index == [None]:
        setattr(owner, fam.name, pyo.Constraint(rule=lambda _b: row(0), doc=fam.doc))
        return
    pos = {k: i for i, k in enumerate(fam.index)}
    index = getattr(model, fam.set_name) if fam.set_name and fam.stage == FIRST \
        else list(fam.index)
    setattr(owner, fam.name, pyo.Constraint(
        index, rule=lambda _b, *k: row(pos[k[0] if len(k) == 1 else k]), doc=fam.doc))


def _add_expression(owner: pyo.Block, fam: ExprFamily, s: int, objs: _Vars,
                    model: pyo.Block) -> None:
    bodies = _bodies(fam, s, objs)
    if fam.index == [None]:
        setattr(owner, fam.name, pyo.Expression(expr=bodies[0], doc=fam.doc))
        return
    pos = {k: i for i, k in enumerate(fam.index)}
    index = getattr(model, fam.set_name) if fam.set_name and fam.stage == FIRST \
        else list(fam.index)
    setattr(owner, fam.name, pyo.Expression(
        index, rule=lambda _b, *k: bodies[pos[k[0] if len(k) == 1 else k]], doc=fam.doc))


def _family_sum(owner: pyo.Block, st: ModelStatement, family: str) -> pyo.Expression:
    """Σ over the entries of a variable or expression family held by ``owner``."""
    component = getattr(owner, family)
    if st.family(family).index == [None]:
        return component
    return pyo.quicksum(component.values())


def render_pyomo(st: ModelStatement, scenarios: Sequence[str] | None = None, *,
                 objectives: bool = True, name: str = "stockopt") -> pyo.ConcreteModel:
    """The Pyomo model of ``st`` over ``scenarios`` (default: all).

    With ``objectives``, the model holds ``risk_value``/``risk`` (active) and
    ``cost_value``/``cost`` (deactivated), over the scenarios given. The statement is
    attached as ``model.statement``.
    """
    scenarios = list(st.scenarios if scenarios is None else scenarios)
    number = {s: i for i, s in enumerate(st.scenarios)}
    m = pyo.ConcreteModel(name=name)
    m.statement = st
    for decl in st.sets.values():
        setattr(m, decl.name, pyo.Set(initialize=decl.members, dimen=decl.dimen or None,
                                      ordered=True, doc=decl.doc))
    first_objs = _Vars(m, None, st)
    for fam in st.variables.values():
        if fam.stage == FIRST:
            _add_vars(m, fam, 0, m)
    for fam in st.expressions.values():
        if fam.stage == FIRST:
            _add_expression(m, fam, 0, first_objs, m)
    for fam in st.rows.values():
        if fam.stage == FIRST and not fam.expected:
            _add_rows(m, fam, 0, first_objs, m)

    def scenario_block(b: pyo.Block, s: str) -> None:
        si = number[s]
        objs = _Vars(m, b, st)
        for fam in st.variables.values():
            if fam.stage == SCENARIO:
                _add_vars(b, fam, si, m)
        for fam in st.expressions.values():
            if fam.stage == SCENARIO:
                _add_expression(b, fam, si, objs, m)
        for fam in st.rows.values():
            if fam.stage == SCENARIO:
                _add_rows(b, fam, si, objs, m)

    m.SCENARIOS = pyo.Set(initialize=scenarios, ordered=True, doc="scenarios")
    m.scenario = pyo.Block(m.SCENARIOS, rule=scenario_block)
    expected = [fam for fam in st.rows.values() if fam.expected]
    if expected and scenarios != list(st.scenarios):
        raise ValueError(f"{expected[0].name} links every scenario; it cannot be rendered "
                         "over a subset of them")
    for fam in expected:
        _add_rows(m, fam, 0, _Expected(m, st), m)
    if objectives:
        for obj in st.objectives.values():
            value = []
            for part in obj.parts:
                if st.family(part.family).stage == FIRST:
                    value.append(part.weight * _family_sum(m, st, part.family))
                    continue
                for s in scenarios:
                    pi = st.data.probability[s]
                    if pi != 0.0:
                        value.append(part.weight * pi
                                     * _family_sum(m.scenario[s], st, part.family))
            setattr(m, obj.value_name, pyo.Expression(expr=pyo.quicksum(value),
                                                      doc=obj.value_doc))
            setattr(m, obj.name, pyo.Objective(expr=getattr(m, obj.value_name),
                                               sense=pyo.minimize, doc=obj.doc))
        for obj in list(st.objectives)[1:]:  # risk is active; cost and move wait their phase
            getattr(m, obj).deactivate()
    return m
