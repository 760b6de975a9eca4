"""A Redis store kept before shards (the first layout: one server, global keys, as
`support.first_layout` writes it) is moved into shards by the first process that opens it
(`bot.stores._redis_layout`), and nothing an admin or a learner sees changes: the learners, their
certificates, their events (a redelivered one is still known), their queues (a leased one
stays leased, a retried one waits), the records, the failures and the directory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bot.learner import Earned, Learner
from bot.stores import _redis_parts, open_store
from bot.stores.base import Delivery
from bot.stores.redis import LayoutBusy, LayoutError, RedisStore
from support.first_layout import FirstLayoutStore

LEASE = 30.0
LEARNERS = [f"tg:{n}" for n in range(12)]


def message(chat: str, text: str, priority: int = 0) -> Delivery:
    return Delivery("telegram", chat, {"kind": "message", "text": text}, priority=priority)


def turn(learner_id: str, *deliveries: Delivery, code: str | None = None) -> Any:
    def change(learner: Learner | None) -> tuple[Learner, list[Delivery]]:
        learner = learner or Learner.new(learner_id)
        learner.turns += 1
        learner.seen_at = f"2026-12-0{1 + learner.turns}T08:00:00+07:00"
        if code is not None:
            learner.certificates["co-ban"] = Earned("2026-12-01T08:00:00+07:00", code)
        return learner, list(deliveries)

    return change


@pytest.fixture
def first(redis_store_url: str) -> Iterator[FirstLayoutStore]:
    """A store in the first layout, written as the hocso before shards did."""
    url, prefix, _ = _redis_parts(redis_store_url)
    old = FirstLayoutStore.from_url(url, prefix)
    for n, learner in enumerate(LEARNERS):
        chat = learner[3:]
        code = f"HS-MOVE-{n:04d}" if n % 3 == 0 else None
        old.handle(learner, f"{learner}:1", turn(learner, message(chat, "một")), 100.0 + n)
        old.handle(
            learner,
            f"{learner}:2",
            turn(learner, message(chat, "hai", 1), message(chat, "ba"), code=code),
            200.0 + n,
        )
    # tg:0's queue is being sent (leased until 300 + LEASE); tg:1's was retried, due at 900;
    # tg:2's was sent whole; tg:3's first message failed for good.
    assert old.claim("telegram:0", 300.0, LEASE) is not None
    head = old.claim("telegram:1", 300.0, LEASE)
    assert head is not None
    old.retry(head, 900.0)
    head = old.claim("telegram:2", 300.0, LEASE)
    while head is not None:
        head = old.done(head, 300.0, LEASE, 300.0)
    head = old.claim("telegram:3", 300.0, LEASE)
    assert head is not None
    old.fail(head, "blocked", 300.0)
    assert old.done(head, 300.0, LEASE, 300.0) is not None
    old.retry(head, 300.0, count=False)
    # A learner who asked to be forgotten, and the directory.
    old.handle("tg:gone", "gone:1", turn("tg:gone", message("gone", "chào")), 50.0)
    old.handle("tg:gone", "gone:2", lambda _: (None, [message("gone", "đã xoá")]), 60.0)
    # Slow to refill, so that Redis, which expires a full bucket by its own clock, keeps it
    # for the test's length (100 s) however busy the machine.
    old.take_token("chat:telegram:5", 0.01, 3.0, 300.0)
    old.remember("file-id:x", "AgAC")
    old.put_doc("volunteer", "V1", {"name": "Đoàn thôn 1"})
    old.audit({"at": "2026-12-06T08:00:00+07:00", "who": "admin", "what": "volunteer_add"})
    try:
        yield old
    finally:
        old.close()


def seen(store: Any) -> dict[str, Any]:
    """Everything an admin or a report reads of a store."""
    return {
        "learners": {learner: store.get(learner) for learner in sorted(store.learner_ids())},
        "codes": {n: store.find_certificate(f"HS-MOVE-{n:04d}") for n in range(12)},
        "pending": store.pending(),
        "oldest": store.oldest_pending(),
        "failures": store.failures(),
        "counts": store.counts(),
        "ranked": store.ranked("all", 0, 100),
        "rows": store.rows([*LEARNERS, "tg:gone"]),
        "docs": store.docs("volunteer"),
        "audit": store.audit_log(),
        "kv": store.recall("file-id:x"),
    }


def test_a_store_of_the_first_layout_is_moved_into_shards(
    first: FirstLayoutStore, redis_store_url: str
) -> None:
    before = seen(first)
    store = open_store(redis_store_url)
    assert isinstance(store, RedisStore)
    try:
        assert seen(store) == before
        assert store.shards == 16
        keys = set(store.client.scan_iter(match=f"{store.prefix}:*"))
        left = {key for key in keys if not key.startswith(f"{store.prefix}:{{")}
        # What keeps its name, and the event that deleted tg:gone (filed under no one: it
        # expires within EVENT_TTL, and is no longer known once moved).
        assert {key.split(":")[1] for key in left} == {
            "layout", "failures", "token", "kv", "docs", "audit", "event"
        }  # fmt: skip
        assert len([key for key in left if ":event:" in key]) == 1
        # Events handled before are known: sent again, they change nothing.
        for learner in LEARNERS:
            assert store.handle(learner, f"{learner}:2", turn(learner), 400.0) is None
        # tg:0's queue is still leased; tg:1's waits until 900; the others go, in order.
        assert store.claim("telegram:0", 300.0 + LEASE - 1, LEASE) is None
        assert store.claim("telegram:1", 899.0, LEASE) is None
        sent: dict[str, list[str]] = {}
        while (head := store.claim(None, 1000.0, LEASE)) is not None:
            while head is not None:
                sent.setdefault(head.chat, []).append(head.body["text"])
                head = store.done(head, 1000.0, LEASE, 1000.0)
        assert sent.pop("gone") == ["chào", "đã xoá"]
        assert sent.pop("3") == ["hai", "ba"]  # the first one failed for good
        assert sent == {learner[3:]: ["một", "hai", "ba"] for learner in LEARNERS[:12]
                        if learner not in ("tg:2", "tg:3")}  # fmt: skip
        assert store.pending() == 0 and store.oldest_pending() is None
        # A new turn goes as any other.
        queued = store.handle("tg:5", "tg:5:3", turn("tg:5", message("5", "bốn")), 1000.0)
        assert queued is not None and store.claim("telegram:5", 1000.0, LEASE) == queued[0]
    finally:
        store.close()
    again = open_store(redis_store_url)  # moved once: the next process finds shards
    try:
        assert again.get("tg:5") is not None
    finally:
        again.close()


def test_a_move_cut_short_is_finished_by_the_next_process(
    first: FirstLayoutStore, redis_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = seen(first)
    broken = open_store(redis_store_url)

    def cut(self: RedisStore) -> int:
        raise RuntimeError("killed while counting the records")

    with monkeypatch.context() as patched:
        patched.setattr(RedisStore, "rebuild_records", cut)
        with pytest.raises(RuntimeError, match="killed"):
            broken.get("tg:1")
    broken.close()
    store = open_store(redis_store_url)
    try:
        assert seen(store) == before
    finally:
        store.close()


def test_while_another_process_moves_the_store_calls_fail_as_if_redis_were_loading(
    first: FirstLayoutStore, redis_store_url: str
) -> None:
    first.client.set(f"{first.prefix}:layout-moving", "another", ex=60)
    store = open_store(redis_store_url)
    try:
        with pytest.raises(LayoutBusy, match="another process is moving the store") as busy:
            store.get("tg:1")
        assert isinstance(busy.value, redis.ConnectionError)  # the service answers 503
        first.client.delete(f"{first.prefix}:layout-moving")
        assert store.get("tg:1") is not None
    finally:
        store.close()


def test_a_cluster_never_held_the_first_layout(cluster_store_url: str) -> None:
    store = open_store(cluster_store_url)
    assert isinstance(store, RedisStore)
    try:
        store.client.hset(f"{store.prefix}:counts", "learners|||", 1)
        with pytest.raises(LayoutError, match="first layout of the Redis store"):
            store.get("tg:1")
    finally:
        store.close()
