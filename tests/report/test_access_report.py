"""The reviewer's workbook for a joint stockpile with access shares: the Decisions sheet
shows each stockpile's access, the Stock and swaps sheet each member's share, use and
entitlement (read back from the written workbook), and free-access workbooks have no such
section."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from test_access import joint_sheets
from workbooks import write_workbook

from stockopt.commands.cli import main
from stockopt.report.sheets import DECISIONS, DICTIONARY, STOCK

SHARES_SECTION = "Members' shares of joint stockpiles (access shares)"


def _solve(tmp_path: Path, access: str | None) -> openpyxl.Workbook:
    path = write_workbook(tmp_path / f"in-{access}.xlsx", joint_sheets(access))
    out = tmp_path / f"out-{access}.xlsx"
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(out)


def _rows(ws) -> list[list]:  # noqa: ANN001
    return [[v for v in row if v is not None] for row in ws.iter_rows(values_only=True)]


def _table_after(rows: list[list], title: str) -> tuple[list, list[list]]:
    """The header and the records of the table under section ``title``."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    header = rows[start + 2]
    records = []
    for r in rows[start + 3:]:
        if not r:
            break
        records.append(r)
    return header, records


def test_stock_sheet_shows_each_members_share_and_use(tmp_path: Path) -> None:
    """The hand case of tests/model/test_access.py: A takes 50 t, its whole entitlement
    0.5 × 100 t (held to its share); B takes nothing of its 50 t."""
    rows = _rows(_solve(tmp_path, "shares")[STOCK])
    header, records = _table_after(rows, SHARES_SECTION)
    assert header == ["stockpile", "mineral", "party", "scenario", "cost share (%)",
                      "member released (t over the horizon)", "entitlement at end (t)",
                      "tightest margin (t)", "tightest period", "held to share"]
    by_party = {r[2]: dict(zip(header, r, strict=True)) for r in records}
    assert set(by_party) == {"A", "B"}
    a, b = by_party["A"], by_party["B"]
    assert a["cost share (%)"] == 0.5
    assert a["member released (t over the horizon)"] == pytest.approx(50.0, abs=1e-4)
    assert a["entitlement at end (t)"] == pytest.approx(50.0, abs=1e-9)
    assert a["tightest margin (t)"] == pytest.approx(0.0, abs=1e-4)
    assert a["held to share"] == "yes"
    assert b["member released (t over the horizon)"] == 0
    assert b["tightest margin (t)"] == pytest.approx(50.0, abs=1e-9)
    assert b["held to share"] == "no"
    # a link in the nav bar (anywhere in it: how its links wrap depends on column widths)
    assert any("Members' shares" in r for r in rows[:6])


def test_decisions_show_access_and_dictionary_explains_it(tmp_path: Path) -> None:
    wb = _solve(tmp_path, "shares")
    header, records = _table_after(_rows(wb[DECISIONS]), "Stockpile purchases: 0 of 1 chosen")
    assert header[-1] == "access"
    assert records[0][-1] == "shares"
    names = {r[1] for r in _rows(wb[DICTIONARY]) if len(r) > 1}
    assert {"access", "cost_share", "member_released", "entitlement_at_end",
            "tightest_margin", "tightest_period", "held_to_share"} <= names


def test_free_access_has_no_shares_section(tmp_path: Path) -> None:
    wb = _solve(tmp_path, None)
    rows = _rows(wb[STOCK])
    assert not any(r and r[0] == SHARES_SECTION for r in rows)
    _header, records = _table_after(_rows(wb[DECISIONS]), "Stockpile purchases: 0 of 1 chosen")
    assert records[0][-1] == "free"
