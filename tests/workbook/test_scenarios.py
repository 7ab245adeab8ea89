"""The Risks sheet and ``stockopt scenarios``: sampling statistics, determinism, validation.

Sampling statistics are checked against stated tolerances that are several standard
errors wide, with fixed seeds, so the tests are deterministic and not flaky.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import minimal_sheets, write_workbook

from stockopt.commands.cli import main
from stockopt.workbook.normalize import load
from stockopt.workbook.sampling import (
    RiskEffect,
    RiskEvent,
    risk_events,
    sample_scenarios,
    scenario_model_data,
)

ROOT = Path(__file__).resolve().parents[2]
RISK_HEADER = ["risk", "group", "source", "mineral", "start_probability", "min_duration",
               "max_duration", "availability", "party", "demand_multiplier"]


def risky_sheets() -> dict[str, list[list]]:
    """minimal_sheets() over four periods with a risk register.

    'ban' cuts China's gallium to 0 and raises US gallium demand by 1.5 (one group,
    p 0.3 per period, 1-2 periods); 'strike' halves Australian supply (p 0.1, 1 period).
    """
    sheets = minimal_sheets()
    sheets["Periods"] = [["period"], [2027], [2028], [2029], [2030]]
    sheets["Supply"].append(["US", "ga", "australia", 2])
    sheets["Risks"] = [RISK_HEADER,
                       ["ban_cut", "ban", "china", "ga", 0.3, 1, 2, 0, None, None],
                       ["ban_surge", "ban", None, "ga", 0.3, 1, 2, None, "US", 1.5],
                       ["strike", None, "australia", "*", 0.1, None, None, 0.5, None, None]]
    return sheets


def _values(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)]
                for ws in wb.worksheets}
    finally:
        wb.close()


def _event(p: float, lo: int = 1, hi: int = 1) -> RiskEvent:
    return RiskEvent("e", p, lo, hi, (RiskEffect("e", "c", "m", 0.0, None, 1.0),))


# --- sampling statistics -----------------------------------------------------------------------

def test_start_share_matches_the_probability() -> None:
    """p = 0.3, duration 1: every period is a fresh trial, so starts/period ≈ p.

    2000 samples × 4 periods = 8000 trials; the standard error is √(0.3·0.7/8000) ≈ 0.005,
    and the stated tolerance is ±0.03 (six standard errors).
    """
    sample = sample_scenarios([_event(0.3)], 4, 2000, seed=11)
    share = sample.started["e"].mean()
    assert abs(share - 0.3) <= 0.03
    # duration 1: running exactly where it started
    assert np.array_equal(sample.active["e"], sample.started["e"])
    # each period on its own, too (standard error 0.010, tolerance ±0.04)
    assert np.all(np.abs(sample.started["e"].mean(axis=0) - 0.3) <= 0.04)


def test_durations_are_uniform_and_no_start_while_running() -> None:
    """Durations 2..4 drawn evenly: runs started in period 1 of a 6-period horizon are never
    cut short, so their mean length is 3 (standard error ≈ 0.8/√(0.2·4000) ≈ 0.03; tolerance
    ±0.1); every length 2, 3, 4 occurs about a third of the time (±0.05)."""
    sample = sample_scenarios([_event(0.2, 2, 4)], 6, 4000, seed=5)
    act, sta = sample.active["e"], sample.started["e"]
    first = np.flatnonzero(sta[:, 0])
    # spans() merges a run with a restart right after it; measure each run from its start
    lengths = np.array([_run_length(act[i], sta[i]) for i in first])
    assert abs(lengths.mean() - 3.0) <= 0.1
    for d in (2, 3, 4):
        assert abs((lengths == d).mean() - 1 / 3) <= 0.05
    # never starts while running: a start in t means not running in t − 1, or the run ended
    for i in range(200):
        remaining = 0
        for t in range(6):
            if sta[i, t]:
                assert remaining == 0
                remaining = _run_length(act[i, t:], sta[i, t:])
            remaining = max(remaining - 1, 0)


def _run_length(active: np.ndarray, started: np.ndarray) -> int:
    """Length of the run starting at position 0 (stops at a new start or an inactive period)."""
    n = 1
    while n < len(active) and active[n] and not started[n]:
        n += 1
    return n


def test_events_restart_after_ending() -> None:
    """With p = 0.9 and duration 1, an event runs in consecutive periods by restarting."""
    sample = sample_scenarios([_event(0.9)], 3, 500, seed=1)
    assert (sample.started["e"].sum(axis=1) >= 2).mean() > 0.9


def test_group_rows_start_and_end_together(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "in.xlsx", risky_sheets())
    loaded = load(path)
    assert loaded.data is not None and loaded.raw is not None
    events = risk_events(loaded.raw)
    assert [e.name for e in events] == ["ban", "strike"]
    assert [fx.risk for fx in events[0].effects] == ["ban_cut", "ban_surge"]
    assert (events[1].min_duration, events[1].max_duration) == (1, 1)
    sample = sample_scenarios(events, 4, 300, seed=2)
    data = scenario_model_data(loaded.data, sample)
    for i, s in enumerate(sample.names):
        for t in range(1, 5):
            cut = data.availability.get(("china", "ga", t, s), 1.0) == 0.0
            surge = data.demand_multiplier.get(("US", "ga", t, s), 1.0) == 1.5
            assert cut == surge == bool(sample.active["ban"][i, t - 1])


# --- the scenarios command -----------------------------------------------------------------------

def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_scenarios_command_writes_a_valid_sampled_copy(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "in.xlsx", risky_sheets())
    out = tmp_path / "out.xlsx"
    code, output = _run("scenarios", str(path), "--samples", "50", "--seed", "4", "-o",
                        str(out))
    assert code == 0, output
    assert "ban" in output and "starts/period" in output
    sampled = load(out)
    assert not sampled.problems.has_errors, [p.message for p in sampled.problems.items]
    data = sampled.data
    assert data is not None and len(data.scenarios) == 50
    assert data.scenarios[0] == "sample_0001"
    assert abs(sum(data.probability.values()) - 1.0) < 1e-12
    # read back from the workbook, the scenarios are what the sampler builds directly
    original = load(path)
    direct = scenario_model_data(original.data, sample_scenarios(
        risk_events(original.raw), 4, 50, seed=4))
    assert data.availability == direct.availability
    assert data.demand_multiplier == direct.demand_multiplier
    assert data.scenario_description == direct.scenario_description
    # every other sheet holds the same values, as read (identifiers are written as text, so
    # a typed 2027 stays the label "2027"); the Risks sheet is kept
    for sheet in ("Settings", "Periods", "Parties", "Minerals", "Stockpiles", "Holdings",
                  "Demand", "Supply", "Offtakes", "Swaps", "Risks"):
        assert [r.values for r in original.raw[sheet].records] == \
            [r.values for r in sampled.raw[sheet].records], sheet
    after = _values(out)
    readme = "\n".join(str(v) for r in after["README"] for v in r if v is not None)
    assert "Seed" in readme and "PCG64(4)" in readme and "sha-256" in readme.lower()


def test_same_seed_same_cell_values(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "in.xlsx", risky_sheets())
    outs = []
    for name, seed in (("a", "9"), ("b", "9"), ("c", "10")):
        out = tmp_path / f"{name}.xlsx"
        assert _run("scenarios", str(path), "--samples", "40", "--seed", seed, "-o",
                    str(out), "--quiet")[0] == 0
        outs.append(_values(out))
    assert outs[0] == outs[1]
    assert outs[0]["Scenarios"] != outs[2]["Scenarios"]


def test_scenarios_without_risks_exits_2(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "in.xlsx", minimal_sheets())
    code, output = _run("scenarios", str(path), "--samples", "5", "-o",
                        str(tmp_path / "o.xlsx"))
    assert code == 2
    assert "sheet 'Risks'" in output and "no such sheet" in output
    assert not (tmp_path / "o.xlsx").exists()


def test_scenarios_refuses_the_input_as_output(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "in.xlsx", risky_sheets())
    code, output = _run("scenarios", str(path), "--samples", "5", "-o", str(path))
    assert code == 2 and "refusing" in output


# --- Risks validation ---------------------------------------------------------------------------

def _problems(tmp_path: Path, sheets: dict) -> tuple[int, list[dict]]:
    path = write_workbook(tmp_path / "v.xlsx", sheets)
    result = CliRunner().invoke(main, ["validate", "--json", str(path)])
    text = result.stdout
    payload = json.loads(text[:text.rindex("}") + 1]) if "{" in text else {"problems": []}
    return result.exit_code, payload["problems"]


def _find(problems: list[dict], rows: list[int], column: str, words: str) -> dict:
    for p in problems:
        if p["sheet"] == "Risks" and p["rows"] == rows and p["column"] == column \
                and words in p["message"]:
            return p
    raise AssertionError("no such problem; got:\n" + "\n".join(p["message"] for p in problems))


def test_without_a_risks_sheet_nothing_is_said_about_it(tmp_path: Path) -> None:
    code, problems = _problems(tmp_path, minimal_sheets())
    assert code == 0
    assert not [p for p in problems if "Risks" in p["message"]]


def test_valid_risks_sheet(tmp_path: Path) -> None:
    code, problems = _problems(tmp_path, risky_sheets())
    assert code == 0, problems
    assert not problems


@pytest.mark.parametrize(("row", "column", "value", "words"), [
    (4, "start_probability", 1.5, "≤ 1"),
    (4, "min_duration", 0, "a whole number ≥ 1"),
    (4, "max_duration", 1.5, "a whole number ≥ 1"),
    (4, "availability", -0.1, "≥ 0 and ≤ 1"),
    (3, "demand_multiplier", 0, "from 0.001 to 1000"),
    (4, "mineral", "unobtainium", "declared in the Minerals sheet (or *)"),
    (3, "party", "CN", "declared in the Parties sheet (or *)"),
])
def test_risks_cell_rules(tmp_path: Path, row: int, column: str, value: object,
                          words: str) -> None:
    sheets = risky_sheets()
    sheets["Risks"][row - 1][RISK_HEADER.index(column)] = value
    code, problems = _problems(tmp_path, sheets)
    assert code == 2
    _find(problems, [row], column, words)


def test_min_duration_after_max_duration(tmp_path: Path) -> None:
    sheets = risky_sheets()
    sheets["Risks"][3][5:7] = [3, 2]
    code, problems = _problems(tmp_path, sheets)
    assert code == 2
    _find(problems, [4], "min_duration, max_duration", "no longer than max_duration (2)")


def test_blank_max_duration_means_min_duration(tmp_path: Path) -> None:
    sheets = risky_sheets()
    sheets["Risks"][3][5:7] = [3, None]
    assert _problems(tmp_path, sheets)[0] == 0


def test_group_rows_must_agree(tmp_path: Path) -> None:
    sheets = risky_sheets()
    sheets["Risks"][2][4] = 0.2
    sheets["Risks"][2][6] = 3
    code, problems = _problems(tmp_path, sheets)
    assert code == 2
    _find(problems, [2, 3], "start_probability", "group 'ban'")
    _find(problems, [2, 3], "max_duration", "different values (2, 3)")


def test_every_row_needs_an_effect(tmp_path: Path) -> None:
    sheets = risky_sheets()
    sheets["Risks"][3][2] = None   # strike: no source, but an availability
    sheets["Risks"].append(["idle", None, None, "ga", 0.1, 1, 1, None, None, None])
    sheets["Risks"].append(["cut", None, "china", "ga", 0.1, 1, 1, None, None, 2])
    code, problems = _problems(tmp_path, sheets)
    assert code == 2
    _find(problems, [4], "source", "for the availability given on this row")
    _find(problems, [5], "source, party", "the row has no effect")
    _find(problems, [6], "availability", "for the source 'china'")
    _find(problems, [6], "party", "for the demand_multiplier given")


def test_duplicate_risk_names_and_unknown_source(tmp_path: Path) -> None:
    sheets = risky_sheets()
    sheets["Risks"][3][0] = "ban_cut"
    sheets["Risks"][3][2] = "atlantis"
    code, problems = _problems(tmp_path, sheets)
    assert code == 2
    _find(problems, [2, 4], "risk", "'ban_cut' 2 times")
    error = _find(problems, [4], "source", "no Supply or Offtakes row names")
    assert error["severity"] == "error" and error["cell"] == "C4"


# --- the bundled risk register ---------------------------------------------------------------

def test_committed_risk_example_is_what_the_script_generates(tmp_path: Path) -> None:
    out = tmp_path / "risks.xlsx"
    proc = subprocess.run([sys.executable, str(ROOT / "inputs" / "build_risks_example.py"),
                           "--output", str(out)], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert _values(ROOT / "inputs" / "us_eu_risks.xlsx") == _values(out), (
        "rerun `python inputs/build_risks_example.py` and commit the workbook")
    code, output = _run("validate", str(out))
    assert code == 0 and "warning" not in output.lower(), output
