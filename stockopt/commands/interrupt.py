"""Ctrl-C (SIGINT) and SIGTERM end a command with one line and the conventional status.

``ending_cleanly()`` wraps a whole command: while it runs, either signal raises
``Interrupted`` (a BaseException, so no ``except Exception`` swallows it) wherever the
command is; the atomic writer removes its temporary files on the way out
(``stockopt.files.atomic``); then one line goes to standard error, "interrupted: no
output was written" (or which outputs were already complete), and the process exits
with 128 + the signal number: 130 for SIGINT, 143 for SIGTERM. No traceback: a second
signal is ignored, and the complaints of half-built workbooks collected on the way out
are silenced (both until the process ends).
"""

from __future__ import annotations

import contextlib
import gc
import signal
import sys
import threading
from collections.abc import Iterator

import click

from ..files.atomic import committed_outputs

SIGNALS = (signal.SIGINT, signal.SIGTERM)

EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""Exit status after a signal: 128 + its number, as a shell reports a process it ended."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _quiet_unraisable(_unraisable: object) -> None:
    """Drop "Exception ignored in ..." reports (half-built workbooks being collected)."""


def interrupted_message(written: list) -> str:
    """The one line printed after an interrupt."""
    if not written:
        return "interrupted: no output was written"
    names = ", ".join(str(p) for p in written)
    return (f"interrupted: the outputs already written are complete ({names}); nothing else "
            "was written")


@contextlib.contextmanager
def ending_cleanly() -> Iterator[None]:
    """Run the block; on SIGINT or SIGTERM, clean up, print one line and exit 130 or 143.

    Signals that were ignored when the command started (``nohup``, a background job) stay
    ignored. Outside the main thread (where Python cannot set handlers) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = len(committed_outputs())
    hook = sys.unraisablehook

    def handler(signum: int, _frame: object) -> None:
        for s in SIGNALS:  # a second Ctrl-C while cleaning up changes nothing
            signal.signal(s, signal.SIG_IGN)
        sys.unraisablehook = _quiet_unraisable
        raise Interrupted(signum)

    previous = {}
    signum = None
    try:
        try:
            for s in SIGNALS:
                if signal.getsignal(s) is not signal.SIG_IGN:
                    previous[s] = signal.signal(s, handler)
            yield
        except Interrupted as exc:
            signum = exc.signum
        except KeyboardInterrupt:  # SIGINT through a handler someone else installed
            for s in SIGNALS:
                signal.signal(s, signal.SIG_IGN)
            sys.unraisablehook = _quiet_unraisable
            signum = signal.SIGINT
        if signum is not None:
            gc.collect()  # the abandoned workbook's generators, while reports are silenced
            click.echo(interrupted_message(committed_outputs()[before:]), err=True)
            sys.exit(EXIT_INTERRUPTED[signum])
    finally:
        if signum is None:  # after an interrupt the process is ending: stay deaf and quiet
            for s, h in previous.items():
                signal.signal(s, h)
            sys.unraisablehook = hook
