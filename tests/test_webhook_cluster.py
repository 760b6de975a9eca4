"""Two `hocso serve` processes on two ports, one Redis Cluster (three masters, a replica each)
and one stand-in Telegram Bot API: a learner whose updates go to either service in turn gets
every reply exactly once and in order; then the master of the learner's shard is killed, the
platform is answered 503 and sends the update again until a replica has taken over, and the
learner goes on as if nothing happened.

What this shows of the deployment in the README (Past one machine): services that share
nothing but the store, behind a load balancer that may send any update anywhere.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.crc import key_slot

from bot.content import Content
from bot.stores import open_store
from bot.stores.redis import RedisStore
from support.chat import fixture_content, plain
from support.fake_telegram import FakeTelegram
from support.redis_cluster import Cluster, start_cluster
from support.service import (
    ServeProcess,
    TelegramLearner,
    Webhook,
    environment_for,
    media_update,
    text_update,
)
from support.waiting import wait_until

CHAT = 6101
KINDS = ("sticker", "photo", "voice", "video", "location")
# The start of the lesson `mau`: what the learner does, and the start of each reply.
OPENING = [
    ("start", "mau", "📘 Bài mẫu (khoảng 3 phút)"),
    ("tap", "Bắt đầu", "Điện thoại của bác là loại nào?"),
    ("say", "samsung", "Trên Android, bác mở CH Play."),
    ("tap", "Tiếp tục", "Ai được biết mã OTP của bác?"),
]


class Alternating:
    """Posts each update to the next of `hooks` in turn: a load balancer's round robin."""

    def __init__(self, *hooks: Webhook) -> None:
        self.hooks = hooks
        self.posted = 0

    async def post(self, body: dict[str, Any], /, *, expect: int | None = 200) -> httpx.Response:
        hook = self.hooks[self.posted % len(self.hooks)]
        self.posted += 1
        return await hook.post(body, expect=expect)


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


def services(env: dict[str, str], folder: Path) -> tuple[ServeProcess, ServeProcess]:
    return ServeProcess(env, folder / "one.log"), ServeProcess(env, folder / "two.log")


async def open_lesson(lan: TelegramLearner) -> None:
    for action, what, reply in OPENING:
        if action == "start":
            await lan.start(what)
        elif action == "tap":
            await lan.tap(what)
        else:
            await lan.say(what)
        (got,) = await lan.replies(1, timeout=15)
        assert got.visible.startswith(reply), (what, got.visible)


def updates_served(server: ServeProcess) -> int:
    """How many updates of the learner a service stored (its JSON line for each)."""
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    return sum(
        1
        for line in lines
        if line.get("msg") == "update" and line.get("learner") == f"tg:{CHAT}"
        and not line.get("duplicate")
    )  # fmt: skip


def test_two_services_on_a_cluster_answer_one_learner_in_turn(
    fake_telegram: FakeTelegram, content: Content, cluster_store_url: str, tmp_path: Path
) -> None:
    env = environment_for(fake_telegram, content.root, cluster_store_url)
    one, two = services(env, tmp_path)
    with one, two:

        async def learner() -> None:
            async with Webhook(one.url) as first, Webhook(two.url) as second:
                lan = TelegramLearner(first, fake_telegram, CHAT)
                lan.hook = Alternating(first, second)
                await open_lesson(lan)  # each reply awaited, as a learner reads it
                # Ten updates without waiting (each POST answered once stored): the replies
                # go in the order the updates were stored, whichever service stored each.
                for n in range(10):
                    await lan.send_media(KINDS[n % len(KINDS)])
                await lan.replies(10, timeout=20)
                # One update delivered to both at once: applied once.
                update = text_update(CHAT, "kết quả")
                await asyncio.gather(first.post(update), second.post(update))
                await lan.replies(1, timeout=15)

        asyncio.run(learner())
        time.sleep(0.5)  # a second copy of anything would be on its way by now
        served = [updates_served(server) for server in (one, two)]
    got = [message.visible for message in fake_telegram.messages(CHAT)]
    expected = [reply for _, _, reply in OPENING]
    expected += [plain(content, f"input.{KINDS[n % len(KINDS)]}") for n in range(10)]
    assert len(got) == len(expected) + 1, got
    for text, reply in zip(got, expected, strict=False):
        assert text.startswith(reply), (got, expected)
    assert got[-1].startswith("📊 Kết quả học của bác:")
    assert served[0] >= 7 and served[1] >= 7, served  # each stored half of them
    store = open_store(cluster_store_url)
    try:
        learner = store.get(f"tg:{CHAT}")
        assert learner is not None and learner.turns == len(OPENING) + 10 + 1
        assert store.pending() == 0
    finally:
        store.close()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A cluster of this test's own: it kills a master."""
    with start_cluster(tmp_path / "redis") as started:
        yield started


def test_a_master_fails_under_two_services_and_the_learner_goes_on(
    fake_telegram: FakeTelegram, content: Content, cluster: Cluster, tmp_path: Path
) -> None:
    url = cluster.store_url("hocso-failover")
    env = environment_for(fake_telegram, content.root, url)
    one, two = services(env, tmp_path)
    store = open_store(url)
    assert isinstance(store, RedisStore)
    with one, two:

        async def learner() -> list[int]:
            async with Webhook(one.url) as first, Webhook(two.url) as second:
                lan = TelegramLearner(first, fake_telegram, CHAT)
                lan.hook = Alternating(first, second)
                await open_lesson(lan)

                tag = store.shard_prefix(f"tg:{CHAT}").split("{")[1].rstrip("}")
                master = cluster.master_of(key_slot(tag.encode()))
                wait_until(lambda: cluster.in_sync(master), 10, "the replica to catch up")
                master.kill()

                # The platform sends each update until it is answered 200 (Telegram does so
                # for a day), a second apart here.
                statuses: list[int] = []
                for kind in KINDS[:3]:
                    update = media_update(CHAT, kind)
                    deadline = time.monotonic() + 60
                    while (answer := await lan.post(update, expect=None)).status_code != 200:
                        statuses.append(answer.status_code)
                        assert time.monotonic() < deadline, statuses
                        await asyncio.sleep(0.5)
                    statuses.append(200)
                await lan.replies(3, timeout=30)
                return statuses

        statuses = asyncio.run(learner())
        time.sleep(0.5)
        output = one.output() + two.output()
    store.close()
    assert 503 in statuses and set(statuses) == {200, 503}, statuses  # refused, then taken
    assert statuses[-2:] == [200, 200]  # once the replica took over, at once
    got = [message.visible for message in fake_telegram.messages(CHAT)]
    expected = [reply for _, _, reply in OPENING]
    expected += [plain(content, f"input.{kind}") for kind in KINDS[:3]]
    assert len(got) == len(expected), got
    for text, reply in zip(got, expected, strict=True):
        assert text.startswith(reply), (got, expected)
    assert "the store does not answer" in output and "the store answers again" in output
    assert "Traceback" not in output
