"""A Redis to test against: an existing server, or a throwaway `redis-server` child process.

How `find_redis` chooses (the `redis_url` fixture uses it once per test session):

1. `$REDIS_URL` is set: use it when it answers a PING; when it does not, warn and start a
   throwaway server. An explicit choice is never swapped for the shared server on 6379, so
   `REDIS_URL=redis://127.0.0.1:1/0` is the way to force the throwaway path.
2. `$REDIS_URL` is not set: use `redis://127.0.0.1:6379/0` when it answers, else start a
   throwaway server.

A throwaway server listens on 127.0.0.1 on a free port, saves nothing
(`--save "" --appendonly no`), works in a temporary folder and is stopped at the end.

Tests share a server but never each other's keys: each one gets its own key prefix
(`store_url_with_prefix`) and deletes only the keys under it (`delete_prefix`); nothing here
ever flushes a database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from bot.stores import open_store
from bot.stores.redis import RedisStore

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"

MISSING_BINARY = (
    "There is no redis-server program to start a throwaway Redis for the tests. Install "
    "Debian's redis-server package (apt-get install redis-server), or set REDIS_URL to a "
    "running Redis."
)


class RedisServerMissingError(RuntimeError):
    """There is no `redis-server` program on PATH."""


@dataclass
class RedisServer:
    """A `redis-server` child process on 127.0.0.1:`port`."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def answers(url: str) -> bool:
    """True when a Redis answers PING at `url`."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    except ValueError:
        return False
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_redis_server(directory: Path, tries: int = 3) -> RedisServer:
    """Start a throwaway `redis-server` working in `directory`; wait until it answers."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisServerMissingError(MISSING_BINARY)
    log = directory / "redis-server.log"
    for _ in range(tries):  # another program may take the free port before redis-server
        port = free_port()
        with log.open("ab") as output:
            process = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(directory), "--daemonize", "no"],
                cwd=directory,
                stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        server = RedisServer(process, port, log)
        deadline = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < deadline:
            if answers(server.url):
                return server
            time.sleep(0.05)
        server.stop()
    raise RuntimeError(f"redis-server did not start; its log is {log}")


def find_redis(directory: Path) -> tuple[str, RedisServer | None]:
    """The Redis URL to test against, and the throwaway server to stop afterwards (if any)."""
    chosen = os.environ.get("REDIS_URL")
    if chosen:
        if answers(chosen):
            return chosen, None
        tried = f"REDIS_URL={chosen}"
        warnings.warn(f"{tried} does not answer; starting a throwaway redis-server", stacklevel=2)
    elif answers(LOCAL_REDIS_URL):
        return LOCAL_REDIS_URL, None
    else:
        tried = LOCAL_REDIS_URL
    try:
        server = start_redis_server(directory)
    except RedisServerMissingError as exc:
        raise RedisServerMissingError(f"No Redis answers at {tried}. {exc}") from None
    return server.url, server


def store_url_with_prefix(url: str, prefix: str) -> str:
    """`url` with its key prefix option set to `prefix`."""
    parts = urlsplit(url)
    options = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "prefix"]
    return urlunsplit(parts._replace(query=urlencode([*options, ("prefix", prefix)])))


def delete_prefix(store_url: str) -> int:
    """Delete every key under the store URL's prefix (and nothing else); how many there were."""
    store = open_store(store_url)
    assert isinstance(store, RedisStore)
    try:
        keys = list(store.client.scan_iter(match=f"{store.prefix}:*", count=500))
        for start in range(0, len(keys), 500):
            store.client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        store.close()
