"""Lessons as the console names them to people: a lesson's title, where a step stands in its
lesson ("Bước 3/8"), and the links a volunteer hands out: every lesson's web link carrying
their code (`bot.links`), made only from a public https address.

    found = lesson_links(content, visit.public_url, "V12")
    found.problem            # None, or the console.yaml key of why there are no links
    found.links[0].web       # "https://hocso.vn/chat?lesson=an-toan-otp&v=V12"
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import links
from bot.content import Content


@dataclass(frozen=True)
class LessonLink:
    lesson: str
    title: str
    web: str | None
    """None: the volunteer's code cannot be carried by this lesson's link (too long)."""


@dataclass(frozen=True)
class LessonLinks:
    links: list[LessonLink] = field(default_factory=list)
    problem: str | None = None
    """Why there are none, a console.yaml key: `links.no_public_url` (HOCSO_PUBLIC_URL is not
    a public https address) or `links.bad_code` (a code no link can carry)."""


def lesson_links(content: Content, public_url: str | None, code: str) -> LessonLinks:
    """Every lesson's web link crediting `code`, in menu order."""
    try:
        base = links.public_base(public_url)
    except links.LinkError:
        return LessonLinks(problem="links.no_public_url")
    found = []
    for lesson in content.lessons.values():
        try:
            links.start_payload(lesson.id, code)
        except links.LinkError:
            found.append(LessonLink(lesson.id, lesson.title, None))
        else:
            found.append(LessonLink(lesson.id, lesson.title, links.web_link(base, lesson.id, code)))
    if not any(link.web for link in found):
        return LessonLinks(problem="links.bad_code")
    return LessonLinks(found)


def lesson_link(public_url: str | None, code: str, lesson: str) -> str:
    """One lesson's web link crediting `code`; LinkError when it cannot be made."""
    base = links.public_base(public_url)
    links.start_payload(lesson, code)
    return links.web_link(base, lesson, code)


def lesson_title(content: Content, lesson: str) -> str:
    """The lesson's title, or its id when the content has it no more ("" for none)."""
    found = content.lessons.get(lesson)
    return found.title if found else lesson


def step_number(content: Content, lesson: str, step: str) -> tuple[int, int] | None:
    """(the step's number from 1, the lesson's number of steps), or None when the content
    has no such step."""
    found = content.lessons.get(lesson)
    if found is None or not found.has(step):
        return None
    return [each.id for each in found.steps].index(step) + 1, len(found.steps)
