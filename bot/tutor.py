"""The tutor: the engine applied to a store, one inbound event at a time.

tutor = Tutor(Engine(content), open_store("sqlite:///data/hocso.db"))
replies = tutor.handle(Inbound(learner="cli:an", text="dc r"))
"""

from __future__ import annotations

from bot.engine import Engine
from bot.inbound import Inbound
from bot.outbound import Outbound
from bot.stores.base import Store


class Tutor:
    """Loads the learner, lets the engine change them, stores the result: one atomic step."""

    def __init__(self, engine: Engine, store: Store) -> None:
        self.engine = engine
        self.store = store

    def handle(self, inbound: Inbound) -> list[Outbound]:
        return self.store.update(
            inbound.learner, lambda learner: self.engine.handle(learner, inbound)
        )
