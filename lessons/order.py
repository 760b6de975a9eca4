"""The order a question's options are shown in.

A quiz's options are shuffled for each learner and each attempt at the lesson, so the place
of the right answer in the file gives nothing away and a learner who always taps the first
button passes no more often than chance. The order is worked out again from the same seed
each time (the learner and the attempt's start), so it stays the same while the learner is on
the step, on every worker, with nothing stored. Options marked `last: true` stay at the end in
their written order; a quiz with `order: as-written`, and every `ask`, keeps the file's order.

    shown(step, "tg:5/2026-11-23T10:00:00+07:00")  -> (2, 0, 1)   # written indexes, in order
"""

from __future__ import annotations

import hashlib
import random

from lessons.steps import Step


def shown(step: Step, seed: str) -> tuple[int, ...]:
    """The written indexes of `step`'s options in the order they are shown."""
    indexes = list(range(len(step.options)))
    if not step.shuffled:
        return tuple(indexes)
    free = [i for i in indexes if not step.options[i].last]
    pinned = [i for i in indexes if step.options[i].last]
    digest = hashlib.blake2s(f"{seed}/{step.id}".encode(), digest_size=8).digest()
    random.Random(int.from_bytes(digest, "big")).shuffle(free)
    return (*free, *pinned)
