"""Every lesson of content/, walked to the end of every path.

1. The state machine: every path through a lesson (every `ask` option; every quiz answered
   right, wrong then right, or wrong until revealed; each loop back through a help step taken
   at most once per path) ends with `Finished`, every step is shown, every option is taken,
   and the score is what the path's first answers say.
2. The engine, typed as an elderly learner types: an option's label without diacritics, its
   number ("2", "so 2"), "tiep"/"ok"/"xong" at a step that waits. Each must do exactly what
   tapping the button does, at every step the lesson can reach.
3. Whole runs through the engine: each lesson passes, a retake after failing passes, and
   passing every lesson of a certificate awards it exactly once.

The checks are functions that return problems (`[]` when all is well), so the tests at the
end can show on bad lessons in tests/data/walk/lessons/ that each one catches what it should.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import payloads
from bot.content import Content, load_content
from bot.learner import Earned, Learner
from bot.outbound import Outbound
from lessons import machine
from lessons.events import Event, Finished, NotUnderstood, Revealed, Shown
from lessons.model import Certificate, Lesson
from lessons.position import Position
from lessons.reading import read_answer, read_option
from lessons.reply import Reply, Words
from lessons.steps import Option, Quiz, Say, Step
from support.chat import Chat, fixture_content

REPO = Path(__file__).resolve().parents[1]
CONTENT_DIR = REPO / "content"
SAMPLES = Path(__file__).parent / "data" / "walk" / "lessons"
LESSON_IDS = sorted(path.stem for path in (CONTENT_DIR / "lessons").glob("*.yaml"))
AT = "2026-11-23T10:00:00+07:00"

MAX_REPLIES = 60  # every path through a lesson must finish within this many replies
MAX_PATHS = 60_000  # walking more paths than this is no test any more (cai-dat-vneid: ~35,000)
GO_ON = ("tiep", "ok", "xong")  # what a learner types at a step that waits
WRONG_FREE_ANSWER = "toi khong nho"
SHOWN_PROBLEMS = 8  # problems of one kind listed in a failure message, at most

State = tuple[str, int]  # (step id, wrong answers so far): all the machine's moves depend on


def fold(text: str) -> str:
    """What a learner who skips diacritics types: "Chưa được" -> "chua duoc"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT_DIR)


def sample(tmp: Path, *names: str) -> Content:
    """The test content folder plus sample lessons from tests/data/walk/lessons/."""
    lessons = {name: (SAMPLES / f"{name}.yaml").read_text(encoding="utf-8") for name in names}
    return fixture_content(tmp, lessons)


def summed_up(problems: list[str]) -> str:
    shown = problems[:SHOWN_PROBLEMS]
    more = len(problems) - len(shown)
    return "\n".join(shown + ([f"... and {more} more"] if more else []))


# -- the state machine: every state, every move -----------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One reply a learner can give at a step. `right`: for a quiz, whether it is right."""

    name: str
    reply: Reply
    right: bool | None = None


def choices(step: Step) -> list[Choice]:
    """Every reply that matters at a step: go on; each option; a right and a wrong free answer."""
    if isinstance(step, Quiz) and step.answers:
        return [
            Choice(f"answer {step.answers[0]!r}", Reply(text=step.answers[0]), right=True),
            Choice(f"answer {WRONG_FREE_ANSWER!r}", Reply(text=WRONG_FREE_ANSWER), right=False),
        ]
    if step.options:
        right = step.correct_index if isinstance(step, Quiz) else None
        return [
            Choice(
                f"option {k + 1} {option.label!r}",
                Reply(option=k),
                right=None if right is None else k == right,
            )
            for k, option in enumerate(step.options)
        ]
    return [Choice("go on", Reply(go_on=True))]


@dataclass(frozen=True)
class Move:
    """A reply at a state and what the machine made of it; `target` None: the lesson ended."""

    source: State
    choice: Choice
    target: State | None
    events: tuple[Event, ...]


@dataclass
class Graph:
    """Every state of a lesson the machine reaches from its start, and every move from each."""

    positions: dict[State, Position]
    moves: list[Move]
    shown: set[str]


def state(position: Position) -> State:
    return (position.step, position.wrong)


