"""The one rule every command applies to its output paths, before any long work.

Two kinds of refusal, and a command exits with a different status for each:

- ``OutputClash`` (a usage error, exit 2): an output names an input (also through a
  symlink, a hard link or another spelling of the same file) or two outputs of the same
  run name one file (names that differ only by letter case count as one file: they are
  one file on Windows and macOS);
- ``OutputNotWritable`` (the file system will not take it, exit 1): the output's folder
  does not exist, is not a folder or is not writable; the output is a folder, a read-only
  file, or open in Excel or LibreOffice (their lock file sits beside it).

Files locked by Windows are caught when writing (``stockopt.files.atomic``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from .atomic import OutputNotWritable

Named = tuple[Path | None, str]
"""A path (None: not asked for) and what it is, e.g. ``(out, "summary JSON")``."""


class OutputClash(OutputNotWritable):
    """An output that is an input, or two outputs that are one file (a usage error)."""


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name the same file: the same path once symlinks and ``..``
    are resolved, or, when both exist, the same file on disk (hard links, a case-insensitive
    file system). False when that cannot be told."""
    try:
        return Path(a).resolve() == Path(b).resolve() or (
            Path(a).exists() and Path(b).exists() and Path(a).samefile(b))
    except OSError:
        return False


def _same_name(a: Path, b: Path) -> bool:
    """Same file, or the same resolved path up to letter case."""
    try:
        folded = str(Path(a).resolve()).casefold() == str(Path(b).resolve()).casefold()
    except OSError:
        folded = False
    return folded or same_file(a, b)


def exists(path: Path) -> bool:
    """Whether ``path`` exists (False when it cannot even be looked at)."""
    try:
        return Path(path).exists()
    except OSError:
        return False


def _label(path: Path, what: str | None) -> str:
    return f"{path} ({what})" if what else f"{path}"


def check_clashes(targets: Sequence[Named], inputs: Sequence[Named] = ()) -> None:
    """Raise OutputClash when an output is an input or two outputs are one file."""
    given = [(Path(p), w) for p, w in targets if p is not None]
    for path, what in given:
        for source, source_what in inputs:
            if source is not None and same_file(path, Path(source)):
                raise OutputClash(
                    f"cannot write {_label(path, what)}: it is the {source_what} {source}; "
                    "refusing to overwrite an input. Choose another output name.")
    for i, (path, what) in enumerate(given):
        for other, other_what in given[:i]:
            if _same_name(path, other):
                raise OutputClash(
                    f"cannot write {_label(path, what)}: it is the same file as the "
                    f"{other_what} {other}; give each output its own name.")


def lock_files(path: Path) -> Iterable[Path]:
    """Where LibreOffice and Excel leave their lock file while ``path`` is open."""
    yield path.with_name(f".~lock.{path.name}#")
    yield path.with_name(f"~${path.name}")


def check_writable(path: Path, what: str | None = None) -> None:
    """Raise OutputNotWritable when the file system will not take a file at ``path``
    (also when it cannot even be looked at, e.g. a name too long for the file system)."""
    path = Path(path)
    label = _label(path, what)
    try:
        _check_writable(path, label)
    except OutputNotWritable:
        raise
    except OSError as exc:
        raise OutputNotWritable(f"cannot write {label}: {exc.strerror or exc}") from exc


def _check_writable(path: Path, label: str) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise OutputNotWritable(f"cannot write {label}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise OutputNotWritable(f"cannot write {label}: {folder} is not a folder")
    if path.is_dir():
        raise OutputNotWritable(f"cannot write {label}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputNotWritable(f"cannot write {label}: the folder {folder} is not writable")
    if path.exists() and (not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
                          or not os.access(path, os.W_OK)):
        raise OutputNotWritable(f"cannot write {label}: the file is read-only")
    for lock in lock_files(path):
        if exists(lock):  # a lock name too long for the file system cannot exist
            raise OutputNotWritable(f"cannot write {label}: it is open in another program "
                                    f"(lock file {lock.name}); close it and run again")


def check_targets(targets: Sequence[Named], inputs: Sequence[Named] = ()) -> None:
    """The whole rule: clashes first (OutputClash), then each output's file system checks
    (OutputNotWritable). ``targets`` and ``inputs`` are (path or None, what it is) pairs."""
    check_clashes(targets, inputs)
    for path, what in targets:
        if path is not None:
            check_writable(Path(path), what)
