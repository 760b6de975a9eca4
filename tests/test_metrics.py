"""`GET /metrics` (`webhook.metrics`) and `HOCSO_DOCS`, through `hocso serve` as a child
process: with two workers the counts of both add up in every scrape, whichever worker answers
it; the token is checked; with no token the route is a 404; the API pages can be turned off.

Real processes, a real Redis or SQLite store, the stand-in Telegram Bot API, real HTTP (a new
connection for each request, so the kernel spreads them over the workers).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from bot.stores import open_store
from support.chat import fixture_content
from support.fake_telegram import FakeTelegram, blocked, flood, slow
from support.redis_server import start_redis_server
from support.service import (
    SECRET,
    SECRET_HEADER,
    ServeProcess,
    environment_for,
    start_update,
)
from support.waiting import wait_until
from webhook.settings import Settings

TOKEN = "metrics-token_0123456789abcdef"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when it is not there (a counter never counted)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(url: str, token: str = TOKEN) -> Samples:
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def post_start(url: str, chat: int) -> None:
    """A learner's /start, as Telegram posts it, on a connection of its own."""
    response = httpx.post(
        f"{url}/webhook/telegram", json=start_update(chat), headers={SECRET_HEADER: SECRET}
    )
    assert response.status_code == 200, response.text


def turns_by_worker(folder: Path, scratch: Path) -> dict[str, float]:
    """hocso_turns_total of each worker, read from its own counter file."""
    found: dict[str, float] = {}
    for path in sorted(folder.glob("counter_*.db")):
        alone = scratch / path.stem
        alone.mkdir(parents=True)
        shutil.copy(path, alone / path.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        found[path.stem.removeprefix("counter_")] = sum(
            sample.value
            for family in registry.collect()
            for sample in family.samples
            if sample.name == "hocso_turns_total"
        )
    return found


STALE = """
from prometheus_client import Counter
Counter("hocso_turns", "an earlier run's", ["channel"]).labels("telegram").inc(1000)
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return fixture_content(tmp_path).root


@pytest.fixture
def two_workers(
    tmp_path: Path, content: Path, redis_store_url: str, fake_telegram: FakeTelegram
) -> Iterator[tuple[ServeProcess, Path]]:
    """`hocso serve --workers 2` on Redis with metrics on, counting in a folder that held an
    earlier run's counts (1000 turns) when it started."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    stale = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", STALE], env=stale, check=True, timeout=30)
    assert turns_by_worker(folder, tmp_path / "before") != {}
    env = environment_for(
        fake_telegram,
        content,
        redis_store_url,
        HOCSO_METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    )
    with ServeProcess(env, tmp_path / "serve.log", "--workers", "2") as server:
        yield server, folder


# Who asks, and what they get: (Authorization header, status).
TOKEN_CASES = [
    (None, 401),
    ("", 401),
    (f"Basic {TOKEN}", 401),
    ("Bearer", 401),
    ("Bearer wrong-token", 403),
    (f"Bearer {TOKEN}x", 403),
    (f"Bearer {TOKEN[:-1]}", 403),
    (f"Bearer {TOKEN}", 200),
    (f"bearer {TOKEN}", 200),
]


def test_two_workers_count_together_and_the_token_is_checked(
    two_workers: tuple[ServeProcess, Path],
    fake_telegram: FakeTelegram,
    redis_store_url: str,
    tmp_path: Path,
) -> None:
    server, folder = two_workers
    assert turns_by_worker(folder, tmp_path / "at-start") == {}  # the earlier run's: gone
    learners = 24
    fake_telegram.script("sendMessage", flood(1), chat=1001)  # 429: waits a second, then sent
    fake_telegram.script("sendMessage", blocked(), chat=1002)  # 403: given up on
    last = 1000 + learners
    fake_telegram.script("sendMessage", slow(3.0), chat=last)  # still waiting when scraped
    for chat in range(1001, last + 1):
        post_start(server.url, chat)

    # While the last learner's (slow) reply is in flight: it is the oldest waiting.
    time.sleep(0.5)
    waiting = scrape(server.url)
    assert value(waiting, "hocso_store_up") == 1
    assert value(waiting, "hocso_outbox_pending") >= 1
    assert 0.4 <= value(waiting, "hocso_outbox_oldest_seconds") < 30

    store = open_store(redis_store_url)
    try:
        wait_until(lambda: store.pending() == 0, 20, "every reply sent or given up on")
    finally:
        store.close()
    sent = [call for call in fake_telegram.calls("sendMessage") if call.status == 200]
    assert {call.chat for call in sent} >= {str(chat) for chat in range(1003, last + 1)}

    # Whichever worker answers (a new connection each time), the same sums.
    scrapes = [scrape(server.url) for _ in range(8)]
    for samples in scrapes:
        assert value(samples, "hocso_turns_total", channel="telegram") == learners
        assert value(samples, "hocso_turn_seconds_count", channel="telegram") == learners
        assert 0 < value(samples, "hocso_turn_seconds_sum", channel="telegram") < learners * 5
        deliveries = {
            outcome: value(samples, "hocso_deliveries_total", channel="telegram", outcome=outcome)
            for outcome in ("sent", "retried", "failed")
        }
        assert deliveries == {"sent": len(sent), "retried": 1, "failed": 1}
        assert value(samples, "hocso_rate_limited_total", channel="telegram") == 1
        assert value(samples, "hocso_store_errors_total", where="webhook") == 0
        assert value(samples, "hocso_store_up") == 1
        assert value(samples, "hocso_outbox_pending") == 0
        assert value(samples, "hocso_outbox_oldest_seconds") == 0

    # Both workers took turns: each one's own file holds a share of the sum.
    by_worker = turns_by_worker(folder, tmp_path / "by-worker")
    assert sum(by_worker.values()) == learners
    assert len([turns for turns in by_worker.values() if turns > 0]) == 2, by_worker

    for header, status in TOKEN_CASES:
        headers = {} if header is None else {"Authorization": header}
        response = httpx.get(f"{server.url}/metrics", headers=headers)
        assert response.status_code == status, (header, response.text)
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
        if status != 200:
            assert "hocso_" not in response.text
    output = server.output()
    assert TOKEN not in output
    assert "metrics scrape with a wrong token" in output


# (environment, {path: status}): metrics and the API pages, on and off. One service each.
ROUTE_CASES = [
    pytest.param(
        {"HOCSO_METRICS_TOKEN": TOKEN},
        {"/docs": 200, "/redoc": 200, "/openapi.json": 200, "/metrics": 200},
        id="docs-on-by-default",
    ),
    pytest.param(
        {"HOCSO_DOCS": "0", "HOCSO_METRICS_TOKEN": TOKEN},
        {"/docs": 404, "/redoc": 404, "/openapi.json": 404, "/healthz": 200, "/metrics": 200},
        id="docs-off",
    ),
    pytest.param({"HOCSO_DOCS": "off"}, {"/metrics": 404, "/docs": 404}, id="metrics-off"),
]


@pytest.mark.parametrize(("settings", "statuses"), ROUTE_CASES)
def test_routes_on_and_off(
    tmp_path: Path,
    content: Path,
    fake_telegram: FakeTelegram,
    settings: dict[str, str],
    statuses: dict[str, int],
) -> None:
    env = environment_for(fake_telegram, content, f"sqlite:///{tmp_path / 'h.db'}", **settings)
    with ServeProcess(env, tmp_path / "serve.log") as server:
        for path, status in statuses.items():
            headers = {"Authorization": f"Bearer {TOKEN}"}
            response = httpx.get(f"{server.url}{path}", headers=headers)
            assert response.status_code == status, (path, response.text)
            if path == "/openapi.json" and status == 200:
                assert "/metrics" in response.json()["paths"]
            if path == "/metrics" and status == 404:
                assert "HOCSO_METRICS_TOKEN" in response.json()["error"]


def test_one_worker_counts_in_its_own_memory(
    tmp_path: Path, content: Path, fake_telegram: FakeTelegram
) -> None:
    """Without --workers, no folder: the process's own counts (a stray
    PROMETHEUS_MULTIPROC_DIR in the environment is not used)."""
    stray = tmp_path / "stray"
    env = environment_for(
        fake_telegram,
        content,
        f"sqlite:///{tmp_path / 'h.db'}",
        HOCSO_METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(stray),
    )
    with ServeProcess(env, tmp_path / "serve.log") as server:
        for chat in (5, 6, 7):
            post_start(server.url, chat)
        wait_until(lambda: len(fake_telegram.calls("sendMessage")) >= 3, 10, "the replies")
        samples = scrape(server.url)
    assert value(samples, "hocso_turns_total", channel="telegram") == 3
    assert value(samples, "hocso_store_up") == 1
    assert not stray.exists()


FLAG_CASES = [
    ({}, True),
    ({"HOCSO_DOCS": ""}, True),
    ({"HOCSO_DOCS": "1"}, True),
    ({"HOCSO_DOCS": "on"}, True),
    ({"HOCSO_DOCS": " Yes "}, True),
    ({"HOCSO_DOCS": "0"}, False),
    ({"HOCSO_DOCS": "off"}, False),
    ({"HOCSO_DOCS": "FALSE"}, False),
    ({"HOCSO_DOCS": "no"}, False),
]


@pytest.mark.parametrize(("environ", "docs"), FLAG_CASES)
def test_hocso_docs_reads_on_and_off(environ: dict[str, str], docs: bool) -> None:
    assert Settings.from_env(environ).docs is docs


def test_a_hocso_docs_that_is_neither_is_a_plain_error() -> None:
    with pytest.raises(ValueError, match=r"^HOCSO_DOCS must be 1 or 0 \(on or off\), not 'maybe'$"):
        Settings.from_env({"HOCSO_DOCS": "maybe"})


def test_a_store_that_is_down_is_counted_and_shown(
    tmp_path: Path, content: Path, fake_telegram: FakeTelegram
) -> None:
    """Redis stopped under a running service: the update gets 503 and is counted as a store
    error, and scrapes say the store is down, without outbox figures."""
    folder = tmp_path / "redis"
    folder.mkdir()
    redis = start_redis_server(folder)
    try:
        env = environment_for(fake_telegram, content, redis.url, HOCSO_METRICS_TOKEN=TOKEN)
        with ServeProcess(env, tmp_path / "serve.log") as server:
            post_start(server.url, 41)
            assert value(scrape(server.url), "hocso_store_up") == 1
            redis.stop()
            response = httpx.post(
                f"{server.url}/webhook/telegram",
                json=start_update(42),
                headers={SECRET_HEADER: SECRET},
            )
            assert response.status_code == 503, response.text
            samples = scrape(server.url)
    finally:
        redis.stop()
    assert value(samples, "hocso_store_errors_total", where="webhook") >= 1
    assert value(samples, "hocso_store_up") == 0
    assert not any(name.startswith("hocso_outbox_") for name, _ in samples)
    assert value(samples, "hocso_turns_total", channel="telegram") == 1
