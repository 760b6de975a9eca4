"""Reminders for learners who stopped: when they are due (the tables of
tests/data/reminders.yaml), the settings that shape them, what they say, and the tutor applying
them on every store (planned with each message, sent once, re-checked when swept, turned off
and on, stopped by a block). The service sending them through the channels' stand-ins is
tests/test_reminders_service.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import payloads
from bot.content import Content
from bot.engine import Engine
from bot.inbound import Inbound
from bot.learner import VIETNAM, HelpRequest, Learner, Result
from bot.outbound import from_body
from bot.reminders import Policy, Reminders, Topic, parse_delays, parse_quiet, steps, topic
from bot.stores import Store, open_store
from bot.stores.base import Delivery
from bot.tutor import Tutor
from handlers.zalo_bot.render import render as zalo_bot_render
from lessons.position import Position
from support.chat import fixture_content
from support.clock import Clock
from webhook.settings import Settings

TABLES: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "reminders.yaml").read_text(encoding="utf-8")
)
SEEN = "2026-11-23 10:00"
SETTINGS = {
    "delays": "HOCSO_REMIND_AFTER",
    "quiet": "HOCSO_QUIET_HOURS",
    "zalo_oa_hours": "HOCSO_ZALO_OA_WINDOW_HOURS",
    "zalo_bot_hours": "HOCSO_ZALO_BOT_WINDOW_HOURS",
}


def at(text: str) -> float:
    """'2026-11-24 09:00' (Vietnam time) as epoch seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM).timestamp()


def iso(text: str) -> str:
    return datetime.fromtimestamp(at(text), VIETNAM).isoformat()


def policy_of(row: dict[str, Any]) -> Policy:
    """The policy the row's settings make, read as `hocso serve` reads them."""
    environ = {SETTINGS[name]: value for name, value in row.get("policy", {}).items()}
    return Settings.from_env(environ).reminders


def learner_of(row: dict[str, Any]) -> Learner:
    """The table's learner (see tests/data/reminders.yaml) with the row's differences."""
    seen = iso(row.get("seen", SEEN))
    channel = row.get("channel", "telegram")
    learner = Learner(id="tg:1", created_at=iso("2026-11-01 10:00"), seen_at=seen)
    learner.address = (channel, "1") if channel else None
    if row.get("lesson", "mau"):
        history = ["chao", "loai-may", "android"]
        learner.position = Position(row.get("lesson", "mau"), "cau-1", seen, history=history)
    if row.get("passed"):
        learner.results[row["passed"]] = Result("passed", 1.0, seen)
    learner.nudges = dict(row.get("nudges", {}))
    learner.nudged_at = iso(row["nudged"]) if row.get("nudged") else None
    learner.remind = row.get("remind", True)
    learner.unreachable = row.get("unreachable")
    if row.get("help"):
        learner.help = HelpRequest(code="H-1", opened_at=seen, until=iso("2026-11-24 10:00"))
    return learner


def expected(text: str | None, policy: Policy, learner_id: str) -> float | None:
    """A row's `due`: a time, "+spread" / "-spread" adding or taking the learner's share."""
    if text is None:
        return None
    sign = 1 if text.endswith(" +spread") else -1 if text.endswith(" -spread") else 0
    when = text.removesuffix(" +spread").removesuffix(" -spread")
    return at(when) + sign * policy.share(learner_id)


def rows(table: str) -> list[Any]:
    return [pytest.param(row, id=row["why"]) for row in TABLES[table]]


@pytest.mark.parametrize("row", rows("plan"))
def test_when_the_next_reminder_is_due(row: dict[str, Any]) -> None:
    policy, learner = policy_of(row), learner_of(row)
    due = policy.plan(learner, at(row["now"]))
    want = expected(row["due"], policy, learner.id)
    shown = None if due is None else datetime.fromtimestamp(due, VIETNAM).isoformat()
    assert due == (pytest.approx(want, abs=1e-6) if want is not None else None), shown
    if due is not None:
        assert not policy.is_quiet(due), "never planned in quiet hours"
        assert due >= at(row["now"])


