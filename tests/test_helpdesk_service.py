"""A person on the line through the service, over real HTTP: the learner's Telegram (or web)
chat, the desk's Telegram group (both on the stand-in Bot API, `support.fake_telegram`),
real SQLite and Redis. The issue's "done when": a learner who types "tôi bị lừa rồi" reaches a
real volunteer, whose reply in the group reaches them in their own chat, once; the tutor is
quiet meanwhile and resumes after /xong, or when the time is over (two workers, one
message). And what the service reads: a helper's reply in a group (`handlers.telegram.Staff`),
`/id` there, and the settings (HOCSO_HELP_CHAT, HOCSO_HELP_HOURS, HOCSO_QUIET_HOURS)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.learner import Learner
from bot.reminders import Policy
from bot.stores import open_store
from handlers.telegram import parse_update
from lessons import markup
from support.chat import fixture_content, plain
from support.fake_telegram import FakeTelegram
from support.service import (
    ServiceThread,
    TelegramHelper,
    TelegramLearner,
    Webhook,
    message_update,
    settings_for,
)
from support.waiting import wait_until
from support.web import WebLearner
from webhook.service import Service
from webhook.settings import Settings

GROUP = -1001234567890
STRANGERS = -1009999999999
NO_QUIET = Policy(quiet=None)
"""No quiet hours: what is said and when the sweep closes a request do not hang on the hour
the tests run at."""

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


def first_line(content: Content, key: str, **values: object) -> str:
    """The first line of a learner's sentence as they read it."""
    return markup.plain(markup.runs(content.messages.text(key, **values))).splitlines()[0]


def desk(content: Content, key: str, **values: object) -> str:
    """A line of the desk's messages as the group reads it (bold markers gone)."""
    return markup.plain(markup.runs(content.console.text(key, **values)))


def opened_code(learner: Learner | None) -> str:
    assert learner is not None and learner.help is not None
    return learner.help.code


