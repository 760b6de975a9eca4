"""Reading what Telegram posts to the webhook: one update in, one `Received` out.

The fields read (PTB's `Update.de_json` parses the rest, and unknown fields are kept aside):

```json
{"update_id": 10001,
 "message": {"message_id": 7, "date": 1763884800, "text": "/start an-toan-otp_V12",
             "chat": {"id": 12345, "type": "private", "first_name": "Lan"},
             "from": {"id": 12345, "is_bot": false, "first_name": "Lan"}}}
{"update_id": 10002,
 "callback_query": {"id": "4382000001", "chat_instance": "-7700", "data": "o:3f9a1c0b2d:1",
                    "from": {"id": 12345, "is_bot": false, "first_name": "Lan"},
                    "message": {"message_id": 8, "date": 1763884800,
                                "chat": {"id": 12345, "type": "private"}}}}
{"update_id": 10003,
 "my_chat_member": {"date": 1763884800, "chat": {"id": 12345, "type": "private"},
                    "from": {"id": 12345, "is_bot": false, "first_name": "Lan"},
                    "old_chat_member": {"status": "member", "user": {"id": 4242, ...}},
                    "new_chat_member": {"status": "kicked", "until_date": 0,
                                        "user": {"id": 4242, ...}}}}
{"update_id": 10004,
 "message": {"message_id": 31, "date": 1763884800, "text": "Bác gọi ngay tổng đài nhé",
             "chat": {"id": -1001234567890, "type": "supergroup", "title": "Hỗ trợ An Phú"},
             "from": {"id": 555, "is_bot": false, "first_name": "Hoa"},
             "reply_to_message": {"message_id": 30, "date": 1763884700,
                                  "chat": {"id": -1001234567890, "type": "supergroup"},
                                  "from": {"id": 4242, "is_bot": true, "first_name": "Học Số"},
                                  "text": "🙋 #H-7K2P · Học viên cần người giúp …"}}}
```

Only private chats are learners. A `my_chat_member` update of a private chat is no message: it
says the learner blocked the bot (`kicked`) or unblocked it (`member`), as `reach`. In a group
(a desk, `bot.helpdesk`), a message that replies to one of the bot's messages naming a request
(`#H-7K2P`) is a helper's answer to it, and `/xong` in reply closes it (`staff`); `/id`
(`/id@<bot>`) asks the group's chat id, for setting a desk up (kind `desk_id`, `chat` the
group's id). Everything else is acknowledged and ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import CallbackQuery, ChatMemberUpdated, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, UpdateType

from bot.helpdesk import CODE
from bot.inbound import Inbound, Media, display_name
from handlers.describe import clipped, describe

__all__ = ["BadUpdate", "Received", "Staff", "parse_update"]

# "/start", "/start@hocso_bot an-toan-otp", "/menu": a command, the bot it names, the rest.
_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?:\s+(.*?))?\s*$", re.DOTALL)
# What Telegram lets a t.me/<bot>?start= link carry.
_START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{0,64}$")
# The bytes of a button's callback_data, as Telegram allows them: no button hocso sent has more.
CALLBACK_DATA = 64
# A callback query's id, answered in the webhook's response: Telegram's are digits.
_CALLBACK_ID = re.compile(r"[\x21-\x7e]{1,128}")
# The update kinds read; the others (edits, channel posts, inline queries, polls, kinds newer
# than this code) are acknowledged and ignored.
_READ = {UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY, UpdateType.MY_CHAT_MEMBER}
# What a helper writes in a desk's group to close a request ("/xong", "/xong@hocso_bot").
CLOSING = ("xong", "done")


@dataclass(frozen=True)
class Staff:
    """A helper's message in a desk's group, about the request `code`: an answer (`text`), or
    `/xong` in reply (`text` None: close it). `who` is the helper's first name as Telegram
    shows it."""

    chat: str
    code: str
    who: str
    text: str | None


@dataclass(frozen=True)
class Received:
    """One Telegram update, parsed."""

    event_id: str  # "tg:<update_id>": what dedupe uses
    learner: str | None  # "tg:<chat_id>" (private chats); None when no learner is concerned
    chat: str | None  # chat id as text, where replies go
    inbound: Inbound | None  # what the engine handles; None for update kinds it ignores
    callback_id: str | None  # a button tap, to acknowledge with answerCallbackQuery
    kind: str  # "text", "start", "button", "media", "blocked", "staff", "ignored:<why>": logs
    reach: str | None = None  # "blocked" or "unblocked": whether the learner's chat is reachable
    staff: Staff | None = None  # a helper's message in a desk's group


class BadUpdate(ValueError):
    """Well-formed JSON that is not a Telegram update (the webhook answers 400)."""


def parse_update(data: object) -> Received:
    """The update Telegram posted, as the engine's input; BadUpdate when it is not one."""
    if not isinstance(data, dict):
        raise BadUpdate(f"a Telegram update is a JSON object, not {_json_kind(data)}")
    update_id = data.get("update_id")
    if not _integer(update_id):
        raise BadUpdate(f"a Telegram update needs an integer update_id, not {describe(update_id)}")
    kind = next((str(name) for name in Update.ALL_TYPES if data.get(name) is not None), "unknown")
    event_id = f"tg:{update_id}"
    if kind not in _READ:
        # Not parsed at all: PTB refusing a kind hocso ignores anyway must not turn it into a 400.
        return Received(event_id, None, None, None, None, f"ignored:{kind}")
    try:
        # PTB checks little of what it is given: a field of the wrong type may only fail
        # when it is read, so reading the update is inside the guard too.
        update = Update.de_json({"update_id": update_id, kind: _lean(kind, data[kind])}, None)
        if update.message is not None:
            return _message(event_id, update.message)
        if update.callback_query is not None:
            return _callback(event_id, update.callback_query)
        if update.my_chat_member is not None:
            return _membership(event_id, update.my_chat_member)
    except _MALFORMED as exc:
        # PTB's messages, and the odd value in them, said without quoting the value.
        why = clipped(f"{type(exc).__name__}: {exc}")
        problem = f"update {update_id} has a {kind} not shaped like Telegram's ({why})"
        raise BadUpdate(problem) from exc
    raise AssertionError(f"unhandled update kind {kind}")  # _READ and the above disagree


