"""An ASGI app served by uvicorn in a daemon thread on a free 127.0.0.1 port, for tests; and
`Started`, what every such server (and `hocso serve` as a child) shares: `with` starts and
stops it."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Literal, Self

import uvicorn


class Started:
    """Something a test starts and stops: `with thing:` is `thing.start()`, then `thing.stop()`
    however the block ends."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class QuickServer(uvicorn.Server):
    """uvicorn looks at `should_exit` every 0.1 s; a test server should stop at once."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.005)


class Served:
    """Start, serve, stop. `lifespan="on"` runs the app's startup and shutdown; `http`:
    uvicorn's HTTP protocol."""

    def __init__(
        self,
        app: Any,
        *,
        name: str,
        lifespan: Literal["auto", "on", "off"] = "off",
        graceful: int = 1,
        http: type[asyncio.Protocol] | str = "auto",
    ) -> None:
        self.app = app
        self.name = name
        self.lifespan = lifespan
        self.graceful = graceful
        self.http = http
        self.port = 0
        self._server: QuickServer | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def stopping(self) -> bool:
        return self._server is None or self._server.should_exit

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,  # a free one, read back below
            lifespan=self.lifespan,
            http=self.http,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=self.graceful,
        )
        server = self._server = QuickServer(config)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} did not start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start in time")
            time.sleep(0.005)
        self.port = server.servers[0].sockets[0].getsockname()[1]

    def _run(self) -> None:
        assert self._server is not None
        try:
            self._server.run()
        except BaseException as error:  # e.g. SystemExit(3) when startup fails: for `start`
            self._error = error

    def stop(self, timeout: float = 15.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self._server = self._thread = None
