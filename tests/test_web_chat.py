"""The web chat over real HTTP: the app under uvicorn (`support.service.ServiceThread`), the page
and its JSON API called with httpx as the page's script calls them (`support.web.WebLearner`),
replies delivered by the real outbox into the learner's transcript in the store (SQLite and
Redis), state read back from the store. The page in a real browser: `test_web_browser.py`."""

from __future__ import annotations

import ast
import asyncio
import http.client
import json
import math
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.content import Content, load_content
from bot.learner import Learner
from bot.messages import TEXTS
from bot.outbound import Outbound
from bot.progress import progress_json
from bot.stores.memory import MemoryStore
from bot.stores.redis import RedisStore
from bot.stores.sqlite import SQLiteStore
from handlers.base import SendError
from handlers.web import COOKIE, Signer, Transcripts, WebSender, chat_of, new_token
from handlers.web.page import PAGE_TEXTS, SCRIPT_TEXTS
from handlers.web.transcript import GONE_TTL
from support import processes
from support.chat import fixture_content
from support.clock import Clock
from support.dump import holding
from support.logs import json_lines, log_records
from support.redis_server import free_port
from support.service import ServeProcess, ServiceThread
from support.waiting import wait_until
from support.web import WebLearner, client_id, page_config
from webhook.settings import NO_WEB_LIMITS, Settings, WebLimits
from webhook.storecalls import StoreCalls
from webhook.web import MAX_BODY, MAX_WAIT, poll_query

REPO = Path(__file__).resolve().parents[1]
WEB_SOURCES = [*sorted((REPO / "handlers" / "web").glob("*.py")), REPO / "webhook" / "web.py"]
SCRIPT = REPO / "handlers" / "web" / "static" / "chat.js"


@pytest.fixture
def content(tmp_path: Path) -> Content:
    """The test lessons (`mau`, `sau`) with the product's messages, in a folder of their own."""
    return fixture_content(tmp_path)


WEB_SECRET = "web-secret_0123456789abcdefghijklmn"  # what HOCSO_WEB_SECRET could be


def web_settings(content: Content, store: str, **more: Any) -> Settings:
    """No channel configured: the web chat is always on. Cookies signed with WEB_SECRET, and no
    limits (a test types faster than anyone), unless `more` says otherwise (`web_secret=None`:
    a secret made once and kept in the store)."""
    settings = Settings(
        content=content.root, store=store, web_secret=WEB_SECRET, web_limits=NO_WEB_LIMITS
    )
    return replace(settings, **more)


def signed(token: str, secret: str = WEB_SECRET) -> str:
    """The cookie a server with `secret` issues for `token`."""
    return Signer(secret).sign(token)


