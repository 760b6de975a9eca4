"""Live content reloads in `hocso serve`: workers follow the published content version, and
SIGHUP publishes the content folder again (`bot.publish` says what publishing is).

Each worker reads the published version about once a second (`ContentFollower`; one small
read, in a thread when the store waits on disk). When it is not the worker's own, the worker
loads its content folder in a thread and, when the folder holds that version and loads
without a problem, swaps it in: one reference, so a turn in flight sees the old content or the
new one, whole. Otherwise it keeps what it runs, logs one line for that version, and tries
again every `RETRY_EVERY` seconds (the folder may be brought up to date meanwhile):

```json
{"level": "info", "logger": "hocso.reload", "msg": "content version 3f9a1c0b2d4e in use",
 "version": "3f9a1c0b2d4e", "previous": "9d0e6a1f2b3c"}
{"level": "warning", "logger": "hocso.reload",
 "msg": "content version 5b7c0d1e2f3a was published; this worker keeps 3f9a1c0b2d4e",
 "version": "5b7c0d1e2f3a", "previous": "3f9a1c0b2d4e",
 "reason": "the folder content holds version 77aa01c2d3e4, not 5b7c0d1e2f3a"}
```

`Republisher` runs `bot.publish.publish` in a thread of its own when asked (`request`, safe
in a signal handler: `hocso serve` calls it on SIGHUP) and logs what came of it.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import anyio.to_thread

from bot.content import ContentHolder
from bot.publish import Published, load_version, publish, published_version
from bot.stores import open_store
from bot.stores.base import Store
from webhook.storecalls import StoreCalls
from webhook.storefailures import StoreFailures

log = logging.getLogger("hocso.reload")

CHECK_EVERY = 1.0
"""Seconds between a worker's reads of the published content version."""
RETRY_EVERY = 5.0
"""Seconds before a worker tries again a published version it could not load."""


class ContentFollower:
    """Keeps one worker's content at the published version (see the module)."""

    def __init__(
        self,
        holder: ContentHolder,
        folder: Path,
        store: Store,
        calls: StoreCalls,
        failures: StoreFailures,
        *,
        every: float = CHECK_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.holder = holder
        self.folder = folder
        self.store = store
        self.calls = calls
        self.failures = failures
        self.every = every
        self.clock = clock
        self._refused: dict[str, float] = {}  # version -> when it was last tried and refused

    async def run(self) -> None:
        """Check every `every` seconds, until cancelled."""
        while True:
            await asyncio.sleep(self.every)
            await self.check()

    async def check(self) -> None:
        """Switch to the published version when it is another one and can be loaded."""
        if self.calls.down is not None:  # said already, where it went down (webhook.storecalls)
            return
        try:
            wanted = await self.calls(published_version, self.store)
        except Exception as error:
            self.failures.log(log, "the published content version could not be read", error, {})
            return
        own = self.holder.version
        if wanted is None or wanted == own:
            return
        refused_at = self._refused.get(wanted)
        if refused_at is not None and self.clock() - refused_at < RETRY_EVERY:
            return
        try:
            content, reason = await anyio.to_thread.run_sync(load_version, self.folder, wanted)
        except Exception as error:  # a folder that cannot even be listed, say
            content, reason = None, f"{type(error).__name__}: {error}"
        if content is None:
            if refused_at is None:
                log.warning(
                    "content version %s was published; this worker keeps %s",
                    wanted,
                    own,
                    extra={"version": wanted, "previous": own, "reason": reason},
                )
            self._refused = {wanted: self.clock()}  # only the latest version is retried
            return
        self._refused = {}
        before = self.holder.swap(content)
        log.info(
            "content version %s in use",
            content.version,
            extra={"version": content.version, "previous": before.version},
        )


class Republisher:
    """Publishes `folder` to the store at `store_url`, in a daemon thread, once per `request`;
    requests made while it publishes make one more run after it (see the module)."""

    def __init__(self, folder: Path, store_url: str, *, timeout: float | None = None) -> None:
        self.folder = folder
        self.store_url = store_url
        self.timeout = timeout
        self._requests: queue.SimpleQueue[str] = queue.SimpleQueue()  # reentrant: signal-safe
        self._thread: threading.Thread | None = None

    def request(self, why: str = "SIGHUP") -> None:
        """Ask for a publish; returns at once. Safe to call from a signal handler."""
        self._requests.put(why)

    def start(self) -> Republisher:
        self._thread = threading.Thread(target=self._serve, name="hocso-republish", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while True:
            why = self._requests.get()
            while not self._requests.empty():  # several asked at once: one publish for all
                self._requests.get()
            self.publish_now(why)

    def publish_now(self, why: str) -> Published | None:
        """Publish the folder and log what came of it; the outcome, None when refused."""
        try:
            store = open_store(self.store_url, timeout=self.timeout)
            try:
                outcome = publish(self.folder, store)
            finally:
                store.close()
        except Exception as error:
            log.error(
                "the content folder %s could not be published (%s)",
                self.folder,
                why,
                extra={"error": f"{type(error).__name__}: {error}"},
            )
            return None
        if isinstance(outcome, Published):
            log.info(
                "content version %s published (%s)",
                outcome.version,
                why,
                extra={
                    "version": outcome.version,
                    "previous": outcome.previous,
                    "warnings": [str(warning) for warning in outcome.warnings],
                },
            )
            return outcome
        log.error(
            "the content folder %s has problems; nothing was published (%s)",
            self.folder,
            why,
            extra={"problems": [str(problem) for problem in outcome.problems]},
        )
        return None
