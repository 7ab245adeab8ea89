"""The policy-lever input sheets: CoverTargets, ConcentrationLimits, Mitigation.

One hand-made workbook (``sheets()``) whose floors in tonnes, expanded concentration
limits and mitigation defaults are worked out in the tests that check them; then each
validation rule of the three sheets, on a copy of it with one thing broken.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from test_validation import assert_problem, check, check_file
from workbooks import minimal_sheets, write_workbook

from stockopt.data import ConcentrationLimit, CoverTarget, Mitigation, ModelData
from stockopt.workbook.normalize import load
from stockopt.workbook.validate import split_names

Sheets = dict[str, list[list]]

COVER_HEADER = ["target", "party", "stockpile", "mineral", "periods", "basis",
                "domestic_sources"]


def sheets() -> Sheets:
    """Three periods (2027-2029), parties US and EU, minerals ga and ge.

    Demand (t/period): US ga 10, 13, 10; EU ga 6, 6, 6; EU ge 4, 4, 4.
    Supply (t/period): US ga china 10 and domestic 2 every period, canada 5 in 2029;
    EU ga EU-domestic 8 in 2027 (more than its demand) and china 6 every period; EU ge
    china 4. Offtakes: US ge from australia, EU ge from chile. Stockpiles: nds (US) holds
    ga; joint (US 40%, EU 60%) holds ga and ge.
    """
    return {
        "Periods": [["period"], [2027], [2028], [2029]],
        "Parties": [["party", "budget"], ["US", None], ["EU", None]],
        "Minerals": [["mineral", "price"], ["ga", 2], ["ge", 3]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["nds", "US", None],
                       ["joint", "US", 0.4], ["joint", "EU", 0.6]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"], ["joint", "ga"], ["joint", "ge"]],
        "Demand": [["party", "mineral", "period", "demand"],
                   ["US", "ga", None, 10], ["US", "ga", 2028, 13],
                   ["EU", "ga", None, 6], ["EU", "ge", None, 4]],
        "Supply": [["party", "mineral", "source", "period", "volume"],
                   ["US", "ga", "china", None, 10], ["US", "ga", "domestic", None, 2],
                   ["US", "ga", "canada", 2029, 5], ["EU", "ga", "EU-domestic", 2027, 8],
                   ["EU", "ga", "china", None, 6], ["EU", "ge", "china", None, 4]],
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume"],
                     ["o_us", "US", "ge", "australia", 5], ["o_eu", "EU", "ge", "chile", 3]],
        "Scenarios": [["scenario", "probability"], ["calm", 1]],
        "CoverTargets": [
            COVER_HEADER,
            ["us_demand", "US", None, "ga", 0.5, None, None],
            ["us_net", "US", None, "ga", 2, "net_imports", None],
            ["us_net_allied", "US", None, "ga", 1, "Net_Imports", "domestic; canada"],
            ["joint_demand", None, "joint", "ga", 1, "demand", None],
            ["joint_net", None, "joint", "ga", 3, "net_imports", "domestic;EU-domestic"],
        ],
        "ConcentrationLimits": [["party", "mineral", "max_share", "excluded_sources"],
                                ["US", "ga", 0.5, None],
                                ["US", "*", None, "domestic"],
                                ["EU", "*", 0.7, "EU-domestic ; "]],
        "Mitigation": [["option", "party", "mineral", "max_share", "cost", "lead_time", "fee"],
                       ["us_thrift", "US", "ga", 0.3, 100, 1, 2],
                       ["eu_subst", "EU", "ge", 0.5, None, None, None]],
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ModelData:
    path = write_workbook(tmp_path_factory.mktemp("policy") / "p.xlsx", sheets())
    loaded = load(path)
    assert not loaded.problems.items, [p.message for p in loaded.problems.items]
    assert loaded.data is not None
    return loaded.data


# --- normalization ---------------------------------------------------------------------------

def test_party_floor_on_demand(data: ModelData) -> None:
    """US ga demand 10, 13, 10: average 11 t/period; 0.5 periods of it = 5.5 t."""
    assert data.cover_targets["us_demand"] == CoverTarget(
        party="US", stockpile=None, mineral="ga", periods=0.5, basis="demand",
        domestic_sources=("domestic",), required=pytest.approx(5.5))


def test_party_floor_on_net_imports_with_the_default_domestic_source(data: ModelData) -> None:
    """Net imports = demand − 'domestic' supply 2: 8, 11, 8, average 9; 2 periods = 18 t."""
    target = data.cover_targets["us_net"]
    assert target.basis == "net_imports" and target.domestic_sources == ("domestic",)
    assert target.required == pytest.approx(18.0)


def test_net_imports_with_listed_domestic_sources(data: ModelData) -> None:
    """Domestic and canada: 10 − 2 = 8, 13 − 2 = 11, 10 − 2 − 5 = 3; average 22/3; 1 period.

    The basis is read case-insensitively."""
    target = data.cover_targets["us_net_allied"]
    assert target.basis == "net_imports"
    assert target.domestic_sources == ("domestic", "canada")
    assert target.required == pytest.approx(22 / 3)


def test_stockpile_floor_sums_the_members_demand(data: ModelData) -> None:
    """joint's members US and EU: 10 + 6, 13 + 6, 10 + 6 = 16, 19, 16; average 17; 1 period."""
    target = data.cover_targets["joint_demand"]
    assert (target.party, target.stockpile) == (None, "joint")
    assert target.required == pytest.approx(17.0)


