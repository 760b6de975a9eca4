"""A learner on a messaging platform as the tests play one, whatever the platform: what they
send is posted to the service's webhook as the platform posts it, what they receive is what the
platform's stand-in (`support.stand_in`) recorded for their chat.

`Hook` posts JSON with the webhook's secret header (Telegram's `Webhook` and the Zalo Bot's
`ZaloBotWebhook` in `support.service`); `ChatLearner` keeps what was posted and waits for
replies, and each platform's learner adds its own gestures (`start`, `tap`, `follow`, ...):
`TelegramLearner`, `ZaloBotLearner` (`support.service`) and `OALearner`
(`support.fake_zalo_oa`).
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, Self

import httpx

from support.stand_in import SentT, StandIn
from support.waiting import await_until


class Posts(Protocol):
    """What a learner posts through: a client of one webhook of the service."""

    async def post(
        self, body: dict[str, Any], /, *, expect: int | None = 200
    ) -> httpx.Response: ...


class Hook:
    """POSTs to the webhook at `url` as its platform does: one POST an update, JSON, the
    `secret` in the `header` (none when `secret` is None); one client for all (`async with`
    closes it)."""

    def __init__(self, url: str, header: str, secret: str | None, *, connections: int) -> None:
        self.url = url
        self.header = header
        self.secret = secret
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.client = httpx.AsyncClient(timeout=30, limits=limits)

    async def post(self, body: object, *, expect: int | None = 200) -> httpx.Response:
        """POST `body`; unless `expect` is None, the status must be `expect`."""
        headers = {self.header: self.secret} if self.secret is not None else {}
        response = await self.client.post(self.url, json=body, headers=headers)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        return response

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()


class ChatLearner(Generic[SentT]):
    """One learner in a private chat with the bot: `id` is their learner id in the store."""

    def __init__(
        self, hook: Posts, fake: StandIn[Any, SentT, Any], chat: str | int, learner: str
    ) -> None:
        self.hook = hook
        self.fake = fake
        self.chat = chat
        self.id = learner
        self.seen = 0  # messages received (waited for) so far
        self.posted: list[dict[str, Any]] = []

    @property
    def messages(self) -> list[SentT]:
        return self.fake.messages(self.chat)

    async def post(self, body: dict[str, Any], *, expect: int | None = 200) -> httpx.Response:
        self.posted.append(body)
        return await self.hook.post(body, expect=expect)

    async def replies(self, count: int = 1, timeout: float = 10.0) -> list[SentT]:
        """Wait for `count` more messages than already seen; return them."""
        want = self.seen + count
        await await_until(
            lambda: len(self.messages) >= want,
            timeout,
            f"chat {self.chat} to get {want} messages (has {len(self.messages)})",
        )
        new = self.messages[self.seen : want]
        self.seen = want
        return new
