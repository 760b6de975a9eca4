"""A stand-in for Zalo's OA API and OAuth server on 127.0.0.1 and a free port, for tests, and
Zalo's side of the webhook: signed events, posted as Zalo posts them.

It speaks the wire format of handlers/zalo-wire-format.md part B:

- `POST /v3.0/oa/message/cs` with the `access_token` header and
  `{"recipient": {"user_id": "…"}, "message": {…}}`, answered HTTP 200 either way:
  `{"error": 0, "message": "Success", "data": {"message_id": "…", …}}` or
  `{"error": -216, "message": "Access token is invalid"}`. It refuses what Zalo refuses: an
  unknown token (-216), an expired one (-220), a text over 2000 characters (-210), more than
  5 buttons or a malformed button or template (-201), a user whose 7-day window is closed
  (-230). Answers can be scripted for the next calls (`script`, per user or for all).
- `POST /v4/oa/access_token`, form-encoded `refresh_token`, `app_id`,
  `grant_type=refresh_token`, the app secret in the `secret_key` header: answers a new pair
  `{"access_token", "refresh_token", "expires_in": "90000"}`; refresh tokens are single use
  (a used one is refused, HTTP 200 `{"error": -14014, …, "access_token": ""}`) and a
  refresh retires the access tokens before it.

Every call is recorded (`calls`, `messages`, `refreshes`). `observe`, when set, is called
with the access token of each message call as it arrives, its result kept in the call (a test
looks at the store at that very moment).

    with FakeZaloOA() as zalo:
        settings = oa_settings_for(zalo, content, "memory://")
        ...
        assert zalo.messages("8842")[0].text == "Chào bác!"
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from support.learner import ChatLearner
from support.stand_in import StandIn

APP_ID = "3206567425609033798"
OA_ID = "579745863508352884"
OA_SECRET = "oa-secret-key_0123456789"  # the OA secret key: signs webhook events
APP_SECRET = "app-secret_ABCDEFGHIJ"  # the app's secret: refreshes tokens
SIGNATURE_HEADER = "X-ZEvent-Signature"

MEDIA_EVENTS = {
    "image": {"type": "image", "payload": {"thumbnail": "https://photo.zdn.vn/t.jpg",
                                           "url": "https://photo.zdn.vn/a.jpg"}},
    "sticker": {"type": "sticker", "payload": {"id": "abc", "url": "https://zalo.me/s.png"}},
    "audio": {"type": "audio", "payload": {"url": "https://zalo.me/v.amr"}},
    "location": {"type": "location",
                 "payload": {"coordinates": {"latitude": "21.02", "longitude": "105.83"}}},
    "file": {"type": "file", "payload": {"name": "a.pdf", "size": "1024", "url": "https://f"}},
}  # fmt: skip


# -- what is recorded -------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request: to the message API (`kind` "cs") or the OAuth server ("oauth")."""

    kind: str
    user: str | None
    body: dict[str, Any]  # the JSON (cs) or the form (oauth)
    headers: dict[str, str]
    answer: dict[str, Any]
    status: int
    at: float  # time.monotonic() when it arrived
    observed: Any = None

    @property
    def error(self) -> int | None:
        code = self.answer.get("error")
        return code if isinstance(code, int) else None


@dataclass(frozen=True)
class Sent:
    """One message that went through: its text, its buttons and its picture."""

    text: str
    buttons: tuple[dict[str, Any], ...] = ()
    image: str | None = None
    at: float = 0.0

    @property
    def labels(self) -> list[str]:
        return [button["title"] for button in self.buttons]


@dataclass(frozen=True)
class Scripted:
    """A scripted answer to a message call: after `delay` seconds, HTTP `status` with Zalo's
    `error` and `message` (or a `raw` body); `error` 0 and status 200: the normal answer."""

    error: int = 0
    message: str = ""
    status: int = 200
    raw: bytes | None = None
    delay: float = 0.0


def error(code: int, message: str = "") -> Scripted:
    return Scripted(code, message or ERRORS.get(code, "error"))


def server_error(status: int = 502) -> Scripted:
    return Scripted(status=status, raw=b"<html><body>Bad Gateway</body></html>")


