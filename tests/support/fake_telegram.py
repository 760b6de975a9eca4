"""A stand-in for the Telegram Bot API on 127.0.0.1 and a free port, for tests.

It speaks the real wire format: `POST` (or `GET`) `/bot<token>/<method>` with a JSON,
form-encoded or multipart body (PTB sends forms, and multipart when it uploads a photo), and
answers like Telegram does:

```json
{"ok": true, "result": {"message_id": 1001, "chat": {"id": 12345, "type": "private"}, ...}}
{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3",
 "parameters": {"retry_after": 3}}
```

Answered: getMe, sendMessage, sendPhoto (a fresh `file_id` for each upload), sendDocument (an
upload, or a known file_id), answerCallbackQuery,
setWebhook, deleteWebhook, getWebhookInfo, sendChatAction; any other method is a 404 as on
Telegram. Like Telegram it refuses, with a 400, what it would refuse: HTML that does not parse,
a text over 4096 or a caption over 1024 characters, callback_data over 64 bytes, an unknown
file_id. Every call is recorded (`calls`, `messages`, `uploads`); failures can be scripted for the
next calls of a method or a chat (`script` with `flood`, `server_error`, `blocked`, ...); flood
control like Telegram's can be turned on (`global_rate`, `per_chat_rate`), exact unless given a
`jitter` to forgive.

    with FakeTelegram() as telegram:
        bot = make_bot("123:abc", telegram.api_url)
        ...
        assert telegram.messages("12345")[0].text == "Xin chào"
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message as MimeHeaders
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from support.stand_in import StandIn

BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "Hocso test",
    "username": "hocso_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Parameters whose value is itself JSON (a form field carries it as a JSON string).
_JSON_PARAMS = {
    "reply_markup",
    "allowed_updates",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
    "media",
}
_SENDS = {"sendmessage", "sendphoto"}
_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


# -- what is recorded -------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file sent as multipart: the form field it came in, its file name and bytes."""

    field: str
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Call:
    """One request: `params` as parsed (JSON-valued ones decoded), what was answered."""

    method: str
    chat: str | None
    params: dict[str, Any]
    files: tuple[Upload, ...]
    at: float  # time.monotonic() when it arrived
    status: int  # the HTTP status answered
    token: str
    http_method: str = "POST"


@dataclass(frozen=True)
class Arrival:
    """A request as it arrived, before it is answered (a slow answer's caller is known at
    once): the method, the chat, when (time.monotonic()), and the caller's port."""

    method: str
    chat: str | None
    at: float
    port: int | None


