"""A person on the line (`bot.helpdesk`), without the network: the words that ask for a person
and the words of distress, what the tutor does while a person is on the line, the quiet
hours, the routes of a request, the desk's messages, and a helper's answers and closings
applied at most once on every store. Messages are named by their keys
(`support.chat.Chat.says`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import helpdesk
from bot.content import Content
from bot.engine import Engine, resume_buttons
from bot.helpdesk import Applied, Desks, HelpPolicy, Route, Unrouted
from bot.inbound import Inbound
from bot.learner import VIETNAM
from bot.places import Area, PlaceError, Village, Volunteer, check_chat, save_area, save_volunteer
from bot.stores import open_store
from bot.stores.base import Change, Delivery, Store
from bot.stores.memory import MemoryStore
from bot.tally import Group
from bot.tutor import Tutor
from support.chat import NOW, Chat, fixture_content

ROUTE = Route("H-TEST", "telegram:-1001234", "Thôn 1, Xã An Phú", "Trần Thị Hoa (V12)")

# A lesson about scams whose quiz has "Bị lừa" among its options: there, "tôi bị lừa rồi" is
# an answer, not a cry for help.
SCAM = """
id: lua
title: Bài lừa đảo
steps:
  - id: chao
    say: Bài này về lừa đảo.
  - id: hoi
    quiz: Người lạ xin mã OTP, bác đưa rồi. Bác bị làm sao?
    options:
      - label: Bị lừa
        correct: true
      - label: Không sao cả
    explain: Đưa mã OTP là bị lừa.
  - id: xong
    say: Hết bài.
"""


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path, {"lua": SCAM})


class Clock:
    """The engine's clock, moved by hand."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def at_step(content: Content, lesson: str, step: str, **chat: Any) -> Chat:
    """A learner standing on `step` of `lesson`, its buttons shown."""
    found = Chat(content, route=ROUTE, **chat)
    found.send(start=lesson)
    while found.step != step:
        found.send(payload=found.learner.buttons[0][1] if found.learner else None)
    return found


# -- asking, and the words of distress ---------------------------------------------------------

ASKING = [
    "gặp người thật",
    "gap nguoi that",
    "Cần người giúp",
    "can nguoi giup",
    "gặp tình nguyện viên",
    "nói chuyện với người thật",
    "cho gặp người",
    "cho toi gap nguoi that",
    "/nguoi",
    "gặp người thật ạ",
]


@pytest.mark.parametrize("typed", ASKING)
def test_a_learner_asks_for_a_person_at_any_step(content: Content, typed: str) -> None:
    for lesson, step in [("mau", "loai-may"), ("mau", "cau-2"), ("mau", "android")]:
        chat = at_step(content, lesson, step)
        chat.send(typed)
        assert chat.says("person.opened", code="H-TEST"), (typed, step, chat.text)
        assert chat.learner is not None and chat.learner.help is not None
        request = chat.learner.help
        assert (request.code, request.why, request.lesson, request.step) == (
            "H-TEST", "asked", lesson, step
        )  # fmt: skip
        assert request.desk == ROUTE.desk and chat.learner.helped == {"asked": 1}
        assert chat.buttons == [content.messages.text("buttons.back_to_lesson")]


def test_asking_without_a_route_raises_for_the_caller_to_look_one_up(content: Content) -> None:
    chat = Chat(content)
    chat.send(start="mau_V12")
    with pytest.raises(Unrouted) as raised:
        chat.send("gặp người thật")
    assert raised.value.group == Group("V12")


# (lesson, step, what the learner types, what happens): "offer" urgent advice and a person;
# "answer" read as the step's answer; "lost" asked what it means.
DISTRESS = [
    ("lua", "hoi", "tôi bị lừa rồi", "answer"),  # the quiz's own option
    ("lua", "hoi", "bi lua", "answer"),
    ("mau", "cau-1", "tôi bị lừa rồi", "offer"),
    ("mau", "cau-1", "toi bi lua roi", "offer"),
    ("mau", "android", "mất hết tiền rồi cháu ơi", "offer"),
    ("mau", "android", "bị hack zalo", "offer"),
    ("mau", "loai-may", "chuyen nham tien", "offer"),
    ("mau", "cau-2", "tôi bị lừa mất 5000000", "offer"),  # before the warning of a secret
    ("lua", "chao", "bị chiếm tài khoản", "offer"),
    ("mau", "android", "lừa đảo là gì", "lost"),
    ("mau", "android", "tôi không bị gì", "none"),
]