@pytest.mark.parametrize("row", rows("may_send"))
def test_whether_a_swept_reminder_may_go_now(row: dict[str, Any]) -> None:
    assert policy_of(row).may_send(learner_of(row), at(row["now"])) is row["may"]


@pytest.mark.parametrize("row", rows("shows"))
def test_whether_the_web_page_shows_a_reminder(row: dict[str, Any]) -> None:
    assert policy_of(row).shows(learner_of(row), at(row["now"])) is row["shows"]


def test_quiet_hours_spread_the_morning_over_45_minutes() -> None:
    """Learners who stopped late in the evening are not all reminded at 07:00 sharp."""
    policy = Policy()
    times = [policy.unquiet(at("2026-11-24 23:00"), f"tg:{n}") for n in range(200)]
    assert at("2026-11-25 07:00") <= min(times) < at("2026-11-25 07:05")
    assert at("2026-11-25 07:40") < max(times) < at("2026-11-25 07:45")
    assert len({round(t) for t in times}) > 150


# -- the settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "delays", "quiet", "oa", "bot"),
    [
        ({}, (23 * 3600, 3 * 86400, 7 * 86400), (21 * 60, 7 * 60), 48, 24),
        ({"HOCSO_REMIND_AFTER": "off"}, (), (21 * 60, 7 * 60), 48, 24),
        ({"HOCSO_REMIND_AFTER": "30m, 2h"}, (1800, 7200), (21 * 60, 7 * 60), 48, 24),
        ({"HOCSO_REMIND_AFTER": "1.5d"}, (129600,), (21 * 60, 7 * 60), 48, 24),
        ({"HOCSO_QUIET_HOURS": "22:30-6:15"}, None, (22 * 60 + 30, 6 * 60 + 15), 48, 24),
        ({"HOCSO_QUIET_HOURS": "off"}, None, None, 48, 24),
        ({"HOCSO_ZALO_OA_WINDOW_HOURS": "168"}, None, (21 * 60, 7 * 60), 168, 24),
        ({"HOCSO_ZALO_BOT_WINDOW_HOURS": "12"}, None, (21 * 60, 7 * 60), 48, 12),
    ],
)
def test_the_settings_of_reminders(
    environ: dict[str, str],
    delays: tuple[float, ...] | None,
    quiet: tuple[int, int] | None,
    oa: float,
    bot: float,
) -> None:
    settings = Settings.from_env(environ)
    policy = settings.reminders
    if delays is not None:
        assert policy.delays == delays
    assert policy.on is bool(policy.delays)
    assert policy.quiet == quiet
    assert policy.windows["zalo-oa"] == oa * 3600 and policy.windows["zalo-bot"] == bot * 3600
    assert policy.windows["telegram"] == float("inf") and "web" not in policy.windows
    assert settings.remind_rate == 5.0


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"HOCSO_REMIND_AFTER": "tomorrow"}, "HOCSO_REMIND_AFTER: 'tomorrow' is not a delay"),
        ({"HOCSO_REMIND_AFTER": "3d,1d"}, "longer than the one before"),
        ({"HOCSO_REMIND_AFTER": "1d,1d"}, "longer than the one before"),
        ({"HOCSO_REMIND_AFTER": "0h"}, "above 0"),
        ({"HOCSO_REMIND_AFTER": "1h,2h,3h,4h"}, "give 1 to 3 delays"),
        ({"HOCSO_QUIET_HOURS": "21"}, "HOCSO_QUIET_HOURS: '21' is not quiet hours"),
        ({"HOCSO_QUIET_HOURS": "25-7"}, "is not quiet hours"),
        ({"HOCSO_QUIET_HOURS": "7-7"}, "is not quiet hours"),
        ({"HOCSO_ZALO_OA_WINDOW_HOURS": "200"}, "at most 168"),
        ({"HOCSO_ZALO_BOT_WINDOW_HOURS": "0"}, "HOCSO_ZALO_BOT_WINDOW_HOURS must be a number"),
        ({"HOCSO_REMIND_RATE": "0"}, "HOCSO_REMIND_RATE must be a number above 0"),
    ],
)
def test_a_wrong_setting_says_what_is_wrong(environ: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("(", r"\(")):
        Settings.from_env(environ)


