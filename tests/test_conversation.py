"""A 74-year-old who types without diacritics, over many sittings and several lessons, on
the real content: she loses nothing, is never told to do what she just did, is offered
help when lost, and nothing that cannot be undone happens on an ambiguous word.

Each sitting is a table: what she types, then what must follow. A check is a key of
`messages.yaml` (that sentence is in the replies), `step:ID` (where she stands after), or
`lesson:ID` (the lesson she is in)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import Content, load_content
from support.chat import REPO, Chat

CONTENT: Content = load_content(REPO / "content")

Turn = tuple[str, tuple[str, ...]]


def check(chat: Chat, typed: str, expected: tuple[str, ...]) -> None:
    for want in expected:
        kind, _, value = want.partition(":")
        where = f"after {typed!r}: {chat.text!r} {chat.buttons}"
        if kind == "step":
            assert chat.step == (value or None), where
        elif kind == "lesson":
            position = chat.learner.position if chat.learner else None
            assert (position.lesson if position else None) == (value or None), where
        elif kind == "gone":
            assert chat.learner is None, where
        elif kind == "kept":
            assert chat.learner is not None, where
        elif kind == "button":
            assert CONTENT.messages.text(value) in chat.buttons, where
        else:
            assert chat.says(want), where


def sitting(chat: Chat, turns: list[Turn]) -> None:
    for typed, expected in turns:
        if typed.startswith("/start "):
            chat.send(start=typed.removeprefix("/start "))
        else:
            chat.send(typed)
        check(chat, typed, expected)
        assert chat.buttons, f"a dead end after {typed!r}: {chat.text!r}"


DONT_DELETE = ["dung xoa", "dung", "thoi dung", "đừng xóa", "khong xoa", "ko", "thôi", "1"]


@pytest.mark.parametrize("answer", DONT_DELETE)
def test_dont_delete_never_deletes(answer: str) -> None:
    """Without diacritics "dung" is "dừng", "đúng" or "đừng": never a yes to deleting."""
    chat = Chat(CONTENT)
    sitting(chat, [
        ("/start an-toan-otp", ("step:chao",)),
        ("bat dau", ("step:otp-la-gi",)),
        ("xoa du lieu", ("delete.confirm",)),
        (answer, ("delete.cancelled", "kept", "step:otp-la-gi")),
        ("tiep", ("kept",)),
    ])  # fmt: skip


@pytest.mark.parametrize("answer", ["xoa gi", "hả", "để cháu xem", "???"])
def test_an_unclear_answer_to_delete_is_asked_again(answer: str) -> None:
    chat = Chat(CONTENT)
    sitting(chat, [
        ("/start an-toan-otp", ()),
        ("xoa du lieu", ("delete.confirm",)),
        (answer, ("delete.unclear", "kept", "button:buttons.delete_no")),
        ("co, xoa het", ("delete.done",)),
    ])  # fmt: skip
    assert chat.learner is None


@pytest.mark.parametrize("answer", ["co", "có", "đồng ý", "co xoa het", "xoa di", "2"])
def test_a_plain_yes_deletes(answer: str) -> None:
    chat = Chat(CONTENT)
    chat.send(start="an-toan-otp")
    chat.send("xoa du lieu")
    chat.send(answer)
    assert chat.learner is None and chat.says("delete.done")


def test_opening_another_lesson_keeps_the_first_ones_place() -> None:
    chat = Chat(CONTENT)
    sitting(chat, [
        ("/start thanh-toan-qr", ("step:gioi-thieu",)),
        ("bat dau", ("step:ma-qr",)),
        ("tiep tuc", ("step:giu-bi-mat",)),
        ("toi nho roi", ("step:co-app",)),  # the button's words, typed plainly
        ("co roi", ("step:mo-app",)),
        ("menu", ("menu.groups_intro",)),
        ("2", ("menu.group",)),  # An toàn trên mạng
        ("1", ("lesson:an-toan-otp", "step:chao")),
        ("bat dau", ("step:otp-la-gi",)),
    ])  # fmt: skip
    chat.send("ket qua")
    assert chat.says("progress.in_progress", title="Trả tiền bằng mã QR")
    assert chat.says("progress.in_progress", title="Giữ an toàn mã OTP")
    sitting(chat, [
        ("menu", ()),
        ("4", ()),  # Thanh toán và bán hàng trực tuyến
        ("1", ("button:buttons.resume_place", "button:buttons.restart", "lesson:an-toan-otp")),
        ("hoc tiep", ("lesson:thanh-toan-qr", "step:mo-app")),
    ])  # fmt: skip
    # and the OTP lesson kept its place in turn
    sitting(chat, [("menu", ()), ("2", ()), ("1", ()), ("hoc tiep cho cu", ("step:otp-la-gi",))])
    chat.send("menu")
    chat.send("4")
    chat.send("tra tien bang ma qr")
    chat.send("hoc lai tu dau")
    assert chat.step == "gioi-thieu"


@pytest.mark.parametrize(
    "words",
    ["toi khong biet lam", "khong hieu", "lam sao", "may bi treo roi", "156 la gi",
     "otp nghia la gi"],
)  # fmt: skip
def test_words_of_confusion_offer_help_for_this_step(words: str) -> None:
    chat = Chat(CONTENT)
    sitting(chat, [
        ("/start thanh-toan-qr", ()),
        ("bat dau", ("step:ma-qr",)),
        ("tiep", ("step:giu-bi-mat",)),
        (words, ("lost.say", "button:buttons.help", "step:giu-bi-mat")),
        ("tôi nhớ rồi", ("step:co-app",)),
    ])  # fmt: skip


def test_two_replies_not_understood_in_a_row_offer_help() -> None:
    chat = Chat(CONTENT)
    sitting(chat, [
        ("/start thanh-toan-qr", ()),
        ("bat dau", ()),
        ("ok", ("step:giu-bi-mat",)),
        ("toi nho roi", ("step:co-app",)),
        ("hom qua tui di cho", ("reading.options", "step:co-app")),
        ("con chau tui bay gio o xa", ("button:buttons.help", "step:co-app")),
        ("co roi", ("step:mo-app",)),
        ("hom nay troi dep", ("step:mo-app",)),  # the count started again
    ])  # fmt: skip
    assert CONTENT.messages.text("buttons.help") not in chat.buttons


@pytest.mark.parametrize("words", ["de mai hoc", "thoi", "met roi", "để sau", "ban roi"])
def test_words_of_stopping_for_now_stop(words: str) -> None:
    chat = Chat(CONTENT)
    sitting(chat, [
        ("/start thanh-toan-qr", ()),
        ("bat dau", ("step:ma-qr",)),
        ("tiep", ("step:giu-bi-mat",)),
        (words, ("stop", "step:giu-bi-mat")),
        ("tiep", ("step:giu-bi-mat",)),
    ])  # fmt: skip


def test_confusion_at_the_menu_opens_nothing() -> None:
    chat = Chat(CONTENT)
    sitting(chat, [
        ("xin chao", ("greeting",)),
        ("khong hieu", ("lost.menu", "button:buttons.help", "lesson:")),
    ])  # fmt: skip


def test_the_sittings_through_hocso_chat_json(tmp_path: Path) -> None:
    """The same learner over three sittings (three processes, one SQLite file), as a script
    would drive her: nothing is lost between them."""
    store = f"sqlite:///{tmp_path / 'hocso.db'}"

    def run(*lines: str, lesson: str | None = None) -> list[dict[str, object]]:
        args = ["chat", "--json", "--learner", "ba-tu", "--store", store]
        args += ["--lesson", lesson] if lesson else []
        done = subprocess.run(
            [sys.executable, "-m", "cli", *args], input="".join(f"{line}\n" for line in lines),
            capture_output=True, text=True, timeout=60, cwd=REPO, check=True,
        )  # fmt: skip
        return [json.loads(line) for line in done.stdout.splitlines()]

    say = CONTENT.messages.text
    first = run("bat dau", "tiep", "toi nho roi", "co roi", "dung xoa", lesson="thanh-toan-qr")
    assert len(first) == 6
    second = run("xoa du lieu", "dung xoa", "toi khong biet lam", lesson="an-toan-otp")
    replies = [reply for turn in second for reply in turn["replies"]]  # type: ignore[attr-defined]
    assert any(say("delete.cancelled") in reply["text"] for reply in replies)
    assert say("buttons.help") in replies[-1]["buttons"]
    third = run("ket qua")
    (progress,) = third[-1]["replies"]  # type: ignore[misc]
    assert say("progress.in_progress", title="Trả tiền bằng mã QR") in progress["text"]
    assert say("progress.in_progress", title="Giữ an toàn mã OTP") in progress["text"]
