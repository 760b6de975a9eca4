"""What `hocso lint` warns about in a content folder that loads: nothing that stops the bot,
but what an admin should fix: quizzes that a guess passes (`bot.quizlint`), labels and
answers in curly quotes (`bot.quotelint`), and here, a lesson's message that does not fit on
a phone screen (the budget of `lessons.screen`):

    content/lessons/an-toan-otp.yaml:63: warning: steps[9] (id 'bao-156'): this message takes
    17 lines of a phone screen (text 15, buttons 2), 4 more than the 13 that fit: split it
    into two steps, one action in each, or cut words

The messages are those the engine sends, made by the same code: `bot.render.Renderer` and the
engine's `compose`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.content import Content
from bot.engine import compose
from bot.outbound import Outbound
from bot.quizlint import quiz_warnings
from bot.quotelint import quote_warnings
from bot.render import Renderer
from lessons import screen
from lessons.events import Shown, Wrong
from lessons.markup import plain, runs
from lessons.model import Lesson
from lessons.problems import Problem
from lessons.steps import Quiz, Say, Step

SPLIT = "split it into two steps, one action in each, or cut words"
SHORTEN_HINT = "shorten the 'hint' or the options"
AFTER_WRONG = "after a wrong answer"


@dataclass(frozen=True)
class StepMessage:
    """A message one step of a lesson makes: `when` says when it is sent ("" for the step's
    own message)."""

    lesson: Lesson
    step: Step
    index: int  # the step's place in the lesson
    when: str
    message: Outbound

    @property
    def where(self) -> str:
        return f"steps[{self.index}] (id {self.step.id!r})"

    @property
    def screenful(self) -> screen.Screenful:
        return measure(self.message)


def measure(message: Outbound) -> screen.Screenful:
    """The lines a message takes, read as the learner sees it (without the *bold* markers)."""
    labels = [button.label for button in message.buttons] + [link.label for link in message.links]
    return screen.measure(visible(message.text), labels, image=message.image is not None)


def visible(text: str) -> str:
    return plain(runs(text))


def step_messages(content: Content, lesson: Lesson) -> Iterator[StepMessage]:
    """Every message a lesson's steps make, as the engine sends them: each step's own (under
    the lesson title for the first step; with its options, or its continue button when it
    waits), joined to the steps the lesson passes straight on to after a `wait: false` step;
    and for a quiz with options, the hint after a wrong answer, with the options again."""
    renderer = Renderer(content.messages, lesson)
    for index, step in enumerate(lesson.steps):
        shown = list(_shown_from(lesson, step))
        joined = [message for message in compose(renderer.events(shown)) if message.text.strip()]
        following = ", ".join(repr(event.step.id) for event in shown[1:])
        together = following and len(joined) == 1  # compose keeps apart what does not fit
        when = f"with {following} shown at once after it" if together else ""
        yield StepMessage(lesson, step, index, when, joined[0])
        if isinstance(step, Quiz) and step.options:
            wrong = renderer.events([Wrong(step, tries_left=1)])
            yield StepMessage(lesson, step, index, AFTER_WRONG, wrong[0])


def _shown_from(lesson: Lesson, step: Step) -> Iterator[Shown]:
    """The `Shown` events of entering `step`, as `lessons.machine` makes them: a step that
    does not wait (and the last `say`, which never does) is followed at once by the next."""
    first = step is lesson.first
    current: Step | None = step
    for _ in range(len(lesson.steps)):
        if current is None:
            return
        following = lesson.after(current)
        waits = current.waits and not (isinstance(current, Say) and following is None)
        yield Shown(current, waits=waits, first=first)
        if waits:
            return
        first = False
        current = following


def screen_warnings(content: Content) -> list[Problem]:
    """A warning for every lesson message over the screen budget, at the line of its step."""
    warnings = []
    for lesson in content.lessons.values():
        for made in step_messages(content, lesson):
            said = _over_budget(made)
            if said:
                warnings.append(
                    Problem(str(lesson.path), made.step.line, f"warning: {made.where}: {said}")
                )
    return sorted(warnings)


def _over_budget(made: StepMessage) -> str:
    """What is wrong with the message's length, in plain words; "" when nothing is."""
    size = made.screenful
    said = []
    if size.over:
        first = made.step is made.lesson.first and made.when != AFTER_WRONG
        parts = [f"{'title and text' if first else 'text'} {size.text}"]
        if size.buttons:
            parts.append(f"buttons {size.buttons}")
        if size.image:
            parts.append(f"picture {size.image}")
        said.append(
            f"{'the message ' + made.when if made.when else 'this message'} takes "
            f"{size.lines} lines of a phone screen ({', '.join(parts)}), {size.over} more than "
            f"the {screen.MAX_LINES} that fit"
        )
    if made.when != AFTER_WRONG:
        count = screen.characters(visible(made.step.text))
        if count > screen.MAX_CHARACTERS:
            said.append(
                f"its text has {count} characters, {count - screen.MAX_CHARACTERS} more than "
                f"the {screen.MAX_CHARACTERS} a step may have"
            )
    if not said:
        return ""
    advice = SHORTEN_HINT if made.when == AFTER_WRONG else SPLIT
    return f"{'; '.join(said)}: {advice}"


def warnings(content: Content) -> list[Problem]:
    """Everything `hocso lint` warns about, in file and line order."""
    quizzes = [found for lesson in content.lessons.values() for found in quiz_warnings(lesson)]
    paths = [lesson.path for lesson in content.lessons.values()]
    if (content.root / "certificates.yaml").is_file():
        paths.append(content.root / "certificates.yaml")
    quotes = [found for path in paths for found in quote_warnings(path)]
    return sorted([*screen_warnings(content), *quizzes, *quotes])
