"""Xuất dữ liệu (`/admin/exports`): the two files sent upward or kept, as CSV for Excel (UTF-8
with a BOM, `bot.exports`), streamed as they are written, never built whole in memory:

| download | what |
|---|---|
| `/admin/exports/learners.csv` | every learner's progress, one row each, names masked |
| `/admin/exports/areas.csv` | the roll-up by area and village against their adults |

Each download is in the audit log ("export").
"""

from __future__ import annotations

from datetime import datetime

from bot.exports import areas_csv, learners_csv
from bot.learner import VIETNAM
from bot.places import Places
from bot.reports import report
from webhook.console.page import Download, File, Page, Shown, Visit

PATH = "/admin/exports"
CSV = "text/csv; charset=utf-8"


def show(visit: Visit) -> Shown:
    return Shown()


def _now(visit: Visit) -> datetime:
    return datetime.fromtimestamp(visit.clock(), VIETNAM).replace(microsecond=0)


def learners(visit: Visit) -> File:
    places = Places.load(visit.store)
    visit.audit("export", page=visit.request.url.path, format="csv")
    day = _now(visit).strftime("%Y-%m-%d")
    return File(learners_csv(visit.store, places), CSV, f"hocso-hoc-vien-{day}.csv")


def areas(visit: Visit) -> File:
    at = _now(visit)
    found = report(visit.store, Places.load(visit.store), at)
    visit.audit("export", page=visit.request.url.path, format="csv")
    return File(areas_csv(found), CSV, f"hocso-dia-ban-{at.strftime('%Y-%m-%d')}.csv")


PAGE = Page(
    PATH,
    title="nav.exports",
    show=show,
    template="exports.html",
    exports=False,
    downloads=(
        Download(PATH + "/learners.csv", learners),
        Download(PATH + "/areas.csv", areas),
    ),
)
