"""The engine end to end on the test content: lessons, commands, menus, bad input, privacy."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

from bot import messages
from bot.content import Content, load_content
from bot.engine import compose
from bot.inbound import Inbound, Media
from bot.learner import Learner
from bot.outbound import Button, Link, Outbound
from support.chat import Chat, fixture_content

PERFECT_MAU = ["dc r", "samsung", "ok", "chi minh toi", "156"]


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


@pytest.fixture
def chat(content: Content) -> Chat:
    chat = Chat(content)
    chat.send(start="")
    return chat


def walk(chat: Chat, replies: list[str]) -> None:
    for reply in replies:
        chat.send(reply)


def test_new_learner_is_greeted_with_the_menu(content: Content) -> None:
    chat = Chat(content)
    chat.send("xin chào")
    assert "Chào bác" in chat.replies[0].text
    assert chat.buttons == ["Bài mẫu", "Bài sau"]
    assert "Nên học tiếp: *Bài mẫu*" in chat.text


def test_a_whole_lesson_with_typos_and_no_diacritics(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    assert chat.text.startswith("📘 *Bài mẫu* (khoảng 3 phút)\n\nChào bác!")
    assert chat.buttons == ["Bắt đầu ▶"]
    chat.send("dc r")
    assert chat.step == "loai-may" and chat.buttons == ["Android", "iPhone"]
    chat.send("samsung")
    assert chat.replies[0].image is not None and chat.replies[0].image.endswith("media/ch-play.png")
    chat.send("ok")
    assert chat.step == "cau-1"
    chat.send("chi minh toi")
    # one message a turn: the praise, the say step that does not wait, the next question
    [reply] = chat.replies
    praise, note, question = reply.text.split("\n\n")
    assert praise == "✅ Đúng rồi! OTP chỉ mình bác được biết."
    assert note.startswith("Ghi nhớ") and question.startswith("Muốn báo lừa đảo")
    assert chat.step == "cau-2"
    chat.send("mot nam sau")
    assert "Chúc mừng bác đã học xong bài *Bài mẫu*" in chat.text
    assert "2/2" in chat.text
    assert chat.learner is not None and chat.learner.position is None
    result = chat.learner.results["mau"]
    assert (result.status, result.score, result.attempts) == ("passed", 1.0, 1)


def test_passing_awards_the_certificate_once_and_suggests_what_next(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    walk(chat, PERFECT_MAU)
    assert "Chứng nhận bài mẫu" in chat.text and "HS-TEST-0001" in chat.text
    assert chat.says("certificate.ask_name")  # the name to print, then what next
    chat.send("Nguyễn Thị Hường")
    assert "Bài nên học tiếp: *Bài sau*" in chat.text
    assert chat.buttons == ["▶ Học bài tiếp theo", "📋 Danh sách bài học"]
    chat.tap("Bài mẫu") if False else chat.send("menu")
    assert "✓ Bài mẫu" in chat.buttons
    chat.tap("✓ Bài mẫu")
    walk(chat, PERFECT_MAU)
    assert "Chứng nhận" not in chat.text  # earned once
    assert chat.learner is not None and chat.learner.results["mau"].attempts == 2


def test_wrong_answers_hint_then_reveal_and_score_only_first_tries(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    walk(chat, ["tiếp", "iphone"])
    assert chat.replies[0].links[0].url == "https://apps.apple.com"
    chat.send("ok")
    chat.send("công an")
    assert "Gợi ý: Nghĩ xem ai là chủ tài khoản." in chat.text
    assert chat.buttons == ["Chỉ mình tôi", "Công an gọi điện hỏi", "Nhân viên ngân hàng"]
    chat.send("ngân hàng")  # second wrong answer: tries (2) used up
    assert "Đáp án đúng là: *Chỉ mình tôi*" in chat.text
    assert chat.step == "cau-2"
    chat.send("113")  # tries: 1 -> revealed at once
    assert "Đáp án đúng là: *156*" in chat.text
    assert "0/2" in chat.text and "Cần đúng 2 câu" in chat.text
    assert chat.buttons == ["🔁 Học lại bài này", "📋 Danh sách bài học"]
    assert chat.learner is not None and chat.learner.results["mau"].status == "failed"
    chat.tap("🔁 Học lại bài này")
    walk(chat, PERFECT_MAU)
    assert chat.learner.results["mau"].status == "passed"
    assert chat.learner.results["mau"].score == 1.0


def test_a_retake_keeps_the_best_result(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    walk(chat, PERFECT_MAU)
    chat.send(payload="l:mau")
    walk(chat, ["tiep", "2", "ok", "3", "3", "0"])
    assert chat.learner is not None
    assert chat.learner.results["mau"].status == "passed"
    assert chat.learner.results["mau"].score == 1.0


@pytest.mark.parametrize(
    ("reply", "expected_step", "said"),
    [
        ("chi mình", "cau-2", "Đúng rồi"),
        ("số 1", "cau-2", "Đúng rồi"),
        ("1", "cau-2", "Đúng rồi"),
        ("tôi", "cau-1", "Cháu chưa hiểu ý bác"),
        ("minh toi", "cau-2", "Đúng rồi"),
        ("hai", "cau-1", "Gợi ý"),
        ("có", "cau-1", "Cháu chưa hiểu ý bác"),
        ("5", "cau-1", "Cháu chưa hiểu ý bác"),
        ("xyz abc", "cau-1", "Cháu chưa hiểu ý bác. Bác bấm một nút bên dưới"),
    ],
)
def test_reading_replies_to_a_quiz(chat: Chat, reply: str, expected_step: str, said: str) -> None:
    chat.tap("Bài mẫu")
    walk(chat, ["tiếp", "android", "tiếp"])
    chat.send(reply)
    assert chat.step == expected_step
    assert said in chat.text


def test_an_unreadable_reply_uses_no_try(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    walk(chat, ["tiếp", "android", "tiếp", "không biết", "5", "công an"])
    assert "Gợi ý" in chat.text and chat.step == "cau-1"
    assert chat.learner is not None and chat.learner.position is not None
    assert chat.learner.position.wrong == 1


@pytest.mark.parametrize(
    ("reply", "step_after", "said"),
    [
        ("quay lại", "android", "Trên Android, bác mở *CH Play*."),
        ("quay lai", "android", "Trên Android, bác mở *CH Play*."),
        ("lặp lại", "cau-1", "Ai được biết mã OTP"),
        ("nhac lai", "cau-1", "Ai được biết mã OTP"),
        ("menu", "cau-1", "menu.intro"),
        ("giúp", "cau-1", "help"),
        ("kết quả", "cau-1", "progress.title"),
        ("dừng", "cau-1", "remind.off"),
        ("tắt nhắc", "cau-1", "remind.off"),
        ("dung nhac", "cau-1", "remind.off"),
        ("/stop", "cau-1", "remind.off"),
        ("bật nhắc", "cau-1", "remind.on"),
        ("nhac toi", "cau-1", "remind.on"),
        ("tiếp", "cau-1", "reading.answer_first"),
        ("xóa dữ liệu", "cau-1", "delete.confirm"),
        ("khong hieu", "cau-1", "buttons.help"),
        ("để mai học", "cau-1", "stop"),
        ("met roi", "cau-1", "stop"),
    ],
)
def test_commands_work_at_any_step(chat: Chat, reply: str, step_after: str, said: str) -> None:
    """`said` is a key of messages.yaml, or words of the lesson."""
    chat.tap("Bài mẫu")
    walk(chat, ["tiếp", "android", "tiếp"])
    assert chat.step == "cau-1"
    chat.send(reply)
    assert chat.step == step_after
    if said in messages.TEXTS:
        assert chat.says(said) or (said.startswith("buttons.") and chat.text), chat.text
        if said.startswith("buttons."):
            assert chat.engine.content.messages.text(said) in chat.buttons
    else:
        assert said in chat.text
    assert chat.buttons, "never a dead end: every turn offers a button"


def test_back_goes_to_the_last_step_that_waited_and_says_so_at_the_start(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    chat.send("quay lại")
    assert "bước đầu tiên" in chat.text and chat.step == "chao"
    walk(chat, ["tiếp", "android", "tiếp", "chi minh toi"])
    assert chat.step == "cau-2"
    chat.send("quay lại")
    assert chat.step == "cau-1"


def test_after_the_menu_go_on_resumes_the_lesson(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    walk(chat, ["tiếp", "android"])
    chat.send("menu")
    assert chat.engine.content.messages.text("buttons.resume", title="Bài mẫu") in chat.buttons
    chat.send("tiếp")
    assert chat.step == "android" and "Trên Android" in chat.text
    chat.send("dừng")
    chat.tap("▶ Học tiếp")
    assert "Trên Android" in chat.text


def test_a_typed_number_or_label_picks_a_menu_button(chat: Chat) -> None:
    chat.send("2")
    assert chat.learner is not None and chat.learner.position is not None
    assert chat.learner.position.lesson == "sau"
    chat.send("menu")
    chat.send("bai mau")
    assert chat.learner.position is not None and chat.learner.position.lesson == "mau"


def test_delete_my_data_asks_first(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    chat.send("xoa du lieu")
    say = chat.engine.content.messages.text
    assert chat.buttons == [say("buttons.delete_no"), say("buttons.delete_yes")]
    chat.send("không")
    assert chat.says("delete.cancelled") and chat.learner is not None
    chat.send("xóa dữ liệu")
    chat.send("có")
    assert chat.learner is None
    assert chat.says("delete.done")


def test_a_stray_confirmation_deletes_nothing(chat: Chat) -> None:
    chat.send(payload="d:yes")
    assert chat.learner is not None
    assert "Nút đó là của câu trước" in chat.text


@pytest.mark.parametrize(
    ("inbound", "said"),
    [
        ({"text": ""}, "Cháu chưa thấy chữ nào"),
        ({"text": "   \n "}, "Cháu chưa thấy chữ nào"),
        ({"text": "\x00\x07\x1b"}, "Cháu chưa thấy chữ nào"),
        ({"text": "a" * 10_000}, "Tin nhắn dài quá"),
        ({"text": "🙏🙏🙏"}, "Khi làm xong, bác bấm nút *Bắt đầu ▶*"),
        ({"media": "sticker"}, "Cháu chỉ đọc được chữ"),
        ({"media": "photo"}, "đừng gửi ảnh căn cước"),
        ({"media": "voice"}, "chưa nghe được tin nhắn thoại"),
        ({"media": "video"}, "chưa xem được video"),
        ({"media": "file"}, "chưa mở được tệp"),
        ({"media": "location"}, "không cần vị trí"),
        ({"media": "other"}, "Cháu chỉ đọc được chữ"),
        ({"payload": "zz"}, "Nút đó là của câu trước"),
        ({"payload": "o:0000000000:1"}, "Nút đó là của câu trước"),
        ({"payload": "l:khong-co-bai-nay"}, "không tìm thấy bài học đó"),
        ({"payload": "k:rm -rf"}, "Nút đó là của câu trước"),
        ({"payload": "m:999"}, "Bác chọn bài muốn học"),
        ({"payload": "x" * 5000}, "Nút đó là của câu trước"),
    ],
)
def test_bad_input_gets_a_kind_answer_and_loses_nothing(
    chat: Chat, inbound: dict[str, str], said: str
) -> None:
    chat.tap("Bài mẫu")
    before = chat.learner
    chat.send(**inbound)  # type: ignore[arg-type]
    assert said in chat.text
    assert chat.buttons, "the learner can always go on"
    assert chat.learner is not None and before is not None
    assert chat.learner.results == before.results
    if inbound.get("payload", "").startswith(("l:", "m:")):
        return
    assert chat.learner.position == before.position


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("482913", "mã OTP"),
        ("ma otp cua toi la 4829 13", "mã OTP"),
        ("079123456789", "số căn cước"),
        ("so the 4111 1111 1111 1111", "số thẻ ngân hàng"),
        ("stk 1903 3333 333", "số tài khoản"),
        ("0912345678", "số điện thoại"),
    ],
)
def test_secrets_are_warned_about_and_never_stored(chat: Chat, text: str, warning: str) -> None:
    chat.tap("Bài mẫu")
    chat.send(text)
    assert warning in chat.text
    assert chat.step == "chao"
    stored = json.dumps(chat.learner.to_dict() if chat.learner else {}, ensure_ascii=False)
    digits = "".join(ch for ch in text if ch.isdigit())
    assert digits not in "".join(ch for ch in stored if ch.isdigit())


def test_a_free_answer_that_is_a_number_is_not_a_secret(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    walk(chat, ["tiếp", "android", "tiếp", "1"])
    chat.send("156")
    assert "Đúng rồi! Nhắn tin đến 156." in chat.text


def test_a_lesson_link_opens_the_lesson_and_credits_the_volunteer(content: Content) -> None:
    chat = Chat(content)
    chat.send(start="mau_V12")
    assert chat.text.startswith("📘 *Bài mẫu*") and chat.step == "chao"
    assert chat.learner is not None and chat.learner.volunteer == "V12"
    chat.send(start="sau_V99")
    assert chat.learner.volunteer == "V12", "the first volunteer keeps the credit"
    assert chat.learner.position is not None and chat.learner.position.lesson == "sau"


@pytest.mark.parametrize("start", ["khong-co-bai", "bad payload!", "x" * 100])
def test_a_broken_link_shows_the_menu(content: Content, start: str) -> None:
    chat = Chat(content)
    chat.send(start=start)
    assert "Chào bác" in chat.text
    assert chat.buttons == ["Bài mẫu", "Bài sau"]


def test_an_option_wins_over_a_command(tmp_path: Path) -> None:
    lesson = """
