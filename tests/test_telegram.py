"""The Telegram adapter: updates parsed from real-looking JSON, and messages sent through a real
PTB `Bot` to the stand-in Bot API server (`support.fake_telegram`), which answers and refuses
like Telegram."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bot.inbound import Inbound
from bot.outbound import Button, Link, Outbound
from handlers import base
from handlers.telegram import (
    BadUpdate,
    MemoryFileIds,
    Received,
    SendError,
    TelegramSender,
    make_bot,
    parse_update,
    render,
    set_webhook,
    to_html,
)
from handlers.telegram.render import runs, split
from support.fake_telegram import (
    FakeTelegram,
    Scripted,
    bad_gateway,
    bad_request,
    blocked,
    chat_not_found,
    check_html,
    flood,
    normal,
    server_error,
    slow,
)

T = TypeVar("T")

# PTB 22 warns from inside RetryAfter() itself that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)

TOKEN = "123456789:AAHtest-token_for-hocso"
CHAT = "12345"
LEARNER = "tg:12345"

# -- parsing ---------------------------------------------------------------------------------

USER = {
    "id": 12345,
    "is_bot": False,
    "first_name": "Lan",
    "last_name": "Nguyễn",
    "language_code": "vi",
}
BOT = {"id": 4242, "is_bot": True, "first_name": "Học số", "username": "hocso_bot"}
PRIVATE = {"id": 12345, "type": "private", "first_name": "Lan", "last_name": "Nguyễn"}
GROUP = {"id": -1001987654321, "type": "supergroup", "title": "Lớp học số phường 5"}
CHANNEL = {"id": -1001122334455, "type": "channel", "title": "Tin tức phường"}
DATE = 1763884800


def message(update_id: int, chat: dict[str, Any] = PRIVATE, **content: Any) -> dict[str, Any]:
    body = {"message_id": 50 + update_id, "date": DATE, "chat": chat, "from": USER, **content}
    return {"update_id": update_id, "message": body}


def callback(
    update_id: int, data: str | None, *, chat: dict[str, Any] | None = PRIVATE
) -> dict[str, Any]:
    query: dict[str, Any] = {"id": "4382000001", "from": USER, "chat_instance": "-770011"}
    if data is not None:
        query["data"] = data
    else:
        query["game_short_name"] = "game"
    if chat is not None:
        query["message"] = {
            "message_id": 49,
            "date": DATE,
            "chat": chat,
            "from": BOT,
            "text": "Ai được biết mã OTP của bác?",
        }
    return {"update_id": update_id, "callback_query": query}


def membership(update_id: int, old: str, new: str) -> dict[str, Any]:
    def member(status: str) -> dict[str, Any]:
        return {"user": BOT, "status": status, **({"until_date": 0} if status == "kicked" else {})}

    change = {
        "chat": PRIVATE,
        "from": USER,
        "date": DATE,
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }
    return {"update_id": update_id, "my_chat_member": change}


def with_query(update: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A callback update with these fields of its callback_query changed."""
    return {**update, "callback_query": {**update["callback_query"], **fields}}


def file(kind: str, **more: Any) -> dict[str, Any]:
    return {"file_id": f"{kind}-AgADBAADq6cxG", "file_unique_id": f"{kind}-AQADq6c", **more}


def got(
    update_id: int,
    kind: str,
    inbound: Inbound | None = None,
    *,
    learner: str | None = LEARNER,
    callback_id: str | None = None,
    reach: str | None = None,
) -> Received:
    chat = learner.removeprefix("tg:") if learner else None
    # Every update here comes from USER, whose name the learner's record keeps.
    named = dataclasses.replace(inbound, name="Lan Nguyễn") if inbound else None
    return Received(f"tg:{update_id}", learner, chat, named, callback_id, kind, reach)


PHOTO_SIZES = [file("p1", width=90, height=67, file_size=1234), file("p2", width=800, height=600)]

