"""How the console's reports hold up with many learners: builds a store of N learners (default
200,000) with about 10 recorded steps each, written through the store's own write path, then
times what a page view or an export reads.

    .venv/bin/python scripts/bench_reports.py --store sqlite:////tmp/hocso-bench.db
    .venv/bin/python scripts/bench_reports.py --store 'redis://127.0.0.1:6379/0?prefix=hocso-bench'
        [--learners 200000] [--runs 5] [--writes 100] [--export-runs 3] [--threads 4]
        [--keep] [--reuse]

The learners walk the real lessons of the content folder through the lesson machine
(`lessons.machine`: a few dozen walks per lesson, each question right at the first try with
a chance of its own), and stop where learners stop: most part of the way into a lesson or
two, some to the end (a result, `bot.progress.record`; certificates, `bot.progress.award`),
some with a retake. What they reached and answered is noted as the engine notes it
(`bot.trail.note`). About 200 volunteers in 6 communes of 5 villages each are kept in the
directory (`store.put_doc("area" | "volunteer", …)`); most learners came through a
volunteer, some were assigned a commune and village by an admin, some neither. Every learner
is written with `store.save`, which applies its tally (`bot.tally`) in the same transaction,
script or MULTI as the product does.

SQLite commits with `synchronous = FULL` (an fsync per learner): the first learners are
written so, for the figure, and the rest with `synchronous = OFF` (printed), one transaction
per learner all the same. Redis: `--threads` clients write at once (each learner one
`update`: WATCH, GET, MULTI with the tally script, EXEC).

Then, `--runs` times each (median and max), as the console's pages call them: the overview
(`bot.reports.report`, with `Places.load`), the funnel of the lesson with the most steps
(`funnel(store.counts(), …)`), `hardest`, a page of 50 of the learners list
(`bot.roster.roster`: everyone, which reads `ranked("all", 0, 50)` and `rows`; the commune and
the volunteer with the most learners, merged from their groups' ranked sets), a page of the
certificate registry, the count of learners active in the last 7 days; `--writes` learners
moved one step further with `store.update` (a turn's write, with its tally; each written back
as it was afterwards); and `--export-runs` times the CSV export of every learner
(`bot.exports.learners_csv`: `store.each_row()` through `csv.writer`, 500 rows a chunk) to
/dev/null, with the process's memory once a quarter, half and all of the rows are written,
above where the export began: resident (VmRSS) in the timed runs, and the peak of Python's
allocations (tracemalloc) in one more run.

A store is built only when empty, and marked as the benchmark's (a directory document of kind
`bench`); unless `--keep`, it is deleted afterwards (the SQLite file; every key under the
Redis prefix), and only when it bears that mark. `--reuse` measures a store kept before.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import trail
from bot.content import Content, check_content, default_content_dir
from bot.exports import learners_csv
from bot.learner import Learner, Position, now_vn
from bot.places import AREA, VOLUNTEER, Area, Places, Village, Volunteer
from bot.progress import award, record
from bot.reports import ACTIVE_DAYS, funnel, hardest, report
from bot.roster import Filter, registry, roster
from bot.stores import Store, open_store, sqlite_file
from bot.stores.redis import RedisStore
from bot.stores.sqlite import SQLiteStore
from bot.tally import SEP, seconds
from lessons import machine
from lessons.events import Event, Finished
from lessons.model import Lesson
from lessons.reply import Reply, Words
from lessons.steps import Quiz

MARK = ("bench", "reports")
"""The directory document that marks a store as this script's (kind, id)."""

WALKS = 40
"""Walks through each lesson that learners take parts of."""

DAYS = 120
"""Learners came over this many days before the build."""

AREAS, VILLAGES, VOLUNTEERS, UNKNOWN_VOLUNTEERS = 6, 5, 200, 10
STUDIOUS = 0.03
"""The share of learners who take every lesson of a certificate (the smaller ones likelier)."""

FULL_SYNC_LEARNERS = 1000
"""SQLite: how many learners are written with an fsync per commit before switching it off."""

NAMES = ("Lan", "Hoa", "Minh", "Tuấn", "Hương", "Bình", "Thảo", "Dũng", "Mai", "Hùng",
         "Nga", "Sơn", "Hạnh", "Phúc", "Liên", "Tâm", "Cúc", "Đức", "Yến", "Khánh")  # fmt: skip
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# -- the learners -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """Where a walk stands after `replies` replies: the position (None: the lesson ended)
    and how many of the walk's events had happened by then."""

    position: Position | None
    events: int
    replies: int