def shown_steps(events: list[Event]) -> set[str]:
    return {event.step.id for event in events if isinstance(event, Shown)}


def explore(lesson: Lesson, words: Words) -> Graph:
    """Breadth first over (step, wrong answers): every choice at every state reached."""
    position, events = machine.start(lesson, AT)
    graph = Graph({}, [], shown_steps(events))
    if position is None:
        return graph
    graph.positions[state(position)] = position
    waiting = deque([position])
    while waiting:
        here = waiting.popleft()
        for choice in choices(lesson.step(here.step)):
            after, events = machine.answer(lesson, here, choice.reply, words)
            graph.shown |= shown_steps(events)
            target = None if after is None else state(after)
            graph.moves.append(Move(state(here), choice, target, tuple(events)))
            if after is not None and state(after) not in graph.positions:
                graph.positions[state(after)] = after
                waiting.append(after)
    return graph


def distances_to_end(graph: Graph) -> dict[State, int]:
    """The fewest replies from each state to the end of the lesson; a state missing here can
    never reach the end."""
    into: dict[State, set[State]] = defaultdict(set)
    ends: set[State] = set()
    for move in graph.moves:
        if move.target is None:
            ends.add(move.source)
        else:
            into[move.target].add(move.source)
    distance = dict.fromkeys(ends, 1)
    waiting = deque(ends)
    while waiting:
        here = waiting.popleft()
        for source in into[here]:
            if source not in distance:
                distance[source] = distance[here] + 1
                waiting.append(source)
    return distance


def where(lesson: Lesson, at: State) -> str:
    step, wrong = at
    return f"{lesson.id} step {step!r}" + (f" after {wrong} wrong answer(s)" if wrong else "")


def graph_problems(lesson: Lesson, graph: Graph) -> list[str]:
    """Every step shown, every option taken and understood, and the end within reach of every
    state, in few enough replies."""
    problems = []
    taken: set[tuple[str, str]] = set()
    for move in graph.moves:
        if any(isinstance(event, NotUnderstood) for event in move.events):
            problems.append(f"{where(lesson, move.source)}: {move.choice.name} is not understood")
        else:
            taken.add((move.source[0], move.choice.name))
    never_shown = [step.id for step in lesson.steps if step.id not in graph.shown]
    if never_shown:
        problems.append(f"{lesson.id}: steps no path shows: {never_shown}")
    for step in lesson.steps:
        if step.options:
            problems += [
                f"{lesson.id} step {step.id!r}: {choice.name} is never taken"
                for choice in choices(step)
                if (step.id, choice.name) not in taken
            ]
    distance = distances_to_end(graph)
    for at in graph.positions:
        if at not in distance:
            problems.append(f"{where(lesson, at)}: no way on from here ever finishes the lesson")
        elif distance[at] > MAX_REPLIES:
            problems.append(f"{where(lesson, at)}: the end is {distance[at]} replies away")
    # Paths below try one wrong option per quiz: every wrong option must act the same.
    by_source: dict[State, set[tuple[State | None, tuple[str, ...]]]] = defaultdict(set)
    for move in graph.moves:
        if move.choice.right is False:
            kinds = tuple(type(event).__name__ for event in move.events)
            by_source[move.source].add((move.target, kinds))
    problems += [
        f"{where(lesson, at)}: wrong answers do not all act the same: {sorted(map(str, acts))}"
        for at, acts in by_source.items()
        if len(acts) > 1
    ]
    return problems


# -- the state machine: every path ------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One path through a lesson: the replies given and how it ended."""

    said: tuple[tuple[str, Choice], ...]  # (step id, choice), in order
    finished: Finished | None
    first: dict[str, bool]  # quiz step -> whether its first answer was right
    revealed: frozenset[str]  # quiz steps whose answer was shown after the tries ran out
    stuck: str = ""

    def describe(self) -> str:
        return " → ".join(f"{step}: {choice.name}" for step, choice in self.said) or "(start)"


def path_choices(step: Step) -> list[Choice]:
    """`choices`, with one wrong option standing for all a quiz has (`graph_problems` checks
    that they all act the same)."""
    every = choices(step)
    if not isinstance(step, Quiz):
        return every
    wrong = [choice for choice in every if choice.right is False]
    return [choice for choice in every if choice.right] + wrong[:1]


