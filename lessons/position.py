"""Where a learner is inside a lesson: the part of a learner's state the machine changes.

```json
{"lesson": "an-toan-otp", "step": "cau-1", "started_at": "2026-11-23T10:00:00+07:00",
 "wrong": 0, "history": ["chao", "buoc-1"], "first_try": {"cau-0": true}}
```
`history` holds the steps that waited for the learner, for "quay lại"; `first_try` how the
first answer to each quiz question went in this attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Position:
    """Where a learner is inside a lesson."""

    lesson: str
    step: str
    started_at: str
    wrong: int = 0
    history: list[str] = field(default_factory=list)
    first_try: dict[str, bool] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """Share of the quiz questions met so far that were right at the first try."""
        if not self.first_try:
            return 1.0
        return sum(self.first_try.values()) / len(self.first_try)

    def copy(self) -> Position:
        """An independent copy (the machine changes copies, never what it was given)."""
        return Position(
            self.lesson,
            self.step,
            self.started_at,
            self.wrong,
            list(self.history),
            dict(self.first_try),
        )
