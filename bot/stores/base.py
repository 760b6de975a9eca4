"""The one store interface: learners' state, read and changed atomically.

Every backend (memory, SQLite, Redis) keeps one JSON document per learner (see
`bot.learner.Learner`) and an index from certificate verification codes to the learner
who earned them.
"""

from __future__ import annotations

import base64
import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from bot.learner import Learner
from bot.stores.records import Directory, Records

T = TypeVar("T")

Change = Callable[[Learner | None], tuple[Learner | None, T]]
"""Given the stored learner (None when unknown), return the learner to store (None: delete
it) and a result. It may be called more than once for one update (optimistic retries), so it
must not have side effects."""


@dataclass(frozen=True)
class CertificateRecord:
    """What a verification code proves: who earned which certificate, and when."""

    code: str
    learner: str
    certificate: str
    earned_at: str


EVENT_TTL = 7 * 24 * 3600
"""Seconds an event id is remembered for dedupe (platforms redeliver for a day at most)."""


def event_digest(event_id: str) -> str:
    """What a store keeps of an event id: 22 characters of its SHA-256, base64url. A platform's
    id may hold a chat id (`web:<chat>:<id>`, `zoa:follow:<user>:<time>`); its digest does not,
    and cannot be turned back into it."""
    digest = hashlib.sha256(event_id.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:22]


CHAT_BUCKETS = ("chat", "in")
"""The token buckets of one chat are named `<kind>:<queue>`: `chat` the courier's (what it
sends there), `in` the intake's (what the learner sends)."""


def chat_buckets(queue: str) -> list[str]:
    """The names of the token buckets that belong to one chat (`CHAT_BUCKETS`)."""
    return [f"{kind}:{queue}" for kind in CHAT_BUCKETS]


@dataclass(frozen=True)
class Delivery:
    """One outgoing message, queued in its chat's outbox.

    ```json
    {"channel": "telegram", "chat": "12345", "priority": 0,
     "body": {"kind": "message", "text": "…", "buttons": [["Có", "o:3f9a1c0b2d:0"]]},
     "id": "tg:881/0", "learner": "tg:12345", "attempts": 0}
    ```
    A chat's queue (`queue`) is sent strictly in order. `priority` 0 is an interactive reply,
    1 a bulk message: a queue of interactive replies is claimed before bulk ones. `body` is
    whatever the channel renders; the store never looks inside it. `id` is unique: the event
    id and the message's place in that event's replies. `learner`: whose chat it is (written
    only when known), so that a send refused for good can mark them unreachable. `then`: how
    many messages of the same event follow it in its queue (written only when some do): the
    courier takes their platform tokens with this one's, so that a turn's replies go together.
    `leased` (never stored): `Store.handle` leased its queue to the caller along with it.
    """

    channel: str
    chat: str
    body: dict[str, Any] = field(compare=False)
    id: str = ""
    priority: int = 0
    attempts: int = 0
    learner: str = ""
    then: int = field(default=0, compare=False)
    leased: bool = field(default=False, compare=False)

    @property
    def event(self) -> str:
        """The event whose reply this is (`id` without its place)."""
        return self.id.rpartition("/")[0]

    @property
    def queue(self) -> str:
        return f"{self.channel}:{self.chat}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "chat": self.chat,
            "body": self.body,
            "id": self.id,
            "priority": self.priority,
            **({"learner": self.learner} if self.learner else {}),
            **({"then": self.then} if self.then else {}),
            "attempts": self.attempts,  # last: the Redis retry script relies on it
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Delivery:
        """A stored delivery; keys this version does not know (a newer one's) are left out."""
        return cls(**{key: value for key, value in data.items() if key in _DELIVERY_FIELDS})

    def retried(self) -> Delivery:
        return replace(self, attempts=self.attempts + 1)


_DELIVERY_FIELDS = frozenset(
    {"channel", "chat", "body", "id", "priority", "attempts", "learner", "then"}
)  # what `Delivery.to_dict` writes


def check_ttl(ttl: float | None) -> None:
    """A ttl is None (for good) or a number of seconds above 0; ValueError otherwise."""
    if ttl is not None and not 0 < ttl < math.inf:
        raise ValueError(f"a value's ttl must be a number of seconds above 0, not {ttl!r}")


@dataclass(frozen=True)
class Failure:
    """A delivery given up on for good (the learner blocked the bot, the chat is gone)."""

    delivery: Delivery
    reason: str
    at: float


