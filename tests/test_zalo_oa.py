"""The Zalo Official Account channel over real HTTP: signed events posted with httpx to the app
under uvicorn (in a thread), replies sent with httpx to the stand-in OA API and OAuth server
(`support.fake_zalo_oa`), state read back from the store, on SQLite and Redis.

Delivery limits are the channel's own (20 messages a second overall): no test here waits on
them."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from bot.content import Content
from bot.progress import progress_json
from bot.stores import open_store
from bot.stores.base import Failure
from handlers.zalo_oa import KEY, ZaloOASender, render
from support.chat import fixture_content, plain
from support.fake_zalo_oa import (
    APP_ID,
    OA_SECRET,
    FakeZaloOA,
    OALearner,
    OAWebhook,
    Scripted,
    Sent,
    error,
    follow_event,
    media_event,
    now_ms,
    server_error,
    sign,
    text_event,
    user_event,
)
from support.logs import json_lines
from support.redis_server import delete_prefix, store_url_with_prefix
from support.service import ServiceThread, oa_settings_for
from support.waiting import wait_until
from webhook.settings import Settings


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


@pytest.fixture
def zalo() -> Iterator[FakeZaloOA]:
    with FakeZaloOA() as server:
        yield server


def sender_of(app: ServiceThread) -> ZaloOASender:
    return cast(ZaloOASender, app.service.outlets["zalo-oa"].sender)


def stored_tokens(store_url: str) -> dict[str, Any] | None:
    """The token pair in the store, read as another process would."""
    store = open_store(store_url)
    try:
        text = store.recall(KEY)
    finally:
        store.close()
    return None if text is None else cast(dict[str, Any], json.loads(text))


# -- 1. a whole lesson ------------------------------------------------------------------------


def test_a_whole_lesson_through_signed_webhooks(
    zalo: FakeZaloOA, content: Content, shared_store_url: str
) -> None:
    user = "4100000000000000001"
    with ServiceThread(oa_settings_for(zalo, content.root, shared_store_url)) as app:

        async def lesson() -> None:
            async with OAWebhook(app.url) as hook:
                lan = OALearner(hook, zalo, user)
                await lan.follow()
                (menu,) = await lan.replies()
                assert menu.text.startswith(plain(content, "greeting"))
                assert menu.labels == ["Bài mẫu", "Bài sau"]
                # A reply button's payload is its label: what the learner sees in the chat
                # when they tap it, and what the engine reads as the tap.
                assert all(b["type"] == "oa.query.show" for b in menu.buttons)
                assert [b["payload"] for b in menu.buttons] == menu.labels

                await lan.tap("Bài mẫu")
                (opening,) = await lan.replies()
                assert opening.text.startswith("📘 Bài mẫu (khoảng 3 phút)")
                assert opening.labels == ["Bắt đầu ▶"]

                await lan.tap("Bắt đầu")
                (question,) = await lan.replies()
                assert question.text == "Điện thoại của bác là loại nào?"
                assert question.labels == ["Android", "iPhone"]

                await lan.say("samsung")  # typed: an `also` word of the Android option
                picture, android = await lan.replies(2)
                assert picture.image == "https://hocso.example.vn/media/ch-play.png"
                assert android.text == "Trên Android, bác mở CH Play."  # no * left
                assert android.labels == ["Tiếp tục ▶"]

                await lan.tap("Tiếp tục")
                (quiz,) = await lan.replies()
                assert quiz.text == "Ai được biết mã OTP của bác?"
                assert quiz.labels == [
                    "Chỉ mình tôi",
                    "Công an gọi điện hỏi",
                    "Nhân viên ngân hàng",
                ]

                await lan.tap("Chỉ mình tôi")
                (right,) = await lan.replies()
                assert right.text.startswith("✅ Đúng rồi! OTP chỉ mình bác được biết.")
                assert right.text.endswith("Muốn báo lừa đảo, bác nhắn tin đến số mấy?")
                assert right.buttons == ()

                await lan.say("mot nam sau")  # "một năm sáu", typed without diacritics
                # Too long for one screen: the praise, the certificate, the name to print.
                done, earned, asked = await lan.replies(3)
                assert done.text.startswith("✅ Đúng rồi! Nhắn tin đến 156.")
                assert "Chúc mừng bác đã học xong bài Bài mẫu" in done.text
                assert "HS-" in earned.text
                assert asked.labels == ["Để sau"]  # an OA gives no name to offer

                await lan.say("nguyễn thị hường")  # the name to print on the certificate
                saved, picture, certificate, following = await lan.replies(4)
                assert "Nguyễn Thị Hường" in saved.text
                assert picture.image is not None and "/certificate/HS-" in picture.image
                assert certificate.labels == [plain(content, "certificate.pdf")]
                assert following.labels == ["▶ Học bài tiếp theo", "📋 Danh sách bài học"]

                await lan.tap("📋 Danh sách")
                (again,) = await lan.replies()
                assert again.text.startswith(plain(content, "menu.intro"))

        asyncio.run(lesson())
        app.wait_sent()
        learner = app.store.get(f"zalo:{user}")
    assert len(zalo.messages(user)) == 15  # nothing more, nothing twice
    assert all("*" not in sent.text for sent in zalo.messages(user))
    assert learner is not None and learner.turns == 9
    progress = progress_json(learner)
    assert progress["lessons"]["mau"]["status"] == "passed"
    assert progress["lessons"]["mau"]["score"] == 1.0
    assert [certificate["id"] for certificate in progress["certificates"]] == ["chi-mau"]
    # Every call carried the OA's access token and the user as recipient.
    for call in zalo.calls(user=user):
        assert call.headers["access_token"] == "AT-0"
        assert call.body["recipient"] == {"user_id": user}


EXTRA = {
    f"bai-{n}": f"id: bai-{n}\ntitle: Bài số {n}\nsteps:\n  - id: mot\n    say: Bài số {n}.\n"
    for n in range(3, 7)
}


def test_follow_greets_with_the_menu_and_more_than_five_buttons_go_on(
    zalo: FakeZaloOA, tmp_path: Path
) -> None:
    """Six lessons make six menu buttons: five under the menu, the sixth in a message of its
    own under a short sentence; tapping that one works like any other. (The greeting goes
    alone: with six buttons under it, it would not fit one phone screen.)"""
    content = fixture_content(tmp_path, EXTRA)
    user = "4100000000000000002"
    with ServiceThread(oa_settings_for(zalo, content.root, "memory://")) as app:

        async def talk() -> None:
            async with OAWebhook(app.url) as hook:
                lan = OALearner(hook, zalo, user)
                await lan.follow()
                greeting, first, rest = await lan.replies(3)
                assert greeting.text == plain(content, "greeting") and greeting.labels == []
                assert first.text.startswith(plain(content, "menu.intro"))
                assert first.labels == ["Bài mẫu", "Bài sau", "Bài số 3", "Bài số 4", "Bài số 5"]
                assert rest.text == plain(content, "zalo_oa.more_buttons")
                assert rest.labels == ["Bài số 6"]
                await lan.tap("Bài số 6")
                (opening,) = await lan.replies()
                assert "Bài số 6." in opening.text

        asyncio.run(talk())
        app.wait_sent()


# -- 2. the signature, replays, bodies --------------------------------------------------------

MAX_BODY = 64 * 1024
DAY_MS = 24 * 3600 * 1000


def ago(ms: int) -> str:
    return str(int(time.time() * 1000) - ms)


def signed(event: Any, **how: Any) -> tuple[bytes, str | None]:
    raw = json.dumps(event, ensure_ascii=False).encode()
    return raw, sign(raw, str(event.get("timestamp") if isinstance(event, dict) else ""), **how)


def ascii_signed(event: dict[str, Any]) -> tuple[bytes, str | None]:
    """Signed JSON with every non-ASCII character escaped (a lone surrogate included)."""
    raw = json.dumps(event).encode()
    return raw, sign(raw, str(event["timestamp"]))


def with_msg_id(event: dict[str, Any], msg_id: str) -> dict[str, Any]:
    return {**event, "message": {**event["message"], "msg_id": msg_id}}


def raw_signed(raw: bytes, timestamp: str = "1") -> tuple[bytes, str | None]:
    return raw, sign(raw, timestamp)


def unsigned(raw: bytes) -> tuple[bytes, str | None]:
    return raw, None


def tampered(user: str) -> tuple[bytes, str | None]:
    raw, mac = signed(text_event(user, "menu"))
    return raw.replace(b"menu", b"help"), mac


def numeric_timestamp(user: str) -> tuple[bytes, str | None]:
    event = text_event(user, "menu")
    event["timestamp"] = int(event["timestamp"])
    return signed(event)


def edited(event: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**event, **fields}


Case = Callable[[str], tuple[bytes, str | None]]

SIGNATURES: list[Any] = [
    pytest.param(lambda u: signed(text_event(u, "menu")), 200, "greeting", id="valid"),
    pytest.param(lambda u: signed(follow_event(u)), 200, "greeting", id="follow"),
    pytest.param(
        lambda u: (signed(text_event(u, "menu"))[0], None), 401, None, id="signature-missing"
    ),
    pytest.param(
        lambda u: signed(text_event(u, "menu"), secret="not-the-oa-secret"),
        403,
        None,
        id="signed-with-another-secret",
    ),
    pytest.param(
        lambda u: signed(text_event(u, "menu"), secret=""), 403, None, id="signed-without-secret"
    ),
    pytest.param(tampered, 403, None, id="body-changed-after-signing"),
    pytest.param(
        lambda u: (signed(text_event(u, "menu"))[0], "mac=" + "0" * 64),
        403,
        None,
        id="signature-of-zeros",
    ),
    pytest.param(lambda u: (signed(text_event(u, "menu"))[0], ""), 403, None, id="signature-empty"),
    pytest.param(
        lambda u: (lambda raw, mac: (raw, (mac or "").upper()))(*signed(text_event(u, "menu"))),
        200,
        "greeting",
        id="signature-in-capitals",  # MAC= and hex in capitals: the same signature
    ),
    pytest.param(
        lambda u: signed(text_event(u, "menu", app_id="1111111111111111111"), app_id="1" * 19),
        403,
        None,
        id="another-apps-event",  # signed for its own app id: still not ours
    ),
    pytest.param(
        lambda u: signed(text_event(u, "menu", app_id="1111111111111111111")),
        403,
        None,
        id="another-app-id-signed-as-ours",
    ),
    pytest.param(
        lambda u: signed(text_event(u, "menu", at=ago(DAY_MS + 60_000))),
        403,
        None,
        id="timestamp-over-a-day-old",  # a replay after its dedupe record could expire
    ),
    pytest.param(
        lambda u: signed(text_event(u, "menu", at=ago(-DAY_MS - 60_000))),
        403,
        None,
        id="timestamp-a-day-ahead",
    ),
    pytest.param(
        lambda u: signed(text_event(u, "menu", at=ago(3600 * 1000))),
        200,
        "greeting",
        id="timestamp-an-hour-old",  # Zalo's last retry
    ),
    pytest.param(numeric_timestamp, 200, "greeting", id="timestamp-a-number"),
    pytest.param(
        lambda u: signed(text_event(u, "menu", at=str(int(time.time())))),
        200,
        "greeting",
        id="timestamp-in-seconds",
    ),
    pytest.param(
        lambda u: signed(text_event(u, "menu", at=str(int(time.time()) - 2 * 86400))),
        403,
        None,
        id="timestamp-in-seconds-too-old",
    ),
    pytest.param(lambda u: unsigned(b"{}"), 200, None, id="unsigned-empty-object"),
    pytest.param(lambda u: unsigned(b" {}\n"), 200, None, id="unsigned-empty-object-spaced"),
    pytest.param(lambda u: unsigned(b'{"a": 1}'), 401, None, id="unsigned-other-object"),
    pytest.param(
        lambda u: unsigned(json.dumps(follow_event(u)).encode()), 401, None, id="unsigned-follow"
    ),
    pytest.param(lambda u: raw_signed(b"{}"), 400, None, id="signed-empty-object"),
    pytest.param(lambda u: raw_signed(b"not json"), 400, None, id="signed-not-json"),
    pytest.param(lambda u: raw_signed(b"[1, 2]"), 400, None, id="signed-a-list"),
    pytest.param(lambda u: raw_signed(b"[" * 5000 + b"]" * 5000), 400, None, id="nested-deep"),
    pytest.param(lambda u: raw_signed(b"\xff\xfe{"), 400, None, id="bad-utf8"),
    pytest.param(
        lambda u: signed(edited(text_event(u, "menu"), app_id=None)), 400, None, id="no-app_id"
    ),
    pytest.param(
        lambda u: signed(edited(text_event(u, "menu"), timestamp=None)),
        400,
        None,
        id="no-timestamp",
    ),
    pytest.param(
        lambda u: signed(edited(text_event(u, "menu"), timestamp="soon")),
        400,
        None,
        id="timestamp-not-digits",
    ),
    pytest.param(
        lambda u: signed(edited(text_event(u, "menu"), event_name=None)),
        400,
        None,
        id="no-event_name",
    ),
    pytest.param(
        lambda u: signed(edited(text_event(u, "menu"), sender={})), 400, None, id="no-sender-id"
    ),
    pytest.param(
        lambda u: signed(edited(text_event(u, "menu"), sender={"id": "a:b c"})),
        400,
        None,
        id="sender-id-not-an-id",
    ),
    pytest.param(
        lambda u: signed(user_event(u, "user_send_text", {"text": 5})),
        400,
        None,
        id="text-not-text",
    ),
    pytest.param(
        lambda u: signed(edited(text_event(u, "menu"), message="hi")),
        400,
        None,
        id="message-not-an-object",
    ),
    pytest.param(
        lambda u: signed(edited(follow_event(u), follower=None)), 400, None, id="follow-no-user"
    ),
    pytest.param(
        lambda u: raw_signed(b'{"x": "' + b" " * MAX_BODY + b'"}'), 413, None, id="too-large"
    ),
    pytest.param(lambda u: signed(follow_event(u, "unfollow")), 200, None, id="unfollow"),
    pytest.param(
        lambda u: signed(user_event(u, "oa_send_text", {"text": "Chào bác"})),
        200,
        None,
        id="echo-of-our-own-message",
    ),
    pytest.param(
        lambda u: signed(user_event(u, "user_seen_message", {"msg_ids": ["a", "b"]})),
        200,
        None,
        id="seen",
    ),
    pytest.param(
        lambda u: signed(user_event(u, "user_received_message", {})), 200, None, id="received"
    ),
    pytest.param(
        lambda u: signed(user_event(u, "user_reacted_message", {"react_icon": "/-heart"})),
        200,
        None,
        id="a-kind-not-read",
    ),
    pytest.param(lambda u: signed(media_event(u, "image")), 200, "input.photo", id="image"),
    pytest.param(lambda u: signed(media_event(u, "sticker")), 200, "input.sticker", id="sticker"),
    pytest.param(lambda u: signed(media_event(u, "gif")), 200, "input.sticker", id="gif"),
    pytest.param(lambda u: signed(media_event(u, "audio")), 200, "input.voice", id="audio"),
    pytest.param(lambda u: signed(media_event(u, "video")), 200, "input.video", id="video"),
    pytest.param(lambda u: signed(media_event(u, "file")), 200, "input.file", id="file"),
    pytest.param(
        lambda u: signed(media_event(u, "location")), 200, "input.location", id="location"
    ),
    pytest.param(lambda u: signed(media_event(u, "link")), 200, "input.other", id="link"),
    # found by test_fuzz_parsers: an event id the store cannot keep was a 503, sent again for
    # an hour; a msg_id that is no Zalo id now stands aside for event, user and timestamp
    pytest.param(
        lambda u: ascii_signed(with_msg_id(text_event(u, "menu"), "\ud800")),
        200,
        "greeting",
        id="msg_id-a-lone-surrogate",
    ),
    pytest.param(
        lambda u: signed(with_msg_id(text_event(u, "menu"), "a b\n\x00")),
        200,
        "greeting",
        id="msg_id-with-control-characters",
    ),
]


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def oa_service(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[FakeZaloOA, ServiceThread, Content, str]]:
    """One service for the whole table (each case has a user of its own)."""
    with tempfile.TemporaryDirectory() as folder, FakeZaloOA() as zalo:
        content = fixture_content(Path(folder))
        if request.param == "sqlite":
            url = f"sqlite:///{Path(folder) / 'hocso.db'}"
        else:
            redis_url: str = request.getfixturevalue("redis_url")
            url = store_url_with_prefix(redis_url, f"hocso-test-oa-{time.time_ns()}")
        settings = oa_settings_for(zalo, content.root, url, max_body=MAX_BODY)
        try:
            with ServiceThread(settings) as app:
                yield zalo, app, content, url
        finally:
            if request.param == "redis":
                delete_prefix(url)


_users = iter(range(4200000000000000000, 4300000000000000000))


def post(app: ServiceThread, raw: bytes, mac: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if mac is not None:
        headers["X-ZEvent-Signature"] = mac
    return httpx.post(f"{app.url}/webhook/zalo-oa", content=raw, headers=headers)


@pytest.mark.parametrize(("case", "status", "reply"), SIGNATURES)
def test_signatures_and_bodies(
    oa_service: tuple[FakeZaloOA, ServiceThread, Content, str],
    case: Case,
    status: int,
    reply: str | None,
) -> None:
    zalo, app, content, _ = oa_service
    user = str(next(_users))
    before = 0
    if reply != "greeting":
        # Someone who follows the OA first: what the case adds (or not) comes after.
        assert post(app, *signed(follow_event(user))).status_code == 200
        before = len(zalo_wait(zalo, user, 1))
    raw, mac = case(user)
    answer = post(app, raw, mac)
    assert answer.status_code == status, answer.text
    app.wait_sent()
    learner = app.store.get(f"zalo:{user}")
    if reply is None:
        time.sleep(0.05)  # a reply wrongly queued would be on its way
        assert len(zalo.messages(user)) == before
        assert learner is None or learner.turns == before
        return
    said = zalo_wait(zalo, user, before + 1)
    assert said[-1].text.startswith(plain(content, reply)), said[-1].text
    assert learner is not None and learner.turns == before + 1


def zalo_wait(zalo: FakeZaloOA, user: str, count: int) -> list[Sent]:
    return zalo.wait_for_messages(user, count, timeout=10)


def test_the_same_request_replayed_is_applied_once(
    oa_service: tuple[FakeZaloOA, ServiceThread, Content, str],
) -> None:
    """A signed request captured and posted again (or redelivered by Zalo), one after the
    other and all at once: 200 each time, applied once. Follow has no msg_id: its id is made
    of the event, the user and the timestamp."""
    zalo, app, _, _ = oa_service
    user = str(next(_users))
    follow = signed(follow_event(user))
    help_text = signed(text_event(user, "giúp"))

    async def replay() -> list[int]:
        async with httpx.AsyncClient() as client:
            url = f"{app.url}/webhook/zalo-oa"

            async def once(raw: bytes, mac: str | None) -> int:
                headers = {"X-ZEvent-Signature": mac or "", "Content-Type": "application/json"}
                return (await client.post(url, content=raw, headers=headers)).status_code

            codes = [await once(*follow) for _ in range(3)]
            codes += await asyncio.gather(*(once(*help_text) for _ in range(5)))
            return codes

    codes = asyncio.run(replay())
    app.wait_sent()
    time.sleep(0.05)
    assert codes == [200] * 8
    assert len(zalo.messages(user)) == 2
    learner = app.store.get(f"zalo:{user}")
    assert learner is not None and learner.turns == 2


def test_routes_without_the_zalo_oa_channel(content: Content) -> None:
    with ServiceThread(Settings(content=content.root, store="memory://")) as app:
        answer = post(app, *signed(follow_event("4100000000000000003")))
        ping = post(app, b"{}", None)
        schema = httpx.get(f"{app.url}/openapi.json").json()
    assert (answer.status_code, ping.status_code) == (404, 404)
    assert "X-ZEvent-Signature" in json.dumps(schema["paths"]["/webhook/zalo-oa"])


def test_the_app_secret_defaults_to_the_oa_secret_key() -> None:
    base = {"ZALO_OA_APP_ID": APP_ID, "ZALO_OA_SECRET_KEY": OA_SECRET, "ZALO_OA_REFRESH_TOKEN": "r"}
    assert Settings.from_env(base).zalo_oa_app_secret is None  # the service falls back
    with_app = Settings.from_env({**base, "ZALO_OA_APP_SECRET": "app"})
    assert with_app.zalo_oa and with_app.zalo_oa_app_secret == "app"


# -- 3. tokens --------------------------------------------------------------------------------


def test_token_refresh_stores_the_new_pair_before_using_it(
    zalo: FakeZaloOA, content: Content, shared_store_url: str
) -> None:
    """-216: refresh with RT-0, and the first call with the new access token finds the new
    refresh token already in the store; later -220: the next refresh spends RT-1."""
    user = "4100000000000000004"
    zalo.observe = lambda token: (token, stored_tokens(shared_store_url))
    with (
        ServiceThread(oa_settings_for(zalo, content.root, shared_store_url)) as app,
        json_lines() as lines,
    ):

        async def talk() -> None:
            async with OAWebhook(app.url) as hook:
                lan = OALearner(hook, zalo, user)
                await lan.follow()
                await lan.replies()
                zalo.script(error(-216), user=user)  # the token was revoked
                await lan.say("giúp")
                await lan.replies()
                zalo.expire_access()  # 25 hours later
                await lan.say("giúp")
                await lan.replies()

        asyncio.run(talk())
        app.wait_sent()
    refreshes = zalo.refreshes()
    assert [call.body["refresh_token"] for call in refreshes] == ["RT-0", "RT-1"]
    assert [call.answer.get("access_token") for call in refreshes] == ["AT-1", "AT-2"]
    for call in refreshes:
        assert call.headers["secret_key"] == "app-secret_ABCDEFGHIJ"
        assert call.body["app_id"] == APP_ID and call.body["grant_type"] == "refresh_token"
    calls = zalo.calls(user=user)
    assert [(call.headers["access_token"], call.error) for call in calls] == [
        ("AT-0", 0),
        ("AT-0", -216),
        ("AT-1", 0),
        ("AT-1", -220),
        ("AT-2", 0),
    ]
    for token, refresh in (("AT-1", "RT-1"), ("AT-2", "RT-2")):
        first = next(call for call in calls if call.headers["access_token"] == token)
        seen_token, stored = first.observed
        assert seen_token == token
        assert stored is not None and stored["refresh"] == refresh and stored["access"] == token
        assert stored["expires_at"] > time.time() + 24 * 3600
    output = "\n".join(lines)
    assert "OA access token refreshed" in output
    for secret in ("AT-0", "AT-1", "AT-2", "RT-0", "RT-1", "RT-2", "app-secret_ABCDEFGHIJ"):
        assert secret not in output


def test_a_restarted_service_starts_from_the_stored_pair(
    zalo: FakeZaloOA, content: Content, shared_store_url: str
) -> None:
    """The settings still say AT-0/RT-0, both dead after a refresh: the stored pair wins."""
    user = "4100000000000000005"
    settings = oa_settings_for(zalo, content.root, shared_store_url)
    for _ in range(2):
        with ServiceThread(settings) as app:

            async def talk() -> None:
                async with OAWebhook(app.url) as hook:
                    lan = OALearner(hook, zalo, user)
                    lan.seen = len(lan.messages)
                    zalo.expire_access()
                    await lan.say("giúp")
                    await lan.replies()

            asyncio.run(talk())
            app.wait_sent()
    assert [call.body["refresh_token"] for call in zalo.refreshes()] == ["RT-0", "RT-1"]
    assert all(call.answer.get("access_token") for call in zalo.refreshes())


def test_a_token_about_to_expire_is_refreshed_before_it_is_refused(
    zalo: FakeZaloOA, content: Content, shared_store_url: str
) -> None:
    """Once a refresh told how long the token lasts, the next one comes shortly before that
    (here: at once), with no refused call; with the OAuth server down meanwhile, the token
    that still works is used."""
    user = "4100000000000000011"
    with ServiceThread(oa_settings_for(zalo, content.root, shared_store_url)) as app:
        tokens = sender_of(app).tokens

        async def talk() -> None:
            async with OAWebhook(app.url) as hook:
                lan = OALearner(hook, zalo, user)
                zalo.expire_access()
                await lan.follow()  # -220, refreshed: AT-1, valid for 25 hours
                await lan.replies()
                tokens.early = 25 * 3600 + 60  # from now on, AT-1 is about to expire
                tokens.gap = 0.01  # a failed refresh is tried again this much later
                zalo.oauth_down = True
                await lan.say("giúp")  # the refresh fails: AT-1 still works
                await lan.replies()
                zalo.oauth_down = False
                await lan.say("giúp")  # refreshed first: AT-2
                await lan.replies()

        asyncio.run(talk())
        app.wait_sent()
    assert [(call.headers["access_token"], call.error) for call in zalo.calls(user=user)] == [
        ("AT-0", -220),
        ("AT-1", 0),
        ("AT-1", 0),
        ("AT-2", 0),
    ]
    assert [(call.body["refresh_token"], call.status) for call in zalo.refreshes()] == [
        ("RT-0", 200),
        ("RT-1", 503),
        ("RT-1", 200),
    ]


def test_a_new_pair_in_the_settings_starts_a_new_chain(
    zalo: FakeZaloOA, content: Content, shared_store_url: str
) -> None:
    """After re-authorising the app, the admin puts the new pair in the settings: the service
    uses it rather than the stored chain of the old settings, and keeps its own chain after."""
    user = "4100000000000000012"

    def talk(settings: Settings) -> None:
        with ServiceThread(settings) as app:

            async def say() -> None:
                async with OAWebhook(app.url) as hook:
                    lan = OALearner(hook, zalo, user)
                    lan.seen = len(lan.messages)
                    await lan.say("giúp")
                    await lan.replies()

            asyncio.run(say())
            app.wait_sent()

    zalo.expire_access()
    talk(oa_settings_for(zalo, content.root, shared_store_url))  # refreshed: AT-1, RT-1
    access, refresh = zalo.reauthorize()
    renewed = oa_settings_for(
        zalo,
        content.root,
        shared_store_url,
        zalo_oa_access_token=access,
        zalo_oa_refresh_token=refresh,
    )
    talk(renewed)  # the new pair as it is
    zalo.expire_access()
    talk(renewed)  # refreshed from the new pair: its chain, stored
    talk(renewed)  # a restart with the same settings: the stored chain of the new pair
    assert (access, refresh) == ("AT-2", "RT-2")
    assert [call.body["refresh_token"] for call in zalo.refreshes()] == ["RT-0", "RT-2"]
    assert [(call.headers["access_token"], call.error) for call in zalo.calls(user=user)] == [
        ("AT-0", -220),
        ("AT-1", 0),
        ("AT-2", 0),
        ("AT-2", -220),
        ("AT-3", 0),
        ("AT-3", 0),
    ]


def test_a_refresh_token_zalo_refused_is_never_sent_again(
    zalo: FakeZaloOA, content: Content, shared_store_url: str
) -> None:
    """The settings' pair is dead (the app was authorised again elsewhere): Zalo answers the
    refresh with HTTP 200 and an error. The deliveries that need it fail for good, with one
    error line, and the OAuth server is not asked again: not by this service (however soon it
    may try), nor by one started again with the same settings. A new pair in the settings
    starts again."""
    user = "4100000000000000014"
    new_access, new_refresh = zalo.reauthorize()  # AT-0 and RT-0, in the settings, are dead
    dead = oa_settings_for(zalo, content.root, shared_store_url)

    def talk(settings: Settings, *events: dict[str, Any]) -> tuple[int, list[str]]:
        with ServiceThread(settings) as app, json_lines() as lines:
            sender_of(app).tokens.gap = 0.001  # nothing but a refusal keeps it from OAuth
            before = len(app.store.failures())
            for event in events:
                assert post(app, *signed(event)).status_code == 200
            app.wait_sent(timeout=15)
            return len(app.store.failures()) - before, lines

    failed, lines = talk(dead, follow_event(user), text_event(user, "giúp"))
    failed_again, lines_again = talk(dead, text_event(user, "giúp"))
    assert [(call.body["refresh_token"], call.answer["error"]) for call in zalo.refreshes()] == [
        ("RT-0", -14014)
    ]
    assert (failed, failed_again) == (2, 1)
    reasons = [failure.reason for failure in open_store_failures(shared_store_url)]
    assert all("Zalo refused the OA refresh token" in reason for reason in reasons), reasons
    refused = [line for line in lines if '"level": "error"' in line]
    assert len(refused) == 1 and "ZALO_OA_REFRESH_TOKEN" in refused[0], refused
    assert not [line for line in lines_again if '"level": "error"' in line]
    for secret in ("AT-0", "RT-0", "AT-1", "RT-1", "app-secret_ABCDEFGHIJ"):
        assert secret not in "\n".join(lines + lines_again)

    renewed = replace(dead, zalo_oa_access_token=new_access, zalo_oa_refresh_token=new_refresh)
    zalo.expire_access()  # the new pair's access token too: its refresh token is spent
    failed_renewed, _ = talk(renewed, text_event(user, "giúp"))
    assert failed_renewed == 0
    assert zalo.messages(user)[-1].text.startswith(plain(content, "help").split("\n")[0])
    assert [call.body["refresh_token"] for call in zalo.refreshes()] == ["RT-0", "RT-1"]


def test_an_oauth_server_error_is_retried_with_the_same_refresh_token(
    zalo: FakeZaloOA, content: Content
) -> None:
    """HTTP 5xx from the OAuth server is not a refusal: the delivery is tried again, with the
    same refresh token, and goes once the server answers."""
    user = "4100000000000000015"
    zalo.expire_access()
    zalo.oauth_down = True
    with ServiceThread(oa_settings_for(zalo, content.root, "memory://")) as app:
        sender_of(app).tokens.gap = 0.001
        assert post(app, *signed(follow_event(user))).status_code == 200
        wait_until(lambda: zalo.refreshes(), 10, "a refresh to be tried")
        zalo.oauth_down = False
        app.wait_sent(timeout=15)
        failures = app.store.failures()
    assert [(call.body["refresh_token"], call.status) for call in zalo.refreshes()] == [
        ("RT-0", 503),
        ("RT-0", 200),
    ]
    assert failures == [] and len(zalo.messages(user)) == 1


def open_store_failures(store_url: str) -> list[Failure]:
    store = open_store(store_url)
    try:
        return store.failures()
    finally:
        store.close()


def two_services(
    zalo: FakeZaloOA, content: Content, store_url: str
) -> tuple[ServiceThread, ServiceThread]:
    settings = oa_settings_for(zalo, content.root, store_url)
    return ServiceThread(settings).start(), ServiceThread(settings).start()


async def both_talk(first: ServiceThread, second: ServiceThread, zalo: FakeZaloOA) -> None:
    """A learner on each service follows; the access token expires; both write at once."""
    async with OAWebhook(first.url) as one, OAWebhook(second.url) as two:
        lan = OALearner(one, zalo, "4100000000000000006")
        mai = OALearner(two, zalo, "4100000000000000007")
        await asyncio.gather(lan.follow(), mai.follow())
        await asyncio.gather(lan.replies(), mai.replies())
        zalo.expire_access()
        await asyncio.gather(lan.say("giúp"), mai.say("giúp"))
        await asyncio.gather(lan.replies(), mai.replies())


def test_two_services_sharing_a_store_spend_the_refresh_token_once(
    zalo: FakeZaloOA, content: Content, shared_store_url: str
) -> None:
    zalo.oauth_delays.extend([0.3])  # a slow OAuth server: both are refused meanwhile
    first, second = two_services(zalo, content, shared_store_url)
    try:
        asyncio.run(both_talk(first, second, zalo))
        first.wait_sent()
        second.wait_sent()
    finally:
        first.stop()
        second.stop()
    assert [call.body["refresh_token"] for call in zalo.refreshes()] == ["RT-0"]
    assert zalo.refreshes()[0].answer["access_token"] == "AT-1"
    refused = [call for call in zalo.calls() if call.error not in (0, -220)]
    assert refused == []
    assert (stored_tokens(shared_store_url) or {}).get("refresh") == "RT-1"


def test_two_services_that_both_refresh_recover(
    zalo: FakeZaloOA, content: Content, shared_store_url: str
) -> None:
    """Were both to spend RT-0 (their turns not kept apart), the one refused finds the
    other's pair in the store and goes on with it: nothing is lost, the chain holds."""
    zalo.oauth_delays.extend([0.2, 0.6])  # the refusal comes after the winner stored
    first, second = two_services(zalo, content, shared_store_url)
    try:
        for app in (first, second):
            sender_of(app).tokens.gap = 0.001  # no turns: both refresh
        asyncio.run(both_talk(first, second, zalo))
        first.wait_sent()
        second.wait_sent()
    finally:
        first.stop()
        second.stop()
    refreshes = zalo.refreshes()
    assert (stored_tokens(shared_store_url) or {}).get("refresh") == "RT-1"
    assert zalo.current == ("AT-1", "RT-1")
    for user in ("4100000000000000006", "4100000000000000007"):
        assert len(zalo.messages(user)) == 2
    if len(refreshes) == 1:
        # On a busy machine the second may start only after the first stored its pair: it
        # then never refreshes, and uses that pair. The chain holds all the same.
        assert refreshes[0].body["refresh_token"] == "RT-0"
        return
    assert [call.body["refresh_token"] for call in refreshes] == ["RT-0", "RT-0"]
    assert sorted(str(call.answer.get("error_description")) for call in refreshes) == [
        "None",
        "refresh token was used",
    ]
    for user in ("4100000000000000006", "4100000000000000007"):
        # The refused one went on at once with the stored pair, not after a retry: the
        # follow's call, the one refused with -220, the one after the refresh.
        assert [call.error for call in zalo.calls(user=user)] == [0, -220, 0]


