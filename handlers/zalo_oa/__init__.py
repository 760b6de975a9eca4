"""The Zalo Official Account channel: webhook events in (`parse`, `signature`), consultation
messages out (`render`, `send`), and the OA's rotating tokens (`tokens`).

Learners are `zalo:<user id>` (the id Zalo gives the user for this OA); replies go to that
user id. The service checks each webhook request with `signature.valid`, feeds its body to
`parse_event`, and hands `ZaloOASender.send` what the engine answers.
"""

from handlers.zalo_oa.parse import BadEvent, Received, parse_event
from handlers.zalo_oa.render import MAX_BUTTONS, MAX_TEXT, render
from handlers.zalo_oa.send import CALLS_PER_MINUTE, RATE, SendError, ZaloOASender
from handlers.zalo_oa.tokens import KEY, TokenKeeper, Tokens

__all__ = [
    "CALLS_PER_MINUTE",
    "KEY",
    "MAX_BUTTONS",
    "MAX_TEXT",
    "RATE",
    "BadEvent",
    "Received",
    "SendError",
    "TokenKeeper",
    "Tokens",
    "ZaloOASender",
    "parse_event",
    "render",
]
