"""A person on the line, for the service (`bot.helpdesk` says what a request is): a helper's
answer or `/xong` from a desk's Telegram group (`Helpdesk.staff`), and the sweep every worker
runs, as `webhook.service`'s expiry sweeper does, that closes requests nobody answered in
time (`Helpdesk.run`). Each goes through the store at most once (the update's id; the code
for an expiry), so any number of workers may try it.

One log line each, never a name, a chat id or anyone's words:

```json
{"msg": "help answer", "request": "H-7K2P", "outcome": "answered"}
{"msg": "help requests expired", "count": 2}
```
An answer from a chat that is not the request's desk is acknowledged and ignored
(`outcome` "not_desk"), as is one to a request closed before ("not_open").
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from datetime import datetime

from bot import helpdesk
from bot.content import Content, ContentHolder
from bot.engine import resume_buttons
from bot.helpdesk import DESK_CHANNEL, Applied, HelpPolicy, How
from bot.learner import VIETNAM
from bot.stores.base import Change, Delivery, Store
from handlers.telegram import Staff
from webhook.storecalls import StoreCalls
from webhook.storefailures import StoreFailures

log = logging.getLogger("hocso.helpdesk")

SWEEP_EVERY = 60.0
"""Seconds between a worker's looks for requests past their time."""
SWEEP_MOST = 100
"""Requests one sweep closes at most (the next sweep takes the rest)."""


class Helpdesk:
    """Helpers' answers and closings, and the expiry sweep, for one worker."""

    def __init__(
        self,
        store: Store,
        calls: StoreCalls,
        content: ContentHolder,
        policy: HelpPolicy,
        *,
        kick: Callable[[str], None] = lambda queue: None,
        failures: StoreFailures | None = None,
        every: float = SWEEP_EVERY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.calls = calls
        self.content = content
        self.policy = policy
        self.kick = kick
        self.failures = failures or StoreFailures()
        self.every = every
        self.clock = clock

    async def staff(self, event_id: str, staff: Staff) -> str:
        """Apply a helper's message from a desk's group at most once: an answer to the
        learner, or (`text` None) the request closed. The outcome, for the log and tests."""
        now = self.clock()
        at = datetime.fromtimestamp(now, VIETNAM)
        content = self.content.current
        desk = f"{DESK_CHANNEL}:{staff.chat}"

        def answer(applied: Applied) -> Change[list[Delivery]]:
            assert staff.text is not None
            return helpdesk.answer(
                staff.code, staff.who, staff.text, at, content, applied, desk=desk,
                policy=self.policy,
            )  # fmt: skip

        make: Callable[[Applied], Change[list[Delivery]]] = answer
        if staff.text is None:
            make = self.closing(staff.code, "helper", at, content, who=staff.who, desk=desk)
        applied, queued = await self.calls(
            helpdesk.apply, self.store, event_id, staff.code, make, now
        )
        self._send(queued)
        log.info("help answer", extra={"request": staff.code, "outcome": applied.outcome})
        return applied.outcome

    async def run(self) -> None:
        """Close the requests past their time every `every` seconds, until cancelled."""
        while True:
            try:
                await self.sweep()
            except Exception as error:
                self.failures.log(log, "expired help requests could not be closed", error, {})
            await asyncio.sleep(self.every)

    async def sweep(self) -> int:
        """Close the requests whose time is over (not in the quiet hours: the learner is not
        woken up; their own next message closes it meanwhile); how many this worker closed."""
        now = self.clock()
        at = datetime.fromtimestamp(now, VIETNAM)
        if helpdesk.is_quiet(self.policy.quiet, at):
            return 0
        due = await self.calls(self.store.due, "help", now - self.policy.hours * 3600, SWEEP_MOST)
        closed = 0
        content = self.content.current
        for learner_id, _ in due:
            learner = await self.calls(self.store.get, learner_id)
            request = learner.help if learner is not None else None
            if request is None or not helpdesk.expired(request, at):
                continue
            make = self.closing(request.code, "expired", at, content)
            event = f"help-expire:{request.code}:{request.opened_at}"  # a code comes back
            applied, queued = await self.calls(
                helpdesk.apply, self.store, event, request.code, make, now
            )
            self._send(queued)
            closed += applied.outcome == "closed"
        if closed:
            log.info("help requests expired", extra={"count": closed})
        return closed

    def closing(
        self,
        code: str,
        how: How,
        at: datetime,
        content: Content,
        *,
        who: str = "",
        desk: str | None = None,
    ) -> Callable[[Applied], Change[list[Delivery]]]:
        """The change that closes request `code`, the learner shown the way back."""

        def make(applied: Applied) -> Change[list[Delivery]]:
            return helpdesk.close(
                code, how, at, content, applied, who=who, desk=desk, hours=self.policy.hours,
                resume=functools.partial(resume_buttons, content),
            )  # fmt: skip

        return make

    def _send(self, queued: list[Delivery]) -> None:
        for queue in dict.fromkeys(delivery.queue for delivery in queued):
            self.kick(queue)
