"""MatrixLP.row_name and col_name: a row or column in words, by family and index (period
labels for period numbers, the scenario for scenario blocks), for both renderings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from workbooks import minimal_sheets, write_workbook

from stockopt.model import render_matrix, state_model
from stockopt.model.compile import compile_pyomo
from stockopt.model.pyomo_model import render_pyomo
from stockopt.solver.highs import LoadedLP
from stockopt.workbook.normalize import load


def _statement(tmp_path: Path):  # noqa: ANN202
    data = load(write_workbook(tmp_path / "m.xlsx", minimal_sheets())).data
    return state_model(data)


def test_rows_and_columns_in_words(tmp_path: Path) -> None:
    lp = render_matrix(_statement(tmp_path))
    assert lp.row_name(lp.budget_rows["US"]) == "budget_limit[US]"
    row = int(lp.row_layout.second["party_balance"][1, 1])
    assert lp.row_name(row) == "party_balance[US, ga, 2028] in scenario 'ban'"
    col = int(lp.layout.first["purchase"][0])
    assert lp.col_name(col) == "purchase[nds, ga, 2027]"
    col = int(lp.layout.second["cvar_excess"][0, 0])
    assert lp.col_name(col) == "cvar_excess in scenario 'calm'"


def test_every_row_has_a_distinct_name(tmp_path: Path) -> None:
    lp = render_matrix(_statement(tmp_path))
    names = [lp.row_name(i) for i in range(lp.n_rows)]
    assert len(set(names)) == lp.n_rows
    assert all("#" not in n for n in names)


def test_the_pyomo_route_names_rows_too(tmp_path: Path) -> None:
    st = _statement(tmp_path)
    compiled = compile_pyomo(render_pyomo(st))
    loaded = LoadedLP(render_pyomo(st))
    matrix = render_matrix(st)
    i = int(compiled.budget_rows["US"])
    assert loaded.raw.row_name(i) == "budget_limit[US]"
    assert np.array_equal(loaded.raw.A.toarray() != 0, compiled.A.toarray() != 0)
    assert matrix.row_name(matrix.budget_rows["US"]) == "budget_limit[US]"