def cookie_header(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={token}"}


def set_cookie(response: httpx.Response) -> tuple[str, set[str]]:
    """The learner token a response sets, and the cookie's attributes (lower case)."""
    (header,) = [value for value in response.headers.get_list("set-cookie") if COOKIE in value]
    first, *attributes = [part.strip() for part in header.split(";")]
    name, _, token = first.partition("=")
    assert name == COOKIE
    return token, {attribute.lower() for attribute in attributes}


def learner_of(app: ServiceThread, lan: WebLearner) -> str:
    assert lan.token is not None
    chat = chat_of(lan.token)
    assert chat is not None
    return f"web:{chat}"


# -- 1. the cookie ------------------------------------------------------------------------------


def test_the_page_sets_a_long_lived_learner_cookie_and_keeps_it(content: Content) -> None:
    with ServiceThread(web_settings(content, "memory://")) as app:
        first = httpx.get(f"{app.url}/chat")
        token, attributes = set_cookie(first)
        again = httpx.get(f"{app.url}/chat", headers=cookie_header(token))
        broken = httpx.get(f"{app.url}/chat", headers=cookie_header("too-short"))
        proxied = httpx.get(f"{app.url}/chat", headers={"X-Forwarded-Proto": "https"})
    assert first.status_code == 200
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{22}", token)  # token.signature
    assert attributes == {"httponly", "max-age=34560000", "path=/", "samesite=lax"}
    # The same learner on every visit, the 400 days counted again from it.
    assert set_cookie(again) == (token, attributes)
    # A cookie that is not one of ours is replaced.
    assert set_cookie(broken)[0] not in (token, "too-short")
    # Behind an https proxy (uvicorn trusts X-Forwarded-Proto from 127.0.0.1): Secure.
    assert "secure" in set_cookie(proxied)[1]
    # The learner id is a digest of the token: logs and reports never hold the token.
    chat = chat_of(token)
    assert chat is not None and len(chat) == 22 and token not in chat


# why, the cookie sent (made from a learner's token), whether that learner is in the store
# already, and whether the cookie is taken as theirs (else it counts as no cookie: the page
# issues a new learner's, the API answers 401 and creates no one)
COOKIES: list[tuple[str, Callable[[str], str], bool, bool]] = [
    ("ours", signed, True, True),
    ("ours, a learner who has not written yet", signed, False, True),
    ("unsigned, from before cookies were signed", lambda token: token, True, True),
    ("signed with a secret since changed", lambda t: signed(t, "old-secret-01234"), True, True),
    ("made up", lambda token: token, False, False),
    ("made up, signed with another secret", lambda t: signed(t, "x" * 32), False, False),
    ("another token's signature", lambda t: t + signed(new_token())[32:], False, False),
    ("made up, for a learner that is not the one in the store", lambda t: t[::-1], True, False),
]  # fmt: skip


@pytest.mark.parametrize(("why", "made", "known", "taken"), COOKIES)
def test_only_cookies_the_server_issued_name_a_learner(
    content: Content, why: str, made: Callable[[str], str], known: bool, taken: bool
) -> None:
    token = "Tk" + "k" * 28 + "Tz"
    cookie, chat = made(token), chat_of(token)
    with ServiceThread(web_settings(content, "memory://")) as app, httpx.Client() as client:
        if known:
            app.store.save(Learner(f"web:{chat}", created_at="2026-11-23T10:00:00+07:00"))
        page = client.get(f"{app.url}/chat", headers=cookie_header(cookie))
        sent = client.post(f"{app.url}{SEND}", json=OK_BODY, headers=cookie_header(cookie))
        polled = client.get(f"{app.url}{POLL}", headers=cookie_header(cookie))
        app.wait_sent()
        learners = sorted(app.store.learner_ids())
    issued = set_cookie(page)[0]
    if taken:
        assert issued == signed(token), why  # the same learner, signed now
        assert (sent.status_code, polled.status_code) == (200, 200), why
        resigned = [set_cookie(sent)[0], set_cookie(polled)[0]] if cookie != issued else []
        assert resigned in ([], [issued, issued]), why  # the API signs an old cookie too
        assert learners == [f"web:{chat}"], why
    else:
        assert chat_of(issued) != chat and issued == signed(issued.split(".")[0]), why
        assert (sent.status_code, polled.status_code) == (401, 401), why
        assert learners == ([f"web:{chat}"] if known else []), why


def test_without_a_secret_set_workers_share_one_made_once(
    content: Content, shared_store_url: str
) -> None:
    """No HOCSO_WEB_SECRET: the first worker makes one and keeps it in the store; every worker,
    and the service restarted, signs with it."""
    settings = web_settings(content, shared_store_url, web_secret=None)
    with ServiceThread(settings) as a, ServiceThread(settings) as b:
        cookie = set_cookie(httpx.get(f"{a.url}/chat"))[0]
        on_b = httpx.post(f"{b.url}{SEND}", json=OK_BODY, headers=cookie_header(cookie))
    with ServiceThread(settings) as again:
        later = httpx.post(
            f"{again.url}{SEND}", json={**OK_BODY, "id": "later-123"}, headers=cookie_header(cookie)
        )
    assert (on_b.status_code, later.status_code) == (200, 200)
    assert "set-cookie" not in on_b.headers and "set-cookie" not in later.headers


# the public address, the Host the request names, whether it came over https (a proxy's
# X-Forwarded-Proto), and whether the cookie must be Secure
SECURE: list[tuple[str | None, str | None, bool, bool]] = [
    ("https://hocso.example.vn", "hocso.example.vn", False, True),  # a proxy that does not say
    ("https://hocso.example.vn", "hocso.example.vn", True, True),
    ("https://hocso.example.vn", None, False, False),  # http://127.0.0.1:PORT: trying things
    ("https://hocso.example.vn", None, True, True),
    ("http://hocso.example.vn", "hocso.example.vn", False, False),
    (None, None, False, False),
    (None, None, True, True),
]


@pytest.mark.parametrize(("public_url", "host", "https", "secure"), SECURE)
def test_the_cookie_is_secure_where_the_page_is_https(
    content: Content, public_url: str | None, host: str | None, https: bool, secure: bool
) -> None:
    settings = web_settings(content, "memory://", public_url=public_url)
    headers = {"X-Forwarded-Proto": "https"} if https else {}
    if host is not None:
        headers["Host"] = host
    with ServiceThread(settings) as app:
        page = httpx.get(f"{app.url}/chat", headers=headers)
    assert ("secure" in set_cookie(page)[1]) is secure


# -- 2. a whole lesson --------------------------------------------------------------------------

# The lesson `mau` as a learner walks it on the page: what they do, and the reply's start and
# buttons (the last answer is three messages, too long for one screen: the praise, the
# certificate, the name to print on it; the name three: it is saved, the certificate's
# picture and PDF, what next, whose buttons are given).
LESSON: list[tuple[str, str, str, list[str]]] = [
    ("start", "mau_V12", "📘 *Bài mẫu* (khoảng 3 phút)", ["Bắt đầu ▶"]),
    ("tap", "Bắt đầu", "Điện thoại của bác là loại nào?", ["Android", "iPhone"]),
    ("say", "samsung", "Trên Android, bác mở *CH Play*.", ["Tiếp tục ▶"]),
    (
        "tap",
        "Tiếp tục",
        "Ai được biết mã OTP của bác?",
        ["Chỉ mình tôi", "Công an gọi điện hỏi", "Nhân viên ngân hàng"],
    ),
    ("say", "chi mnh toi", "✅ Đúng rồi! OTP chỉ mình bác được biết.", []),
    ("say", "mot nam sau", "✅ Đúng rồi! Nhắn tin đến 156.", ["Để sau"]),
    (
        "say",
        "nguyễn thị hường",
        "Cháu đã ghi tên *Nguyễn Thị Hường*",
        ["▶ Học bài tiếp theo", "📋"],
    ),
]
REPLIES = {"mot nam sau": 3, "nguyễn thị hường": 3}  # messages a move gets, 1 when not here


def walk(lan: WebLearner) -> list[dict[str, Any]]:
    got = []
    for action, what, starts, buttons in LESSON:
        if action == "start":
            lan.start(what)
        elif action == "tap":
            lan.tap(what)
        else:
            lan.say(what)
        now = lan.replies(REPLIES.get(what, 1))
        first, reply = now[0], now[-1]
        assert first["text"].startswith(starts), (what, first["text"])
        labels = [button["label"] for button in reply["buttons"]]
        assert len(labels) == len(buttons), (what, labels)
        assert all(label.startswith(b) for label, b in zip(labels, buttons, strict=True))
        got += now
    return got


def test_a_whole_lesson_through_the_web_api(content: Content, shared_store_url: str) -> None:
    with (
        ServiceThread(web_settings(content, shared_store_url)) as app,
        WebLearner(app.url) as lan,
    ):
        page = lan.open("?lesson=mau&v=V12")
        assert page_config(page.text)["start"] == "mau_V12"  # what the page sends first
        replies = walk(lan)
        image = lan.client.get(replies[2]["image"])
        everything = lan.poll(after=0)
        learner = app.store.get(learner_of(app, lan))

    opening, _, android, _, right, done, earned, _, _, certificate, _ = replies
    assert opening["runs"][:2] == [{"text": "📘 "}, {"text": "Bài mẫu", "bold": True}]
    assert android["image"] == "/media/ch-play.png"  # relative: no HOCSO_PUBLIC_URL needed
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == (content.root / "media" / "ch-play.png").read_bytes()
    assert right["text"].endswith("Muốn báo lừa đảo, bác nhắn tin đến số mấy?")
    assert "Chúc mừng bác đã học xong bài *Bài mẫu*" in done["text"]
    assert "HS-" in earned["text"]
    # The certificate: its picture and a link to its PDF, at addresses of the page's own.
    assert certificate["image"].startswith("/certificate/HS-")
    assert certificate["image"].endswith(".png")
    [download] = certificate["links"]
    assert download["url"].startswith("/certificate/HS-") and download["url"].endswith(".pdf")
    assert [m["seq"] for m in everything["messages"]] == list(range(1, 12))
    assert everything["seq"] == 11 and everything["messages"] == replies
    assert learner is not None and learner.turns == 7 and learner.volunteer == "V12"
    progress = progress_json(learner)
    assert progress["lessons"]["mau"]["status"] == "passed"
    assert [certificate["id"] for certificate in progress["certificates"]] == ["chi-mau"]


def test_a_first_visit_is_greeted_with_the_lessons(content: Content) -> None:
    with ServiceThread(web_settings(content, "memory://")) as app, WebLearner(app.url) as lan:
        assert page_config(lan.open().text)["start"] is None
        assert lan.poll()["seq"] == 0  # an empty transcript: the page sends start ""
        lan.start("")
        (hello,) = lan.replies()
    greeting = content.messages.text("greeting")
    assert hello["text"].startswith(greeting)
    assert [button["label"] for button in hello["buttons"]][:2] == ["Bài mẫu", "Bài sau"]


# -- 3. at most once, in order ------------------------------------------------------------------


def test_a_message_sent_again_is_applied_once(content: Content, shared_store_url: str) -> None:
    with (
        ServiceThread(web_settings(content, shared_store_url)) as app,
        WebLearner(app.url) as lan,
    ):
        lan.open()
        lan.start("mau")
        (opening,) = lan.replies()
        tap = {"id": client_id(), "payload": opening["buttons"][0]["payload"]}
        answers = [lan.post(**tap).json() for _ in range(3)]  # the page retrying one tap
        lan.replies()

        # The same message posted five times at once (a flaky network and an impatient page).
        same = {"id": client_id(), "text": "samsung"}
        results: list[dict[str, Any]] = []
        threads = [
            threading.Thread(target=lambda: results.append(lan.post(**same).json()))
            for _ in range(5)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        lan.replies()
        app.wait_sent()
        extra = lan.poll(wait=0.6)  # nothing more comes
        learner = app.store.get(learner_of(app, lan))
    assert answers == [
        {"ok": True, "duplicate": False},
        {"ok": True, "duplicate": True},
        {"ok": True, "duplicate": True},
    ]
    assert sorted(result["duplicate"] for result in results) == [False, True, True, True, True]
    assert extra == {"seq": 3, "messages": []}
    assert learner is not None and learner.turns == 3


# -- 4. bad requests: 4xx, never 5xx, nothing changed -------------------------------------------

GOOD = signed("k" * 32)  # a learner cookie the server issued
ID = "abcd-1234"
OK_BODY = {"id": ID, "text": "xin chào"}
SEND, POLL = "/chat/api/send", "/chat/api/messages"

# why, cookie token (None: none), method, path, JSON body or raw bytes, expected status
BAD_REQUESTS: list[tuple[str, str | None, str, str, Any, int]] = [
    ("send without a cookie", None, "POST", SEND, OK_BODY, 401),
    ("poll without a cookie", None, "GET", POLL, None, 401),
    ("a cookie too short", "k" * 21, "POST", SEND, OK_BODY, 401),
    ("a cookie with a bad character", "k" * 30 + "!", "GET", POLL, None, 401),
    ("a made-up cookie", "k" * 32, "POST", SEND, OK_BODY, 401),
    ("a made-up cookie polling", "k" * 32, "GET", POLL, None, 401),
    ("a made-up signature", "k" * 32 + "." + "s" * 22, "POST", SEND, OK_BODY, 401),
    ("not JSON", GOOD, "POST", SEND, b"{not json", 400),
    ("not UTF-8", GOOD, "POST", SEND, b'{"id": "\xff\xfe\xfd"}', 400),
    ("JSON nested too deep", GOOD, "POST", SEND, b"[" * 5000 + b"]" * 5000, 400),
    ("a list", GOOD, "POST", SEND, [OK_BODY], 400),
    ("no id", GOOD, "POST", SEND, {"text": "x"}, 400),
    ("an id too short", GOOD, "POST", SEND, {"id": "abc", "text": "x"}, 400),
    ("an id too long", GOOD, "POST", SEND, {"id": "a" * 65, "text": "x"}, 400),
    ("an id with a space", GOOD, "POST", SEND, {"id": "abc defgh", "text": "x"}, 400),
    ("an id not a string", GOOD, "POST", SEND, {"id": 12345678, "text": "x"}, 400),
    ("nothing to say", GOOD, "POST", SEND, {"id": "abcd-1234"}, 400),
    ("two things", GOOD, "POST", SEND, {**OK_BODY, "payload": "c:1"}, 400),
    ("text not a string", GOOD, "POST", SEND, {"id": ID, "text": 5}, 400),
    ("text null", GOOD, "POST", SEND, {"id": ID, "text": None}, 400),
    ("an empty payload", GOOD, "POST", SEND, {"id": ID, "payload": ""}, 400),
    ("a payload too long", GOOD, "POST", SEND, {"id": ID, "payload": "p" * 257}, 400),
    ("a start with a space", GOOD, "POST", SEND, {"id": ID, "start": "mau x"}, 400),
    ("a start too long", GOOD, "POST", SEND, {"id": ID, "start": "m" * 65}, 400),
    ("a body too large", GOOD, "POST", SEND, {"id": ID, "text": "x" * MAX_BODY}, 413),
    ("after below 0", GOOD, "GET", POLL + "?after=-1", None, 400),
    ("after not a number", GOOD, "GET", POLL + "?after=abc", None, 400),
    ("after not whole", GOOD, "GET", POLL + "?after=1.5", None, 400),
    ("after in other digits", GOOD, "GET", POLL + "?after=%D9%A3", None, 400),
    ("wait not a number", GOOD, "GET", POLL + "?wait=soon", None, 400),
    ("wait below 0", GOOD, "GET", POLL + "?wait=-1", None, 400),
    ("wait NaN", GOOD, "GET", POLL + "?wait=nan", None, 400),
    ("wait infinite", GOOD, "GET", POLL + "?wait=inf", None, 400),
    ("GET the send route", GOOD, "GET", SEND, None, 405),
    ("POST the poll route", GOOD, "POST", POLL, OK_BODY, 405),
    ("POST the page", GOOD, "POST", "/chat", OK_BODY, 405),
]  # fmt: skip


def test_bad_requests_are_refused_with_4xx_and_change_nothing(content: Content) -> None:
    with ServiceThread(web_settings(content, "memory://")) as app, httpx.Client() as client:
        answers = []
        for why, token, method, path, body, _ in BAD_REQUESTS:
            headers = cookie_header(token) if token is not None else {}
            if isinstance(body, bytes):
                headers["Content-Type"] = "application/json"
                response = client.request(method, app.url + path, content=body, headers=headers)
            else:
                response = client.request(method, app.url + path, json=body, headers=headers)
            answers.append((why, response.status_code, response))
        learners = list(app.store.learner_ids())
        pending = app.store.pending()
    for (why, status, response), row in zip(answers, BAD_REQUESTS, strict=True):
        assert status == row[-1], (why, status, response.text)
        if status != 405:
            assert response.json()["ok"] is False, why
    assert learners == [] and pending == 0


# why, extra headers, expected status: another site's page cannot speak for the learner
CROSS_SITE: list[tuple[str, dict[str, str], int]] = [
    ("same site", {"Origin": "{url}"}, 200),
    ("no Origin (an old browser)", {}, 200),
    ("the public address", {"Origin": "https://hocso.example.vn"}, 200),
    ("another site", {"Origin": "https://evil.example.com"}, 403),
    ("another port", {"Origin": "http://127.0.0.1:1"}, 403),
    ("Origin null (a sandboxed frame)", {"Origin": "null"}, 403),
    ("a form post", {"Content-Type": "text/plain"}, 415),
    ("a url-encoded form", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ("no content type", {"Content-Type": ""}, 415),
    ("JSON with a charset", {"Content-Type": "application/json; charset=utf-8"}, 200),
]  # fmt: skip


def test_messages_from_another_sites_page_are_refused(content: Content) -> None:
    settings = web_settings(content, "memory://", public_url="https://hocso.example.vn")
    with ServiceThread(settings) as app, httpx.Client() as client:
        answers = []
        for n, (why, extra, _) in enumerate(CROSS_SITE):
            headers = {"Content-Type": "application/json", **cookie_header(GOOD)}
            headers.update({name: value.format(url=app.url) for name, value in extra.items()})
            body = json.dumps({"id": f"cross-site-{n}", "text": "menu"})
            response = client.post(app.url + SEND, content=body, headers=headers)
            answers.append((why, response.status_code))
        app.wait_sent()
        turns = app.store.get("web:" + (chat_of(GOOD) or ""))
    assert answers == [(why, status) for why, _, status in CROSS_SITE]
    assert turns is not None and turns.turns == sum(status == 200 for *_, status in CROSS_SITE)


def test_the_wait_is_capped() -> None:
    assert poll_query({}) == (0, 0.0)
    assert poll_query({"after": "7", "wait": "2.5"}) == (7, 2.5)
    assert poll_query({"wait": "1000"}) == (0, MAX_WAIT)


# -- 5. long polls ------------------------------------------------------------------------------


@contextmanager
def polling(lan: WebLearner, after: int, wait: float) -> Iterator[dict[str, Any]]:
    """A long poll running in a thread while the block runs; its answer and how long it took
    are in the dict afterwards."""
    result: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        response = lan.client.get("/chat/api/messages", params={"after": after, "wait": wait})
        result.update(response.json(), took=time.monotonic() - started)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield result
    finally:
        thread.join(timeout=wait + 10)


def test_a_long_poll_returns_when_a_message_comes_and_times_out_empty(
    content: Content, shared_store_url: str
) -> None:
    with (
        ServiceThread(web_settings(content, shared_store_url)) as app,
        WebLearner(app.url) as lan,
    ):
        lan.open()
        lan.start("mau")
        lan.replies()
        with polling(lan, after=1, wait=20) as woken:
            time.sleep(0.3)  # the poll is waiting
            lan.tap("Bắt đầu")
        started = time.monotonic()
        empty = lan.poll(after=2, wait=0.6)
        took = time.monotonic() - started
    assert woken["seq"] == 2 and [m["seq"] for m in woken["messages"]] == [2]
    assert woken["took"] < 5, "woken by the message, not by the time-out"
    assert empty == {"seq": 2, "messages": []}
    assert 0.55 <= took < 5


def test_a_long_poll_on_another_worker_sees_the_message(
    content: Content, shared_store_url: str
) -> None:
    """Worker A takes the message and stores the reply; the page's poll waits on worker B,
    which learns of it from the store."""
    settings = web_settings(content, shared_store_url)
    with (
        ServiceThread(settings) as a,
        ServiceThread(settings) as b,
        WebLearner(a.url) as lan,
        WebLearner(b.url) as other,
    ):
        lan.open()
        assert lan.token is not None
        other.client.cookies.set(COOKIE, lan.token)  # the same browser, another worker
        with polling(other, after=0, wait=20) as seen:
            time.sleep(0.3)  # the poll is waiting on worker B
            lan.start("mau")
    assert [m["seq"] for m in seen["messages"]] == [1]
    assert seen["messages"][0]["text"].startswith("📘 *Bài mẫu*")
    assert seen["took"] < 5


def test_a_page_asking_beyond_the_transcript_gets_all_of_it(content: Content) -> None:
    """A store emptied under a page (or a page of another store): the page starts again."""
    with ServiceThread(web_settings(content, "memory://")) as app, WebLearner(app.url) as lan:
        lan.open()
        lan.start("mau")
        lan.replies()
        beyond = lan.poll(after=40, wait=10)
    assert beyond["seq"] == 1 and [m["seq"] for m in beyond["messages"]] == [1]


# -- 6. durable -----------------------------------------------------------------------------------


def test_the_transcript_survives_a_restart(content: Content, tmp_path: Path) -> None:
    settings = web_settings(content, f"sqlite:///{tmp_path / 'hocso.db'}")
    with ServiceThread(settings) as app, WebLearner(app.url) as lan:
        lan.open()
        lan.start("mau")
        lan.replies()
        lan.tap("Bắt đầu")
        lan.replies()
        token = lan.token
    with ServiceThread(settings) as app, WebLearner(app.url, token=token) as again:
        page = again.open()  # the page, reloaded the next day
        shown = again.load()
        again.tap("Android")  # the last message's buttons still work
        (android,) = again.replies()
    assert set_cookie(page)[0] == token
    assert [m["text"].splitlines()[0] for m in shown["messages"]] == [
        "📘 *Bài mẫu* (khoảng 3 phút)",
        "Điện thoại của bác là loại nào?",
    ]
    assert android["text"] == "Trên Android, bác mở *CH Play*."


def test_deleting_the_learners_data_leaves_only_the_goodbye_for_an_hour(
    content: Content, store_url: str
) -> None:
    """After `xóa dữ liệu`, nothing in the store holds the learner's id, their chat (the digest
    of their cookie) or their token, but the goodbye the page shows, kept an hour. (With the
    limits on: the learner's own rate-limit bucket goes too.)"""
    with (
        ServiceThread(web_settings(content, store_url, web_limits=WebLimits())) as app,
        WebLearner(app.url) as lan,
        WebLearner(app.url) as other,
    ):
        other.open()
        other.start("mau")
        other.replies()
        lan.open()
        lan.start("mau")
        lan.replies()
        lan.tap("Bắt đầu")
        lan.replies()
        lan.say(content.messages.words("commands.delete")[0])
        lan.replies()
        lan.tap(content.messages.text("buttons.delete_yes"))
        (done,) = lan.replies()
        app.wait_sent()
        after = lan.poll(after=0)
        learner, chat, token = learner_of(app, lan), chat_of(lan.token), lan.token
        assert chat is not None and token is not None
        store = app.store
        left = holding(store, learner, chat, token)
        if isinstance(store, RedisStore):
            kv = [
                f"{store.prefix}:kv:{key}"
                for key in (Transcripts.key(chat), Transcripts.seq_key(chat))
            ]
            assert sorted(line.split(" ")[0] for line in left) == sorted(kv)
            assert all(0 < store.client.pttl(key) <= GONE_TTL * 1000 for key in kv)
        else:
            assert isinstance(store, MemoryStore | SQLiteStore)
            store.clock = Clock(time.time() + GONE_TTL + 1)
            assert lan.poll(after=0) == {"seq": 0, "messages": []}
            store.expire(store.clock())
            assert holding(store, learner, chat, token) == []
        kept = store.get(learner_of(app, other))
    assert done["text"] == content.messages.text("delete.done")
    assert after == {"seq": 4, "messages": [done]}  # what the open page shows: the goodbye
    assert kept is not None and kept.turns == 1  # another learner's data stays


DAY = 24 * 3600.0


@pytest.mark.parametrize("days", [30.0, 0.5])
def test_an_idle_transcript_expires(content: Content, store_url: str, days: float) -> None:
    """What was said to a learner is kept `HOCSO_WEB_TRANSCRIPT_DAYS` after the last message
    (Redis: a TTL on both keys; SQLite and memory: not shown after it, deleted by `expire`)."""
    settings = web_settings(content, store_url, web_transcript_days=days)
    with ServiceThread(settings) as app, WebLearner(app.url) as lan:
        lan.open()
        lan.start("mau")
        lan.replies()
        chat = chat_of(lan.token)
        assert chat is not None
        keys = [Transcripts.key(chat), Transcripts.seq_key(chat)]
        store = app.store
        if isinstance(store, RedisStore):
            left = [store.client.pttl(f"{store.prefix}:kv:{key}") for key in keys]
            assert all(days * DAY * 1000 - 60_000 < ms <= days * DAY * 1000 for ms in left)
            return
        assert isinstance(store, MemoryStore | SQLiteStore)
        store.clock = clock = Clock(time.time() + days * DAY - 60)
        kept = lan.poll(after=0)
        clock.now += 61
        gone = lan.poll(after=0)
        swept = store.expire(clock.now)
        clock.now -= 3600  # deleted for good: not there even by an earlier clock
        recalled = [store.recall(key) for key in keys]
        learner = store.get(learner_of(app, lan))
    assert kept["seq"] == 1 and len(kept["messages"]) == 1
    assert gone == {"seq": 0, "messages": []}  # the page starts afresh: greeted again
    assert swept == 2 and recalled == [None, None]
    assert learner is not None and learner.turns == 1  # the learner's progress stays


def test_a_worker_deletes_what_expired_while_it_was_stopped(
    content: Content, tmp_path: Path
) -> None:
    """Each worker sweeps the store when it starts, then every ten minutes (SQLite here)."""
    url = f"sqlite:///{tmp_path / 'hocso.db'}"
    store = SQLiteStore(tmp_path / "hocso.db")
    store.remember(Transcripts.key("old"), "{}", ttl=0.001)
    store.remember("kept", "v")
    time.sleep(0.01)
    store.close()

    def kept_only() -> bool:
        with sqlite3.connect(tmp_path / "hocso.db") as check:
            return check.execute("SELECT key FROM kv").fetchall() == [("kept",)]

    assert not kept_only()
    with ServiceThread(web_settings(content, url)):
        wait_until(kept_only, 10, "the expired value to be deleted")


# the environment, and the settings read from it (or the error)
WEB_SETTINGS: list[tuple[dict[str, str], dict[str, Any] | str]] = [
    ({}, {"web_transcript_days": 30.0}),
    ({"HOCSO_WEB_TRANSCRIPT_DAYS": "7"}, {"web_transcript_days": 7.0}),
    ({"HOCSO_WEB_TRANSCRIPT_DAYS": "0"}, "HOCSO_WEB_TRANSCRIPT_DAYS must be a number above 0"),
    ({"HOCSO_WEB_TRANSCRIPT_DAYS": "x"}, "HOCSO_WEB_TRANSCRIPT_DAYS must be a number, not 'x'"),
    ({}, {"web_secret": None}),
    ({"HOCSO_WEB_SECRET": WEB_SECRET}, {"web_secret": WEB_SECRET}),
    ({"HOCSO_WEB_SECRET": "short"}, "HOCSO_WEB_SECRET must be at least 16 characters"),
    ({}, {"web_limits": WebLimits()}),
    (
        {
            "HOCSO_WEB_RATE_LEARNER": "0.5",
            "HOCSO_WEB_RATE_LEARNER_BURST": "4",
            "HOCSO_WEB_RATE_CLIENT": "0",
            "HOCSO_WEB_NEW_LEARNERS": "100",
            "HOCSO_WEB_CLIENT_HEADER": "X-Real-IP",
        },
        {
            "web_limits": WebLimits(
                learner_rate=0.5,
                learner_burst=4.0,
                client_rate=0.0,
                new_learners=100.0,
                client_header="X-Real-IP",
            )
        },
    ),
    ({"HOCSO_WEB_RATE_LEARNER_BURST": "0.5"}, "HOCSO_WEB_RATE_LEARNER_BURST must be at least 1"),
    ({"HOCSO_WEB_NEW_LEARNERS": "0.5"}, "HOCSO_WEB_NEW_LEARNERS must be 0"),
    ({"HOCSO_WEB_RATE_CLIENT": "-1"}, "HOCSO_WEB_RATE_CLIENT must not be negative"),
]


@pytest.mark.parametrize(("environ", "expected"), WEB_SETTINGS)
def test_the_web_chat_settings(environ: dict[str, str], expected: dict[str, Any] | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            Settings.from_env(environ)
        return
    settings = Settings.from_env(environ)
    assert {name: getattr(settings, name) for name in expected} == expected


def test_a_store_failure_while_sending_is_retried_later() -> None:
    """The delivery loop retries a SendError with backoff; any store error must become one."""

    class Broken(MemoryStore):
        def remember(self, key: str, value: str, *, ttl: float | None = None) -> None:
            raise ConnectionError("the store is down")

    store = Broken()
    sender = WebSender(Transcripts(store, StoreCalls(store)), lambda image: None)
    with pytest.raises(SendError) as raised:
        asyncio.run(sender.send("chat", Outbound("…")))
    assert not raised.value.permanent


def test_a_delivery_sent_again_is_shown_once() -> None:
    """A worker that stored a message but stopped before the outbox heard leaves it queued;
    whoever sends it again names the same delivery, and the transcript keeps one copy."""
    store = MemoryStore()
    store.save(Learner("web:chat", created_at="2026-11-23T10:00:00+07:00"))
    transcripts = Transcripts(store, StoreCalls(store))
    sender = WebSender(transcripts, lambda image: None)

    async def send_twice() -> None:
        for key in ("web:chat:a/0", "web:chat:a/0", "web:chat:a/1", ""):
            await sender.send("chat", Outbound("…"), key=key)

    asyncio.run(send_twice())
    said = asyncio.run(transcripts.read("chat"))
    assert [message.get("delivery") for message in said.messages] == [
        "web:chat:a/0", "web:chat:a/1", None
    ]  # fmt: skip
    assert said.seq == 3


def test_the_store_down_is_a_503(content: Content) -> None:
    """...logged in one short line each, without a traceback."""
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with ServiceThread(web_settings(content, down)) as app, log_records("hocso") as records:
        token = set_cookie(httpx.get(f"{app.url}/chat"))[0]
        headers = cookie_header(token)
        sent = httpx.post(f"{app.url}/chat/api/send", json=OK_BODY, headers=headers)
        polled = httpx.get(f"{app.url}/chat/api/messages", headers=headers)
    assert sent.status_code == 503 and sent.json()["ok"] is False
    assert polled.status_code == 503
    failed = [record for record in records if getattr(record, "status", None) == 503]
    assert [record.getMessage() for record in failed] == [
        "update failed; it must be sent again",
        "web transcript could not be read",
    ]
    assert all(record.exc_info is None for record in records)
    for record in failed:  # refused; then not even tried, until Redis answers a ping
        assert str(getattr(record, "error", "")).startswith(("ConnectionError", "StoreUnavailable"))


def test_with_limits_on_and_the_store_down_the_page_still_loads(content: Content) -> None:
    """The limits live in the store: the page, which changes nothing there, is drawn without
    them (a line says so); the API, which needs the store anyway, answers 503."""
    down = f"redis://127.0.0.1:{free_port()}/0"
    settings = web_settings(content, down, web_limits=WebLimits())
    with ServiceThread(settings) as app, log_records("hocso") as records:
        page = httpx.get(f"{app.url}/chat")
        sent = httpx.post(f"{app.url}{SEND}", json=OK_BODY, headers=cookie_header(GOOD))
    assert page.status_code == 200 and set_cookie(page)[0]
    assert sent.status_code == 503
    said = [record.getMessage() for record in records if record.name == "hocso.webhook"]
    assert said == [
        "web client limit not checked: the store failed",
        "web client limit could not be checked",
    ]
    assert all(record.exc_info is None for record in records)


def test_without_a_secret_set_the_page_is_a_503_while_the_store_is_down(content: Content) -> None:
    """The secret kept in the store cannot be read: no cookie can be issued (one short line)."""
    down = f"redis://127.0.0.1:{free_port()}/0"
    settings = web_settings(content, down, web_secret=None)
    with ServiceThread(settings) as app, log_records("hocso") as records:
        page = httpx.get(f"{app.url}/chat")
        sent = httpx.post(f"{app.url}{SEND}", json=OK_BODY, headers=cookie_header(GOOD))
    assert (page.status_code, sent.status_code) == (503, 503)
    failed = [record.getMessage() for record in records if getattr(record, "status", 0) == 503]
    assert failed == [
        "web page could not issue a learner cookie",
        "web learner cookie could not be checked",
    ]
    assert all(record.exc_info is None for record in records)


# -- 7. pictures ---------------------------------------------------------------------------------

MEDIA_PATHS = [
    ("/media/ch-play.png", 200),
    ("/media/../../etc/passwd", 404),
    ("/media/%2e%2e/%2e%2e/etc/passwd", 404),
    ("/media/..%2f..%2f..%2fetc%2fpasswd", 404),
    ("/media/../lessons/mau.yaml", 404),
    ("/media/../messages.yaml", 404),
    ("/media/nothing-here.png", 404),
    ("/media/", 404),
    ("/media/ok.png%00.png", 404),  # was a 500: ValueError, embedded null byte
    ("/media/ch-play.png%00", 404),
    ("/media/" + "a" * 300 + ".png", 404),  # was a 500: OSError, a name over NAME_MAX
    ("/media/" + "a/" * 2100 + "x.png", 404),  # was a 500: OSError, a path over PATH_MAX
    ("/media/" + "%E1%BA%A9" * 100 + ".png", 404),  # 104 characters, a name of 304 bytes
    ("/media/%ff%fe.png", 404),  # not UTF-8
]


def test_pictures_are_served_and_nothing_outside_media(content: Content) -> None:
    """Every path gets its answer and at most one short log line: no traceback, and never
    a long path written out."""
    with (
        ServiceThread(web_settings(content, "memory://")) as app,
        log_records("hocso", "uvicorn") as records,
    ):
        got = []
        for path, _ in MEDIA_PATHS:
            before = len(records)
            # http.client sends the path as written (httpx would tidy the dots away).
            connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
            connection.request("GET", path)
            response = connection.getresponse()
            got.append((path, response.status, response.read(), records[before:]))
            connection.close()
    for (path, status, body, logged), (_, expected) in zip(got, MEDIA_PATHS, strict=True):
        assert status == expected, path
        if status == 200:
            assert body == (content.root / "media" / "ch-play.png").read_bytes()
        else:
            assert b"root:" not in body
        assert len(logged) <= 1, (path, [record.getMessage() for record in logged])
        for record in logged:
            said = record.getMessage()
            assert record.exc_info is None, path
            assert len(said) < 200 and "aaaaaaaaaa" not in said and "a/a/a/a/a/" not in said


# -- 8. the page ---------------------------------------------------------------------------------


def test_the_page_is_in_vietnamese_from_messages_yaml(content: Content) -> None:
    messages = content.messages
    with ServiceThread(web_settings(content, "memory://")) as app, httpx.Client() as client:
        page = client.get(f"{app.url}/chat?lesson=mau&v=V12")
        bad_link = client.get(f"{app.url}/chat?lesson=b%E1%BA%A1i%20m%E1%BA%ABu")
        config = page_config(page.text)
        assets = re.findall(r'(?:href|src)="(/chat/static/[^"]+)"', page.text)
        fetched = {url: client.get(app.url + url) for url in assets}
        stale = client.get(app.url + re.sub(r"/static/\w+/", "/static/0ld/", assets[0]))
        unknown = client.get(f"{app.url}/chat/static/x/chat.html")
        docs = client.get(f"{app.url}/openapi.json").json()

    html = page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert html.startswith('<!doctype html>\n<html lang="vi">')
    assert f"<title>{messages.text('web.title')}</title>" in html
    web_keys = {key for key in TEXTS if key.startswith("web.")}
    assert {f"web.{key}" for key in PAGE_TEXTS + SCRIPT_TEXTS} == web_keys  # each one used
    for key in PAGE_TEXTS:  # every word on the page is a sentence of messages.yaml
        assert messages.text(f"web.{key}") in html, key
    assert config["texts"] == {key: messages.text(f"web.{key}") for key in SCRIPT_TEXTS}
    assert config["commands"] == {"menu": "menu", "back": "quay lại", "help": "giúp"}
    assert config["start"] == "mau_V12"
    assert page_config(bad_link.text)["start"] is None  # not a lesson id: greeted instead
    assert '<label for="text">' in html and 'role="log"' in html and 'aria-live="polite"' in html
    assert "<noscript>" in html

    assert sorted(url.rsplit("/", 1)[1] for url in assets) == ["chat.css", "chat.js"]
    for url, response in fetched.items():
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-type"].startswith(("text/css", "text/javascript"))
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    assert unknown.status_code == 404
    assert {"/chat", "/chat/api/send", "/chat/api/messages"} <= docs["paths"].keys()


def test_changing_messages_yaml_changes_the_page(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    path = content.root / "messages.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('send: "Gửi"', 'send: "Gửi đi <nhé>"'),
        encoding="utf-8",
    )
    with ServiceThread(web_settings(load_content(content.root), "memory://")) as app:
        html = httpx.get(f"{app.url}/chat").text
    assert '<button type="submit" class="send">Gửi đi &lt;nhé&gt;</button>' in html


VIETNAMESE = re.compile(r"[À-ỹ]")  # any letter with a Vietnamese diacritic, and đ


def test_no_words_for_learners_in_the_code() -> None:
    """The script is plain ASCII, and no Python string of the web chat (docstrings aside)
    holds a Vietnamese word: they all live in messages.yaml."""
    assert SCRIPT.read_text(encoding="utf-8").isascii()
    found = []
    for path in WEB_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and VIETNAMESE.search(node.value)
            ):
                found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    assert found == []


# -- 9. logs ---------------------------------------------------------------------------------------


def test_the_logs_never_hold_a_learners_words_or_token(content: Content) -> None:
    secret = "bí mật xyzzy 0912345678"
    with (
        ServiceThread(web_settings(content, "memory://")) as app,
        json_lines() as lines,  # after the app set up its logging
        WebLearner(app.url) as lan,
    ):
        lan.open()
        lan.start("mau")
        lan.replies()
        lan.say(secret)
        lan.replies()
        lan.post(expect=400, id="abcd-1234", text=secret, payload=secret)
        token = lan.token
    assert token is not None
    text = "\n".join(lines)
    assert "xyzzy" not in text and "0912345678" not in text and "bí mật" not in text
    assert token not in text
    updates = [json.loads(line) for line in lines if '"msg": "update"' in line]
    assert [(u["channel"], u["kind"]) for u in updates] == [("web", "start"), ("web", "text")]
    assert updates[0]["learner"] == f"web:{chat_of(token)}"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_stop_ends_the_long_polls_at_once(content: Content, tmp_path: Path, workers: str) -> None:
    """`hocso serve` asked to stop (SIGTERM) answers the pages' long polls with 503 at once
    (the page asks again, of the next server) instead of waiting for them for up to 25 s."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOCSO_", "TELEGRAM_", "ZALO_"))
    }
    env.update(
        HOCSO_CONTENT=str(content.root),
        HOCSO_STORE=f"sqlite:///{tmp_path / 'h.db'}",
        HOCSO_WEB_SECRET=WEB_SECRET,
    )
    server = ServeProcess(env, tmp_path / "serve.log", "--workers", workers).start()
    try:
        with ThreadPoolExecutor(4) as pool:
            polls = [
                pool.submit(
                    httpx.get,
                    f"{server.url}{POLL}?after=0&wait=25",
                    headers=cookie_header(signed("p" * 31 + str(n))),
                    timeout=30,
                )
                for n in range(4)
            ]
            # The polls are held: all four accepted by the server (with other test processes
            # on the same cores a client thread may take longer than any fixed pause to connect).
            serving = {server.pid, *processes.workers(server.pid)}
            wait_until(
                lambda: processes.accepted(server.port, serving) == 4, 20, "the 4 polls held"
            )
            assert not any(poll.done() for poll in polls)
            started = time.monotonic()
            server.stop(timeout=20)
            took = time.monotonic() - started
            answers = [poll.result() for poll in polls]
    finally:
        server.kill()
    assert took < 8, server.output()
    assert [answer.status_code for answer in answers] == [503] * 4
    assert all(answer.headers["retry-after"] == "1" for answer in answers)


# -- 10. limits: a person typing fast, a script, a crowd -----------------------------------------

SLOW = 0.001  # a rate (per second) so slow that no token comes back while a test runs


def limited(content: Content, store: str, **limits: Any) -> Settings:
    return web_settings(content, store, web_limits=WebLimits(**limits))


def at(address: str) -> dict[str, str]:
    """A request's headers from `address`, through a proxy on this machine (uvicorn takes the
    client's address from X-Forwarded-For when it comes from 127.0.0.1)."""
    return {"X-Forwarded-For": address}


def test_a_learner_sending_too_fast_is_told_to_wait(content: Content, store_url: str) -> None:
    """A learner's messages beyond the burst get 429 and when to send again; nothing of them is
    applied (the page sends each again, with its id, after the wait)."""
    settings = limited(content, store_url, learner_rate=SLOW, learner_burst=3)
    with (
        ServiceThread(settings) as app,
        WebLearner(app.url) as lan,
        WebLearner(app.url) as other,
        log_records("hocso") as records,
    ):
        lan.open()
        other.open()
        answers = [lan.post(expect=None, text=f"tin {n}") for n in range(8)]
        theirs = other.post(expect=None, text="tin")  # another learner, same address
        app.wait_sent()
        learner = app.store.get(learner_of(app, lan))
        pending = app.store.pending()
    assert [answer.status_code for answer in answers] == [200] * 3 + [429] * 5
    assert theirs.status_code == 200
    for answer in answers[3:]:
        body = answer.json()
        assert body["ok"] is False and 0 < body["retry_after"] <= 1 / SLOW
        assert answer.headers["retry-after"] == str(math.ceil(body["retry_after"]))
    assert learner is not None and learner.turns == 3 and pending == 0
    over = [record for record in records if getattr(record, "status", 0) == 429]
    assert 1 <= len(over) <= 2, [record.getMessage() for record in over]  # one a second at most
    assert all(record.exc_info is None for record in records)


def test_a_client_sending_too_much_gets_429(content: Content) -> None:
    """Every request of one client address counts, whichever learner it is for: a script
    hammering the API or the page is held to the limit; other addresses are not."""
    settings = limited(content, "memory://", client_rate=SLOW, client_burst=4)
    with ServiceThread(settings) as app, httpx.Client(base_url=app.url) as client:
        page = client.get("/chat", headers=at("203.0.113.7"))
        cookie = cookie_header(set_cookie(page)[0])
        script = [
            client.post(SEND, json={**OK_BODY, "id": f"script-{n}"}, headers={**cookie, **at(a)})
            for n, a in enumerate(["203.0.113.7"] * 5)
        ]
        polled = client.get(POLL, headers={**cookie, **at("203.0.113.7")})
        elsewhere = client.get(POLL, headers={**cookie, **at("198.51.100.2")})
        again = client.get("/chat", headers={**cookie, **at("203.0.113.7")})
        learner = app.store.get(f"web:{chat_of(set_cookie(page)[0])}")
    assert page.status_code == 200
    assert [answer.status_code for answer in script] == [200, 200, 200, 429, 429]
    assert (polled.status_code, elsewhere.status_code, again.status_code) == (429, 200, 429)
    assert "set-cookie" not in again.headers
    assert learner is not None and learner.turns == 3


def test_new_learners_from_one_client_are_capped_per_hour(content: Content) -> None:
    """A script loading the page again and again without a cookie gets a few learners, then a
    kind page that tries again later; a learner who has a cookie is never refused for it."""
    settings = limited(content, "memory://", new_learners=3)
    with ServiceThread(settings) as app:
        pages = [httpx.get(f"{app.url}/chat", headers=at("203.0.113.7")) for _ in range(6)]
        cookies = [set_cookie(page)[0] for page in pages if page.status_code == 200]
        mine = {**at("203.0.113.7"), **cookie_header(cookies[0])}
        known = httpx.get(f"{app.url}/chat", headers=mine)
        elsewhere = httpx.get(f"{app.url}/chat", headers=at("198.51.100.2"))
    assert [page.status_code for page in pages] == [200] * 3 + [429] * 3
    assert len(set(cookies)) == 3
    busy = pages[-1]
    assert "set-cookie" not in busy.headers
    assert busy.headers["content-type"].startswith("text/html")
    wait = page_config(busy.text)["busy"]
    assert 0 < wait <= 3600 / 3 and busy.headers["retry-after"] == str(math.ceil(wait))
    assert page_config(pages[0].text)["busy"] is None
    assert (known.status_code, elsewhere.status_code) == (200, 200)
    assert set_cookie(known)[0] == cookies[0]


# the header named by HOCSO_WEB_CLIENT_HEADER (None: none), the headers of three requests, and
# what they get: a client's address is the header's last one, only when the setting names it
CLIENT_HEADERS: list[tuple[str | None, list[dict[str, str]], list[int]]] = [
    (None, [{"X-Real-IP": "192.0.2.1"}, {"X-Real-IP": "192.0.2.2"}, {}], [200, 200, 429]),
    ("X-Real-IP", [{"X-Real-IP": "192.0.2.1"}, {"X-Real-IP": "192.0.2.2"}, {}], [200, 200, 200]),
    ("X-Real-IP", [{"X-Real-IP": "192.0.2.1"}] * 3, [200, 200, 429]),
    ("X-Client", [{"X-Client": "10.0.0.1, 192.0.2.1"}, {"X-Client": "10.0.0.2, 192.0.2.1"}, {}],
     [200, 200, 200]),
]  # fmt: skip


@pytest.mark.parametrize(("header", "requests", "statuses"), CLIENT_HEADERS)
def test_a_trusted_proxy_header_names_the_client_only_when_set(
    content: Content, header: str | None, requests: list[dict[str, str]], statuses: list[int]
) -> None:
    settings = limited(content, "memory://", client_rate=SLOW, client_burst=2, client_header=header)
    with ServiceThread(settings) as app, httpx.Client(base_url=app.url) as client:
        got = [client.get("/chat", headers=headers).status_code for headers in requests]
    assert got == statuses
