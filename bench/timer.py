"""A wall-clock stopwatch for the bench (``time.perf_counter``; no external timing tools)."""

from __future__ import annotations

import time
from types import TracebackType


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``; also readable while running."""

    def __init__(self) -> None:
        self._start: float | None = None
        self._stop: float | None = None

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self._stop = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop = time.perf_counter()

    @property
    def seconds(self) -> float:
        if self._start is None:
            return 0.0
        end = self._stop if self._stop is not None else time.perf_counter()
        return end - self._start
