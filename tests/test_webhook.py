"""The webhook service over real HTTP: Telegram updates posted with httpx to the app under
uvicorn (in a thread, or `hocso serve` as a child process), replies sent through a real PTB
`Bot` to the stand-in Telegram Bot API (`support.fake_telegram`), state read back from the
store. See `support.service` for how the service is run and driven.

Delivery limits are off (`NO_LIMITS`) except where a test is about them, so that lessons do
not wait a second a message."""

from __future__ import annotations

import asyncio
import bisect
import functools
import json
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

import handlers.telegram
from bot.content import Content
from bot.progress import progress_json
from bot.stores import open_store
from bot.stores.redis import UpdateConflictError
from handlers.describe import clipped, describe
from support.chat import fixture_content, plain
from support.dump import holding
from support.fake_telegram import (
    FakeTelegram,
    bad_gateway,
    blocked,
    chat_not_found,
    flood,
    server_error,
    slow,
)
from support.logs import applied_order, log_records
from support.processes import holder, tcp_inode, workers
from support.redis_server import RedisServer, free_port, start_redis_server
from support.service import (
    NO_LIMITS,
    SECRET,
    SECRET_HEADER,
    TOKEN,
    ServeProcess,
    ServiceThread,
    TelegramLearner,
    Webhook,
    callback_update,
    environment_for,
    media_update,
    message_update,
    private,
    run_hocso,
    settings_for,
    start_update,
    text_update,
    user,
)
from support.waiting import wait_until
from webhook.delivery import LEASE
from webhook.settings import Settings
from webhook.storefailures import StoreFailures

# PTB 22 warns from inside RetryAfter() itself that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
def content(tmp_path: Path) -> Content:
    """The test lessons (`mau`, `sau`) with the product's messages, in a folder of their own
    (`content.root`)."""
    return fixture_content(tmp_path)


# The lesson `mau` as a learner walks it: what they do, and the start of each reply.
LESSON: list[tuple[str, str, str]] = [
    ("start", "mau", "📘 Bài mẫu (khoảng 3 phút)"),
    ("tap", "Bắt đầu", "Điện thoại của bác là loại nào?"),
    ("say", "samsung", "Trên Android, bác mở CH Play."),
    ("tap", "Tiếp tục", "Ai được biết mã OTP của bác?"),
    ("say", "chi mnh toi", "✅ Đúng rồi! OTP chỉ mình bác được biết."),
    ("say", "mot nam sau", "✅ Đúng rồi! Nhắn tin đến 156."),
]
# The last turn is three messages (too long for one screen): the praise and congratulations,
# the certificate, and the name to print on it.
MESSAGES = len(LESSON) + 2


async def walk_lesson(learner: TelegramLearner) -> None:
    """Take `learner` through LESSON, waiting for each reply (a learner taps what they see)."""
    for turn, (action, what, reply) in enumerate(LESSON, start=1):
        if action == "start":
            await learner.start(what)
        elif action == "tap":
            await learner.tap(what)
        else:
            await learner.say(what)
        got, *_ = await learner.replies(1 if turn < len(LESSON) else 3, timeout=15)
        assert got.visible.startswith(reply), (learner.id, what, got.visible)


# -- 1. a whole lesson ------------------------------------------------------------------------