id: lenh
title: Bài lệnh
steps:
  - id: hoi
    ask: Bác muốn làm gì?
    options:
      - label: Dừng lại nghỉ
        goto: nghi
      - label: Học tiếp bài này
        goto: tiep
  - id: nghi
    say: Bác nghỉ.
    end: true
  - id: tiep
    say: Mình học tiếp.
"""
    chat = Chat(fixture_content(tmp_path, {"lenh": lesson}))
    chat.send(start="lenh")
    chat.send("dừng")
    assert chat.learner is not None and chat.learner.results["lenh"].status == "passed"
    assert "Bác nghỉ." in chat.text


def test_a_lesson_edited_under_a_learner_restarts_kindly(content: Content) -> None:
    chat = Chat(content)
    chat.send(start="mau")
    assert chat.learner is not None and chat.learner.position is not None
    chat.learner.position.step = "buoc-da-bi-xoa"
    chat.send("tiếp")
    assert chat.says("lesson.changed", title="Bài mẫu") and chat.step == "chao"


def test_a_learner_whose_step_was_removed_goes_back_only_as_far_as_needed(
    content: Content,
) -> None:
    """Their answers and the steps they passed are kept; they stand on the last step they
    reached that is still there."""
    chat = Chat(content)
    chat.send(start="mau")
    walk(chat, ["tiếp", "android", "tiếp", "chi minh toi"])
    assert chat.learner is not None and chat.learner.position is not None
    assert chat.step == "cau-2"
    chat.learner.position.step = "buoc-da-bi-xoa"
    chat.learner.position.history.append("cung-da-bi-xoa")
    chat.send("tiếp")
    assert chat.says("lesson.changed", title="Bài mẫu")
    assert chat.step == "cau-1"  # the last step reached that the lesson still has
    assert chat.learner.position.first_try == {"cau-1": True}
    walk(chat, ["chi minh toi", "156"])
    assert chat.learner.results["mau"].score == 1.0


def test_the_say_step_reads_go_on_and_not_yet(chat: Chat) -> None:
    chat.tap("Bài mẫu")
    chat.send("chưa xong")
    assert "bác cứ từ từ" in chat.text and chat.step == "chao"
    chat.send("không thấy nút tiếp tục")
    assert chat.step == "chao"
    chat.send("xong r")
    assert chat.step == "loai-may"


def seven_lessons(tmp_path: Path, certificates: str) -> Content:
    extra = {
        f"bai-{n}": f"id: bai-{n}\ntitle: Bài số {n}\nsteps:\n  - id: a\n    say: Xin chào {n}.\n"
        for n in range(1, 6)
    }
    content = fixture_content(tmp_path, extra)
    (content.root / "certificates.yaml").write_text(certificates, encoding="utf-8")
    return load_content(content.root)


def test_many_lessons_without_groups_are_paged(tmp_path: Path) -> None:
    chat = Chat(seven_lessons(tmp_path, "certificates: []\n"))
    chat.send(start="")
    assert "(Trang 1/2)" in chat.text
    assert len(chat.buttons) == 7 and chat.buttons[-1] == "Xem thêm bài ▶"
    chat.tap("Xem thêm bài ▶")
    assert "(Trang 2/2)" in chat.text and chat.buttons == ["Bài sau", "◀ Các bài trước"]


GROUPS = """certificates:
  - {id: nhom-1, title: Dùng điện thoại, lessons: [mau, bai-1, bai-2]}
  - {id: nhom-2, title: An toàn trên mạng, lessons: [sau, bai-3]}
  - {id: tat-ca, title: Tất cả, lessons: [mau, sau, bai-1, bai-2, bai-3, bai-4, bai-5]}