def test_stockpile_floor_on_net_imports_floors_each_member_at_zero(data: ModelData) -> None:
    """US: 8, 11, 8 (less 'domestic' 2). EU: max(0, 6 − 8) = 0 in 2027 (EU-domestic 8 is
    more than its demand), then 6, 6. Sums 8, 17, 14, average 13; 3 periods = 39 t. (Netting
    the parties together first would give 6 in 2027 and a different floor.)"""
    target = data.cover_targets["joint_net"]
    assert target.domestic_sources == ("domestic", "EU-domestic")
    assert target.required == pytest.approx(39.0)


def test_targets_keep_the_row_order(data: ModelData) -> None:
    assert list(data.cover_targets) == ["us_demand", "us_net", "us_net_allied", "joint_demand",
                                        "joint_net"]


def test_concentration_star_expanded_and_the_specific_row_wins(data: ModelData) -> None:
    """US *: every mineral US has supply (ga) or offtakes (ge) of; the US ga row overrides
    it for ga (its own share and exclusions). EU *: ga (supply) and ge (supply and offtake).
    Default share 0.65; one limit per (party, mineral) in Parties × Minerals order."""
    assert data.concentration_limits == [
        ConcentrationLimit("US", "ga", 0.5, ()),
        ConcentrationLimit("US", "ge", 0.65, ("domestic",)),
        ConcentrationLimit("EU", "ga", 0.7, ("EU-domestic",)),
        ConcentrationLimit("EU", "ge", 0.7, ("EU-domestic",)),
    ]


def test_mitigation_options_with_defaults(data: ModelData) -> None:
    assert data.mitigations == {
        "us_thrift": Mitigation("US", "ga", 0.3, 100.0, 1, 2.0),
        "eu_subst": Mitigation("EU", "ge", 0.5, 0.0, 0, 0.0),
    }


def test_without_the_sheets_the_levers_are_empty(tmp_path: Path) -> None:
    loaded = load(write_workbook(tmp_path / "plain.xlsx", minimal_sheets()))
    assert loaded.data is not None
    assert loaded.data.cover_targets == {}
    assert loaded.data.concentration_limits == []
    assert loaded.data.mitigations == {}


def test_split_names() -> None:
    assert split_names(" a ; b;;a ;") == ("a", "b")
    assert split_names(None) == ()


# --- validation ------------------------------------------------------------------------------

