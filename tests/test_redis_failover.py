"""The Redis store while Redis fails over: a Redis Cluster master killed (its replica takes over
after `cluster-node-timeout`), and a master watched by Sentinel killed (the sentinel promotes its
replica). Meanwhile a call fails at once with a ConnectionError (the service answers 503 and the
platform sends the update again); then the learner's next turns work, and nothing the failed
master had passed on to its replica is lost.

Each test starts Redis of its own (`support.redis_cluster`), since it stops a part of it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.crc import key_slot

from bot.learner import Learner
from bot.stores import open_store
from bot.stores.base import Delivery
from bot.stores.redis import RedisStore
from support.redis_cluster import Cluster, Sentinel, start_cluster, start_sentinel
from support.waiting import wait_until

LEASE = 30.0
LEARNER = "tg:7"


def turn(learner_id: str, text: str) -> Any:
    def change(learner: Learner | None) -> tuple[Learner, list[Delivery]]:
        learner = learner or Learner.new(learner_id)
        learner.turns += 1
        return learner, [Delivery("telegram", learner_id[3:], {"kind": "message", "text": text})]

    return change


def through_the_failover(store: RedisStore, first: int, timeout: float = 60.0) -> list[float]:
    """Send the learner's turns `first`, `first + 1`… until one is stored: how long each
    failed attempt took (a ConnectionError each, as the webhook's 503)."""
    failed: list[float] = []
    deadline = time.monotonic() + timeout
    while True:
        started = time.monotonic()
        try:
            queued = store.handle(LEARNER, f"e{first}", turn(LEARNER, f"{first}"), 10.0)
        except redis.ConnectionError:
            failed.append(time.monotonic() - started)
            assert time.monotonic() < deadline, f"still failing after {timeout} s"
            time.sleep(0.1)
            continue
        assert queued is not None
        return failed


def sent_in_order(store: RedisStore) -> list[str]:
    sent = []
    head = store.claim(f"telegram:{LEARNER[3:]}", 20.0, LEASE)
    while head is not None:
        sent.append(str(head.body["text"]))
        head = store.done(head, 20.0, LEASE, 20.0)
    return sent


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with start_cluster(tmp_path) as started:
        yield started


def test_a_cluster_master_fails_and_its_replica_takes_over(cluster: Cluster) -> None:
    store = open_store(cluster.store_url("failover"), timeout=1.0)
    assert isinstance(store, RedisStore)
    try:
        for n in range(3):
            store.handle(LEARNER, f"e{n}", turn(LEARNER, f"{n}"), 10.0)
        tag = store.shard_prefix(LEARNER).split("{")[1].rstrip("}")
        master = cluster.master_of(key_slot(tag.encode()))
        replica = cluster.replica_of(master)
        wait_until(lambda: cluster.in_sync(master), 10, "the replica to have every write")

        master.kill()
        failed = through_the_failover(store, 3)

        assert failed, "a call failed while no master served the learner's shard"
        assert max(failed) < 2.0  # each at once (three quick tries), not a whole failover
        cluster.wait_until_master(replica)
        learner = store.get(LEARNER)
        assert learner is not None and learner.turns == 4
        assert store.handle(LEARNER, "e2", turn(LEARNER, "again"), 11.0) is None  # known
        assert sent_in_order(store) == ["0", "1", "2", "3"]
        assert store.pending() == 0
    finally:
        store.close()


@pytest.fixture
def sentinel(tmp_path: Path) -> Iterator[Sentinel]:
    with start_sentinel(tmp_path) as started:
        yield started


def test_a_master_watched_by_sentinel_fails_and_its_replica_takes_over(
    sentinel: Sentinel,
) -> None:
    store = open_store(sentinel.store_url("failover"), timeout=1.0)
    assert isinstance(store, RedisStore)
    try:
        for n in range(3):
            store.handle(LEARNER, f"e{n}", turn(LEARNER, f"{n}"), 10.0)
        assert sentinel.master_port() == sentinel.master.port
        client = sentinel.master.client()
        assert client.wait(1, 5000) == 1  # the replica has every write
        client.close()

        sentinel.master.kill()
        failed = through_the_failover(store, 3)

        assert failed, "a call failed while the master was gone"
        assert sentinel.master_port() == sentinel.replica.port
        learner = store.get(LEARNER)
        assert learner is not None and learner.turns == 4
        assert sent_in_order(store) == ["0", "1", "2", "3"]
    finally:
        store.close()
