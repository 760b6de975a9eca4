"""A stand-in for the Zalo Bot API on 127.0.0.1 and a free port, for tests; and what the Zalo
Bot Platform posts to a webhook.

It speaks the wire format of `handlers/zalo-wire-format.md` part A: `POST` (or `GET`)
`/bot<token>/<method>` with a JSON, form-encoded or query-string body, answered

```json
{"ok": true, "result": {"message_id": "82599fa32f56d00e8941", "date": 1749632637199}}
{"ok": false, "error_code": 400, "description": "Bad Request: text must be 1 to 2000 characters"}
```
Answered: getMe, sendMessage, sendPhoto (a picture by URL), sendSticker, sendChatAction,
setWebhook (with `verification`, the outcome of Zalo's test request, as newer docs show),
getWebhookInfo, deleteWebhook; any other method is a 400 ("invalid API name"). Like Zalo it
refuses a text or caption outside 1 to 2000 characters, a photo that is no http(s) URL, a
webhook that is no https URL or a secret outside 8 to 256 characters. Every call is recorded
(`calls`, `messages`); answers can be scripted for the next calls of a method or a chat
(`script`): an error with an HTTP status of its own or with HTTP 200 (`in_200`, the form Zalo
may use: undocumented), a wait, a non-JSON page.

    with FakeZaloBot() as zalo:
        api = ZaloBotApi("123:abc", zalo.api_url)
        ...
        assert zalo.texts("6ede9afa66b88fe6d6a9") == ["Xin chào"]
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from support.stand_in import StandIn

BOT_INFO = {
    "id": "1459232241454765289",
    "account_name": "bot.hocsotest",
    "account_type": "BASIC",
    "can_join_groups": False,
}
MAX_TEXT = 2000


# -- what is recorded -------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request: its parameters, and the HTTP status and body answered."""

    method: str
    chat: str | None
    params: dict[str, Any]
    at: float  # time.monotonic() when it was answered
    status: int
    body: Any
    token: str


@dataclass(frozen=True)
class Sent:
    """A message that went through: its text (the caption of a photo) and the photo's URL."""

    method: str
    text: str
    photo: str | None = None
    at: float = 0.0


# -- what is answered -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scripted:
    """A scripted answer: after `delay` seconds, the normal answer (`code` None), or an error:
    `error_code` `code`, sent with HTTP `status` (200 for an error in a 200), `retry_after`
    given in the body's `parameters` and/or a Retry-After `header`; or a `raw` non-JSON page."""

    code: int | None = None
    description: str = ""
    status: int | None = None  # None: the same as `code`
    retry_after: float | None = None
    header: str | None = None
    delay: float = 0.0
    raw: bytes | None = None


def normal() -> Scripted:
    return Scripted()


def quota(retry_after: float | None = None, *, header: str | None = None) -> Scripted:
    return Scripted(429, "Quota exceeded", retry_after=retry_after, header=header)


def server_error(code: int = 500) -> Scripted:
    return Scripted(code, "Internal Server Error")


def forbidden() -> Scripted:
    return Scripted(403, "Forbidden")


def bad_request(what: str = "chat not found") -> Scripted:
    return Scripted(400, f"Bad Request: {what}")


def unauthorized() -> Scripted:
    return Scripted(401, "Unauthorized")


def bad_gateway() -> Scripted:
    """What a proxy in front of Zalo answers: an HTML 502."""
    return Scripted(502, raw=b"<html><body><h1>502 Bad Gateway</h1></body></html>")


def slow(seconds: float) -> Scripted:
    """The normal answer, after `seconds` (longer than the client waits)."""
    return Scripted(delay=seconds)


def in_200(answer: Scripted) -> Scripted:
    """The same error with HTTP 200: `{"ok": false, "error_code": …}` in a 200."""
    return replace(answer, status=200)


