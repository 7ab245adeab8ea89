"""Writing output files atomically: a temporary file in the target folder, then a rename.

Readers of the target never see a half-written file, and a failed write leaves the
previous file (if any) untouched. The temporary file is created with mode 0o666
filtered by the umask, like any new file, and removed on failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class OutputNotWritable(OSError):
    """The output file cannot be written (folder missing, locked, no permission)."""


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(fh)`` on a temporary file beside ``path``, then rename it into place.

    Raises OutputNotWritable with a message naming the file and the reason.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputNotWritable(f"cannot write {path}: the folder {folder} does not exist")
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OutputNotWritable(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputNotWritable(
            f"cannot write {path}: {exc.strerror or exc} (is it open in another program, "
            "or read-only?)") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
