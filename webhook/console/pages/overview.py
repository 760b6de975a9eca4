"""Tổng quan (`/admin`, `.csv`, `.json`): the campaign's figures by area, or by village with
`?area=ID`, against each one's adults and the targets (50% in 2025, 100% in 2026), as a table
and a chart; the totals above. One call of `bot.reports.report`, so as fast with 200,000
learners as with 20."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from bot.learner import now_vn
from bot.outreach import open_requests, outreach
from bot.places import Places
from bot.reports import Place, report
from webhook.charts import Bar, horizontal_bars
from webhook.console.page import Column, Page, Shown, Table, Visit

TARGETS = ((0.5, "50% (2025)"), (1.0, "100% (2026)"))

COLUMNS = (
    Column("id", "overview.id"),
    Column("name", "overview.name", empty="overview.unknown_place"),
    Column("adults", "overview.adults", empty="overview.no_adults"),
    Column("learners", "overview.learners"),
    Column("active_7d", "overview.active_7d"),
    Column("passed", "overview.passed"),
    Column("trained", "overview.trained"),
    Column("certified", "overview.certified"),
    Column("certificates", "overview.certificates"),
    Column("share", "overview.share", empty="overview.no_adults"),
)


def _row(place: Place) -> dict[str, Any]:
    figures = place.figures
    return {
        "id": place.id,
        "name": place.name if place.id else "",
        "adults": place.adults,
        "learners": figures.learners,
        "active_7d": figures.active_7d,
        "passed": figures.passed,
        "trained": figures.trained,
        "certified": figures.certified,
        "certificates": figures.certificates,
        "share": None if place.share is None else f"{place.share:.1%}",
    }


def duration(texts: Any, minutes: float | None) -> str | None:
    """A wait as officers read it: "25 phút", "3 giờ 10 phút", "2 ngày 4 giờ"."""
    if minutes is None:
        return None
    whole = int(minutes)
    days, hours, mins = whole // 1440, whole % 1440 // 60, whole % 60
    if days:
        return str(texts.text("overview.days", days=days, hours=hours))
    if hours:
        return str(texts.text("overview.hours", hours=hours, minutes=mins))
    return str(texts.text("overview.minutes", minutes=mins))


def show(visit: Visit) -> Shown:
    places = Places.load(visit.store)
    now = now_vn()
    found = report(visit.store, places, now)
    outside = outreach(visit.store.counts(), open_requests(visit.store, places, now))
    chosen = found.areas.get(visit.query.get("area") or "\0")
    shown = list(chosen.villages.values()) if chosen else list(found.areas.values())
    shown.sort(key=lambda place: (not place.id, place.name))
    texts = visit.texts
    bars = [
        Bar(
            place.name if place.id else texts.text("overview.unknown_place"),
            place.figures.certified,
            place.adults,
            texts.text(
                "overview.bar", certified=place.figures.certified, adults=place.adults or "?"
            ),
        )
        for place in shown
        if place.adults
    ]
    chart = horizontal_bars(bars, title=texts.text("overview.chart_title"), marks=list(TARGETS))
    areas = sorted(
        ((area.id, area.name) for area in found.areas.values() if area.id), key=lambda a: a[1]
    )
    return Shown(
        table=Table(COLUMNS, [_row(place) for place in shown]),
        values={
            "total": found.total,
            "chart": Markup(chart),  # drawn by webhook.charts, every text in it escaped
            "areas": areas,
            "chosen": chosen,
            "lessons": len(visit.content.lessons),
            "outreach": outside,
            "oldest": duration(texts, outside.oldest_waiting_minutes),
            "answered": duration(texts, outside.minutes_to_answer),
        },
    )


PAGE = Page("/admin", title="nav.home", show=show, template="overview.html")
