"""Bài học (`/admin/lessons`, `.csv`, `.json`): every lesson with how many started, passed and
failed it, the average time a pass took, and its hardest question; and one lesson's funnel
(`/admin/lessons/{lesson}`): how many reached each step, how many stand on it now (where
those who stopped stopped), and each question's first-try right rate. How an author finds
the step that loses people. All from the counters (`bot.reports.funnel`)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from bot.learner import now_vn
from bot.places import Places
from bot.reports import LessonFigures, StepFigures, funnel, hardest, report
from lessons.model import Lesson
from webhook.charts import Bar, horizontal_bars
from webhook.console.page import Column, Page, Shown, Table, Visit

COLUMNS = (
    Column("lesson", "lessons.id"),
    Column("title", "lessons.title"),
    Column("started", "lessons.started"),
    Column("passed", "lessons.passed"),
    Column("failed", "lessons.failed"),
    Column("minutes", "lessons.minutes", empty="lessons.no_figure"),
    Column("hardest", "lessons.hardest", empty="lessons.no_figure"),
)

STEP_COLUMNS = (
    Column("step", "funnel.step"),
    Column("kind", "funnel.kind", labels="funnel.kinds."),
    Column("text", "funnel.text"),
    Column("reached", "funnel.reached"),
    Column("standing", "funnel.standing"),
    Column("asked", "funnel.asked"),
    Column("right_rate", "funnel.right_rate", empty="lessons.no_figure"),
)


def _rate(share: float | None) -> str | None:
    return None if share is None else f"{share:.0%}"


def show(visit: Visit) -> Shown:
    counts = visit.store.counts()
    lessons = visit.content.lessons
    figures = report(visit.store, Places(areas={}, volunteers={}), now_vn()).lessons
    worst: dict[str, StepFigures] = {}
    for lesson_id, question in hardest(counts, lessons.values(), limit=len(lessons) * 50):
        worst.setdefault(lesson_id, question)
    rows = []
    for lesson in lessons.values():
        found = figures.get(lesson.id, LessonFigures())
        step = worst.get(lesson.id)
        rows.append(
            {
                "lesson": lesson.id,
                "title": lesson.title,
                "started": found.started,
                "passed": found.passed,
                "failed": found.failed,
                "minutes": found.minutes,
                "hardest": f"{step.step} ({_rate(step.right_rate)})" if step else None,
            }
        )
    return Shown(table=Table(COLUMNS, rows), values={"links": True})


def _excerpt(lesson: Lesson, step_id: str) -> str:
    if not lesson.has(step_id):
        return ""
    text = " ".join(lesson.step(step_id).text.replace("*", "").split())
    return text if len(text) <= 70 else text[:69] + "…"


def show_funnel(visit: Visit) -> Shown:
    lesson = visit.content.lessons.get(str(visit.params["lesson"]))
    if lesson is None:
        return Shown(values={"lesson": None, "chart": "", "gone": 0})
    steps = funnel(visit.store.counts(), lesson)
    rows: list[dict[str, Any]] = [
        {
            "step": step.step,
            "kind": step.kind,
            "text": _excerpt(lesson, step.step),
            "reached": step.reached,
            "standing": step.standing,
            "asked": step.asked or None,
            "right_rate": _rate(step.right_rate),
        }
        for step in steps
    ]
    texts = visit.texts
    top = max((step.reached for step in steps), default=0) or 1
    bars = [
        Bar(
            step.step,
            step.reached,
            top,
            texts.text("funnel.bar", reached=step.reached, standing=step.standing),
            inner=step.standing,
        )
        for step in steps
    ]
    chart = horizontal_bars(bars, title=texts.text("funnel.chart_title", title=lesson.title))
    return Shown(
        table=Table(STEP_COLUMNS, rows),
        values={
            "lesson": lesson,
            "chart": Markup(chart),  # webhook.charts escapes every text it draws
            "gone": sum(step.standing for step in steps if step.kind == "gone"),
        },
    )


PAGE = Page("/admin/lessons", title="nav.lessons", show=show, template="lessons.html")
FUNNEL = Page(
    "/admin/lessons/{lesson}",
    title="funnel.title",
    show=show_funnel,
    template="funnel.html",
    nav=False,
)