class Store(Records, Directory, ABC):
    """Where learners live, with the records reports read and the console's directory. Safe
    to share between threads, processes and (Redis) machines."""

    waits_on_disk = False
    """True when calls wait on a disk (SQLite): async callers run them in threads."""

    @abstractmethod
    def get(self, learner_id: str) -> Learner | None:
        """The stored learner, or None."""

    @abstractmethod
    def update(self, learner_id: str, change: Change[T]) -> T:
        """Read, change and write one learner as one atomic step; return the change's result.
        Two updates of one learner never interleave, in any number of processes."""

    @abstractmethod
    def learner_ids(self) -> Iterator[str]:
        """Every stored learner's id, in no particular order."""

    @abstractmethod
    def find_certificate(self, code: str) -> CertificateRecord | None:
        """The certificate a verification code stands for, or None."""

    @abstractmethod
    def ping(self) -> bool:
        """True when the store answers."""

    # -- events and the outbox: what the webhook service needs ------------------------------

    @abstractmethod
    def handle(
        self,
        learner_id: str,
        event_id: str,
        change: Change[list[Delivery]],
        now: float,
        *,
        lease_until: float | None = None,
    ) -> list[Delivery] | None:
        """Apply one platform event at most once, as ONE atomic step: unless `event_id` was
        handled before (then return None and change nothing), run `change` on the learner,
        write the learner it returns, remember the event for `EVENT_TTL` seconds, and append
        the deliveries it returns to their queues, in order, each with a unique `id`
        (`f"{event_id}/{n}"`). A queue that was not queued before becomes due at `now`; with
        `lease_until` (a time on the clock the caller gives `claim`), it is leased to the
        caller instead, until then, as `claim` would lease it, and its first delivery comes
        back marked `leased`: the caller sends it as if it had claimed it (one claim fewer a
        turn). Returns the deliveries as queued.

        An event is remembered by its `event_digest` alone, filed under its learner. When
        `change` deletes the learner (returns None for one that was stored), every event
        filed under them is forgotten with them, and this one is remembered under no one: it
        is still known as handled, and nothing in the store names the learner. So are the
        records of the chats this event's deliveries go to (the learner's): their failures
        and their token buckets (`chat_buckets`); the deliveries themselves are queued, and
        go once sent."""

    @abstractmethod
    def claim(self, queue: str | None, now: float, lease: float) -> Delivery | None:
        """Take the head delivery of `queue` (or, with None, of any due queue: priority 0 before
        1, then the earliest due) when that queue is due (due time <= now) and not leased;
        lease the queue to the caller until `now + lease`: nobody else can claim it before the
        lease ends or `done`/`retry` gives it back (`renew` keeps it longer). None when there is
        nothing to claim."""

    @abstractmethod
    def done(self, delivery: Delivery, now: float, lease: float, next_at: float) -> Delivery | None:
        """`delivery` (the claimed head) was sent, or failed for good: remove it. When its
        queue has more and `next_at <= now`, return the new head, the lease renewed to
        `now + lease`; otherwise make the queue due at `next_at` (unleased), or forget it when
        empty, and return None."""

    @abstractmethod
    def renew(self, delivery: Delivery, until: float, now: float, lease: float) -> float | None:
        """Keep a lease while its delivery is being sent: when `delivery` is still its queue's
        head and the queue is leased until `until` (the end `claim`, `done` or `renew` gave the
        caller), extend the lease to `now + lease` (never shorten it) and return its new end.
        None, changing nothing, when the lease is not the caller's any more (done, retried,
        or ended and claimed by someone else)."""

    @abstractmethod
    def retry(self, delivery: Delivery, at: float, *, count: bool = True) -> None:
        """Keep the claimed head (its `attempts` + 1 when `count`) and make its queue due again,
        unleased, at `at`."""

    @abstractmethod
    def fail(self, delivery: Delivery, reason: str, now: float) -> None:
        """Record a delivery given up on (kept for reports; the caller then calls `done`)."""

    @abstractmethod
    def failures(self) -> list[Failure]:
        """Deliveries given up on, oldest first."""

    @abstractmethod
    def pending(self) -> int:
        """How many deliveries are queued, in all queues."""

    @abstractmethod
    def oldest_pending(self) -> float | None:
        """When the delivery that has waited longest was queued (the `now` its event was
        handled at, as given to `handle`), or None when nothing is queued. For a gauge: the
        age of the oldest reply not sent yet."""

    @abstractmethod
    def take_token(
        self,
        bucket: str,
        rate: float,
        burst: float,
        now: float,
        *,
        count: int = 1,
        ahead: float = 0.0,
    ) -> float:
        """A shared token bucket (all workers, all machines on one store): take one token from
        `bucket`, refilled at `rate` per second up to `burst`; return 0.0 when taken, else the
        seconds until one will be there (nothing taken).

        `count` tokens at once, and `ahead`: a reservation. The return is the wait until the
        last of the `count` tokens is there; they are taken when it is at most `ahead`
        seconds (the bucket owes them: whoever takes next waits behind), else none is
        (`bot.stores._outbox.take_token` has the arithmetic)."""

    @abstractmethod
    def recall(self, key: str) -> str | None:
        """A small shared value (e.g. an uploaded photo's file_id), or None (never kept, or
        its ttl is over)."""

    @abstractmethod
    def remember(self, key: str, value: str, *, ttl: float | None = None) -> None:
        """Keep a small shared value under `key`: for good, or with `ttl` for that many
        seconds from now (each `remember` counts them again; `check_ttl` says what a ttl may
        be). Redis forgets it by its own clock; the other stores stop recalling it at once
        and delete it at the next `expire`."""

    @abstractmethod
    def remember_once(self, key: str, value: str) -> str:
        """Keep `value` under `key` for good unless a value is there already; the value kept
        (whoever's came first: every process gets the same one)."""

    def expire(self, now: float) -> int:
        """Delete for good what has expired by `now` (values kept with a ttl, events older
        than `EVENT_TTL`, full token buckets); how many values went. Every worker calls it now
        and then (`webhook.service`). Redis expires keys itself: nothing to do."""
        return 0

    def close(self) -> None:
        """Release connections. The store must not be used afterwards."""

    def delete(self, learner_id: str) -> bool:
        """Forget a learner, their certificate codes and their events; True when there was
        one. (A learner deleted by `update`'s change goes the same way.)"""
        return self.update(learner_id, lambda learner: (None, learner is not None))

    def rebuild_records(self) -> int:
        """Count the records (`bot.tally`) again from every stored learner: for a store kept
        before they existed, or to check them. Run it with the service stopped: a learner
        changed meanwhile may be counted twice. Returns how many learners were counted."""
        from bot.tally import tally

        self.clear_records()
        counted = 0
        for learner_id in self.learner_ids():
            learner = self.get(learner_id)
            if learner is not None:
                self.add_records(learner_id, tally(None, learner))
                counted += 1
        return counted

    def save(self, learner: Learner) -> None:
        """Store a learner as given, replacing what was there."""
        self.update(learner.id, lambda _: (learner, None))
