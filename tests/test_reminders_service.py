"""Reminders sent by the running service, through the channels' stand-ins (Telegram, Zalo OA,
Zalo Bot) and the web chat over real HTTP, on real stores, with a clock the test moves: at the
right time and not in quiet hours, within each channel's window, never after an opt-out or a
block, once with two workers, never ahead of a learner's reply; and what the issue asks in the
end: a learner who stopped yesterday at step 4 gets one kind message this morning and is back
at step 4 with one tap. (When reminders are due, table by table: tests/test_reminders.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.inbound import Inbound
from bot.learner import VIETNAM
from bot.stores import open_store
from bot.tutor import Tutor
from support.chat import fixture_content
from support.clock import Clock
from support.fake_telegram import FakeTelegram, blocked
from support.fake_zalo_bot import FakeZaloBot
from support.fake_zalo_oa import FakeZaloOA, OALearner, OAWebhook
from support.service import (
    ServiceThread,
    TelegramLearner,
    Webhook,
    ZaloBotLearner,
    ZaloBotWebhook,
    channels_settings_for,
    next_update_id,
    settings_for,
)
from support.waiting import await_until
from support.web import WebLearner
from webhook.delivery import Limits
from webhook.reminders import ReminderSweep
from webhook.service import Service
from webhook.settings import NO_WEB_LIMITS, Settings
from webhook.storecalls import StoreCalls
from webhook.storefailures import StoreFailures

SWEEP = 0.05  # seconds between sweeps: a test's clock jumps days at once
QUIET_FOR = 0.4  # seconds of sweeps after which nothing more is coming


def at(text: str) -> float:
    """'2026-11-24 08:00' (Vietnam time) as epoch seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM).timestamp()


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


def visible(content: Content, key: str, **values: object) -> str:
    """A sentence as the learner reads it on Telegram (bold markers gone)."""
    return content.messages.text(key, **values).replace("*", "")


async def walk_to_step_4(lan: TelegramLearner) -> Any:
    """`mau` from its link to its fourth step (cau-1); the question shown there."""
    await lan.start("mau")
    await lan.replies()
    await lan.tap("Bắt đầu")
    await lan.replies()
    await lan.say("samsung")
    await lan.replies()
    await lan.tap("Tiếp tục")
    (question,) = await lan.replies()
    assert question.visible == "Ai được biết mã OTP của bác?"
    return question


async def none_more(count: Callable[[], int], seconds: float = QUIET_FOR) -> None:
    """Several sweeps pass and `count` stays as it is."""
    before = count()
    await asyncio.sleep(seconds)
    assert count() == before


# -- the "done when" ----------------------------------------------------------------


