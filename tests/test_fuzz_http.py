"""Fuzzing the service's HTTP surface: the real app under uvicorn (`support.service.ServiceThread`,
with `hocso serve`'s connection limits), every channel on, each pointed at its stand-in, and a
SQLite store (what a store does with odd text is part of the surface).

- Every route of the OpenAPI schema, with Schemathesis: bodies, query strings and headers
  made from the schema, valid and not, sent as they are and with the credentials that get
  them past the secret or cookie check.
- Each webhook (and the web chat's send) with the right secret or signature and bodies made
  by Hypothesis: any JSON, and the channel's valid updates with one to three things changed
  (`support.fuzz.mutated`), so that they reach the parser and the engine.
- Any method, path (`/media/…`, `/chat/static/…`, `/chat/api/…`, unknown ones), query
  string, headers (cookies, content types, ranges) and body, sent raw.

No answer is ever a 5xx, and nothing logged (hocso's loggers, uvicorn's) carries a
traceback or is an error.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_parsers import (
    TELEGRAM_KEYS,
    TELEGRAM_SEEDS,
    WEB_KEYS,
    WEB_SEEDS,
    ZALO_BOT_KEYS,
    ZALO_BOT_SEEDS,
    ZALO_OA_KEYS,
    ZALO_OA_SEEDS,
)

from handlers.web import COOKIE
from support.chat import fixture_content
from support.fake_telegram import FakeTelegram
from support.fake_zalo_bot import FakeZaloBot
from support.fake_zalo_oa import APP_ID, FakeZaloOA, now_ms, sign
from support.fuzz import examples, json_values, mutated, odd_texts
from support.logs import log_records
from support.service import (
    SECRET,
    SECRET_HEADER,
    ZALO_BOT_SECRET,
    ZALO_BOT_SECRET_HEADER,
    ServiceThread,
    channels_settings_for,
)
from webhook.app import create_app
from webhook.settings import Settings

REPO = Path(__file__).resolve().parents[1]
OA_HEADER = "X-ZEvent-Signature"
TOKEN = "fuzz-learner-token-0123456789abcdef"  # a well-formed web chat cookie
HTTP = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The service's own threads use `random` (delivery jitter) while Hypothesis draws.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


@dataclass
class Service:
    """The running service, and every record its loggers (and uvicorn's) wrote."""

    app: ServiceThread
    records: list[logging.LogRecord]
    client: httpx.Client
    checked: int = 0
    answers: dict[int, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.app.url

    def check(self, status: int, sent: object) -> None:
        """No 5xx; no traceback or error logged since the last check."""
        self.answers[status] = self.answers.get(status, 0) + 1
        assert status < 500, (status, ascii(sent)[:500])
        self.check_logs(sent)

    def check_logs(self, sent: object = None) -> None:
        new, self.checked = self.records[self.checked :], len(self.records)
        for record in new:
            assert record.exc_info is None, (record.getMessage(), ascii(sent)[:500])
            assert "Traceback" not in record.getMessage(), (record.getMessage(), ascii(sent)[:500])
            assert record.levelno < logging.ERROR, (record.getMessage(), ascii(sent)[:500])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("fuzz-http")
    content = fixture_content(tmp)
    store = f"sqlite:///{tmp / 'hocso.db'}"
    with (
        FakeTelegram() as telegram,
        FakeZaloBot() as zalo_bot,
        FakeZaloOA() as zalo_oa,
        ServiceThread(
            # /verify's lookups answered at once: the fuzz is not about their timing.
            channels_settings_for(telegram, zalo_bot, zalo_oa, content.root, store, verify_floor=0)
        ) as app,
        log_records("hocso", "uvicorn") as records,
        httpx.Client(base_url=app.url, timeout=30) as client,
    ):
        served = Service(app, records, client)
        yield served
        app.wait_sent(timeout=30)  # what the fuzz made the tutor say, sent or given up on
        served.check_logs("(after the last request: delivering the replies)")


# -- every route of the OpenAPI schema, with Schemathesis -------------------------------------


# Loaded when the module is: Schemathesis's lazy `from_fixture` fails under pytest 9 (it reads
# the node's `_nodeid`, gone). The schema is the same whatever the settings.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(content=REPO / "content", store="memory://")).openapi()
)


def tame(case: Any) -> None:
    """A long poll waits up to `wait` seconds: never more than a moment here."""
    query = case.query or {}
    try:
        wait = float(query.get("wait", 0))
    except (TypeError, ValueError):
        return
    if math.isfinite(wait) and wait > 0.05:
        query["wait"] = 0.05


@schema.parametrize()
@settings(HTTP, max_examples=examples(0.2))
def test_every_documented_route_as_generated(case: Any, service: Service) -> None:
    tame(case)
    response = case.call(base_url=service.url, timeout=30)
    service.check(response.status_code, case)


@schema.parametrize()
@settings(HTTP, max_examples=examples(0.2))
def test_every_documented_route_with_credentials(case: Any, service: Service) -> None:
    """The same, with what gets a request past the first check: the webhooks' secrets, the
    learner cookie (the Zalo OA signature needs the raw body: see below)."""
    tame(case)
    headers = {SECRET_HEADER: SECRET, ZALO_BOT_SECRET_HEADER: ZALO_BOT_SECRET}
    response = case.call(base_url=service.url, headers=headers, cookies={COOKIE: TOKEN}, timeout=30)
    service.check(response.status_code, case)


# -- each webhook, with the right secret, and bodies that reach the parser --------------------

ANY_BODY = st.one_of(
    json_values(), st.binary(max_size=200), st.just(b"[" * 5000 + b"]" * 5000), st.just(b"")
)


def post(service: Service, path: str, body: object, headers: dict[str, str]) -> int:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = service.client.post(
        path, content=raw, headers={"Content-Type": "application/json", **headers}
    )
    return response.status_code


@settings(HTTP, max_examples=examples(1))
@given(st.one_of(mutated(TELEGRAM_SEEDS, TELEGRAM_KEYS), ANY_BODY))
def test_telegram_webhook(service: Service, body: object) -> None:
    status = post(service, "/webhook/telegram", body, {SECRET_HEADER: SECRET})
    service.check(status, body)
    assert status in (200, 400, 413)


@settings(HTTP, max_examples=examples(1))
@given(st.one_of(mutated(ZALO_BOT_SEEDS, ZALO_BOT_KEYS), ANY_BODY))
def test_zalo_bot_webhook(service: Service, body: object) -> None:
    status = post(service, "/webhook/zalo-bot", body, {ZALO_BOT_SECRET_HEADER: ZALO_BOT_SECRET})
    service.check(status, body)
    assert status in (200, 400, 413)


@settings(HTTP, max_examples=examples(1))
@given(st.one_of(mutated(ZALO_OA_SEEDS, ZALO_OA_KEYS), ANY_BODY), st.booleans(), st.booleans())
def test_zalo_oa_webhook(service: Service, body: object, ours: bool, signed: bool) -> None:
    """Signed over the raw body as Zalo does; mostly for this app and of now, so that the
    event reaches the parser."""
    if ours and isinstance(body, dict):
        body = {**body, "app_id": APP_ID, "timestamp": now_ms()}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if signed and isinstance(body, dict):
        headers[OA_HEADER] = sign(raw, str(body.get("timestamp")))
    status = post(service, "/webhook/zalo-oa", raw, headers)
    service.check(status, body)
    assert status in (200, 400, 401, 403, 413)


@settings(HTTP, max_examples=examples(1))
@given(
    st.one_of(mutated(WEB_SEEDS, WEB_KEYS), ANY_BODY),
    st.sampled_from([TOKEN, "k" * 22, "x" * 64]),
    st.sampled_from([None, "null", "http://127.0.0.1", "https://evil.example"]),
)
def test_web_chat_send(service: Service, body: object, token: str, origin: str | None) -> None:
    headers = {"Cookie": f"{COOKIE}={token}"}
    if origin is not None:
        headers["Origin"] = origin
    status = post(service, "/chat/api/send", body, headers)
    service.check(status, body)
    # 401: a cookie this server did not sign (and whose learner it does not know)
    assert status in (200, 400, 401, 403, 413, 429)


# -- any request at all, sent raw -------------------------------------------------------------

ROUTES = [
    "/", "/healthz", "/docs", "/redoc", "/openapi.json", "/chat", "/chat/", "/chat/api/send",
    "/chat/api/messages", "/chat/api/", "/chat/static/", "/chat/static/x/chat.js",
    "/chat/static/1/chat.css", "/media/", "/media/ch-play.png", "/media/..", "/webhook/",
    "/webhook/telegram", "/webhook/zalo-bot", "/webhook/zalo-oa", "/verify", "/verify/",
    "/verify/HS-7K2P-9QXD", "/verify/HS-7K2P-9QXD.json", "/certificate/",
    "/certificate/HS-7K2P-9QXD/0123456789abcdef0123456789abcdef.png",
]  # fmt: skip


def utf8(text: str) -> bytes:
    """Text as bytes, lone surrogates and all (percent-encoded, they reach the app)."""
    return text.encode("utf-8", "surrogatepass")


_PATH_PIECES = st.one_of(
    odd_texts.map(lambda text: quote(utf8(text), safe="/")),
    st.sampled_from(["..", "%2e%2e", "%00", "%ff", "./", "//", "x" * 300, "a/" * 300, "%2F"]),
)
PATHS = st.builds(
    lambda route, more: route + "".join(more),
    st.sampled_from(ROUTES),
    st.lists(_PATH_PIECES, max_size=3),
)
_QUERY_NAMES = st.one_of(st.sampled_from(["after", "wait", "lesson", "v", "id"]), odd_texts)
QUERIES = st.one_of(
    st.just(""),
    st.lists(st.tuples(_QUERY_NAMES, odd_texts), max_size=4).map(
        lambda pairs: urlencode([(utf8(name), utf8(value)) for name, value in pairs])
    ),
    st.sampled_from(["after=-1", "wait=nan", "wait=1e309", "after=" + "9" * 400, "%", "&&=&"]),
)
# Header values as HTTP carries them: latin-1, no line breaks.
_VALUES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=80,
)
HEADER_NAMES = [
    "Cookie", "Content-Type", "Origin", "Host", "Range", "If-Range", "If-None-Match",
    "If-Modified-Since", "Accept-Encoding", "X-Forwarded-For", "X-Forwarded-Proto",
    SECRET_HEADER, ZALO_BOT_SECRET_HEADER, OA_HEADER, "Transfer-Encoding", "Expect",
]  # fmt: skip
HEADER_VALUES = [
    f"{COOKIE}={TOKEN}", f"{COOKIE}=; {COOKIE}={TOKEN}", "application/json",
    "application/json; charset=latin-1", "multipart/form-data; boundary=x", "bytes=0-0",
    "bytes=-1", "bytes=0-1,1-2,2-3", "bytes=99999999-", "bytes=5-1", "bytes=",
    "bytes=0-" + "9" * 40, "chunked", "100-continue", SECRET, ZALO_BOT_SECRET,
    "mac=" + "0" * 64, "unix:/x", "[::1]:80", "127.0.0.1:1",
]  # fmt: skip
HEADERS = st.dictionaries(
    st.sampled_from(HEADER_NAMES),
    st.one_of(_VALUES, st.sampled_from(HEADER_VALUES)),
    max_size=6,
)
METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"])