ERRORS = {
    -32: "Your application/OA reached limit call api",
    -201: "Parameters are invalid",
    -210: "Parameter exceeds the allowed range",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
}
BUTTON_TYPES = {"oa.query.show", "oa.query.hide", "oa.open.url", "oa.open.phone", "oa.open.sms"}


class Refused(Exception):
    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message or ERRORS.get(code, "error")


# -- the server -------------------------------------------------------------------------------


class FakeZaloOA(StandIn[Call, Sent, Scripted]):
    """The stand-in server; a context manager that runs it in a background thread. Its `url`
    is the base of both the OA API and the OAuth server (ZALO_OA_API_URL, _OAUTH_URL)."""

    name = "fake-zalo-oa"

    def __init__(self, *, access: str = "AT-0", refresh: str = "RT-0") -> None:
        super().__init__()
        self.access = access  # what the settings start from
        self.refresh = refresh
        self.observe: Callable[[str], Any] | None = None
        self.oauth_delays: deque[float] = deque()  # seconds before the next refreshes answer
        self.oauth_down = False  # the OAuth server answers 503
        self.closed: set[str] = set()  # users whose 7-day window is closed
        self._valid = {access}
        self._expired: set[str] = set()
        self._refresh_ok: str | None = refresh
        self._used: set[str] = set()
        self._rotations = itertools.count(1)
        self._message_ids = itertools.count(1)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v3.0/oa/message/cs", self._message, methods=["POST"]),
                Route("/v4/oa/access_token", self._oauth, methods=["POST"]),
            ]
        )

    # -- scripting --------------------------------------------------------------------------

    def script(self, *answers: Scripted, user: str | None = None) -> None:
        """The next message calls (to `user` only, when given) get these answers, in order."""
        with self._lock:
            self._scripts[user].extend(answers)

    def expire_access(self) -> None:
        """The access tokens given out so far expire (-220 from now on)."""
        with self._lock:
            self._expired |= self._valid
            self._valid = set()

    def reauthorize(self) -> tuple[str, str]:
        """An admin authorises the app again: a new pair, every earlier token dead."""
        with self._lock:
            number = next(self._rotations)
            access, refresh = f"AT-{number}", f"RT-{number}"
            self._expired |= self._valid
            self._valid = {access}
            if self._refresh_ok is not None:
                self._used.add(self._refresh_ok)
            self._refresh_ok = refresh
        return access, refresh

    # -- reading what happened --------------------------------------------------------------

    def calls(self, kind: str = "cs", user: str | None = None) -> list[Call]:
        with self._lock:
            return [
                call
                for call in self._calls
                if call.kind == kind and (user is None or call.user == user)
            ]

    def refreshes(self) -> list[Call]:
        return self.calls("oauth")

    @property
    def current(self) -> tuple[str | None, str | None]:
        """The access token and refresh token Zalo would accept now."""
        with self._lock:
            return next(iter(self._valid), None), self._refresh_ok

    # -- answering --------------------------------------------------------------------------

    async def _message(self, request: Request) -> Response:
        now = time.monotonic()
        token = request.headers.get("access_token", "")
        observed = self.observe(token) if self.observe is not None else None
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        recipient = body.get("recipient")
        user = recipient.get("user_id") if isinstance(recipient, dict) else None
        user = user if isinstance(user, str) else None
        scripted = self._next_script(user, None)
        if scripted is not None and scripted.delay:
            await asyncio.sleep(scripted.delay)
        status, answer = 200, {"error": 0, "message": "Success"}
        try:
            if scripted is not None and (scripted.raw is not None or scripted.status != 200):
                status = scripted.status  # a proxy's or the server's failure, not Zalo's answer
                raise Refused(-1, "Internal Server Error")
            if scripted is not None and scripted.error:
                raise Refused(scripted.error, scripted.message)
            sent = self._check(token, user, body.get("message"))
            assert user is not None
            message_id = f"{next(self._message_ids):020x}"
            answer["data"] = {"message_id": message_id, "user_id": user,
                              "sent_time": str(int(time.time() * 1000))}  # fmt: skip
        except Refused as refused:
            answer = {"error": refused.code, "message": refused.message}
            sent = None
        with self._lock:
            headers = dict(request.headers)
            self._calls.append(Call("cs", user, body, headers, answer, status, now, observed))
            if sent is not None and user is not None:
                self._sent[user].append(Sent(sent.text, sent.buttons, sent.image, now))
            self._lock.notify_all()
        if scripted is not None and scripted.raw is not None:
            return Response(scripted.raw, status_code=scripted.status, media_type="text/html")
        return JSONResponse(answer, status_code=status)

    def _check(self, token: str, user: str | None, message: Any) -> Sent:
        with self._lock:
            if token in self._expired:
                raise Refused(-220)
            if token not in self._valid:
                raise Refused(-216)
        if user is None or not user.isdigit():
            raise Refused(-201, "user_id is invalid!")
        if user in self.closed:
            raise Refused(-230)
        if not isinstance(message, dict):
            raise Refused(-201, "message is invalid!")
        text = message.get("text")
        attachment = message.get("attachment")
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise Refused(-201, "text is invalid!")
        if isinstance(text, str) and len(text) > 2000:
            raise Refused(-210)
        if attachment is None:
            if text is None:
                raise Refused(-201, "message is invalid!")
            return Sent(text)
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        if attachment.get("type") != "template" or not isinstance(payload, dict):
            raise Refused(-201, "attachment is invalid!")
        if payload.get("template_type") == "media":
            elements = payload.get("elements")
            if not isinstance(elements, list) or len(elements) != 1:
                raise Refused(-201, "elements is invalid!")
            url = elements[0].get("url")
            if elements[0].get("media_type") != "image" or not str(url).startswith("http"):
                raise Refused(-201, "elements is invalid!")
            return Sent(text or "", image=url)
        buttons = payload.get("buttons")
        if text is None or not isinstance(buttons, list) or not 1 <= len(buttons) <= 5:
            raise Refused(-201, "buttons is invalid!")
        for button in buttons:
            _check_button(button)
        return Sent(text, tuple(buttons))

    async def _oauth(self, request: Request) -> Response:
        now = time.monotonic()
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        with self._lock:
            delay = self.oauth_delays.popleft() if self.oauth_delays else 0.0
        if delay:
            await asyncio.sleep(delay)
        given = form.get("refresh_token", "")
        if self.oauth_down:
            with self._lock:
                down = {"error": -1, "message": "Service Unavailable"}
                self._calls.append(Call("oauth", None, form, dict(request.headers), down, 503, now))
            return JSONResponse(down, status_code=503)
        with self._lock:
            if request.headers.get("secret_key") != APP_SECRET:
                answer: dict[str, Any] = {"error": -14002, "error_name": "Invalid secret key",
                                          "error_description": "secret_key is invalid"}  # fmt: skip
            elif form.get("app_id") != APP_ID or form.get("grant_type") != "refresh_token":
                answer = {"error": -14001, "error_name": "Invalid parameter",
                          "error_description": "app_id or grant_type is invalid"}  # fmt: skip
            elif given != self._refresh_ok:
                why = "refresh token was used" if given in self._used else "unknown"
                answer = {"error": -14014, "error_name": "Invalid refresh token",
                          "error_description": why}  # fmt: skip
            else:
                number = next(self._rotations)
                access, refresh = f"AT-{number}", f"RT-{number}"
                self._used.add(given)
                self._refresh_ok = refresh
                self._expired |= self._valid
                self._valid = {access}
                answer = {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}
            if "error" in answer:
                answer["access_token"] = ""  # as a refused refresh was seen to answer
            self._calls.append(Call("oauth", None, form, dict(request.headers), answer, 200, now))
            self._lock.notify_all()
        return JSONResponse(answer)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
        raise Refused(-201, "buttons is invalid!")
    title = button.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 100:
        raise Refused(-201, "title is invalid!")
    payload = button.get("payload")
    if button["type"].startswith("oa.query."):
        if not isinstance(payload, str) or not 1 <= len(payload) <= 1000:
            raise Refused(-201, "payload is invalid!")
    elif button["type"] == "oa.open.url":
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Refused(-201, "payload is invalid!")


