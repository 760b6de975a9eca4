"""Everything a store holds, as text, to search for what must not be there (a deleted
learner's id, chat id or digest):

    assert [line for line in everything(store) if "8123456789" in line] == []

- Redis: every key under the store's prefix, with its value whatever its type (a zset's members
  and scores, a hash's fields...);
- SQLite: every row of every table, read from the file with a connection of its own;
- memory: every attribute of the store, as `repr` writes it.

A learner kept deflated (`bot.stores._document.PACKED`) is shown inflated, so that what it
holds can be found (`inflated`).
"""

from __future__ import annotations

import base64
import re
import sqlite3
import zlib
from typing import Any, cast

from bot.stores.base import Store
from bot.stores.memory import MemoryStore
from bot.stores.redis import RedisStore
from bot.stores.sqlite import SQLiteStore

_PACKED = re.compile(rb"z:([A-Za-z0-9+/]{16,}={0,2})")


def inflated(data: bytes) -> bytes:
    """`data` with every deflated learner in it (`z:<base64>`) inflated in its place."""

    def inflate(found: re.Match[bytes]) -> bytes:
        try:
            return zlib.decompress(base64.b64decode(found.group(1)))
        except (ValueError, zlib.error):
            return found.group(0)

    return _PACKED.sub(inflate, data)


def everything(store: Store) -> list[str]:
    """One line per key (Redis), row (SQLite) or attribute (memory)."""
    if isinstance(store, RedisStore):
        lines = _redis(store)
    elif isinstance(store, SQLiteStore):
        lines = _sqlite(store)
    else:
        assert isinstance(store, MemoryStore), type(store)
        lines = [f"{name} = {value!r}" for name, value in vars(store).items()]
    return [inflated(line.encode("utf-8")).decode("utf-8", "replace") for line in lines]


def _redis(store: RedisStore) -> list[str]:
    client = store.client
    lines = []
    for key in sorted(cast(str, key) for key in client.scan_iter(match=f"{store.prefix}:*")):
        kind = client.type(key)
        value: Any
        if kind == "string":
            value = client.get(key)
        elif kind == "list":
            value = client.lrange(key, 0, -1)
        elif kind == "hash":
            value = client.hgetall(key)
        elif kind == "zset":
            value = client.zrange(key, 0, -1, withscores=True)
        elif kind == "set":
            value = sorted(cast(set[str], client.smembers(key)))
        else:
            value = f"<{kind}>"
        lines.append(f"{key} ({kind}) = {value!r}")
    return lines


def _sqlite(store: SQLiteStore) -> list[str]:
    lines = []
    with sqlite3.connect(store.path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        for (table,) in tables.fetchall():
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                lines.append(f"{table}: {row!r}")
    return lines


def holding(store: Store, *needles: str) -> list[str]:
    """The lines of `everything` that hold any of `needles`."""
    return [line for line in everything(store) if any(needle in line for needle in needles)]
