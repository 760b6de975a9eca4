"""What every channel's sender offers the delivery loop, and how sending fails."""

from __future__ import annotations

from typing import Protocol

from bot.outbound import Outbound


class SendError(Exception):
    """A message could not be sent. `retry_after`: the platform asked to wait this long;
    `permanent`: it never will be (the learner blocked the bot, the chat is gone); `sent`: how
    many parts of the message went through before the failure (pass it back as `skip`);
    `rate_limited`: the platform refused it for too many requests (HTTP 429 or its own code
    for that), counted in `hocso_rate_limited_total`."""

    def __init__(
        self,
        description: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        sent: int = 0,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after
        self.permanent = permanent
        self.sent = sent
        self.rate_limited = rate_limited

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.description!r}, retry_after={self.retry_after}, "
            f"permanent={self.permanent}, sent={self.sent})"
        )


class Sender(Protocol):
    """Sends one message to one chat of its channel, or raises SendError.

    `key` names the delivery (the same on every attempt, in any worker), for a channel that
    can tell a repeat itself; `skip` leaves out the message's first parts, which an earlier
    attempt reported as sent (`SendError.sent`)."""

    async def send(self, chat: str, message: Outbound, *, key: str = "", skip: int = 0) -> None: ...
