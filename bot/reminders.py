"""Reminders for learners who stopped: when the next one is due, and what it says. Pure: it
sends, stores and reads the clock not at all (`bot.tutor` applies it in the store's atomic
step, `webhook.reminders` sweeps the learners whose reminder is due).

```
HOCSO_REMIND_AFTER=23h,3d,7d     HOCSO_QUIET_HOURS=21-7
HOCSO_ZALO_OA_WINDOW_HOURS=48    HOCSO_ZALO_BOT_WINDOW_HOURS=24
```

**What** a learner is reminded of (`Topic`): the lesson in progress, once per delay at most
(`Learner.nudges[lesson]` counts them), then never again for that lesson; with no lesson in
progress, the lesson after the last one they passed, once (`nudges["next:<passed>"]`; 0 when
there was nothing left to suggest). Nothing for a learner who turned reminders off (`remind`),
whom pushes no longer reach (`unreachable`, or no `address`), or who waits for a person
(`help`).

**When** (`Policy.plan`): reminder n is due `delays[n]` after the learner's last message
(`seen_at`), and never sooner after the one before it than the gap before that one. A time in
quiet hours (Vietnam time) moves to their end, spread over `SPREAD` by a hash of the learner's
id so that 7:00 is not one burst. A time past the channel's window moves back to the latest
time before the window ends (less `MARGIN`) that is not quiet, no earlier than the gap after
the reminder before allows; a reminder that cannot fit is skipped, and so are later ones that
cannot either. The sweep checks it all again when it sends (`Policy.may_send`).

**Where** (`WINDOWS`, each channel's rule):

- Telegram: "Bots can't initiate conversations with users"
  (https://core.telegram.org/bots#how-are-bots-different-from-users): only learners who wrote
  have an address. A send refused for good ("Forbidden: bot was blocked by the user", "user is
  deactivated", "chat not found") or a `my_chat_member` update to `kicked` marks the learner
  `unreachable` until they write again. No window.
- Zalo OA: a consultation message ("tin Tư vấn") reaches only users who interacted with the OA
  within 7 days ("User (người nhận tin): có tương tác với OA trong vòng 7 ngày",
  https://docs.zaloplatforms.com/docs/OA/tin-nhan/tin-tu-van/dieu-kien-gui-tin-tu-van), and is
  free for 48 hours after the last interaction, billed after ("Trong vòng 48 giờ kể từ tương
  tác cuối của người dùng, tin Tư vấn hoàn toàn miễn phí",
  https://docs.zaloplatforms.com/docs/OA/tin-nhan/tong-quan). Past it Zalo answers -230 or
  -232, which mark the learner `unreachable`. Window: 48 hours (at most 168).
- Zalo Bot Platform: its documentation states no window (not verified); 24 hours, to be safe.
- Web chat: nothing can be pushed. The reminder is shown when the learner next opens the page
  (`Reminders.shown`), whatever the hour.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot import payloads
from bot.content import Content
from bot.learner import VIETNAM, Learner
from bot.outbound import Button, Outbound
from bot.progress import suggest_next
from bot.tally import seconds
from lessons import machine
from lessons.model import Lesson
from lessons.position import Position

HOUR = 3600.0
DAY = 24 * HOUR
DELAYS = (23 * HOUR, 3 * DAY, 7 * DAY)
"""After the learner's last message: about a day, then two more, further apart."""
MOST_DELAYS = 3
QUIET = (21 * 60, 7 * 60)
"""Quiet hours, minutes of the day in Vietnam time: from 21:00 to 07:00."""
SPREAD = 45 * 60.0
"""Seconds over which reminders moved out of quiet hours are spread."""
MARGIN = 30 * 60.0
"""Seconds kept before a channel's window ends, for a sweep's delay and a busy outbox."""
WINDOWS: Mapping[str, float] = {"telegram": math.inf, "zalo-oa": 48 * HOUR, "zalo-bot": 24 * HOUR}
"""Seconds after the learner's last message within which a channel may push a reminder (inf:
no limit). A channel not named (the web chat) pushes none."""
ZALO_OA_MOST = 7 * DAY
"""Zalo refuses consultation messages 7 days after the user's last interaction."""
NEXT = "next:"
_VIETNAM = 7 * HOUR  # Vietnam has kept UTC+7, without summer time, since 1975


