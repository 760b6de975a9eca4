"""Where learners live: `open_store(url)` picks the backend from a store URL.

- `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`: one file, one machine
  (`bot.stores.sqlite`);
- `redis://host:port/db`, optionally `?prefix=NAME` (default `hocso`): shared by any number
  of workers and machines (`bot.stores.redis`; `rediss://` for TLS);
- `memory://`: this process only, lost at exit (`bot.stores.memory`).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
        redis_url, prefix = _redis_parts(url.strip())
        from bot.stores.redis import RedisStore

        return RedisStore.from_url(redis_url, prefix, timeout=timeout)
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


def _redis_parts(url: str) -> tuple[str, str]:
    """The URL to give redis-py (without our `prefix` option) and the key prefix."""
    from bot.stores.redis import DEFAULT_PREFIX, PREFIX_PATTERN

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
    prefixes = [value for name, value in options if name == "prefix"]
    if len(prefixes) > 1:
        raise _bad_url(url, "prefix is given more than once")
    prefix = prefixes[0] if prefixes else DEFAULT_PREFIX
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise _bad_url(url, "the prefix may only hold letters, digits and _ . : -")
    query = urlencode([(name, value) for name, value in options if name != "prefix"])
    return urlunsplit(parts._replace(query=query)), prefix


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
