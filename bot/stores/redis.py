"""`RedisStore` (`redis://host:port/db`, optionally `?prefix=NAME`): learners shared by any
number of workers and machines.

Key layout (`{prefix}` is `hocso` unless the URL says otherwise):

- `{prefix}:learner:{learner id}`: a string, the Learner as JSON (see bot.learner);
- `{prefix}:cert:{code}`: a hash `{learner, certificate, earned_at}` for each certificate
  verification code, mirroring the learners' `certificates`.

An update WATCHes the learner's key (and the code keys it is about to write), reads, runs the
change, and writes the learner and its codes in one MULTI/EXEC. If another client changed a
watched key meanwhile, EXEC fails and the update starts again from a fresh read, a bounded
number of times.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from typing import TypeVar, cast

import redis
from redis.client import Pipeline

from bot.learner import Learner
from bot.stores._document import Write, certificate_codes, code_taken, decode, plan_write
from bot.stores.base import CertificateRecord, Change, Store

T = TypeVar("T")

DEFAULT_PREFIX = "hocso"
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_.:-]+")
"""What a key prefix may hold: no spaces, and no glob characters (it is used in SCAN MATCH)."""


class UpdateConflictError(RuntimeError):
    """An update could not commit because other clients kept changing the same learner."""


class RedisStore(Store):
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

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX) -> RedisStore:
        """A store on a new connection pool for `url` (a redis-py URL, without `prefix`).
        Nothing connects until the first command."""
        pool = redis.ConnectionPool.from_url(
            url,
            decode_responses=True,
            # Defaults only: options in the URL's query win.
            socket_connect_timeout=5.0,
            socket_timeout=10.0,
            health_check_interval=30,
        )
        return cls(redis.Redis(connection_pool=pool), prefix)

    def _learner_key(self, learner_id: str) -> str:
        return f"{self.prefix}:learner:{learner_id}"

    def _code_key(self, code: str) -> str:
        return f"{self.prefix}:cert:{code}"

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
                    before = decode(stored)
                    codes_before = certificate_codes(before)
                    after, result = change(before)
                    write = plan_write(learner_id, stored, codes_before, after)
                    if write is not None:
                        self._write(pipe, learner_id, key, write)
                    return result
                except redis.WatchError:
                    continue
        raise UpdateConflictError(
            f"could not update learner {learner_id!r} in Redis: other clients changed it "
            f"{self.max_attempts} times in a row while this update was running"
        )

    def _write(self, pipe: Pipeline, learner_id: str, key: str, write: Write) -> None:
        """Check the new codes are free, then write everything in one MULTI/EXEC."""
        if write.written:
            code_keys = [self._code_key(record.code) for record in write.written]
            pipe.watch(*code_keys)  # type: ignore[no-untyped-call]
            for record, code_key in zip(write.written, code_keys, strict=True):
                owner = cast(str | None, pipe.hget(code_key, "learner"))
                if owner is not None and owner != learner_id:
                    raise code_taken(record, owner)
        pipe.multi()
        if write.text is None:
            pipe.delete(key)
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
        pipe.execute()

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

    def close(self) -> None:
        self.client.close()
        self.client.connection_pool.disconnect()
