"""Typing a button's words does what tapping it does: for every button of every step of
every lesson in `content/`, and every button of the lesson menu, typed plainly (no marks,
no arrows or emoji, lower case) and as written without its arrow.

The tap is the ground truth: the learner after typing must equal the learner after tapping.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import pytest

from bot.content import Content, load_content
from bot.engine import Engine
from bot.inbound import Inbound
from bot.learner import Learner
from bot.render import Renderer
from lessons.position import Position
from lessons.steps import Say
from support.chat import NOW, REPO, Codes

CONTENT: Content = load_content(REPO / "content")


def plainly(label: str) -> str:
    """The label as a learner without a Vietnamese keyboard types it: "toi nho roi"."""
    text = unicodedata.normalize("NFD", label.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip().lower()


def without_arrow(label: str) -> str:
    return re.sub(r"[▶◀👉📋🔁❓✓▸►]", "", label).strip()


def _cases() -> list[object]:
    cases = []
    for lesson in CONTENT.lessons.values():
        renderer = Renderer(CONTENT.messages, lesson)
        for step in lesson.steps:
            if isinstance(step, Say) and not step.waits:
                continue
            if lesson.after(step) is None and isinstance(step, Say):
                continue  # the last step never waits
            for button in renderer.step(step).buttons:
                for typed in sorted({plainly(button.label), without_arrow(button.label)}):
                    name = f"{lesson.id}/{step.id}: {typed}"
                    cases.append(pytest.param(lesson.id, step.id, button.payload, typed, id=name))
    return cases


def _at(lesson_id: str, step_id: str) -> Learner:
    lesson = CONTENT.lessons[lesson_id]
    learner = Learner.new("t:1", NOW)
    learner.position = Position(lesson_id, step_id, NOW.isoformat())
    step = lesson.step(step_id)
    shown = Renderer(CONTENT.messages, lesson).step(step, first=step is lesson.first)
    learner.buttons = [(button.label, button.payload) for button in shown.buttons]
    return learner


def _after(learner: Learner, inbound: Inbound) -> dict[str, object] | None:
    engine = Engine(CONTENT, clock=lambda: NOW, make_code=Codes())
    after, _ = engine.handle(learner, inbound)
    return None if after is None else replace(after, turns=0).to_dict()


@pytest.mark.parametrize(("lesson_id", "step_id", "payload", "typed"), _cases())
def test_typing_a_steps_button_does_what_tapping_it_does(
    lesson_id: str, step_id: str, payload: str, typed: str
) -> None:
    learner = _at(lesson_id, step_id)
    tapped = _after(learner, Inbound("t:1", payload=payload))
    assert _after(learner, Inbound("t:1", text=typed)) == tapped


def _menu_views() -> list[object]:
    """Every view of the menu (the top and each group) with each of its buttons."""
    engine = Engine(CONTENT, clock=lambda: NOW, make_code=Codes())
    learner, replies = engine.handle(None, Inbound("t:1", start=""))
    assert learner is not None
    views = [(learner, replies[-1].buttons)]
    for button in replies[-1].buttons:
        if button.payload.startswith("m:"):
            seen, shown = engine.handle(learner, Inbound("t:1", payload=button.payload))
            assert seen is not None
            views.append((seen, shown[-1].buttons))
    cases = []
    for number, (seen, buttons) in enumerate(views):
        for button in buttons:
            for typed in sorted({plainly(button.label), without_arrow(button.label)}):
                cases.append(pytest.param(seen, button.payload, typed, id=f"{number}: {typed}"))
    return cases


@pytest.mark.parametrize(("learner", "payload", "typed"), _menu_views())
def test_typing_a_menu_button_does_what_tapping_it_does(
    learner: Learner, payload: str, typed: str
) -> None:
    tapped = _after(learner, Inbound("t:1", payload=payload))
    assert _after(learner, Inbound("t:1", text=typed)) == tapped
