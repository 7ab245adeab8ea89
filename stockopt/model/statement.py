"""The model stated once, as data: variable, row and expression families.

Every constraint family module (``stockpiles``, ``offtakes``, ...) declares its part of
the LP here, once, in vectorized form: a family of variables is an index list with
bound arrays, a family of rows is an index list with bound arrays and blocks of
coefficients (``Terms``) on variable families, an expression family (``spend``,
``loss``, ``operating_cost``) is rows without bounds. Two renderings are derived from
one ``ModelStatement`` and from nothing else:

- ``stockopt.model.matrix.render_matrix``: the sparse matrix handed to HiGHS;
- ``stockopt.model.pyomo_model.render_pyomo``: a Pyomo ``ConcreteModel`` whose
  components carry the names of ``models/formulation.md``.

So no row's algebra is written twice, and the two renderings agree by construction.

Stages: a ``FIRST``-stage family has one entry per index tuple; a ``SCENARIO`` family
has one entry per index tuple in every scenario (the index is the same in every
scenario; only numbers change). Arrays that differ by scenario have shape
(scenarios, n), in ``data.scenarios`` order; arrays that do not have shape (n,). A
scenario row's ``Terms`` may refer to first-stage variables (the link between the
stages) or to the same scenario's variables; a first-stage row refers to first-stage
variables only.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..data import ModelData
from .index import ModelIndex

FIRST = "first"
"""Stage of a family chosen once, before any scenario (non-anticipative)."""

SCENARIO = "scenario"
"""Stage of a family repeated in every scenario."""

INF = float("inf")


@dataclass
class Terms:
    """Coefficients of one variable family in one row (or expression) family.

    Entry j puts ``coef[j]`` (or ``coef[s, j]`` in scenario s) on variable
    ``var[col[j]]`` in row ``row[j]`` of the family. ``label`` names what the terms
    stand for when the family is summed by parts (the levers of ``spend``, the parts of
    ``operating_cost``).
    """

    var: str
    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray
    label: str | None = None

    def __post_init__(self) -> None:
        self.row = np.asarray(self.row, dtype=np.int64).ravel()
        self.col = np.asarray(self.col, dtype=np.int64).ravel()
        coef = np.asarray(self.coef, dtype=float)
        if coef.ndim <= 1:
            coef = np.broadcast_to(coef, self.row.shape).copy()
        self.coef = coef
        if self.row.shape != self.col.shape or coef.shape[-1] != self.row.shape[0]:
            raise ValueError(f"terms on {self.var}: rows, columns and coefficients differ "
                             f"in length ({self.row.shape}, {self.col.shape}, {coef.shape})")

    @property
    def by_scenario(self) -> bool:
        """Whether the coefficients differ by scenario (shape (scenarios, k))."""
        return self.coef.ndim == 2

    def coef_in(self, s: int) -> np.ndarray:
        """The coefficients in scenario number ``s`` (0-based)."""
        return self.coef[s] if self.by_scenario else self.coef


@dataclass
class VarFamily:
    """A family of variables: ``lower ≤ x ≤ upper`` entry by entry (±inf allowed).

    ``unit`` is each entry's scaling unit for the solver (its mineral's tonnage unit,
    else 1); it changes nothing in the model.
    """

    name: str
    stage: str
    index: list
    lower: np.ndarray
    upper: np.ndarray
    unit: np.ndarray
    doc: str
    set_name: str | None = None

    @property
    def size(self) -> int:
        return len(self.index)


@dataclass
class ExprFamily:
    """A family of linear expressions: entry i is Σ (terms in row i)."""

    name: str
    stage: str
    index: list
    terms: list[Terms]
    doc: str
    set_name: str | None = None

    @property
    def size(self) -> int:
        return len(self.index)


@dataclass
class RowFamily:
    """A family of rows: ``lower ≤ Σ terms ≤ upper`` row by row (±inf allowed).

    ``of_expression`` (name, keys per row) says that row i is the sum of those entries
    of an expression family (e.g. ``budget_limit[p]`` is ``spend[p] ≤ B_p``); its
    ``terms`` are then derived from the expression's. ``after_scenarios`` places a
    first-stage family after the scenario blocks in the matrix (the budget rows).

    ``expected`` makes a first-stage family an expectation over the scenarios: its terms
    on scenario variables stand for Σ_s π_s · (the terms in scenario s), one row across
    every scenario block (a party's risk limit, FORMULATION-v2 section 4). Such a row
    links the scenarios, so it exists only in renderings of every scenario.
    """

    name: str
    stage: str
    index: list
    terms: list[Terms]
    lower: np.ndarray
    upper: np.ndarray
    doc: str
    set_name: str | None = None
    of_expression: tuple[str, list[list]] | None = None
    after_scenarios: bool = False
    expected: bool = False

    @property
    def size(self) -> int:
        return len(self.index)


@dataclass
class ObjectivePart:
    """``weight`` × a variable or expression family, summed over its entries.

    Parts on scenario families are weighted by the scenario probabilities π_s as well;
    scenarios with π_s = 0 add nothing.
    """

    family: str
    weight: float


@dataclass
class Objective:
    """A minimized objective ``name`` whose value is the expression ``value_name``."""

    name: str
    value_name: str
    parts: list[ObjectivePart]
    doc: str
    value_doc: str


@dataclass
class SetDecl:
    """A named Pyomo set (``HOLDINGS``, ``OFFTAKES``, ...): its members and stage."""

    name: str
    members: list
    dimen: int
    doc: str


@dataclass
class ModelStatement:
    """The whole LP, family by family, in declaration order (which is column order,
    then row order, of the matrix)."""

    data: ModelData
    index: ModelIndex
    variables: dict[str, VarFamily] = field(default_factory=dict)
    rows: dict[str, RowFamily] = field(default_factory=dict)
    expressions: dict[str, ExprFamily] = field(default_factory=dict)
    objectives: dict[str, Objective] = field(default_factory=dict)
    sets: dict[str, SetDecl] = field(default_factory=dict)
    contributions: dict[str, list[Terms]] = field(default_factory=dict)
    _positions: dict[str, dict] = field(default_factory=dict, repr=False)

    # -- sizes and lookups ---------------------------------------------------------
    @property
    def scenarios(self) -> list[str]:
        return self.data.scenarios

    @property
    def n_scenarios(self) -> int:
        return len(self.data.scenarios)

    def family(self, name: str) -> VarFamily | ExprFamily | RowFamily:
        """The variable, expression or row family called ``name``."""
        for table in (self.variables, self.expressions, self.rows):
            if name in table:
                return table[name]
        raise KeyError(name)

    def first_stage(self) -> list[str]:
        """First-stage variable families, in column order."""
        return [f for f, v in self.variables.items() if v.stage == FIRST]

    def second_stage(self) -> list[str]:
        """Scenario variable families, in column order within a scenario's block."""
        return [f for f, v in self.variables.items() if v.stage == SCENARIO]

    def position(self, family: str) -> dict:
        """index tuple -> entry number, for a variable, expression or row family."""
        if family not in self._positions:
            self._positions[family] = {k: i for i, k in enumerate(self.family(family).index)}
        return self._positions[family]

    def positions(self, family: str, keys: Sequence[Hashable]) -> np.ndarray:
        """Entry numbers of ``keys`` in ``family`` (an int array)."""
        pos = self.position(family)
        return np.fromiter((pos[k] for k in keys), dtype=np.int64, count=len(keys))

    def probabilities(self) -> np.ndarray:
        """π_s of every scenario, in ``scenarios`` order."""
        return np.array([self.data.probability[s] for s in self.scenarios], dtype=float)

    @property
    def party_position(self) -> dict[str, int]:
        """Party -> its number (data order): the rows of ``spend``."""
        return {p: i for i, p in enumerate(self.index.PARTIES)}

    # -- declarations --------------------------------------------------------------
    def contribute(self, expression: str, terms: list[Terms]) -> None:
        """Add a family's terms to an expression declared later by another family
        (its cost share of ``spend``, its part of ``operating_cost``)."""
        self.contributions.setdefault(expression, []).extend(terms)

    def contribute_fees(self, var: str, payers: Sequence[str], fees: Sequence[float],
                        label: str) -> None:
        """Fees of a first-stage family into ``spend``: ``fees[j]`` currency per unit of
        ``var[j]``, paid by party ``payers[j]`` (zero fees left out), lever ``label``."""
        fee = np.asarray(fees, dtype=float)
        j = np.flatnonzero(fee != 0.0)
        rows = np.fromiter((self.party_position[payers[i]] for i in j), dtype=np.int64,
                           count=len(j))
        self.contribute("spend", [Terms(var, rows, j, fee[j], label=label)])

    def contribute_operating_cost(self, var: str, prices: Sequence[float], label: str) -> None:
        """Prices of a scenario family into ``operating_cost``: ``prices[j]`` currency per
        unit of ``var[j]`` in every scenario (zero prices left out), part ``label``."""
        price = np.asarray(prices, dtype=float)
        j = np.flatnonzero(price != 0.0)
        self.contribute("operating_cost", [Terms(var, np.zeros(len(j)), j, price[j],
                                                 label=label)])

    def add_set(self, name: str, members: list, doc: str, dimen: int = 1) -> None:
        """Declare a named index set (a Pyomo ``Set`` in the Pyomo rendering)."""
        self.sets[name] = SetDecl(name, list(members), dimen, doc)

    def add_variables(self, name: str, stage: str, index: list, *, lower=0.0,  # noqa: ANN001
                      upper=INF, unit=1.0, doc: str,  # noqa: ANN001
                      set_name: str | None = None) -> VarFamily:
        """Declare a variable family; bounds and units broadcast to its shape."""
        n = len(index)
        fam = VarFamily(name, stage, list(index), self._shaped(lower, n, stage),
                        self._shaped(upper, n, stage),
                        np.broadcast_to(np.asarray(unit, dtype=float), (n,)).copy(), doc,
                        set_name)
        self.variables[name] = fam
        return fam

    def add_rows(self, name: str, stage: str, index: list, terms: list[Terms], *,
                 lower=-INF, upper=INF, doc: str, set_name: str | None = None,  # noqa: ANN001
                 after_scenarios: bool = False, expected: bool = False) -> RowFamily:
        """Declare a row family ``lower ≤ Σ terms ≤ upper`` (``expected``: a first-stage
        family whose scenario terms are probability-weighted sums, see ``RowFamily``)."""
        n = len(index)
        if expected and stage != FIRST:
            raise ValueError(f"{name}: only a first-stage row family can be an expectation")
        fam = RowFamily(name, stage, list(index), [t for t in terms if len(t.row)],
                        self._shaped(lower, n, stage), self._shaped(upper, n, stage), doc,
                        set_name, after_scenarios=after_scenarios, expected=expected)
        self._check(fam)
        self.rows[name] = fam
        return fam

    def add_rows_of_expression(self, name: str, expression: str, index: list,
                               members: list[list], *, lower=-INF, upper=INF,  # noqa: ANN001
                               doc: str, set_name: str | None = None,
                               after_scenarios: bool = False) -> RowFamily:
        """Declare rows ``lower ≤ Σ_{key ∈ members[i]} expression[key] ≤ upper``."""
        expr = self.expressions[expression]
        pos = self.position(expression)
        # expression entry -> the rows it enters
        pairs = [(pos[key], i) for i, keys in enumerate(members) for key in keys]
        entry = np.array([e for e, _ in pairs], dtype=np.int64)
        row_of = np.array([i for _, i in pairs], dtype=np.int64)
        terms = []
        for t in expr.terms:
            # every term in expression row r is copied to each row that sums entry r
            hit = np.nonzero(t.row[:, None] == entry[None, :])
            if len(hit[0]) == 0:
                continue
            coef = t.coef[..., hit[0]] if t.by_scenario else t.coef[hit[0]]
            terms.append(Terms(t.var, row_of[hit[1]], t.col[hit[0]], coef, t.label))
        fam = self.add_rows(name, expr.stage, index, terms, lower=lower, upper=upper, doc=doc,
                            set_name=set_name, after_scenarios=after_scenarios)
        fam.of_expression = (expression, [list(keys) for keys in members])
        return fam

    def add_expression(self, name: str, stage: str, index: list, terms: list[Terms], *,
                       doc: str, set_name: str | None = None) -> ExprFamily:
        """Declare a family of linear expressions."""
        fam = ExprFamily(name, stage, list(index), [t for t in terms if len(t.row)], doc,
                         set_name)
        self._check(fam)
        self.expressions[name] = fam
        return fam

    def add_objective(self, name: str, value_name: str, parts: list[ObjectivePart], *,
                      doc: str, value_doc: str) -> None:
        """Declare an objective (minimized) and the expression of its value."""
        self.objectives[name] = Objective(name, value_name, parts, doc, value_doc)

    # -- helpers -------------------------------------------------------------------
    def _shaped(self, value, n: int, stage: str) -> np.ndarray:  # noqa: ANN001
        a = np.asarray(value, dtype=float)
        if a.ndim == 2:
            if stage != SCENARIO or a.shape != (self.n_scenarios, n):
                raise ValueError(f"per-scenario array of shape {a.shape} for {n} entries")
            return a
        return np.broadcast_to(a, (n,)).copy()

    def _check(self, fam: ExprFamily | RowFamily) -> None:
        for t in fam.terms:
            var = self.variables[t.var]
            if fam.stage == FIRST and var.stage != FIRST and not getattr(fam, "expected",
                                                                             False):
                raise ValueError(f"first-stage family {fam.name} refers to {var.name}")
            if len(t.row) and (t.row.max() >= fam.size or t.col.max() >= var.size):
                raise ValueError(f"terms of {fam.name} on {var.name} out of range")
            if t.by_scenario and t.coef.shape[0] != self.n_scenarios:
                raise ValueError(f"terms of {fam.name} on {var.name}: per-scenario "
                                 f"coefficients for {t.coef.shape[0]} scenarios")

    def evaluate(self, name: str, first: dict[str, np.ndarray],
                 second: dict[str, np.ndarray] | None = None, *,
                 by_label: bool = False) -> np.ndarray | dict[str | None, np.ndarray]:
        """The values of expression (or row) family ``name`` at a solution.

        ``first[f]`` holds first-stage values (n,), ``second[f]`` scenario values
        (scenarios, n). Returns shape (n,) for a first-stage family and (scenarios, n)
        for a scenario family; with ``by_label``, one such array per term label.
        """
        fam = self.family(name)
        assert not isinstance(fam, VarFamily)
        shape = (fam.size,) if fam.stage == FIRST else (self.n_scenarios, fam.size)
        out: dict[str | None, np.ndarray] = {}
        for t in fam.terms:
            var = self.variables[t.var]
            acc = out.setdefault(t.label if by_label else None, np.zeros(shape))
            if var.stage == FIRST:
                contrib = t.coef * first[t.var][t.col]
            else:
                contrib = t.coef * second[t.var][:, t.col]
                if fam.stage == FIRST:  # an expectation row: Σ_s π_s · (terms in s)
                    contrib = self.probabilities() @ np.broadcast_to(
                        contrib, (self.n_scenarios, len(t.row)))
            if fam.stage == FIRST:
                np.add.at(acc, t.row, contrib)
            else:
                contrib = np.broadcast_to(contrib, (self.n_scenarios, len(t.row)))
                np.add.at(acc, (slice(None), t.row), contrib)
        if by_label:
            return out
        return out.get(None, np.zeros(shape))
