"""Live lesson edits: content versions, what an edit does to the learners standing in it,
publishing (`hocso reload`, SIGHUP, `bot.publish`), and the workers of `hocso serve`
switching to what was published."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content import Content, ContentHolder, content_version, load_content
from bot.learner import Learner, Position, Result
from bot.progress import progress_json
from bot.publish import Published, Refused, announce, publish, published_version
from bot.standing import standing
from bot.stores import open_store
from bot.stores.memory import MemoryStore
from cli import main
from support.chat import Chat, fixture_content
from support.fake_telegram import FakeTelegram
from support.service import ServeProcess, TelegramLearner, Webhook, environment_for, run_hocso
from support.waiting import await_until
from webhook.reload import ContentFollower
from webhook.storecalls import StoreCalls
from webhook.storefailures import StoreFailures

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


# -- learners under an edit -------------------------------------------------------------------


def edited(
    content: Content, name: str, change: Callable[[str], str] | None, lesson: str = "mau"
) -> Content:
    """A copy of `content` under `name`, with one lesson file changed (None: deleted)."""
    root = content.root.parent / name
    shutil.copytree(content.root, root)
    return edit(root, change, lesson)


def edit(root: Path, change: Callable[[str], str] | None, lesson: str = "mau") -> Content:
    """The folder with lesson `lesson` changed (None: deleted), loaded."""
    path = root / "lessons" / f"{lesson}.yaml"
    if change is None:
        path.unlink()
        certificates = root / "certificates.yaml"
        text = certificates.read_text(encoding="utf-8").replace(f", {lesson}]", "]")
        certificates.write_text(text, encoding="utf-8")
    else:
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return load_content(root)


def rename_android(text: str) -> str:
    return text.replace("goto: android", "goto: may-android").replace(
        "- id: android", "- id: may-android"
    )


def test_a_learner_on_a_renamed_step_goes_back_kindly_and_finishes(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    holder = ContentHolder(content)
    chat = Chat(holder)
    chat.send(start="mau")
    chat.send("dc r")
    chat.send("samsung")
    assert chat.step == "android"
    holder.swap(edited(content, "v2", rename_android))
    chat.tap("Tiếp tục")  # the continue button of the step that is gone
    assert chat.says("lesson.changed", title="Bài mẫu")
    assert chat.step == "loai-may" and chat.buttons == ["Android", "iPhone"]
    for reply in ["samsung", "ok", "chi minh toi", "156"]:
        chat.send(reply)
    assert chat.learner is not None and chat.learner.position is None
    result = chat.learner.results["mau"]
    assert (result.status, result.score, result.version) == ("passed", 1.0, holder.version)


def test_a_learner_in_a_removed_lesson_is_told_and_keeps_their_results(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    holder = ContentHolder(content)
    chat = Chat(holder)
    chat.send(start="mau")
    for reply in PERFECT_MAU:
        chat.send(reply)
    chat.send(start="sau")
    chat.send("tiếp")
    assert chat.learner is not None and chat.step == "da-xong"
    holder.swap(edited(content, "v2", None, lesson="sau"))
    chat.send("rồi")
    assert chat.says("lesson.removed")
    assert chat.learner.position is None and chat.buttons[0].startswith("✓ Bài mẫu")
    assert chat.learner.results["mau"].status == "passed"
    assert "chi-mau" in chat.learner.certificates


def test_a_button_from_before_its_options_were_reordered_is_stale_not_misread(
    tmp_path: Path,
) -> None:
    """Option k of a step whose options changed is another option: the old button is
    answered as stale (the question again), never as the option now at its place."""
    content = fixture_content(tmp_path)
    holder = ContentHolder(content)
    chat = Chat(holder)
    chat.send(start="mau")
    for reply in ["dc r", "samsung", "ok"]:
        chat.send(reply)
    assert chat.step == "cau-1" and chat.buttons[0] == "Chỉ mình tôi"
    old_buttons = chat.replies

    def swap_first_two(text: str) -> str:
        first = "      - label: Chỉ mình tôi\n        correct: true\n"
        second = "      - label: Công an gọi điện hỏi\n"
        return text.replace(first + second, second + first)

    holder.swap(edited(content, "v2", swap_first_two))
    chat.replies = old_buttons
    chat.tap("Chỉ mình tôi")
    assert chat.says("reading.stale_button") and chat.step == "cau-1"
    assert chat.learner is not None and chat.learner.position is not None
    assert chat.learner.position.first_try == {}, "no answer was taken"
    assert chat.buttons == ["Công an gọi điện hỏi", "Chỉ mình tôi", "Nhân viên ngân hàng"]
    chat.tap("Chỉ mình tôi")
    assert chat.learner.position.first_try == {"cau-1": True}


# -- who stands where, and what an edit does to them ------------------------------------------


def learner_at(learner_id: str, lesson: str, step: str, **places: str) -> Learner:
    learner = Learner.new(learner_id)
    learner.position = Position(lesson, step, "2026-11-23T10:00:00+07:00")
    for other, where in places.items():
        learner.places[other] = Position(other, where, "2026-11-22T10:00:00+07:00")
    return learner


def test_standing_counts_where_each_learner_is_and_the_lessons_they_left() -> None:
    store = MemoryStore()
    store.save(learner_at("t:1", "mau", "cau-1", sau="da-xong"))
    store.save(learner_at("t:2", "mau", "cau-1"))
    store.save(learner_at("t:3", "sau", "da-xong"))
    store.save(Learner.new("t:4"))  # in no lesson
    assert standing(store) == {("mau", "cau-1"): 2, ("sau", "da-xong"): 2}


def test_publishing_warns_about_the_steps_learners_stand_on_that_are_gone(
    tmp_path: Path,
) -> None:
    content = fixture_content(tmp_path)
    store = MemoryStore()
    first = publish(content.root, store)
    assert isinstance(first, Published) and first.warnings == [] and first.previous is None
    assert published_version(store) == content.version
    store.save(learner_at("t:1", "mau", "android", sau="da-xong"))
    store.save(learner_at("t:2", "mau", "android"))
    store.save(learner_at("t:3", "mau", "gone-long-ago"))  # warned about when it went
    store.save(learner_at("t:4", "mau", "cau-1"))
    edit(content.root, rename_android)
    v2 = edit(content.root, None, lesson="sau")
    outcome = publish(content.root, store)
    assert isinstance(outcome, Published)
    assert (outcome.version, outcome.previous) == (v2.version, content.version)
    assert [str(warning) for warning in outcome.warnings] == [
        f"{content.root}/lessons/mau.yaml:1: warning: step 'android' is gone (removed or "
        "renamed) and 2 learners stand on it: each goes back to the last step of the lesson "
        "they reached that is still there (else its first step), told the lesson has changed, "
        "with their answers so far kept",
        f"{content.root}/lessons/sau.yaml:1: warning: lesson 'sau' is gone (removed or renamed) "
        "and 1 learner is part-way through it: those in it now are told it was taken away and "
        "shown the lesson menu when they next write; every lesson they finished stays in their "
        "results",
    ]
    assert published_version(store) == v2.version


def test_a_broken_folder_is_refused_and_nothing_is_published(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    store = MemoryStore()
    publish(content.root, store)
    (content.root / "lessons" / "sau.yaml").write_text(
        "id: sau\ntitle: Bài sau\nsteps:\n  - id: mot\n    say: Một.\n    next: khong-co\n",
        encoding="utf-8",
    )
    outcome = publish(content.root, store)
    assert isinstance(outcome, Refused)
    assert (
        f"{content.root}/lessons/sau.yaml:6: steps[0] (id 'mot'): 'next' names no step 'khong-co'"
        in [str(problem) for problem in outcome.problems]
    )
    assert published_version(store) == content.version


def test_publishing_a_folder_other_than_the_one_served_here_is_warned_about(
    tmp_path: Path,
) -> None:
    """The workers load the folder `hocso serve` was started with: one published from
    another folder reaches them only if that folder holds the same files."""
    served = fixture_content(tmp_path)
    other = edited(served, "other", rename_android)
    store = MemoryStore()
    announce(store, served, serving=True)
    assert published_version(store) == served.version
    outcome = publish(other.root, store)
    assert isinstance(outcome, Published)
    assert [str(warning) for warning in outcome.warnings] == [
        f"{other.root}:1: warning: `hocso serve` on this machine was started with the content "
        f"folder {served.root.resolve()}: its workers load that folder, and switch only when it "
        "holds these same files"
    ]
    again = publish(served.root, store)
    assert isinstance(again, Published) and again.warnings == []


# -- hocso lint --store and hocso reload, in this process -------------------------------------


def test_lint_warns_about_learners_only_with_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    content = fixture_content(tmp_path)
    url = f"sqlite:///{tmp_path / 'hocso.db'}"
    store = open_store(url)
    try:
        publish(content.root, store)
        store.save(learner_at("t:1", "mau", "android"))
        store.save(learner_at("t:2", "mau", "android"))
        store.save(learner_at("t:3", "mau", "android"))
    finally:
        store.close()
    edit(content.root, rename_android)
    monkeypatch.setenv("HOCSO_STORE", url)  # read by other commands, not by lint
    assert main(["lint", str(content.root)]) == 0
    alone = capsys.readouterr().out.splitlines()
    assert alone[-1].endswith("no problems, 1 warning")  # the fixture's few quizzes
    assert main(["lint", str(content.root), "--store", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{content.root}/lessons/mau.yaml:1: warning: step 'android' is gone (removed or "
        "renamed) and 3 learners stand on it: each goes back to the last step of the lesson "
        "they reached that is still there (else its first step), told the lesson has changed, "
        "with their answers so far kept",
        alone[0],
        alone[-1].replace("1 warning", "2 warnings"),
    ]
    assert main(["lint", str(content.root), "--store", "nowhere://"]) == 1
    assert "cannot open the store" in capsys.readouterr().err


def test_reload_refuses_a_broken_folder_and_confirms_a_good_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = fixture_content(tmp_path)
    url = f"sqlite:///{tmp_path / 'hocso.db'}"
    args = ["reload", "--content", str(content.root), "--store", url]
    assert main(args) == 0
    assert f"published content version {content.version} (2 lessons)" in capsys.readouterr().out
    lesson = content.root / "lessons" / "mau.yaml"
    good = lesson.read_text(encoding="utf-8")
    lesson.write_text(good.replace("goto: iphone", "goto: ipone"), encoding="utf-8")
    assert main(args) == 1
    captured = capsys.readouterr()
    assert (
        f"{lesson}:16: steps[1] (id 'loai-may'): options[1]: 'goto' names no step 'ipone'; "
        "did you mean 'iphone'?" in captured.out.splitlines()
    )
    assert "nothing was reloaded" in captured.err
    assert main(["lint", str(content.root)]) == 1
    assert capsys.readouterr().out == captured.out, "the lines hocso lint prints"
    store = open_store(url)
    try:
        assert published_version(store) == content.version, "nothing changed"
    finally:
        store.close()
    lesson.write_text(good, encoding="utf-8")
    assert main(args) == 0
    assert "is the one published already: nothing changed" in capsys.readouterr().out


# -- a worker following what is published -----------------------------------------------------


def test_a_worker_keeps_its_content_until_its_folder_holds_the_published_version(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another machine's folder, say, not brought up to date yet: the worker keeps what it
    runs and says so once; once its folder holds the published files, it switches."""
    content = fixture_content(tmp_path)
    newer = edited(content, "newer", rename_android)
    store = MemoryStore()
    holder = ContentHolder(content)
    follower = ContentFollower(
        holder, content.root, store, StoreCalls(store), StoreFailures(), every=0
    )

    async def checks(times: int) -> None:
        for _ in range(times):
            await follower.check()

    asyncio.run(checks(1))  # nothing published: nothing to follow
    assert holder.current is content
    publish(newer.root, store)
    with caplog.at_level(logging.INFO, logger="hocso.reload"):
        asyncio.run(checks(3))
    assert holder.current is content
    [refusal] = [r for r in caplog.records if r.name == "hocso.reload"]
    assert refusal.getMessage() == (
        f"content version {newer.version} was published; this worker keeps {content.version}"
    )
    assert refusal.reason == (
        f"the folder {content.root} holds version {content.version}, not {newer.version}"
    )
    caplog.clear()
    shutil.copy(newer.root / "lessons" / "mau.yaml", content.root / "lessons" / "mau.yaml")
    follower._refused.clear()  # rather than wait RETRY_EVERY seconds
    with caplog.at_level(logging.INFO, logger="hocso.reload"):
        asyncio.run(checks(1))
    assert holder.version == newer.version and holder.current.lessons["mau"].has("may-android")
    assert [r.getMessage() for r in caplog.records] == [f"content version {newer.version} in use"]


