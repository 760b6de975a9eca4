"""Backing up and restoring the store: `hocso backup DEST`, `hocso restore SRC`.

SQLite: `backup_sqlite` copies the store with SQLite's online backup API in one step, so the
copy is the store as it was at one moment (one read transaction: in WAL mode the service goes
on writing meanwhile), then makes it a single self-contained file (journal mode DELETE),
checks it (`PRAGMA integrity_check`) and only then gives it its name. `restore_sqlite` copies
a backup into a store the same way, migrating it to this hocso's schema; it refuses to replace
a store that holds anything, or that a running process has open, unless forced:

```text
backups/hocso-20261206-101500.db: 1234 learners, 2.1 MB, integrity ok
hocso: data/hocso.db is in use by process 4711 (a running hocso serve?): stop it first, or
add --force to replace what it is using
```

Redis: `backup_redis` asks the server for a snapshot (BGSAVE), waits for it and says where the
server wrote it (its `dir` and `dbfilename`); the file is on the Redis server's machine, and is
copied to DEST only when this machine can read it. Restoring Redis is done with its own files
(README, Deploy).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import struct
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import redis

from bot.learner import VIETNAM
from bot.stores.sqlite import SCHEMA_VERSION, SQLiteStore

BUSY_MS = 10_000
"""How long a backup or restore waits for the store's write lock, in milliseconds."""


class BackupError(Exception):
    """A backup or restore that cannot be done, in plain words for the operator."""


@dataclass(frozen=True)
class Copied:
    """What a backup or restore wrote."""

    path: Path
    learners: int
    size: int

    def line(self) -> str:
        """`backups/hocso-20261206-101500.db: 1234 learners, 2.1 MB, integrity ok`"""
        learners = f"{self.learners} learner{'s' * (self.learners != 1)}"
        return f"{self.path}: {learners}, {self.size / 1e6:.1f} MB, integrity ok"


def stamp(now: datetime | None = None) -> str:
    """`20261206-101500`, Vietnam time: for backup file names that sort by date."""
    return (now or datetime.now(VIETNAM)).strftime("%Y%m%d-%H%M%S")


# -- SQLite -----------------------------------------------------------------------------------


def backup_sqlite(source: Path, dest: Path) -> Copied:
    """Copy the SQLite store at `source` to `dest` (a new file, or a folder to put
    `hocso-<stamp>.db` in) while others may write to it. Raises BackupError."""
    if not source.is_file():
        raise BackupError(f"there is no SQLite store at {source}")
    if dest.is_dir():
        dest = dest / f"hocso-{stamp()}.db"
    if dest.exists():
        raise BackupError(f"{dest} already exists: a backup never replaces a file")
    if not dest.parent.is_dir():
        raise BackupError(f"there is no folder {dest.parent} to put the backup in")
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    try:
        with _connect(source) as store, _connect(part) as copy:
            store.backup(copy)  # all pages in one step: the store as it was at one moment
            _self_contained(copy)
            learners = _check(copy, part)
        os.replace(part, dest)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source} to {dest}: {error}") from error
    finally:
        part.unlink(missing_ok=True)
    _sync_folder(dest.parent)
    return Copied(dest, learners, dest.stat().st_size)


