"""The tutor: the engine applied to a store, one inbound event at a time.

tutor = Tutor(Engine(content), open_store("sqlite:///data/hocso.db"))
replies = tutor.handle(Inbound(learner="cli:an", text="dc r"))          # the CLI
receipt = tutor.receive("tg:881", Inbound("tg:5", text="dc r"), "telegram", "5", now)
queued = tutor.apply("nudge:tg:5:an-toan-otp:1", "tg:5", change, now)  # not a learner's turn
queued = tutor.remind("tg:5", 1764030000.0, now)                         # a reminder due

Every event a learner sends records where pushes reach them (`Learner.address`), clears a
block recorded before (they wrote again), counts the return a reminder brought, and plans
their next reminder (`Learner.nudge_at`, with the tutor's `bot.reminders.Policy`; none
without one). Reminders are bulk messages (priority 1); every delivery names its learner.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.engine import Engine
from bot.inbound import Inbound
from bot.learner import Learner
from bot.outbound import Outbound, to_body
from bot.reminders import Policy, Reminders, topic
from bot.stores.base import Change, Delivery, Store

BULK = 1  # `Delivery.priority` of reminders: sent in the capacity replies leave


@dataclass(frozen=True)
class Receipt:
    """What receiving one platform event did: the deliveries queued (empty for a duplicate)
    and, for logs, where the learner is now."""

    duplicate: bool
    deliveries: tuple[Delivery, ...] = ()
    step: str | None = None


class Tutor:
    """Loads the learner, lets the engine change them, stores the result: one atomic step."""

    def __init__(self, engine: Engine, store: Store, policy: Policy | None = None) -> None:
        self.engine = engine
        self.store = store
        # Without a policy (the CLI), nothing is planned: reminders are off.
        self.reminders = Reminders(policy or Policy(delays=()), lambda: engine.content)

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
                after.nudge_at = self.reminders.policy.plan(after, now)
                where[0] = after.position.step if after.position else None
            whose = inbound.learner
            return after, [Delivery(channel, chat, to_body(r), learner=whose) for r in replies]

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