@pytest.mark.parametrize(("lesson", "step", "typed", "then"), DISTRESS)
def test_words_of_distress_offer_a_person_when_they_answer_nothing(
    content: Content, lesson: str, step: str, typed: str, then: str
) -> None:
    chat = at_step(content, lesson, step)
    chat.send(typed)
    assert chat.learner is not None and chat.learner.help is None  # never without a choice
    assert chat.says("person.distress") == (then == "offer"), chat.text
    if then == "offer":
        assert chat.buttons == [
            content.messages.text("buttons.person"),
            content.messages.text("buttons.keep_learning"),
        ]
        assert chat.step == step
    elif then == "answer":
        assert chat.says("quiz.right", explain="Đưa mã OTP là bị lừa.")
    elif then == "lost":
        assert chat.says("lost.say")


def test_at_the_menu_distress_is_offered_a_person_too(content: Content) -> None:
    chat = Chat(content, route=ROUTE)
    chat.send("xin chào")
    chat.send("tôi bị lừa rồi")
    assert chat.says("person.distress")
    chat.send("menu")
    chat.send("bai lua dao")  # a lesson's title, typed: it opens
    assert not chat.says("person.distress") and chat.step == "chao"


def test_the_offer_is_a_choice(content: Content) -> None:
    chat = at_step(content, "mau", "cau-1")
    chat.send("tôi bị lừa rồi")
    chat.tap(content.messages.text("buttons.keep_learning"))  # no: back to the question
    assert chat.learner is not None and chat.learner.help is None
    assert chat.text == "Ai được biết mã OTP của bác?"
    chat.send("toi bi lua roi")
    chat.send("gap nguoi that")  # the button's words
    assert chat.learner.help is not None and chat.learner.help.why == "distress"
    assert "tôi bị lừa rồi" in chat.learner.recent  # the desk sees what was said


def test_the_help_and_lost_messages_offer_a_person(content: Content) -> None:
    chat = at_step(content, "mau", "cau-1")
    person = content.messages.text("buttons.person")
    chat.send("giúp")
    assert chat.says("help") and person in chat.buttons
    chat.send("khong hieu")
    assert chat.says("lost.options") and chat.buttons[-1] == person
    chat.tap(person)
    assert chat.learner is not None and chat.learner.help is not None
    assert chat.learner.help.why == "asked"


def test_recent_answers_are_kept_masked_three_at_most(content: Content) -> None:
    chat = Chat(content, route=ROUTE)
    chat.send(start="mau")
    chat.send("dc r")  # going on is no answer
    chat.send("samsung")  # an option typed: its label, as tapped
    chat.send("ok")
    chat.send("ai cũng được")  # not understood: the words
    chat.tap("Chỉ mình tôi")
    chat.send("số 113")
    assert chat.learner is not None
    assert chat.learner.recent == ["ai cũng được", "Chỉ mình tôi", "số •••"]


# -- while a person is on the line -------------------------------------------------------------


def opened(content: Content, clock: Clock | None = None, **policy: Any) -> Chat:
    chat = at_step(content, "mau", "cau-1", clock=clock or Clock(),
                   help_policy=HelpPolicy(**policy))  # fmt: skip
    chat.send("gặp người thật")
    assert chat.learner is not None and chat.learner.help is not None
    return chat


def test_while_open_the_learners_words_go_to_the_thread_masked(content: Content) -> None:
    clock = Clock()
    chat = opened(content, clock)
    chat.send("alo cháu ơi")
    assert chat.says("person.relayed")  # the first word passed on: said so
    chat.send("tôi mất 5000000 đồng, số tài khoản 0123456789")
    assert chat.says("person.masked")  # its digits hidden: said so, whenever
    chat.send("cháu ơi")  # within ack_every of the last word: nothing said
    assert chat.replies == []
    clock.at += timedelta(minutes=11)
    chat.send("có ai không")
    assert chat.says("person.relayed")
    assert chat.learner is not None and chat.learner.help is not None
    lines = [text for _, who, text in chat.learner.help.thread if who == ""]
    assert lines == [
        "alo cháu ơi",
        "tôi mất ••••••• đồng, số tài khoản ••••••••••",
        "cháu ơi",
        "có ai không",
    ]
    assert chat.step == "cau-1"  # the lesson waits
    chat.send("Chỉ mình tôi")  # even an answer to the lesson goes to the person
    assert chat.step == "cau-1" and chat.learner.help is not None
    chat.send(media="photo")
    assert chat.says("person.media")