PARSE_CASES = [
    pytest.param(
        message(1, text="Dạ cháu chào bác 👋🏻 ạ"),
        got(1, "text", Inbound(LEARNER, text="Dạ cháu chào bác 👋🏻 ạ")),
        id="text with emoji",
    ),
    pytest.param(
        message(2, text="/start"), got(2, "start", Inbound(LEARNER, start="")), id="/start"
    ),
    pytest.param(
        message(3, text="/start an-toan-otp_V12"),
        got(3, "start", Inbound(LEARNER, start="an-toan-otp_V12")),
        id="/start deep link",
    ),
    pytest.param(
        message(4, text="/start@hocso_bot"),
        got(4, "start", Inbound(LEARNER, start="")),
        id="/start@bot",
    ),
    pytest.param(
        message(5, text="/start@hocso_bot an-toan-otp"),
        got(5, "start", Inbound(LEARNER, start="an-toan-otp")),
        id="/start@bot with payload",
    ),
    pytest.param(
        message(6, text="/start xin chào cháu"),
        got(6, "start", Inbound(LEARNER, start="")),
        id="/start with what no link carries",
    ),
    pytest.param(
        message(7, text="/start " + "a" * 65),
        got(7, "start", Inbound(LEARNER, start="")),
        id="/start payload over 64",
    ),
    pytest.param(
        message(8, text="/menu"), got(8, "text", Inbound(LEARNER, text="/menu")), id="/menu"
    ),
    pytest.param(
        message(9, text="/help@hocso_bot"),
        got(9, "text", Inbound(LEARNER, text="/help")),
        id="/help@bot",
    ),
    pytest.param(
        message(10, text="/ là gì vậy"),
        got(10, "text", Inbound(LEARNER, text="/ là gì vậy")),
        id="slash that is no command",
    ),
    pytest.param(
        callback(11, "o:3f9a1c0b2d:1"),
        got(11, "button", Inbound(LEARNER, payload="o:3f9a1c0b2d:1"), callback_id="4382000001"),
        id="button",
    ),
    pytest.param(
        callback(38, "ờ" * 21 + "o"),  # 64 bytes: as much as Telegram carries
        got(38, "button", Inbound(LEARNER, payload="ờ" * 21 + "o"), callback_id="4382000001"),
        id="button with 64 bytes of data",
    ),
    pytest.param(
        callback(12, "c:3f9a1c0b2d", chat=None),
        got(12, "button", Inbound(LEARNER, payload="c:3f9a1c0b2d"), callback_id="4382000001"),
        id="button under a message too old",
    ),
    pytest.param(
        {
            "update_id": 37,
            "callback_query": {
                "id": "4382000001",
                "from": USER,
                "chat_instance": "-770011",
                "data": "k:menu",
                "message": {"message_id": 3, "date": 0, "chat": PRIVATE},  # inaccessible
            },
        },
        got(37, "button", Inbound(LEARNER, payload="k:menu"), callback_id="4382000001"),
        id="button under an inaccessible message",
    ),
    pytest.param(
        callback(13, None), got(13, "ignored:no-data", callback_id="4382000001"), id="game button"
    ),
    pytest.param(
        callback(14, "o:1:0", chat=GROUP),
        got(14, "ignored:group", learner=None, callback_id="4382000001"),
        id="button in a group",
    ),
    pytest.param(
        message(15, photo=PHOTO_SIZES, caption="ảnh căn cước của tôi"),
        got(15, "media", Inbound(LEARNER, media="photo")),
        id="photo with caption",
    ),
    pytest.param(
        message(
            16,
            sticker=file(
                "s",
                type="regular",
                width=512,
                height=512,
                is_animated=False,
                is_video=False,
                emoji="👍",
            ),
        ),
        got(16, "media", Inbound(LEARNER, media="sticker")),
        id="sticker",
    ),
    pytest.param(
        message(17, voice=file("v", duration=4, mime_type="audio/ogg")),
        got(17, "media", Inbound(LEARNER, media="voice")),
        id="voice",
    ),
    pytest.param(
        message(18, audio=file("a", duration=180, title="Bài hát")),
        got(18, "media", Inbound(LEARNER, media="voice")),
        id="audio",
    ),
    pytest.param(
        message(19, document=file("d", file_name="hoa-don.pdf", mime_type="application/pdf")),
        got(19, "media", Inbound(LEARNER, media="file")),
        id="document",
    ),
    pytest.param(
        message(
            20,
            animation=file("g", width=320, height=240, duration=2),
            document=file("g", file_name="cam-on.mp4"),
        ),
        got(20, "media", Inbound(LEARNER, media="sticker")),
        id="animation (a GIF, with its document)",
    ),
    pytest.param(
        message(21, video=file("m", width=640, height=360, duration=12)),
        got(21, "media", Inbound(LEARNER, media="video")),
        id="video",
    ),
    pytest.param(
        message(22, video_note=file("n", length=240, duration=5)),
        got(22, "media", Inbound(LEARNER, media="video")),
        id="video note",
    ),
    pytest.param(
        message(23, location={"latitude": 10.7769, "longitude": 106.7009}),
        got(23, "media", Inbound(LEARNER, media="location")),
        id="location",
    ),
    pytest.param(
        message(24, contact={"phone_number": "+84901234567", "first_name": "Hoa"}),
        got(24, "media", Inbound(LEARNER, media="other")),
        id="contact",
    ),
    pytest.param(
        message(25, write_access_allowed={"from_request": True}),
        got(25, "ignored:service"),
        id="service message",
    ),
    pytest.param(
        {
            "update_id": 26,
            "edited_message": {
                "message_id": 60,
                "date": DATE,
                "edit_date": DATE + 5,
                "chat": PRIVATE,
                "from": USER,
                "text": "sửa lại",
            },
        },
        got(26, "ignored:edited_message", learner=None),
        id="edited message",
    ),
    pytest.param(
        {
            "update_id": 27,
            "channel_post": {"message_id": 61, "date": DATE, "chat": CHANNEL, "text": "Thông báo"},
        },
        got(27, "ignored:channel_post", learner=None),
        id="channel post",
    ),
    pytest.param(
        {
            "update_id": 28,
            "edited_channel_post": {
                "message_id": 61,
                "date": DATE,
                "edit_date": DATE + 9,
                "chat": CHANNEL,
                "text": "Thông báo mới",
            },
        },
        got(28, "ignored:edited_channel_post", learner=None),
        id="edited channel post",
    ),
    pytest.param(
        membership(29, "member", "kicked"),
        got(29, "blocked", reach="blocked"),
        id="learner blocks the bot",
    ),
    pytest.param(
        membership(30, "kicked", "member"),
        got(30, "unblocked", reach="unblocked"),
        id="learner unblocks",
    ),
    pytest.param(
        message(31, chat=GROUP, text="/start"),
        got(31, "ignored:group", learner=None),
        id="group message",
    ),
    pytest.param(
        message(32, text="đc r", brand_new_field={"from": "a future Bot API"}),
        got(32, "text", Inbound(LEARNER, text="đc r")),
        id="message with an unknown field",
    ),
    pytest.param(
        {"update_id": 33, "brand_new_update": {"id": 1}},
        got(33, "ignored:unknown", learner=None),
        id="unknown update kind",
    ),
    pytest.param(
        {"update_id": 34, "inline_query": {"id": "9", "from": USER, "query": "otp", "offset": ""}},
        got(34, "ignored:inline_query", learner=None),
        id="inline query",
    ),
    pytest.param(
        {
            "update_id": 35,
            "poll": {
                "id": "5",
                "question": "Bác học bài nào?",
                "options": [{"text": "OTP", "voter_count": 1}],
                "total_voter_count": 1,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
            },
        },
        got(35, "ignored:poll", learner=None),
        id="poll",
    ),
    pytest.param(
        {
            "update_id": 36,
            "chat_member": {
                "chat": GROUP,
                "from": USER,
                "date": DATE,
                "old_chat_member": {"user": USER, "status": "left"},
                "new_chat_member": {"user": USER, "status": "member"},
            },
        },
        got(36, "ignored:chat_member", learner=None),
        id="chat member",
    ),
]


