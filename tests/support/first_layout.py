"""The Redis store as it was before shards (layout 1: one server, global keys), kept as it
was (only this docstring is new), for the tests of the move into shards
(`bot.stores._redis_layout`): a store written by this code is what an upgraded service finds.
Not for use: every key it writes is global, so it runs on one server only.

Its key layout: `{prefix}:learner:{id}`, `{prefix}:cert:{code}`, `{prefix}:event:{digest}`
(and `{prefix}:event:{event id}` from before digests), `{prefix}:events:{id}`,
`{prefix}:out:{queue}`, `{prefix}:urgent:{queue}`, `{prefix}:ready:0|1`, `{prefix}:pending`,
`{prefix}:queued`, `{prefix}:counts`, `{prefix}:rows`, `{prefix}:rank:{name}`; and, as now,
`{prefix}:failures`, `{prefix}:token:…`, `{prefix}:kv:…`, `{prefix}:docs:…`, `{prefix}:audit`.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

import redis
from redis.client import Pipeline

from bot.learner import Learner
from bot.stores import records
from bot.stores._document import Write, code_taken, decode, run_change
from bot.stores._outbox import (
    FAILURES_KEPT,
    by_queue,
    chats,
    check_bucket,
    decode_delivery,
    decode_failure,
    encode_delivery,
    encode_failure,
    failure_prefix,
    number,
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

DEFAULT_PREFIX = "hocso"
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_.:-]+")
"""What a key prefix may hold: no spaces, and no glob characters (it is used in SCAN MATCH)."""


class UpdateConflictError(RuntimeError):
    """An update could not commit because other clients kept changing the same learner."""


# Put a queue that holds deliveries in the ready set of its priority with score `score`.
# KEYS[1] is always the queue's list, KEYS[2] its urgent count, KEYS[3] and KEYS[4] the
# ready sets of priority 0 and 1.
_PLACE = """
local function place(queue, score, urgent_key)
    local urgent = tonumber(redis.call('GET', urgent_key or KEYS[2]) or '0')
    local into, other = KEYS[4], KEYS[3]
    if urgent > 0 then into, other = KEYS[3], KEYS[4] end
    redis.call('ZREM', other, queue)
    redis.call('ZADD', into, score, queue)
end
"""

# Apply a learner's tally (bot.tally) given as JSON: {"c": {counter: delta}, "r": row JSON or
# "" (gone), "z": {ranked set: score}, "u": [ranked sets to leave]}.
_TALLY = """
local function apply_tally(prefix, learner, text)
    local t = cjson.decode(text)
    local counts = prefix .. ':counts'
    for key, n in pairs(t['c']) do
        if redis.call('HINCRBY', counts, key, n) == 0 then redis.call('HDEL', counts, key) end
    end
    if t['r'] == '' then
        redis.call('HDEL', prefix .. ':rows', learner)
    else
        redis.call('HSET', prefix .. ':rows', learner, t['r'])
    end
    for name, score in pairs(t['z']) do
        redis.call('ZADD', prefix .. ':rank:' .. name, score, learner)
    end
    for _, name in ipairs(t['u']) do
        redis.call('ZREM', prefix .. ':rank:' .. name, learner)
    end
end
"""

APPLY_TALLY = (
    _TALLY
    + """
-- ARGV: prefix, learner id, the tally's JSON.
apply_tally(ARGV[1], ARGV[2], ARGV[3])
return 1
"""
)

HANDLE = (
    _PLACE
    + _TALLY
    + """
-- One event, after the caller read the learner (MGET) and ran the change on it.
-- KEYS: learner, the event (by digest), ready:0, ready:1, pending, queued, the event as kept
-- before digests (by id), the learner's events; then the `cert:` key of each code record to
-- write, then of each code to drop; then `out` and `urgent` of each queue; then, when there is
-- no learner after this event, the token buckets of the chats it answers (deleted).
-- ARGV: [1] '1' when the learner was there when read, else '0'; [2] the text read; [3] 'keep',
-- 'set' or 'delete'; [4] the new text; [5] the event's TTL; [6] now; [7] the learner id;
-- [8] how many codes to write; [9] how many to drop; [10] the event's digest; [11] the key
-- prefix; [12] how many failure prefixes follow: the failures of those chats begin so
-- (deleted); then certificate and earned_at of each code to write; then for each queue: its
-- name, how many of its deliveries are priority 0, how many deliveries, then each delivery's
-- id and JSON; last, the tally's JSON.
-- Returns 'dup' (event handled before), 'stale' (the learner changed since it was read),
-- {'taken', code key, owner} (nothing written in all three cases), or 'ok'.
if redis.call('EXISTS', KEYS[2], KEYS[7]) > 0 then return 'dup' end
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
    if current ~= ARGV[2] then return 'stale' end