def restore_sqlite(backup: Path, target: Path, *, force: bool = False) -> Copied:
    """Copy the backup file `backup` into the SQLite store at `target` (made when missing).
    Without `force`, refuses a target that holds learners or that a process has open.
    Raises BackupError."""
    if not backup.is_file():
        raise BackupError(f"there is no backup file {backup}")
    try:
        with _connect(backup, read_only=True) as source:
            _check(source, backup)
            holder = in_use(target)
            if holder is not None and not force:
                raise BackupError(
                    f"{target} is in use by process {holder} (a running hocso serve?): stop it "
                    "first, or add --force to replace what it is using"
                )
            held = _learners_in(target)
            if held and not force:
                raise BackupError(
                    f"{target} already holds a store with {held} learner{'s' * (held != 1)}: "
                    "add --force to replace it (back it up first: hocso backup)"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            with _connect(target) as store:
                source.backup(store)
                store.execute("PRAGMA journal_mode = WAL")  # as SQLiteStore keeps it
    except sqlite3.Error as error:
        raise BackupError(f"cannot restore {backup} into {target}: {error}") from error
    SQLiteStore(target).close()  # a backup made by an older hocso: migrated now
    with _connect(target) as restored:
        learners = _check(restored, target)
    return Copied(target, learners, target.stat().st_size)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection that waits for locks; closed (not only committed) by `with`."""
    if read_only:
        uri = f"file:{path.absolute()}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_MS / 1000, factory=_Closing)
    else:
        connection = sqlite3.connect(path, timeout=BUSY_MS / 1000, factory=_Closing)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    return connection


class _Closing(sqlite3.Connection):
    """`with connection:` closes it at the end (sqlite3's own only commits)."""

    def __exit__(self, *exc: Any) -> Any:
        super().__exit__(*exc)
        self.close()
        return False


def _self_contained(copy: sqlite3.Connection) -> None:
    """The copy as one file, with no -wal beside it to lose."""
    (mode,) = copy.execute("PRAGMA journal_mode = DELETE").fetchone()
    if mode != "delete":
        raise sqlite3.OperationalError(f"the copy stayed in journal mode {mode}")


def _check(connection: sqlite3.Connection, path: Path) -> int:
    """How many learners a hocso store holds, after checking it is one, whole, and not from a
    newer hocso. Raises BackupError."""
    try:
        (verdict,) = connection.execute("PRAGMA integrity_check").fetchone()
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:  # "file is not a database"
        raise BackupError(f"{path} is not a hocso SQLite store: {error}") from error
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")
    if "learners" not in tables:
        raise BackupError(f"{path} is not a hocso SQLite store: it has no learners table")
    if version > SCHEMA_VERSION:
        raise BackupError(
            f"{path} was made by a newer hocso (schema {version}; this one knows "
            f"{SCHEMA_VERSION}): upgrade hocso first"
        )
    (learners,) = connection.execute("SELECT count(*) FROM learners").fetchone()
    return int(learners)


def _learners_in(target: Path) -> int:
    """How many learners the store at `target` holds; 0 when there is none (or no file)."""
    if not target.is_file() or target.stat().st_size == 0:
        return 0
    try:
        with _connect(target) as store:
            return _check(store, target)
    except BackupError:
        return 1  # something that is not an empty store: never replaced unasked
    except sqlite3.Error:
        return 1


SHM_DMS = 128
"""The byte of a WAL store's `-shm` file that every connection to it holds a read lock on
while open (SQLite's unix "dead man switch", UNIX_SHM_DMS)."""


def in_use(path: Path) -> int | None:
    """The id of a process that has the SQLite store at `path` open, or None. Reads who holds
    the lock every open connection keeps on its `-shm` file (F_GETLK: nothing is locked here);
    a process that died leaves the file but no lock."""
    try:
        fd = os.open(f"{path}-shm", os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, SHM_DMS, 1, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, query))
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else int(pid)


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- Redis ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Where a Redis server wrote the snapshot it was asked for, on its own machine."""

    path: str
    at: datetime
    aof: bool
    copied: Path | None = None

    def line(self) -> str:
        """`Redis saved its data to /data/dump.rdb at 2026-12-06 10:15:00 (AOF on)`"""
        aof = "on" if self.aof else "off"
        said = f"Redis saved its data to {self.path} at {self.at:%Y-%m-%d %H:%M:%S} (AOF {aof})"
        if self.copied is not None:
            return f"{said}; copied to {self.copied}"
        return f"{said}, on the Redis server's machine: copy that file to keep it"


def backup_redis(
    client: redis.Redis, dest: Path | None = None, *, timeout: float = 600.0
) -> Snapshot:
    """Ask Redis for a snapshot (BGSAVE), wait until it is written, and say where it is;
    copy it to `dest` (a new file, or a folder to put `hocso-redis-<stamp>.rdb` in) when it
    can be read from here. Raises BackupError."""
    deadline = time.monotonic() + timeout
    try:
        _bgsave(client, deadline)
        persistence = client.info("persistence")
        if persistence.get("rdb_last_bgsave_status") != "ok":
            raise BackupError("Redis could not write its snapshot: see the Redis server's log")
        at = datetime.fromtimestamp(int(persistence["rdb_last_save_time"]), VIETNAM)
        aof = bool(int(persistence.get("aof_enabled", 0)))
        try:
            folder = cast(dict[str, str], client.config_get("dir"))["dir"]
            name = cast(dict[str, str], client.config_get("dbfilename"))["dbfilename"]
        except (redis.ResponseError, KeyError):  # CONFIG renamed or refused (managed Redis)
            folder, name = "(the server's dir)", "(its dbfilename)"
    except redis.RedisError as error:
        raise BackupError(f"Redis did not take the snapshot: {error}") from error
    path = os.path.join(folder, name)
    if dest is None:
        return Snapshot(path, at, aof)
    if not os.access(path, os.R_OK):
        raise BackupError(
            f"Redis saved its data to {path} on its own machine, which cannot be read from "
            f"here: copy it from there (README, Deploy: Backups); nothing was written to {dest}"
        )
    if dest.is_dir():
        dest = dest / f"hocso-redis-{stamp(at)}.rdb"
    if dest.exists():
        raise BackupError(f"{dest} already exists: a backup never replaces a file")
    part = dest.with_name(dest.name + ".part")
    try:
        shutil.copyfile(path, part)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    _sync_folder(dest.parent)
    return Snapshot(path, at, aof, dest)


def _bgsave(client: redis.Redis, deadline: float) -> None:
    """Start a snapshot and wait for it; one already running is waited for, then another
    is started (it began before this backup was asked for)."""
    for _ in range(2):
        try:
            client.bgsave()
        except redis.ResponseError as error:
            if "in progress" not in str(error).lower():
                raise
            _wait_for_bgsave(client, deadline)
            continue
        _wait_for_bgsave(client, deadline)
        return
    raise BackupError("Redis kept another snapshot running; try again in a moment")


def _wait_for_bgsave(client: redis.Redis, deadline: float) -> None:
    while client.info("persistence").get("rdb_bgsave_in_progress"):
        if time.monotonic() > deadline:
            raise BackupError("Redis is still writing its snapshot; try again later")
        time.sleep(0.05)
