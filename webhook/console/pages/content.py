"""Nội dung (`/admin/content`, `.csv`, `.json`): the lessons the service runs now, the content
version, and **Tải lại nội dung**: publish the content folder to every worker
(`bot.publish`, as `hocso reload` does). A folder with a problem is refused: its
`path:line: message` lines are shown here, and learners go on with the content running."""

from __future__ import annotations

import json
from typing import Any

from bot.content import Content, check_content
from bot.publish import Refused, publish, published
from bot.reports import standing
from webhook.console.page import Action, Column, Done, Page, Shown, Table, Visit

LAST = "console:last-reload"
"""The store key of the last reload's outcome (JSON), shown on the page for a day."""

COLUMNS = (
    Column("lesson", "content.lesson"),
    Column("title", "content.title"),
    Column("steps", "content.steps"),
    Column("file", "content.file"),
)


def show(visit: Visit) -> Shown:
    content = visit.content
    rows = [
        {
            "lesson": lesson.id,
            "title": lesson.title,
            "steps": len(lesson.steps),
            "file": lesson.path.name,
        }
        for lesson in content.lessons.values()
    ]
    record = published(visit.store)
    last = visit.store.recall(LAST)
    outcome: dict[str, Any] = json.loads(last) if last else {}
    return Shown(
        table=Table(COLUMNS, rows),
        values={
            "version": content.version,
            "published": record.version if record else None,
            "folder": str(content.root),
            "outcome": outcome,
            **_preview(content, visit),
        },
    )


def _preview(running: Content, visit: Visit) -> dict[str, Any]:
    """What reloading now would do, told before the button is pressed: the folder's problems
    (it would be refused), or the learners standing on steps the edit removes or renames."""
    edited, problems = check_content(running.root)
    if edited is None:
        return {"disk_problems": [str(problem) for problem in problems], "stranded": []}
    if edited.version == running.version:
        return {"disk_problems": [], "stranded": [], "unchanged": True}
    stranded = []
    for (lesson_id, step_id), count in sorted(standing(visit.store.counts()).items()):
        lesson = running.lessons.get(lesson_id)
        if lesson is None or not lesson.has(step_id):
            continue  # not a step of the content running: an earlier edit's
        after = edited.lessons.get(lesson_id)
        if after is None or not after.has(step_id):
            stranded.append(
                {
                    "title": lesson.title,
                    "step": step_id,
                    "count": count,
                    "lesson_gone": after is None,
                }
            )
    return {"disk_problems": [], "stranded": stranded, "unchanged": False}


def reload(visit: Visit) -> Done:
    outcome = publish(visit.content.root, visit.store)
    if isinstance(outcome, Refused):
        lines = [str(problem) for problem in outcome.problems]
        visit.store.remember(LAST, json.dumps({"refused": lines}), ttl=86400)
        visit.audit("reload", outcome="refused", problems=len(lines))
        return Done("/admin/content", notice="content.refused", values={"count": len(lines)})
    warnings = [str(problem) for problem in outcome.warnings]
    visit.store.remember(
        LAST, json.dumps({"version": outcome.version, "warnings": warnings}), ttl=86400
    )
    visit.audit("reload", outcome="published", version=outcome.version)
    return Done("/admin/content", notice="content.published", values={"version": outcome.version})


PAGE = Page(
    "/admin/content",
    title="nav.content",
    show=show,
    template="content.html",
    actions=(Action("/admin/content/reload", reload),),
)
