"""`say`: teach one thing, then wait for the learner to do it on the phone.

```yaml
  - id: buoc-1
    say: |
      Bước 1: Mở ứng dụng *CH Play* (hình tam giác nhiều màu).
    image: media/vneid/ch-play.jpg
    button: Xong, tiếp tục ▶     # optional; the label of the continue button
    wait: true                   # optional, default true; false: the next step follows at once
```
"""

from __future__ import annotations

from dataclasses import dataclass

from lessons.events import NotUnderstood, NotYet
from lessons.outcome import Outcome
from lessons.reading import polarity, read_option
from lessons.reply import Reply, Words
from lessons.steps.base import Step


@dataclass(frozen=True, kw_only=True)
class Say(Step):
    """A teaching step. `button` is None when the content leaves the default label."""

    button: str | None = None
    wait: bool = True
    kind: str = "say"

    @property
    def waits(self) -> bool:
        return self.wait

    def respond(self, reply: Reply, wrong: int, words: Words) -> Outcome:
        """Tapping continue, typing its label ("toi nho roi" for "Tôi nhớ rồi ▶"), or a reply
        meaning "go on" (tiếp, xong, ok, rồi…) moves on;
        "not yet" (chưa…) is answered kindly; anything else is not understood. A reply that
        only partly says "go on" counts unless it also says no ("không thấy nút tiếp")."""
        if reply.go_on:
            return Outcome(move=True)
        meaning = polarity(reply.text)
        go_on = (*words.go_on, self.button) if self.button else words.go_on
        reading = read_option(reply.text, (go_on, words.not_yet), numbered=False, yes_no=False)
        if reading.option == 1 or meaning is False:
            return Outcome((NotYet(self),))
        if reading.option == 0 or meaning is True:
            return Outcome(move=True)
        return Outcome((NotUnderstood(self),))