def test_a_learner_who_was_cheated_reaches_a_volunteer_and_gets_the_answer(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    settings = settings_for(
        fake_telegram, content.root, store_url, help_chat=str(GROUP), reminders=NO_QUIET
    )
    person = content.messages.text("buttons.person")
    answer = "Bác gọi ngay số tổng đài in sau thẻ ngân hàng để khóa tài khoản nhé."
    with ServiceThread(settings) as app:

        async def talk() -> None:
            async with Webhook(app.url) as hook:
                ba = TelegramLearner(hook, fake_telegram, 6101)
                hoa = TelegramHelper(hook, fake_telegram, GROUP, "Hoa")
                await ba.start("mau")
                await ba.replies()
                await ba.tap("Bắt đầu")
                await ba.replies()
                await ba.say("samsung")
                await ba.replies()
                await ba.tap("Tiếp tục")
                (quiz,) = await ba.replies()

                await ba.say("tôi bị lừa rồi")
                (offer,) = await ba.replies()
                assert offer.visible.startswith(first_line(content, "person.distress"))
                assert offer.labels == [person, content.messages.text("buttons.keep_learning")]
                assert fake_telegram.messages(GROUP) == []  # never without the learner's choice

                await ba.tap(person)
                (told,) = await ba.replies()
                code = opened_code(app.store.get("tg:6101"))
                assert told.visible.startswith(first_line(content, "person.opened", code=code))
                assert told.labels == [content.messages.text("buttons.back_to_lesson")]
                (posted,) = await hoa.replies()
                lines = posted.visible.splitlines()
                assert lines[0] == desk(content, "desk.distress", code=code)
                for line in [
                    desk(content, "desk.learner", name="L**", channel="Telegram"),
                    desk(content, "desk.lesson", lesson="Bài mẫu", number=5, count=8),
                    desk(content, "desk.line", text="Android"),  # "samsung", read
                    desk(content, "desk.line", text="tôi bị lừa rồi"),
                    desk(content, "desk.how"),
                ]:
                    assert line in lines, (line, lines)

                await ba.say("tôi mất 5000000 đồng rồi")
                (masked,) = await ba.replies()
                assert masked.visible == plain(content, "person.masked")
                (relayed,) = await hoa.replies()
                said = "tôi mất ••••••• đồng rồi"
                assert relayed.visible == desk(content, "desk.said", code=code, text=said)
                await ba.say("cháu ơi")  # relayed; the tutor stays quiet (said "passed on")
                (quiet,) = await hoa.replies()
                assert quiet.visible.endswith("cháu ơi")
                await ba.say("alo")
                await hoa.replies()

                await hoa.reply(relayed, answer, times=2)  # Telegram sends it again
                (heard,) = await ba.replies()
                expected = content.messages.text("person.answer", name="Hoa", text=answer)
                assert heard.visible == markup.plain(markup.runs(expected))

                # A reply from a group that is not the request's desk reaches nobody.
                await hoa.reply(posted, "chuyển tiền cho tôi", group=STRANGERS)

                await hoa.reply(posted, "/xong")
                (done,) = await ba.replies()
                assert done.visible == plain(content, "person.done")
                assert done.labels[0] == content.messages.text("buttons.resume", title="Bài mẫu")
                await ba.tap("▶ Học tiếp")
                (again,) = await ba.replies()
                assert again.visible == quiz.visible  # the lesson, where it was

        asyncio.run(talk())
        app.wait_sent()
        learner = app.store.get("tg:6101")
    assert len(fake_telegram.messages(6101)) == 10  # nothing twice, nothing from strangers
    assert fake_telegram.messages(STRANGERS) == []
    assert len(fake_telegram.messages(GROUP)) == 4  # posted, three relayed; /xong said there
    assert learner is not None and learner.help is None
    assert learner.helped["asked"] == learner.helped["answered"] == 1
    assert "5000000" not in str(learner.to_dict())


def test_an_answer_reaches_a_learner_on_the_web_chat(
    fake_telegram: FakeTelegram, content: Content, tmp_path: Path
) -> None:
    settings = settings_for(
        fake_telegram, content.root, f"sqlite:///{tmp_path / 'h.db'}", help_chat=str(GROUP)
    )
    with ServiceThread(settings) as app, WebLearner(app.url) as lan:
        lan.open("?lesson=mau")
        lan.start("mau")
        lan.replies()
        lan.say("cần người giúp")
        (told,) = lan.replies()
        assert told["buttons"][0]["label"] == content.messages.text("buttons.back_to_lesson")

        async def answer() -> None:
            async with Webhook(app.url) as hook:
                hoa = TelegramHelper(hook, fake_telegram, GROUP, "Hoa")
                (posted,) = await hoa.replies()
                no_name = content.console.text("desk.no_name")
                assert desk(content, "desk.learner", name=no_name, channel="Web") in posted.visible
                await hoa.reply(posted, "Dạ, bác cần giúp gì ạ?")

        asyncio.run(answer())
        (heard,) = lan.replies()
        assert heard["text"] == content.messages.text(
            "person.answer", name="Hoa", text="Dạ, bác cần giúp gì ạ?"
        )


def test_a_request_nobody_answered_closes_once_with_two_workers(
    fake_telegram: FakeTelegram, content: Content, shared_store_url: str
) -> None:
    settings = settings_for(
        fake_telegram,
        content.root,
        shared_store_url,
        help_chat=str(GROUP),
        help_hours=2 / 3600,  # two seconds
        reminders=NO_QUIET,
    )
    first, second = ServiceThread(settings), ServiceThread(replace(settings))
    for worker in (first, second):
        worker.service.helpdesk.every = 0.2
    with first, second:

        async def ask() -> None:
            async with Webhook(first.url) as hook:
                ba = TelegramLearner(hook, fake_telegram, 6301)
                await ba.start("mau")
                await ba.replies()
                await ba.say("gặp người thật")
                await ba.replies()
                (expired,) = await ba.replies(timeout=15)
                assert expired.visible == plain(content, "person.expired")
                assert expired.labels[0] == content.messages.text("buttons.resume", title="Bài mẫu")

        asyncio.run(ask())
        wait_until(lambda: len(fake_telegram.messages(GROUP)) >= 2, 10, "the desk to hear")
        time.sleep(1.0)  # both workers swept again meanwhile
        first.wait_sent()
        learner = first.store.get("tg:6301")
        assert learner is not None and learner.help is None
        closed = fake_telegram.messages(GROUP)[-1].visible
        code = closed.split()[0].lstrip("#")
        assert closed == desk(content, "desk.expired", code=code, hours="0.000555556")
    assert len(fake_telegram.messages(6301)) == 3  # the expiry said once
    assert len(fake_telegram.messages(GROUP)) == 2


def test_id_in_a_group_says_its_chat_id_to_set_a_desk_up(
    fake_telegram: FakeTelegram, content: Content
) -> None:
    with ServiceThread(settings_for(fake_telegram, content.root, "memory://")) as app:

        async def ask() -> None:
            async with Webhook(app.url) as hook:
                update = message_update(
                    STRANGERS, text="/id@hocso_test_bot", chat={"id": STRANGERS, "type": "group"}
                )
                answer = (await hook.post(update)).json()
                said = content.console.text("desk.chat_id", chat=str(STRANGERS))
                assert answer == {"method": "sendMessage", "chat_id": str(STRANGERS), "text": said}

        asyncio.run(ask())


@pytest.mark.parametrize(
    ("environ", "found"),
    [
        ({}, (None, 24.0, (21 * 60, 7 * 60))),
        (
            {
                "HOCSO_HELP_CHAT": "-1001234567890",
                "HOCSO_HELP_HOURS": "12",
                "HOCSO_QUIET_HOURS": "off",
            },
            ("-1001234567890", 12.0, None),
        ),
        ({"HOCSO_HELP_CHAT": "@nhom"}, "HOCSO_HELP_CHAT must be a Telegram chat id"),
        ({"HOCSO_HELP_HOURS": "0"}, "HOCSO_HELP_HOURS must be a number above 0"),
    ],
)
def test_the_settings_of_a_person_on_the_line(
    environ: dict[str, str], found: object, tmp_path: Path
) -> None:
    """HOCSO_HELP_CHAT and HOCSO_HELP_HOURS; the quiet hours are the reminders' own."""
    if isinstance(found, str):
        with pytest.raises(ValueError, match=found):
            Settings.from_env(environ)
        return
    settings = Settings.from_env({**environ, "HOCSO_CONTENT": str(fixture_content(tmp_path).root)})
    service = Service(settings, store=open_store("memory://"))
    policy = service.help_policy
    assert (settings.help_chat, settings.help_hours, policy.quiet) == found
    assert policy.hours == settings.help_hours


# -- the desk's group, as Telegram posts it ---------------------------------------------------


def group_update(text: str, replied: dict[str, Any] | None, chat_type: str = "supergroup") -> Any:
    message: dict[str, Any] = {
        "message_id": 31, "date": 1763884800, "text": text,
        "chat": {"id": -1001234567890, "type": chat_type, "title": "Hỗ trợ An Phú"},
        "from": {"id": 555, "is_bot": False, "first_name": "Hoa", "last_name": "Trần"},
    }  # fmt: skip
    if replied is not None:
        message["reply_to_message"] = {
            "message_id": 30, "date": 1763884700,
            "chat": {"id": -1001234567890, "type": chat_type}, **replied,
        }  # fmt: skip
    return {"update_id": 777, "message": message}


BOT = {"from": {"id": 4242, "is_bot": True, "first_name": "Học Số"}}
PERSON = {"from": {"id": 556, "is_bot": False, "first_name": "Minh"}}

STAFF = [
    # (what the helper writes, what it replies to, what it is: (code, text) or the kind)
    (
        "Bác gọi 113 nhé",
        {**BOT, "text": "🙋 #H-7K2P · Học viên cần người giúp"},
        ("H-7K2P", "Bác gọi 113 nhé"),
    ),
    ("Dạ bác", {**BOT, "text": "#H-7K2P · Học viên: alo"}, ("H-7K2P", "Dạ bác")),
    ("/xong", {**BOT, "text": "#H-7K2P · Học viên: alo"}, ("H-7K2P", None)),
    ("/xong@hocso_bot", {**BOT, "text": "⚠️ #H-7K2P · …"}, ("H-7K2P", None)),
    ("Dạ", {**BOT, "caption": "#H-7K2P · ảnh"}, ("H-7K2P", "Dạ")),
    ("Dạ bác", {**PERSON, "text": "#H-7K2P · Học viên: alo"}, "ignored:group"),
    ("Dạ bác", {**BOT, "text": "Chào mọi người"}, "ignored:group"),
    ("Dạ bác", None, "ignored:group"),
]


@pytest.mark.parametrize(("text", "replied", "found"), STAFF)
def test_a_helpers_reply_in_the_group_is_read(
    text: str, replied: dict[str, Any] | None, found: object
) -> None:
    received = parse_update(group_update(text, replied))
    assert received.learner is None and received.inbound is None
    if isinstance(found, str):
        assert received.staff is None and received.kind == found
        return
    assert received.kind == "staff" and received.staff is not None
    code, said = found  # type: ignore[misc]
    assert received.staff.chat == "-1001234567890" and received.staff.who == "Hoa"
    assert (received.staff.code, received.staff.text) == (code, said)
    assert received.event_id == "tg:777"


@pytest.mark.parametrize(
    ("text", "chat_type", "kind"),
    [
        ("/id@hocso_bot", "supergroup", "desk_id"),
        ("/id", "group", "desk_id"),
        ("/id", "channel", "ignored:channel"),
        ("id", "supergroup", "ignored:group"),
    ],
)
def test_id_in_a_group_asks_its_chat_id(text: str, chat_type: str, kind: str) -> None:
    received = parse_update(group_update(text, None, chat_type))
    assert received.kind == kind and received.inbound is None
    assert received.chat == ("-1001234567890" if kind == "desk_id" else None)