def test_a_thread_keeps_its_last_lines(content: Content) -> None:
    chat = opened(content, lines=5)
    for n in range(8):
        chat.send(f"tin {'a' * n}")
    assert chat.learner is not None and chat.learner.help is not None
    assert [text for _, _, text in chat.learner.help.thread] == [
        f"tin {'a' * n}" for n in range(3, 8)
    ]


@pytest.mark.parametrize(
    "back",
    [
        {"payload": "k:resume"},  # the "▶ Quay lại học" button
        {"text": "quay lại học"},
        {"text": "quay lai hoc"},
        {"text": "học tiếp"},
        {"text": "1"},  # its number, where buttons are numbered (Zalo Bot)
        {"start": "mau"},  # a lesson link
    ],
    ids=lambda back: str(next(iter(back.values()))),
)
def test_the_way_back_closes_the_request_and_shows_the_lesson(
    content: Content, back: dict[str, str]
) -> None:
    chat = opened(content)
    chat.send(**back)
    assert chat.learner is not None and chat.learner.help is None
    assert chat.learner.helped == {"asked": 1}  # the count stays, the thread goes
    if "start" not in back:
        assert chat.says("person.left")
        assert chat.replies[-1].text.endswith("Ai được biết mã OTP của bác?")


def test_other_taps_keep_the_person_on_the_line(content: Content) -> None:
    chat = opened(content)
    chat.send(payload="k:menu")
    assert chat.says("person.waiting")
    assert chat.learner is not None and chat.learner.help is not None


def test_past_its_time_the_learners_next_message_resumes_the_tutor(content: Content) -> None:
    clock = Clock()
    chat = opened(content, clock, hours=2)
    clock.at += timedelta(hours=2, seconds=1)
    chat.send("chỉ mình tôi")
    assert chat.says("person.expired") and chat.says(
        "quiz.right", explain="OTP chỉ mình bác được biết."
    )
    assert chat.learner is not None and chat.learner.help is None


QUIET = [
    # (when, quiet hours as minutes of the day (HOCSO_QUIET_HOURS), the message, its hour)
    (time(10, 0), (21 * 60, 7 * 60), "person.opened", None),
    (time(22, 15), (21 * 60, 7 * 60), "person.opened_night", "7"),
    (time(5, 40), (21 * 60, 7 * 60), "person.opened_dawn", "7"),
    (time(20, 59), (21 * 60, 7 * 60), "person.opened", None),
    (time(6, 0), (22 * 60 + 30, 6 * 60 + 30), "person.opened_dawn", "6:30"),
    (time(13, 30), (13 * 60, 14 * 60), "person.opened_dawn", "14"),
    (time(23, 0), None, "person.opened", None),
]


@pytest.mark.parametrize(("clock", "quiet", "key", "hour"), QUIET)
def test_the_learner_is_told_honestly_when_someone_will_answer(
    content: Content, clock: time, quiet: tuple[int, int] | None, key: str, hour: str | None
) -> None:
    when = Clock(datetime.combine(NOW.date(), clock, VIETNAM))
    chat = opened(content, when, quiet=quiet)
    values = {"code": "H-TEST", **({"hour": hour} if hour else {})}
    assert chat.says(key, **values), chat.text


# -- routes ------------------------------------------------------------------------------------


def directory(store: Store) -> None:
    villages = {"thon-1": Village("thon-1", "Thôn 1"), "thon-2": Village("thon-2", "Thôn 2")}
    save_area(store, Area("an-phu", "Xã An Phú", 1800, villages, help_chat="-100200"))
    save_area(store, Area("binh-my", "Xã Bình Mỹ"))
    save_volunteer(store, Volunteer("V12", "Trần Thị Hoa", "an-phu", "thon-1", help_chat="-100100"))
    save_volunteer(store, Volunteer("V13", "Lê Văn Minh", "an-phu", "thon-2"))
    save_volunteer(store, Volunteer("V14", "Đỗ An", "binh-my"))