# -- Zalo's side of the webhook ---------------------------------------------------------------

_msg_ids = itertools.count(0x5A10_0000_0000)


def now_ms() -> str:
    return str(int(time.time() * 1000))


def user_event(user: str, name: str, message: dict[str, Any], *, at: str | None = None,
               app_id: str = APP_ID) -> dict[str, Any]:  # fmt: skip
    """An event a user caused (`user_send_*`), as Zalo posts it."""
    return {
        "app_id": app_id,
        "user_id_by_app": f"9{user}",
        "event_name": name,
        "timestamp": at or now_ms(),
        "sender": {"id": user},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": f"{next(_msg_ids):x}", **message},
    }


def text_event(user: str, text: str, **more: Any) -> dict[str, Any]:
    return user_event(user, "user_send_text", {"text": text}, **more)


def media_event(user: str, kind: str) -> dict[str, Any]:
    """`user_send_<kind>` with its attachment (kind: a key of MEDIA_EVENTS, or gif, video…)."""
    attachment = MEDIA_EVENTS.get(kind, {"type": kind, "payload": {"url": "https://zalo.me/x"}})
    return user_event(user, f"user_send_{kind}", {"text": "", "attachments": [attachment]})


def follow_event(user: str, name: str = "follow", *, at: str | None = None) -> dict[str, Any]:
    return {
        "app_id": APP_ID,
        "oa_id": OA_ID,
        "user_id_by_app": f"9{user}",
        "event_name": name,
        "timestamp": at or now_ms(),
        "source": "oa_profile",
        "follower": {"id": user},
    }


