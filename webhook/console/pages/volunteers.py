"""Tình nguyện viên: every volunteer (and village team's code) with the learners they brought,
how many learned in the last 7 days, the lessons passed and the certificates
(`bot.reports.report`), at `/admin/volunteers` (`.csv`, `.json`: the columns of
`hocso volunteer import` first, so the file goes back in as it is); adding or changing one
(`POST /admin/volunteers/_save`) and importing a CSV file (`…/_import`).

One volunteer's page (`/admin/volunteers/<code>`): their figures, their links for each lesson
and the posters of them (PNG, A4 PDF: `bot.posters`), made only from a public https
HOCSO_PUBLIC_URL, and their private link (`/v/<token>`, `webhook.console.volunteer_view`):
made anew (shown once, "link_new" in the audit log) or revoked ("revoke").

The actions' names begin with `_`, which no code does (`bot.places.ID`), so that
`/admin/volunteers/<code>` never stands for one of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from bot import links
from bot.learner import VIETNAM
from bot.places import (
    VOLUNTEER,
    VOLUNTEER_COLUMNS,
    PlaceError,
    Places,
    Volunteer,
    check_chat,
    import_volunteers,
    new_link_token,
    revoke_link_token,
    save_volunteer,
)
from bot.posters import POSTER_FORMATS, poster_pdf, poster_png
from bot.reports import Figures, report
from bot.tally import SEP
from webhook.console.directory import (
    UPLOAD_LIMIT,
    NoRows,
    chosen_place,
    code,
    place_choices,
    place_name,
    refused,
    text,
    uploaded_rows,
)
from webhook.console.lesson_links import lesson_link, lesson_links
from webhook.console.page import (
    Action,
    Column,
    Done,
    Download,
    File,
    Page,
    Refusal,
    Shown,
    Table,
    Visit,
    not_found,
)

PATH = "/admin/volunteers"

COLUMNS = (
    Column("code", "volunteers.code", link="href"),
    Column("name", "volunteers.name"),
    Column("area", "volunteers.area", empty="learners.no_area"),
    Column("village", "volunteers.village"),
    Column("team", "volunteers.team"),
    Column("help_chat", "volunteers.help_chat"),
    Column("learners", "volunteers.learners"),
    Column("active_7d", "volunteers.active"),
    Column("passed", "volunteers.passed"),
    Column("certificates", "volunteers.certificates"),
)


def volunteer_path(volunteer: str) -> str:
    return f"{PATH}/{quote(volunteer, safe='')}"


def now(visit: Visit) -> datetime:
    return datetime.fromtimestamp(visit.clock(), VIETNAM).replace(microsecond=0)


def show(visit: Visit) -> Shown:
    places = Places.load(visit.store)
    found = report(visit.store, places, now(visit))
    rows: list[dict[str, Any]] = []
    for volunteer_code, figures in sorted(found.volunteers.items(), key=lambda i: i[0].lower()):
        if not volunteer_code:
            continue  # learners who came with no code: said under the table
        known = places.volunteers.get(volunteer_code)
        area = known.area if known else figures.area
        village = known.village if known else ""
        rows.append(
            {
                "code": volunteer_code,
                "href": volunteer_path(volunteer_code),
                "name": figures.name,
                "area": area,
                "village": village,
                "team": bool(known and known.team),
                "help_chat": known.help_chat if known else "",
                "learners": figures.figures.learners,
                "active_7d": figures.figures.active_7d,
                "passed": figures.figures.passed,
                "certificates": figures.figures.certificates,
            }
        )
    alone = found.volunteers.get("")
    return Shown(
        table=Table(COLUMNS, rows),
        values={
            "alone": alone.figures if alone else Figures(),
            "choices": place_choices(places),
            "upload_limit": UPLOAD_LIMIT,
        },
    )


def save(visit: Visit) -> Done:
    """Add a volunteer, or change one (their private link stays)."""
    form = visit.form
    assert form is not None
    back = PATH if text(form, "back") != "one" else volunteer_path(text(form, "code", 60))
    try:
        volunteer_code = code(form, "code", "volunteer code")
        area, village = chosen_place(form)
        volunteer = Volunteer(
            volunteer_code,
            text(form, "name") or volunteer_code,
            area,
            village,
            form.get("team") == "1",
            check_chat(text(form, "help_chat", 30)),
        )
        save_volunteer(visit.store, volunteer)
    except PlaceError as error:
        return refused(back, error, visit.texts)
    visit.audit("volunteer_save", code=volunteer.code, area=area, village=village)
    return Done(
        volunteer_path(volunteer.code), notice="volunteers.saved", values={"code": volunteer.code}
    )


def import_file(visit: Visit) -> Done:
    assert visit.form is not None
    try:
        saved = import_volunteers(visit.store, uploaded_rows(visit.form, VOLUNTEER_COLUMNS))
    except (PlaceError, NoRows) as error:
        return refused(PATH, error, visit.texts)
    visit.audit("volunteers_import", count=saved)
    return Done(PATH, notice="volunteers.imported", values={"count": saved})


PAGE = Page(
    PATH,
    title="nav.volunteers",
    show=show,
    template="volunteers.html",
    actions=(
        Action(PATH + "/_save", save),
        Action(PATH + "/_import", import_file, limit=UPLOAD_LIMIT + 64 * 1024),
    ),
)


# -- one volunteer ----------------------------------------------------------------------------


def found_volunteer(visit: Visit) -> Volunteer:
    """The volunteer the path names: one of the directory, or a code learners came with."""
    volunteer_code = str(visit.params["code"])
    places = Places.load(visit.store)
    known = places.volunteers.get(volunteer_code)
    if known is not None:
        return known
    if any(key.startswith(f"learners{SEP}{volunteer_code}{SEP}") for key in visit.store.counts()):
        return Volunteer(volunteer_code, volunteer_code)
    raise not_found()


def show_one(visit: Visit) -> Shown:
    volunteer = found_volunteer(visit)
    places = Places.load(visit.store)
    figures = report(visit.store, places, now(visit)).volunteers.get(volunteer.code)
    doc = visit.store.doc(VOLUNTEER, volunteer.code)
    made = lesson_links(visit.content, visit.public_url, volunteer.code)
    place = volunteer.area + (f"/{volunteer.village}" if volunteer.village else "")
    here = volunteer_path(volunteer.code)
    return Shown(
        values={
            "volunteer": volunteer,
            "known": doc is not None,
            "place": place_name(places, volunteer.area, volunteer.village) if place else "",
            "chosen": place,
            "figures": figures.figures if figures else Figures(),
            "choices": place_choices(places),
            "links": made.links,
            "links_problem": made.problem,
            "poster_formats": POSTER_FORMATS,
            "here": here,
            "learners": "/admin/learners?" + urlencode({"volunteer": volunteer.code}),
            "has_link": bool(doc and doc.get("token")),
        }
    )


def poster(visit: Visit) -> File:
    """A lesson's poster crediting the volunteer, as PNG or A4 PDF."""
    volunteer = found_volunteer(visit)
    lesson = visit.content.lessons.get(str(visit.params["lesson"]))
    kind = str(visit.params["kind"])
    if lesson is None or kind not in POSTER_FORMATS:
        raise not_found()
    try:
        link = lesson_link(visit.public_url, volunteer.code, lesson.id)
    except links.LinkError:
        made = lesson_links(visit.content, visit.public_url, volunteer.code)
        raise Refusal(409, made.problem or "links.bad_code") from None
    draw = poster_pdf if kind == "pdf" else poster_png
    try:
        body = draw(lesson.title, link, visit.content.messages, volunteer=volunteer.name)
    except ValueError:  # the content's words crowd out the QR code
        raise Refusal(409, "links.poster_failed") from None
    media = "application/pdf" if kind == "pdf" else "image/png"
    return File(body, media, f"{lesson.id}_{volunteer.code}-poster.{kind}")


