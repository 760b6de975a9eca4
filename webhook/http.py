"""uvicorn's HTTP/1.1 protocol (httptools), with limits on how slow and how large a request
may be, so that idle, trickling or oversized requests cannot hold a worker's connections and
memory. uvicorn alone has none: its keep-alive timeout only starts once a response is sent,
and every byte received stops it; httptools takes headers of any size (its `h11` protocol has
`h11_max_incomplete_event_size`, but is slower, and has no timeouts either).

Cut off, each with one warning line (`hocso.http`) and the connection closed:

- a request whose line and headers are not all in `HOCSO_HEADER_TIMEOUT` s after its first
  byte: 408, "request headers not received in time";
- line and headers of over `HOCSO_MAX_HEADER` bytes: 431, "request headers too large";
- a body not all in `HOCSO_BODY_TIMEOUT` s after its headers: 408 (or only closed, when the
  app answered already), "request body not received in time"; the app reading it hears
  that the client went away (`http.disconnect`).

A new connection that sends nothing for `HOCSO_HEADER_TIMEOUT` s is closed (a debug line).
Between requests, uvicorn's `timeout_keep_alive` applies.

    uvicorn.Config(app, http=protocol_for(settings))   # in this process
    uvicorn.run(..., http="webhook.http:HttpProtocol")  # settings from the environment
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, ClassVar

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from webhook.settings import Settings

__all__ = ["HttpProtocol", "protocol_for"]

log = logging.getLogger("hocso.http")


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing: the head is over the limit."""


class HttpProtocol(HttpToolsProtocol):
    """One connection (see the module)."""

    settings: ClassVar[Settings | None] = None  # None: from the environment (`hocso serve`)

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = self.settings or _from_environment()
        self.header_timeout = settings.header_timeout
        self.body_timeout = settings.body_timeout
        self.max_header = settings.max_header
        self._timer: asyncio.TimerHandle | None = None
        self._in_head = True  # reading a request's line and headers (or waiting for one)
        self._head_received = 0  # bytes received while in a head
        self._head_size = 0  # bytes of the current head's line and headers, as parsed
        self._too_large = False

    # -- the connection ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, but a head over the limit is a 431 (not its 400 and log line)."""
        self._unset_keepalive_if_required()
        if self._in_head:
            self._head_received += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._too_large:  # a callback raised _HeadTooLarge
                self._head_too_large()
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        # Counted as received, before httptools has all of a header to hand over: a head sent
        # slowly, or too large to send at once, is cut off before it takes more memory.
        over = self._in_head and self._head_received > self.max_header
        if over and not self.transport.is_closing():
            self._head_too_large()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the connection is the WebSocket protocol's from now on
        super().handle_websocket_upgrade()

    # -- the parser's callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_size = True, 0
        self._arm(self.header_timeout, self._head_timed_out)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head, self._head_received = False, 0
        self._arm(self.body_timeout, self._body_timed_out)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._disarm()
        if self.cycle is not None and self.cycle.response_complete and not self.pipeline:
            # Answered before its body was all in (a 401, a 413): uvicorn's keep-alive timer,
            # started with the answer, was stopped by the body's bytes. The same one again.
            self._arm(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.max_header:
            self._too_large = True
            raise _HeadTooLarge  # httptools stops, and raises HttpParserCallbackError

    # -- cutting off -------------------------------------------------------------------------

    def _head_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._head_received == 0:
            log.debug("idle connection closed")
            self.transport.close()
            return
        log.warning("request headers not received in time", extra={"status": 408})
        self._refuse(408)

    def _body_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        log.warning("request body not received in time", extra={"status": 408})
        cycle = self.cycle
        if cycle is None or cycle.response_started:
            self.transport.close()
            return
        # The app waits for the rest of the body: it hears that the client went away.
        cycle.disconnected = True
        cycle.message_event.set()
        self._refuse(408)

    def _head_too_large(self) -> None:
        self._disarm()
        log.warning("request headers too large", extra={"status": 431})
        self._refuse(431)
        self._in_head = False  # nothing more is read

    def _refuse(self, status: int) -> None:
        """Answer `status` (no app involved), and close."""
        body = STATUS_LINE[status][13:-2]  # the reason phrase
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()

    def _arm(self, seconds: float, then: Callable[[], None]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, then)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def protocol_for(settings: Settings) -> type[HttpProtocol]:
    """The protocol class for uvicorn's `http`, with these settings' limits."""
    return type("HttpProtocol", (HttpProtocol,), {"settings": settings})


@functools.cache
def _from_environment() -> Settings:
    return Settings.from_env()