"""


def test_a_large_curriculum_is_grouped_by_certificate(tmp_path: Path) -> None:
    chat = Chat(seven_lessons(tmp_path, GROUPS))
    chat.send(start="")
    assert "chia theo nhóm" in chat.text and "Nên học tiếp: *Bài mẫu*" in chat.text
    assert chat.buttons == [
        "Dùng điện thoại (0/3)",
        "An toàn trên mạng (0/2)",
        "Các bài khác (0/2)",
        "👉 Học bài: Bài mẫu",
    ]
    chat.send("an toan")
    assert "📂 *An toàn trên mạng*" in chat.text
    assert chat.buttons == ["Bài sau", "Bài số 3", "◀ Các nhóm bài"]
    chat.send("1")
    assert chat.learner is not None and chat.learner.position is not None
    assert chat.learner.position.lesson == "sau"
    walk(chat, ["tiếp", "rồi"])
    chat.send("menu")
    assert chat.buttons[:3] == [
        "Dùng điện thoại (0/3)",
        "An toàn trên mạng (1/2)",
        "Các bài khác (0/2)",
    ]
    chat.tap("An toàn trên mạng")
    assert chat.buttons[0] == "✓ Bài sau"


def test_menu_numbers_stay_put_when_a_lesson_is_in_progress(tmp_path: Path) -> None:
    """ "3" is the third group shown whether or not "▶ Học tiếp" is there too."""
    chat = Chat(seven_lessons(tmp_path, GROUPS))
    chat.send(start="")
    chat.send("2")
    assert chat.says("menu.group", title="An toàn trên mạng")
    chat.send("1")  # the group's first lesson: now one is in progress
    chat.send("menu")
    assert chat.engine.content.messages.text("buttons.resume", title="Bài sau") in chat.buttons
    chat.send("số 3")
    assert chat.says("menu.group", title="Các bài khác")
    chat.send("menu")
    chat.send("2")
    assert chat.says("menu.group", title="An toàn trên mạng")
    assert chat.engine.content.messages.text("buttons.lesson_started", title="Bài sau") in (
        chat.buttons
    )


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["a", "b|x"], ["a\n\nb|x"]),
        (["a", "b", "c|x"], ["a\n\nb\n\nc|x"]),
        (["a|x", "b"], ["a|x", "b"]),
        (["a", "img", "c|x"], ["a", "img", "c|x"]),
        (["a", "link"], ["a\n\nlink"]),
        (["a", "b"], ["a\n\nb"]),
        ([], []),
    ],
)
def test_a_turn_is_composed_into_as_few_messages_as_reads_well(
    texts: list[str], expected: list[str]
) -> None:
    """`x`: a message with buttons; `img`: with a picture; `link`: with a link button."""

    def message(text: str) -> Outbound:
        if text.endswith("|x"):
            return Outbound(text, (Button("OK", "c:1"),))
        if text == "img":
            return Outbound(text, image="media/a.png")
        if text == "link":
            return Outbound(text, links=(Link("VNeID", "https://vneid.gov.vn"),))
        return Outbound(text)

    assert [m.text for m in compose([message(t) for t in texts])] == expected


def test_handle_does_not_change_the_stored_learner(content: Content) -> None:
    chat = Chat(content)
    chat.send(start="mau")
    assert chat.learner is not None
    stored = Learner.from_dict(chat.learner.to_dict())
    chat.engine.handle(stored, Inbound("t:1", text="tiếp"))
    assert stored.to_dict() == chat.learner.to_dict()


def test_at_the_menu_a_plain_yes_starts_the_suggested_lesson(chat: Chat) -> None:
    chat.send("dc")
    assert chat.learner is not None and chat.learner.position is not None
    assert chat.learner.position.lesson == "mau"


def test_an_option_that_looks_like_a_number_is_an_answer_not_a_secret(tmp_path: Path) -> None:
    lesson = """