def test_a_learner_who_stopped_yesterday_at_step_4_continues_with_one_tap(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    clock = Clock(at("2026-11-23 09:00"))  # yesterday morning
    settings = settings_for(fake_telegram, content.root, store_url, remind_every=SWEEP)
    with ServiceThread(settings, clock=clock) as app:

        async def story() -> None:
            async with Webhook(app.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, 7001)
                question = await walk_to_step_4(lan)  # then the phone rang
                clock.now = at("2026-11-24 07:59")  # this morning, a minute too soon
                await none_more(lambda: len(lan.messages))
                clock.now = at("2026-11-24 08:00")
                (reminder,) = await lan.replies()
                assert reminder.visible == visible(
                    content, "remind.lesson", title="Bài mẫu", step=4, steps=5
                )
                say = content.messages.text
                assert reminder.labels == [say("buttons.resume_place"), say("buttons.remind_off")]
                await lan.tap(say("buttons.resume_place"))  # one tap
                (back,) = await lan.replies()
                assert back.visible == question.visible and back.labels == question.labels
                clock.now = at("2026-11-25 10:00")  # the next is 3 days after this tap
                await none_more(lambda: len(lan.messages))

        asyncio.run(story())
        learner = app.store.get("tg:7001")
    assert learner is not None and learner.position is not None
    assert learner.position.step == "cau-1"
    assert learner.nudges == {"mau": 1} and learner.returns == 1
    assert learner.nudge_at == at("2026-11-27 08:00")


# -- quiet hours, windows, opt-out, blocks ---------------------------------------------------


def test_no_reminder_in_quiet_hours(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    """Stopped late in the evening: not reminded at 21:30 the next day (quiet) but after 07:00
    the morning after."""
    clock = Clock(at("2026-11-23 22:30"))
    settings = settings_for(fake_telegram, content.root, store_url, remind_every=SWEEP)
    with ServiceThread(settings, clock=clock) as app:

        async def story() -> None:
            async with Webhook(app.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, 7002)
                await walk_to_step_4(lan)
                for now in ("2026-11-24 21:30", "2026-11-25 02:00", "2026-11-25 06:59"):
                    clock.now = at(now)
                    await none_more(lambda: len(lan.messages))
                clock.now = at("2026-11-25 07:45")  # quiet hours end, spread over 45 minutes
                await lan.replies()

        asyncio.run(story())


def test_each_channel_within_its_window(tmp_path: Path, content: Content, store_url: str) -> None:
    """Four learners stop at 09:00, one on each channel. Telegram (no window) gets all three
    reminders; Zalo OA two within its 48 hours (the second moved back to 47 h 30); Zalo Bot
    one within its 24; the web chat none pushed. A Zalo OA user whose window Zalo says is
    closed (-230) is tried once, and never again."""
    clock = Clock(at("2026-11-23 09:00"))
    with FakeTelegram() as telegram, FakeZaloBot() as bot, FakeZaloOA() as oa:
        settings = channels_settings_for(telegram, bot, oa, content.root, store_url)
        settings = replace(settings, remind_every=SWEEP)
        with ServiceThread(settings, clock=clock) as app:

            async def story() -> None:
                async with (
                    Webhook(app.url) as hook,
                    OAWebhook(app.url) as oa_hook,
                    ZaloBotWebhook(app.url) as bot_hook,
                ):
                    await TelegramLearner(hook, telegram, 7101).start("mau")
                    zoa, shut = OALearner(oa_hook, oa, "8842"), OALearner(oa_hook, oa, "8850")
                    zb = ZaloBotLearner(bot_hook, bot, "zb7101")
                    for learner in (zoa, shut, zb):
                        await learner.say("xin chào")
                        await learner.say("Bài mẫu")
                web = WebLearner(app.url)
                web.open("?lesson=mau")
                web.start("mau")
                app.wait_sent()
                oa.closed.add("8850")  # Zalo says this user's window closed since
                counts = {
                    "telegram": lambda: len(telegram.messages(7101)),
                    "zalo-oa": lambda: len(oa.messages("8842")),
                    "zalo-bot": lambda: len(bot.messages("zb7101")),
                    "web": lambda: len(web.poll(after=0)["messages"]),
                }
                before = {name: count() for name, count in counts.items()}
                expected = [
                    ("2026-11-24 07:59", (0, 0, 0)),
                    ("2026-11-24 08:00", (1, 1, 1)),
                    ("2026-11-25 08:29", (1, 1, 1)),
                    ("2026-11-25 08:30", (1, 2, 1)),  # the OA's second, moved back
                    ("2026-11-26 09:00", (2, 2, 1)),
                    ("2026-11-30 09:00", (3, 2, 1)),
                    ("2026-12-30 09:00", (3, 2, 1)),
                ]
                for now, (telegram_count, oa_count, bot_count) in expected:
                    clock.now = at(now)
                    want = {"telegram": telegram_count, "zalo-oa": oa_count,
                            "zalo-bot": bot_count, "web": 0}  # fmt: skip
                    sent = lambda: {n: c() - before[n] for n, c in counts.items()}  # noqa: E731
                    await await_until(lambda: sent() == want, 5, f"{want} at {now}")  # noqa: B023
                    await none_more(lambda: sum(sent().values()))  # noqa: B023
                    assert sent() == want, now
                web.close()

            asyncio.run(story())
            shut = app.store.get("zalo:8850")
            refused = [call for call in oa.calls(user="8850") if call.error == -230]
    assert shut is not None and shut.unreachable == "window" and shut.nudge_at is None
    assert len(refused) == 1  # the first reminder, refused; none tried after


def test_not_after_opting_out_nor_to_a_learner_who_blocked_the_bot(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    """Four learners stop at step 4. One types "tắt nhắc"; one blocks the bot (Telegram posts
    my_chat_member); the reminder to one is refused "bot was blocked by the user"; one is
    reminded. Days later, none but the last was sent anything more, the refused one tried
    once."""
    clock = Clock(at("2026-11-23 09:00"))
    settings = settings_for(fake_telegram, content.root, store_url, remind_every=SWEEP)
    off, gone, refusing, fine = 7201, 7202, 7203, 7204
    with ServiceThread(settings, clock=clock) as app:

        async def story() -> Any:
            async with Webhook(app.url) as hook:
                lans = {chat: TelegramLearner(hook, fake_telegram, chat) for chat in
                        (off, gone, refusing, fine)}  # fmt: skip
                for lan in lans.values():
                    await walk_to_step_4(lan)
                await lans[off].say("tắt nhắc")
                (answer,) = await lans[off].replies()
                assert answer.visible == visible(content, "remind.off")
                await hook.post(kicked(gone))
                fake_telegram.script("sendMessage", blocked(), chat=refusing)
                calls = {chat: len(fake_telegram.calls("sendMessage", chat)) for chat in lans}
                for now in ("2026-11-24 08:00", "2026-11-26 09:00", "2026-11-30 09:00"):
                    clock.now = at(now)
                    await lans[fine].replies()
                    await none_more(lambda: len(fake_telegram.calls()))
                return {
                    chat: len(fake_telegram.calls("sendMessage", chat)) - calls[chat]
                    for chat in lans
                }

        more = asyncio.run(story())
        learners = {chat: app.store.get(f"tg:{chat}") for chat in (off, gone, refusing)}
    assert more == {off: 0, gone: 0, refusing: 1, fine: 3}
    assert learners[off] is not None and learners[off].remind is False
    assert learners[gone] is not None and learners[gone].unreachable == "blocked"
    assert learners[refusing] is not None and learners[refusing].unreachable == "blocked"
    assert all(learner and learner.nudge_at is None for learner in learners.values())


def kicked(chat: int) -> dict[str, Any]:
    """The my_chat_member update Telegram posts when the learner blocks the bot."""
    bot = {"id": 4242, "is_bot": True, "first_name": "Học số", "username": "hocso_bot"}
    user = {"id": chat, "is_bot": False, "first_name": "Lan"}
    return {
        "update_id": next_update_id(),
        "my_chat_member": {
            "chat": {"id": chat, "type": "private", "first_name": "Lan"},
            "from": user,
            "date": 1763884800,
            "old_chat_member": {"user": bot, "status": "member"},
            "new_chat_member": {"user": bot, "status": "kicked", "until_date": 0},
        },
    }


# -- exactly once, and after the replies -----------------------------------------------------


def test_two_workers_send_each_reminder_once(
    fake_telegram: FakeTelegram, content: Content, shared_store_url: str
) -> None:
    clock = Clock(at("2026-11-23 09:00"))
    settings = settings_for(fake_telegram, content.root, shared_store_url, remind_every=0.01)
    chats = list(range(7301, 7316))
    with ServiceThread(settings, clock=clock) as one, ServiceThread(settings, clock=clock) as two:

        async def story() -> None:
            async with Webhook(one.url) as first, Webhook(two.url) as second:
                for n, chat in enumerate(chats):
                    lan = TelegramLearner(first if n % 2 else second, fake_telegram, chat)
                    await lan.start("mau")
                    await lan.replies()
            clock.now = at("2026-11-24 08:00")
            await await_until(
                lambda: all(len(fake_telegram.messages(chat)) == 2 for chat in chats), 10
            )
            await none_more(lambda: len(fake_telegram.calls()))

        asyncio.run(story())
        assert one.store.counts()["reminders|sent"] == len(chats)
    for chat in chats:
        reminder = fake_telegram.messages(chat)[-1]
        assert reminder.visible == visible(
            content, "remind.lesson", title="Bài mẫu", step=1, steps=5
        )


def test_a_reply_goes_before_the_reminders_queued(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    """Sixteen reminders queued at once on a channel that sends four messages a second: a
    learner who writes meanwhile gets their answer next (at most two reminders go in between,
    those that held a token already), ahead of those still waiting."""
    clock = Clock(at("2026-11-23 09:00"))
    limits = Limits(global_rate=4.0, chat_rate=0, chat_burst=0)
    settings = settings_for(
        fake_telegram, content.root, store_url, limits=limits, remind_every=SWEEP,
        remind_rate=100.0,
    )  # fmt: skip
    due, writer = list(range(7401, 7417)), 7450
    with ServiceThread(settings, clock=clock) as app:

        async def story() -> None:
            async with Webhook(app.url) as hook:
                for chat in due:
                    lan = TelegramLearner(hook, fake_telegram, chat)
                    await lan.start("mau")
                    await lan.replies(timeout=20)
                clock.now = at("2026-11-23 12:00")
                lan = TelegramLearner(hook, fake_telegram, writer)
                await walk_to_step_4(lan)  # not due: wrote later
                clock.now = at("2026-11-24 08:00")
                await await_until(lambda: app.store.pending() >= 8, 10, "reminders queued")
                asked = time.monotonic()
                await lan.say("lặp lại")
                (answer,) = await lan.replies(timeout=5)
                assert answer.visible == "Ai được biết mã OTP của bác?"
            between = [
                chat for chat in due
                if asked < fake_telegram.messages(chat)[-1].at < answer.at
            ]  # fmt: skip
            assert len(between) <= 2, between
            await await_until(
                lambda: all(len(fake_telegram.messages(chat)) == 2 for chat in due), 10
            )
            last = max(fake_telegram.messages(chat)[-1].at for chat in due)
            assert answer.at < last

        asyncio.run(story())


def test_a_busy_outbox_holds_the_sweep_and_the_rate_paces_it(
    store_url: str, content: Content
) -> None:
    """Replies first: nothing is queued while the outbox holds more than `busy`; then at most
    `rate` reminders a second."""
    store = open_store(store_url)
    clock = Clock(at("2026-11-23 09:00"))
    settings = Settings(content=content.root, store=store_url)
    service = Service(settings, store=store, clock=clock)
    tutor: Tutor = service.tutor
    for n in range(6):
        tutor.receive(f"e{n}", Inbound(f"tg:{n}", start="mau"), "telegram", str(n), clock())
    clock.now = at("2026-11-24 08:00")

    async def sweeps() -> tuple[Any, Any, float]:
        calls = StoreCalls(store)
        sweep = ReminderSweep(tutor, store, calls=calls, failures=StoreFailures(), clock=clock,
                              rate=10.0, busy=5)  # fmt: skip
        held = await sweep.sweep()  # six learners' welcomes wait in the outbox
        while store.pending():
            head = store.claim(None, time.time(), 5.0)
            assert head is not None
            store.done(head, time.time(), 5.0, time.time() + 60)
        started = time.monotonic()
        swept = await sweep.sweep()
        return held, swept, time.monotonic() - started

    held, swept, seconds = asyncio.run(sweeps())
    assert (held.busy, held.sent) == (True, 0)
    assert (swept.due, swept.sent, swept.busy) == (6, 6, False)
    assert seconds >= 0.45  # 6 at 10 a second: the first at once, then one every 0.1 s
    store.close()


# -- the web chat --------------------------------------------------------------------------


def test_the_web_page_shows_the_reminder_when_opened_again(
    content: Content, store_url: str
) -> None:
    clock = Clock(at("2026-11-23 09:00"))
    settings = Settings(
        content=content.root, store=store_url, web_limits=NO_WEB_LIMITS, remind_every=SWEEP
    )
    say = content.messages.text
    with ServiceThread(settings, clock=clock) as app:
        with WebLearner(app.url) as lan:
            lan.open("?lesson=mau")
            lan.start("mau")
            lan.replies()
            lan.tap("Bắt đầu")
            lan.replies()
            lan.say("samsung")
            lan.replies()
            lan.tap("Tiếp tục")
            (question,) = lan.replies()
            token = lan.token
        clock.now = at("2026-11-23 20:00")  # the same evening: too soon
        with WebLearner(app.url, token=token) as lan:
            lan.load()  # what the chat held
            lan.open()  # the page opened again
            time.sleep(QUIET_FOR)
            assert lan.poll()["messages"] == []
        clock.now = at("2026-11-24 22:00")  # the next evening (no quiet hours: she is there)
        with WebLearner(app.url, token=token) as lan:
            lan.load()
            lan.open()
            (reminder,) = lan.replies()
            assert reminder["text"] == say("remind.lesson", title="Bài mẫu", step=4, steps=5)
            assert [b["label"] for b in reminder["buttons"]] == [
                say("buttons.resume_place"), say("buttons.remind_off")
            ]  # fmt: skip
            lan.tap(say("buttons.resume_place"))
            (back,) = lan.replies()
            assert back["text"] == question["text"]
        with WebLearner(app.url, token=token) as lan:  # opened again: no second one
            lan.load()
            lan.open()
            time.sleep(QUIET_FOR)
            assert lan.poll()["messages"] == []
        (learner_id,) = app.store.learner_ids()
        learner = app.store.get(learner_id)
    assert learner is not None and learner.nudges == {"mau": 1} and learner.returns == 1