def test_parsing_alone() -> None:
    assert parse_delays("23h,3d,7d") == (82800, 259200, 604800)
    assert parse_quiet("21-7") == (1260, 420)
    assert parse_quiet("OFF") is None and parse_delays(" Off ") == ()


# -- what a reminder says -------------------------------------------------------------------


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


@pytest.mark.parametrize(
    ("step", "history", "counted"),
    [
        ("chao", [], (1, 5)),
        ("loai-may", ["chao"], (2, 5)),
        ("android", ["chao", "loai-may"], (3, 5)),
        ("cau-1", ["chao", "loai-may", "android"], (4, 5)),
        ("iphone", ["chao", "loai-may"], (3, 5)),
        ("cau-2", ["chao", "loai-may", "android", "cau-1"], (5, 5)),
        ("gone", ["chao", "loai-may"], (2, 5)),  # a step an edit removed: back where it can be
    ],
)
def test_the_step_a_reminder_names(
    content: Content, step: str, history: list[str], counted: tuple[int, int]
) -> None:
    """Steps as the learner meets them: those that wait (`ghi-nho` does not, nor the last)."""
    position = Position("mau", step, iso(SEEN), history=list(history))
    assert steps(content.lessons["mau"], position) == counted


def test_a_reminder_names_the_lesson_and_step_and_offers_one_tap(content: Content) -> None:
    learner = learner_of({})
    say = content.messages.text
    reminders = Reminders(Policy(), lambda: content)
    subject = topic(learner)
    assert subject is not None
    message = reminders.message(learner, subject)
    assert message is not None
    assert message.text == say("remind.lesson", title="Bài mẫu", step=4, steps=5)
    assert [(b.label, b.payload) for b in message.buttons] == [
        (say("buttons.resume_place"), payloads.resume("mau")),
        (say("buttons.remind_off"), payloads.command("remind_off")),
    ]
    # On the Zalo Bot Platform (no buttons), "bấm nút bên dưới" becomes "gõ số…".
    typed = "\n".join(part.text for part in zalo_bot_render(message, content.messages))
    assert "bấm nút" not in typed.casefold() and "1. " in typed


def test_the_suggestion_after_a_lesson_names_the_next(content: Content) -> None:
    learner = learner_of({"lesson": None, "passed": "mau"})
    say = content.messages.text
    reminders = Reminders(Policy(), lambda: content)
    assert topic(learner) == Topic("next:mau", "mau")
    message = reminders.message(learner, Topic("next:mau", "mau"))
    assert message is not None
    assert message.text == say("remind.next", title="Bài mẫu", next="Bài sau")
    assert message.buttons[0].payload == payloads.lesson("sau")
    learner.results["sau"] = Result("passed", 1.0, iso("2026-11-23 11:00"))
    assert topic(learner) == Topic("next:sau", "sau")
    assert reminders.message(learner, Topic("next:sau", "sau")) is None  # nothing left


# -- the tutor on every store ---------------------------------------------------------------


class Tutoring:
    """A tutor with the default policy on a store, its engine on `clock`."""

    def __init__(self, content: Content, store: Store, clock: Clock) -> None:
        self.clock = clock
        engine = Engine(
            content, clock=lambda: datetime.fromtimestamp(clock(), VIETNAM), reminding=True
        )
        self.tutor = Tutor(engine, store, Policy())
        self.store = store
        self.events = 0

    def send(self, learner: str, channel: str = "telegram", **inbound: Any) -> list[Delivery]:
        self.events += 1
        chat = learner.split(":", 1)[1]
        receipt = self.tutor.receive(
            f"e:{self.events}", Inbound(learner, **inbound), channel, chat, self.clock()
        )
        return list(receipt.deliveries)

    def due(self) -> list[str]:
        return [who for who, _ in self.store.due("due", self.clock())]

    def sweep(self) -> dict[str, list[Delivery] | None]:
        """What `webhook.reminders` does: each due learner reminded."""
        return {
            who: self.tutor.remind(who, when, self.clock())
            for who, when in self.store.due("due", self.clock())
        }

    def learner(self, learner_id: str) -> Learner:
        found = self.store.get(learner_id)
        assert found is not None
        return found


