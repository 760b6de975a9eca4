"""What one learner adds to the reports, and how a change of that learner changes them.

Every report figure is a sum over learners of `contributions(learner)`: counters such as

```
learners|V12|xa-an-phu|thon-1   1     one learner brought by V12 (area and village: an admin's
                                       assignment; empty: the volunteer's, looked up on reading)
passed|V12||                    3     lessons passed by V12's learners
trained|V12||                   2     V12's learners who passed a lesson (certified|…: earned
                                      a certificate, not revoked)
lesson|an-toan-otp|passed       1     learners whose best attempt passed
reach|an-toan-otp|cau-1         1     learners who ever reached that step
at|an-toan-otp|cau-1            1     learners standing on it now (current or left lesson)
q|an-toan-otp|cau-1|right       1     first answers ever to that question that were right
reminders|sent                  2     reminders sent (`returned`: messages that followed one;
                                      `off`: learners who turned them off)
help|open                       1     requests for a person open now (`asked`, `answered`,
                                      `waited`: requests, those answered, seconds to answer)
```

A store applies `tally(before, after)` (the difference) in the same atomic step that writes
the learner, so the counters always equal a recount of the stored learners, and a report
reads a few thousand counters instead of every learner. A deleted learner's tally takes all
they added away. `row` is the learner's line in lists and exports; `ranks` the sorted sets
they belong to, scored by when they were last seen (`all`, and their group's `g:…`), and two
schedules: `due` (when their next reminder is due) and `help` (when their open request for a
person was made).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.learner import Learner

SEP = "|"


@dataclass(frozen=True)
class Group:
    """Who brought a learner in and where they belong, as recorded on the learner."""

    volunteer: str = ""
    area: str = ""
    village: str = ""

    @property
    def key(self) -> str:
        return SEP.join((self.volunteer, self.area, self.village))

    @classmethod
    def of(cls, learner: Learner) -> Group:
        return cls(
            _clean(learner.volunteer or ""),
            _clean(learner.area or ""),
            _clean(learner.village or ""),
        )

    @classmethod
    def parse(cls, key: str) -> Group:
        volunteer, area, village = [*key.split(SEP), "", "", ""][:3]
        return cls(volunteer, area, village)


@dataclass(frozen=True)
class Tally:
    """What one write of a learner changes in the records."""

    counts: dict[str, int] = field(default_factory=dict)
    row: str | None = None
    """The learner's row as JSON; None when the learner is gone."""
    ranks: dict[str, float] = field(default_factory=dict)
    """Sorted sets to put the learner in (or move), with their score."""
    unranked: tuple[str, ...] = ()
    """Sorted sets to take the learner out of."""

    def __bool__(self) -> bool:
        return bool(self.counts or self.row is not None or self.ranks or self.unranked)


def contributions(learner: Learner) -> Counter[str]:
    """The counters this learner adds to (each by how much)."""
    group = Group.of(learner).key
    counts: Counter[str] = Counter()
    counts[f"learners{SEP}{group}"] += 1
    started = set(learner.results) | set(learner.started())
    counts[f"started{SEP}{group}"] += len(started)
    passed = [lesson for lesson, result in learner.results.items() if result.status == "passed"]
    counts[f"passed{SEP}{group}"] += len(passed)
    standing = learner.standing()  # a revoked certificate counts no more
    counts[f"certs{SEP}{group}"] += len(standing)
    counts[f"trained{SEP}{group}"] += int(bool(passed))
    counts[f"certified{SEP}{group}"] += int(bool(standing))
    for lesson in started:
        counts[f"lesson{SEP}{_clean(lesson)}{SEP}started"] += 1
    for lesson, result in learner.results.items():
        counts[f"lesson{SEP}{_clean(lesson)}{SEP}{result.status}"] += 1
        if result.status == "passed" and result.seconds is not None:
            counts[f"time{SEP}{_clean(lesson)}"] += result.seconds
            counts[f"timed{SEP}{_clean(lesson)}"] += 1
    for certificate in standing:
        counts[f"cert{SEP}{_clean(certificate)}"] += 1
    for lesson, steps in learner.trail.items():
        for step in steps:
            counts[f"reach{SEP}{_clean(lesson)}{SEP}{_clean(step)}"] += 1
    for position in [learner.position, *learner.places.values()]:
        if position is not None:
            counts[f"at{SEP}{_clean(position.lesson)}{SEP}{_clean(position.step)}"] += 1
    for lesson, answers in learner.firsts.items():
        for step, right in answers.items():
            counts[f"q{SEP}{_clean(lesson)}{SEP}{_clean(step)}{SEP}asked"] += 1
            counts[f"q{SEP}{_clean(lesson)}{SEP}{_clean(step)}{SEP}right"] += int(right)
    counts[f"reminders{SEP}sent"] += sum(learner.nudges.values())
    counts[f"reminders{SEP}returned"] += learner.returns
    counts[f"reminders{SEP}off"] += int(not learner.remind)
    counts[f"help{SEP}open"] += int(learner.help is not None)
    for name, count in learner.helped.items():
        counts[f"help{SEP}{_clean(name)}"] += count
    return +counts