@dataclass(frozen=True)
class Walk:
    """One learner's way through a lesson, reply by reply, as the machine took it."""

    lesson: Lesson
    events: tuple[Event, ...]
    stages: tuple[Stage, ...]

    @property
    def finished(self) -> Finished:
        last = self.events[-1]
        assert isinstance(last, Finished)
        return last


def right_chance(lesson: Lesson, step_id: str) -> float:
    """How likely a first answer to this question is right: its own, the same every run."""
    return random.Random(f"{lesson.id}/{step_id}").uniform(0.35, 0.95)


def walk(lesson: Lesson, words: Words, rng: random.Random) -> Walk:
    """Walk a lesson to its end: a random option at each `ask`, each quiz answered right
    with the question's chance (again after a wrong answer), "go on" elsewhere."""
    position, events = machine.start(lesson, "2026-01-01T00:00:00+07:00")
    stages = [Stage(position, len(events), 0)]
    while position is not None:
        step = lesson.step(position.step)
        if isinstance(step, Quiz):
            right = rng.random() < right_chance(lesson, step.id)
            if step.answers:
                reply = Reply(text=step.answers[0] if right else "tôi không nhớ")
            else:
                correct = step.correct_index or 0
                wrong = [k for k in range(len(step.options)) if k != correct] or [correct]
                reply = Reply(option=correct if right else rng.choice(wrong))
        elif step.options:
            reply = Reply(option=rng.randrange(len(step.options)))
        else:
            reply = Reply(go_on=True)
        position, new = machine.answer(lesson, position, reply, words)
        events += new
        stages.append(Stage(position, len(events), stages[-1].replies + 1))
        if len(stages) > 500:
            raise SystemExit(f"lesson {lesson.id}: a walk did not end within 500 replies")
    return Walk(lesson, tuple(events), tuple(stages))