def _lean(kind: str, value: object) -> object:
    """Only what hocso reads: a tapped button's message comes with its whole text and
    keyboard, which nothing here uses and PTB is slow to build (a third of a turn's parse)."""
    if kind != "callback_query" or not isinstance(value, dict):
        return value
    message = value.get("message")
    if not isinstance(message, dict):
        return value
    kept = {key: message[key] for key in ("message_id", "date", "chat") if key in message}
    return {**value, "message": kept}


_MALFORMED = (
    AttributeError,
    KeyError,
    TypeError,
    ValueError,
    OverflowError,
    RecursionError,
    OSError,
)  # OSError: a date too far for the platform's clock (datetime.fromtimestamp)


def _message(event_id: str, message: Message) -> Received:
    chat = message.chat
    if chat.type != ChatType.PRIVATE:
        staff = _staff(message)
        if staff is not None:
            return Received(event_id, None, None, None, None, "staff", staff=staff)
        command = _COMMAND.match(message.text or "")
        if chat.type != ChatType.CHANNEL and command and command.group(1).lower() == "id":
            if not _integer(chat.id):
                raise TypeError(f"a chat id is a 64-bit integer, not {describe(chat.id)}")
            return Received(event_id, None, str(chat.id), None, None, "desk_id")
        return Received(event_id, None, None, None, None, f"ignored:{_chat_kind(chat.type)}")
    learner, where = _chat(chat.id)
    name = display_name(message.from_user.full_name if message.from_user else None)
    if message.text is not None:
        command = _COMMAND.match(message.text)
        if command is not None and command.group(1).lower() == "start":
            payload = command.group(2) or ""
            start = payload if _START_PAYLOAD.match(payload) else ""
            return Received(
                event_id, learner, where, Inbound(learner, start=start, name=name), None, "start"
            )
        text = message.text
        if command is not None:  # "/menu@hocso_bot" reads as "/menu"
            word, rest = command.group(1), command.group(2)
            text = f"/{word} {rest}" if rest else f"/{word}"
        inbound = Inbound(learner, text=text, name=name)
        return Received(event_id, learner, where, inbound, None, "text")
    media = _media(message)
    if media is None:  # a service message: pinned, write access allowed, ...
        return Received(event_id, learner, where, None, None, "ignored:service")
    inbound = Inbound(learner, media=media, name=name)
    return Received(event_id, learner, where, inbound, None, "media")


