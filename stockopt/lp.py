"""The LP in matrix form, as handed to the solver, and where each variable sits in it.

Two builders produce a ``MatrixLP`` for the same model: the array builder
(``stockopt.model.arrays``, vectorized, used by ``stockopt solve``) and the Pyomo model
compiled by Pyomo's standard-form compiler (``stockopt.model.compile_pyomo``, the
readable reference). A test checks that both give the same matrix, entry by entry.

Units are the model's (t, t/period, currency, periods of demand); scaling for the
solver happens in ``stockopt.solve``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

FIRST_STAGE_FAMILIES = ("purchase", "offtake_capacity", "swap_capacity", "cvar_threshold",
                        "mitigation_capacity")
"""First-stage variable families, in column order."""

SECOND_STAGE_FAMILIES = ("stock_level", "release", "offtake_delivery", "swap_draw",
                         "shortfall", "cvar_excess", "mitigation_use")
"""Second-stage variable families, in column order within each scenario's block."""


@dataclass
class ColumnLayout:
    """Where each variable family's columns are.

    ``first[f]`` is an int array of column numbers aligned with the family's index list
    (see ``family_index``); ``second[f]`` an int array of shape (scenarios, n) whose
    row s holds scenario s's columns (scenarios in data order). Missing entries are -1.
    """

    first: dict[str, np.ndarray] = field(default_factory=dict)
    second: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class MatrixLP:
    """min c·x s.t. row_lower ≤ A x ≤ row_upper, col_lower ≤ x ≤ col_upper (±inf allowed).

    ``risk_cost`` is the phase-1 objective R, ``cost_cost`` the phase-2 objective Cost;
    ``row_family`` names each row's constraint family; ``budget_rows`` maps a party to
    its budget_limit row and ``pooled_row`` is the pooled budget row (or None);
    ``col_unit`` is each column's scaling unit (its mineral's tonnage unit, else 1).
    """

    A: sp.csr_matrix
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    risk_cost: np.ndarray
    cost_cost: np.ndarray
    layout: ColumnLayout
    row_family: list[str]
    budget_rows: dict[str, int]
    pooled_row: int | None
    col_unit: np.ndarray

    @property
    def n_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def n_cols(self) -> int:
        return int(self.A.shape[1])

    @property
    def nonzeros(self) -> int:
        return int(self.A.nnz)


@dataclass
class Solution:
    """Variable values by family, aligned with ``family_index`` (model units).

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
