"""What every step kind shares: its id, where it goes next, and what it shows besides text.

```yaml
  - id: buoc-1              # unique in the lesson
    image: media/vneid/ch-play.jpg
    links: [{label: Mở CH Play, url: "https://play.google.com/..."}]
    next: buoc-3            # optional: the step that follows
    end: true               # optional: the lesson ends after this step
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lessons.events import NotUnderstood
from lessons.reading import read_option

if TYPE_CHECKING:
    from lessons.outcome import Outcome
    from lessons.reply import Reply, Words


@dataclass(frozen=True)
class Link:
    """A URL button: `{label: Mở trang VNeID, url: https://vneid.gov.vn}`."""

    label: str
    url: str


@dataclass(frozen=True)
class Option:
    """One answer an `ask` or `quiz` step offers.

    ```yaml
    - label: Chưa có
      also: [chưa cài, không có]   # more ways a learner may say it
      goto: tai-app                # ask only: the step this answer leads to
      correct: true                # quiz only: the one right answer
    last: true                   # quiz only: shown last, whatever the order ("Không biết")
    ```
    """

    label: str
    also: tuple[str, ...] = ()
    goto: str | None = None
    correct: bool = False
    last: bool = False

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every way of saying this option: the label first, then `also`."""
        return (self.label, *self.also)


@dataclass(frozen=True, kw_only=True)
class Step:
    """Fields common to `say`, `ask` and `quiz`. `line` is where the step starts in its file."""

    id: str
    text: str
    image: str | None = None
    links: tuple[Link, ...] = ()
    next: str | None = None
    end: bool = False
    line: int = 0
    options: tuple[Option, ...] = field(default=())
    shuffled: bool = False  # whether the options are shown in a shuffled order

    kind: str = ""

    @property
    def waits(self) -> bool:
        """Whether the lesson stops at this step for the learner (a `say` may pass through)."""
        return True

    def respond(self, reply: Reply, wrong: int, words: Words) -> Outcome:
        """Decide what a reply means at this step; `wrong` counts wrong answers so far."""
        raise NotImplementedError


def read_choice(step: Step, reply: Reply) -> int | NotUnderstood:
    """The option a reply picks at an `ask` or `quiz` step: a tapped button, or typed text
    read tolerantly. A reply that fits none, or several equally, is not understood."""
    if reply.option is not None:
        if 0 <= reply.option < len(step.options):
            return reply.option
        return NotUnderstood(step)
    # A shuffled quiz's numbers are its buttons' places, which the caller reads (the engine
    # knows the order shown); here a number is only a number in a label.
    reading = read_option(
        reply.text, [option.phrases for option in step.options], numbered=not step.shuffled
    )
    if reading.option is None:
        return NotUnderstood(step, reading.candidates)
    return reading.option
