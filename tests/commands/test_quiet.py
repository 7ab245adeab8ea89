"""``--quiet`` prints nothing on success, in a real process (HiGHS writes its one-time
banner from C++ straight to file descriptor 1, which click's test runner cannot see)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workbooks import minimal_sheets, write_workbook


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stockopt", *args], cwd=cwd,
                          capture_output=True, text=True, check=False)


def test_quiet_solve_prints_nothing(tmp_path: Path) -> None:
    write_workbook(tmp_path / "in.xlsx", minimal_sheets())
    done = _run(["solve", "in.xlsx", "-o", "out.xlsx", "--quiet"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    assert (tmp_path / "out.xlsx").exists()


def test_verbose_solve_shows_the_highs_log(tmp_path: Path) -> None:
    write_workbook(tmp_path / "in.xlsx", minimal_sheets())
    done = _run(["solve", "in.xlsx", "-o", "out.xlsx", "--verbose"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Running HiGHS" in done.stdout
