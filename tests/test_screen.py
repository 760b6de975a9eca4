"""The screen budget (lessons/screen.py): how many lines a message takes, from a table of
cases (tests/data/screen.yaml); and `hocso lint`'s warning for a step over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import cli
from lessons import screen
from support.chat import fixture_content

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


def lint(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = cli.main(["lint", str(root)])
    return code, capsys.readouterr().out.splitlines()


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
    assert out[:2] == [
        f"{path}:{line_of(LONG, 'dai-qua')}: warning: steps[1] (id 'dai-qua'): this message "
        f"takes 14 lines of a phone screen (text 12, buttons 2), 1 more than the 13 that fit: "
        f"{split}",
        f"{path}:{line_of(LONG, 'noi-tiep')}: warning: steps[2] (id 'noi-tiep'): the message "
        "with 'hieu-chua' shown at once after it takes 14 lines of a phone screen (text 10, "
        f"buttons 4), 1 more than the 13 that fit: {split}",
    ]
    wrong = f"{path}:{line_of(LONG, 'cau-1')}: warning: steps[4] (id 'cau-1'): the message "
    assert out[2].startswith(wrong + "after a wrong answer takes ")
    assert out[2].endswith("that fit: shorten the 'hint' or the options")
    assert out[3:] == [
        f"{path}:{line_of(LONG, 'het')}: warning: steps[5] (id 'het'): its text has 359 "
        f"characters, 9 more than the 350 a step may have: {split}",
        f"{root}: 3 lessons, 2 certificates, no problems, 4 warnings",
    ]
