"""A person on the line: a learner's request for a person (`Learner.help`), from asking to
closing, as pure changes of the learner and the messages they make. The engine opens a
request and feeds it the learner's words (`bot.engine`); the tutor posts what a turn did to
the desk (`desk_news`); `webhook.helpdesk` applies a helper's answer and a closing
(`answer`, `close`) with `Tutor.apply`, at most once each.

```json
{"code": "H-7K2P", "opened_at": "2026-11-24T08:12:00+07:00",
 "until": "2026-11-25T08:12:00+07:00", "why": "distress", "lesson": "an-toan-otp",
 "step": "cau-1", "desk": "telegram:-1001234",
 "thread": [["2026-11-24T08:12:30+07:00", "", "tôi bị lừa mất •••• đồng"],
            ["2026-11-24T08:20:00+07:00", "Hoa", "Bác gọi ngay tổng đài in sau thẻ nhé"]],
 "answered_at": "2026-11-24T08:20:00+07:00", "acked_at": "2026-11-24T08:12:30+07:00"}
```
- **Opened** by the learner only: the `person` command (typed, or the button of the help and
  lost messages, or the one offered after words of distress). Where it goes is looked up
  before the atomic step (`Desks.route`, which a change may not do: the engine raises
  `Unrouted` and the tutor tries again with a `Route`): the help chat of the learner's
  volunteer, else of their area (its team), else the operator's (`HOCSO_HELP_CHAT`), as
  `telegram:<chat>`; None without one or with Telegram off (the console lists it all the
  same). The desk gets one message (`posted`): the code, the masked name, the place, the
  volunteer, the lesson and step, the last replies (masked) and how to answer.
- **While open** the tutor is quiet: each message of the learner goes into the thread, every
  digit masked (`masked`), the last `HelpPolicy.lines` kept, and to the desk, one delivery
  each (`relayed`); the learner hears that it was passed on at most every `ack_every`
  seconds. "▶ Quay lại học" (or its words) closes it and shows the lesson again.
- **Answered** from the desk (a reply in the Telegram group) or the console (`answer`): to
  the learner's own chat (`Learner.address`), "👤 Hoa (người hỗ trợ): …".
- **Closed** by the helper (`/xong`, the console), by the learner, or when `until` passes
  (`close`, run by `webhook.helpdesk` for every worker; or the learner's next message). The
  learner is told; the thread goes, `Learner.helped` keeps the counts, and the closed log
  (`remember_closed`, directory kind `help`) keeps when and how, with no name and no words.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.content import Content
from bot.learner import VIETNAM, HelpRequest, Learner
from bot.outbound import Button, Outbound, to_body
from bot.places import Places
from bot.progress import CODE_ALPHABET
from bot.reminders import QUIET, Policy
from bot.roster import channel_of, mask_name
from bot.stores.base import Change, Delivery, Store
from bot.tally import Group, seconds

DESK_CHANNEL = "telegram"
"""The channel desks are on: a Telegram group or chat (`telegram:<chat id>`)."""
CODE = re.compile(r"#?\b(H-[0-9A-Z]{4})\b")
"""A request's code as written in a desk's messages (`#H-7K2P`)."""
RECENT = 3
"""Replies kept in `Learner.recent`, for the desk's message."""
LONGEST = 500
"""Characters of one line of a thread (a learner's message is 1000 at most)."""
CLOSED = "help"
"""The directory's kind for the closed log (`remember_closed`)."""
CLOSED_KEPT = 50
"""Closed requests the log keeps, the latest."""
REMEMBERED = 2 * 24 * 3600
"""Seconds a code is remembered beyond its request's `until` (it goes when the request closes)."""

How = Literal["helper", "console", "learner", "expired"]
"""Who or what closed a request."""


def new_help_code() -> str:
    """A request's code: `H-` and four letters or digits that are not easily confused."""
    return "H-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))


def code_key(code: str) -> str:
    """The shared value naming the learner of an open request (`Store.remember`)."""
    return f"help:{code}"


def masked(text: str, longest: int = LONGEST) -> str:
    """A learner's words as a thread keeps them: every digit hidden (no OTP, ID or account
    number ever reaches a desk or the store), white space made single, at most `longest`."""
    hidden = re.sub(r"\d", "•", " ".join(text.split()))
    return hidden if len(hidden) <= longest else hidden[: longest - 1] + "…"