def runs(lesson: Lesson, words: Words) -> Iterator[Run]:
    """Every path from the start: at a state with several choices each is tried, but a path
    takes a choice at a state at most once, so it goes round a loop at most once per way in."""
    position, events = machine.start(lesson, AT)
    if position is None:
        finished = events[-1]
        yield Run((), finished if isinstance(finished, Finished) else None, {}, frozenset())
        return
    yield from _runs(lesson, words, position, Run((), None, {}, frozenset()), frozenset())


def _runs(
    lesson: Lesson, words: Words, position: Position, run: Run, used: frozenset[tuple[object, ...]]
) -> Iterator[Run]:
    if len(run.said) >= MAX_REPLIES:
        yield Run(run.said, None, run.first, run.revealed, f"no end after {MAX_REPLIES} replies")
        return
    step = lesson.step(position.step)
    options = path_choices(step)
    went = False
    for choice in options:
        edge = (position.step, position.wrong, choice.name)
        if len(options) > 1 and edge in used:
            continue
        went = True
        after, events = machine.answer(lesson, position, choice.reply, words)
        first = run.first
        if choice.right is not None and step.id not in first:
            first = {**first, step.id: choice.right}
        revealed = run.revealed
        if any(isinstance(event, Revealed) for event in events):
            revealed = revealed | {step.id}
        said = (*run.said, (step.id, choice))
        if after is None:
            finished = events[-1]
            yield Run(said, finished if isinstance(finished, Finished) else None, first, revealed)
        else:
            yield from _runs(lesson, words, after, Run(said, None, first, revealed), used | {edge})
    if not went:
        yield Run(run.said, None, run.first, run.revealed, "every way on was taken already")


def replay(lesson: Lesson, words: Words, run: Run) -> Finished | None:
    """The same replies again, from a fresh start (a retake)."""
    position, events = machine.start(lesson, AT)
    for step_id, choice in run.said:
        if position is None or position.step != step_id:
            return None
        position, events = machine.answer(lesson, position, choice.reply, words)
    finished = events[-1] if position is None and events else None
    return finished if isinstance(finished, Finished) else None


def path_problems(lesson: Lesson, words: Words) -> list[str]:
    """Every path ends with `Finished`, scored by its first answers; answering every quiz
    right at once passes with 1.0; answering every quiz wrong until revealed fails (when the
    lesson has quizzes and a pass score above 0); a retake after failing can pass."""
    stuck: list[str] = []
    scoring: list[str] = []
    perfect: Run | None = None
    hopeless: Run | None = None
    count = 0
    for run in runs(lesson, words):
        count += 1
        if count > MAX_PATHS:
            return [f"{lesson.id}: more than {MAX_PATHS} paths; walk it in parts"]
        finished = run.finished
        if finished is None:
            stuck.append(f"{lesson.id}: a path gets stuck ({run.stuck}): {run.describe()}")
            continue
        asked = len(run.first)
        right = sum(run.first.values())
        score = round(right / asked, 4) if asked else 1.0
        passed = score + machine.SCORE_EPSILON >= lesson.pass_score
        got = (finished.asked, finished.right, finished.score, finished.passed)
        if got != (asked, right, score, passed):
            scoring.append(
                f"{lesson.id}: (asked, right, score, passed) is {got}, the answers say "
                f"{(asked, right, score, passed)}: {run.describe()}"
            )
        if asked and right == asked:
            perfect = perfect or run
            if not (finished.passed and finished.score == 1.0):
                scoring.append(f"{lesson.id}: every quiz right at once, yet {got}")
        if asked and run.revealed == set(run.first):
            hopeless = hopeless or run
            if finished.passed and lesson.pass_score > 0:
                scoring.append(f"{lesson.id}: every quiz wrong until revealed, yet passed")
    problems = stuck + scoring
    quizzes = any(isinstance(step, Quiz) for step in lesson.steps)
    if quizzes and perfect is None:
        problems.append(f"{lesson.id}: no path answers every quiz right at once")
    if quizzes and lesson.pass_score > 0:
        if hopeless is None:
            problems.append(f"{lesson.id}: no path answers every quiz wrong until revealed")
        elif perfect is not None:
            again = replay(lesson, words, perfect)
            if replay(lesson, words, hopeless) is None or again is None or not again.passed:
                problems.append(f"{lesson.id}: a retake after failing does not pass")
    return problems


