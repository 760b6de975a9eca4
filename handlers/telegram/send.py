"""Sending to Telegram through PTB's `Bot`, and telling the caller what a failure means.

A failed send raises `SendError`: `retry_after` when Telegram asked to wait (429), `permanent`
when trying again cannot help (403 blocked, 400 chat not found or a message Telegram refuses),
neither for a timeout, a network error or a 5xx. `sent` says how many of the message's parts
had gone through, so a retry with `skip=sent` sends none twice:

```json
{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",
 "parameters": {"retry_after": 7}}
```
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from telegram import Bot, Message
from telegram.constants import ParseMode, UpdateType
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.outbound import Outbound
from handlers import base
from handlers.telegram.render import Part, render
from handlers.telegram.transport import AiohttpRequest

__all__ = [
    "ALLOWED_UPDATES",
    "DEFAULT_API_URL",
    "FileIds",
    "MemoryFileIds",
    "SendError",
    "TelegramSender",
    "make_bot",
    "set_webhook",
]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org/bot"
# What the webhook asks for; anything else Telegram would only post to be ignored.
ALLOWED_UPDATES = (UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY, UpdateType.MY_CHAT_MEMBER)


SendError = base.SendError

# `_text` calls sendMessage through Bot.do_api_request, which suggests Bot.send_message instead.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)


class FileIds(Protocol):
    """Where the file_ids of uploaded photos are kept, so each file is uploaded once."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, file_id: str) -> None: ...


class MemoryFileIds:
    """FileIds in a dict, for tests and trials."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.ids.get(key)

    def set(self, key: str, file_id: str) -> None:
        self.ids[key] = file_id


class TelegramSender:
    """Sends the engine's messages to Telegram chats; a certificate as its picture and its
    PDF, drawn by `certificates` (None: its words only)."""

    def __init__(
        self, bot: Bot, file_ids: FileIds, certificates: base.CertificateFiles | None = None
    ) -> None:
        self.bot = bot
        self.file_ids = file_ids
        self.certificates = certificates

    async def send(self, chat: str, message: Outbound, *, key: str = "", skip: int = 0) -> None:
        """Send `message` to `chat`, leaving out its first `skip` parts (sent before a failure).
        Raises SendError."""
        try:
            parts = render(message)
        except ValueError as exc:  # a payload hocso made too long: a bug, retrying won't help
            raise SendError(str(exc), permanent=True) from exc
        if not parts:
            log.warning("nothing to send to chat %s: the message has no text and no image", chat)
        for index, part in enumerate(parts[skip:], start=skip):
            try:
                await self._part(chat, part)
            except TelegramError as exc:
                raise _send_error(exc, sent=index) from exc

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the button's spinner. Failures are logged only: a query answered too late
        (Telegram allows about 15 s) must not hold up the reply."""
        try:
            await self.bot.answer_callback_query(callback_id)
        except TelegramError as exc:
            log.warning("could not answer callback query %s: %s", callback_id, exc)

    async def _part(self, chat: str, part: Part) -> None:
        if part.certificate is not None:
            await self._certificate(chat, part, part.certificate)
        elif part.image is None:
            await self._text(chat, part)
        elif part.image.startswith(("https://", "http://")):
            await self._photo(chat, part, part.image)
        else:
            await self._file(chat, part, Path(part.image))

    async def _certificate(self, chat: str, part: Part, code: str) -> None:
        """A certificate's picture (uploaded: it is drawn afresh, with the name as it is now)
        or its PDF as a document. One that no longer stands is not sent, its words are."""
        drawn = await self.certificates.files(code) if self.certificates else None
        if drawn is None:
            log.warning("certificate %s not drawn (revoked, or gone); its words only", code)
            if part.text or part.markup is not None:
                await self._text(chat, replace(part, text=part.text or "🏅"))
            return
        if not part.document:
            await self._photo(chat, part, drawn.png, filename=f"{drawn.name}.png")
            return
        await self.bot.send_document(
            chat_id=chat,
            document=drawn.pdf,
            filename=f"{drawn.name}.pdf",
            caption=part.text or None,
            parse_mode=ParseMode.HTML if part.text else None,
            reply_markup=part.markup,
        )

    async def _text(self, chat: str, part: Part) -> None:
        """sendMessage through `do_api_request`: the same request and the same errors as
        `Bot.send_message`, without building a `Message` from the answer, which nothing here
        reads and which took a sixth of a worker's CPU under load (py-spy, bench_webhook)."""
        parameters: dict[str, object] = {
            "chat_id": chat,
            "text": part.text,
            "parse_mode": ParseMode.HTML,
        }
        if part.reply_markup is not None:
            parameters["reply_markup"] = part.reply_markup
        await self.bot.do_api_request("sendMessage", api_kwargs=parameters)

    async def _photo(
        self, chat: str, part: Part, photo: str | bytes, filename: str | None = None
    ) -> Message:
        return await self.bot.send_photo(
            chat_id=chat,
            photo=photo,
            filename=filename,
            caption=part.text or None,
            parse_mode=ParseMode.HTML if part.text else None,
            reply_markup=part.markup,
        )

    async def _file(self, chat: str, part: Part, path: Path) -> None:
        """A photo from disk: by the file_id of an earlier upload of the same file (same path,
        size and modification time), else uploaded and its file_id kept."""
        try:
            stat = path.stat()
        except OSError as exc:
            # A content problem (lint reports it); the words still reach the learner.
            log.error("image %s cannot be read (%s); sending the text without it", path, exc)
            if part.text:
                await self._text(chat, part)
            return
        key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
        file_id = self.file_ids.get(key)
        if file_id is not None:
            try:
                await self._photo(chat, part, file_id)
                return
            except BadRequest as exc:
                # file_ids belong to one bot: a new token makes the kept ones unknown.
                if "file" not in exc.message.lower():
                    raise
                log.warning("kept file_id of %s refused (%s); uploading again", path, exc)
        data = await asyncio.to_thread(path.read_bytes)
        sent = await self._photo(chat, part, data, filename=path.name)
        if sent.photo:
            largest = max(sent.photo, key=lambda size: size.width * size.height)
            self.file_ids.set(key, largest.file_id)


