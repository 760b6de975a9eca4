"""The `hocso` command as users and scripts run it: real processes, real SQLite files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.content import load_content
from bot.stores import open_store
from support.chat import REPO, fixture_content


def hocso(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )


def turns(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return fixture_content(tmp_path).root


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'learners.db'}"


def test_help_speaks_plainly() -> None:
    result = hocso("--help")
    assert result.returncode == 0
    for command in ("chat", "lint", "progress", "verify"):
        assert command in result.stdout
    for command in ("chat", "lint", "progress", "verify"):
        sub = hocso(command, "--help")
        assert sub.returncode == 0 and "--content" in sub.stdout


def test_chat_json_answers_each_line_with_one_line(content_dir: Path, store: str) -> None:
    script = "\n".join(["Bắt đầu ▶", "samsung", "xong", "Chỉ mình tôi", "156", ""]) + "\n"
    result = hocso("chat", "--json", "--learner", "s:1", "--lesson", "mau", "--content",
                   str(content_dir), "--store", store, stdin=script)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = turns(result.stdout)
    assert len(lines) == 1 + 6
    opening = lines[0]["replies"]
    assert opening == [
        {
            "text": "📘 *Bài mẫu* (khoảng 3 phút)\n\nChào bác! Đây là bài mẫu.",
            "buttons": ["Bắt đầu ▶"],
        }
    ]
    assert lines[1]["replies"][0]["buttons"] == ["Android", "iPhone"]
    assert lines[2]["replies"][0]["image"].endswith("ch-play.png")
    assert "Chúc mừng" in json.dumps(lines[5], ensure_ascii=False)
    assert lines[6]["replies"][0]["text"].startswith("Cháu chưa thấy chữ nào")


def test_progress_survives_a_restart_and_prints_json(content_dir: Path, store: str) -> None:
    common = ["--content", str(content_dir), "--store", store]
    first = hocso(
        "chat", "--json", "--learner", "s:2", "--lesson", "mau", *common, stdin="tiếp\n1\n"
    )
    assert first.returncode == 0, first.stderr
    # a new process continues where the last one stopped
    second = hocso("chat", "--json", "--learner", "s:2", *common, stdin="tiếp\n1\n156\n")
    assert second.returncode == 0, second.stderr
    assert "Chào bác đã quay lại" in turns(second.stdout)[0]["replies"][0]["text"]
    assert "Chúc mừng" in second.stdout
    result = hocso("progress", "s:2", "--json", *common)
    assert result.returncode == 0, result.stderr
    progress = json.loads(result.stdout)
    assert progress["learner"] == "s:2"
    assert progress["lessons"]["mau"]["status"] == "passed"
    assert progress["lessons"]["mau"]["score"] == 1.0
    assert progress["lessons"]["mau"]["completed_at"].endswith("+07:00")
    [certificate] = progress["certificates"]
    assert certificate["id"] == "chi-mau"
    human = hocso("progress", "s:2", *common)
    assert "✓ Bài mẫu: đạt, đúng 100%" in human.stdout
    verified = hocso("verify", certificate["code"], *common)
    assert (
        verified.returncode == 0
        and "Chứng nhận bài mẫu" in verified.stdout
        and "s:2" in verified.stdout
    )
    assert hocso("verify", "HS-0000-0000", *common).returncode == 1


def test_progress_of_an_unknown_learner_is_a_plain_error(store: str) -> None:
    result = hocso("progress", "nobody", "--json", "--store", store)
    assert result.returncode == 1
    assert "no learner 'nobody'" in result.stderr and "Traceback" not in result.stderr


def test_terminal_chat_numbers_buttons_and_reads_numbers(content_dir: Path, store: str) -> None:
    result = hocso("chat", "--learner", "s:3", "--content", str(content_dir), "--store", store,
                   stdin="1\n1\n2\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "[1] Bài mẫu" in result.stdout and "[2] Bài sau" in result.stdout
    assert "[1] Android" in result.stdout and "[2] iPhone" in result.stdout
    assert "Trên iPhone, bác mở App Store." in result.stdout  # *bold* shown plainly off a terminal
    assert "🔗 Mở App Store: https://apps.apple.com" in result.stdout


def test_a_broken_content_folder_is_reported_not_crashed(content_dir: Path, store: str) -> None:
    lesson = content_dir / "lessons" / "mau.yaml"
    lesson.write_text(
        lesson.read_text(encoding="utf-8").replace("goto: iphone", "goto: ipone"), encoding="utf-8"
    )
    (content_dir / "lessons" / "hong.yaml").write_text(
        "id: hong\ntitle: Bài 1: OTP\n", encoding="utf-8"
    )
    result = hocso(
        "chat", "--json", "--learner", "s:4", "--content", str(content_dir), "--store", store
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert f"{content_dir}/lessons/mau.yaml:" in result.stderr and "'ipone'" in result.stderr
    assert f"{content_dir}/lessons/hong.yaml:2: YAML syntax error" in result.stderr
    lint = hocso("lint", str(content_dir))
    assert lint.returncode == 1
    assert all(line.startswith(f"{content_dir}/") for line in lint.stdout.splitlines())
    assert "mau.yaml" in lint.stdout and "hong.yaml:2:" in lint.stdout


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("messages.yaml", "greeting: Chào\n", "messages.yaml:1: 'buttons.back_page' is missing"),
        ("console.yaml", "site:\n  name: Học Số\n",
         "console.yaml:1: 'account.signed_in_as' is missing"),
        ("console.yaml", "site:\n  name: Học Số {x}\n",
         "console.yaml:2: 'site.name' uses {x}; it may use: none"),
        ("console.yaml", "site:\n  name: \"Học Số\n", "console.yaml:3: YAML syntax error: found "
         "unexpected end of stream (while scanning a quoted scalar at line 2)"),
        ("certificates.yaml", "certificates:\n  - id: x\n    title: X\n    lessons: [khong-co]\n",
         "certificates.yaml:4: certificates[0] (id 'x'): 'lessons' names no lesson 'khong-co'"),
    ],
)  # fmt: skip
def test_lint_names_file_and_line(content_dir: Path, file: str, text: str, expected: str) -> None:
    (content_dir / file).write_text(text, encoding="utf-8")
    result = hocso("lint", str(content_dir))
    assert result.returncode == 1
    assert f"{content_dir}/{expected}" in result.stdout.splitlines()


@pytest.mark.parametrize("how", ["positional", "option", "environment"])
def test_lint_reads_the_folder_it_is_given(content_dir: Path, how: str) -> None:
    (content_dir / "lessons" / "hong.yaml").write_text("id: hong\n", encoding="utf-8")
    if how == "positional":
        result = hocso("lint", str(content_dir))
    elif how == "option":
        result = hocso("lint", "--content", str(content_dir))
    else:
        result = hocso("lint", env={**os.environ, "HOCSO_CONTENT": str(content_dir)})
    assert result.returncode == 1
    assert f"{content_dir}/lessons/hong.yaml:1: 'title' is missing" in result.stdout


def test_lint_is_clean_on_the_real_content() -> None:
    """No problems; warnings (exit 0) are for authors to work through."""
    result = hocso("lint", "content")
    assert result.returncode == 0, result.stdout
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("content: ") and ", no problems" in summary, result.stdout


def test_a_bad_store_url_is_a_plain_error(content_dir: Path) -> None:
    result = hocso("chat", "--json", "--content", str(content_dir), "--store", "postgres://x")
    assert result.returncode == 1
    assert "cannot open the store" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("payload", "lesson", "volunteer"),
    [("mau_V12", "mau", "V12"), ("_V7", None, "V7"), ("mau", "mau", None)],
)
def test_chat_start_begins_as_a_lesson_link_would(
    content_dir: Path, store: str, payload: str, lesson: str | None, volunteer: str | None
) -> None:
    common = ["--content", str(content_dir), "--store", store]
    result = hocso("chat", "--json", "--learner", "s:9", "--start", payload, *common)
    assert result.returncode == 0, result.stderr
    (opening,) = turns(result.stdout)
    assert opening["replies"][0]["text"].startswith("📘 *Bài mẫu*") == (lesson == "mau")
    learner = open_store(store).get("s:9")
    assert learner is not None and learner.volunteer == volunteer
    position = learner.position
    assert (position.lesson if position else None) == lesson


def test_a_folder_laid_out_as_the_spec_says_needs_no_console_yaml(tmp_path: Path) -> None:
    """spec/lesson-format.md: lessons, certificates.yaml and messages.yaml make a content
    folder (../shared/bench/run.sh builds one so); the console's sentences are the service's."""
    (tmp_path / "lessons").mkdir()
    shutil.copy(REPO / "content" / "lessons" / "huong-dan-hocso.yaml", tmp_path / "lessons")
    shutil.copy(REPO / "content" / "messages.yaml", tmp_path)
    (tmp_path / "certificates.yaml").write_text("certificates: []\n", encoding="utf-8")
    lint = hocso("lint", str(tmp_path))
    assert lint.returncode == 0, lint.stdout
    shipped = load_content(REPO / "content").console
    assert load_content(tmp_path).console.text("nav.home") == shipped.text("nav.home")