def machine_problems(lesson: Lesson, words: Words) -> list[str]:
    return graph_problems(lesson, explore(lesson, words)) + path_problems(lesson, words)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_path_through_the_lesson_ends_and_scores(content: Content, lesson_id: str) -> None:
    problems = machine_problems(content.lessons[lesson_id], content.words)
    assert not problems, summed_up(problems)


# -- the engine: what a learner types without diacritics --------------------------------------


@dataclass(frozen=True)
class Typed:
    """Something a learner types, and what it must do: the same as sending `same_as` (a
    button's payload, or an answer as written)."""

    text: str
    means: str
    same_as: dict[str, str]
    option: int | None = None  # the option the reader must read `text` as


def typed_forms(lesson: Lesson, step: Step, learner: Learner) -> list[Typed]:
    """Each option's label typed plainly, and its place among the buttons shown (a quiz's
    are shuffled: "2" is the second button the learner sees)."""
    mark = payloads.step_mark(lesson.id, step)
    if isinstance(step, Quiz) and step.answers:
        answer = step.answers[0]
        return [Typed(fold(answer), f"the answer {answer!r}", {"text": answer})]
    if step.options:
        typed = []
        for k, option in enumerate(step.options):
            tap = {"payload": payloads.option(mark, k)}
            typed.append(Typed(fold(option.label), f"option {option.label!r}", tap, option=k))
        for place, (label, payload) in enumerate(learner.buttons, start=1):
            means = f"button {place} {label!r}"
            tap = {"payload": payload}
            typed += [Typed(number, means, tap) for number in (f"{place}", f"so {place}")]
        return typed
    return [Typed(word, "continue", {"payload": payloads.go_on(mark)}) for word in GO_ON]


def send(chat: Chat, learner: Learner, **inbound: str) -> tuple[Learner, list[Outbound]]:
    """The engine's answer to one message from a learner in this state (`handle` is pure)."""
    chat.learner = learner
    replies = chat.send(**inbound)
    assert chat.learner is not None
    return chat.learner, replies


def said(replies: list[Outbound]) -> list[str]:
    return [reply.text for reply in replies]


def at(learner: Learner) -> str:
    position = learner.position
    return "the end of the lesson" if position is None else f"step {position.step!r}"


def reading_problem(step: Step, typed: Typed) -> str | None:
    """Whether the reader reads the typed label as its own option, and nothing else."""
    if typed.option is None:
        return None
    reading = read_option(typed.text, [option.phrases for option in step.options])
    if reading.option == typed.option:
        return None
    if reading.option is not None:
        return f"is read as option {reading.option + 1} {step.options[reading.option].label!r}"
    if reading.candidates:
        fits = [f"{k + 1} {step.options[k].label!r}" for k in reading.candidates]
        return f"is not understood: it fits options {', '.join(fits)} alike"
    return "is not understood"


def typing_problems(content: Content, lesson_id: str) -> list[str]:
    """At every state the lesson reaches, each typed form must do what its button does."""
    lesson = content.lessons[lesson_id]
    chat = Chat(content)
    chat.send(start="")
    chat.send(payload=payloads.lesson(lesson_id))
    first = chat.learner
    assert first is not None and first.position is not None, f"{lesson_id} did not start"
    seen = {state(first.position)}
    waiting = deque([first])
    problems = []
    while waiting:
        learner = waiting.popleft()
        assert learner.position is not None
        here = where(lesson, state(learner.position))
        step = lesson.step(learner.position.step)
        for typed in typed_forms(lesson, step, learner):
            want, wanted = send(chat, learner, **typed.same_as)
            got, answered = send(chat, learner, text=typed.text)
            wrong = reading_problem(step, typed)
            if wrong is None and (got.position, got.results) != (want.position, want.results):
                first_line = answered[0].text.splitlines()[0] if answered else "nothing"
                wrong = f"goes to {at(got)}, not {at(want)}; the bot says {first_line!r}"
            elif wrong is None and said(answered) != said(wanted):
                wrong = f"gets other messages than a tap: {said(answered)} / {said(wanted)}"
            if wrong is None and isinstance(step, Quiz) and step.answers:
                right = content.messages.text("quiz.right", explain=step.explain or "")
                if right not in "\n\n".join(said(answered)):
                    wrong = f"is not taken as right: the bot says {said(answered)}"
            if wrong:
                problems.append(f"{here}: typing {typed.text!r} for {typed.means} {wrong}")
            if want.position is not None and state(want.position) not in seen:
                seen.add(state(want.position))
                waiting.append(want)
    return problems


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_typing_without_diacritics_does_what_the_buttons_do(
    content: Content, lesson_id: str
) -> None:
    problems = typing_problems(content, lesson_id)
    assert not problems, summed_up(problems)