def _send_error(exc: TelegramError, *, sent: int = 0) -> SendError:
    """What a PTB error means for delivery. PTB raises, from the HTTP status: RetryAfter (429
    with parameters.retry_after), Forbidden (403), BadRequest (400), InvalidToken (401, 404),
    TimedOut (no answer in time), NetworkError (5xx, connection errors); BadRequest and TimedOut
    are NetworkErrors too, so the order below matters."""
    description = exc.message
    if isinstance(exc, RetryAfter):
        return SendError(description, retry_after=_retry_after(exc), sent=sent, rate_limited=True)
    if isinstance(exc, Forbidden | BadRequest | ChatMigrated):
        return SendError(description, permanent=True, sent=sent, gone=_gone(exc))
    # TimedOut, NetworkError (5xx, 502 from a proxy, refused connections), and InvalidToken or
    # Conflict: a setting to fix, after which the messages waiting can still go.
    return SendError(description, sent=sent)


def _gone(exc: TelegramError) -> str | None:
    """Why a refused chat cannot be reached at all: 403 "Forbidden: bot was blocked by the
    user" or "…: user is deactivated" (the learner's doing, until they write again), 400 "Bad
    Request: chat not found"; None for a message Telegram refuses (hocso's doing)."""
    said = exc.message.lower()
    if isinstance(exc, Forbidden):
        return "deactivated" if "deactivated" in said else "blocked"
    if isinstance(exc, BadRequest) and "chat not found" in said:
        return "no chat"
    return None


def _retry_after(exc: RetryAfter) -> float:
    # PTB 22 warns on reading retry_after as an int; it becomes a timedelta in a later major.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, dtm.timedelta) else float(wait)


async def set_webhook(bot: Bot, url: str, secret: str) -> None:
    """Point Telegram at the service: `url` (https), `secret` echoed in the
    X-Telegram-Bot-Api-Secret-Token header, only the update kinds the service reads, and
    updates already waiting kept. Raises SendError."""
    try:
        await bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
        )
    except TelegramError as exc:
        raise _send_error(exc) from exc


def make_bot(
    token: str,
    api_url: str = DEFAULT_API_URL,
    *,
    read_timeout: float = 10.0,
    connections: int = 64,
) -> Bot:
    """A Bot calling `api_url` + token (Telegram, a local Bot API server or a test stand-in).
    Call `await bot.initialize()` (or `async with bot`) before use and `shutdown()` after."""
    request = AiohttpRequest(connections=connections, read_timeout=read_timeout)
    return Bot(token, base_url=api_url, request=request, get_updates_request=request)
