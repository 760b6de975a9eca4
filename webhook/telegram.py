"""`POST /webhook/telegram`: Telegram's updates, checked, parsed and handed to the service.

- `X-Telegram-Bot-Api-Secret-Token` must equal `TELEGRAM_SECRET_TOKEN` (compared in constant
  time): missing -> 401, wrong -> 403, before anything is read or changed.
- A body over `HOCSO_MAX_BODY` -> 413; not JSON -> 400; JSON that is not an update -> 400.
- Update kinds the tutor does not use are acknowledged (200) so Telegram stops sending them.
- A learner blocking the bot (`my_chat_member`, `kicked`) marks them unreachable (no reminder
  is pushed to them) until they write or unblock it (`member`); acknowledged once stored.
- A learner's update is acknowledged only after its effect and replies are stored; a button
  tap is answered with answerCallbackQuery in the webhook's own response (one call fewer).
- If the store fails, 503: Telegram delivers the update again later.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi.responses import JSONResponse
from starlette.routing import Route

from handlers.telegram import BadUpdate, Received, parse_update
from webhook.intake import Refused, openapi_post, secret_header_route
from webhook.service import Service

log = logging.getLogger("hocso.webhook")

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
    return secret_header_route(
        service,
        channel=CHANNEL,
        path="/webhook/telegram",
        header=SECRET_HEADER,
        secret=settings.telegram_secret if settings.telegram else None,
        off="the Telegram channel is not configured",
        parse=parse_update,
        malformed=BadUpdate,
        answer=_answer,
        aside=lambda received, started: _reach(service, received, started),
    )


async def _reach(service: Service, received: Received, started: float) -> bool:
    """A learner blocked or unblocked the bot: noted on them (`Service.reach`), logged as an
    update. False for any other update."""
    if received.reach is None or received.learner is None or received.chat is None:
        return False
    extra: dict[str, object] = {
        "channel": CHANNEL, "event": received.event_id, "kind": received.kind,
        "learner": received.learner,
    }  # fmt: skip
    try:
        applied = await service.reach(
            CHANNEL, received.event_id, received.learner, received.chat, received.reach
        )
    except Exception as error:
        service.store_failures.log(
            log, "update failed; it must be sent again", error, {**extra, "status": 503}
        )
        raise Refused(503, "the tutor could not store this update; send it again later") from error
    ms = round((time.perf_counter() - started) * 1000, 2)
    log.info("update", extra={**extra, "ms": ms, "duplicate": not applied})
    return True


def _answer(received: Received) -> JSONResponse:
    """A button tap is answered with answerCallbackQuery in the response itself."""
    if received.callback_id is not None:
        return JSONResponse(
            {"method": "answerCallbackQuery", "callback_query_id": received.callback_id}
        )
    return JSONResponse({"ok": True})
