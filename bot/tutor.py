"""The tutor: the engine applied to a store, one inbound event at a time.

tutor = Tutor(Engine(content), open_store("sqlite:///data/hocso.db"))
replies = tutor.handle(Inbound(learner="cli:an", text="dc r"))          # the CLI
receipt = tutor.receive("tg:881", Inbound("tg:5", text="dc r"), "telegram", "5", now)
queued = tutor.apply("nudge:tg:5:an-toan-otp:1", "tg:5", change, now)  # not a learner's turn

Every event a learner sends records where pushes reach them (`Learner.address`), clears a
block recorded before (they wrote again), and counts the return a reminder brought.

A turn that asks for a person is applied twice: the engine raises `Unrouted` (a change may
not read the store), the route is looked up (`Desks.route`: the directory, an unused code),
and the event is applied again with it. What a turn does to the learner's request goes to
its desk in the same atomic step (`bot.helpdesk.desk_news`); its code is then kept, so that
a helper's answer finds the learner, and forgotten when it closes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import helpdesk
from bot.engine import Engine
from bot.helpdesk import Desks, News, Route, Unrouted
from bot.inbound import Inbound
from bot.learner import Learner
from bot.outbound import Outbound, to_body
from bot.stores.base import Change, Delivery, Store
from bot.tally import Group

ROUTING = 3
"""Tries at a turn that asks for a person (the route of the first is looked up for the next)."""


@dataclass(frozen=True)
class Receipt:
    """What receiving one platform event did: the deliveries queued (empty for a duplicate)
    and, for logs, where the learner is now."""

    duplicate: bool
    deliveries: tuple[Delivery, ...] = ()
    step: str | None = None


class Tutor:
    """Loads the learner, lets the engine change them, stores the result: one atomic step.
    `desks` routes requests for a person (default: no desk, the console only)."""

    def __init__(self, engine: Engine, store: Store, desks: Desks | None = None) -> None:
        self.engine = engine
        self.store = store
        self.desks = desks or Desks(store)

    def handle(self, inbound: Inbound) -> list[Outbound]:
        """Apply a message and return the replies (the CLI: nothing is queued)."""
        route: Route | None = None
        for _ in range(ROUTING):
            try:
                return self.store.update(inbound.learner, self._turn(inbound, route))
            except Unrouted as unrouted:
                route = self.desks.route(unrouted.group)
        raise RuntimeError("a request for a person found no route")  # a bug: routes are made

    def _turn(self, inbound: Inbound, route: Route | None) -> Change[list[Outbound]]:
        return lambda learner: self.engine.handle(learner, inbound, route)

    def receive(
        self, event_id: str, inbound: Inbound, channel: str, chat: str, now: float
    ) -> Receipt:
        """Apply a platform event at most once and queue its replies for delivery to `chat`,
        in the same atomic step (with what it said to a desk); a redelivered event changes
        nothing."""
        where: list[str | None] = [None]
        found: list[tuple[News, Group]] = []
        route: Route | None = None

        def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
            found.clear()
            after, replies = self.engine.handle(learner, inbound, route)
            if after is not None:
                arrived(after, channel, chat)
                where[0] = after.position.step if after.position else None
            deliveries = [Delivery(channel, chat, to_body(reply)) for reply in replies]
            news, to_desk = helpdesk.desk_news(
                learner, after, route, self.engine.content, self.engine.help_policy.hours
            )
            who = after or learner
            found.append((news, Group.of(who) if who else Group()))
            return after, deliveries + to_desk

        for _ in range(ROUTING):
            try:
                queued = self.store.handle(inbound.learner, event_id, change, now)
                break
            except Unrouted as unrouted:
                route = self.desks.route(unrouted.group)
        else:
            raise RuntimeError("a request for a person found no route")
        if queued is None:
            return Receipt(duplicate=True)
        if found:
            self.kept(inbound.learner, *found[0], now)
        return Receipt(duplicate=False, deliveries=tuple(queued), step=where[0])

    def kept(self, learner_id: str, news: News, group: Group, now: float) -> None:
        """After a turn: the code of a request opened names its learner; one closed is
        forgotten, and logged (`helpdesk.remember_closed`)."""
        if news.closed is not None and news.how is not None:
            helpdesk.forget_code(self.store, news.closed.code)
            helpdesk.remember_closed(self.store, news.closed, news.how, now, group)
        if news.opened is not None:
            helpdesk.remember_code(self.store, news.opened, learner_id, now)

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
