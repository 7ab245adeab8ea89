"""Writing output files atomically: a temporary file in the target folder, then a rename.

Readers of the target never see a half-written file, and a failed or interrupted write
leaves the previous file (if any) untouched and no temporary file behind. The temporary
file is created with mode 0o666 filtered by the umask, like any new file.

A command with several outputs writes them inside ``all_or_nothing()``: each output is
written to its temporary file, and only when every one is complete are they renamed into
place, one after the other, with SIGINT and SIGTERM held back meanwhile, so an interrupt
leaves either no new output or all of them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import BinaryIO


class OutputNotWritable(OSError):
    """The output file cannot be written (folder missing, locked, no permission)."""


_PENDING: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("_PENDING", default=None)
"""(temporary file, target) pairs written inside ``all_or_nothing()``, not renamed yet."""

_COMMITTED: list[Path] = []
"""Every output renamed into place by this process, in order."""


def committed_outputs() -> list[Path]:
    """The outputs this process has renamed into place so far (complete files)."""
    return list(_COMMITTED)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs, then deliver them to the
    handlers that were in place (the main thread only: Python runs handlers there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        caught.append(signum)

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):
            previous[signum] = signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in caught[:1]:
            signal.raise_signal(signum)


def _commit(pending: list[tuple[Path, Path]]) -> None:
    """Rename every temporary file onto its target, signals held back."""
    with _signals_held():
        for tmp, path in pending:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputNotWritable(
                    f"cannot write {path}: {exc.strerror or exc} (is it open in another "
                    "program, or read-only?)") from exc
            _COMMITTED.append(path)


def _discard(pending: list[tuple[Path, Path]]) -> None:
    for tmp, _path in pending:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """Defer the renames of every ``write_atomically`` inside the block to its end.

    On leaving the block normally, every output is renamed into place; when anything
    inside raises (an unwritable output, an interrupt), every temporary file is removed
    and no output is touched.
    """
    if _PENDING.get() is not None:  # nested: the outer block commits
        yield
        return
    pending: list[tuple[Path, Path]] = []
    token = _PENDING.set(pending)
    try:
        try:
            yield
        finally:
            _PENDING.reset(token)
        _commit(pending)
    except BaseException:
        _discard(pending)  # those already renamed are gone from their temporary names
        raise


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(fh)`` on a temporary file beside ``path``, then rename it into place
    (at the end of the enclosing ``all_or_nothing()`` block, if any).

    Raises OutputNotWritable with a message naming the file and the reason.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputNotWritable(f"cannot write {path}: the folder {folder} does not exist")
    # at most ~130 characters, so that any name the file system takes has a temporary twin
    tmp = folder / f".{path.name[:100]}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise OutputNotWritable(f"cannot write {path}: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OutputNotWritable(
                f"cannot write {path}: {exc.strerror or exc} (is it open in another program, "
                "or read-only?)") from exc
        pending = _PENDING.get()
        if pending is not None:
            pending.append((tmp, path))
        else:
            _commit([(tmp, path)])
    except BaseException:
        # also when an interrupt lands between os.open and the next statement: the name
        # (pid + random) is this call's own, so removing it can touch nothing else
        _discard([(tmp, path)])
        raise
