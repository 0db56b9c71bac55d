"""Rate-limited log lines for rejected input, so a flood of bad requests cannot flood the log."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

DEFAULT_INTERVAL_SECONDS = 10.0


@dataclasses.dataclass
class _KindState:
    last_written: float
    suppressed: int = 0


class RateLimitedLog:
    """Writes at most one line per `interval_seconds` for each kind of rejection.

    Lines of a kind that come sooner are counted, not written; the next line of that kind says
    how many were suppressed since the previous one. A kind names a class of rejection chosen by
    the code ("undecodable request"), never a value taken from the request, so the number of
    kinds stays small.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        level: int = logging.WARNING,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._level = level
        self._interval = interval_seconds
        self._clock = clock
        self._kinds: dict[str, _KindState] = {}
        # Handlers of sync servers run in threads; the count must not lose increments there.
        self._lock = threading.Lock()

    def log(self, kind: str, message: str, *args: object) -> None:
        """Writes `message % args`, unless a line of this kind was written too recently."""
        if not self._logger.isEnabledFor(self._level):
            return
        now = self._clock()
        with self._lock:
            state = self._kinds.get(kind)
            if state is not None and now - state.last_written < self._interval:
                state.suppressed += 1
                return
            self._kinds[kind] = _KindState(last_written=now)
        if state is not None and state.suppressed:
            message += " (%d more like it suppressed in the last %.0f s)"
            args = (*args, state.suppressed, now - state.last_written)
        self._logger.log(self._level, message, *args)


__all__ = ["DEFAULT_INTERVAL_SECONDS", "RateLimitedLog"]
