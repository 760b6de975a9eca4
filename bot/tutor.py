"""The tutor: the engine applied to a store, one inbound event at a time.

tutor = Tutor(Engine(content), open_store("sqlite:///data/hocso.db"))
replies = tutor.handle(Inbound(learner="cli:an", text="dc r"))          # the CLI
receipt = tutor.receive("tg:881", Inbound("tg:5", text="dc r"), "telegram", "5", now)
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine import Engine
from bot.inbound import Inbound
from bot.learner import Learner
from bot.outbound import Outbound, to_body
from bot.stores.base import Delivery, Store


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
            where[0] = after.position.step if after and after.position else None
            return after, [Delivery(channel, chat, to_body(reply)) for reply in replies]

        queued = self.store.handle(inbound.learner, event_id, change, now)
        if queued is None:
            return Receipt(duplicate=True)
        return Receipt(duplicate=False, deliveries=tuple(queued), step=where[0])