def sign(raw: bytes, timestamp: str, *, app_id: str = APP_ID, secret: str = OA_SECRET) -> str:
    """Zalo's X-ZEvent-Signature, written out here on its own (not hocso's code)."""
    mac = hashlib.sha256(app_id.encode() + raw + timestamp.encode() + secret.encode())
    return "mac=" + mac.hexdigest()


class OAWebhook:
    """POSTs events to /webhook/zalo-oa as Zalo does: the raw JSON, signed."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/webhook/zalo-oa"
        self.client = httpx.AsyncClient(timeout=30)

    async def post(
        self, event: dict[str, Any], *, expect: int | None = 200, signature: str | None = ""
    ) -> httpx.Response:
        """`signature` "" signs the body; None sends none; other text is sent as it is."""
        raw = json.dumps(event, ensure_ascii=False).encode()
        return await self.post_raw(raw, event.get("timestamp"), expect=expect, signature=signature)

    async def post_raw(
        self, raw: bytes, timestamp: Any, *, expect: int | None = 200, signature: str | None = ""
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signature == "":
            headers[SIGNATURE_HEADER] = sign(raw, str(timestamp))
        elif signature is not None:
            headers[SIGNATURE_HEADER] = signature
        response = await self.client.post(self.url, content=raw, headers=headers)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        return response

    async def __aenter__(self) -> OAWebhook:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()


class OALearner(ChatLearner[Sent]):
    """One Zalo user writing to the OA: what they send goes through `hook`, what they receive
    is what the stand-in recorded for their user id (their `chat`)."""

    fake: FakeZaloOA
    chat: str

    def __init__(self, hook: OAWebhook, zalo: FakeZaloOA, user: str) -> None:
        super().__init__(hook, zalo, user, f"zalo:{user}")

    async def follow(self) -> httpx.Response:
        return await self.post(follow_event(self.chat))

    async def say(self, text: str) -> httpx.Response:
        return await self.post(text_event(self.chat, text))

    async def send_media(self, kind: str) -> httpx.Response:
        return await self.post(media_event(self.chat, kind))

    async def tap(self, label: str) -> httpx.Response:
        """Tap the oa.query.show button whose title starts with `label` on the latest message
        showing one: Zalo posts its payload as the user's text."""
        for shown in reversed(self.messages):
            for button in shown.buttons:
                if button["title"].startswith(label) and button["type"] == "oa.query.show":
                    return await self.say(button["payload"])
        labels = [shown.labels for shown in self.messages]
        raise AssertionError(f"user {self.chat} has no button {label!r}: {labels}")


__all__ = [
    "APP_ID",
    "APP_SECRET",
    "OA_SECRET",
    "SIGNATURE_HEADER",
    "Call",
    "FakeZaloOA",
    "OALearner",
    "OAWebhook",
    "Scripted",
    "Sent",
    "error",
    "follow_event",
    "media_event",
    "now_ms",
    "server_error",
    "sign",
    "text_event",
    "user_event",
]
