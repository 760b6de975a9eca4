"""Turning an `Outbound` into the consultation messages of the Zalo OA API that carry it,
without sending anything.

```json
{"text": "Ai được biết mã *OTP* của bác?",
 "buttons": [{"label": "Chỉ mình tôi", "payload": "o:3f:0"}],
 "links": [{"label": "Mở VNeID", "url": "https://vneid.gov.vn"}], "image": "media/otp.jpg"}
```
becomes a picture (a media template, by URL) and then the text with its buttons:
```json
{"attachment": {"type": "template", "payload": {"template_type": "media",
  "elements": [{"media_type": "image", "url": "https://hocso.example.vn/media/otp.jpg"}]}}}
{"text": "Ai được biết mã OTP của bác?",
 "attachment": {"type": "template", "payload": {"buttons": [
   {"type": "oa.query.show", "title": "Chỉ mình tôi", "payload": "Chỉ mình tôi"},
   {"type": "oa.open.url", "title": "Mở VNeID", "payload": {"url": "https://vneid.gov.vn"}}]}}}
```
Zalo has no formatting: `*bold*` and `_italic_` markers are dropped. A reply button's payload
is its label: a tap sends the payload as the learner's own message, shown in the chat, and
the engine reads a label as a tap on its buttons. At most 5 buttons go under one message; the
rest follow in messages of their own under a short sentence (`more`). A text over 2000
characters (Zalo refuses it, -210) is split at sentence ends, the buttons under the last part.
"""

from __future__ import annotations

from typing import Any

from bot.outbound import Button, Link, Outbound
from lessons.markup import runs, split

__all__ = ["MAX_BUTTONS", "MAX_TEXT", "render"]

MAX_TEXT = 2000  # characters of one text message
MAX_BUTTONS = 5  # buttons under one message
MAX_TITLE = 100  # characters of a button's title
MAX_PAYLOAD = 1000  # characters of an oa.query.* payload


def render(message: Outbound, *, image_url: str | None, more: str) -> list[dict[str, Any]]:
    """The `message` objects of the API calls that carry `message`, in order; `image_url` is
    where Zalo fetches its picture (None: no picture is sent). ValueError when a button
    cannot be made (a label longer than Zalo's payloads)."""
    buttons = [_query(button) for button in message.buttons]
    buttons += [_open_url(link) for link in message.links]
    groups = [buttons[at : at + MAX_BUTTONS] for at in range(0, len(buttons), MAX_BUTTONS)]
    out: list[dict[str, Any]] = []
    if image_url is not None:
        out.append(_template({"template_type": "media", "elements": [_image(image_url)]}))
    parts = split(runs(message.text), MAX_TEXT)
    if not parts and groups:
        parts = [more]
    out += [{"text": part} for part in parts]
    if groups:
        out[-1] = {**out[-1], **_template({"buttons": groups[0]})}
    out += [{"text": more, **_template({"buttons": group})} for group in groups[1:]]
    return out


def _query(button: Button) -> dict[str, Any]:
    label = button.label.strip()
    if not 1 <= len(label) <= MAX_PAYLOAD:
        raise ValueError(f"button {button.label[:40]!r}: a label is 1 to {MAX_PAYLOAD} characters")
    return {"type": "oa.query.show", "title": _title(label), "payload": label}


def _open_url(link: Link) -> dict[str, Any]:
    return {"type": "oa.open.url", "title": _title(link.label), "payload": {"url": link.url}}


def _title(label: str) -> str:
    return label if len(label) <= MAX_TITLE else label[: MAX_TITLE - 1].rstrip() + "…"


def _image(url: str) -> dict[str, Any]:
    return {"media_type": "image", "url": url}


def _template(payload: dict[str, Any]) -> dict[str, Any]:
    return {"attachment": {"type": "template", "payload": payload}}