@pytest.fixture
def tutoring(content: Content, store_url: str) -> Any:
    store = open_store(store_url)
    yield Tutoring(content, store, Clock(at("2026-11-23 09:00")))
    store.close()


def walk_to_step_4(t: Tutoring, learner: str, channel: str = "telegram") -> None:
    t.send(learner, channel, start="mau")
    for text in ("tiếp", "samsung", "tiếp"):
        t.send(learner, channel, text=text)
    position = t.learner(learner).position
    assert position is not None and position.step == "cau-1"


def test_a_reminder_is_planned_sent_once_and_brings_the_learner_back(
    tutoring: Tutoring, content: Content
) -> None:
    t = tutoring
    walk_to_step_4(t, "tg:5")
    planned = t.learner("tg:5").nudge_at
    assert planned == at("2026-11-24 08:00")  # 23 hours after the last message
    t.clock.now = at("2026-11-24 07:59")
    assert t.due() == [] and t.sweep() == {}
    t.clock.now = at("2026-11-24 08:00:30")
    assert t.due() == ["tg:5"]
    swept = t.sweep()
    (reminder,) = swept["tg:5"] or []
    assert (reminder.channel, reminder.chat, reminder.priority) == ("telegram", "5", 1)
    assert reminder.learner == "tg:5"
    message = from_body(reminder.body)
    assert message.text == content.messages.text("remind.lesson", title="Bài mẫu", step=4, steps=5)
    # Two workers sweeping the same planned time: the second changes nothing.
    assert t.tutor.remind("tg:5", planned, t.clock()) is None
    learner = t.learner("tg:5")
    assert learner.nudges == {"mau": 1} and learner.nudged_at is not None
    assert learner.nudge_at == at("2026-11-26 09:00")  # the second: 3 days after
    assert learner.pending is None
    # One tap on the reminder: back at step 4, where they stopped.
    (reply,) = t.send("tg:5", payload=message.buttons[0].payload)
    assert from_body(reply.body).text == "Ai được biết mã OTP của bác?"
    learner = t.learner("tg:5")
    assert learner.position is not None and learner.position.step == "cau-1"
    assert learner.returns == 1 and learner.nudged_at is None
    assert learner.nudge_at == at("2026-11-27 08:00:30")  # the second: 3 days after this message
    counts = t.store.counts()
    assert counts["reminders|sent"] == 1 and counts["reminders|returned"] == 1


def test_a_swept_reminder_is_checked_again(tutoring: Tutoring) -> None:
    """Planned before quiet hours but swept in them (a late sweep): nothing is sent, and it is
    planned for the morning; planned time changed meanwhile (the learner wrote): nothing."""
    t = tutoring
    walk_to_step_4(t, "tg:6")
    planned = t.learner("tg:6").nudge_at
    assert planned is not None
    t.clock.now = at("2026-11-24 21:10")
    assert t.sweep() == {"tg:6": []}
    morning = t.learner("tg:6").nudge_at
    assert morning is not None and at("2026-11-25 07:00") <= morning < at("2026-11-25 07:45")
    assert t.learner("tg:6").nudges == {}
    assert t.tutor.remind("tg:6", planned, t.clock()) is None  # that time was swept already
    assert t.tutor.remind("tg:6", planned + 1, t.clock()) == []  # not the time planned now


def test_turning_reminders_off_and_on(tutoring: Tutoring, content: Content) -> None:
    t = tutoring
    walk_to_step_4(t, "tg:7")
    (reply,) = t.send("tg:7", text="dừng")
    assert from_body(reply.body).text == content.messages.text("remind.off")
    learner = t.learner("tg:7")
    assert learner.remind is False and learner.nudge_at is None
    assert learner.position is not None and learner.position.step == "cau-1"  # kept
    t.clock.now = at("2026-12-20 10:00")
    assert t.due() == []
    assert t.store.counts()["reminders|off"] == 1
    (reply,) = t.send("tg:7", text="bật nhắc")
    assert from_body(reply.body).text == content.messages.text("remind.on")
    assert t.learner("tg:7").nudge_at == at("2026-12-21 09:00")
    (reply,) = t.send("tg:7", text="để mai học")  # stopping for now says one will come
    said = content.messages.text
    assert from_body(reply.body).text == said("stop") + "\n\n" + said("remind.later")


