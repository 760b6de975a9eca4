"""What the web chat page posts, read into an `Inbound`.

The learner is `web:<chat>`, where `<chat>` is a digest of the token in their cookie
(`handlers.web.cookie`), so that logs, reports and the store never hold the token itself
(whoever has it can speak as the learner). `POST /chat/api/send` bodies:

```json
{"id": "k3J9-a81Qz", "text": "chi minh toi"}
{"id": "k3J9-a81R0", "payload": "o:3f9a1c0b2d:0"}
{"id": "k3J9-a81R1", "start": "an-toan-otp_V123"}
```
`id` is the page's own id for the message (8 to 64 of `A-Za-z0-9_-`), the same for every retry
of it, so the event id `web:<chat>:<id>` makes a repeated POST count once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.inbound import Inbound

__all__ = ["BadMessage", "Received", "parse_message"]

MAX_PAYLOAD = 256  # the engine's button payloads are far shorter

_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_START = re.compile(r"[A-Za-z0-9_-]{0,64}")  # bot.deeplink's format
_KINDS = {"text": "text", "payload": "button", "start": "start"}


class BadMessage(ValueError):
    """A body that is not one of the page's messages."""


@dataclass(frozen=True)
class Received:
    """One message from the page, as `webhook.intake.take` wants it."""

    event_id: str
    chat: str
    inbound: Inbound
    kind: str


def parse_message(data: Any, chat: str) -> Received:
    """The message a body carries for `chat`; BadMessage says what is wrong (never quoting
    the learner's words, which must not reach the logs)."""
    if not isinstance(data, dict):
        raise BadMessage("expected a JSON object")
    client_id = data.get("id")
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise BadMessage("'id' must be 8 to 64 characters of A-Z a-z 0-9 _ -")
    given = [name for name in _KINDS if name in data]
    if len(given) != 1:
        raise BadMessage("exactly one of 'text', 'payload' and 'start' is needed")
    name = given[0]
    value = data[name]
    if not isinstance(value, str):
        raise BadMessage(f"'{name}' must be a string")
    if name == "payload" and not 0 < len(value) <= MAX_PAYLOAD:
        raise BadMessage(f"'payload' must be 1 to {MAX_PAYLOAD} characters")
    if name == "start" and not _START.fullmatch(value):
        raise BadMessage("'start' must be at most 64 characters of A-Z a-z 0-9 _ -")
    learner = f"web:{chat}"
    inbound = Inbound(
        learner,
        text=value if name == "text" else None,
        payload=value if name == "payload" else None,
        start=value if name == "start" else None,
    )
    return Received(f"{learner}:{client_id}", chat, inbound, _KINDS[name])
