"""How the Redis store (`bot.stores.redis`) spreads over shards, the record of its layout, and
the move of a store kept in the first layout (one server, global keys) into shards.

A store has a fixed number of shards, chosen when it is made (`?shards=N`, default
`DEFAULT_SHARDS`) and kept in `{prefix}:layout` (`{"layout": 2, "shards": 16}`). Shard `i`'s keys
all carry the hash tag `SHARD_TAGS[i]`, so Redis Cluster keeps them in one slot, and the
tags are chosen so that the shards' slots spread evenly over the cluster's 16384: tag `s<i>`,
or `s<i>-<k>` with the least `k` that puts it in the `i`-th of N equal ranges of slots. A
cluster made by `redis-cli --cluster create` (equal ranges, one a master) then holds as even a
share of shards on each master as the numbers allow (16 on 3 masters: 6, 5, 5).
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import redis
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from bot.stores._redis_scripts import MOVE, MOVE_QUEUE

if TYPE_CHECKING:
    from bot.stores.redis import RedisStore

log = logging.getLogger("hocso.store")

LAYOUT = 2
"""The layout this code keeps: 1 was one server's global keys (no `{prefix}:layout` key)."""

DEFAULT_SHARDS = 16
MAX_SHARDS = 256

LOCK_SECONDS = 120
"""How long the lock of a move lasts unless renewed (a process killed while moving frees it)."""

PAGE = 500
"""Keys moved in one script (one server: the move's keys need not share a slot)."""


class LayoutError(RuntimeError):
    """The store's layout is not one this code can use; says in plain words what to do."""


class LayoutBusy(redis.ConnectionError):
    """Another process is moving the store into this layout: try again shortly. A kind of
    ConnectionError, as redis-py's BusyLoadingError is: the service answers 503 meanwhile and the
    platform sends the update again."""


@functools.cache
def shard_tags(count: int) -> tuple[str, ...]:
    """The hash tag of each of `count` shards (see the module)."""
    tags = []
    for shard in range(count):
        k = 0
        while True:
            tag = f"s{shard}" if k == 0 else f"s{shard}-{k}"
            if key_slot(tag.encode()) * count // REDIS_CLUSTER_HASH_SLOTS == shard:
                tags.append(tag)
                break
            k += 1
    return tuple(tags)


def shard_of(name: str, count: int) -> int:
    """The shard of a learner (by id), or of a queue moved from the first layout (by name)."""
    return zlib.crc32(name.encode("utf-8")) % count


def check_shards(shards: int) -> int:
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"a store has 1 to {MAX_SHARDS} shards, not {shards}")
    return shards


def open_layout(store: RedisStore, wanted: int | None) -> int:
    """The number of shards of the store (made now, with `wanted` or `DEFAULT_SHARDS`, when
    it has no layout yet; a store in the first layout is moved first). Raises LayoutError when
    the store was made with another number than `wanted`, or by a newer hocso."""
    client, key = store.client, f"{store.prefix}:layout"
    text = cast(str | None, client.get(key))
    if text is None:
        count = wanted or DEFAULT_SHARDS
        if _first_layout_keys(store):
            _move_first_layout(store, count)
        client.set(key, json.dumps({"layout": LAYOUT, "shards": count}), nx=True)
        text = cast(str, client.get(key))
    layout = json.loads(text)
    if layout.get("layout") != LAYOUT:
        raise LayoutError(
            f"the Redis store under the prefix {store.prefix!r} has layout "
            f"{layout.get('layout')!r} ({key}); this hocso knows layout {LAYOUT}: "
            f"run the hocso that made it, or a newer one"
        )
    count = int(layout["shards"])
    if wanted is not None and wanted != count:
        raise LayoutError(
            f"the Redis store under the prefix {store.prefix!r} was made with {count} shards, "
            f"and the store URL asks for {wanted}: a store keeps the number it was made with. "
            f"Give shards={count}, or leave the option out"
        )
    store.use_shards(count)
    return count


_FIRST_GLOBAL = ("counts", "rows", "pending", "queued", "ready:0", "ready:1")
_FIRST_KINDS = ("learner:", "cert:", "events:", "out:", "rank:")


def _first_layout_keys(store: RedisStore) -> bool:
    """Whether the prefix holds keys of the first layout (one EXISTS; then, for a store
    with none of its global keys, one pass of SCAN: only while a store has no layout key)."""
    prefix = store.prefix
    if store.client.exists(*(f"{prefix}:{name}" for name in _FIRST_GLOBAL)):
        return True
    kinds = tuple(f"{prefix}:{kind}" for kind in _FIRST_KINDS)
    for key in store.client.scan_iter(match=f"{prefix}:*", count=1000):
        if cast(str, key).startswith(kinds):
            return True
    return False