def _staff(message: Message) -> Staff | None:
    """A helper's answer in a group: a text replying to a message of a bot (ours: no other
    bot's message names a request) that names a request's code; or `/xong` in reply."""
    replied = message.reply_to_message
    if message.chat.type == ChatType.CHANNEL or replied is None or message.text is None:
        return None
    if replied.from_user is None or not replied.from_user.is_bot:
        return None
    if message.from_user is None or message.from_user.is_bot:
        return None
    named = CODE.search(replied.text or replied.caption or "")
    if named is None:
        return None
    if not _integer(message.chat.id):
        raise TypeError(f"a chat id is a 64-bit integer, not {describe(message.chat.id)}")
    who = display_name(message.from_user.first_name) or "?"
    text = message.text.strip()
    command = _COMMAND.match(text)
    if command is not None and command.group(1).lower() in CLOSING:
        return Staff(str(message.chat.id), named.group(1), who, None)
    if not text:
        return None
    return Staff(str(message.chat.id), named.group(1), who, text)


def _media(message: Message) -> Media | None:
    """What a message without text carries, in the engine's words."""
    if message.photo:
        return "photo"
    # An animation (GIF) also carries a `document`, so it is checked first.
    if message.sticker is not None or message.animation is not None:
        return "sticker"
    if message.voice is not None or message.audio is not None:
        return "voice"
    if message.video is not None or message.video_note is not None:
        return "video"
    if message.document is not None:
        return "file"
    if message.location is not None:  # a venue carries its location too
        return "location"
    if message.effective_attachment is not None:  # contact, dice, poll, story, ...
        return "other"
    return None


def _callback(event_id: str, query: CallbackQuery) -> Received:
    if not isinstance(query.id, str) or not _CALLBACK_ID.fullmatch(query.id):
        raise TypeError(f"callback_query.id is an id, not {describe(query.id)}")
    # A button under a message too old to be sent along still comes from the learner's
    # private chat, whose id is the learner's user id.
    if query.message is not None and query.message.chat.type != ChatType.PRIVATE:
        kind = f"ignored:{_chat_kind(query.message.chat.type)}"
        return Received(event_id, None, None, None, query.id, kind)
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    learner, where = _chat(chat_id)
    if query.data is None:  # a game button: nothing hocso sent
        return Received(event_id, learner, where, None, query.id, "ignored:no-data")
    if not isinstance(query.data, str):
        raise TypeError(f"callback_query.data is text, not {describe(query.data)}")
    if not 0 < len(query.data.encode("utf-8", "surrogatepass")) <= CALLBACK_DATA:
        raise ValueError(
            f"callback_query.data is 1 to {CALLBACK_DATA} bytes, not {describe(query.data)}"
        )
    name = display_name(query.from_user.full_name if query.from_user else None)
    inbound = Inbound(learner, payload=query.data, name=name)
    return Received(event_id, learner, where, inbound, query.id, "button")


def _membership(event_id: str, change: ChatMemberUpdated) -> Received:
    if change.chat.type != ChatType.PRIVATE:
        return Received(event_id, None, None, None, None, f"ignored:{_chat_kind(change.chat.type)}")
    status = change.new_chat_member.status
    learner, where = _chat(change.chat.id)
    if status == ChatMemberStatus.BANNED:
        return Received(event_id, learner, where, None, None, "blocked", "blocked")
    if status == ChatMemberStatus.MEMBER:
        return Received(event_id, learner, where, None, None, "unblocked", "unblocked")
    return Received(event_id, learner, where, None, None, "ignored:my_chat_member")


def _chat(chat_id: object) -> tuple[str, str]:
    """The learner id and the chat to reply to, for a private chat's id (an integer)."""
    if not _integer(chat_id):
        raise TypeError(f"a chat id is a 64-bit integer, not {describe(chat_id)}")
    return f"tg:{chat_id}", str(chat_id)


def _integer(value: object) -> bool:
    """Whether `value` is an integer as Telegram's ids are: within 64 bits (chat ids have at
    most 52 significant bits), so that a 4000-digit number is not taken for one."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _chat_kind(chat_type: str) -> str:
    return "channel" if chat_type == ChatType.CHANNEL else "group"


def _json_kind(data: object) -> str:
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return "null" if data is None else names.get(type(data), type(data).__name__)