@dataclass(frozen=True)
class HelpPolicy:
    """How long a request stays open (`hours`), when people answer only in the morning
    (`quiet`: the reminders' quiet hours, minutes of the day in Vietnam time, as
    `bot.reminders.parse_quiet` reads HOCSO_QUIET_HOURS; None: always within the day), how
    often the learner is told their words were passed on (`ack_every`, seconds) and how many
    lines a thread keeps (`lines`)."""

    hours: float = 24.0
    quiet: tuple[int, int] | None = QUIET
    ack_every: float = 600.0
    lines: int = 30


@dataclass(frozen=True)
class Route:
    """Where a new request goes, looked up before the atomic step: its code (unused), the
    desk, and how the desk's message names the learner's place and volunteer."""

    code: str
    desk: str | None = None
    place: str = ""
    volunteer: str = ""


class Unrouted(Exception):
    """Raised by the engine when a learner asks for a person and no `Route` was given: the
    caller looks one up for `group` (`Desks.route`) and applies the event again with it."""

    def __init__(self, group: Group) -> None:
        super().__init__("a request for a person needs its route")
        self.group = group


class Desks:
    """Where requests go: `operator`, the chat of HOCSO_HELP_CHAT; `telegram`, whether the
    Telegram channel is on (without it no desk is posted to)."""

    def __init__(
        self,
        store: Store,
        operator: str | None = None,
        *,
        telegram: bool = False,
        make_code: Callable[[], str] = new_help_code,
    ) -> None:
        self.store = store
        self.operator = operator
        self.telegram = telegram
        self.make_code = make_code

    def route(self, group: Group) -> Route:
        """The route of a new request of a learner of `group` (reads the directory)."""
        places = Places.load(self.store)
        volunteer = places.volunteers.get(group.volunteer)
        area_id, village_id = places.where(group)
        area = places.areas.get(area_id)
        chat = (
            (volunteer.help_chat if volunteer else "")
            or (area.help_chat if area else "")
            or (self.operator or "")
        )
        place = ", ".join(
            name
            for name in (
                places.village_name(area_id, village_id) if village_id else "",
                places.area_name(area_id) if area_id else "",
            )
            if name
        )
        named = f"{volunteer.name} ({volunteer.code})" if volunteer else group.volunteer
        desk = f"{DESK_CHANNEL}:{chat}" if chat and self.telegram else None
        return Route(self.fresh_code(), desk, place, named)

    def fresh_code(self) -> str:
        """A code no open request has (a few tries; a clash after them is too unlikely)."""
        code = self.make_code()
        for _ in range(5):
            if not self.store.recall(code_key(code)):
                break
            code = self.make_code()
        return code


def desk_chat(desk: str | None) -> str | None:
    """The Telegram chat of a desk (`telegram:-1001234` -> "-1001234"), or None."""
    if desk is None or not desk.startswith(f"{DESK_CHANNEL}:"):
        return None
    return desk.partition(":")[2] or None


# -- the learner's side: what the engine does -------------------------------------------------


def iso(at: datetime) -> str:
    return at.astimezone(VIETNAM).isoformat(timespec="seconds")


def opened(
    learner: Learner, route: Route, why: str, at: datetime, policy: HelpPolicy
) -> HelpRequest:
    """Open the learner's request (counted in `helped.asked`), where they stand now."""
    position = learner.position
    request = HelpRequest(
        code=route.code,
        opened_at=iso(at),
        until=iso(at + timedelta(hours=policy.hours)),
        why=why,
        lesson=position.lesson if position else None,
        step=position.step if position else None,
        desk=route.desk,
    )
    learner.help = request
    learner.helped["asked"] = learner.helped.get("asked", 0) + 1
    return request


def heard(request: HelpRequest, who: str, text: str, at: datetime, policy: HelpPolicy) -> None:
    """A line of the thread: `who` "" for the learner, else the helper's name; the last
    `policy.lines` kept."""
    request.thread.append([iso(at), who, masked(text)])
    del request.thread[: -policy.lines]


def ack_due(request: HelpRequest, at: datetime, policy: HelpPolicy, *, now: bool = False) -> bool:
    """Whether to tell the learner now that their words were passed on: the first time, then
    at most every `policy.ack_every` seconds (or `now`, whatever the time); noted when so."""
    last = seconds(request.acked_at) if request.acked_at else None
    if not now and last is not None and at.timestamp() - last < policy.ack_every:
        return False
    request.acked_at = iso(at)
    return True


