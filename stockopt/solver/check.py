"""The solution check: a reported plan must keep its own rows, in model units.

HiGHS solves the scaled LP (``driver.scale``: every row divided by about its largest
coefficient) and judges feasibility there, with absolute tolerances near 1e-7. A row whose
coefficients span many orders of magnitude (an offtake fee of 1e12 beside prices of 1e5
in one budget row) therefore hides violations of billions in model units: the small
coefficients fall below HiGHS's tolerances. So after every phase the solution is checked
here, unscaled, against every row and column bound of the ``MatrixLP`` (and phase 2's
risk bound), with tolerances of our own:

    violation ≤ ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE · scale

where a row's scale is max(|its violated bound|, Σ_j |a_ij·x_j|) (the size of the numbers
that meet in the row, so the test is about cancellation, not units) and a column's is
max(|its violated bound|, |x_j|). Units are the model's (t, t/period, currency, periods
of demand). The check is one sparse matrix-vector product (``A @ x``); Σ|a_ij·x_j| is
computed only for the few rows that fail the first, cheaper test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..model.matrix import MatrixLP

RELATIVE_TOLERANCE = 1e-6
"""Allowed violation per unit of a row's (or column's) scale. The largest relative
violation measured on legitimate solves (the bundled examples, benchmark sizes s and m,
both phases) is below 1e-9 (see README, "The solution check"): a margin of over 1,000."""

ABSOLUTE_TOLERANCE = 1e-6
"""Allowed violation in model units (t, currency, periods) whatever the scale: floating
point noise on rows whose terms are all near zero."""

NUMERICALLY_UNRELIABLE = "numerically unreliable"
"""The status of a solve whose solution breaks its own rows beyond the tolerances."""

ROW_WORDS: dict[str, tuple[str, str, str]] = {
    "budget_limit": ("spend", "budget", "budget"),
    "pooled_budget_limit": ("pooled spend", "pooled budget", "pooled budget"),
    "market_depth": ("purchases", "market depth", "market depth"),
    "cover_floor": ("stock level", "required cover", "required cover"),
    "concentration_limit": ("row value", "lower bound", "cap"),
    "access_share": ("releases so far − share of additions", "lower bound",
                     "share of initial stock"),
}
"""Row family -> (its value, its lower bound, its upper bound) in words; other families
say "row value", "lower bound", "upper bound"."""


@dataclass
class Violation:
    """One broken row or column bound (model units).

    ``kind`` is "row", "column", "risk bound" or "cost bound"; ``value`` the row's (or
    column's) value at the solution, ``bound`` the bound it breaks, on ``side`` ("lower"
    or "upper"); ``scale`` what the relative tolerance is measured against; ``position`` the row's
    (or column's) number in the MatrixLP (-1 for the risk bound).
    """

    kind: str
    name: str
    family: str
    value: float
    bound: float
    side: str
    scale: float
    position: int = -1

    @property
    def amount(self) -> float:
        """How far the value is beyond the bound (> 0)."""
        return self.bound - self.value if self.side == "lower" else self.value - self.bound

    @property
    def relative(self) -> float:
        """The amount as a share of the scale."""
        return self.amount / self.scale if self.scale > 0 else float("inf")

    def describe(self) -> str:
        """E.g. "budget_limit[US]: spend 2.13e+09 > budget 2e+09 (violation 6.5 % of the
        row's scale)"."""
        value, lower, upper = ROW_WORDS.get(self.family, ("row value", "lower bound",
                                                          "upper bound"))
        if self.kind == "column":
            value, lower, upper = "value", "lower bound", "upper bound"
        elif self.kind == "risk bound":
            value, lower, upper = "risk R", "", "R* + 1e-7·max(1, |R*|)"
        elif self.kind == "cost bound":
            value, lower, upper = "cost", "", "C* + 1e-7·max(1, |C*|)"
        sign, bound = ("<", lower) if self.side == "lower" else (">", upper)
        what = "column's" if self.kind == "column" else "row's"
        return (f"{self.name}: {value} {self.value:.6g} {sign} {bound} {self.bound:.6g} "
                f"(violation {_percent(self.relative)} of the {what} scale)")


def _percent(share: float) -> str:
    if not np.isfinite(share):
        return "all"
    if share >= 0.001:
        return f"{100 * share:.3g} %"
    return f"{share:.2g}"


def _side_violation(value: np.ndarray, lower: np.ndarray, upper: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(amount beyond the bounds ≥ 0, the bound broken, whether it is the lower one)."""
    with np.errstate(invalid="ignore"):
        below = np.where(np.isfinite(lower), lower - value, -np.inf)
        above = np.where(np.isfinite(upper), value - upper, -np.inf)
    is_lower = below > above
    amount = np.maximum(np.maximum(below, above), 0.0)
    bound = np.where(is_lower, lower, upper)
    return amount, bound, is_lower


class SolutionCheck:
    """Checks solutions of one ``MatrixLP`` (model units) against all its rows and
    column bounds; build once, check after every phase."""

    def __init__(self, lp: MatrixLP, *, relative: float = RELATIVE_TOLERANCE,
                 absolute: float = ABSOLUTE_TOLERANCE) -> None:
        self.lp = lp
        self.A = sp.csr_matrix(lp.A)
        self.relative = relative
        self.absolute = absolute

    def row_scale(self, x: np.ndarray, rows: np.ndarray, bound: np.ndarray) -> np.ndarray:
        """max(|bound|, Σ_j |a_ij·x_j|) for ``rows`` (their broken bounds ``bound``)."""
        terms = abs(self.A[rows]) @ np.abs(x)
        return np.maximum(np.abs(bound), np.asarray(terms).ravel())

    def violations(self, x: np.ndarray, *, risk_bound: float | None = None,
                   cost_bound: float | None = None, limit: int = 5) -> list[Violation]:
        """The rows and column bounds that ``x`` (model units, one entry per column)
        breaks beyond the tolerances, worst (relative) first, at most ``limit``;
        ``risk_bound`` adds phase 2's row risk_cost·x ≤ risk_bound, ``cost_bound`` phase
        3's row cost_cost·x ≤ cost_bound."""
        lp = self.lp
        x = np.asarray(x, dtype=float)
        found: list[Violation] = []
        if not np.all(np.isfinite(x)):
            j = int(np.flatnonzero(~np.isfinite(x))[0])
            return [Violation("column", lp.col_name(j), "", float(x[j]), 0.0, "upper",
                              0.0, j)]
        # rows: one mat-vec; the cheap test uses max(|bound|, |row value|) ≤ the scale
        value = self.A @ x
        amount, bound, is_lower = _side_violation(value, lp.row_lower, lp.row_upper)
        cheap = np.maximum(np.abs(bound), np.abs(value))
        rows = np.flatnonzero(amount > self.absolute + self.relative * cheap)
        if len(rows):
            scale = self.row_scale(x, rows, bound[rows])
            bad = amount[rows] > self.absolute + self.relative * scale
            for i, s in zip(rows[bad], scale[bad], strict=True):
                found.append(Violation("row", lp.row_name(int(i)), lp.row_family[i],
                                       float(value[i]), float(bound[i]),
                                       "lower" if is_lower[i] else "upper", float(s),
                                       int(i)))
        # column bounds
        amount, bound, is_lower = _side_violation(x, lp.col_lower, lp.col_upper)
        scale = np.maximum(np.abs(bound), np.abs(x))
        for j in np.flatnonzero(amount > self.absolute + self.relative * scale):
            found.append(Violation("column", lp.col_name(int(j)), "", float(x[j]),
                                   float(bound[j]), "lower" if is_lower[j] else "upper",
                                   float(scale[j]), int(j)))
        for bound, costs, name in ((risk_bound, lp.risk_cost, "the phase-2 risk bound"),
                                   (cost_bound, lp.cost_cost, "the phase-3 cost bound")):
            if bound is None:
                continue
            terms = costs * x
            total = float(terms.sum())
            scale = max(abs(bound), float(np.abs(terms).sum()))
            if total - bound > self.absolute + self.relative * scale:
                found.append(Violation("risk bound" if costs is lp.risk_cost else "cost bound",
                                       name, "", total, bound, "upper", scale))
        found.sort(key=lambda v: v.relative, reverse=True)
        return found[:limit]

    def worst(self, x: np.ndarray) -> tuple[float, float]:
        """(largest relative violation, largest absolute violation) of ``x`` over every
        row and column bound, however small (for measuring the tolerances' margin)."""
        lp = self.lp
        value = self.A @ x
        amount, bound, _ = _side_violation(value, lp.row_lower, lp.row_upper)
        scale = np.maximum(np.abs(bound), np.asarray(abs(self.A) @ np.abs(x)).ravel())
        col_amount, col_bound, _ = _side_violation(x, lp.col_lower, lp.col_upper)
        col_scale = np.maximum(np.abs(col_bound), np.abs(x))
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.concatenate([np.where(amount > 0, amount / scale, 0.0),
                                  np.where(col_amount > 0, col_amount / col_scale, 0.0)])
        return float(rel.max(initial=0.0)), float(max(amount.max(initial=0.0),
                                                      col_amount.max(initial=0.0)))
