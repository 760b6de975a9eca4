"""The figures: from the counters, equal to a recount from the learners, by area and
village (a volunteer's learners count where the volunteer belongs), volunteer and lesson."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.exports import learners_csv
from bot.inbound import Inbound
from bot.learner import VIETNAM, Earned, Learner, Position, Result
from bot.places import Area, Places, Village, Volunteer
from bot.reports import funnel, report, report_json, report_table
from bot.stores import Store, open_store
from bot.tutor import Tutor
from lessons.loader import load_lesson
from support.chat import fixture_content
from support.processes import hocso_report

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def passed(days: float = 1) -> Result:
    return Result("passed", 1.0, ago(days), seconds=600)


LEARNERS = [
    # id, volunteer, (area, village) assigned, seen days ago, results, certificates
    ("tg:1", "V1", None, 1, {"a": passed(), "b": passed()}, {"co-ban": Earned(ago(1), "HS-1")}),
    ("tg:2", "V1", None, 10, {"a": Result("failed", 0.3, ago(10))}, {}),
    ("tg:3", "V2", None, 2, {"a": passed(20)}, {}),
    ("tg:4", None, ("an-phu", "thon-2"), 3, {}, {}),
    ("tg:5", None, None, 30, {}, {}),
]


def seed(store: Store) -> Places:
    for learner_id, volunteer, assigned, seen, results, certificates in LEARNERS:
        area, village = assigned or (None, None)
        store.save(
            Learner(
                id=learner_id,
                created_at=ago(40),
                volunteer=volunteer,
                area=area,
                village=village,
                seen_at=ago(seen),
                results=results,
                certificates=certificates,
            )
        )
    villages = {v: Village(v, f"Thôn {v[-1]}", 100) for v in ("thon-1", "thon-2")}
    places = Places(
        {"an-phu": Area("an-phu", "Xã An Phú", 1000, villages)},
        {"V1": Volunteer("V1", "Hoa", "an-phu", "thon-1"), "V2": Volunteer("V2", "Minh")},
    )
    for area in places.areas.values():
        store.put_doc("area", area.id, area.to_doc())
    for volunteer in places.volunteers.values():
        store.put_doc("volunteer", volunteer.code, volunteer.to_doc())
    return places


def test_the_report_counts_by_area_village_volunteer_and_lesson(store: Store) -> None:
    seed(store)
    found = report_json(report(store, Places.load(store), NOW))
    assert (found["learners"], found["active_7d"], found["certificates"]) == (5, 3, 1)
    assert found["lessons"]["a"] == {"started": 3, "passed": 2, "failed": 1, "minutes": 10.0}
    area = found["areas"]["an-phu"]
    assert (area["learners"], area["passed"], area["certified"], area["adults"]) == (3, 2, 1, 1000)
    assert area["share"] == 0.001
    assert area["villages"]["thon-1"]["learners"] == 2  # V1's, where V1 belongs
    assert area["villages"]["thon-2"]["learners"] == 1  # assigned by an admin
    assert found["areas"][""]["learners"] == 2  # V2 (no area) and tg:5
    assert found["volunteers"]["V1"] | {"name": "Hoa"} == found["volunteers"]["V1"]
    assert found["volunteers"]["V1"]["passed"] == 2
    assert found["volunteers"][""]["learners"] == 2


def test_since_counts_only_what_happened_since(store: Store) -> None:
    seed(store)
    found = report_json(report(store, Places.load(store), NOW, since=NOW - timedelta(days=5)))
    assert found["learners"] == 0  # all came 40 days ago
    assert found["passed"] == 2 and found["certificates"] == 1
    assert found["lessons"]["a"]["passed"] == 1


@pytest.mark.parametrize(
    ("by", "first"),
    [
        ("area", ["", "", "", None, 2, 1, 1, 1, 1, 0, 0, None]),
        ("volunteer", ["", "", "", 2, 1, 0, 0, 0, 0, 0]),
        ("lesson", ["a", 3, 2, 1, 10.0]),
    ],
)
def test_report_tables(store: Store, by: str, first: list[object]) -> None:
    seed(store)
    header, rows = report_table(report(store, Places.load(store), NOW), by)  # type: ignore[arg-type]
    assert len(header) == len(first)
    assert rows[0] == first


def test_a_funnel_counts_reached_standing_and_first_tries(store: Store) -> None:
    content = ROOT / "tests/data/content"
    lesson, problems = load_lesson(content / "lessons/mau.yaml", content)
    assert lesson is not None, problems
    first, second = lesson.steps[0].id, lesson.steps[1].id
    store.save(
        Learner(
            id="tg:1",
            created_at=ago(1),
            position=Position(lesson.id, second, ago(1)),
            trail={lesson.id: [first, second]},
            firsts={lesson.id: {second: False}},
        )
    )
    store.save(
        Learner(
            id="tg:2",
            created_at=ago(1),
            trail={lesson.id: [first, "gone-step"]},
            places={lesson.id: Position(lesson.id, "gone-step", ago(1))},
        )
    )
    steps = {step.step: step for step in funnel(store.counts(), lesson)}
    assert (steps[first].reached, steps[first].standing) == (2, 0)
    assert (steps[second].reached, steps[second].standing, steps[second].asked) == (1, 1, 1)
    assert steps[second].right_rate == 0.0
    assert (steps["gone-step"].kind, steps["gone-step"].standing) == ("gone", 1)


def test_hocso_report_prints_json_csv_and_a_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    store = open_store(url)
    seed(store)
    store.close()

    def hocso(*args: str) -> str:
        return hocso_report(url, *args)

    assert json.loads(hocso("--json"))["learners"] == 5
    text = hocso("--by", "volunteer", "--csv")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {row["volunteer"]: row["learners"] for row in rows} == {"": "2", "V1": "2", "V2": "1"}
    assert "Xã An Phú" in hocso()


def test_a_learner_who_deletes_their_data_leaves_every_report(store: Store, tmp_path: Path) -> None:
    """`xóa dữ liệu`, confirmed, through the engine: nothing of them in any figure, list or
    export."""
    places = seed(store)
    before = report_json(report(store, places, NOW))
    content = fixture_content(tmp_path)
    tutor = Tutor(Engine(content), store)
    tutor.handle(Inbound("tg:gone", start="mau_V1", name="Bà Tư"))
    tutor.handle(Inbound("tg:gone", text="tiếp"))
    assert report_json(report(store, places, NOW))["learners"] == before["learners"] + 1
    tutor.handle(Inbound("tg:gone", text="xóa dữ liệu"))
    say = content.messages.text
    tutor.handle(Inbound("tg:gone", text=say("buttons.delete_yes")))
    assert store.get("tg:gone") is None
    after = report_json(report(store, places, NOW))
    assert {k: v for k, v in after.items() if k != "at"} == {
        k: v for k, v in before.items() if k != "at"
    }
    assert b"tg:gone" not in b"".join(learners_csv(store, places))
    assert store.rows(["tg:gone"]) == [None]
