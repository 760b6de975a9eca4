"""`RedisStore`: learners shared by any number of workers and machines, on one Redis server
(`redis://host:port/db`), a server watched by Sentinel (`redis+sentinel://…`) or a Redis
Cluster (`redis+cluster://…`); see `bot.stores` for the URLs. One layout and one code path for
all three.

Shards. Every key a learner's turn writes is in the learner's shard, one of a fixed number
(`?shards=N` when the store is made, default 16; see `bot.stores._redis_layout`), so that the
script that writes it touches the keys of one hash slot, as Redis Cluster requires, and turns
spread over the cluster's masters rather than funnel through one. A learner's shard is
`crc32(learner id) % N`; its keys begin `{prefix}:{tag}:` (`{prefix}` is `hocso` unless the URL
says otherwise; `{tag}` the shard's hash tag, `s0`, `s1-63`, …; written `{S}` below):

- `{S}:learner:{learner id}`: a string, the Learner as JSON (see bot.learner);
- `{S}:cert:{code}`: a hash `{learner, certificate, earned_at}` for each certificate
  verification code, mirroring the learner's `certificates` (a code is found by asking every
  shard: one pipelined round trip);
- `{S}:event:{digest}`: "1" for a handled platform event, by its `event_digest`, expiring after
  `EVENT_TTL`;
- `{S}:events:{learner id}`: a sorted set, the digests of the learner's events scored by when,
  so that they go with the learner: those older than `EVENT_TTL` are dropped at each event,
  the key expires `EVENT_TTL` after the last; when the learner is deleted, their events' keys
  and this one are deleted, and the deleting event is kept (by digest) under no one;
- the outbox of what the learner's events queue, whichever chat it goes to (a learner's own, or
  a chat many learners' events write to, such as a volunteers' group: each learner's stream to
  it is a queue of its own, in the learner's shard, sent in order; two learners' messages to one
  chat may interleave):
  - `{S}:out:{queue}`: a list, the queue's deliveries as JSON (`Delivery.to_dict`), head
    first; it exists exactly while the queue holds a delivery;
  - `{S}:urgent:{queue}`: how many of those are priority 0 (missing: none);
  - `{S}:ready:0`, `{S}:ready:1`: sorted sets of the shard's queues that hold deliveries, in
    the set of their priority (0 while they hold a priority-0 delivery), scored by `ready_at`:
    the due time, or while the queue is leased the lease's end (see `bot.stores._outbox`);
  - `{S}:pending`: how many deliveries the shard's queues hold;
  - `{S}:queued`: a sorted set of the ids of those deliveries, scored by when each was
    queued (the `now` given to `handle`), for `oldest_pending`;
- the records (`bot.tally`), changed in the same script as the learner: `{S}:counts` (a hash of
  counters, a field gone at 0), `{S}:rows` (a hash, learner id -> row JSON) and
  `{S}:rank:{name}` (sorted sets of learner ids by last seen). Readers add the shards up:
  `counts` sums N hashes, `ranked` and `due` merge N sorted sets, each read in one pipeline.

Keys of no learner, each a key of its own (a slot of its own on a cluster) that no script reads
with another:

- `{prefix}:layout`: `{"layout": 2, "shards": N}`, written when the store is made; a store
  kept in the first layout (before shards) is moved into shards by the first process that
  opens it (`bot.stores._redis_layout`);
- `{prefix}:failures`: a list of `{delivery, reason, at}` JSON, oldest first, the last
  `FAILURES_KEPT` (written only when a delivery is given up on: rare);
- `{prefix}:token:{bucket}`: a hash `{tokens, at}`, a token bucket, expiring once full. A
  chat's bucket is taken about once a message to it; the overall one (`global:{channel}`) is one
  key by nature, taken once a message sent, at most the platform's rate (30 a second);
- `{prefix}:kv:{key}`: a string kept by `remember`, expiring after its ttl when it has one;
- the directory: `{prefix}:docs:{kind}` (a hash, id -> JSON) and `{prefix}:audit` (a list of
  JSON entries, newest first).

Writing a learner (`handle` for an event, `update` otherwise) is two round trips and no WATCH:
a read (MGET of the learner and the event), then the WRITE script, which checks (atomically)
that the event is new and the learner's text is still the one read, that no new certificate
code belongs to another learner, and only then writes the learner and its codes, marks the
event, queues the deliveries and applies the tally. When the learner changed meanwhile it
writes nothing and answers `stale`, and the write starts again from a fresh read, a bounded
number of times. Two clients handling one event: the second finds it handled. A new code is
checked in the learner's shard by the script, and in the other shards just before it (two
learners of two shards drawing the same 40-bit code within that round trip is not caught).
When a learner is gone after an event, their chats' failures and token buckets are deleted
right after the script (not in it: those keys are not in the learner's shard).

`claim`, `done`, `renew`, `retry` and `take_token` are each one Lua script on one shard (or
one key), so atomic across workers. `claim(None)` first reads the head of every shard's ready
sets (one pipeline) and claims in the shard whose queue is first by (priority, ready_at, name):
the same order as one server's. `claim(queue)`, `done`, `renew` and `retry` must find the
shard that holds the queue: each store remembers where it last saw a queue (its learner's
shard, from `handle`) and each delivery it claimed, so that they are one round trip as before
(`claim(queue)` then looks in that shard only: a chat that several learners' events write to
has a queue in each of their shards, each kicked by its own learner's events or found by
`claim(None)`); when it does not know (another process queued it), one pipelined look at
every shard finds it.
The ready sets never need to tell a lease from a due time: a queue is claimable when its score
is `<= now`, whichever it is, and `handle` only scores a queue that held nothing (leaving a
leased queue's lease alone).

On Redis Cluster a shard lives on one master; when it fails, its replica takes over after
`cluster-node-timeout`, and meanwhile calls for that shard fail (a ConnectionError: the
webhook answers 503, and the platform sends the update again). Replication is asynchronous:
what the failed master acknowledged but had not passed on is lost with it.
"""

