"""A certificate in the chat: recorded the moment it is earned, the name to print asked right
after (the chat profile's offered as a button), the picture sent then, the name corrected later
with `sửa tên` or from the results screen, and the certificates sent again on asking."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Content
from bot.engine import compose
from bot.inbound import Inbound
from bot.outbound import Outbound, from_body, to_body
from support.chat import Chat, fixture_content

PERFECT_MAU = ["dc r", "samsung", "ok", "chi minh toi", "156"]
SAU = ["tiếp", "Rồi"]


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


def named(chat: Chat, text: str | None, name: str | None) -> list[Outbound]:
    """A message from a learner whose chat shows `name` (as Telegram's and Zalo's do)."""
    inbound = Inbound(chat.id, text=text, start=None if text else "", name=name)
    chat.learner, chat.replies = chat.engine.handle(chat.learner, inbound)
    return chat.replies


def learner_who_passes_mau(content: Content, profile: str | None = "Lan 🌸") -> Chat:
    chat = Chat(content)
    named(chat, None, profile)
    chat.tap("Bài mẫu")
    for reply in PERFECT_MAU:
        named(chat, reply, profile)
    return chat


def pictures(chat: Chat) -> list[str]:
    return [message.certificate for message in chat.replies if message.certificate]


def test_the_certificate_is_recorded_at_once_and_the_name_asked_with_the_profile_s(
    content: Content,
) -> None:
    chat = learner_who_passes_mau(content)
    assert chat.learner is not None
    assert chat.learner.certificates["chi-mau"].code == "HS-TEST-0001"  # before any name
    assert chat.learner.certificate_name is None
    assert chat.says("finish.certificate", title="Chứng nhận bài mẫu", code="HS-TEST-0001")
    assert chat.says("certificate.ask_name")
    assert chat.buttons == ["Lan", "Để sau"]  # the emoji of the chat's name left out
    assert pictures(chat) == []  # the picture waits for the name
    assert "mã xác nhận" not in chat.text.lower()


def test_the_profile_s_name_tapped_is_printed_and_the_picture_sent(content: Content) -> None:
    chat = learner_who_passes_mau(content)
    chat.tap("Lan")
    assert chat.learner is not None and chat.learner.certificate_name == "Lan"
    assert chat.says("certificate.name_saved", name="Lan")
    assert chat.says("certificate.name_unmarked")  # "Lan" may lack its marks: said how to fix
    assert pictures(chat) == ["HS-TEST-0001"]
    assert chat.says("certificate.caption", title="Chứng nhận bài mẫu", code="HS-TEST-0001")
    assert "Bài nên học tiếp: *Bài sau*" in chat.text
    assert chat.buttons == ["▶ Học bài tiếp theo", "📋 Danh sách bài học"]
    assert chat.learner.pending is None


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("nguyễn thị hường", "Nguyễn Thị Hường"),
        ("  ĐẶNG   VĂN QUỸ ", "Đặng Văn Quỹ"),
        ("h'hen niê", "H'Hen Niê"),
        ("Lan", "Lan"),  # the profile's name typed is a tap on it
        ("1", "Lan"),  # and so is its number
    ],
)
def test_a_name_typed_is_printed_as_names_are_written(
    content: Content, typed: str, printed: str
) -> None:
    chat = learner_who_passes_mau(content)
    chat.send(typed)
    assert chat.learner is not None and chat.learner.certificate_name == printed
    assert pictures(chat) == ["HS-TEST-0001"]
    assert chat.says("certificate.name_unmarked") is printed.isascii()


def test_a_name_typed_with_marks_is_not_read_as_the_profile_s_without(content: Content) -> None:
    chat = learner_who_passes_mau(content, profile="Nguyen Thi Huong")
    assert chat.buttons == ["Nguyen Thi Huong", "Để sau"]
    chat.send("Nguyễn Thị Hường")
    assert chat.learner is not None and chat.learner.certificate_name == "Nguyễn Thị Hường"


@pytest.mark.parametrize("typed", ["12", "x", "Hường 1980", "🌸🌸", "a" * 61])
def test_what_cannot_be_a_name_is_asked_again(content: Content, typed: str) -> None:
    chat = learner_who_passes_mau(content)
    chat.send(typed)
    assert chat.says("certificate.name_invalid")
    assert chat.buttons == ["Lan", "Để sau"]
    assert chat.learner is not None and chat.learner.certificate_name is None
    chat.send("Trần Văn Bình")
    assert chat.learner.certificate_name == "Trần Văn Bình"
    assert pictures(chat) == ["HS-TEST-0001"]


def test_later_sends_the_certificate_without_a_name_and_says_how_to_give_one(
    content: Content,
) -> None:
    chat = learner_who_passes_mau(content)
    chat.send("để sau")  # the button's words, not the command 'stop' they also are
    assert chat.says("certificate.name_later")
    assert pictures(chat) == ["HS-TEST-0001"]
    assert chat.learner is not None and chat.learner.certificate_name is None
    assert chat.buttons == ["▶ Học bài tiếp theo", "📋 Danh sách bài học"]


def test_a_command_instead_of_a_name_is_done(content: Content) -> None:
    chat = learner_who_passes_mau(content)
    chat.send("menu")
    assert chat.says("menu.intro")
    assert chat.learner is not None and chat.learner.pending is None
    assert chat.learner.certificate_name is None


def test_the_next_certificate_comes_with_its_picture_at_once(content: Content) -> None:
    chat = learner_who_passes_mau(content)
    chat.send("Nguyễn Thị Hường")
    chat.tap("▶ Học bài tiếp theo")
    for reply in SAU:
        chat.send(reply)
    assert chat.says("finish.certificate", title="Chứng nhận mẫu", code="HS-TEST-0002")
    assert not chat.says("certificate.ask_name")
    assert pictures(chat) == ["HS-TEST-0002"]
    # The picture keeps a message of its own, between the news and what next.
    shown = [message for message in chat.replies if message.certificate]
    assert len(shown) == 1 and shown[0].buttons == ()
    assert chat.replies[-1].buttons


def test_the_name_is_corrected_with_a_command(content: Content) -> None:
    chat = learner_who_passes_mau(content)
    chat.send("Nguyen Thi Huong")
    chat.send("sửa tên")
    assert chat.says("certificate.rename", name="Nguyen Thi Huong")
    assert chat.buttons == ["Lan", "Giữ tên cũ"]
    chat.send("Nguyễn Thị Hường")
    assert chat.learner is not None and chat.learner.certificate_name == "Nguyễn Thị Hường"
    assert chat.says("certificate.name_saved", name="Nguyễn Thị Hường")
    assert chat.buttons == ["🏅 Xem giấy chứng nhận", "📋 Danh sách bài học"]
    chat.send("sửa tên")
    chat.tap("Giữ tên cũ")
    assert chat.says("certificate.name_kept", name="Nguyễn Thị Hường")
    assert chat.learner.certificate_name == "Nguyễn Thị Hường"


def test_the_results_screen_shows_the_certificates_again_and_corrects_the_name(
    content: Content,
) -> None:
    chat = learner_who_passes_mau(content)
    chat.send("Nguyễn Thị Hường")
    chat.send("kết quả")
    assert chat.buttons[:2] == ["🏅 Xem giấy chứng nhận", "✏️ Sửa tên trên giấy"]
    chat.tap("🏅 Xem giấy chứng nhận")
    assert pictures(chat) == ["HS-TEST-0001"]
    assert chat.says("certificate.shown")
    chat.tap("✏️ Sửa tên trên giấy")
    assert chat.says("certificate.rename", name="Nguyễn Thị Hường")
    chat.send("giấy chứng nhận")  # a command: the question is dropped
    assert pictures(chat) == ["HS-TEST-0001"]


def test_no_certificate_yet_says_so(content: Content) -> None:
    chat = Chat(content)
    chat.send(start="")
    chat.send("kết quả")
    assert "🏅 Xem giấy chứng nhận" not in chat.buttons
    chat.send("giấy chứng nhận")
    assert chat.says("progress.no_certificates") and pictures(chat) == []


def test_a_revoked_certificate_is_not_sent_again(content: Content) -> None:
    from dataclasses import replace

    chat = learner_who_passes_mau(content)
    chat.send("Nguyễn Thị Hường")
    assert chat.learner is not None
    earned = chat.learner.certificates["chi-mau"]
    chat.learner.certificates["chi-mau"] = replace(earned, revoked_at="2026-12-01T09:00:00+07:00")
    chat.send("kết quả")
    assert "🏅 Xem giấy chứng nhận" not in chat.buttons
    chat.send("giấy chứng nhận")
    assert pictures(chat) == []


def test_a_certificate_message_travels_through_the_outbox_and_keeps_its_own_place() -> None:
    message = Outbound("🏅 Giấy chứng nhận", certificate="HS-7K2P-9QXD")
    assert from_body(to_body(message)) == message
    assert to_body(message)["certificate"] == "HS-7K2P-9QXD"
    composed = compose([Outbound("🎉 Chúc mừng"), message, Outbound("👉 Bài tiếp")])
    assert [m.text for m in composed] == ["🎉 Chúc mừng", "🏅 Giấy chứng nhận", "👉 Bài tiếp"]