@dataclass(frozen=True)
class Sent:
    """One message that went through: its text (or caption) as sent, and its keyboard."""

    method: str
    text: str
    markup: dict[str, Any] | None
    parse_mode: str | None
    photo: str | None = None  # the file_id or URL shown (for an upload, the new file_id)
    uploaded: Upload | None = None
    at: float = 0.0

    @property
    def rows(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard's rows of buttons, [] without one."""
        if not self.markup:
            return []
        rows: list[list[dict[str, Any]]] = self.markup.get("inline_keyboard", [])
        return rows

    @property
    def labels(self) -> list[str]:
        return [button["text"] for row in self.rows for button in row]

    @property
    def visible(self) -> str:
        """The text as the learner sees it (tags gone, entities read)."""
        if self.parse_mode and self.parse_mode.upper() == "HTML":
            return check_html(self.text)
        return self.text


# -- what is answered -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scripted:
    """A scripted answer: after `delay` seconds, an error (`status` 4xx/5xx with
    `description`, `retry_after`, or a `raw` non-JSON body), or with status 200 the normal one."""

    status: int = 200
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    raw: bytes | None = None


def normal() -> Scripted:
    """Answer this call as usual (to let calls through before a scripted failure)."""
    return Scripted()


def flood(retry_after: int = 3) -> Scripted:
    return Scripted(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def server_error(status: int = 500) -> Scripted:
    return Scripted(status, "Internal Server Error")


def bad_gateway() -> Scripted:
    """What a proxy in front of Telegram answers: a 502 HTML page, not JSON."""
    return Scripted(502, raw=b"<html><body><h1>502 Bad Gateway</h1></body></html>")


def slow(seconds: float) -> Scripted:
    """Answer normally, but only after `seconds` (longer than the client's timeout)."""
    return Scripted(delay=seconds)


def blocked() -> Scripted:
    return Scripted(403, "Forbidden: bot was blocked by the user")


def chat_not_found() -> Scripted:
    return Scripted(400, "Bad Request: chat not found")


def bad_request(what: str) -> Scripted:
    return Scripted(400, f"Bad Request: {what}")


class Refused(Exception):
    """A request Telegram would answer with an error."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# -- the server -------------------------------------------------------------------------------


class FakeTelegram(StandIn[Call, Sent, Scripted]):
    """The stand-in server; a context manager that runs it in a background thread."""

    name = "fake-telegram"

    def __init__(
        self,
        *,
        token: str | None = None,
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        per_chat_burst: float = 3.0,
        jitter: float = 0.0,
    ) -> None:
        super().__init__()
        self.token = token  # when set, other tokens are answered 401 Unauthorized
        self.global_rate = global_rate  # messages a second, all chats
        self.per_chat_rate = per_chat_rate  # messages a second for one chat ...
        self.per_chat_burst = per_chat_burst  # ... after a burst of this many
        # Seconds of delay variation between a sender's clock and this server's that flood
        # control forgives (a policer's delay variation tolerance): a message arriving up to
        # `jitter` sooner after the others than the limits allow still counts as within them.
        self.jitter = jitter
        self.webhook: dict[str, Any] | None = None
        self._file_ids: set[str] = set()
        self._message_ids = itertools.count(1001)
        self._file_numbers = itertools.count(1)
        self._window: deque[float] = deque()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._arrivals: list[Arrival] = []

    # -- running ----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The base URL for PTB's Bot (it appends the token): http://127.0.0.1:PORT/bot"""
        return f"{self.url}/bot"

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/bot{token}/{method}", self._handle, methods=["GET", "POST"])]
        )

    # -- scripting --------------------------------------------------------------------------

    def script(self, method: str, *answers: Scripted, chat: str | int | None = None) -> None:
        """The next calls of `method` (to `chat` only, when given) get these answers, in order;
        calls after them are answered normally."""
        with self._lock:
            self._scripts[(method.lower(), None if chat is None else str(chat))].extend(answers)

    # -- reading what happened --------------------------------------------------------------

    def clear(self) -> None:
        super().clear()
        with self._lock:
            self._arrivals.clear()

    def arrivals(self, method: str, chat: str | int) -> list[Arrival]:
        """The requests of `method` to `chat` as they arrived, answered yet or not."""
        with self._lock:
            return [
                arrival
                for arrival in self._arrivals
                if arrival.method.lower() == method.lower() and arrival.chat == str(chat)
            ]

    def calls(self, method: str | None = None, chat: str | int | None = None) -> list[Call]:
        """Every request (answered well or not), oldest first."""
        with self._lock:
            return [
                call
                for call in self._calls
                if (method is None or call.method.lower() == method.lower())
                and (chat is None or call.chat == str(chat))
            ]

    def uploads(self) -> list[Upload]:
        with self._lock:
            return [upload for call in self._calls if call.status == 200 for upload in call.files]

    # -- answering --------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        token, method = request.path_params["token"], request.path_params["method"]
        params, files = await _read_params(request)
        chat = None if params.get("chat_id") is None else str(params["chat_id"])
        now = time.monotonic()
        port = request.client.port if request.client else None
        with self._lock:
            self._arrivals.append(Arrival(method, chat, now, port))
        status, body = await self._answer(token, method, params, files, chat, now)
        call = Call(method, chat, params, tuple(files), now, status, token, request.method)
        self._keep_call(call)
        if isinstance(body, bytes):
            return Response(body, status_code=status, media_type="text/html")
        return JSONResponse(body, status_code=status)

    async def _answer(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: list[Upload],
        chat: str | None,
        now: float,
    ) -> tuple[int, dict[str, Any] | bytes]:
        if self.token is not None and token != self.token:
            return _error(401, "Unauthorized")
        name = method.lower()
        handler = self._methods().get(name)
        if handler is None:
            return _error(404, "Not Found")
        scripted = self._next_script((name, chat), (name, None))
        if scripted is not None:
            await self._sleep(scripted.delay)
            if scripted.raw is not None:
                return scripted.status, scripted.raw
            if scripted.status != 200:
                return _error(scripted.status, scripted.description, scripted.retry_after)
        if name in _SENDS and chat is not None:
            wait = self._limited(chat, time.monotonic())
            if wait:
                return _error(429, f"Too Many Requests: retry after {wait}", wait)
        try:
            result = handler(params, files, chat)
        except Refused as refused:
            return _error(refused.status, refused.description)
        return 200, {"ok": True, "result": result}

    def _methods(self) -> dict[str, Callable[[dict[str, Any], list[Upload], str | None], Any]]:
        return {
            "getme": lambda params, files, chat: BOT_USER,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "answercallbackquery": self._answer_callback,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._webhook_info,
            "sendchataction": lambda params, files, chat: True,
        }

    def _limited(self, chat: str, now: float) -> int:
        """Seconds to wait when flood control refuses this message, else 0 (and it counts)."""
        with self._lock:
            if self.global_rate:
                while self._window and now - self._window[0] >= 1.0 - self.jitter:
                    self._window.popleft()
                if len(self._window) >= self.global_rate:
                    return 1
            if self.per_chat_rate:
                room = self.per_chat_burst + self.jitter * self.per_chat_rate
                tokens, then = self._buckets.get(chat, (room, now))
                tokens = min(room, tokens + (now - then) * self.per_chat_rate)
                if tokens < 1.0:
                    self._buckets[chat] = (tokens, now)
                    return max(1, round((1.0 - tokens) / self.per_chat_rate))
                self._buckets[chat] = (tokens - 1.0, now)
            if self.global_rate:
                self._window.append(now)
        return 0

    # -- the methods ------------------------------------------------------------------------

    def _send_message(self, params: dict[str, Any], files: list[Upload], chat: str | None) -> Any:
        chat_id = _chat_id(chat)
        text = str(params.get("text") or "")
        visible = _visible(text, params.get("parse_mode"))
        if not visible.strip():
            raise Refused(400, "Bad Request: message text is empty")
        if _utf16(visible) > 4096:
            raise Refused(400, "Bad Request: message is too long")
        markup = _markup(params.get("reply_markup"))
        message = self._message(chat_id, {"text": visible}, markup)
        self._keep_sent(str(chat_id), Sent("sendMessage", text, markup, params.get("parse_mode")))
        return message

    def _send_photo(self, params: dict[str, Any], files: list[Upload], chat: str | None) -> Any:
        chat_id = _chat_id(chat)
        caption, visible, markup = _captioned(params)
        upload = next((file for file in files if file.field == "photo"), None)
        photo = params.get("photo")
        by_url = isinstance(photo, str) and photo.startswith(("http://", "https://"))
        if upload is not None or by_url:
            file_id = self._new_file_id()
        elif isinstance(photo, str) and photo in self._file_ids:
            file_id = photo
        else:
            raise Refused(400, "Bad Request: wrong file identifier/HTTP URL specified")
        content: dict[str, Any] = {
            "photo": [
                {"file_id": f"{file_id}-s", "file_unique_id": "s", "width": 90, "height": 60},
                {"file_id": file_id, "file_unique_id": "m", "width": 800, "height": 533},
            ]
        }
        if caption:
            content["caption"] = visible
        message = self._message(chat_id, content, markup)
        shown = photo if isinstance(photo, str) and upload is None else file_id
        sent = Sent("sendPhoto", caption, markup, params.get("parse_mode"), shown, upload)
        self._keep_sent(str(chat_id), sent)
        return message

    def _send_document(self, params: dict[str, Any], files: list[Upload], chat: str | None) -> Any:
        chat_id = _chat_id(chat)
        caption, visible, markup = _captioned(params)
        upload = next((file for file in files if file.field == "document"), None)
        document = params.get("document")
        if upload is not None:
            file_id = self._new_file_id()
        elif isinstance(document, str) and document in self._file_ids:
            file_id = document
        else:
            raise Refused(400, "Bad Request: wrong file identifier/HTTP URL specified")
        name = upload.filename if upload is not None else "file"
        content: dict[str, Any] = {
            "document": {"file_id": file_id, "file_unique_id": "d", "file_name": name}
        }
        if caption:
            content["caption"] = visible
        message = self._message(chat_id, content, markup)
        sent = Sent("sendDocument", caption, markup, params.get("parse_mode"), file_id, upload)
        self._keep_sent(str(chat_id), sent)
        return message

    def _answer_callback(self, params: dict[str, Any], files: list[Upload], chat: Any) -> Any:
        if not params.get("callback_query_id"):
            raise Refused(400, "Bad Request: QUERY_ID_INVALID")
        return True

    def _set_webhook(self, params: dict[str, Any], files: list[Upload], chat: Any) -> Any:
        with self._lock:
            self.webhook = dict(params) if params.get("url") else None
        return True

    def _delete_webhook(self, params: dict[str, Any], files: list[Upload], chat: Any) -> Any:
        with self._lock:
            self.webhook = None
        return True

    def _webhook_info(self, params: dict[str, Any], files: list[Upload], chat: Any) -> Any:
        with self._lock:
            hook = dict(self.webhook or {})
        info: dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
        if hook.get("allowed_updates") is not None:
            info["allowed_updates"] = hook["allowed_updates"]
        return info

    # -- helpers ----------------------------------------------------------------------------

    def _message(
        self, chat_id: int, content: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Learner"},
            "from": BOT_USER,
            **content,
        }
        if markup:
            message["reply_markup"] = markup
        return message

    def _new_file_id(self) -> str:
        file_id = f"AgACAgFake{next(self._file_numbers):06d}"
        with self._lock:
            self._file_ids.add(file_id)
        return file_id


# -- the wire ---------------------------------------------------------------------------------


def _error(
    status: int, description: str, retry_after: int | None = None
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, body


async def _read_params(request: Request) -> tuple[dict[str, Any], list[Upload]]:
    """Query string and body (JSON, form or multipart) as one dict, and any uploaded files."""
    params: dict[str, Any] = dict(request.query_params)
    files: list[Upload] = []
    body = await request.body()
    kind = request.headers.get("content-type", "")
    if body and "json" in kind:
        loaded = json.loads(body)
        if isinstance(loaded, dict):
            params.update(loaded)
    elif body and "multipart/form-data" in kind:
        fields, files = parse_multipart(body, kind)
        params.update(fields)
    elif body:
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    for name in _JSON_PARAMS & params.keys():
        if isinstance(params[name], str):
            with contextlib.suppress(ValueError):
                params[name] = json.loads(params[name])
    return params, files


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], list[Upload]]:
    """The text fields and the files of a multipart/form-data body."""
    boundary = _header_param("content-type", content_type, "boundary")
    if not boundary:
        raise ValueError("multipart body without a boundary")
    fields: dict[str, str] = {}
    files: list[Upload] = []
    for section in body.split(b"--" + boundary.encode())[1:]:
        if section.startswith(b"--"):
            break
        head, _, content = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _header_param("content-disposition", disposition, "name") or ""
        filename = _header_param("content-disposition", disposition, "filename")
        if filename is None:
            fields[name] = content.decode()
        else:
            kind = headers.get("content-type", "application/octet-stream")
            files.append(Upload(name, filename, content, kind))
    return fields, files


