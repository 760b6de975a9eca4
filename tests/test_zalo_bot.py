"""The Zalo Bot Platform channel. First its parts as tables (reading updates, rendering
messages, what an API error means), then the service over real HTTP: Zalo Bot updates posted
with httpx to the app under uvicorn, replies sent through the real `ZaloBotApi` to the stand-in
Bot API (`support.fake_zalo_bot`), state read back from the store.

Delivery limits are off (`NO_LIMITS`) so that lessons do not wait a second a message."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import handlers.zalo_bot
import handlers.zalo_bot.send
from bot.content import Content
from bot.inbound import Inbound
from bot.outbound import Button, Link, Outbound
from bot.progress import progress_json
from bot.typed import typed
from cli import serve as cli
from handlers import base
from handlers.zalo_bot import (
    DEFAULT_RETRY_AFTER,
    MAX_TEXT,
    ApiError,
    BadUpdate,
    Part,
    Received,
    SendError,
    ZaloBotApi,
    ZaloBotSender,
    parse_update,
    render,
    send_error,
    set_webhook,
)
from support.chat import fixture_content, plain
from support.fake_telegram import FakeTelegram
from support.fake_zalo_bot import (
    FakeZaloBot,
    Scripted,
    Sent,
    bad_gateway,
    bad_request,
    forbidden,
    image_update,
    in_200,
    normal,
    quota,
    server_error,
    slow,
    sticker_update,
    text_update,
    unauthorized,
    unsupported_update,
    update,
)
from support.logs import applied_order, log_records
from support.redis_server import free_port
from support.service import (
    NO_LIMITS,
    SECRET,
    TOKEN,
    ZALO_BOT_SECRET,
    ZALO_BOT_TOKEN,
    ServeProcess,
    ServiceThread,
    ZaloBotLearner,
    ZaloBotWebhook,
    environment_for,
    zalo_bot_settings_for,
)
from support.service import ZALO_BOT_SECRET_HEADER as SECRET_HEADER
from support.waiting import await_until
from webhook.logs import JsonFormatter
from webhook.settings import Settings

PUBLIC = "https://hocso.example.vn"
HINT = "👉 Bác gõ số hoặc gõ chữ để chọn nhé."


@pytest.fixture
def fake_zalo() -> Iterator[FakeZaloBot]:
    with FakeZaloBot() as server:
        yield server


# A lesson whose one step is far longer than a Zalo message.
LONG_SENTENCES = [f"Câu số {n} nói về cách giữ an toàn khi dùng điện thoại." for n in range(110)]
LONG_LESSON = (
    "id: dai\ntitle: Bài dài\nsteps:\n  - id: doc\n    say: "
    + json.dumps(" ".join(LONG_SENTENCES), ensure_ascii=False)
    + "\n  - id: het\n    say: Hết bài dài.\n"
)


@pytest.fixture
def content(tmp_path: Path) -> Content:
    """The test lessons (`mau`, `sau`, and the long `dai`) with the product's messages."""
    return fixture_content(tmp_path, {"dai": LONG_LESSON})


def chat_id(number: int) -> str:
    """A chat id shaped like Zalo's (20 hex digits)."""
    return f"ca{number:018x}"


# -- reading updates --------------------------------------------------------------------------

U1 = "6ede9afa66b88fe6d6a9"
LEARNER = f"zalobot:{U1}"


def received(kind: str, **inbound: Any) -> Received:
    return Received("zb:m1", LEARNER, U1, Inbound(LEARNER, **inbound), kind)


def ignored(why: str, event: str = "zb:m1") -> Received:
    return Received(event, None, None, None, f"ignored:{why}")


def one(event_name: str, wrapped: bool = False, **fields: Any) -> dict[str, Any]:
    return update(U1, event_name, wrapped=wrapped, message_id_="m1", **fields)


PARSED = [
    pytest.param(one("message.text.received", text="Xin chào"), received("text", text="Xin chào"),
                 id="text-flat"),
    pytest.param(one("message.text.received", True, text="Xin chào"),
                 received("text", text="Xin chào"), id="text-wrapped"),
    pytest.param(  # the documented sample, fields in its order
        {"ok": True, "result": {"message": {"from": {"id": U1, "display_name": "Ted",
         "is_bot": False}, "chat": {"id": U1, "chat_type": "PRIVATE"}, "text": "Xin chào",
         "message_id": "m1", "date": 1750316131602}, "event_name": "message.text.received"}},
        received("text", text="Xin chào"), id="documented-sample"),
    pytest.param(one("message.text.received", text="/start mau"),
                 received("text", text="/start mau"), id="slash-start-is-text"),
    pytest.param(one("message.text.received", text=""), received("text", text=""),
                 id="empty-text"),
    pytest.param(one("message.image.received", photo_url="https://photo.zdn.vn/a.jpg",
                     caption="ai đây"), received("media", media="photo"), id="image"),
    pytest.param(one("message.image.received", True, photo="https://photo.zdn.vn/a.jpg"),
                 received("media", media="photo"), id="image-wrapped-legacy-photo"),
    pytest.param(one("message.sticker.received", sticker="0e07"),
                 received("media", media="sticker"), id="sticker"),
    pytest.param(one("message.voice.received", voice_url="https://v.zdn.vn/a.aac"),
                 received("media", media="voice"), id="voice"),
    pytest.param(one("message.unsupported.received"), received("media", media="other"),
                 id="unsupported-with-message"),
    pytest.param({"event_name": "message.unsupported.received"}, ignored("unsupported", "zb:-"),
                 id="unsupported-without-message"),
    pytest.param({"ok": True, "result": {"event_name": "message.unsupported.received",
                                         "message": "withheld"}},
                 ignored("unsupported", "zb:-"), id="unsupported-message-not-an-object"),
    pytest.param(one("message.reaction.received", react_icon="/-heart"), ignored("reaction"),
                 id="unknown-event"),
    pytest.param({"event_name": "message.link.received", "message": 5}, ignored("link", "zb:-"),
                 id="unknown-event-odd-message"),
    pytest.param({"event_name": "bot.added.somewhere"}, ignored("bot.added.somewhere", "zb:-"),
                 id="unknown-event-no-message"),
    pytest.param(one("message.text.received", text="hi",
                     sender={"id": "b1", "display_name": "Bot", "is_bot": True}),
                 ignored("bot"), id="from-a-bot"),
    pytest.param(one("message.text.received", text="hi", chat={"id": "g1", "chat_type": "GROUP"}),
                 ignored("group"), id="group"),
    pytest.param(one("message.text.received", text="hi", chat={"id": U1}),
                 received("text", text="hi"), id="no-chat-type"),
    pytest.param(update("12345", "message.text.received", message_id_="m1", text="hi"),
                 Received("zb:m1", "zalobot:12345", "12345", Inbound("zalobot:12345", text="hi"),
                          "text"), id="string-of-digits"),
    pytest.param({"event_name": "message.text.received",
                  "message": {"message_id": 77, "chat": {"id": 12345}, "text": "hi"}},
                 Received("zb:77", "zalobot:12345", "12345", Inbound("zalobot:12345", text="hi"),
                          "text"), id="numbers-for-ids"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "expected"), PARSED)
