"""Reading what the Zalo Bot Platform posts to the webhook: one update in, one `Received` out.

The official docs show the update wrapped, production traffic has been seen flat; both are
read (see `handlers/zalo-wire-format.md` A.2):

```json
{"ok": true, "result": {"event_name": "message.text.received", "message": {...}}}
{"event_name": "message.text.received",
 "message": {"message_id": "2d758cb5e222177a4e35", "date": 1750316131602, "text": "Xin chào",
             "chat": {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
             "from": {"id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": false}}}
```
Events read: `message.text.received`, `message.image.received`, `message.sticker.received`,
`message.voice.received` (newer docs), `message.unsupported.received` (a sender whose content
Zalo withholds; it may come without a message). Any other event is acknowledged and ignored,
as are messages from bots and from groups. A text starting `/start` is text: no Zalo source
shows a bot link that sends one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.inbound import Inbound, Media, display_name

__all__ = ["BadUpdate", "Chat", "Message", "Received", "Update", "parse_update"]

TEXT = "message.text.received"
UNSUPPORTED = "message.unsupported.received"
# What a message without text is, for the engine's kind answer.
_MEDIA: dict[str, Media] = {
    "message.image.received": "photo",
    "message.sticker.received": "sticker",
    "message.voice.received": "voice",
    UNSUPPORTED: "other",
}
# Zalo ids are 20 hex digits in every sample; anything printable without spaces is taken, so
# an id of another shape still reaches the learner, while nothing odd gets into learner ids.
_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


class BadUpdate(ValueError):
    """Well-formed JSON that is not a Zalo Bot update (the webhook answers 400)."""


@dataclass(frozen=True)
class Chat:
    id: str
    private: bool  # chat_type PRIVATE (or none given); GROUP is "coming soon" on Zalo


@dataclass(frozen=True)
class Message:
    """The fields of `message` hocso reads."""

    message_id: str
    chat: Chat
    from_bot: bool  # from.is_bot
    text: str | None
    sender_name: str | None = None  # from.display_name: shown (masked) to the commune team

    @classmethod
    def de_json(cls, data: object) -> Message:
        if not isinstance(data, dict):
            raise BadUpdate(f"the message is {_json_kind(data)}, not an object")
        chat = data.get("chat")
        if not isinstance(chat, dict):
            raise BadUpdate("the message has no chat object")
        chat_type = chat.get("chat_type")
        if chat_type is not None and not isinstance(chat_type, str):
            raise BadUpdate("chat.chat_type is not text")
        sender = data.get("from")
        if sender is not None and not isinstance(sender, dict):
            raise BadUpdate("from is not an object")
        text = data.get("text")
        return cls(
            message_id=_id(data.get("message_id"), "message_id"),
            chat=Chat(
                _id(chat.get("id"), "chat.id"), (chat_type or "PRIVATE").upper() == "PRIVATE"
            ),
            from_bot=bool(sender and sender.get("is_bot") is True),
            text=text if isinstance(text, str) else None,
            sender_name=display_name(sender.get("display_name") if sender else None),
        )


@dataclass(frozen=True)
class Update:
    """One event: its name, and its message when it is an event hocso reads."""

    event_name: str
    message: Message | None
    message_id: str | None  # for the log line of an event left unread

    @classmethod
    def de_json(cls, data: object) -> Update:
        if not isinstance(data, dict):
            raise BadUpdate(f"a Zalo Bot update is a JSON object, not {_json_kind(data)}")
        result = data.get("result")
        if data.get("ok") is True and isinstance(result, dict):
            data = result  # the documented form; the flat one is read as it is
        event_name = data.get("event_name")
        if not isinstance(event_name, str) or not event_name:
            raise BadUpdate("a Zalo Bot update needs an event_name")
        raw = data.get("message")
        raw_id = raw.get("message_id") if isinstance(raw, dict) else None
        message_id = (
            str(raw_id) if isinstance(raw_id, str | int) and _ID.match(str(raw_id)) else None
        )
        if event_name != TEXT and event_name not in _MEDIA:
            return cls(event_name, None, message_id)
        try:
            message = Message.de_json(raw)
        except BadUpdate as error:
            if event_name == UNSUPPORTED:  # its content is withheld: it may carry nothing
                return cls(event_name, None, message_id)
            raise BadUpdate(f"{event_name}: {error}") from error
        if event_name == TEXT and message.text is None:
            raise BadUpdate(f"{event_name}: the message has no text")
        return cls(event_name, message, message.message_id)


@dataclass(frozen=True)
class Received:
    """One Zalo Bot update, parsed (see `webhook.intake.Parsed`)."""

    event_id: str  # "zb:<message_id>": what dedupe uses
    learner: str | None  # "zalobot:<chat id>"; None when no learner is concerned
    chat: str | None  # the chat id, where replies go
    inbound: Inbound | None  # what the engine handles; None for events it ignores
    kind: str  # "text", "media", "ignored:<why>": for logs


def parse_update(data: object) -> Received:
    """The update Zalo posted, as the engine's input; BadUpdate when it is not one."""
    update = Update.de_json(data)
    message = update.message
    event_id = f"zb:{update.message_id or '-'}"
    if message is None:
        return Received(event_id, None, None, None, f"ignored:{_short(update.event_name)}")
    if message.from_bot:
        return Received(event_id, None, None, None, "ignored:bot")
    if not message.chat.private:
        return Received(event_id, None, None, None, "ignored:group")
    learner, chat = f"zalobot:{message.chat.id}", message.chat.id
    if update.event_name == TEXT:
        assert message.text is not None  # Update.de_json checked it
        inbound = Inbound(learner, text=message.text, name=message.sender_name)
        return Received(event_id, learner, chat, inbound, "text")
    inbound = Inbound(learner, media=_MEDIA[update.event_name], name=message.sender_name)
    return Received(event_id, learner, chat, inbound, "media")


def _id(value: Any, name: str) -> str:
    """An id as text: Zalo sends strings; a number is taken too."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadUpdate(f"{name} is missing or not text")
    text = str(value)
    if not _ID.match(text):
        raise BadUpdate(f"{name} is not an id")
    return text


def _short(event_name: str) -> str:
    """ "message.reaction.received" -> "reaction", for the log's kind."""
    name = event_name.removeprefix("message.").removesuffix(".received")
    return re.sub(r"[^a-z0-9_.-]", "", name.lower())[:40] or "event"


def _json_kind(data: object) -> str:
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return "null" if data is None else names.get(type(data), type(data).__name__)