@pytest.mark.parametrize(("update", "expected"), PARSE_CASES)
def test_parse_update(update: dict[str, Any], expected: Received) -> None:
    assert parse_update(update) == expected


@pytest.mark.parametrize(
    ("data", "words"),
    [
        pytest.param([], "not a list", id="list"),
        pytest.param("update", "not a string", id="string"),
        pytest.param(None, "not null", id="null"),
        pytest.param({}, "integer update_id", id="empty object"),
        pytest.param({"update_id": "x"}, "integer update_id", id="update_id text"),
        pytest.param({"update_id": True}, "integer update_id", id="update_id boolean"),
        pytest.param({"update_id": 1, "message": "hi"}, "not shaped like", id="message text"),
        pytest.param({"update_id": 1, "message": []}, "not shaped like", id="message list"),
        pytest.param(
            {"update_id": 1, "callback_query": {"id": "1"}}, "not shaped like", id="callback bare"
        ),
        pytest.param(
            {"update_id": 1, "message": {"text": "hi"}}, "not shaped like", id="message bare"
        ),
        # found by test_fuzz_parsers: answered as the answerCallbackQuery's id, as it was
        *(
            pytest.param(with_query(callback(1, "c:1"), id=value), "callback_query.id", id=why)
            for why, value in [
                ("callback id an object", {"a": 1}),
                ("callback id a number", 4382000001),
                ("callback id null", None),
                ("callback id empty", ""),
                ("callback id with a space", "43 82"),
                ("callback id too long", "4" * 129),
            ]
        ),
        # found by test_fuzz_parsers: Telegram sends 1 to 64 bytes, any hocso button fewer
        *(
            pytest.param(callback(1, data), "callback_query.data", id=why)
            for why, data in [
                ("callback data empty", ""),
                ("callback data of 65 bytes", "o:" + "a" * 63),
                ("callback data of 66 bytes in 22 letters", "ờ" * 22),
                ("callback data of 3000 characters", "x" * 3000),
            ]
        ),
        # found by test_fuzz_parsers: a date past what the system's clock can hold (OSError)
        *(
            pytest.param(
                {
                    "update_id": 1,
                    "message": {
                        "message_id": 1,
                        "date": date,
                        "text": "a",
                        "chat": {"id": 5, "type": "private"},
                    },
                },
                "not shaped like Telegram's",
                id=why,
            )
            for why, date in [("date in the year 36812", 2**40), ("date of 2**62 seconds", 2**62)]
        ),
    ],
)
def test_parse_update_refuses_what_is_no_update(data: object, words: str) -> None:
    with pytest.raises(BadUpdate) as caught:
        parse_update(data)
    assert isinstance(caught.value, ValueError)
    assert words in str(caught.value)


