"""The model rendered as a sparse matrix, as handed to HiGHS (and where each family sits).

``render_matrix`` turns a ``ModelStatement`` into a ``MatrixLP``:

    min c·x  s.t.  row_lower ≤ A x ≤ row_upper,  col_lower ≤ x ≤ col_upper

Columns: the first-stage variable families in declaration order, then one block per
scenario holding the scenario families in declaration order. Rows: the first-stage row
families, then one block per scenario (the scenario row families), then the first-stage
families placed after the scenarios (the budget rows). The scenario blocks all have the
same pattern; they are stamped out at once with numpy, so building grows linearly with
the model and holds no per-element Python objects.

Units are the model's (t, t/period, currency, periods of demand); scaling for the
solver happens in ``stockopt.solver``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .statement import FIRST, SCENARIO, ModelStatement, Terms

FIRST_STAGE_FAMILIES = ("purchase", "offtake_capacity", "swap_capacity",
                        "mitigation_capacity", "cvar_threshold")
"""First-stage variable families, in column order."""

SECOND_STAGE_FAMILIES = ("stock_level", "release", "offtake_delivery", "swap_draw",
                         "mitigation_use", "shortfall", "cvar_excess")
"""Second-stage variable families, in column order within each scenario's block."""


@dataclass
class ColumnLayout:
    """Where each family's columns (or rows) are.

    ``first[f]`` is an int array of positions aligned with the family's index list;
    ``second[f]`` an int array of shape (scenarios, n) whose row s holds scenario s's
    positions (scenarios in data order). Missing entries are -1.
    """

    first: dict[str, np.ndarray] = field(default_factory=dict)
    second: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class MatrixLP:
    """min c·x s.t. row_lower ≤ A x ≤ row_upper, col_lower ≤ x ≤ col_upper (±inf allowed).

    ``risk_cost`` is the phase-1 objective R, ``cost_cost`` the phase-2 objective Cost,
    ``move_cost`` the phase-3 objective Move (None: no phase 3, e.g. a cut-out LP);
    ``layout`` says where each variable family's columns are, ``row_layout`` where each
    row family's rows are; ``row_family`` names each row's family; ``col_unit`` is each
    column's scaling unit (its mineral's tonnage unit, else 1). ``row_index`` and
    ``col_index`` (family -> index list), ``scenarios`` and ``periods`` (labels) name rows
    and columns in words (``row_name``, ``col_name``); without them entries are numbered.
    """

    A: sp.csr_matrix
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    risk_cost: np.ndarray
    cost_cost: np.ndarray
    layout: ColumnLayout
    row_layout: ColumnLayout
    row_family: list[str]
    parties: list[str]
    budgeted: list[str]
    col_unit: np.ndarray
    row_index: dict[str, list] = field(default_factory=dict)
    col_index: dict[str, list] = field(default_factory=dict)
    scenarios: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    move_cost: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def n_cols(self) -> int:
        return int(self.A.shape[1])

    @property
    def nonzeros(self) -> int:
        return int(self.A.nnz)

    @property
    def orders_over_time(self) -> bool:
        """Whether some holding may be ordered in more than one period (``purchase`` has
        two entries with the same stockpile and mineral: ``purchase_timing = periods``)."""
        orders = self.col_index.get("purchase", [])
        return len({(k, m) for (k, m, _t) in orders}) < len(orders)

    @property
    def budget_rows(self) -> dict[str, int]:
        """Party -> its budget_limit row (parties with a budget)."""
        rows = self.row_layout.first.get("budget_limit", np.zeros(0, dtype=np.int64))
        return {p: int(i) for p, i in zip(self.budgeted, rows, strict=True) if i >= 0}

    @property
    def period_budget_rows(self) -> dict[tuple[str, int], int]:
        """(party, period number) -> its period_budget_limit row (PeriodBudgets rows)."""
        rows = self.row_layout.first.get("period_budget_limit")
        keys = self.row_index.get("period_budget_limit", [])
        if rows is None or len(keys) != len(rows):  # a cut-out LP without row names
            return {}
        return {tuple(k): int(i) for k, i in zip(keys, rows, strict=True) if i >= 0}

    @property
    def pooled_row(self) -> int | None:
        """The pooled_budget_limit row, or None without a pooled budget."""
        rows = self.row_layout.first.get("pooled_budget_limit")
        return None if rows is None or rows[0] < 0 else int(rows[0])

    def row_name(self, i: int) -> str:
        """Row ``i`` in words: its family and index, e.g. "budget_limit[US]" or
        "party_balance[US, gallium, 2027] in scenario 'ban'"."""
        return _entry_name(self.row_family[i], self.row_layout, self.row_index, i, self)

    def col_name(self, j: int) -> str:
        """Column ``j`` in words: its family and index, e.g. "offtake_capacity[US_Co]"."""
        family = next((f for f, c in self.layout.first.items() if np.any(c == j)), None)
        if family is None:
            family = next((f for f, c in self.layout.second.items() if np.any(c == j)),
                          "column")
        return _entry_name(family, self.layout, self.col_index, j, self)


