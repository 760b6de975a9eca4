"""Slow, incomplete and oversized requests, over raw sockets against the served app: each is cut
off within seconds (a 408 or 431 and the connection closed, or just closed when nothing was
asked) with one log line, and a whole request still gets its answer.

The limits are short here (`HOCSO_HEADER_TIMEOUT`, `HOCSO_BODY_TIMEOUT`, `HOCSO_MAX_HEADER`
as settings), so that no test waits long."""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.chat import fixture_content
from support.fake_telegram import FakeTelegram
from support.logs import log_records
from support.service import (
    SECRET,
    SECRET_HEADER,
    ServeProcess,
    ServiceThread,
    environment_for,
    settings_for,
    start_update,
)
from webhook.settings import Settings

HEADER_TIMEOUT = 0.5
BODY_TIMEOUT = 0.5
MAX_HEADER = 4096
CUT_OFF = 3.0  # seconds within which a connection over a limit must be answered and closed


@pytest.fixture(scope="module")
def app() -> Iterator[ServiceThread]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder, FakeTelegram() as fake:
        content = fixture_content(Path(folder))
        settings = settings_for(
            fake,
            content.root,
            "memory://",
            header_timeout=HEADER_TIMEOUT,
            body_timeout=BODY_TIMEOUT,
            max_header=MAX_HEADER,
        )
        with ServiceThread(settings) as served:
            yield served


@dataclass
class Outcome:
    answers: list[int]  # the status of each response read, in order
    closed: bool  # the server closed the connection
    took: float  # seconds from the first byte sent until it was closed (or the test gave up)
    sent: int  # bytes sent before the server closed or reset the connection


def request_head(target: str = "/healthz", method: str = "GET", **headers: str) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


UPDATE = json.dumps(start_update(9901, "mau")).encode()
POST = request_head(
    "/webhook/telegram",
    "POST",
    Content_Type="application/json",
    Content_Length=str(len(UPDATE)),
    **{SECRET_HEADER: SECRET},
)


def talk(port: int, pieces: Iterator[bytes], *, limit: float = 10.0) -> Outcome:
    """Send `pieces` (a piece b"" waits 0.1 s), reading what comes back, until the server
    closes the connection or `limit` seconds pass."""
    started = time.monotonic()
    sent = 0
    received = b""
    closed = False
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        sock.settimeout(0.05)
        for piece in pieces:
            if time.monotonic() - started > limit:
                break
            try:
                if piece:
                    sock.sendall(piece)
                    sent += len(piece)
                else:
                    time.sleep(0.1)
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
        while not closed and time.monotonic() - started < limit:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                chunk = b""
            closed = not chunk
            received += chunk
    took = time.monotonic() - started
    answers = [int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]
    return Outcome(answers, closed, took, sent)


def then_wait(*pieces: bytes) -> Callable[[], Iterator[bytes]]:
    """`pieces`, then nothing more (waiting)."""

    def send() -> Iterator[bytes]:
        yield from pieces
        while True:
            yield b""

    return send


def trickled(data: bytes, step: int = 1) -> Callable[[], Iterator[bytes]]:
    """`data`, `step` bytes every 0.1 s."""

    def send() -> Iterator[bytes]:
        for start in range(0, len(data), step):
            yield data[start : start + step]
            yield b""

    return send


