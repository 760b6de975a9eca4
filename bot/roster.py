"""Who the learners are, as the console lists them: a page of learners by last seen, for
everyone, an area, a village or a volunteer, and searched by name or id; masked names.

    page = roster(store, places, Filter(area="an-phu"), start=0, limit=50)
    page.lines[0].name   # "Ng*** T** L**"

A page reads the ranked sets (`bot.tally`): one per group (volunteer, area, village), merged,
so a page costs the same with 200 learners or 200,000. A search reads every row once.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from bot.places import Places
from bot.stores.base import Store
from bot.tally import SEP, Group, seconds
from lessons.reading import normalize

CHANNELS = {"tg": "Telegram", "zalobot": "Zalo", "zalo": "Zalo OA", "web": "Web", "cli": "CLI"}


def mask_name(name: str) -> str:
    """A name as lists show it: each word's first letter, the rest hidden.

    "Nguyễn Thị Lan" -> "N***** T** L**"; "" -> "".
    """
    return " ".join(word[0] + "*" * min(len(word) - 1, 5) for word in name.split())


def mask_id(learner_id: str) -> str:
    """A learner id with only the channel and the last 3 characters: "tg:…345"."""
    channel, _, rest = learner_id.partition(":")
    return f"{channel}:…{rest[-3:]}" if rest else learner_id


def channel_of(learner_id: str) -> str:
    return CHANNELS.get(learner_id.partition(":")[0], learner_id.partition(":")[0])


@dataclass(frozen=True)
class Filter:
    area: str | None = None
    """None: any; "": learners of no known area."""
    village: str | None = None
    volunteer: str | None = None
    """None: any; "": learners who came with no volunteer's code."""
    query: str = ""


@dataclass(frozen=True)
class Line:
    id: str
    name: str
    """Masked."""
    channel: str
    volunteer: str
    area: str
    village: str
    seen_at: str
    lesson: str
    step: str
    passed: int
    certificates: int

    @classmethod
    def of(cls, row: dict[str, Any], places: Places) -> Line:
        group = Group(row.get("volunteer", ""), row.get("area", ""), row.get("village", ""))
        area, village = places.where(group)
        return cls(
            id=row["id"],
            name=mask_name(row.get("name", "")) or mask_id(row["id"]),
            channel=channel_of(row["id"]),
            volunteer=group.volunteer,
            area=area,
            village=village,
            seen_at=row.get("seen_at", ""),
            lesson=row.get("lesson", ""),
            step=row.get("step", ""),
            passed=int(row.get("passed", 0)),
            certificates=int(row.get("certificates", 0)),
        )


@dataclass(frozen=True)
class Page:
    lines: list[Line]
    total: int
    """How many learners the filter holds (for a search: how many were found)."""
    start: int


def groups(store: Store, places: Places, wanted: Filter) -> list[str]:
    """The group keys (`volunteer|area|village`) whose learners the filter takes."""
    found = []
    for key in store.counts():
        kind, _, group_key = key.partition(SEP)
        if kind != "learners":
            continue
        group = Group.parse(group_key)
        area, village = places.where(group)
        if wanted.volunteer is not None and group.volunteer != wanted.volunteer:
            continue
        if wanted.area is not None and area != wanted.area:
            continue
        if wanted.village is not None and village != wanted.village:
            continue
        found.append(group_key)
    return sorted(found)


def roster(store: Store, places: Places, wanted: Filter, start: int = 0, limit: int = 50) -> Page:
    """A page of learners, the last seen first."""
    if wanted.query.strip():
        return _search(store, places, wanted, start, limit)
    if wanted == Filter():
        ids = store.ranked("all", start, start + limit)
        total = store.rank_count("all")
    else:
        names = [f"g:{key}" for key in groups(store, places, wanted)]
        # The first start + limit of each set, merged: the page is among them.
        merged = heapq.merge(
            *(store.ranked(name, 0, start + limit) for name in names),
            key=lambda member: (member[1], member[0]),
            reverse=True,
        )
        ids = list(merged)[start : start + limit]
        total = sum(store.rank_counts(names))
    rows = store.rows([learner_id for learner_id, _ in ids])
    lines = [Line.of(row, places) for row in rows if row is not None]
    return Page(lines, total, start)


def _search(store: Store, places: Places, wanted: Filter, start: int, limit: int) -> Page:
    """Learners whose name or id holds the query (without diacritics or case)."""
    needle = normalize(wanted.query)
    found = [
        line
        for row in store.each_row()
        if needle in normalize(row["id"]) or needle in normalize(row.get("name", ""))
        for line in [Line.of(row, places)]
        if _takes(wanted, line)
    ]
    found.sort(key=lambda line: (line.seen_at, line.id), reverse=True)
    return Page(found[start : start + limit], len(found), start)


def _takes(wanted: Filter, line: Line) -> bool:
    return (
        (wanted.volunteer is None or line.volunteer == wanted.volunteer)
        and (wanted.area is None or line.area == wanted.area)
        and (wanted.village is None or line.village == wanted.village)
    )


STUCK_AFTER = 1
"""Days without a word after which a learner left mid-lesson counts as stuck."""
AWAY_AFTER = 7
"""Days without a word after which a learner counts as not come back."""


@dataclass(frozen=True)
class FollowUp:
    """A volunteer's own learners, as they need them: who to help, who to call, who passed."""

    stuck: list[Line]
    """Left a lesson mid-way, between `STUCK_AFTER` and `AWAY_AFTER` days ago."""
    away: list[Line]
    """Not seen for `AWAY_AFTER` days or more."""
    learning: list[Line]
    """Seen lately, in a lesson or between lessons."""
    passed: list[Line]
    """Passed at least one lesson (also in one of the lists above)."""
    total: int


def follow_up(store: Store, places: Places, code: str, now: float, most: int = 500) -> FollowUp:
    """The learners a volunteer brought (their code), sorted into what to do about them."""
    page = roster(store, places, Filter(volunteer=code), 0, most)
    stuck, away, learning = [], [], []
    for line in page.lines:
        idle_days = (now - seconds(line.seen_at)) / 86400
        if idle_days >= AWAY_AFTER:
            away.append(line)
        elif line.lesson and idle_days >= STUCK_AFTER:
            stuck.append(line)
        else:
            learning.append(line)
    passed = [line for line in page.lines if line.passed]
    return FollowUp(stuck, away, learning, passed, page.total)


@dataclass(frozen=True)
class CertificateLine:
    """One certificate in the registry."""

    code: str
    certificate: str
    learner: str
    """The learner's id."""
    name: str
    """Masked."""
    earned_at: str
    area: str
    village: str


def registry(
    store: Store, places: Places, start: int = 0, limit: int = 50
) -> tuple[list[CertificateLine], int]:
    """A page of certificates, the learners who earned one most lately first (each with all
    their certificates, newest first), and how many learners hold one."""
    ids = [learner_id for learner_id, _ in store.ranked("certified", start, start + limit)]
    lines = []
    for learner_id in ids:
        learner = store.get(learner_id)
        if learner is None:
            continue
        area, village = places.where(Group.of(learner))
        name = mask_name(learner.name or "") or mask_id(learner.id)
        earned = sorted(learner.certificates.items(), key=lambda item: item[1].earned_at)
        for certificate, got in reversed(earned):
            lines.append(
                CertificateLine(
                    got.code, certificate, learner.id, name, got.earned_at, area, village
                )
            )
    return lines, store.rank_count("certified")
