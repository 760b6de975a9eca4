"""Calling the (synchronous) store from the event loop.

A store whose calls wait on a disk (SQLite: every commit is fsynced) runs them in worker
threads, so the loop serves other learners meanwhile. Memory and Redis calls are quick
round trips: handing them to a thread cost more than the call itself (measured: 195 against
382 turns a second in scripts/bench_webhook.sh), so they run inline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from bot.stores.base import Store

T = TypeVar("T")


class StoreCalls:
    def __init__(self, store: Store, threads: int = 64) -> None:
        self.store = store
        self._limiter = CapacityLimiter(threads) if store.waits_on_disk else None

    async def __call__(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._limiter is None:
            return call(*args, **kwargs)
        return await anyio.to_thread.run_sync(lambda: call(*args, **kwargs), limiter=self._limiter)