def _move_first_layout(store: RedisStore, count: int) -> None:
    """Move a store of the first layout into `count` shards, under a lock (other processes
    get LayoutBusy meanwhile). Every step moves what is left of one kind of key, so a move cut
    short (the process killed) is finished by the next process to open the store."""
    client, prefix = store.client, store.prefix
    if not isinstance(client, redis.Redis):
        raise LayoutError(
            f"the keys under the prefix {prefix!r} are in the first layout of the Redis store, "
            f"which only ever ran on one server: move them on that server first (open the store "
            f"there with this hocso), then copy them into the cluster"
        )
    lock, token = f"{prefix}:layout-moving", secrets.token_hex(8)
    if not client.set(lock, token, nx=True, ex=LOCK_SECONDS):
        raise LayoutBusy(f"another process is moving the store {prefix!r} into shards; try again")
    try:
        log.warning("moving the Redis store %r into %d shards (layout %d)", prefix, count, LAYOUT)
        store.use_shards(count)  # the records are counted again through the store
        mover = _Mover(store, count, lock, token)
        moved = mover.run()
        log.warning("moved the Redis store %r into shards: %s", prefix, moved)
    finally:
        client.eval(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end",
            1,
            lock,
            token,
        )


class _Mover:
    """The steps of `_move_first_layout`."""

    def __init__(self, store: RedisStore, count: int, lock: str, token: str) -> None:
        self.store, self.client, self.prefix = store, cast(redis.Redis, store.client), store.prefix
        self.tags = shard_tags(count)
        self.lock, self.token = lock, token
        self.move = self.client.register_script(MOVE)
        self.move_queue = self.client.register_script(MOVE_QUEUE)

    def shard(self, name: str) -> str:
        """The key prefix of the shard of `name` (a learner id, or a queue)."""
        return f"{self.prefix}:{{{self.tags[shard_of(name, len(self.tags))]}}}"

    def keys(self, kind: str) -> Iterator[tuple[str, str]]:
        """(key, what follows `{prefix}:{kind}:`) of every key of one kind, as SCAN finds
        them (at least once each: each step checks the key is still there)."""
        start = f"{self.prefix}:{kind}:"
        for key in self.client.scan_iter(match=f"{start}*", count=1000):
            yield cast(str, key), cast(str, key)[len(start) :]

    def pages(self, kind: str) -> Iterator[list[tuple[str, str]]]:
        """`keys(kind)` a page at a time (the lock renewed at each: still moving)."""
        page: list[tuple[str, str]] = []
        for found in self.keys(kind):
            page.append(found)
            if len(page) == PAGE:
                yield page
                page = []
                self.client.set(self.lock, self.token, xx=True, ex=LOCK_SECONDS)
        if page:
            yield page

    def moved(self, pairs: list[str]) -> int:
        return int(cast(Any, self.move(keys=pairs))) if pairs else 0

    def run(self) -> dict[str, int]:
        moved = {"events": 0, "certificates": 0, "learners": 0, "queues": 0}
        for page in self.pages("events"):
            with self.client.pipeline(transaction=False) as pipe:
                for key, _ in page:
                    pipe.zrange(key, 0, -1)
                listed = pipe.execute()
            pairs = []
            for (key, learner), digests in zip(page, listed, strict=True):
                at = self.shard(learner)
                pairs += [key, f"{at}:events:{learner}"]
                for digest in digests:
                    pairs += [f"{self.prefix}:event:{digest}", f"{at}:event:{digest}"]
            moved["events"] += self.moved(pairs)
        for page in self.pages("cert"):
            with self.client.pipeline(transaction=False) as pipe:
                for key, _ in page:
                    pipe.hget(key, "learner")
                owners = pipe.execute()
            pairs = []
            for (key, code), owner in zip(page, owners, strict=True):
                if owner is not None:
                    pairs += [key, f"{self.shard(owner)}:cert:{code}"]
            moved["certificates"] += self.moved(pairs)
        for page in self.pages("learner"):
            pairs = []
            for key, learner in page:
                pairs += [key, f"{self.shard(learner)}:learner:{learner}"]
            moved["learners"] += self.moved(pairs)
        old = [f"{self.prefix}:{name}" for name in ("ready:0", "ready:1", "pending", "queued")]
        for key, queue in self.keys("out"):
            at = self.shard(queue)
            new = [f"{at}:{name}" for name in ("ready:0", "ready:1", "pending", "queued")]
            keys = [key, f"{self.prefix}:urgent:{queue}", *old[:2], *old[2:]]
            keys += [f"{at}:out:{queue}", f"{at}:urgent:{queue}", *new]
            moved["queues"] += int(cast(Any, self.move_queue(keys=keys, args=[queue])) > 0)
        # What is left of the outbox's global keys counted nothing still queued.
        self.client.delete(*old, *(key for key, _ in self.keys("urgent")))
        # The records, counted again into the shards from the learners just moved.
        moved["records"] = self.store.rebuild_records()
        records = [f"{self.prefix}:counts", f"{self.prefix}:rows"]
        self.client.delete(*records, *(key for key, _ in self.keys("rank")))
        # Left as they are: events filed under no learner (a deleted one's last; from before
        # digests), which expire within EVENT_TTL, and the keys that keep their names.
        return moved
