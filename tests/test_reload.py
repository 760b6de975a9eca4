"""Live lesson edits: content versions, what an edit does to the learners standing in it,
publishing (`hocso reload`, SIGHUP, `bot.publish`), and the workers of `hocso serve`
switching to what was published."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.content import content_version, load_content
from bot.learner import Learner, Result
from bot.progress import progress_json
from support.chat import Chat, fixture_content

PERFECT_MAU = ["dc r", "samsung", "ok", "chi minh toi", "156"]

# -- content versions -------------------------------------------------------------------------


def test_a_version_names_the_files_not_the_folder(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    copy = tmp_path / "elsewhere"
    shutil.copytree(content.root, copy)
    assert content.version == content_version(content.root) == content_version(copy)
    assert len(content.version) == 12
    (copy / "media" / "ch-play.png").write_bytes(b"another picture")
    assert content_version(copy) == content.version, "pictures are served as they are"
    lesson = copy / "lessons" / "mau.yaml"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert content_version(copy) != content.version
    assert load_content(copy).version == content_version(copy)


def test_a_result_keeps_the_version_it_was_earned_under(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    chat = Chat(content)
    chat.send(start="mau")
    for reply in PERFECT_MAU:
        chat.send(reply)
    assert chat.learner is not None
    assert chat.learner.results["mau"].version == content.version
    lessons = progress_json(chat.learner)["lessons"]
    assert lessons["mau"]["version"] == content.version
    stored = Learner.from_dict(chat.learner.to_dict())
    assert stored.results["mau"] == chat.learner.results["mau"]


def test_a_result_stored_before_versions_loads_without_one() -> None:
    data = Learner.new("t:old").to_dict()
    data["results"] = {
        "mau": {"status": "passed", "score": 1.0, "completed_at": "2026-11-20T09:00:00+07:00"}
    }
    learner = Learner.from_dict(data)
    assert learner.results["mau"] == Result("passed", 1.0, "2026-11-20T09:00:00+07:00")
    assert learner.results["mau"].version is None
    assert "version" not in progress_json(learner)["lessons"]["mau"]
