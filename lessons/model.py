"""A loaded lesson and certificate: what the loader builds and the state machine reads.

```yaml
id: an-toan-otp
title: Giữ an toàn mã OTP
summary: Mã OTP là gì, vì sao không bao giờ đưa cho ai.
minutes: 5
skills: ["4.1"]
requires: [lam-quen-dien-thoai]
pass_score: 0.66        # the default: 2 of 3, 3 of 4, 4 of 5, 4 of 6 right at the first try
steps: [...]
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lessons.steps import Step

DEFAULT_PASS_SCORE = 0.66  # two thirds, as the lesson format says


@dataclass(frozen=True)
class Lesson:
    """One lesson file. `steps` keep the written order; the first is where the lesson starts."""

    id: str
    title: str
    steps: tuple[Step, ...]
    summary: str | None = None
    minutes: int | None = None
    skills: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    pass_score: float = DEFAULT_PASS_SCORE
    path: Path = Path()
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({step.id: i for i, step in enumerate(self.steps)})

    @property
    def first(self) -> Step:
        return self.steps[0]

    def has(self, step_id: str) -> bool:
        return step_id in self._index

    def step(self, step_id: str) -> Step:
        """The step with this id; KeyError when the lesson has none."""
        return self.steps[self._index[step_id]]

    def after(self, step: Step, goto: str | None = None) -> Step | None:
        """The step that follows `step` (after the option whose `goto` is given), or None
        when the lesson ends there: `end: true`, or the end of the list."""
        if goto:
            return self.step(goto)
        if step.end:
            return None
        if step.next:
            return self.step(step.next)
        position = self._index[step.id] + 1
        return self.steps[position] if position < len(self.steps) else None


@dataclass(frozen=True)
class Certificate:
    """`{id: ky-nang-so-co-ban, title: Kỹ năng số cơ bản, lessons: [an-toan-otp, ...]}`.
    `skills`: the codes of the national framework it shows (its own `skills:`, else every
    code its lessons carry)."""

    id: str
    title: str
    lessons: tuple[str, ...]
    description: str | None = None
    skills: tuple[str, ...] = ()
