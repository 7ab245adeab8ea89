"""Plumbing the commands share: exit codes, loading a workbook or exiting, echoing its
problems, writing JSON, and the output paths (default names, never the input).

Importing this module must not import pyomo or highspy (``stockopt validate`` and
``stockopt template`` use it).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import click

from ..files.atomic import OutputNotWritable, all_or_nothing, write_atomically
from ..files.targets import Named, OutputClash, check_clashes, check_targets, exists
from ..workbook.file import UnreadableWorkbook
from ..workbook.normalize import Loaded, load
from ..workbook.problems import Problems
from ..workbook.schema import RISKS

EXIT_OK = 0
"""Success."""
EXIT_FAILURE = 1
"""A failure inside: solver not optimal, an output the file system will not take."""
EXIT_BAD_INPUT = 2
"""Bad input: every problem is listed on standard error; also an output that is an input,
or two outputs that are one file."""


def echo_problems(loaded: Loaded) -> None:
    """Print every problem (errors and warnings) of ``loaded`` on standard error."""
    for p in loaded.problems.items:
        click.echo(p.message, err=True)


def load_or_exit(path: Path, *, as_json: bool = False, writes: bool = True) -> Loaded:
    """Load and validate ``path``; on unreadable input or errors, report and exit with 2
    (``writes``: the command would have written outputs, so the last line says none were)."""
    try:
        loaded = load(path)
    except UnreadableWorkbook as exc:
        if as_json:
            unreadable = Problems()
            unreadable.error(None, None, None, "a readable .xlsx workbook", str(exc))
            click.echo(unreadable.to_json())
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if loaded.problems.has_errors:
        if as_json:
            click.echo(loaded.problems.to_json())
        echo_problems(loaded)
        n_err, n_warn = loaded.problems.error_count, loaded.problems.warning_count
        click.echo(f"{path}: {n_err} error{'s' if n_err != 1 else ''}, {n_warn} "
                   f"warning{'s' if n_warn != 1 else ''}"
                   + ("; nothing was written." if writes else "; fix the errors and run "
                      "validate again."), err=True)
        sys.exit(EXIT_BAD_INPUT)
    return loaded


def load_for_outputs(workbook: Path, output: Path, summary_json: Path | None, *,
                     quiet: bool) -> Loaded:
    """The start of a command that writes a workbook and maybe a summary JSON: apply the
    output rule to both (exit 2 or 1 on a refusal), load and validate WORKBOOK (exit 2 on
    errors) and, unless ``quiet``, show its warnings."""
    check_outputs_or_exit(((output, "output workbook"), (summary_json, "summary JSON")),
                          ((workbook, "input workbook"),))
    loaded = load_or_exit(workbook)
    if loaded.data is None:  # pragma: no cover - load_or_exit exits on errors
        sys.exit(EXIT_BAD_INPUT)
    if not quiet:
        echo_problems(loaded)
    return loaded


def echo_solve_failure(exc: Exception, *, name_phase: bool = False) -> None:
    """One failed solve (a ``SolveFailed``) on standard error: the error, that no workbook
    was written, a hint for a time limit, and why in words when known; with
    ``name_phase`` the failing phase leads the line."""
    status = str(getattr(exc, "status", ""))
    lead = f"{getattr(exc, 'phase', '')}: " if name_phase else ""
    click.echo(f"error: {lead}{exc}. No output workbook was written."
               + (" Try a longer --time-limit." if "time limit" in status else ""), err=True)
    explanation = getattr(exc, "explanation", None)
    if explanation:
        click.echo(f"why: {explanation}.", err=True)


def load_with_risks(workbook: Path, quiet: bool) -> Loaded:
    """Load WORKBOOK (exit 2 on errors), show its warnings, and require Risks rows."""
    loaded = load_or_exit(workbook)
    if loaded.data is None or loaded.raw is None:  # pragma: no cover - exits on errors
        sys.exit(EXIT_BAD_INPUT)
    if not quiet:
        echo_problems(loaded)
    risks_or_exit(workbook, loaded)
    return loaded


def risks_or_exit(workbook: Path, loaded: Loaded) -> None:
    """Exit 2 when the workbook has no Risks rows to sample from."""
    raw = loaded.raw
    if raw is None or not raw[RISKS.name].records:
        found = "no rows" if raw is not None and raw[RISKS.name].present else "no such sheet"
        click.echo(f"error: sheet '{RISKS.name}': expected at least one risk event (a "
                   f"{RISKS.name} sheet with rows: risk, source or party, mineral, "
                   f"start_probability, ...); found {found}. See `stockopt template` for "
                   "the columns.", err=True)
        sys.exit(EXIT_BAD_INPUT)


def wrote(*paths: Path | None) -> str:
    """The closing line of a command that wrote ``paths`` (None: not asked for), e.g.
    "wrote IN-results.xlsx and IN-summary.json"."""
    names = [str(p) for p in paths if p is not None]
    listed = " and ".join(names) if len(names) <= 2 else \
        ", ".join(names[:-1]) + f" and {names[-1]}"
    return f"wrote {listed}"


def write_study_outputs(output: Path, summary_json: Path | None, inputs: Sequence[Named],
                        write_workbook: Callable[[], None], payload: Callable[[], dict],
                        on_error: Callable[[], None] | None = None) -> bool:
    """Write a command's workbook (``write_workbook()`` writes ``output``) and, if asked, its
    summary JSON (``payload()``), atomically and all or nothing, never onto ``inputs``.
    False, after a one-line refusal, when a target cannot be written (``on_error`` runs
    first, e.g. to close a progress line)."""
    try:
        with writing_outputs(((output, "output workbook"), (summary_json, "summary JSON")),
                             inputs):
            write_workbook()
            if summary_json is not None:
                write_json(summary_json, payload())
    except OutputNotWritable as exc:
        if on_error is not None:
            on_error()
        click.echo(refusal(exc), err=True)
        return False
    return True


def write_json(path: Path, payload: dict) -> None:
    """Write ``payload`` as pretty JSON to ``path``, atomically."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=float) + "\n"
    write_atomically(Path(path), lambda fh: fh.write(text.encode("utf-8")))


