"""Calling the (synchronous) store from the event loop.

A store whose calls wait on a disk (SQLite: every commit is fsynced) runs them in worker
threads, so the loop serves other learners meanwhile. Memory and Redis calls are quick
round trips: handing them to a thread cost more than the call itself (measured: 195 against
382 turns a second in scripts/bench_webhook.sh), so they run inline.

Inline, a Redis that does not answer (stopped, or its machine gone) would hold the whole
loop for as long as a call may wait (`HOCSO_STORE_TIMEOUT`), call after call. So once a call
fails for want of an answer (redis ConnectionError, TimeoutError) the store counts as down:
the calls after it fail at once (`StoreUnavailable`: the webhook answers 503, /healthz too)
while a ping in a worker thread, every `probe_every` seconds, waits for it to answer again.
Two log lines tell when:

```json
{"level": "warning", "logger": "hocso.store",
 "msg": "the store does not answer; its calls fail at once until it does",
 "error": "TimeoutError: Timeout reading from 127.0.0.1:6379"}
{"level": "info", "logger": "hocso.store", "msg": "the store answers again"}
```
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
import redis
from anyio import CapacityLimiter

from bot.stores.base import Store
from webhook.storefailures import brief

__all__ = ["StoreCalls", "StoreUnavailable"]

log = logging.getLogger("hocso.store")
T = TypeVar("T")

NO_ANSWER = (redis.ConnectionError, redis.TimeoutError)


class StoreUnavailable(redis.ConnectionError):
    """A call not even tried: the store did not answer the last one, nor a ping since."""


class StoreCalls:
    def __init__(self, store: Store, threads: int = 64, *, probe_every: float = 0.5) -> None:
        self.store = store
        self.probe_every = probe_every
        self._limiter = CapacityLimiter(threads) if store.waits_on_disk else None
        self.down: str | None = None  # why the store counts as down; None while it answers
        self._probe: asyncio.Task[None] | None = None

    async def __call__(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._limiter is not None:
            return await anyio.to_thread.run_sync(
                lambda: call(*args, **kwargs), limiter=self._limiter
            )
        if self.down is not None:
            raise StoreUnavailable(f"the store does not answer ({self.down})")
        try:
            return call(*args, **kwargs)
        except NO_ANSWER as error:
            self._went_down(error)
            raise

    def _went_down(self, error: Exception) -> None:
        self.down = brief(error)
        log.warning(
            "the store does not answer; its calls fail at once until it does",
            extra={"error": self.down},
        )
        self._probe = asyncio.get_running_loop().create_task(self._wait_until_up())

    async def _wait_until_up(self) -> None:
        while not await anyio.to_thread.run_sync(self.store.ping, abandon_on_cancel=True):
            await asyncio.sleep(self.probe_every)
        self.down = None
        log.info("the store answers again")

    async def stop(self) -> None:
        """Stop waiting for the store (the service stops)."""
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