@dataclass
class Plan:
    """What the learners are made of: the content, walks through every lesson, the directory."""

    content: Content
    now: datetime
    walks: dict[str, list[Walk]]
    volunteers: list[str]
    """Codes learners come with (the last few are in no directory document)."""
    volunteer_weights: list[float]
    places: Places

    @classmethod
    def make(cls, content: Content, now: datetime, seed: int) -> Plan:
        rng = random.Random(seed)
        words = content.words
        walks = {
            lesson.id: [walk(lesson, words, rng) for _ in range(WALKS)]
            for lesson in content.lessons.values()
        }
        areas = {
            f"xa-{a:02d}": Area(
                f"xa-{a:02d}",
                f"Xã {a:02d}",
                VILLAGES * 900,
                {
                    f"thon-{v}": Village(f"thon-{v}", f"Thôn {v}", 900)
                    for v in range(1, VILLAGES + 1)
                },
            )
            for a in range(1, AREAS + 1)
        }
        homes = [(area, village) for area in areas for village in areas[area].villages]
        volunteers = {
            f"V{n:03d}": Volunteer(
                f"V{n:03d}",
                f"Tình nguyện viên {n}",
                *homes[n % len(homes)],
                team=n % 20 == 0,
            )
            for n in range(1, VOLUNTEERS + 1)
        }
        codes = [*volunteers, *(f"V{n:03d}" for n in range(901, 901 + UNKNOWN_VOLUNTEERS))]
        # A few volunteers bring many learners, most a few (Zipf-like).
        weights = [1 / (rank + 5) for rank in range(len(codes))]
        return cls(content, now, walks, codes, weights, Places(areas, volunteers))

    def learner(self, number: int, rng: random.Random) -> Learner:
        """Learner `number`: who they are and everything they did, as the engine keeps it."""
        lessons = list(self.content.lessons.values())
        came = self.now - timedelta(seconds=round(DAYS * 86400 * rng.random() ** 1.5))
        channel = rng.random()
        learner_id = (
            f"tg:{700000000 + number}"
            if channel < 0.55
            else f"zalobot:{rng.getrandbits(64):016x}{number}"
            if channel < 0.75
            else f"zalo:{8100000000000 + number}"
            if channel < 0.85
            else f"web:{rng.getrandbits(96):024x}{number}"
        )
        learner = Learner.new(learner_id, came)
        learner.name = rng.choice(NAMES) if rng.random() < 0.7 else None
        if rng.random() < 0.75:
            learner.volunteer = rng.choices(self.volunteers, self.volunteer_weights)[0]
            assigned = rng.random() < 0.02
        else:
            assigned = rng.random() < 0.6
        if assigned:
            area = rng.choice(list(self.places.areas.values()))
            learner.area, learner.village = area.id, rng.choice(list(area.villages))
        clock = came
        kind = rng.random()
        if kind < STUDIOUS:  # a learner working toward a certificate, lesson after lesson
            certificates = self.content.certificates
            aim = rng.choices(certificates, [1 / len(c.lessons) ** 2 for c in certificates])[0]
            for lesson_id in aim.lessons:
                lesson = self.content.lessons[lesson_id]
                for _ in range(3):  # a failed lesson is taken again, twice at most
                    clock = self._attempt(learner, number, lesson, clock, rng, finish=0.9)
                    if learner.passed(lesson_id) or lesson_id not in learner.results:
                        break
                clock += timedelta(seconds=rng.randrange(48 * 3600))
        else:  # most: a lesson or a few, part of the way
            attempts = rng.choices((1, 2, 3, 4), (75, 17, 5, 3))[0]
            index = min(int(rng.expovariate(0.35)), len(lessons) - 1)
            for _ in range(attempts):
                lesson = lessons[index]
                clock = self._attempt(learner, number, lesson, clock, rng, finish=0.15)
                failed = learner.results.get(lesson.id)
                if failed and failed.status == "failed" and rng.random() < 0.3:
                    clock = self._attempt(learner, number, lesson, clock, rng, finish=0.5)
                # Next: mostly the following lesson in the menu, sometimes any.
                following = rng.random() < 0.7
                index = (index + 1) % len(lessons) if following else rng.randrange(len(lessons))
                clock += timedelta(seconds=rng.randrange(72 * 3600))
        learner.seen_at = min(clock, self.now).isoformat()
        if learner.position is not None:
            step = learner.position.lesson, learner.position.step
            options = self.content.lessons[step[0]].step(step[1]).options
            learner.buttons = [(o.label, f"o:{number:010x}:{k}") for k, o in enumerate(options)]
        return learner

    def _attempt(
        self,
        learner: Learner,
        number: int,
        lesson: Lesson,
        clock: datetime,
        rng: random.Random,
        finish: float,
    ) -> datetime:
        """One go at a lesson: to its end (with the chance `finish`) or part of the way (a
        few replies); where the learner stood in the lesson they were on is kept, as opening
        another lesson keeps it."""
        taken = rng.choice(self.walks[lesson.id])
        last = len(taken.stages) - 1
        stop = last if rng.random() < finish else min(last - 1, int(rng.expovariate(1 / 3.5)))
        stage = taken.stages[stop]
        if learner.position is not None and learner.position.lesson != lesson.id:
            learner.places[learner.position.lesson] = learner.position
        learner.places.pop(lesson.id, None)
        started = clock
        clock += timedelta(seconds=stage.replies * rng.randrange(15, 60))
        trail.note(learner, lesson.id, taken.events[: stage.events])
        learner.turns += stage.replies + 1
        if stage.position is None:
            at = min(clock, self.now).isoformat()
            learner.position = None
            record(learner, taken.finished, at, started.isoformat())
            # award asks for a code before it adds each certificate: the count tells them apart.
            award(learner, self.content.certificates, at, lambda: code(number, learner))
        else:
            learner.position = dataclasses.replace(
                stage.position.copy(), started_at=started.isoformat()
            )
        return clock


def code(number: int, learner: Learner) -> str:
    """A verification code in `bot.progress.new_code`'s form, made from the learner's number
    and how many certificates they hold, so that no two codes collide."""
    value = (number * 8 + len(learner.certificates)) % 32**8
    chars = "".join(CODE_ALPHABET[(value >> (5 * k)) & 31] for k in range(7, -1, -1))
    return f"HS-{chars[:4]}-{chars[4:]}"


# -- building and cleaning up -------------------------------------------------------------------


