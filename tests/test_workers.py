"""`hocso serve --workers N` (`webhook.workers`): one SO_REUSEPORT socket a worker, so the
kernel spreads connections evenly; dead workers replaced on the same socket; clean stops.

Real processes throughout. Which worker served a connection is read from the process table:
the connection's server-side socket (`/proc/net/tcp`) is an open file of exactly one worker
(`/proc/PID/fd`).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.chat import fixture_content
from support.processes import alive, holder, tcp_inode, workers
from support.service import ServeProcess, run_hocso
from support.waiting import wait_until


@pytest.fixture
def env(tmp_path: Path, redis_store_url: str) -> dict[str, str]:
    """A `hocso serve` environment: the test content, a Redis store of this test's own, none
    of the machine's channel settings (no channel: the web chat only)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOCSO_", "TELEGRAM_", "ZALO_"))
    }
    content = fixture_content(tmp_path)
    env.update(HOCSO_CONTENT=str(content.root), HOCSO_STORE=redis_store_url, PYTHONUNBUFFERED="1")
    return env


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[ServeProcess]:
    """`hocso serve --workers 2`, up and answering; stopped (and its group killed) after."""
    serve = ServeProcess(env, tmp_path / "serve.log", "--workers", "2")
    with serve:
        wait_until(lambda: len(workers(serve.pid)) == 2, 20, "two workers")
        yield serve


def healthz(port: int, pids: set[int] | None = None, timeout: float = 20) -> tuple[int, int | None]:
    """GET /healthz on a new connection: the status, and which of `pids` served it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        # Still open (keep-alive): the server's end is in the table now.
        assert connection.sock is not None
        inode = tcp_inode(port, connection.sock.getsockname()[1])
        served_by = holder(inode, pids) if inode is not None and pids else None
        return response.status, served_by
    finally:
        connection.close()


# -- 1. connections spread over the workers ---------------------------------------------------


def test_new_connections_are_spread_over_both_workers(server: ServeProcess) -> None:
    pids = workers(server.pid)
    served = [healthz(server.port, pids) for _ in range(60)]
    assert [status for status, _ in served] == [200] * 60, server.output()
    by = [pid for _, pid in served]
    assert set(by) <= pids and None not in by, (by, pids)
    # Evenly by a hash: each gets ~30; under 15 happens about once in 20,000 runs.
    counts = {pid: by.count(pid) for pid in pids}
    assert all(count >= len(by) // 4 for count in counts.values()), counts


# -- 2. a dead worker is replaced, on the same socket -----------------------------------------


def test_a_killed_worker_is_replaced_and_its_connections_wait_for_it(
    server: ServeProcess,
) -> None:
    before = workers(server.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    # At once, before the replacement is up: the connections the kernel gives the dead worker's
    # socket wait in its queue (the parent keeps it open) and the replacement serves them.
    statuses = [healthz(server.port)[0] for _ in range(20)]
    assert statuses == [200] * 20, server.output()

    def replaced() -> set[int] | None:
        pids = workers(server.pid)
        return pids if len(pids) == 2 and victim not in pids else None

    after: set[int] = wait_until(replaced, 20, "a worker in place of the killed one")
    assert len(after & before) == 1
    (replacement,) = after - before
    served = {pid for _, pid in (healthz(server.port, after) for _ in range(40))}
    assert served == after, (served, after)  # the replacement serves too
    assert f"(pid {victim}) was killed by SIGKILL; starting another" in server.output()
    assert f"started (pid {replacement})" in server.output()


# -- 3. stopping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "status"),
    [
        (signal.SIGTERM, 0),
        (signal.SIGINT, 0),
        # The parent killed outright: each worker sees it go and stops on its own.
        (signal.SIGKILL, -signal.SIGKILL),
    ],
    ids=["SIGTERM", "SIGINT", "SIGKILL"],
)
def test_a_signal_to_the_parent_stops_every_worker(
    server: ServeProcess, number: signal.Signals, status: int
) -> None:
    assert server.process is not None
    pids = workers(server.pid)
    started = time.monotonic()
    os.kill(server.pid, number)  # the parent alone, not its process group
    assert server.process.wait(timeout=15) == status, server.output()
    wait_until(lambda: not any(alive(pid) for pid in pids), 15, "the workers to end")
    assert time.monotonic() - started < 15
    if status == 0:
        assert "Traceback" not in server.output()
        assert server.output().count("Finished server process") == 2, server.output()


# -- 4. the port is taken ---------------------------------------------------------------------


@pytest.mark.parametrize("reuseport", [False, True], ids=["plain", "with SO_REUSEPORT"])
def test_a_port_in_use_is_a_clear_error(
    tmp_path: Path, env: dict[str, str], reuseport: bool
) -> None:
    """Another program on the port; with SO_REUSEPORT too (another `hocso serve --workers` of
    this user, say), which the kernel would otherwise let the workers share."""
    env["HOCSO_STORE"] = f"sqlite:///{tmp_path / 'h.db'}"
    with socket.socket() as other:
        if reuseport:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = run_hocso("serve", "--workers", "2", "--port", str(port), env=env)
    assert done.returncode == 1, done.stderr
    assert f"hocso: cannot listen on 127.0.0.1:{port}: " in done.stderr
    assert "address already in use" in done.stderr.lower()
    assert "Traceback" not in done.stderr + done.stdout
    assert "started (pid" not in done.stderr  # no worker was started


# -- 5. a worker that cannot start; a worker that keeps dying ---------------------------------

# `hocso serve` checks the content, the settings and the store URL before any worker starts,
# and a Redis store connects only when first used (a Redis that is down gives 503s, not a
# failed start): nothing found makes the app factory fail in the workers alone. So the
# supervisor runs here on its own, in a process of its own, with an app that cannot start.
SUPERVISOR = """
import sys
from webhook import logs
from webhook.workers import serve
logs.setup("INFO")
options = {"app": sys.argv[1], "factory": True, "log_level": "info",
           "log_config": logs.uvicorn_config("info"), "timeout_graceful_shutdown": 10}
sys.exit(serve(options, "127.0.0.1", 0, 2))
"""


@pytest.mark.parametrize(
    ("app", "content"),
    [
        ("webhook.app:create_app", "missing"),  # create_app raises ContentError
        ("webhook.app:no_such_factory", "fixture"),  # uvicorn cannot import it
    ],
    ids=["the factory raises", "no such factory"],
)
def test_a_worker_that_cannot_start_stops_the_service(
    tmp_path: Path, env: dict[str, str], app: str, content: str
) -> None:
    if content == "missing":
        env["HOCSO_CONTENT"] = str(tmp_path / "no-such-folder")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SUPERVISOR, app],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert time.monotonic() - started < 30
    assert "failed to start; stopping" in done.stderr
    assert "starting another" not in done.stderr
    assert done.stderr.count("started (pid") == 2, done.stderr  # the first two only


def test_a_worker_dying_again_and_again_stops_the_service(server: ServeProcess) -> None:
    """Five restarts of one worker within a minute are made; the sixth is not."""
    assert server.process is not None
    seen = workers(server.pid)
    victim = min(seen)
    others = seen - {victim}
    for kills in range(1, 7):
        os.kill(victim, signal.SIGKILL)
        if kills == 6:
            break
        victim = wait_until(
            lambda: next(iter(workers(server.pid) - seen), None), 20, "the replacement"
        )
        seen.add(victim)
    assert server.process.wait(timeout=20) == 1, server.output()
    assert "after 5 restarts within 60 s; stopping" in server.output()
    wait_until(lambda: not any(alive(pid) for pid in others), 15, "the other worker to end")
