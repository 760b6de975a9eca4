"""Structured logs: one JSON object a line, never a learner's words.

{"at": "2026-11-23T10:00:00.123+07:00", "level": "info", "logger": "hocso.webhook",
 "msg": "update", "channel": "telegram", "learner": "tg:5", "kind": "button",
 "step": "cau-1", "ms": 3.1}
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from bot.learner import VIETNAM

LEVEL_ENV = "HOCSO_LOG_LEVEL"

FIELDS = (
    "channel", "learner", "event", "kind", "step", "ms", "duplicate", "status", "error",
    "suppressed", "version", "previous", "reason", "problems", "warnings",
    "due", "sent", "held", "repeats", "busy", "request", "outcome", "count",
)  # fmt: skip


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, VIETNAM).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup(level: str = "INFO") -> None:
    """Send hocso's logs to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("hocso")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def uvicorn_config(level: str = "INFO") -> dict[str, object]:
    """uvicorn's own log lines (start, stop, errors) as the same JSON lines, for
    `uvicorn.run(log_config=...)`."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    quiet = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "loggers": {"uvicorn": quiet, "uvicorn.error": {"level": level.upper()},
                    "uvicorn.access": quiet},
    }  # fmt: skip
