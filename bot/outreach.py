"""What reminders and people did for the learners: one data function, rendered by
`hocso report` (text, `--json`, `--by help`) and the console's overview.

    found = outreach(store.counts(), open_requests(store, places, now))
    outreach_json(found)
    {"reminders": {"sent": 40, "returned": 12, "return_rate": 0.3, "opted_out": 3},
     "help": {"open": 2, "asked": 9, "answered": 7, "minutes_to_answer": 25.0,
              "oldest_waiting_minutes": 190.0,
              "requests": [{"code": "H-7K2P", "learner": "tg:…345", "name": "N***** L**",
                            "area": "an-phu", "village": "thon-1", "volunteer": "V12",
                            "lesson": "an-toan-otp", "step": "cau-2", "why": "distress",
                            "desk": "telegram", "opened_at": "…", "waiting_minutes": 190.0,
                            "answered": false}]}}

The figures are the counters `bot.tally` keeps (`reminders|…`, `help|…`): totals since the
start, whatever `--since` says. The open requests come from the ranked set `help`, the oldest
first: a few reads, however many learners there are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.places import Places
from bot.roster import mask_id, mask_name
from bot.stores.base import Store
from bot.tally import SEP, Group, seconds

OPEN_SHOWN = 200
"""The open requests a report lists (the oldest first); the count covers them all."""


@dataclass(frozen=True)
class OpenRequest:
    """One learner waiting for a person, as lists show them (the name masked)."""

    code: str
    learner: str
    name: str
    area: str
    village: str
    volunteer: str
    lesson: str
    step: str
    why: str
    desk: str
    """Where it was posted: a channel ("telegram"), or "" (the console only)."""
    opened_at: str
    waiting_minutes: float
    answered: bool


@dataclass(frozen=True)
class Outreach:
    reminders_sent: int = 0
    reminders_returned: int = 0
    """Learners' messages that followed a reminder (each reminder counts once at most)."""
    reminders_off: int = 0
    """Learners who turned reminders off."""
    help_open: int = 0
    help_asked: int = 0
    help_answered: int = 0
    help_waited: int = 0
    """Seconds the answered requests waited for their first answer, together."""
    requests: list[OpenRequest] = field(default_factory=list)

    @property
    def return_rate(self) -> float | None:
        if not self.reminders_sent:
            return None
        return round(self.reminders_returned / self.reminders_sent, 4)

    @property
    def minutes_to_answer(self) -> float | None:
        """How long an answered request waited for its first answer, on average."""
        if not self.help_answered:
            return None
        return round(self.help_waited / self.help_answered / 60, 1)

    @property
    def oldest_waiting_minutes(self) -> float | None:
        waiting = [r.waiting_minutes for r in self.requests if not r.answered]
        return max(waiting) if waiting else None


def outreach(counts: dict[str, int], requests: list[OpenRequest]) -> Outreach:
    """The figures from the counters, with the open requests already read."""

    def count(*parts: str) -> int:
        return counts.get(SEP.join(parts), 0)

    return Outreach(
        reminders_sent=count("reminders", "sent"),
        reminders_returned=count("reminders", "returned"),
        reminders_off=count("reminders", "off"),
        help_open=count("help", "open"),
        help_asked=count("help", "asked"),
        help_answered=count("help", "answered"),
        help_waited=count("help", "waited"),
        requests=requests,
    )


def open_requests(
    store: Store, places: Places, now: datetime, most: int = OPEN_SHOWN
) -> list[OpenRequest]:
    """The learners waiting for a person now, the longest waiting first."""
    at = now.timestamp()
    found = []
    for learner_id, _ in store.due("help", at, most):
        learner = store.get(learner_id)
        request = learner.help if learner else None
        if learner is None or request is None:
            continue  # closed since the set was read
        group = Group.of(learner)
        area, village = places.where(group)
        found.append(
            OpenRequest(
                code=request.code,
                learner=mask_id(learner_id),
                name=mask_name(learner.name or ""),
                area=area,
                village=village,
                volunteer=group.volunteer,
                lesson=request.lesson or "",
                step=request.step or "",
                why=request.why,
                desk=(request.desk or "").partition(":")[0],
                opened_at=request.opened_at,
                waiting_minutes=round(max(0.0, at - seconds(request.opened_at)) / 60, 1),
                answered=request.answered_at is not None,
            )
        )
    return found


def outreach_json(found: Outreach) -> dict[str, Any]:
    """The figures as `hocso report --json` prints them (see the module)."""
    return {
        "reminders": {
            "sent": found.reminders_sent,
            "returned": found.reminders_returned,
            "return_rate": found.return_rate,
            "opted_out": found.reminders_off,
        },
        "help": {
            "open": found.help_open,
            "asked": found.help_asked,
            "answered": found.help_answered,
            "minutes_to_answer": found.minutes_to_answer,
            "oldest_waiting_minutes": found.oldest_waiting_minutes,
            "requests": [asdict(request) for request in found.requests],
        },
    }


REQUEST_COLUMNS = tuple(OpenRequest.__dataclass_fields__)


def requests_table(found: Outreach) -> tuple[list[str], list[list[Any]]]:
    """The open requests as one table (header, rows), for `hocso report --by help`."""
    rows = [[getattr(request, name) for name in REQUEST_COLUMNS] for request in found.requests]
    return list(REQUEST_COLUMNS), rows
