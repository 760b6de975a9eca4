"""Logging a failing store: one short line when the store is down or stuck, at most one a
second of each message, and a traceback only for what nobody expected.

While the store is down every update fails the same way, hundreds a second. The first is
logged with the error's class and message; the next ones within a second are only counted;
the first after that says how many were held back (`suppressed`):

```json
{"level": "warning", "logger": "hocso.webhook", "msg": "update failed; it must be sent again",
 "channel": "telegram", "event": "tg:700000031", "kind": "start", "learner": "tg:5",
 "status": 503, "suppressed": 29,
 "error": "ConnectionError: Error 111 connecting to 127.0.0.1:6379. Connection refused."}
```
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping

import redis

__all__ = ["DOWN", "StoreFailures", "brief"]

DOWN: tuple[type[Exception], ...] = (
    redis.ConnectionError,  # refused, reset, a server loading its data
    redis.TimeoutError,  # a server that does not answer in time (stopped, overloaded)
    sqlite3.OperationalError,  # locked for too long, disk full or gone, read-only
)
"""The errors of a store that is down or stuck, rather than of a bug."""

BRIEF = 200  # characters of an error's description in a log line


def brief(error: BaseException) -> str:
    """`ConnectionError: Error 111 connecting to …`: the class and the message's first line,
    cut to BRIEF characters."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= BRIEF else text[: BRIEF - 1] + "…"


class StoreFailures:
    """Logs the store's failures of one process (see the module), `period` seconds apart at
    least for the same message (whichever of the errors of a store that is down). Every
    failure, logged or held back, is also `counted` by where it happened: the logger's name
    without "hocso." ("webhook", "delivery"), for `hocso_store_errors_total`."""

    def __init__(
        self,
        period: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        counted: Callable[[str], None] | None = None,
    ) -> None:
        self.period = period
        self.clock = clock
        self.counted = counted
        self._last: dict[tuple[str, str], tuple[float, int]] = {}  # -> when, held back

    def log(
        self,
        logger: logging.Logger,
        message: str,
        error: BaseException,
        extra: Mapping[str, object],
        *args: object,
    ) -> None:
        """Log `message % args` for `error` (see the class)."""
        if self.counted is not None:
            self.counted(logger.name.removeprefix("hocso."))
        if not isinstance(error, DOWN):
            logger.error(message, *args, exc_info=error, extra={**extra, "error": brief(error)})
            return
        key = (logger.name, message)
        now = self.clock()
        last, held = self._last.get(key, (float("-inf"), 0))
        if now - last < self.period:
            self._last[key] = (last, held + 1)
            return
        self._last[key] = (now, 0)
        fields = {**extra, "error": brief(error), **({"suppressed": held} if held else {})}
        logger.warning(message, *args, extra=fields)
