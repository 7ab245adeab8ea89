"""Alone versus together (FORMULATION-v2 section 3): Alone(p) and ``stockopt cooperation``.

The instance is ``tests/model/test_party_limits.sheets(joint=True)``; its numbers are
derived there: R_A^alone 1.5, R_B^alone 0.375; together R_A 0, R_B 0.75.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import write_workbook

import stockopt
from stockopt.api import cooperate
from stockopt.commands.cli import main
from stockopt.studies.cooperation import alone

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "model"))
from test_party_limits import sheets  # noqa: E402


@pytest.fixture()
def joint(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "joint.xlsx", sheets(joint=True))


def test_alone_keeps_only_what_the_party_holds_alone(joint: Path) -> None:
    data = stockopt.load(joint).data
    a, b = alone(data, "A"), alone(data, "B")
    assert a.parties == ["A"] and a.stockpiles == [] and a.pooled_budget is None
    assert b.stockpiles == ["KB"] and list(b.holdings) == [("KB", "g")]
    assert set(a.demand) == {("A", "g", 1)} and set(b.supply) == {("B", "g", "x", 1)}
    assert a.budget == {"A": 5} and a.probability == data.probability


def test_cooperation_gains_by_hand(joint: Path) -> None:
    """Gain = R_p^alone − R_p: A 1.5 − 0 = 1.5, B 0.375 − 0.75 = −0.375; spending: A 5
    both ways; B 5 alone (into KB) and 5 together (its half of J)."""
    study = cooperate(stockopt.load(joint))
    a, b = study.gains["A"], study.gains["B"]
    assert a.risk_alone == pytest.approx(1.5, rel=1e-9)
    assert b.risk_alone == pytest.approx(0.375, rel=1e-9)
    assert a.gain == pytest.approx(1.5, abs=1e-6)  # R_p of phase 3's plan: within 1e-7
    assert b.gain == pytest.approx(-0.375, abs=1e-6)
    assert (a.spend_alone, a.spend_together) == pytest.approx((0.0, 5.0), abs=1e-6)
    assert (b.spend_alone, b.spend_together) == pytest.approx((5.0, 5.0), rel=1e-6)
    levers = study.levers
    assert set(levers["kind"]) == {"joint stockpile"}
    row = levers[levers["party"] == "A"].iloc[0]
    assert row["lever"] == "J" and row["expected_received"] == pytest.approx(5.0, rel=1e-6)


def test_cooperation_command_end_to_end(joint: Path, tmp_path: Path) -> None:
    out, js = tmp_path / "coop.xlsx", tmp_path / "coop.json"
    result = CliRunner().invoke(main, ["cooperation", str(joint), "-o", str(out),
                                       "--summary-json", str(js)])
    assert result.exit_code == 0, result.output
    assert "B is worse off together" in result.stdout
    payload = json.loads(js.read_text())
    assert set(payload["parties"]["B"]) == {"risk_alone", "risk_together", "gain",
                                            "spend_alone", "spend_together"}
    assert payload["parties"]["B"]["gain"] == pytest.approx(-0.375, abs=1e-6)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Cooperation", "Joint levers", "About"]
    ws = wb["Cooperation"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("risk alone" in t for t in texts)
    assert any(t.startswith("Warning: B is worse off") for t in texts)
    assert ws._charts or openpyxl.load_workbook(out, keep_links=False)  # chart written
    quiet = CliRunner().invoke(main, ["cooperation", str(joint), "-o", str(out), "--quiet"])
    assert quiet.exit_code == 0 and quiet.stdout == ""


def test_cooperation_with_the_alone_limit_leaves_nobody_worse_off(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "w.xlsx", sheets(joint=True, limit="alone"))
    study = cooperate(stockopt.load(path))
    assert study.joint.risk == pytest.approx(1.125, rel=1e-6)
    assert all(g.gain >= -1e-6 for g in study.gains.values())
