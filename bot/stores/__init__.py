"""Where learners live: `open_store(url)` picks the backend from a store URL.

- `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`: one file, one machine
  (`bot.stores.sqlite`);
- `redis://host:port/db`, optionally `?prefix=NAME` (default `hocso`): shared by any number
  of workers and machines (`bot.stores.redis`; `rediss://` for TLS);
- `redis+sentinel://host:port[,host:port…]/SERVICE/db`: the same, on the master that these
  Sentinels name for SERVICE (default port 26379), followed to the replica they promote when
  it fails; a password in the URL (`redis+sentinel://:PASSWORD@…`) is the master's;
- `redis+cluster://host:port[,host:port…]/`: the same, on a Redis Cluster, from any of these
  nodes (default port 6379; the client learns the others); a cluster has one database;
- `memory://`: this process only, lost at exit (`bot.stores.memory`).

Every Redis form takes `?prefix=NAME` and `?shards=N` (1 to 256, default 16: fixed when the
store is first used, see `bot.stores._redis_layout`; a store made with another number is
refused with a message saying so).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from bot.stores.base import CertificateRecord, Change, Store

__all__ = [
    "DEFAULT_STORE_URL",
    "CertificateRecord",
    "Change",
    "Store",
    "open_store",
    "sqlite_file",
]

DEFAULT_STORE_URL = "sqlite:///data/hocso.db"

URL_FORMS = (
    "sqlite:///relative/path.db or sqlite:////absolute/path.db (a file on this machine), "
    "redis://host:port/db with an optional ?prefix=NAME (shared by workers and machines), "
    "redis+sentinel://host:port[,host:port]/SERVICE/db or "
    "redis+cluster://host:port[,host:port]/ (the same, on Sentinel or Redis Cluster), "
    "or memory:// (kept in memory, lost at exit)"
)


def open_store(url: str, *, timeout: float | None = None) -> Store:
    """The store a URL names. Raises ValueError, in plain words, for a URL it cannot use.
    `timeout`: seconds a Redis call may wait for its server (unless the URL says otherwise);
    the other stores do not use it."""
    scheme, separator, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if separator and scheme == "memory":
        if rest:
            raise _bad_url(url, "memory:// takes nothing after the //")
        from bot.stores.memory import MemoryStore

        return MemoryStore()
    if separator and scheme == "sqlite":
        from bot.stores.sqlite import SQLiteStore

        return SQLiteStore(_sqlite_path(url, rest))
    if separator and scheme in ("redis", "rediss"):
        redis_url, prefix, shards = _redis_parts(url.strip())
        from bot.stores.redis import RedisStore

        return RedisStore.from_url(redis_url, prefix, timeout=timeout, shards=shards)
    if separator and scheme in ("redis+sentinel", "redis+cluster"):
        return _redis_deployment(url.strip(), scheme, timeout)
    raise _bad_url(url, "unknown kind of store")


def sqlite_file(url: str) -> str:
    """The file a `sqlite://` URL names (relative to the current folder, or absolute).
    Raises ValueError, in plain words, for a URL that is not a usable sqlite one."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator or scheme.lower() != "sqlite":
        raise _bad_url(url, "not a sqlite:// URL")
    return _sqlite_path(url, rest)


def _sqlite_path(url: str, rest: str) -> str:
    if not rest.startswith("/"):
        raise _bad_url(
            url,
            "a sqlite URL has three slashes before a relative path, four before an absolute one",
        )
    path = rest[1:]
    if not path or path.endswith("/"):
        raise _bad_url(url, "the sqlite URL names no file")
    if "?" in path or "#" in path:
        raise _bad_url(url, "sqlite URLs take no ? or # options")
    if path == ":memory:":
        raise _bad_url(url, "an in-memory SQLite database cannot be shared; use memory://")
    return path