class Refused(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


# -- the server -------------------------------------------------------------------------------


class FakeZaloBot(StandIn[Call, Sent, Scripted]):
    """The stand-in server; a context manager that runs it in a background thread."""

    name = "fake-zalo-bot"

    def __init__(self, *, token: str | None = None) -> None:
        super().__init__()
        self.token = token  # when set, other tokens are answered 401 Unauthorized
        self.webhook: dict[str, Any] | None = None
        # What setWebhook says of Zalo's test request to the new URL.
        self.verification: dict[str, Any] = {"ok": True, "outcome": "webhook.ok", "hint": ""}

    @property
    def api_url(self) -> str:
        """The base URL the token is appended to: http://127.0.0.1:PORT/bot"""
        return f"{self.url}/bot"

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/bot{token}/{method}", self._handle, methods=["GET", "POST"])]
        )

    # -- scripting and reading --------------------------------------------------------------

    def script(self, method: str, *answers: Scripted, chat: str | None = None) -> None:
        """The next calls of `method` (to `chat` only, when given) get these answers, in order;
        later calls are answered normally."""
        with self._lock:
            self._scripts[(method, chat)].extend(answers)

    def calls(self, method: str | None = None, chat: str | None = None) -> list[Call]:
        with self._lock:
            return [
                call
                for call in self._calls
                if (method is None or call.method == method) and (chat is None or call.chat == chat)
            ]

    # -- answering --------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        token, method = request.path_params["token"], request.path_params["method"]
        params = await _read_params(request)
        chat = params.get("chat_id")
        chat = None if chat is None else str(chat)
        status, body, headers = await self._answer(token, method, params, chat)
        self._keep_call(Call(method, chat, params, time.monotonic(), status, body, token))
        if isinstance(body, bytes):
            return Response(body, status_code=status, media_type="text/html", headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _answer(
        self, token: str, method: str, params: dict[str, Any], chat: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        if self.token is not None and token != self.token:
            return _error(401, "Unauthorized")
        handler = self._methods().get(method)  # names are case-sensitive
        if handler is None:
            return _error(400, "Bad Request: invalid API name")
        scripted = self._next_script((method, chat), (method, None))
        if scripted is not None:
            await self._sleep(scripted.delay)
            if scripted.raw is not None:
                return scripted.code or 500, scripted.raw, {}
            if scripted.code is not None:
                status, body, headers = _error(
                    scripted.code, scripted.description, scripted.retry_after, scripted.header
                )
                return (scripted.status or status), body, headers
        try:
            result = handler(params, chat)
        except Refused as refused:
            return _error(refused.code, refused.description)
        body = {"ok": True} if result is None else {"ok": True, "result": result}
        return 200, body, {}

    def _methods(self) -> dict[str, Callable[[dict[str, Any], str | None], Any]]:
        return {
            "getMe": lambda params, chat: BOT_INFO,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._chat_action,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._webhook_info,
            "deleteWebhook": self._delete_webhook,
        }

    # -- the methods ------------------------------------------------------------------------

    def _send_message(self, params: dict[str, Any], chat: str | None) -> Any:
        text = _text(params.get("text"), "text", required=True)
        return self._record(_chat(chat), Sent("sendMessage", text))

    def _send_photo(self, params: dict[str, Any], chat: str | None) -> Any:
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            raise Refused(400, "Bad Request: photo must be an image URL")
        caption = _text(params.get("caption"), "caption", required=False)
        return self._record(_chat(chat), Sent("sendPhoto", caption, photo))

    def _send_sticker(self, params: dict[str, Any], chat: str | None) -> Any:
        sticker = params.get("sticker")
        if not isinstance(sticker, str) or not sticker:
            raise Refused(400, "Bad Request: sticker is required")
        return self._record(_chat(chat), Sent("sendSticker", sticker))

    def _chat_action(self, params: dict[str, Any], chat: str | None) -> None:
        _chat(chat)
        if params.get("action") != "typing":
            raise Refused(400, "Bad Request: action is not supported")

    def _set_webhook(self, params: dict[str, Any], chat: str | None) -> Any:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise Refused(400, "Bad Request: url must be an https URL on a public domain")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise Refused(400, "Bad Request: secret_token must be 8 to 256 characters")
        with self._lock:
            self.webhook = {"url": url, "secret_token": secret}
        verification = {**self.verification, "url": url}
        return {"url": url, "updated_at": int(time.time() * 1000), "verification": verification}

    def _webhook_info(self, params: dict[str, Any], chat: str | None) -> Any:
        with self._lock:
            url = (self.webhook or {}).get("url", "")
        return {"url": url, "updated_at": int(time.time() * 1000)}

    def _delete_webhook(self, params: dict[str, Any], chat: str | None) -> Any:
        with self._lock:
            self.webhook = None
        return {"url": "", "updated_at": int(time.time() * 1000)}

    def _record(self, chat: str, sent: Sent) -> dict[str, Any]:
        """Keep `sent`; what Zalo answers for it."""
        self._keep_sent(chat, sent)
        return {"message_id": secrets.token_hex(10), "date": int(time.time() * 1000)}


# -- the wire ---------------------------------------------------------------------------------


def _error(
    code: int, description: str, retry_after: float | None = None, header: str | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return code, body, ({"Retry-After": header} if header is not None else {})


async def _read_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    kind = request.headers.get("content-type", "")
    if body and "json" in kind:
        loaded = json.loads(body)
        if isinstance(loaded, dict):
            params.update(loaded)
    elif body:
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    return params


def _chat(chat: str | None) -> str:
    if not chat:
        raise Refused(400, "Bad Request: chat_id is required")
    return chat


def _text(value: Any, name: str, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_TEXT:
        raise Refused(400, f"Bad Request: {name} must be 1 to {MAX_TEXT} characters")
    return value


# -- what Zalo posts to the webhook -----------------------------------------------------------

DATE = 1750316131602
_message_numbers = itertools.count(1)


def message_id() -> str:
    """A fresh message id, 20 hex digits like Zalo's."""
    return f"{next(_message_numbers):020x}"


def update(
    chat: str,
    event_name: str,
    /,
    *,
    wrapped: bool = False,
    message_id_: str | None = None,
    sender: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An update from the private chat `chat`: flat (as seen live), or `wrapped` in
    {ok, result} (as documented)."""
    message = {
        "message_id": message_id_ or message_id(),
        "date": DATE,
        "chat": {"id": chat, "chat_type": "PRIVATE"},
        "from": sender or {"id": chat, "display_name": "Lan", "is_bot": False},
        **fields,
    }
    flat = {"event_name": event_name, "message": message}
    return {"ok": True, "result": flat} if wrapped else flat


def text_update(chat: str, text: Any, /, *, wrapped: bool = False, **more: Any) -> dict[str, Any]:
    return update(chat, "message.text.received", wrapped=wrapped, text=text, **more)


def image_update(chat: str, *, wrapped: bool = False) -> dict[str, Any]:
    return update(
        chat,
        "message.image.received",
        wrapped=wrapped,
        message_type="CHAT_PHOTO",
        photo_url="https://photo.zdn.vn/abc.jpg",
        caption="ai đây",
    )


def sticker_update(chat: str, *, wrapped: bool = False) -> dict[str, Any]:
    return update(
        chat,
        "message.sticker.received",
        wrapped=wrapped,
        sticker="0e078a2fb66a5f34067b",
        url="https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1",
    )


def unsupported_update(chat: str, *, wrapped: bool = False) -> dict[str, Any]:
    return update(chat, "message.unsupported.received", wrapped=wrapped)


__all__ = [
    "BOT_INFO",
    "Call",
    "FakeZaloBot",
    "Scripted",
    "Sent",
    "bad_gateway",
    "bad_request",
    "forbidden",
    "image_update",
    "in_200",
    "message_id",
    "normal",
    "quota",
    "server_error",
    "slow",
    "sticker_update",
    "text_update",
    "unauthorized",
    "unsupported_update",
    "update",
]
