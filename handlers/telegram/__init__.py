"""The Telegram channel: updates in (`parse`), messages out (`render`, `send`).

Learners are `tg:<chat id>` of private chats; a helper's reply in a desk's group is a `Staff`
message (`bot.helpdesk`). The service feeds `parse_update` each webhook body and hands
`TelegramSender.send` what the engine answers.
"""

from handlers.telegram.parse import BadUpdate, Received, Staff, parse_update
from handlers.telegram.render import Part, render, to_html
from handlers.telegram.send import (
    ALLOWED_UPDATES,
    DEFAULT_API_URL,
    FileIds,
    MemoryFileIds,
    SendError,
    TelegramSender,
    make_bot,
    set_webhook,
)

__all__ = [
    "ALLOWED_UPDATES",
    "DEFAULT_API_URL",
    "BadUpdate",
    "FileIds",
    "MemoryFileIds",
    "Part",
    "Received",
    "SendError",
    "Staff",
    "TelegramSender",
    "make_bot",
    "parse_update",
    "render",
    "set_webhook",
    "to_html",
]