def make_link(visit: Visit) -> Done:
    """A new private link (the old one stops), shown once in the notice."""
    volunteer = found_volunteer(visit)
    here = volunteer_path(volunteer.code)
    try:
        base = links.public_base(visit.public_url)
    except links.LinkError:
        return Done(here, notice="links.no_public_url", problem=True)
    try:
        token = new_link_token(visit.store, volunteer.code)
    except PlaceError as error:  # a code learners came with, not in the directory
        return refused(here, error, visit.texts)
    visit.audit("link_new", code=volunteer.code)
    link = f"{base}/v/{token}"
    return Done(here, notice="volunteers.link_made", values={"name": volunteer.name, "link": link})


def revoke(visit: Visit) -> Done:
    volunteer = found_volunteer(visit)
    here = volunteer_path(volunteer.code)
    if not revoke_link_token(visit.store, volunteer.code):
        return Done(here, notice="volunteers.no_link", values={"code": volunteer.code})
    visit.audit("revoke", code=volunteer.code)
    return Done(here, notice="volunteers.revoked", values={"code": volunteer.code})


ONE = Page(
    PATH + "/{code}",
    title="volunteers.title",
    show=show_one,
    template="volunteer.html",
    nav=False,
    exports=False,
    actions=(
        Action(PATH + "/{code}/link", make_link),
        Action(PATH + "/{code}/revoke", revoke),
    ),
    downloads=(Download(PATH + "/{code}/posters/{lesson}.{kind}", poster),),
)
