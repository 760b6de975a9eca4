"""`hocso backup [DEST]` and `hocso restore SRC`: copy the store while the service runs, and
put a copy back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.stores import open_store
from cli.common import add_common

BACKUP_DESCRIPTION = """\
Copy the learners' store, safely while `hocso serve` runs and writes to it.

SQLite (sqlite:///FILE): DEST is a new file, or a folder to put hocso-YYYYMMDD-HHMMSS.db in.
The copy is the store as it was at one moment (SQLite's online backup API), one file,
checked before it gets its name; an existing file is never replaced. Prints
`DEST: N learners, SIZE, integrity ok`.

Redis (redis://...): asks Redis for a snapshot (BGSAVE), waits for it, and prints where
Redis wrote it (its dir and dbfilename, on the Redis server's machine). With DEST, the
snapshot is also copied there when this machine can read it. README, Deploy: Backups says
how to keep Redis's append-only files too."""

RESTORE_DESCRIPTION = """\
Put a backup made by `hocso backup` in place of the SQLite store (--store, env HOCSO_STORE),
which is made when missing. Refuses to replace a store that holds learners, or that a running
process (hocso serve) has open, unless --force: stop the service first. The backup is checked
first and migrated to this hocso's schema. A Redis store is restored from Redis's own files:
see README, Deploy: Restore."""


def register(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="copy the store while the service runs",
        description=BACKUP_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backup.add_argument(
        "dest",
        nargs="?",
        type=Path,
        metavar="DEST",
        help="a new file, or a folder for a dated one (needed for SQLite; optional for Redis)",
    )
    add_common(backup, content=False)
    backup.set_defaults(run=_backup)

    restore = commands.add_parser(
        "restore",
        help="put a backup back in place of the store",
        description=RESTORE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    restore.add_argument("source", type=Path, metavar="SRC", help="the backup file")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace the store even when it holds learners or a running process has it open",
    )
    add_common(restore, content=False)
    restore.set_defaults(run=_restore)


def _store_kind(url: str) -> tuple[str, str]:
    """("sqlite", its file), ("redis", the URL) or ("memory", ""); ValueError in plain words
    for a URL no store can use."""
    from bot.stores import sqlite_file

    kind = url.strip().partition("://")[0].lower()
    if kind == "sqlite":
        return "sqlite", sqlite_file(url)
    if kind in ("redis", "rediss", "redis+sentinel", "redis+cluster"):
        return "redis", url
    if kind == "memory":
        return "memory", ""
    open_store(url)  # raises the ValueError that says what a store URL is
    raise AssertionError(url)


def _backup(args: argparse.Namespace) -> int:
    import redis

    from bot.backup import BackupError, backup_redis, backup_sqlite
    from bot.stores.redis import RedisStore

    try:
        kind, where = _store_kind(args.store)
        if kind == "memory":
            raise BackupError(
                "a memory:// store lives inside one process: there is nothing to back up"
            )
        if kind == "sqlite":
            if args.dest is None:
                raise BackupError(
                    "say where the backup goes: hocso backup DEST (a file or a folder)"
                )
            print(backup_sqlite(Path(where), args.dest).line())
            return 0
        if where.strip().lower().startswith("redis+cluster:"):
            raise BackupError(
                "a Redis Cluster keeps its data on its masters: back up each master's own files "
                "(README, Past one machine); hocso backup takes one server's snapshot"
            )
        store = open_store(where)
        assert isinstance(store, RedisStore)
        try:
            assert isinstance(store.client, redis.Redis)  # one server, or Sentinel's master
            print(backup_redis(store.client, args.dest).line())
        finally:
            store.close()
    except (BackupError, ValueError) as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    return 0


def _restore(args: argparse.Namespace) -> int:
    from bot.backup import BackupError, restore_sqlite

    try:
        kind, where = _store_kind(args.store)
        if kind != "sqlite":
            raise BackupError(
                f"hocso restore puts a backup in place of a SQLite store; {args.store} is not "
                "one (a Redis store is restored from Redis's own files: README, Deploy: Restore)"
            )
        print(restore_sqlite(args.source, Path(where), force=args.force).line())
    except (BackupError, ValueError) as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    return 0