def test_the_workbook_validates_without_problems(tmp_path: Path) -> None:
    outcome = check(tmp_path, sheets())
    assert outcome.exit_code == 0 and not outcome.problems, outcome.stderr


def _broken(**rows: list[list]) -> Sheets:
    """sheets() with rows appended to the named sheets."""
    out = copy.deepcopy(sheets())
    for name, extra in rows.items():
        out[name] += extra
    return out


def test_cover_target_needs_a_party_or_a_stockpile(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(CoverTargets=[["none", None, None, "ga", 1, None, None]]))
    assert_problem(outcome, "CoverTargets", (7,), "party, stockpile", "exactly one",
                   "both blank")


def test_cover_target_with_both_party_and_stockpile(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(CoverTargets=[["both", "US", "nds", "ga", 1, None, None]]))
    assert_problem(outcome, "CoverTargets", (7,), "party, stockpile", "not both",
                   "party 'US', stockpile 'nds'")


def test_cover_basis_must_be_demand_or_net_imports(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(CoverTargets=[["b", "US", None, "ga", 1, "imports",
                                                     None]]))
    problem = assert_problem(outcome, "CoverTargets", (7,), "basis", "demand or net_imports",
                             "imports")
    assert problem["cell"] == "F7"


def test_stockpile_target_on_a_mineral_it_does_not_hold(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(CoverTargets=[["nds_ge", None, "nds", "ge", 1, None,
                                                     None]]))
    assert_problem(outcome, "CoverTargets", (7,), "mineral", "stockpile 'nds' holds",
                   "'ge', which 'nds' does not hold", "never be met")


def test_party_target_without_a_stockpile_holding_the_mineral(tmp_path: Path) -> None:
    """JP is a party with no stockpile at all: its floor could never be met."""
    broken = _broken(CoverTargets=[["jp_ga", "JP", None, "ga", 1, None, None]],
                     Parties=[["JP", None]])
    outcome = check(tmp_path, broken)
    assert_problem(outcome, "CoverTargets", (7,), "mineral", "a stockpile of party 'JP'",
                   "no stockpile of 'JP' holds")
    assert len(outcome.errors) == 1


def test_duplicate_target_names(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(CoverTargets=[["us_net", "EU", None, "ge", 1, None,
                                                     None]]))
    assert_problem(outcome, "CoverTargets", (3, 7), "target", "'us_net' 2 times")


def test_unknown_domestic_source_is_an_error_and_anothers_a_warning(tmp_path: Path) -> None:
    """'atlantis' is named on no Supply row: an error (a typo would silently change the
    floor). 'Domestic' is 'domestic' but for case: the suggestion says so. 'domestic'
    supplies US ga but not EU ga: EU's default domestic source reduces no imports, a
    warning (the planner typed nothing wrong)."""
    outcome = check(tmp_path, _broken(CoverTargets=[
        ["x", "US", None, "ga", 1, "net_imports", "domestic; atlantis; Domestic"],
        ["y", "EU", None, "ga", 1, "net_imports", None]]))
    assert outcome.exit_code == 2
    assert_problem(outcome, "CoverTargets", (7,), "domestic_sources", "'atlantis'",
                   "which no Supply row names")
    assert_problem(outcome, "CoverTargets", (7,), "domestic_sources",
                   "'Domestic' (did you mean 'domestic'?)")
    assert len(outcome.errors) == 1
    assert outcome.errors[0]["cell"] == "G7"
    assert_problem(outcome, "CoverTargets", (8,), "domestic_sources",
                   "'domestic' (the default)", severity="warning")


def test_duplicate_concentration_rows(tmp_path: Path) -> None:
    """A second US ga row is an error; the US * row beside a US ga row is not."""
    outcome = check(tmp_path, _broken(ConcentrationLimits=[["US", "ga", 0.9, None]]))
    assert_problem(outcome, "ConcentrationLimits", (2, 5), "party, mineral",
                   "one row per party and mineral", "party 'US', mineral 'ga'")
    assert len(outcome.errors) == 1


