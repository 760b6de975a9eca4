"""One suite for the events and the outbox of every store: memory, SQLite and Redis.

Nothing here reads the clock: every call is given its `now`, so nothing depends on timing.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

import bot
from bot.learner import Earned, Learner
from bot.outbound import Outbound
from bot.stores import Change, Store, open_store
from bot.stores.base import EVENT_TTL, Delivery, Failure, chat_buckets, event_digest
from bot.stores.memory import MemoryStore
from bot.stores.redis import RedisStore
from bot.stores.sqlite import _MIGRATIONS, SQLiteStore
from support.clock import Clock
from support.dump import holding
from support.processes import run_at_once
from support.store_urls import CONTRACT_STORES, store_url_for
from support.waiting import await_until
from webhook.delivery import Courier, Limits, Outlet

REPO = Path(bot.__file__).resolve().parents[1]
LEARNER = "tg:7"
LEASE = 30.0


@pytest.fixture(params=CONTRACT_STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store, Redis Cluster too."""
    return store_url_for(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
def shared_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store that outlives its process: SQLite and Redis (a server, a cluster)."""
    return store_url_for(request.param, request, tmp_path)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def message(chat: str, text: str, priority: int = 0, channel: str = "telegram") -> Delivery:
    return Delivery(
        channel=channel, chat=chat, body={"kind": "message", "text": text}, priority=priority
    )


def replying(*deliveries: Delivery) -> Change[list[Delivery]]:
    """A change that adds a turn to LEARNER (creating them) and sends `deliveries`."""

    def change(learner: Learner | None) -> tuple[Learner, list[Delivery]]:
        learner = learner or Learner.new(LEARNER)
        learner.turns += 1
        return learner, list(deliveries)

    return change


def send(store: Store, event_id: str, now: float, *deliveries: Delivery) -> list[Delivery]:
    queued = store.handle(LEARNER, event_id, replying(*deliveries), now)
    assert queued is not None
    return queued


def turns(store: Store) -> int:
    learner = store.get(LEARNER)
    return 0 if learner is None else learner.turns


def text(delivery: Delivery | None) -> str | None:
    return None if delivery is None else str(delivery.body["text"])


def drain(store: Store, queue: str, now: float) -> list[str]:
    """Claim and send everything in `queue`, in one lease; the texts sent."""
    sent: list[str] = []
    delivery = store.claim(queue, now, LEASE)
    while delivery is not None:
        sent.append(str(delivery.body["text"]))
        delivery = store.done(delivery, now, LEASE, next_at=now)
    return sent


class Boom(Exception):
    pass


# --- handle ----------------------------------------------------------------------------------


HANDLE_CASES = [
    pytest.param([], id="no-deliveries"),
    pytest.param([message("1", "xin chào")], id="one"),
    pytest.param(
        [message("1", "một"), message("1", "hai", priority=1), message("1", "ba")], id="three"
    ),
    pytest.param(
        [message("1", "cho học viên"), message("99", "cho tình nguyện viên")], id="two-chats"
    ),
    pytest.param(
        [message("1", "tg"), message("1", "zalo", channel="zalo")], id="two-channels-one-chat"
    ),
]


@pytest.mark.parametrize("deliveries", HANDLE_CASES)
def test_handle_applies_the_change_and_queues_its_deliveries(
    store: Store, deliveries: list[Delivery]
) -> None:
    queued = send(store, "tg:881", 100.0, *deliveries)

    assert [d.id for d in queued] == [f"tg:881/{n}" for n in range(len(deliveries))]
    assert [(d.queue, d.priority, d.body, d.attempts) for d in queued] == [
        (d.queue, d.priority, d.body, 0) for d in deliveries
    ]
    # Each knows how many of its event follow it in its queue, and keeps it while queued.
    follow = [[e.queue for e in deliveries[n + 1 :]].count(d.queue) for n, d in enumerate(queued)]
    assert [d.then for d in queued] == follow
    assert turns(store) == 1
    assert store.pending() == len(deliveries)
    # Each queue holds its deliveries in order, due now: not before.
    assert store.claim(None, 99.0, LEASE) is None
    for queue in dict.fromkeys(d.queue for d in deliveries):
        head, sent = store.claim(queue, 100.0, LEASE), []
        while head is not None:
            sent.append((text(head), head.then))
            head = store.done(head, 100.0, LEASE, next_at=100.0)
        assert sent == [(text(d), d.then) for d in queued if d.queue == queue]
    assert store.pending() == 0
    # The event is remembered, deliveries or not.
    assert store.handle(LEARNER, "tg:881", replying(message("1", "lại")), 101.0) is None
    assert turns(store) == 1


def test_handle_leases_the_queues_it_starts_to_the_caller(store: Store) -> None:
    """With `lease_until`, a queue the event starts is the caller's as if claimed (its first
    delivery marked `leased`): nobody claims it before the lease ends, and `done` goes on from
    it. A queue that already held something is only appended to, as without a lease."""
    send(store, "e0", 100.0, message("2", "đã chờ sẵn"))  # chat 2's queue holds one already
    turn = replying(message("1", "một"), message("1", "hai"), message("2", "ba"))
    queued = store.handle(LEARNER, "e1", turn, 101.0, lease_until=101.0 + LEASE)
    assert queued is not None
    assert [(d.id, d.leased) for d in queued] == [("e1/0", True), ("e1/1", False), ("e1/2", False)]
    assert store.claim("telegram:1", 101.0 + LEASE - 0.1, LEASE) is None  # the caller's
    assert text(store.claim(None, 101.0, LEASE)) == "đã chờ sẵn"  # chat 2's, as before
    following = store.done(queued[0], 102.0, LEASE, next_at=102.0)
    assert following is not None and text(following) == "hai"
    assert store.done(following, 102.0, LEASE, next_at=102.0) is None
    # Emptied, the queue starts again with the next event, leased to whoever handles it.
    again = store.handle(LEARNER, "e2", replying(message("1", "bốn")), 103.0, lease_until=109.0)
    assert again is not None and [d.leased for d in again] == [True]
    # Without a lease nothing is leased: the queue is due at once.
    plain = store.handle(LEARNER, "e3", replying(message("3", "năm")), 104.0)
    assert plain is not None and [d.leased for d in plain] == [False]
    assert text(store.claim("telegram:3", 104.0, LEASE)) == "năm"


def test_handle_stores_a_copy_of_each_body(store: Store) -> None:
    body = {"kind": "message", "text": "gốc", "buttons": [["Có", "o:1"]], "empty": []}
    queued = send(store, "e", 1.0, Delivery("telegram", "1", body))
    body["text"] = "đã sửa"

    claimed = store.claim(None, 1.0, LEASE)
    assert claimed is not None and claimed == queued[0]
    assert claimed.body == {
        "kind": "message",
        "text": "gốc",
        "buttons": [["Có", "o:1"]],
        "empty": [],
    }


def test_handle_with_an_unchanged_or_deleted_learner_still_queues(store: Store) -> None:
    store.save(Learner.new(LEARNER))
    same = store.handle(LEARNER, "e1", lambda learner: (learner, [message("1", "a")]), 1.0)
    gone = store.handle(LEARNER, "e2", lambda learner: (None, [message("1", "b")]), 1.0)
    assert same is not None and gone is not None
    assert store.get(LEARNER) is None
    assert drain(store, "telegram:1", 1.0) == ["a", "b"]


def test_handle_writes_certificate_codes(store: Store) -> None:
    def earn(learner: Learner | None) -> tuple[Learner, list[Delivery]]:
        learner = learner or Learner.new(LEARNER)
        learner.certificates["co-ban"] = Earned("2026-11-23T08:00:00+07:00", "HS-OUTBOX")
        return learner, [message("1", "chúc mừng")]

    assert store.handle(LEARNER, "e1", earn, 1.0) is not None
    found = store.find_certificate("HS-OUTBOX")
    assert found is not None and found.learner == LEARNER

    def steal(learner: Learner | None) -> tuple[Learner, list[Delivery]]:
        thief = Learner.new("tg:thief")
        thief.certificates["x"] = Earned("2026-11-23T08:00:00+07:00", "HS-OUTBOX")
        return thief, [message("2", "không")]

    with pytest.raises(ValueError, match="HS-OUTBOX"):
        store.handle("tg:thief", "e2", steal, 1.0)
    assert store.get("tg:thief") is None
    assert store.pending() == 1
    assert store.handle("tg:thief", "e2", lambda learner: (learner, []), 1.0) == []


def test_a_duplicate_event_changes_nothing(store: Store) -> None:
    send(store, "tg:1", 1.0, message("1", "một"))
    calls: list[Learner | None] = []

    def noted(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
        calls.append(learner)
        return replying(message("1", "hai"))(learner)

    assert store.handle(LEARNER, "tg:1", noted, 2.0) is None
    if not isinstance(store, RedisStore):  # event ids are global
        assert store.handle("tg:other", "tg:1", noted, 2.0) is None
    # Redis remembers an event in its learner's shard: a platform's event is one learner's
    # (the learner is read from the event), so another shard need not know it.
    assert calls == []
    assert turns(store) == 1
    assert store.pending() == 1
    assert store.get("tg:other") is None


def only_queues(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
    """A change that leaves the learner as it is and sends two messages."""
    return learner, [message("1", "a"), message("2", "b")]


@pytest.mark.parametrize(
    ("change", "applied_turns"),
    [(replying(message("1", "a"), message("2", "b")), 1), (only_queues, 0)],
    ids=["changing-the-learner", "leaving-the-learner"],
)
def test_threads_racing_one_event_apply_it_once(
    store: Store, change: Change[list[Delivery]], applied_turns: int
) -> None:
    threads, rounds = 8, 20
    start = threading.Barrier(threads)
    results: list[tuple[int, list[Delivery] | None]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for n in range(rounds):  # every thread handles event n at once
                start.wait()
                results.append((n, store.handle(LEARNER, f"tg:{n}", change, 1.0)))
        except BaseException as exc:
            errors.append(exc)
            start.abort()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    for n in range(rounds):
        handled = [result for event, result in results if event == n]
        assert len(handled) == threads
        assert [[d.id for d in r] for r in handled if r is not None] == [[f"tg:{n}/0", f"tg:{n}/1"]]
    assert turns(store) == rounds * applied_turns
    assert store.pending() == 2 * rounds


def raises(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
    learner = learner or Learner.new(LEARNER)
    learner.turns = 99
    raise Boom


def bad_priority(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
    return replying(message("1", "ok"), message("1", "?", priority=2))(learner)


def bad_learner(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
    return Learner.new("tg:someone-else"), [message("1", "?")]


@pytest.mark.parametrize(
    ("change", "error"),
    [(raises, Boom), (bad_priority, ValueError), (bad_learner, ValueError)],
    ids=["change-raises", "bad-priority", "another-learner"],
)
def test_a_refused_event_changes_nothing(
    store: Store, change: Change[list[Delivery]], error: type[Exception]
) -> None:
    send(store, "e0", 1.0, message("1", "trước"))

    with pytest.raises(error):
        store.handle(LEARNER, "e1", change, 2.0)

    assert turns(store) == 1
    assert store.pending() == 1
    assert store.get("tg:someone-else") is None
    # The event was not remembered: handled again, it applies.
    assert [d.id for d in send(store, "e1", 3.0, message("1", "sau"))] == ["e1/0"]
    assert turns(store) == 2
    assert drain(store, "telegram:1", 3.0) == ["trước", "sau"]


def test_events_are_forgotten_after_event_ttl(store: Store) -> None:
    send(store, "old", 0.0)
    assert store.handle(LEARNER, "old", replying(), EVENT_TTL - 1.0) is None
    if isinstance(store, RedisStore):  # Redis expires it by its own clock
        shard = store.shard_prefix(LEARNER)
        ttl = store.client.ttl(f"{shard}:event:{event_digest('old')}")
        filed = store.client.ttl(f"{shard}:events:{LEARNER}")  # the learner's list
        assert 0 < ttl <= EVENT_TTL and 0 < filed <= EVENT_TTL
        send(store, "new", EVENT_TTL + 1.0)  # drops what is older than EVENT_TTL from the list
        listed = store.client.zrange(f"{shard}:events:{LEARNER}", 0, -1)
        assert listed == [event_digest("new")]
        return
    if isinstance(store, SQLiteStore):
        store.prune_every = 1
    send(store, "new", EVENT_TTL + 1.0)  # prunes what is older than EVENT_TTL
    assert store.handle(LEARNER, "old", replying(), EVENT_TTL + 2.0) is not None
    assert store.handle(LEARNER, "new", replying(), EVENT_TTL + 2.0) is None
    assert turns(store) == 3


# --- claim -----------------------------------------------------------------------------------


CLAIM_ORDER_CASES = [
    pytest.param(
        [("a", 1, 1.0), ("b", 0, 3.0), ("c", 0, 2.0), ("d", 1, 0.0)],
        ["c", "b", "d", "a"],
        id="priority-then-earliest-due",
    ),
    pytest.param([("b", 0, 5.0), ("a", 0, 5.0)], ["a", "b"], id="ties-by-queue-name"),
    pytest.param(
        [("a", 1, 1.0), ("c", 1, 0.0), ("b", 0, 1.5), ("a", 0, 2.0)],
        ["a", "b", "c"],
        id="lowest-priority-held",
    ),
    pytest.param([("a", 1, 11.0), ("b", 1, 10.0)], ["b"], id="not-yet-due"),
]


@pytest.mark.parametrize(("handled", "claimed"), CLAIM_ORDER_CASES)
def test_claim_takes_priority_0_first_then_the_earliest_due(
    store: Store, handled: list[tuple[str, int, float]], claimed: list[str]
) -> None:
    for n, (chat, priority, at) in enumerate(handled):
        send(store, f"e{n}", at, message(chat, f"{chat}{n}", priority))

    got = []
    while (delivery := store.claim(None, 10.0, LEASE)) is not None:
        got.append(delivery.chat)
    assert got == claimed


def test_a_queue_drops_back_to_bulk_when_its_replies_are_sent(store: Store) -> None:
    send(store, "bulk", 0.0, message("b", "bản tin", priority=1))
    send(store, "reply", 5.0, message("a", "trả lời"), message("a", "bản tin", priority=1))

    first = store.claim(None, 10.0, LEASE)
    assert first is not None and first.chat == "a"
    assert store.done(first, 10.0, LEASE, next_at=11.0) is None
    # "a" now holds bulk only, due at 11: after "b", due at 0.
    claimed = [store.claim(None, 20.0, LEASE) for _ in range(3)]
    assert [None if d is None else d.chat for d in claimed] == ["b", "a", None]


def test_claim_of_one_queue_takes_only_that_queue(store: Store) -> None:
    send(store, "e1", 1.0, message("1", "một"), message("2", "hai"))

    assert store.claim("telegram:3", 5.0, LEASE) is None
    assert store.claim("zalo:1", 5.0, LEASE) is None
    assert store.claim("telegram:2", 0.5, LEASE) is None  # not due yet
    assert text(store.claim("telegram:2", 5.0, LEASE)) == "hai"
    assert store.claim("telegram:2", 5.0, LEASE) is None  # leased
    assert text(store.claim(None, 5.0, LEASE)) == "một"
    assert store.claim(None, 5.0, LEASE) is None


def test_a_lease_that_ends_gives_the_same_head_back(store: Store) -> None:
    send(store, "e1", 1.0, message("1", "một"), message("1", "hai"))

    first = store.claim(None, 10.0, LEASE)
    assert first is not None and first.id == "e1/0"
    for now in (10.0, 25.0, 10.0 + LEASE - 0.5):
        assert store.claim(None, now, LEASE) is None
        assert store.claim("telegram:1", now, LEASE) is None
    # The worker crashed: at the lease's end the queue is claimable, with the same head.
    again = store.claim(None, 10.0 + LEASE, LEASE)
    assert again is not None
    assert (again.id, again.attempts, again.body) == (first.id, 0, first.body)
    assert store.claim(None, 10.0 + LEASE, LEASE) is None  # and leased again
    assert store.pending() == 2


def claimed_then(store: Store, what: str) -> tuple[Delivery, float]:
    """Two deliveries queued, the head claimed at 10.0 (its lease to 10.0 + LEASE), then what
    happened to the claim before its holder renews it; the head and that lease's end."""
    send(store, "e1", 1.0, message("1", "một"), message("1", "hai"))
    head = store.claim(None, 10.0, LEASE)
    assert head is not None
    if what == "done":  # sent: the next head, under a lease of its own
        assert store.done(head, 11.0, LEASE, 11.0) is not None
    elif what == "retried":
        store.retry(head, 50.0)
    elif what == "taken-over":  # the holder was stopped past its lease: another took it
        assert store.claim(None, 10.0 + LEASE, LEASE) is not None
    return head, 10.0 + LEASE


