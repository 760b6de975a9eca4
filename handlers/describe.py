"""Saying what a malformed value is without quoting it, for a 400's answer and its log line:
its type, its length, and at most a few safe characters of a string.

    describe(["Tôi tên Gấm"] * 3)   -> "a list of 3 items"
    describe("x" * 5000)            -> "a string of 5000 characters (`xxxxxxxx…`)"
    describe(10**40)                -> "a number of 41 digits"
    clipped("TypeError: not 'Tôi tên Gấm'") -> "TypeError: not <a string of 11 characters (`T…`)>"

Whatever a platform posts may be anything: a learner's words in an odd place, or megabytes
made to fill the logs.
"""

from __future__ import annotations

import re

__all__ = ["PREFIX", "clipped", "cut", "describe"]

PREFIX = 8  # safe characters of a string shown at most
CLIPPED = 200  # characters of a message at most

_SAFE = re.compile(r"[A-Za-z0-9_.:-]*")
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")  # a field or class name, as error messages quote them


def describe(value: object) -> str:
    """What `value` (as `json.loads` makes it) is, never quoting more than PREFIX characters
    of `[A-Za-z0-9_.:-]` from the start of a string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"a number of {_count(len(str(abs(value))), 'digit')}"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return f"a string of {_count(len(value), 'character')}{_start(value)}"
    if isinstance(value, list):
        return f"a list of {_count(len(value), 'item')}"
    if isinstance(value, dict):
        return f"an object of {_count(len(value), 'key')}"
    return f"a {type(value).__name__}"


def clipped(message: str) -> str:
    """Another library's error message made safe to log or answer: its first line, every
    quoted value but a name described instead (`describe`), at most CLIPPED characters."""
    lines = message.strip().splitlines()
    return cut(_QUOTED.sub(_quoted, lines[0]) if lines else "")


def cut(text: str, limit: int = CLIPPED) -> str:
    """`text`, cut to `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(match: re.Match[str]) -> str:
    inner = match.group()[1:-1]
    return match.group() if _NAME.fullmatch(inner) else f"<{describe(inner)}>"


def _start(text: str) -> str:
    shown = _SAFE.match(text[:PREFIX])
    start = shown.group() if shown is not None else ""
    if not start:
        return ""
    return f" (`{start}`)" if start == text else f" (`{start}…`)"


def _count(number: int, what: str) -> str:
    return f"{number} {what}" if number == 1 else f"{number} {what}s"
