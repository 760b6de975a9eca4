"""One suite for every store: memory, SQLite and Redis must behave the same.

Redis tests run against the server the `redis_url` fixture finds or starts (see
`support.redis_server`), each under a key prefix of its own.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bot
from bot.learner import Earned, HelpRequest, Learner, Position, Result
from bot.stores import DEFAULT_STORE_URL, CertificateRecord, Store, open_store
from bot.stores.memory import MemoryStore
from bot.stores.redis import RedisStore
from bot.stores.sqlite import SQLiteStore
from support.processes import run_at_once
from support.redis_server import answers, find_redis, free_port, start_redis_server

REPO = Path(bot.__file__).resolve().parents[1]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def full_learner(learner_id: str = "tg:12345") -> Learner:
    """A learner with every field set to something other than its default."""
    return Learner(
        id=learner_id,
        created_at="2026-11-23T10:00:00+07:00",
        turns=12,
        volunteer="V123",
        pending="chờ trả lời",
        buttons=[("Tiếp tục ▶", "c:3f9a1c0b2d"), ("Quay lại", "c:back")],
        position=Position(
            lesson="an-toan-otp",
            step="cau-2",
            started_at="2026-11-23T10:05:00+07:00",
            wrong=2,
            history=["chao", "cau-1"],
            first_try={"cau-1": True, "cau-0": False},
        ),
        results={
            "mat-khau": Result(
                status="passed",
                score=0.75,
                completed_at="2026-11-20T09:00:00+07:00",
                attempts=2,
                seconds=540,
            ),
            "lua-dao": Result(
                status="failed", score=0.25, completed_at="2026-11-21T09:00:00+07:00"
            ),
        },
        certificates={
            "ky-nang-so-co-ban": Earned(earned_at="2026-11-22T08:00:00+07:00", code="HS-7K2P-9QXD")
        },
        places={
            "thanh-toan-qr": Position(
                lesson="thanh-toan-qr",
                step="mo-app",
                started_at="2026-11-22T09:00:00+07:00",
                history=["gioi-thieu", "co-app"],
                first_try={"cau-1": True},
            )
        },
        misread=1,
        name="Lan",
        area="an-phu",
        village="thon-1",
        seen_at="2026-11-23T10:06:00+07:00",
        trail={"an-toan-otp": ["chao", "cau-1", "cau-2"]},
        firsts={"an-toan-otp": {"cau-1": True, "cau-0": False}},
        certificate_name="Nguyễn Thị Hường",
        address=("telegram", "12345"),
        remind=False,
        nudges={"an-toan-otp": 1, "next:mat-khau": 1},
        nudge_at=1764030000.0,
        nudged_at="2026-11-24T08:10:00+07:00",
        returns=1,
        unreachable="blocked",
        recent=["Chỉ mình tôi", "dc r"],
        help=HelpRequest(
            code="H-7K2P",
            opened_at="2026-11-24T08:12:00+07:00",
            until="2026-11-25T08:12:00+07:00",
            why="distress",
            lesson="an-toan-otp",
            step="cau-2",
            desk="telegram:-1001234",
            thread=[["2026-11-24T08:12:00+07:00", "", "tôi bị lừa rồi"]],
            answered_at="2026-11-24T08:20:00+07:00",
        ),
        helped={"asked": 2, "answered": 1, "waited": 480},
    )


def bump(learner: Learner | None) -> tuple[Learner, int]:
    """Add one turn (creating the learner `tg:race`); the result is the new count."""
    learner = learner or Learner.new("tg:race")
    learner.turns += 1
    return learner, learner.turns


def bump_slowly(learner: Learner | None) -> tuple[Learner, int]:
    """`bump`, letting other threads run between its read and its write."""
    time.sleep(0)
    return bump(learner)


class Boom(Exception):
    pass


# --- every store -------------------------------------------------------------------------


def test_unknown_learner_is_none(store: Store) -> None:
    assert store.get("tg:nobody") is None
    assert store.find_certificate("HS-NONE") is None
    assert list(store.learner_ids()) == []


def test_full_learner_sets_every_field() -> None:
    """Keeps the round-trip test honest when Learner grows a field."""
    learner, blank = full_learner(), Learner.new("")
    for name in (field.name for field in dataclasses.fields(Learner)):
        assert getattr(learner, name) != getattr(blank, name), f"full_learner() leaves {name}"


def test_save_and_get_round_trip_every_field(store: Store) -> None:
    saved = full_learner()
    store.save(saved)

    got = store.get("tg:12345")
    assert got == saved
    assert got is not saved
    assert got.to_dict() == saved.to_dict()
    assert got.position is not None and got.position.score == 0.5
    assert got.results["mat-khau"] == Result("passed", 0.75, "2026-11-20T09:00:00+07:00", 2, 540)
    assert got.certificates["ky-nang-so-co-ban"].code == "HS-7K2P-9QXD"
    assert got.buttons[0] == ("Tiếp tục ▶", "c:3f9a1c0b2d")

    # Neither the object saved nor the object read is the stored state.
    saved.turns = 99
    got.results.clear()
    assert store.get("tg:12345") == full_learner()


def test_update_passes_stored_learner_and_returns_result(store: Store) -> None:
    seen: list[Learner | None] = []

    def create(learner: Learner | None) -> tuple[Learner, str]:
        seen.append(learner)
        return Learner.new("web:a"), "created"

    assert store.update("web:a", create) == "created"
    assert seen[-1] is None
    assert store.update("web:a", bump) == 1
    assert store.update("web:a", bump) == 2
    assert store.update("web:a", lambda learner: (learner, learner)) == store.get("web:a")
    stored = store.get("web:a")
    assert stored is not None and stored.turns == 2


def test_update_writes_learner_and_certificate_codes_together(store: Store) -> None:
    store.save(full_learner())

    def finish(learner: Learner | None) -> tuple[Learner | None, str]:
        assert learner is not None
        # Editing the learner given, in place, is allowed: it is the change's own copy.
        learner.turns += 1
        learner.position = None
        learner.certificates["an-toan-mang"] = Earned("2026-11-23T11:00:00+07:00", "HS-AAAA")
        return learner, "HS-AAAA"

    assert store.update("tg:12345", finish) == "HS-AAAA"
    stored = store.get("tg:12345")
    assert stored is not None
    assert (stored.turns, stored.position) == (13, None)
    assert set(stored.certificates) == {"ky-nang-so-co-ban", "an-toan-mang"}
    assert store.find_certificate("HS-AAAA") == CertificateRecord(
        code="HS-AAAA",
        learner="tg:12345",
        certificate="an-toan-mang",
        earned_at="2026-11-23T11:00:00+07:00",
    )
    assert store.find_certificate("HS-7K2P-9QXD") is not None


def test_change_that_raises_changes_nothing(store: Store) -> None:
    store.save(full_learner())

    def fail(learner: Learner | None) -> tuple[Learner | None, None]:
        assert learner is not None
        learner.turns = 999
        learner.results.clear()
        learner.certificates = {"moi": Earned("2026-11-23T11:00:00+07:00", "HS-NEW")}
        raise Boom

    with pytest.raises(Boom):
        store.update("tg:12345", fail)

    def fail_fresh(learner: Learner | None) -> tuple[Learner | None, None]:
        assert learner is None
        raise Boom

    with pytest.raises(Boom):
        store.update("tg:other", fail_fresh)

    assert store.get("tg:12345") == full_learner()
    assert store.get("tg:other") is None
    assert store.find_certificate("HS-NEW") is None
    assert store.find_certificate("HS-7K2P-9QXD") is not None
    assert sorted(store.learner_ids()) == ["tg:12345"]
    assert store.update("tg:12345", bump) == 13  # and the store still works


def test_change_returning_none_deletes(store: Store) -> None:
    store.save(full_learner())
    store.save(Learner.new("tg:keep"))

    assert store.update("tg:12345", lambda learner: (None, "gone")) == "gone"
    assert store.get("tg:12345") is None
    assert store.find_certificate("HS-7K2P-9QXD") is None
    assert list(store.learner_ids()) == ["tg:keep"]
    # Deleting nobody is allowed and deletes nothing.
    assert store.update("tg:12345", lambda learner: (None, learner)) is None
    assert list(store.learner_ids()) == ["tg:keep"]


def test_delete_removes_the_learner_and_their_certificate_codes(store: Store) -> None:
    one = full_learner("tg:1")
    two = full_learner("tg:2")
    two.certificates = {"ky-nang-so-co-ban": Earned("2026-11-22T08:00:00+07:00", "HS-TWO")}
    one.certificates["an-toan-mang"] = Earned("2026-11-23T08:00:00+07:00", "HS-ONE-2")
    store.save(one)
    store.save(two)

    assert store.delete("tg:1") is True
    assert store.delete("tg:1") is False
    assert store.get("tg:1") is None
    assert store.find_certificate("HS-7K2P-9QXD") is None
    assert store.find_certificate("HS-ONE-2") is None
    assert store.find_certificate("HS-TWO") == CertificateRecord(
        "HS-TWO", "tg:2", "ky-nang-so-co-ban", "2026-11-22T08:00:00+07:00"
    )
    assert store.get("tg:2") == two


def test_find_certificate_follows_the_learners_certificates(store: Store) -> None:
    store.save(full_learner())
    assert store.find_certificate("HS-7K2P-9QXD") == CertificateRecord(
        code="HS-7K2P-9QXD",
        learner="tg:12345",
        certificate="ky-nang-so-co-ban",
        earned_at="2026-11-22T08:00:00+07:00",
    )
    assert store.find_certificate("hs-7k2p-9qxd") is None  # codes are exact

    def reissue(learner: Learner | None) -> tuple[Learner, None]:
        assert learner is not None
        learner.certificates["ky-nang-so-co-ban"] = Earned("2026-12-01T08:00:00+07:00", "HS-NEW")
        return learner, None

    store.update("tg:12345", reissue)
    assert store.find_certificate("HS-7K2P-9QXD") is None
    found = store.find_certificate("HS-NEW")
    assert found is not None and found.earned_at == "2026-12-01T08:00:00+07:00"

    def redate(learner: Learner | None) -> tuple[Learner, None]:
        assert learner is not None
        learner.certificates["ky-nang-so-co-ban"].earned_at = "2026-12-02T08:00:00+07:00"
        return learner, None

    store.update("tg:12345", redate)
    found = store.find_certificate("HS-NEW")
    assert found is not None and found.earned_at == "2026-12-02T08:00:00+07:00"

    def revoke(learner: Learner | None) -> tuple[Learner, None]:
        assert learner is not None
        learner.certificates.clear()
        return learner, None

    store.update("tg:12345", revoke)
    assert store.find_certificate("HS-NEW") is None


def test_a_code_of_another_learner_is_refused(store: Store) -> None:
    store.save(full_learner("tg:1"))
    thief = Learner.new("tg:2")
    thief.certificates["khac"] = Earned("2026-11-23T08:00:00+07:00", "HS-7K2P-9QXD")

    with pytest.raises(ValueError, match="HS-7K2P-9QXD"):
        store.save(thief)

    assert store.get("tg:2") is None
    found = store.find_certificate("HS-7K2P-9QXD")
    assert found is not None and found.learner == "tg:1"


def test_a_change_returning_another_learner_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="tg:b"):
        store.update("tg:a", lambda _: (Learner.new("tg:b"), None))
    assert store.get("tg:a") is None
    assert store.get("tg:b") is None


def test_learner_ids_lists_each_learner_once(store: Store) -> None:
    if hasattr(store, "page_size"):
        store.page_size = 7  # several pages (SQL LIMIT / SCAN COUNT) for 25 learners
    expected = {f"tg:{n}" for n in range(20)} | {"zalo:ab:cd", "web:x*y", "web:[z]", "tg:", "a"}
    for learner_id in expected:
        store.save(Learner.new(learner_id))

    ids = list(store.learner_ids())
    assert sorted(ids) == sorted(expected)


def test_ping(store: Store) -> None:
    assert store.ping() is True


def test_concurrent_updates_from_threads_are_never_lost(store: Store) -> None:
    threads, rounds = 8, 50
    start = threading.Barrier(threads)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            mine = [store.update("tg:race", bump_slowly) for _ in range(rounds)]
            results.extend(mine)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    stored = store.get("tg:race")
    assert stored is not None and stored.turns == threads * rounds
    # Every update saw the one before it: each count was handed out exactly once.
    assert sorted(results) == list(range(1, threads * rounds + 1))


# --- stores that outlive a process: SQLite and Redis ---------------------------------------


def test_state_survives_a_restart(shared_store_url: str) -> None:
    first = open_store(shared_store_url)
    first.save(full_learner())
    first.save(Learner.new("zalo:9"))
    first.close()

    second = open_store(shared_store_url)
    try:
        assert second.get("tg:12345") == full_learner()
        assert sorted(second.learner_ids()) == ["tg:12345", "zalo:9"]
        found = second.find_certificate("HS-7K2P-9QXD")
        assert found is not None and found.learner == "tg:12345"
        assert second.update("tg:12345", bump) == 13
    finally:
        second.close()


WORKER = """
import json, sys
from bot.learner import Learner
from bot.stores import open_store