def free_answer_problems(lesson: Lesson) -> list[str]:
    """Every accepted free answer, not only the first, typed without diacritics is read."""
    return [
        f"{lesson.id} step {step.id!r}: {fold(answer)!r} is not read as {answer!r}"
        for step in lesson.steps
        if isinstance(step, Quiz)
        for answer in step.answers
        if not read_answer(fold(answer), [answer])
    ]


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_accepted_free_answer_is_read_without_diacritics(
    content: Content, lesson_id: str
) -> None:
    problems = free_answer_problems(content.lessons[lesson_id])
    assert not problems, summed_up(problems)


# -- whole runs through the engine ------------------------------------------------------------


def typed_reply(lesson: Lesson, step: Step, graph: Graph, *, right: bool, turn: int) -> str:
    """What the learner types at a step: the right (or a wrong) answer to a quiz, the option
    of an `ask` nearest the end of the lesson, or a word that means "go on"."""
    if isinstance(step, Quiz) and step.answers:
        return fold(step.answers[0]) if right else WRONG_FREE_ANSWER
    if isinstance(step, Quiz):
        picked: Option = next(option for option in step.options if option.correct == right)
        return fold(picked.label)
    if step.options:
        distance = distances_to_end(graph)
        ahead = {
            move.choice.name: 0 if move.target is None else distance.get(move.target, 10**6)
            for move in graph.moves
            if move.source == (step.id, 0)
        }
        k = min(range(len(step.options)), key=lambda k: ahead[choices(step)[k].name])
        return fold(step.options[k].label)
    return GO_ON[turn % len(GO_ON)]


def run_lesson(
    chat: Chat, content: Content, lesson: Lesson, *, right: bool
) -> tuple[list[Outbound], str]:
    """Type through the lesson the chat is at, to its end. The messages the bot sent, and a
    problem ("" when none): a reply not read, or no end in sight."""
    graph = explore(lesson, content.words)
    sent: list[Outbound] = []
    for turn in range(MAX_REPLIES):
        learner = chat.learner
        assert learner is not None
        position = learner.position
        if position is None or position.lesson != lesson.id:
            return sent, ""
        step = lesson.step(position.step)
        text = typed_reply(lesson, step, graph, right=right, turn=turn)
        sent += chat.send(text)
        after = chat.learner.position if chat.learner else None
        if after is not None and state(after) == state(position):
            return sent, f"{where(lesson, state(position))}: {text!r} is not read: {chat.text!r}"
    return sent, f"{lesson.id}: no end after {MAX_REPLIES} replies"


def start(chat: Chat, lesson_id: str) -> None:
    if chat.learner is None:
        chat.send(start="")
    chat.send(payload=payloads.lesson(lesson_id))


def result_of(chat: Chat, lesson_id: str) -> tuple[str, float, int] | None:
    result = chat.learner.results.get(lesson_id) if chat.learner else None
    return None if result is None else (result.status, result.score, result.attempts)


def pass_problems(content: Content, lesson_id: str) -> list[str]:
    """A whole run with every answer right, typed without diacritics, passes with 1.0."""
    lesson = content.lessons[lesson_id]
    chat = Chat(content)
    start(chat, lesson_id)
    _, stuck = run_lesson(chat, content, lesson, right=True)
    if stuck:
        return [stuck]
    if result_of(chat, lesson_id) != ("passed", 1.0, 1):
        return [f"{lesson_id}: a run with every answer right gives {result_of(chat, lesson_id)}"]
    return []