def _label(key: object, periods: list[str]) -> str:
    """An index entry in words; integers are period numbers (the model's only integer
    index), shown by their label when ``periods`` is known."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and periods \
            and 1 <= int(key) <= len(periods):
        return str(periods[int(key) - 1])
    return str(key)


def _entry_name(family: str, layout: ColumnLayout, index: dict[str, list], i: int,
                lp: MatrixLP) -> str:
    """Family ``family``'s entry at position ``i`` of ``layout`` in words."""
    scenario = None
    if family in layout.first:
        where = np.flatnonzero(layout.first[family] == i)
        k = int(where[0]) if len(where) else None
    elif family in layout.second:
        where = np.argwhere(layout.second[family] == i)
        k, scenario = (int(where[0][1]), int(where[0][0])) if len(where) else (None, None)
    else:
        k = None
    keys = index.get(family)
    if k is None:
        text = f"{family} (#{i})"
    elif keys is None:
        text = f"{family}[#{k}]"
    else:
        key = keys[k]
        parts = key if isinstance(key, tuple) else (() if key is None else (key,))
        text = (f"{family}[{', '.join(_label(x, lp.periods) for x in parts)}]" if parts
                else family)
    if scenario is not None:
        name = lp.scenarios[scenario] if scenario < len(lp.scenarios) else f"#{scenario}"
        text += f" in scenario '{name}'"
    return text


@dataclass
class Solution:
    """Variable values by family, aligned with each family's index (model units).

    ``first[f]`` has shape (n,), ``second[f]`` shape (scenarios, n).
    """

    first: dict[str, np.ndarray]
    second: dict[str, np.ndarray]

    @classmethod
    def from_vector(cls, layout: ColumnLayout, x: np.ndarray) -> Solution:
        """Gather a solution vector into families (missing columns read as 0)."""
        padded = np.append(np.asarray(x, dtype=float), 0.0)  # index -1 reads the 0
        return cls({f: padded[c] for f, c in layout.first.items()},
                   {f: padded[c] for f, c in layout.second.items()})


def _offsets(sizes: dict[str, int], start: int = 0) -> tuple[dict[str, int], int]:
    off, pos = {}, start
    for name, size in sizes.items():
        off[name] = pos
        pos += size
    return off, pos


def _stacked(arrays: list[np.ndarray], S: int) -> np.ndarray:
    """Per-family arrays of shape (n,) or (S, n) side by side: shape (S, Σ n)."""
    if not arrays:
        return np.zeros((S, 0))
    return np.concatenate([np.broadcast_to(a, (S, a.shape[-1])) for a in arrays], axis=1)