def bump(learner):
    learner = learner or Learner.new("tg:race")
    learner.turns += 1
    return learner, learner.turns

store = open_store(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()  # wait for "go", so that both processes run at once
seen = [store.update("tg:race", bump) for _ in range(int(sys.argv[2]))]
store.close()
print(json.dumps(seen), flush=True)
"""


def test_two_processes_lose_no_update(shared_store_url: str) -> None:
    rounds = 200
    store = open_store(shared_store_url)  # creates the SQLite file and schema first
    lines = run_at_once(WORKER, shared_store_url, [[str(rounds)], [str(rounds)]])
    seen = [count for line in lines for count in json.loads(line)]
    stored = store.get("tg:race")
    store.close()
    assert stored is not None and stored.turns == 2 * rounds
    assert sorted(seen) == list(range(1, 2 * rounds + 1))


# --- store URLs ----------------------------------------------------------------------------


REDIS_DEFAULTS = {"port": 6379, "db": 0}  # what redis-py uses when a URL leaves them out

GOOD_URLS: list[tuple[str, type[Store], dict[str, Any]]] = [
    ("memory://", MemoryStore, {}),
    ("MEMORY://", MemoryStore, {}),
    (DEFAULT_STORE_URL, SQLiteStore, {"path": "{cwd}/data/hocso.db"}),
    ("sqlite:///hoc.db", SQLiteStore, {"path": "{cwd}/hoc.db"}),
    ("sqlite:///a/b/hoc so.db", SQLiteStore, {"path": "{cwd}/a/b/hoc so.db"}),
    ("sqlite:///{cwd}/abs/hocso.db", SQLiteStore, {"path": "{cwd}/abs/hocso.db"}),
    ("  sqlite:///hoc.db\n", SQLiteStore, {"path": "{cwd}/hoc.db"}),
    ("redis://localhost:6379/0", RedisStore, {"host": "localhost", "port": 6379, "db": 0}),
    ("redis://localhost", RedisStore, {"host": "localhost", "port": 6379, "db": 0}),
    ("redis://10.0.0.5:6380/3", RedisStore, {"host": "10.0.0.5", "port": 6380, "db": 3}),
    ("redis://cache:7000/2?prefix=thu-nghiem", RedisStore, {"db": 2, "prefix": "thu-nghiem"}),
    (
        "redis://cache/1?socket_timeout=3&prefix=a:b",
        RedisStore,
        {"socket_timeout": 3.0, "prefix": "a:b"},
    ),
    ("redis://u:pw@cache/0", RedisStore, {"username": "u", "password": "pw", "prefix": "hocso"}),
    ("rediss://cache:6380/0", RedisStore, {"host": "cache", "port": 6380}),
]


@pytest.mark.parametrize(("url", "kind", "expected"), GOOD_URLS)
def test_open_store_reads_url(
    url: str,
    kind: type[Store],
    expected: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store(url.replace("{cwd}", str(tmp_path)))
    try:
        assert type(store) is kind
        for name, value in expected.items():
            if isinstance(store, SQLiteStore):
                assert store.path == Path(value.replace("{cwd}", str(tmp_path)))
                assert store.path.exists()  # created, with its folder
            elif isinstance(store, RedisStore):
                if name == "prefix":
                    assert store.prefix == value
                else:
                    options = {**REDIS_DEFAULTS, **store.client.connection_pool.connection_kwargs}
                    assert options[name] == value
        if isinstance(store, RedisStore):
            assert store.prefix == expected.get("prefix", "hocso")
    finally:
        store.close()


BAD_URLS = [
    "",
    "hocso.db",
    "data/hocso.db",
    "memory:",
    "memory://x",
    "postgres://db/hocso",
    "http://example.com/hocso.db",
    "sqlite:/hocso.db",
    "sqlite://hocso.db",
    "sqlite://host/hocso.db",
    "sqlite:///",
    "sqlite:////",
    "sqlite:///data/",
    "sqlite:///:memory:",
    "sqlite:///hocso.db?mode=ro",
    "redis://",
    "redis:///0",
    "redis://cache:port/0",
    "redis://cache:6379/zero",
    "redis://cache:6379/0/1",
    "redis://cache:6379/0?prefix=",
    "redis://cache:6379/0?prefix=a*b",
    "redis://cache:6379/0?prefix=a b",
    "redis://cache:6379/0?prefix=a&prefix=b",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_open_store_refuses_bad_url_in_plain_words(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as refused:
        open_store(url)
    message = str(refused.value)
    for form in ("sqlite:///", "redis://host:port/db", "memory://"):
        assert form in message
    assert list(tmp_path.iterdir()) == []  # nothing created


@pytest.mark.parametrize(
    "url",
    ["redis://:s3cret@cache:6379/x", "redis://me:s3cret@cache/0?prefix=*", "x://a?password=s3cret"],
)
def test_bad_url_message_hides_the_password(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        open_store(url)
    assert "s3cret" not in str(refused.value)
    assert "***" in str(refused.value)


# --- the test setup's own Redis ------------------------------------------------------------

needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="no redis-server program on PATH"
)


@needs_redis_server
def test_throwaway_redis_server_starts_answers_and_stops(tmp_path: Path) -> None:
    server = start_redis_server(tmp_path)
    try:
        assert answers(server.url)
        store = open_store(server.url + "?prefix=throwaway")
        store.save(full_learner())
        assert store.get("tg:12345") == full_learner()
        assert list(store.learner_ids()) == ["tg:12345"]
        store.close()
    finally:
        server.stop()
    assert server.process.returncode is not None
    assert not answers(server.url)


@needs_redis_server
def test_unanswering_redis_url_falls_back_to_a_throwaway_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("REDIS_URL", dead)
    with pytest.warns(UserWarning, match="does not answer"):
        url, server = find_redis(tmp_path)
    try:
        assert server is not None
        assert url == server.url != dead
        assert answers(url)
    finally:
        if server is not None:
            server.stop()


def test_a_long_learner_is_kept_deflated_and_read_back_either_way() -> None:
    from bot.stores._document import PACK_OVER, PACKED, decode, encode

    short, long = Learner.new("tg:1"), full_learner()
    long.trail = {f"bai-{n}": [f"buoc-{k}" for k in range(12)] for n in range(5)}
    assert not encode(short).startswith(PACKED) and len(encode(short)) <= PACK_OVER
    packed = encode(long)
    plain = json.dumps(long.to_dict(), ensure_ascii=False, separators=(",", ":"))
    assert packed.startswith(PACKED) and len(packed) < len(plain) * 0.6
    assert decode(packed) == long == decode(plain)  # what was kept before packing still reads