def retake_problems(content: Content, lesson_id: str) -> list[str]:
    """Every quiz wrong until revealed fails; the retake button, then every answer right,
    passes."""
    lesson = content.lessons[lesson_id]
    chat = Chat(content)
    start(chat, lesson_id)
    _, stuck = run_lesson(chat, content, lesson, right=False)
    if stuck:
        return [stuck]
    failed = result_of(chat, lesson_id)
    if failed is None or failed[0] != "failed":
        return [f"{lesson_id}: a run with every answer wrong gives {failed}"]
    chat.tap(content.messages.text("buttons.retake"))
    _, stuck = run_lesson(chat, content, lesson, right=True)
    if stuck:
        return [stuck]
    if result_of(chat, lesson_id) != ("passed", 1.0, 2):
        return [f"{lesson_id}: the retake after failing gives {result_of(chat, lesson_id)}"]
    return []


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_a_whole_run_typed_without_diacritics_passes(content: Content, lesson_id: str) -> None:
    problems = pass_problems(content, lesson_id)
    assert not problems, summed_up(problems)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_a_retake_after_failing_passes(content: Content, lesson_id: str) -> None:
    problems = retake_problems(content, lesson_id)
    assert not problems, summed_up(problems)


def award_opening(content: Content, certificate: Certificate) -> str:
    """The start of the message that awards this certificate, up to its code."""
    text = content.messages.text("finish.certificate", title=certificate.title, code="\0")
    return text.split("\0")[0]


def certificate_problems(content: Content) -> list[str]:
    """One learner passes every lesson in menu order, then takes every lesson again: each
    certificate is awarded, with its message, right after the last of its lessons is passed,
    and never again."""
    chat = Chat(content)
    problems: list[str] = []
    passed: set[str] = set()
    earned: dict[str, Earned] = {}
    for lap in ("first", "again"):
        for lesson in content.lessons.values():
            start(chat, lesson.id)
            sent, stuck = run_lesson(chat, content, lesson, right=True)
            assert chat.learner is not None
            if stuck or not chat.learner.passed(lesson.id):
                problems.append(stuck or f"{lesson.id}: not passed")
                continue
            passed.add(lesson.id)
            due = {
                certificate.id
                for certificate in content.certificates
                if certificate.id not in earned and set(certificate.lessons) <= passed
            }
            new = set(chat.learner.certificates) - set(earned)
            if new != due:
                problems.append(
                    f"passing {lesson.id} ({lap}) awards {sorted(new)}, not {sorted(due)}"
                )
            text = "\n".join(said(sent))
            for certificate in content.certificates:
                times = text.count(award_opening(content, certificate))
                if times != (certificate.id in due):
                    problems.append(
                        f"passing {lesson.id} ({lap}) says {certificate.id!r} is awarded "
                        f"{times} time(s)"
                    )
            for certificate_id in sorted(due & new):
                code = chat.learner.certificates[certificate_id].code
                if f"*{code}*" not in text:
                    problems.append(f"the code {code} of {certificate_id!r} is not shown")
            changed = {
                cid for cid, was in earned.items() if chat.learner.certificates.get(cid) != was
            }
            if changed:
                problems.append(f"passing {lesson.id} ({lap}) awards {sorted(changed)} again")
            earned.update({cid: chat.learner.certificates[cid] for cid in new})
    missing = {certificate.id for certificate in content.certificates} - set(earned)
    if missing:
        problems.append(f"never awarded: {sorted(missing)}")
    return problems


def test_passing_every_lesson_awards_each_certificate_once(content: Content) -> None:
    problems = certificate_problems(content)
    assert not problems, summed_up(problems)


def test_one_certificate_needs_every_lesson(content: Content) -> None:
    overall = [c for c in content.certificates if set(c.lessons) == set(content.lessons)]
    assert overall, "no certificate lists every lesson"
    assert sorted(content.lessons) == LESSON_IDS, "a lesson file did not load"


# -- the checks catch what they should --------------------------------------------------------


def test_the_walk_catches_a_loop_with_no_way_out(tmp_path: Path) -> None:
    content = sample(tmp_path, "vong-lap")  # the loader accepts it
    problems = machine_problems(content.lessons["vong-lap"], content.words)
    assert "vong-lap step 'vong': no way on from here ever finishes the lesson" in problems
    assert any("a path gets stuck" in problem for problem in problems)


