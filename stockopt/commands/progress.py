"""A one-line progress display of the run's steps with elapsed time, on a terminal only."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    """Shows "stockopt: <step> … 3.2 s" on one line, refreshed while a step runs.

    Disabled (silent) when the stream is not a terminal, so logs and pipes stay clean.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._label = ""
        self._start = time.perf_counter()
        self._step_start = self._start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def step(self, label: str) -> None:
        """Start a new step (ends the previous one)."""
        with self._lock:
            self._label = label
            self._step_start = time.perf_counter()
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            now = time.perf_counter()
            line = (f"stockopt: {self._label} … {now - self._step_start:5.1f} s "
                    f"(total {now - self._start:5.1f} s)")
        self.stream.write("\r" + line[:120].ljust(100))
        self.stream.flush()

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            self._draw()

    def close(self) -> None:
        """Stop refreshing and clear the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        if self.enabled:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
