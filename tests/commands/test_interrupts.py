"""SIGINT and SIGTERM, sent to a real ``stockopt`` process at chosen moments: one line on
standard error, exit 130 (SIGINT) or 143 (SIGTERM), no traceback, no new file (no output,
no temporary file) unless the outputs were already complete.

The moments are hit deterministically: a hook (installed by a small launcher, never by
stockopt itself) prints a marker on standard output and sleeps at the chosen point, and
the test sends the signal once it has read the marker. The solve itself is interrupted
with no hook, on a generated workbook that takes seconds to solve.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from stockopt.commands.cli import main

ROOT = Path(__file__).resolve().parents[2]
RISKS = ROOT / "inputs" / "us_eu_risks.xlsx"
NOTHING = "interrupted: no output was written\n"
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}

HOOKS = {
    # reading the input workbook
    "reading": """
import stockopt.commands.common as target
def hook(*args, **kwargs):
    pause()
target.load = hook
""",
    # every atomic write: the temporary file is complete, not yet renamed
    "written, not renamed": """
import os
real_fsync = os.fsync
def hook(fd):
    real_fsync(fd)
    pause()
os.fsync = hook
""",
    # the results workbook half written: its temporary file is open and empty
    "workbook half written": """
import stockopt.report.workbook as target
def hook(*args, **kwargs):
    pause()
target.build_workbook = hook
""",
    # the results workbook complete (pending), the summary JSON not begun
    "between the two outputs": """
import stockopt.commands.solve as target
def hook(*args, **kwargs):
    pause()
target.write_json = hook
""",
    # both outputs renamed into place, the terminal summary not printed yet
    "after the rename": """
import stockopt.commands.solve as target
def hook(*args, **kwargs):
    pause()
target.human_summary = hook
""",
}

LAUNCHER = """
import sys, time
def pause():
    print("PAUSED", flush=True)
    time.sleep(60)
{hook}
from stockopt.commands.cli import main
main(prog_name="stockopt")
"""


def _interrupt(argv: list[str], cwd: Path, signum: int, *, hook: str | None = None,
               marker: str = "PAUSED", twice: bool = False) -> tuple[int, str, set[str]]:
    """Run ``stockopt argv`` in ``cwd``, send ``signum`` once ``marker`` is on standard
    output; return the exit status, standard error and the new files in ``cwd``."""
    before = {p.name for p in cwd.iterdir()}
    if hook is None:
        command = [sys.executable, "-m", "stockopt", *argv]
    else:
        command = [sys.executable, "-c", LAUNCHER.format(hook=HOOKS[hook]), *argv]
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if marker in line:
                break
        else:
            pytest.fail(f"the run ended before {marker!r}: {proc.wait()}, "
                        f"{proc.stderr.read() if proc.stderr else ''}")
        if hook in ("written, not renamed", "workbook half written", "between the two outputs"):
            assert [p for p in cwd.iterdir() if p.name.endswith(".tmp")], "no temporary file"
        proc.send_signal(signum)
        if twice:
            proc.send_signal(signum)
        _out, err = proc.communicate(timeout=30)
    finally:
        watchdog.cancel()
        proc.kill()
    return proc.returncode, err, {p.name for p in cwd.iterdir()} - before


@pytest.fixture
def risks(tmp_path: Path) -> Path:
    shutil.copy(RISKS, tmp_path / "in.xlsx")
    return tmp_path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """benchmarks/generate.py's size s: about 100 k nonzeros, seconds to solve."""
    folder = tmp_path_factory.mktemp("big")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "s", "-o",
                    str(folder / "s.xlsx")], check=True, capture_output=True, timeout=120)
    return folder / "s.xlsx"


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A solved plan of the risks example (solved in this process, uninterrupted)."""
    path = tmp_path_factory.mktemp("plan") / "plan.xlsx"
    result = CliRunner().invoke(main, ["solve", str(RISKS), "-o", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_during_the_solve(big: Path, tmp_path: Path, signum: int) -> None:
    """No hook: the real command, signalled while HiGHS runs phase 1."""
    shutil.copy(big, tmp_path / "s.xlsx")
    code, err, new = _interrupt(["solve", "s.xlsx", "-o", "out.xlsx", "--summary-json",
                                 "out.json", "--verbose"], tmp_path, signum,
                                marker="Presolving model")
    assert (code, err, new) == (STATUS[signum], NOTHING, set())


def test_while_reading(risks: Path) -> None:
    code, err, new = _interrupt(["solve", "in.xlsx", "--summary-json", "s.json", "--quiet"],
                                risks, signal.SIGINT, hook="reading")
    assert (code, err, new) == (130, NOTHING, set())


@pytest.mark.parametrize(("signum", "twice"), [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["SIGINT twice", "SIGTERM"])
def test_while_the_workbook_is_half_written(risks: Path, signum: int, twice: bool) -> None:
    """The campaign's case (several tracebacks); a second Ctrl-C changes nothing."""
    code, err, new = _interrupt(["solve", "in.xlsx", "-o", "out.xlsx", "--summary-json",
                                 "out.json", "--quiet"], risks, signum,
                                hook="workbook half written", twice=twice)
    assert (code, err, new) == (STATUS[signum], NOTHING, set())


def test_between_the_workbook_and_the_json(risks: Path) -> None:
    """The workbook is complete but not renamed: it is not left behind either."""
    code, err, new = _interrupt(["solve", "in.xlsx", "-o", "out.xlsx", "--summary-json",
                                 "out.json", "--quiet"], risks, signal.SIGTERM,
                                hook="between the two outputs")
    assert (code, err, new) == (143, NOTHING, set())


@pytest.mark.parametrize(("argv", "signum"), [
    (["solve", "in.xlsx", "-o", "out.xlsx", "--summary-json", "out.json", "--quiet"],
     signal.SIGINT),
    (["frontier", "in.xlsx", "--steps", "2", "-o", "out.xlsx", "--summary-json", "out.json",
      "--quiet"], signal.SIGTERM),
    (["scenarios", "in.xlsx", "--samples", "3", "-o", "out.xlsx", "--quiet"], signal.SIGINT),
    (["evaluate", "in.xlsx", "--plan", "in.xlsx", "--samples", "10", "-o", "out.xlsx",
      "--summary-json", "out.json", "--quiet"], signal.SIGTERM),
    (["template", "--example", "out.xlsx"], signal.SIGINT),
], ids=["solve", "frontier", "scenarios", "evaluate", "template"])
def test_while_writing_every_command(risks: Path, plan: Path, argv: list[str],
                                     signum: int) -> None:
    if argv[0] == "evaluate":
        shutil.copy(plan, risks / "plan.xlsx")
        argv = [a if a != "in.xlsx" or i < 2 else "plan.xlsx" for i, a in enumerate(argv)]
    code, err, new = _interrupt(argv, risks, signum, hook="written, not renamed")
    assert (code, err, new) == (STATUS[signum], NOTHING, set())


def test_after_the_outputs_are_in_place(risks: Path) -> None:
    """Too late to write nothing: the outputs are complete, and the line says so."""
    code, err, new = _interrupt(["solve", "in.xlsx", "-o", "out.xlsx", "--summary-json",
                                 "out.json"], risks, signal.SIGINT, hook="after the rename")
    assert (code, new) == (130, {"out.xlsx", "out.json"})
    assert err == ("interrupted: the outputs already written are complete (out.xlsx, "
                   "out.json); nothing else was written\n")
    assert openpyxl.load_workbook(risks / "out.xlsx", read_only=True).sheetnames[0] == "Summary"
