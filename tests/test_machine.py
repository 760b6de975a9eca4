"""The lesson state machine, from the table in tests/data/machine.yaml, and back/repeat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import Content
from lessons import machine
from lessons.events import AtStart, Event, Finished, Shown
from lessons.loader import load_lesson
from lessons.position import Position
from lessons.reply import Reply
from support.chat import fixture_content

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "machine.yaml").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return fixture_content(tmp_path_factory.mktemp("machine"))


def reply_of(text: str) -> Reply:
    if text == ">":
        return Reply(go_on=True)
    if text.startswith("#"):
        return Reply(option=int(text[1:]) - 1)
    return Reply(text=text)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_machine_case(content: Content, case: dict[str, Any]) -> None:
    lesson = content.lessons[case["lesson"]]
    position, events = machine.start(lesson, at="2026-11-23T10:00:00+07:00")
    for text in case["replies"]:
        assert position is not None, f"the lesson ended before {text!r}"
        position, events = machine.answer(lesson, position, reply_of(text), content.words)
    if "events" in case:
        assert [type(event).__name__ for event in events] == case["events"]
    if "step" in case:
        assert position is not None and position.step == case["step"]
    if "finished" in case:
        assert position is None
        finished = events[-1]
        assert isinstance(finished, Finished)
        assert {k: getattr(finished, k) for k in case["finished"]} == case["finished"]


def test_back_and_repeat(content: Content) -> None:
    lesson = content.lessons["mau"]
    position, _ = machine.start(lesson, at="t")
    assert position is not None
    position, events = machine.back(lesson, position)
    assert [type(e) for e in events] == [AtStart, Shown]
    for text in [">", "#1", ">"]:
        result, _ = machine.answer(lesson, position, reply_of(text), content.words)
        assert result is not None
        position = result
    assert position.step == "cau-1" and position.history == ["chao", "loai-may", "android"]
    position, events = machine.back(lesson, position)
    assert position.step == "android" and position.history == ["chao", "loai-may"]
    assert machine.repeat(lesson, position) == [Shown(lesson.step("android"), first=False)]


def test_answer_does_not_change_the_given_position(content: Content) -> None:
    lesson = content.lessons["mau"]
    position = Position(lesson="mau", step="cau-1", started_at="t", history=["chao"])
    machine.answer(lesson, position, Reply(option=1), content.words)
    assert position == Position(lesson="mau", step="cau-1", started_at="t", history=["chao"])


def test_a_wait_false_say_as_the_last_step_finishes(content: Content) -> None:
    lesson = content.lessons["sau"]
    position, _ = machine.start(lesson, at="t")
    assert position is not None
    position, events = machine.answer(lesson, position, Reply(go_on=True), content.words)
    assert position is not None
    end, events = machine.answer(lesson, position, Reply(option=0), content.words)
    assert end is None and isinstance(events[-1], Finished)
    kinds: list[type[Event]] = [type(e) for e in events]
    assert kinds == [Shown, Finished]


def test_back_after_an_edit_that_left_nothing_waiting_stays(tmp_path: Path) -> None:
    """History holds steps that waited; after `wait: false` was added to them, going back
    would run to the end of the lesson: the learner stays where they are instead."""
    (tmp_path / "lessons").mkdir()
    path = tmp_path / "lessons" / "sua.yaml"
    path.write_text(
        "id: sua\ntitle: Bài sửa\nsteps:\n"
        "  - {id: a, say: Một., wait: false}\n"
        "  - {id: b, say: Hai., wait: false}\n"
        "  - {id: c, say: Ba.}\n",
        encoding="utf-8",
    )
    lesson, problems = load_lesson(path, tmp_path)
    assert lesson is not None, problems
    position = Position(lesson="sua", step="b", started_at="t", history=["a"])
    after, events = machine.back(lesson, position)
    assert after == position
    assert events == [Shown(lesson.step("b"), first=False)]