def expired(request: HelpRequest, at: datetime) -> bool:
    return at.timestamp() >= seconds(request.until)


def note_recent(learner: Learner, text: str) -> None:
    """Keep a reply to a lesson, masked, among the last `RECENT`."""
    learner.recent = [*learner.recent, masked(text, 120)][-RECENT:]


def is_quiet(quiet: tuple[int, int] | None, at: datetime) -> bool:
    """Whether `at` is in the quiet hours (the reminders' own reckoning of them)."""
    return Policy(quiet=quiet).is_quiet(at.timestamp())


def morning(quiet: tuple[int, int] | None, at: datetime) -> Literal["day", "night", "dawn"]:
    """When a person will answer a request made `at`: within the day, or after the quiet
    hours end, tomorrow ("night", before midnight) or today ("dawn")."""
    if quiet is None or not is_quiet(quiet, at):
        return "day"
    local = at.astimezone(VIETNAM)
    minute = local.hour * 60 + local.minute
    start, end = quiet
    return "night" if start > end and minute >= start else "dawn"


def end_hour(quiet: tuple[int, int]) -> str:
    """When the quiet hours end, for "sau {hour} giờ": "7", or "6:30" with minutes."""
    hour, minute = divmod(quiet[1], 60)
    return f"{hour}:{minute:02d}" if minute else str(hour)


# -- the desk's side: what a turn or a change posts -------------------------------------------


@dataclass(frozen=True)
class News:
    """What one change did to a learner's request: opened one (`opened`), heard the learner
    (`said`, the lines added), closed one (`closed`, how)."""

    opened: HelpRequest | None = None
    said: tuple[str, ...] = ()
    closed: HelpRequest | None = None
    how: How | None = None


def news(before: Learner | None, after: Learner | None) -> News:
    """What a learner's own turn did to their request, from the learner before and after."""
    old = before.help if before else None
    new = after.help if after else None
    opened = new if new is not None and (old is None or old.code != new.code) else None
    closed = old if old is not None and (new is None or new.code != old.code) else None
    said: tuple[str, ...] = ()
    if new is not None and old is not None and new.code == old.code:
        added = new.thread[len(old.thread) :] if len(new.thread) >= len(old.thread) else []
        said = tuple(text for _, who, text in added if who == "")
    elif opened is not None:
        said = tuple(text for _, who, text in opened.thread if who == "")
    how: How | None = None
    if closed is not None and after is not None:
        at = datetime.fromisoformat(after.seen_at) if after.seen_at else None
        how = "expired" if at is not None and expired(closed, at) else "learner"
    return News(opened, said, closed, how)


def _desk(desk: str | None, text: str) -> list[Delivery]:
    chat = desk_chat(desk)
    return [] if chat is None else [Delivery(DESK_CHANNEL, chat, to_body(Outbound(text)))]


def posted(learner: Learner, request: HelpRequest, route: Route, content: Content) -> str:
    """The desk's message of a new request."""
    say = content.console.text
    lines = [say("desk.distress" if request.why == "distress" else "desk.asked", code=request.code)]
    name = mask_name(learner.name or "") or say("desk.no_name")
    lines.append(say("desk.learner", name=name, channel=channel_of(learner.id)))
    if route.place:
        lines.append(say("desk.place", place=route.place))
    if route.volunteer:
        lines.append(say("desk.volunteer", volunteer=route.volunteer))
    lesson = content.lessons.get(request.lesson or "")
    if lesson is not None and request.step and lesson.has(request.step):
        number = [step.id for step in lesson.steps].index(request.step) + 1
        lines.append(
            say("desk.lesson", lesson=lesson.title, number=number, count=len(lesson.steps))
        )
    elif request.lesson:
        lines.append(say("desk.lesson_only", lesson=lesson.title if lesson else request.lesson))
    if learner.recent:
        lines.append(say("desk.recent"))
        lines += [say("desk.line", text=text) for text in learner.recent]
    until = datetime.fromisoformat(request.until).astimezone(VIETNAM)
    lines.append(say("desk.until", time=until.strftime("%H:%M %d/%m")))
    lines.append(say("desk.how"))
    return "\n".join(lines)