# what happened since the claim, when the holder renews (now), and the lease's end it gets (None:
# not its lease any more, nothing changed); then when the queue may be claimed again
RENEWALS = [
    pytest.param("nothing", 12.0, 12.0 + LEASE, 12.0 + LEASE, id="held"),
    pytest.param("nothing", 10.0 + LEASE + 5, 15.0 + 2 * LEASE, 15 + 2 * LEASE, id="late-untaken"),
    pytest.param("nothing", 9.0, 10.0 + LEASE, 10.0 + LEASE, id="never-shortened"),
    pytest.param("done", 12.0, None, 11.0 + LEASE, id="done"),
    pytest.param("retried", 12.0, None, 50.0, id="retried"),
    pytest.param("taken-over", 10.0 + LEASE, None, 10.0 + 2 * LEASE, id="taken-over"),
]


@pytest.mark.parametrize(("what", "now", "until", "claimable"), RENEWALS)
def test_renew_extends_a_lease_only_while_it_is_the_callers(
    store: Store, what: str, now: float, until: float | None, claimable: float
) -> None:
    head, lease_end = claimed_then(store, what)
    assert store.renew(head, lease_end, now, LEASE) == until
    assert store.claim(None, claimable - 0.25, LEASE) is None
    assert store.claim(None, claimable, LEASE) is not None


