"""The public Python API (``stockopt.load``, ``build``, ``solve``, ``write_report``), and
the README's example of it, run as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from workbooks import minimal_sheets, write_workbook

import stockopt
from stockopt.model.matrix import MatrixLP

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "us_eu_example.xlsx"


def _hand_workbook(tmp_path: Path) -> Path:
    """``minimal_sheets``: US needs 10 t of ga in each of 2 periods, all from china, cut
    to 0 in 'ban' (π = 0.5); stockpile nds buys ga at 1 per t; budget 5.

    By hand: the budget buys 5 t, released in 'ban', so 'ban' loses (20 − 5)/10 = 1.5
    periods of demand and 'calm' nothing: E[L] = 0.75, CVaR_0.9 = 1.5 (the worst 10 %
    of probability is 'ban'), R* = 0.5·0.75 + 0.5·1.5 = 1.125; the cheapest plan at R*
    spends exactly the 5.
    """
    return write_workbook(tmp_path / "hand.xlsx", minimal_sheets())


def test_load_build_solve_write(tmp_path: Path) -> None:
    """The four calls in order give the same optimum whatever the solve is handed."""
    wb = stockopt.load(_hand_workbook(tmp_path))
    assert isinstance(wb, stockopt.Workbook) and wb.warnings == []
    model = stockopt.build(wb)
    assert isinstance(model.matrix(), MatrixLP)
    assert model.matrix() is model.matrix()  # rendered once
    assert {c.local_name for c in model.pyomo().component_objects()} >= {"purchase", "risk"}
    result = stockopt.solve(model)
    assert result.status == "optimal"
    assert result.risk == pytest.approx(1.125, abs=1e-9)
    assert result.cost == pytest.approx(5.0, rel=1e-6)
    for source in (wb, wb.data):
        again = stockopt.solve(source)
        assert again.risk == pytest.approx(result.risk, abs=1e-12)
        assert again.cost == pytest.approx(result.cost, rel=1e-12)
    through_pyomo = stockopt.solve(model, builder="pyomo")
    assert through_pyomo.risk == pytest.approx(result.risk, abs=1e-9)
    assert isinstance(result.tables["purchases"], pd.DataFrame)
    out = stockopt.write_report(result, wb, tmp_path / "out.xlsx")
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[0] == "Summary"


def test_load_refuses_a_workbook_with_errors(tmp_path: Path) -> None:
    """Every error is in the exception, by sheet, row and column; nothing is returned."""
    sheets = minimal_sheets()
    sheets["Parties"] = [["party", "budget"], ["US", "lots"]]
    with pytest.raises(stockopt.InputError) as info:
        stockopt.load(write_workbook(tmp_path / "bad.xlsx", sheets))
    assert info.value.problems.has_errors
    assert "Parties" in str(info.value) and "budget" in str(info.value)


def test_solve_rejects_an_unknown_builder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="builder"):
        stockopt.solve(stockopt.load(_hand_workbook(tmp_path)), builder="excel")


def test_importing_the_package_loads_no_solver() -> None:
    """``import stockopt`` stays light (validate and template need no Pyomo or HiGHS);
    the API is imported on first use."""
    code = ("import sys, stockopt; assert 'pyomo' not in sys.modules; "
            "assert 'highspy' not in sys.modules; stockopt.load; "
            "assert 'pyomo' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_readme_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The README's "From Python" block, run in a folder holding a copy of inputs/."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    (tmp_path / "inputs").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "inputs" / EXAMPLE.name)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README
    printed = capsys.readouterr().out
    assert "R* = 44.25" in printed
    assert list(tmp_path.glob("*.xlsx")), "the example writes its workbook"
