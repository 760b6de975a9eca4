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

import hmac
import json
import logging
import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.routing import Route

from handlers.telegram import BadUpdate, parse_update
from webhook.service import Service

log = logging.getLogger("hocso.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

TELEGRAM_OPENAPI: dict[str, Any] = {
    "post": {
        "summary": "Telegram's webhook",
        "description": "A Telegram Update, with the webhook's secret in " + SECRET_HEADER + ".",
        "parameters": [{"name": SECRET_HEADER, "in": "header", "required": True,
                        "schema": {"type": "string"}}],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "200": {"description": "applied (or a duplicate, or a kind the tutor ignores)"},
            "400": {"description": "not JSON, or not a Telegram update"},
            "401": {"description": "the secret header is missing"},
            "403": {"description": "the secret header is wrong"},
            "404": {"description": "the Telegram channel is not configured"},
            "413": {"description": "the body is larger than HOCSO_MAX_BODY"},
            "503": {"description": "the store failed: Telegram delivers the update again later"},
        },
    }
}  # fmt: skip


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": detail}, status_code=status)


def telegram_route(service: Service) -> Route:
    settings = service.settings

    async def telegram_webhook(request: Request) -> JSONResponse:
        started = time.perf_counter()
        if not settings.telegram or settings.telegram_secret is None:
            return problem(404, "the Telegram channel is not configured")
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            log.warning("telegram update without a secret token", extra={"status": 401})
            return problem(401, f"missing {SECRET_HEADER}")
        if not hmac.compare_digest(given.encode(), settings.telegram_secret.encode()):
            log.warning("telegram update with a wrong secret token", extra={"status": 403})
            return problem(403, f"wrong {SECRET_HEADER}")
        try:
            data = json.loads(await read_body(request, settings.max_body))
            received = parse_update(data)
        except BodyTooLarge:
            log.warning("telegram update too large", extra={"status": 413})
            return problem(413, f"the body is over {settings.max_body} bytes")
        except (ValueError, RecursionError, BadUpdate) as error:  # incl. JSONDecodeError
            log.warning("bad telegram update: %s", error, extra={"status": 400})
            return problem(400, f"not a Telegram update: {error}")
        extra: dict[str, object] = {
            "channel": "telegram",
            "event": received.event_id,
            "kind": received.kind,
        }
        if received.inbound is None or received.chat is None:
            log.info("update ignored", extra={**extra, "status": 200})
            return JSONResponse({"ok": True})
        extra["learner"] = received.inbound.learner
        try:
            receipt = await service.receive(
                "telegram", received.event_id, received.inbound, received.chat
            )
        except Exception:
            log.exception(
                "update failed; Telegram will send it again", extra={**extra, "status": 503}
            )
            return problem(503, "the tutor could not store this update; send it again later")
        ms = round((time.perf_counter() - started) * 1000, 2)
        log.info(
            "update",
            extra={**extra, "step": receipt.step, "ms": ms, "duplicate": receipt.duplicate},
        )
        if received.callback_id is not None:
            return JSONResponse(
                {"method": "answerCallbackQuery", "callback_query_id": received.callback_id}
            )
        return JSONResponse({"ok": True})

    return Route("/webhook/telegram", telegram_webhook, methods=["POST"])