@dataclass(frozen=True)
class Topic:
    """What a reminder is about: `key` as in `Learner.nudges` (a lesson in progress, or
    `next:<lesson passed>`), its `lesson`, and how many reminders were `sent` about it."""

    key: str
    lesson: str
    sent: int = 0

    @property
    def suggestion(self) -> bool:
        return self.key.startswith(NEXT)


def topic(learner: Learner) -> Topic | None:
    """What the learner would be reminded of, if anything."""
    if learner.position is not None:
        lesson = learner.position.lesson
        return Topic(lesson, lesson, learner.nudges.get(lesson, 0))
    passed = [
        (seconds(result.completed_at), lesson)
        for lesson, result in learner.results.items()
        if result.status == "passed"
    ]
    if not passed:
        return None
    _, last = max(passed)
    if NEXT + last in learner.nudges:
        return None
    return Topic(NEXT + last, last)


@dataclass(frozen=True)
class Policy:
    """When reminders may go: `delays` after the learner's last message (none: reminders are
    off), `quiet` hours as minutes of the day in Vietnam time (None: none), each channel's
    `windows` (see `WINDOWS`)."""

    delays: tuple[float, ...] = DELAYS
    quiet: tuple[int, int] | None = QUIET
    windows: Mapping[str, float] = field(default_factory=lambda: dict(WINDOWS))
    spread: float = SPREAD
    margin: float = MARGIN

    @property
    def on(self) -> bool:
        return bool(self.delays)

    def window(self, learner: Learner) -> float | None:
        """The seconds after their last message within which a reminder may be pushed to the
        learner (inf: no limit), or None when none may be."""
        if not (learner.remind and self.on) or learner.unreachable or learner.help is not None:
            return None
        if learner.address is None:
            return None
        return self.windows.get(learner.address[0])

    def plan(self, learner: Learner, now: float) -> float | None:
        """When the learner's next reminder is due (epoch seconds), or None for none."""
        window, subject = self.window(learner), topic(learner)
        if window is None or subject is None:
            return None
        seen = last_seen(learner)
        deadline = seen + window - self.margin
        for n in range(subject.sent, self._most(subject)):
            at = self.unquiet(self._natural(learner, n, now), learner.id)
            if at > deadline:
                at = self.latest_open(deadline, learner.id)
                if at < self._earliest(learner, n, now):
                    continue
            return at
        return None

    def may_send(self, learner: Learner, now: float) -> bool:
        """Whether a reminder may be pushed to the learner now: allowed, not quiet, within the
        channel's window, and one left to send."""
        window, subject = self.window(learner), topic(learner)
        if window is None or subject is None or subject.sent >= self._most(subject):
            return False
        return not self.is_quiet(now) and now < last_seen(learner) + window

    def shows(self, learner: Learner, now: float) -> bool:
        """Whether the web page, opened now, shows the learner a reminder: one is left and its
        delay has passed (no window, no quiet hours: the learner is there)."""
        if not (learner.remind and self.on) or learner.help is not None:
            return False
        subject = topic(learner)
        if subject is None or subject.sent >= self._most(subject):
            return False
        return self._natural(learner, subject.sent, now) <= now

    # -- times --------------------------------------------------------------------------------

    def _most(self, subject: Topic) -> int:
        return 1 if subject.suggestion else len(self.delays)

    def _natural(self, learner: Learner, n: int, now: float) -> float:
        """Reminder n's own time: `delays[n]` after the last message, and the gap before the
        one before it after that one (when it was sent); not before `now`."""
        at = last_seen(learner) + self.delays[n]
        if n and learner.nudged_at is not None:
            at = max(at, seconds(learner.nudged_at) + self._gap(n - 1))
        return max(at, now)

    def _earliest(self, learner: Learner, n: int, now: float) -> float:
        """How far back reminder n may move to fit a window: after the one before, by at least
        the gap before that one (the first: half its delay after the last message)."""
        seen = last_seen(learner)
        floor = seen + self.delays[0] / 2
        if n:
            floor = seen + self.delays[n - 1] + self._gap(n - 1)
            if learner.nudged_at is not None:
                floor = max(floor, seconds(learner.nudged_at) + self._gap(n - 1))
        return max(floor, now)

    def _gap(self, n: int) -> float:
        return self.delays[n] - (self.delays[n - 1] if n else 0.0)

    def is_quiet(self, at: float) -> bool:
        if self.quiet is None:
            return False
        start, end = self.quiet[0] * 60, self.quiet[1] * 60
        second = (at + _VIETNAM) % DAY
        return start <= second < end if start < end else second >= start or second < end

    def unquiet(self, at: float, learner_id: str) -> float:
        """`at`, or when it is quiet, the end of those quiet hours (plus the learner's share of
        the spread)."""
        if self.quiet is None or not self.is_quiet(at):
            return at
        end = _midnight(at) + self.quiet[1] * 60
        if end <= at:
            end += DAY
        return end + self.share(learner_id)

    def latest_open(self, until: float, learner_id: str) -> float:
        """The latest time at or before `until` that is not quiet (less the learner's share of
        the spread when quiet hours end it)."""
        if self.quiet is None or not self.is_quiet(until):
            return until
        start = _midnight(until) + self.quiet[0] * 60
        if start > until:
            start -= DAY
        return start - 1 - self.share(learner_id)

    def share(self, learner_id: str) -> float:
        """The learner's place in the spread (seconds): the same at every planning."""
        digest = hashlib.blake2s(learner_id.encode(), digest_size=4).digest()
        return int.from_bytes(digest, "big") / 2**32 * self.spread


