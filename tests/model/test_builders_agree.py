"""The array builder and the Pyomo model give the same LP, entry by entry.

Columns are matched through the layouts (family, scenario, position in the family's
index); rows are put in a canonical form (≥ rows negated to ≤, equality rows signed so
their first coefficient is positive) and matched by family and columns. Bounds and both
objectives are compared too.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from workbooks import minimal_sheets, write_workbook

from stockopt.model import build_matrix_lp, build_model
from stockopt.model.compile import compile_pyomo
from stockopt.model.matrix import MatrixLP
from stockopt.workbook.example import example_tables
from stockopt.workbook.normalize import load
from stockopt.workbook.template import write_input_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from generate import SIZES, generate_tables  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_example.xlsx"


def _canonical_columns(lp: MatrixLP) -> dict[int, tuple]:
    canon: dict[int, tuple] = {}
    for f, cols in lp.layout.first.items():
        for pos, j in enumerate(cols):
            if j >= 0:
                canon[int(j)] = (f, -1, pos)
    for f, cols in lp.layout.second.items():
        for s in range(cols.shape[0]):
            for pos, j in enumerate(cols[s]):
                if j >= 0:
                    canon[int(j)] = (f, s, pos)
    return canon


def _canonical_rows(lp: MatrixLP) -> dict:
    canon = _canonical_columns(lp)
    A = lp.A.tocsr()
    rows: dict = defaultdict(list)
    for i in range(lp.n_rows):
        start, end = A.indptr[i], A.indptr[i + 1]
        entries = sorted((canon[int(j)], float(v)) for j, v in
                         zip(A.indices[start:end], A.data[start:end], strict=True) if v != 0.0)
        lo, hi = float(lp.row_lower[i]), float(lp.row_upper[i])
        sign = 1.0
        if lo == hi:
            sign = 1.0 if entries and entries[0][1] > 0 else -1.0
        elif np.isfinite(lo):
            sign = -1.0
        bounds = sorted((sign * lo, sign * hi))
        key = (lp.row_family[i], tuple(c for c, _ in entries))
        rows[key].append((tuple(sign * v for _, v in entries), tuple(bounds)))
    return rows


def _columns_by_canon(lp: MatrixLP) -> dict[tuple, tuple[float, float, float, float]]:
    canon = _canonical_columns(lp)
    return {canon[j]: (lp.col_lower[j], lp.col_upper[j], lp.risk_cost[j], lp.cost_cost[j])
            for j in canon}


def _assert_same(a: MatrixLP, b: MatrixLP) -> None:
    assert a.nonzeros == b.nonzeros
    assert a.n_rows == b.n_rows
    ra, rb = _canonical_rows(a), _canonical_rows(b)
    assert ra.keys() == rb.keys()
    for key in ra:
        left, right = sorted(ra[key]), sorted(rb[key])
        assert len(left) == len(right), key
        for (ca, ba), (cb, bb) in zip(left, right, strict=True):
            np.testing.assert_allclose(ca, cb, rtol=1e-12, atol=0, err_msg=str(key))
            np.testing.assert_allclose(ba, bb, rtol=1e-12, atol=1e-12, err_msg=str(key))
    cols_a, cols_b = _columns_by_canon(a), _columns_by_canon(b)
    # a column that appears in no row or objective is absent from the compiled model
    shared = cols_a.keys() & cols_b.keys()
    assert not (cols_b.keys() - cols_a.keys())
    for key in shared:
        np.testing.assert_allclose(cols_a[key], cols_b[key], rtol=1e-12, atol=1e-15,
                                   err_msg=str(key))
    assert a.budget_rows.keys() == b.budget_rows.keys()
    assert (a.pooled_row is None) == (b.pooled_row is None)


def _both(path: Path) -> tuple[MatrixLP, MatrixLP]:
    data = load(path).data
    assert data is not None
    return build_matrix_lp(data), compile_pyomo(build_model(data))


def test_minimal_workbook(tmp_path: Path) -> None:
    _assert_same(*_both(write_workbook(tmp_path / "m.xlsx", minimal_sheets())))


def test_bundled_example() -> None:
    _assert_same(*_both(EXAMPLE))


def test_template_example_with_pooled_budget(tmp_path: Path) -> None:
    tables = example_tables()
    tables["Settings"].append({"key": "pooled_budget", "value": 2e8})
    path = tmp_path / "e.xlsx"
    write_input_workbook(path, tables, title="e")
    _assert_same(*_both(path))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_instances(tmp_path: Path, seed: int) -> None:
    path = tmp_path / f"xs{seed}.xlsx"
    write_input_workbook(path, generate_tables(SIZES["xs"], seed), title="xs")
    _assert_same(*_both(path))


def test_policy_levers(tmp_path: Path) -> None:
    """Cover floors (party and stockpile), a concentration cap and mitigation options."""
    import dataclasses

    from stockopt.data import ConcentrationLimit, CoverTarget, Mitigation

    data = load(EXAMPLE).data
    assert data is not None
    party, mineral = data.parties[0], "cobalt"
    stockpile = next(k for (k, m) in data.holdings if m == mineral)
    data = dataclasses.replace(
        data,
        cover_targets={
            "p": CoverTarget(party=party, stockpile=None, mineral=mineral, periods=0.2,
                             basis="demand", domestic_sources=(), required=500.0),
            "k": CoverTarget(party=None, stockpile=stockpile, mineral=mineral, periods=0.1,
                             basis="demand", domestic_sources=(), required=300.0)},
        concentration_limits=[ConcentrationLimit(party=p, mineral=m, max_share=0.9,
                                                 excluded=("EU-domestic",))
                              for p in data.parties for m in ("cobalt", "graphite")],
        mitigations={"sub": Mitigation(party=party, mineral="graphite", max_share=0.2,
                                       cost=500.0, lead_time=1, fee=10.0),
                     "thrift": Mitigation(party=data.parties[-1], mineral=mineral,
                                          max_share=0.1, cost=0.0, lead_time=0, fee=0.0)})
    _assert_same(build_matrix_lp(data), compile_pyomo(build_model(data)))
