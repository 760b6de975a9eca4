"""framework.yaml: the national framework's skills by code, their names as certificates print
them, and what the loader refuses (a row per case, the file's text and the problems)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import check_content, content_version, load_content
from lessons.framework import Framework, load_framework
from lessons.model import Lesson
from support.chat import REPO


def lesson(lesson_id: str, *skills: str) -> Lesson:
    content = load_content(REPO / "content")
    first = next(iter(content.lessons.values()))
    return Lesson(lesson_id, "Bài", first.steps, skills=skills)


GOOD = """\
name: Khung kỹ năng số
url: https://example.gov.vn/khung
skills:
  "0.1": Sử dụng thiết bị
  "4.2": Bảo vệ dữ liệu cá nhân
"""


def test_the_names_by_code(tmp_path: Path) -> None:
    path = tmp_path / "framework.yaml"
    path.write_text(GOOD, encoding="utf-8")
    framework, problems = load_framework(path, {"a": lesson("a", "0.1")})
    assert problems == []
    assert framework.name == "Khung kỹ năng số"
    assert framework.url == "https://example.gov.vn/khung"
    assert framework.named(("0.1", "4.2", "9.9")) == [
        ("0.1", "Sử dụng thiết bị"),
        ("4.2", "Bảo vệ dữ liệu cá nhân"),
        ("9.9", ""),
    ]


def test_no_file_is_an_empty_framework(tmp_path: Path) -> None:
    assert load_framework(tmp_path / "framework.yaml", {}) == (Framework(), [])


BROKEN = [
    # (case, the file, the lessons' codes, the problem)
    ("a code no name is given for", GOOD, ("4.1",),
     "3: 'skills' does not name '4.1', which lesson 'a' has under 'skills': add its name here"),
    ("not a code", GOOD.replace('"4.2"', '"bốn"'), (),
     "5: 'skills': 'bốn' is not a code like \"0.2\""),
    ("an empty name", GOOD.replace("Sử dụng thiết bị", '""'), (),
     "4: skills '0.1' must not be empty"),
    ("skills as a list", "name: Khung\nskills: [0.1]\n", (),
     "2: 'skills' must map codes to names, not a list"),
    ("no name", 'skills:\n  "0.1": Thiết bị\n', (), "1: 'name' is missing"),
    ("plain http", GOOD.replace("https://", "http://"), (),
     "2: 'url' must be an https:// address, not 'http://example.gov.vn/khung'"),
    ("a key it does not know", GOOD + "codes: []\n", (),
     "6: 'codes' is not a key of framework.yaml"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "codes", "problem"), BROKEN, ids=[c[0] for c in BROKEN])
def test_what_the_loader_refuses(
    tmp_path: Path, case: str, text: str, codes: tuple[str, ...], problem: str
) -> None:
    path = tmp_path / "framework.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = load_framework(path, {"a": lesson("a", *codes)})
    assert problem in f"{problems[0].line}: {problems[0].message}"


def test_the_content_names_every_code_its_lessons_carry(tmp_path: Path) -> None:
    """And the file is part of the content: a change to it is a new content version, and a
    broken one stops the folder from loading."""
    content = load_content(REPO / "content")
    codes = {code for item in content.lessons.values() for code in item.skills}
    assert codes <= set(content.framework.skills)
    assert "757/QĐ-BKHCN" in content.framework.name
    copy = tmp_path / "content"
    copy.mkdir()
    for name in ("certificates.yaml", "messages.yaml", "framework.yaml"):
        (copy / name).write_text((REPO / "content" / name).read_text("utf-8"), encoding="utf-8")
    (copy / "lessons").mkdir()
    for path in (REPO / "content" / "lessons").glob("*.yaml"):
        (copy / "lessons" / path.name).write_text(path.read_text("utf-8"), encoding="utf-8")
    before = content_version(copy)
    framework = copy / "framework.yaml"
    framework.write_text(framework.read_text("utf-8").replace('"0.1"', '"0.9"'), "utf-8")
    assert content_version(copy) != before
    loaded, problems = check_content(copy)
    assert loaded is None
    assert any("'skills' does not name '0.1'" in p.message for p in problems)
