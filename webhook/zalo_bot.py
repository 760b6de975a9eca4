"""`POST /webhook/zalo-bot`: the Zalo Bot Platform's updates, checked, parsed and handed to the
service.

- `X-Bot-Api-Secret-Token` must equal `ZALO_BOT_SECRET_TOKEN` (compared in constant time):
  missing -> 401, wrong -> 403, before anything is read or changed.
- A body over `HOCSO_MAX_BODY` -> 413; not JSON -> 400; JSON that is not an update -> 400.
- Events the tutor does not use, messages from bots and from groups are acknowledged (200).
- A learner's message is acknowledged only after its effect and replies are stored, once per
  message id however often Zalo posts it; if the store fails, 503 and Zalo may post it again.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from starlette.routing import Route

from handlers.zalo_bot import BadUpdate, Received, parse_update
from webhook.intake import openapi_post, secret_header_route
from webhook.service import Service

SECRET_HEADER = "X-Bot-Api-Secret-Token"
CHANNEL = "zalo-bot"
PATH = "/webhook/zalo-bot"

ZALO_BOT_OPENAPI: dict[str, Any] = openapi_post(
    "The Zalo Bot Platform's webhook",
    "A Zalo Bot update, flat or wrapped in {ok, result}, with the webhook's secret in "
    + SECRET_HEADER
    + ".",
    SECRET_HEADER,
    {
        "200": "applied (or a duplicate, or an event the tutor ignores)",
        "400": "not JSON, or not a Zalo Bot update",
        "401": "the secret header is missing",
        "403": "the secret header is wrong",
        "404": "the Zalo Bot channel is not configured",
        "413": "the body is larger than HOCSO_MAX_BODY",
        "503": "the store failed: the update must be sent again",
    },
)


def zalo_bot_route(service: Service) -> Route:
    settings = service.settings
    return secret_header_route(
        service,
        channel=CHANNEL,
        path=PATH,
        header=SECRET_HEADER,
        secret=settings.zalo_bot_secret if settings.zalo_bot else None,
        off="the Zalo Bot channel is not configured",
        parse=parse_update,
        malformed=BadUpdate,
        answer=_answer,
    )


def _answer(received: Received) -> JSONResponse:
    return JSONResponse({"ok": True})
