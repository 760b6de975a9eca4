"""A learner's whole state: where they are in a lesson, what they have passed, what they earned.

Stored as one JSON document per learner (the stores never look inside it, except for the
certificate codes they index):

```json
{"id": "tg:12345", "created_at": "2026-11-23T10:00:00+07:00", "turns": 12,
 "volunteer": "V123", "pending": null,
 "buttons": [["Tiếp tục ▶", "c:3f9a1c0b2d"]],
 "position": {"lesson": "an-toan-otp", "step": "cau-1", "wrong": 0,
              "history": ["chao"], "first_try": {"cau-0": true}, "started_at": "..."},
 "places": {"thanh-toan-qr": {"lesson": "thanh-toan-qr", "step": "buoc-2", "...": "..."}},
 "misread": 0, "name": "Lan", "area": null, "village": null,
 "seen_at": "2026-11-23T10:05:00+07:00",
 "trail": {"an-toan-otp": ["chao", "buoc-1", "cau-1"]},
 "firsts": {"an-toan-otp": {"cau-1": true}},
 "results": {"an-toan-otp": {"status": "passed", "score": 1.0, "completed_at": "...",
                             "attempts": 1, "seconds": 540, "version": "3f9a1c0b2d4e"}},
 "certificates": {"ky-nang-so-co-ban": {"earned_at": "...", "code": "HS-7K2P-9QXD"}}}
```
`buttons` are the (label, payload) pairs last sent, so a typed number or label works as a
tap on any channel. `places` keeps where the learner stood in each other lesson they left
unfinished (opening another lesson never loses a finished step); `misread` counts the
replies in a row that were not understood. A result's `version` is the content version
(`bot.content.content_version`) the lesson was finished under: absent from results recorded
before versions were. No text a learner typed is ever kept here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from lessons.position import Position

VIETNAM = timezone(timedelta(hours=7), "ICT")

__all__ = ["Earned", "Learner", "Position", "Result", "now_vn"]

Status = Literal["in_progress", "passed", "failed"]


def now_vn() -> datetime:
    """The current time in Vietnam, second precision (what records show)."""
    return datetime.now(VIETNAM).replace(microsecond=0)


@dataclass
class Result:
    """The best finished attempt at a lesson (a retake keeps the best), keyed by lesson id;
    `version`: the content version it was earned under (None: unknown, recorded before)."""

    status: Status
    score: float
    completed_at: str
    attempts: int = 1
    seconds: int | None = None
    version: str | None = None


@dataclass
class Earned:
    """A certificate earned once, with its date and a verification code."""

    earned_at: str
    code: str


@dataclass
class Learner:
    """Everything hocso keeps about one learner, keyed by a channel id such as `tg:12345`."""

    id: str
    created_at: str
    turns: int = 0
    volunteer: str | None = None
    pending: str | None = None
    position: Position | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)
    results: dict[str, Result] = field(default_factory=dict)
    certificates: dict[str, Earned] = field(default_factory=dict)
    places: dict[str, Position] = field(default_factory=dict)
    misread: int = 0
    name: str | None = None
    area: str | None = None
    village: str | None = None
    seen_at: str | None = None
    trail: dict[str, list[str]] = field(default_factory=dict)
    firsts: dict[str, dict[str, bool]] = field(default_factory=dict)

    @classmethod
    def new(cls, learner_id: str, at: datetime | None = None) -> Learner:
        return cls(id=learner_id, created_at=(at or now_vn()).isoformat())

    def passed(self, lesson_id: str) -> bool:
        result = self.results.get(lesson_id)
        return result is not None and result.status == "passed"

    def started(self) -> list[str]:
        """The lessons in progress: the current one first, then those left unfinished."""
        current = [self.position.lesson] if self.position else []
        return current + [lesson for lesson in self.places if lesson not in current]

    def place_in(self, lesson_id: str) -> Position | None:
        """Where the learner stands in a lesson in progress, current or left, if anywhere."""
        if self.position is not None and self.position.lesson == lesson_id:
            return self.position
        return self.places.get(lesson_id)

    def copy(self) -> Learner:
        """An independent copy. Results and certificates are replaced, never changed in
        place, so copying their dicts is enough."""
        return Learner(
            id=self.id,
            created_at=self.created_at,
            turns=self.turns,
            volunteer=self.volunteer,
            pending=self.pending,
            position=self.position.copy() if self.position else None,
            buttons=list(self.buttons),
            results=dict(self.results),
            certificates=dict(self.certificates),
            places={lesson: place.copy() for lesson, place in self.places.items()},
            misread=self.misread,
            name=self.name,
            area=self.area,
            village=self.village,
            seen_at=self.seen_at,
            trail={lesson: list(steps) for lesson, steps in self.trail.items()},
            firsts={lesson: dict(answers) for lesson, answers in self.firsts.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        position = self.position
        return {
            "id": self.id,
            "created_at": self.created_at,
            "turns": self.turns,
            "volunteer": self.volunteer,
            "pending": self.pending,
            "position": asdict(position) if position else None,
            "buttons": [list(button) for button in self.buttons],
            "results": {k: asdict(v) for k, v in self.results.items()},
            "certificates": {k: asdict(v) for k, v in self.certificates.items()},
            "places": {k: asdict(v) for k, v in self.places.items()},
            "misread": self.misread,
            "name": self.name,
            "area": self.area,
            "village": self.village,
            "seen_at": self.seen_at,
            "trail": self.trail,
            "firsts": self.firsts,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Learner:
        position = data.get("position")
        return cls(
            id=data["id"],
            created_at=data["created_at"],
            turns=data.get("turns", 0),
            volunteer=data.get("volunteer"),
            pending=data.get("pending"),
            position=Position(**position) if position else None,
            buttons=[(label, payload) for label, payload in data.get("buttons", [])],
            results={k: Result(**v) for k, v in data.get("results", {}).items()},
            certificates={k: Earned(**v) for k, v in data.get("certificates", {}).items()},
            places={k: Position(**v) for k, v in data.get("places", {}).items()},
            misread=data.get("misread", 0),
            name=data.get("name"),
            area=data.get("area"),
            village=data.get("village"),
            seen_at=data.get("seen_at"),
            trail={k: list(v) for k, v in data.get("trail", {}).items()},
            firsts={k: dict(v) for k, v in data.get("firsts", {}).items()},
        )
