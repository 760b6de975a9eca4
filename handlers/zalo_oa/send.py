"""Sending to the users of a Zalo Official Account through its consultation API (OA API v3),
and telling the caller what a failure means.

    POST <ZALO_OA_API_URL>/v3.0/oa/message/cs            access_token: <the OA access token>
    {"recipient": {"user_id": "2512523625412515"}, "message": {"text": "…"}}

Zalo answers HTTP 200 either way; `error` says how it went:
```json
{"error": 0, "message": "Success", "data": {"message_id": "63ecf43f…", "user_id": "…"}}
{"error": -230, "message": "User has not interacted with the OA in the past 7 days"}
```
| error | meaning | what `send` does |
|---|---|---|
| -216, -220 | access token invalid or expired | refresh it (`tokens`), call once more |
| -230, -232 | the user has not written in 7 days: the window is closed | permanent, `gone` |
| -213, -217, -222, -227 | not a follower, blocked, inactive | permanent, `gone` |
| -201, -210, -233 | a parameter Zalo refuses (a bug here) | permanent |
| -32 | over the OA's rate limit (per minute) | retry after `rate_limit_wait` |
| -211, -218, -311, -320, -321 | out of quota | retry after `quota_wait` |
| any other, HTTP 5xx, network | | retry with backoff |

One message of hocso may take several calls (a picture, the text, more buttons). When a call
fails, the calls before it are not made again when the courier retries the same message to
the same chat from this worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from bot.outbound import Outbound
from handlers import base
from handlers.base import SendError
from handlers.zalo_oa.render import render
from handlers.zalo_oa.tokens import TokenKeeper

__all__ = ["CALLS_PER_MINUTE", "RATE", "SendError", "ZaloOASender"]

log = logging.getLogger("hocso.zalo_oa")

CALLS_PER_MINUTE = 4000  # the OA API's documented limit; over it, error -32
# Messages a second for the courier: a message takes up to 3 calls (picture, text, more
# buttons), so 20 a second stays under the limit with room for refreshes and retries.
RATE = 20.0

TOKEN_REFUSED = frozenset({-216, -220})
RATE_LIMITED = -32
WINDOW_CLOSED = frozenset({-230, -232})
UNDELIVERABLE = WINDOW_CLOSED | {-213, -217, -222, -227}
REFUSED_MESSAGE = frozenset({-201, -210, -233})
QUOTA = frozenset({-211, -218, -311, -320, -321})
# The OA or app as configured cannot send at all: an admin must fix the settings.
CONFIGURATION = frozenset({-202, -204, -205, -207, -208, -209, -212, -215, -221, -224, -242})


class ZaloOASender:
    """Sends the engine's messages to Zalo users as consultation messages."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        tokens: TokenKeeper,
        *,
        api_url: str,
        media_url: Callable[[str], str | None],
        more: Callable[[], str],
        rate_limit_wait: float = 60.0,
        quota_wait: float = 3600.0,
        attach: base.Attach | None = None,
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.url = f"{api_url.rstrip('/')}/v3.0/oa/message/cs"
        self.media_url = media_url  # where Zalo fetches a picture; None: it cannot
        self.more = more  # the sentence above buttons that did not fit under the message
        self.rate_limit_wait = rate_limit_wait
        self.quota_wait = quota_wait
        self.attach = attach  # a certificate's picture and PDF, by address

    async def send(self, chat: str, message: Outbound, *, key: str = "", skip: int = 0) -> None:
        """Send `message` to the user `chat`, leaving out its first `skip` calls (sent before a
        failure). Raises SendError, with `sent` counting the calls that went through."""
        message = await base.attached(message, self.attach)
        image_url = None
        if message.image is not None:
            image_url = self.media_url(message.image)
            if image_url is None:
                log.warning(
                    "picture %s has no address Zalo can fetch (HOCSO_PUBLIC_URL); "
                    "sending the message without it",
                    message.image,
                )
        try:
            parts = render(message, image_url=image_url, more=self.more())
        except ValueError as error:  # a button hocso made too long: retrying won't help
            raise SendError(str(error), permanent=True) from error
        for index, part in enumerate(parts[skip:], start=skip):
            try:
                await self._call(chat, part)
            except SendError as error:
                error.sent = index
                raise

    async def _call(self, chat: str, message: dict[str, Any]) -> None:
        token = await self.tokens.access_token()
        code, why = await self._post(token, chat, message)
        if code in TOKEN_REFUSED:
            token = await self.tokens.refreshed(token)
            code, why = await self._post(token, chat, message)
        if code != 0:
            raise self._error(code, why)

    async def _post(self, token: str, chat: str, message: dict[str, Any]) -> tuple[int, str]:
        """Zalo's `error` and `message` for one call; SendError when it did not answer one."""
        body = {"recipient": {"user_id": chat}, "message": message}
        try:
            answer = await self.client.post(self.url, json=body, headers={"access_token": token})
        except httpx.HTTPError as error:
            raise SendError(f"{type(error).__name__} calling the OA API") from error
        if answer.status_code == 429:
            raise SendError(
                "HTTP 429 from the OA API", retry_after=self.rate_limit_wait, rate_limited=True
            )
        if answer.status_code != 200:
            raise SendError(f"HTTP {answer.status_code} from the OA API")
        try:
            data = answer.json()
        except ValueError as error:
            raise SendError("the OA API answered something that is not JSON") from error
        code = data.get("error") if isinstance(data, dict) else None
        if isinstance(code, str) and code.lstrip("-").isdigit():
            code = int(code)
        if not isinstance(code, int) or isinstance(code, bool):
            raise SendError("the OA API answered without an error code")
        return code, str(data.get("message", ""))[:200]

    def _error(self, code: int, why: str) -> SendError:
        what = f"Zalo OA error {code}: {why}"
        if code == RATE_LIMITED:
            return SendError(what, retry_after=self.rate_limit_wait, rate_limited=True)
        if code in QUOTA:
            return SendError(what, retry_after=self.quota_wait)
        if code in UNDELIVERABLE:
            gone = "window" if code in WINDOW_CLOSED else "blocked"
            return SendError(what, permanent=True, gone=gone)
        if code in REFUSED_MESSAGE:
            return SendError(what, permanent=True)
        if code in TOKEN_REFUSED:
            return SendError(f"{what} (again, with a refreshed token)")
        if code in CONFIGURATION:
            log.error("the OA API refuses this app or OA (%s): check the ZALO_OA_* settings", what)
        return SendError(what)
