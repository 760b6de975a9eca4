"""The figures every report shows, from the records the stores keep (`bot.tally`): one data
function per report, rendered by `hocso report` (text, CSV, JSON) and the console's pages
and exports alike.

    figures = report(store, Places.load(store), now_vn())
    report_json(figures)   # {"learners": 120, "active_7d": 40, "certificates": 9, ...}
    funnel(store, lesson)  # how many reached each step, stand there now, got it right first

Without `since`, a report reads the counters (a few thousand, whatever the number of
learners) and one count per group of the last-seen sets. With `since`, it reads every
learner once (for the forms sent upward, from a cron job): learners who came since,
lessons started or finished since, certificates earned since.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.learner import Learner
from bot.places import Places
from bot.stores.base import Store
from bot.tally import SEP, Group, contributions, seconds
from lessons.model import Lesson
from lessons.steps import Quiz

ACTIVE_DAYS = 7
By = Literal["area", "volunteer", "lesson"]


@dataclass
class Figures:
    """One line of a roll-up: learners, and what they did."""

    learners: int = 0
    active_7d: int = 0
    started: int = 0
    passed: int = 0
    trained: int = 0
    """Learners who passed at least one lesson."""
    certified: int = 0
    """Learners who earned at least one certificate."""
    certificates: int = 0

    def add(self, other: Figures) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Place:
    """An area or a village: its figures against its number of adults."""

    id: str
    name: str
    adults: int | None
    figures: Figures = field(default_factory=Figures)
    villages: dict[str, Place] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        """Adults certified, as a share of the adults (the target's measure)."""
        if not self.adults:
            return None
        return self.figures.certified / self.adults


@dataclass
class VolunteerFigures:
    code: str
    name: str
    area: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class LessonFigures:
    started: int = 0
    passed: int = 0
    failed: int = 0
    seconds: int = 0
    timed: int = 0

    @property
    def minutes(self) -> float | None:
        """The average time a passing attempt took, in minutes."""
        return round(self.seconds / self.timed / 60, 1) if self.timed else None


@dataclass
class Report:
    at: str
    since: str | None
    total: Figures
    areas: dict[str, Place]
    volunteers: dict[str, VolunteerFigures]
    lessons: dict[str, LessonFigures]
    certificates: dict[str, int]


def report(store: Store, places: Places, now: datetime, since: datetime | None = None) -> Report:
    """The figures, by area and village, volunteer, lesson and certificate."""
    if since is None:
        counts = store.counts()
        active_since = seconds((now - timedelta(days=ACTIVE_DAYS)).isoformat())
        groups = sorted(_groups(counts))
        found = store.rank_counts([f"g:{group}" for group in groups], since=active_since)
        return _build(counts, dict(zip(groups, found, strict=True)), places, now, None)
    counts, active_by_group = _recount(store, since, now)
    return _build(counts, active_by_group, places, now, since)


def _groups(counts: Mapping[str, int]) -> set[str]:
    """The groups (`bot.tally.Group` keys) the counters hold figures of."""
    found = set()
    for key in counts:
        kind, _, rest = key.partition(SEP)
        if kind in _GROUP_FIGURES:
            found.add(rest)
    return found


def _recount(store: Store, since: datetime, now: datetime) -> tuple[Counter[str], Counter[str]]:
    """The counters as they would be counting only what happened since `since`."""
    counts: Counter[str] = Counter()
    active: Counter[str] = Counter()
    floor = since.isoformat()
    week = (now - timedelta(days=ACTIVE_DAYS)).timestamp()
    for learner in _learners(store):
        counted = contributions(_since(learner, floor))
        if not _at_or_after(learner.created_at, floor):
            counted[f"learners{SEP}{Group.of(learner).key}"] -= 1  # not new: only what they did
        counts.update(counted)
        if seconds(learner.seen_at or learner.created_at) >= max(week, since.timestamp()):
            active[Group.of(learner).key] += 1
    return counts, active


def _learners(store: Store) -> Iterator[Learner]:
    for learner_id in store.learner_ids():
        learner = store.get(learner_id)
        if learner is not None:
            yield learner


def _since(learner: Learner, floor: str) -> Learner:
    """The learner as if only what happened at or after `floor` (an ISO time) counted."""
    copy = learner.copy()

    def after(stamp: str) -> bool:
        return _at_or_after(stamp, floor)

    copy.results = {k: r for k, r in copy.results.items() if after(r.completed_at)}
    copy.certificates = {k: e for k, e in copy.certificates.items() if after(e.earned_at)}
    if copy.position is not None and not after(copy.position.started_at):
        copy.position = None
    copy.places = {k: p for k, p in copy.places.items() if after(p.started_at)}
    copy.trail, copy.firsts = {}, {}
    return copy


def _at_or_after(stamp: str, floor: str) -> bool:
    try:
        return datetime.fromisoformat(stamp) >= datetime.fromisoformat(floor)
    except ValueError:
        return False


def _build(
    counts: Mapping[str, int],
    active: Mapping[str, int],
    places: Places,
    now: datetime,
    since: datetime | None,
) -> Report:
    groups: dict[str, Figures] = {}
    lessons: dict[str, LessonFigures] = {}
    certificates: dict[str, int] = {}
    for key, n in counts.items():
        kind, _, rest = key.partition(SEP)
        if kind in _GROUP_FIGURES:
            figures = groups.setdefault(rest, Figures())
            setattr(figures, _GROUP_FIGURES[kind], getattr(figures, _GROUP_FIGURES[kind]) + n)
        elif kind == "lesson":
            lesson, _, status = rest.rpartition(SEP)
            if status in ("started", "passed", "failed"):
                figure = lessons.setdefault(lesson, LessonFigures())
                setattr(figure, status, getattr(figure, status) + n)
        elif kind in ("time", "timed"):
            figure = lessons.setdefault(rest, LessonFigures())
            setattr(figure, "seconds" if kind == "time" else "timed", n)
        elif kind == "cert":
            certificates[rest] = n
    total = Figures()
    areas = {
        area.id: Place(
            area.id,
            area.name,
            area.adults,
            villages={v.id: Place(v.id, v.name, v.adults) for v in area.villages.values()},
        )
        for area in places.areas.values()
    }
    volunteers = {
        v.code: VolunteerFigures(v.code, v.name, v.area) for v in places.volunteers.values()
    }
    for key, figures in groups.items():
        if since is not None and not figures.learners and not _any(figures):
            continue
        figures.active_7d = active.get(key, 0) if figures.learners or since is None else 0
        group = Group.parse(key)
        total.add(figures)
        area_id, village_id = places.where(group)
        area = areas.setdefault(area_id, Place(area_id, places.area_name(area_id), None))
        area.figures.add(figures)
        if village_id:
            village = area.villages.setdefault(
                village_id, Place(village_id, places.village_name(area_id, village_id), None)
            )
            village.figures.add(figures)
        volunteer = volunteers.setdefault(
            group.volunteer, VolunteerFigures(group.volunteer, group.volunteer, "")
        )
        volunteer.figures.add(figures)
    return Report(
        at=now.isoformat(),
        since=since.isoformat() if since else None,
        total=total,
        areas=areas,
        volunteers=volunteers,
        lessons=lessons,
        certificates=certificates,
    )


_GROUP_FIGURES = {
    "learners": "learners",
    "started": "started",
    "passed": "passed",
    "trained": "trained",
    "certified": "certified",
    "certs": "certificates",
}


def _any(figures: Figures) -> bool:
    return any(getattr(figures, f.name) for f in fields(figures))


def report_json(found: Report) -> dict[str, Any]:
    """The report as `hocso report --json` prints it (../shared/spec/interfaces.md, and more).

    ```json
    {"learners": 120, "active_7d": 40, "certificates": 9,
     "lessons": {"an-toan-otp": {"started": 80, "passed": 61, "failed": 7}},
     "volunteers": {"V12": {"learners": 14, "passed": 30, "certificates": 2, "area": "an-phu"}},
     "areas": {"an-phu": {"learners": 50, "passed": 90, "certificates": 4, "adults": 1800}}}
    ```
    Learners with no volunteer are under the volunteer key "", those of no known area under
    the area key "".
    """
    total = found.total
    return {
        "at": found.at,
        "since": found.since,
        "learners": total.learners,
        "active_7d": total.active_7d,
        "started": total.started,
        "passed": total.passed,
        "trained": total.trained,
        "certified": total.certified,
        "certificates": total.certificates,
        "lessons": {
            lesson: {
                "started": f.started,
                "passed": f.passed,
                "failed": f.failed,
                "minutes": f.minutes,
            }
            for lesson, f in sorted(found.lessons.items())
        },
        "volunteers": {
            code: {"name": v.name, "area": v.area, **_figures(v.figures)}
            for code, v in sorted(found.volunteers.items())
        },
        "areas": {
            area_id: {
                "name": area.name,
                "adults": area.adults,
                "share": area.share,
                **_figures(area.figures),
                "villages": {
                    village_id: {
                        "name": village.name,
                        "adults": village.adults,
                        "share": village.share,
                        **_figures(village.figures),
                    }
                    for village_id, village in sorted(area.villages.items())
                },
            }
            for area_id, area in sorted(found.areas.items())
        },
        "certificate_counts": dict(sorted(found.certificates.items())),
    }


def _figures(figures: Figures) -> dict[str, int]:
    return {f.name: getattr(figures, f.name) for f in fields(figures)}


FIGURE_COLUMNS = tuple(f.name for f in fields(Figures))


def report_table(found: Report, by: By) -> tuple[list[str], list[list[Any]]]:
    """The report as one table (header, rows), for CSV and the terminal."""
    if by == "lesson":
        header = ["lesson", "started", "passed", "failed", "minutes"]
        rows: list[list[Any]] = [
            [lesson, f.started, f.passed, f.failed, f.minutes]
            for lesson, f in sorted(found.lessons.items())
        ]
        return header, rows
    if by == "volunteer":
        header = ["volunteer", "name", "area", *FIGURE_COLUMNS]
        rows = [
            [code, v.name, v.area, *_figures(v.figures).values()]
            for code, v in sorted(found.volunteers.items())
        ]
        return header, rows
    header = ["area", "village", "name", "adults", *FIGURE_COLUMNS, "share"]
    rows = []
    for area_id, area in sorted(found.areas.items()):
        rows.append(_place_row(area_id, "", area))
        for village_id, village in sorted(area.villages.items()):
            rows.append(_place_row(area_id, village_id, village))
    return header, rows


def _place_row(area_id: str, village_id: str, place: Place) -> list[Any]:
    share = None if place.share is None else round(place.share, 4)
    return [area_id, village_id, place.name, place.adults, *_figures(place.figures).values(), share]


@dataclass(frozen=True)
class StepFigures:
    """One step of a lesson's funnel."""

    step: str
    kind: str
    reached: int
    standing: int
    """Learners standing on it now (where those who stopped stopped)."""
    asked: int = 0
    right: int = 0

    @property
    def right_rate(self) -> float | None:
        """First answers ever that were right, as a share (quiz steps)."""
        return self.right / self.asked if self.asked else None


def funnel(counts: dict[str, int], lesson: Lesson) -> list[StepFigures]:
    """How many learners reached each step of a lesson (in the written order), stand on it
    now, and got it right at their first try; steps no longer in the lesson that learners
    reached or stand on come last, so that an edit hides nobody."""
    lesson_id = lesson.id.replace(SEP, "/")
    steps = [(step.id, "quiz" if isinstance(step, Quiz) else type(step).__name__.lower())
             for step in lesson.steps]  # fmt: skip
    known = {step_id for step_id, _ in steps}
    prefixes = (f"reach{SEP}{lesson_id}{SEP}", f"at{SEP}{lesson_id}{SEP}")
    gone = sorted({key.split(SEP)[2] for key in counts if key.startswith(prefixes)} - known)
    steps += [(step_id, "gone") for step_id in gone]

    def count(*parts: str) -> int:
        return counts.get(SEP.join(parts), 0)

    return [
        StepFigures(
            step=step_id,
            kind=kind,
            reached=count("reach", lesson_id, step_id),
            standing=count("at", lesson_id, step_id),
            asked=count("q", lesson_id, step_id, "asked"),
            right=count("q", lesson_id, step_id, "right"),
        )
        for step_id, kind in steps
    ]


def standing(counts: dict[str, int]) -> dict[tuple[str, str], int]:
    """How many learners stand on each (lesson, step) now."""
    found: dict[tuple[str, str], int] = {}
    for key, n in counts.items():
        kind, _, rest = key.partition(SEP)
        if kind == "at":
            lesson, _, step = rest.partition(SEP)
            found[(lesson, step)] = n
    return found


def hardest(
    counts: dict[str, int], lessons: Iterable[Lesson], limit: int = 10
) -> list[tuple[str, StepFigures]]:
    """The quiz questions with the lowest first-try right rate (asked at least 5 times)."""
    found = [
        (lesson.id, step)
        for lesson in lessons
        for step in funnel(counts, lesson)
        if step.kind == "quiz" and step.asked >= 5
    ]
    found.sort(key=lambda item: (item[1].right_rate or 0.0, -item[1].asked))
    return found[:limit]