def _header_param(header: str, value: str, param: str) -> str | None:
    headers = MimeHeaders()
    headers[header] = value
    found = headers.get_param(param, header=header)
    if found is None:
        return None
    if isinstance(found, tuple):  # RFC 2231 (filename*=utf-8''...)
        return str(found[2])
    return str(found)


def _captioned(params: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
    """A photo's or document's caption as sent and as shown, and its keyboard; Refused when
    the caption is over Telegram's 1024 characters."""
    caption = str(params.get("caption") or "")
    visible = _visible(caption, params.get("parse_mode"))
    if _utf16(visible) > 1024:
        raise Refused(400, "Bad Request: message caption is too long")
    return caption, visible, _markup(params.get("reply_markup"))


def _chat_id(chat: str | None) -> int:
    try:
        return int(chat or "")
    except ValueError:
        raise Refused(400, "Bad Request: chat not found") from None


def _markup(markup: Any) -> dict[str, Any] | None:
    """The reply_markup, checked as Telegram checks an inline keyboard."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise Refused(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise Refused(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            data, url = button.get("callback_data"), button.get("url")
            if (data is None) == (url is None):
                raise Refused(400, "Bad Request: BUTTON_TYPE_INVALID")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise Refused(400, "Bad Request: BUTTON_DATA_INVALID")
            if url is not None and not url.startswith(("http://", "https://", "tg://")):
                raise Refused(400, "Bad Request: BUTTON_URL_INVALID")
    return markup


def _visible(text: str, parse_mode: Any) -> str:
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        try:
            return check_html(text)
        except ValueError as exc:
            raise Refused(400, f"Bad Request: can't parse entities: {exc}") from None
    return text


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise ValueError(f'Unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise ValueError(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise ValueError(f'Unmatched end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or "&" in data:
            raise ValueError(f"a bare < or & in {data!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            raise ValueError(f'Unsupported HTML entity "&{name};"')
        self.text.append(_NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        raise ValueError("HTML comments are not supported")

    def handle_decl(self, decl: str) -> None:
        raise ValueError("HTML declarations are not supported")

    def unknown_decl(self, data: str) -> None:
        raise ValueError("HTML declarations are not supported")


def check_html(text: str) -> str:
    """The visible text of Telegram HTML; ValueError where Telegram would refuse it."""
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"')
    return "".join(parser.text)


__all__ = [
    "BOT_USER",
    "Call",
    "FakeTelegram",
    "Scripted",
    "Sent",
    "Upload",
    "bad_gateway",
    "bad_request",
    "blocked",
    "chat_not_found",
    "check_html",
    "flood",
    "normal",
    "parse_multipart",
    "server_error",
    "slow",
]
