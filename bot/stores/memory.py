"""`MemoryStore` (`memory://`): learners kept in this process only, gone at exit.

What it keeps, behind one lock:

- `learners`: learner id -> the learner's JSON text (text, not objects, so that nobody can
  change stored state by editing a Learner they were given);
- `codes`: certificate code -> `CertificateRecord`;
- `events`: an event's digest -> when it was handled and its learner (None for the event that
  deleted them), forgotten after `EVENT_TTL` or with the learner;
- `queues`: queue -> its deliveries as JSON text (head first) and when each was queued, how
  many of them are priority 0, and `ready_at` (see `bot.stores._outbox`); a queue exists
  while it holds a delivery;
- `failures`, `buckets` (token buckets, with when each is full again: `expire` drops it
  then) and `values` (`remember`/`recall`: the value and when
  it expires, by `clock`);
- the records (`bot.tally`): `counts`, `rows` (learner -> row JSON) and `ranks` (set name ->
  learner -> score), changed with the learner; `docs` (kind -> id -> JSON) and `audit`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.learner import Learner
from bot.stores import records
from bot.stores._document import code_taken, decode, run_change
from bot.stores._outbox import (
    FAILURES_KEPT,
    Bucket,
    by_queue,
    chats,
    check_bucket,
    decode_delivery,
    encode_delivery,
    leasing,
    number,
    take_token,
)
from bot.stores.base import (
    EVENT_TTL,
    CertificateRecord,
    Change,
    Delivery,
    Failure,
    Store,
    chat_buckets,
    check_ttl,
    event_digest,
)
from bot.tally import Tally

T = TypeVar("T")

AUDIT_KEPT = 10_000
"""How many audit entries this store keeps (the others keep them all)."""


@dataclass
class _Queue:
    items: deque[str] = field(default_factory=deque)
    """The deliveries, as JSON text, head first."""
    urgent: int = 0
    """How many of them are priority 0: the queue's priority is 0 while there are any."""
    ready_at: float = 0.0
    """When the queue may be claimed: its due time, or while leased the lease's end."""
    queued: deque[float] = field(default_factory=deque)
    """When each of `items` was queued (the `now` given to `handle`), head first."""

    @property
    def priority(self) -> int:
        return 0 if self.urgent else 1