def test_parse_update_leaves_its_input_alone() -> None:
    update = message(1, text="/start an-toan-otp")
    before = repr(update)
    parse_update(update)
    assert repr(update) == before


# -- rendering -------------------------------------------------------------------------------

HTML_CASES = [
    ("Xin chào *bác* nhé", "Xin chào <b>bác</b> nhé"),
    ("_nghiêng_ và *đậm*", "<i>nghiêng</i> và <b>đậm</b>"),
    ("*đậm _và nghiêng_ nữa*", "<b>đậm <i>và nghiêng</i> nữa</b>"),
    ("_*cả hai*_", "<b><i>cả hai</i></b>"),
    ("*_cả hai_*", "<b><i>cả hai</i></b>"),
    ("*a* và *b*", "<b>a</b> và <b>b</b>"),
    ("(*mã OTP*).", "(<b>mã OTP</b>)."),
    ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
    ("<b>không phải thẻ</b>", "&lt;b&gt;không phải thẻ&lt;/b&gt;"),
    ("*&lt;*", "<b>&amp;lt;</b>"),
    ("5 * 3 = 15", "5 * 3 = 15"),
    ("một dấu * lẻ", "một dấu * lẻ"),
    ("*chưa đóng", "*chưa đóng"),
    ("**", "**"),
    ("* gạch đầu dòng *", "* gạch đầu dòng *"),
    ("2*3*4", "2*3*4"),
    ("ma_otp_moi", "ma_otp_moi"),
    ("https://vneid.gov.vn/a_b_c?x=1&y=2", "https://vneid.gov.vn/a_b_c?x=1&amp;y=2"),
    ("*dòng một\ndòng hai*", "*dòng một\ndòng hai*"),
    ("_a *b_ c*", "<i>a *b</i> c*"),
    ("😀 *vui* 🎉", "😀 <b>vui</b> 🎉"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), HTML_CASES)
def test_to_html(text: str, expected: str) -> None:
    assert to_html(text) == expected
    check_html(expected)  # the expectation itself is HTML Telegram takes


def test_to_html_never_breaks_telegram_html() -> None:
    """Any mix of markers and specials gives HTML Telegram parses, showing every character of the
    text but the markers that paired up."""
    rng = random.Random(20261123)
    alphabet = "ab *_<>&\n😀ạ."
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        shown = check_html(to_html(text))
        assert shown.replace("*", "").replace("_", "") == text.replace("*", "").replace("_", ""), (
            text
        )


def visible_parts(text: str, limit: int) -> list[str]:
    return [check_html(part) for part in split(runs(text), limit)]


SENTENCES = "Bác nhớ nhé. Mã OTP là bí mật! Ai hỏi cũng đừng đưa? Kể cả người nhà. "


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        pytest.param("Ngắn thôi.", 20, ["Ngắn thôi."], id="fits"),
        pytest.param("  \n ", 20, [], id="blank"),
        pytest.param(
            SENTENCES,
            22,
            ["Bác nhớ nhé.", "Mã OTP là bí mật!", "Ai hỏi cũng đừng đưa?", "Kể cả người nhà."],
            id="at sentence ends",
        ),
        pytest.param(
            "dòng một không chấm\ndòng hai cũng không",
            25,
            ["dòng một không chấm", "dòng hai cũng không"],
            id="at line ends",
        ),
        pytest.param("một hai ba bốn năm sáu", 9, ["một hai", "ba bốn", "năm sáu"], id="at spaces"),
        pytest.param("x" * 25, 10, ["x" * 10, "x" * 10, "x" * 5], id="no boundary at all"),
        pytest.param("😀" * 6, 5, ["😀😀", "😀😀", "😀😀"], id="emoji count two"),
        pytest.param("Câu một. Câu hai.", 8, ["Câu một.", "Câu hai."], id="window ends at a space"),
    ],
)
def test_split(text: str, limit: int, expected: list[str]) -> None:
    assert visible_parts(text, limit) == expected


def test_split_keeps_bold_across_parts() -> None:
    parts = split(runs("*một hai ba bốn năm sáu bảy tám*"), 12)
    assert len(parts) > 1
    assert all(part.startswith("<b>") and part.endswith("</b>") for part in parts)
    assert " ".join(check_html(part) for part in parts) == "một hai ba bốn năm sáu bảy tám"


