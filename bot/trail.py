"""What a learner did in each lesson, kept for reports: the steps they reached, and how their
first answer ever to each quiz question went.

```json
{"trail": {"an-toan-otp": ["chao", "buoc-1", "cau-1"]},
 "firsts": {"an-toan-otp": {"cau-1": true}}}
```
A retake adds nothing to `firsts` (a question's first try is counted once per learner), so a
question's first-try right rate measures the question, not the practice.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.learner import Learner
from lessons.events import Event, Revealed, Right, Shown, Wrong


def note(learner: Learner, lesson_id: str, events: Iterable[Event]) -> None:
    """Add what the machine's events say the learner reached and answered in `lesson_id`."""
    for event in events:
        if isinstance(event, Shown):
            reached = learner.trail.setdefault(lesson_id, [])
            if event.step.id not in reached:
                reached.append(event.step.id)
        elif isinstance(event, Right | Wrong | Revealed):
            answers = learner.firsts.setdefault(lesson_id, {})
            answers.setdefault(event.step.id, isinstance(event, Right))