def test_unknown_excluded_source_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(ConcentrationLimits=[["EU", "ga", 0.6, "atlantis; China"]]))
    assert outcome.exit_code == 2
    assert_problem(outcome, "ConcentrationLimits", (5,), "excluded_sources", "'atlantis'",
                   "'China' (did you mean 'china'?)", "would change nothing")
    assert len(outcome.errors) == 1


def test_concentration_share_out_of_range(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(ConcentrationLimits=[["EU", "ga", 1.5, None]]))
    assert_problem(outcome, "ConcentrationLimits", (5,), "max_share", "≤ 1")


def test_duplicate_mitigation_options(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(Mitigation=[["us_thrift", "EU", "ga", 0.1, 1, 0, 0]]))
    assert_problem(outcome, "Mitigation", (2, 4), "option", "'us_thrift' 2 times")


def test_mitigation_lead_time_is_whole(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(Mitigation=[["m", "EU", "ga", 0.1, 1, 1.5, 0]]))
    assert_problem(outcome, "Mitigation", (4,), "lead_time", "a whole number")


def test_mitigation_without_demand_is_a_warning(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(Mitigation=[["m", "US", "ge", 0.1, 1, 0, 0]]))
    assert outcome.exit_code == 0
    assert_problem(outcome, "Mitigation", (4,), "mineral", "cuts nothing", severity="warning")


def test_references_are_checked(tmp_path: Path) -> None:
    outcome = check(tmp_path, _broken(Mitigation=[["m", "XX", "ga", 0.1, 1, 0, 0]]))
    assert_problem(outcome, "Mitigation", (4,), "party", "'XX', which is not declared")


# --- the bundled policy example --------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
POLICY_WORKBOOK = ROOT / "inputs" / "us_eu_policy.xlsx"


def test_committed_policy_example_is_what_the_script_builds(tmp_path: Path) -> None:
    out = tmp_path / "policy.xlsx"
    proc = subprocess.run([sys.executable, str(ROOT / "inputs" / "build_policy_example.py"),
                           "--output", str(out)], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr

    def values(path: Path) -> dict[str, list[tuple]]:
        wb = openpyxl.load_workbook(path)
        try:
            return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)]
                    for ws in wb.worksheets}
        finally:
            wb.close()

    committed, fresh = values(POLICY_WORKBOOK), values(out)
    assert list(committed) == list(fresh)
    for sheet in fresh:
        assert committed[sheet] == fresh[sheet], (
            f"sheet {sheet} differs: rerun `python inputs/build_policy_example.py` and commit "
            "the workbook")


def test_policy_example_validates_without_warnings() -> None:
    outcome = check_file(POLICY_WORKBOOK)
    assert outcome.exit_code == 0 and not outcome.problems, outcome.stderr


def test_policy_example_levers() -> None:
    """The example's floors, in tonnes: 60 days of US cobalt = 0.1644 × 9,600 = 1,578.24 t;
    the IEA-style US nickel floor = 0.2466 × (90,000 − 10,000 US-domestic) = 19,728 t; KOMIR
    on the joint stockpile: 0.274 × (11,700 + 11,700) t of tungsten = 6,411.6 t. EU caps at
    the CRMA's 65%, EU-domestic excluded; six mitigation options."""
    loaded = load(POLICY_WORKBOOK)
    assert loaded.data is not None
    floors = loaded.data.cover_targets
    assert floors["US_cobalt_60d"].required == pytest.approx(1578.24)
    assert floors["US_nickel_90d_net_imports"].required == pytest.approx(19728.0)
    assert floors["joint_tungsten_100d"].required == pytest.approx(6411.6)
    eu = [lim for lim in loaded.data.concentration_limits if lim.party == "EU"]
    assert eu and all(lim.max_share == 0.65 and lim.excluded == ("EU-domestic",) for lim in eu)
    assert len(loaded.data.mitigations) == 6