def flood(header: bytes, size: int) -> Callable[[], Iterator[bytes]]:
    """A request whose one header goes on for `size` bytes, sent as fast as the server takes it."""

    def send() -> Iterator[bytes]:
        yield b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b": "
        block = b"a" * 65536
        for _ in range(size // len(block)):
            yield block
        yield b"\r\n\r\n"

    return send


# (what the client does, the statuses answered, whether it is closed within CUT_OFF, every
# log line at warning level or above: one for each thing that went wrong)
CASES = [
    pytest.param(then_wait(), [], True, [], id="idle-connection"),
    pytest.param(
        then_wait(b"POST /webhook/telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        [408],
        True,
        ["request headers not received in time"],
        id="partial-headers",
    ),
    pytest.param(
        trickled(POST + UPDATE, step=2),
        [408],
        True,
        ["request headers not received in time"],
        id="headers-a-byte-at-a-time",
    ),
    pytest.param(
        then_wait(POST + UPDATE[:10]),
        [408],
        True,
        ["request body not received in time"],
        id="body-10-bytes-of-many",
    ),
    pytest.param(
        then_wait(POST.replace(SECRET.encode(), b"wrong") + UPDATE[:10]),
        [403],  # answered before the body is read; the rest never comes
        True,
        ["telegram update with a wrong secret", "request body not received in time"],
        id="answered-then-the-body-never-comes",
    ),
    pytest.param(
        then_wait(POST.replace(SECRET.encode(), b"wrong") + UPDATE[:10], UPDATE[10:]),
        [403],  # answered before the body is read; the rest comes soon after
        False,
        ["telegram update with a wrong secret"],
        id="answered-then-the-body-comes",
    ),
    pytest.param(
        then_wait(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad Name: 1\r\n\r\n"),
        [400],
        True,
        ["Invalid HTTP request received."],  # uvicorn's own
        id="not-http",
    ),
    pytest.param(
        then_wait(request_head(X_Padding="p" * (MAX_HEADER + 100))),
        [431],
        True,
        ["request headers too large"],
        id="header-over-the-limit",
    ),
    pytest.param(
        flood(b"X-Padding", 16 * 1024 * 1024),
        [431],
        True,
        ["request headers too large"],
        id="a-16-MiB-header",
    ),
    pytest.param(
        then_wait(request_head(X_Padding="p" * (MAX_HEADER - 200)), POST + UPDATE),
        [200, 200],
        False,
        [],
        id="whole-requests-kept-alive",
    ),
]


@pytest.mark.parametrize(("client", "statuses", "closed", "lines"), CASES)
def test_slow_incomplete_and_oversized_requests(
    app: ServiceThread,
    client: Callable[[], Iterator[bytes]],
    statuses: list[int],
    closed: bool,
    lines: list[str],
) -> None:
    with log_records("hocso", "uvicorn", level=logging.WARNING) as records:
        outcome = talk(app.port, client(), limit=CUT_OFF if closed else 2.0)
    if statuses[-1:] == [431]:  # the server may close before the client reads its answer
        assert outcome.answers in ([431], []), outcome
        assert outcome.sent < 2 * 1024 * 1024, outcome  # cut off long before 16 MiB
    else:
        assert outcome.answers == statuses, outcome
    assert outcome.closed is closed, outcome
    if closed:
        assert outcome.took < CUT_OFF, outcome
    assert [record.getMessage() for record in records] == lines
    assert [record.getMessage() for record in records if record.exc_info] == []


def test_the_limits_reach_hocso_serve(content_root: Path, tmp_path: Path) -> None:
    """`hocso serve` (here with two workers) takes them from the environment."""
    with FakeTelegram() as fake:
        env = environment_for(
            fake,
            content_root,
            f"sqlite:///{tmp_path / 'hocso.db'}",
            HOCSO_HEADER_TIMEOUT="0.5",
            HOCSO_MAX_HEADER=str(MAX_HEADER),
        )
        with ServeProcess(env, tmp_path / "serve.log", "--workers", "2") as server:
            idle = talk(server.port, then_wait()(), limit=CUT_OFF)
            padded = request_head(X_Padding="p" * 8000)
            large = talk(server.port, then_wait(padded)(), limit=CUT_OFF)
            whole = talk(server.port, then_wait(POST + UPDATE)(), limit=1.0)
    assert idle.closed and idle.took < CUT_OFF and idle.answers == []
    assert large.closed and large.answers in ([431], [])
    assert whole.answers == [200]
    assert "request headers too large" in server.output()


@pytest.fixture
def content_root(tmp_path: Path) -> Path:
    return fixture_content(tmp_path).root


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, (10.0, 10.0, 32768)),
        (
            {"HOCSO_HEADER_TIMEOUT": "2", "HOCSO_BODY_TIMEOUT": "3.5", "HOCSO_MAX_HEADER": "8192"},
            (2.0, 3.5, 8192),
        ),
        ({"HOCSO_HEADER_TIMEOUT": "0"}, "HOCSO_HEADER_TIMEOUT must be a number above 0"),
        ({"HOCSO_BODY_TIMEOUT": "x"}, "HOCSO_BODY_TIMEOUT must be a number, not 'x'"),
        ({"HOCSO_MAX_HEADER": "0"}, "HOCSO_MAX_HEADER must be a number above 0"),
        ({"HOCSO_MAX_HEADER": "0.5"}, "HOCSO_MAX_HEADER must be a whole number of bytes"),
    ],
)
def test_the_settings(environ: dict[str, str], expected: tuple[float, float, int] | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            Settings.from_env(environ)
        return
    settings = Settings.from_env(environ)
    assert (settings.header_timeout, settings.body_timeout, settings.max_header) == expected
