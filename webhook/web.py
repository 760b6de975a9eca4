"""The web chat's routes: the page, its static files, and the small JSON API the page talks to.

| route | what it does |
|---|---|
| `GET /chat?lesson=ID&v=CODE` | the page; sets the learner cookie `hocso_learner` (signed) |
| `GET /chat/static/<version>/<name>` | `chat.css`, `chat.js`, cached for a year under a version |
| `POST /chat/api/send` | one learner message: `{"id", "text" \\| "payload" \\| "start"}` |
| `GET /chat/api/messages?after=N&wait=S` | the messages numbered above N, waiting up to S s |

`lesson` and `v` (a volunteer's code) become the start payload the page sends first, as a
Telegram `t.me/<bot>?start=` link does (`bot.deeplink`). A message is applied at most once
(its event id is `web:<chat>:<id>`), one at a time per learner, its replies queued in the
outbox and "delivered" into the learner's transcript (`handlers.web.transcript`).

The web chat cannot push a reminder: a learner who left a lesson finds one in the chat when
they open the page again, once its delay has passed (`Tutor.show_reminder`; not when the page
opens a lesson).

The cookie is the server's, signed (`handlers.web.cookie`); its secret is `HOCSO_WEB_SECRET`,
else one made once and kept in the store (`web:secret`) for every worker and restart. A cookie
not signed with it names a learner only when that learner is in the store already (cookies from
before signing, or from a secret since changed): it is then signed again, on the page or on the
API's answer. Any other counts as no cookie: the page issues a new learner's, the API answers
401, and nobody is created.

Limits (`webhook.settings.WebLimits`, token buckets shared by all workers through the store):
every request of one client address (`client:<digest>`), the messages of one learner
(`in:web:<chat>`), and the new learners one address may start an hour (`new:<digest>`; a new
learner is a page given a new cookie). Over one, the API answers 429 with `retry_after`
seconds (the page shows `web.slow_down` and sends the same message again then), and the page
429 with `web.busy`, loading itself again then. The address is kept only as a keyed digest.
A line is logged for the first refusal of each limit, then at most one a second, counting the
ones held back:

```json
{"msg": "web request over the learner limit", "channel": "web", "status": 429, "suppressed": 41}
```

Answers: 400 for a malformed body or query, 401 without a cookie that names a learner, 403 from
another site's page (`Origin`), 413 for a body over `MAX_BODY`, 415 for a body not sent as JSON,
429 over a limit, 503 when the store failed (the page sends the message again, with the same
id). Logs carry ids and kinds only, never a learner's words.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot import deeplink
from handlers.web import COOKIE, BadMessage, ChatPage, Signer, parse_message
from webhook.intake import Refused, bad, parse_json, problem, read_body, take
from webhook.service import Service

log = logging.getLogger("hocso.webhook")
T = TypeVar("T")

CHANNEL = "web"
MAX_BODY = 16 * 1024  # a learner's message is a few hundred bytes
MAX_WAIT = 25.0  # seconds a poll may be held: under common proxies' idle timeouts
COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
SECRET_KEY = "web:secret"  # where the store keeps the cookies' secret without HOCSO_WEB_SECRET
NO_STORE = {"Cache-Control": "no-store"}
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class OverLimit:
    """Logs the requests refused over a limit: one line for the first, then at most one a second
    per limit, with how many were held back (`suppressed`)."""

    def __init__(self, period: float = 1.0) -> None:
        self.period = period
        self._last: dict[str, tuple[float, int]] = {}  # limit -> when logged, held back since

    def log(self, limit: str) -> None:
        now = time.monotonic()
        last, held = self._last.get(limit, (-math.inf, 0))
        if now - last < self.period:
            self._last[limit] = (last, held + 1)
            return
        self._last[limit] = (now, 0)
        extra: dict[str, object] = {"channel": CHANNEL, "status": 429}
        if held:
            extra["suppressed"] = held
        log.warning("web request over the %s limit", limit, extra=extra)


class Signing:
    """The cookies' signer, its secret read once: `HOCSO_WEB_SECRET`, else the one kept in the
    store (made by whichever worker asked first). A store that fails meanwhile fails the request
    (503); the next one asks again."""

    def __init__(self, service: Service) -> None:
        self.service = service
        secret = service.settings.web_secret
        self._signer = Signer(secret) if secret else None

    async def signer(self) -> Signer:
        if self._signer is None:
            made = secrets.token_urlsafe(32)
            secret = await self.service.store_calls(
                self.service.store.remember_once, SECRET_KEY, made
            )
            self._signer = Signer(secret)
        return self._signer


def web_routes(service: Service) -> list[BaseRoute]:
    page = ChatPage()
    signing = Signing(service)
    limits = service.settings.web_limits
    over = OverLimit()
    public = urlsplit(service.settings.public_url or "")
    # The public https address, reached through a proxy that does not say so: Secure too. Not
    # on another address (http://127.0.0.1:8000 while trying things): a browser would drop
    # a Secure cookie sent over plain http, and every message would be refused.
    secure_host = public.netloc if public.scheme == "https" else None

    def give_cookie(response: Response, request: Request, value: str) -> None:
        # Set on every visit: the 400 days count from the learner's last visit.
        response.set_cookie(
            COOKIE,
            value,
            max_age=COOKIE_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https" or request.headers.get("host") == secure_host,
        )

    def store_failed(error: Exception, what: str) -> Refused:
        extra = {"channel": CHANNEL, "status": 503}
        service.store_failures.log(log, what, error, extra)
        return Refused(503, "the store failed; try again later")

    async def signer(what: str) -> Signer:
        try:
            return await signing.signer()
        except Exception as error:
            raise store_failed(error, what) from error

    async def known(chat: str, what: str) -> bool:
        """Whether the learner of `chat` is in the store (a cookie we did not sign names them)."""
        try:
            return await service.store_calls(service.store.get, f"web:{chat}") is not None
        except Exception as error:
            raise store_failed(error, what) from error

    async def remind(chat: str) -> None:
        """The reminder due to a learner who opens the page again, put in their chat. A store
        that fails costs the reminder, not the page."""
        try:
            await service.show_reminder(f"web:{chat}", CHANNEL, chat)
        except Exception as error:
            extra = {"channel": CHANNEL}
            service.store_failures.log(log, "web reminder could not be shown", error, extra)

    def client(request: Request, signer: Signer) -> str:
        """Whose requests these are, for the client limits: a keyed digest of the address."""
        address = request.client.host if request.client else "-"
        if limits.client_header:
            given = request.headers.get(limits.client_header, "").split(",")[-1].strip()
            address = given or address
        return signer.digest(address)

    async def limit(
        name: str, bucket: str, rate: float, burst: float, *, page: bool = False
    ) -> None:
        """Take a token of `bucket`: Refused 429 (logged as over the `name` limit) when there
        is none; nothing when the limit is off. A store that fails: 503, or for the page, no
        limit (the page changes nothing in the store, and the API answers 503 meanwhile)."""
        if rate <= 0:
            return
        store = service.store
        try:
            wait = await service.store_calls(store.take_token, bucket, rate, burst, time.time())
        except Exception as error:
            if not page:
                raise store_failed(error, f"web {name} limit could not be checked") from error
            why = "web %s limit not checked: the store failed"
            service.store_failures.log(log, why, error, {"channel": CHANNEL}, name)
            return
        if wait > 0:
            over.log(name)
            raise too_many(wait)

    async def learner(request: Request) -> tuple[str, str | None]:
        """The chat the request's cookie names and, when it must be signed again, its signed
        value. Refused: 401 when it names nobody, 429 over the client's limit, 503 when the
        store failed."""
        what = "web learner cookie could not be checked"
        signed_with = await signer(what)
        who = client(request, signed_with)
        await limit("client", f"client:{who}", limits.client_rate, limits.client_burst)
        cookie = signed_with.read(request.cookies.get(COOKIE))
        if cookie is None:
            raise unauthorised()
        if cookie.signed:
            return cookie.chat, None
        if await known(cookie.chat, what):
            return cookie.chat, signed_with.sign(cookie.token)
        raise unauthorised("a learner cookie this server did not issue")

    async def chat_page(request: Request) -> Response:
        messages = service.content.current.messages
        what = "web page could not issue a learner cookie"
        try:
            signed_with = await signer(what)
            who = client(request, signed_with)
            rate, burst = limits.client_rate, limits.client_burst
            await limit("client", f"client:{who}", rate, burst, page=True)
            cookie = signed_with.read(request.cookies.get(COOKIE))
            if cookie is not None and (cookie.signed or await known(cookie.chat, what)):
                value = signed_with.sign(cookie.token)
                returning = cookie.chat
            else:
                returning = None
                hourly = limits.new_learners
                await limit("new-learner", f"new:{who}", hourly / 3600, hourly, page=True)
                value = signed_with.issue()
        except Refused as refused:
            if refused.retry_after is None:
                return refused.response()
            # Over a limit: a page that says so, and loads itself again when it may.
            wait = math.ceil(refused.retry_after)
            busy = HTMLResponse(page.html(messages, None, wait), 429, headers=PAGE_HEADERS)
            busy.headers["Retry-After"] = str(wait)
            return busy
        start = start_payload(request.query_params)
        if returning is not None and start is None:
            await remind(returning)
        response = HTMLResponse(page.html(messages, start), headers=PAGE_HEADERS)
        give_cookie(response, request, value)
        return response

    async def static(request: Request) -> Response:
        asset = page.assets.get(request.path_params["name"])
        if asset is None:
            return Response(status_code=404)
        # An old version asked for (a page drawn before a deploy) gets today's file, uncached.
        current = request.path_params["version"] == asset.version
        cache = "public, max-age=31536000, immutable" if current else "no-cache"
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    async def send(request: Request) -> JSONResponse:
        started = time.perf_counter()
        try:
            chat, resigned = await learner(request)
            refuse_cross_site(request, service.settings.public_url)
            data = parse_json(await read_body(request, MAX_BODY, CHANNEL), CHANNEL)
            try:
                received = parse_message(data, chat)
            except BadMessage as error:
                raise bad(CHANNEL, error) from error
            # Only well-formed messages count against the learner's limit.
            rate, burst = limits.learner_rate, limits.learner_burst
            await limit("learner", f"in:web:{chat}", rate, burst)  # a CHAT_BUCKETS name
            receipt = await take(service, CHANNEL, received, started)
        except Refused as refused:
            return refused.response()
        assert receipt is not None  # every web message has a learner and a chat
        body = {"ok": True, "duplicate": receipt.duplicate}
        response = JSONResponse(body, headers=NO_STORE)
        if resigned is not None:
            give_cookie(response, request, resigned)
        return response

    async def messages(request: Request) -> JSONResponse:
        try:
            chat, resigned = await learner(request)
        except Refused as refused:
            return refused.response()
        try:
            after, wait = poll_query(request.query_params)
        except ValueError as error:
            log.warning("bad web poll: %s", error, extra={"channel": CHANNEL, "status": 400})
            return problem(400, str(error))
        try:
            waiting = service.transcripts.wait(chat, after, wait)
            transcript = await until_gone(request, waiting, service.draining)
        except Exception as error:
            extra = {"channel": CHANNEL, "learner": f"web:{chat}", "status": 503}
            service.store_failures.log(log, "web transcript could not be read", error, extra)
            return problem(503, "the messages could not be read; try again later")
        if transcript is None and service.draining.is_set():
            response = problem(503, "the service is restarting; ask again in a moment")
            response.headers["Retry-After"] = "1"
            return response
        if transcript is None:  # the page was closed: nobody reads an answer
            return JSONResponse({"ok": False}, status_code=499)
        body = {"seq": transcript.seq, "messages": transcript.after(after)}
        response = JSONResponse(body, headers=NO_STORE)
        if resigned is not None:
            give_cookie(response, request, resigned)
        return response

    return [
        Route("/chat", chat_page, methods=["GET"]),
        Route("/chat/static/{version}/{name}", static, methods=["GET"]),
        Route("/chat/api/send", send, methods=["POST"]),
        Route("/chat/api/messages", messages, methods=["GET"]),
    ]


def refuse_cross_site(request: Request, public_url: str | None) -> None:
    """Another site's page must not speak for a learner whose browser holds the cookie. The
    cookie is SameSite=Lax, which old browsers ignore, so also: a JSON body only (a form on
    another site cannot send one without asking first), and an `Origin`, when the browser
    gives one, of this site."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        log.warning("web message that is not JSON", extra={"channel": CHANNEL, "status": 415})
        raise Refused(415, "send the message as application/json")
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = {request.headers.get("host", "")}
    if public_url:
        own.add(urlsplit(public_url).netloc)
    if urlsplit(origin).netloc not in own:
        log.warning("web message from another site", extra={"channel": CHANNEL, "status": 403})
        raise Refused(403, "messages come from the chat page only")


