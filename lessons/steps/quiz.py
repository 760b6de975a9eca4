"""`quiz`: a scored question, multiple choice or free answer.

```yaml
  - id: cau-1
    quiz: Ai được biết mã OTP của bác?
    options:
      - label: Chỉ mình tôi
        correct: true
      - label: Công an gọi điện hỏi
    explain: OTP chỉ mình bác được biết.
    hint: Nghĩ xem ai là chủ tài khoản.   # optional; shown after a wrong answer
    tries: 2                             # optional, default 2
    order: as-written                    # optional: keep the file's order (a scale);
                                         # otherwise shuffled for each learner and attempt

  - id: cau-2
    quiz: Bác nhắn tin đến tổng đài số mấy?
    answers: ["156", "một năm sáu"]      # free answer: every accepted answer
    explain: Nhắn tin đến 156 (miễn phí).
```
"""

from __future__ import annotations

from dataclasses import dataclass

from lessons.events import NotUnderstood, Revealed, Right, Wrong
from lessons.outcome import Outcome
from lessons.reading import read_answer
from lessons.reply import Reply, Words
from lessons.steps.base import Step, read_choice

DEFAULT_TRIES = 2


@dataclass(frozen=True, kw_only=True)
class Quiz(Step):
    """A scored question: `options` (exactly one correct) or `answers` (free answer)."""

    answers: tuple[str, ...] = ()
    explain: str | None = None
    hint: str | None = None
    tries: int = DEFAULT_TRIES
    shuffled: bool = True
    kind: str = "quiz"

    @property
    def correct_index(self) -> int | None:
        """The index of the right option, or None for a free-answer question."""
        for index, option in enumerate(self.options):
            if option.correct:
                return index
        return None

    @property
    def right_answer(self) -> str:
        """The answer to show once the tries are used up."""
        index = self.correct_index
        return self.options[index].label if index is not None else self.answers[0]

    def respond(self, reply: Reply, wrong: int, words: Words) -> Outcome:
        """Right: praise and explain, move on. Wrong: hint and ask again until `tries` are
        used, then reveal the answer and move on. Unreadable: ask again, no try used.
        `first_try` tells the machine how the first answer went (it is scored once)."""
        right = self._is_right(reply)
        if isinstance(right, NotUnderstood):
            return Outcome((right,))
        first = wrong == 0
        if right:
            return Outcome((Right(self),), move=True, first_try=True if first else None)
        tries_left = self.tries - wrong - 1
        if tries_left > 0:
            return Outcome((Wrong(self, tries_left),), first_try=False if first else None)
        return Outcome((Revealed(self),), move=True, first_try=False if first else None)

    def _is_right(self, reply: Reply) -> bool | NotUnderstood:
        if self.answers:
            if not reply.text.strip():
                return NotUnderstood(self)
            return read_answer(reply.text, self.answers)
        index = read_choice(self, reply)
        if isinstance(index, NotUnderstood):
            return index
        return index == self.correct_index
