"""The delivery loop: sends every chat's queued messages, in order, within the limits.

Each chat's queue lives in the store (see `Store.claim`/`done`/`retry`), so any worker
may send it. A worker holds a queue under a short lease (`LEASE`, 6 s) that it renews every
`LEASE / 3` seconds while it sends (`Store.renew`), however long a send takes: a worker that
dies stops renewing, and another takes its queues over once their leases end, within `LEASE`
seconds and a poll. A worker stalled past its lease (its event loop or store blocked) finds
it gone at its next renewal, and says so.

After a webhook commits, that chat's queue is sent at once from this process: `take` when
the commit leased it the queue (`Store.handle(lease_until=)`: it was empty), else `kick`, which
claims it; a poller picks up anything else that is due (retries, rate-limited chats,
leftovers).

Sent twice: Telegram and Zalo take no idempotency key for a send, so a message whose send
went through but whose `done` was not recorded (the worker died between the two) is sent again
by whoever takes the queue over: at most one message per queue the dead worker was sending
(at most `concurrency` of them), each once more, all its parts.

Limits: a token bucket per chat (Telegram: about one message a second, short bursts) and
one for all chats (30 a second), both shared by every worker through the store; 429
`retry_after` is honoured; network errors and 5xx are retried with backoff; a permanent
error (blocked by the learner, chat not found) is recorded and the message dropped, and told
to `on_failed` (the service marks a learner who blocked the bot unreachable).

Reminders are bulk deliveries (priority 1), never kicked: the poller claims them after every
queue that holds a reply, and a bulk head that must wait for a token is left to the poller
too (a reply's is woken when its token is due), so they go in the capacity replies leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.outbound import from_body
from bot.stores.base import Delivery, Store
from handlers.base import Sender, SendError
from webhook.metrics import Metrics
from webhook.storecalls import StoreCalls
from webhook.storefailures import StoreFailures

log = logging.getLogger("hocso.delivery")
T = TypeVar("T")


Failed = Callable[[Delivery, SendError], Awaitable[None]]
"""Told of each delivery given up on, with the error that ended it."""

MARGIN = 0.95  # of a platform's rate limits that the delivery loop uses
CHAT_SLACK = 0.5
"""Of a chat's burst, the messages kept in hand: a message reaches the platform some time
after its token was taken, longest for the first of a burst on a busy machine (several sent at
once), and the platform counts arrivals. With a burst of 3 the third message waits half a
second, and a later one may lag its token by as much without a 429."""
RESERVE_AHEAD = 60.0
"""Seconds ahead a reply may take the overall tokens of a platform: past that (thousands of
replies waiting) it tries again later."""
CHAT_AHEAD = 5.0
"""Seconds ahead a reply may take its chat's tokens (a turn of more messages than a burst)."""
LATE = 1.0
"""Seconds past its slot a message may still go: one that waited longer for a free send takes
its tokens again."""
LEASE = 6.0  # seconds a worker holds a queue without renewing it (every LEASE / 3 while it does)
WAKE_SLACK = 0.005  # seconds
SENT_REMEMBERED = 10_000  # partly sent deliveries whose progress a worker keeps


@dataclass(frozen=True)
class Limits:
    """Messages a second for all chats (`global_rate`) and per chat (`chat_rate`, with
    `chat_burst` at once); 0 turns a limit off."""

    global_rate: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0


NO_LIMITS = Limits(global_rate=0, chat_rate=0, chat_burst=0)


@dataclass
class Held:
    """A queue this worker holds: its head being sent and when the lease ends."""

    head: Delivery
    until: float


@dataclass(frozen=True)
class Outlet:
    """One channel as the courier sees it: its sender and the platform's rate limits (each
    channel has its own overall bucket)."""

    sender: Sender
    limits: Limits = NO_LIMITS


