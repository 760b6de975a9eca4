"""`POST /webhook/telegram`: Telegram's updates, checked, parsed and handed to the service.

- `X-Telegram-Bot-Api-Secret-Token` must equal `TELEGRAM_SECRET_TOKEN` (compared in constant
  time): missing -> 401, wrong -> 403, before anything is read or changed.
- A body over `HOCSO_MAX_BODY` -> 413; not JSON -> 400; JSON that is not an update -> 400.
- Update kinds the tutor does not use are acknowledged (200) so Telegram stops sending them.
- A learner blocking the bot (`my_chat_member`, `kicked`) marks them unreachable (no reminder
  is pushed to them) until they write or unblock it (`member`); acknowledged once stored.
- A learner's update is acknowledged only after its effect and replies are stored; a button
  tap is answered with answerCallbackQuery in the webhook's own response (one call fewer).
- A helper's reply in a desk's group (`handlers.telegram.Staff`) goes to `webhook.helpdesk`:
  the learner gets it, at most once, when the group is the request's desk. `/id` in a group is
  answered, in the webhook's response (sendMessage), with the group's chat id and how to make
  it a desk (`desk.chat_id` of console.yaml).
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
        answer=lambda received: _answer(service, received),
        aside=lambda received, started: _aside(service, received, started),
    )


async def _aside(service: Service, received: Received, started: float) -> bool:
    """An update that is no learner's message: a learner blocked or unblocked the bot (noted
    on them, `Service.reach`), or a helper answered in a desk's group (`webhook.helpdesk`),
    each logged as an update (503 when the store failed: Telegram sends it again, and it is
    applied once). False for any other update."""
    staff = received.staff
    if staff is None and (received.reach is None or received.learner is None):
        return False
    extra: dict[str, object] = {
        "channel": CHANNEL, "event": received.event_id, "kind": received.kind,
    }  # fmt: skip
    try:
        if staff is not None:
            outcome = await service.helpdesk.staff(received.event_id, staff)
            extra["duplicate"] = outcome == "duplicate"
        else:
            assert received.reach is not None and received.learner is not None
            assert received.chat is not None
            extra["learner"] = received.learner
            applied = await service.reach(
                CHANNEL, received.event_id, received.learner, received.chat, received.reach
            )
            extra["duplicate"] = not applied
    except Exception as error:
        service.store_failures.log(
            log, "update failed; it must be sent again", error, {**extra, "status": 503}
        )
        raise Refused(503, "the tutor could not store this update; send it again later") from error
    ms = round((time.perf_counter() - started) * 1000, 2)
    log.info("update", extra={**extra, "ms": ms})
    return True


def _answer(service: Service, received: Received) -> JSONResponse:
    """A button tap is answered with answerCallbackQuery in the response itself, and `/id` in
    a group with its chat id."""
    if received.callback_id is not None:
        return JSONResponse(
            {"method": "answerCallbackQuery", "callback_query_id": received.callback_id}
        )
    if received.kind == "desk_id" and received.chat is not None:
        said = service.content.current.console.text("desk.chat_id", chat=received.chat)
        return JSONResponse({"method": "sendMessage", "chat_id": received.chat, "text": said})
    return JSONResponse({"ok": True})