elseif current then
    return 'stale'
end
local written, dropped = tonumber(ARGV[8]), tonumber(ARGV[9])
for i = 1, written do
    local owner = redis.call('HGET', KEYS[8 + i], 'learner')
    if owner and owner ~= ARGV[7] then return {'taken', KEYS[8 + i], owner} end
end
if ARGV[3] == 'set' then
    redis.call('SET', KEYS[1], ARGV[4])
elseif ARGV[3] == 'delete' then
    redis.call('DEL', KEYS[1])
end
if ARGV[3] ~= 'keep' then apply_tally(ARGV[11], ARGV[7], ARGV[#ARGV]) end
local a = 13 + tonumber(ARGV[12])
for i = 1, written do
    redis.call('HSET', KEYS[8 + i], 'learner', ARGV[7], 'certificate', ARGV[a],
        'earned_at', ARGV[a + 1])
    a = a + 2
end
for i = 1, dropped do
    redis.call('DEL', KEYS[8 + written + i])
end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[5])
if ARGV[3] == 'delete' or (ARGV[3] == 'keep' and ARGV[1] == '0') then
    -- No learner after this event: their events go; this one stays, filed under no one.
    for _, digest in ipairs(redis.call('ZRANGE', KEYS[8], 0, -1)) do
        redis.call('DEL', ARGV[11] .. ':event:' .. digest)
    end
    redis.call('DEL', KEYS[8])
    local failures, gone = ARGV[11] .. ':failures', false
    if tonumber(ARGV[12]) > 0 then
        for i, text in ipairs(redis.call('LRANGE', failures, 0, -1)) do
            for p = 13, 12 + tonumber(ARGV[12]) do
                if string.sub(text, 1, #ARGV[p]) == ARGV[p] then
                    redis.call('LSET', failures, i - 1, '')  -- no failure's text is empty
                    gone = true
                    break
                end
            end
        end
    end
    if gone then redis.call('LREM', failures, 0, '') end
else
    local old = string.format('%.17g', tonumber(ARGV[6]) - tonumber(ARGV[5]))
    redis.call('ZADD', KEYS[8], ARGV[6], ARGV[10])
    redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', old)
    redis.call('EXPIRE', KEYS[8], ARGV[5])
end
local k = 9 + written + dropped
while a < #ARGV do
    local queue, urgent, n = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    local before = redis.call('LLEN', KEYS[k])
    for i = 1, n do
        redis.call('RPUSH', KEYS[k], ARGV[a + 2 + 2 * i])
        redis.call('ZADD', KEYS[6], ARGV[6], ARGV[a + 1 + 2 * i])
    end
    if urgent > 0 then
        redis.call('INCRBY', KEYS[k + 1], urgent)
    end
    redis.call('INCRBY', KEYS[5], n)
    local score = false
    if before > 0 then
        score = redis.call('ZSCORE', KEYS[3], queue) or redis.call('ZSCORE', KEYS[4], queue)
    end
    place(queue, score or ARGV[6], KEYS[k + 1])
    a, k = a + 3 + 2 * n, k + 2
end
for i = k, #KEYS do
    redis.call('DEL', KEYS[i])
end
return 'ok'
"""
)

CLAIM = """
-- KEYS: ready:0, ready:1. ARGV: prefix, queue ('' for any), now, lease end.
local prefix, queue, now, leased = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local function head(name)
    return redis.call('LINDEX', prefix .. ':out:' .. name, 0)
end
if queue ~= '' then
    for i = 1, 2 do
        local score = redis.call('ZSCORE', KEYS[i], queue)
        if score then
            if tonumber(score) > now then return false end
            local found = head(queue)
            if not found then
                redis.call('ZREM', KEYS[i], queue)
                return false
            end
            redis.call('ZADD', KEYS[i], leased, queue)
            return found
        end
    end
    return false
end
for i = 1, 2 do
    while true do
        local ready = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', ARGV[3], 'LIMIT', 0, 1)
        if #ready == 0 then break end
        local found = head(ready[1])
        if found then
            redis.call('ZADD', KEYS[i], leased, ready[1])
            return found
        end
        redis.call('ZREM', KEYS[i], ready[1])  -- an empty queue: cannot happen; heal it
    end
end
return false
"""

DONE = (
    _PLACE
    + """
-- KEYS: out, urgent, ready:0, ready:1, pending, queued. ARGV: queue, id, now, lease end,
-- next_at.
local queue = ARGV[1]
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return false end
local sent = cjson.decode(head)
if sent['id'] ~= ARGV[2] then return false end
redis.call('LPOP', KEYS[1])
redis.call('DECR', KEYS[5])
redis.call('ZREM', KEYS[6], ARGV[2])
if tonumber(sent['priority']) == 0 and redis.call('DECR', KEYS[2]) <= 0 then
    redis.call('DEL', KEYS[2])
end
local nxt = redis.call('LINDEX', KEYS[1], 0)
if not nxt then
    redis.call('DEL', KEYS[2])
    redis.call('ZREM', KEYS[3], queue)
    redis.call('ZREM', KEYS[4], queue)
    return false
end
if tonumber(ARGV[5]) <= tonumber(ARGV[3]) then
    place(queue, ARGV[4])
    return nxt
end
place(queue, ARGV[5])
return false
"""
)

RETRY = (
    _PLACE
    + """
-- KEYS: out, urgent, ready:0, ready:1. ARGV: queue, id, at, count ('1' or '0').
local queue = ARGV[1]
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return 0 end
if cjson.decode(head)['id'] ~= ARGV[2] then return 0 end
if ARGV[4] == '1' then
    -- The stored JSON ends with its `attempts` (Delivery.to_dict's last key): bump it in
    -- the text, since cjson would not give back the body as it was.
    local bumped = string.gsub(head, '"attempts":(%d+)}$', function(n)
        return '"attempts":' .. string.format('%d', tonumber(n) + 1) .. '}'
    end)
    redis.call('LSET', KEYS[1], 0, bumped)
end
place(queue, ARGV[3])
return 1
"""
)

RENEW = """
-- KEYS: out, ready:0, ready:1. ARGV: queue, id, the lease's end, its new end.
local head = redis.call('LINDEX', KEYS[1], 0)
if not head or cjson.decode(head)['id'] ~= ARGV[2] then return 0 end
for i = 2, 3 do
    local score = redis.call('ZSCORE', KEYS[i], ARGV[1])
    if score then
        if tonumber(score) ~= tonumber(ARGV[3]) then return 0 end
        redis.call('ZADD', KEYS[i], 'XX', ARGV[4], ARGV[1])
        return 1
    end
end
return 0
"""

TAKE_TOKEN = """
-- KEYS: the bucket. ARGV: rate, burst, now. The arithmetic of bot.stores._outbox.take_token.
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if not tokens or not at then
    tokens, at = burst, now
end
if now > at then
    tokens, at = tokens + (now - at) * rate, now
end
tokens = math.min(burst, tokens)
local wait = 0
if tokens >= 1 then
    tokens = tokens - 1
else
    wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
    'at', string.format('%.17g', at))
-- Gone once full again: a missing bucket is a full one.
local ttl = math.min(math.ceil((burst - tokens) / rate) + 1, 2147483647)
redis.call('EXPIRE', KEYS[1], string.format('%d', ttl))
return string.format('%.17g', wait)
"""


class FirstLayoutStore(Store):
    """Learners in Redis, under one key prefix; connections come from one pool."""

    page_size = 500
    """The COUNT hint given to SCAN by `learner_ids`."""

    max_attempts = 50
    """How many times an update may lose the race to another client before giving up."""

    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        """Use `client` (made with `decode_responses=True`), keys under `prefix`."""
        if not PREFIX_PATTERN.fullmatch(prefix):
            raise ValueError(
                f"Redis key prefix {prefix!r} may only hold letters, digits and _ . : -"
            )
        if not client.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("RedisStore needs a Redis client made with decode_responses=True")
        self.client = client
        self.prefix = prefix
        self._queued_key = f"{prefix}:queued"
        self._handle = client.register_script(HANDLE)
        self._claim = client.register_script(CLAIM)
        self._done = client.register_script(DONE)
        self._retry = client.register_script(RETRY)
        self._renew = client.register_script(RENEW)
        self._take_token = client.register_script(TAKE_TOKEN)
        self._apply_tally = client.register_script(APPLY_TALLY)

    @classmethod
    def from_url(
        cls, url: str, prefix: str = DEFAULT_PREFIX, *, timeout: float | None = None
    ) -> FirstLayoutStore:
        """A store on a new connection pool for `url` (a redis-py URL, without `prefix`).
        Nothing connects until the first command. `timeout`: seconds a command may wait to
        connect and for its answer (else 5 and 10), after which it raises TimeoutError."""
        pool = redis.ConnectionPool.from_url(
            url,
            decode_responses=True,
            # Defaults only: options in the URL's query win.
            socket_connect_timeout=timeout or 5.0,
            socket_timeout=timeout or 10.0,
            health_check_interval=30,
        )
        return cls(redis.Redis(connection_pool=pool), prefix)

    def _learner_key(self, learner_id: str) -> str:
        return f"{self.prefix}:learner:{learner_id}"

    def _code_key(self, code: str) -> str:
        return f"{self.prefix}:cert:{code}"

    def _event_key(self, event_id: str) -> str:
        """An event's key: by its digest, or (events kept before) by its id."""
        return f"{self.prefix}:event:{event_id}"

    def _events_key(self, learner_id: str) -> str:
        return f"{self.prefix}:events:{learner_id}"

    def _queue_keys(self, queue: str) -> list[str]:
        """The keys the queue scripts take: out, urgent, ready:0, ready:1, pending."""
        return [
            f"{self.prefix}:out:{queue}",
            f"{self.prefix}:urgent:{queue}",
            f"{self.prefix}:ready:0",
            f"{self.prefix}:ready:1",
            f"{self.prefix}:pending",
        ]

    def get(self, learner_id: str) -> Learner | None:
        return decode(cast(str | None, self.client.get(self._learner_key(learner_id))))

    def update(self, learner_id: str, change: Change[T]) -> T:
        key = self._learner_key(learner_id)
        for attempt in range(self.max_attempts):
            if attempt:
                # Jittered backoff, so that clients racing for one learner spread out.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
            with self.client.pipeline() as pipe:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]  # untyped in redis-py
                    stored = cast(str | None, pipe.get(key))
                    write, result = run_change(learner_id, stored, change)
                    if write is not None:
                        self._check_codes(pipe, learner_id, write)
                        events = self._learner_events(pipe, learner_id, write)
                        pipe.multi()
                        self._queue_write(pipe, key, write, events)
                        pipe.execute()
                    return result
                except redis.WatchError:
                    continue
        raise self._conflict(learner_id)

    def _conflict(self, learner_id: str) -> UpdateConflictError:
        return UpdateConflictError(
            f"could not update learner {learner_id!r} in Redis: other clients changed it "
            f"{self.max_attempts} times in a row while this update was running"
        )

    def _check_codes(self, pipe: Pipeline, learner_id: str, write: Write) -> None:
        """Check the new codes are free (WATCHing them, so that they stay free until EXEC)."""
        if write.written:
            code_keys = [self._code_key(record.code) for record in write.written]
            pipe.watch(*code_keys)  # type: ignore[no-untyped-call]
            for record, code_key in zip(write.written, code_keys, strict=True):
                owner = cast(str | None, pipe.hget(code_key, "learner"))
                if owner is not None and owner != learner_id:
                    raise code_taken(record, owner)

    def _learner_events(self, pipe: Pipeline, learner_id: str, write: Write) -> list[str]:
        """When `write` deletes the learner: the keys of their events, and of their list
        (WATCHed, so that no event is filed under them before EXEC)."""
        if write.text is not None:
            return []
        events = self._events_key(learner_id)
        pipe.watch(events)  # type: ignore[no-untyped-call]
        digests = cast(list[str], pipe.zrange(events, 0, -1))
        return [events, *(self._event_key(digest) for digest in digests)]

    def _queue_write(self, pipe: Pipeline, key: str, write: Write, events: list[str]) -> None:
        """Queue the learner's and its codes' writes in the MULTI that `pipe` has begun; a
        deleted learner's `events` keys go with them."""
        if write.text is None:
            pipe.delete(key, *events)
        else:
            pipe.set(key, write.text)
        for code in write.dropped:
            pipe.delete(self._code_key(code))
        for record in write.written:
            pipe.hset(
                self._code_key(record.code),
                mapping={
                    "learner": record.learner,
                    "certificate": record.certificate,
                    "earned_at": record.earned_at,
                },
            )
        if write.tally:
            learner_id = key[len(self._learner_key("")) :]
            self._apply_tally(args=[self.prefix, learner_id, _tally_json(write.tally)], client=pipe)

    def learner_ids(self) -> Iterator[str]:
        start = len(self._learner_key(""))
        seen: set[str] = set()  # SCAN may return a key more than once
        for key in self.client.scan_iter(match=self._learner_key("*"), count=self.page_size):
            learner_id = cast(str, key)[start:]
            if learner_id not in seen:
                seen.add(learner_id)
                yield learner_id

    def find_certificate(self, code: str) -> CertificateRecord | None:
        fields = cast(dict[str, str], self.client.hgetall(self._code_key(code)))
        if not fields:
            return None
        return CertificateRecord(
            code=code,
            learner=fields["learner"],
            certificate=fields["certificate"],
            earned_at=fields["earned_at"],
        )

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    # -- events and the outbox ----------------------------------------------------------------

    def handle(
        self, learner_id: str, event_id: str, change: Change[list[Delivery]], now: float
    ) -> list[Delivery] | None:
        key, digest = self._learner_key(learner_id), event_digest(event_id)
        event_key, before_digests = self._event_key(digest), self._event_key(event_id)
        for attempt in range(self.max_attempts):
            if attempt:
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
            read = self.client.mget(key, event_key, before_digests)
            stored, seen, seen_before = cast(list[str | None], read)
            if seen is not None or seen_before is not None:
                return None
            write, deliveries = run_change(learner_id, stored, change)
            queued = number(event_id, deliveries)
            keys = [key, event_key, *self._queue_keys("")[2:], self._queued_key]
            keys += [before_digests, self._events_key(learner_id)]
            # No learner after this event: what belongs to their chats goes with them.
            gone = chats(queued) if (write.text if write else stored) is None else []
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
                self.prefix,
                len(gone),
                *(failure_prefix(channel, chat) for channel, chat in gone),
            ]
            if write is not None:
                keys += [self._code_key(record.code) for record in write.written]
                keys += [self._code_key(code) for code in write.dropped]
                for record in write.written:
                    args += [record.certificate, record.earned_at]
            for queue, group in by_queue(queued).items():
                keys += self._queue_keys(queue)[:2]
                urgent = sum(1 for delivery in group if delivery.priority == 0)
                args += [queue, urgent, len(group)]
                for delivery in group:
                    args += [delivery.id, encode_delivery(delivery)]
            for channel, chat in gone:
                keys += [self._token_key(b) for b in chat_buckets(f"{channel}:{chat}")]
            args.append(_tally_json(write.tally if write is not None else Tally()))
            answer: Any = self._handle(keys=keys, args=args)
            if answer == "ok":
                return queued
            if answer == "dup":
                return None
            if answer != "stale":  # ['taken', code key, owner]: only when codes are written
                assert write is not None
                _, code_key, owner = answer
                record = next(r for r in write.written if self._code_key(r.code) == code_key)
                raise code_taken(record, owner)
        raise self._conflict(learner_id)

    def claim(self, queue: str | None, now: float, lease: float) -> Delivery | None:
        found = self._claim(
            keys=[f"{self.prefix}:ready:0", f"{self.prefix}:ready:1"],
            args=[self.prefix, queue or "", now, now + lease],
        )
        return None if found is None else decode_delivery(cast(str, found))

    def done(self, delivery: Delivery, now: float, lease: float, next_at: float) -> Delivery | None:
        head = self._done(
            keys=[*self._queue_keys(delivery.queue), self._queued_key],
            args=[delivery.queue, delivery.id, now, now + lease, next_at],
        )
        return None if head is None else decode_delivery(cast(str, head))

    def renew(self, delivery: Delivery, until: float, now: float, lease: float) -> float | None:
        renewed = max(until, now + lease)
        keys = self._queue_keys(delivery.queue)
        done: Any = self._renew(
            keys=[keys[0], keys[2], keys[3]], args=[delivery.queue, delivery.id, until, renewed]
        )
        return renewed if done == 1 else None

    def retry(self, delivery: Delivery, at: float, *, count: bool = True) -> None:
        self._retry(
            keys=self._queue_keys(delivery.queue)[:4],
            args=[delivery.queue, delivery.id, at, 1 if count else 0],
        )

    def fail(self, delivery: Delivery, reason: str, now: float) -> None:
        key = f"{self.prefix}:failures"
        with self.client.pipeline() as pipe:
            pipe.rpush(key, encode_failure(Failure(delivery, reason, now)))
            pipe.ltrim(key, -FAILURES_KEPT, -1)
            pipe.execute()

    def failures(self) -> list[Failure]:
        texts = cast(list[str], self.client.lrange(f"{self.prefix}:failures", 0, -1))
        return [decode_failure(text) for text in texts]

    def pending(self) -> int:
        return int(cast(str | None, self.client.get(f"{self.prefix}:pending")) or 0)

    def oldest_pending(self) -> float | None:
        oldest = cast(
            list[tuple[str, float]], self.client.zrange(self._queued_key, 0, 0, withscores=True)
        )
        return float(oldest[0][1]) if oldest else None

    def _token_key(self, bucket: str) -> str:
        return f"{self.prefix}:token:{bucket}"

    def take_token(self, bucket: str, rate: float, burst: float, now: float) -> float:
        check_bucket(rate, burst)
        wait: Any = self._take_token(keys=[self._token_key(bucket)], args=[rate, burst, now])
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
        with self.client.pipeline() as pipe:  # MULTI: nobody's DEL between the two
            pipe.set(full, value, nx=True)
            pipe.get(full)
            _, kept = pipe.execute()
        return cast(str, kept)

    def close(self) -> None:
        self.client.close()
        self.client.connection_pool.disconnect()

    # -- records and the directory ----------------------------------------------------------

    def clear_records(self) -> None:
        keys = [f"{self.prefix}:counts", f"{self.prefix}:rows"]
        keys += list(self.client.scan_iter(match=f"{self.prefix}:rank:*", count=self.page_size))
        self.client.delete(*keys)

    def add_records(self, learner_id: str, tally: Tally) -> None:
        self._apply_tally(args=[self.prefix, learner_id, _tally_json(tally)])

    def counts(self) -> dict[str, int]:
        fields = cast(dict[str, str], self.client.hgetall(f"{self.prefix}:counts"))
        return {key: int(n) for key, n in fields.items() if int(n) > 0}

    def rows(self, learner_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        ids = list(learner_ids)
        if not ids:
            return []
        texts = cast(list[str | None], self.client.hmget(f"{self.prefix}:rows", ids))
        return [records.decode(text) for text in texts]

    def each_row(self) -> Iterator[dict[str, Any]]:
        for _, text in self.client.hscan_iter(f"{self.prefix}:rows", count=self.page_size):
            yield json.loads(cast(str, text))

    def ranked(
        self, name: str, start: int = 0, stop: int = 50, since: float | None = None
    ) -> list[tuple[str, float]]:
        if stop <= start:
            return []
        found = self.client.zrevrangebyscore(
            f"{self.prefix}:rank:{name}",
            "+inf",
            "-inf" if since is None else since,
            start=start,
            num=stop - start,
            withscores=True,
        )
        return [(learner, float(score)) for learner, score in cast(list[tuple[str, float]], found)]

    def due(self, name: str, until: float, limit: int = 100) -> list[tuple[str, float]]:
        if limit <= 0:
            return []
        found = self.client.zrangebyscore(
            f"{self.prefix}:rank:{name}", "-inf", until, start=0, num=limit, withscores=True
        )
        return [(learner, float(score)) for learner, score in cast(list[tuple[str, float]], found)]

    def rank_count(self, name: str, since: float | None = None) -> int:
        key = f"{self.prefix}:rank:{name}"
        if since is None:
            return int(self.client.zcard(key))
        return int(self.client.zcount(key, since, "+inf"))

    def rank_counts(self, names: Sequence[str], since: float | None = None) -> list[int]:
        with self.client.pipeline(transaction=False) as pipe:
            for name in names:
                key = f"{self.prefix}:rank:{name}"
                if since is None:
                    pipe.zcard(key)
                else:
                    pipe.zcount(key, since, "+inf")
            return [int(n) for n in pipe.execute()]

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
