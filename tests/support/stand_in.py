"""What the stand-in platform servers (`fake_telegram`, `fake_zalo_bot`, `fake_zalo_oa`)
share: the app served on a free 127.0.0.1 port in a background thread (`with` starts and stops
it), the calls and the messages that went through kept under one lock that a test can wait on,
and scripted answers queued under a key (a method and a chat, or a user) and taken in order.

A stand-in names its thread, builds its app, and records with `_keep_call` and `_keep_sent`:

    class FakeChat(StandIn[Call, Sent, Scripted]):
        name = "fake-chat"

        def app(self) -> Starlette:
            return Starlette(routes=[Route("/send", self._send, methods=["POST"])])
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict, deque
from collections.abc import Hashable
from dataclasses import replace
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from starlette.applications import Starlette

from support.served import Served, Started


class Shown(Protocol):
    """A message as a stand-in records it: a frozen dataclass with its text and `at`, when it
    went through."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def text(self) -> str: ...

    @property
    def at(self) -> float: ...


CallT = TypeVar("CallT")
SentT = TypeVar("SentT", bound=Shown)
ScriptT = TypeVar("ScriptT")


class StandIn(Started, Generic[CallT, SentT, ScriptT]):
    """The stand-in server; a context manager that runs it in a background thread."""

    name: ClassVar[str] = "stand-in"  # its thread's

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._calls: list[CallT] = []
        self._sent: dict[str, list[SentT]] = defaultdict(list)
        self._scripts: dict[Hashable, deque[ScriptT]] = defaultdict(deque)
        self._served: Served | None = None
        self.port = 0

    # -- running ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:
        raise NotImplementedError

    def start(self) -> Self:
        self._served = Served(self.app(), name=self.name)
        self._served.start(timeout=10)
        self.port = self._served.port
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop(timeout=10)
        self._served = None

    async def _sleep(self, seconds: float) -> None:
        """Wait, but not past `stop`: a test that timed out should not wait for its answer."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and self._served is not None and not self._served.stopping:
            await asyncio.sleep(min(0.01, max(0.0, end - time.monotonic())))

    # -- reading what happened --------------------------------------------------------------

    def messages(self, chat: str | int) -> list[SentT]:
        """The messages that went through to `chat`, oldest first."""
        with self._lock:
            return list(self._sent.get(str(chat), []))

    def texts(self, chat: str | int) -> list[str]:
        return [sent.text for sent in self.messages(chat)]

    def wait_for_messages(self, chat: str | int, count: int, timeout: float = 5.0) -> list[SentT]:
        """Block until `chat` has `count` messages (for code that sends in the background)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._sent.get(str(chat), [])) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = len(self._sent.get(str(chat), []))
                    raise TimeoutError(f"chat {chat} got {got} messages, not {count}")
                self._lock.wait(left)
            return list(self._sent[str(chat)])

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._sent.clear()
            self._scripts.clear()

    # -- recording and scripting ------------------------------------------------------------

    def _keep_call(self, call: CallT) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def _keep_sent(self, chat: str, sent: SentT) -> None:
        """`sent` went through to `chat` now (its `at`); wake whoever waits for it."""
        with self._lock:
            self._sent[chat].append(replace(sent, at=time.monotonic()))
            self._lock.notify_all()

    def _next_script(self, *keys: Hashable) -> ScriptT | None:
        """The next scripted answer queued under the first of `keys` that has one."""
        with self._lock:
            for key in keys:
                queue = self._scripts.get(key)
                if queue:
                    return queue.popleft()
        return None