def test_a_renewed_lease_is_renewed_again_by_its_new_end(store: Store) -> None:
    head, lease_end = claimed_then(store, "nothing")
    until = store.renew(head, lease_end, 12.0, LEASE)
    assert until is not None
    assert store.renew(head, lease_end, 13.0, LEASE) is None  # the old end is not the lease
    assert store.renew(head, until, 14.0, LEASE) == 14.0 + LEASE
    assert text(store.done(head, 15.0, LEASE, 15.0)) == "hai"


# --- done and retry --------------------------------------------------------------------------


DONE_CASES = [
    # queued, next_at, returned, when the queue is claimable again (None: never)
    pytest.param(["một", "hai"], 10.0, "hai", 10.0 + LEASE, id="next-now"),
    pytest.param(["một", "hai"], 9.0, "hai", 10.0 + LEASE, id="next-in-the-past"),
    pytest.param(["một", "hai"], 12.5, None, 12.5, id="next-later"),
    pytest.param(["một"], 10.0, None, None, id="emptied"),
    pytest.param(["một"], 12.5, None, None, id="emptied-next-later"),
]


@pytest.mark.parametrize(("queued", "next_at", "returned", "claimable"), DONE_CASES)
def test_done_removes_the_head_and_goes_on_or_waits(
    store: Store, queued: list[str], next_at: float, returned: str | None, claimable: float | None
) -> None:
    send(store, "e", 1.0, *(message("1", t) for t in queued))
    head = store.claim(None, 10.0, LEASE)
    assert head is not None

    after = store.done(head, 10.0, LEASE, next_at)

    assert text(after) == returned
    if after is not None:
        assert after.id == "e/1"
    assert store.pending() == len(queued) - 1
    if claimable is None:
        assert store.claim(None, 1e12, LEASE) is None
        assert store.claim("telegram:1", 1e12, LEASE) is None
    else:
        assert store.claim(None, claimable - 0.25, LEASE) is None
        assert text(store.claim(None, claimable, LEASE)) == "hai"