def _redis_parts(url: str) -> tuple[str, str, int | None]:
    """The URL to give redis-py (without our options), the key prefix and the shards asked
    for."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise _bad_url(url, "the port is not a number") from None
    if not parts.hostname:
        raise _bad_url(url, "the redis URL names no host")
    if parts.path not in ("", "/") and not (parts.path[1:].isdigit() and parts.path[1:].isascii()):
        raise _bad_url(url, "the part after the port must be a database number, such as /0")
    options = parse_qsl(parts.query, keep_blank_values=True)
    prefix, shards = _store_options(url, options)
    query = urlencode([(name, value) for name, value in options if name not in OURS])
    return urlunsplit(parts._replace(query=query)), prefix, shards


OURS = ("prefix", "shards")
"""The options of a Redis store URL that are hocso's, not redis-py's."""


def _store_options(url: str, options: list[tuple[str, str]]) -> tuple[str, int | None]:
    """The key prefix and the number of shards a Redis URL's options give."""
    from bot.stores._redis_layout import MAX_SHARDS
    from bot.stores.redis import DEFAULT_PREFIX, PREFIX_PATTERN

    given: dict[str, str] = {}
    for name, value in options:
        if name in OURS:
            if name in given:
                raise _bad_url(url, f"{name} is given more than once")
            given[name] = value
    prefix = given.get("prefix", DEFAULT_PREFIX)
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise _bad_url(url, "the prefix may only hold letters, digits and _ . : -")
    if "shards" not in given:
        return prefix, None
    shards = given["shards"]
    if not (shards.isascii() and shards.isdigit() and 1 <= int(shards) <= MAX_SHARDS):
        raise _bad_url(url, f"shards must be a whole number from 1 to {MAX_SHARDS}")
    return prefix, int(shards)


def _redis_deployment(url: str, scheme: str, timeout: float | None) -> Store:
    """A store on Sentinel (`redis+sentinel://`) or Redis Cluster (`redis+cluster://`)."""
    from bot.stores.redis import RedisStore

    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    username, _, password = (unquote(part) or None for part in userinfo.partition(":"))
    nodes = _nodes(url, hosts, 26379 if scheme == "redis+sentinel" else 6379)
    options = parse_qsl(parts.query, keep_blank_values=True)
    prefix, shards = _store_options(url, options)
    others = sorted({name for name, _ in options if name not in OURS})
    if others:
        raise _bad_url(url, f"unknown option {others[0]!r} (these URLs take prefix and shards)")
    path = parts.path.strip("/").split("/") if parts.path.strip("/") else []
    if scheme == "redis+cluster":
        if path:
            raise _bad_url(url, "a redis+cluster URL names no database (a cluster has one)")
        return RedisStore.cluster(
            nodes, prefix, username=username, password=password, timeout=timeout, shards=shards
        )
    if len(path) not in (1, 2):
        raise _bad_url(url, "a redis+sentinel URL names its service, then a database: /hocso/0")
    db = path[1] if len(path) == 2 else "0"
    if not (db.isascii() and db.isdigit()):
        raise _bad_url(url, "the part after the service must be a database number, such as /0")
    return RedisStore.sentinel(
        nodes,
        unquote(path[0]),
        prefix,
        db=int(db),
        username=username,
        password=password,
        timeout=timeout,
        shards=shards,
    )


NODE = re.compile(r"(\[[^\]]+\]|[^:\[\]]+)(?::([0-9]{1,5}))?")


def _nodes(url: str, hosts: str, default_port: int) -> list[tuple[str, int]]:
    """`host:port,host:port…` (a port may be left out) as (host, port) pairs."""
    nodes = []
    for node in hosts.split(","):
        parsed = NODE.fullmatch(node)
        if parsed is None:
            raise _bad_url(url, "every node is host:port, such as 10.0.0.5:6379")
        port = int(parsed[2] or default_port)
        if not 0 < port < 65536:
            raise _bad_url(url, "the port is not a number")
        nodes.append((parsed[1].strip("[]"), port))
    return nodes


def _bad_url(url: str, reason: str) -> ValueError:
    return ValueError(
        f"Cannot use the store URL {_without_password(url)!r}: {reason}. "
        f"A store URL is one of: {URL_FORMS}."
    )


def _without_password(url: str) -> str:
    """The URL as it may be shown in a message: any password replaced by ***."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    if password:
        userinfo, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=userinfo.split(":", 1)[0] + ":***@" + host)
    options = parse_qsl(parts.query, keep_blank_values=True)
    if any(name == "password" for name, _ in options):
        hidden = [(name, "***" if name == "password" else value) for name, value in options]
        parts = parts._replace(query=urlencode(hidden, safe="*"))
    return urlunsplit(parts)
