"""The Redis store's shards (`bot.stores.redis`, `bot.stores._redis_layout`), on one server
and on a three-master Redis Cluster: learners spread over the shards and the shards over the
masters; many learners' outboxes, records and certificates read as one store's, checked against
the memory store step by step; a chat that several learners' events write to; the layout
record. tests/test_stores.py, test_outbox.py and test_records.py run the whole store contract
on the cluster too.
"""

from __future__ import annotations

import json
import random
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from redis.crc import key_slot

from bot.learner import Earned, Learner
from bot.stores import open_store
from bot.stores._redis_layout import DEFAULT_SHARDS, shard_of, shard_tags
from bot.stores.base import Delivery, Store
from bot.stores.memory import MemoryStore
from bot.stores.redis import LayoutError, RedisStore
from bot.tally import Tally
from support.redis_cluster import Cluster
from support.redis_server import delete_prefix, start_redis_server
from support.store_urls import store_url_for

LEASE = 10.0


@pytest.fixture(params=["redis", "redis-cluster"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url_for(request.param, request, tmp_path)


@pytest.fixture
def store(url: str) -> Iterator[RedisStore]:
    opened = open_store(url)
    assert isinstance(opened, RedisStore)
    try:
        yield opened
    finally:
        opened.close()


def learners_in_shards(store: RedisStore, count: int, start: int = 0) -> list[str]:
    """`count` learner ids, each in a shard of its own."""
    found: dict[int, str] = {}
    n = start
    while len(found) < count:
        learner = f"tg:{n}"
        found.setdefault(shard_of(learner, store.shards), learner)
        n += 1
    return list(found.values())


def message(chat: str, text: str, priority: int = 0) -> Delivery:
    return Delivery("telegram", chat, {"kind": "message", "text": text}, priority=priority)


MADE = datetime(2026, 12, 7, 8, 0, tzinfo=timezone(timedelta(hours=7)))


def turn(learner_id: str, *deliveries: Delivery) -> Any:
    def change(learner: Learner | None) -> tuple[Learner, list[Delivery]]:
        # Made at a fixed time: twins' copies must be equal, whenever each was made.
        learner = learner or Learner.new(learner_id, MADE)
        learner.turns += 1
        return learner, list(deliveries)

    return change


# -- where keys go ----------------------------------------------------------------------------


def test_learners_spread_over_the_shards_and_each_keeps_to_its_own(store: RedisStore) -> None:
    learners = [f"tg:{n}" for n in range(64)]
    for n, learner in enumerate(learners):
        store.handle(learner, f"e{n}", turn(learner, message(learner[3:], "chào")), 1.0)

    assert store.shards == DEFAULT_SHARDS
    used = {store.shard_prefix(learner) for learner in learners}
    assert len(used) >= DEFAULT_SHARDS - 2  # 64 learners leave no shard or two empty
    keys = set(store.client.scan_iter(match=f"{store.prefix}:*"))
    for learner in learners:
        shard = store.shard_prefix(learner)
        mine = {key for key in keys if key.endswith(f":{learner}")}
        # The learner, their events and their chat's queue: all in their shard.
        assert mine == {f"{shard}:learner:{learner}", f"{shard}:events:{learner}"}
        assert f"{shard}:out:telegram:{learner[3:]}" in keys
    layout = json.loads(store.client.get(f"{store.prefix}:layout"))
    assert layout == {"layout": 2, "shards": DEFAULT_SHARDS}
    assert sorted(store.learner_ids()) == sorted(learners)
    assert store.pending() == 64
    assert store.counts()["learners|||"] == 64


def test_the_shards_spread_evenly_over_three_masters(redis_cluster: Cluster) -> None:
    """`redis-cli --cluster create` gives three masters equal ranges of slots: 16 shards are
    6, 5 and 5 of them (hash tags `s0`…`s15` would have been 6, 4 and 6)."""
    masters = [redis_cluster.master_of(key_slot(tag.encode())).port for tag in shard_tags(16)]
    assert sorted(masters.count(port) for port in set(masters)) == [5, 5, 6]
    for count in (1, 3, 8, 16, 64):  # each tag in its own share of the slots
        slots = [key_slot(tag.encode()) for tag in shard_tags(count)]
        assert [slot * count // 16384 for slot in slots] == list(range(count))


# -- many learners read as one store: against the memory store, step by step -----------------


class Twins:
    """The same calls on the memory store and on two Redis stores of one URL (a call goes
    to either, as to two workers: a delivery claimed by one may be done by the other, which
    must find its shard); every answer must be the same."""

    def __init__(self, url: str) -> None:
        self.memory = MemoryStore()
        self.redis = [open_store(url), open_store(url)]
        self.random = random.Random(0)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        expected = getattr(self.memory, name)(*args, **kwargs)
        got = getattr(self.random.choice(self.redis), name)(*args, **kwargs)
        assert same(got) == same(expected), (name, args, got, expected)
        return expected

    def close(self) -> None:
        for store in self.redis:
            store.close()


def same(value: Any) -> Any:
    """What must be equal: a delivery with its body (`Delivery` compares without it)."""
    if isinstance(value, Delivery):
        return (value.to_dict(),)
    if isinstance(value, list | tuple):
        return [same(item) for item in value]
    return value


@pytest.mark.parametrize("seed", range(3))
def test_many_learners_outboxes_behave_as_the_memory_stores(url: str, seed: int) -> None:
    twins = Twins(url)
    rng = random.Random(seed)
    learners = [f"tg:{n}" for n in range(10)]
    chats = {learner: [learner[3:], f"{learner[3:]}b"] for learner in learners}
    held: list[Delivery] = []  # claimed heads (some lost to a lease's end meanwhile)
    now, events = 100.0, 0
    history: list[tuple[str, str]] = []  # (learner, event) handled: an event is one learner's
    try:
        for _ in range(400):
            now += rng.choice([0.0, 0.5, 1.0, 3.0])
            action = rng.choice(["handle"] * 4 + ["claim", "claim", "queue", "done", "done"] +
                                ["retry", "renew", "fail", "delete", "token", "look"])  # fmt: skip
            learner = rng.choice(learners)
            if action in ("handle", "delete"):
                events += 1
                event = f"e{events}"
                if history and rng.random() < 0.1:  # a redelivered event: not applied again
                    learner, event = rng.choice(history)
                history.append((learner, event))
                sent = [
                    message(rng.choice(chats[learner]), f"m{events}.{n}", rng.choice([0, 1]))
                    for n in range(rng.randint(0, 3))
                ]
                change = turn(learner, *sent)
                if action == "delete":
                    change = lambda _, sent=sent: (None, sent)  # noqa: E731
                    # Their events are forgotten with them: one sent again would be new, and
                    # its replies would take the ids of those still queued.
                    history = [(who, e) for who, e in history if who != learner]
                twins.call("handle", learner, event, change, now)
            elif action in ("claim", "queue"):
                queue = None if action == "claim" else f"telegram:{rng.choice(chats[learner])}"
                got = twins.call("claim", queue, now, LEASE)
                if got is not None:
                    held.append(got)
            elif held and action in ("done", "retry", "renew", "fail"):
                head = held.pop(rng.randrange(len(held)))
                if action == "done":
                    next_at = rng.choice([now, now + 2.0])
                    following = twins.call("done", head, now, LEASE, next_at)
                    if following is not None:
                        held.append(following)
                elif action == "retry":
                    twins.call(
                        "retry", head, now + rng.choice([0.0, 5.0]), count=rng.random() < 0.5
                    )
                elif action == "renew":
                    if twins.call("renew", head, now + LEASE, now, LEASE) is not None:
                        held.append(head)
                else:
                    twins.call("fail", head, "blocked", now)
                    if (following := twins.call("done", head, now, LEASE, now)) is not None:
                        held.append(following)
            elif action == "token":
                twins.call("take_token", f"chat:telegram:{learner[3:]}", 1.0, 3.0, now)
            else:
                for name in ("pending", "oldest_pending", "failures", "counts"):
                    twins.call(name)
                twins.call("get", learner)
        # Everything left goes out, in the same order from both.
        while (head := twins.call("claim", None, 1e9, LEASE)) is not None:
            while head is not None:
                head = twins.call("done", head, 1e9, LEASE, 1e9)
        for name in ("pending", "oldest_pending", "failures", "counts"):
            twins.call(name)
        assert sorted(twins.redis[0].learner_ids()) == sorted(twins.memory.learner_ids())
        twins.call("rows", learners)
    finally:
        twins.close()


def test_records_merged_from_the_shards_page_as_one_servers(url: str) -> None:
    """Ranked sets and schedules spread over the shards read as one sorted set: highest (or,
    for a schedule, lowest) score first, ties by id as Redis orders them, any window."""
    twins = Twins(url)
    rng = random.Random(7)
    learners = [f"tg:{n}" for n in range(60)]
    try:
        for learner in learners:
            score = float(rng.choice([10, 20, 20, 30, 40, 40, 40, 50]))  # many ties
            row = json.dumps({"id": learner, "score": score})
            twins.call("add_records", learner, Tally({"c": 1}, row, {"all": score}))
            twins.call("add_records", learner, Tally({}, row, {"due": score + rng.randint(0, 2)}))
        for start, stop in [(0, 50), (0, 5), (3, 17), (25, 60), (55, 80), (70, 90), (5, 5)]:
            for since in (None, 30.0):
                twins.call("ranked", "all", start, stop, since)
        for until, limit in [(20.0, 100), (45.0, 7), (1e9, 60), (0.0, 5), (45.0, 0)]:
            twins.call("due", "due", until, limit)
        twins.call("rank_counts", ["all", "due", "none"], None)
        twins.call("rank_counts", ["all", "due"], 30.0)
        twins.call("rank_count", "all", 40.0)
        twins.call("counts")
        twins.call("rows", [*learners[::7], "tg:nobody"])
        rows = sorted(json.dumps(row) for row in twins.redis[0].each_row())
        assert rows == sorted(json.dumps(row) for row in twins.memory.each_row())
        assert len(rows) == len(learners)
    finally:
        twins.close()


# -- a chat that several learners write to ----------------------------------------------------


def test_a_chat_many_learners_write_to_keeps_each_learners_order(url: str) -> None:
    """A volunteers' group chat: two learners of two shards queue to it. Each learner's
    messages to it go in order; the two streams are two queues (one in each shard), leased
    and sent apart, so theirs may interleave."""
    one, two = open_store(url), open_store(url)  # two workers
    assert isinstance(one, RedisStore) and isinstance(two, RedisStore)
    group = "-1001234"
    try:
        anh, binh = learners_in_shards(one, 2)
        for n in range(3):
            one.handle(anh, f"a{n}", turn(anh, message(group, f"anh {n}")), 10.0 + n)
            two.handle(binh, f"b{n}", turn(binh, message(group, f"binh {n}")), 10.5 + n)
        assert one.pending() == 6

        # Each worker's kick takes the stream of the learner whose event it handled.
        first = one.claim(f"telegram:{group}", 20.0, LEASE)
        second = two.claim(f"telegram:{group}", 20.0, LEASE)
        assert first is not None and second is not None
        assert (first.body["text"], second.body["text"]) == ("anh 0", "binh 0")
        # A third worker knows neither: it finds a stream that is not leased; none is.
        three = open_store(url)
        assert three.claim(f"telegram:{group}", 20.0, LEASE) is None
        sent = {"anh": [first.body["text"]], "binh": [second.body["text"]]}
        for head, who in ((first, "anh"), (second, "binh")):
            done = three.done(head, 20.0, LEASE, 20.0)  # done by another worker: found
            while done is not None:
                sent[who].append(done.body["text"])
                done = three.done(done, 20.0, LEASE, 20.0)
        assert sent == {"anh": ["anh 0", "anh 1", "anh 2"], "binh": ["binh 0", "binh 1", "binh 2"]}
        assert one.pending() == 0
        three.close()
    finally:
        one.close()
        two.close()


# -- certificates -----------------------------------------------------------------------------


def test_a_code_is_found_and_kept_unique_across_shards(store: RedisStore) -> None:
    owner, thief = learners_in_shards(store, 2)
    assert store.shard_prefix(owner) != store.shard_prefix(thief)

    def earn(learner_id: str) -> Any:
        def change(learner: Learner | None) -> tuple[Learner, list[Delivery]]:
            learner = learner or Learner.new(learner_id)
            learner.certificates["co-ban"] = Earned("2026-11-23T08:00:00+07:00", "HS-SHRD-0001")
            return learner, []

        return change

    store.handle(owner, "e1", earn(owner), 1.0)
    found = store.find_certificate("HS-SHRD-0001")
    assert found is not None and found.learner == owner
    with pytest.raises(ValueError, match="already belongs to learner"):
        store.handle(thief, "e2", earn(thief), 2.0)
    with pytest.raises(ValueError, match="already belongs to learner"):
        store.update(thief, lambda learner: (earn(thief)(learner)[0], None))
    assert store.get(thief) is None
    assert store.find_certificate("HS-SHRD-0002") is None
    store.delete(owner)
    assert store.find_certificate("HS-SHRD-0001") is None
    store.handle(thief, "e3", earn(thief), 3.0)  # free again
    again = store.find_certificate("HS-SHRD-0001")
    assert again is not None and again.learner == thief


# -- the layout record ------------------------------------------------------------------------


def with_option(url: str, option: str) -> str:
    return f"{url}&{option}"


def test_a_store_keeps_the_number_of_shards_it_was_made_with(url: str) -> None:
    made = open_store(with_option(url, "shards=4"))
    try:
        made.handle("tg:1", "e1", turn("tg:1", message("1", "một")), 1.0)
        assert isinstance(made, RedisStore) and made.shards == 4
    finally:
        made.close()
    same = open_store(url)  # no number: the store's own
    assert isinstance(same, RedisStore)
    try:
        assert same.shards == 4
        assert same.get("tg:1") is not None
    finally:
        same.close()
    other = open_store(with_option(url, "shards=16"))
    try:
        with pytest.raises(LayoutError) as refused:
            other.get("tg:1")
        assert "was made with 4 shards, and the store URL asks for 16" in str(refused.value)
        assert "Give shards=4, or leave the option out" in str(refused.value)
    finally:
        other.close()


def test_a_layout_this_hocso_does_not_know_is_refused(store: RedisStore) -> None:
    store.client.set(f"{store.prefix}:layout", json.dumps({"layout": 3, "shards": 16}))
    with pytest.raises(LayoutError, match=r"has layout 3 .*this hocso knows layout 2"):
        store.get("tg:1")


def test_one_shard_is_one_slot(url: str) -> None:
    store = open_store(with_option(url, "shards=1"))
    assert isinstance(store, RedisStore)
    try:
        for n in range(5):
            learner = f"tg:{n}"
            store.handle(learner, f"e{n}", turn(learner, message(str(n), "x")), 1.0)
        tags = {key.split("{")[1].split("}")[0] for key in store.client.scan_iter(
            match=f"{store.prefix}:{{*")}  # fmt: skip
        assert tags == {"s0"}
        assert store.pending() == 5 and len(list(store.learner_ids())) == 5
    finally:
        store.close()


# -- from one server to a cluster -------------------------------------------------------------


def test_a_store_on_one_server_is_copied_into_a_cluster_by_redis_cli(
    tmp_path: Path, redis_cluster: Cluster
) -> None:
    """The way onto a cluster (README, Past one machine): every key already carries its
    shard's hash tag, so Redis's own `redis-cli --cluster import` copies the store as it is."""
    server = start_redis_server(tmp_path)
    prefix = f"hocso-import-{uuid.uuid4().hex[:8]}"
    one = open_store(f"{server.url}?prefix={prefix}")
    try:
        for n in range(40):
            learner = f"tg:{n}"
            one.handle(learner, f"e{n}", turn(learner, message(str(n), f"chào {n}")), 1.0)
        one.update("tg:3", lambda learner: (earned(learner, "HS-IMPT-0003"), None))
        one.remember("file-id:x", "AgAC")
        before = seen(one)
        done = subprocess.run(
            ["redis-cli", "--cluster", "import", f"127.0.0.1:{redis_cluster.nodes[0].port}",
             "--cluster-from", f"127.0.0.1:{server.port}", "--cluster-copy"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        one.close()
        server.stop()
    url = redis_cluster.store_url(prefix)
    two = open_store(url)
    try:
        assert seen(two) == before
        assert two.handle("tg:5", "e5", turn("tg:5"), 2.0) is None  # handled before: known
        head = two.claim("telegram:5", 2.0, LEASE)
        assert head is not None and head.body["text"] == "chào 5"
    finally:
        two.close()
        delete_prefix(url)


def earned(learner: Learner | None, code: str) -> Learner:
    assert learner is not None
    learner.certificates["co-ban"] = Earned("2026-12-01T08:00:00+07:00", code)
    return learner


def seen(store: Store) -> dict[str, Any]:
    return {
        "learners": {learner: store.get(learner) for learner in sorted(store.learner_ids())},
        "code": store.find_certificate("HS-IMPT-0003"),
        "pending": store.pending(),
        "oldest": store.oldest_pending(),
        "counts": store.counts(),
        "kv": store.recall("file-id:x"),
    }
