"""Button payloads: short strings that come back when a learner taps a button.

Kept under Telegram's 64-byte callback_data limit:

| payload           | meaning                                               |
|-------------------|-------------------------------------------------------|
| `c:<mark>`        | continue, at the step whose mark this is              |
| `o:<mark>:<k>`    | option k (0-based) of that step                       |
| `l:<lesson-id>`   | open a lesson: start it, or ask whether to go on      |
| `r:<lesson-id>`   | go on with a lesson where the learner left it         |
| `s:<lesson-id>`   | start (or retake) a lesson from its beginning         |
| `m:<page>`        | show that page of the lesson menu (`m:-K`: of groups) |
| `k:<command>`     | run a global command (menu, next, help, progress, …)  |
| `d:yes` / `d:no`  | confirm or cancel deleting the learner's data         |
| `n:<choice>`      | the name for certificates: `profile` (the chat's), `later`, `keep` |

A step's mark is a hash of its lesson and step ids and its options' labels, so a button from
an older message, or from before an edit of the lesson (`hocso reload`), is recognised as stale
instead of answering the wrong question: option k of a step whose options were reordered or
reworded is another option.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lessons.steps import Step


@dataclass(frozen=True)
class Tap:
    """A parsed payload: `kind` is one of c, o, l, r, s, m, k, d, n."""

    kind: str
    value: str = ""
    option: int | None = None


def step_mark(lesson_id: str, step: Step) -> str:
    """Ten hex characters naming one step of one lesson, with its options as they are now
    (a step without options: its ids alone, as before options were in it)."""
    named = f"{lesson_id}/{step.id}"
    if step.options:  # the unit separator: no label holds it
        named += "".join(f"\x1f{option.label}" for option in step.options)
    return hashlib.blake2s(named.encode(), digest_size=5).hexdigest()


def go_on(mark: str) -> str:
    return f"c:{mark}"


def option(mark: str, index: int) -> str:
    return f"o:{mark}:{index}"


def lesson(lesson_id: str) -> str:
    return f"l:{lesson_id}"


def resume(lesson_id: str) -> str:
    return f"r:{lesson_id}"


def restart(lesson_id: str) -> str:
    return f"s:{lesson_id}"


def menu_page(page: int) -> str:
    return f"m:{page}"


def command(name: str) -> str:
    return f"k:{name}"


def delete(confirm: bool) -> str:
    return "d:yes" if confirm else "d:no"


def name(choice: str) -> str:
    """A button of the name question: `profile`, `later` or `keep`."""
    return f"n:{choice}"


def parse(payload: str) -> Tap | None:
    """The tap a payload stands for, or None for a payload hocso never made."""
    if not isinstance(payload, str):
        return None
    kind, _, rest = payload.partition(":")
    if not rest or len(payload) > 64:
        return None
    if kind == "o":
        mark, _, index = rest.partition(":")
        if not index.isdigit():
            return None
        return Tap("o", mark, int(index))
    if kind == "m":
        # m:N a group or page; m:-K page K + 1 of the groups (bot.menu)
        return Tap("m", rest) if rest.removeprefix("-").isdigit() else None
    if kind in ("c", "l", "r", "s", "k", "d", "n"):
        return Tap(kind, rest)
    return None
