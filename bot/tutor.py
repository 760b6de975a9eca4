"""The tutor: the engine applied to a store, one inbound event at a time.

tutor = Tutor(Engine(content), open_store("sqlite:///data/hocso.db"))
replies = tutor.handle(Inbound(learner="cli:an", text="dc r"))          # the CLI
receipt = tutor.receive("tg:881", Inbound("tg:5", text="dc r"), "telegram", "5", now)
queued = tutor.apply("nudge:tg:5:an-toan-otp:1", "tg:5", change, now)  # not a learner's turn
queued = tutor.remind("tg:5", 1764030000.0, now)                         # a reminder due

Every event a learner sends records where pushes reach them (`Learner.address`), clears a
block recorded before (they wrote again), counts the return a reminder brought, and plans
their next reminder (`Learner.nudge_at`, with the tutor's `bot.reminders.Policy`; none
without one). Reminders are bulk messages (priority 1); every delivery to a learner's chat
names its learner.

A turn that asks for a person is applied twice: the engine raises `Unrouted` (a change may
not read the store), the route is looked up (`Desks.route`: the directory, an unused code),
and the event is applied again with it. What a turn does to the learner's request goes to
its desk in the same atomic step (`bot.helpdesk.desk_news`); its code is then kept, so that
a helper's answer finds the learner, and forgotten when it closes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot import helpdesk
from bot.engine import Engine
from bot.helpdesk import Desks, News, Route, Unrouted
from bot.inbound import Inbound
from bot.learner import Learner
from bot.outbound import Outbound, to_body
from bot.reminders import Policy, Reminders, topic
from bot.stores.base import Change, Delivery, Store
from bot.tally import Group

log = logging.getLogger("hocso.tutor")

ROUTING = 3
"""Tries at a turn that asks for a person (the route of the first is looked up for the next)."""

BULK = 1  # `Delivery.priority` of reminders: sent in the capacity replies leave


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

    def __init__(
        self,
        engine: Engine,
        store: Store,
        policy: Policy | None = None,
        *,
        desks: Desks | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        # Without a policy (the CLI), nothing is planned: reminders are off.
        self.reminders = Reminders(policy or Policy(delays=()), lambda: engine.content)
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
        self,
        event_id: str,
        inbound: Inbound,
        channel: str,
        chat: str,
        now: float,
        *,
        lease_until: float | None = None,
    ) -> Receipt:
        """Apply a platform event at most once and queue its replies for delivery to `chat`,
        in the same atomic step (with what it said to a desk); a redelivered event changes
        nothing. With `lease_until`, a queue the event starts is leased to the caller until
        then (`Store.handle`), its first delivery marked `leased`."""
        where: list[str | None] = [None]
        found: list[tuple[News, Group]] = []
        route: Route | None = None

        def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
            found.clear()
            after, replies = self.engine.handle(learner, inbound, route)
            if after is not None:
                arrived(after, channel, chat)
                after.nudge_at = self.reminders.policy.plan(after, now)
                where[0] = after.position.step if after.position else None
            whose = inbound.learner
            deliveries = [Delivery(channel, chat, to_body(r), learner=whose) for r in replies]
            news, to_desk = helpdesk.desk_news(
                learner, after, route, self.engine.content, self.engine.help_policy.hours
            )
            who = after or learner
            found.append((news, Group.of(who) if who else Group()))
            return after, deliveries + to_desk

        for _ in range(ROUTING):
            try:
                queued = self.store.handle(
                    inbound.learner, event_id, change, now, lease_until=lease_until
                )
                break
            except Unrouted as unrouted:
                route = self.desks.route(unrouted.group)
        else:
            raise RuntimeError("a request for a person found no route")
        if queued is None:
            return Receipt(duplicate=True)
        if found:
            try:
                self.kept(inbound.learner, *found[0], now)
            except Exception as error:
                # The turn is committed, its replies queued (their queue maybe leased to the
                # caller): they must still go. Redelivered, the event is a duplicate anyway.
                # Logged by kind only: the error may name the learner.
                why = type(error).__name__
                log.error("a request for a person was not filed after its turn (%s)", why)
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

    def remind(self, learner_id: str, at: float, now: float) -> list[Delivery] | None:
        """Send the learner's reminder planned for `at` (`Store.due`), swept at `now`: checked
        again in the atomic step (still planned for then, and allowed now), queued as bulk to
        their address, and the next one planned. Once per planned time, however many workers
        sweep: None for a repeat; no deliveries when it was not sent (planned again)."""

        def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
            if learner is None:
                return None, []
            if learner.address is None:  # nowhere to send it: not planned again until they write
                return replace(learner, nudge_at=None), []
            after, said = self.reminders.due(learner, at, now)
            channel, chat = learner.address
            return after, [self._bulk(channel, chat, learner.id, message) for message in said]

        return self.apply(f"remind:{learner_id}:{at!r}", learner_id, change, now)

    def show_reminder(self, learner_id: str, channel: str, chat: str, now: float) -> list[Delivery]:
        """The reminder a page opened now shows the learner (the web chat, which cannot push
        one), when one is due: queued to `chat`, once per reminder."""
        stored = self.store.get(learner_id)
        if stored is None or not self.reminders.policy.shows(stored, now):
            return []
        subject = topic(stored)
        assert subject is not None
        event = f"remind:{learner_id}:{subject.key}:{subject.sent + 1}"

        def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
            if learner is None:
                return None, []
            after, said = self.reminders.shown(learner, now)
            return after, [self._bulk(channel, chat, learner.id, message) for message in said]

        return self.apply(event, learner_id, change, now) or []

    def reach(
        self, event_id: str, learner_id: str, channel: str, chat: str, why: str, now: float
    ) -> bool:
        """A platform says whether the learner's chat can be reached (`why`: "unblocked", or
        why not: "blocked"), without a message from them (Telegram's `my_chat_member`): no
        reminder is pushed to them while they cannot be, and one is planned again when they
        can. A learner hocso does not know is not created. False for a repeat."""

        def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
            if learner is None:
                return None, []
            learner = learner.copy()
            learner.unreachable = None if why == "unblocked" else why
            if why == "unblocked":
                learner.address = (channel, chat)
            learner.nudge_at = self.reminders.policy.plan(learner, now)
            return learner, []

        return self.apply(event_id, learner_id, change, now) is not None

    def unreachable(self, delivery: Delivery, why: str, now: float) -> None:
        """A send to the learner's chat was refused for good, for a reason that says they cannot
        be reached (`handlers.base.SendError.gone`): no reminder is pushed to them until they
        write again. Once per delivery; nothing when the learner has moved to another chat."""

        def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
            if learner is None or learner.address != (delivery.channel, delivery.chat):
                return learner, []
            learner = learner.copy()
            learner.unreachable = why
            learner.nudge_at = None
            return learner, []

        if delivery.learner:
            self.apply(f"unreachable:{delivery.id}", delivery.learner, change, now)

    @staticmethod
    def _bulk(channel: str, chat: str, learner: str, message: Outbound) -> Delivery:
        return Delivery(channel, chat, to_body(message), priority=BULK, learner=learner)


def arrived(learner: Learner, channel: str, chat: str) -> None:
    """What any message from the learner says beyond its words: where pushes reach them, that
    they have not blocked the bot, and that a reminder sent before brought them back."""
    learner.address = (channel, chat)
    learner.unreachable = None
    if learner.nudged_at is not None:
        learner.returns += 1
        learner.nudged_at = None