ROUTES = [
    # (the learner's group, HOCSO_HELP_CHAT, Telegram on, desk, place, volunteer)
    (Group("V12"), "-100999", True, "telegram:-100100", "Thôn 1, Xã An Phú", "Trần Thị Hoa (V12)"),
    (Group("V13"), "-100999", True, "telegram:-100200", "Thôn 2, Xã An Phú", "Lê Văn Minh (V13)"),
    (Group("V14"), "-100999", True, "telegram:-100999", "Xã Bình Mỹ", "Đỗ An (V14)"),
    (Group("", "an-phu", "thon-2"), None, True, "telegram:-100200", "Thôn 2, Xã An Phú", ""),
    (Group("V14", "an-phu"), None, True, "telegram:-100200", "Xã An Phú", "Đỗ An (V14)"),
    (Group(), "-100999", True, "telegram:-100999", "", ""),
    (Group(), None, True, None, "", ""),
    (Group("V12"), "-100999", False, None, "Thôn 1, Xã An Phú", "Trần Thị Hoa (V12)"),
    (Group("X9"), None, True, None, "", "X9"),
]


@pytest.mark.parametrize(("group", "operator", "telegram", "desk", "place", "named"), ROUTES)
def test_a_request_goes_to_the_volunteer_else_the_area_else_the_operator(
    group: Group, operator: str | None, telegram: bool, desk: str | None, place: str, named: str
) -> None:
    store = open_store("memory://")
    directory(store)
    route = Desks(store, operator, telegram=telegram, make_code=lambda: "H-AAAA").route(group)
    assert route == Route("H-AAAA", desk, place, named)


def test_a_new_code_is_one_no_open_request_has(store_url: str) -> None:
    store = open_store(store_url)
    codes = iter(["H-AAAA", "H-AAAA", "H-BBBB"])
    store.remember(helpdesk.code_key("H-AAAA"), "tg:1", ttl=60)
    assert Desks(store, make_code=lambda: next(codes)).fresh_code() == "H-BBBB"
    assert helpdesk.CODE.fullmatch(helpdesk.new_help_code())
    store.close()


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("-1001234567890", "-1001234567890"), (" 12345 ", "12345"), ("", ""), ("none", "")],
)
def test_a_help_chat_is_a_telegram_chat_id(typed: str, kept: str) -> None:
    assert check_chat(typed) == kept


@pytest.mark.parametrize("typed", ["@nhom_ho_tro", "-100 123", "1.5", "0", "t.me/+abc"])
def test_a_help_chat_that_is_no_chat_id_is_refused(typed: str) -> None:
    with pytest.raises(PlaceError) as raised:
        check_chat(typed)
    assert raised.value.why == "bad_chat"


# -- the tutor, the desk and the helpers, on every store --------------------------------------


class Turns:
    """A learner on Telegram (chat 5) through the tutor on a store, events numbered."""

    def __init__(self, content: Content, store: Store, clock: Clock) -> None:
        engine = Engine(content, clock=clock, help_policy=HelpPolicy(hours=24, quiet=None))
        self.tutor = Tutor(engine, store, desks=Desks(store, "-100999", telegram=True))
        self.store = store
        self.clock = clock
        self.events = 0

    def send(self, text: str | None = None, **more: Any) -> list[Delivery]:
        self.events += 1
        inbound = Inbound("tg:5", text=text, name="Nguyễn Thị Lan", **more)
        now = self.clock().timestamp()
        receipt = self.tutor.receive(f"tg:{self.events}", inbound, "telegram", "5", now)
        return list(receipt.deliveries)


def to_desk(deliveries: list[Delivery]) -> list[str]:
    return [d.body["text"] for d in deliveries if d.chat == "-100999"]


def to_learner(deliveries: list[Delivery]) -> list[dict[str, Any]]:
    return [d.body for d in deliveries if d.chat == "5"]


def apply(
    store: Store,
    event: str,
    code: str,
    make: Callable[[Applied], Change[list[Delivery]]],
    at: datetime,
) -> tuple[Applied, list[Delivery]]:
    return helpdesk.apply(store, event, code, make, at.timestamp())


