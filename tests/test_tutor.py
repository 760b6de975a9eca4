"""The engine on each real store: whole lessons, restarts, two processes, privacy at rest."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
import redis

from bot.content import Content, load_content
from bot.engine import Engine
from bot.inbound import Inbound
from bot.outbound import Outbound
from bot.stores import open_store
from bot.tutor import Tutor
from support.chat import NOW, fixture_content
from support.dump import inflated

LESSON = ["tiếp", "samsung", "xong", "chi minh toi", "156"]


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


def say(tutor: Tutor, learner: str, text: str) -> list[Outbound]:
    return tutor.handle(Inbound(learner, text=text))


def test_a_whole_lesson_on_each_store(store_url: str, content: Content) -> None:
    store = open_store(store_url)
    tutor = Tutor(Engine(content, clock=lambda: NOW), store)
    tutor.handle(Inbound("tg:1", start="mau"))
    for text in LESSON:
        replies = say(tutor, "tg:1", text)
    assert any("Chúc mừng" in reply.text for reply in replies)
    learner = store.get("tg:1")
    assert learner is not None and learner.results["mau"].status == "passed"
    code = learner.certificates["chi-mau"].code
    record = store.find_certificate(code)
    assert record is not None and record.learner == "tg:1" and record.certificate == "chi-mau"
    say(tutor, "tg:1", "xóa dữ liệu")
    say(tutor, "tg:1", "có, xóa hết")
    assert store.get("tg:1") is None and store.find_certificate(code) is None
    store.close()


def test_a_learner_survives_a_restart(shared_store_url: str, content: Content) -> None:
    first = open_store(shared_store_url)
    tutor = Tutor(Engine(content), first)
    tutor.handle(Inbound("tg:2", start="mau"))
    say(tutor, "tg:2", "tiếp")
    first.close()
    second = open_store(shared_store_url)
    replies = Tutor(Engine(content), second).handle(Inbound("tg:2", text="2"))
    assert "Trên iPhone" in replies[0].text
    learner = second.get("tg:2")
    assert learner is not None and learner.position is not None
    assert learner.position.step == "iphone" and learner.turns == 3
    second.close()


def _chat_many(url: str, content_root: str, turns: int) -> None:
    tutor = Tutor(Engine(load_content(Path(content_root))), open_store(url))
    for _ in range(turns):
        tutor.handle(Inbound("tg:shared", text="lặp lại"))


def test_two_processes_on_one_learner_lose_no_turn(shared_store_url: str, content: Content) -> None:
    tutor = Tutor(Engine(content), open_store(shared_store_url))
    tutor.handle(Inbound("tg:shared", start="mau"))
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_chat_many, args=(shared_store_url, str(content.root), 60))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    learner = tutor.store.get("tg:shared")
    assert learner is not None and learner.turns == 1 + 120
    assert learner.position is not None and learner.position.step == "chao"


SECRETS = ["482913", "079123456789", "4111 1111 1111 1111"]


def test_secrets_never_reach_the_store(
    shared_store_url: str, content: Content, tmp_path: Path
) -> None:
    store = open_store(shared_store_url)
    tutor = Tutor(Engine(content), store)
    tutor.handle(Inbound("tg:3", start="mau"))
    for secret in SECRETS:
        replies = say(tutor, "tg:3", f"ma cua toi {secret}")
        assert replies[0].text.startswith("⚠️")
    store.close()
    if shared_store_url.startswith("sqlite"):
        path = Path(shared_store_url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    else:
        client = redis.Redis.from_url(shared_store_url.split("?")[0])
        prefix = shared_store_url.split("prefix=")[1]
        data = b"".join(client.dump(key) or b"" for key in client.scan_iter(f"{prefix}:*"))
        data += b"".join(client.get(key) or b"" for key in client.scan_iter(f"{prefix}:learner:*"))
    data = inflated(data)  # a learner kept deflated, as it would read
    assert b"tg:3" in data and b'"turns"' in data
    for secret in SECRETS:
        assert secret.replace(" ", "").encode() not in data.replace(b" ", b"")
