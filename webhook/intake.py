"""What every channel's webhook does with a request, whatever the platform.

A route checks the platform's signature or secret, reads the body within `HOCSO_MAX_BODY`
(`read_body`), parses it with its channel's parser, and hands the result to `take`, which
applies it at most once and logs one line:

```json
{"msg": "update", "channel": "zalo-bot", "event": "zb:4f1c", "kind": "text",
 "learner": "zalobot:8a1f", "step": "cau-1", "ms": 3.1, "duplicate": false}
```
A route answers 4xx for anything malformed (never 5xx), 200 for kinds the tutor ignores, and
503 when the store failed, so that the platform sends the event again (logged as
`webhook.storefailures` says: a short line, at most one a second while the store is down).
`secret_header_route` is the whole route of a platform that sends the webhook's secret in a
header (Telegram, the Zalo Bot Platform).
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from bot.inbound import Inbound
from bot.tutor import Receipt
from handlers.describe import cut
from webhook.service import Service

log = logging.getLogger("hocso.webhook")


class Parsed(Protocol):
    """What a channel's parser makes of one event (e.g. `handlers.telegram.Received`)."""

    @property
    def event_id(self) -> str: ...  # what dedupe uses, unique across channels ("tg:881")
    @property
    def chat(self) -> str | None: ...  # where replies go; None when nobody is answered
    @property
    def inbound(self) -> Inbound | None: ...  # None for kinds the tutor ignores
    @property
    def kind(self) -> str: ...  # "text", "start", "button", "media", "ignored:<why>"


class Refused(Exception):
    """A request answered with a 4xx before anything is read or changed; a 429 says in how
    many seconds to try again (`retry_after`, in the body and as `Retry-After`)."""

    def __init__(self, status: int, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        if self.retry_after is None:
            return problem(self.status, self.detail)
        wait = max(0.001, round(self.retry_after, 3))
        body = {"ok": False, "error": self.detail, "retry_after": wait}
        headers = {"Retry-After": str(math.ceil(wait))}
        return JSONResponse(body, status_code=self.status, headers=headers)


def problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": detail}, status_code=status)


def check_secret(request: Request, header: str, secret: str, channel: str) -> None:
    """The header must equal `secret`, compared in constant time: missing -> 401, wrong -> 403."""
    given = request.headers.get(header)
    if given is None:
        log.warning("%s update without a secret", channel, extra={"status": 401})
        raise Refused(401, f"missing {header}")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        log.warning("%s update with a wrong secret", channel, extra={"status": 403})
        raise Refused(403, f"wrong {header}")


async def read_body(request: Request, limit: int, channel: str) -> bytes:
    """The request body, refusing more than `limit` bytes (413) without reading them all.
    A body cut off (the client went away, or `webhook.http` closed the connection when the
    body took over HOCSO_BODY_TIMEOUT, and logged it) is a 400 nobody reads."""
    declared = request.headers.get("content-length")
    too_large = Refused(413, f"the body is over {limit} bytes")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        log.warning("%s update too large", channel, extra={"status": 413})
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                log.warning("%s update too large", channel, extra={"status": 413})
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:
        log.debug("%s update cut off after %d bytes", channel, size, extra={"status": 400})
        raise Refused(400, "the body was cut off") from None
    return b"".join(chunks)


def parse_json(body: bytes, channel: str) -> Any:
    """The body as JSON; 400 when it is not."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:  # incl. JSONDecodeError, bad UTF-8
        raise bad(channel, error) from error


def bad(channel: str, error: Exception) -> Refused:
    """400 for a body that is not one of `channel`'s events, with a log line. The parsers'
    messages describe a malformed value rather than quote it (`handlers.describe`); cut here
    too, so that no message can write a whole value out."""
    why = cut(str(error))
    log.warning("bad %s update: %s", channel, why, extra={"status": 400})
    return Refused(400, f"not a {channel} update: {why}")


async def take(service: Service, channel: str, parsed: Parsed, started: float) -> Receipt | None:
    """Apply a parsed event at most once and log it; None when the tutor ignores its kind.
    Raises Refused(503) when the store failed (the platform will send it again)."""
    extra: dict[str, object] = {"channel": channel, "event": parsed.event_id, "kind": parsed.kind}
    if parsed.inbound is None or parsed.chat is None:
        log.info("update ignored", extra={**extra, "status": 200})
        return None
    extra["learner"] = parsed.inbound.learner
    try:
        receipt = await service.receive(channel, parsed.event_id, parsed.inbound, parsed.chat)
    except Exception as error:
        service.store_failures.log(
            log, "update failed; it must be sent again", error, {**extra, "status": 503}
        )
        raise Refused(503, "the tutor could not store this update; send it again later") from error
    seconds = time.perf_counter() - started
    if not receipt.duplicate:
        service.metrics.turn(channel, seconds)
    ms = round(seconds * 1000, 2)
    log.info(
        "update", extra={**extra, "step": receipt.step, "ms": ms, "duplicate": receipt.duplicate}
    )
    return receipt


P = TypeVar("P", bound=Parsed)


def secret_header_route(
    service: Service,
    *,
    channel: str,
    path: str,
    header: str,
    secret: str | None,
    off: str,
    parse: Callable[[Any], P],
    malformed: type[Exception],
    answer: Callable[[P], JSONResponse],
    aside: Callable[[P, float], Awaitable[bool]] | None = None,
) -> Route:
    """`POST path` for a platform that sends the webhook's `secret` in `header`: the secret
    checked (`check_secret`), the body read and parsed (`parse`, raising `malformed` for JSON
    that is not one of its events: 400), the event taken, and a 200 made by `answer` from
    what was parsed. `secret` None: the channel is off, and every request is a 404 `off`.
    `aside` takes an event that is no learner's message (Telegram's `my_chat_member`, a
    helper's answer in a desk's group), given when it started: True when it did, instead of
    `take`."""
    max_body = service.settings.max_body

    async def webhook(request: Request) -> JSONResponse:
        started = time.perf_counter()
        if secret is None:
            return problem(404, off)
        try:
            check_secret(request, header, secret, channel)
            data = parse_json(await read_body(request, max_body, channel), channel)
            try:
                received = parse(data)
            except malformed as error:
                raise bad(channel, error) from error
            if aside is None or not await aside(received, started):
                await take(service, channel, received, started)
        except Refused as refused:
            return refused.response()
        return answer(received)

    name = channel.replace("-", "_") + "_webhook"  # "telegram_webhook"
    return Route(path, webhook, methods=["POST"], name=name)


def openapi_post(
    summary: str, description: str, header: str, statuses: dict[str, str]
) -> dict[str, Any]:
    """The OpenAPI entry of a webhook route written as a plain Starlette route."""
    responses = {status: {"description": text} for status, text in statuses.items()}
    return {
        "post": {
            "summary": summary,
            "description": description,
            "parameters": [
                {"name": header, "in": "header", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": responses,
        }
    }
