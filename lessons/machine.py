"""The lesson state machine: a learner's position plus a reply gives a new position and events.

Pure: it neither sends nor stores anything. `None` as the new position means the lesson has
ended (the events then end with `Finished`).

    position, events = start(lesson, at="2026-11-23T10:00:00+07:00")
    position, events = answer(lesson, position, Reply(text="dc r"), words)
"""

from __future__ import annotations

from lessons.events import AtStart, Event, Finished, Shown, Wrong
from lessons.model import Lesson
from lessons.position import Position
from lessons.reply import Reply, Words
from lessons.steps import Step

SCORE_EPSILON = 1e-9


def start(lesson: Lesson, at: str) -> tuple[Position | None, list[Event]]:
    """Begin (or retake) a lesson at its first step."""
    position = Position(lesson=lesson.id, step=lesson.first.id, started_at=at)
    return _enter(lesson, position, lesson.first, [], first=True)


def answer(
    lesson: Lesson, position: Position, reply: Reply, words: Words
) -> tuple[Position | None, list[Event]]:
    """Apply one reply at the step the learner is on."""
    position = position.copy()
    step = lesson.step(position.step)
    outcome = step.respond(reply, position.wrong, words)
    if outcome.first_try is not None:
        position.first_try.setdefault(step.id, outcome.first_try)
    events: list[Event] = list(outcome.events)
    if not outcome.move:
        if any(isinstance(event, Wrong) for event in events):
            position.wrong += 1
        return position, events
    position.history.append(step.id)
    following = lesson.after(step, outcome.goto)
    if following is None:
        return None, [*events, finish(lesson, position)]
    return _enter(lesson, position, following, events)


def back(lesson: Lesson, position: Position) -> tuple[Position, list[Event]]:
    """Go back to the step that last waited for the learner; at the first one, say so."""
    position = position.copy()
    if not position.history:
        step = lesson.step(position.step)
        return position, [AtStart(step), Shown(step, first=step is lesson.first)]
    before = position.copy()
    target = lesson.step(position.history.pop())
    entered, events = _enter(lesson, position, target, [], first=target is lesson.first)
    if entered is None:
        # History holds steps that waited; an edit since (`wait: false`) can make every step
        # from there to the end go straight on. Stay rather than finish the lesson.
        return before, repeat(lesson, before)
    return entered, events


def repeat(lesson: Lesson, position: Position) -> list[Event]:
    """Say the current step again."""
    step = lesson.step(position.step)
    return [Shown(step, first=step is lesson.first)]


def is_valid(lesson: Lesson, position: Position) -> bool:
    """Whether a stored position still fits the lesson (an admin may have edited it)."""
    return (
        lesson.has(position.step)
        and all(lesson.has(step) for step in position.history)
        and all(lesson.has(step) for step in position.first_try)
    )


def mend(lesson: Lesson, position: Position) -> tuple[Position | None, list[Event]]:
    """Fit a stored position to an edited lesson, losing as little as possible: steps that
    are gone leave the history and the score; a learner whose own step is gone goes back to
    the last step they reached that is still there (the lesson's start when none is), and is
    shown it. No events when their own step is still there."""
    position = position.copy()
    position.history = [step for step in position.history if lesson.has(step)]
    position.first_try = {s: right for s, right in position.first_try.items() if lesson.has(s)}
    if lesson.has(position.step):
        return position, []
    target = lesson.step(position.history.pop()) if position.history else lesson.first
    return _enter(lesson, position, target, [], first=target is lesson.first)


def finish(lesson: Lesson, position: Position) -> Finished:
    """Score an attempt: the share of quiz questions met that were right at the first try."""
    asked = len(position.first_try)
    right = sum(position.first_try.values())
    score = right / asked if asked else 1.0
    passed = score + SCORE_EPSILON >= lesson.pass_score
    return Finished(lesson.id, round(score, 4), passed, right, asked)


def _enter(
    lesson: Lesson, position: Position, step: Step, events: list[Event], *, first: bool = False
) -> tuple[Position | None, list[Event]]:
    """Show `step` and any steps that do not wait after it, stopping at one that waits.
    The last step of a lesson never waits."""
    for _ in range(len(lesson.steps) + 1):
        following = lesson.after(step)
        if step.waits and not (step.kind == "say" and following is None):
            position.step = step.id
            position.wrong = 0
            return position, [*events, Shown(step, waits=True, first=first)]
        events = [*events, Shown(step, waits=False, first=first)]
        first = False
        if following is None:
            return None, [*events, finish(lesson, position)]
        step = following
    raise RuntimeError(f"lesson {lesson.id}: steps that never wait form a loop")