def desk_news(
    before: Learner | None,
    after: Learner | None,
    route: Route | None,
    content: Content,
    hours: float,
) -> tuple[News, list[Delivery]]:
    """What a learner's turn did to their request, and the desk's messages of it: the new
    request posted, each of the learner's messages relayed, a closing said."""
    found = news(before, after)
    deliveries: list[Delivery] = []
    say = content.console.text
    if found.opened is not None and after is not None and route is not None:
        deliveries += _desk(found.opened.desk, posted(after, found.opened, route, content))
    request = found.opened or (after.help if after else None)
    if request is not None:
        for text in found.said:
            deliveries += _desk(request.desk, say("desk.said", code=request.code, text=text))
    if found.closed is not None and found.how is not None:
        deliveries += _desk(found.closed.desk, closing(found.closed, found.how, "", content, hours))
    return found, deliveries


def closing(request: HelpRequest, how: How, who: str, content: Content, hours: float) -> str:
    """The desk's message when a request closes."""
    say = content.console.text
    if how == "learner":
        return say("desk.closed_learner", code=request.code)
    if how == "expired":
        return say("desk.expired", code=request.code, hours=f"{hours:g}")
    return say("desk.closed_helper", code=request.code, name=who)


# -- changes that are not the learner's turn --------------------------------------------------


class NotYet(Exception):
    """A request's time is not over yet (a worker whose clock runs ahead): the change stores
    nothing, not even its event, so the sweep may try it again."""


@dataclass
class Applied:
    """What a change did when the store ran it (the last run counts): `outcome` one of
    "answered", "closed", "not_desk" (from a chat that is not the request's desk),
    "not_open" (no such open request) or "no_learner"; `closed`, the request it closed."""

    outcome: str = ""
    closed: HelpRequest | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _open(learner: Learner | None, code: str, desk: str | None, applied: Applied) -> bool:
    """Whether the change may go on: the learner has this request open, and a desk's message
    comes from the desk it was posted to (`desk` None: from the console)."""
    applied.closed = None
    if learner is None:
        applied.outcome = "no_learner"
        return False
    if learner.help is None or learner.help.code != code:
        applied.outcome = "not_open"
        return False
    if desk is not None and learner.help.desk != desk:
        applied.outcome = "not_desk"
        return False
    return True


def _to_learner(learner: Learner, message: Outbound) -> list[Delivery]:
    """A message to the learner's own chat (none when no message of theirs says where it is),
    naming them, as every delivery to a learner's chat does."""
    if learner.address is None:
        return []
    channel, chat = learner.address
    return [Delivery(channel, chat, to_body(message), learner=learner.id)]


def answer(
    code: str,
    who: str,
    text: str,
    at: datetime,
    content: Content,
    applied: Applied,
    *,
    desk: str | None = None,
    policy: HelpPolicy | None = None,
) -> Change[list[Delivery]]:
    """A helper's answer, `who` their first name (or the console account's), from `desk`
    (None: the console, which the desk is told of): to the learner's own chat, and into the
    thread. The first answer counts in `helped.answered` and `helped.waited`."""
    policy = policy or HelpPolicy()

    def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
        if not _open(learner, code, desk, applied):
            return learner, []
        assert learner is not None and learner.help is not None
        request = learner.help
        if request.answered_at is None:
            request.answered_at = iso(at)
            waited = max(0, round(at.timestamp() - seconds(request.opened_at)))
            learner.helped["answered"] = learner.helped.get("answered", 0) + 1
            learner.helped["waited"] = learner.helped.get("waited", 0) + waited
        heard(request, who, text, at, policy)
        said = content.messages.text("person.answer", name=who, text=text.strip())
        deliveries = _to_learner(learner, Outbound(said))
        if desk is None:  # from the console: the desk sees it too
            note = content.console.text("desk.console_answer", code=code, name=who, text=text)
            deliveries += _desk(request.desk, note)
        applied.outcome = "answered"
        return learner, deliveries

    return change


def close(
    code: str,
    how: How,
    at: datetime,
    content: Content,
    applied: Applied,
    *,
    who: str = "",
    desk: str | None = None,
    hours: float = 24.0,
    resume: Callable[[Learner], tuple[Button, ...]] | None = None,
) -> Change[list[Delivery]]:
    """Close a request: by the helper (`/xong` from `desk`), from the console, or when it
    expired (only once `until` has passed). The learner is told, with the way back to their
    lesson (`resume`: the buttons), and so is the desk (unless the helper closed it there)."""

    def change(learner: Learner | None) -> tuple[Learner | None, list[Delivery]]:
        if not _open(learner, code, desk, applied):
            return learner, []
        assert learner is not None and learner.help is not None
        request = learner.help
        if how == "expired" and not expired(request, at):
            raise NotYet(code)  # nothing stored: the event may be tried again later
        learner.help = None
        applied.extra.update(group=Group.of(learner), how=how)
        key = "person.expired" if how == "expired" else "person.done"
        buttons = resume(learner) if resume is not None else ()
        learner.buttons = [(button.label, button.payload) for button in buttons]
        deliveries = _to_learner(learner, Outbound(content.messages.text(key), buttons))
        if how != "helper":
            deliveries += _desk(request.desk, closing(request, how, who, content, hours))
        applied.outcome, applied.closed = "closed", request
        return learner, deliveries

    return change


