"""What reminders and people did, as `hocso report` and the console show it: from the
counters, the open requests the longest waiting first, names masked, on every store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.learner import VIETNAM, HelpRequest, Learner
from bot.outreach import open_requests, outreach, outreach_json
from bot.places import Places, Volunteer
from bot.stores import Store, open_store
from support.processes import hocso_report

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def ago(minutes: float) -> str:
    return (NOW - timedelta(minutes=minutes)).isoformat()


def request(code: str, opened: float, answered: float | None = None) -> HelpRequest:
    return HelpRequest(
        code=code,
        opened_at=ago(opened),
        until=ago(opened - 24 * 60),
        why="distress",
        lesson="an-toan-otp",
        step="cau-2",
        desk="telegram:-1001",
        answered_at=None if answered is None else ago(answered),
    )


LEARNERS = [
    # id, name, volunteer, remind, nudges, returns, open request, helped
    ("tg:101", "Nguyễn Thị Lan", "V1", True, {"a": 2}, 1, request("H-AAAA", 190), {"asked": 1}),
    ("tg:102", "Trần Văn Bình", None, False, {"a": 1, "next:b": 1}, 1, None,
     {"asked": 2, "answered": 2, "waited": 3000}),
    ("tg:103", "Lê Hoa", "V1", True, {}, 0, request("H-BBBB", 30, 10),
     {"asked": 1, "answered": 1, "waited": 1200}),
    ("tg:104", "", None, True, {"a": 3}, 0, None, {}),
]  # fmt: skip


def seed(store: Store) -> Places:
    for learner_id, name, volunteer, remind, nudges, returns, help_, helped in LEARNERS:
        store.save(
            Learner(
                id=learner_id,
                created_at=ago(9000),
                name=name or None,
                volunteer=volunteer,
                remind=remind,
                nudges=nudges,
                returns=returns,
                help=help_,
                helped=helped,
            )
        )
    volunteer = Volunteer("V1", "Hoa", "an-phu", "thon-1")
    store.put_doc("volunteer", "V1", volunteer.to_doc())
    return Places.load(store)


def test_the_figures_count_reminders_returns_opt_outs_and_requests(store: Store) -> None:
    places = seed(store)
    found = outreach(store.counts(), open_requests(store, places, NOW))
    figures = outreach_json(found)
    assert figures["reminders"] == {"sent": 7, "returned": 2, "return_rate": 0.2857,
                                    "opted_out": 1}  # fmt: skip
    assert {k: v for k, v in figures["help"].items() if k != "requests"} == {
        "open": 2,
        "asked": 4,
        "answered": 3,
        "minutes_to_answer": round(4200 / 3 / 60, 1),
        "oldest_waiting_minutes": 190.0,  # the answered one waits no more
    }
    requests = figures["help"]["requests"]
    assert [(r["code"], r["waiting_minutes"], r["answered"]) for r in requests] == [
        ("H-AAAA", 190.0, False),
        ("H-BBBB", 30.0, True),
    ]
    first = requests[0]
    assert (first["learner"], first["name"]) == ("tg:…101", "N***** T** L**")
    assert (first["area"], first["village"], first["volunteer"]) == ("an-phu", "thon-1", "V1")
    assert (first["lesson"], first["step"], first["desk"]) == ("an-toan-otp", "cau-2", "telegram")


def test_a_closed_request_leaves_the_list_and_the_open_count(store: Store) -> None:
    places = seed(store)
    store.update("tg:101", lambda learner: (learner and _closed(learner), None))
    found = outreach(store.counts(), open_requests(store, places, NOW))
    assert (found.help_open, [r.code for r in found.requests]) == (1, ["H-BBBB"])


def _closed(learner: Learner) -> Learner:
    learner.help = None
    return learner


def test_nothing_yet_is_zero_and_no_rate(store: Store) -> None:
    found = outreach(store.counts(), open_requests(store, Places.load(store), NOW))
    figures = outreach_json(found)
    assert figures["reminders"]["return_rate"] is None
    assert figures["help"]["minutes_to_answer"] is None
    assert figures["help"]["oldest_waiting_minutes"] is None
    assert figures["help"]["requests"] == []


def test_hocso_report_shows_them_in_json_text_and_by_help(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    store = open_store(url)
    seed(store)
    store.close()

    def hocso(*args: str) -> str:
        return hocso_report(url, *args)

    figures = json.loads(hocso("--json"))
    assert figures["learners"] == 4  # the spec's keys stay
    assert figures["reminders"]["sent"] == 7 and figures["help"]["open"] == 2
    text = hocso()
    assert "Reminders: 7 sent, 2 brought the learner back (29%), 1 learners turned them off" in text
    assert "Help: 2 open, the longest waiting" in text
    table = hocso("--by", "help")
    assert table.splitlines()[0].split()[:3] == ["code", "learner", "name"]
    assert "H-AAAA" in table and "Nguyễn" not in table and "N***** T** L**" in table
