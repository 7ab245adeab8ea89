"""models/formulation.md and the Pyomo model name the same components."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pyomo.environ as pyo
from workbooks import minimal_sheets, write_workbook

from stockopt.model import build_model
from stockopt.workbook.normalize import load

DOC = Path(__file__).resolve().parents[2] / "models" / "formulation.md"
KINDS = (pyo.Var, pyo.Constraint, pyo.Expression, pyo.Objective, pyo.Set, pyo.Block)


def _model_components(tmp_path: Path) -> set[str]:
    sheets = minimal_sheets()
    # switch on every optional family so every component exists
    sheets["Settings"] = [["key", "value"], ["pooled_budget", 100]]
    sheets["Minerals"] = [["mineral", "price", "max_acquisition"], ["ga", 1, 50]]
    sheets["Holdings"] = [["stockpile", "mineral", "max_release"], ["nds", "ga", 5]]
    sheets["Offtakes"] = [["offtake", "party", "mineral", "source", "max_volume"],
                          ["o1", "US", "ga", "aus", 3]]
    sheets["Swaps"] = [["swap", "lender_stockpile", "receiver", "mineral", "max_volume"],
                       ["w1", "nds", "US", "ga", 3]]
    sheets["Parties"] = [["party", "budget", "max_risk"], ["US", 5, 10]]
    data = load(write_workbook(tmp_path / "all.xlsx", sheets)).data
    # purchases over time with a per-period depth, capacity, period budgets, take-or-pay
    offtake = data.offtakes["o1"]
    data = dataclasses.replace(
        data, purchase_timing="periods", max_acquisition_per_period={"ga": 10.0},
        holdings={h: dataclasses.replace(v, max_stock=100.0) for h, v in data.holdings.items()},
        period_budgets={("US", 1): 3.0},
        offtakes={"o1": dataclasses.replace(offtake, min_take=0.5)})
    model = build_model(data)
    names = {c.local_name for c in model.component_objects(KINDS, descend_into=False)}
    block = model.scenario[data.scenarios[0]]
    names |= {c.local_name for c in block.component_objects(KINDS, descend_into=False)}
    return {n for n in names if not n.endswith("_index")}


def _documented() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    headings = set(re.findall(r"^### `([A-Za-z_]+)`", text, flags=re.M))
    table = set(re.findall(r"^\| [^|]+ \| `([A-Z_]+)` \|", text, flags=re.M))
    scenario_block = {"scenario"} if "| `scenario` |" in text else set()
    return headings | table | scenario_block


def test_every_model_component_is_documented(tmp_path: Path) -> None:
    missing = _model_components(tmp_path) - _documented()
    assert not missing, f"components in the code but not in models/formulation.md: {missing}"


def test_every_documented_component_exists(tmp_path: Path) -> None:
    extra = _documented() - _model_components(tmp_path)
    assert not extra, f"components in models/formulation.md but not in the code: {extra}"
