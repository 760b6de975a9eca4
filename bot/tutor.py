"""The tutor: the engine applied to a store, one inbound event at a time.

tutor = Tutor(Engine(content), open_store("sqlite:///data/hocso.db"))
replies = tutor.handle(Inbound(learner="cli:an", text="dc r"))          # the CLI
receipt = tutor.receive("tg:881", Inbound("tg:5", text="dc r"), "telegram", "5", now)
queued = tutor.apply("nudge:tg:5:an-toan-otp:1", "tg:5", change, now)  # not a learner's turn

Every event a learner sends records where pushes reach them (`Learner.address`), clears a
block recorded before (they wrote again), and counts the return a reminder brought.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import Engine
from bot.inbound import Inbound
from bot.learner import Learner
from bot.outbound import Outbound, to_body
from bot.stores.base import Change, Delivery, Store


@dataclass(frozen=True)
class Receipt:
    """What receiving one platform event did: the deliveries queued (empty for a duplicate)
    and, for logs, where the learner is now."""

    duplicate: bool
    deliveries: tuple[Delivery, ...] = ()
    step: str | None = None


class Tutor:
    """Loads the learner, lets the engine change them, stores the result: one atomic step."""

    def __init__(self, engine: Engine, store: Store) -> None:
        self.engine = engine
        self.store = store

    def handle(self, inbound: Inbound) -> list[Outbound]:
        """Apply a message and return the replies (the CLI: nothing is queued)."""
        return self.store.update(
            inbound.learner, lambda learner: self.engine.handle(learner, inbound)
        )

    def receive(
        self, event_id: str, inbound: Inbound, channel: str, chat: str, now: float
    ) -> Receipt:
        """Apply a platform event at most once and queue its replies for delivery to `chat`,
        in the same atomic step; a redelivered event changes nothing."""
        where: list[str | None] = [None]

        def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
            after, replies = self.engine.handle(learner, inbound)
            if after is not None:
                arrived(after, channel, chat)
                where[0] = after.position.step if after.position else None
            return after, [Delivery(channel, chat, to_body(reply)) for reply in replies]

        queued = self.store.handle(inbound.learner, event_id, change, now)
        if queued is None:
            return Receipt(duplicate=True)
        return Receipt(duplicate=False, deliveries=tuple(queued), step=where[0])

    def apply(
        self, event_id: str, learner_id: str, change: Change[list[Delivery]], now: float
    ) -> list[Delivery] | None:
        """Apply a change that is not the learner's turn (a reminder, a helper's answer, a
        block) at most once, with the deliveries it queues, as one atomic step; None when
        `event_id` was applied before."""
        return self.store.handle(learner_id, event_id, change, now)


def arrived(learner: Learner, channel: str, chat: str) -> None:
    """What any message from the learner says beyond its words: where pushes reach them, that
    they have not blocked the bot, and that a reminder sent before brought them back."""
    learner.address = (channel, chat)
    learner.unreachable = None
    if learner.nudged_at is not None:
        learner.returns += 1
        learner.nudged_at = None
