"""`SQLiteStore` (`sqlite:///relative/path.db`, `sqlite:////absolute/path.db`): one file on
one machine, shared safely by any number of threads and processes.

Schema (version 4, kept in `PRAGMA user_version`):

    CREATE TABLE learners (
        id         TEXT PRIMARY KEY,  -- the learner id, e.g. 'tg:12345'
        doc        TEXT NOT NULL,     -- the Learner as JSON (see bot.learner)
        updated_at TEXT NOT NULL      -- ISO time of the last write, Vietnam time
    );
    CREATE TABLE certificate_codes (
        code        TEXT PRIMARY KEY, -- a verification code, e.g. 'HS-7K2P-9QXD'
        learner     TEXT NOT NULL,    -- learners.id
        certificate TEXT NOT NULL,    -- the certificate id
        earned_at   TEXT NOT NULL
    );
    CREATE INDEX certificate_codes_by_learner ON certificate_codes (learner);

    -- version 2: events and the outbox
    CREATE TABLE events (
        id TEXT PRIMARY KEY,          -- a handled platform event's digest (version 4; its id
                                      -- before: rewritten as digests by the upgrade)
        at REAL NOT NULL,             -- when (the `now` given to handle); pruned after EVENT_TTL
        learner TEXT                  -- version 4: learners.id; NULL for the event that
    );                                -- deleted its learner (whose others went with them)
    CREATE INDEX events_by_at ON events (at);
    CREATE INDEX events_by_learner ON events (learner) WHERE learner IS NOT NULL;
    CREATE TABLE outbox (
        seq      INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order of sending, within a queue
        queue    TEXT NOT NULL,       -- Delivery.queue, e.g. 'telegram:12345'
        id       TEXT NOT NULL UNIQUE,-- Delivery.id, e.g. 'tg:881/0'
        priority INTEGER NOT NULL,    -- Delivery.priority
        doc      TEXT NOT NULL        -- the Delivery as JSON (Delivery.to_dict)
    );
    CREATE INDEX outbox_by_queue ON outbox (queue, seq);
    CREATE TABLE queues (
        queue    TEXT PRIMARY KEY,    -- a queue holding at least one delivery
        priority INTEGER NOT NULL,    -- the lowest priority among its deliveries
        due      REAL NOT NULL        -- when it may be claimed: its due time, or while
    );                                -- leased the lease's end
    CREATE INDEX queues_by_due ON queues (priority, due, queue);
    CREATE TABLE failures (
        seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        doc    TEXT NOT NULL,         -- the Delivery as JSON
        reason TEXT NOT NULL,
        at     REAL NOT NULL
    );
    CREATE TABLE tokens (
        bucket  TEXT PRIMARY KEY,     -- a token bucket (see take_token)
        tokens  REAL NOT NULL,        -- tokens left as of `at`
        at      REAL NOT NULL,
        full_at REAL NOT NULL         -- when it is full again: from then on it may be pruned
    );
    CREATE INDEX tokens_by_full_at ON tokens (full_at);
    CREATE TABLE kv (
        key   TEXT PRIMARY KEY,       -- remember / recall
        value TEXT NOT NULL,
        expires REAL                  -- version 3: when it expires (NULL: never); recall
    );                                -- ignores it from then on, `expire` deletes it
    CREATE INDEX kv_by_expires ON kv (expires) WHERE expires IS NOT NULL;

`certificate_codes` mirrors the `certificates` of every learner and is written in the same
transaction as the learner. The file is in WAL mode; every update runs in `BEGIN IMMEDIATE`,
which takes the file's write lock before reading, so concurrent updates queue (up to
`busy_timeout_ms`) instead of losing each other's writes. Deleted rows are overwritten with
zeros (`secure_delete`), and after a learner is deleted the write-ahead log, which holds old
versions of their pages, is checkpointed into the file and truncated: a deleted learner can be
read from neither file.

`handle` checks and records the event, writes the learner and queues the deliveries in one
such transaction; `claim`, `done`, `retry` and `take_token` each run in one too (`claim`
first looks, without the write lock, whether there is anything to claim at all). A queue
has a `queues` row exactly while `outbox` holds a delivery for it. Events older than
`EVENT_TTL`, full token buckets and expired values are deleted by `expire` (each worker calls
it now and then) and by every `prune_every`-th `handle` of a process, through their indexes.
`oldest_pending` reads when a delivery was queued from its event's row, found by the digest of
the event id its own id begins with (a delivery's id is its event's id, "/" and a number).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot.learner import Learner, now_vn
from bot.stores import records
from bot.stores._document import Write, code_taken, decode, run_change
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
from bot.tally import Tally, tally

T = TypeVar("T")

SCHEMA_VERSION = 5

# _MIGRATIONS[n] takes a database from schema version n to n + 1. Add, never edit.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE learners (
            id TEXT PRIMARY KEY,
            doc TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE certificate_codes (
            code TEXT PRIMARY KEY,
            learner TEXT NOT NULL,
            certificate TEXT NOT NULL,
            earned_at TEXT NOT NULL
        )""",
        "CREATE INDEX certificate_codes_by_learner ON certificate_codes (learner)",
    ),
    (
        "CREATE TABLE events (id TEXT PRIMARY KEY, at REAL NOT NULL)",
        "CREATE INDEX events_by_at ON events (at)",
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            id TEXT NOT NULL UNIQUE,
            priority INTEGER NOT NULL,
            doc TEXT NOT NULL
        )""",
        "CREATE INDEX outbox_by_queue ON outbox (queue, seq)",
        """CREATE TABLE queues (
            queue TEXT PRIMARY KEY,
            priority INTEGER NOT NULL,
            due REAL NOT NULL
        )""",
        "CREATE INDEX queues_by_due ON queues (priority, due, queue)",
        """CREATE TABLE failures (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            doc TEXT NOT NULL,
            reason TEXT NOT NULL,
            at REAL NOT NULL
        )""",
        """CREATE TABLE tokens (
            bucket TEXT PRIMARY KEY,
            tokens REAL NOT NULL,
            at REAL NOT NULL,
            full_at REAL NOT NULL
        )""",
        "CREATE INDEX tokens_by_full_at ON tokens (full_at)",
        "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    (
        "ALTER TABLE kv ADD COLUMN expires REAL",
        "CREATE INDEX kv_by_expires ON kv (expires) WHERE expires IS NOT NULL",
    ),
    (
        "ALTER TABLE events ADD COLUMN learner TEXT",
        "CREATE INDEX events_by_learner ON events (learner) WHERE learner IS NOT NULL",
        "UPDATE events SET id = hocso_event_digest(id)",  # registered by _migrate
    ),
    (
        # The records reports read (bot.tally), filled from the learners by _migrate.
        "CREATE TABLE counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE TABLE rows (learner TEXT PRIMARY KEY, doc TEXT NOT NULL)",
        """CREATE TABLE ranks (
            name TEXT NOT NULL,
            learner TEXT NOT NULL,
            score REAL NOT NULL,
            PRIMARY KEY (name, learner)
        ) WITHOUT ROWID""",
        "CREATE INDEX ranks_by_score ON ranks (name, score, learner)",
        "CREATE INDEX ranks_by_learner ON ranks (learner)",
        """CREATE TABLE docs (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            doc TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        )""",
        "CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL)",
    ),
)
assert len(_MIGRATIONS) == SCHEMA_VERSION
RECORDS_SINCE = 5
"""The schema version that added the records: a store older than that has them filled from
its learners as it is migrated."""


class _Connection(sqlite3.Connection):
    """A connection that can be weakly referenced (the stdlib class cannot)."""


class SQLiteStore(Store):
    """Learners in one SQLite file; one connection per thread (and per process)."""

    waits_on_disk = True  # every commit is fsynced

    page_size = 500
    """How many ids `learner_ids` reads per query."""

    prune_every = 1000
    """Every how many `handle` calls (of one process) old events and full buckets are pruned."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout_ms: int = 10_000) -> None:
        """Open (creating the folder, file and schema when missing) the store at `path`;
        a relative path is taken from the current folder."""
        self.path = Path(path).absolute()
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._closed = False
        self._handled = itertools.count()
        self.clock: Callable[[], float] = time.time
        """What `remember` and `recall` count a ttl by (a test may move it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = self._connection()
        connection.execute("PRAGMA journal_mode = WAL")
        self._migrate(connection)

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (and again after a fork)."""
        if self._closed:
            raise RuntimeError(f"the SQLite store {self.path} is closed")
        connection: _Connection | None = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_ms / 1000,
                isolation_level=None,  # we issue BEGIN / COMMIT ourselves
                check_same_thread=False,  # only so that close() may close it
                factory=_Connection,
            )
        except sqlite3.Error as exc:
            raise sqlite3.OperationalError(
                f"cannot open the SQLite store {self.path}: {exc}"
            ) from exc
        connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA secure_delete = ON")  # deleted rows are zeroed, not freed
        # For `_migrate`'s upgrade to digests and `oldest_pending`'s join.
        connection.create_function("hocso_event_digest", 1, event_digest, deterministic=True)
        self._local.connection = connection
        self._local.pid = os.getpid()
        self._connections.add(connection)
        return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")
        try:
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"the SQLite store {self.path} has schema version {version}, newer than "
                    f"this hocso knows ({SCHEMA_VERSION}); upgrade hocso"
                )
            for statements in _MIGRATIONS[version:]:
                for statement in statements:
                    connection.execute(statement)
            if version < RECORDS_SINCE:
                self._fill_records(connection)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def get(self, learner_id: str) -> Learner | None:
        row = (
            self._connection()
            .execute("SELECT doc FROM learners WHERE id = ?", (learner_id,))
            .fetchone()
        )
        return decode(row[0] if row else None)

    def update(self, learner_id: str, change: Change[T]) -> T:
        with self._transaction() as connection:
            result, before, after = self._change(connection, learner_id, change)
        if before and not after:
            self._wipe_log(connection)
        return result

    def _wipe_log(self, connection: sqlite3.Connection) -> None:
        """After a learner is deleted: copy the write-ahead log into the file and truncate it,
        so that the old versions of their pages it holds are gone. It waits (up to the busy
        timeout) for readers of older pages to finish; when they do not, the log is truncated
        at a later deletion or overwritten as it is used again."""
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def _change(
        self, connection: sqlite3.Connection, learner_id: str, change: Change[T]
    ) -> tuple[T, bool, bool]:
        """Read, change and write one learner inside the caller's transaction; the change's
        result, and whether the learner was stored before, and is after."""
        row = connection.execute("SELECT doc FROM learners WHERE id = ?", (learner_id,)).fetchone()
        stored: str | None = row[0] if row else None
        write, result = run_change(learner_id, stored, change)
        if write is None:
            return result, stored is not None, stored is not None
        self._write(connection, learner_id, write)
        return result, stored is not None, write.text is not None

    @classmethod
    def _fill_records(cls, connection: sqlite3.Connection) -> None:
        """Tally every stored learner into the (new, empty) records."""
        for learner_id, text in connection.execute("SELECT id, doc FROM learners").fetchall():
            cls._apply(connection, learner_id, tally(None, decode(text)))

    @staticmethod
    def _apply(connection: sqlite3.Connection, learner_id: str, change: Tally) -> None:
        """Apply a learner's tally inside the caller's transaction."""
        connection.executemany(
            "INSERT INTO counts (key, n) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET n = n + excluded.n",
            list(change.counts.items()),
        )
        # Only a counter that went down can be at 0: delete those by key (a scan of every
        # counter here cost each write over a millisecond with 200,000 learners).
        connection.executemany(
            "DELETE FROM counts WHERE key = ? AND n = 0",
            [(key,) for key, n in change.counts.items() if n < 0],
        )
        if change.row is None:
            connection.execute("DELETE FROM rows WHERE learner = ?", (learner_id,))
        else:
            connection.execute(
                "INSERT INTO rows (learner, doc) VALUES (?, ?) "
                "ON CONFLICT (learner) DO UPDATE SET doc = excluded.doc",
                (learner_id, change.row),
            )
        connection.executemany(
            "INSERT INTO ranks (name, learner, score) VALUES (?, ?, ?) "
            "ON CONFLICT (name, learner) DO UPDATE SET score = excluded.score",
            [(name, learner_id, score) for name, score in change.ranks.items()],
        )
        connection.executemany(
            "DELETE FROM ranks WHERE name = ? AND learner = ?",
            [(name, learner_id) for name in change.unranked],
        )

    @classmethod
    def _write(cls, connection: sqlite3.Connection, learner_id: str, write: Write) -> None:
        cls._apply(connection, learner_id, write.tally)
        if write.text is None:
            connection.execute("DELETE FROM learners WHERE id = ?", (learner_id,))
            connection.execute("DELETE FROM certificate_codes WHERE learner = ?", (learner_id,))
            connection.execute("DELETE FROM events WHERE learner = ?", (learner_id,))
            return
        connection.execute(
            "INSERT INTO learners (id, doc, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
            (learner_id, write.text, now_vn().isoformat()),
        )
        for code in write.dropped:
            connection.execute(
                "DELETE FROM certificate_codes WHERE code = ? AND learner = ?", (code, learner_id)
            )
        for record in write.written:
            owner = connection.execute(
                "SELECT learner FROM certificate_codes WHERE code = ?", (record.code,)
            ).fetchone()
            if owner is not None and owner[0] != learner_id:
                raise code_taken(record, owner[0])
            connection.execute(
                "INSERT INTO certificate_codes (code, learner, certificate, earned_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
                "certificate = excluded.certificate, earned_at = excluded.earned_at",
                (record.code, record.learner, record.certificate, record.earned_at),
            )

    def learner_ids(self) -> Iterator[str]:
        # Page by id rather than holding one query open: no long read transaction, and the
        # caller may update learners while iterating.
        last = ""
        while True:
            rows = (
                self._connection()
                .execute(
                    "SELECT id FROM learners WHERE id > ? ORDER BY id LIMIT ?",
                    (last, self.page_size),
                )
                .fetchall()
            )
            for (learner_id,) in rows:
                yield learner_id
            if len(rows) < self.page_size:
                return
            last = rows[-1][0]

    def find_certificate(self, code: str) -> CertificateRecord | None:
        row = (
            self._connection()
            .execute(
                "SELECT learner, certificate, earned_at FROM certificate_codes WHERE code = ?",
                (code,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return CertificateRecord(code=code, learner=row[0], certificate=row[1], earned_at=row[2])

    def ping(self) -> bool:
        try:
            row: tuple[int] | None = self._connection().execute("SELECT 1").fetchone()
            return row == (1,)
        except (sqlite3.Error, RuntimeError):
            return False

    # -- events and the outbox ----------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside `BEGIN IMMEDIATE`: committed when the block ends,
        rolled back when it raises."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

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
        with self._transaction() as connection:
            seen = connection.execute("SELECT 1 FROM events WHERE id = ?", (digest,))
            if seen.fetchone() is not None:
                return None
            deliveries, existed, kept = self._change(connection, learner_id, change)
            queued = number(event_id, deliveries)
            connection.execute(
                "INSERT INTO events (id, at, learner) VALUES (?, ?, ?)",
                (digest, now, learner_id if kept else None),
            )
            if not kept:
                self._forget_chats(connection, queued)
            connection.executemany(
                "INSERT INTO outbox (queue, id, priority, doc) VALUES (?, ?, ?, ?)",
                [(d.queue, d.id, d.priority, encode_delivery(d)) for d in queued],
            )
            # A new queue is due now (or leased to the caller); a queued one keeps its due
            # time or lease, and takes the new deliveries' priority when that is lower.
            groups = by_queue(queued)
            leased: list[str] = []
            if lease_until is not None and groups:
                marks = ",".join("?" * len(groups))
                known = connection.execute(
                    f"SELECT queue FROM queues WHERE queue IN ({marks})", list(groups)
                )
                there = {row[0] for row in known}
                leased = [queue for queue in groups if queue not in there]
            connection.executemany(
                "INSERT INTO queues (queue, priority, due) VALUES (?, ?, ?) "
                "ON CONFLICT (queue) DO UPDATE SET priority = min(priority, excluded.priority)",
                [
                    (queue, min(d.priority for d in group), lease_until if queue in leased else now)
                    for queue, group in groups.items()
                ],
            )
            if next(self._handled) % self.prune_every == 0:
                self._prune(connection, now)
        if existed and not kept:
            self._wipe_log(connection)
        return leasing(queued, leased)

    @staticmethod
    def _forget_chats(connection: sqlite3.Connection, deliveries: list[Delivery]) -> None:
        """Delete the failures and token buckets of the chats `deliveries` go to."""
        for channel, chat in chats(deliveries):
            connection.execute(
                "DELETE FROM failures "
                "WHERE json_extract(doc, '$.channel') = ? AND json_extract(doc, '$.chat') = ?",
                (channel, chat),
            )
            connection.executemany(
                "DELETE FROM tokens WHERE bucket = ?",
                [(bucket,) for bucket in chat_buckets(f"{channel}:{chat}")],
            )

    @staticmethod
    def _prune(connection: sqlite3.Connection, now: float) -> int:
        """Delete old events, full buckets and expired values; how many values went."""
        connection.execute("DELETE FROM events WHERE at <= ?", (now - EVENT_TTL,))
        connection.execute("DELETE FROM tokens WHERE full_at <= ?", (now,))
        return connection.execute("DELETE FROM kv WHERE expires <= ?", (now,)).rowcount

    def expire(self, now: float) -> int:
        with self._transaction() as connection:
            return self._prune(connection, now)

    _READY = "SELECT queue FROM queues WHERE priority = ? AND due <= ? ORDER BY due, queue LIMIT 1"

    @classmethod
    def _ready(cls, connection: sqlite3.Connection, queue: str | None, now: float) -> str | None:
        """The queue to claim: `queue` when it is claimable, or with None the first
        claimable one (priority 0 before 1, then the earliest due); None when there is none."""
        if queue is not None:
            row = connection.execute(
                "SELECT queue FROM queues WHERE queue = ? AND due <= ?", (queue, now)
            ).fetchone()
            return None if row is None else queue
        for priority in (0, 1):  # two index range lookups, never a scan of every queue
            row = connection.execute(cls._READY, (priority, now)).fetchone()
            if row is not None:
                found: str = row[0]
                return found
        return None

    def claim(self, queue: str | None, now: float, lease: float) -> Delivery | None:
        # Look first without the write lock: most polls find nothing to claim.
        if self._ready(self._connection(), queue, now) is None:
            return None
        with self._transaction() as connection:
            while (found := self._ready(connection, queue, now)) is not None:
                head = connection.execute(
                    "SELECT doc FROM outbox WHERE queue = ? ORDER BY seq LIMIT 1", (found,)
                ).fetchone()
                if head is None:  # cannot happen while the invariant holds; heal it
                    connection.execute("DELETE FROM queues WHERE queue = ?", (found,))
                    continue
                connection.execute(
                    "UPDATE queues SET due = ? WHERE queue = ?", (now + lease, found)
                )
                return decode_delivery(head[0])
        return None

    @staticmethod
    def _head(connection: sqlite3.Connection, delivery: Delivery) -> tuple[int, str] | None:
        """`seq` and `doc` of the head of `delivery`'s queue when that head is `delivery`;
        None when it is not (someone else was done with it)."""
        row = connection.execute(
            "SELECT seq, id, doc FROM outbox WHERE queue = ? ORDER BY seq LIMIT 1",
            (delivery.queue,),
        ).fetchone()
        if row is None or row[1] != delivery.id:
            return None
        return row[0], row[2]

    def done(self, delivery: Delivery, now: float, lease: float, next_at: float) -> Delivery | None:
        with self._transaction() as connection:
            head = self._head(connection, delivery)
            if head is None:
                return None
            connection.execute("DELETE FROM outbox WHERE seq = ?", (head[0],))
            row = connection.execute(
                "SELECT doc, (SELECT min(priority) FROM outbox WHERE queue = ?1) "
                "FROM outbox WHERE queue = ?1 ORDER BY seq LIMIT 1",
                (delivery.queue,),
            ).fetchone()
            if row is None:
                connection.execute("DELETE FROM queues WHERE queue = ?", (delivery.queue,))
                return None
            going_on = next_at <= now
            connection.execute(
                "INSERT INTO queues (queue, priority, due) VALUES (?, ?, ?) ON CONFLICT (queue) "
                "DO UPDATE SET priority = excluded.priority, due = excluded.due",
                (delivery.queue, row[1], now + lease if going_on else next_at),
            )
            return decode_delivery(row[0]) if going_on else None

    def renew(self, delivery: Delivery, until: float, now: float, lease: float) -> float | None:
        renewed = max(until, now + lease)
        with self._transaction() as connection:
            if self._head(connection, delivery) is None:
                return None
            changed = connection.execute(
                "UPDATE queues SET due = ? WHERE queue = ? AND due = ?",
                (renewed, delivery.queue, until),
            )
            return renewed if changed.rowcount == 1 else None

    def retry(self, delivery: Delivery, at: float, *, count: bool = True) -> None:
        with self._transaction() as connection:
            head = self._head(connection, delivery)
            if head is None:
                return
            if count:
                connection.execute(
                    "UPDATE outbox SET doc = ? WHERE seq = ?",
                    (encode_delivery(decode_delivery(head[1]).retried()), head[0]),
                )
            connection.execute("UPDATE queues SET due = ? WHERE queue = ?", (at, delivery.queue))

    def fail(self, delivery: Delivery, reason: str, now: float) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO failures (doc, reason, at) VALUES (?, ?, ?)",
                (encode_delivery(delivery), reason, now),
            )
            connection.execute(
                "DELETE FROM failures WHERE seq <= (SELECT max(seq) FROM failures) - ?",
                (FAILURES_KEPT,),
            )

    def failures(self) -> list[Failure]:
        rows = (
            self._connection()
            .execute("SELECT doc, reason, at FROM failures ORDER BY seq")
            .fetchall()
        )
        return [Failure(decode_delivery(doc), reason, at) for doc, reason, at in rows]

    def pending(self) -> int:
        (count,) = self._connection().execute("SELECT count(*) FROM outbox").fetchone()
        return int(count)

    # A delivery's id is its event's id, "/" and its place in the event's replies ("tg:881/0"),
    # and the event was recorded (by its digest) with the same `now` in the same transaction:
    # the event's `at` is when the delivery was queued. (Events outlive any delivery: EVENT_TTL
    # is a week. A deleted learner's events go with them, so a reply queued before the event
    # that deleted them and still unsent is not counted here: the goodbye, whose event is kept,
    # is queued after it in the same chat.)
    _OLDEST = (
        "SELECT min(events.at) FROM outbox JOIN events ON events.id = "
        "hocso_event_digest(substr(outbox.id, 1, length(rtrim(outbox.id, '0123456789')) - 1))"
    )

    def oldest_pending(self) -> float | None:
        (oldest,) = self._connection().execute(self._OLDEST).fetchone()
        return None if oldest is None else float(oldest)

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
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT tokens, at FROM tokens WHERE bucket = ?", (bucket,)
            ).fetchone()
            old = None if row is None else Bucket(*row)
            state, wait = take_token(old, rate, burst, now, count, ahead)
            connection.execute(
                "INSERT INTO tokens (bucket, tokens, at, full_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (bucket) DO UPDATE SET tokens = excluded.tokens, "
                "at = excluded.at, full_at = excluded.full_at",
                (bucket, state.tokens, state.at, state.full_at(rate, burst)),
            )
        return wait

    def recall(self, key: str) -> str | None:
        row = (
            self._connection()
            .execute(
                "SELECT value FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)",
                (key, self.clock()),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def remember(self, key: str, value: str, *, ttl: float | None = None) -> None:
        check_ttl(ttl)
        self._connection().execute(
            "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            (key, value, None if ttl is None else self.clock() + ttl),
        )

    def remember_once(self, key: str, value: str) -> str:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                "SET value = excluded.value, expires = NULL "
                "WHERE expires IS NOT NULL AND expires <= ?",
                (key, value, self.clock()),
            )
            row = connection.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def close(self) -> None:
        self._closed = True
        for connection in list(self._connections):
            connection.close()
        self._connections.clear()

    # -- records and the directory ----------------------------------------------------------

    def clear_records(self) -> None:
        with self._transaction() as connection:
            for table in ("counts", "rows", "ranks"):
                connection.execute(f"DELETE FROM {table}")

    def add_records(self, learner_id: str, tally: Tally) -> None:
        with self._transaction() as connection:
            self._apply(connection, learner_id, tally)

    def counts(self) -> dict[str, int]:
        rows = self._connection().execute("SELECT key, n FROM counts WHERE n > 0").fetchall()
        return {key: n for key, n in rows}

    def rows(self, learner_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        found: dict[str, str] = {}
        connection = self._connection()
        ids = list(learner_ids)
        for start in range(0, len(ids), self.page_size):
            page = ids[start : start + self.page_size]
            marks = ",".join("?" * len(page))
            found.update(
                connection.execute(
                    f"SELECT learner, doc FROM rows WHERE learner IN ({marks})", page
                ).fetchall()
            )
        return [records.decode(found.get(learner_id)) for learner_id in ids]

    def each_row(self) -> Iterator[dict[str, Any]]:
        # Page by learner, as learner_ids does: no read transaction held open while the
        # caller streams.
        last = ""
        while True:
            page = (
                self._connection()
                .execute(
                    "SELECT learner, doc FROM rows WHERE learner > ? ORDER BY learner LIMIT ?",
                    (last, self.page_size),
                )
                .fetchall()
            )
            if not page:
                return
            for _, text in page:
                yield json.loads(text)
            last = page[-1][0]

    def ranked(
        self, name: str, start: int = 0, stop: int = 50, since: float | None = None
    ) -> list[tuple[str, float]]:
        rows = (
            self._connection()
            .execute(
                "SELECT learner, score FROM ranks WHERE name = ? AND score >= ? "
                "ORDER BY score DESC, learner DESC LIMIT ? OFFSET ?",
                (name, -math.inf if since is None else since, max(0, stop - start), start),
            )
            .fetchall()
        )
        return [(learner, float(score)) for learner, score in rows]

    def due(self, name: str, until: float, limit: int = 100) -> list[tuple[str, float]]:
        rows = (
            self._connection()
            .execute(
                "SELECT learner, score FROM ranks WHERE name = ? AND score <= ? "
                "ORDER BY score, learner LIMIT ?",
                (name, until, max(0, limit)),
            )
            .fetchall()
        )
        return [(learner, float(score)) for learner, score in rows]

    def rank_count(self, name: str, since: float | None = None) -> int:
        (count,) = (
            self._connection()
            .execute(
                "SELECT count(*) FROM ranks WHERE name = ? AND score >= ?",
                (name, -math.inf if since is None else since),
            )
            .fetchone()
        )
        return int(count)

    def put_doc(self, kind: str, doc_id: str, doc: dict[str, Any] | None) -> None:
        with self._transaction() as connection:
            if doc is None:
                connection.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, doc_id))
            else:
                connection.execute(
                    "INSERT INTO docs (kind, id, doc) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc",
                    (kind, doc_id, records.encode(doc)),
                )

    def docs(self, kind: str) -> dict[str, dict[str, Any]]:
        rows = (
            self._connection()
            .execute("SELECT id, doc FROM docs WHERE kind = ? ORDER BY id", (kind,))
            .fetchall()
        )
        return {doc_id: json.loads(text) for doc_id, text in rows}

    def doc(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        row = (
            self._connection()
            .execute("SELECT doc FROM docs WHERE kind = ? AND id = ?", (kind, doc_id))
            .fetchone()
        )
        return records.decode(row[0] if row else None)

    def audit(self, entry: dict[str, Any]) -> None:
        with self._transaction() as connection:
            connection.execute("INSERT INTO audit (doc) VALUES (?)", (records.encode(entry),))

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = (
            self._connection()
            .execute("SELECT doc FROM audit ORDER BY seq DESC LIMIT ?", (max(0, limit),))
            .fetchall()
        )
        return [json.loads(text) for (text,) in rows]
