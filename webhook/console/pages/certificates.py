"""Chứng nhận (`/admin/certificates`, `.csv`, `.json`): the registry of certificates, the
learners who earned one most lately first (`bot.roster.registry`), a page of learners at a
time: number, masked learner, certificate, date, area and village; the numbers revoked; and
two forms: revoke a number (with why), reissue one after a name was corrected
(`bot.certified`, which writes the audit log)."""

from __future__ import annotations

from bot import certified
from bot.places import Places
from bot.roster import registry
from webhook.console.page import Action, Column, Done, Page, Shown, Table, Visit
from webhook.console.pages.learners import learner_path
from webhook.console.paging import pager, size, start_of
from webhook.console.render import when

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
    revoked = [
        {
            "code": code,
            "at": when(str(doc.get("at", ""))),
            "why": str(doc.get("why", "")),
            "replaced_by": str(doc.get("replaced_by") or ""),
        }
        for code, doc in certified.revocations(visit.store)[:50]
    ]
    return Shown(
        table=Table(COLUMNS, rows),
        values={"pager": pager(PATH, visit.query, start, learners, total), "revoked": revoked},
    )


def _number(visit: Visit) -> str | None:
    assert visit.form is not None
    return certified.read_code(str(visit.form.get("code") or ""))


def revoke(visit: Visit) -> Done:
    assert visit.form is not None
    code = _number(visit)
    if code is None:
        return Done(PATH, notice="certificates.problem_number", problem=True)
    why = " ".join(str(visit.form.get("why") or "").split())
    if not why:
        return Done(PATH, notice="certificates.problem_why", problem=True)
    try:
        certified.revoke(visit.store, code, why, who=visit.name, at=visit.clock())
    except certified.CertificateError:
        values = {"code": code}
        return Done(PATH, notice="certificates.problem_standing", values=values, problem=True)
    return Done(PATH, notice="certificates.revoked_done", values={"code": code})


def reissue(visit: Visit) -> Done:
    code = _number(visit)
    if code is None:
        return Done(PATH, notice="certificates.problem_number", problem=True)
    try:
        fresh = certified.reissue(visit.store, code, who=visit.name, at=visit.clock())
    except certified.CertificateError:
        values = {"code": code}
        return Done(PATH, notice="certificates.problem_standing", values=values, problem=True)
    return Done(PATH, notice="certificates.reissued_done", values={"code": code, "new": fresh})


PAGE = Page(
    PATH,
    title="nav.certificates",
    show=show,
    template="certificates.html",
    actions=(Action(f"{PATH}/_revoke", revoke), Action(f"{PATH}/_reissue", reissue)),
)
