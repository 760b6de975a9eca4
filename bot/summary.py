"""A learner's progress in words: what `kết quả` answers and `hocso progress` prints."""

from __future__ import annotations

from datetime import datetime

from bot.content import Content
from bot.learner import Learner


def progress_text(learner: Learner, content: Content) -> str:
    """Each started lesson with its result, the count passed, and certificates with their
    numbers (a revoked one says so)."""
    say = content.messages.text
    lines = [say("progress.title")]
    started = [lesson for lesson in content.lessons.values() if _started(learner, lesson.id)]
    if not started:
        lines.append(say("progress.none"))
    for lesson in started:
        result = learner.results.get(lesson.id)
        retaking = result is not None and result.status == "failed" and learner.place_in(lesson.id)
        if result is None or retaking:
            lines.append(say("progress.in_progress", title=lesson.title))
        else:
            key = "progress.passed" if result.status == "passed" else "progress.failed"
            lines.append(say(key, title=lesson.title, percent=round(result.score * 100)))
    passed = sum(learner.passed(lesson_id) for lesson_id in content.lessons)
    lines.append(say("progress.count", passed=passed, total=len(content.lessons)))
    lines.append("")
    if learner.certificates:
        lines.append(say("progress.certificates"))
        for certificate_id, earned in learner.certificates.items():
            certificate = content.certificate(certificate_id)
            title = certificate.title if certificate else certificate_id
            if earned.revoked_at is not None:
                date = _day(earned.revoked_at)
                lines.append(say("certificate.revoked", title=title, date=date, code=earned.code))
                continue
            date = _day(earned.earned_at)
            lines.append(say("progress.certificate", title=title, date=date, code=earned.code))
    else:
        lines.append(say("progress.no_certificates"))
    return "\n".join(lines)


def _day(stamp: str) -> str:
    return datetime.fromisoformat(stamp).strftime("%d/%m/%Y")


def _started(learner: Learner, lesson_id: str) -> bool:
    return lesson_id in learner.results or learner.place_in(lesson_id) is not None