def test_parse_update(data: dict[str, Any], expected: Received) -> None:
    got = parse_update(data)
    # The sender's display name is checked below; here, everything else.
    unnamed = dataclasses.replace(got.inbound, name=None) if got.inbound else None
    assert dataclasses.replace(got, inbound=unnamed) == expected


def test_the_senders_display_name_is_kept_trimmed() -> None:
    sender = {"id": U1, "display_name": "  Bà   Tư  Bến Tre ", "is_bot": False}
    got = parse_update(one("message.text.received", text="hi", sender=sender))
    assert got.inbound is not None and got.inbound.name == "Bà Tư Bến Tre"
    nameless = parse_update(one("message.text.received", text="hi", sender={"id": U1}))
    assert nameless.inbound is not None and nameless.inbound.name is None


SENTENCE = "Tôi tên Phạm Thị Gấm, nhà ở xóm Bờ Sông"  # made up: a learner's own words
OTP = "738215"


def with_message(**message: Any) -> dict[str, Any]:
    return {"event_name": "message.text.received", "message": message}


CHAT = {"id": U1, "chat_type": "PRIVATE"}
NOT_UPDATES = [
    pytest.param([], "not a list", id="a-list"),
    pytest.param("x", "not a string", id="a-string"),
    pytest.param(None, "not null", id="null"),
    pytest.param({}, "event_name", id="empty-object"),
    pytest.param({"event_name": 5, "message": {}}, "event_name", id="event-name-a-number"),
    pytest.param({"event_name": ""}, "event_name", id="event-name-empty"),
    pytest.param({"ok": True, "result": []}, "event_name", id="result-a-list"),
    pytest.param({"ok": False, "result": one("message.text.received", text=SENTENCE)},
                 "event_name", id="ok-false"),
    pytest.param({"event_name": "message.text.received"}, "not an object", id="text-no-message"),
    pytest.param(with_message(message_id="m1", chat=CHAT), "no text", id="text-missing"),
    pytest.param(with_message(message_id="m1", chat=CHAT, text=5), "no text", id="text-a-number"),
    pytest.param(with_message(message_id="m1", chat=CHAT, text={"a": SENTENCE}), "no text",
                 id="text-an-object"),
    pytest.param(with_message(message_id="m1", text=SENTENCE), "no chat", id="no-chat"),
    pytest.param(with_message(message_id="m1", chat={}, text=SENTENCE), "chat.id", id="no-chat-id"),
    pytest.param(with_message(message_id="m1", chat={"id": "a b"}, text=SENTENCE), "chat.id",
                 id="chat-id-with-a-space"),
    pytest.param(with_message(message_id="m1", chat={"id": True}, text=SENTENCE), "chat.id",
                 id="chat-id-a-boolean"),
    pytest.param(with_message(message_id="m1", chat={"id": "x" * 129}, text="hi"), "chat.id",
                 id="chat-id-too-long"),
    pytest.param(with_message(chat=CHAT, text=SENTENCE), "message_id", id="no-message-id"),
    pytest.param(with_message(message_id={"a": 1}, chat=CHAT, text="hi"), "message_id",
                 id="message-id-an-object"),
    pytest.param(with_message(message_id="m1", chat={"id": U1, "chat_type": 1}, text="hi"),
                 "chat_type", id="chat-type-a-number"),
    pytest.param(with_message(message_id="m1", chat=CHAT, text="hi", **{"from": "me"}), "from",
                 id="from-a-string"),
    pytest.param({"event_name": "message.image.received", "message": [1]}, "not an object",
                 id="image-message-a-list"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "words"), NOT_UPDATES)
def test_parse_update_refuses_what_is_no_update(data: object, words: str) -> None:
    with pytest.raises(BadUpdate) as caught:
        parse_update(data)
    assert words in str(caught.value)
    assert SENTENCE not in str(caught.value)  # the reason is logged: never a learner's words


# -- rendering --------------------------------------------------------------------------------

PHOTO = "https://hocso.example.vn/media/ch-play.png"
OPTIONS = (Button("Chỉ mình tôi", "o:3f9a1c0b2d:0"), Button("Công an gọi điện hỏi", "o:3f:1"))
LISTED = "1. Chỉ mình tôi\n2. Công an gọi điện hỏi"  # as the engine lists them

RENDERED = [
    pytest.param(Outbound("Mã *OTP* là _bí mật_."), None, [Part("Mã OTP là bí mật.")],
                 id="markers-removed"),
    pytest.param(Outbound("5 * 3 = 15, ma_otp_moi, *chưa đóng"), None,
                 [Part("5 * 3 = 15, ma_otp_moi, *chưa đóng")], id="lone-markers-kept"),
    pytest.param(Outbound("Ai được biết *mã OTP*?", OPTIONS), None,
                 [Part(f"Ai được biết mã OTP?\n\n1. Chỉ mình tôi\n2. Công an gọi điện hỏi"
                       f"\n{HINT}")],
                 id="numbered-options-and-hint"),
    pytest.param(Outbound("Bác mở VNeID.", (Button("Tiếp tục ▶", "c:1"),),
                          (Link("Mở VNeID", "https://vneid.gov.vn"), Link("Hỏi 1022", "tel:1022"))),
                 None, [Part("Bác mở VNeID.\n\nMở VNeID: https://vneid.gov.vn\nHỏi 1022: tel:1022"
                             f"\n\n1. Tiếp tục ▶\n{HINT}")], id="links-as-lines"),
    pytest.param(Outbound("Trên Android, bác mở *CH Play*.", (Button("Tiếp tục ▶", "c:1"),),
                          image="/content/media/ch-play.png"), PHOTO,
                 [Part(f"Trên Android, bác mở CH Play.\n\n1. Tiếp tục ▶\n{HINT}", PHOTO)],
                 id="photo-with-caption"),
    pytest.param(Outbound("", image="/content/media/ch-play.png"), PHOTO, [Part("", PHOTO)],
                 id="photo-alone"),
    pytest.param(Outbound("Bác xem hình.", image="/content/media/missing.png"), None,
                 [Part("Bác xem hình.")], id="no-url-words-only"),
    pytest.param(Outbound("  \n "), None, [], id="nothing"),
    pytest.param(Outbound(f"Bác gõ số:\n{LISTED}", OPTIONS), None,
                 [Part(f"Bác gõ số:\n{LISTED}\n{HINT}")], id="options-already-listed-not-twice"),
    pytest.param(Outbound("", (Button("Có", "d:1"), Button("Không", "d:0"))), None,
                 [Part(f"1. Có\n2. Không\n{HINT}")], id="options-alone"),
]  # fmt: skip


