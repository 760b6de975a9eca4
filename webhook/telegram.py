"""`POST /webhook/telegram`: Telegram's updates, checked, parsed and handed to the service.

- `X-Telegram-Bot-Api-Secret-Token` must equal `TELEGRAM_SECRET_TOKEN` (compared in constant
  time): missing -> 401, wrong -> 403, before anything is read or changed.
- A body over `HOCSO_MAX_BODY` -> 413; not JSON -> 400; JSON that is not an update -> 400.
- Update kinds the tutor does not use are acknowledged (200) so Telegram stops sending them.
- A learner's update is acknowledged only after its effect and replies are stored; a button
  tap is answered with answerCallbackQuery in the webhook's own response (one call fewer).
- If the store fails, 503: Telegram delivers the update again later.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.routing import Route

from handlers.telegram import BadUpdate, parse_update
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

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHANNEL = "telegram"

TELEGRAM_OPENAPI: dict[str, Any] = openapi_post(
    "Telegram's webhook",
    "A Telegram Update, with the webhook's secret in " + SECRET_HEADER + ".",
    SECRET_HEADER,
    {
        "200": "applied (or a duplicate, or a kind the tutor ignores)",
        "400": "not JSON, or not a Telegram update",
        "401": "the secret header is missing",
        "403": "the secret header is wrong",
        "404": "the Telegram channel is not configured",
        "413": "the body is larger than HOCSO_MAX_BODY",
        "503": "the store failed: Telegram delivers the update again later",
    },
)


def telegram_route(service: Service) -> Route:
    settings = service.settings

    async def telegram_webhook(request: Request) -> JSONResponse:
        started = time.perf_counter()
        if not settings.telegram or settings.telegram_secret is None:
            return problem(404, "the Telegram channel is not configured")
        try:
            check_secret(request, SECRET_HEADER, settings.telegram_secret, CHANNEL)
            data = parse_json(await read_body(request, settings.max_body, CHANNEL), CHANNEL)
            try:
                received = parse_update(data)
            except BadUpdate as error:
                raise bad(CHANNEL, error) from error
            await take(service, CHANNEL, received, started)
        except Refused as refused:
            return refused.response()
        if received.callback_id is not None:
            return JSONResponse(
                {"method": "answerCallbackQuery", "callback_query_id": received.callback_id}
            )
        return JSONResponse({"ok": True})

    return Route("/webhook/telegram", telegram_webhook, methods=["POST"])
