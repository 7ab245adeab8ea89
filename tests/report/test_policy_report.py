"""The Policy levers sheet and the other report changes the levers bring.

The results tables of the levers (``cover_floors``, ``concentration``, ``mitigations``,
``mitigation_use``) are made by hand here, with the columns ``stockopt.results.extract`` gives
them, so every number the report derives is worked out in the test that checks it. The
whole-workbook tests solve the plain model of the policy workbook of
``test_policy_inputs`` and hand the report these tables.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_policy_inputs import sheets
from workbooks import write_workbook

from stockopt.data import ModelData
from stockopt.model import build_model
from stockopt.report.policy import (
    POLICY,
    concentration_shares,
    concentration_summary,
    cover_floors,
    has_policy_levers,
    mitigation_options,
    mitigation_use,
    policy_sentences,
)
from stockopt.report.sheets import SHEET_NAMES, sheet_names
from stockopt.report.tables import spend_by_party
from stockopt.report.workbook import RunAudit, write_report
from stockopt.results.extract import Results, extract
from stockopt.solver.highs import solve
from stockopt.workbook.normalize import load


def lever_tables() -> dict[str, pd.DataFrame]:
    """The four lever tables for the policy workbook (scenario 'calm' only)."""
    return {
        "cover_floors": pd.DataFrame([
            ["us_demand", "US", None, "ga", 0.5, "demand", 5.5, 5.5, True],
            ["us_net", "US", None, "ga", 2.0, "net_imports", 18.0, 20.0, True],
            ["joint_demand", None, "joint", "ga", 1.0, "demand", 17.0, 10.0, False],
        ], columns=["target", "party", "stockpile", "mineral", "periods", "basis", "required",
                    "level", "met"]),
        "concentration": pd.DataFrame([
            ["US", "ga", "china", "2027", 0.8, 0.5, 0.5, False],
            ["US", "ga", "domestic", "2027", 0.2, 0.2, 0.5, False],
            ["US", "ga", "canada", "2029", 0.3, 0.45, 0.5, False],
            ["US", "ge", "australia", "2027", 0.0, 1.0, 0.65, False],
            ["EU", "ga", "EU-domestic", "2027", 0.9, 0.9, 0.7, True],
            ["EU", "ga", "china", "2027", 0.1, 0.1, 0.7, False],
        ], columns=["party", "mineral", "source", "period", "share_before", "share_after",
                    "max_share", "excluded"]),
        "mitigations": pd.DataFrame([
            ["eu_subst", "EU", "ge", 0.0, 0.5, 0.0, 0],
            ["us_thrift", "US", "ga", 3.0, 0.3, 6.0, 1],
        ], columns=["option", "party", "mineral", "capacity", "max_share", "fee_paid",
                    "lead_time"]),
        "mitigation_use": pd.DataFrame([
            ["calm", "us_thrift", "US", "ga", "2028", 2.0, 200.0],
            ["calm", "us_thrift", "US", "ga", "2029", 0.0, 0.0],
        ], columns=["scenario", "option", "party", "mineral", "period", "use", "cost"]),
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ModelData, object]:
    path = write_workbook(tmp_path_factory.mktemp("policy_report") / "p.xlsx", sheets())
    result = load(path)
    assert result.data is not None
    return path, result.data, result.raw


def _results(tables: dict[str, pd.DataFrame], spend: dict[str, float] | None = None,
             spend_by_lever: dict[str, dict[str, float]] | None = None) -> Results:
    return Results(status="optimal", risk=0.0, cost=0.0, expected_loss=0.0, cvar=0.0,
                   spend=spend or {}, budget_shadow_price={}, pooled_budget_shadow_price=0.0,
                   tables=tables, spend_by_lever=spend_by_lever or {})


# --- the derived tables ----------------------------------------------------------------------

def test_cover_floors_binding_met_and_not_met() -> None:
    """us_demand holds exactly its 5.5 t (binding, 0.5 periods held); us_net holds 20 t of
    18 (met; 18 t is 2 periods of 9 t, so 20 t is 20/9 periods); joint holds 10 of 17."""
    df = cover_floors(_results(lever_tables()))
    assert list(df["floor_status"]) == ["binding", "met", "not met"]
    assert df["cover_held"].tolist() == pytest.approx([0.5, 20 / 9, 10 / 17])
    assert df["stockpile"].isna().tolist() == [True, True, False]
    assert df["party"].isna().tolist() == [False, False, True]


def test_concentration_before_and_after(loaded) -> None:  # noqa: ANN001
    """US ga: largest before is china 80% (of 2027), after china 50% (canada 45% in 2029),
    at the 50% limit: within. US ge: australia 0% before, 100% after: above 65%. EU ga: the
    excluded EU-domestic 90% is left out; china 10%. EU ge has no rows: blank, within."""
    _path, data, _raw = loaded
    df = concentration_summary(_results(lever_tables()), data).set_index(["party", "mineral"])
    assert df.loc[("US", "ga"), ["top_source_before", "top_share_before", "top_source_after",
                                 "top_share_after", "within_limit"]].tolist() == \
        ["china", 0.8, "china", 0.5, "yes"]
    assert df.loc[("US", "ge"), "within_limit"] == "no"
    assert df.loc[("US", "ge"), "top_share_after"] == 1.0
    assert df.loc[("EU", "ga"), ["top_source_before", "top_share_before"]].tolist() == \
        ["china", 0.1]
    assert df.loc[("EU", "ga"), "excluded_sources"] == "EU-domestic"
    assert pd.isna(df.loc[("EU", "ge"), "top_source_after"])
    assert df.loc[("EU", "ge"), "within_limit"] == "yes"
    shares = concentration_shares(_results(lever_tables()))
    assert shares["excluded"].tolist() == ["no"] * 4 + ["yes", "no"]


def test_mitigation_options_expected_use_weighted_by_probability(loaded) -> None:  # noqa: ANN001
    """With calm at 25% and ban at 75%: us_thrift cuts 2 t in calm and 4 t (cost 400) in ban,
    so 0.25·2 + 0.75·4 = 3.5 t expected, cost 0.25·200 + 0.75·400 = 350. Chosen first."""
    _path, data, _raw = loaded
    data = dataclasses.replace(data, scenarios=["calm", "ban"],
                               probability={"calm": 0.25, "ban": 0.75})
    tables = lever_tables()
    tables["mitigation_use"] = pd.concat([tables["mitigation_use"], pd.DataFrame(
        [["ban", "us_thrift", "US", "ga", "2028", 4.0, 400.0]],
        columns=tables["mitigation_use"].columns)], ignore_index=True)
    df = mitigation_options(_results(tables), data)
    assert df["option"].tolist() == ["us_thrift", "eu_subst"]
    assert df["chosen"].tolist() == ["yes", "no"]
    assert df["expected_mitigation"].tolist() == pytest.approx([3.5, 0.0])
    assert df["expected_mitigation_cost"].tolist() == pytest.approx([350.0, 0.0])
    tables["scenario_losses"] = pd.DataFrame({"scenario": ["calm", "ban"], "loss": [0.0, 1.0]})
    use = mitigation_use(_results(tables))
    assert use["scenario"].tolist() == ["ban", "calm"]  # worst first, zero rows dropped
    assert use.columns.tolist() == ["scenario", "option", "party", "mineral", "period",
                                    "mitigation_use", "mitigation_cost"]


def test_spend_gains_mitigation_fees_only_when_offered(loaded) -> None:  # noqa: ANN001
    _path, data, _raw = loaded
    tables = lever_tables()
    spend = spend_by_party(_results(tables, {"US": 6.0, "EU": 0.0},
                                    {"US": {"mitigation_fees": 6.0}}), data)
    assert spend.set_index("party")["mitigation_fees"].to_dict() == {"US": 6.0, "EU": 0.0}
    plain = dataclasses.replace(data, mitigations={})
    assert "mitigation_fees" not in spend_by_party(_results(tables), plain).columns


def test_summary_sentences(loaded) -> None:  # noqa: ANN001
    _path, data, _raw = loaded
    text = " ".join(policy_sentences(_results(lever_tables()), data))
    assert "3 cover floors: 1 binding" in text and "1 not met" in text
    assert "4 party-mineral pairs: 1 above the cap on baseline supply alone, 1 above it " \
        "with the plan" in text
    assert "1 of 2 options prepared" in text and "2.0 t" in text


# --- the workbook ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def solved(loaded) -> Results:  # noqa: ANN001
    """The plain model of the policy workbook (levers left out), solved."""
    _path, data, _raw = loaded
    plain = dataclasses.replace(data, cover_targets={}, concentration_limits=[], mitigations={})
    model = build_model(plain)
    return extract(model, plain, solve(model))


def _write(tmp_path: Path, loaded, results: Results) -> openpyxl.Workbook:  # noqa: ANN001
    path, data, raw = loaded
    out = tmp_path / "out.xlsx"
    write_report(out, results, data, RunAudit(path), raw)
    return openpyxl.load_workbook(out)


def _texts(ws) -> list[str]:  # noqa: ANN001
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_policy_sheet_after_stock_and_swaps(tmp_path: Path, loaded, solved) -> None:  # noqa: ANN001
    results = dataclasses.replace(solved, tables={**solved.tables, **lever_tables()})
    wb = _write(tmp_path, loaded, results)
    assert wb.sheetnames == list(sheet_names(loaded[1]))
    assert wb.sheetnames.index(POLICY) == wb.sheetnames.index("Stock and swaps") + 1
    texts = _texts(wb[POLICY])
    for header in ("required level (t)", "covered level (t)", "cover held (periods)",
                   "top share after (%)", "mitigation capacity (t/period)",
                   "mitigation use (t/period)", "expected mitigation (t over the horizon)"):
        assert header in texts, header
    assert {"binding", "met", "not met"} <= set(texts)
    summary = _texts(wb["Summary"])
    assert "Policy levers" in summary and "mitigation fees (USD)" in summary
    assert any(t.startswith("3 cover floors") for t in summary)
    listed = {r[1] for r in wb["Dictionary"].iter_rows(min_row=4, values_only=True)}
    assert {"floor_status", "top_source_after", "mitigation_cost", "option",
            "mitigation_fees"} <= listed


def test_policy_sheet_without_the_lever_tables(tmp_path: Path, loaded, solved) -> None:  # noqa: ANN001
    """A model version without the lever tables: the sheet says so, section by section."""
    wb = _write(tmp_path, loaded, solved)
    texts = _texts(wb[POLICY])
    assert texts.count("(not in the results of this version)") == 5


def test_no_policy_sheet_without_levers(loaded) -> None:  # noqa: ANN001
    plain = dataclasses.replace(loaded[1], cover_targets={}, concentration_limits=[],
                                mitigations={})
    assert not has_policy_levers(plain)
    assert sheet_names(plain) == SHEET_NAMES
