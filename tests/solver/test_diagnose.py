"""The cover-floor diagnosis: its elastic LP is the model's own first-stage rows.

Hand instance (``_data``): US and EU share stockpile 'joint' (cost shares 0.5/0.5), which
holds 'ga' at price 1 per t; US also has its own stockpile 'nds'. Each party demands
10 t/period of 'ga' in one period.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from workbooks import write_workbook

from stockopt.data import ConcentrationLimit, CoverTarget, ModelData, Offtake
from stockopt.model import build_matrix_lp
from stockopt.model.index import build_index
from stockopt.solver.diagnose import (
    SLACK,
    elastic_floor_lp,
    elastic_floors,
    explain_cover_floors,
    first_stage_part,
)
from stockopt.workbook.normalize import load


def _data(tmp_path: Path, *, us_budget: float | None = None, eu_budget: float | None = None,
          pooled: float | None = None, max_acquisition: float | None = None) -> ModelData:
    settings = [["key", "value"], ["risk_weight", 0]]
    if pooled is not None:
        settings.append(["pooled_budget", pooled])
    sheets = {
        "Settings": settings,
        "Periods": [["period"], ["P1"]],
        "Parties": [["party", "budget"], ["US", us_budget], ["EU", eu_budget]],
        "Minerals": [["mineral", "price", "max_acquisition"], ["ga", 1, max_acquisition]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["nds", "US", None],
                       ["joint", "US", 0.5], ["joint", "EU", 0.5]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"], ["joint", "ga"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10], ["EU", "ga", 10]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "china", 8],
                   ["US", "ga", "aus", 2], ["EU", "ga", "china", 10]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "Disruptions": [["scenario", "source", "mineral", "availability"]],
    }
    loaded = load(write_workbook(tmp_path / "d.xlsx", sheets))
    assert loaded.data is not None, [p.message for p in loaded.problems.items]
    return loaded.data


def _joint_floor(required: float) -> dict[str, CoverTarget]:
    return {"j": CoverTarget(party=None, stockpile="joint", mineral="ga", periods=1.0,
                             basis="demand", domestic_sources=(), required=required)}


def test_pooled_budget_limits_a_shared_stockpile(tmp_path: Path) -> None:
    """A 10 t floor on 'joint' costs 10; party budgets are unlimited, the pooled budget is
    6: 4 t stay short within the budgets, and 4 more buy them. (The diagnosis's own
    pooled row once listed 'joint' twice, HiGHS refused it, and nothing was reported.)"""
    data = dataclasses.replace(_data(tmp_path, pooled=6.0), cover_targets=_joint_floor(10.0))
    text = explain_cover_floors(data, build_index(data))
    assert "cover floor 'j'" in text
    assert "short by 4.0 t within the budgets" in text
    assert "needs about 4 USD more for the members of joint" in text
    assert "cannot be bought at any price" not in text


def test_party_budgets_and_market_depth(tmp_path: Path) -> None:
    """US budget 2 and EU budget 3 buy 4 t of 'joint' at 0.5 each per t (the EU share
    would allow 6 t, US's 4 t). Market depth 7 leaves 3 t of a 10 t floor beyond any
    price: short 6 within the budgets, of which 3 can be bought."""
    data = dataclasses.replace(_data(tmp_path, us_budget=2.0, eu_budget=3.0,
                                     max_acquisition=7.0),
                               cover_targets=_joint_floor(10.0))
    text = explain_cover_floors(data, build_index(data))
    assert "short by 6.0 t within the budgets" in text
    assert "buying the 3.0 t that can be bought needs about 3 USD more" in text
    assert "3.0 t cannot be bought at any price" in text


def test_elastic_lp_keeps_purchases_and_the_rows_on_them(tmp_path: Path) -> None:
    """A concentration cap on US (80 % china, an offtake from canada to dilute it) is a
    row on offtake capacity alone: with offtakes out of the elastic LP, the row goes too.
    Market depth, the floor and the budget rows stay; the columns are the two purchases
    and one slack per floor; without budgets the budget rows are gone."""
    base = _data(tmp_path, us_budget=5.0, eu_budget=5.0, pooled=8.0, max_acquisition=30.0)
    data = dataclasses.replace(
        base, cover_targets=_joint_floor(10.0),
        offtakes={"ca": Offtake(party="US", mineral="ga", source="canada", max_volume=20.0,
                                fee=1.0, price=0.0, first_period=1)},
        concentration_limits=[ConcentrationLimit(party="US", mineral="ga", max_share=0.65,
                                                 excluded=())])
    lp = build_matrix_lp(data)
    assert "concentration_limit" in lp.row_layout.first
    elastic = elastic_floor_lp(lp, [10.0], with_budgets=True)
    assert sorted(set(elastic.row_family)) == ["budget_limit", "cover_floor", "market_depth",
                                               "pooled_budget_limit"]
    capped = elastic.row_layout.first["concentration_limit"]
    assert len(capped) and (capped == -1).all()
    assert elastic.n_cols == 3 and set(elastic.layout.first) == {"purchase", SLACK}
    assert elastic.budget_rows == {"US": elastic.row_family.index("budget_limit"),
                                   "EU": elastic.row_family.index("budget_limit") + 1}
    assert elastic.pooled_row == elastic.row_family.index("pooled_budget_limit")
    floor = elastic.row_layout.first["cover_floor"][0]
    assert elastic.A[floor, elastic.layout.first[SLACK][0]] == 1.0
    assert elastic.risk_cost.tolist() == [0.0, 0.0, 0.1]  # 1/Q on the slack
    # the spend rows are the model's: price 1 times each member's share
    us = elastic.budget_rows["US"]
    joint = elastic.layout.first["purchase"][1]
    assert elastic.A[us, joint] == 0.5
    without = elastic_floor_lp(lp, [10.0], with_budgets=False)
    assert sorted(set(without.row_family)) == ["cover_floor", "market_depth"]
    assert without.budget_rows == {} and without.pooled_row is None
    # 5 + 5 per party, 8 pooled: 8 t of the 10 within the budgets, all 10 without
    assert elastic_floors(lp, [10.0], with_budgets=True) == pytest.approx([2.0], abs=1e-9)
    assert elastic_floors(lp, [10.0], with_budgets=False) == pytest.approx([0.0], abs=1e-9)


def test_first_stage_part_leaves_out_rows_on_fixed_columns_only(tmp_path: Path) -> None:
    data = dataclasses.replace(_data(tmp_path, us_budget=5.0),
                               cover_targets=_joint_floor(10.0))
    lp = build_matrix_lp(data)
    part = first_stage_part(lp, ["purchase"], ["cover_floor", "budget_limit"])
    purchases = lp.layout.first["purchase"]
    rows = np.concatenate([lp.row_layout.first["cover_floor"],
                           lp.row_layout.first["budget_limit"]])
    assert (part.A.toarray() == lp.A[rows][:, purchases].toarray()).all()
    assert part.row_lower.tolist() == lp.row_lower[rows].tolist()
    assert part.row_upper.tolist() == lp.row_upper[rows].tolist()
    assert part.col_upper.tolist() == lp.col_upper[purchases].tolist()
    assert part.budget_rows == {"US": 1}
    # with no kept column, every row that had entries is left out
    empty = first_stage_part(lp, [], ["cover_floor", "budget_limit"])
    assert empty.n_rows == 0 and empty.n_cols == 0


def test_the_model_matrix_can_be_passed_in(tmp_path: Path) -> None:
    data = dataclasses.replace(_data(tmp_path, pooled=6.0), cover_targets=_joint_floor(10.0))
    idx = build_index(data)
    assert explain_cover_floors(data, idx, build_matrix_lp(data, idx)) == \
        explain_cover_floors(data, idx)