# -- 4. failures ------------------------------------------------------------------------------

FAILURES: list[Any] = [
    pytest.param([error(-230)], "window", id="window-closed-230"),
    pytest.param([error(-232)], "window", id="window-closed-232"),
    pytest.param([error(-213)], "blocked", id="not-a-follower"),
    pytest.param([error(-201, "user_id is invalid!")], "permanent", id="parameter-refused"),
    pytest.param([error(-32)], "retried", id="rate-limited"),
    pytest.param([error(-211)], "retried", id="out-of-quota"),
    pytest.param([server_error(502)], "retried", id="bad-gateway"),
    pytest.param([Scripted(status=500)], "retried", id="http-500"),
    pytest.param([error(-999, "new")], "retried", id="unknown-error"),
    pytest.param([error(-216), error(-216)], "retried", id="token-refused-after-a-refresh"),
]


@pytest.mark.parametrize(("answers", "outcome"), FAILURES)
def test_failures_are_retried_or_recorded(
    oa_service: tuple[FakeZaloOA, ServiceThread, Content, str],
    answers: list[Scripted],
    outcome: str,
) -> None:
    zalo, app, content, _ = oa_service
    sender = sender_of(app)
    sender.rate_limit_wait = sender.quota_wait = 0.4
    user = str(next(_users))
    assert post(app, *signed(follow_event(user))).status_code == 200
    zalo_wait(zalo, user, 1)
    zalo.script(*answers, user=user)
    before = len(zalo.calls(user=user))
    failures = len(app.store.failures())
    assert post(app, *signed(text_event(user, "giúp"))).status_code == 200
    app.wait_sent(timeout=15)
    calls = zalo.calls(user=user)[before:]
    if outcome in ("permanent", "window", "blocked"):
        time.sleep(0.3)  # a retry would come by now
        assert len(zalo.calls(user=user)) == before + 1
        (failure,) = app.store.failures()[failures:]
        assert f"Zalo OA error {answers[0].error}" in failure.reason
        assert failure.delivery.chat == user
        assert len(zalo.messages(user)) == 1
        # A window closed or a user gone: no reminder is pushed to them until they write.
        learner = app.store.get(f"zalo:{user}")
        assert learner is not None
        assert learner.unreachable == (None if outcome == "permanent" else outcome)
        return
    assert app.store.failures()[failures:] == []
    said = zalo.messages(user)
    assert len(said) == 2 and said[1].text.startswith(plain(content, "help").split("\n")[0])
    assert calls[-1].error == 0
    if answers[0].error in (-32, -211):
        assert calls[1].at - calls[0].at >= 0.4  # waited as told


