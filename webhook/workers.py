"""Several uvicorn worker processes, each serving a listening socket of its own.

uvicorn's own `--workers` hands every worker the same socket: whichever accepts first takes
the connection, and when a few hundred keep-alive connections open at once (Telegram's, a
benchmark's) one worker often ends up with most of them while the other core idles. Here the
parent binds one socket a worker, all on the same host:port with SO_REUSEPORT, and the Linux
kernel spreads new connections over them evenly, by a hash of their addresses.

The parent binds the sockets before starting any worker (a port already taken fails at once)
and keeps them open for its whole life: connections queued on a worker's socket while it
starts, or after it died, are served once it (or the worker started in its place) is up.

    status = serve(options, "127.0.0.1", 8000, workers=2)  # options: uvicorn.Config's

SIGHUP to the parent calls `on_hangup` (`hocso serve` publishes its content folder again, see
`webhook.reload`); the workers ignore SIGHUP, so a hangup sent to the whole process group (a
closed terminal) reloads rather than stops them.

With `metrics=True` (HOCSO_METRICS_TOKEN set) the workers count their metrics in files of a
folder they share, `PROMETHEUS_MULTIPROC_DIR` (see `webhook.metrics`): the folder that
variable names, emptied of an earlier run's files when the service starts, or else a new
temporary folder, removed when it stops. A worker started in place of a dead one counts in
files of its own; the dead one's counts stay in the sums.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from multiprocessing.connection import wait
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Barrier as BarrierType
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from webhook import logs

log = logging.getLogger("hocso.workers")

spawn = multiprocessing.get_context("spawn")  # a fresh interpreter a worker, as uvicorn's

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_MARGIN = 5.0
"""Seconds a worker gets beyond its graceful shutdown before it is killed."""
MAX_RESTARTS = 5
"""Restarts of one worker allowed within RESTART_WINDOW seconds; one more stops the service."""
RESTART_WINDOW = 60.0
BACKLOG = 2048  # uvicorn.Config's
START_WAIT = 60.0
"""Seconds the first workers wait for each other to load their app before serving alone."""


def serve(
    options: Mapping[str, Any],
    host: str,
    port: int,
    workers: int,
    *,
    metrics: bool = False,
    on_hangup: Callable[[], None] | None = None,
) -> int:
    """Run `workers` uvicorn workers on host:port until SIGINT or SIGTERM; the exit status
    (0 after a stop, 1 when the port is taken or a worker cannot start or keeps crashing).
    `metrics`: give the workers a folder to count their metrics in (see the module).
    `on_hangup`: called on SIGHUP, in the signal handler (it must return at once)."""
    try:
        sockets = listen(host, port, workers)
    except OSError as error:
        print(f"hocso: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 1
    try:
        with ExitStack() as stack:
            if metrics:
                try:
                    stack.enter_context(metrics_folder())
                except OSError as error:
                    print(f"hocso: cannot prepare the metrics folder: {error}", file=sys.stderr)
                    return 1
            name = f"[{host}]" if ":" in host else host
            log.info(
                "listening on http://%s:%d with %d workers, each on its own SO_REUSEPORT socket",
                name,
                sockets[0].getsockname()[1],
                workers,
            )
            return Supervisor(options, sockets, on_hangup).run()
    finally:
        for sock in sockets:
            sock.close()


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client reads it (webhook.metrics)


@contextmanager
def metrics_folder() -> Iterator[str]:
    """The folder the workers count their metrics in, named in PROMETHEUS_MULTIPROC_DIR for
    them (see the module). Raises OSError when it cannot be made or emptied."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        folder = os.path.abspath(given)
        os.makedirs(folder, exist_ok=True)
        for entry in os.scandir(folder):  # an earlier run's counts: not this run's
            if entry.is_file() and entry.name.endswith(".db"):
                os.unlink(entry.path)
    else:
        folder = tempfile.mkdtemp(prefix="hocso-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    log.info("the workers count their metrics in %s", folder)
    try:
        yield folder
    finally:
        if not given:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(folder, ignore_errors=True)


def listen(host: str, port: int, count: int, backlog: int = BACKLOG) -> list[socket.socket]:
    """`count` listening sockets on host:port, each with SO_REUSEPORT (port 0: one the system
    picks, the same for all). Raises OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # First a bind without SO_REUSEPORT: a port held by sockets that have it (another
    # `hocso serve --workers` of this user) is refused rather than silently shared.
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            # Listening from now on, before the worker has started: the connections the kernel
            # gives this socket wait in its queue until the worker takes them (a worker that
            # listened only once started would find every connection a client opened at once
            # already taken by the first worker up). A stop before the worker is up resets them.
            sock.listen(backlog)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Supervisor:
    """Starts one worker a socket, replaces the ones that die, stops them all on a signal."""

    def __init__(
        self,
        options: Mapping[str, Any],
        sockets: list[socket.socket],
        on_hangup: Callable[[], None] | None = None,
    ) -> None:
        self.options = dict(options)
        self.sockets = sockets
        self.on_hangup = on_hangup
        self.processes: list[SpawnProcess] = []
        self.restarts: list[list[float]] = [[] for _ in sockets]  # when, per worker
        self.stop_signal: int | None = None

    def run(self) -> int:
        """Supervise until a stop signal (0) or a worker that cannot be kept running (1)."""
        previous = {number: signal.signal(number, self._on_signal) for number in STOP_SIGNALS}
        if self.on_hangup is not None:
            previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_hangup)
        together = spawn.Barrier(len(self.sockets))
        try:
            for index in range(len(self.sockets)):
                self.processes.append(self._start(index, together))
            return self._watch()
        finally:
            self._stop_all()
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        if self.stop_signal is None:
            self.stop_signal = number

    def _on_hangup(self, number: int, frame: FrameType | None) -> None:
        if self.on_hangup is not None and self.stop_signal is None:
            self.on_hangup()

    def _start(self, index: int, together: BarrierType | None = None) -> SpawnProcess:
        try:
            stdin: int | None = sys.stdin.fileno()
        except (AttributeError, OSError, ValueError):  # sys.stdin may be None or closed
            stdin = None
        process = spawn.Process(
            target=work,
            args=(self.options, self.sockets[index], stdin, together),
            name=f"hocso-worker-{index}",
        )
        process.start()
        log.info("worker %d started (pid %s)", index, process.pid)
        return process

    def _watch(self) -> int:
        """Replace the workers that end, until a stop signal; the exit status."""
        while self.stop_signal is None:
            wait([process.sentinel for process in self.processes], timeout=0.5)
            if self.stop_signal is not None:
                break
            for index, process in enumerate(self.processes):
                code = process.exitcode
                if code is None:
                    continue
                if code == STARTUP_FAILURE:
                    log.error("worker %d (pid %s) failed to start; stopping", index, process.pid)
                    return 1
                now = time.monotonic()
                recent = [at for at in self.restarts[index] if now - at < RESTART_WINDOW]
                if len(recent) >= MAX_RESTARTS:
                    log.error(
                        "worker %d (pid %s) %s after %d restarts within %d s; stopping",
                        index,
                        process.pid,
                        ending(code),
                        len(recent),
                        RESTART_WINDOW,
                    )
                    return 1
                self.restarts[index] = [*recent, now]
                log.warning(
                    "worker %d (pid %s) %s; starting another", index, process.pid, ending(code)
                )
                self.processes[index] = self._start(index)
        log.info("received %s; stopping the workers", signal.Signals(self.stop_signal).name)
        return 0

    def _stop_all(self) -> None:
        """SIGTERM every worker (each finishes its requests), SIGKILL the ones still running
        after uvicorn's graceful shutdown timeout and STOP_MARGIN."""
        for process in self.processes:
            if process.exitcode is None:
                process.terminate()
        grace = float(self.options.get("timeout_graceful_shutdown") or 0) + STOP_MARGIN
        deadline = time.monotonic() + grace
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for index, process in enumerate(self.processes):
            if process.exitcode is None:
                log.warning(
                    "worker %d (pid %s) did not stop in %g s; killing it", index, process.pid, grace
                )
                process.kill()
                process.join()


def ending(code: int) -> str:
    """How a process ended, from its exit code (negative: the signal that killed it)."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with {code}"


def work(
    options: dict[str, Any],
    sock: socket.socket,
    stdin: int | None,
    together: BarrierType | None = None,
) -> None:
    """A worker process: uvicorn serving `sock`. Exits with uvicorn's STARTUP_FAILURE when it
    cannot start serving (the app factory failed, say): the parent does not retry that.

    The first workers wait at `together` once their app is loaded (the slow part of a start:
    imports, the content), so that they all begin serving at once: a client opening many
    connections as soon as the service answers gets them spread over every worker, rather
    than waiting on the queues of workers still starting."""
    if stdin is not None:  # as uvicorn's workers: multiprocessing swapped it for /dev/null
        sys.stdin = os.fdopen(stdin)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the parent's to act on (see the module)
    logs.setup(os.environ.get(logs.LEVEL_ENV, "INFO").upper())
    _stop_with_parent()
    server: uvicorn.Server | None = None
    try:
        # uvicorn.Config sets up logging from options["log_config"] in this process.
        config = uvicorn.Config(**options)
        config.load()  # Server.run loads it unless loaded
        if together is not None:
            _wait_for_the_others(together)
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent stops us
        pass
    except (Exception, SystemExit) as error:
        if server is not None and server.started:
            raise
        if not isinstance(error, SystemExit):  # uvicorn logs its own reason before exiting
            log.exception("worker (pid %d) could not start", os.getpid())
        if together is not None:
            together.abort()  # the others need not wait for this one
        sys.exit(STARTUP_FAILURE)


def _wait_for_the_others(together: BarrierType) -> None:
    try:
        together.wait(START_WAIT)
    except threading.BrokenBarrierError:
        log.warning("worker (pid %d) starts serving without the others", os.getpid())


def _stop_with_parent() -> None:
    """Stop this worker gracefully, as SIGTERM does, should the parent die without stopping
    it (kill -9): it would otherwise serve on, holding the port."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's end of the start-up pipe closes
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="hocso-parent-watch", daemon=True).start()
