"""What the three stores share about events, the outbox and token buckets, so that they
number, encode and validate deliveries and count tokens the same way.

A queue's priority is the LOWEST priority among the deliveries it holds (0 as soon as it
holds one interactive reply), not just its head's: a reply queued behind a bulk message
then lifts that whole chat's queue (which must be sent in order anyway) ahead of the bulk
backlog, instead of waiting behind every other bulk queue. When the last interactive reply
leaves, the queue drops back to 1.

Every store keeps, per queue, one number `ready_at`: when the queue may next be claimed.
It is the queue's due time, or, while the queue is leased, the lease's end; so a queue is
claimable exactly when `ready_at <= now`. Only `claim`, `done` and `retry` set it; `handle`
sets it (to `now`) only for a queue that held nothing, so a leased queue stays leased.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.stores.base import Delivery, Failure

PRIORITIES = (0, 1)
"""0: an interactive reply; 1: a bulk message."""

FAILURES_KEPT = 10_000
"""How many failures a store keeps for reports; beyond that the oldest are dropped."""


def number(event_id: str, deliveries: Iterable[Delivery]) -> list[Delivery]:
    """The deliveries of one event as queued: each with its id `{event_id}/{n}` and `then`,
    how many of them follow it in its queue. Raises ValueError for a priority other than 0
    or 1 (before the store changes anything)."""
    given = list(deliveries)
    left = {queue: len(group) for queue, group in by_queue(given).items()}
    queued: list[Delivery] = []
    for n, delivery in enumerate(given):
        if delivery.priority not in PRIORITIES:
            raise ValueError(
                f"delivery {n} of event {event_id!r} has priority {delivery.priority!r}; "
                f"a priority is 0 (interactive) or 1 (bulk)"
            )
        left[delivery.queue] -= 1
        queued.append(replace(delivery, id=f"{event_id}/{n}", then=left[delivery.queue]))
    return queued


def leasing(queued: list[Delivery], leased: Iterable[str]) -> list[Delivery]:
    """`queued` with the first delivery of each queue in `leased` marked `leased`."""
    left = set(leased)
    marked: list[Delivery] = []
    for delivery in queued:
        if delivery.queue in left:
            left.discard(delivery.queue)
            delivery = replace(delivery, leased=True)
        marked.append(delivery)
    return marked


def by_queue(deliveries: Iterable[Delivery]) -> dict[str, list[Delivery]]:
    """The deliveries grouped by queue, each group in the order given."""
    groups: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        groups.setdefault(delivery.queue, []).append(delivery)
    return groups


def encode_delivery(delivery: Delivery) -> str:
    """The JSON text stored for a delivery (`Delivery.to_dict`, whose last key is
    `attempts`: the Redis retry script relies on that)."""
    return json.dumps(delivery.to_dict(), ensure_ascii=False, separators=(",", ":"))


def decode_delivery(text: str) -> Delivery:
    return Delivery.from_dict(json.loads(text))


def encode_failure(failure: Failure) -> str:
    return json.dumps(
        {"delivery": failure.delivery.to_dict(), "reason": failure.reason, "at": failure.at},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def failure_prefix(channel: str, chat: str) -> str:
    """How the text of every failure of one chat begins (`encode_failure`, `Delivery.to_dict`
    putting `channel` and `chat` first): how the Redis store finds a chat's failures."""
    head = json.dumps({"channel": channel, "chat": chat}, ensure_ascii=False, separators=(",", ":"))
    return '{"delivery":' + head[:-1] + ","


def chats(deliveries: Iterable[Delivery]) -> list[tuple[str, str]]:
    """The (channel, chat) of each chat the deliveries go to, once each."""
    return list(dict.fromkeys((delivery.channel, delivery.chat) for delivery in deliveries))


def decode_failure(text: str) -> Failure:
    data = json.loads(text)
    return Failure(Delivery.from_dict(data["delivery"]), data["reason"], float(data["at"]))


@dataclass(frozen=True)
class Bucket:
    """A token bucket's state: `tokens` left as of time `at`."""

    tokens: float
    at: float

    def full_at(self, rate: float, burst: float) -> float:
        """When the bucket will be full again (a missing bucket counts as full)."""
        return self.at + max(0.0, burst - self.tokens) / rate


def check_bucket(rate: float, burst: float, count: int = 1, ahead: float = 0.0) -> None:
    if not count >= 1:
        raise ValueError(f"take at least one token, not {count!r}")
    if not ahead >= 0:
        raise ValueError(f"tokens may be taken ahead for 0 seconds or more, not {ahead!r}")
    if not rate > 0:
        raise ValueError(f"a token bucket's rate must be more than 0 per second, not {rate!r}")
    if not burst >= 1:
        raise ValueError(f"a token bucket's burst must be at least 1, not {burst!r}")


def take_token(
    bucket: Bucket | None,
    rate: float,
    burst: float,
    now: float,
    count: int = 1,
    ahead: float = 0.0,
) -> tuple[Bucket, float]:
    """Try to take `count` tokens: the bucket afterwards and the seconds until the last of
    them is there (0.0 when all are there now). They are taken when that wait is at most
    `ahead` seconds, the bucket going into debt for tokens not there yet (a reservation:
    whoever takes next waits behind them), else nothing is taken. With `count` 1 and `ahead`
    0, as a plain token bucket: 0.0 when taken, else the wait and nothing taken.

    The k-th token (from 0) is there `max(0, wait - (count - 1 - k) / rate)` seconds from
    now. A missing bucket is full. (The Redis store runs the same arithmetic in Lua.)"""
    if bucket is None:
        bucket = Bucket(burst, now)
    tokens, at = bucket.tokens, bucket.at
    if now > at:  # a clock that went back (another worker's) refills nothing
        tokens, at = tokens + (now - at) * rate, now
    tokens = min(burst, tokens)
    wait = max(0.0, (count - tokens) / rate)
    if wait <= ahead:
        return Bucket(tokens - count, at), wait
    return Bucket(tokens, at), wait
