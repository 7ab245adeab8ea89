"""The one output rule (``stockopt.files.targets``), applied by every command before any
long work, and the all-or-nothing writing of a command's outputs (``stockopt.files.atomic``).

Refusals: an output that is an input, or two outputs that are one file, exit 2; an output
the file system will not take (missing or unwritable folder, a folder, a read-only file, a
file open in Excel or LibreOffice) exits 1. Either way one line on standard error, and the
folder is left exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from stockopt.commands import common
from stockopt.commands.cli import main
from stockopt.files import atomic, targets
from stockopt.files.atomic import OutputNotWritable, all_or_nothing, write_atomically
from stockopt.files.targets import OutputClash, check_targets

RISKS = Path(__file__).resolve().parents[2] / "inputs" / "us_eu_risks.xlsx"

WITH_JSON = ("solve", "frontier", "evaluate")
WITH_INPUT = (*WITH_JSON, "scenarios")
ALL = (*WITH_INPUT, "template")


def _argv(command: str, folder: Path, out: Path, summary: Path | None = None) -> list[str]:
    inp, plan = str(folder / "in.xlsx"), str(folder / "plan.xlsx")
    js = [] if summary is None else ["--summary-json", str(summary)]
    return {
        "solve": ["solve", inp, "-o", str(out), *js],
        "frontier": ["frontier", inp, "--steps", "2", "-o", str(out), *js],
        "evaluate": ["evaluate", inp, "--plan", plan, "--samples", "10", "-o", str(out), *js],
        "scenarios": ["scenarios", inp, "--samples", "3", "-o", str(out)],
        "template": ["template", "--force", str(out)],
    }[command]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """in.xlsx and plan.xlsx (any file: refusals come before reading), and no reading
    at all: the outputs are checked before the input is even opened."""
    shutil.copy(RISKS, tmp_path / "in.xlsx")
    shutil.copy(RISKS, tmp_path / "plan.xlsx")

    def too_early(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the input was read before the outputs were checked")

    monkeypatch.setattr(common, "load", too_early)
    monkeypatch.setattr("stockopt.workbook.template.write_template", too_early)
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {p.name: (p.read_bytes() if p.is_file() else None) for p in folder.iterdir()}


def _refused(argv: list[str], folder: Path, code: int, message: str) -> None:
    before = _snapshot(folder)
    result = CliRunner().invoke(main, argv)
    expected = (code, f"error: {message}. Nothing was written.\n")
    assert (result.exit_code, result.stderr) == expected, result.output
    assert result.stdout == ""
    assert _snapshot(folder) == before


# --- exit 2: an output that is an input, or two outputs that are one file ---------------------

@pytest.mark.parametrize("command", WITH_INPUT)
@pytest.mark.parametrize("how", ["same path", "other spelling", "symlink", "hard link"])
def test_an_output_that_is_the_input_exits_2(folder: Path, command: str, how: str) -> None:
    inp = folder / "in.xlsx"
    out = {"same path": inp, "other spelling": folder / "." / "sub" / ".." / "in.xlsx",
           "symlink": folder / "link.xlsx", "hard link": folder / "hard.xlsx"}[how]
    if how == "other spelling":
        (folder / "sub").mkdir()
    elif how == "symlink":
        out.symlink_to(inp)
    elif how == "hard link":
        os.link(inp, out)
    _refused(_argv(command, folder, out), folder, 2,
             f"cannot write {out} (output workbook): it is the input workbook {inp}; "
             "refusing to overwrite an input. Choose another output name")


@pytest.mark.parametrize("command", WITH_JSON)
def test_a_summary_json_that_is_the_input_exits_2(folder: Path, command: str) -> None:
    inp = folder / "in.xlsx"
    _refused(_argv(command, folder, folder / "out.xlsx", inp), folder, 2,
             f"cannot write {inp} (summary JSON): it is the input workbook {inp}; "
             "refusing to overwrite an input. Choose another output name")


def test_evaluate_refuses_the_plan_as_an_output(folder: Path) -> None:
    plan = folder / "plan.xlsx"
    _refused(_argv("evaluate", folder, plan), folder, 2,
             f"cannot write {plan} (output workbook): it is the plan workbook {plan}; "
             "refusing to overwrite an input. Choose another output name")


@pytest.mark.parametrize("command", WITH_JSON)
@pytest.mark.parametrize("name", ["out.xlsx", "OUT.XLSX"])
def test_a_summary_json_that_is_the_output_workbook_exits_2(folder: Path, command: str,
                                                            name: str) -> None:
    """The campaign's case: --summary-json equal to -o exited 0 and replaced the workbook.
    Names that differ only by case are one file on Windows and macOS: refused everywhere."""
    out, summary = folder / "out.xlsx", folder / name
    _refused(_argv(command, folder, out, summary), folder, 2,
             f"cannot write {summary} (summary JSON): it is the same file as the output "
             f"workbook {out}; give each output its own name")


# --- exit 1: an output the file system will not take -------------------------------------------

@pytest.mark.parametrize("command", ALL)
def test_an_output_that_is_a_folder_exits_1(folder: Path, command: str) -> None:
    out = folder / "out.xlsx"
    out.mkdir()
    what = "template" if command == "template" else "output workbook"
    _refused(_argv(command, folder, out), folder, 1, f"cannot write {out} ({what}): it is a folder")


@pytest.mark.parametrize("command", ALL)
def test_an_output_in_a_missing_folder_exits_1(folder: Path, command: str) -> None:
    out = folder / "no" / "out.xlsx"
    what = "template" if command == "template" else "output workbook"
    _refused(_argv(command, folder, out), folder, 1,
             f"cannot write {out} ({what}): the folder {out.parent} does not exist")


@pytest.mark.parametrize("command", ALL)
def test_an_output_in_an_unwritable_folder_exits_1(folder: Path, command: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    sub = folder / "locked"
    sub.mkdir()
    real = os.access
    monkeypatch.setattr(targets.os, "access",  # as root, chmod would not stop a write
                        lambda p, mode: False if Path(p) == sub else real(p, mode))
    out = sub / "out.xlsx"
    what = "template" if command == "template" else "output workbook"
    _refused(_argv(command, folder, out), folder, 1,
             f"cannot write {out} ({what}): the folder {sub} is not writable")


@pytest.mark.parametrize("command", ALL)
def test_a_read_only_output_exits_1(folder: Path, command: str) -> None:
    out = folder / "out.xlsx"
    out.write_bytes(b"previous")
    out.chmod(stat.S_IRUSR | stat.S_IRGRP)
    what = "template" if command == "template" else "output workbook"
    _refused(_argv(command, folder, out), folder, 1,
             f"cannot write {out} ({what}): the file is read-only")


@pytest.mark.parametrize("command", WITH_JSON)
def test_a_read_only_summary_json_exits_1_and_no_workbook_is_written(folder: Path,
                                                                     command: str) -> None:
    """The campaign's case: a read-only JSON was overwritten (and a JSON that could not be
    written left a new workbook behind)."""
    summary = folder / "s.json"
    summary.write_text("{}")
    summary.chmod(stat.S_IRUSR)
    _refused(_argv(command, folder, folder / "out.xlsx", summary), folder, 1,
             f"cannot write {summary} (summary JSON): the file is read-only")


@pytest.mark.parametrize("command", ALL)
@pytest.mark.parametrize("lock", [".~lock.out.xlsx#", "~$out.xlsx"])
def test_an_output_open_in_excel_or_libreoffice_exits_1(folder: Path, command: str,
                                                        lock: str) -> None:
    out = folder / "out.xlsx"
    out.write_bytes(b"previous")
    (folder / lock).write_bytes(b"")
    what = "template" if command == "template" else "output workbook"
    _refused(_argv(command, folder, out), folder, 1,
             f"cannot write {out} ({what}): it is open in another program (lock file {lock}); "
             "close it and run again")


@pytest.mark.parametrize("command", ALL)
def test_an_output_name_too_long_for_the_file_system_exits_1(folder: Path, command: str) -> None:
    out = folder / ("r" * 300 + ".xlsx")
    what = "template" if command == "template" else "output workbook"
    _refused(_argv(command, folder, out), folder, 1,
             f"cannot write {out} ({what}): File name too long")


def test_a_long_name_the_file_system_takes_is_written(tmp_path: Path) -> None:
    """250 characters: the lock names and the temporary name would be longer; neither
    may stop the write."""
    out = tmp_path / ("r" * 245 + ".xlsx")
    result = CliRunner().invoke(main, ["template", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_clash_is_reported_before_an_unwritable_output(folder: Path) -> None:
    """Both wrong: the usage error (2) comes first."""
    _refused(_argv("solve", folder, folder / "no" / "out.xlsx", folder / "in.xlsx"), folder, 2,
             f"cannot write {folder / 'in.xlsx'} (summary JSON): it is the input workbook "
             f"{folder / 'in.xlsx'}; refusing to overwrite an input. Choose another output name")


def test_a_missing_input_is_reported_by_the_reader(tmp_path: Path) -> None:
    """The default output sits beside the input: a missing input's folder is the input's
    problem (exit 2), not the output's."""
    result = CliRunner().invoke(main, ["solve", str(tmp_path / "no" / "in.xlsx")])
    assert result.exit_code == 2, result.output
    assert "no such file" in result.stderr and "cannot write" not in result.stderr


