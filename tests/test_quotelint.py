# ruff: noqa: E501 - the tables read best one case a line
"""`hocso lint`'s warning for a label, button, title or answer written in curly quotes (“…”,
‘…’): YAML keeps them as part of the text, so they show on the button. Each row is a lesson
with one such mistake: it must give exactly one warning, at the line of the text."""

from __future__ import annotations

from pathlib import Path

import pytest

import cli
from support.chat import fixture_content

# Lines 1-3; the first step starts on line 4.
HEAD = "id: bai\ntitle: Bài học\nsteps:\n"
ASK = "  - id: a\n    ask: Có không?\n    options:\n"  # lines 4-6; options from line 7
QUIZ = "  - id: a\n    quiz: Số mấy?\n"  # lines 4-5

STRAIGHT = 'use straight quotes ("…"), which YAML removes, or none'

# (lesson YAML, expected line, fragment of the warning)
CASES: list[tuple[str, int, str]] = [
    (HEAD + ASK + "      - label: “Có”\n      - label: Không\n", 7, f"warning: steps[0] (id 'a'): options[0]: 'label' “Có” is in curly quotes, which show on the button: {STRAIGHT}"),
    (HEAD + ASK + "      - label: Có\n      - label: ‘Không’\n", 8, "options[1]: 'label' ‘Không’ is in curly quotes, which show on the button"),
    (HEAD + ASK + "      - label: ”Có“\n      - label: Không\n", 7, "options[0]: 'label' ”Có“ is in curly quotes"),
    (HEAD + ASK + "      - {label: “Có”, also: [có]}\n      - label: Không\n", 7, "options[0]: 'label' “Có” is in curly quotes"),
    (HEAD + ASK + "      - label: Có\n        also: [“có rồi”]\n      - label: Không\n", 8, "options[0]: 'also' “có rồi” is in curly quotes, which a learner does not type"),
    (HEAD + QUIZ + "    answers: [“156”]\n", 6, "steps[0] (id 'a'): 'answers' “156” is in curly quotes, which show when the bot gives the right answer"),
    (HEAD + QUIZ + "    answers: [“156”, “một năm sáu”]\n", 6, "'answers' “156”, “một năm sáu” are in curly quotes"),
    (HEAD + QUIZ + "    answers:\n      - '156'\n      - “một năm sáu”\n", 8, "'answers' “một năm sáu” is in curly quotes"),
    (HEAD + "  - id: a\n    say: Xin chào\n    button: “Tiếp tục ▶”\n", 6, "steps[0] (id 'a'): 'button' “Tiếp tục ▶” is in curly quotes, which show on the button"),
    (HEAD + "  - id: a\n    say: Xin chào\n    links:\n      - {label: “Mở VNeID”, url: 'https://vneid.gov.vn'}\n", 7, "steps[0] (id 'a'): links[0]: 'label' “Mở VNeID” is in curly quotes"),
    ("id: bai\ntitle: “Bài học”\nsteps:\n  - id: a\n    say: Xin chào\n", 2, "warning: 'title' “Bài học” is in curly quotes, which show in the menu"),
]  # fmt: skip

# Curly quotes inside a text are typography, and a step's text is not a button.
QUIET = [
    HEAD + ASK + "      - label: Gõ “dừng”, lúc khác học tiếp\n      - label: Không\n",
    HEAD + "  - id: a\n    say: “Mẹ ơi, con bị tai nạn, chuyển tiền gấp”\n",
    HEAD + QUIZ + "    answers: ['156']\n    explain: “156” là tổng đài báo lừa đảo.\n",
    HEAD + ASK + "      - label: \"Có\"\n      - label: 'Không'\n",
]


def curly_lines(root: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code = cli.main(["lint", str(root)])
    assert code == 0, "a warning does not stop the bot, so lint does not fail"
    return [line for line in capsys.readouterr().out.splitlines() if "curly quotes" in line]


@pytest.mark.parametrize(("text", "line", "fragment"), CASES, ids=[case[2][:50] for case in CASES])
def test_curly_quotes_around_a_button_or_answer_are_one_warning_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, fragment: str
) -> None:
    root = fixture_content(tmp_path, {"bai": text}).root
    path = root / "lessons" / "bai.yaml"
    found = curly_lines(root, capsys)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}:{line}: warning: "), found[0]
    assert fragment in found[0], found[0]


@pytest.mark.parametrize("text", QUIET)
def test_curly_quotes_inside_a_text_are_not_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    root = fixture_content(tmp_path, {"bai": text}).root
    assert curly_lines(root, capsys) == []


def test_a_certificate_title_in_curly_quotes_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fixture_content(tmp_path).root
    path = root / "certificates.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "title: Chứng nhận mẫu", "title: “Chứng nhận mẫu”"
        ),
        encoding="utf-8",
    )
    assert curly_lines(root, capsys) == [
        f"{path}:3: warning: certificates[0] (id 'mau-va-sau'): 'title' “Chứng nhận mẫu” is in "
        f"curly quotes, which show in the menu: {STRAIGHT}"
    ]


def test_the_real_content_has_no_curly_quotes_around_buttons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = Path(__file__).resolve().parents[1] / "content"
    assert curly_lines(root, capsys) == []