@pytest.mark.parametrize(("message", "photo", "expected"), RENDERED)
def test_render(
    content: Content, message: Outbound, photo: str | None, expected: list[Part]
) -> None:
    assert render(message, content.messages, photo) == expected


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("photo", [None, PHOTO])
def test_a_long_text_is_split_at_sentences_with_the_list_kept_whole(
    content: Content, photo: str | None
) -> None:
    text = " ".join(LONG_SENTENCES)
    parts = render(Outbound(text, OPTIONS, image="x.png"), content.messages, photo)
    if photo is not None:  # too long for a caption: the picture first, on its own
        assert parts[0] == Part("", photo)
        parts = parts[1:]
    assert len(parts) == 4 and all(part.photo is None for part in parts)
    assert all(1 <= utf16(part.text) <= MAX_TEXT for part in parts)
    assert all(part.text.endswith("điện thoại.") for part in parts[:-1])  # at sentence ends
    assert parts[-1].text.endswith(f"\n\n1. Chỉ mình tôi\n2. Công an gọi điện hỏi\n{HINT}")
    shown = " ".join(part.text for part in parts).split()
    assert shown == (text + f" 1. Chỉ mình tôi 2. Công an gọi điện hỏi {HINT}").split()


def test_a_list_that_no_longer_fits_goes_in_a_message_of_its_own(content: Content) -> None:
    text = "x" * (MAX_TEXT - 20)
    parts = render(Outbound(text, OPTIONS), content.messages)
    assert parts == [Part(text), Part(f"1. Chỉ mình tôi\n2. Công an gọi điện hỏi\n{HINT}")]


def test_emoji_count_two(content: Content) -> None:
    parts = render(Outbound("😀" * 1500), content.messages)
    assert [utf16(part.text) for part in parts] == [2000, 1000]


# -- what an error means ----------------------------------------------------------------------

MEANINGS = [
    pytest.param(ApiError(429, "Quota exceeded", 7.0), 7.0, False, id="429-with-wait"),
    pytest.param(ApiError(429, "Quota exceeded"), DEFAULT_RETRY_AFTER, False, id="429"),
    pytest.param(ApiError(400, "Bad Request: chat not found"), None, True, id="400"),
    pytest.param(ApiError(403, "Forbidden"), None, "blocked", id="403"),
    pytest.param(ApiError(413, "Too large"), None, True, id="other-4xx"),
    pytest.param(ApiError(401, "Unauthorized"), None, False, id="401-token"),
    pytest.param(ApiError(404, "Not found"), None, False, id="404-token"),
    pytest.param(ApiError(408, "Request timeout"), None, False, id="408"),
    pytest.param(ApiError(500, "Internal Server Error"), None, False, id="500"),
    pytest.param(ApiError(503, "Unavailable"), None, False, id="503"),
    pytest.param(ApiError(None, "no answer in time (ReadTimeout)"), None, False, id="timeout"),
    pytest.param(ApiError(None, "network error (ConnectError)"), None, False, id="network"),
]


@pytest.mark.parametrize(("error", "retry_after", "permanent"), MEANINGS)
def test_send_error(error: ApiError, retry_after: float | None, permanent: bool | str) -> None:
    """`permanent` a reason: permanent, and the learner cannot be reached (they blocked the
    bot, most likely: no reminder is pushed to them until they write again)."""
    meaning = send_error(error, sent=2)
    assert isinstance(meaning, base.SendError)  # what the delivery loop catches
    assert (meaning.retry_after, meaning.permanent, meaning.sent) == (
        retry_after, bool(permanent), 2
    )  # fmt: skip
    assert meaning.gone == (permanent if isinstance(permanent, str) else None)
    assert error.description in meaning.description


# Zalo's answer -> the ApiError the client raises (code, retry_after, words in the description)
ANSWERS = [
    pytest.param(quota(2), 429, 2.0, "Quota exceeded", id="429"),
    pytest.param(in_200(quota(2)), 429, 2.0, "Quota exceeded", id="429-in-a-200"),
    pytest.param(quota(header="3"), 429, 3.0, "Quota exceeded", id="429-retry-after-header"),
    pytest.param(quota(), 429, None, "Quota exceeded", id="429-no-wait-said"),
    pytest.param(server_error(500), 500, None, "Internal Server Error", id="500"),
    pytest.param(in_200(server_error(500)), 500, None, "Internal Server Error", id="500-in-a-200"),
    pytest.param(bad_gateway(), 502, None, "HTTP 502, not JSON", id="502-html"),
    pytest.param(forbidden(), 403, None, "Forbidden", id="403"),
    pytest.param(in_200(forbidden()), 403, None, "Forbidden", id="403-in-a-200"),
    pytest.param(bad_request(), 400, None, "chat not found", id="400"),
    pytest.param(unauthorized(), 401, None, "Unauthorized", id="401"),
    pytest.param(slow(2), None, None, "no answer in time", id="timeout"),
]


@pytest.mark.parametrize(("answer", "code", "retry_after", "words"), ANSWERS)
def test_api_errors_as_zalo_answers_them(
    fake_zalo: FakeZaloBot,
    answer: Scripted,
    code: int | None,
    retry_after: float | None,
    words: str,
) -> None:
    fake_zalo.script("sendMessage", answer)

    async def call() -> None:
        api = ZaloBotApi(ZALO_BOT_TOKEN, fake_zalo.api_url, timeout=0.3)
        try:
            await api.call("sendMessage", {"chat_id": U1, "text": "Chào bác"})
        finally:
            await api.aclose()

    with pytest.raises(ApiError) as caught:
        asyncio.run(call())
    assert (caught.value.code, caught.value.retry_after) == (code, retry_after)
    assert words in caught.value.description
    assert ZALO_BOT_TOKEN not in repr(caught.value)  # the token is in every URL: never shown


def test_api_unreachable_is_a_network_error() -> None:
    async def call() -> None:
        api = ZaloBotApi(ZALO_BOT_TOKEN, f"http://127.0.0.1:{free_port()}/bot")
        try:
            await api.call("getMe", {})
        finally:
            await api.aclose()

    with pytest.raises(ApiError) as caught:
        asyncio.run(call())
    assert caught.value.code is None and "network error" in caught.value.description
    assert not send_error(caught.value).permanent


def test_api_calls_as_documented(fake_zalo: FakeZaloBot) -> None:
    async def calls() -> tuple[Any, Any]:
        api = ZaloBotApi(ZALO_BOT_TOKEN, fake_zalo.api_url)
        try:
            me = await api.call("getMe", {})
            sent = await api.call("sendMessage", {"chat_id": U1, "text": "Xin chào"})
            return me, sent
        finally:
            await api.aclose()

    me, sent = asyncio.run(calls())
    assert me["account_type"] == "BASIC"
    assert set(sent) == {"message_id", "date"} and len(sent["message_id"]) == 20
    (call,) = fake_zalo.calls("sendMessage")
    assert call.token == ZALO_BOT_TOKEN  # POST /bot<token>/sendMessage
    assert call.params == {"chat_id": U1, "text": "Xin chào"}


# -- the sender -------------------------------------------------------------------------------