def test_a_request_is_posted_answered_and_closed_once_on_every_store(
    content: Content, store_url: str
) -> None:
    store = open_store(store_url)
    clock = Clock()
    lan = Turns(content, store, clock)
    lan.send(start="mau")
    lan.send("dc r")
    lan.send("samsung")
    lan.send("ok")
    lan.send("ngân hàng 0912345678")  # a phone number: warned, never kept
    lan.send("tôi bị lừa rồi")
    sent = lan.send("gặp người thật")
    learner = store.get("tg:5")
    assert learner is not None and learner.help is not None
    code = learner.help.code
    assert store.recall(helpdesk.code_key(code)) == "tg:5"
    (posted,) = to_desk(sent)
    say = content.console.text
    assert posted.startswith(say("desk.distress", code=code))
    for line in [
        say("desk.learner", name="N***** T** L**", channel="Telegram"),
        say("desk.lesson", lesson="Bài mẫu", number=5, count=8),
        say("desk.recent"),
        say("desk.line", text="tôi bị lừa rồi"),
        say("desk.how"),
    ]:
        assert line in posted.splitlines(), (line, posted)
    lines = posted.splitlines()
    recent = lines[lines.index(say("desk.recent")) + 1 : -2]
    assert recent == [say("desk.line", text=text) for text in ["Android", "tôi bị lừa rồi"]]
    assert "Lan" not in posted and "912" not in posted  # the name masked, no number typed

    said = lan.send("tôi mất 5000000 đồng")
    assert to_desk(said) == [say("desk.said", code=code, text="tôi mất ••••••• đồng")]

    hoa = helpdesk.answer
    at = NOW + timedelta(minutes=8)
    for _ in range(2):  # Telegram delivers the update again: the learner hears it once
        applied, queued = apply(
            store, "tg:900", code,
            lambda a: hoa(code, "Hoa", "Bác gọi 113 nhé", at, content, a, desk="telegram:-100999"),
            at,
        )  # fmt: skip
        if applied.outcome == "answered":
            assert [d.body["text"] for d in queued] == [
                content.messages.text("person.answer", name="Hoa", text="Bác gọi 113 nhé")
            ]
    assert applied.outcome == "duplicate"
    stranger, queued = apply(
        store, "tg:901", code,
        lambda a: hoa(code, "Kẻ lạ", "chuyển tiền đi", at, content, a, desk="telegram:-100555"),
        at,
    )  # fmt: skip
    assert stranger.outcome == "not_desk" and queued == []

    learner = store.get("tg:5")
    assert learner is not None and learner.help is not None
    assert learner.help.thread[-1][1:] == ["Hoa", "Bác gọi ••• nhé"]
    assert learner.helped == {"asked": 1, "answered": 1, "waited": 480}

    def closing(applied: Applied) -> Change[list[Delivery]]:
        return helpdesk.close(
            code, "helper", at, content, applied, who="Hoa", desk="telegram:-100999",
            resume=lambda learner: resume_buttons(content, learner),
        )  # fmt: skip

    done, queued = apply(store, "tg:902", code, closing, at)
    assert done.outcome == "closed"
    (told,) = to_learner(queued)
    assert told["text"] == content.messages.text("person.done")
    assert told["buttons"][0] == [
        content.messages.text("buttons.resume", title="Bài mẫu"),
        "k:resume",
    ]
    assert not store.recall(helpdesk.code_key(code))
    learner = store.get("tg:5")
    assert learner is not None and learner.help is None and learner.helped["answered"] == 1
    assert "help" not in learner.to_dict()  # the thread is gone
    (log,) = helpdesk.closed_log(store)
    assert (log["code"], log["how"], log["why"], log["waited"]) == (code, "helper", "distress", 480)
    assert not {"tg:5", "Lan", "5"} & {str(value) for value in log.values()}
    late, _ = apply(store, "tg:903", code, closing, at)
    assert late.outcome == "not_open"

    again = lan.send("chi minh toi")  # the tutor speaks again
    assert to_learner(again)[0]["text"].startswith("✅ Đúng rồi!")
    counts = store.counts()
    assert (counts.get("help|open", 0), counts["help|asked"], counts["help|answered"]) == (0, 1, 1)
    store.close()