def test_a_message_of_several_calls_is_not_sent_twice_when_one_fails(
    zalo: FakeZaloOA, content: Content
) -> None:
    """The picture went, the text after it failed: the retry sends only the text."""
    user = "4100000000000000008"
    with ServiceThread(oa_settings_for(zalo, content.root, "memory://")) as app:

        async def talk() -> None:
            async with OAWebhook(app.url) as hook:
                lan = OALearner(hook, zalo, user)
                await lan.follow()
                await lan.replies()
                await lan.tap("Bài mẫu")
                await lan.replies()
                await lan.tap("Bắt đầu")
                await lan.replies()
                zalo.script(Scripted(), server_error(503), user=user)  # picture ok, text not
                await lan.tap("Android")
                await lan.replies(2)

        asyncio.run(talk())
        app.wait_sent()
    said = zalo.messages(user)
    assert [sent.image is not None for sent in said[-2:]] == [True, False]
    assert sum(sent.image is not None for sent in said) == 1


def test_no_picture_address_sends_the_words_and_logs_it(zalo: FakeZaloOA, content: Content) -> None:
    user = "4100000000000000009"
    settings = oa_settings_for(zalo, content.root, "memory://", public_url=None)
    with ServiceThread(settings) as app, json_lines() as lines:

        async def talk() -> None:
            async with OAWebhook(app.url) as hook:
                lan = OALearner(hook, zalo, user)
                await lan.follow()
                await lan.replies()
                await lan.tap("Bài mẫu")
                await lan.replies()
                await lan.tap("Bắt đầu")
                await lan.replies()
                await lan.say("Android")
                (android,) = await lan.replies()
                assert android.text == "Trên Android, bác mở CH Play." and android.image is None

        asyncio.run(talk())
        app.wait_sent()
    assert any("no address Zalo can fetch" in line for line in lines)


