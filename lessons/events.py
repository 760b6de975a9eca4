"""What the state machine says happened. The caller turns events into messages.

The machine never sends or stores anything: it returns these, and the engine renders each
one with the sentences of `messages.yaml` for whichever channel it serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the step modules import this one
    from lessons.steps import Quiz, Say, Step


@dataclass(frozen=True)
class Shown:
    """Present a step: its text, image and links, with its options or a continue button.
    `waits` is False for a `say` step the lesson passes straight through."""

    step: Step
    waits: bool = True
    first: bool = False  # the lesson's first step: the caller may add the lesson title


@dataclass(frozen=True)
class Right:
    """The answer to a quiz was right."""

    step: Quiz


@dataclass(frozen=True)
class Wrong:
    """The answer was wrong and tries remain: show the hint and ask again."""

    step: Quiz
    tries_left: int


@dataclass(frozen=True)
class Revealed:
    """The tries are used up: show the right answer and the explanation, then go on."""

    step: Quiz


@dataclass(frozen=True)
class NotUnderstood:
    """The reply was not read as an answer; no try is used. `candidates` are the options
    (0-based) it fitted equally, empty when it fitted none."""

    step: Step
    candidates: tuple[int, ...] = ()


@dataclass(frozen=True)
class NotYet:
    """At a step that waits, the learner said they have not done it yet."""

    step: Say


@dataclass(frozen=True)
class AtStart:
    """'Go back' at the first step: there is nothing before it."""

    step: Step


@dataclass(frozen=True)
class Finished:
    """The lesson ended. `right` of `asked` quiz questions were right at the first try."""

    lesson_id: str
    score: float
    passed: bool
    right: int
    asked: int


Event = Shown | Right | Wrong | Revealed | NotUnderstood | NotYet | AtStart | Finished
