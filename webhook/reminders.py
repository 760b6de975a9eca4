"""The reminder sweep every worker runs: the learners whose reminder is due (the store's
schedule `due`, `Store.due`), each sent with `Tutor.remind` as bulk deliveries.

Every `every` seconds (30), up to `batch` due learners, earliest first:

- replies first: nothing is queued while the outbox holds more than `busy` messages (the
  sweep stops there and looks again next time);
- at most `rate` reminders a second, all workers together (the store's token bucket
  `remind`);
- once each: two workers sweeping the same learner apply one reminder (the event
  `remind:<learner>:<due>` is applied at most once, and checked again in its atomic step);
- the queue is never kicked: the courier's poller claims bulk queues after every queue that
  holds a reply (`webhook.delivery`).

The schedule lives in the store, so a restart loses nothing: what fell due meanwhile is swept
at start. One line a sweep that found any, counts only (no learner, no chat):

```json
{"msg": "reminders", "due": 3, "sent": 2, "held": 1, "repeats": 0, "ms": 12.5}
```
`held`: due but not sent (a quiet hour, a closed window, turned off since: planned again or
dropped); `repeats`: applied by another worker first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.stores.base import Store
from bot.tutor import Tutor
from webhook.storecalls import StoreCalls
from webhook.storefailures import StoreFailures

log = logging.getLogger("hocso.reminders")

SCHEDULE = "due"  # the ranked set bot.tally keeps of when each learner's reminder is due
BUCKET = "remind"  # the token bucket that holds all workers to HOCSO_REMIND_RATE
BUSY = 50  # messages queued over which no reminder is queued


@dataclass
class Swept:
    """What one sweep did."""

    due: int = 0
    sent: int = 0
    held: int = 0
    repeats: int = 0
    busy: bool = False


class ReminderSweep:
    """Sends the reminders that fall due, through `tutor`, until cancelled (`run`)."""

    def __init__(
        self,
        tutor: Tutor,
        store: Store,
        *,
        calls: StoreCalls,
        failures: StoreFailures,
        clock: Callable[[], float] = time.time,
        every: float = 30.0,
        rate: float = 5.0,
        batch: int = 100,
        busy: int = BUSY,
    ) -> None:
        self.tutor = tutor
        self.store = store
        self.calls = calls
        self.failures = failures
        self.clock = clock
        self.every = every
        self.rate = rate
        self.batch = batch
        self.busy = busy

    async def run(self) -> None:
        """Sweep at once, then every `every` seconds."""
        while True:
            try:
                await self.sweep()
            except Exception as error:
                self.failures.log(log, "the reminder sweep failed", error, {})
            await asyncio.sleep(self.every)

    async def sweep(self) -> Swept:
        """Send what is due now (see the module)."""
        started = time.perf_counter()
        swept = Swept()
        due = await self.calls(self.store.due, SCHEDULE, self.clock(), self.batch)
        swept.due = len(due)
        for learner, at in due:
            if await self.calls(self.store.pending) > self.busy:
                swept.busy = True
                break
            await self._token()
            queued = await self.calls(self.tutor.remind, learner, at, self.clock())
            if queued is None:
                swept.repeats += 1
            elif queued:
                swept.sent += 1
            else:
                swept.held += 1
        if due:
            ms = round((time.perf_counter() - started) * 1000, 2)
            counts = {"due": swept.due, "sent": swept.sent, "held": swept.held}
            extra = {**counts, "repeats": swept.repeats, "busy": swept.busy, "ms": ms}
            log.info("reminders", extra=extra)
        return swept

    async def _token(self) -> None:
        """Wait for the bucket's next token (HOCSO_REMIND_RATE, all workers): on the wall
        clock, as every worker's."""
        take = self.store.take_token
        while wait := await self.calls(take, BUCKET, self.rate, 1.0, time.time()):
            await asyncio.sleep(wait)