def test_an_emptied_queue_starts_again_due_at_its_next_event(store: Store) -> None:
    send(store, "e1", 1.0, message("1", "một"))
    assert drain(store, "telegram:1", 10.0) == ["một"]
    send(store, "e2", 50.0, message("1", "hai"))
    assert store.claim(None, 49.0, LEASE) is None
    assert text(store.claim(None, 50.0, LEASE)) == "hai"
    if isinstance(store, RedisStore):
        shard = store.shard_prefix(LEARNER)  # where the learner's keys are, and their queues'
        keys = set(store.client.scan_iter(match=f"{store.prefix}:*"))
        assert f"{shard}:out:telegram:1" in keys
        assert store.done(message("1", "x"), 50.0, LEASE, 50.0) is None  # not the head
        head = store.claim("telegram:1", 50.0 + LEASE, LEASE)
        assert head is not None and store.done(head, 50.0, LEASE, 50.0) is None
        keys = set(store.client.scan_iter(match=f"{store.prefix}:*"))
        digests = [f"event:{event_digest(event)}" for event in ("e1", "e2")]
        records = ("counts", "rows", "rank:all", "rank:g:||")  # the learner's (bot.tally)
        kept = (f"learner:{LEARNER}", f"events:{LEARNER}", *digests, "pending", *records)
        assert keys == {f"{store.prefix}:layout"} | {f"{shard}:{key}" for key in kept}


def test_a_handle_for_a_leased_queue_does_not_free_it(store: Store) -> None:
    send(store, "e1", 1.0, message("1", "một"))
    head = store.claim(None, 10.0, LEASE)
    assert head is not None

    send(store, "e2", 15.0, message("1", "hai"), message("2", "khác"))
    send(store, "e3", 16.0, message("1", "ba", priority=1))

    # Nobody else takes chat 1 while it is leased; chat 2 is free.
    assert store.claim("telegram:1", 20.0, LEASE) is None
    assert text(store.claim(None, 20.0, LEASE)) == "khác"
    assert store.claim(None, 20.0, LEASE) is None
    # The lease holder goes on with what came in meanwhile: nothing is stranded.
    nxt = store.done(head, 20.0, LEASE, next_at=20.0)
    assert text(nxt) == "hai"
    assert nxt is not None
    assert store.done(nxt, 21.0, LEASE, next_at=25.0) is None
    assert store.claim(None, 24.0, LEASE) is None
    assert text(store.claim(None, 25.0, LEASE)) == "ba"


def test_a_delivery_no_longer_at_the_head_changes_nothing(store: Store) -> None:
    send(store, "e1", 1.0, message("1", "một"), message("1", "hai"))
    slow = store.claim(None, 10.0, LEASE)
    assert slow is not None
    # Its lease ended: another worker took the same head and finished it.
    fast = store.claim(None, 10.0 + LEASE, LEASE)
    assert fast is not None and fast.id == slow.id
    second = store.done(fast, 10.0 + LEASE, LEASE, next_at=10.0 + LEASE)
    assert text(second) == "hai"
    assert second is not None

    assert store.done(slow, 50.0, LEASE, next_at=50.0) is None
    store.retry(slow, 50.0)
    assert store.pending() == 1
    assert store.claim(None, 50.0, LEASE) is None  # still leased by the other worker
    assert store.done(second, 50.0, LEASE, next_at=50.0) is None
    assert store.pending() == 0


@pytest.mark.parametrize(("count", "attempts"), [(True, 1), (False, 0)])
def test_retry_keeps_the_head_and_makes_it_due_later(
    store: Store, count: bool, attempts: int
) -> None:
    send(store, "e1", 1.0, message("1", "một"), message("1", "hai"))
    head = store.claim(None, 10.0, LEASE)
    assert head is not None

    store.retry(head, 20.0, count=count)

    assert store.pending() == 2
    assert store.claim(None, 19.5, LEASE) is None
    again = store.claim(None, 20.0, LEASE)
    assert again is not None
    assert (again.id, again.attempts, again.body) == ("e1/0", attempts, head.body)
    store.retry(again, 21.0, count=count)
    third = store.claim("telegram:1", 21.0, LEASE)
    assert third is not None and third.attempts == 2 * attempts
    assert text(store.done(third, 21.0, LEASE, 21.0)) == "hai"


def test_retry_gives_a_lease_back_early(store: Store) -> None:
    send(store, "e1", 1.0, message("1", "một"))
    head = store.claim(None, 10.0, LEASE)
    assert head is not None
    store.retry(head, 10.0, count=False)
    assert text(store.claim(None, 10.0, LEASE)) == "một"


# --- failures, pending, tokens, values -------------------------------------------------------


def test_fail_records_failures_oldest_first(store: Store) -> None:
    assert store.failures() == []
    first, second = message("1", "một"), message("2", "hai", priority=1)
    store.fail(first, "Forbidden: bot was blocked by the user", 5.0)
    store.fail(second, "Bad Request: chat not found", 6.5)

    failures = store.failures()
    assert failures == [
        Failure(first, "Forbidden: bot was blocked by the user", 5.0),
        Failure(second, "Bad Request: chat not found", 6.5),
    ]
    assert [f.delivery.body for f in failures] == [first.body, second.body]


def test_pending_counts_every_queued_delivery(store: Store) -> None:
    assert store.pending() == 0
    send(store, "e1", 1.0, message("1", "a"), message("2", "b"), message("1", "c", 1))
    send(store, "e2", 1.0)
    assert store.pending() == 3
    head = store.claim("telegram:1", 1.0, LEASE)
    assert head is not None
    assert store.pending() == 3  # claimed is still queued
    store.retry(head, 1.0)
    assert store.pending() == 3
    head = store.claim("telegram:1", 1.0, LEASE)
    assert head is not None
    store.done(head, 1.0, LEASE, 5.0)
    assert store.pending() == 2


# Each step: an event queued ("send", event id, now, chats) or a queue's head sent ("sent",
# chat); then what `oldest_pending` answers.
OLDEST_CASES = [
    pytest.param([], None, id="empty"),
    pytest.param([("send", "e1", 5.0, ["1"])], 5.0, id="one"),
    pytest.param(
        [("send", "e1", 5.0, ["1", "1"]), ("send", "e2", 7.5, ["2"]), ("sent", "1")],
        5.0,
        id="a-reply-of-the-event-still-waits",
    ),
    pytest.param(
        [("send", "e1", 5.0, ["1"]), ("send", "e2", 7.5, ["2"]), ("sent", "1")],
        7.5,
        id="the-oldest-sent",
    ),
    pytest.param(
        [("send", "tg:1/x", 3.0, ["2"]), ("send", "e9", 4.0, ["1"]), ("sent", "2")],
        4.0,
        id="event-id-with-a-slash",
    ),
    pytest.param([("send", "e1", 5.0, ["1"]), ("sent", "1")], None, id="all-sent"),
    pytest.param([("send", "e1", 5.0, [])], None, id="an-event-without-replies"),
]


@pytest.mark.parametrize(("steps", "oldest"), OLDEST_CASES)
def test_oldest_pending_is_when_the_longest_waiting_reply_was_queued(
    store: Store, steps: list[tuple[object, ...]], oldest: float | None
) -> None:
    for step in steps:
        if step[0] == "send":
            _, event, now, chats = step
            assert isinstance(event, str) and isinstance(now, float) and isinstance(chats, list)
            send(store, event, now, *(message(chat, f"{event} {chat}") for chat in chats))
        else:
            head = store.claim(f"telegram:{step[1]}", 100.0, LEASE)
            assert head is not None
            store.done(head, 100.0, LEASE, next_at=200.0)
    assert store.oldest_pending() == oldest