async def until_gone(request: Request, work: Awaitable[T], draining: asyncio.Event) -> T | None:
    """`work`'s result, or None as soon as the client goes away (a closed page stops holding a
    long poll) or the server is stopping (the page asks again, of the next server)."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(disconnected(request))
    stopping = asyncio.ensure_future(draining.wait())
    try:
        done, _ = await asyncio.wait({task, gone, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (gone, stopping, task):
            if not waiter.done():
                waiter.cancel()
    return task.result() if task in done else None


async def disconnected(request: Request) -> None:
    """Return when the client has closed the connection (a GET has no body left to read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def too_many(wait: float) -> Refused:
    """429: over a limit, with the seconds until a request may come again."""
    return Refused(429, "too many requests; send again later", retry_after=wait)


def unauthorised(why: str = "no learner cookie") -> Refused:
    log.warning("web request with %s", why, extra={"channel": CHANNEL, "status": 401})
    return Refused(401, f"{why} ({COOKIE}): open /chat first")


def start_payload(query: Mapping[str, str]) -> str | None:
    """The deep-link payload of `/chat?lesson=ID&v=CODE`; None for none, or a malformed one."""
    lesson, volunteer = query.get("lesson") or None, query.get("v") or None
    if lesson is None and volunteer is None:
        return None
    try:
        return deeplink.build(lesson, volunteer)
    except ValueError:
        return None


def poll_query(query: Mapping[str, str]) -> tuple[int, float]:
    """`after` (a whole number, 0 when absent) and `wait` (seconds, 0 when absent, at most
    MAX_WAIT); ValueError says what is wrong."""
    raw_after, raw_wait = query.get("after", "0"), query.get("wait", "0")
    if not raw_after.isascii() or not raw_after.isdigit() or len(raw_after) > 15:
        raise ValueError("'after' must be a whole number from 0")
    try:
        wait = float(raw_wait)
    except ValueError:
        raise ValueError("'wait' must be a number of seconds") from None
    if not math.isfinite(wait) or wait < 0:
        raise ValueError("'wait' must be a number of seconds")
    return int(raw_after), min(wait, MAX_WAIT)


_ERRORS = {
    "400": "a malformed body or query",
    "401": "no learner cookie this server issued (or of a learner it knows): open /chat first",
    "429": "over a limit: send the same message (same id) again after `retry_after` seconds",
    "503": "the store failed: send the same message (same id) again later",
}
_JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}

