"""The screen budget (lessons/screen.py): how many lines a message takes, from a table of
cases (tests/data/screen.yaml); `hocso lint`'s warning for a step over it; and every message
of every lesson of content/, and every sentence of its messages.yaml, measured against it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import cli
from bot import payloads
from bot.content import Content, load_content
from bot.engine import Engine
from bot.inbound import Inbound
from bot.learner import Learner
from bot.lint import measure, step_messages, visible
from bot.messages import TEXTS
from lessons import screen
from lessons.position import Position
from lessons.steps import Quiz, Say, Step
from support.chat import NOW, REPO, Chat, fixture_content

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "screen.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_lines_of_a_message(case: dict[str, Any]) -> None:
    buttons = case.get("buttons", [])
    image = case.get("image", False)
    assert screen.lines(case["text"], buttons, image=image) == case["lines"]
    assert screen.fits(case["text"], buttons, image=image) is (case["lines"] <= screen.MAX_LINES)


def test_a_message_over_the_budget_says_by_how_much() -> None:
    text = "\n".join(f"Dòng {n}" for n in range(12))
    size = screen.measure(text, ["Tiếp tục ▶"])
    assert (size.text, size.buttons, size.image, size.lines, size.over) == (12, 2, 0, 14, 1)
    assert not screen.fits(text, ["Tiếp tục ▶"])
    assert screen.measure(text).over == 0


LONG = "\n".join(
    [
        "id: dai",
        "title: Bài dài",
        "steps:",
        "  - id: chao",
        "    say: Chào bác!",
        "  - id: dai-qua",
        "    say: |",
        *(f"      Dòng {n}." for n in range(1, 13)),
        "  - id: noi-tiep",
        "    say: |",
        *(f"      Ý {n}." for n in range(1, 9)),
        "    wait: false",
        "  - id: hieu-chua",
        "    ask: Bác đã hiểu chưa?",
        "    options:",
        "      - label: Rồi",
        "      - label: Chưa",
        "  - id: cau-1",
        "    quiz: Ai được biết mã OTP?",
        "    options:",
        "      - label: Chỉ mình tôi",
        "        correct: true",
        "      - label: Công an",
        "      - label: Ngân hàng",
        "      - label: Con cháu",
        "    hint: |",
        *(f"      Gợi ý {n}." for n in range(1, 7)),
        "    explain: Chỉ mình bác.",
        "  - id: het",
        "    say: " + "Chín chữ. " * 36,
        "",
    ]
)


def line_of(text: str, step_id: str) -> int:
    return text[: text.index(f"  - id: {step_id}\n")].count("\n") + 1


QUIZ_WARNINGS = ("multiple-choice quiz", "the right answer of all")  # tests/test_guessing.py


def lint(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """Lint's exit code and its lines, without the quizzes' warnings (tested elsewhere) and
    without the count of warnings at the end of the summary."""
    code = cli.main(["lint", str(root)])
    lines = capsys.readouterr().out.splitlines()
    kept = [line for line in lines if not any(quiz in line for quiz in QUIZ_WARNINGS)]
    return code, [*kept[:-1], re.sub(r", \d+ warnings?$", "", kept[-1])]


def test_lint_is_quiet_about_messages_that_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fixture_content(tmp_path).root
    assert lint(root, capsys) == (0, [f"{root}: 2 lessons, 2 certificates, no problems"])


def test_lint_warns_about_messages_too_long_for_the_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fixture_content(tmp_path, {"dai": LONG}).root
    path = root / "lessons" / "dai.yaml"

    code, out = lint(root, capsys)

    assert code == 0, "a warning does not stop the bot, so lint does not fail"
    split = "split it into two steps, one action in each, or cut words"
    # 'noi-tiep' does not wait: the engine sends it apart from 'hieu-chua' when the two
    # would not fit one screen together, so neither is too long.
    assert out[:1] == [
        f"{path}:{line_of(LONG, 'dai-qua')}: warning: steps[1] (id 'dai-qua'): this message "
        f"takes 14 lines of a phone screen (text 12, buttons 2), 1 more than the 13 that fit: "
        f"{split}",
    ]
    wrong = f"{path}:{line_of(LONG, 'cau-1')}: warning: steps[4] (id 'cau-1'): the message "
    assert out[1].startswith(wrong + "after a wrong answer takes ")
    assert out[1].endswith("that fit: shorten the 'hint' or the options")
    assert out[2:] == [
        f"{path}:{line_of(LONG, 'het')}: warning: steps[5] (id 'het'): its text has 359 "
        f"characters, 9 more than the 350 a step may have: {split}",
        f"{root}: 3 lessons, 2 certificates, no problems",
    ]


# -- the real content ---------------------------------------------------------------------------

LESSON_IDS = sorted(path.stem for path in (REPO / "content" / "lessons").glob("*.yaml"))


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(REPO / "content")


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_message_of_every_step_fits_the_screen(content: Content, lesson_id: str) -> None:
    """Each step as the engine renders it (the lesson title above the first; its options, or
    its continue button when it waits; a `wait: false` step joined to what follows it), and
    the hint after a wrong answer with the options again."""
    lesson = content.lessons[lesson_id]
    made = list(step_messages(content, lesson))
    assert {message.step.id for message in made} == {step.id for step in lesson.steps}
    over = []
    for message in made:
        size = message.screenful
        characters = screen.characters(visible(message.step.text))
        if size.over or characters > screen.MAX_CHARACTERS:
            when = f" ({message.when})" if message.when else ""
            over.append(
                f"{lesson_id} {message.where}{when}: {size.lines} lines (text {size.text}, "
                f"buttons {size.buttons}, picture {size.image}), {characters} characters"
            )
    assert not over, "\n".join(over)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_the_first_step_is_measured_as_the_engine_sends_it(
    content: Content, lesson_id: str
) -> None:
    """The messages measured above are the engine's own: a lesson link opens the lesson with
    exactly the first step's message."""
    chat = Chat(content)
    sent = chat.send(start=lesson_id)
    first = next(step_messages(content, content.lessons[lesson_id]))
    assert sent[-1] == first.message


