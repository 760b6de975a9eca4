"""Turning an `Outbound` into the Zalo Bot messages that carry it, without sending anything.

The Bot Platform has no buttons and shows plain text (its `parse_mode` appears in one copy of
the docs only), so

```json
{"text": "Ai được biết mã *OTP* của bác?",
 "buttons": [{"label": "Chỉ mình tôi", "payload": "o:3f:0"},
             {"label": "Cả nhà", "payload": "o:3f:1"}],
 "links": [{"label": "Mở VNeID", "url": "https://vneid.gov.vn"}]}
```
becomes one sendMessage text:
```
Ai được biết mã OTP của bác?

Mở VNeID: https://vneid.gov.vn

1. Chỉ mình tôi
2. Cả nhà
👉 Bác gõ số hoặc gõ chữ để chọn nhé.
```
The learner answers by number or words: the engine reads either against the buttons of its
last message. Words that tell the learner to tap one of these buttons are said for typing
(`bot.typed`: "bấm nút *Tiếp tục ▶*" becomes "gõ số *1* (Tiếp tục ▶)"). The list's line
and hint are content (`reading.option`, `channel.numbered_hint`).
A text over 2000 characters (Zalo's limit for a text and a caption) is split at sentence
ends, else line ends, else spaces, the list kept whole after the last part where it fits. A
picture goes by URL with the whole text as its caption when that fits, else before the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Messages
from bot.outbound import Outbound
from bot.typed import typed
from lessons.markup import Run, plain, runs, split

__all__ = ["MAX_TEXT", "Part", "render"]

MAX_TEXT = 2000  # sendMessage text and sendPhoto caption: 1 to 2000 characters


@dataclass(frozen=True)
class Part:
    """One Zalo message: plain `text`, the caption when there is a `photo` URL."""

    text: str
    photo: str | None = None


def render(message: Outbound, messages: Messages, photo: str | None = None) -> list[Part]:
    """The messages that carry `message`, in order; empty when there is nothing to show.
    `photo`: the URL Zalo fetches the message's image from (None: the words only)."""
    # No buttons here: "bấm nút *Tiếp tục ▶*" is said "gõ số *1* (Tiếp tục ▶)" (bot.typed).
    labels = [button.label for button in message.buttons]
    body = plain(runs(typed(message.text, labels, messages))).strip()
    links = "\n".join(f"{link.label}: {link.url}" for link in message.links)
    options = [
        messages.text("reading.option", number=number, label=button.label)
        for number, button in enumerate(message.buttons, start=1)
    ]
    hint = messages.text("channel.numbered_hint") if options else ""
    if options and body.rsplit("\n", 1)[-1] in options:
        # The engine's "which one did you mean?" already ends with these options, numbered
        # as here (`reading.options`): the list is not shown twice.
        body, options = f"{body}\n{hint}", []
    choices = "\n".join([*options, hint]) if options else ""
    tail = "\n\n".join(block for block in (links, choices) if block)
    whole = "\n\n".join(block for block in (body, tail) if block)
    if photo is not None:
        if _fits(whole):
            return [Part(whole, photo)]
        return [Part("", photo), *_texts(body, tail)]
    return _texts(body, tail)


def _texts(body: str, tail: str) -> list[Part]:
    parts = split([Run(body)], MAX_TEXT)
    if tail:
        joined = f"{parts[-1]}\n\n{tail}" if parts else tail
        if _fits(joined):
            parts[-1:] = [joined]
        else:
            parts += split([Run(tail)], MAX_TEXT)
    return [Part(text) for text in parts]


def _fits(text: str) -> bool:
    """Whether `text` fits one message, counted in UTF-16 units like `lessons.markup.split`
    (Zalo's servers are Java: an emoji is likely two characters to them)."""
    return len(text.encode("utf-16-le")) // 2 <= MAX_TEXT