WEB_OPENAPI: dict[str, Any] = {
    "/chat": {
        "get": {
            "summary": "The web chat page",
            "description": "The page for learners with no Telegram or Zalo. Sets the cookie "
            f"`{COOKIE}` (the learner, signed by the server; a new learner's when the request "
            "has none the server issued). `lesson` and `v` open a lesson and credit a "
            "volunteer, as a lesson link or QR code does.",
            "parameters": [
                {"name": "lesson", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "v", "in": "query", "required": False, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "the page (text/html)"},
                "429": {
                    "description": "too many requests, or new learners, from this address: "
                    "a page that says so and loads itself again after `Retry-After` seconds"
                },
                "503": {"description": "the store failed: no cookie could be issued"},
            },
        }
    },
    "/chat/api/send": {
        "post": {
            "summary": "One learner message from the web chat",
            "description": "Exactly one of `text` (typed), `payload` (a button tapped) or "
            '`start` (a deep-link payload, or "" to be greeted). `id`: 8 to 64 of '
            "A-Za-z0-9_-, the same when the page sends the message again; a repeated id is "
            'applied once (`"duplicate": true`). The replies arrive through '
            "/chat/api/messages.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {
                                "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
                                "text": {"type": "string"},
                                "payload": {"type": "string"},
                                "start": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": '{"ok": true, "duplicate": false}', "content": _JSON_OBJECT},
                **{status: {"description": text} for status, text in _ERRORS.items()},
                "403": {"description": "sent from another site's page (Origin)"},
                "413": {"description": f"the body is over {MAX_BODY} bytes"},
                "415": {"description": "the body is not sent as application/json"},
            },
        }
    },
    "/chat/api/messages": {
        "get": {
            "summary": "What the tutor said to this learner",
            "description": "The messages numbered above `after` (the recent transcript for "
            "0), each `{seq, text, runs, buttons: [{label, payload}], links: [{label, url}], "
            "image}`. With nothing new, waits up to `wait` seconds (at most "
            f"{MAX_WAIT:g}) for a message. A `seq` below `after` means the transcript was "
            "started again: draw all of it.",
            "parameters": [
                {"name": "after", "in": "query", "required": False, "schema": {"type": "integer"}},
                {"name": "wait", "in": "query", "required": False, "schema": {"type": "number"}},
            ],
            "responses": {
                "200": {"description": '{"seq": N, "messages": [...]}', "content": _JSON_OBJECT},
                **{status: {"description": text} for status, text in _ERRORS.items()},
            },
        }
    },
}
