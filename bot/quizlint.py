"""What `hocso lint` warns about a lesson's quizzes: whether they can tell a learner who knows
from one who guesses.

    content/lessons/zalo-co-ban.yaml:7: warning: 3 multiple-choice quizzes: a learner who
    taps the same button every time passes 1 time in 4 (2 right of 3 needed); add quizzes
    to reach 4
    content/lessons/an-toan-otp.yaml:7: warning: the right answer of all 3 quizzes is
    options[0]: vary its place in the file (it shows where 'order: as-written' is set)

Options are shown shuffled (`lessons.order`), so a guess is right one time in as many
options as the quiz has; the chance of passing by guessing is the binomial tail over the
lesson's multiple-choice quizzes, with the lesson's pass score.
"""

from __future__ import annotations

import math
from fractions import Fraction

from lessons.model import Lesson
from lessons.problems import Problem
from lessons.steps import Quiz

MIN_QUIZZES = 4  # the fewest multiple-choice quizzes that make guessing unlikely to pass


def needed(lesson: Lesson, asked: int) -> int:
    """How many of `asked` questions must be right at the first try to pass."""
    return math.ceil(lesson.pass_score * asked - 1e-9)


def guessing_passes(lesson: Lesson) -> Fraction:
    """The chance that a learner who picks an option at random passes the lesson, counting
    its multiple-choice quizzes only (a free answer is not guessed)."""
    chances = [Fraction(1, len(step.options)) for step in _choices(lesson)]
    quizzes = [step for step in lesson.steps if isinstance(step, Quiz)]
    # P(k right) over the multiple-choice ones, by convolution
    right = [Fraction(1)]
    for chance in chances:
        right = [
            (right[k] if k < len(right) else 0) * (1 - chance)
            + (right[k - 1] * chance if k > 0 else 0)
            for k in range(len(right) + 1)
        ]
    need = needed(lesson, len(quizzes))
    return sum((p for k, p in enumerate(right) if k >= need), Fraction(0))


def quiz_warnings(lesson: Lesson) -> list[Problem]:
    path, line = str(lesson.path), lesson.steps[0].line if lesson.steps else 1
    choices = _choices(lesson)
    quizzes = [step for step in lesson.steps if isinstance(step, Quiz)]
    found = []
    if choices and len(choices) < MIN_QUIZZES:
        chance = guessing_passes(lesson)
        one_in = f"1 time in {round(1 / chance)}" if chance else "never"
        count = f"{len(choices)} multiple-choice {'quiz' if len(choices) == 1 else 'quizzes'}"
        found.append(
            Problem(
                path,
                line,
                f"warning: {count}: a learner who taps the same button every time passes "
                f"{one_in} ({needed(lesson, len(quizzes))} right of {len(quizzes)} needed); "
                f"add quizzes to reach {MIN_QUIZZES}",
            )
        )
    places = {step.options.index(next(o for o in step.options if o.correct)) for step in choices}
    if len(choices) >= 2 and len(places) == 1:
        found.append(
            Problem(
                path,
                line,
                f"warning: the right answer of all {len(choices)} quizzes is "
                f"options[{places.pop()}]: vary its place in the file (it shows where "
                "'order: as-written' is set)",
            )
        )
    return found


def _choices(lesson: Lesson) -> list[Quiz]:
    return [step for step in lesson.steps if isinstance(step, Quiz) and step.options]
