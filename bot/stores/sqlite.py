"""`SQLiteStore` (`sqlite:///relative/path.db`, `sqlite:////absolute/path.db`): one file on
one machine, shared safely by any number of threads and processes.

Schema (version 1, kept in `PRAGMA user_version`):

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

`certificate_codes` mirrors the `certificates` of every learner and is written in the same
transaction as the learner. The file is in WAL mode; every update runs in `BEGIN IMMEDIATE`,
which takes the file's write lock before reading, so concurrent updates queue (up to
`busy_timeout_ms`) instead of losing each other's writes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from bot.learner import Learner, now_vn
from bot.stores._document import Write, certificate_codes, code_taken, decode, plan_write
from bot.stores.base import CertificateRecord, Change, Store

T = TypeVar("T")

SCHEMA_VERSION = 1

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
)
assert len(_MIGRATIONS) == SCHEMA_VERSION


class _Connection(sqlite3.Connection):
    """A connection that can be weakly referenced (the stdlib class cannot)."""


class SQLiteStore(Store):
    """Learners in one SQLite file; one connection per thread (and per process)."""

    page_size = 500
    """How many ids `learner_ids` reads per query."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout_ms: int = 10_000) -> None:
        """Open (creating the folder, file and schema when missing) the store at `path`;
        a relative path is taken from the current folder."""
        self.path = Path(path).absolute()
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._closed = False
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
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT doc FROM learners WHERE id = ?", (learner_id,)
            ).fetchone()
            stored: str | None = row[0] if row else None
            before = decode(stored)
            codes_before = certificate_codes(before)
            after, result = change(before)
            write = plan_write(learner_id, stored, codes_before, after)
            if write is not None:
                self._write(connection, learner_id, write)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        return result

    @staticmethod
    def _write(connection: sqlite3.Connection, learner_id: str, write: Write) -> None:
        if write.text is None:
            connection.execute("DELETE FROM learners WHERE id = ?", (learner_id,))
            connection.execute("DELETE FROM certificate_codes WHERE learner = ?", (learner_id,))
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

    def close(self) -> None:
        self._closed = True
        for connection in list(self._connections):
            connection.close()
        self._connections.clear()