# --- the rule itself ------------------------------------------------------------------------

def test_the_rule_raises_a_clash_or_not_writable(tmp_path: Path) -> None:
    inp = tmp_path / "in.xlsx"
    inp.write_bytes(b"x")
    with pytest.raises(OutputClash):
        check_targets(((inp, "output"),), ((inp, "input"),))
    with pytest.raises(OutputClash):
        check_targets(((tmp_path / "a", "one"), (tmp_path / "b" / ".." / "a", "two")))
    with pytest.raises(OutputNotWritable) as err:
        check_targets(((tmp_path / "no" / "a", "one"),))
    assert not isinstance(err.value, OutputClash)
    check_targets(((tmp_path / "a", "one"), (None, "absent"), (tmp_path / "b", "two")),
                  ((inp, "input"),))


# --- checked again when writing, and written all or nothing ----------------------------------

def test_a_json_made_read_only_during_the_solve_leaves_no_workbook(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked before solving, and again right before writing: nothing is written."""
    from stockopt.commands import solve as solve_module

    inp, out, summary = tmp_path / "in.xlsx", tmp_path / "out.xlsx", tmp_path / "s.json"
    shutil.copy(RISKS, inp)
    summary.write_text("{}")
    real = solve_module.solve

    def solve_then_lock(*args: object, **kwargs: object) -> object:
        summary.chmod(stat.S_IRUSR)
        return real(*args, **kwargs)

    monkeypatch.setattr(solve_module, "solve", solve_then_lock)
    result = CliRunner().invoke(main, ["solve", str(inp), "-o", str(out), "--summary-json",
                                       str(summary), "--quiet"])
    assert (result.exit_code, result.stderr) == (
        1, f"error: cannot write {summary} (summary JSON): the file is read-only. Nothing was "
        "written.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "s.json"]
    assert summary.read_text() == "{}"


def test_all_or_nothing_renames_only_when_every_output_is_complete(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")

    def fails(_fh: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputNotWritable, match="No space left"), all_or_nothing():
        write_atomically(a, lambda fh: fh.write(b"new a"))
        write_atomically(b, fails)
    assert a.read_text() == "old a" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    with pytest.raises(KeyboardInterrupt), all_or_nothing():
        write_atomically(a, lambda fh: fh.write(b"new a"))
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    with all_or_nothing():
        write_atomically(a, lambda fh: fh.write(b"new a"))
        assert a.read_text() == "old a"  # not renamed yet
        write_atomically(b, lambda fh: fh.write(b"new b"))
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_a_signal_during_the_renames_waits_until_every_output_is_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    real = os.replace

    def replace_and_signal(src: object, dst: object) -> None:
        real(src, dst)
        if Path(dst) == a:
            signal.raise_signal(signal.SIGINT)

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, stop)
    monkeypatch.setattr(atomic.os, "replace", replace_and_signal)
    try:
        with pytest.raises(KeyboardInterrupt), all_or_nothing():
            write_atomically(a, lambda fh: fh.write(b"a"))
            write_atomically(b, lambda fh: fh.write(b"b"))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (a.read_text(), b.read_text()) == ("a", "b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


# --- --quiet: nothing on success ----------------------------------------------------------

def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    """(The HiGHS banner is written by HiGHS itself, not through Python: not seen here.)"""
    inp = tmp_path / "in.xlsx"
    shutil.copy(RISKS, inp)
    runner = CliRunner()
    runs = {
        "solve": ["solve", str(inp), "-o", str(tmp_path / "plan.xlsx"), "--summary-json",
                  str(tmp_path / "plan.json"), "--quiet"],
        "frontier": ["frontier", str(inp), "--steps", "2", "-o", str(tmp_path / "f.xlsx"),
                     "--summary-json", str(tmp_path / "f.json"), "--quiet"],
        "scenarios": ["scenarios", str(inp), "--samples", "3", "-o",
                      str(tmp_path / "s.xlsx"), "--quiet"],
        "evaluate": ["evaluate", str(inp), "--plan", str(tmp_path / "plan.xlsx"), "--samples",
                     "10", "-o", str(tmp_path / "e.xlsx"), "--summary-json",
                     str(tmp_path / "e.json"), "--quiet"],
    }
    for name, argv in runs.items():
        result = runner.invoke(main, argv)
        assert (name, result.exit_code, result.stdout, result.stderr) == (name, 0, "", "")
    assert json.loads((tmp_path / "plan.json").read_text())["status"] == "optimal"
    assert openpyxl.load_workbook(tmp_path / "e.xlsx", read_only=True).sheetnames