def test_render_layout() -> None:
    message = Outbound(
        "Chọn *một*:",
        buttons=(Button("Chỉ mình tôi", "o:3f9a1c0b2d:0"), Button("Cả nhà", "o:3f9a1c0b2d:1")),
        links=(Link("Mở VNeID", "https://vneid.gov.vn"),),
    )
    [part] = render(message)
    assert part.text == "Chọn <b>một</b>:"
    assert part.image is None
    assert part.markup is not None
    assert part.markup.to_dict() == {
        "inline_keyboard": [
            [{"text": "Chỉ mình tôi", "callback_data": "o:3f9a1c0b2d:0"}],
            [{"text": "Cả nhà", "callback_data": "o:3f9a1c0b2d:1"}],
            [{"text": "Mở VNeID", "url": "https://vneid.gov.vn"}],
        ]
    }


# -- sending ---------------------------------------------------------------------------------


def with_sender(
    fake: FakeTelegram,
    action: Callable[[TelegramSender], Awaitable[T]],
    *,
    file_ids: MemoryFileIds | None = None,
    read_timeout: float = 10.0,
) -> T:
    """Run `action` with a sender on a real Bot pointed at the fake server."""

    async def go() -> T:
        async with make_bot(TOKEN, fake.api_url, read_timeout=read_timeout) as bot:
            return await action(TelegramSender(bot, file_ids or MemoryFileIds()))

    return asyncio.run(go())


def send(fake: FakeTelegram, *messages: Outbound, file_ids: MemoryFileIds | None = None) -> None:
    async def action(sender: TelegramSender) -> None:
        for message in messages:
            await sender.send(CHAT, message)

    with_sender(fake, action, file_ids=file_ids)


def test_make_bot_calls_the_given_api(fake_telegram: FakeTelegram) -> None:
    bot = make_bot(TOKEN, fake_telegram.api_url)
    assert bot.base_url == f"{fake_telegram.api_url}{TOKEN}"
    assert make_bot(TOKEN).base_url == f"https://api.telegram.org/bot{TOKEN}"


def test_html_as_telegram_receives_it(fake_telegram: FakeTelegram) -> None:
    rows = [(text, html) for text, html in HTML_CASES if text]
    send(fake_telegram, *(Outbound(text) for text, _ in rows))
    sent = fake_telegram.messages(CHAT)
    assert [message.text for message in sent] == [html for _, html in rows]
    assert {message.parse_mode for message in sent} == {"HTML"}
    assert [call.token for call in fake_telegram.calls("sendMessage")] == [TOKEN] * len(rows)


def test_buttons_one_a_row_then_links(fake_telegram: FakeTelegram) -> None:
    send(
        fake_telegram,
        Outbound(
            "Ai được biết mã OTP của bác?",
            buttons=(
                Button("Chỉ mình tôi", "o:3f9a1c0b2d:0"),
                Button("Nhân viên ngân hàng", "o:3f9a1c0b2d:1"),
                Button("Con cháu trong nhà", "o:3f9a1c0b2d:2"),
            ),
            links=(
                Link("Mở VNeID", "https://vneid.gov.vn"),
                Link("Tổng đài 156", "https://156.vn"),
            ),
        ),
        Outbound("Không có nút."),
    )
    with_buttons, without = fake_telegram.messages(CHAT)
    assert with_buttons.rows == [
        [{"text": "Chỉ mình tôi", "callback_data": "o:3f9a1c0b2d:0"}],
        [{"text": "Nhân viên ngân hàng", "callback_data": "o:3f9a1c0b2d:1"}],
        [{"text": "Con cháu trong nhà", "callback_data": "o:3f9a1c0b2d:2"}],
        [{"text": "Mở VNeID", "url": "https://vneid.gov.vn"}],
        [{"text": "Tổng đài 156", "url": "https://156.vn"}],
    ]
    assert without.markup is None


def long_lesson() -> str:
    paragraph = (
        "Mã OTP là mật khẩu dùng một lần mà ngân hàng gửi cho bác qua tin nhắn. "
        "*Không ai* được hỏi mã này, kể cả nhân viên ngân hàng hay công an! "
        "Nếu có người gọi điện xin mã, bác hãy _cúp máy ngay_ và gọi lại số tổng đài in trên thẻ. "
        "Bác có nhớ không? 😊\n"
    )
    return paragraph * 40  # about 11,000 characters


