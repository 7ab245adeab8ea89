"""The entry point's signal guard: outside a running command (while the command line is
still importing, or after a command has finished) SIGINT and SIGTERM end the process with
the same one line as an interrupted command and 130 or 143, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

GUARDED = ("from stockopt.commands.launch import install_guard; install_guard(); "
           "import os, signal, time; os.kill(os.getpid(), signal.{name}); time.sleep(10)")


@pytest.mark.parametrize(("name", "status"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_before_the_command_runs(name: str, status: int) -> None:
    done = subprocess.run([sys.executable, "-c", GUARDED.format(name=name)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == status
    assert done.stderr == "interrupted: no output was written\n"
    assert done.stdout == ""


def test_an_ignored_signal_stays_ignored() -> None:
    """Started with SIGTERM ignored (nohup, a background job), the guard leaves it so."""
    code = ("import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "from stockopt.commands.launch import install_guard; install_guard(); "
            "assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_console_script_and_python_m_use_the_guard() -> None:
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["stockopt"] == "stockopt.commands.launch:main"
    assert "commands.launch import main" in (root / "stockopt" / "__main__.py").read_text()


def test_the_entry_point_ends_without_interpreter_teardown(tmp_path) -> None:  # noqa: ANN001
    """``main`` keeps the guard to the end: it runs the atexit handlers itself (here one
    that writes a file), flushes, and leaves with the command's status."""
    marker = tmp_path / "atexit-ran"
    code = ("import atexit, pathlib, sys; "
            f"atexit.register(lambda: pathlib.Path({str(marker)!r}).write_text('yes')); "
            "sys.argv = ['stockopt', 'validate', 'no-such-file.xlsx']; "
            "from stockopt.commands.launch import main; main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert "no such file" in done.stderr
    assert marker.read_text() == "yes"