def fills(content: Content) -> dict[str, str]:
    """A value for every placeholder of messages.yaml: the longest it takes with content/, the
    worst a learner sees. {explain} and {hint} are lesson text, measured with the lessons."""
    lessons = list(content.lessons.values())
    quizzes = [step for lesson in lessons for step in lesson.steps if isinstance(step, Quiz)]
    titles = [lesson.title for lesson in lessons] + [c.title for c in content.certificates]
    continues = [content.messages.text("buttons.continue")]
    continues += [s.button for lesson in lessons for s in lesson.steps if isinstance(s, Say)]
    return {
        "title": max(titles, key=len),
        "minutes": str(max(lesson.minutes or 0 for lesson in lessons)),
        "page": "2",
        "pages": "2",
        "passed": str(len(lessons)),
        "total": str(len(lessons)),
        "right": "5",
        "asked": "6",
        "needed": "5",
        "percent": "100",
        "date": "23/11/2026",
        "code": "HS-7K2P-9QXD",
        "button": max((label for label in continues if label), key=len),
        "number": "4",
        "step": "12",
        "steps": "15",
        "next": max((lesson.title for lesson in lessons), key=len),
        "label": max((o.label for s in quizzes for o in s.options), key=len),
        "options": numbered(content, most_options(content)),
        "answer": max((quiz.right_answer for quiz in quizzes), key=len),
        "explain": "",
        "hint": "",
        "help": content.messages.text("buttons.help"),
        "person": content.messages.text("buttons.person"),
        "name": "Nguyễn Thị Thanh Hường",  # a long name of four words
        "hour": "6:30",
        # A helper's answer: a few sentences, as one types in a chat.
        "text": "Bác đừng lo. Bác gọi ngay số tổng đài in sau thẻ ngân hàng để khóa tài khoản, "
        "rồi ra công an xã trình báo nhé. Cháu sẽ gọi lại cho bác chiều nay.",
    }


def most_options(content: Content) -> Step:
    """The step whose options take the most lines as buttons."""
    steps = [step for lesson in content.lessons.values() for step in lesson.steps]
    return max(steps, key=lambda step: sum(screen.button_lines(o.label) for o in step.options))


def numbered(content: Content, step: Step) -> str:
    say = content.messages.text
    return "\n".join(
        say("reading.option", number=k, label=o.label) for k, o in enumerate(step.options, 1)
    )