def with_sender(fake: FakeZaloBot, content: Content, *messages: tuple[str, Outbound]) -> None:
    """Send each (chat, message) with a sender on the stand-in; images are at PUBLIC/media."""

    def media_url(image: str) -> str | None:
        return f"{PUBLIC}/media/{Path(image).name}" if "missing" not in image else None

    async def go() -> None:
        api = ZaloBotApi(ZALO_BOT_TOKEN, fake.api_url, timeout=2)
        sender = ZaloBotSender(api, lambda: content.messages, media_url, forbidden_retry=0.01)
        try:
            for chat, message in messages:
                await sender.send(chat, message)
        finally:
            await api.aclose()

    asyncio.run(go())


def test_a_picture_goes_by_url_with_its_caption(fake_zalo: FakeZaloBot, content: Content) -> None:
    picture = Outbound("Bác mở *CH Play*.", (Button("Tiếp tục ▶", "c:1"),), image="m/ch-play.png")
    with_sender(fake_zalo, content, (U1, picture))
    (call,) = fake_zalo.calls()
    assert call.method == "sendPhoto"
    assert call.params == {
        "chat_id": U1,
        "photo": f"{PUBLIC}/media/ch-play.png",
        "caption": f"Bác mở CH Play.\n\n1. Tiếp tục ▶\n{HINT}",
    }


def test_a_picture_without_a_url_is_left_out_with_a_log_line(
    fake_zalo: FakeZaloBot, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="handlers.zalo_bot.send"):
        with_sender(fake_zalo, content, (U1, Outbound("Bác xem hình.", image="m/missing.png")))
    assert [(call.method, call.params) for call in fake_zalo.calls()] == [
        ("sendMessage", {"chat_id": U1, "text": "Bác xem hình."})
    ]
    assert "m/missing.png has no public URL" in caplog.text


def test_403_is_tried_once_more_then_permanent(fake_zalo: FakeZaloBot, content: Content) -> None:
    fake_zalo.script("sendMessage", forbidden(), chat="once")  # a blip: the second try goes
    fake_zalo.script("sendMessage", forbidden(), in_200(forbidden()), chat="always")
    with_sender(fake_zalo, content, ("once", Outbound("một")))
    with pytest.raises(SendError) as caught:
        with_sender(fake_zalo, content, ("always", Outbound("hai")))
    assert caught.value.permanent and caught.value.description == "403: Forbidden"
    assert [call.status for call in fake_zalo.calls(chat="once")] == [403, 200]
    assert [call.status for call in fake_zalo.calls(chat="always")] == [403, 200]  # (in a 200)
    assert fake_zalo.texts("once") == ["một"] and fake_zalo.texts("always") == []


def test_a_resent_message_skips_the_parts_already_delivered(
    fake_zalo: FakeZaloBot, content: Content
) -> None:
    message = Outbound(" ".join(LONG_SENTENCES))
    fake_zalo.script("sendMessage", normal(), server_error(), chat=U1)

    async def go() -> None:
        api = ZaloBotApi(ZALO_BOT_TOKEN, fake_zalo.api_url)
        sender = ZaloBotSender(api, lambda: content.messages, lambda image: None)
        try:
            with pytest.raises(SendError) as caught:
                await sender.send(U1, message)
            assert (caught.value.sent, caught.value.permanent) == (1, False)
            await sender.send(U1, message, skip=caught.value.sent)
        finally:
            await api.aclose()

    asyncio.run(go())
    parts = [part.text for part in render(message, content.messages)]
    assert fake_zalo.texts(U1) == parts and len(parts) == 4


# -- the service: driving it as Zalo does -----------------------------------------------------


def event_of(body: dict[str, Any]) -> str:
    flat = body.get("result", body)
    return f"zb:{flat['message']['message_id']}"


# -- 1. a whole lesson ------------------------------------------------------------------------

OPTIONS_MAU = f"1. Chỉ mình tôi\n2. Công an gọi điện hỏi\n3. Nhân viên ngân hàng\n{HINT}"


def test_a_whole_lesson_through_zalo_bot_updates(
    fake_zalo: FakeZaloBot, content: Content, shared_store_url: str
) -> None:
    chat = chat_id(1)
    settings = zalo_bot_settings_for(fake_zalo, content.root, shared_store_url)
    with ServiceThread(settings) as app:

        async def lesson() -> None:
            async with ZaloBotWebhook(app.url) as hook:
                lan = ZaloBotLearner(hook, fake_zalo, chat)
                await lan.say("Xin chào")  # a first message: the greeting and the lesson menu
                (menu,) = await lan.replies()
                assert menu.text.startswith("Chào bác! 👋 Cháu là Học Số,")  # markers gone
                assert "\n\n1. Bài mẫu\n2. Bài sau\n3. Bài dài\n" + HINT in menu.text

                lan.wrapped = True  # the documented form from now on, then flat again
                await lan.say("bai mau")  # a label, typed without diacritics
                (opening,) = await lan.replies()
                assert opening.text == (
                    f"📘 Bài mẫu (khoảng 3 phút)\n\nChào bác! Đây là bài mẫu.\n\n"
                    f"1. Bắt đầu ▶\n{HINT}"
                )

                await lan.say("1")  # a number: the first option of the last message
                (question,) = await lan.replies()
                assert question.text == (
                    f"Điện thoại của bác là loại nào?\n\n1. Android\n2. iPhone\n{HINT}"
                )

                lan.wrapped = False
                await lan.say("samsung")  # an `also` word of the Android option
                (android,) = await lan.replies()
                assert android.method == "sendPhoto"
                assert android.photo == f"{PUBLIC}/media/ch-play.png"
                assert android.text == f"Trên Android, bác mở CH Play.\n\n1. Tiếp tục ▶\n{HINT}"

                await lan.say("tiếp tục")  # the words of the only option
                (quiz,) = await lan.replies()
                assert quiz.text == f"Ai được biết mã OTP của bác?\n\n{OPTIONS_MAU}"

                await lan.say("5")  # no such option: asked again, the options listed once
                (unclear,) = await lan.replies()
                # Said for typing: this channel has no buttons (bot.typed).
                asked = typed(content.messages.text("reading.options"), ["…"], content.messages)
                assert unclear.text == f"{asked}\n\n{OPTIONS_MAU}"

                await lan.say("Số 1")  # a number in words learners use
                (right,) = await lan.replies()
                assert right.text.startswith("✅ Đúng rồi! OTP chỉ mình bác được biết.")
                assert right.text.endswith("Muốn báo lừa đảo, bác nhắn tin đến số mấy?")

                await lan.say("156")  # no options now: a number is the answer itself
                # Too long for one screen: the praise, the certificate, the name to print.
                done, certificate, asked = await lan.replies(3)
                assert done.text.startswith("✅ Đúng rồi! Nhắn tin đến 156.")
                assert "Chúc mừng bác đã học xong bài Bài mẫu" in done.text
                assert "HS-" in certificate.text
                assert asked.text.endswith(f"1. Lan\n2. Để sau\n{HINT}")  # her chat's name

                await lan.say("2")  # later: the certificate without a name, then what next
                later, picture, following = await lan.replies(3)
                assert "sửa tên" in later.text
                assert picture.photo is not None and "/certificate/HS-" in picture.photo
                assert following.text.endswith(
                    f"1. ▶ Học bài tiếp theo\n2. 📋 Danh sách bài học\n{HINT}"
                )

                await lan.say("2")  # the list of lessons, by number
                (again,) = await lan.replies()
                assert "\n1. ✓ Bài mẫu\n" in again.text

        asyncio.run(lesson())
        app.wait_sent()
        learner = app.store.get(f"zalobot:{chat}")
    assert len(fake_zalo.messages(chat)) == 14  # nothing more, nothing twice
    assert {call.chat for call in fake_zalo.calls()} == {chat}
    assert learner is not None and learner.turns == 10
    progress = progress_json(learner)
    assert progress["lessons"]["mau"]["status"] == "passed"
    assert progress["lessons"]["mau"]["score"] == 1.0
    assert [certificate["id"] for certificate in progress["certificates"]] == ["chi-mau"]


