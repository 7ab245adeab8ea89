"""The ``stockopt`` entry point: a signal guard first, then the command line.

A SIGINT or SIGTERM that lands while Python is still importing the command line (numpy,
pandas, Pyomo take a moment), or after a command has finished and its outputs are in
place, would otherwise end in a ``KeyboardInterrupt`` traceback or a bare exit by signal.
``main`` installs a guard before importing anything heavy: it prints the same one line
as an interrupted command ("interrupted: ...") and exits 130 or 143 at once. While a
command runs, ``interrupt.ending_cleanly`` takes over (cleaning up temporary files) and
hands back to the guard when it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""128 + the signal number, as a shell reports a process a signal ended."""


def _guard(signum: int, _frame: object) -> None:
    """Outside a running command: nothing is being written, so end at once, quietly."""
    atomic = sys.modules.get("stockopt.files.atomic")
    written = atomic.committed_outputs() if atomic is not None else []
    if written:
        names = ", ".join(str(p) for p in written)
        line = (f"interrupted: the outputs already written are complete ({names}); nothing "
                "else was written\n")
    else:
        line = "interrupted: no output was written\n"
    os.write(2, line.encode(errors="replace"))
    os._exit(EXIT_STATUS[signal.Signals(signum)])


def install_guard() -> None:
    """Guard SIGINT and SIGTERM (signals ignored at start, e.g. under nohup, stay so)."""
    for signum in EXIT_STATUS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _guard)


def main() -> None:
    """Run the ``stockopt`` command line under the signal guard, and end the process
    without Python's interpreter teardown, which puts the default signal handlers back
    while it runs (a signal in that window would end the process by the signal itself)."""
    install_guard()
    from .cli import main as cli_main  # after the guard: the imports take a moment

    try:
        cli_main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    _exit(code)


def _exit(code: object) -> None:
    """Exit with ``code`` (as ``SystemExit`` reads it): run the atexit handlers and flush
    the streams with the guard still in place, then leave at once. Under MPI (mpi4py
    loaded) the normal exit is kept, so that MPI finalizes."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    if "mpi4py" in sys.modules:
        sys.exit(status)
    atexit._run_exitfuncs()  # noqa: SLF001 - what the teardown would run first
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
