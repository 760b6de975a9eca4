"""Chứng nhận (`/admin/certificates`, `.csv`, `.json`): the registry of certificates, the
learners who earned one most lately first (`bot.roster.registry`), a page of learners at a
time: verification code, masked learner, certificate, date, area and village."""

from __future__ import annotations

from bot.places import Places
from bot.roster import registry
from webhook.console.page import Column, Page, Shown, Table, Visit
from webhook.console.pages.learners import learner_path
from webhook.console.paging import pager, size, start_of

PATH = "/admin/certificates"

COLUMNS = (
    Column("code", "certificates.code"),
    Column("name", "certificates.learner", link="href"),
    Column("certificate", "certificates.certificate"),
    Column("earned_at", "certificates.earned_at", time=True),
    Column("area", "certificates.area", empty="learners.no_area"),
    Column("village", "certificates.village"),
)


def show(visit: Visit) -> Shown:
    places = Places.load(visit.store)
    start = start_of(visit.query)
    lines, total = registry(visit.store, places, start, size())
    rows = []
    for line in lines:
        known = visit.content.certificate(line.certificate)
        rows.append(
            {
                "code": line.code,
                "name": line.name,
                "href": learner_path(line.learner),
                "certificate": known.title if known else line.certificate,
                "earned_at": line.earned_at,
                "area": places.area_name(line.area) if line.area else "",
                "village": places.village_name(line.area, line.village) if line.village else "",
            }
        )
    learners = len({line.learner for line in lines})
    return Shown(
        table=Table(COLUMNS, rows),
        values={"pager": pager(PATH, visit.query, start, learners, total)},
    )


PAGE = Page(PATH, title="nav.certificates", show=show, template="certificates.html")