def last_seen(learner: Learner) -> float:
    """The learner's last message (epoch seconds)."""
    return seconds(learner.seen_at or learner.created_at)


def _midnight(at: float) -> float:
    """The start of `at`'s day in Vietnam."""
    return at - (at + _VIETNAM) % DAY


def stamp(at: float) -> str:
    """Epoch seconds as `Learner` keeps times: ISO, Vietnam time, to the second."""
    return datetime.fromtimestamp(at, VIETNAM).replace(microsecond=0).isoformat()


# -- the settings ---------------------------------------------------------------------------

_DELAY = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")
_UNITS = {"m": 60.0, "h": HOUR, "d": DAY}
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")
OFF = frozenset({"off", "0", "no", "none", "false"})


def parse_delays(text: str) -> tuple[float, ...]:
    """`23h,3d,7d` as seconds; `off` as none. ValueError says what is wrong."""
    if text.strip().lower() in OFF:
        return ()
    delays = []
    for part in text.split(","):
        found = _DELAY.match(part.strip().lower())
        if found is None:
            raise ValueError(f"{part.strip()!r} is not a delay such as 30m, 23h or 3d")
        delays.append(float(found.group(1)) * _UNITS[found.group(2)])
    if not 1 <= len(delays) <= MOST_DELAYS:
        raise ValueError(f"give 1 to {MOST_DELAYS} delays, or off")
    if any(delay <= 0 for delay in delays) or delays != sorted(set(delays)):
        raise ValueError("each delay must be longer than the one before it, and above 0")
    return tuple(delays)


def parse_quiet(text: str) -> tuple[int, int] | None:
    """`21-7` or `21:30-6:45` (Vietnam time) as minutes of the day; `off` as None. ValueError
    says what is wrong."""
    if text.strip().lower() in OFF:
        return None
    start, sep, end = text.replace(" ", "").partition("-")
    minutes = [_minutes(start), _minutes(end)] if sep else [None]
    if None in minutes or minutes[0] == minutes[1]:
        raise ValueError(f"{text!r} is not quiet hours such as 21-7 (from 21:00 to 07:00), or off")
    return minutes[0], minutes[1]  # type: ignore[return-value]