def test_a_block_stops_reminders_until_the_learner_writes(tutoring: Tutoring) -> None:
    t = tutoring
    walk_to_step_4(t, "tg:8")
    assert t.tutor.reach("tg:update-1", "tg:8", "telegram", "8", "blocked", t.clock())
    assert not t.tutor.reach("tg:update-1", "tg:8", "telegram", "8", "blocked", t.clock())
    learner = t.learner("tg:8")
    assert learner.unreachable == "blocked" and learner.nudge_at is None
    t.tutor.reach("tg:update-2", "tg:8", "telegram", "8", "unblocked", t.clock())
    assert t.learner("tg:8").unreachable is None and t.learner("tg:8").nudge_at is not None
    # A send refused for good ("Forbidden: bot was blocked by the user").
    refused = Delivery("telegram", "8", {"kind": "message", "text": "…"}, "x/0", learner="tg:8")
    t.tutor.unreachable(refused, "blocked", t.clock())
    learner = t.learner("tg:8")
    assert learner.unreachable == "blocked" and learner.nudge_at is None
    t.clock.now = at("2026-12-20 10:00")
    assert t.due() == []
    t.send("tg:8", text="lặp lại")
    assert t.learner("tg:8").unreachable is None and t.learner("tg:8").nudge_at is not None
    # Nobody is made up for a chat hocso does not know.
    assert t.tutor.reach("tg:update-3", "tg:99", "telegram", "99", "blocked", t.clock())
    assert t.store.get("tg:99") is None


def test_the_next_lesson_is_suggested_once(tutoring: Tutoring, content: Content) -> None:
    t = tutoring
    walk_to_step_4(t, "tg:9")
    for text in ("chi minh toi", "156"):
        t.send("tg:9", text=text)
    t.send("tg:9", text="để sau")  # the name for the certificate: later
    learner = t.learner("tg:9")
    assert learner.passed("mau") and learner.position is None
    t.clock.now = (learner.nudge_at or 0) + 1
    (reminder,) = t.sweep()["tg:9"] or []
    assert from_body(reminder.body).text == content.messages.text(
        "remind.next", title="Bài mẫu", next="Bài sau"
    )
    learner = t.learner("tg:9")
    assert learner.nudges == {"next:mau": 1} and learner.nudge_at is None


def test_the_web_page_shows_the_reminder_once(tutoring: Tutoring, content: Content) -> None:
    t = tutoring
    walk_to_step_4(t, "web:abc", channel="web")
    assert t.learner("web:abc").nudge_at is None  # nothing to push
    assert t.tutor.show_reminder("web:abc", "web", "abc", t.clock()) == []  # too soon
    t.clock.now = at("2026-11-24 23:00")  # the page opened late at night: the learner is there
    (shown,) = t.tutor.show_reminder("web:abc", "web", "abc", t.clock())
    assert (shown.channel, shown.chat) == ("web", "abc")
    said = content.messages.text("remind.lesson", title="Bài mẫu", step=4, steps=5)
    assert from_body(shown.body).text == said
    assert t.tutor.show_reminder("web:abc", "web", "abc", t.clock()) == []  # reloaded
    assert t.learner("web:abc").nudges == {"mau": 1}


def test_a_learner_not_stored_gets_nothing(tutoring: Tutoring) -> None:
    t = tutoring
    assert t.tutor.remind("tg:404", 1.0, t.clock()) == []
    assert t.tutor.show_reminder("web:404", "web", "404", t.clock()) == []
    assert t.store.get("tg:404") is None


def test_a_delivery_names_its_learner_only_when_known() -> None:
    body = {"kind": "message", "text": "…"}
    plain = Delivery("telegram", "5", body, "tg:1/0")
    assert "learner" not in plain.to_dict() and list(plain.to_dict())[-1] == "attempts"
    named = replace(plain, learner="tg:5")
    assert named.to_dict()["learner"] == "tg:5" and list(named.to_dict())[-1] == "attempts"
    assert Delivery.from_dict(named.to_dict()) == named
    assert Delivery.from_dict(plain.to_dict()) == plain