# The buttons bot/engine.py sends with a sentence, where they are always the same.
RESUME = ("buttons.resume", "buttons.menu")
HELP = ("buttons.help", "buttons.person")
BACK = ("buttons.back_to_lesson",)
BUTTONS = {
    "help": ("buttons.resume", "buttons.person"),
    "person.opened": BACK,
    "person.opened_night": BACK,
    "person.opened_dawn": BACK,
    "person.distress": ("buttons.person", "buttons.keep_learning"),
    "person.relayed": BACK,
    "person.masked": BACK,
    "person.waiting": BACK,
    "person.media": BACK,
    "person.done": RESUME,
    "person.expired": RESUME,
    "delete.unclear": ("buttons.delete_yes", "buttons.delete_no"),
    "delete.done": ("buttons.menu",),
    "lost.free_answer": HELP,
    "stop": RESUME,
    "remind.later": RESUME,
    "remind.off": RESUME,
    "remind.on": RESUME,
    "remind.lesson": ("buttons.resume_place", "buttons.remind_off"),
    "remind.next": ("buttons.next_lesson", "buttons.remind_off"),
    "delete.cancelled": RESUME,
    "delete.confirm": ("buttons.delete_yes", "buttons.delete_no"),
    "finish.failed": ("buttons.retake", "buttons.menu"),
    "finish.next": ("buttons.next_lesson", "buttons.menu"),
    "certificate.ask_name": ("certificate.later",),  # and the chat's name: see below
    "certificate.rename": ("certificate.keep",),
    "certificate.name_kept": ("certificate.show", *RESUME),
    "certificate.shown": ("certificate.change_name", *RESUME),
}
NAMED = ("certificate.ask_name", "certificate.rename", "certificate.name_invalid")
CONTINUE = ("reading.say", "reading.not_yet")  # with the continue button named in the text
OPTION_BUTTONS = ("reading.options", "reading.ambiguous", "quiz.wrong", "quiz.wrong_hint")
# Button labels; the web page's, posters', printed certificates' and /verify's words.
NOT_MESSAGES = ("buttons.", "web.", "poster.", "paper.", "verify.")


def test_every_sentence_of_messages_yaml_fits_the_screen(content: Content) -> None:
    """Each sentence alone, its placeholders filled with the longest real values, with the
    buttons that always come with it (option buttons: those of the step with the most)."""
    values = fills(content)
    widest = most_options(content)
    over = []
    for key in TEXTS:
        if key.startswith(NOT_MESSAGES):
            continue
        text = visible(content.messages.text(key, **values))
        labels = [content.messages.text(name, **values) for name in BUTTONS.get(key, ())]
        if key in OPTION_BUTTONS:
            labels = [option.label for option in widest.options]
        elif key in CONTINUE:
            labels = [values["button"]]
        elif key == "lost.options":  # the person's button only where it fits (bot.engine)
            labels = [option.label for option in widest.options] + [values["help"]]
        elif key == "lost.say":
            labels = [values["button"], values["help"], values["person"]]
        if key in NAMED:  # the name the chat shows, offered as a button
            labels = [values["name"], *labels]
        size = screen.measure(text, labels)
        if size.over:
            over.append(
                f"{key}: {size.lines} lines (text {size.text}, buttons {size.buttons}), "
                f"{size.over} over"
            )
    assert not over, "shorten these in messages.yaml (over the screen budget):\n" + "\n".join(over)


def _quiz_taps(content: Content) -> list[object]:
    cases = []
    for lesson in content.lessons.values():
        for step in lesson.steps:
            if isinstance(step, Quiz) and step.options:
                for index in range(len(step.options)):
                    cases.append(pytest.param(lesson.id, step.id, index, id=f"{step.id}:{index}"))
    return cases


@pytest.mark.parametrize(
    ("lesson_id", "step_id", "option"), _quiz_taps(load_content(REPO / "content"))
)
def test_every_answer_the_engine_sends_fits_the_screen(
    content: Content, lesson_id: str, step_id: str, option: int
) -> None:
    """The praise or hint joined to what comes next ("✅ Đúng rồi! …" above the next
    question, the congratulations above what to learn next) is one message only where that
    fits a screen; otherwise the engine sends it apart."""
    lesson = content.lessons[lesson_id]
    learner = Learner.new("t:1", NOW)
    learner.position = Position(lesson_id, step_id, NOW.isoformat())
    mark = payloads.step_mark(lesson_id, lesson.step(step_id))
    learner.buttons = [
        (o.label, payloads.option(mark, i)) for i, o in enumerate(lesson.step(step_id).options)
    ]
    engine = Engine(content, clock=lambda: NOW)
    _, replies = engine.handle(learner, Inbound("t:1", payload=payloads.option(mark, option)))
    for reply in replies:
        assert not measure(reply).over, (reply.text, [b.label for b in reply.buttons])
