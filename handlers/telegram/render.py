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

A message with a `certificate` is its picture, the text as its caption, then its PDF as a
document under which the buttons go (both drawn when sent: `handlers.base.CertificateFiles`).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.outbound import Button, Link, Outbound
from lessons import markup as shared
from lessons.markup import Run, runs

__all__ = ["Part", "Run", "keyboard", "render", "runs", "split", "to_html"]


@dataclass(frozen=True)
class Part:
    """One Telegram message: HTML `text`, sent as the caption when there is an `image` (a
    file path or an URL), with the keyboard `markup` under it. `certificate`: the number of a
    certificate whose picture (or, with `document`, whose PDF) this message is."""

    text: str
    image: str | None = None
    markup: InlineKeyboardMarkup | None = None
    certificate: str | None = None
    document: bool = False

    @functools.cached_property
    def reply_markup(self) -> dict[str, Any] | None:
        """`markup` as the Bot API's JSON, worked out once per part."""
        return None if self.markup is None else self.markup.to_dict()


def render(message: Outbound) -> list[Part]:
    """The messages that carry `message`, in order; empty when there is nothing to show.
    ValueError when a button payload does not fit Telegram's callback_data.

    A lesson step's message is the same for every learner who reaches it, so the last few
    hundred renderings are kept (parts are immutable)."""
    return list(_render(message))


@functools.lru_cache(maxsize=512)
def _render(message: Outbound) -> tuple[Part, ...]:
    return tuple(_parts(message))


def _parts(message: Outbound) -> list[Part]:
    markup = keyboard(message.buttons, message.links)
    text = runs(message.text)
    if message.certificate is not None:
        code = message.certificate
        caption = split(text, MessageLimit.CAPTION_LENGTH)
        pdf = Part("", markup=markup, certificate=code, document=True)
        if len(caption) <= 1:
            return [Part(caption[0] if caption else "", certificate=code), pdf]
        said = [Part(part) for part in split(text, MessageLimit.MAX_TEXT_LENGTH)]
        return [Part("", certificate=code), *said, pdf]
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
    surrounding white space; no part when there is no text (see `lessons.markup.split`)."""
    return shared.split(styled, limit, _html)