# -- 2. duplicates and concurrency ------------------------------------------------------------

KINDS = [
    (image_update, "input.photo"),
    (sticker_update, "input.sticker"),
    (unsupported_update, "input.other"),
    (lambda chat, wrapped=False: update(chat, "message.voice.received", wrapped=wrapped),
     "input.voice"),
]  # fmt: skip


def test_duplicate_and_concurrent_deliveries_are_applied_once_in_order(
    fake_zalo: FakeZaloBot, content: Content, shared_store_url: str
) -> None:
    chat = chat_id(2)
    settings = zalo_bot_settings_for(fake_zalo, content.root, shared_store_url)
    with ServiceThread(settings) as app, log_records("hocso", "handlers") as records:

        async def deliveries() -> dict[str, str]:
            async with ZaloBotWebhook(app.url) as hook:
                lan = ZaloBotLearner(hook, fake_zalo, chat)
                hello = text_update(chat, "Xin chào")
                for _ in range(4):  # one after the other, as after lost acknowledgements
                    await hook.post(hello)
                await lan.replies()

                typed = text_update(chat, "Bài mẫu")
                same = {"ok": True, "result": typed}  # the same message, in the other form
                await asyncio.gather(*(hook.post(body) for body in [typed, same] * 3))  # at once
                await lan.replies()

                bodies = [make(chat) for make, _ in KINDS]
                # Each twice (flat and wrapped), all at once: each applied once, in some order.
                twice = [*bodies, *({"ok": True, "result": body} for body in bodies)]
                await asyncio.gather(*(hook.post(body) for body in twice))
                await lan.replies(len(KINDS))
                return {event_of(body): key for body, (_, key) in zip(bodies, KINDS, strict=True)}

        posted = asyncio.run(deliveries())
        app.wait_sent()
        time.sleep(0.2)  # a second copy would be on its way by now
        learner = app.store.get(f"zalobot:{chat}")
    assert learner is not None and learner.turns == 2 + len(KINDS)
    order = [event for event in applied_order(records, f"zalobot:{chat}") if event in posted]
    assert sorted(order) == sorted(posted)
    got = [message.text for message in fake_zalo.messages(chat)]
    assert len(got) == 2 + len(KINDS), got
    for text, event in zip(got[2:], order, strict=True):  # replies in the order applied
        assert text.startswith(plain(content, posted[event])), (got, order)
    duplicates = [r for r in records if r.getMessage() == "update" and getattr(r, "duplicate", 0)]
    assert len(duplicates) == 3 + 5 + len(KINDS)


# -- 3. the secret ----------------------------------------------------------------------------


def test_the_secret_header(fake_zalo: FakeZaloBot, content: Content) -> None:
    chat = chat_id(3)
    body = text_update(chat, "Xin chào")
    url = "/webhook/zalo-bot"
    with ServiceThread(zalo_bot_settings_for(fake_zalo, content.root, "memory://")) as app:
        answers = [
            httpx.post(app.url + url, json=body),
            httpx.post(app.url + url, json=body, headers={SECRET_HEADER: "wrong-secret"}),
            httpx.post(app.url + url, json=body, headers={SECRET_HEADER: ""}),
            httpx.post(app.url + url, json=body, headers={SECRET_HEADER: ZALO_BOT_SECRET[:-1]}),
            # Telegram's header is not Zalo's.
            httpx.post(
                app.url + url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ),
        ]
        assert app.store.get(f"zalobot:{chat}") is None  # nothing was read or changed
        # The refusals changed nothing: the same update is still applied when right.
        right = httpx.post(app.url + url, json=body, headers={SECRET_HEADER: ZALO_BOT_SECRET})
        fake_zalo.wait_for_messages(chat, 1)
        app.wait_sent()
        stored = app.store.get(f"zalobot:{chat}")
    assert [answer.status_code for answer in answers] == [401, 403, 403, 403, 401]
    assert right.status_code == 200 and right.json() == {"ok": True}
    assert stored is not None and stored.turns == 1


# -- 4. bad bodies, and what is only acknowledged ---------------------------------------------

MAX_BODY = 4096


def raw(text: str) -> bytes:
    return text.encode()


def chunked(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), 1000):
        yield data[start : start + 1000]


def bot_update(chat: str) -> dict[str, Any]:
    return text_update(chat, "hi", sender={"id": "b1", "display_name": "Bot", "is_bot": True})


NOBODY = None
"""In the last column of BODIES: nothing is applied, no reply, no learner."""

# (what is posted, the status answered, the message key the learner is answered with)
BODIES = [
    pytest.param(lambda c: raw('{"event_name": "message.text.received", '), 400, NOBODY,
                 id="not-json"),
    pytest.param(lambda c: raw(""), 400, NOBODY, id="empty-body"),
    pytest.param(lambda c: b"\xff\xfe{}", 400, NOBODY, id="not-utf8"),
    pytest.param(lambda c: raw("[" * 2000 + "]" * 2000), 400, NOBODY, id="json-nested-too-deep"),
    pytest.param(lambda c: [text_update(c, "hi")], 400, NOBODY, id="a-json-list"),
    pytest.param(lambda c: {}, 400, NOBODY, id="empty-object"),
    pytest.param(lambda c: {"ok": True, "result": {"message": {}}}, 400, NOBODY,
                 id="no-event-name"),
    pytest.param(lambda c: update(c, "message.text.received"), 400, NOBODY, id="text-missing"),
    pytest.param(lambda c: text_update(c, {"a": 1}), 400, NOBODY, id="text-an-object"),
    pytest.param(lambda c: update(c, "message.text.received", text="hi", chat={"id": f"{c} x"}),
                 400, NOBODY, id="chat-id-not-an-id"),
    pytest.param(lambda c: {"event_name": "message.image.received", "message": "x"}, 400, NOBODY,
                 id="image-message-a-string"),
    pytest.param(lambda c: text_update(c, "x" * MAX_BODY), 413, NOBODY, id="too-large"),
    pytest.param(lambda c: chunked(json.dumps(text_update(c, "x" * MAX_BODY)).encode()), 413,
                 NOBODY, id="too-large-chunked"),
    pytest.param(lambda c: update(c, "message.reaction.received", react_icon="/-heart"), 200,
                 NOBODY, id="unknown-event"),
    pytest.param(lambda c: {"ok": True, "result": {"event_name": "message.link.received"}}, 200,
                 NOBODY, id="unknown-event-wrapped-no-message"),
    pytest.param(lambda c: {"event_name": "message.unsupported.received"}, 200, NOBODY,
                 id="unsupported-without-message"),
    pytest.param(bot_update, 200, NOBODY, id="from-a-bot"),
    pytest.param(lambda c: update(c, "message.text.received", text="/start mau",
                                  chat={"id": c, "chat_type": "GROUP"}), 200, NOBODY, id="group"),
    pytest.param(lambda c: image_update(c), 200, "input.photo", id="image"),
    pytest.param(lambda c: sticker_update(c, wrapped=True), 200, "input.sticker", id="sticker"),
    pytest.param(lambda c: unsupported_update(c), 200, "input.other", id="unsupported"),
    pytest.param(lambda c: text_update(c, "/start mau"), 200, "greeting", id="slash-start"),
]  # fmt: skip