@dataclass
class Built:
    learners: int = 0
    steps: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def build(store: Store, plan: Plan, count: int, seed: int, threads: int) -> Built:
    """Write the directory and `count` learners through `store.save`."""
    store.put_doc(*MARK, {"now": plan.now.isoformat(), "learners": count, "complete": False})
    for area in plan.places.areas.values():
        store.put_doc(AREA, area.id, area.to_doc())
    for volunteer in plan.places.volunteers.values():
        store.put_doc(VOLUNTEER, volunteer.code, volunteer.to_doc())
    built = Built()
    lock = threading.Lock()

    def save(number: int) -> None:
        # One generator per learner, so that a learner is the same whichever thread makes it.
        learner = plan.learner(number, random.Random(seed * 1_000_003 + number))
        store.save(learner)
        steps = sum(len(reached) for reached in learner.trail.values())
        with lock:
            built.learners += 1
            built.steps += steps

    started = time.perf_counter()
    first = 0
    if isinstance(store, SQLiteStore):
        first = min(FULL_SYNC_LEARNERS, count)
        for number in range(first):
            save(number)
        took = time.perf_counter() - started
        built.notes.append(
            f"SQLite, synchronous = FULL (an fsync per learner): the first {first:,} learners "
            f"in {took:.1f} s, {first / took:,.0f} learners/s"
        )
        # This thread's connection is the one save() uses: the rest without fsyncs.
        store._connection().execute("PRAGMA synchronous = OFF")
        built.notes.append(f"SQLite, synchronous = OFF for the other {count - first:,} learners")
    progress = Progress(count, started)
    chunk = 2000
    with ThreadPoolExecutor(threads) as pool:
        for start in range(first, count, chunk):
            numbers = range(start, min(count, start + chunk))
            if threads > 1:
                list(pool.map(save, numbers))
            else:
                for number in numbers:
                    save(number)
            progress.show(built.learners)
    if isinstance(store, SQLiteStore):
        store._connection().execute("PRAGMA synchronous = FULL")
    built.seconds = time.perf_counter() - started
    store.put_doc(*MARK, {"now": plan.now.isoformat(), "learners": count, "complete": True})
    return built


class Progress:
    """A line on stderr every tenth of the way."""

    def __init__(self, total: int, started: float) -> None:
        self.total, self.started, self.shown = total, started, 0

    def show(self, done: int) -> None:
        tenth = done * 10 // max(1, self.total)
        if tenth > self.shown:
            self.shown = tenth
            took = time.perf_counter() - self.started
            print(f"  built {done:,} learners in {took:.0f} s", file=sys.stderr, flush=True)


def marked(store: Store) -> bool:
    return store.doc(*MARK) is not None


def empty(store: Store) -> bool:
    if isinstance(store, RedisStore):
        return (
            next(iter(store.client.scan_iter(match=f"{store.prefix}:*", count=1000)), None) is None
        )
    return next(store.learner_ids(), None) is None and not store.docs(MARK[0])