def quick_poll(path: str, query: str) -> str:
    """A long poll holds a request up to `wait` seconds: never more than a moment here."""
    if not path.startswith("/chat/api/messages") or "wait" not in query:
        return query
    return "&".join(part for part in query.split("&") if not part.startswith("wait")) + "&wait=0"


@settings(HTTP, max_examples=examples(2))
@given(METHODS, PATHS, QUERIES, HEADERS, st.one_of(st.none(), st.binary(max_size=300)))
def test_any_request(
    service: Service,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes | None,
) -> None:
    target = path + ("?" + quick_poll(path, query) if query else "")
    for name, waits in (("Transfer-Encoding", "chunked"), ("Expect", "continue")):
        if waits in headers.get(name, "").lower():
            del headers[name]  # the server would wait for a chunked body, or send a 100 first
    connection = http.client.HTTPConnection("127.0.0.1", service.app.port, timeout=30)
    try:
        connection.putrequest(method, target, skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name, value.encode("latin-1"))
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        response.read()
        status = response.status
    finally:
        connection.close()
    service.check(status, (method, target, headers, body))


def test_the_fuzz_reached_past_the_first_checks(service: Service) -> None:
    """Not only 4xx: the requests above were also applied (run after them, in file order)."""
    if not service.answers:
        pytest.skip("run with the fuzz tests above")
    assert service.answers.get(200, 0) > 0, service.answers
