"""Quiet hours, in Vietnam's time: when nothing is pushed to a learner who did not just write,
and when a learner who asks for a person is told that one answers in the morning.

```sh
HOCSO_QUIET_HOURS=21-7          # the default: 21:00 to 07:00
HOCSO_QUIET_HOURS=22:30-6:30    # minutes too
HOCSO_QUIET_HOURS=off           # none
```
    quiet = QuietHours.parse("21-7")
    datetime(2026, 11, 24, 22, 15, tzinfo=VIETNAM) in quiet      -> True
    quiet.end_hour()                                              -> "7"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from bot.learner import VIETNAM

_SPAN = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")
OFF = ("off", "0", "no", "none", "false")


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end`, Vietnam's time; `start` after `end` spans midnight."""

    start: time = time(21, 0)
    end: time = time(7, 0)

    def __contains__(self, at: object) -> bool:
        if not isinstance(at, datetime):
            return False
        clock = (at.astimezone(VIETNAM) if at.tzinfo else at).time()
        if self.start <= self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """`21-7`, `22:30-6:30`; None for `off` (or an empty span, `7-7`). ValueError, in words
        that say what to write, for anything else."""
        if text.strip().lower() in OFF:
            return None
        found = _SPAN.match(text)
        if found is None:
            raise ValueError(f"{text!r} is not a span of hours such as 21-7 or 22:30-6:30 (or off)")
        start_hour, start_minute, end_hour, end_minute = found.groups()
        try:
            start = time(int(start_hour), int(start_minute or 0))
            end = time(int(end_hour), int(end_minute or 0))
        except ValueError:
            raise ValueError(f"{text!r}: hours are 0 to 23, minutes 0 to 59") from None
        return None if start == end else cls(start, end)

    def end_hour(self) -> str:
        """When they end, for "sau {hour} giờ": "7", or "6:30" with minutes."""
        return f"{self.end.hour}:{self.end.minute:02d}" if self.end.minute else str(self.end.hour)