def clean_up(store: Store, url: str) -> str:
    """Delete the benchmark's store (only one that bears its mark); what was deleted."""
    if not marked(store):
        store.close()
        return "not deleted: the store does not bear this benchmark's mark"
    if isinstance(store, RedisStore):
        keys = list(store.client.scan_iter(match=f"{store.prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            store.client.delete(*keys[start : start + 1000])
        store.close()
        return f"deleted {len(keys):,} keys under {store.prefix}:"
    store.close()
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return f"deleted {path}"
    return "nothing to delete (memory)"


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    times: list[float]
    target: float | None = None
    note: str = ""

    def line(self) -> str:
        median, worst = statistics.median(self.times), max(self.times)
        target = "" if self.target is None else f"< {self.target:g} s"
        verdict = "" if self.target is None else ("ok" if worst < self.target else "MISSED")
        return (
            f"{self.name:<34} {_duration(median):>10} {_duration(worst):>10}  "
            f"{target:<7} {verdict:<6} {self.note}"
        ).rstrip()


def _duration(secs: float) -> str:
    return f"{secs * 1000:.1f} ms" if secs < 1 else f"{secs:.2f} s"


def timed(runs: int, action: Callable[[], Any]) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def export(store: Store, marks: Iterable[int], memory: Callable[[], int]) -> dict[int, int]:
    """Stream the console's CSV of every learner (`bot.exports.learners_csv`) to /dev/null;
    `memory()` once each of `marks` rows is written (and at the end), above what it was
    before the export began."""
    wanted = sorted(marks)
    base = memory()
    seen: dict[int, int] = {}
    rows = -1  # the header
    with open(os.devnull, "wb") as sink:
        for chunk in learners_csv(store, Places.load(store)):
            sink.write(chunk)
            rows += chunk.count(b"\r\n")  # no field of these rows holds a line break
            while wanted and rows >= wanted[0]:
                seen[rows] = memory() - base
                wanted.pop(0)
    seen[rows] = memory() - base
    return seen


def turns(store: Store, content: Content, now: datetime, count: int) -> list[float]:
    """How long writing a learner one step further takes (`store.update`, as a turn of the
    engine changes them), for `count` learners in a lesson; each is then written back as it
    was, so that the store stays the one built."""
    recent = [learner_id for learner_id, _ in store.ranked("all", 0, count * 20)]
    rows = store.rows(recent)
    chosen = [r["id"] for r in rows if r is not None and r["lesson"]][:count]

    def further(learner: Learner | None) -> tuple[Learner | None, None]:
        assert learner is not None and learner.position is not None
        before = learner.position
        lesson = content.lessons[before.lesson]
        reply = Reply(option=0) if lesson.step(before.step).options else Reply(go_on=True)
        learner.position, events = machine.answer(lesson, before, reply, content.words)
        trail.note(learner, lesson.id, events)
        for event in events:
            if isinstance(event, Finished):
                record(learner, event, now.isoformat(), before.started_at)
        learner.turns += 1
        learner.seen_at = now.isoformat()
        return learner, None

    times = []
    for learner_id in chosen:
        stored = store.get(learner_id)
        assert stored is not None
        started = time.perf_counter()
        store.update(learner_id, further)
        times.append(time.perf_counter() - started)
        store.save(stored)
    return times


def rss() -> int:
    """This process's resident memory, in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def traced_peak() -> int:
    return tracemalloc.get_traced_memory()[1]


def mib(count: int) -> str:
    return f"{count / 2**20:+.1f} MiB"


def measure(
    store: Store, content: Content, now: datetime, runs: int, export_runs: int, writes: int
) -> None:
    total = store.rank_count("all")
    counts = store.counts()
    print(f"store: {total:,} learners; {_summary(counts)}")
    biggest = max(content.lessons.values(), key=lambda lesson: len(lesson.steps))
    week = seconds((now - timedelta(days=ACTIVE_DAYS)).isoformat())
    found = report(store, Places.load(store), now)
    print(
        f"overview: {found.total.learners:,} learners, {found.total.active_7d:,} active in 7 days, "
        f"{found.total.passed:,} lessons passed, {found.total.certificates:,} certificates; "
        f"{len(found.areas)} areas, {len(found.volunteers)} volunteers"
    )

    def page(wanted: Filter) -> Callable[[], None]:
        def show() -> None:
            shown = roster(store, Places.load(store), wanted, 0, 50)
            assert len(shown.lines) == min(50, shown.total)

        return show

    area = max((a for a in found.areas.values() if a.id), key=lambda a: a.figures.learners)
    volunteer = max(
        (v for v in found.volunteers.values() if v.code), key=lambda v: v.figures.learners
    )
    certified = store.rank_count("certified")

    timings = [
        Timing(
            "overview: report(…)", timed(runs, lambda: report(store, Places.load(store), now)), 1
        ),
        Timing(
            f"funnel: {biggest.id} ({len(biggest.steps)} steps)",
            timed(runs, lambda: funnel(store.counts(), biggest)),
            1,
        ),
        Timing(
            "hardest questions, all lessons",
            timed(runs, lambda: hardest(store.counts(), content.lessons.values())),
        ),
        Timing("learners, everyone: a page of 50", timed(runs, page(Filter()))),
        Timing(
            f"learners of {area.id}: a page of 50",
            timed(runs, page(Filter(area=area.id))),
            note=f"({area.figures.learners:,})",
        ),
        Timing(
            f"learners of {volunteer.code}: a page of 50",
            timed(runs, page(Filter(volunteer=volunteer.code))),
            note=f"({volunteer.figures.learners:,})",
        ),
        Timing(
            "certificates: a page of 50",
            timed(runs, lambda: registry(store, Places.load(store), 0, 50)),
            note=f"({certified:,} learners)",
        ),
        Timing(
            "active in 7 days: a count",
            timed(runs, lambda: store.rank_count("all", since=week)),
            note=f"({store.rank_count('all', since=week):,})",
        ),
        Timing(
            f"a turn's write: {writes} learners",
            turns(store, content, now, writes),
            note="(store.update, one step further" + (", fsync)" if store.waits_on_disk else ")"),
        ),
    ]
    marks = [total // 4, total // 2]
    memory: list[dict[int, int]] = []
    export_times = []
    for _ in range(export_runs):
        started = time.perf_counter()
        memory.append(export(store, marks, rss))
        export_times.append(time.perf_counter() - started)
    rate = total / statistics.median(export_times)
    timings.append(
        Timing(f"CSV export: {total:,} rows", export_times, note=f"({rate:,.0f} rows/s)")
    )
    tracemalloc.start()
    tracemalloc.reset_peak()
    traced = export(store, marks, traced_peak)
    tracemalloc.stop()

    print(f"\n{'':<34} {'median':>10} {'max':>10}  target")
    for timing in timings:
        print(timing.line())
    print(f"\nexport memory, above where it began, at {' / '.join(f'{n:,}' for n in traced)} rows:")
    print(f"  Python's allocations, peak (tracemalloc): {' / '.join(map(mib, traced.values()))}")
    for number, seen in enumerate(memory, 1):
        print(f"  resident (VmRSS), run {number}: {' / '.join(map(mib, seen.values()))}")


def _summary(counts: dict[str, int]) -> str:
    def total(kind: str, suffix: str = "") -> int:
        return sum(
            n for key, n in counts.items() if key.startswith(kind + SEP) and key.endswith(suffix)
        )

    groups = sum(1 for key in counts if key.startswith("learners" + SEP))
    return (
        f"{total('reach'):,} steps reached (trail), {total('q', 'asked'):,} first answers, "
        f"{total('lesson', 'passed') + total('lesson', 'failed'):,} results, "
        f"{total('cert'):,} certificates, {groups} groups, {len(counts):,} counters"
    )


# -- the command --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="sqlite:///… or redis://…?prefix=…")
    parser.add_argument("--learners", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of each measure")
    parser.add_argument("--export-runs", type=int, default=3, help="runs of the export")
    parser.add_argument("--writes", type=int, default=100, help="learners written a turn")
    parser.add_argument("--threads", type=int, default=4, help="Redis: learners written at once")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the store afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a store kept before")
    parser.add_argument("--content", type=Path, default=default_content_dir())
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # a TextIOWrapper
    if args.store.startswith("redis") and "prefix=" not in args.store:
        raise SystemExit("give the Redis store a key prefix of its own: redis://…?prefix=NAME")
    content, problems = check_content(args.content)
    if content is None:
        raise SystemExit("\n".join(map(str, problems)))
    store = open_store(args.store)
    ours = False  # a store this run began to build: deleted when the run fails
    try:
        if args.reuse:
            mark = store.doc(*MARK)
            if mark is None or not mark.get("complete"):
                raise SystemExit(f"{args.store} holds no complete store built by this script")
            now = datetime.fromisoformat(mark["now"])
            print(f"reusing the store built at {now.isoformat()}")
        else:
            if not empty(store):
                raise SystemExit(f"{args.store} is not empty: give a new file or prefix")
            ours = True
            now = now_vn()
            started = time.perf_counter()
            plan = Plan.make(content, now, args.seed)
            print(
                f"{WALKS} walks through each of {len(content.lessons)} lessons in "
                f"{time.perf_counter() - started:.1f} s"
            )
            threads = args.threads if isinstance(store, RedisStore) else 1
            built = build(store, plan, args.learners, args.seed, threads)
            for note in built.notes:
                print(note)
            print(
                f"build: {built.learners:,} learners, {built.steps:,} steps reached, through "
                f"store.save in {built.seconds:.0f} s ({built.learners / built.seconds:,.0f} "
                f"learners/s{f', {threads} threads' if threads > 1 else ''})"
            )
        measure(store, content, now, args.runs, args.export_runs, args.writes)
    except BaseException:
        if ours and not args.keep:
            print(clean_up(store, args.store), file=sys.stderr)
        raise
    if args.keep:
        store.close()
        print(f"kept: rerun with --reuse --store '{args.store}'")
    else:
        print(clean_up(store, args.store))


if __name__ == "__main__":
    main()
