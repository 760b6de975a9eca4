"""What the tutor said to each web learner, kept in the store, and the page's long polls.

The delivery loop hands `WebSender.send` each queued message; it becomes the next entry of
the learner's transcript, kept under `web-transcript:<chat>` (the last `KEEP` messages):

```json
{"seq": 7, "messages": [{"seq": 6, "text": "…", ...}, {"seq": 7, "text": "…", ...}]}
```
and the number alone under `web-transcript-seq:<chat>`, for cheap polling. Both are kept `ttl`
seconds after the last message (`HOCSO_WEB_TRANSCRIPT_DAYS`), then forgotten: a page opened
after that starts afresh, and is greeted; the learner's progress stays. The courier sends one
chat's queue one message at a time under a lease, so read-change-write is safe here.

A page waits for news with `Transcripts.wait`: woken at once by a message this process
stores, and otherwise (another worker sent it) by re-reading the number every `POLL` seconds.
Sequence numbers only grow; a page that asks after a number the transcript never reached (the
store was emptied) gets the whole transcript again.

When the learner is gone from the store (they deleted their data), what was said to them goes
too: the transcript starts again from the message being sent (the goodbye), and is kept
`GONE_TTL` seconds only, long enough for the open page to show it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bot.outbound import Outbound
from bot.stores.base import Store
from handlers import base
from handlers.base import SendError
from handlers.web.render import ImageUrl, render

__all__ = ["GONE_TTL", "KEEP", "POLL", "TTL", "Transcript", "Transcripts", "WebSender"]

T = TypeVar("T")

KEEP = 50  # messages kept per learner: enough to scroll back over a lesson
POLL = 0.5  # seconds between reads of the store while a page waits
TTL = 30 * 24 * 3600.0  # seconds a transcript is kept after its last message
GONE_TTL = 3600.0  # seconds the goodbye to a learner who deleted their data is kept


class StoreCalls(Protocol):
    """Runs a store call without blocking the event loop (`webhook.storecalls.StoreCalls`)."""

    def __call__(self, call: Callable[..., T], *args: Any) -> Awaitable[T]: ...


@dataclass(frozen=True)
class Transcript:
    """The last messages said to one learner; `seq` is the number of the latest."""

    seq: int = 0
    messages: tuple[dict[str, Any], ...] = ()

    def after(self, seq: int) -> list[dict[str, Any]]:
        """The messages numbered above `seq`; all of them when `seq` is beyond this transcript
        (the page must start again)."""
        if seq > self.seq:
            return list(self.messages)
        return [message for message in self.messages if message["seq"] > seq]

    def to_json(self) -> str:
        return json.dumps({"seq": self.seq, "messages": list(self.messages)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | None) -> Transcript:
        if raw is None:
            return cls()
        data = json.loads(raw)
        return cls(int(data["seq"]), tuple(data["messages"]))


class Transcripts:
    """Every web learner's transcript, and this process's pages waiting on them."""

    def __init__(
        self,
        store: Store,
        calls: StoreCalls,
        *,
        keep: int = KEEP,
        poll: float = POLL,
        ttl: float = TTL,
    ) -> None:
        self.store = store
        self.calls = calls
        self.keep = keep
        self.poll = poll
        self.ttl = ttl
        self._waiting: dict[str, set[asyncio.Event]] = {}

    @staticmethod
    def key(chat: str) -> str:
        return f"web-transcript:{chat}"

    @staticmethod
    def seq_key(chat: str) -> str:
        return f"web-transcript-seq:{chat}"

    async def read(self, chat: str) -> Transcript:
        return Transcript.from_json(await self.calls(self.store.recall, self.key(chat)))

    async def append(
        self, chat: str, entry: Callable[[int], dict[str, Any]], key: str = ""
    ) -> Transcript:
        """Add `entry(seq)` as the next message, keep the last `keep`, and wake the pages of
        `chat` waiting in this process. Only the delivery loop calls this (see above). `key`
        names the delivery: one already in the transcript (a worker stopped after storing it
        but before the outbox heard) is not added twice."""
        transcript = await self.read(chat)
        if key and any(message.get("delivery") == key for message in transcript.messages):
            return transcript
        seq = transcript.seq + 1
        gone = await self.calls(self.store.get, f"web:{chat}") is None
        messages = [] if gone else list(transcript.messages)
        messages.append({**entry(seq), "delivery": key} if key else entry(seq))
        transcript = Transcript(seq, tuple(messages[-self.keep :]))
        # The transcript first: a reader who sees the new number finds the message there.
        ttl = min(self.ttl, GONE_TTL) if gone else self.ttl
        await self._remember(self.key(chat), transcript.to_json(), ttl)
        await self._remember(self.seq_key(chat), str(seq), ttl)
        for event in self._waiting.get(chat, ()):
            event.set()
        return transcript

    async def _remember(self, key: str, value: str, ttl: float) -> None:
        await self.calls(lambda: self.store.remember(key, value, ttl=ttl))

    async def wait(self, chat: str, after: int, timeout: float) -> Transcript:
        """The transcript as soon as its number is not `after`, or after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self._listening(chat) as rung:
            transcript = await self.read(chat)  # after listening: nothing slips in between
            while transcript.seq == after:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rung.wait(), min(self.poll, remaining))
                if rung.is_set():
                    rung.clear()
                elif await self._seq(chat) in (None, after):
                    continue
                transcript = await self.read(chat)
        return transcript

    async def _seq(self, chat: str) -> int | None:
        raw = await self.calls(self.store.recall, self.seq_key(chat))
        try:
            return None if raw is None else int(raw)
        except ValueError:
            return None

    @contextlib.contextmanager
    def _listening(self, chat: str) -> Iterator[asyncio.Event]:
        rung = asyncio.Event()
        waiting = self._waiting.setdefault(chat, set())
        waiting.add(rung)
        try:
            yield rung
        finally:
            waiting.discard(rung)
            if not waiting:
                self._waiting.pop(chat, None)


class WebSender:
    """The web chat's sender for the delivery loop: "sending" is adding to the transcript."""

    def __init__(
        self, transcripts: Transcripts, image_url: ImageUrl, attach: base.Attach | None = None
    ) -> None:
        self.transcripts = transcripts
        self.image_url = image_url
        self.attach = attach  # a certificate's picture and PDF, by (relative) address

    async def send(self, chat: str, message: Outbound, *, key: str = "", skip: int = 0) -> None:
        """Add `message` to the transcript of `chat`, once per delivery `key`. A web message is
        one part: `skip` is never more than 0."""
        message = await base.attached(message, self.attach)
        try:
            entry = lambda seq: render(message, seq, self.image_url)  # noqa: E731
            await self.transcripts.append(chat, entry, key)
        except Exception as error:  # the store failed: the courier tries again later
            raise SendError(f"the transcript could not be stored: {error!r}") from error
