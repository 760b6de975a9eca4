"""`POST /webhook/zalo-oa`: a Zalo Official Account's events, checked, parsed and handed to the
service. The URL to paste in the app's Webhook settings is `$HOCSO_PUBLIC_URL/webhook/zalo-oa`.

- `X-ZEvent-Signature` must be `mac=` + sha256(app id + raw body + the body's timestamp + OA
  secret key) (see `handlers.zalo_oa.signature`), compared in constant time: missing -> 401,
  wrong -> 403; an `app_id` in the body other than `ZALO_OA_APP_ID` -> 403.
- The one exception: when the URL is saved, Zalo posts an unsigned `{}` and only keeps a URL
  that answers 200. Exactly that body, unsigned, is answered 200 and does nothing.
- A signed event whose timestamp is more than `MAX_AGE` (24 h) away from now -> 403: Zalo
  retries for about an hour, and an event id is remembered for dedupe for a week (EVENT_TTL),
  so a captured request can never be replayed after its dedupe record is gone.
- A body over `HOCSO_MAX_BODY` -> 413; not JSON, no timestamp, or not an event -> 400.
- Events the tutor does not use are acknowledged (200). A learner's message is acknowledged
  only after its effect and replies are stored, once per `msg_id` however often Zalo posts it;
  if the store fails, 503 and Zalo posts it again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.routing import Route

from handlers.zalo_oa import BadEvent, parse_event
from handlers.zalo_oa.signature import signed_at, timestamp_of, valid
from webhook.intake import Refused, bad, openapi_post, parse_json, problem, read_body, take
from webhook.service import Service

log = logging.getLogger("hocso.webhook")

SIGNATURE_HEADER = "X-ZEvent-Signature"
CHANNEL = "zalo-oa"
PATH = "/webhook/zalo-oa"
MAX_AGE = 24 * 3600  # seconds; well under EVENT_TTL, so that dedupe outlives the window

ZALO_OA_OPENAPI: dict[str, Any] = openapi_post(
    "A Zalo Official Account's webhook",
    "An OA API v3 event, signed in "
    + SIGNATURE_HEADER
    + " (mac= + sha256 of app id, raw body, timestamp and OA secret key). "
    "An unsigned {} (Zalo checking the URL when it is saved) is answered 200.",
    SIGNATURE_HEADER,
    {
        "200": "applied (or a duplicate, an event the tutor ignores, or the unsigned {} check)",
        "400": "not JSON, no timestamp, or not a Zalo OA event",
        "401": "the signature header is missing",
        "403": "the signature is wrong, the app_id is not this app's, or the event is too old",
        "404": "the Zalo OA channel is not configured",
        "413": "the body is larger than HOCSO_MAX_BODY",
        "503": "the store failed: Zalo posts the event again",
    },
)


def zalo_oa_route(service: Service) -> Route:
    settings = service.settings

    async def zalo_oa_webhook(request: Request) -> JSONResponse:
        started = time.perf_counter()
        app_id, secret = settings.zalo_oa_app_id, settings.zalo_oa_secret_key
        if not settings.zalo_oa or app_id is None or secret is None:
            return problem(404, "the Zalo OA channel is not configured")
        try:
            raw = await read_body(request, settings.max_body, CHANNEL)
            header = request.headers.get(SIGNATURE_HEADER)
            if header is None and raw.strip() == b"{}":
                log.info("Zalo checked the webhook URL", extra={"channel": CHANNEL, "status": 200})
                return JSONResponse({"ok": True})
            if header is None:
                log.warning("zalo-oa event without a signature", extra={"status": 401})
                raise Refused(401, f"missing {SIGNATURE_HEADER}")
            data = parse_json(raw, CHANNEL)
            timestamp = _check(data, header, raw, app_id, secret)
            try:
                received = parse_event(data, timestamp)
            except BadEvent as error:
                raise bad(CHANNEL, error) from error
            await take(service, CHANNEL, received, started)
        except Refused as refused:
            return refused.response()
        return JSONResponse({"ok": True})

    return Route(PATH, zalo_oa_webhook, methods=["POST"])


def _check(data: object, header: str, raw: bytes, app_id: str, secret: str) -> str:
    """The event's timestamp, once the event is shown to be this app's, signed and recent."""
    if not isinstance(data, dict):
        raise bad(CHANNEL, BadEvent("a Zalo OA event is a JSON object"))
    given = data.get("app_id")
    if isinstance(given, int) and not isinstance(given, bool):
        given = str(given)
    if not isinstance(given, str):
        raise bad(CHANNEL, BadEvent("a Zalo OA event needs an app_id"))
    timestamp = timestamp_of(data)
    if timestamp is None:
        raise bad(CHANNEL, BadEvent("a Zalo OA event needs a timestamp in milliseconds"))
    if given != app_id:
        log.warning("zalo-oa event for another app", extra={"status": 403})
        raise Refused(403, "the event is not for this app")
    if not valid(header, app_id, raw, timestamp, secret):
        log.warning("zalo-oa event with a wrong signature", extra={"status": 403})
        raise Refused(403, f"wrong {SIGNATURE_HEADER}")
    if abs(time.time() - signed_at(timestamp)) > MAX_AGE:
        log.warning("zalo-oa event too old (or from the future)", extra={"status": 403})
        raise Refused(403, "the event's timestamp is more than 24 hours from now")
    return timestamp