TOKEN_CASES = [
    # rate, burst, [(now, expected wait)...]
    pytest.param(
        2.0,
        3.0,
        [(100.0, 0.0), (100.0, 0.0), (100.0, 0.0), (100.0, 0.5), (100.25, 0.25), (100.5, 0.0)],
        id="burst-then-rate",
    ),
    pytest.param(
        1.0,
        2.0,
        [(0.0, 0.0), (0.0, 0.0), (1000.0, 0.0), (1000.0, 0.0), (1000.0, 1.0)],
        id="refills-no-more-than-burst",
    ),
    pytest.param(
        4.0, 1.0, [(10.0, 0.0), (10.0, 0.25), (10.0, 0.25), (10.125, 0.125)], id="none-taken-early"
    ),
    pytest.param(
        1.0, 1.0, [(10.0, 0.0), (9.0, 1.0), (10.5, 0.5), (11.0, 0.0)], id="clock-going-back"
    ),
]


@pytest.mark.parametrize(("rate", "burst", "takes"), TOKEN_CASES)
def test_take_token_is_a_token_bucket(
    store: Store, rate: float, burst: float, takes: list[tuple[float, float]]
) -> None:
    assert [store.take_token("tg", rate, burst, now) for now, _ in takes] == [
        wait for _, wait in takes
    ]
    # Another bucket is full.
    assert store.take_token("zalo", rate, burst, takes[-1][0]) == 0.0


RESERVATIONS = [
    # rate, burst, then (now, count, ahead, the wait returned, taken?) in turn
    pytest.param(
        10.0, 1.0,
        [(0.0, 1, 5.0, 0.0, True), (0.0, 1, 5.0, 0.1, True), (0.0, 1, 5.0, 0.2, True),
         (0.05, 1, 0.0, 0.25, False), (0.3, 1, 0.0, 0.0, True)],
        id="replies-wait-their-turn",
    ),
    pytest.param(
        10.0, 1.0,
        [(0.0, 3, 5.0, 0.2, True), (0.0, 1, 5.0, 0.3, True), (0.0, 2, 0.35, 0.5, False),
         (0.0, 1, 5.0, 0.4, True)],
        id="a-turn-takes-its-messages-at-once",
    ),
    pytest.param(
        1.0, 2.5,
        [(10.0, 3, 5.0, 0.5, True), (10.0, 1, 0.0, 1.5, False), (12.0, 2, 0.0, 0.5, False),
         (12.0, 1, 0.0, 0.0, True)],
        id="a-chat-s-burst-then-its-rate",
    ),
    pytest.param(
        4.0, 1.0, [(0.0, 1, 0.0, 0.0, True), (0.0, 40, 5.0, 10.0, False)], id="beyond-ahead"
    ),
]  # fmt: skip


@pytest.mark.parametrize(("rate", "burst", "takes"), RESERVATIONS)
def test_take_token_reserves_tokens_ahead_in_the_order_asked(
    store: Store, rate: float, burst: float, takes: list[tuple[float, int, float, float, bool]]
) -> None:
    """`count` tokens at once, and taken `ahead` of time: the wait returned is until the last
    of them; whoever asks next waits behind. Beyond `ahead` nothing is taken."""
    for now, count, ahead, wait, _ in takes:
        got = store.take_token("tg", rate, burst, now, count=count, ahead=ahead)
        assert got == pytest.approx(wait, abs=1e-9), (now, count, ahead)
    assert [taken for *_, taken in takes] == [wait <= ahead for _, _, ahead, wait, _ in takes]


@pytest.mark.parametrize(("count", "ahead"), [(0, 0.0), (1, -1.0)])
def test_take_token_refuses_no_tokens_or_a_past_ahead(
    store: Store, count: int, ahead: float
) -> None:
    with pytest.raises(ValueError, match="token"):
        store.take_token("tg", 1.0, 1.0, 1.0, count=count, ahead=ahead)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.5)])
def test_take_token_refuses_a_bucket_that_never_gives(
    store: Store, rate: float, burst: float
) -> None:
    with pytest.raises(ValueError, match="bucket"):
        store.take_token("tg", rate, burst, 1.0)


def test_a_bucket_full_again_is_forgotten(store: Store) -> None:
    """A client's or a chat's bucket is kept only while it matters (a full one is no one's)."""
    store.take_token("new:Zr3kq9WmXb2TnV8pL4sYcA", 1.0, 2.0, 100.0)  # full again at 101.0
    if isinstance(store, RedisStore):  # Redis expires it by its own clock
        ttl = store.client.ttl(f"{store.prefix}:token:new:Zr3kq9WmXb2TnV8pL4sYcA")
        assert 0 < ttl <= 2
        return
    store.expire(100.5)
    assert holding(store, "Zr3kq9WmXb2TnV8pL4sYcA") != []
    store.expire(101.0)
    assert holding(store, "Zr3kq9WmXb2TnV8pL4sYcA") == []


def test_remember_and_recall(store: Store) -> None:
    assert store.recall("photo:chao") is None
    store.remember("photo:chao", "AgACAgIAAxkBAAI")
    store.remember("ảnh:xin-chào", "giá trị")
    store.remember("photo:chao", "AgACAgIAAxkBAAJ")
    assert store.recall("photo:chao") == "AgACAgIAAxkBAAJ"
    assert store.recall("ảnh:xin-chào") == "giá trị"
    assert store.recall("photo") is None


# the ttl given to remember (None: for good), seconds later that recall asks, what it gets
REMEMBERED = [
    pytest.param(None, 10 * 365 * 86400.0, "v", id="for-good"),
    pytest.param(60.0, 59.0, "v", id="within-its-ttl"),
    pytest.param(60.0, 60.0, None, id="at-its-end"),
    pytest.param(60.0, 61.0, None, id="after-it"),
    pytest.param(0.25, 1.0, None, id="under-a-second"),
]


@pytest.mark.parametrize(("ttl", "later", "recalled"), REMEMBERED)
def test_a_value_kept_with_a_ttl_is_gone_after_it(
    store: Store, ttl: float | None, later: float, recalled: str | None
) -> None:
    if isinstance(store, RedisStore):  # Redis expires it by its own clock
        store.remember("k", "v", ttl=ttl)
        left = store.client.pttl(f"{store.prefix}:kv:k")
        assert left == -1 if ttl is None else 0 < left <= ttl * 1000
        return
    assert isinstance(store, MemoryStore | SQLiteStore)
    store.clock = clock = Clock(1000.0)
    store.remember("k", "v", ttl=ttl)
    clock.now += later
    assert store.recall("k") == recalled
    assert store.expire(clock.now) == (recalled is None)  # the sweep deletes it for good
    assert store.recall("k") == recalled
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as check:
            rows = check.execute("SELECT count(*) FROM kv").fetchone()
        assert rows == (0 if recalled is None else 1,)