@pytest.fixture(scope="module")
def bad_input_service() -> Iterator[tuple[FakeZaloBot, ServiceThread, Content]]:
    """One service for the whole table (each case has a chat of its own)."""
    with tempfile.TemporaryDirectory() as folder, FakeZaloBot() as fake:
        content = fixture_content(Path(folder))
        settings = zalo_bot_settings_for(fake, content.root, "memory://", max_body=MAX_BODY)
        with ServiceThread(settings) as app:
            yield fake, app, content


_bad_chats = iter(range(7000, 8000))


@pytest.mark.parametrize(("body", "status", "reply"), BODIES)
def test_bad_bodies_and_kinds(
    bad_input_service: tuple[FakeZaloBot, ServiceThread, Content],
    body: Any,
    status: int,
    reply: str | None,
) -> None:
    fake, app, content = bad_input_service
    chat = chat_id(next(_bad_chats))
    data = body(chat)
    headers = {SECRET_HEADER: ZALO_BOT_SECRET}
    url = f"{app.url}/webhook/zalo-bot"
    if isinstance(data, bytes | Iterator):
        headers["Content-Type"] = "application/json"
        answer = httpx.post(url, content=data, headers=headers)
    else:
        answer = httpx.post(url, json=data, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.status_code < 500
    app.wait_sent()
    if reply is NOBODY:
        assert app.store.get(f"zalobot:{chat}") is None
        assert fake.calls(chat=chat) == []
    else:
        # A first message: the greeting and the menu come too (one message); a kind word
        # about what was sent first.
        (said,) = fake.wait_for_messages(chat, 1)
        assert said.text.startswith(plain(content, "greeting")), said.text
        if reply != "greeting":
            again = httpx.post(url, json=body(chat), headers=headers)  # a known learner now
            assert again.status_code == 200
            said = fake.wait_for_messages(chat, 2)[1]
            assert said.text.startswith(plain(content, reply)), said.text


# -- 5. a long text ---------------------------------------------------------------------------


def test_a_long_lesson_text_is_sent_in_parts(fake_zalo: FakeZaloBot, content: Content) -> None:
    chat = chat_id(5)
    with ServiceThread(zalo_bot_settings_for(fake_zalo, content.root, "memory://")) as app:

        async def talk() -> list[Sent]:
            async with ZaloBotWebhook(app.url) as hook:
                lan = ZaloBotLearner(hook, fake_zalo, chat)
                await lan.say("Xin chào")
                await lan.replies()
                await lan.say("Bài dài")
                await await_until(lambda: app.store.pending() == 0, 10, "the parts to go")
                return lan.messages[1:]

        parts = asyncio.run(talk())
    assert len(parts) == 4
    assert all(1 <= utf16(part.text) <= MAX_TEXT for part in parts)
    assert parts[0].text.startswith("📘 Bài dài\n\nCâu số 0 nói")
    assert all(part.text.endswith("điện thoại.") for part in parts[:-1])
    assert parts[-1].text.endswith(f"\n\n1. Tiếp tục ▶\n{HINT}")
    shown = " ".join(part.text for part in parts).split()
    assert shown[3 : -len(f"1. Tiếp tục ▶ {HINT}".split())] == " ".join(LONG_SENTENCES).split()


# -- 6. send errors ---------------------------------------------------------------------------


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> float:
    """The service's Zalo client waits 1 s for an answer instead of 10, a 429 that says no
    wait is retried after 0.5 s instead of DEFAULT_RETRY_AFTER, a 403 tried again after 0.05 s
    instead of 1 s (none is a setting)."""
    seconds = 1.0
    monkeypatch.setattr(
        handlers.zalo_bot, "ZaloBotApi", functools.partial(ZaloBotApi, timeout=seconds)
    )
    monkeypatch.setattr(
        handlers.zalo_bot, "ZaloBotSender", functools.partial(ZaloBotSender, forbidden_retry=0.05)
    )
    monkeypatch.setattr(handlers.zalo_bot.send, "DEFAULT_RETRY_AFTER", 0.5)
    return seconds


def test_429_is_retried_after_the_wait(
    fake_zalo: FakeZaloBot, content: Content, quick: float
) -> None:
    said, unsaid, in_a_200 = chat_id(601), chat_id(602), chat_id(603)
    fake_zalo.script("sendMessage", quota(retry_after=1.5), chat=said)
    fake_zalo.script("sendMessage", quota(), chat=unsaid)
    fake_zalo.script("sendMessage", in_200(quota(retry_after=1)), chat=in_a_200)
    with ServiceThread(zalo_bot_settings_for(fake_zalo, content.root, "memory://")) as app:

        async def talk() -> None:
            async with ZaloBotWebhook(app.url) as hook:
                learners = [ZaloBotLearner(hook, fake_zalo, c) for c in (said, unsaid, in_a_200)]
                await asyncio.gather(*(lan.say("Xin chào") for lan in learners))
                await asyncio.gather(*(lan.replies(timeout=10) for lan in learners))

        asyncio.run(talk())
        app.wait_sent()
        failures = app.store.failures()
    for chat, wait in ((said, 1.5), (unsaid, 0.5), (in_a_200, 1.0)):
        refused, delivered = fake_zalo.calls("sendMessage", chat)
        assert (refused.body["error_code"], delivered.status) == (429, 200)
        assert wait <= delivered.at - refused.at < wait + 1.0  # after the wait, not much later
        assert len(fake_zalo.messages(chat)) == 1
    assert failures == []


def test_server_errors_and_timeouts_are_retried_then_delivered(
    fake_zalo: FakeZaloBot, content: Content, quick: float
) -> None:
    errors, in_a_200, proxy, times_out, token = (chat_id(n) for n in range(611, 616))
    fake_zalo.script("sendMessage", server_error(500), chat=errors)
    fake_zalo.script("sendMessage", in_200(server_error(503)), chat=in_a_200)
    fake_zalo.script("sendMessage", bad_gateway(), chat=proxy)  # an HTML 502, not JSON
    fake_zalo.script("sendMessage", slow(30), chat=times_out)  # no answer in time
    fake_zalo.script("sendMessage", unauthorized(), chat=token)  # a token being replaced
    chats = (errors, in_a_200, proxy, times_out, token)
    with ServiceThread(zalo_bot_settings_for(fake_zalo, content.root, "memory://")) as app:

        async def talk() -> None:
            async with ZaloBotWebhook(app.url) as hook:
                learners = [ZaloBotLearner(hook, fake_zalo, chat) for chat in chats]
                await asyncio.gather(*(lan.say("Xin chào") for lan in learners))
                await asyncio.gather(*(lan.replies(timeout=10) for lan in learners))

        asyncio.run(talk())
        app.wait_sent()
        failures = app.store.failures()
    for chat in chats:
        calls = fake_zalo.calls("sendMessage", chat)
        # The stand-in records a call once answered: the one that timed out is still waiting.
        assert len(calls) == (1 if chat == times_out else 2), (chat, calls)
        assert calls[-1].status == 200 and calls[-1].body["ok"] is True
        assert len(fake_zalo.messages(chat)) == 1
    assert failures == []


def test_permanent_failures_are_recorded_not_retried(
    fake_zalo: FakeZaloBot, content: Content, shared_store_url: str, quick: float
) -> None:
    blocked, blocked_200, gone, fine = (chat_id(n) for n in range(621, 625))
    # Zalo would refuse every message to these chats.
    fake_zalo.script("sendMessage", *[forbidden()] * 20, chat=blocked)
    fake_zalo.script("sendMessage", *[in_200(forbidden())] * 20, chat=blocked_200)
    fake_zalo.script("sendMessage", *[bad_request()] * 20, chat=gone)
    settings = zalo_bot_settings_for(fake_zalo, content.root, shared_store_url)
    with ServiceThread(settings) as app:

        async def talk() -> None:
            async with ZaloBotWebhook(app.url) as hook:
                learners = {
                    c: ZaloBotLearner(hook, fake_zalo, c) for c in (blocked, blocked_200, gone)
                }
                for lan in learners.values():
                    await lan.say("Xin chào")
                await learners[blocked].say("giúp")  # a second message: tried too, on its own
                fine_learner = ZaloBotLearner(hook, fake_zalo, fine)
                await fine_learner.say("Xin chào")
                await fine_learner.replies()

        asyncio.run(talk())
        app.wait_sent()  # a message put back for a retry would still be in the outbox
        failures = app.store.failures()
        learner = app.store.get(f"zalobot:{blocked}")
    # 403: once more at once (Zalo's table calls it a server error), then given up.
    assert len(fake_zalo.calls("sendMessage", blocked)) == 4
    assert len(fake_zalo.calls("sendMessage", blocked_200)) == 2
    assert len(fake_zalo.calls("sendMessage", gone)) == 1
    assert len(fake_zalo.messages(fine)) == 1
    reasons = sorted((failure.delivery.chat, failure.reason) for failure in failures)
    assert reasons == sorted(
        [
            (blocked, "403: Forbidden"),
            (blocked, "403: Forbidden"),
            (blocked_200, "403: Forbidden"),
            (gone, "400: Bad Request: chat not found"),
        ]
    )
    assert learner is not None and learner.turns == 2  # the learner's turns still count


# -- 7. the logs ------------------------------------------------------------------------------


def test_logs_carry_no_learners_words(
    fake_zalo: FakeZaloBot, content: Content, quick: float
) -> None:
    chat = chat_id(7)
    fake_zalo.script("sendMessage", normal(), normal(), forbidden(), forbidden(), chat=chat)
    with (
        ServiceThread(zalo_bot_settings_for(fake_zalo, content.root, "memory://")) as app,
        log_records("hocso", "handlers") as records,
    ):

        async def talk() -> ZaloBotLearner:
            async with ZaloBotWebhook(app.url) as hook:
                lan = ZaloBotLearner(hook, fake_zalo, chat)
                await lan.say("Xin chào")
                await lan.replies()
                await lan.say(SENTENCE)  # at the menu: not understood
                await lan.replies()
                await lan.say(f"Mã của tôi là {OTP}")  # its reply is refused (403, twice)
                await hook.post(lan.posted[-1])  # delivered again: a duplicate
                # Malformed, carrying the learner's words: refused, logged without them.
                broken = update(chat, "message.text.received", text=SENTENCE, chat={"id": "a b"})
                await hook.post(broken, expect=400)
                await hook.post({"event_name": "message.text.received", "message": OTP},
                                expect=400)  # fmt: skip
                return lan

        lan = asyncio.run(talk())
        app.wait_sent()
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(record)) for record in records]
    written = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for words in (SENTENCE, "Phạm Thị Gấm", "xóm Bờ Sông", OTP, ZALO_BOT_TOKEN):
        assert words not in written
    updates = [line for line in lines if line["msg"] == "update"]
    events = [event_of(body) for body in lan.posted]
    assert [line["event"] for line in updates] == events + events[-1:]
    assert [line["duplicate"] for line in updates] == [False, False, False, True]
    for line in updates:
        assert line["channel"] == "zalo-bot" and line["learner"] == f"zalobot:{chat}"
        assert line["kind"] == "text" and isinstance(line["ms"], int | float)
    refused = [line for line in lines if line["msg"].startswith("bad zalo-bot update")]
    assert len(refused) == 2 and all(line["status"] == 400 for line in refused)
    assert any("failed for good: 403: Forbidden" in line["msg"] for line in lines)


