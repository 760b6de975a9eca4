"""Turning an `Outbound` into the Telegram messages that carry it, without sending anything.

```json
{"text": "Who may know your *OTP*?", "buttons": [{"label": "Only me", "payload": "o:3f:0"}],
 "links": [{"label": "Open VNeID", "url": "https://vneid.gov.vn"}], "image": "media/otp.jpg"}
```
becomes one sendPhoto (parse_mode HTML):
```json
{"photo": "media/otp.jpg", "caption": "Who may know your <b>OTP</b>?",
 "reply_markup": {"inline_keyboard": [[{"text": "Only me", "callback_data": "o:3f:0"}],
                                      [{"text": "Open VNeID", "url": "https://vneid.gov.vn"}]]}}
```
`*bold*` and `_italic_` become `<b>` and `<i>`; every other character is text, escaped. A text
too long for one message is split at sentence ends (else line ends, else spaces), each part
HTML of its own, the buttons under the last; a caption too long goes after the photo.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.outbound import Button, Link, Outbound

__all__ = ["Part", "Run", "keyboard", "render", "runs", "split", "to_html"]

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


@dataclass(frozen=True)
class Part:
    """One Telegram message: HTML `text`, sent as the caption when there is an `image` (a
    file path or an URL), with the keyboard `markup` under it."""

    text: str
    image: str | None = None
    markup: InlineKeyboardMarkup | None = None


def render(message: Outbound) -> list[Part]:
    """The messages that carry `message`, in order; empty when there is nothing to show.
    ValueError when a button payload does not fit Telegram's callback_data."""
    markup = keyboard(message.buttons, message.links)
    text = runs(message.text)
    if message.image is not None:
        caption = split(text, MessageLimit.CAPTION_LENGTH)
        if len(caption) <= 1:
            return [Part(caption[0] if caption else "", message.image, markup)]
        photo = [Part("", message.image)]
    else:
        photo = []
    parts = split(text, MessageLimit.MAX_TEXT_LENGTH)
    if not parts:
        return photo
    return photo + [Part(part) for part in parts[:-1]] + [Part(parts[-1], markup=markup)]


def keyboard(buttons: Sequence[Button], links: Sequence[Link]) -> InlineKeyboardMarkup | None:
    """One button a row (big targets), the reply buttons first, then the links."""
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        size = len(button.payload.encode())
        if not 1 <= size <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
            raise ValueError(
                f"button {button.label!r}: payload {button.payload!r} is {size} bytes, "
                f"Telegram takes 1 to {InlineKeyboardButtonLimit.MAX_CALLBACK_DATA.value}"
            )
        rows.append([InlineKeyboardButton(button.label, callback_data=button.payload)])
    rows.extend([InlineKeyboardButton(link.label, url=link.url)] for link in links)
    return InlineKeyboardMarkup(rows) if rows else None


def to_html(text: str) -> str:
    """The whole text as Telegram HTML, however long."""
    return _html(runs(text))


def runs(text: str) -> list[Run]:
    """The text read into styled stretches; markers that do not pair up stay as text."""
    return list(_runs(text, bold=False, italic=False))


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


def _html(styled: Sequence[Run]) -> str:
    """Runs as HTML, a tag opened where its style starts and closed where it ends, so the
    tags always nest: `<b>a <i>b</i> c</b>`."""
    out: list[str] = []
    opened: list[str] = []
    for run in styled:
        wanted = [tag for tag, on in (("b", run.bold), ("i", run.italic)) if on]
        while any(tag not in wanted for tag in opened):
            out.append(f"</{opened.pop()}>")
        for tag in wanted:
            if tag not in opened:
                out.append(f"<{tag}>")
                opened.append(tag)
        out.append(html.escape(run.text, quote=False))
    out.extend(f"</{tag}>" for tag in reversed(opened))
    return "".join(out)


def split(styled: Sequence[Run], limit: int) -> list[str]:
    """The text as HTML parts of at most `limit` visible UTF-16 units each, trimmed of
    surrounding white space; no part when there is no text."""
    visible = "".join(run.text for run in styled)
    parts = []
    start = _skip_space(visible, 0)
    while start < len(visible):
        window = _fit(visible, start, limit)
        end = len(visible) if window == len(visible) else _cut(visible, start, window)
        parts.append(_html(_slice(styled, start, _trim_end(visible, start, end))))
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
