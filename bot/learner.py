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
 "certificates": {"ky-nang-so-co-ban": {"earned_at": "...", "code": "HS-7K2P-9QXD",
                                        "revoked_at": null}},
 "certificate_name": "Nguyễn Thị Hường",
 "address": ["telegram", "12345"], "remind": true, "nudges": {"an-toan-otp": 1},
 "nudge_at": 1764030000.0, "nudged_at": "2026-11-24T08:10:00+07:00", "returns": 1,
 "unreachable": null, "recent": ["Chỉ mình tôi", "số •••"],
 "help": {"code": "H-7K2P", "opened_at": "...", "lesson": "an-toan-otp", "step": "cau-1",
          "why": "distress", "desk": "telegram:-1001234", "until": "...",
          "thread": [["2026-11-24T08:12:00+07:00", "", "tôi bị lừa rồi"]], "answered_at": null,
          "acked_at": "2026-11-24T08:12:00+07:00"},
 "helped": {"asked": 1, "answered": 0, "waited": 0}}
```
The fields after `certificate_name` are written only when they differ from their defaults (a
learner who never met a reminder or asked for help carries none of them).
`buttons` are the (label, payload) pairs last sent, so a typed number or label works as a
tap on any channel. `places` keeps where the learner stood in each other lesson they left
unfinished (opening another lesson never loses a finished step); `misread` counts the
replies in a row that were not understood. `name` is what the channel shows for the learner
(changed by the channel at every message); `certificate_name` is the name the learner gave for
their certificates, the only personal detail a certificate carries (None: not given yet). A
certificate revoked by an admin keeps its place with `revoked_at` (it is not earned again, and
counts no more). A result's `version` is the content version
(`bot.content.content_version`) the lesson was finished under: absent from results recorded
before versions were. No text a learner typed is kept here but two, each with every digit
masked (`bot.helpdesk.masked`): `recent`, their last three answers to a lesson's questions (an
option's label, else the words; what a person who helps them sees), and the `thread` of a
request for a person while it is open (dropped when it closes, only the counts in `helped`
stay).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from lessons.position import Position

VIETNAM = timezone(timedelta(hours=7), "ICT")

__all__ = ["Earned", "HelpRequest", "Learner", "Position", "Result", "now_vn"]

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
    """A certificate earned once, with its date and its number (a verification code);
    `revoked_at`: when an admin revoked it (None: it stands)."""

    earned_at: str
    code: str
    revoked_at: str | None = None


@dataclass
class HelpRequest:
    """A learner's open request for a person. `thread` holds `[at, who, text]` lines, `who`
    empty for the learner, else the helper's first name; `desk` is where it was posted
    (`telegram:<chat>`, None: the console only); the tutor stays quiet until `until`.
    `acked_at`: when the learner was last told that their words were passed on (at most every
    few minutes, `bot.helpdesk.HelpPolicy.ack_every`)."""

    code: str
    opened_at: str
    until: str
    why: str = "asked"
    lesson: str | None = None
    step: str | None = None
    desk: str | None = None
    thread: list[list[str]] = field(default_factory=list)
    answered_at: str | None = None
    acked_at: str | None = None

    def copy(self) -> HelpRequest:
        return replace(self, thread=[list(line) for line in self.thread])


HELPED = ("asked", "answered", "waited")
"""`Learner.helped`'s counts: requests opened, requests answered by a person, and the seconds
those answered waited for their first answer."""

_OPTIONAL: dict[str, Any] = {
    "address": None,
    "remind": True,
    "nudges": {},
    "nudge_at": None,
    "nudged_at": None,
    "returns": 0,
    "unreachable": None,
    "recent": [],
    "help": None,
    "helped": {},
}
"""The fields written only when they differ from these defaults."""


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
    certificate_name: str | None = None
    address: tuple[str, str] | None = None
    remind: bool = True
    nudges: dict[str, int] = field(default_factory=dict)
    nudge_at: float | None = None
    nudged_at: str | None = None
    returns: int = 0
    unreachable: str | None = None
    recent: list[str] = field(default_factory=list)
    help: HelpRequest | None = None
    helped: dict[str, int] = field(default_factory=dict)

    @classmethod
    def new(cls, learner_id: str, at: datetime | None = None) -> Learner:
        return cls(id=learner_id, created_at=(at or now_vn()).isoformat())

    def standing(self) -> dict[str, Earned]:
        """The certificates that stand (not revoked), by id."""
        return {cid: e for cid, e in self.certificates.items() if e.revoked_at is None}

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
            certificate_name=self.certificate_name,
            address=self.address,
            remind=self.remind,
            nudges=dict(self.nudges),
            nudge_at=self.nudge_at,
            nudged_at=self.nudged_at,
            returns=self.returns,
            unreachable=self.unreachable,
            recent=list(self.recent),
            help=self.help.copy() if self.help else None,
            helped=dict(self.helped),
        )

    def to_dict(self) -> dict[str, Any]:
        position = self.position
        data: dict[str, Any] = {
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
            "certificate_name": self.certificate_name,
        }
        optional = {
            "address": list(self.address) if self.address else None,
            "remind": self.remind,
            "nudges": self.nudges,
            "nudge_at": self.nudge_at,
            "nudged_at": self.nudged_at,
            "returns": self.returns,
            "unreachable": self.unreachable,
            "recent": self.recent,
            "help": asdict(self.help) if self.help else None,
            "helped": self.helped,
        }
        data.update((k, v) for k, v in optional.items() if v != _OPTIONAL[k])
        return data

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
            certificate_name=data.get("certificate_name"),
            address=_address(data.get("address")),
            remind=bool(data.get("remind", True)),
            nudges={k: int(v) for k, v in data.get("nudges", {}).items()},
            nudge_at=data.get("nudge_at"),
            nudged_at=data.get("nudged_at"),
            returns=data.get("returns", 0),
            unreachable=data.get("unreachable"),
            recent=list(data.get("recent", [])),
            help=HelpRequest(**data["help"]) if data.get("help") else None,
            helped={k: int(v) for k, v in data.get("helped", {}).items()},
        )


def _address(value: Any) -> tuple[str, str] | None:
    if not value:
        return None
    channel, chat = value
    return str(channel), str(chat)
