"""What a step decides about a reply: what to say, and whether the lesson moves on."""

from __future__ import annotations

from dataclasses import dataclass

from lessons.events import Event


@dataclass(frozen=True)
class Outcome:
    """`move`: leave the step (to `goto` when an option names one). `first_try`: for a quiz
    answered for the first time in this attempt, whether that answer was right."""

    events: tuple[Event, ...] = ()
    move: bool = False
    goto: str | None = None
    first_try: bool | None = None
