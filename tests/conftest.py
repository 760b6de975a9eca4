"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from support.fake_telegram import FakeTelegram
from support.redis_cluster import Cluster, start_cluster
from support.redis_server import (
    RedisServerMissingError,
    delete_prefix,
    find_redis,
    store_url_with_prefix,
)
from support.store_urls import STORES, store_url_for

# The property-based tests (tests/test_fuzz_*.py). CI: the same examples on every run (drawn
# from each test's own seed), so that a run is repeatable and its time known; elsewhere new
# ones each run (HYPOTHESIS_PROFILE=dev), or many more for a long hunt (=fuzz). Tests whose
# examples cost more take a share of max_examples (`support.fuzz.examples`). No deadline:
# they assert on work, not time, on machines shared with other work.
settings.register_profile(
    "ci", max_examples=100, derandomize=True, database=None, deadline=None, print_blob=True
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("fuzz", max_examples=3000, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis for this test session; see `support.redis_server.find_redis` for the choice."""
    try:
        url, server = find_redis(tmp_path_factory.mktemp("redis"))
    except RedisServerMissingError as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:
        pytest.fail(missing, pytrace=False)
    try:
        yield url
    finally:
        if server is not None:
            server.stop()


@pytest.fixture
def redis_store_url(redis_url: str) -> Iterator[str]:
    """A store URL with a key prefix of this test's own; its keys are deleted afterwards."""
    url = store_url_with_prefix(redis_url, f"hocso-test-{uuid.uuid4().hex[:12]}")
    try:
        yield url
    finally:
        delete_prefix(url)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A Redis Cluster for this test session: three masters and their replicas on free ports
    (`support.redis_cluster`), stopped at the end. Tests that stop a node start their own."""
    try:
        cluster = start_cluster(tmp_path_factory.mktemp("redis-cluster"))
    except RedisServerMissingError as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:
        pytest.fail(missing, pytrace=False)
    with cluster:
        yield cluster


@pytest.fixture
def cluster_store_url(redis_cluster: Cluster) -> Iterator[str]:
    """A `redis+cluster://` store URL with a key prefix of this test's own; its keys are
    deleted afterwards."""
    url = redis_cluster.store_url(f"hocso-test-{uuid.uuid4().hex[:12]}")
    try:
        yield url
    finally:
        delete_prefix(url)


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url_for(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "redis"])
def shared_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store that outlives its process: SQLite and Redis."""
    return store_url_for(request.param, request, tmp_path)


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A stand-in Telegram Bot API on 127.0.0.1; point `make_bot` at its `api_url`."""
    with FakeTelegram() as server:
        yield server