# -- 8. setting the webhook -------------------------------------------------------------------


def test_set_webhook_call_shape(fake_zalo: FakeZaloBot) -> None:
    async def go() -> dict[str, Any]:
        api = ZaloBotApi(ZALO_BOT_TOKEN, fake_zalo.api_url)
        try:
            return await set_webhook(api, f"{PUBLIC}/webhook/zalo-bot", ZALO_BOT_SECRET)
        finally:
            await api.aclose()

    result = asyncio.run(go())
    (call,) = fake_zalo.calls("setWebhook")
    assert call.token == ZALO_BOT_TOKEN
    assert call.params == {"url": f"{PUBLIC}/webhook/zalo-bot", "secret_token": ZALO_BOT_SECRET}
    assert result["url"] == f"{PUBLIC}/webhook/zalo-bot"
    assert result["verification"]["outcome"] == "webhook.ok"


def cli_settings(fake: FakeZaloBot, content: Content, **more: Any) -> Settings:
    return zalo_bot_settings_for(fake, content.root, "memory://", **more)


def test_set_webhook_from_the_cli_registers_every_channel(
    fake_zalo: FakeZaloBot,
    fake_telegram: FakeTelegram,
    content: Content,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_zalo.verification = {
        "ok": False,
        "outcome": "webhook.err.unreachable",
        "hint": "Kiểm tra URL có truy cập được từ Internet.",
    }
    settings = cli_settings(
        fake_zalo,
        content,
        telegram_token=TOKEN,
        telegram_secret=SECRET,
        telegram_api_url=fake_telegram.api_url,
    )
    assert cli._set_webhook(settings)
    said = capsys.readouterr().err
    assert fake_zalo.webhook == {
        "url": f"{PUBLIC}/webhook/zalo-bot",
        "secret_token": ZALO_BOT_SECRET,
    }
    assert fake_telegram.webhook is not None
    assert fake_telegram.webhook["url"] == f"{PUBLIC}/webhook/telegram"
    assert f"Telegram now sends updates to {PUBLIC}/webhook/telegram" in said
    assert f"the Zalo Bot Platform now sends updates to {PUBLIC}/webhook/zalo-bot" in said
    assert "webhook.err.unreachable (Kiểm tra URL" in said and "is expected" in said


@pytest.mark.parametrize(
    ("more", "answer", "words"),
    [
        pytest.param({}, bad_request("url must be https"), "Zalo did not take the webhook",
                     id="refused"),
        pytest.param({}, unauthorized(), "401: Unauthorized", id="wrong-token"),
        pytest.param({"zalo_bot_secret": "short"}, None, "8 to 256 characters",
                     id="secret-too-short"),
        pytest.param({"public_url": None}, None, "needs HOCSO_PUBLIC_URL", id="no-public-url"),
        pytest.param({"zalo_bot_token": None}, None, "ZALO_BOT_TOKEN", id="no-channel"),
    ],
)  # fmt: skip
def test_set_webhook_from_the_cli_says_what_went_wrong(
    fake_zalo: FakeZaloBot,
    content: Content,
    capsys: pytest.CaptureFixture[str],
    more: dict[str, Any],
    answer: Scripted | None,
    words: str,
) -> None:
    if answer is not None:
        fake_zalo.script("setWebhook", answer)
    assert not cli._set_webhook(cli_settings(fake_zalo, content, **more))
    said = capsys.readouterr().err
    assert words in said
    assert ZALO_BOT_TOKEN not in said
    assert fake_zalo.webhook is None
    assert len(fake_zalo.calls()) == (1 if answer is not None else 0)


def test_hocso_serve_set_webhook_then_serves_zalo_bot(
    fake_zalo: FakeZaloBot, fake_telegram: FakeTelegram, content: Content, tmp_path: Path
) -> None:
    """The whole command: settings from the environment, the webhook registered, then served."""
    env = environment_for(fake_telegram, content.root, "memory://")
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN", "TELEGRAM_API_URL"):
        env.pop(name)  # Zalo Bot only
    env.update(
        ZALO_BOT_TOKEN=ZALO_BOT_TOKEN,
        ZALO_BOT_SECRET_TOKEN=ZALO_BOT_SECRET,
        ZALO_BOT_API_URL=fake_zalo.api_url,
        HOCSO_PUBLIC_URL=PUBLIC + "/",
    )
    chat = chat_id(8)
    with ServeProcess(env, tmp_path / "serve.log", "--set-webhook") as server:
        answer = httpx.post(
            f"{server.url}/webhook/zalo-bot",
            json=text_update(chat, "Xin chào", wrapped=True),
            headers={SECRET_HEADER: ZALO_BOT_SECRET},
        )
        (greeting,) = fake_zalo.wait_for_messages(chat, 1, timeout=10)
        telegram = httpx.post(f"{server.url}/webhook/telegram", json={})
        output = server.output()
    assert fake_zalo.webhook == {
        "url": f"{PUBLIC}/webhook/zalo-bot",
        "secret_token": ZALO_BOT_SECRET,
    }
    assert f"the Zalo Bot Platform now sends updates to {PUBLIC}/webhook/zalo-bot" in output
    assert "Telegram now sends" not in output  # not configured: not registered
    assert answer.status_code == 200
    assert greeting.text.startswith("Chào bác!")
    assert telegram.status_code == 404
    assert fake_telegram.calls() == []


# -- 9. the route and the client's life -------------------------------------------------------


def test_the_route_without_the_channel(content: Content) -> None:
    with ServiceThread(Settings(content=content.root, store="memory://")) as app:
        webhook = httpx.post(
            f"{app.url}/webhook/zalo-bot",
            json=text_update(chat_id(9), "hi"),
            headers={SECRET_HEADER: ZALO_BOT_SECRET},
        )
        schema = httpx.get(f"{app.url}/openapi.json").json()
    assert webhook.status_code == 404
    entry = schema["paths"]["/webhook/zalo-bot"]["post"]
    assert entry["parameters"][0]["name"] == SECRET_HEADER
    assert set(entry["responses"]) >= {"200", "400", "401", "403", "404", "413", "503"}


def test_one_client_per_service_closed_at_stop(fake_zalo: FakeZaloBot, content: Content) -> None:
    app = ServiceThread(zalo_bot_settings_for(fake_zalo, content.root, "memory://")).start()
    try:
        outlet = app.service.outlets["zalo-bot"]
        assert isinstance(outlet.sender, ZaloBotSender)
        assert outlet.limits == NO_LIMITS  # the settings' limits (HOCSO_RATE_*)
        client = outlet.sender.api._client
        assert not client.is_closed
    finally:
        app.stop()
    assert client.is_closed


# -- 1b. typing is the only way: the 74-year-old's sitting -----------------------------------


def test_a_learner_who_types_everything_loses_nothing(
    fake_zalo: FakeZaloBot, content: Content, shared_store_url: str
) -> None:
    """On Zalo Bot there are no buttons: she types the button's words, a word that could be
    "don't delete", and words of confusion; each is read as she meant it."""
    say = content.messages.text
    chat = chat_id(74)
    settings = zalo_bot_settings_for(fake_zalo, content.root, shared_store_url)
    with ServiceThread(settings) as app:

        async def sitting() -> None:
            async with ZaloBotWebhook(app.url) as hook:
                ba = ZaloBotLearner(hook, fake_zalo, chat)
                await ba.say("chao chau")
                await ba.replies()
                await ba.say("bai mau")
                await ba.replies()
                await ba.say("bat dau")  # the continue button's words, typed plainly
                (question,) = await ba.replies()
                assert question.text.startswith("Điện thoại của bác là loại nào?")
                await ba.say("xoa du lieu")
                (confirm,) = await ba.replies()
                assert plain(content, "delete.confirm") in confirm.text
                assert f"1. {say('buttons.delete_no')}\n2. {say('buttons.delete_yes')}" in (
                    confirm.text
                )
                await ba.say("dung xoa")  # "đừng xóa": never a yes
                (kept,) = await ba.replies()
                assert kept.text.startswith(plain(content, "delete.cancelled"))
                await ba.say("khong hieu")  # lost: what to do here, and help, numbered
                (lost,) = await ba.replies()
                assert lost.text.startswith("Dạ, bác đừng lo.")
                assert f"\n1. Android\n2. iPhone\n3. {say('buttons.help')}\n" in lost.text
                await ba.say("samsung")
                (android,) = await ba.replies()
                assert android.text.startswith("Trên Android")

        asyncio.run(sitting())
        app.wait_sent()
        learner = app.store.get(f"zalobot:{chat}")
    assert learner is not None and learner.position is not None
    assert learner.position.step == "android"
