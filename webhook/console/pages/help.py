"""Hỗ trợ (`/admin/help`, `.csv`, `.json`): the learners waiting for a person, who waited
longest first (`Store.due("help", …)`: the open requests by when they were made), with their
masked name, place, volunteer, lesson and step, why, where the request went (its desk) and,
below the table, each one's thread with a form to answer it and a button to close it; then
the requests closed lately and how long they waited (`bot.helpdesk.closed_log`). The exports
carry the table only: never the learners' words.

```json
{"code": "H-7K2P", "waiting": 95, "name": "N***** T** L**", "place": "Xã An Phú › Thôn 1",
 "volunteer": "V12", "lesson": "Nhận biết lừa đảo qua mạng · Bước 5/20", "why": "distress",
 "desk": "Nhóm Telegram -1001234567890", "opened_at": "…", "until": "…"}
```
An answer (`POST /admin/help/_reply`: code, text, and the form's own token, so a form sent
twice answers once) reaches the learner's chat as one from a person, with the account's
name, and the desk's group sees it; closing (`…/_close`) tells the learner and the desk. Both
are in the audit log (`help_reply`, `help_close`, with the request's code).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from bot import helpdesk
from bot.console import ConsoleTexts
from bot.content import Content
from bot.engine import resume_buttons
from bot.helpdesk import Applied
from bot.learner import VIETNAM, Learner
from bot.places import Places
from bot.roster import channel_of, mask_name
from bot.stores.base import Change, Delivery
from bot.tally import Group, seconds
from webhook.console.directory import place_name, text
from webhook.console.lesson_links import lesson_title, step_number
from webhook.console.page import Action, Column, Done, Page, Shown, Table, Visit

PATH = "/admin/help"
SHOWN = 200
"""Open requests the page lists at most (the oldest)."""
LONGEST = 1000
"""Characters of an answer (a learner's message is read up to as many)."""

COLUMNS = (
    Column("code", "help.code"),
    Column("waiting", "help.waiting_minutes"),
    Column("name", "help.learner"),
    Column("place", "help.place", empty="learners.no_area"),
    Column("volunteer", "help.volunteer"),
    Column("lesson", "help.lesson"),
    Column("why", "help.why", labels="help.whys."),
    Column("desk", "help.desk", empty="help.desk_none"),
    Column("opened_at", "help.opened_at", time=True),
    Column("until", "help.until", time=True),
)


def waited(texts: ConsoleTexts, minutes: int) -> str:
    """A wait as people say it: "25 phút", "2 giờ 5 phút", "1 ngày 3 giờ"."""
    if minutes < 60:
        return texts.text("help.minutes", minutes=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return texts.text("help.hours", hours=hours, minutes=rest)
    days, hours = divmod(hours, 24)
    return texts.text("help.days", days=days, hours=hours)


def where_in(content: Content, texts: ConsoleTexts, lesson: str | None, step: str | None) -> str:
    """Where a request was made: "Nhận biết lừa đảo qua mạng · Bước 5/20" ("" for none)."""
    if not lesson:
        return ""
    title = lesson_title(content, lesson)
    number = step_number(content, lesson, step or "")
    if number is None:
        return title
    return texts.text("help.step", lesson=title, number=number[0], count=number[1])


def desk_name(texts: ConsoleTexts, desk: str | None) -> str:
    """Where a request went, in words ("" for the console alone)."""
    chat = helpdesk.desk_chat(desk)
    return texts.text("help.desk_chat", chat=chat) if chat else ""


def open_requests(visit: Visit) -> list[tuple[Learner, dict[str, Any]]]:
    """The open requests, oldest first, each with its learner and its row."""
    now = visit.clock()
    places = Places.load(visit.store)
    found = []
    for learner_id, _ in visit.store.due("help", now + 1e9, SHOWN):
        learner = visit.store.get(learner_id)
        request = learner.help if learner is not None else None
        if learner is None or request is None:
            continue
        area, village = places.where(Group.of(learner))
        row = {
            "code": request.code,
            "waiting": max(0, int((now - seconds(request.opened_at)) // 60)),
            "name": mask_name(learner.name or "") or channel_of(learner.id),
            "place": place_name(places, area, village) if area else "",
            "volunteer": learner.volunteer or "",
            "lesson": where_in(visit.content, visit.texts, request.lesson, request.step),
            "why": request.why,
            "desk": desk_name(visit.texts, request.desk),
            "opened_at": request.opened_at,
            "until": request.until,
        }
        found.append((learner, row))
    return found


def show(visit: Visit) -> Shown:
    texts = visit.texts
    found = open_requests(visit)
    talks = []
    for learner, row in found:
        request = learner.help
        assert request is not None
        talks.append(
            {
                **row,
                "waited": waited(texts, row["waiting"]),
                "thread": [
                    {
                        "at": at,
                        "who": who or texts.text("help.learner_said"),
                        "text": said,
                        "helper": bool(who),
                    }
                    for at, who, said in request.thread
                ],
                "token": secrets.token_urlsafe(12),
            }
        )
    closed = [
        {
            **doc,
            "waited_said": waited(texts, int(doc["waited"]) // 60)
            if isinstance(doc.get("waited"), int)
            else texts.text("help.not_answered"),
        }
        for doc in helpdesk.closed_log(visit.store)
    ]
    return Shown(
        table=Table(COLUMNS, [row for _, row in found]),
        values={"talks": talks, "closed": closed},
    )


def _code(visit: Visit) -> str | None:
    assert visit.form is not None
    found = helpdesk.CODE.fullmatch(text(visit.form, "code", 10).upper())
    return found.group(1) if found else None


def reply(visit: Visit) -> Done:
    """Answer a learner from the console, once however often the form is sent."""
    assert visit.form is not None
    code = _code(visit)
    said = str(visit.form.get("text") or "").strip()[:LONGEST]
    token = text(visit.form, "token", 40)
    if code is None:
        return Done(PATH, notice="help.gone", values={"code": "?"}, problem=True)
    if not said:
        return Done(PATH, notice="help.empty_text", problem=True)
    now = visit.clock()
    content = visit.content

    def make(applied: Applied) -> Change[list[Delivery]]:
        at = datetime.fromtimestamp(now, VIETNAM)
        return helpdesk.answer(code, visit.name, said, at, content, applied)

    event = f"console-help:{code}:{token or secrets.token_urlsafe(12)}"
    applied, _ = helpdesk.apply(visit.store, event, code, make, now)
    if applied.outcome not in ("answered", "duplicate"):
        return Done(PATH, notice="help.gone", values={"code": code}, problem=True)
    if applied.outcome == "answered":  # the same form sent again did nothing more
        visit.audit("help_reply", request=code)
    return Done(f"{PATH}#{code}", notice="help.sent", values={"code": code})


def close(visit: Visit) -> Done:
    """Close a request from the console: the learner and the desk are told."""
    assert visit.form is not None
    code = _code(visit)
    token = text(visit.form, "token", 40) or secrets.token_urlsafe(12)
    if code is None:
        return Done(PATH, notice="help.gone", values={"code": "?"}, problem=True)
    now = visit.clock()
    content = visit.content

    def make(applied: Applied) -> Change[list[Delivery]]:
        at = datetime.fromtimestamp(now, VIETNAM)
        return helpdesk.close(
            code, "console", at, content, applied, who=visit.name,
            resume=lambda learner: resume_buttons(content, learner),
        )  # fmt: skip

    applied, _ = helpdesk.apply(visit.store, f"console-close:{code}:{token}", code, make, now)
    if applied.outcome not in ("closed", "duplicate"):
        return Done(PATH, notice="help.gone", values={"code": code}, problem=True)
    if applied.outcome == "closed":
        visit.audit("help_close", request=code)
    return Done(PATH, notice="help.closed_done", values={"code": code})


PAGE = Page(
    PATH,
    title="nav.help",
    show=show,
    template="help.html",
    actions=(Action(PATH + "/_reply", reply), Action(PATH + "/_close", close)),
)