class MemoryStore(Store):
    """A dict and a lock: safe across threads, not shared between processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._learners: dict[str, str] = {}
        self._codes: dict[str, CertificateRecord] = {}
        self._events: dict[str, tuple[float, str | None]] = {}  # digest -> at, learner
        self._event_order: deque[tuple[float, str]] = deque()  # (at, digest), oldest first
        self._queues: dict[str, _Queue] = {}
        self._failures: deque[Failure] = deque(maxlen=FAILURES_KEPT)
        self._buckets: dict[str, tuple[Bucket, float]] = {}  # -> state, when full again
        self._values: dict[str, tuple[str, float | None]] = {}  # -> value, expires at
        self._counts: Counter[str] = Counter()
        self._rows: dict[str, str] = {}
        self._ranks: dict[str, dict[str, float]] = {}
        self._docs: dict[str, dict[str, str]] = {}
        self._audit: deque[str] = deque(maxlen=AUDIT_KEPT)
        self.clock: Callable[[], float] = time.time
        """What `remember` and `recall` count a ttl by (a test may move it)."""

    def get(self, learner_id: str) -> Learner | None:
        with self._lock:
            text = self._learners.get(learner_id)
        return decode(text)

    def update(self, learner_id: str, change: Change[T]) -> T:
        # The change runs under the lock: that is what makes the update atomic here.
        with self._lock:
            return self._change(learner_id, change)

    def _change(self, learner_id: str, change: Change[T]) -> T:
        """Run `change` and write what it returns; the caller holds the lock. Raises before
        writing anything when the change or its write is refused."""
        stored = self._learners.get(learner_id)
        write, result = run_change(learner_id, stored, change)
        if write is None:
            return result
        for record in write.written:
            owner = self._codes.get(record.code)
            if owner is not None and owner.learner != learner_id:
                raise code_taken(record, owner.learner)
        if write.text is None:
            del self._learners[learner_id]
            self._events = {
                digest: (at, owner)
                for digest, (at, owner) in self._events.items()
                if owner != learner_id
            }
        else:
            self._learners[learner_id] = write.text
        for code in write.dropped:
            self._codes.pop(code, None)
        for record in write.written:
            self._codes[record.code] = record
        self._apply(learner_id, write.tally)
        return result

    def learner_ids(self) -> Iterator[str]:
        with self._lock:
            ids = list(self._learners)
        return iter(ids)

    def find_certificate(self, code: str) -> CertificateRecord | None:
        with self._lock:
            return self._codes.get(code)

    def ping(self) -> bool:
        return True

    # -- events and the outbox ----------------------------------------------------------------

    def handle(
        self,
        learner_id: str,
        event_id: str,
        change: Change[list[Delivery]],
        now: float,
        *,
        lease_until: float | None = None,
    ) -> list[Delivery] | None:
        digest = event_digest(event_id)
        with self._lock:
            self._forget_events(now)
            if digest in self._events:
                return None

            def numbered(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
                after, deliveries = change(learner)
                return after, number(event_id, deliveries)  # may refuse: before any write

            queued = self._change(learner_id, numbered)
            kept = learner_id in self._learners
            self._events[digest] = (now, learner_id if kept else None)
            self._event_order.append((now, digest))
            if not kept:
                self._forget_chats(queued)
            leased: list[str] = []
            for name, deliveries in by_queue(queued).items():
                queue = self._queues.get(name)
                if queue is None:
                    due = now if lease_until is None else lease_until
                    queue = self._queues[name] = _Queue(ready_at=due)
                    if lease_until is not None:
                        leased.append(name)
                queue.items.extend(encode_delivery(delivery) for delivery in deliveries)
                queue.queued.extend(now for _ in deliveries)
                queue.urgent += sum(1 for delivery in deliveries if delivery.priority == 0)
        return leasing(queued, leased)

    def _forget_chats(self, deliveries: list[Delivery]) -> None:
        """Forget the failures and token buckets of the chats `deliveries` go to."""
        queues = {f"{channel}:{chat}" for channel, chat in chats(deliveries)}
        kept = [failure for failure in self._failures if failure.delivery.queue not in queues]
        self._failures = deque(kept, maxlen=FAILURES_KEPT)
        for queue in queues:
            for bucket in chat_buckets(queue):
                self._buckets.pop(bucket, None)

    def _forget_events(self, now: float) -> None:
        while self._event_order and self._event_order[0][0] <= now - EVENT_TTL:
            at, digest = self._event_order.popleft()
            if self._events.get(digest, (None,))[0] == at:
                del self._events[digest]

    def claim(self, queue: str | None, now: float, lease: float) -> Delivery | None:
        with self._lock:
            if queue is None:
                ready = [
                    (held.priority, held.ready_at, name)
                    for name, held in self._queues.items()
                    if held.ready_at <= now
                ]
                if not ready:
                    return None
                queue = min(ready)[2]
            held = self._queues.get(queue)
            if held is None or held.ready_at > now:
                return None
            held.ready_at = now + lease
            return decode_delivery(held.items[0])

    def _head(self, delivery: Delivery) -> _Queue | None:
        """The queue whose head `delivery` is, or None (it was done by someone else)."""
        held = self._queues.get(delivery.queue)
        if held is None or decode_delivery(held.items[0]).id != delivery.id:
            return None
        return held

    def done(self, delivery: Delivery, now: float, lease: float, next_at: float) -> Delivery | None:
        with self._lock:
            held = self._head(delivery)
            if held is None:
                return None
            head = decode_delivery(held.items.popleft())
            held.queued.popleft()
            if head.priority == 0:
                held.urgent -= 1
            if not held.items:
                del self._queues[delivery.queue]
                return None
            if next_at <= now:
                held.ready_at = now + lease
                return decode_delivery(held.items[0])
            held.ready_at = next_at
            return None

    def renew(self, delivery: Delivery, until: float, now: float, lease: float) -> float | None:
        with self._lock:
            held = self._head(delivery)
            if held is None or held.ready_at != until:
                return None
            held.ready_at = max(until, now + lease)
            return held.ready_at

    def retry(self, delivery: Delivery, at: float, *, count: bool = True) -> None:
        with self._lock:
            held = self._head(delivery)
            if held is None:
                return
            if count:
                held.items[0] = encode_delivery(decode_delivery(held.items[0]).retried())
            held.ready_at = at

    def fail(self, delivery: Delivery, reason: str, now: float) -> None:
        with self._lock:
            self._failures.append(Failure(delivery, reason, now))

    def failures(self) -> list[Failure]:
        with self._lock:
            return list(self._failures)

    def pending(self) -> int:
        with self._lock:
            return sum(len(held.items) for held in self._queues.values())

    def oldest_pending(self) -> float | None:
        with self._lock:
            return min((held.queued[0] for held in self._queues.values()), default=None)

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
        check_bucket(rate, burst, count, ahead)
        with self._lock:
            held = self._buckets.get(bucket)
            old = None if held is None else held[0]
            state, wait = take_token(old, rate, burst, now, count, ahead)
            self._buckets[bucket] = (state, state.full_at(rate, burst))
        return wait

    def recall(self, key: str) -> str | None:
        with self._lock:
            value, expires = self._values.get(key, (None, None))
        return value if expires is None or expires > self.clock() else None

    def remember(self, key: str, value: str, *, ttl: float | None = None) -> None:
        check_ttl(ttl)
        with self._lock:
            self._values[key] = (value, None if ttl is None else self.clock() + ttl)

    def remember_once(self, key: str, value: str) -> str:
        with self._lock:
            kept, expires = self._values.get(key, (None, None))
            if kept is None or (expires is not None and expires <= self.clock()):
                self._values[key] = (kept := value, None)
            return kept

    def expire(self, now: float) -> int:
        with self._lock:
            self._forget_events(now)
            gone = [key for key, (_, at) in self._values.items() if at is not None and at <= now]
            for key in gone:
                del self._values[key]
            full = [name for name, (_, at) in self._buckets.items() if at <= now]
            for name in full:  # a full bucket is the same as none
                del self._buckets[name]
        return len(gone)

    # -- records and the directory ----------------------------------------------------------

    def _apply(self, learner_id: str, tally: Tally) -> None:
        """Apply a learner's tally; the caller holds the lock."""
        self._counts.update(tally.counts)
        for key, n in tally.counts.items():
            if n < 0 and self._counts[key] <= 0:  # only a counter that went down can be at 0
                del self._counts[key]
        if tally.row is None:
            self._rows.pop(learner_id, None)
        else:
            self._rows[learner_id] = tally.row
        for name, score in tally.ranks.items():
            self._ranks.setdefault(name, {})[learner_id] = score
        for name in tally.unranked:
            ranked = self._ranks.get(name, {})
            ranked.pop(learner_id, None)
            if not ranked:
                self._ranks.pop(name, None)

    def clear_records(self) -> None:
        with self._lock:
            self._counts, self._rows, self._ranks = Counter(), {}, {}

    def add_records(self, learner_id: str, tally: Tally) -> None:
        with self._lock:
            self._apply(learner_id, tally)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def rows(self, learner_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        with self._lock:
            texts = [self._rows.get(learner_id) for learner_id in learner_ids]
        return [records.decode(text) for text in texts]

    def each_row(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            texts = list(self._rows.values())
        for text in texts:
            yield json.loads(text)

    def ranked(
        self, name: str, start: int = 0, stop: int = 50, since: float | None = None
    ) -> list[tuple[str, float]]:
        with self._lock:
            members = list(self._ranks.get(name, {}).items())
        if since is not None:
            members = [(learner, score) for learner, score in members if score >= since]
        members.sort(key=lambda member: (member[1], member[0]), reverse=True)
        return members[start:stop]

    def due(self, name: str, until: float, limit: int = 100) -> list[tuple[str, float]]:
        with self._lock:
            members = [(who, score) for who, score in self._ranks.get(name, {}).items()]
        members = sorted((m for m in members if m[1] <= until), key=lambda m: (m[1], m[0]))
        return members[: max(0, limit)]

    def rank_count(self, name: str, since: float | None = None) -> int:
        with self._lock:
            scores = list(self._ranks.get(name, {}).values())
        return len(scores) if since is None else sum(1 for score in scores if score >= since)

    def put_doc(self, kind: str, doc_id: str, doc: dict[str, Any] | None) -> None:
        with self._lock:
            if doc is None:
                self._docs.get(kind, {}).pop(doc_id, None)
            else:
                self._docs.setdefault(kind, {})[doc_id] = records.encode(doc)

    def docs(self, kind: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            texts = dict(self._docs.get(kind, {}))
        return {doc_id: json.loads(text) for doc_id, text in texts.items()}

    def audit(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._audit.append(records.encode(entry))

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        with self._lock:
            texts = list(self._audit)[-limit:] if limit > 0 else []
        return [json.loads(text) for text in reversed(texts)]