class Courier:
    """Delivers the outbox of one store through the senders of the configured channels."""

    def __init__(
        self,
        store: Store,
        outlets: dict[str, Outlet],
        *,
        lease: float = LEASE,
        poll: float = 0.5,
        max_attempts: int = 12,
        concurrency: int = 64,
        clock: Callable[[], float] = time.time,
        calls: StoreCalls | None = None,
        failures: StoreFailures | None = None,
        metrics: Metrics | None = None,
        on_failed: Failed | None = None,
    ) -> None:
        self.store = store
        self.on_failed = on_failed
        self.outlets = outlets
        self.lease = lease
        self.poll = poll
        self.max_attempts = max_attempts
        self.clock = clock
        self.failures = failures or StoreFailures()
        self.metrics = metrics or Metrics()  # counts each attempt's outcome (webhook.metrics)
        self._store = calls or StoreCalls(store, concurrency)
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._held = 0  # queues this process holds (claimed, not yet given back)
        self._active: dict[str, bool] = {}  # queue -> kicked again while being drained
        # delivery id -> parts of it sent before a failure, passed back as `skip` when this
        # process tries again (another worker, after a crash, sends the whole message again).
        self._sent: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    # -- entry points -----------------------------------------------------------------------

    def take(self, head: Delivery, until: float) -> None:
        """Send `head` and the rest of its queue from this process: `Store.handle` leased the
        queue to it until `until` (its messages were just committed). Messages committed to
        that queue meanwhile follow `head` (`Store.done` hands them on); one committed once
        it is empty starts it again, leased to whoever committed it."""
        self._spawn(self._drain_taken(head, until))

    def kick(self, queue: str) -> None:
        """Send `queue` now from this process (its messages were just committed)."""
        if queue in self._active:
            self._active[queue] = True
            return
        self._active[queue] = False
        self._spawn(self._drain_queue(queue))

    async def run(self) -> None:
        """Poll for due queues until `stop`."""
        while not self._stopping.is_set():
            try:
                await self.sweep()
            except Exception as error:
                self.failures.log(log, "delivery sweep failed", error, {})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll)

    async def sweep(self, limit: int = 200) -> int:
        """Claim due queues (up to `limit`, and no more than there are free slots to send
        them: a claimed queue waiting for a slot would hold its lease for nothing) and start
        sending each; how many were claimed."""
        claimed = 0
        while claimed < min(limit, self.concurrency - self._held):
            now = self.clock()
            head = await self._store(self.store.claim, None, now, self.lease)
            if head is None:
                break
            claimed += 1
            self._spawn(self._drain(head, now + self.lease))
        return claimed

    async def stop(self) -> None:
        self._stopping.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    async def idle(self) -> None:
        """Wait until this process sends nothing (for tests and shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- sending ----------------------------------------------------------------------------

    async def _drain_queue(self, queue: str) -> None:
        try:
            while True:
                now = self.clock()
                head = await self._store(self.store.claim, queue, now, self.lease)
                if head is not None:
                    await self._drain(head, now + self.lease)
                if not self._active.get(queue):
                    return
                self._active[queue] = False  # kicked while draining: look again
        except Exception as error:
            message = "delivery of queue %s failed; the poller will retry it"
            self.failures.log(log, message, error, {}, queue)
        finally:
            self._active.pop(queue, None)

    async def _drain_taken(self, head: Delivery, until: float) -> None:
        try:
            if until - self.clock() < self.lease / 2:
                # The commit was slow: the lease may have ended, and another worker sent it.
                renewed = await self._store(self.store.renew, head, until, self.clock(), self.lease)
                if renewed is None:
                    return
                until = renewed
            await self._drain(head, until)
        except Exception as error:
            message = "delivery of queue %s failed; the poller will retry it"
            self.failures.log(log, message, error, {}, head.queue)

    async def _drain(self, head: Delivery, until: float) -> None:
        """Send a claimed queue head by head until it is empty, or must wait; its lease (to
        `until`) renewed all along."""
        held = Held(head, until)
        self._held += 1
        keeper = asyncio.get_running_loop().create_task(self._keep(held))
        slots: list[float] = []  # when each following message of `event` may go
        event = ""
        try:
            while True:
                head = held.head
                if not slots or head.event != event:
                    slots, wait = await self._take_tokens(head)
                    if not slots:
                        await self._store(self.store.retry, head, self.clock() + wait, count=False)
                        if head.priority == 0:
                            # A bulk head waits for the poller, which claims the queues of
                            # replies first: woken on its own it would race them for tokens.
                            self._wake(head.queue, wait)
                        return
                    event = head.event
                at = slots.pop(0)
                if at > self.clock():
                    await asyncio.sleep(at - self.clock())
                async with self._slots:
                    # All `concurrency` sends were in flight (a slow platform) until past the
                    # slot: the messages that waited would go at once, faster than the limit.
                    late = self.clock() - at > LATE and self._limited(head.channel)
                    following = None if late else await self._send(head)
                if late:
                    slots = []  # its tokens again
                    continue
                if following is None:
                    return
                held.head, held.until = following
        finally:
            keeper.cancel()
            self._held -= 1

    def _limited(self, channel: str) -> bool:
        outlet = self.outlets.get(channel)
        return outlet is not None and (outlet.limits.global_rate > 0 or outlet.limits.chat_rate > 0)

    async def _keep(self, held: Held) -> None:
        """Renew `held`'s lease every third of it, until cancelled. A renewal that finds the
        lease gone (this worker was stalled past it, and another took the queue) is logged, and
        renewing stops."""
        while True:
            # A third into the lease (sooner for one taken before a slow commit; never more
            # often than every sixth of a lease, when renewals fail).
            left = held.until - self.clock()
            await asyncio.sleep(max(self.lease / 6, left - 2 * self.lease / 3))
            head, until = held.head, held.until
            try:
                renewed = await self._store(self.store.renew, head, until, self.clock(), self.lease)
            except Exception as error:
                message = "the lease of queue %s could not be renewed"
                self.failures.log(log, message, error, {}, head.queue)
                continue
            if held.head is not head:  # done meanwhile: the next head came with its own lease
                continue
            if renewed is None:
                log.warning(
                    "the lease of queue %s was lost: another worker may send it", head.queue
                )
                return
            held.until = renewed

    async def _take_tokens(self, head: Delivery) -> tuple[list[float], float]:
        """Take the platform's tokens for `head` and, for a reply, the messages of its event
        that follow it in its queue (`Delivery.then`): when each may go (clock times, one a
        message), and 0; or no times and the seconds to wait before trying again (nothing
        taken, or only overall tokens that are then lost).

        The platform counts its limits over sliding windows, on its own clock: the buckets run
        at `MARGIN` of the configured rates, and the overall one has no burst (a bucket with a
        burst of N lets N + rate through in one second). A reply takes its overall tokens
        ahead (up to `RESERVE_AHEAD` seconds): the bucket owes them, and the replies behind
        wait their turn, so chats are served in the order their replies were taken, across
        workers, and no worker polls a bucket that is empty. Its chat's tokens are then taken
        for when the first of them is there (the platform counts a chat's messages when they
        arrive). A bulk message takes its tokens only when they are there now, so it never
        holds a reply back."""
        now = self.clock()
        outlet = self.outlets.get(head.channel)
        if outlet is None:
            return [now], 0.0  # _send records it as undeliverable
        limits, reply = outlet.limits, head.priority == 0
        count = 1 + head.then if reply else 1
        if limits.chat_rate > 0:  # no more than a full chat bucket gives within CHAT_AHEAD
            burst = max(1.0, limits.chat_burst - CHAT_SLACK)
            count = min(count, int(burst + CHAT_AHEAD * limits.chat_rate * MARGIN))
        slots = [now] * count
        if limits.global_rate > 0:
            rate, ahead = limits.global_rate * MARGIN, RESERVE_AHEAD if reply else 0.0
            bucket = f"global:{head.channel}"
            last = await self._store(
                self.store.take_token, bucket, rate, 1.0, now, count=count, ahead=ahead
            )
            if last > ahead:
                return [], last
            slots = [now + max(0.0, last - (count - 1 - k) / rate) for k in range(count)]
        if limits.chat_rate > 0:
            rate, ahead = limits.chat_rate * MARGIN, CHAT_AHEAD if reply else 0.0
            bucket = f"chat:{head.queue}"  # bot.stores.base.CHAT_BUCKETS: goes with the learner
            burst, start = max(1.0, limits.chat_burst - CHAT_SLACK), slots[0]
            last = await self._store(
                self.store.take_token, bucket, rate, burst, start, count=count, ahead=ahead
            )
            if last > ahead:
                return [], start - now + last
            slots = [
                max(slot, start + last - (count - 1 - k) / rate) for k, slot in enumerate(slots)
            ]
        return slots, 0.0

    async def _send(self, head: Delivery) -> tuple[Delivery, float] | None:
        """Send one head; return the next head to send and its lease's end, or None when the
        queue is given back."""
        outlet = self.outlets.get(head.channel)
        try:
            if outlet is None:
                raise SendError(f"no channel {head.channel!r} is configured", permanent=True)
            skip = self._sent.pop(head.id, 0)
            await outlet.sender.send(head.chat, from_body(head.body), key=head.id, skip=skip)
        except SendError as error:
            if error.rate_limited:
                self.metrics.rate_limited(head.channel)
            if error.permanent or head.attempts + 1 >= self.max_attempts:
                self.metrics.delivery(head.channel, "failed")
                reason = error.description if error.permanent else f"gave up: {error.description}"
                log.warning("delivery %s to %s failed for good: %s", head.id, head.queue, reason)
                await self._store(self.store.fail, head, reason, self.clock())
                await self._tell_failed(head, error)
                return await self._done(head)
            if error.sent > 0:
                self._remember_sent(head.id, error.sent)
            delay = error.retry_after or min(60.0, 2.0**head.attempts) * (0.5 + random.random())
            log.info("delivery %s to %s retried in %.1fs: %s", head.id, head.queue, delay, error)
            self.metrics.delivery(head.channel, "retried")
            await self._store(self.store.retry, head, self.clock() + delay)
            self._wake(head.queue, delay)
            return None
        self.metrics.delivery(head.channel, "sent")
        return await self._done(head)

    async def _tell_failed(self, head: Delivery, error: SendError) -> None:
        """`on_failed`, whose own failure is logged and changes nothing here."""
        if self.on_failed is None:
            return
        try:
            await self.on_failed(head, error)
        except Exception as failure:
            self.failures.log(log, "a failed delivery could not be noted", failure, {})

    async def _done(self, head: Delivery) -> tuple[Delivery, float] | None:
        """`head` is sent (or failed for good): the next head, leased anew, if any."""
        now = self.clock()
        following = await self._store(self.store.done, head, now, self.lease, now)
        return None if following is None else (following, now + self.lease)

    def _remember_sent(self, delivery: str, parts: int) -> None:
        self._sent[delivery] = parts
        while len(self._sent) > SENT_REMEMBERED:  # retried by another worker: never popped here
            del self._sent[next(iter(self._sent))]

    def _wake(self, queue: str, delay: float) -> None:
        """Look at `queue` again when it is due, instead of waiting for the poller. The loop's
        timer may fire a little before the wall-clock due time the store compares with."""
        if not self._stopping.is_set():
            # Jitter: queues told to wait for the same token should not all race for it at once.
            jitter = random.uniform(0, min(delay, 0.05))
            asyncio.get_running_loop().call_later(delay + WAKE_SLACK + jitter, self.kick, queue)