# -- hocso serve: two workers on Redis, one process on SQLite ---------------------------------


def in_use(server: ServeProcess, version: str) -> int:
    """How many workers logged that they switched to `version`."""
    return server.output().count(f'"msg": "content version {version} in use"')


def test_a_reload_reaches_every_worker_and_learners_keep_going(
    fake_telegram: FakeTelegram, redis_store_url: str, tmp_path: Path
) -> None:
    content = fixture_content(tmp_path)
    env = environment_for(fake_telegram, content.root, redis_store_url)
    mau = content.root / "lessons" / "mau.yaml"
    sau = content.root / "lessons" / "sau.yaml"
    with ServeProcess(env, tmp_path / "serve.log", "--workers", "2") as server:

        async def story() -> tuple[str, str]:
            async with Webhook(server.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, 5801)  # will stand on 'android'
                binh = TelegramLearner(hook, fake_telegram, 5802)  # will stand on 'cau-1'
                for learner, replies in ((lan, ["samsung"]), (binh, ["samsung", "ok"])):
                    await learner.start("mau")
                    await learner.replies()
                    await learner.tap("Bắt đầu")
                    await learner.replies()
                    for reply in replies:
                        await learner.say(reply)
                        await learner.replies()

                # A broken file: refused with path:line, and the old content keeps answering.
                good_sau = sau.read_text(encoding="utf-8")
                sau.write_text(good_sau.replace("goto: giup", "goto: giupp"), encoding="utf-8")
                refused = await asyncio.to_thread(run_hocso, "reload", env=env)
                assert refused.returncode == 1, refused
                assert (
                    f"{sau}:13: steps[1] (id 'da-xong'): options[1]: 'goto' names no step "
                    "'giupp'; did you mean 'giup'?" in refused.stdout.splitlines()
                )
                assert "nothing was reloaded" in refused.stderr
                await binh.say("chi minh toi")
                (praise,) = await binh.replies()
                assert praise.visible.endswith("Muốn báo lừa đảo, bác nhắn tin đến số mấy?")

                # Fixed, and 'android' renamed under lan, cau-2 reworded under binh.
                sau.write_text(good_sau, encoding="utf-8")
                mau.write_text(
                    rename_android(mau.read_text(encoding="utf-8")).replace(
                        "Muốn báo lừa đảo, bác nhắn tin đến số mấy?",
                        "Bác nhắn tin báo lừa đảo đến tổng đài số mấy?",
                    ),
                    encoding="utf-8",
                )
                v2 = content_version(content.root)
                done = await asyncio.to_thread(run_hocso, "reload", env=env)
                assert done.returncode == 0, done
                assert done.stdout.splitlines() == [
                    f"{mau}:1: warning: step 'android' is gone (removed or renamed) and 1 "
                    "learner stands on it: each goes back to the last step of the lesson they "
                    "reached that is still there (else its first step), told the lesson has "
                    "changed, with their answers so far kept",
                    f"hocso: published content version {v2} (2 lessons, 1 warning), in place "
                    f"of {content.version}; the workers of `hocso serve` switch to it within a "
                    "few seconds",
                ]
                await await_until(lambda: in_use(server, v2) == 2, 15, "both workers on v2")

                # binh, mid-lesson on a step that stayed, finishes under the new version.
                await binh.say("156")
                await binh.replies(2)
                # lan taps the continue button of the step that is gone: told kindly, taken
                # back to the last step still there, and goes on in the new lesson.
                await lan.tap("Tiếp tục")
                (back,) = await lan.replies()
                changed = content.messages.text("lesson.changed", title="Bài mẫu")
                assert back.visible.startswith(changed.replace("*", ""))
                assert back.labels == ["Android", "iPhone"]
                for reply in ["samsung", "ok", "chi minh toi"]:
                    await lan.say(reply)
                    (got,) = await lan.replies()
                assert got.visible.endswith("Bác nhắn tin báo lừa đảo đến tổng đài số mấy?")

                # SIGHUP to the parent does what `hocso reload` does.
                mau.write_text(
                    mau.read_text(encoding="utf-8").replace("tổng đài số mấy", "số nào"),
                    encoding="utf-8",
                )
                v3 = content_version(content.root)
                os.kill(server.pid, signal.SIGHUP)
                await await_until(lambda: in_use(server, v3) == 2, 15, "both workers on v3")
                await lan.say("lặp lại")
                (again,) = await lan.replies()
                assert again.visible == "Bác nhắn tin báo lừa đảo đến số nào?"
                return v2, v3

        v2, v3 = asyncio.run(story())
        assert f'"msg": "content version {v3} published (SIGHUP)"' in server.output()
        assert server.process is not None and server.process.poll() is None, "still serving"
    store = open_store(redis_store_url)
    try:
        binh = store.get("tg:5802")
        assert binh is not None and binh.results["mau"].status == "passed"
        assert binh.results["mau"].version == v2, "earned after the reload"
    finally:
        store.close()