def test_long_text_is_split_at_sentences_with_buttons_last(fake_telegram: FakeTelegram) -> None:
    text = long_lesson()
    send(fake_telegram, Outbound(text, buttons=(Button("Tiếp tục ▶", "c:3f9a1c0b2d"),)))
    sent = fake_telegram.messages(CHAT)
    assert len(sent) == 3
    for part in sent:
        assert len(part.visible.encode("utf-16-le")) // 2 <= 4096
        assert part.visible.endswith(("?", "!", ".", "😊")), part.visible[-30:]
    assert [part.labels for part in sent] == [[], [], ["Tiếp tục ▶"]]
    shown = " ".join(part.visible for part in sent).split()
    assert shown == check_html(to_html(text)).split()


def test_one_long_sentence_is_split_at_spaces(fake_telegram: FakeTelegram) -> None:
    text = " ".join(f"từ{number}" for number in range(2400))  # 13,389 characters, no sentence end
    send(fake_telegram, Outbound(text))
    sent = fake_telegram.messages(CHAT)
    assert len(sent) == 4
    assert all(4096 - len("từ9999") <= len(part.visible) <= 4096 for part in sent[:-1])
    assert " ".join(part.visible for part in sent) == text


def test_a_resent_message_skips_the_parts_already_delivered(fake_telegram: FakeTelegram) -> None:
    message = Outbound(long_lesson(), buttons=(Button("Tiếp tục ▶", "c:3f9a1c0b2d"),))
    fake_telegram.script("sendMessage", normal(), flood(2))
    with pytest.raises(SendError) as caught:
        send(fake_telegram, message)
    assert (caught.value.sent, caught.value.retry_after) == (1, 2.0)

    async def resend(sender: TelegramSender) -> None:
        await sender.send(CHAT, message, skip=caught.value.sent)

    with_sender(fake_telegram, resend)
    assert [part.text for part in fake_telegram.messages(CHAT)] == [
        part.text for part in render(message)
    ]


