"""What every channel's sender offers the delivery loop, and how sending fails."""

from __future__ import annotations

from typing import Protocol

from bot.outbound import Outbound


class SendError(Exception):
    """A message could not be sent. `retry_after`: the platform asked to wait this long;
    `permanent`: it never will be (the learner blocked the bot, the chat is gone)."""

    def __init__(
        self, description: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after
        self.permanent = permanent


class Sender(Protocol):
    """Sends one message to one chat of its channel, or raises SendError."""

    async def send(self, chat: str, message: Outbound) -> None: ...
