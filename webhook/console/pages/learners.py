"""Học viên: the learners, a page at a time, the last seen first (`/admin/learners`, `.csv`,
`.json`), searched and filtered in the query string as Datasette does:

    /admin/learners?q=lan&area=an-phu&village=thon-1&volunteer=V12&start=50

`area=-` is "không rõ địa bàn" (learners of no known area), `volunteer=-` those who came with
no volunteer's code. Names are masked (`bot.roster`). One learner's page
(`/admin/learners/<id>`) has their lessons, scores and certificates, never a text they typed,
and a form to put them in an area or village (`POST …/assign`, in the audit log as "assign").
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.learner import Learner
from bot.places import ID, PlaceError, Places, assign
from bot.progress import progress_json
from bot.roster import Filter, Line, channel_of, mask_id, mask_name, roster
from bot.tally import Group
from webhook.console.directory import chosen_place, place_choices, place_name, refused
from webhook.console.lesson_links import lesson_title, step_number
from webhook.console.page import Action, Column, Done, Page, Shown, Table, Visit, not_found
from webhook.console.paging import pager, size, start_of

PATH = "/admin/learners"
UNKNOWN = "-"
"""In the query string: no known area (`area=-`), no volunteer (`volunteer=-`)."""
LONGEST_QUERY = 100

COLUMNS = (
    Column("name", "learners.name", link="href"),
    Column("channel", "learners.channel"),
    Column("volunteer", "learners.volunteer", empty="learners.no_volunteer"),
    Column("place", "learners.place", empty="learners.no_area"),
    Column("seen_at", "learners.seen_at", time=True),
    Column("lesson", "learners.lesson"),
    Column("passed", "learners.passed"),
    Column("certificates", "learners.certificates"),
)


def learner_path(learner_id: str) -> str:
    return f"{PATH}/{quote(learner_id, safe=':')}"


def wanted(visit: Visit) -> Filter:
    """The filter the query string asks for; a value that is no id counts as not given."""
    query = visit.query

    def choice(name: str, unknown: bool = True) -> str | None:
        value = query.get(name, "").strip()
        if unknown and value == UNKNOWN:
            return ""
        return value if ID.fullmatch(value) else None

    return Filter(
        area=choice("area"),
        village=choice("village", unknown=False),
        volunteer=choice("volunteer"),
        query=query.get("q", "").strip()[:LONGEST_QUERY],
    )


def step_text(visit: Visit, lesson: str, step: str) -> str:
    if not lesson or not step:
        return ""
    number = step_number(visit.content, lesson, step)
    if number is None:
        return step
    return visit.texts.text("learners.step_of", number=number[0], count=number[1])


def lesson_text(visit: Visit, lesson: str, step: str) -> str:
    """The lesson and step as the list shows them ("Bài mẫu · Bước 5/8"); "" for none."""
    if not lesson:
        return ""
    title = lesson_title(visit.content, lesson)
    at = step_text(visit, lesson, step)
    return f"{title} · {at}" if at else title


def row(visit: Visit, line: Line, places: Places) -> dict[str, Any]:
    return {
        "name": line.name,
        "href": learner_path(line.id),
        "channel": line.channel,
        "volunteer": line.volunteer,
        "place": place_name(places, line.area, line.village) if line.area else "",
        "seen_at": line.seen_at,
        "lesson": lesson_text(visit, line.lesson, line.step),
        "passed": line.passed,
        "certificates": line.certificates,
    }


def show(visit: Visit) -> Shown:
    places = Places.load(visit.store)
    found = wanted(visit)
    start = start_of(visit.query)
    page = roster(visit.store, places, found, start, size())
    rows = [row(visit, line, places) for line in page.lines]
    areas = sorted(places.areas.values(), key=lambda a: (a.name.lower(), a.id))
    chosen_area = places.areas.get(found.area or "")
    villages = (
        [(chosen_area, v) for v in chosen_area.villages.values()]
        if chosen_area
        else [(a, v) for a in areas for v in a.villages.values()]
    )
    volunteers = sorted(places.volunteers.values(), key=lambda v: v.code.lower())
    return Shown(
        table=Table(COLUMNS, rows),
        values={
            "q": found.query,
            "area": UNKNOWN if found.area == "" else found.area or "",
            "village": found.village or "",
            "volunteer": UNKNOWN if found.volunteer == "" else found.volunteer or "",
            "areas": areas,
            "villages": villages,
            "volunteers": volunteers,
            "unknown": UNKNOWN,
            "filtered": found != Filter(),
            "pager": pager(PATH, visit.query, start, len(rows), page.total),
        },
    )


PAGE = Page(PATH, title="nav.learners", show=show, template="learners.html")


# -- one learner ------------------------------------------------------------------------------

LESSON_COLUMNS = (
    Column("lesson", "learner.lesson"),
    Column("status", "learner.status", labels="learner.statuses."),
    Column("score", "learner.score"),
    Column("step", "learner.step"),
    Column("completed_at", "learner.completed_at", time=True),
    Column("attempts", "learner.attempts"),
    Column("version", "learner.version"),
)


def found_learner(visit: Visit) -> Learner:
    learner = visit.store.get(str(visit.params["learner"]))
    if learner is None:
        raise not_found()
    return learner


def show_one(visit: Visit) -> Shown:
    learner = found_learner(visit)
    places = Places.load(visit.store)
    group = Group.of(learner)
    area, village = places.where(group)
    progress = progress_json(learner)
    rows = []
    for lesson, status in progress["lessons"].items():
        result = learner.results.get(lesson)
        place = learner.place_in(lesson)
        score = status["score"]
        rows.append(
            {
                "lesson": lesson_title(visit.content, lesson),
                "status": status["status"],
                "score": None if score is None else f"{round(score * 100)}%",
                "step": step_text(visit, lesson, place.step) if place and not result else "",
                "completed_at": status["completed_at"],
                "attempts": result.attempts if result else None,
                "version": status.get("version"),
            }
        )
    certificates = []
    for entry in progress["certificates"]:
        known = visit.content.certificate(entry["id"])
        certificates.append({**entry, "title": known.title if known else entry["id"]})
    assigned = ""
    if learner.area:
        assigned = learner.area + (f"/{learner.village}" if learner.village else "")
    return Shown(
        table=Table(LESSON_COLUMNS, rows),
        values={
            "learner": {
                "name": mask_name(learner.name or "") or mask_id(learner.id),
                "id": mask_id(learner.id),
                "channel": channel_of(learner.id),
                "volunteer": group.volunteer,
                "place": place_name(places, area, village) if area else "",
                "seen_at": learner.seen_at or "",
                "created_at": learner.created_at,
            },
            "certificates": certificates,
            "choices": place_choices(places),
            "assigned": assigned,
            "assign_path": learner_path(learner.id) + "/assign",
            "back": PATH,
        },
    )


def assign_place(visit: Visit) -> Done:
    assert visit.form is not None
    learner_id = str(visit.params["learner"])
    to = learner_path(learner_id)
    area, village = chosen_place(visit.form)
    try:
        if not assign(visit.store, learner_id, area, village):
            raise not_found()
    except PlaceError as error:
        return refused(to, error, visit.texts)
    visit.audit("assign", learner=learner_id, area=area, village=village)
    shown = mask_id(learner_id)
    if not area:
        return Done(to, notice="learner.unassigned_done", values={"learner": shown})
    where = place_name(Places.load(visit.store), area, village)
    return Done(to, notice="learner.assigned", values={"learner": shown, "place": where})


ONE = Page(
    PATH + "/{learner}",
    title="learner.title",
    show=show_one,
    template="learner.html",
    nav=False,
    actions=(Action(PATH + "/{learner}/assign", assign_place),),
)