def write_image(path: Path, size: int = 2048) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * (size // 256))
    return path


def test_photo_uploaded_once_then_sent_by_file_id(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    image = write_image(tmp_path / "otp.png")
    file_ids = MemoryFileIds()
    message = Outbound("Đây là *mã OTP*", buttons=(Button("Tiếp tục ▶", "c:1"),), image=str(image))
    send(fake_telegram, message, message, file_ids=file_ids)

    first, second = fake_telegram.calls("sendPhoto")
    [upload] = first.files
    assert (upload.field, upload.filename, upload.content) == (
        "photo",
        "otp.png",
        image.read_bytes(),
    )
    assert second.files == ()
    [file_id] = file_ids.ids.values()
    assert second.params["photo"] == file_id
    for sent in fake_telegram.messages(CHAT):
        assert (sent.text, sent.labels, sent.photo) == (
            "Đây là <b>mã OTP</b>",
            ["Tiếp tục ▶"],
            file_id,
        )

    # A changed file is a new photo: uploaded again.
    write_image(image, size=4096)
    os.utime(image, ns=(time.time_ns(), time.time_ns() + 10**9))
    send(fake_telegram, message, file_ids=file_ids)
    assert len(fake_telegram.uploads()) == 2
    assert len(file_ids.ids) == 2


def test_a_refused_file_id_is_uploaded_again(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    image = write_image(tmp_path / "otp.png")
    file_ids = MemoryFileIds()
    send(fake_telegram, Outbound("Ảnh", image=str(image)), file_ids=file_ids)
    fake_telegram.script("sendPhoto", bad_request("wrong file identifier/HTTP URL specified"))
    send(fake_telegram, Outbound("Ảnh", image=str(image)), file_ids=file_ids)
    assert [bool(call.files) for call in fake_telegram.calls("sendPhoto")] == [True, False, True]
    assert len(fake_telegram.messages(CHAT)) == 2


def test_caption_too_long_goes_after_the_photo(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    image = write_image(tmp_path / "otp.png")
    text = "Bác xem kỹ ảnh này nhé. " * 60  # about 1,400 characters
    send(fake_telegram, Outbound(text, buttons=(Button("Tiếp tục ▶", "c:1"),), image=str(image)))
    photo, words = fake_telegram.messages(CHAT)
    assert (photo.method, photo.text, photo.markup) == ("sendPhoto", "", None)
    assert (words.method, words.visible, words.labels) == (
        "sendMessage",
        text.strip(),
        ["Tiếp tục ▶"],
    )


def test_caption_that_fits_goes_with_the_photo(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    image = write_image(tmp_path / "otp.png")
    text = "x" * 1024
    send(fake_telegram, Outbound(text, image=str(image)))
    [photo] = fake_telegram.messages(CHAT)
    assert (photo.method, photo.text) == ("sendPhoto", text)


def test_image_by_url(fake_telegram: FakeTelegram) -> None:
    url = "https://hocso.example.vn/media/otp.jpg"
    send(
        fake_telegram,
        Outbound("Ảnh _mẫu_", links=(Link("Xem thêm", "https://vneid.gov.vn"),), image=url),
    )
    [call] = fake_telegram.calls("sendPhoto")
    assert (call.params["photo"], call.params["caption"], call.files) == (url, "Ảnh <i>mẫu</i>", ())
    assert fake_telegram.messages(CHAT)[0].labels == ["Xem thêm"]


def test_missing_image_file_still_sends_the_text(
    fake_telegram: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        send(fake_telegram, Outbound("Chữ vẫn đến", image=str(tmp_path / "gone.png")))
    assert fake_telegram.texts(CHAT) == ["Chữ vẫn đến"]
    assert "gone.png" in caplog.text


def test_payload_over_64_bytes_is_refused_before_sending(fake_telegram: FakeTelegram) -> None:
    with pytest.raises(SendError) as caught:
        send(fake_telegram, Outbound("Chọn", buttons=(Button("Dài", "l:" + "ạ" * 30),)))
    assert caught.value.permanent
    assert fake_telegram.calls("sendMessage") == []


def test_nothing_to_send_sends_nothing(fake_telegram: FakeTelegram) -> None:
    send(fake_telegram, Outbound("   "))
    assert fake_telegram.calls("sendMessage") == []


@pytest.mark.parametrize(
    ("answer", "retry_after", "permanent", "description", "gone"),
    [
        pytest.param(flood(7), 7.0, False, "Flood control exceeded", None, id="429"),
        pytest.param(server_error(500), None, False, "Internal Server Error", None, id="500"),
        pytest.param(server_error(503), None, False, "Internal Server Error", None, id="503"),
        pytest.param(bad_gateway(), None, False, "Bad Gateway (502)", None, id="502 html page"),
        pytest.param(
            blocked(), None, True, "Forbidden: bot was blocked by the user", "blocked",
            id="403 blocked",
        ),
        pytest.param(
            Scripted(403, "Forbidden: user is deactivated"), None, True, "user is deactivated",
            "deactivated", id="403 deactivated",
        ),
        pytest.param(
            chat_not_found(), None, True, "Chat not found", "no chat", id="400 chat not found"
        ),
        pytest.param(
            bad_request("message is too long"), None, True, "Message is too long", None,
            id="400 a message refused",
        ),
        pytest.param(slow(1.0), None, False, "Timed out", None, id="timeout"),
    ],
)  # fmt: skip
def test_send_errors(
    fake_telegram: FakeTelegram,
    answer: Scripted,
    retry_after: float | None,
    permanent: bool,
    description: str,
    gone: str | None,
) -> None:
    """What a failure means for delivery, and whether it says the learner cannot be reached
    (no reminder is pushed to them until they write again)."""
    fake_telegram.script("sendMessage", answer, chat=CHAT)

    async def action(sender: TelegramSender) -> None:
        await sender.send(CHAT, Outbound("Chào bác"))

    with pytest.raises(SendError) as caught:
        with_sender(fake_telegram, action, read_timeout=0.3)
    error = caught.value
    assert isinstance(error, base.SendError)  # what the delivery loop catches
    assert (error.retry_after, error.permanent, error.sent) == (retry_after, permanent, 0)
    assert description in error.description
    assert error.gone == gone


def test_failures_scripted_for_one_chat_spare_the_others(fake_telegram: FakeTelegram) -> None:
    fake_telegram.script("sendMessage", blocked(), chat="999")

    async def action(sender: TelegramSender) -> None:
        await sender.send(CHAT, Outbound("một"))
        with pytest.raises(SendError):
            await sender.send("999", Outbound("hai"))
        await sender.send("999", Outbound("ba"))

    with_sender(fake_telegram, action)
    assert (fake_telegram.texts(CHAT), fake_telegram.texts("999")) == (["một"], ["ba"])


def test_flood_control_per_chat() -> None:
    with FakeTelegram(per_chat_rate=1.0, per_chat_burst=3) as fake:

        async def action(sender: TelegramSender) -> None:
            for number in range(3):
                await sender.send(CHAT, Outbound(f"tin {number}"))
            await sender.send("777", Outbound("chat khác"))
            await sender.send(CHAT, Outbound("tin thứ tư"))

        with pytest.raises(SendError) as caught:
            with_sender(fake, action)
        assert caught.value.retry_after == 1.0
        assert len(fake.messages(CHAT)) == 3
        assert [call.status for call in fake.calls("sendMessage")] == [200, 200, 200, 200, 429]


def test_wrong_token_is_not_a_learner_problem() -> None:
    """Telegram answers 401 to a token it does not know; PTB raises InvalidToken."""
    with FakeTelegram(token="1:right") as fake:

        async def go() -> None:
            bot = make_bot(TOKEN, fake.api_url)  # not initialized: getMe would raise first
            try:
                await TelegramSender(bot, MemoryFileIds()).send(CHAT, Outbound("Chào"))
            finally:
                await bot.shutdown()

        with pytest.raises(SendError) as caught:
            asyncio.run(go())
        assert not caught.value.permanent
        assert [call.status for call in fake.calls()] == [401]


def test_answer_callback(fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    too_old = "query is too old and response timeout expired or query ID is invalid"
    fake_telegram.script("answerCallbackQuery", normal(), bad_request(too_old))

    async def action(sender: TelegramSender) -> None:
        await sender.answer_callback("4382000001")
        await sender.answer_callback("4382000002")  # refused, and only logged

    with caplog.at_level(logging.WARNING):
        with_sender(fake_telegram, action)
    calls = fake_telegram.calls("answerCallbackQuery")
    assert [(call.params["callback_query_id"], call.status) for call in calls] == [
        ("4382000001", 200),
        ("4382000002", 400),
    ]
    # PTB drops "Bad Request: " and capitalizes what is left, lowering the rest ("ID" -> "id").
    assert too_old.lower() in caplog.text.lower()


def test_set_webhook(fake_telegram: FakeTelegram) -> None:
    async def action(sender: TelegramSender) -> tuple[str, tuple[str, ...] | None]:
        await set_webhook(sender.bot, "https://hocso.example.vn/webhook/telegram", "s3cret_Token-1")
        info = await sender.bot.get_webhook_info()
        return info.url, info.allowed_updates

    url, allowed = with_sender(fake_telegram, action)
    expected = ["message", "callback_query", "my_chat_member"]
    assert fake_telegram.webhook is not None
    assert fake_telegram.webhook["url"] == "https://hocso.example.vn/webhook/telegram"
    assert fake_telegram.webhook["secret_token"] == "s3cret_Token-1"
    assert fake_telegram.webhook["allowed_updates"] == expected
    assert fake_telegram.webhook.get("drop_pending_updates") in (None, False, "false")
    assert (url, list(allowed or ())) == ("https://hocso.example.vn/webhook/telegram", expected)


def test_set_webhook_failure_is_a_send_error(fake_telegram: FakeTelegram) -> None:
    fake_telegram.script(
        "setWebhook", bad_request("bad webhook: HTTPS URL must be provided for webhook")
    )

    async def action(sender: TelegramSender) -> None:
        await set_webhook(sender.bot, "http://plain.example.vn/hook", "secret")

    with pytest.raises(SendError) as caught:
        with_sender(fake_telegram, action)
    assert caught.value.permanent
    assert "https url must be provided" in caught.value.description.lower()


# -- the stand-in server itself --------------------------------------------------------------


def test_fake_answers_the_wire_format(fake_telegram: FakeTelegram) -> None:
    base = f"{fake_telegram.api_url}{TOKEN}"
    with httpx.Client() as client:
        missing = client.post(f"{base}/sendSticker", json={"chat_id": 1})
        assert (missing.status_code, missing.json()) == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found"},
        )
        me = client.get(f"{base}/getMe").json()
        assert me["ok"] and me["result"]["is_bot"]
        by_json = client.post(
            f"{base}/sendMessage",
            json={
                "chat_id": 5,
                "text": "<b>a</b>",
                "parse_mode": "HTML",
                "reply_markup": {"inline_keyboard": []},
            },
        ).json()
        assert by_json["result"]["text"] == "a"
        by_query = client.get(f"{base}/sendMessage", params={"chat_id": "5", "text": "b"}).json()
        assert by_query["ok"]
        broken = client.post(
            f"{base}/sendMessage", data={"chat_id": "5", "text": "<b>a", "parse_mode": "HTML"}
        )
        assert broken.status_code == 400
        assert broken.json()["description"].startswith("Bad Request: can't parse entities")
        too_long = client.post(f"{base}/sendMessage", data={"chat_id": "5", "text": "x" * 4097})
        assert too_long.json()["description"] == "Bad Request: message is too long"
    assert fake_telegram.texts(5) == ["<b>a</b>", "b"]
    assert fake_telegram.calls("sendMessage")[0].params["reply_markup"] == {"inline_keyboard": []}


def test_fake_waits_for_messages_sent_in_the_background(fake_telegram: FakeTelegram) -> None:
    import threading

    def later() -> None:
        time.sleep(0.05)
        send(fake_telegram, Outbound("một"), Outbound("hai"))

    worker = threading.Thread(target=later)
    worker.start()
    sent = fake_telegram.wait_for_messages(CHAT, 2, timeout=5)
    worker.join()
    assert [message.text for message in sent] == ["một", "hai"]
    with pytest.raises(TimeoutError):
        fake_telegram.wait_for_messages(CHAT, 3, timeout=0.05)
