"""What every channel's sender offers the delivery loop, and how sending fails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.outbound import Outbound


class SendError(Exception):
    """A message could not be sent. `retry_after`: the platform asked to wait this long;
    `permanent`: it never will be (the learner blocked the bot, the chat is gone); `sent`: how
    many parts of the message went through before the failure (pass it back as `skip`);
    `rate_limited`: the platform refused it for too many requests (HTTP 429 or its own code
    for that), counted in `hocso_rate_limited_total`; `gone`: why the learner cannot be
    reached at all now ("blocked", "no chat", "window"…), for a permanent failure that says so:
    no reminder is pushed to them until they write again."""

    def __init__(
        self,
        description: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        sent: int = 0,
        rate_limited: bool = False,
        gone: str | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after
        self.permanent = permanent
        self.sent = sent
        self.rate_limited = rate_limited
        self.gone = gone

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


@dataclass(frozen=True)
class Drawn:
    """A certificate as files: its picture (PNG) and its PDF, and the name to give them
    (`giay-chung-nhan-HS-7K2P-9QXD`, the extension added)."""

    png: bytes
    pdf: bytes
    name: str


class CertificateFiles(Protocol):
    """Draws a certificate by its number, with its learner's name as it is now; None when the
    number does not stand (revoked since, or its learner gone). Raises SendError when it
    cannot tell now (the store failed): the message is tried again."""

    async def files(self, code: str) -> Drawn | None: ...


Attach = Callable[[Outbound], Awaitable[Outbound]]
"""For a channel that fetches pictures by address: a message with its certificate's picture
as its image and its PDF as a link (`webhook.certificates.Certificates.attach`). Raises
SendError when it cannot tell now."""


async def attached(message: Outbound, attach: Attach | None) -> Outbound:
    """`message` as a channel that takes pictures by address sends it: a certificate's
    files by address, or (no way to them) its words alone."""
    if message.certificate is None:
        return message
    if attach is None:
        return replace(message, certificate=None)
    return await attach(message)
