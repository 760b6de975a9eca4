"""What the engine asks a channel to send. Channels render these their own way.

```json
{"text": "Ai được biết mã OTP của bác?",
 "buttons": [{"label": "Chỉ mình tôi", "payload": "o:3f9a1c0b2d:0"}],
 "links": [{"label": "Mở VNeID", "url": "https://vneid.gov.vn"}],
 "image": "/srv/hocso/content/media/otp.jpg"}
```
Text may carry `*bold*` and `_italic_`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lessons.steps import Link

__all__ = ["Button", "Link", "Outbound"]


@dataclass(frozen=True)
class Button:
    """A reply button: `label` is shown, `payload` comes back when it is tapped."""

    label: str
    payload: str


@dataclass(frozen=True)
class Outbound:
    """One message. `image` is a file path or an https URL."""

    text: str
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    image: str | None = None
