"""A way out at questions a learner may not know the answer to (tests/data/way_out.yaml):
the "Tôi không biết" option is there and read, and the plain yes and no still are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import Content, load_content
from lessons.reading import read_option

REPO = Path(__file__).resolve().parents[1]
QUESTIONS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "way_out.yaml").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(REPO / "content")


@pytest.mark.parametrize(
    "question", QUESTIONS, ids=[f"{q['lesson']}-{q['step']}" for q in QUESTIONS]
)
def test_a_question_with_a_way_out_reads_plain_replies(
    content: Content, question: dict[str, Any]
) -> None:
    step = content.lessons[question["lesson"]].step(question["step"])
    labels = [option.label for option in step.options]
    phrases = [option.phrases for option in step.options]
    wrong = []
    for reply, label in question["replies"].items():
        reading = read_option(str(reply), phrases)
        got = None if reading.option is None else labels[reading.option]
        if got != label:
            wrong.append(f"{reply!r} is read as {got!r}, not {label!r}")
    assert not wrong, "\n".join(wrong)


def test_the_way_out_is_the_last_option(content: Content) -> None:
    """The first reply of each entry names the way out; it comes after the real answers."""
    for question in QUESTIONS:
        step = content.lessons[question["lesson"]].step(question["step"])
        way_out = next(iter(question["replies"].values()))
        assert step.options[-1].label == way_out, f"{question['lesson']} {question['step']}"