id: so
title: Bài số
steps:
  - id: cau
    quiz: Mật khẩu nào yếu nhất?
    options:
      - label: "12345678"
        correct: true
      - label: "Tr@u-Vang-2024"
    explain: Dãy số liền nhau rất dễ đoán.
"""
    chat = Chat(fixture_content(tmp_path, {"so": lesson}))
    chat.send(start="so")
    chat.send("12345678")
    assert "Đúng rồi" in chat.text


@pytest.mark.parametrize("media", typing.get_args(Media))
def test_every_kind_of_media_gets_its_own_kind_answer(chat: Chat, media: Media) -> None:
    chat.send(media=media)
    assert chat.replies[0].text and chat.buttons


def test_more_than_five_groups_go_on_pages_of_four() -> None:
    content = load_content(Path(__file__).resolve().parent.parent / "content")
    chat = Chat(content)
    say = content.messages.text
    chat.send(start="")
    titles = [c.title for c in content.certificates if len(c.lessons) < len(content.lessons)]
    assert len(titles) > 5
    first = chat.buttons[:5]
    assert [label.rsplit(" (", 1)[0] for label in first[:4]] == titles[:4]
    assert first[4] == say("buttons.more_groups")
    chat.tap(say("buttons.more_groups"))
    assert [label.rsplit(" (", 1)[0] for label in chat.buttons[: len(titles) - 4]] == titles[4:]
    assert say("buttons.back_groups") in chat.buttons
    chat.send("1")  # the first group of this page: the fifth
    assert chat.says("menu.group", title=titles[4])
    chat.tap(say("buttons.groups"))
    chat.tap(say("buttons.more_groups"))
    chat.tap(say("buttons.back_groups"))
    assert chat.buttons[4] == say("buttons.more_groups")
