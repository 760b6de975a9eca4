"""A message's text as every channel reads it: `*bold*` and `_italic_` markers into styled
runs (`runs`), and a text too long for one message into parts (`split`), each rendered the
channel's way (Telegram: HTML; Zalo: plain text, `plain`).

A part ends, best first, after a sentence, at a line end, at a space, else where the limit
falls; parts are trimmed of surrounding white space.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["Run", "plain", "runs", "split"]

# A marker opens after a non-letter and closes before one, so snake_case, 5*3*2 and URLs stay
# as they are; the marked text starts and ends with a non-space and stays on one line.
_BOLD = re.compile(r"(?<!\*)(?<![^\W_])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?!\*)(?![^\W_])")
_ITALIC = re.compile(r"(?<!\w)_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)")

# Where a part may end, best first: after a sentence, at a line end, at a space.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s)")
_LINE_END = re.compile(r"(?=\n)")
_SPACE = re.compile(r"(?=\s)")


@dataclass(frozen=True)
class Run:
    """A stretch of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False


def runs(text: str) -> list[Run]:
    """The text read into styled stretches; markers that do not pair up stay as text."""
    return list(_runs(text, bold=False, italic=False))


def plain(styled: Sequence[Run]) -> str:
    """The runs as plain text, the markers gone (for channels without formatting)."""
    return "".join(run.text for run in styled)


def _runs(text: str, *, bold: bool, italic: bool) -> Iterator[Run]:
    at = 0
    while at < len(text):
        found = [
            (match, is_bold)
            for pattern, is_bold, used in ((_BOLD, True, bold), (_ITALIC, False, italic))
            if not used and (match := pattern.search(text, at)) is not None
        ]
        if not found:
            break
        match, is_bold = min(found, key=lambda pair: pair[0].start())
        if match.start() > at:
            yield Run(text[at : match.start()], bold, italic)
        # The inner text is searched on its own, so the other marker nests only inside it.
        yield from _runs(match.group(1), bold=bold or is_bold, italic=italic or not is_bold)
        at = match.end()
    if at < len(text):
        yield Run(text[at:], bold, italic)


def split(
    styled: Sequence[Run], limit: int, render: Callable[[Sequence[Run]], str] = plain
) -> list[str]:
    """The text as parts of at most `limit` visible UTF-16 units each, trimmed of surrounding
    white space, each made by `render`; no part when there is no text."""
    visible = "".join(run.text for run in styled)
    parts = []
    start = _skip_space(visible, 0)
    while start < len(visible):
        window = _fit(visible, start, limit)
        end = len(visible) if window == len(visible) else _cut(visible, start, window)
        parts.append(render(_slice(styled, start, _trim_end(visible, start, end))))
        start = _skip_space(visible, end)
    return parts


def _fit(text: str, start: int, limit: int) -> int:
    """The furthest end such that text[start:end] fits `limit` UTF-16 units."""
    used = 0
    for at in range(start, len(text)):
        used += 2 if ord(text[at]) > 0xFFFF else 1
        if used > limit:
            return at
    return len(text)


def _cut(text: str, start: int, window: int) -> int:
    """Where to end a part that cannot reach past `window`: the last sentence end in it, else
    the last line end, else the last space, else the window itself."""
    # One character beyond the window is looked at: a space there makes the window a boundary.
    span = text[start : window + 1]
    for pattern in (_SENTENCE_END, _LINE_END, _SPACE):
        ends = [start + match.end() for match in pattern.finditer(span)]
        ends = [end for end in ends if start < end <= window]
        if ends:
            return ends[-1]
    return window


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _slice(styled: Sequence[Run], start: int, end: int) -> list[Run]:
    """The runs covering visible characters start to end."""
    out = []
    offset = 0
    for run in styled:
        left, right = max(start, offset), min(end, offset + len(run.text))
        if left < right:
            out.append(Run(run.text[left - offset : right - offset], run.bold, run.italic))
        offset += len(run.text)
    return out