def default_output(workbook: Path) -> Path:
    """IN.xlsx -> IN-results.xlsx beside the input."""
    return workbook.with_name(f"{workbook.stem}-results.xlsx")


def default_cooperation_output(workbook: Path) -> Path:
    """IN.xlsx -> IN-cooperation.xlsx beside the input."""
    return workbook.with_name(f"{workbook.stem}-cooperation.xlsx")


def default_frontier_output(workbook: Path) -> Path:
    """IN.xlsx -> IN-frontier.xlsx beside the input."""
    return workbook.with_name(f"{workbook.stem}-frontier.xlsx")


def default_sampled_output(workbook: Path) -> Path:
    """IN.xlsx -> IN-sampled.xlsx beside the input."""
    return workbook.with_name(f"{workbook.stem}-sampled.xlsx")


def default_sensitivity_output(workbook: Path) -> Path:
    """IN.xlsx -> IN-sensitivity.xlsx beside the input."""
    return workbook.with_name(f"{workbook.stem}-sensitivity.xlsx")


def default_comparison_output(workbook: Path) -> Path:
    """IN.xlsx -> IN-comparison.xlsx beside the input."""
    return workbook.with_name(f"{workbook.stem}-comparison.xlsx")


def default_evaluation_output(workbook: Path) -> Path:
    """IN.xlsx -> IN-evaluation.xlsx beside the input."""
    return workbook.with_name(f"{workbook.stem}-evaluation.xlsx")


def check_outputs_or_exit(targets: Sequence[Named], inputs: Sequence[Named] = ()) -> None:
    """Apply the output rule (``stockopt.files.targets``) before any long work; on a
    refusal print one line and exit, writing nothing.

    ``targets`` and ``inputs`` are (path or None, what it is) pairs. An output that is an
    input, or two outputs that are one file, exit 2 (a usage error); an output the file
    system will not take (missing or unwritable folder, a folder, a read-only file, a file
    open in Excel or LibreOffice) exits 1. When an input does not exist, only the clashes
    are checked here: the reader then reports the missing input (exit 2).
    """
    try:
        check_clashes(targets, inputs)
        if all(p is None or exists(p) for p, _what in inputs):
            check_targets(targets, inputs)
    except OutputClash as exc:
        click.echo(refusal(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except OutputNotWritable as exc:
        click.echo(refusal(exc), err=True)
        sys.exit(EXIT_FAILURE)


def refusal(exc: OutputNotWritable) -> str:
    """The one line for a refused output: 'error: cannot write X: why. Nothing was written.'"""
    return f"error: {str(exc).rstrip('.')}. Nothing was written."


@contextlib.contextmanager
def writing_outputs(targets: Sequence[Named], inputs: Sequence[Named] = ()) -> Iterator[None]:
    """Write a command's outputs all or nothing: check the rule again (a file may have
    been opened or made read-only during a long run; raises OutputNotWritable), then defer
    every rename to the end of the block (``stockopt.files.atomic.all_or_nothing``)."""
    check_targets(targets, inputs)
    with all_or_nothing():
        yield