def test_remembering_again_starts_the_ttl_again_or_keeps_it_for_good(store: Store) -> None:
    if isinstance(store, RedisStore):
        store.remember("k", "v", ttl=60.0)
        store.remember("k", "w", ttl=3600.0)
        assert 60_000 < store.client.pttl(f"{store.prefix}:kv:k") <= 3_600_000
        store.remember("k", "x")
        assert store.client.pttl(f"{store.prefix}:kv:k") == -1
        return
    assert isinstance(store, MemoryStore | SQLiteStore)
    store.clock = clock = Clock(1000.0)
    store.remember("k", "v", ttl=60.0)
    clock.now += 50.0
    store.remember("k", "w", ttl=60.0)
    clock.now += 50.0
    assert store.recall("k") == "w"
    store.remember("k", "x")
    clock.now += 10**6
    assert store.recall("k") == "x"
    assert store.expire(clock.now) == 0


def test_remember_once_keeps_the_first_value(store: Store) -> None:
    assert store.remember_once("secret", "first") == "first"
    assert store.remember_once("secret", "second") == "first"
    assert store.recall("secret") == "first"


def test_remember_once_is_shared_by_stores_on_one_url(shared_store_url: str) -> None:
    """Workers starting together each offer a value: all of them keep the same one."""
    stores = [open_store(shared_store_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            kept = list(pool.map(lambda n: stores[n].remember_once("k", f"v{n}"), range(4)))
    finally:
        for each in stores:
            each.close()
    assert len(set(kept)) == 1 and kept[0] in {"v0", "v1", "v2", "v3"}


@pytest.mark.parametrize("ttl", [0.0, -1.0, float("nan"), float("inf")])
def test_a_ttl_is_a_number_of_seconds_above_0(store: Store, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.remember("k", "v", ttl=ttl)
    assert store.recall("k") is None


# --- deleting a learner leaves nothing of them ----------------------------------------------

WEB_CHAT = "Zr3kq9WmXb2TnV8pL4sYcA"  # a web learner's chat: a digest of their cookie's token
OA_USER = "8123456789012345"  # a Zalo user id
TG_CHAT = "987654321"

# the learner, the ids of their events as each channel makes them (the last one deletes
# them), where their replies go, and what no record may hold once they are deleted
DELETED = [
    pytest.param(
        f"web:{WEB_CHAT}",
        [f"web:{WEB_CHAT}:k3J9-a81Qz", f"web:{WEB_CHAT}:k3J9-a81R0", f"web:{WEB_CHAT}:k3J9-a81R1"],
        ("web", WEB_CHAT),
        [WEB_CHAT],
        id="web",
    ),
    pytest.param(
        f"zalo:{OA_USER}",
        [f"zoa:follow:{OA_USER}:1763884800000", "zoa:5d1c0b2a9e", "zoa:5d1c0b2a9f"],
        ("zalo-oa", OA_USER),
        [OA_USER],
        id="zalo-oa",
    ),
    pytest.param(
        f"tg:{TG_CHAT}", ["tg:700000001", "tg:700000002"], ("telegram", TG_CHAT), [TG_CHAT],
        id="telegram",
    ),
]  # fmt: skip


def taking_turns(learner_id: str, channel: str, chat: str) -> Change[list[Delivery]]:
    """A change that adds a turn to `learner_id` and answers in their chat."""

    def change(learner: Learner | None) -> tuple[Learner, list[Delivery]]:
        learner = learner or Learner.new(learner_id)
        learner.turns += 1
        return learner, [Delivery(channel, chat, {"kind": "message", "text": "…"})]

    return change


@pytest.mark.parametrize("how", ["by-an-event", "by-store-delete"])
@pytest.mark.parametrize(("learner", "events", "where", "needles"), DELETED)
def test_a_deleted_learner_leaves_no_trace(
    store: Store,
    learner: str,
    events: list[str],
    where: tuple[str, str],
    needles: list[str],
    how: str,
) -> None:
    channel, chat = where
    queue = f"{channel}:{chat}"
    for n, event in enumerate(events[:-1]):
        assert store.handle(learner, event, taking_turns(learner, channel, chat), 10.0 + n)
    send(store, "tg:1", 10.0, message("5", "cho người khác"))  # another learner's
    for each in (queue, "telegram:5"):
        drain(store, each, 20.0)
    if how == "by-an-event":  # what belongs to the chats the deleting event answers
        for chats in (queue, "telegram:5"):
            for bucket in chat_buckets(chats):
                # Empty now, and slow to refill: Redis expires a full bucket by its own
                # clock, and must keep these for the test's length (100 s) on a busy machine.
                assert store.take_token(bucket, 0.01, 1.0, 20.0) == 0.0
        them, other = Delivery(channel, chat, {"text": "bị chặn"}), message("5", "bị chặn")
        for failed in (them, other, them):
            store.fail(failed, "blocked", 20.0)
    assert holding(store, learner, *needles) != []  # what is looked for is there to find

    if how == "by-an-event":

        def delete(_: Learner | None) -> tuple[None, list[Delivery]]:
            return None, [Delivery(channel, chat, {"kind": "message", "text": "Đã xóa"})]

        assert store.handle(learner, events[-1], delete, 30.0) is not None
        drain(store, f"{channel}:{chat}", 31.0)  # the goodbye is sent
    else:
        assert store.delete(learner)

    assert holding(store, learner, *needles) == []
    assert store.get(learner) is None and store.pending() == 0
    if how == "by-an-event":  # the deleting event is still known, by its digest alone
        assert store.handle(learner, events[-1], delete, 32.0) is None
        # The other learner's records stay: their failure, their chat's buckets.
        assert [failure.delivery.chat for failure in store.failures()] == ["5"]
        assert all(store.take_token(b, 0.01, 1.0, 20.0) > 0 for b in chat_buckets("telegram:5"))
    assert store.handle(LEARNER, "tg:1", replying(), 32.0) is None  # the other's too
    assert turns(store) == 1


@pytest.mark.parametrize("how", ["by-an-event", "by-store-delete"])
def test_a_deleted_learner_is_gone_from_the_sqlite_files_too(tmp_path: Path, how: str) -> None:
    """Not only from the tables: SQLite keeps deleted rows in free space and old versions of
    pages in its write-ahead log, where anyone with the files could read them."""
    store = SQLiteStore(tmp_path / "hocso.db")
    learner, chat = f"tg:{TG_CHAT}", ("telegram", TG_CHAT)

    def writing_the_volunteer(stored: Learner | None) -> tuple[Learner, list[Delivery]]:
        after, deliveries = taking_turns(learner, *chat)(stored)
        after.volunteer = "VQZX7Q" + "-" * 2000  # a document over a page: overflow pages too
        return after, deliveries

    try:
        for n in range(20):
            store.handle(learner, f"tg:70000{n:04d}", writing_the_volunteer, 10.0 + n)
            send(store, f"tg:80000{n:04d}", 10.0 + n, message("5", "cho người khác"))
        drain(store, f"telegram:{TG_CHAT}", 40.0)
        files = [tmp_path / "hocso.db", tmp_path / "hocso.db-wal"]
        assert any(b"VQZX7Q" in path.read_bytes() for path in files)
        if how == "by-an-event":
            store.handle(learner, "tg:700009999", lambda _: (None, []), 50.0)
        else:
            assert store.delete(learner)
        raw = b"".join(path.read_bytes() for path in files if path.exists())
    finally:
        store.close()
    assert b"VQZX7Q" not in raw and learner.encode() not in raw
    again = SQLiteStore(tmp_path / "hocso.db")
    try:
        assert turns(again) == 20  # the other learner's are still there
    finally:
        again.close()


# --- stores that outlive a process: SQLite and Redis ---------------------------------------


def test_the_outbox_is_shared_by_stores_on_one_url(shared_store_url: str) -> None:
    one, two = open_store(shared_store_url), open_store(shared_store_url)
    try:
        assert [one.take_token("tg", 1.0, 2.0, 5.0), two.take_token("tg", 1.0, 2.0, 5.0)] == [
            0.0,
            0.0,
        ]
        assert one.take_token("tg", 1.0, 2.0, 5.5) == two.take_token("tg", 1.0, 2.0, 5.5) == 0.5

        send(one, "e1", 1.0, message("1", "một"), message("1", "hai"))
        assert two.handle(LEARNER, "e1", replying(), 1.0) is None
        head = two.claim(None, 1.0, LEASE)
        assert head is not None
        assert one.claim(None, 1.0, LEASE) is None
        assert text(one.done(head, 1.0, LEASE, 1.0)) == "hai"

        one.fail(head, "blocked", 2.0)
        two.remember("k", "v")
        assert [f.reason for f in two.failures()] == ["blocked"]
        assert one.recall("k") == "v"
        assert one.pending() == two.pending() == 1
    finally:
        one.close()
        two.close()


@pytest.mark.parametrize("version", range(1, len(_MIGRATIONS)))
def test_an_older_sqlite_file_is_migrated(tmp_path: Path, version: int) -> None:
    path = tmp_path / f"v{version}.db"
    connection = sqlite3.connect(path)
    connection.create_function("hocso_event_digest", 1, event_digest)  # as the store does
    for statements in _MIGRATIONS[:version]:
        for statement in statements:
            connection.execute(statement)
    connection.execute(
        "INSERT INTO learners (id, doc, updated_at) VALUES (?, ?, ?)",
        (LEARNER, json.dumps(Learner.new(LEARNER).to_dict()), "2026-11-23T10:00:00+07:00"),
    )
    if version >= 2:
        connection.execute("INSERT INTO kv (key, value) VALUES ('file-id:x', 'AgAC')")
        event = f"web:{WEB_CHAT}:k3J9"
        kept = event_digest(event) if version >= 4 else event  # digests since version 4
        connection.execute("INSERT INTO events (id, at) VALUES (?, 0.5)", (kept,))
    connection.execute(f"PRAGMA user_version = {version}")
    connection.commit()
    connection.close()

    store = SQLiteStore(path)
    try:
        assert turns(store) == 0 and store.get(LEARNER) is not None
        # The records (version 5) are filled from the learners already there.
        assert store.counts() == {"learners|||": 1}
        assert [row["id"] for row in store.each_row()] == [LEARNER]
        send(store, "e1", 1.0, message("1", "một"))
        assert turns(store) == 1
        assert drain(store, "telegram:1", 1.0) == ["một"]
        if version >= 2:
            # An event handled before is still known, by its digest alone (version 4).
            assert store.handle(LEARNER, f"web:{WEB_CHAT}:k3J9", replying(), 2.0) is None
            assert holding(store, WEB_CHAT) == []
            # A value kept before ttls (version 3) is kept for good.
            assert store.expire(1.0) == 0 and store.recall("file-id:x") == "AgAC"
    finally:
        store.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone() == (len(_MIGRATIONS),)


HANDLER = """
import json, sys
from bot.learner import Learner
from bot.stores import open_store
from bot.stores.base import Delivery

def change(learner):
    learner = learner or Learner.new("tg:7")
    learner.turns += 1
    chat = str(learner.turns % 5)
    return learner, [
        Delivery("telegram", chat, {"text": "a"}),
        Delivery("telegram", chat, {"text": "b"}, priority=1),
    ]

store = open_store(sys.argv[1])
name = sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()  # wait for "go", so that both processes run at once
handled = [store.handle("tg:7", f"{name}:{n}", change, 1000.0) for n in range(200)]
store.close()
print(json.dumps([d is not None and len(d) for d in handled]), flush=True)
"""

SENDER = """
import json, random, sys, time
from bot.stores import open_store

store = open_store(sys.argv[1])
now, lease = 1000.0, 3600.0  # leases never end: only done and retry give queues back
print("ready", flush=True)
sys.stdin.readline()
sent = []
while True:
    delivery = store.claim(None, now, lease)
    if delivery is None:
        if store.pending() == 0:
            break
        continue
    while delivery is not None:
        sent.append([delivery.queue, delivery.body["n"], delivery.id, time.monotonic_ns()])
        if random.random() < 0.3:  # give the queue back unsent, for anyone to take
            store.retry(delivery, now, count=False)
            sent.pop()
            break
        delivery = store.done(delivery, now, lease, next_at=now if random.random() < 0.5 else 0)
        if delivery is not None and random.random() < 0.3:
            store.retry(delivery, now, count=False)
            break
store.close()
print(json.dumps(sent), flush=True)
"""


def test_two_processes_handling_events_lose_nothing(shared_store_url: str) -> None:
    store = open_store(shared_store_url)  # creates the SQLite file and schema first
    try:
        outputs = run_at_once(HANDLER, shared_store_url, [["one"], ["two"]])
        for output in outputs:
            assert json.loads(output) == [2] * 200
        assert turns(store) == 400
        assert store.pending() == 800
        for chat in "01234":  # each event's two deliveries went out together, in order
            sent = drain(store, f"telegram:{chat}", 1000.0)
            assert sent == ["a", "b"] * 80
        assert store.pending() == 0
    finally:
        store.close()


def test_two_processes_sending_send_each_delivery_once_and_in_order(
    shared_store_url: str,
) -> None:
    store = open_store(shared_store_url)
    try:
        for n in range(10):
            body = [Delivery("telegram", str(q), {"n": n}, priority=(n + q) % 2) for q in range(20)]
            send(store, f"e{n}", 1000.0 - 10 + n, *body)
        assert store.pending() == 200

        outputs = run_at_once(SENDER, shared_store_url, [[], []])

        sent = [entry for output in outputs for entry in json.loads(output)]
        assert sorted(entry[2] for entry in sent) == sorted(
            f"e{n}/{q}" for n in range(10) for q in range(20)
        )
        for q in range(20):
            in_queue = sorted((at, n) for queue, n, _, at in sent if queue == f"telegram:{q}")
            assert [n for _, n in in_queue] == list(range(10))
        assert store.pending() == 0
        assert store.claim(None, 1e12, LEASE) is None
    finally:
        store.close()


# --- the delivery loop's leases --------------------------------------------------------------


class Holding:
    """A channel whose sends wait until the test lets them go; what each sent, by delivery."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.sending = asyncio.Event()
        self.go = asyncio.Event()

    async def send(self, chat: str, message: Outbound, *, key: str = "", skip: int = 0) -> None:
        self.sending.set()
        await self.go.wait()
        self.sent.append(key)


def test_a_worker_keeps_the_queue_it_sends_however_long_the_send(store: Store) -> None:
    """A send taking four times the lease: the worker renews its lease meanwhile, so another
    worker polling all along never takes the queue (and never sends the message twice)."""
    lease = 0.6

    async def two_workers() -> tuple[list[str], list[str]]:
        mine, theirs = Holding(), Holding()
        theirs.go.set()
        one = Courier(store, {"telegram": Outlet(mine)}, lease=lease, poll=0.05)
        other = Courier(store, {"telegram": Outlet(theirs)}, lease=lease, poll=0.05)
        send(store, "e1", time.time(), message("1", "một"), message("1", "hai"))
        first = asyncio.create_task(one.run())
        await asyncio.wait_for(mine.sending.wait(), 10)
        second = asyncio.create_task(other.run())
        await asyncio.sleep(4 * lease)
        mine.go.set()
        await await_until(lambda: store.pending() == 0, 10, "both messages to go")
        for courier in (one, other):
            await courier.stop()
        await asyncio.gather(first, second)
        return mine.sent, theirs.sent

    assert asyncio.run(two_workers()) == (["e1/0", "e1/1"], [])


# --- the delivery loop under a platform's limits ---------------------------------------------


class Recording:
    """A channel that sends at once; each send's key and when it went."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []

    async def send(self, chat: str, message: Outbound, *, key: str = "", skip: int = 0) -> None:
        self.sent.append((time.monotonic(), key))


# Turns of ten chats, queued in this order: two of them say two things at once.
TURNS = [(chat, 2 if chat in (3, 7) else 1) for chat in range(10)]


def test_replies_go_in_the_order_they_were_taken_each_turn_together(store: Store) -> None:
    """Two workers, one overall limit of 20 a second shared through the store, and more
    replies waiting than it lets through at once: the replies go in the order their queues
    were kicked (the oldest reply first, whichever worker holds it), a turn's two messages one
    after the other, and no faster than the limit. (Woken to race for a token each time one
    came free, the queues used to go in any order, and a turn's second message behind them.)"""
    taken: list[str] = []  # the buckets asked, in order
    take = store.take_token

    def recorded(bucket: str, *args: float, **kwargs: float) -> float:
        taken.append(bucket)
        return take(bucket, *args, **kwargs)  # type: ignore[arg-type]

    store.take_token = recorded  # type: ignore[method-assign]
    limits = Limits(global_rate=20, chat_rate=1, chat_burst=3)

    async def two_workers() -> list[tuple[float, str]]:
        channel = Recording()
        couriers = [Courier(store, {"telegram": Outlet(channel, limits)}) for _ in range(2)]
        for n, (chat, says) in enumerate(TURNS):
            turn = [message(str(chat), f"{chat}.{k}") for k in range(says)]
            send(store, f"e{n}", time.time(), *turn)
        for n, (chat, _) in enumerate(TURNS):  # as the webhooks would, one after the other
            couriers[n % 2].kick(f"telegram:{chat}")
            mine = f"chat:telegram:{chat}"
            await await_until(lambda: mine in taken, 10, f"chat {chat}'s tokens")  # noqa: B023
        await await_until(lambda: store.pending() == 0, 20, "every reply to go")
        for courier in couriers:
            await courier.stop()
        return channel.sent

    sent = asyncio.run(two_workers())
    assert [key for _, key in sent] == [
        f"e{n}/{k}" for n, (_, says) in enumerate(TURNS) for k in range(says)
    ]
    times = [at for at, _ in sent]
    # 12 messages at 95% of 20 a second, the first at once: 11 waits of 1/19 s at least.
    assert times[-1] - times[0] >= 11 / 19 - 0.01


def test_a_queue_taken_after_its_lease_ended_is_left_to_whoever_claimed_it(store: Store) -> None:
    """The worker whose commit leased it a queue comes to send it after the lease ended (a
    slow commit): another worker claimed it meanwhile and sent it; it is not sent twice."""

    async def late_taker() -> tuple[list[str], list[str]]:
        mine, theirs = Recording(), Recording()
        one = Courier(store, {"telegram": Outlet(mine)}, lease=0.6)
        other = Courier(store, {"telegram": Outlet(theirs)}, lease=0.6)
        until = time.time() + 0.2
        queued = store.handle(LEARNER, "e1", replying(message("1", "một")), time.time(),
                              lease_until=until)  # fmt: skip
        assert queued is not None and queued[0].leased
        await asyncio.sleep(0.3)
        assert await other.sweep() == 1  # the lease ended: the poller claims it
        await other.idle()
        one.take(queued[0], until)
        await one.idle()
        return [key for _, key in mine.sent], [key for _, key in theirs.sent]

    assert asyncio.run(late_taker()) == ([], ["e1/0"])


@pytest.mark.parametrize(
    ("limits", "then", "taken"),
    [
        (Limits(global_rate=30, chat_rate=1, chat_burst=3), 8, 7),  # 2.5 + 5 s at 0.95 a second
        (Limits(global_rate=30, chat_rate=0.1, chat_burst=3), 4, 2),
        (Limits(global_rate=30, chat_rate=0, chat_burst=0), 8, 9),
        (Limits(global_rate=30, chat_rate=1, chat_burst=3), 2, 3),
    ],
)
def test_a_turn_takes_no_more_tokens_than_its_chat_can_ever_give(
    limits: Limits, then: int, taken: int
) -> None:
    """A turn of more messages than a chat's full bucket gives within `CHAT_AHEAD` takes the
    tokens of as many as it can (the rest follow, each its own), instead of asking for the
    impossible again and again and losing the overall tokens each time."""
    store = MemoryStore()
    head = replace(message("1", "một"), id="e1/0", then=then)
    courier = Courier(store, {"telegram": Outlet(Recording(), limits)})
    slots, wait = asyncio.run(courier._take_tokens(head))
    assert (len(slots), wait) == (taken, 0.0)


def test_redis_keeps_a_bucket_taken_ahead_until_it_is_full_again(store: Store) -> None:
    """A chat's tokens taken for a time ahead of the server's clock (its reply's overall turn
    20 s away): Redis, which expires a full bucket by its own clock, keeps the bucket until
    then and its refill after, so the next turn waits behind the debt."""
    if not isinstance(store, RedisStore):
        pytest.skip("the other stores forget buckets by the time given, not their own clock")
    store.take_token("chat:telegram:1", 0.95, 2.5, time.time() + 20, count=3, ahead=5)
    assert store.client.ttl(f"{store.prefix}:token:chat:telegram:1") >= 20 + 3