def row(learner: Learner) -> dict[str, Any]:
    """The learner's line in lists and exports (what the console and CSV show).

    ```json
    {"id": "tg:12345", "name": "Lan", "volunteer": "V12", "area": "", "village": "",
     "created_at": "…", "seen_at": "…", "lesson": "an-toan-otp", "step": "cau-1",
     "started": 2, "passed": 1, "failed": 0, "certificates": 0}
    ```
    """
    group = Group.of(learner)
    statuses = Counter(result.status for result in learner.results.values())
    position = learner.position
    return {
        "id": learner.id,
        "name": learner.name or "",
        "volunteer": group.volunteer,
        "area": group.area,
        "village": group.village,
        "created_at": learner.created_at,
        "seen_at": learner.seen_at or learner.created_at,
        "lesson": position.lesson if position else "",
        "step": position.step if position else "",
        "started": len(set(learner.results) | set(learner.started())),
        "passed": statuses["passed"],
        "failed": statuses["failed"],
        "certificates": len(learner.standing()),
    }


def ranks(learner: Learner) -> dict[str, float]:
    """The sorted sets a learner belongs to: `all` and their group's, scored by when they
    were last seen, `certified` (those with a certificate that stands) by their latest one,
    `due` by when their next reminder is due and `help` by when they asked for a person
    (epoch s)."""
    seen = seconds(learner.seen_at or learner.created_at)
    found = {"all": seen, f"g:{Group.of(learner).key}": seen}
    standing = learner.standing()
    if standing:
        found["certified"] = max(seconds(e.earned_at) for e in standing.values())
    if learner.nudge_at is not None:
        found["due"] = learner.nudge_at
    if learner.help is not None:
        found["help"] = seconds(learner.help.opened_at)
    return found


@dataclass(frozen=True)
class Counted:
    """What a learner as stored counts for (`contributions`) and where they rank (`ranks`):
    taken before a change that may edit the learner in place."""

    counts: dict[str, int]
    ranks: dict[str, float]

    @classmethod
    def of(cls, learner: Learner | None) -> Counted:
        if learner is None:
            return cls({}, {})
        return cls(dict(contributions(learner)), ranks(learner))


def tally(before: Learner | Counted | None, after: Learner | None) -> Tally:
    """What writing `after` in place of `before` changes (None: not stored)."""
    counted = before if isinstance(before, Counted) else Counted.of(before)
    counts = Counter(contributions(after) if after else {})
    counts.subtract(counted.counts)
    old = counted.ranks
    new = ranks(after) if after else {}
    return Tally(
        counts={key: n for key, n in counts.items() if n},
        row=None if after is None else encode_row(row(after)),
        ranks={name: score for name, score in new.items() if old.get(name) != score},
        unranked=tuple(name for name in old if name not in new),
    )


def encode_row(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def seconds(stamp: str) -> float:
    """An ISO time as seconds since the epoch (0.0 when it cannot be read)."""
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0.0


def _clean(name: str) -> str:
    """A name as it may stand in a counter key: without the separator."""
    return name.replace(SEP, "/")