from __future__ import annotations

import heapq
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar, cast

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import (
    ClusterDownError,
    RedisClusterUnreachableError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.retry import Retry
from redis.sentinel import Sentinel

from bot.learner import Learner
from bot.stores import records
from bot.stores._document import Write, code_taken, decode, run_change
from bot.stores._outbox import (
    FAILURES_KEPT,
    PRIORITIES,
    by_queue,
    chats,
    check_bucket,
    decode_delivery,
    decode_failure,
    encode_delivery,
    encode_failure,
    failure_prefix,
    leasing,
    number,
)
from bot.stores._redis_layout import (
    LayoutBusy,
    LayoutError,
    check_shards,
    open_layout,
    shard_of,
    shard_tags,
)
from bot.stores._redis_scripts import (
    APPLY_TALLY,
    CLAIM,
    DONE,
    FORGET_FAILURES,
    RENEW,
    RETRY,
    TAKE_TOKEN,
    WRITE,
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
from bot.tally import Tally, tally

__all__ = ["DEFAULT_PREFIX", "PREFIX_PATTERN", "LayoutBusy", "LayoutError", "RedisStore"]

T = TypeVar("T")
Client = redis.Redis | RedisCluster

DEFAULT_PREFIX = "hocso"
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_.:-]+")
"""What a key prefix may hold: no spaces, no braces (hash tags) and no glob characters (it is
used in SCAN MATCH)."""

REMEMBERED = 50_000
"""How many queues' and deliveries' shards a store remembers (the oldest forgotten first)."""


class UpdateConflictError(RuntimeError):
    """An update could not commit because other clients kept changing the same learner."""


class ClusterOutage(redis.ConnectionError):
    """Redis Cluster cannot serve a key now: a master failed and no replica has taken over
    yet (CLUSTERDOWN, a slot no node serves, no node answering). A ConnectionError, as a
    server that does not answer: the service answers 503 and counts the store as down until
    it answers a ping again."""


OUTAGE = (ClusterDownError, TryAgainError, SlotNotCoveredError, RedisClusterUnreachableError)
"""What redis-py's cluster client raises while a master fails over (the last two are not
RedisErrors). Not the other RedisClusterExceptions: keys of two slots in one script is a bug."""


class _Cluster(RedisCluster):
    """redis-py's cluster client, whose failover errors are `ClusterOutage`s."""

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().execute_command(*args, **kwargs)  # type: ignore[no-untyped-call]
        except OUTAGE as error:
            raise ClusterOutage(f"{type(error).__name__}: {error}") from error


class _Shards:
    """Where this process last saw a queue or a delivery: name -> shard, the last
    `REMEMBERED`. A hint only: the scripts check what they find."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> int | None:
        return self._seen.get(name)

    def put(self, name: str, shard: int) -> None:
        with self._lock:
            self._seen.pop(name, None)
            self._seen[name] = shard
            if len(self._seen) > REMEMBERED:
                del self._seen[next(iter(self._seen))]

    def drop(self, name: str) -> None:
        with self._lock:
            self._seen.pop(name, None)


@dataclass(frozen=True)
class ClusterNodes:
    """Where a Redis Cluster is, for `RedisStore.cluster`: some of its nodes (the client learns
    the others from them). Called, it makes the client, which connects at once."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float | None = None

    def __call__(self) -> Client:
        options = RedisStore.defaults(self.timeout)
        options.pop("health_check_interval")
        return _Cluster(
            startup_nodes=[ClusterNode(host, port) for host, port in self.nodes],  # type: ignore[no-untyped-call]
            username=self.username,
            password=self.password,
            # A few quick tries, then the caller counts the store as down (the service's
            # calls are inline: a call must not wait out a whole failover).
            retry=Retry(ExponentialWithJitterBackoff(cap=0.25, base=0.01), retries=3),
            **options,
        )


class _Scripts:
    """The store's Lua scripts (`bot.stores._redis_scripts`), registered with one client: each
    runs by its SHA, loaded again on a server that lacks it (a replica just promoted)."""

    def __init__(self, client: Client) -> None:
        self.write = client.register_script(WRITE)
        self.claim = client.register_script(CLAIM)
        self.done = client.register_script(DONE)
        self.retry = client.register_script(RETRY)
        self.renew = client.register_script(RENEW)
        self.take_token = client.register_script(TAKE_TOKEN)
        self.apply_tally = client.register_script(APPLY_TALLY)
        self.forget_failures = client.register_script(FORGET_FAILURES)


class RedisStore(Store):
    """Learners in Redis, under one key prefix, in shards; connections come from one pool
    (one a node, on a cluster)."""

    page_size = 500
    """The COUNT hint given to SCAN by `learner_ids`."""

    max_attempts = 50
    """How many times a write may lose the race to another client before giving up."""

    def __init__(
        self,
        client: Client | Callable[[], Client],
        prefix: str = DEFAULT_PREFIX,
        *,
        shards: int | None = None,
    ) -> None:
        """Use `client` (made with `decode_responses=True`), or the one a function makes on
        first use (redis-py's cluster client connects as it is made), keys under `prefix`.
        `shards`: the number of shards of a store made now; a store already made keeps its own
        (and refuses another number, on first use)."""
        if not PREFIX_PATTERN.fullmatch(prefix):
            raise ValueError(
                f"Redis key prefix {prefix!r} may only hold letters, digits and _ . : -"
            )
        self._client: Client | None = None
        self._connect: Callable[[], Client] | None = None
        if isinstance(client, redis.Redis | RedisCluster):
            if not client.get_encoder().decode_responses:
                raise ValueError("RedisStore needs a Redis client made with decode_responses=True")
            self._client = client
        else:
            self._connect = client
        self.prefix = prefix
        self._wanted = None if shards is None else check_shards(shards)
        self._at: tuple[str, ...] | None = None  # each shard's key prefix, once known
        self._opening = self._opened = False  # reading (or making, or moving) the layout
        self._lock = threading.RLock()  # making the client, reading the layout
        self._scripts: _Scripts | None = None
        self._queues = _Shards()  # queue -> the shard it was last seen in
        self._deliveries = _Shards()  # delivery id -> the shard of its queue

    @property
    def client(self) -> Client:
        """The Redis client (made now, on first use, when given as a function)."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    assert self._connect is not None
                    try:
                        self._client = self._connect()
                    except OUTAGE as error:
                        raise ClusterOutage(f"{type(error).__name__}: {error}") from error
                client = self._client
        return client

    @property
    def _run(self) -> _Scripts:
        """The scripts, registered with the client."""
        scripts = self._scripts
        if scripts is None:
            scripts = self._scripts = _Scripts(self.client)
        return scripts

    # -- connecting -------------------------------------------------------------------------

    @staticmethod
    def defaults(timeout: float | None) -> dict[str, Any]:
        """Connection options unless the URL says otherwise: `timeout` seconds (else 5 to
        connect, 10 for an answer), after which a command raises TimeoutError."""
        return {
            "decode_responses": True,
            "socket_connect_timeout": timeout or 5.0,
            "socket_timeout": timeout or 10.0,
            "health_check_interval": 30,
        }

    @classmethod
    def from_url(
        cls,
        url: str,
        prefix: str = DEFAULT_PREFIX,
        *,
        timeout: float | None = None,
        shards: int | None = None,
    ) -> RedisStore:
        """A store on one server, on a new connection pool for `url` (a redis-py URL, without
        our options). Nothing connects until the first command."""
        pool = redis.ConnectionPool.from_url(url, **cls.defaults(timeout))
        return cls(redis.Redis(connection_pool=pool), prefix, shards=shards)

    @classmethod
    def cluster(
        cls,
        nodes: Sequence[tuple[str, int]],
        prefix: str = DEFAULT_PREFIX,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
        shards: int | None = None,
    ) -> RedisStore:
        """A store on the Redis Cluster that any of `nodes` (host, port) belongs to; the
        client learns the others from it. Nothing connects until the first command (the client
        is made then)."""
        where = ClusterNodes(tuple(nodes), username, password, timeout)
        return cls(where, prefix, shards=shards)

    @classmethod
    def sentinel(
        cls,
        sentinels: Sequence[tuple[str, int]],
        service: str,
        prefix: str = DEFAULT_PREFIX,
        *,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
        shards: int | None = None,
    ) -> RedisStore:
        """A store on the master that `sentinels` (host, port) name for `service`, followed
        to a replica they promote. `username`/`password` are the master's. Nothing connects
        until the first command."""
        options = cls.defaults(timeout)
        watch = Sentinel(
            list(sentinels),
            socket_connect_timeout=options["socket_connect_timeout"],
            socket_timeout=options["socket_timeout"],
        )
        client = watch.master_for(service, db=db, username=username, password=password, **options)
        return cls(client, prefix, shards=shards)

    # -- shards -----------------------------------------------------------------------------

    def _shards(self) -> tuple[str, ...]:
        """Each shard's key prefix (`{prefix}:{tag}`), read from `{prefix}:layout` once (the
        store made, or moved from the first layout, when it has none). Other threads wait
        meanwhile; the thread moving the store uses the shards as soon as they are known."""
        at = self._at
        if at is not None and self._opened:
            return at
        with self._lock:
            if not self._opened and not self._opening:
                self._opening = True
                try:
                    open_layout(self, self._wanted)
                except BaseException:
                    self._at = None
                    raise
                finally:
                    self._opening = False
                self._opened = True
            return cast(tuple[str, ...], self._at)

    def use_shards(self, count: int) -> None:
        """Work with `count` shards (`bot.stores._redis_layout` calls it, having read or made the
        store's layout)."""
        self._at = tuple(f"{self.prefix}:{{{tag}}}" for tag in shard_tags(count))

    @property
    def shards(self) -> int:
        """How many shards the store has."""
        return len(self._shards())

    def shard_prefix(self, learner_id: str) -> str:
        """The key prefix of the learner's shard: `{prefix}:{tag}`."""
        at = self._shards()
        return at[shard_of(learner_id, len(at))]

    def _shard_index(self, learner_id: str) -> int:
        return shard_of(learner_id, len(self._shards()))

    def _each(self, suffix: str) -> list[str]:
        """One key of every shard: `{shard prefix}:{suffix}`."""
        return [f"{at}:{suffix}" for at in self._shards()]

    def _read_each(
        self, command: str, keys: Iterable[str], *args: Any, **options: Any
    ) -> list[Any]:
        """`command` on each key, in one pipeline (one round trip a node): the answers."""
        with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                getattr(pipe, command)(key, *args, **options)
            return _executed(pipe)

    def _queue_keys(self, shard: int, queue: str) -> list[str]:
        """The keys the queue scripts take: out, urgent, ready:0, ready:1, pending, queued."""
        at = self._shards()[shard]
        return [
            f"{at}:out:{queue}",
            f"{at}:urgent:{queue}",
            f"{at}:ready:0",
            f"{at}:ready:1",
            f"{at}:pending",
            f"{at}:queued",
        ]

    # -- learners ---------------------------------------------------------------------------

    def _learner_key(self, learner_id: str) -> str:
        return f"{self.shard_prefix(learner_id)}:learner:{learner_id}"

    def get(self, learner_id: str) -> Learner | None:
        return decode(cast(str | None, self.client.get(self._learner_key(learner_id))))

    def update(self, learner_id: str, change: Change[T]) -> T:
        key = self._learner_key(learner_id)
        for attempt in range(self.max_attempts):
            if attempt:
                # Jittered backoff, so that clients racing for one learner spread out.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
            stored = cast(str | None, self.client.get(key))
            write, result = run_change(learner_id, stored, change)
            if write is None or self._write_learner(learner_id, stored, write, "", 0.0, []) != "":
                return result
        raise self._conflict(learner_id)

    def _conflict(self, learner_id: str) -> UpdateConflictError:
        return UpdateConflictError(
            f"could not update learner {learner_id!r} in Redis: other clients changed it "
            f"{self.max_attempts} times in a row while this update was running"
        )

    def _check_codes_elsewhere(self, learner_id: str, write: Write) -> None:
        """A new code must not stand for another learner's certificate in another shard (the
        WRITE script checks the learner's own)."""
        if not write.written:
            return
        at = self._shards()
        home = shard_of(learner_id, len(at))
        others = [s for s in range(len(at)) if s != home]
        asked = [(r, f"{at[s]}:cert:{r.code}") for r in write.written for s in others]
        owners = self._read_each("hget", (key for _, key in asked), "learner")
        for (record, _), owner in zip(asked, owners, strict=True):
            if owner is not None and owner != learner_id:
                raise code_taken(record, owner)

    def _write_learner(
        self,
        learner_id: str,
        stored: str | None,
        write: Write | None,
        digest: str,
        now: float,
        queued: list[Delivery],
        *,
        lease_until: float | None = None,
    ) -> list[str] | str:
        """Run the WRITE script: the queues it leased to the caller (a list, maybe empty:
        written), 'dup' (the event was handled) or '' (stale: read again). Raises ValueError
        for a code of another learner."""
        if write is not None:
            self._check_codes_elsewhere(learner_id, write)
        at = self.shard_prefix(learner_id)
        shard = self._shard_index(learner_id)
        queue_keys = self._queue_keys(shard, "")
        keys = [f"{at}:learner:{learner_id}", f"{at}:event:{digest}", *queue_keys[2:]]
        keys.append(f"{at}:events:{learner_id}")
        args: list[str | float | int] = [
            "0" if stored is None else "1",
            stored or "",
            "keep" if write is None else "delete" if write.text is None else "set",
            write.text or "" if write is not None else "",
            EVENT_TTL,
            now,
            learner_id,
            0 if write is None else len(write.written),
            0 if write is None else len(write.dropped),
            digest,
            at,
            "" if lease_until is None else lease_until,
        ]
        if write is not None:
            keys += [f"{at}:cert:{record.code}" for record in write.written]
            keys += [f"{at}:cert:{code}" for code in write.dropped]
            for record in write.written:
                args += [record.certificate, record.earned_at]
        for queue, group in by_queue(queued).items():
            keys += self._queue_keys(shard, queue)[:2]
            urgent = sum(1 for delivery in group if delivery.priority == 0)
            args += [queue, urgent, len(group)]
            for delivery in group:
                args += [delivery.id, encode_delivery(delivery)]
        args.append(_tally_json(write.tally if write is not None else Tally()))
        answer: Any = self._run.write(keys=keys, args=args)
        if answer == "ok":
            return []
        if answer == "dup":
            return "dup"
        if answer == "stale":
            return ""
        if answer[0] == "ok":
            return cast(list[str], answer[1:])
        # ['taken', code key, owner]: only when codes are written
        assert write is not None
        _, code_key, owner = answer
        record = next(r for r in write.written if f"{at}:cert:{r.code}" == code_key)
        raise code_taken(record, owner)

    def learner_ids(self) -> Iterator[str]:
        self._shards()
        found = re.compile(re.escape(self.prefix) + r":\{[^}]*\}:learner:(.*)", re.DOTALL)
        seen: set[str] = set()  # SCAN may return a key more than once
        match = f"{self.prefix}:{{*}}:learner:*"
        for key in self.client.scan_iter(match=match, count=self.page_size):
            parsed = found.fullmatch(cast(str, key))
            if parsed is not None and parsed[1] not in seen:
                seen.add(parsed[1])
                yield parsed[1]

    def find_certificate(self, code: str) -> CertificateRecord | None:
        for fields in self._read_each("hgetall", self._each(f"cert:{code}")):
            if fields:
                return CertificateRecord(
                    code=code,
                    learner=fields["learner"],
                    certificate=fields["certificate"],
                    earned_at=fields["earned_at"],
                )
        return None

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except (redis.RedisError, *OUTAGE):
            return False

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
        at, digest = self.shard_prefix(learner_id), event_digest(event_id)
        key, event_key = f"{at}:learner:{learner_id}", f"{at}:event:{digest}"
        for attempt in range(self.max_attempts):
            if attempt:
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
            stored, seen = cast(list[str | None], self.client.mget(key, event_key))
            if seen is not None:
                return None
            write, deliveries = run_change(learner_id, stored, change)
            queued = number(event_id, deliveries)
            answer = self._write_learner(
                learner_id,
                stored,
                write,
                digest,
                now,
                queued,
                lease_until=lease_until,
            )
            if answer == "dup":
                return None
            if isinstance(answer, list):
                shard = self._shard_index(learner_id)
                for queue in by_queue(queued):
                    self._queues.put(queue, shard)
                if (write.text if write else stored) is None:
                    self._forget_chats(chats(queued))
                queued = leasing(queued, answer)
                for delivery in queued:
                    if delivery.leased:
                        self._deliveries.put(delivery.id, shard)
                return queued
        raise self._conflict(learner_id)

    def _forget_chats(self, gone: list[tuple[str, str]]) -> None:
        """No learner after an event: what belongs to the chats it answered goes with them,
        their failures and token buckets (right after the event's script, not in it)."""
        if not gone:
            return
        prefixes = [failure_prefix(channel, chat) for channel, chat in gone]
        self._run.forget_failures(keys=[f"{self.prefix}:failures"], args=prefixes)
        buckets = [self._token_key(b) for c, chat in gone for b in chat_buckets(f"{c}:{chat}")]
        self._read_each("delete", buckets)

    def claim(self, queue: str | None, now: float, lease: float) -> Delivery | None:
        if queue is None:
            return self._claim_first(now, lease)
        home = self._queues.get(queue)
        if home is not None:
            # Where this process last queued or claimed it: a learner's own chat is only
            # ever there. A chat many learners write to has a queue in each of their shards;
            # the others are claimed when their own learners' events kick them, or by the
            # poller (`claim(None)`).
            return self._claim_in(home, queue, now, lease)
        at = self._shards()
        shards = range(len(at))
        keys = [f"{at[s]}:ready:{p}" for s in shards for p in PRIORITIES]
        scores = self._read_each("zscore", keys, queue)
        ready = sorted(
            (priority, float(score), shard)
            for (shard, priority), score in zip(
                ((s, p) for s in shards for p in PRIORITIES), scores, strict=True
            )
            if score is not None and float(score) <= now
        )
        for _, _, shard in ready:
            found = self._claim_in(shard, queue, now, lease)
            if found is not None:
                return found
        return None

    def _claim_first(self, now: float, lease: float) -> Delivery | None:
        """The queue first by (priority, ready_at, name) across the shards: each shard's first
        ready queue of each priority read in one pipeline, then claimed in its shard (or, if
        another worker took it meanwhile, that shard's next)."""
        at = self._shards()
        for _ in range(2 * len(at) + 2):
            keys = [f"{s}:ready:{p}" for s in at for p in PRIORITIES]
            heads = self._read_each(
                "zrangebyscore", keys, "-inf", now, start=0, num=1, withscores=True
            )
            first = min(
                (
                    (n % len(PRIORITIES), float(found[0][1]), found[0][0], n // len(PRIORITIES))
                    for n, found in enumerate(heads)
                    if found
                ),
                default=None,
            )
            if first is None:
                return None
            priority, _, queue, shard = first
            found = self._claim_in(shard, queue, now, lease, priority=priority)
            if found is not None:
                return found
        return None

    def _claim_in(
        self, shard: int, queue: str, now: float, lease: float, *, priority: int | None = None
    ) -> Delivery | None:
        """Claim `queue` in `shard`; with `priority`, the shard's first ready queue up to that
        priority (which is `queue` unless another worker took it)."""
        at = self._shards()[shard]
        found = self._run.claim(
            keys=[f"{at}:ready:0", f"{at}:ready:1"],
            args=[at, "" if priority is not None else queue, now, now + lease, priority or 0],
        )
        if found is None:
            return None
        head = decode_delivery(cast(str, found))
        self._queues.put(head.queue, shard)
        self._deliveries.put(head.id, shard)
        return head

    def _holding(self, delivery: Delivery) -> int | None:
        """The shard whose queue `delivery` heads: where this process claimed it, else the
        one shard (of a look at every shard's queue of that name) whose head it is."""
        shard = self._deliveries.get(delivery.id)
        if shard is not None:
            return shard
        heads = self._read_each("lindex", self._each(f"out:{delivery.queue}"), 0)
        for shard, head in enumerate(heads):
            if head is not None and json.loads(head)["id"] == delivery.id:
                self._deliveries.put(delivery.id, shard)
                return shard
        return None

    def done(self, delivery: Delivery, now: float, lease: float, next_at: float) -> Delivery | None:
        shard = self._holding(delivery)
        if shard is None:
            return None
        head = self._run.done(
            keys=self._queue_keys(shard, delivery.queue),
            args=[delivery.queue, delivery.id, now, now + lease, next_at],
        )
        self._deliveries.drop(delivery.id)
        if head is None:
            return None
        following = decode_delivery(cast(str, head))
        self._deliveries.put(following.id, shard)
        return following

    def renew(self, delivery: Delivery, until: float, now: float, lease: float) -> float | None:
        shard = self._holding(delivery)
        if shard is None:
            return None
        renewed = max(until, now + lease)
        keys = self._queue_keys(shard, delivery.queue)
        done: Any = self._run.renew(
            keys=[keys[0], keys[2], keys[3]], args=[delivery.queue, delivery.id, until, renewed]
        )
        return renewed if done == 1 else None

    def retry(self, delivery: Delivery, at: float, *, count: bool = True) -> None:
        shard = self._holding(delivery)
        if shard is not None:
            self._run.retry(
                keys=self._queue_keys(shard, delivery.queue)[:4],
                args=[delivery.queue, delivery.id, at, 1 if count else 0],
            )

    def fail(self, delivery: Delivery, reason: str, now: float) -> None:
        key = f"{self.prefix}:failures"
        with self.client.pipeline(transaction=True) as pipe:
            pipe.rpush(key, encode_failure(Failure(delivery, reason, now)))
            pipe.ltrim(key, -FAILURES_KEPT, -1)
            _executed(pipe)

    def failures(self) -> list[Failure]:
        texts = cast(list[str], self.client.lrange(f"{self.prefix}:failures", 0, -1))
        return [decode_failure(text) for text in texts]

    def pending(self) -> int:
        return sum(int(n or 0) for n in self._read_each("get", self._each("pending")))

    def oldest_pending(self) -> float | None:
        firsts = self._read_each("zrange", self._each("queued"), 0, 0, withscores=True)
        return min((float(first[0][1]) for first in firsts if first), default=None)

    def _token_key(self, bucket: str) -> str:
        return f"{self.prefix}:token:{bucket}"

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
        key = self._token_key(bucket)
        wait: Any = self._run.take_token(keys=[key], args=[rate, burst, now, count, ahead])
        return float(wait)

    def recall(self, key: str) -> str | None:
        return cast(str | None, self.client.get(f"{self.prefix}:kv:{key}"))

    def remember(self, key: str, value: str, *, ttl: float | None = None) -> None:
        check_ttl(ttl)
        # At least a millisecond: PX 0 is an error, and the value must not outlive its ttl.
        px = None if ttl is None else max(1, math.floor(ttl * 1000))
        self.client.set(f"{self.prefix}:kv:{key}", value, px=px)

    def remember_once(self, key: str, value: str) -> str:
        full = f"{self.prefix}:kv:{key}"
        with self.client.pipeline(transaction=True) as pipe:  # nobody's DEL between the two
            pipe.set(full, value, nx=True)
            pipe.get(full)
            _, kept = _executed(pipe)
        return cast(str, kept)

    def close(self) -> None:
        client = self._client
        if client is not None:
            client.close()
            if isinstance(client, redis.Redis):
                client.connection_pool.disconnect()

    # -- records and the directory ----------------------------------------------------------

    def clear_records(self) -> None:
        keys = [*self._each("counts"), *self._each("rows")]
        match = f"{self.prefix}:{{*}}:rank:*"
        keys += list(self.client.scan_iter(match=match, count=self.page_size))
        self._read_each("delete", keys)

    def rebuild_records(self) -> int:
        """`Store.rebuild_records`, a page of learners at a time: their texts in one pipeline,
        their tallies in another (a store of 20,000 learners in about 3 s here)."""
        self.clear_records()
        counted = 0
        ids = self.learner_ids()
        while page := list(islice(ids, self.page_size)):
            texts = self._read_each("get", (self._learner_key(learner) for learner in page))
            with self.client.pipeline(transaction=False) as pipe:
                for learner_id, text in zip(page, texts, strict=True):
                    learner = decode(text)
                    if learner is not None:
                        at = self.shard_prefix(learner_id)
                        counts = _tally_json(tally(None, learner))
                        keys = [f"{at}:counts", f"{at}:rows"]
                        # EVAL, not EVALSHA: a cluster's pipeline loads no script.
                        pipe.execute_command("EVAL", APPLY_TALLY, 2, *keys, at, learner_id, counts)
                        counted += 1
                _executed(pipe)
        return counted

    def add_records(self, learner_id: str, tally: Tally) -> None:
        at = self.shard_prefix(learner_id)
        self._run.apply_tally(
            keys=[f"{at}:counts", f"{at}:rows"], args=[at, learner_id, _tally_json(tally)]
        )

    def counts(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for fields in self._read_each("hgetall", self._each("counts")):
            for key, n in fields.items():
                total[key] = total.get(key, 0) + int(n)
        return {key: n for key, n in total.items() if n > 0}

    def rows(self, learner_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        ids = list(learner_ids)
        if not ids:
            return []
        at = self._shards()
        by_shard: dict[int, list[int]] = {}
        for n, learner_id in enumerate(ids):
            by_shard.setdefault(shard_of(learner_id, len(at)), []).append(n)
        with self.client.pipeline(transaction=False) as pipe:
            for shard, places in by_shard.items():
                pipe.hmget(f"{at[shard]}:rows", [ids[n] for n in places])
            answers = _executed(pipe)
        found: list[str | None] = [None] * len(ids)
        for places, texts in zip(by_shard.values(), answers, strict=True):
            for n, text in zip(places, texts, strict=True):
                found[n] = text
        return [records.decode(text) for text in found]

    def each_row(self) -> Iterator[dict[str, Any]]:
        for key in self._each("rows"):
            for _, text in self.client.hscan_iter(key, count=self.page_size):
                yield json.loads(cast(str, text))

    def ranked(
        self, name: str, start: int = 0, stop: int = 50, since: float | None = None
    ) -> list[tuple[str, float]]:
        if stop <= start:
            return []
        lowest = "-inf" if since is None else since
        found = self._read_each(
            "zrevrangebyscore",
            self._each(f"rank:{name}"),
            "+inf",
            lowest,
            start=0,
            num=stop,
            withscores=True,
        )
        # Each shard's list is highest first, ties by the greater id (as one server's).
        merged = heapq.merge(*found, key=lambda entry: (entry[1], entry[0]), reverse=True)
        return [(learner, float(score)) for learner, score in islice(merged, start, stop)]

    def due(self, name: str, until: float, limit: int = 100) -> list[tuple[str, float]]:
        if limit <= 0:
            return []
        found = self._read_each(
            "zrangebyscore",
            self._each(f"rank:{name}"),
            "-inf",
            until,
            start=0,
            num=limit,
            withscores=True,
        )
        merged = heapq.merge(*found, key=lambda entry: (entry[1], entry[0]))
        return [(learner, float(score)) for learner, score in islice(merged, limit)]

    def rank_count(self, name: str, since: float | None = None) -> int:
        return self.rank_counts([name], since)[0]

    def rank_counts(self, names: Sequence[str], since: float | None = None) -> list[int]:
        at = self._shards()
        with self.client.pipeline(transaction=False) as pipe:
            for name in names:
                for shard in at:
                    key = f"{shard}:rank:{name}"
                    if since is None:
                        pipe.zcard(key)
                    else:
                        pipe.zcount(key, since, "+inf")
            counted = [int(n) for n in _executed(pipe)]
        return [sum(counted[n : n + len(at)]) for n in range(0, len(counted), len(at))]

    def put_doc(self, kind: str, doc_id: str, doc: dict[str, Any] | None) -> None:
        key = f"{self.prefix}:docs:{kind}"
        if doc is None:
            self.client.hdel(key, doc_id)
        else:
            self.client.hset(key, doc_id, records.encode(doc))

    def docs(self, kind: str) -> dict[str, dict[str, Any]]:
        texts = cast(dict[str, str], self.client.hgetall(f"{self.prefix}:docs:{kind}"))
        return {doc_id: json.loads(text) for doc_id, text in sorted(texts.items())}

    def doc(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        return records.decode(
            cast(str | None, self.client.hget(f"{self.prefix}:docs:{kind}", doc_id))
        )

    def audit(self, entry: dict[str, Any]) -> None:
        self.client.lpush(f"{self.prefix}:audit", records.encode(entry))

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        texts = cast(list[str], self.client.lrange(f"{self.prefix}:audit", 0, limit - 1))
        return [json.loads(text) for text in texts]


def _executed(pipe: Any) -> list[Any]:
    """A pipeline's answers; a cluster's failover errors as `ClusterOutage`."""
    try:
        return cast(list[Any], pipe.execute())
    except OUTAGE as error:
        raise ClusterOutage(f"{type(error).__name__}: {error}") from error


def _tally_json(tally: Tally) -> str:
    """A tally as the scripts read it (scores as text, so that Lua keeps every digit)."""
    return json.dumps(
        {
            "c": tally.counts or {},
            "r": tally.row or "",
            "z": {name: repr(score) for name, score in tally.ranks.items()},
            "u": list(tally.unranked),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
