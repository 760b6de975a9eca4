"""What a channel hands the engine: one learner's message.

```json
{"learner": "tg:12345", "text": "dc r"}
{"learner": "tg:12345", "payload": "o:3f9a1c0b2d:1"}
{"learner": "zalo:8842", "start": "an-toan-otp_V123"}
{"learner": "web:a1b2", "media": "sticker"}
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Media = Literal["sticker", "photo", "voice", "video", "file", "location", "other"]


@dataclass(frozen=True)
class Inbound:
    """Exactly one of `text`, `payload` (a tapped button), `start` (opening the bot, with a
    deep-link payload or "" for none) or `media` (a message with no text) is set."""

    learner: str
    text: str | None = None
    payload: str | None = None
    start: str | None = None
    media: Media | None = None
    name: str | None = None
    """The name the channel shows for the learner (Telegram's first and last name, Zalo's
    display name), when it gives one: the commune team sees it masked in lists."""


NAME_LENGTH = 60


def display_name(name: object) -> str | None:
    """A channel's name for a learner, trimmed to `NAME_LENGTH` characters; None for none."""
    if not isinstance(name, str):
        return None
    cleaned = " ".join(name.split())[:NAME_LENGTH]
    return cleaned or None