def test_a_whole_lesson_through_telegram_updates(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    with ServiceThread(settings_for(fake_telegram, content.root, store_url)) as app:

        async def lesson() -> None:
            async with Webhook(app.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, 5101)
                await lan.start("mau")  # from the link t.me/<bot>?start=mau
                (opening,) = await lan.replies()
                assert opening.visible.startswith("📘 Bài mẫu (khoảng 3 phút)")
                assert "Chào bác! Đây là bài mẫu." in opening.visible
                assert opening.labels == ["Bắt đầu ▶"]

                await lan.tap("Bắt đầu")  # its callback_data, as the fake recorded it
                (question,) = await lan.replies()
                assert question.visible == "Điện thoại của bác là loại nào?"
                assert question.labels == ["Android", "iPhone"]

                await lan.say("samsung")  # an `also` word of the Android option
                (android,) = await lan.replies()
                assert android.method == "sendPhoto"
                assert android.text == "Trên Android, bác mở <b>CH Play</b>."
                assert android.uploaded is not None
                assert android.uploaded.filename == "ch-play.png"
                assert android.labels == ["Tiếp tục ▶"]

                await lan.tap("Tiếp tục")
                (quiz,) = await lan.replies()
                assert quiz.visible == "Ai được biết mã OTP của bác?"
                assert quiz.labels == [
                    "Chỉ mình tôi",
                    "Công an gọi điện hỏi",
                    "Nhân viên ngân hàng",
                ]

                await lan.say("chi mnh toi")  # no diacritics, a letter missing
                (right,) = await lan.replies()
                assert right.visible.startswith("✅ Đúng rồi! OTP chỉ mình bác được biết.")
                assert right.visible.endswith("Muốn báo lừa đảo, bác nhắn tin đến số mấy?")
                assert right.labels == []

                await lan.say("mot nam sau")  # "một năm sáu"
                # too long for one screen: the praise and congratulations, the certificate,
                # and the name to print on it, her Telegram name offered
                done, earned, asked = await lan.replies(3)
                assert done.visible.startswith("✅ Đúng rồi! Nhắn tin đến 156.")
                assert "Chúc mừng bác đã học xong bài Bài mẫu" in done.visible
                assert done.labels == []
                assert "HS-" in earned.visible
                assert asked.labels == ["Lan", "Để sau"]

                await lan.tap("Lan")
                # the name saved, the certificate's picture and its PDF, what to do next
                saved, picture, printable, following = await lan.replies(4)
                assert "Lan" in saved.visible
                assert picture.method == "sendPhoto" and picture.uploaded is not None
                assert printable.method == "sendDocument" and printable.uploaded is not None
                assert printable.uploaded.content.startswith(b"%PDF")
                assert following.labels == ["▶ Học bài tiếp theo", "📋 Danh sách bài học"]

        asyncio.run(lesson())
        app.wait_sent()
        learner = app.store.get("tg:5101")
    assert len(fake_telegram.messages(5101)) == 12  # nothing more, nothing twice
    assert learner is not None and learner.turns == 7
    progress = progress_json(learner)
    assert progress["lessons"]["mau"]["status"] == "passed"
    assert progress["lessons"]["mau"]["score"] == 1.0
    assert [certificate["id"] for certificate in progress["certificates"]] == ["chi-mau"]
    # The taps were answered in the webhook's responses, not by calls of their own.
    assert fake_telegram.calls("answerCallbackQuery") == []


# -- 2. duplicate deliveries ------------------------------------------------------------------


def test_an_update_delivered_five_times_is_applied_once(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    chat = 5201
    with ServiceThread(settings_for(fake_telegram, content.root, store_url)) as app:

        async def redeliver() -> None:
            async with Webhook(app.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, chat)
                start = start_update(chat, "mau")
                for _ in range(5):  # one after the other, as after timeouts
                    assert (await hook.post(start)).json() == {"ok": True}
                await lan.replies()

                (shown,) = lan.messages
                tap = callback_update(chat, shown.rows[0][0]["callback_data"], shown=shown)
                answers = await asyncio.gather(*(hook.post(tap) for _ in range(5)))  # at once
                for answer in answers:
                    assert answer.json()["method"] == "answerCallbackQuery"
                await lan.replies()

                typed = text_update(chat, "iphone")
                await asyncio.gather(*(hook.post(typed) for _ in range(3)))
                for _ in range(2):
                    await hook.post(typed)
                await lan.replies()

        asyncio.run(redeliver())
        app.wait_sent()
        learner = app.store.get(f"tg:{chat}")
    assert learner is not None and learner.turns == 3
    sent = [message.visible for message in fake_telegram.messages(chat)]
    assert len(sent) == 3, sent
    assert sent[1] == "Điện thoại của bác là loại nào?"
    assert sent[2].startswith("Trên iPhone, bác mở App Store.")


# -- 3. concurrent deliveries -----------------------------------------------------------------

KINDS = ("sticker", "photo", "voice", "video", "location")


def check_replies_follow_the_applied_order(
    content: Content,
    learner: TelegramLearner,
    posted: dict[str, str],
    records: list[logging.LogRecord],
) -> None:
    """`posted`: event id -> media kind. Each update got its reply exactly once, and the
    replies came in the order the updates were applied."""
    order = [event for event in applied_order(records, learner.id) if event in posted]
    assert sorted(order) == sorted(posted), (order, posted)
    expected = [plain(content, f"input.{posted[event]}") for event in order]
    got = [message.visible for message in learner.messages[1:]]
    assert len(got) == len(expected), got
    for text, reply in zip(got, expected, strict=True):
        assert text.startswith(reply), (learner.id, got, expected)


def test_one_learners_updates_at_once_are_each_applied_once_in_order(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    chat = 5301
    with (
        ServiceThread(settings_for(fake_telegram, content.root, store_url)) as app,
        log_records("hocso.webhook", level=logging.INFO) as records,
    ):

        async def at_once() -> tuple[TelegramLearner, dict[str, str]]:
            async with Webhook(app.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, chat)
                await lan.start("mau")
                await lan.replies()
                updates = [media_update(chat, kind) for kind in KINDS]
                await asyncio.gather(*(lan.post(update) for update in updates))
                await lan.replies(len(KINDS))
                return lan, {
                    f"tg:{u['update_id']}": kind for u, kind in zip(updates, KINDS, strict=True)
                }

        lan, posted = asyncio.run(at_once())
        app.wait_sent()
        learner = app.store.get(f"tg:{chat}")
        check_replies_follow_the_applied_order(content, lan, posted, records)
    assert learner is not None and learner.turns == 1 + len(KINDS)


def test_thirty_learners_five_updates_each_all_at_once(
    fake_telegram: FakeTelegram, content: Content
) -> None:
    url = f"sqlite:///{content.root.parent / 'hocso.db'}"  # turns run in threads: the hard case
    with (
        ServiceThread(settings_for(fake_telegram, content.root, url)) as app,
        log_records("hocso.webhook", level=logging.INFO) as records,
    ):

        async def crowd() -> list[tuple[TelegramLearner, dict[str, str]]]:
            async with Webhook(app.url) as hook:
                learners = [TelegramLearner(hook, fake_telegram, 5400 + n) for n in range(30)]
                await asyncio.gather(*(lan.start("mau") for lan in learners))
                await asyncio.gather(*(lan.replies() for lan in learners))
                batches = [
                    (lan, [media_update(lan.chat, kind) for kind in KINDS]) for lan in learners
                ]
                await asyncio.gather(
                    *(lan.post(update) for lan, updates in batches for update in updates)
                )
                await asyncio.gather(*(lan.replies(len(KINDS)) for lan in learners))
                return [
                    (
                        lan,
                        {f"tg:{u['update_id']}": kind for u, kind in zip(ups, KINDS, strict=True)},
                    )
                    for lan, ups in batches
                ]

        crowd_posted = asyncio.run(crowd())
        app.wait_sent()
        for lan, posted in crowd_posted:
            check_replies_follow_the_applied_order(content, lan, posted, records)
            stored = app.store.get(lan.id)
            assert stored is not None and stored.turns == 1 + len(KINDS)


# -- 4. two workers sharing Redis -------------------------------------------------------------


def test_two_workers_sharing_redis(
    fake_telegram: FakeTelegram, content: Content, redis_store_url: str, tmp_path: Path
) -> None:
    env = environment_for(fake_telegram, content.root, redis_store_url)
    with ServeProcess(env, tmp_path / "serve.log", "--workers", "2") as server:

        async def crowd() -> list[TelegramLearner]:
            async with Webhook(server.url) as hook:
                learners = [TelegramLearner(hook, fake_telegram, 5500 + n) for n in range(12)]

                async def one(lan: TelegramLearner) -> None:
                    await walk_lesson(lan)
                    # Then three updates without waiting for the replies: whichever worker
                    # gets each, the replies come in the order they were sent; the last one
                    # is delivered three times at once (to both workers): applied once.
                    await lan.say("giúp")
                    await lan.send_media("sticker")
                    results = text_update(lan.chat, "kết quả")
                    await asyncio.gather(*(lan.post(results) for _ in range(3)))
                    await lan.replies(3, timeout=15)

                await asyncio.gather(*(one(lan) for lan in learners))
                return learners

        learners = asyncio.run(crowd())
        wait_until(lambda: '"pending": 0' in health(server.url), 10, "the outbox to empty")
        output = server.output()
    assert output.count("Started server process") == 2, output  # two workers served
    for lan in learners:
        got = [message.visible for message in fake_telegram.messages(lan.chat)]
        assert len(got) == MESSAGES + 3, (lan.id, got)
        for text, (_, _, reply) in zip(got, LESSON, strict=False):
            assert text.startswith(reply), (lan.id, got)
        assert got[-3].startswith(plain(content, "help").splitlines()[0])
        assert got[-2].startswith(plain(content, "input.sticker"))
        assert got[-1].startswith("📊 Kết quả học của bác:")

    env.pop("HOCSO_STORE")
    for lan in learners[:2]:  # what an admin sees, from the same store
        shown = run_hocso("progress", lan.id, "--json", "--store", redis_store_url, env=env)
        assert shown.returncode == 0, shown.stderr
        progress = json.loads(shown.stdout)
        assert progress["learner"] == lan.id
        assert progress["lessons"]["mau"]["status"] == "passed"
        assert progress["lessons"]["mau"]["score"] == 1.0
    store = open_store(redis_store_url)
    try:
        for lan in learners:
            stored = store.get(lan.id)
            assert stored is not None and stored.turns == len(LESSON) + 3
            assert progress_json(stored)["lessons"]["mau"]["status"] == "passed"
    finally:
        store.close()


def health(base_url: str) -> str:
    """/healthz's body, compact, or "" when it does not answer."""
    try:
        return json.dumps(httpx.get(f"{base_url}/healthz", timeout=5).json())
    except httpx.HTTPError:
        return ""


# -- 5. a crash before the reply is sent ------------------------------------------------------


def test_a_crash_before_the_reply_is_sent(
    fake_telegram: FakeTelegram, content: Content, shared_store_url: str, tmp_path: Path
) -> None:
    chat = 5601
    env = environment_for(fake_telegram, content.root, shared_store_url)
    log = tmp_path / "serve.log"
    first = ServeProcess(env, log).start()
    try:

        async def before_the_crash() -> dict[str, Any]:
            async with Webhook(first.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, chat)
                await lan.start("mau")
                (opening,) = await lan.replies()
                # Telegram is failing for this chat: the reply stays queued, retried later.
                fake_telegram.script("sendMessage", *[server_error()] * 5, chat=chat)
                tap = callback_update(chat, opening.rows[0][0]["callback_data"], shown=opening)
                await hook.post(tap)  # acknowledged: stored with its reply queued
                return tap

        tap = asyncio.run(before_the_crash())
        # The first try failed and was put back for a retry (0.5 s to 1.5 s later)...
        wait_until(lambda: "retried in" in first.output(), 10, "the failed send to be retried")
        time.sleep(0.2)  # ... and the store has it (the log line comes just before)
    finally:
        first.kill()  # kill -9, before any retry succeeds
    assert len(fake_telegram.messages(chat)) == 1  # only the opening went through
    tried = len(fake_telegram.calls("sendMessage", chat))
    fake_telegram.clear()  # Telegram answers normally again
    with ServeProcess(env, log) as second:

        async def after_the_restart() -> None:
            async with Webhook(second.url) as hook:
                # Telegram delivers the update again (as after a lost acknowledgement).
                answer = await hook.post(tap)
                assert answer.json()["method"] == "answerCallbackQuery"

        asyncio.run(after_the_restart())
        sent = fake_telegram.wait_for_messages(chat, 1, timeout=15)
        wait_until(lambda: '"pending": 0' in health(second.url), 10, "the outbox to empty")
        time.sleep(0.3)  # a second copy would be on its way by now
    assert tried >= 1
    assert [message.visible for message in fake_telegram.messages(chat)] == [sent[0].visible]
    assert sent[0].visible == "Điện thoại của bác là loại nào?"
    store = open_store(shared_store_url)
    try:
        learner = store.get(f"tg:{chat}")
        assert store.pending() == 0
    finally:
        store.close()
    assert learner is not None and learner.turns == 2  # the start and the tap, once each
    assert learner.position is not None and learner.position.step == "loai-may"


def test_a_worker_killed_mid_send_has_its_chat_taken_over_in_seconds(
    fake_telegram: FakeTelegram, content: Content, redis_store_url: str, tmp_path: Path
) -> None:
    """kill -9 of the worker whose send to a chat is in flight (Telegram is slow to answer):
    the other workers send that chat's message once the dead one's lease ends, within seconds
    (it was 30), once; and the chat's next message follows it."""
    chat = 5602
    fake_telegram.script("sendMessage", slow(120), chat=chat)
    env = environment_for(fake_telegram, content.root, redis_store_url)
    with ServeProcess(env, tmp_path / "serve.log", "--workers", "2") as server:
        pids = wait_until(lambda: len(found := workers(server.pid)) == 2 and found, 20, "workers")

        async def start() -> None:
            async with Webhook(server.url) as hook:
                await TelegramLearner(hook, fake_telegram, chat).start("mau")

        asyncio.run(start())
        (arrival,) = wait_until(lambda: fake_telegram.arrivals("sendMessage", chat), 10, "a send")
        assert arrival.port is not None
        inode = tcp_inode(arrival.port, fake_telegram.port)
        sender = holder(inode, pids) if inode is not None else None
        assert sender is not None, "the worker whose send is in flight"
        os.kill(sender, signal.SIGKILL)
        killed = time.monotonic()
        (sent,) = fake_telegram.wait_for_messages(chat, 1, timeout=40)
        taken_over = sent.at - killed

        async def next_message() -> None:
            async with Webhook(server.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, chat)
                await lan.post(text_update(chat, "giúp"))

        asyncio.run(next_message())
        sent_after = fake_telegram.wait_for_messages(chat, 2, timeout=10)
    # The lease's end and a poll, with room for a busy machine; the lease was 30 s.
    assert taken_over < 10, f"taken over {taken_over:.1f} s after the kill (lease {LEASE} s)"
    assert sent.visible.startswith("📘 Bài mẫu")
    assert sent_after[1].visible.startswith(plain(content, "help").splitlines()[0])
    assert len(fake_telegram.arrivals("sendMessage", chat)) == 3  # the hung one, then one each


# -- 6. flood limits --------------------------------------------------------------------------


# The service paces its sends by its own clock; the stand-in sees them arrive through a busy
# event loop, a connection pool and a machine shared with other test processes, which on a
# loaded machine moved one arrival by more than the service's 5% margin (a 429 in about 1 run
# of 20 with two test processes). Flood control and the checks below forgive this much.
JITTER = 0.1


def most_within(window: float, times: list[float]) -> int:
    """The most of `times` in any `window` seconds."""
    times = sorted(times)
    ends = (bisect.bisect_left(times, at + window) - n for n, at in enumerate(times))
    return max(ends, default=0)


def test_a_burst_within_telegrams_flood_limits(
    content: Content, tmp_path: Path, redis_store_url: str
) -> None:
    """20 learners at once (16 with 2 replies, 4 with 5) against a stand-in enforcing 30 a
    second overall and 1 a second per chat after 3, served by two workers whose buckets are
    shared through Redis: the service keeps within the limits on its own, so Telegram never
    has to refuse (a 429 costs the learner a second or more)."""
    with FakeTelegram(global_rate=30, per_chat_rate=1, per_chat_burst=3, jitter=JITTER) as fake:
        env = environment_for(
            fake,
            content.root,
            redis_store_url,
            HOCSO_RATE_GLOBAL="30",
            HOCSO_RATE_CHAT="1",
            HOCSO_RATE_CHAT_BURST="3",
        )
        with ServeProcess(env, tmp_path / "serve.log", "--workers", "2") as server:

            async def burst() -> tuple[list[TelegramLearner], list[TelegramLearner]]:
                async with Webhook(server.url) as hook:
                    quiet = [TelegramLearner(hook, fake, 5700 + n) for n in range(16)]
                    busy = [TelegramLearner(hook, fake, 5800 + n) for n in range(4)]

                    async def talk(lan: TelegramLearner, helps: int) -> None:
                        await lan.start("mau")
                        for _ in range(helps):  # without waiting for the replies
                            await lan.say("giúp")
                        await lan.replies(1 + helps, timeout=20)

                    await asyncio.gather(
                        *(talk(lan, 1) for lan in quiet), *(talk(lan, 4) for lan in busy)
                    )
                    return quiet, busy

            quiet, busy = asyncio.run(burst())
            wait_until(lambda: '"pending": 0' in health(server.url), 10, "the outbox to empty")
    refused = [call for call in fake.calls() if call.status == 429]
    assert refused == [], f"{len(refused)} sends refused with 429"
    for lan, helps in [*((lan, 1) for lan in quiet), *((lan, 4) for lan in busy)]:
        got = [message.visible for message in fake.messages(lan.chat)]
        assert len(got) == 1 + helps, (lan.id, got)
        assert got[0].startswith("📘 Bài mẫu")
        assert all(text.startswith("Bác gõ lúc nào cũng được:") for text in got[1:]), got
    # The limits were met by waiting, not by luck: 52 messages need over 1.7 s at 30 a second,
    # and a busy chat's 5 messages, at 1 a second after 3 at once, over 2 s.
    sent = [call.at for call in fake.calls("sendMessage") if call.status == 200]
    assert len(sent) == 16 * 2 + 4 * 5
    assert most_within(1.0 - JITTER, sent) <= 30
    assert max(sent) - min(sent) > 1.7
    for lan in busy:
        at = [message.at for message in fake.messages(lan.chat)]
        assert at[4] - at[0] >= 2.0 - JITTER, at


def test_429_retry_after_is_honoured(fake_telegram: FakeTelegram, content: Content) -> None:
    chat = 5901
    fake_telegram.script("sendMessage", flood(retry_after=2), chat=chat)
    with ServiceThread(settings_for(fake_telegram, content.root, "memory://")) as app:

        async def talk() -> None:
            async with Webhook(app.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, chat)
                await lan.start("mau")
                await lan.replies(timeout=10)

        asyncio.run(talk())
        app.wait_sent()
    refused, delivered = fake_telegram.calls("sendMessage", chat)
    assert (refused.status, delivered.status) == (429, 200)
    assert 2.0 <= delivered.at - refused.at < 3.0  # after retry_after, and not much later
    assert len(fake_telegram.messages(chat)) == 1


# -- 7. send failures -------------------------------------------------------------------------


@pytest.fixture
def quick_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    """The service's Bot waits 1 s for Telegram's answer instead of 10 (not a setting yet)."""
    seconds = 1.0
    monkeypatch.setattr(
        handlers.telegram,
        "make_bot",
        functools.partial(handlers.telegram.make_bot, read_timeout=seconds),
    )
    return seconds


def test_permanent_failures_are_recorded_not_retried(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    is_blocked, is_gone, fine = 6001, 6002, 6003
    # Telegram would refuse every message to these chats; the service must try each once.
    fake_telegram.script("sendMessage", *[blocked()] * 20, chat=is_blocked)
    fake_telegram.script("sendMessage", *[chat_not_found()] * 20, chat=is_gone)
    with ServiceThread(settings_for(fake_telegram, content.root, store_url)) as app:

        async def talk() -> None:
            async with Webhook(app.url) as hook:
                learners = {
                    chat: TelegramLearner(hook, fake_telegram, chat)
                    for chat in (is_blocked, is_gone, fine)
                }
                for lan in learners.values():
                    await lan.start("mau")
                await learners[fine].replies()
                await learners[is_blocked].say("samsung")  # a second message, tried once too
                await learners[fine].tap("Bắt đầu")
                await learners[fine].replies()

        asyncio.run(talk())
        app.wait_sent()  # a message put back for a retry would still be in the outbox
        failures = app.store.failures()
        pending = app.store.pending()
    assert len(fake_telegram.calls("sendMessage", is_blocked)) == 2
    assert len(fake_telegram.calls("sendMessage", is_gone)) == 1
    assert fake_telegram.messages(is_blocked) == [] and fake_telegram.messages(is_gone) == []
    assert len(fake_telegram.messages(fine)) == 2
    assert pending == 0
    reasons = sorted((failure.delivery.chat, failure.reason) for failure in failures)
    assert reasons == [
        (str(is_blocked), "Forbidden: bot was blocked by the user"),
        (str(is_blocked), "Forbidden: bot was blocked by the user"),
        (str(is_gone), "Chat not found"),
    ]


def test_deleting_data_leaves_nothing_of_the_learner(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    """A learner who blocked the bot for a while (a failure recorded: their chat id and the
    bot's words), came back, then deleted their data: no key, row or value of the store holds
    their learner id or chat id afterwards; another learner's failure stays."""
    chat, other = 987654321, 6201
    fake_telegram.script("sendMessage", blocked(), chat=chat)
    fake_telegram.script("sendMessage", blocked(), chat=other)
    with ServiceThread(settings_for(fake_telegram, content.root, store_url)) as app:

        async def talk() -> None:
            async with Webhook(app.url) as hook:
                lan, them = (
                    TelegramLearner(hook, fake_telegram, chat),
                    TelegramLearner(hook, fake_telegram, other),
                )
                await lan.start("mau")  # blocked: recorded as a failure
                await them.start("mau")
                await asyncio.to_thread(app.wait_sent)
                await lan.start("mau")
                await lan.replies()
                await lan.say(content.messages.words("commands.delete")[0])
                await lan.replies()
                await lan.tap(content.messages.text("buttons.delete_yes"))
                await lan.replies()

        asyncio.run(talk())
        app.wait_sent()
        left = holding(app.store, f"tg:{chat}", str(chat))
        failures = [failure.delivery.chat for failure in app.store.failures()]
    assert fake_telegram.messages(chat)[-1].visible == plain(content, "delete.done")
    assert left == []
    assert failures == [str(other)]


def test_server_errors_and_timeouts_are_retried_then_delivered(
    fake_telegram: FakeTelegram, content: Content, quick_timeout: float
) -> None:
    errors, proxy, times_out, fine = 6101, 6102, 6103, 6104
    fake_telegram.script("sendMessage", server_error(), chat=errors)
    fake_telegram.script("sendMessage", bad_gateway(), chat=proxy)  # an HTML 502, not JSON
    fake_telegram.script("sendMessage", slow(30), chat=times_out)  # no answer in time
    with ServiceThread(settings_for(fake_telegram, content.root, "memory://")) as app:

        async def talk() -> None:
            async with Webhook(app.url) as hook:
                learners = [
                    TelegramLearner(hook, fake_telegram, chat)
                    for chat in (errors, proxy, times_out, fine)
                ]
                await asyncio.gather(*(lan.start("mau") for lan in learners))
                await asyncio.gather(*(lan.replies(timeout=10) for lan in learners))

        posted = time.monotonic()
        asyncio.run(talk())
        app.wait_sent()
        failures = app.store.failures()
        # The stand-in records a call once answered: the one that timed out is still waiting.
        for chat, tries in ((errors, 2), (proxy, 2), (times_out, 1), (fine, 1)):
            calls = fake_telegram.calls("sendMessage", chat)
            assert len(calls) == tries, (chat, calls)
            assert calls[-1].status == 200
            assert len(fake_telegram.messages(chat)) == 1
            assert fake_telegram.messages(chat)[0].visible.startswith("📘 Bài mẫu")
        (retried,) = fake_telegram.calls("sendMessage", times_out)
        assert retried.at - posted >= quick_timeout  # tried again after giving up on the first
    assert failures == []
    assert [call.status for call in fake_telegram.calls("sendMessage", errors)] == [500, 200]
    assert [call.status for call in fake_telegram.calls("sendMessage", proxy)] == [502, 200]


# -- 8. bad secrets and bodies ----------------------------------------------------------------

MAX_BODY = 4096
GROUP = {"id": -1001987654321, "type": "supergroup", "title": "Lớp học số phường 5"}
CHANNEL = {"id": -1001122334455, "type": "channel", "title": "Tin tức phường"}
BOT = {"id": 4242, "is_bot": True, "first_name": "Hocso test", "username": "hocso_test_bot"}


def membership(chat: int, old: str, new: str) -> dict[str, Any]:
    def member(status: str) -> dict[str, Any]:
        return {"user": BOT, "status": status, **({"until_date": 0} if status == "kicked" else {})}

    change = {
        "chat": private(chat),
        "from": user(chat),
        "date": 1763884800,
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }
    return {"update_id": 880_000_000 + chat, "my_chat_member": change}


def raw(text: str) -> bytes:
    return text.encode()


def chunked(data: bytes) -> Iterator[bytes]:
    """A body sent without Content-Length (Transfer-Encoding: chunked)."""
    for start in range(0, len(data), 1000):
        yield data[start : start + 1000]


def tap_with(chat: int, data: object) -> dict[str, Any]:
    """A tap whose callback_data is `data`, whatever it is."""
    update = callback_update(chat, "x")
    update["callback_query"]["data"] = data
    return update


IN_LESSON = ""
"""In the last column of BAD_INPUT: sent by a learner in a lesson; nothing more is applied."""

# (what is posted, the secret header, the status answered, what the bot says back)
# The chat id of each case is its own. In the last column: `None`, nothing is applied, no
# reply is sent, no learner is created; a message key, the learner was in a lesson and is
# answered that message; IN_LESSON, the learner was in a lesson and nothing more happens.
BAD_INPUT = [
    pytest.param(lambda c: text_update(c, "xin chào"), None, 401, None, id="no-secret"),
    pytest.param(lambda c: text_update(c, "xin chào"), "wrong", 403, None, id="wrong-secret"),
    pytest.param(lambda c: text_update(c, "xin chào"), "", 403, None, id="empty-secret"),
    pytest.param(lambda c: text_update(c, "x" * MAX_BODY), SECRET, 413, None, id="too-large"),
    pytest.param(
        lambda c: chunked(json.dumps(text_update(c, "x" * MAX_BODY)).encode()),
        SECRET,
        413,
        None,
        id="too-large-chunked",
    ),
    pytest.param(lambda c: raw('{"update_id": 1, "message": '), SECRET, 400, None, id="not-json"),
    pytest.param(lambda c: raw(""), SECRET, 400, None, id="empty-body"),
    pytest.param(lambda c: b"\xff\xfe{}", SECRET, 400, None, id="not-utf8"),
    pytest.param(lambda c: [text_update(c, "hi")], SECRET, 400, None, id="a-json-list"),
    pytest.param(lambda c: {}, SECRET, 400, None, id="empty-object"),
    pytest.param(lambda c: {"update_id": "x"}, SECRET, 400, None, id="update_id-a-string"),
    pytest.param(lambda c: {"update_id": True}, SECRET, 400, None, id="update_id-a-boolean"),
    pytest.param(
        lambda c: {"update_id": 1, "message": "hi"}, SECRET, 400, None, id="message-a-string"
    ),
    pytest.param(
        lambda c: message_update(c, text={"a": 1}),
        SECRET,
        400,
        None,
        id="text-an-object",  # was a 500: TypeError from the /start regex
    ),
    pytest.param(
        lambda c: message_update(c, text=12345),
        SECRET,
        400,
        None,
        id="text-a-number",  # was a 500: TypeError from the /start regex
    ),
    pytest.param(
        lambda c: message_update(c, text="hi", date=10**20),
        SECRET,
        400,
        None,
        id="date-out-of-range",  # was a 500: OverflowError in PTB's date parsing
    ),
    pytest.param(
        lambda c: {
            "update_id": 880_100_000 + c,
            "callback_query": {
                "id": "1",
                "from": user(c),
                "chat_instance": "1",
                "data": "c:0000000000",
                "message": {"message_id": 1, "date": 1763884800},
            },
        },
        SECRET,
        400,
        None,
        id="tap-message-without-chat",  # was a 500: AttributeError, message.chat is None
    ),
    pytest.param(
        lambda c: {"update_id": 880_200_000 + c, "my_chat_member": {}},
        SECRET,
        400,
        None,
        id="my_chat_member-empty",  # was a 500: AttributeError, change.chat is None
    ),
    pytest.param(
        lambda c: message_update(c, text="hi", chat={"id": "abc", "type": "private"}),
        SECRET,
        400,
        None,
        id="chat-id-not-a-number",  # was taken: a learner "tg:abc", a send to chat "abc"
    ),
    pytest.param(
        lambda c: tap_with(c, 5),
        SECRET,
        400,
        IN_LESSON,
        id="tap-data-a-number",
    ),
    pytest.param(
        lambda c: raw("[" * 2000 + "]" * 2000),
        SECRET,
        400,
        None,
        id="json-nested-too-deep",  # was a 500: json.loads raises RecursionError
    ),
    pytest.param(
        lambda c: message_update(c, kind="edited_message", text="sửa lại"),
        SECRET,
        200,
        None,
        id="edited_message",
    ),
    pytest.param(lambda c: membership(c, "member", "kicked"), SECRET, 200, None, id="blocked"),
    pytest.param(lambda c: membership(c, "kicked", "member"), SECRET, 200, None, id="unblocked"),
    pytest.param(
        lambda c: message_update(c, kind="channel_post", chat=CHANNEL, text="Thông báo"),
        SECRET,
        200,
        None,
        id="channel_post",
    ),
    pytest.param(
        lambda c: message_update(c, chat=GROUP, text="/start mau"),
        SECRET,
        200,
        None,
        id="group-message",
    ),
    pytest.param(
        lambda c: {"update_id": 880_300_000 + c, "poll": {"id": "1", "question": "?"}},
        SECRET,
        200,
        None,
        id="a-kind-not-read",
    ),
    pytest.param(lambda c: media_update(c, "sticker"), SECRET, 200, "input.sticker", id="sticker"),
    pytest.param(
        lambda c: callback_update(c, "o:0123456789:1"),
        SECRET,
        200,
        "reading.stale_button",
        id="tap-on-an-old-button",
    ),
    pytest.param(
        lambda c: callback_update(c, "not-a-payload-hocso-makes"),
        SECRET,
        200,
        "reading.stale_button",
        id="tap-on-an-unknown-button",
    ),
]


@pytest.fixture(scope="module")
def bad_input_service() -> Iterator[tuple[FakeTelegram, ServiceThread, Content]]:
    """One service for the whole table (each case has a chat of its own)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder, FakeTelegram() as fake:
        content = fixture_content(Path(folder))
        environ = environment_for(fake, content.root, "memory://", HOCSO_MAX_BODY=str(MAX_BODY))
        settings = Settings.from_env(environ)
        assert settings.max_body == MAX_BODY and settings.telegram
        with ServiceThread(settings) as app:
            yield fake, app, content


_bad_chats = iter(range(7000, 8000))


@pytest.mark.parametrize(("body", "secret", "status", "reply"), BAD_INPUT)
def test_bad_secrets_and_bodies(
    bad_input_service: tuple[FakeTelegram, ServiceThread, Content],
    body: Any,
    secret: str | None,
    status: int,
    reply: str | None,
) -> None:
    fake, app, content = bad_input_service
    chat = next(_bad_chats)
    learner = f"tg:{chat}"
    if reply is not None:  # a learner in a lesson, who then sends this
        opening = start_update(chat, "mau")
        started = httpx.post(f"{app.url}/webhook/telegram", json=opening, headers=secret_header())
        assert started.status_code == 200
        fake.wait_for_messages(chat, 1)
    data = body(chat)
    headers = {} if secret is None else {SECRET_HEADER: secret}
    if isinstance(data, bytes | Iterator):
        headers["Content-Type"] = "application/json"
        answer = httpx.post(f"{app.url}/webhook/telegram", content=data, headers=headers)
    else:
        answer = httpx.post(f"{app.url}/webhook/telegram", json=data, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.status_code < 500
    if isinstance(data, dict) and "callback_query" in data and status == 200:
        assert answer.json() == {
            "method": "answerCallbackQuery",
            "callback_query_id": data["callback_query"]["id"],
        }
    app.wait_sent()
    if reply is None:
        assert app.store.get(learner) is None
        assert fake.messages(chat) == []
        assert not any(call.chat == str(chat) for call in fake.calls())
    elif reply == IN_LESSON:
        assert len(fake.messages(chat)) == 1
        stored = app.store.get(learner)
        assert stored is not None and stored.turns == 1
    else:
        said = [message.visible for message in fake.wait_for_messages(chat, 2)]
        assert len(said) == 2 and said[1].startswith(plain(content, reply)), said
        stored = app.store.get(learner)
        assert stored is not None and stored.turns == 2


LONG = "x" * 5000
WORDS = "Tôi tên Phạm Thị Gấm"  # made up: what a learner might have typed
BIG = 10**4000  # 4001 digits, within what json reads

# Malformed field values: a 400 whose answer and one log line say what the value is (its type,
# its length) and never quote it, beyond a few safe characters.
MALFORMED_VALUES = [
    pytest.param(lambda c: tap_with(c, [WORDS] * 3), id="tap-data-a-list"),
    pytest.param(lambda c: tap_with(c, {"data": LONG}), id="tap-data-an-object"),
    pytest.param(lambda c: tap_with(c, BIG), id="tap-data-a-big-number"),
    pytest.param(
        lambda c: message_update(c, text="hi", chat={"id": LONG, "type": "private"}),
        id="chat-id-5000-characters",
    ),
    pytest.param(
        lambda c: message_update(c, text="hi", chat={"id": WORDS, "type": "private"}),
        id="chat-id-words",
    ),
    pytest.param(
        lambda c: message_update(c, text="hi", chat={"id": BIG, "type": "private"}),
        id="chat-id-4001-digits",  # was taken: a learner "tg:1000…", 4004 characters long
    ),
    pytest.param(lambda c: message_update(c, BIG, text="hi"), id="update_id-4001-digits"),
    pytest.param(lambda c: message_update(c, text="hi", date=WORDS), id="date-words"),
]


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ([WORDS] * 3, "a list of 3 items"),
        ({"data": LONG}, "an object of 1 key"),
        (BIG, "a number of 4001 digits"),
        (-5, "a number of 1 digit"),
        (2.5, "a number"),
        (True, "true"),
        (None, "null"),
        (LONG, "a string of 5000 characters (`xxxxxxxx…`)"),
        ("o:12", "a string of 4 characters (`o:12`)"),
        (WORDS, "a string of 20 characters (`T…`)"),
        ("Đúng", "a string of 4 characters"),
        ("", "a string of 0 characters"),
    ],
)
def test_describe(value: object, said: str) -> None:
    assert describe(value) == said


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ("'str' object has no attribute 'get'", "'str' object has no attribute 'get'"),
        (
            f"invalid literal for int() with base 10: '{WORDS}'",
            "invalid literal for int() with base 10: <a string of 20 characters (`T…`)>",
        ),
        (f"not {[LONG]!r}", "not [<a string of 5000 characters (`xxxxxxxx…`)>]"),
        ("first line\nsecond 'line'", "first line"),
        ("y" * 500, "y" * 199 + "…"),
    ],
)
def test_clipped(message: str, said: str) -> None:
    assert clipped(message) == said


@pytest.fixture(scope="module")
def roomy_service() -> Iterator[ServiceThread]:
    """One service for the whole table, taking bodies up to the usual 256 KiB."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder, FakeTelegram() as fake:
        content = fixture_content(Path(folder))
        with ServiceThread(settings_for(fake, content.root, "memory://")) as app:
            yield app


@pytest.mark.parametrize("body", MALFORMED_VALUES)
def test_malformed_values_are_described_never_quoted(
    roomy_service: ServiceThread, body: Any
) -> None:
    app = roomy_service
    chat = next(_bad_chats)
    with log_records("hocso") as records:
        answer = httpx.post(f"{app.url}/webhook/telegram", json=body(chat), headers=secret_header())
    assert answer.status_code == 400, answer.text
    (line,) = [record.getMessage() for record in records]
    assert line.startswith("bad telegram update: ")
    for said in (line, answer.json()["error"]):
        assert len(said) < 300, said
        for quoted in ("xxxxxxxxx", "Tôi", "Gấm", "000000000", "'data'"):
            assert quoted not in said, said
    app.wait_sent()
    assert not [learner for learner in app.store.learner_ids() if learner.startswith("tg:1000")]
    assert app.store.get(f"tg:{chat}") is None


def padded(update: dict[str, Any], size: int) -> bytes:
    """The update as a JSON body of exactly `size` bytes (its text padded with spaces)."""
    body = json.dumps(update).encode()
    update["message"]["text"] += " " * (size - len(body))
    body = json.dumps(update).encode()
    assert len(body) == size
    return body


def test_a_body_of_exactly_the_largest_size_is_taken(
    bad_input_service: tuple[FakeTelegram, ServiceThread, Content],
) -> None:
    fake, app, _ = bad_input_service
    chat = next(_bad_chats)
    headers = {**secret_header(), "Content-Type": "application/json"}
    url = f"{app.url}/webhook/telegram"
    over = httpx.post(url, content=padded(text_update(chat, "giúp"), MAX_BODY + 1), headers=headers)
    at = httpx.post(url, content=padded(text_update(chat, "giúp"), MAX_BODY), headers=headers)
    assert (over.status_code, at.status_code) == (413, 200)
    fake.wait_for_messages(chat, 1)


def secret_header() -> dict[str, str]:
    return {SECRET_HEADER: SECRET}


def test_a_refused_update_can_still_be_delivered_with_the_right_secret(
    fake_telegram: FakeTelegram, content: Content
) -> None:
    """A 401/403 changes nothing, so the update is not taken for a duplicate afterwards."""
    chat = 8101
    update = start_update(chat, "mau")
    with ServiceThread(settings_for(fake_telegram, content.root, "memory://")) as app:
        wrong = httpx.post(
            f"{app.url}/webhook/telegram", json=update, headers={SECRET_HEADER: "nope"}
        )
        missing = httpx.post(f"{app.url}/webhook/telegram", json=update)
        right = httpx.post(f"{app.url}/webhook/telegram", json=update, headers=secret_header())
        fake_telegram.wait_for_messages(chat, 1)
        app.wait_sent()
        stored = app.store.get(f"tg:{chat}")
    assert (wrong.status_code, missing.status_code, right.status_code) == (403, 401, 200)
    assert stored is not None and stored.turns == 1


def test_routes_without_the_telegram_channel(content: Content) -> None:
    """No TELEGRAM_* settings: the channel is off and its route is not there."""
    with ServiceThread(Settings(content=content.root, store="memory://")) as app:
        webhook = httpx.post(
            f"{app.url}/webhook/telegram", json=start_update(8201), headers=secret_header()
        )
        healthz = httpx.get(f"{app.url}/healthz")
        docs = httpx.get(f"{app.url}/docs")
        schema = httpx.get(f"{app.url}/openapi.json")
    assert webhook.status_code == 404
    assert healthz.status_code == 200 and healthz.json()["ok"] is True
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "/webhook/telegram" in schema.json()["paths"]


def test_health_and_docs_with_the_channel_on(
    fake_telegram: FakeTelegram, content: Content, store_url: str
) -> None:
    with ServiceThread(settings_for(fake_telegram, content.root, store_url)) as app:
        healthz = httpx.get(f"{app.url}/healthz")
        docs = httpx.get(f"{app.url}/docs")
    assert healthz.status_code == 200
    assert healthz.json() == {"ok": True, "pending": 0}
    assert docs.status_code == 200


def test_the_store_down_is_a_503_never_a_lost_update(
    fake_telegram: FakeTelegram, content: Content, redis_store_url: str
) -> None:
    """While the store is unreachable an update is answered 503 (Telegram sends it again)
    and /healthz says so; once it is back, the redelivered update is applied."""
    chat = 8301
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with ServiceThread(settings_for(fake_telegram, content.root, down)) as app:
        update = start_update(chat, "mau")
        refused = httpx.post(f"{app.url}/webhook/telegram", json=update, headers=secret_header())
        healthz = httpx.get(f"{app.url}/healthz")
    assert refused.status_code == 503
    assert healthz.status_code == 503
    with ServiceThread(settings_for(fake_telegram, content.root, redis_store_url)) as app:
        again = httpx.post(f"{app.url}/webhook/telegram", json=update, headers=secret_header())
        fake_telegram.wait_for_messages(chat, 1)
    assert again.status_code == 200


@pytest.fixture
def frozen_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A throwaway redis-server of this test's own, to stop (SIGSTOP) and go on (SIGCONT)."""
    server = start_redis_server(tmp_path)
    try:
        yield server
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    return call(), time.monotonic() - started


def test_a_stuck_store_is_a_503_within_a_second_or_two(
    fake_telegram: FakeTelegram, content: Content, frozen_redis: RedisServer
) -> None:
    """Redis stopped (SIGSTOP): not refused, just no answer. /healthz answers 503 once its
    ping times out (HOCSO_STORE_TIMEOUT), the webhook once its store call does, and after that
    both at once; once Redis goes on, /healthz says 200 and the update sent again is applied."""
    chat = 8351
    settings = settings_for(fake_telegram, content.root, frozen_redis.url, store_timeout=0.5)
    with (
        ServiceThread(settings) as app,
        httpx.Client(base_url=app.url, headers=secret_header(), timeout=30) as client,
    ):
        first = client.post("/webhook/telegram", json=start_update(chat, "mau"))
        fake_telegram.wait_for_messages(chat, 1)
        os.kill(frozen_redis.process.pid, signal.SIGSTOP)
        update = start_update(chat + 1, "mau")
        pinged, took_ping = timed(lambda: client.get("/healthz"))
        refused, took = timed(lambda: client.post("/webhook/telegram", json=update))
        again, took_again = timed(lambda: client.post("/webhook/telegram", json=update))
        healthz, took_healthz = timed(lambda: client.get("/healthz"))
        os.kill(frozen_redis.process.pid, signal.SIGCONT)
        wait_until(lambda: client.get("/healthz").status_code == 200, 10, "/healthz to say 200")
        delivered = client.post("/webhook/telegram", json=update)
        fake_telegram.wait_for_messages(chat + 1, 1)
    assert first.status_code == 200
    answers = [pinged, refused, again, healthz]
    assert [answer.status_code for answer in answers] == [503] * 4
    # The first two wait for a store call to time out (0.5 s), and may find the loop held up
    # by another for as long; after that, the store counts as down and nothing waits.
    assert took_ping < 2.0 and took < 2.0, (took_ping, took)
    assert took_again < 0.3 and took_healthz < 0.3, (took_again, took_healthz)
    assert pinged.json() == healthz.json() == {"ok": False, "store": "down"}
    assert delivered.status_code == 200


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, 1.0),
        ({"HOCSO_STORE_TIMEOUT": "0.25"}, 0.25),
        ({"HOCSO_STORE_TIMEOUT": "0"}, "HOCSO_STORE_TIMEOUT must be a number above 0"),
        ({"HOCSO_STORE_TIMEOUT": "nan"}, "HOCSO_STORE_TIMEOUT must be a number above 0"),
        ({"HOCSO_STORE_TIMEOUT": "-1"}, "HOCSO_STORE_TIMEOUT must not be negative"),
        ({"HOCSO_STORE_TIMEOUT": "1s"}, "HOCSO_STORE_TIMEOUT must be a number, not '1s'"),
    ],
)
def test_the_store_timeout_setting(environ: dict[str, str], expected: float | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            Settings.from_env(environ)
    else:
        assert Settings.from_env(environ).store_timeout == expected


FAILED = "update failed; it must be sent again"


def test_while_the_store_is_down_a_short_line_a_second_and_no_traceback(
    fake_telegram: FakeTelegram, content: Content
) -> None:
    """Every update is a 503, but the log gets one line (the error's class and message) a
    second, the next one saying how many were held back; the delivery loop's failing polls
    are short lines too."""
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with (
        ServiceThread(settings_for(fake_telegram, content.root, down)) as app,
        log_records("hocso") as records,
        httpx.Client(base_url=app.url, headers=secret_header()) as client,
    ):
        started = time.monotonic()
        answers = [client.post("/webhook/telegram", json=start_update(8311 + n)) for n in range(30)]
        took = time.monotonic() - started
        time.sleep(1.1)
        answers.append(client.post("/webhook/telegram", json=start_update(8341)))
    assert [answer.status_code for answer in answers] == [503] * 31
    assert all(record.exc_info is None for record in records), [
        record.getMessage() for record in records if record.exc_info
    ]
    failed = [record for record in records if record.getMessage() == FAILED]
    held = [getattr(record, "suppressed", 0) for record in failed]
    assert len(failed) + sum(held) == 31  # each update logged or counted
    assert 2 <= len(failed) <= took + 2  # at most one line a second, and the one after the pause
    assert held[0] == 0 and held[-1] >= 1
    for record in failed:  # refused; then not even tried, until Redis answers a ping
        error = str(getattr(record, "error", ""))
        assert error.startswith(("ConnectionError: ", "StoreUnavailable: ")), error
        assert len(error) <= 200, error
        assert record.levelname == "WARNING" and getattr(record, "status", None) == 503


STORE_ERRORS = [
    pytest.param(redis.ConnectionError("Error 111 connecting to 127.0.0.1:1."), False, id="down"),
    pytest.param(redis.TimeoutError("Timeout reading from socket"), False, id="stuck"),
    pytest.param(sqlite3.OperationalError("database is locked"), False, id="sqlite-locked"),
    pytest.param(RuntimeError("a bug"), True, id="unexpected"),
    pytest.param(UpdateConflictError("tg:5 kept changing"), True, id="conflict"),
]


@pytest.mark.parametrize(("error", "traceback"), STORE_ERRORS)
def test_store_failures_are_one_line_a_second_unless_unexpected(
    error: Exception, traceback: bool
) -> None:
    """Failures at these seconds: a store that is down or stuck is logged at 0, 1, 2.4 and 5
    (held back: 2, 1, 0); anything unexpected, every time with its traceback."""
    moments = iter((0.0, 0.2, 0.9, 1.0, 1.5, 2.4, 5.0))
    failures = StoreFailures(clock=lambda: next(moments))
    logger = logging.getLogger("hocso.test-store-failures")
    with log_records(logger.name) as records:
        for _ in range(7):
            failures.log(logger, FAILED, error, {"status": 503})
    if traceback:
        assert len(records) == 7
        assert all(record.exc_info is not None for record in records)
        assert all(record.levelname == "ERROR" for record in records)
        return
    assert [getattr(record, "suppressed", 0) for record in records] == [0, 2, 1, 0]
    assert all(record.exc_info is None and record.levelname == "WARNING" for record in records)
    assert getattr(records[0], "error", "") == f"{type(error).__name__}: {error}"


def test_the_service_starts_while_telegram_is_unreachable(content: Content) -> None:
    """A worker (re)started during a Telegram outage or a DNS hiccup still acknowledges
    updates; their replies wait in the outbox until the Bot API answers again. (It used to
    exit: Service.start awaited bot.initialize(), whose getMe raised NetworkError.)"""
    settings = Settings(
        content=content.root,
        store="memory://",
        telegram_token=TOKEN,
        telegram_secret=SECRET,
        telegram_api_url=f"http://127.0.0.1:{free_port()}/bot",  # nothing listens there
        limits=NO_LIMITS,
    )
    with ServiceThread(settings) as app:
        healthz = httpx.get(f"{app.url}/healthz")
        update = start_update(8401, "mau")
        answer = httpx.post(f"{app.url}/webhook/telegram", json=update, headers=secret_header())
        pending = app.store.pending()
    assert healthz.status_code == 200
    assert answer.status_code == 200
    assert pending == 1


# -- 9. the logs ------------------------------------------------------------------------------

SENTENCE = "Tôi tên Phạm Thị Gấm, nhà ở xóm Bờ Sông"  # made up: a learner's own words
OTP = "738215"


def test_one_json_line_per_update_and_never_a_learners_words(
    fake_telegram: FakeTelegram, content: Content, tmp_path: Path
) -> None:
    chat = 9101
    database = tmp_path / "hocso.db"
    env = environment_for(fake_telegram, content.root, f"sqlite:///{database}")
    server = ServeProcess(env, tmp_path / "serve.log").start()
    try:

        async def talk() -> TelegramLearner:
            async with Webhook(server.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, chat)
                await lan.start("mau")
                await lan.replies()
                await lan.tap("Bắt đầu")
                await lan.replies()
                await lan.say(SENTENCE)  # at a question with buttons: not understood
                (unclear,) = await lan.replies()
                assert unclear.visible.startswith("Cháu chưa hiểu ý bác")
                await lan.say(f"Mã của tôi là {OTP}")
                (warning,) = await lan.replies()
                assert warning.visible.startswith(plain(content, "sensitive.otp"))
                await lan.send_media("sticker")
                await lan.replies()
                await hook.post(lan.posted[-1])  # delivered again: a duplicate
                return lan

        lan = asyncio.run(talk())
        wait_until(lambda: '"pending": 0' in health(server.url), 10, "the outbox to empty")
    finally:
        server.stop()  # a graceful stop: everything logged is written
    output = server.output()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    updates = [line for line in lines if line.get("msg") == "update"]
    events = [f"tg:{update['update_id']}" for update in lan.posted]
    applied = [line for line in updates if not line.get("duplicate")]
    assert [line["event"] for line in applied] == events, output  # one line each, in order
    assert [line["event"] for line in updates if line.get("duplicate")] == events[-1:]
    for line in updates:
        assert line["channel"] == "telegram" and line["learner"] == f"tg:{chat}"
        assert line["level"] == "info" and line["logger"] == "hocso.webhook"
        assert isinstance(line["ms"], int | float) and line["ms"] >= 0
    assert [line["step"] for line in applied] == ["chao"] + ["loai-may"] * 4
    assert [line["kind"] for line in applied] == ["start", "button", "text", "text", "media"]
    # Nothing the learner typed, in the logs or (for the OTP) in the store.
    for words in (SENTENCE, "Phạm Thị Gấm", "xóm Bờ Sông", OTP):
        assert words not in output
        assert json.dumps(words)[1:-1] not in output  # not even \u-escaped
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("hocso.db*"))
    assert OTP.encode() not in stored


def test_with_two_workers_every_update_is_logged_too(
    fake_telegram: FakeTelegram, content: Content, tmp_path: Path
) -> None:
    """Every worker process logs as JSON. (uvicorn starts workers as new processes: logging
    set up only in `hocso serve`'s own process used to leave the workers' lines unwritten.)"""
    chat = 9201
    env = environment_for(fake_telegram, content.root, f"sqlite:///{tmp_path / 'hocso.db'}")
    server = ServeProcess(env, tmp_path / "serve.log", "--workers", "2").start()
    try:

        async def talk() -> list[dict[str, Any]]:
            async with Webhook(server.url) as hook:
                learners = [TelegramLearner(hook, fake_telegram, chat + n) for n in range(4)]
                await asyncio.gather(*(lan.start("mau") for lan in learners))
                await asyncio.gather(*(lan.replies() for lan in learners))
                return [update for lan in learners for update in lan.posted]

        posted = asyncio.run(talk())
    finally:
        server.stop()
    # Every line is JSON, uvicorn's own ("Started server process", ...) included.
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    assert sum(line.get("msg") == "service started" for line in lines) == 2
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    logged = sorted(line["event"] for line in lines if line.get("msg") == "update")
    assert logged == sorted(f"tg:{update['update_id']}" for update in posted)
