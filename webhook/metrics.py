"""Prometheus metrics at `GET /metrics`, on when `HOCSO_METRICS_TOKEN` is set.

A scrape must send `Authorization: Bearer <HOCSO_METRICS_TOKEN>` (missing: 401, wrong: 403;
with no token set the route answers 404, as a channel that is off does) and reads, in
Prometheus' text format:

```text
hocso_turns_total{channel="telegram"} 42.0
hocso_turn_seconds_bucket{channel="telegram",le="0.05"} 40.0
hocso_deliveries_total{channel="telegram",outcome="sent"} 41.0
hocso_rate_limited_total{channel="telegram"} 1.0
hocso_store_errors_total{where="webhook"} 2.0
hocso_store_up 1.0
hocso_outbox_pending 3.0
hocso_outbox_oldest_seconds 1.25
```

Counters and the histogram are counted where things happen (`take`, the courier, the store's
failures), a few microseconds each; with metrics off they are methods that do nothing. The
`hocso_store_up` and `hocso_outbox_*` gauges are read from the store when scraped, in a
worker thread: the store is shared, so any worker answers for all.

With `--workers N` the supervisor gives the workers a folder of their own
(`PROMETHEUS_MULTIPROC_DIR`, emptied when the service starts): each worker writes its counts to
files there, and a scrape, whichever worker answers it, adds up every worker's, those of
workers that died since included (prometheus_client's multiprocess mode). prometheus_client is
imported only when metrics are on.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.routing import Route

from bot.stores.base import Store

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import CollectorRegistry

log = logging.getLogger("hocso.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds: a turn takes a few milliseconds; the store's timeout (1 s) is the slow end."""
OUTCOMES = ("sent", "retried", "failed")
"""A delivery attempt's outcome: sent; to be tried again; given up on for good."""


class Metrics:
    """Metrics off: every method does nothing. `PrometheusMetrics` counts."""

    def turn(self, channel: str, seconds: float) -> None:
        """A learner's event applied (not a duplicate), in `seconds` from its request."""

    def delivery(self, channel: str, outcome: str) -> None:
        """One attempt to send a queued message: `outcome` one of OUTCOMES."""

    def rate_limited(self, channel: str) -> None:
        """The platform answered a send with 429 (or its own too-many-requests error)."""

    def store_error(self, where: str) -> None:
        """A store call failed: `where` is "webhook", "delivery", ... (the logger's name)."""


class PrometheusMetrics(Metrics):
    """The counters, in `registry` (one of its own: several apps may share a process)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self._turns = Counter(
            "hocso_turns",
            "Learners' events applied (duplicates left out), by channel",
            ["channel"],
            registry=self.registry,
        )
        self._turn_seconds = Histogram(
            "hocso_turn_seconds",
            "Seconds from a webhook request's start to its event applied and its replies queued",
            ["channel"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self._deliveries = Counter(
            "hocso_deliveries",
            "Attempts to send a queued message, by channel and outcome (sent, retried, failed)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._rate_limited = Counter(
            "hocso_rate_limited",
            "Sends the platform refused for too many requests (HTTP 429 or its own code)",
            ["channel"],
            registry=self.registry,
        )
        self._store_errors = Counter(
            "hocso_store_errors",
            "Store calls that failed, by where (webhook, delivery)",
            ["where"],
            registry=self.registry,
        )

    def turn(self, channel: str, seconds: float) -> None:
        self._turns.labels(channel).inc()
        self._turn_seconds.labels(channel).observe(seconds)

    def delivery(self, channel: str, outcome: str) -> None:
        self._deliveries.labels(channel, outcome).inc()

    def rate_limited(self, channel: str) -> None:
        self._rate_limited.labels(channel).inc()

    def store_error(self, where: str) -> None:
        self._store_errors.labels(where).inc()


def create(token: str | None) -> Metrics:
    """Counting metrics when a token turns them on, else ones that do nothing."""
    return PrometheusMetrics() if token else Metrics()


class StoreGauges:
    """The gauges read from the store at each scrape (a prometheus_client collector).
    `down()`: why the store is known to be down (no call is made then), or None."""

    def __init__(
        self,
        store: Store,
        down: Callable[[], str | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.down = down
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        readings: tuple[int, float | None] | None = None
        if self.down() is None:
            try:
                if self.store.ping():
                    readings = self.store.pending(), self.store.oldest_pending()
            except Exception as error:  # the store failed between calls: it is down
                log.warning("metrics: the store did not answer: %s", type(error).__name__)
        yield GaugeMetricFamily(
            "hocso_store_up", "1 when the store answers, else 0", value=float(readings is not None)
        )
        if readings is None:
            return  # no outbox figures rather than made-up ones
        pending, oldest = readings
        yield GaugeMetricFamily(
            "hocso_outbox_pending", "Messages queued and not sent yet, all chats", value=pending
        )
        age = 0.0 if oldest is None else max(0.0, self.clock() - oldest)
        yield GaugeMetricFamily(
            "hocso_outbox_oldest_seconds",
            "Seconds the reply that has waited longest has been queued (0: nothing waits)",
            value=age,
        )


def scrape_registry(metrics: Metrics, gauges: StoreGauges) -> CollectorRegistry:
    """What a scrape reads: every worker's counts (multiprocess mode, when the supervisor set
    PROMETHEUS_MULTIPROC_DIR) or this process's, and the store's gauges."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        assert isinstance(metrics, PrometheusMetrics)
        registry = metrics.registry
    registry.register(gauges)
    return registry


def metrics_route(metrics: Metrics, token: str | None, gauges: StoreGauges) -> Route:
    """`GET /metrics`: 404 without a token set; 401 without `Authorization: Bearer …`, 403
    with another token; else the metrics in Prometheus' text format."""
    if token is None:

        def off(request: Request) -> Response:
            return JSONResponse(
                {"ok": False, "error": "metrics are off: set HOCSO_METRICS_TOKEN"}, status_code=404
            )

        return Route("/metrics", off, methods=["GET"], name="metrics")

    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    registry = scrape_registry(metrics, gauges)
    expected = token.encode()

    # A plain def: Starlette runs it in a worker thread, so the store's gauges hold up nothing.
    def scrape(request: Request) -> Response:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            log.warning("metrics scrape without a token", extra={"status": 401})
            return JSONResponse(
                {"ok": False, "error": "missing Authorization: Bearer <HOCSO_METRICS_TOKEN>"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="hocso metrics"'},
            )
        if not hmac.compare_digest(given.strip().encode(), expected):
            log.warning("metrics scrape with a wrong token", extra={"status": 403})
            return JSONResponse({"ok": False, "error": "wrong metrics token"}, status_code=403)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", scrape, methods=["GET"], name="metrics")


METRICS_OPENAPI: dict[str, Any] = {
    "get": {
        "summary": "Prometheus metrics",
        "description": "On when HOCSO_METRICS_TOKEN is set; send it as a bearer token.",
        "responses": {
            "200": {"description": "the metrics, in Prometheus' text format"},
            "401": {"description": "no Authorization: Bearer header"},
            "403": {"description": "a wrong token"},
            "404": {"description": "metrics are off (no HOCSO_METRICS_TOKEN)"},
        },
    }
}
