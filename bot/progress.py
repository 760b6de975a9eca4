"""Recording finished lessons, awarding certificates, and reporting a learner's progress.

`hocso progress LEARNER --json` prints `progress_json`:

```json
{"learner": "tg:1",
 "lessons": {"an-toan-otp": {"status": "passed", "score": 1.0,
                             "completed_at": "2026-11-23T10:00:00+07:00",
                             "version": "3f9a1c0b2d4e"}},
 "certificates": [{"id": "ky-nang-so-co-ban", "earned_at": "...", "code": "HS-7K2P-9QXD"}]}
```
`version` is the content version the result was earned under (`Result.version`), left out
when unknown (results recorded before versions were).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.learner import Earned, Learner, Result
from lessons.events import Finished
from lessons.model import Certificate, Lesson

# Crockford's base32 without I, L, O, U: nothing a person can misread when checking a code.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_code() -> str:
    """A verification code such as `HS-7K2P-9QXD` (40 random bits)."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"HS-{chars[:4]}-{chars[4:]}"


def record(
    learner: Learner,
    finished: Finished,
    at: str,
    started_at: str | None = None,
    version: str | None = None,
) -> Result:
    """Store a finished attempt, made under content `version`; a retake keeps the best result
    (passed beats failed, then the higher score), with the version it was made under. Returns
    the result of this attempt, with the seconds it took when `started_at` is known."""
    attempt = Result(
        status="passed" if finished.passed else "failed",
        score=finished.score,
        completed_at=at,
        seconds=_seconds(started_at, at),
        version=version or None,
    )
    previous = learner.results.get(finished.lesson_id)
    attempts = previous.attempts + 1 if previous else 1
    best = attempt if previous is None or _rank(attempt) > _rank(previous) else previous
    learner.results[finished.lesson_id] = replace(best, attempts=attempts)
    return attempt


def _seconds(started_at: str | None, at: str) -> int | None:
    if started_at is None:
        return None
    try:
        taken = datetime.fromisoformat(at) - datetime.fromisoformat(started_at)
    except ValueError:
        return None
    return max(0, round(taken.total_seconds()))


def _rank(result: Result) -> tuple[bool, float]:
    return (result.status == "passed", result.score)


def award(
    learner: Learner, certificates: tuple[Certificate, ...], at: str, make_code: Callable[[], str]
) -> list[Certificate]:
    """Certificates whose lessons are now all passed and that the learner did not have yet;
    each is recorded once, with its date and a verification code."""
    earned = []
    for certificate in certificates:
        if certificate.id in learner.certificates:
            continue
        if all(learner.passed(lesson_id) for lesson_id in certificate.lessons):
            learner.certificates[certificate.id] = Earned(earned_at=at, code=make_code())
            earned.append(certificate)
    return earned


def suggest_next(
    learner: Learner, lessons: dict[str, Lesson], after: str | None = None
) -> Lesson | None:
    """The lesson to do next: the first in menu order not passed (and not `after`), preferring
    one whose suggested lessons are passed."""
    open_lessons = [
        lesson
        for lesson in lessons.values()
        if not learner.passed(lesson.id) and lesson.id != after
    ]
    ready = [lesson for lesson in open_lessons if all(learner.passed(r) for r in lesson.requires)]
    candidates = ready or open_lessons
    return candidates[0] if candidates else None


def status_of(learner: Learner, lesson_id: str) -> dict[str, Any] | None:
    """One lesson's entry of `progress_json`, or None when the learner never started it."""
    result = learner.results.get(lesson_id)
    if result is not None:
        status: dict[str, Any] = {
            "status": result.status,
            "score": result.score,
            "completed_at": result.completed_at,
        }
        if result.version is not None:
            status["version"] = result.version
        return status
    if learner.place_in(lesson_id) is not None:
        return {"status": "in_progress", "score": None, "completed_at": None}
    return None


def progress_json(learner: Learner) -> dict[str, Any]:
    """The learner's lessons, scores and certificates, as `hocso progress --json` prints."""
    lesson_ids = list(learner.results)
    lesson_ids += [lesson for lesson in learner.started() if lesson not in learner.results]
    lessons = {lid: status for lid in lesson_ids if (status := status_of(learner, lid))}
    certificates = [
        {"id": cid, "earned_at": earned.earned_at, "code": earned.code}
        for cid, earned in learner.certificates.items()
    ]
    return {"learner": learner.id, "lessons": lessons, "certificates": certificates}
