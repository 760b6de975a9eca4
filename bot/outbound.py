"""What the engine asks a channel to send. Channels render these their own way.

```json
{"text": "Ai được biết mã OTP của bác?",
 "buttons": [{"label": "Chỉ mình tôi", "payload": "o:3f9a1c0b2d:0"}],
 "links": [{"label": "Mở VNeID", "url": "https://vneid.gov.vn"}],
 "image": "/srv/hocso/content/media/otp.jpg"}
{"text": "🏅 Giấy chứng nhận *An toàn trên mạng* của bác…", "certificate": "HS-7K2P-9QXD"}
```
Text may carry `*bold*` and `_italic_`. `certificate` is the number of a certificate to show
with the text: drawn when the message is sent, with the name the learner has then, as a
picture and a PDF to print (`webhook.certificates` says how each channel carries them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lessons.steps import Link

__all__ = ["Button", "Link", "Outbound", "from_body", "to_body"]


@dataclass(frozen=True)
class Button:
    """A reply button: `label` is shown, `payload` comes back when it is tapped."""

    label: str
    payload: str


@dataclass(frozen=True)
class Outbound:
    """One message. `image` is a file path or an https URL; `certificate` a certificate's
    number, whose picture and PDF go with the text."""

    text: str
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    image: str | None = None
    certificate: str | None = None


def to_body(message: Outbound) -> dict[str, Any]:
    """The JSON an outbox keeps for a message (see `bot.stores.base.Delivery`)."""
    body: dict[str, Any] = {"kind": "message", "text": message.text}
    if message.buttons:
        body["buttons"] = [[button.label, button.payload] for button in message.buttons]
    if message.links:
        body["links"] = [[link.label, link.url] for link in message.links]
    if message.image:
        body["image"] = message.image
    if message.certificate:
        body["certificate"] = message.certificate
    return body


def from_body(body: dict[str, Any]) -> Outbound:
    """The message an outbox body stands for."""
    return Outbound(
        text=body["text"],
        buttons=tuple(Button(label, payload) for label, payload in body.get("buttons", [])),
        links=tuple(Link(label, url) for label, url in body.get("links", [])),
        image=body.get("image"),
        certificate=body.get("certificate"),
    )
