"""What the service logs while a test runs, kept for the test to read (from any thread): the
records of some loggers, or hocso's lines as the JSON the service writes.

Enter these once the app is made: `webhook.logs.setup` replaces hocso's handlers.

    with ServiceThread(settings) as app, log_records("hocso.webhook") as records:
        ...
    assert applied_order(records, "tg:5") == ["tg:700000001", "tg:700000002"]
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from webhook.logs import JsonFormatter


class _Records(logging.Handler):
    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _handling(handler: logging.Handler, names: tuple[str, ...]) -> Iterator[None]:
    """`handler` on the loggers `names`, set to let its level through, while inside."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(handler.level)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


@contextmanager
def log_records(*names: str, level: int = logging.DEBUG) -> Iterator[list[logging.LogRecord]]:
    """Every record of the loggers `names` (and theirs below) at `level` or above."""
    keep = _Records(level)
    with _handling(keep, names):
        yield keep.records


@contextmanager
def json_lines() -> Iterator[list[str]]:
    """Every line hocso logs, as the JSON the service writes."""
    keep = _Lines()
    with _handling(keep, ("hocso",)):
        yield keep.lines


def applied_order(records: list[logging.LogRecord], learner: str) -> list[str]:
    """The event ids of `learner`'s updates in the order the service applied them (each
    update's log line is written as soon as its turn is stored, before the next one runs)."""
    return [
        str(getattr(record, "event", ""))
        for record in list(records)
        if record.getMessage() == "update"
        and getattr(record, "learner", None) == learner
        and not getattr(record, "duplicate", False)
    ]
