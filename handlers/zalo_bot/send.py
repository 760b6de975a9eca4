"""Sending to Zalo Bot chats, and telling the caller what a failure means.

A failed send raises `SendError`:

| Zalo's answer | meaning for delivery |
|---|---|
| 429 (quota) | `retry_after`: what Zalo said, else `DEFAULT_RETRY_AFTER` seconds |
| 400 (bad request, chat not found), 403, any other 4xx | `permanent`: recorded, not retried |
| 401, 404 (the token), 408, 5xx, no JSON, a timeout, a network error | retried later |

403 is ambiguous: Zalo's error table calls it "Internal server error", while it is where a
bot blocked by the learner would be told so. It is tried once more after `forbidden_retry`
seconds, then taken as permanent, so a blocked chat does not hold up its queue for long, and
as the learner's block (`gone`): no reminder goes to them until they write again.
`sent` counts the parts of a message delivered before a failure (pass it back as `skip`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from bot.messages import Messages
from bot.outbound import Outbound
from handlers import base
from handlers.zalo_bot.api import ApiError, ZaloBotApi
from handlers.zalo_bot.render import Part, render

__all__ = ["DEFAULT_RETRY_AFTER", "SendError", "ZaloBotSender", "send_error", "set_webhook"]

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 5.0  # seconds, after a 429 that does not say how long
PHOTO_TIMEOUT = 30.0  # seconds: Zalo fetches the picture from its URL before it answers
# Token problems (fixed by a person, after which waiting messages can still go) and timeouts.
_RETRYABLE_4XX = {401, 404, 408}


class SendError(base.SendError):
    """A message that did not go through, and whether and when to try again (see
    `handlers.base.SendError`); `code` is Zalo's error code."""

    def __init__(
        self,
        description: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        code: int | None = None,
        sent: int = 0,
        rate_limited: bool = False,
        gone: str | None = None,
    ) -> None:
        super().__init__(
            description,
            retry_after=retry_after,
            permanent=permanent,
            sent=sent,
            rate_limited=rate_limited,
            gone=gone,
        )
        self.code = code

    def __repr__(self) -> str:
        return (
            f"SendError({self.description!r}, code={self.code}, retry_after={self.retry_after}, "
            f"permanent={self.permanent}, sent={self.sent})"
        )


def send_error(error: ApiError, *, sent: int = 0) -> SendError:
    """What an API error means for delivery (see the table above)."""
    code = error.code
    description = error.description if code is None else f"{code}: {error.description}"
    if code == 429:
        wait = error.retry_after or DEFAULT_RETRY_AFTER
        return SendError(description, retry_after=wait, code=code, sent=sent, rate_limited=True)
    if code is not None and 400 <= code < 500 and code not in _RETRYABLE_4XX:
        # 403 twice: most likely the learner blocked the bot (see above).
        gone = "blocked" if code == 403 else None
        return SendError(description, permanent=True, code=code, sent=sent, gone=gone)
    return SendError(description, code=code, sent=sent)


class ZaloBotSender:
    """Sends the engine's messages to Zalo Bot chats.

    `messages`: the content's sentences now (for the numbered list's hint); `media_url`: where
    Zalo can fetch a message's image, None when it cannot (see `Service.media_url`)."""

    def __init__(
        self,
        api: ZaloBotApi,
        messages: Callable[[], Messages],
        media_url: Callable[[str], str | None],
        *,
        forbidden_retry: float = 1.0,
        attach: base.Attach | None = None,
    ) -> None:
        self.api = api
        self.messages = messages
        self.media_url = media_url
        self.forbidden_retry = forbidden_retry
        self.attach = attach  # a certificate's picture and PDF, by address

    async def send(self, chat: str, message: Outbound, *, key: str = "", skip: int = 0) -> None:
        """Send `message` to `chat`, leaving out its first `skip` parts (sent before a failure).
        Raises SendError."""
        message = await base.attached(message, self.attach)
        photo = None
        if message.image is not None:
            photo = self.media_url(message.image)
            if photo is None:
                # A setting to fix (HOCSO_PUBLIC_URL), or an image outside the media folder
                # (lint reports it); the words still reach the learner.
                log.error("image %s has no public URL; sending the text without it", message.image)
        parts = render(message, self.messages(), photo)
        if not parts:
            log.warning("nothing to send to chat %s: the message has no text and no image", chat)
        for index, part in enumerate(parts[skip:], start=skip):
            try:
                await self._part(chat, part)
            except ApiError as error:
                raise send_error(error, sent=index) from None

    async def _part(self, chat: str, part: Part) -> None:
        if part.photo is None:
            await self._call("sendMessage", {"chat_id": chat, "text": part.text})
            return
        params = {"chat_id": chat, "photo": part.photo}
        if part.text:
            params["caption"] = part.text
        await self._call("sendPhoto", params, timeout=max(self.api.timeout, PHOTO_TIMEOUT))

    async def _call(self, method: str, params: dict[str, Any], timeout: float | None = None) -> Any:
        try:
            return await self.api.call(method, params, timeout=timeout)
        except ApiError as error:
            if error.code != 403:
                raise
            log.info("%s to chat %s: 403, trying once more", method, params["chat_id"])
        await asyncio.sleep(self.forbidden_retry)
        return await self.api.call(method, params, timeout=timeout)


async def set_webhook(api: ZaloBotApi, url: str, secret: str) -> dict[str, Any]:
    """Point Zalo at the service: `url` (https), `secret` echoed in the X-Bot-Api-Secret-Token
    header. Returns Zalo's result: `url`, `updated_at` and, in newer docs, `verification`, the
    outcome of the test request Zalo makes at once (`webhook.ok`, `webhook.err.unreachable`…).
    Raises SendError."""
    try:
        result = await api.call("setWebhook", {"url": url, "secret_token": secret})
    except ApiError as error:
        raise send_error(error) from None
    return result if isinstance(result, dict) else {}
