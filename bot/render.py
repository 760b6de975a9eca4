"""Turning the state machine's events into messages, with the content's sentences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot import payloads
from bot.messages import Messages
from bot.outbound import Button, Outbound
from lessons import order
from lessons.events import (
    AtStart,
    Event,
    Finished,
    NotUnderstood,
    NotYet,
    Revealed,
    Right,
    Shown,
    Wrong,
)
from lessons.model import Lesson
from lessons.steps import Say, Step


class Renderer:
    """Renders the events of one lesson."""

    def __init__(self, messages: Messages, lesson: Lesson, seed: str = "") -> None:
        """`seed` names the learner's attempt: a quiz's options are shown in its order."""
        self.messages = messages
        self.lesson = lesson
        self.seed = seed

    def events(self, events: Iterable[Event]) -> list[Outbound]:
        """Every event but `Finished`, which the engine renders with the learner's records."""
        return [
            out for event in events if not isinstance(event, Finished) for out in self.event(event)
        ]

    def event(self, event: Event) -> list[Outbound]:
        say = self.messages.text
        match event:
            case Shown(step=step, waits=waits, first=first):
                return [self.step(step, waits=waits, first=first)]
            case Right(step=step):
                return [Outbound(say("quiz.right", explain=step.explain or ""))]
            case Wrong(step=step):
                text = say("quiz.wrong_hint", hint=step.hint) if step.hint else say("quiz.wrong")
                return [Outbound(text, self.option_buttons(step))]
            case Revealed(step=step):
                return [
                    Outbound(
                        say("quiz.revealed", answer=step.right_answer, explain=step.explain or "")
                    )
                ]
            case NotUnderstood(step=step, candidates=candidates):
                return [self.not_understood(step, candidates)]
            case NotYet(step=step):
                return [
                    Outbound(
                        say("reading.not_yet", button=self.continue_label(step)),
                        self.continue_buttons(step),
                    )
                ]
            case AtStart():
                return [Outbound(say("reading.at_start"))]
        return []

    def step(self, step: Step, *, waits: bool = True, first: bool = False) -> Outbound:
        """A step's own message: its text (under the lesson title when it opens the lesson),
        image and links, with option buttons or, for a `say` that waits, a continue button."""
        text = step.text.strip()
        if first:
            text = f"{self.header()}\n\n{text}"
        if step.options:
            buttons = self.option_buttons(step)
        elif isinstance(step, Say) and waits:
            buttons = self.continue_buttons(step)
        else:
            buttons = ()
        return Outbound(text, buttons, step.links, step.image)

    def header(self) -> str:
        if self.lesson.minutes:
            return self.messages.text(
                "lesson.header_minutes", title=self.lesson.title, minutes=self.lesson.minutes
            )
        return self.messages.text("lesson.header", title=self.lesson.title)

    def not_understood(self, step: Step, candidates: Sequence[int]) -> Outbound:
        """Ask again, kindly: the options numbered (only those that fitted, when several did)."""
        say = self.messages.text
        if step.options:
            listing = self.listing(step, candidates or range(len(step.options)))
            key = "reading.ambiguous" if candidates else "reading.options"
            return Outbound(say(key, options=listing), self.option_buttons(step))
        if isinstance(step, Say):
            return Outbound(
                say("reading.say", button=self.continue_label(step)), self.continue_buttons(step)
            )
        return Outbound(say("reading.free_answer"))

    def listing(self, step: Step, shown: Iterable[int]) -> str:
        """Options as numbered lines: "1. Chỉ mình tôi"."""
        return "\n".join(
            self.messages.text("reading.option", number=i + 1, label=step.options[i].label)
            for i in shown
        )

    def mark(self, step: Step) -> str:
        return payloads.step_mark(self.lesson.id, step)

    def option_buttons(self, step: Step) -> tuple[Button, ...]:
        mark = self.mark(step)
        return tuple(
            Button(step.options[i].label, payloads.option(mark, i))
            for i in order.shown(step, self.seed)
        )

    def continue_label(self, step: Step) -> str:
        label = step.button if isinstance(step, Say) else None
        return label or self.messages.text("buttons.continue")

    def continue_buttons(self, step: Step) -> tuple[Button, ...]:
        return (Button(self.continue_label(step), payloads.go_on(self.mark(step))),)