def test_a_request_closes_when_its_time_is_over_and_only_then(
    content: Content, store_url: str
) -> None:
    store = open_store(store_url)
    clock = Clock()
    lan = Turns(content, store, clock)
    lan.send(start="mau")
    lan.send("gặp người thật")
    learner = store.get("tg:5")
    assert learner is not None and learner.help is not None
    code = learner.help.code
    assert store.due("help", clock().timestamp()) == [("tg:5", clock().timestamp())]

    def expiring(applied: Applied) -> Change[list[Delivery]]:
        return helpdesk.close(code, "expired", clock(), content, applied, hours=24)

    early, _ = apply(store, f"help-expire:{code}", code, expiring, clock())
    assert early.outcome == "not_yet"  # nothing stored: the event may be tried again
    clock.at += timedelta(hours=24)
    done, queued = apply(store, f"help-expire:{code}", code, expiring, clock())
    assert done.outcome == "closed"
    assert [body["text"] for body in to_learner(queued)] == [
        content.messages.text("person.expired")
    ]
    assert to_desk(queued) == [content.console.text("desk.expired", code=code, hours="24")]
    again, _ = apply(store, f"help-expire:{code}", code, expiring, clock())
    assert again.outcome in ("duplicate", "not_open")
    assert store.due("help", clock().timestamp()) == []
    store.close()


def test_the_learner_going_back_tells_the_desk(content: Content) -> None:
    store = open_store("memory://")
    lan = Turns(content, store, Clock())
    lan.send(start="mau")
    lan.send("gặp người thật")
    learner = store.get("tg:5")
    assert learner is not None and learner.help is not None
    code = learner.help.code
    sent = lan.send("quay lại học")
    assert to_desk(sent) == [content.console.text("desk.closed_learner", code=code)]
    assert not store.recall(helpdesk.code_key(code))
    assert helpdesk.closed_log(store)[0]["how"] == "learner"


def test_an_answer_from_the_console_is_seen_by_the_desk(content: Content) -> None:
    store = open_store("memory://")
    lan = Turns(content, store, Clock())
    lan.send(start="mau")
    lan.send("gặp người thật")
    learner = store.get("tg:5")
    assert learner is not None and learner.help is not None
    code = learner.help.code
    applied, queued = apply(
        store, "console-help:1", code,
        lambda a: helpdesk.answer(code, "lan", "Bác chờ chút nhé", NOW, content, a),
        NOW,
    )  # fmt: skip
    assert applied.outcome == "answered"
    assert to_desk(queued) == [
        content.console.text("desk.console_answer", code=code, name="lan", text="Bác chờ chút nhé")
    ]


def test_a_code_that_was_not_kept_is_found_among_the_open_requests(content: Content) -> None:
    store = open_store("memory://")
    lan = Turns(content, store, Clock())
    lan.send(start="mau")
    lan.send("gặp người thật")
    learner = store.get("tg:5")
    assert learner is not None and learner.help is not None
    helpdesk.forget_code(store, learner.help.code)  # as if the worker died before keeping it
    assert helpdesk.find_learner(store, learner.help.code, NOW.timestamp()) == "tg:5"
    assert helpdesk.find_learner(store, "H-ZZZZ", NOW.timestamp()) is None


def test_the_command_line_chat_asks_for_a_person_too(content: Content) -> None:
    store = open_store("memory://")
    tutor = Tutor(Engine(content, clock=lambda: NOW), store)
    tutor.handle(Inbound("cli:an", start="mau"))
    replies = tutor.handle(Inbound("cli:an", text="gặp người thật"))
    learner = store.get("cli:an")
    assert learner is not None and learner.help is not None and learner.help.desk is None
    assert replies[0].text.startswith("🙋")


class Forgetful(MemoryStore):
    """A store that cannot keep a small value (`remember`): filing a request fails."""

    def remember(self, key: str, value: str, *, ttl: float | None = None) -> None:
        raise OSError("the disk is full")


def test_replies_still_go_when_filing_the_request_fails_after_the_turn(
    content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    """The turn that opens a request is committed with its replies; filing its code after it
    fails: the learner and the desk still get their messages (a redelivery would be a
    duplicate, so the receipt must not be lost), and one log line says so, naming no one."""
    lan = Turns(content, Forgetful(), Clock())
    lan.send(start="mau")
    with caplog.at_level(logging.ERROR, logger="hocso.tutor"):
        sent = lan.send("gặp người thật")
    assert to_learner(sent) and to_desk(sent)
    assert [r.getMessage() for r in caplog.records] == [
        "a request for a person was not filed after its turn (OSError)"
    ]
