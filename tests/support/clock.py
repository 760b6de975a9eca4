"""A clock a test moves by hand, for what a store counts by its `clock` (memory, SQLite):

store.clock = clock = Clock(1000.0)
clock.now += 61.0
"""

from __future__ import annotations


class Clock:
    """Seconds, as `time.time` gives them, standing still until `now` is moved."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
