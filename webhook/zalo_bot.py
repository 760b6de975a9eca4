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

import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.routing import Route

from handlers.zalo_bot import BadUpdate, parse_update
from webhook.intake import (
    Refused,
    bad,
    check_secret,
    openapi_post,
    parse_json,
    problem,
    read_body,
    take,
)
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

    async def zalo_bot_webhook(request: Request) -> JSONResponse:
        started = time.perf_counter()
        if not settings.zalo_bot or settings.zalo_bot_secret is None:
            return problem(404, "the Zalo Bot channel is not configured")
        try:
            check_secret(request, SECRET_HEADER, settings.zalo_bot_secret, CHANNEL)
            data = parse_json(await read_body(request, settings.max_body, CHANNEL), CHANNEL)
            try:
                received = parse_update(data)
            except BadUpdate as error:
                raise bad(CHANNEL, error) from error
            await take(service, CHANNEL, received, started)
        except Refused as refused:
            return refused.response()
        return JSONResponse({"ok": True})

    return Route(PATH, zalo_bot_webhook, methods=["POST"])
