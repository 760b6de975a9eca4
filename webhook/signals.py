"""Hearing that the server is asked to stop, before it waits for open requests to finish.

uvicorn, on SIGTERM or SIGINT, stops taking connections and waits for the open ones, and only
then runs the app's shutdown. A web chat page's long poll is such a request: told at once,
the service ends them, so a stop takes a moment instead of the poll's 25 s.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def on_stop_signal(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> Iterator[None]:
    """Run `callback` on `loop` when a stop signal arrives, then the handler that was there
    (the server's). Only the main thread may set signal handlers: elsewhere (a test's server
    in a thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}

    def handler(number: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        before = previous[signal.Signals(number)]
        if callable(before):
            before(number, frame)
        elif before == signal.SIG_DFL:
            signal.default_int_handler(number, frame)

    for number in STOP_SIGNALS:
        signal.signal(number, handler)
    try:
        yield
    finally:
        for number, before in previous.items():
            signal.signal(number, before)
