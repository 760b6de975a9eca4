"""Reading what a Zalo Official Account posts to the webhook: one event in, one `Received` out.

The fields read (OA API v3 webhook; ids are strings, `timestamp` epoch milliseconds):

```json
{"app_id": "360846524940903967", "event_name": "user_send_text", "timestamp": "1763884800000",
 "sender": {"id": "246845883529197922"}, "recipient": {"id": "388613280878808645"},
 "message": {"msg_id": "96d3cdf3af150460909", "text": "Chỉ mình tôi"}}
{"app_id": "…", "event_name": "user_send_image", "timestamp": "…", "sender": {"id": "…"},
 "message": {"msg_id": "…", "text": "", "attachments": [{"type": "image", "payload": {…}}]}}
{"app_id": "…", "event_name": "follow", "timestamp": "…", "oa_id": "…",
 "source": "oa_profile", "follower": {"id": "246845883529197922"}}
```
A tapped `oa.query.show` button comes back as `user_send_text` whose text is the button's
payload, which `render` makes the button's label: the engine reads a label as a tap.
`follow` greets (and shows the menu); what the learner sends without text gets the media
answers; echoes of the OA's own messages (`oa_send_*`), receipts, `unfollow` and kinds
newer than this code are acknowledged and ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.inbound import Inbound, Media

__all__ = ["BadEvent", "Received", "parse_event"]

# What the learner sent without text, in the engine's words.
MEDIA: dict[str, Media] = {
    "user_send_image": "photo",
    "user_send_gif": "sticker",
    "user_send_sticker": "sticker",
    "user_send_audio": "voice",
    "user_send_video": "video",
    "user_send_file": "file",
    "user_send_location": "location",
    "user_send_link": "other",
    "user_send_business_card": "other",
}
# Zalo's ids are digits; anything that could not be one is refused rather than made a learner.
_USER_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_EVENT_NAME = re.compile(r"^[a-z0-9_.]{1,64}$")
# Zalo's message ids are hex digits; one of another shape is still an event id, if printable
# ASCII that every store keeps (a lone surrogate, for one, fails in SQLite and Redis alike).
_MSG_ID = re.compile(r"[\x21-\x7e]{1,128}")


@dataclass(frozen=True)
class Received:
    """One Zalo OA event, parsed."""

    event_id: str  # "zoa:<msg_id>" (or "zoa:<event>:<user>:<timestamp>"): what dedupe uses
    learner: str | None  # "zalo:<user id>"; None when no learner is concerned
    chat: str | None  # the user id, where replies go
    inbound: Inbound | None  # what the engine handles; None for kinds it ignores
    kind: str  # "text", "start", "media", "ignored:<why>": for logs


class BadEvent(ValueError):
    """Well-formed JSON that is not a Zalo OA event (the webhook answers 400)."""


def parse_event(data: object, timestamp: str) -> Received:
    """The event Zalo posted (its `timestamp` as signed), as the engine's input; BadEvent
    when it is not one."""
    if not isinstance(data, dict):
        raise BadEvent("a Zalo OA event is a JSON object")
    name = data.get("event_name")
    if not isinstance(name, str) or not _EVENT_NAME.match(name):
        raise BadEvent("a Zalo OA event needs an event_name")
    message = data.get("message")
    if message is not None and not isinstance(message, dict):
        raise BadEvent(f"{name}: message is not an object")
    if name == "follow":
        user = _user(data, "follower", name)
        return _received(name, None, user, timestamp, Inbound(_learner(user), start=""), "start")
    if name == "user_send_text":
        user = _user(data, "sender", name)
        text = (message or {}).get("text")
        if not isinstance(text, str):
            raise BadEvent(f"{name}: message.text is not text")
        return _received(name, message, user, timestamp, Inbound(_learner(user), text=text), "text")
    if name in MEDIA:
        user = _user(data, "sender", name)
        inbound = Inbound(_learner(user), media=MEDIA[name])
        return _received(name, message, user, timestamp, inbound, "media")
    if name == "unfollow":
        user = _user(data, "follower", name)
        return _received(name, None, user, timestamp, None, "ignored:unfollow")
    return _received(name, message, None, timestamp, None, f"ignored:{_ignored(name)}")


def _ignored(name: str) -> str:
    if name.startswith("oa_send_"):
        return "echo"  # the OA's own message (ours, or an admin's from the chat tool)
    if name in ("user_seen_message", "user_received_message"):
        return "receipt"
    return name


def _received(
    name: str,
    message: dict[str, Any] | None,
    user: str | None,
    timestamp: str,
    inbound: Inbound | None,
    kind: str,
) -> Received:
    msg_id = (message or {}).get("msg_id")
    if isinstance(msg_id, str) and _MSG_ID.fullmatch(msg_id):
        event_id = f"zoa:{msg_id}"
    else:  # follow, unfollow and the like carry no msg_id
        event_id = f"zoa:{name}:{user or '-'}:{timestamp}"
    learner = None if user is None else _learner(user)
    return Received(event_id, learner, user if inbound else None, inbound, kind)


def _user(data: dict[str, Any], field: str, name: str) -> str:
    """The user id under `field` ({"id": "…"}), as text."""
    holder = data.get(field)
    user = holder.get("id") if isinstance(holder, dict) else None
    if isinstance(user, int) and not isinstance(user, bool) and user >= 0:
        user = str(user)
    if not isinstance(user, str) or not _USER_ID.match(user):
        raise BadEvent(f"{name}: {field}.id is not a Zalo user id")
    return user


def _learner(user: str) -> str:
    return f"zalo:{user}"
