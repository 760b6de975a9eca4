"""On a channel without buttons (the Zalo Bot Platform) the words that tell a learner to tap a
button of the message are said for typing its number (`bot.typed`); everything else stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import load_content
from bot.engine import Engine
from bot.inbound import Inbound
from bot.typed import typed
from handlers.zalo_bot.render import render

CONTENT = load_content(Path(__file__).resolve().parent.parent / "content")
MESSAGES = CONTENT.messages


def number(n: int, label: str) -> str:
    return MESSAGES.text("channel.type_number", number=n, label=label)


BELOW = MESSAGES.text("channel.type_below")


def upper(text: str) -> str:
    return text[:1].upper() + text[1:]


CASES = [
    ("Xong thì bác bấm *Tiếp tục ▶*.", ["Tiếp tục ▶"], f"Xong thì bác {number(1, 'Tiếp tục ▶')}."),
    ("Bấm nút *Tiếp tục*.", ["Quay lại", "Tiếp tục ▶"], upper(number(2, "Tiếp tục")) + "."),
    ("bấm nút *Bắt đầu ▶* nhé", ["Bắt đầu ▶"], f"{number(1, 'Bắt đầu ▶')} nhé"),
    ("Bác chạm vào nút bên dưới để đi tiếp.", ["Tiếp"], f"Bác {BELOW} để đi tiếp."),
    ("Bác bấm *Cài đặt* trên máy.", ["Tiếp tục ▶"], "Bác bấm *Cài đặt* trên máy."),
    ("Bác bấm *Tiếp tục ▶*.", [], "Bác bấm *Tiếp tục ▶*."),
    ("Không có gì để đổi.", ["Có"], "Không có gì để đổi."),
]


@pytest.mark.parametrize(("text", "labels", "expected"), CASES)
def test_tapping_words_are_said_for_typing(text: str, labels: list[str], expected: str) -> None:
    assert typed(text, labels, MESSAGES) == expected


def _messages() -> list[object]:
    """Every step of every lesson as the engine shows it (its buttons included)."""
    engine = Engine(CONTENT)
    cases = []
    for lesson in CONTENT.lessons.values():
        for step in lesson.steps:
            learner, _ = engine.handle(None, Inbound("zb:1", start=lesson.id))
            assert learner is not None and learner.position is not None
            learner.position.step = step.id
            _, replies = engine.handle(learner, Inbound("zb:1", text="lặp lại"))
            for reply in replies:
                cases.append(pytest.param(reply, id=f"{lesson.id}:{step.id}"))
    return cases


@pytest.mark.parametrize("reply", _messages())
def test_no_zalo_bot_message_tells_a_learner_to_tap_a_button(reply: object) -> None:
    from bot.outbound import Outbound

    assert isinstance(reply, Outbound)
    text = "\n".join(part.text for part in render(reply, MESSAGES)).casefold()
    for phrase in MESSAGES.words("words.tap_below"):
        assert phrase.casefold() not in text
    for button in reply.buttons:
        for verb in ("bấm", "chạm", "nhấn"):
            for middle in (" ", " nút ", " vào nút ", " vào "):
                assert f"{verb}{middle}{button.label.casefold()}" not in text, button.label
