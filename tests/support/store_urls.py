"""Which stores a test runs on: its `store_url` fixture's parameters, and the URL of each
(`store_url_for`, which asks for the fixture that makes the Redis ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

STORES = ["memory", "sqlite", "redis"]
"""The stores most tests run on."""

CONTRACT_STORES = [*STORES, "redis-cluster"]
"""The stores the store's own tests run on (tests/test_stores.py, test_outbox.py,
test_records.py: every Redis script on Redis Cluster too)."""


def store_url_for(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a store of `kind` (one of CONTRACT_STORES) for this test."""
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        # An absolute path (four slashes) in a folder that does not exist yet.
        return f"sqlite:///{tmp_path / 'not-yet' / 'hocso.db'}"
    fixture = "cluster_store_url" if kind == "redis-cluster" else "redis_store_url"
    url: str = request.getfixturevalue(fixture)
    return url
