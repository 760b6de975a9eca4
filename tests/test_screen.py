"""The screen budget (lessons/screen.py): how many lines a message takes, from a table of
cases (tests/data/screen.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lessons import screen

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