def render_matrix(st: ModelStatement) -> MatrixLP:
    """The ``MatrixLP`` of statement ``st`` (see the module docstring for the order)."""
    S = st.n_scenarios
    first_vars = {f: v for f, v in st.variables.items() if v.stage == FIRST}
    second_vars = {f: v for f, v in st.variables.items() if v.stage == SCENARIO}
    col_first, n_first = _offsets({f: v.size for f, v in first_vars.items()})
    col_local, block = _offsets({f: v.size for f, v in second_vars.items()})
    n_cols = n_first + S * block
    s_idx = np.arange(S, dtype=np.int64)[:, None]
    layout = ColumnLayout(
        first={f: col_first[f] + np.arange(v.size) for f, v in first_vars.items()},
        second={f: n_first + s_idx * block + col_local[f] + np.arange(v.size)[None, :]
                for f, v in second_vars.items()})

    head = {f: r for f, r in st.rows.items() if r.stage == FIRST and not r.after_scenarios}
    pattern = {f: r for f, r in st.rows.items() if r.stage == SCENARIO}
    tail = {f: r for f, r in st.rows.items() if r.stage == FIRST and r.after_scenarios}
    row_head, n_head = _offsets({f: r.size for f, r in head.items()})
    row_local, pat_rows = _offsets({f: r.size for f, r in pattern.items()})
    row_tail, n_rows = _offsets({f: r.size for f, r in tail.items()}, n_head + S * pat_rows)
    row_layout = ColumnLayout(
        first={**{f: row_head[f] + np.arange(r.size) for f, r in head.items()},
               **{f: row_tail[f] + np.arange(r.size) for f, r in tail.items()}},
        second={f: n_head + s_idx * pat_rows + row_local[f] + np.arange(r.size)[None, :]
                for f, r in pattern.items()})

    def columns(t: Terms) -> np.ndarray:
        """Matrix columns of a term's entries: (k,) first stage, (S, k) per scenario."""
        if t.var in col_first:
            return col_first[t.var] + t.col
        return n_first + s_idx * block + col_local[t.var] + t.col[None, :]

    prob = st.probabilities()
    rows, cols, vals = [], [], []
    for f, fam in {**head, **tail}.items():
        offset = row_head[f] if f in head else row_tail[f]
        for t in fam.terms:
            if t.var in col_first:
                rows.append(offset + t.row)
                cols.append(columns(t))
                vals.append(t.coef)
                continue
            # an expectation row: scenario s's terms weighted by π_s, in every block
            c = columns(t)
            rows.append(np.broadcast_to(offset + t.row[None, :], c.shape).ravel())
            cols.append(c.ravel())
            vals.append((prob[:, None] * np.broadcast_to(t.coef, c.shape)).ravel())
    for f, fam in pattern.items():
        for t in fam.terms:
            r = n_head + s_idx * pat_rows + row_local[f] + t.row[None, :]
            rows.append(r.ravel())
            cols.append(np.broadcast_to(columns(t), r.shape).ravel())
            vals.append(np.broadcast_to(t.coef, r.shape).ravel())
    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return (np.concatenate(parts).astype(dtype, copy=False) if parts
                else np.zeros(0, dtype=dtype))

    A = sp.csr_matrix((cat(vals, float), (cat(rows, np.int64), cat(cols, np.int64))),
                      shape=(n_rows, n_cols))
    A.sum_duplicates()
    A.eliminate_zeros()

    def row_bounds(which: str) -> np.ndarray:
        parts = [getattr(r, which) for r in head.values()]
        parts.append(_stacked([getattr(r, which) for r in pattern.values()], S).ravel())
        parts += [getattr(r, which) for r in tail.values()]
        return np.concatenate(parts) if parts else np.zeros(0)

    def col_values(which: str) -> np.ndarray:
        parts = [getattr(v, which) for v in first_vars.values()]
        parts.append(_stacked([getattr(v, which) for v in second_vars.values()], S).ravel())
        return np.concatenate(parts)

    row_family = [f for f, r in head.items() for _ in range(r.size)]
    row_family += [f for f, r in pattern.items() for _ in range(r.size)] * S
    row_family += [f for f, r in tail.items() for _ in range(r.size)]
    return MatrixLP(A=A, col_lower=col_values("lower"), col_upper=col_values("upper"),
                    row_lower=row_bounds("lower"), row_upper=row_bounds("upper"),
                    risk_cost=objective_vector(st, "risk", layout, n_cols),
                    cost_cost=objective_vector(st, "cost", layout, n_cols),
                    move_cost=objective_vector(st, "move", layout, n_cols)
                    if "move" in st.objectives else None,
                    layout=layout, row_layout=row_layout, row_family=row_family,
                    parties=list(st.index.PARTIES),
                    budgeted=list(st.rows["budget_limit"].index)
                    if "budget_limit" in st.rows else [],
                    col_unit=col_values("unit"), **names_of(st))