# -- 5. the logs ------------------------------------------------------------------------------

SENTENCE = "Tôi tên Phạm Thị Gấm, nhà ở xóm Bờ Sông"  # made up: a learner's own words
OTP = "738215"


def test_logs_carry_no_learners_words(zalo: FakeZaloOA, content: Content, tmp_path: Path) -> None:
    user = "4100000000000000010"
    url = f"sqlite:///{tmp_path / 'hocso.db'}"
    with ServiceThread(oa_settings_for(zalo, content.root, url)) as app, json_lines() as lines:

        async def talk() -> OALearner:
            async with OAWebhook(app.url) as hook:
                lan = OALearner(hook, zalo, user)
                await lan.follow()
                await lan.replies()
                await lan.tap("Bài mẫu")
                await lan.replies()
                await lan.tap("Bắt đầu")
                await lan.replies()
                await lan.say(SENTENCE)
                await lan.replies()
                await lan.say(f"Mã của tôi là {OTP}")
                await lan.replies()
                await lan.send_media("image")
                await lan.replies()
                await lan.post(lan.posted[-1])  # delivered again: a duplicate
                return lan

        lan = asyncio.run(talk())
        app.wait_sent()
    updates = [json.loads(line) for line in lines if '"msg": "update"' in line]
    events = [f"zoa:{event['message']['msg_id']}" for event in lan.posted if "message" in event]
    logged = [line["event"] for line in updates if not line.get("duplicate")]
    assert logged[1:] == events[:-1]  # the follow, then each message once, in order
    assert [line["event"] for line in updates if line.get("duplicate")] == events[-1:]
    assert {line["channel"] for line in updates} == {"zalo-oa"}
    assert {line["learner"] for line in updates} == {f"zalo:{user}"}
    assert [line["kind"] for line in updates] == ["start"] + ["text"] * 4 + ["media"] * 2
    output = "\n".join(lines)
    for words in (SENTENCE, "Phạm Thị Gấm", "xóm Bờ Sông", OTP, "Bắt đầu"):
        assert words not in output
        assert json.dumps(words)[1:-1] not in output  # not even \u-escaped