def test_the_walk_catches_a_step_no_path_shows() -> None:
    lesson = Lesson(
        id="cut",
        title="Bài cụt",
        steps=(
            Say(id="a", text="Bước một."),
            Quiz(
                id="cau-1",
                text="Đúng không?",
                options=(Option("Đúng", correct=True), Option("Sai")),
                explain="Đúng.",
                end=True,
            ),
            Say(id="b", text="Không ai thấy bước này."),
        ),
    )
    assert machine_problems(lesson, Words()) == ["cut: steps no path shows: ['b']"]


@pytest.mark.parametrize(
    ("passed", "expected"),
    [
        (True, "every quiz wrong until revealed, yet passed"),
        (False, "every quiz right at once, yet"),
    ],
)
def test_the_walk_catches_wrong_scoring(
    content: Content, monkeypatch: pytest.MonkeyPatch, passed: bool, expected: str
) -> None:
    real = machine.finish

    def broken(lesson: Lesson, position: Position) -> Finished:
        finished = real(lesson, position)
        return Finished(finished.lesson_id, finished.score, passed, finished.right, finished.asked)

    monkeypatch.setattr(machine, "finish", broken)
    problems = path_problems(content.lessons["an-toan-otp"], content.words)
    assert any(expected in problem for problem in problems), problems


def test_the_free_answer_check_catches_an_answer_not_read(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(__name__ + ".read_answer", lambda text, answers: text in answers)
    assert free_answer_problems(content.lessons["an-toan-otp"]) == [
        "an-toan-otp step 'cau-4': 'mot nam sau' is not read as 'một năm sáu'",
        "an-toan-otp step 'cau-4': 'mot tram nam muoi sau' is not read as 'một trăm năm mươi sáu'",
    ]


def test_the_retake_check_catches_a_retake_that_does_not_pass(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = machine.finish

    def never_passed(lesson: Lesson, position: Position) -> Finished:
        finished = real(lesson, position)
        return Finished(finished.lesson_id, finished.score, False, finished.right, finished.asked)

    monkeypatch.setattr(machine, "finish", never_passed)
    assert retake_problems(content, "an-toan-otp") == [
        "an-toan-otp: the retake after failing gives ('failed', 1.0, 2)"
    ]


def test_typing_catches_labels_that_read_alike_without_diacritics(tmp_path: Path) -> None:
    content = sample(tmp_path, "doc-nham")
    problems = typing_problems(content, "doc-nham")
    assert (
        "doc-nham step 'can-gi': typing 'ban' for option 'Bàn' is not understood: it fits "
        "options 1 'Bàn', 2 'Bán' alike" in problems
    )
    assert any("typing '2' for button 2 '1 lần'" in problem for problem in problems), problems


def test_a_run_that_cannot_be_typed_is_reported(tmp_path: Path) -> None:
    content = sample(tmp_path, "doc-nham")
    problems = pass_problems(content, "doc-nham")
    assert len(problems) == 1 and "doc-nham step 'can-gi': 'ban' is not read" in problems[0]


def test_certificates_awarded_twice_are_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = fixture_content(tmp_path)
    assert certificate_problems(content) == []

    def award_again(
        learner: Learner,
        certificates: tuple[Certificate, ...],
        at: str,
        make_code: Callable[[], str],
    ) -> list[Certificate]:
        """Awards every certificate whose lessons are passed, had the learner it or not."""
        due = [c for c in certificates if all(learner.passed(lid) for lid in c.lessons)]
        for certificate in due:
            learner.certificates[certificate.id] = Earned(earned_at=at, code=make_code())
        return due

    monkeypatch.setattr("bot.engine.award", award_again)
    problems = certificate_problems(content)
    assert any("awards ['chi-mau', 'mau-va-sau'] again" in p for p in problems), problems


def test_fold_types_as_a_learner_without_diacritics() -> None:
    assert fold("Đã cài, CHƯA được ▶") == "da cai, chua duoc ▶"
    assert fold("Khoẻ, khỏe, hoà") == "khoe, khoe, hoa"