def test_sighup_to_a_single_process_serve_publishes_its_folder(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """On SQLite (the follower's reads in a thread): a broken folder is logged with its
    problems and changes nothing; a good one is switched to."""
    content = fixture_content(tmp_path)
    env = environment_for(fake_telegram, content.root, f"sqlite:///{tmp_path / 'hocso.db'}")
    mau = content.root / "lessons" / "mau.yaml"
    good = mau.read_text(encoding="utf-8")
    with ServeProcess(env, tmp_path / "serve.log") as server:

        async def story() -> str:
            async with Webhook(server.url) as hook:
                lan = TelegramLearner(hook, fake_telegram, 5811)
                await lan.start("mau")
                (opening,) = await lan.replies()
                assert opening.visible.endswith("Chào bác! Đây là bài mẫu.")

                mau.write_text(good.replace("goto: iphone", "goto: ipone"), encoding="utf-8")
                os.kill(server.pid, signal.SIGHUP)
                refused = "has problems; nothing was published (SIGHUP)"
                await await_until(lambda: refused in server.output(), 10, "the refusal")
                assert f"{mau}:16: steps[1] (id 'loai-may'): options[1]: 'goto' names no step " \
                    "'ipone'; did you mean 'iphone'?" in server.output()  # fmt: skip
                await lan.say("lặp lại")
                (same,) = await lan.replies()
                assert same.visible == opening.visible, "the old content keeps answering"

                mau.write_text(good.replace("Đây là bài mẫu.", "Đây là bài mẫu mới."), "utf-8")
                version = content_version(content.root)
                os.kill(server.pid, signal.SIGHUP)
                await await_until(lambda: in_use(server, version) == 1, 10, "the new version")
                await lan.say("lặp lại")
                (new,) = await lan.replies()
                assert new.visible.endswith("Chào bác! Đây là bài mẫu mới.")
                return version

        version = asyncio.run(story())
        assert f'"msg": "content version {version} published (SIGHUP)"' in server.output()
