"""The Zalo Bot Platform channel: updates in (`parse`), messages out (`render`, `send`) through
its Telegram-like Bot API (`api`).

Learners are `zalobot:<chat id>` of private chats. The service feeds `parse_update` each
webhook body and hands `ZaloBotSender.send` what the engine answers.
"""

from handlers.zalo_bot.api import DEFAULT_API_URL, ApiError, ZaloBotApi
from handlers.zalo_bot.parse import BadUpdate, Received, parse_update
from handlers.zalo_bot.render import MAX_TEXT, Part, render
from handlers.zalo_bot.send import (
    DEFAULT_RETRY_AFTER,
    SendError,
    ZaloBotSender,
    send_error,
    set_webhook,
)

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_RETRY_AFTER",
    "MAX_TEXT",
    "ApiError",
    "BadUpdate",
    "Part",
    "Received",
    "SendError",
    "ZaloBotApi",
    "ZaloBotSender",
    "parse_update",
    "render",
    "send_error",
    "set_webhook",
]