# -- the closed log ---------------------------------------------------------------------------


def remember_closed(
    store: Store, request: HelpRequest, how: How, at: float, group: Group | None = None
) -> None:
    """Keep when and how a request closed, and how long it waited for its first answer, in
    the directory (kind `help`; the latest `CLOSED_KEPT`): no learner, no name, no words.

    ```json
    {"code": "H-7K2P", "why": "distress", "how": "helper", "opened_at": "…",
     "closed_at": "…", "answered_at": "…", "waited": 480, "lesson": "an-toan-otp",
     "volunteer": "V12"}
    ```"""
    answered = seconds(request.answered_at) if request.answered_at else None
    doc = {
        "code": request.code,
        "why": request.why,
        "how": how,
        "opened_at": request.opened_at,
        "closed_at": datetime.fromtimestamp(at, VIETNAM).isoformat(timespec="seconds"),
        "answered_at": request.answered_at,
        "waited": None if answered is None else round(answered - seconds(request.opened_at)),
        "lesson": request.lesson or "",
        "volunteer": group.volunteer if group else "",
    }
    store.put_doc(CLOSED, request.code, doc)
    kept = store.docs(CLOSED)
    if len(kept) > CLOSED_KEPT:
        by_age = sorted(kept.items(), key=lambda item: str(item[1].get("closed_at", "")))
        for code, _ in by_age[: len(kept) - CLOSED_KEPT]:
            store.put_doc(CLOSED, code, None)


def closed_log(store: Store) -> list[dict[str, Any]]:
    """The closed requests the log keeps, the latest closed first."""
    docs = list(store.docs(CLOSED).values())
    return sorted(docs, key=lambda doc: str(doc.get("closed_at", "")), reverse=True)


def forget_code(store: Store, code: str) -> None:
    """The code names no learner any more (gone at once for every reader)."""
    store.remember(code_key(code), "", ttl=1)


def remember_code(store: Store, request: HelpRequest, learner_id: str, now: float) -> None:
    """Name the learner of an open request by its code, until a while after `until`."""
    ttl = max(60.0, seconds(request.until) - now) + REMEMBERED
    store.remember(code_key(request.code), learner_id, ttl=ttl)


def find_learner(store: Store, code: str, now: float, most: int = 1000) -> str | None:
    """The learner whose open request has this code: by the shared value, else (a worker
    died before keeping it) among the open requests."""
    found = store.recall(code_key(code))
    if found:
        return found
    for learner_id, _ in store.due("help", now + 1e9, most):
        learner = store.get(learner_id)
        if learner is not None and learner.help is not None and learner.help.code == code:
            return learner_id
    return None


# -- applied: a change at most once, and what follows it --------------------------------------


def apply(
    store: Store,
    event_id: str,
    code: str,
    make: Callable[[Applied], Change[list[Delivery]]],
    now: float,
) -> tuple[Applied, list[Delivery]]:
    """Apply a change of the request `code` as the event `event_id`, at most once (like
    `Tutor.apply`): what it did (`outcome` "duplicate" for an event applied before,
    "not_open" when no open request has the code, "not_yet" when it is not over yet) and the
    deliveries it queued. A request it closed is forgotten and logged."""
    applied = Applied()
    learner_id = find_learner(store, code, now)
    if learner_id is None:
        applied.outcome = "not_open"
        return applied, []
    try:
        queued = store.handle(learner_id, event_id, make(applied), now)
    except NotYet:
        applied.outcome = "not_yet"
        return applied, []
    if queued is None:
        applied.outcome = "duplicate"
        return applied, []
    if applied.closed is not None:
        forget_code(store, applied.closed.code)
        group = applied.extra.get("group")
        how = applied.extra.get("how", "helper")
        remember_closed(
            store, applied.closed, how, now, group if isinstance(group, Group) else None
        )
    return applied, queued