def names_of(st: ModelStatement) -> dict:
    """The naming fields of a MatrixLP of ``st`` (``row_index``, ``col_index``,
    ``scenarios``, ``periods``)."""
    return {"row_index": {f: r.index for f, r in st.rows.items()},
            "col_index": {f: v.index for f, v in st.variables.items()},
            "scenarios": list(st.scenarios), "periods": list(st.data.periods)}


def objective_vector(st: ModelStatement, name: str, layout: ColumnLayout,
                     n_cols: int, stage: str | None = None) -> np.ndarray:
    """The cost vector of objective ``name``: each part's weight times the family's
    coefficients, scenario parts weighted by π_s (scenarios with π_s = 0 add nothing).
    With ``stage`` (FIRST or SCENARIO), only the parts on families of that stage."""
    prob = np.array([st.data.probability[s] for s in st.scenarios], dtype=float)
    live = prob != 0.0
    c = np.zeros(n_cols)
    for part in st.objectives[name].parts:
        fam = st.family(part.family)
        if stage is not None and fam.stage != stage:
            continue
        if fam.stage == FIRST:
            terms = fam.terms if part.family in st.expressions else [
                Terms(part.family, np.arange(fam.size), np.arange(fam.size), 1.0)]
            if not terms:
                continue
            # each row's coefficients as in the matrix, then added row by row (party by
            # party for spend), so the objective sums exactly what the budget rows hold
            E = sp.csr_matrix((np.concatenate([t.coef for t in terms]),
                               (np.concatenate([t.row for t in terms]),
                                np.concatenate([layout.first[t.var][t.col] for t in terms]))),
                              shape=(fam.size, n_cols))
            E.sum_duplicates()
            for r in range(fam.size):
                span = slice(E.indptr[r], E.indptr[r + 1])
                c[E.indices[span]] += part.weight * E.data[span]
            continue
        weight = part.weight * prob[live]
        terms = fam.terms if part.family in st.expressions else [
            Terms(part.family, np.arange(fam.size), np.arange(fam.size), 1.0)]
        for t in terms:
            coef = t.coef[live] if t.by_scenario else t.coef[None, :]
            if part.family in st.expressions and st.variables[t.var].stage == FIRST:
                # a scenario expression on a first-stage variable: Σ_s π_s·coef_s
                total = (weight[:, None] * np.broadcast_to(coef, (len(weight), len(t.col))))
                np.add.at(c, layout.first[t.var][t.col], total.sum(axis=0))
                continue
            np.add.at(c, layout.second[t.var][live][:, t.col], weight[:, None] * coef)
    return c


def scenario_expression_matrix(st: ModelStatement, name: str, layout: ColumnLayout,
                               n_cols: int) -> sp.csr_matrix:
    """A scalar scenario expression (``loss``, ``operating_cost``, ``movement``) as a
    matrix of shape (scenarios, columns): row s holds its coefficients in scenario s, on
    that scenario's columns and on the (shared) first-stage columns. Unweighted by π_s."""
    fam = st.expressions[name]
    if fam.stage != SCENARIO or fam.size != 1:
        raise ValueError(f"{name} is not a scalar scenario expression")
    S = st.n_scenarios
    rows, cols, vals = [], [], []
    for t in fam.terms:
        coef = np.broadcast_to(t.coef, (S, len(t.col)))
        if st.variables[t.var].stage == FIRST:
            c = np.broadcast_to(layout.first[t.var][t.col][None, :], coef.shape)
        else:
            c = layout.second[t.var][:, t.col]
        rows.append(np.broadcast_to(np.arange(S)[:, None], coef.shape).ravel())
        cols.append(c.ravel())
        vals.append(coef.ravel())
    if not rows:
        return sp.csr_matrix((S, n_cols))
    E = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(S, n_cols))
    E.sum_duplicates()
    return E