# -- 6. rendering -----------------------------------------------------------------------------


def test_render_without_a_server() -> None:
    from bot.outbound import Button, Link, Outbound

    more = "Bác cũng có thể chọn:"
    buttons = tuple(Button(f"Nút {n}", f"o:x:{n}") for n in range(6))
    message = Outbound("Câu *đậm* và _nghiêng_.", buttons, (Link("Mở", "https://a.vn"),), "x.png")
    parts = render(message, image_url="https://h.vn/media/x.png", more=more)
    assert parts[0]["attachment"]["payload"]["template_type"] == "media"
    assert parts[1]["text"] == "Câu đậm và nghiêng."
    assert [b["payload"] for b in parts[1]["attachment"]["payload"]["buttons"]] == [
        f"Nút {n}" for n in range(5)
    ]
    assert parts[2]["text"] == more
    assert parts[2]["attachment"]["payload"]["buttons"] == [
        {"type": "oa.query.show", "title": "Nút 5", "payload": "Nút 5"},
        {"type": "oa.open.url", "title": "Mở", "payload": {"url": "https://a.vn"}},
    ]
    long = " ".join(["Một câu khá dài để thử cắt tin nhắn."] * 120)  # 4,439 characters
    texts = [part["text"] for part in render(Outbound(long), image_url=None, more=more)]
    assert len(texts) == 3 and all(len(text) <= 2000 for text in texts)
    assert all(text.endswith("nhắn.") for text in texts)
    assert " ".join(texts) == long
    title = render(Outbound("?", (Button("x" * 150, "p"),)), image_url=None, more=more)
    (button,) = title[0]["attachment"]["payload"]["buttons"]
    assert len(button["title"]) == 100 and button["payload"] == "x" * 150
    assert render(Outbound(""), image_url=None, more=more) == []


def test_a_stale_timestamp_would_outlive_no_dedupe_record() -> None:
    from bot.stores.base import EVENT_TTL
    from webhook.zalo_oa import MAX_AGE

    assert MAX_AGE <= EVENT_TTL / 2


def test_events_signed_for_now_are_fresh() -> None:
    event = text_event("1", "x")
    assert abs(int(event["timestamp"]) - int(now_ms())) < 5000
