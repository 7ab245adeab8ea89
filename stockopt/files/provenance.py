"""Facts for the audit record of a run: file fingerprints and package versions."""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_version(name: str) -> str:
    """The installed version of distribution ``name``, or "unknown"."""
    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"
