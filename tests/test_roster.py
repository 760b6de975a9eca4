"""The console's lists of learners: masked names, pages by last seen for everyone, an area,
a village or a volunteer, searches, and a volunteer's follow-up lists."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from bot.exports import BOM, CHUNK_ROWS, csv_chunks, learners_csv
from bot.learner import VIETNAM, Earned, Learner, Position, Result
from bot.places import Area, Places, Village, Volunteer
from bot.roster import Filter, follow_up, mask_id, mask_name, registry, roster
from bot.stores import Store, open_store

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.mark.parametrize(
    ("name", "masked"),
    [("Nguyễn Thị Lan", "N***** T** L**"), ("Ted", "T**"), ("", ""), ("  A  ", "A")],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_ids_are_masked() -> None:
    assert mask_id("tg:123456789") == "tg:…789"


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


# id, name, volunteer, assigned area, days since seen, in a lesson, passed a lesson
PEOPLE = [
    ("tg:1", "Nguyễn Thị Lan", "V1", None, 0.1, True, False),
    ("tg:2", "Trần Văn Bình", "V1", None, 3, True, True),
    ("tg:3", "Lê Hoà", "V1", None, 10, False, True),
    ("tg:4", "Phạm Minh", "V2", None, 0.5, False, False),
    ("tg:5", "Đỗ An", None, "an-phu", 2, False, False),
    ("tg:6", "Vũ Hạnh", None, None, 1, False, False),
]


def seed(store: Store) -> Places:
    for learner_id, name, volunteer, area, seen, learning, passed in PEOPLE:
        store.save(
            Learner(
                id=learner_id,
                created_at=ago(30),
                name=name,
                volunteer=volunteer,
                area=area,
                seen_at=ago(seen),
                position=Position("an-toan-otp", "cau-1", ago(seen)) if learning else None,
                results={"mat-khau": Result("passed", 1.0, ago(seen))} if passed else {},
            )
        )
    return Places(
        {"an-phu": Area("an-phu", "Xã An Phú", 1000, {"thon-1": Village("thon-1", "Thôn 1")})},
        {"V1": Volunteer("V1", "Hoa", "an-phu", "thon-1"), "V2": Volunteer("V2", "Minh")},
    )


@pytest.mark.parametrize(
    ("wanted", "ids", "total"),
    [
        (Filter(), ["tg:1", "tg:4", "tg:6"], 6),
        (Filter(area="an-phu"), ["tg:1", "tg:5", "tg:2"], 4),
        (Filter(area="an-phu", village="thon-1"), ["tg:1", "tg:2", "tg:3"], 3),
        (Filter(area=""), ["tg:4", "tg:6"], 2),
        (Filter(volunteer=""), ["tg:6", "tg:5"], 2),
        (Filter(query="hoa"), ["tg:3"], 1),  # "Hoà", without the diacritic
        (Filter(query="tg:4"), ["tg:4"], 1),
    ],
)
def test_a_page_of_learners_the_last_seen_first(
    store: Store, wanted: Filter, ids: list[str], total: int
) -> None:
    places = seed(store)
    page = roster(store, places, wanted, 0, 3)
    assert [line.id for line in page.lines] == ids
    assert page.total == total


def test_pages_follow_on(store: Store) -> None:
    places = seed(store)
    first = roster(store, places, Filter(area="an-phu"), 0, 2)
    second = roster(store, places, Filter(area="an-phu"), 2, 2)
    assert [line.id for line in first.lines + second.lines] == ["tg:1", "tg:5", "tg:2", "tg:3"]
    line = first.lines[0]
    assert (line.name, line.channel, line.area, line.village) == (
        "N***** T** L**", "Telegram", "an-phu", "thon-1"
    )  # fmt: skip


def test_a_volunteer_sees_who_is_stuck_away_and_passed(store: Store) -> None:
    places = seed(store)
    found = follow_up(store, places, "V1", NOW.timestamp())
    assert [line.id for line in found.stuck] == ["tg:2"]
    assert [line.id for line in found.away] == ["tg:3"]
    assert [line.id for line in found.learning] == ["tg:1"]
    assert [line.id for line in found.passed] == ["tg:2", "tg:3"]
    assert found.total == 3


def test_the_learners_csv_opens_in_excel_and_reads_back(store: Store) -> None:
    places = seed(store)
    data = b"".join(learners_csv(store, places))
    assert data.startswith(BOM.encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(PEOPLE)
    lan = next(row for row in rows if row["learner"] == "tg:1")
    assert (lan["name"], lan["area"], lan["village"], lan["lesson"]) == (
        "N***** T** L**", "an-phu", "thon-1", "an-toan-otp"
    )  # fmt: skip
    assert "Nguyễn" not in data.decode("utf-8")


def test_a_cell_a_spreadsheet_would_run_is_written_as_text_in_every_export(store: Store) -> None:
    places = seed(store)
    store.save(Learner(id="tg:7", created_at=ago(1), name="=HYPERLINK(x) Lan", seen_at=ago(1)))
    data = b"".join(learners_csv(store, places)).decode("utf-8-sig")
    row = next(row for row in csv.DictReader(io.StringIO(data)) if row["learner"] == "tg:7")
    assert row["name"] == "'=***** L**"
    cells = ["+1", "-x", "@SUM", "\tx", "a=b", -3, None]
    written = b"".join(csv_chunks(["c"] * len(cells), [cells])).decode("utf-8-sig")
    assert written.splitlines()[1] == "'+1,'-x,'@SUM,'\tx,a=b,-3,"


def test_a_csv_streams_in_chunks() -> None:
    chunks = list(csv_chunks(["n"], ([n] for n in range(CHUNK_ROWS * 2 + 1))))
    assert len(chunks) == 3


def test_the_registry_lists_certificates_the_latest_first(store: Store) -> None:
    places = seed(store)
    for number, days in [(1, 5), (4, 1)]:
        learner = store.get(f"tg:{number}")
        assert learner is not None
        learner.certificates["co-ban"] = Earned(ago(days), f"HS-000{number}")
        store.save(learner)
    lines, total = registry(store, places)
    assert [(line.code, line.name, line.area) for line in lines] == [
        ("HS-0004", "P*** M***", ""),
        ("HS-0001", "N***** T** L**", "an-phu"),
    ]
    assert total == 2