def _minutes(text: str) -> int | None:
    found = _CLOCK.match(text)
    if found is None:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    return hour * 60 + minute if hour < 24 and minute < 60 else None


# -- what a reminder says -------------------------------------------------------------------


class Reminders:
    """The policy with the content (as it is now): the learner after a reminder, and what it
    says. Each method takes the stored learner and returns the one to store, with the message
    (none when nothing is sent)."""

    def __init__(self, policy: Policy, content: Callable[[], Content]) -> None:
        self.policy = policy
        self.content = content

    def due(self, stored: Learner, at: float, now: float) -> tuple[Learner, list[Outbound]]:
        """The reminder planned for `at`, swept at `now`: sent when it is still planned for
        then and may go now; otherwise planned again (a quiet hour, a closed window)."""
        if stored.nudge_at != at or at > now:
            return stored, []  # the learner wrote (or was reminded) since: planned anew
        learner = stored.copy()
        if not self.policy.may_send(learner, now):
            learner.nudge_at = self.policy.plan(learner, now + 1)
            return learner, []
        return self._reminded(learner, now)

    def shown(self, stored: Learner, now: float) -> tuple[Learner, list[Outbound]]:
        """The reminder the web page shows when opened now, if one is due."""
        if not self.policy.shows(stored, now):
            return stored, []
        return self._reminded(stored.copy(), now)

    def _reminded(self, learner: Learner, now: float) -> tuple[Learner, list[Outbound]]:
        subject = topic(learner)
        message = self.message(learner, subject) if subject else None
        if subject is None or message is None:
            if subject is not None and subject.suggestion:  # nothing left to suggest
                learner.nudges[subject.key] = 0
            learner.nudge_at = None  # planned again at their next message
            return learner, []
        learner.nudges[subject.key] = subject.sent + 1
        learner.nudged_at = stamp(now)
        # Its buttons are the ones a typed number or label taps now (Zalo Bot has no others);
        # a question asked before (delete? which name?) is dropped: "có" must not answer it.
        learner.buttons = [(button.label, button.payload) for button in message.buttons]
        learner.pending = None
        learner.nudge_at = self.policy.plan(learner, now + 1)
        return learner, [message]

    def message(self, learner: Learner, subject: Topic) -> Outbound | None:
        """The reminder about `subject`, with its buttons; None when there is nothing to say
        (the lesson is gone, or no lesson is left to suggest)."""
        content = self.content()
        say = content.messages.text
        off = Button(say("buttons.remind_off"), payloads.command("remind_off"))
        lesson = content.lessons.get(subject.lesson)
        if lesson is None:
            return None
        if subject.suggestion:
            following = suggest_next(learner, content.lessons)
            if following is None:
                return None
            go = Button(say("buttons.next_lesson"), payloads.lesson(following.id))
            text = say("remind.next", title=lesson.title, next=following.title)
            return Outbound(text, (go, off))
        position = learner.place_in(lesson.id)
        counted = steps(lesson, position) if position else None
        if counted is None:
            return None
        step, total = counted
        go = Button(say("buttons.resume_place"), payloads.resume(lesson.id))
        return Outbound(say("remind.lesson", title=lesson.title, step=step, steps=total), (go, off))


def steps(lesson: Lesson, position: Position) -> tuple[int, int] | None:
    """The learner's step number in the lesson and how many steps they will have met at its
    end, going on from there: steps that wait, as the learner counts them. None when the
    position no longer fits the lesson (edited meanwhile) and cannot be mended."""
    if not machine.is_valid(lesson, position):
        mended, _ = machine.mend(lesson, position)
        if mended is None:
            return None
        position = mended
    number = len(position.history) + 1
    step, met, ahead = lesson.step(position.step), {position.step}, 0
    while (following := lesson.after(step)) is not None and following.id not in met:
        step = following
        met.add(step.id)
        if step.waits and not (step.kind == "say" and lesson.after(step) is None):
            ahead += 1
    return number, number + ahead
