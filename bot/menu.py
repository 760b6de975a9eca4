"""The lesson menu: never a wall of buttons for an elderly learner.

A few lessons are listed on pages of `PAGE`. A larger curriculum is grouped the way its
certificates group it (the certificate that covers every lesson is left out as a group):
the top of the menu lists the groups, then offers the lesson in progress and the suggested
next lesson; each group lists its lessons. The groups (or lessons) come first so that
their numbers never shift: "3" is the third group whether or not a lesson is in progress.
Payload `m:0` is the top (or first page), `m:N` group or page N. More than five groups go
on pages of `GROUPS`, so that an elderly learner is never shown a wall of choices: `m:-K` is
page K + 1 of the top, with "more groups" and "back" buttons.

```
📋 Các bài học được chia theo nhóm. Bác chọn một nhóm:
👉 Nên học tiếp: *Giữ an toàn mã OTP*
[Dùng điện thoại thông minh (2/6)] [✓ An toàn trên mạng] … [▶ Học tiếp: …] [👉 Giữ an toàn mã OTP]
```
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot import payloads
from bot.content import Content
from bot.learner import Learner
from bot.outbound import Button, Outbound
from bot.progress import suggest_next
from lessons.model import Lesson

PAGE = 6  # buttons of lessons at most on one screen
GROUPS = 4
"""Groups on one page of the top (five fit without paging: a page of four and a page of one
would only add a tap)."""


@dataclass(frozen=True)
class Group:
    title: str
    lessons: tuple[Lesson, ...]


def groups(content: Content) -> list[Group]:
    """The certificate groups, in order, plus the lessons no group holds; empty when the
    curriculum is small enough for one list, or has no grouping."""
    lessons = content.lessons
    if len(lessons) <= PAGE:
        return []
    found = [
        Group(c.title, tuple(lessons[lid] for lid in c.lessons if lid in lessons))
        for c in content.certificates
        if len(c.lessons) < len(lessons)
    ]
    held = {lesson.id for group in found for lesson in group.lessons}
    rest = tuple(lesson for lesson in lessons.values() if lesson.id not in held)
    if rest:
        found.append(Group(content.messages.text("menu.other_group"), rest))
    return found if len(found) > 1 else []


class Menu:
    """Builds the menu message for one learner; `leading` buttons (the lesson in progress)
    come first."""

    def __init__(self, content: Content, learner: Learner, leading: tuple[Button, ...]) -> None:
        self.content = content
        self.learner = learner
        self.leading = leading
        self.say = content.messages.text

    def show(self, view: int = 0) -> Outbound:
        if not self.content.lessons:
            return Outbound(self.say("menu.empty"))
        grouped = groups(self.content)
        if not grouped:
            return self._page(view)
        if 1 <= view <= len(grouped):
            return self._group(grouped[view - 1])
        return self._top(grouped, -view if view < 0 else 0)

    def _suggestion(self) -> tuple[str, Lesson | None]:
        following = suggest_next(self.learner, self.content.lessons)
        if following is None:
            return self.say("menu.all_passed"), None
        return self.say("menu.suggestion", title=following.title), following

    def _lesson_button(self, lesson: Lesson) -> Button:
        if self.learner.passed(lesson.id):
            key = "buttons.lesson_passed"
        elif self.learner.place_in(lesson.id) is not None:
            key = "buttons.lesson_started"
        else:
            key = "buttons.lesson"
        return Button(self.say(key, title=lesson.title), payloads.lesson(lesson.id))

    def _top(self, grouped: list[Group], page: int) -> Outbound:
        line, following = self._suggestion()
        text = f"{self.say('menu.groups_intro')}\n{line}"
        labels = []
        for group in grouped:
            passed = sum(self.learner.passed(lesson.id) for lesson in group.lessons)
            done = passed == len(group.lessons)
            key = "buttons.group_done" if done else "buttons.group"
            labels.append(self.say(key, title=group.title, passed=passed, total=len(group.lessons)))
        extras = list(self.leading)
        in_progress = self.learner.position.lesson if self.learner.position else None
        if following is not None and following.id != in_progress:
            label = self.say("buttons.suggested", title=following.title)
            extras.append(Button(label, payloads.lesson(following.id)))
        pages = math.ceil(len(grouped) / GROUPS) if len(grouped) > GROUPS + 1 else 1
        page = min(page, pages - 1)
        first = page * GROUPS
        last = len(grouped) if pages == 1 else min(first + GROUPS, len(grouped))
        buttons = [
            Button(labels[number], payloads.menu_page(number + 1)) for number in range(first, last)
        ]
        if last < len(grouped):
            buttons.append(Button(self.say("buttons.more_groups"), payloads.menu_page(-page - 1)))
        if page > 0:
            buttons.append(Button(self.say("buttons.back_groups"), payloads.menu_page(1 - page)))
        return Outbound(text, (*buttons, *extras))

    def _group(self, group: Group) -> Outbound:
        buttons = [*(self._lesson_button(lesson) for lesson in group.lessons), *self.leading]
        buttons.append(Button(self.say("buttons.groups"), payloads.menu_page(0)))
        return Outbound(self.say("menu.group", title=group.title), tuple(buttons))

    def _page(self, page: int) -> Outbound:
        lessons = list(self.content.lessons.values())
        pages = math.ceil(len(lessons) / PAGE)
        page = min(max(page, 0), pages - 1)
        lines = [self.say("menu.intro")]
        if pages > 1:
            lines.append(self.say("menu.page", page=page + 1, pages=pages))
        lines.append(self._suggestion()[0])
        buttons = [
            self._lesson_button(lesson) for lesson in lessons[page * PAGE : (page + 1) * PAGE]
        ]
        buttons += self.leading
        if page + 1 < pages:
            buttons.append(Button(self.say("buttons.more"), payloads.menu_page(page + 1)))
        if page > 0:
            buttons.append(Button(self.say("buttons.back_page"), payloads.menu_page(page - 1)))
        return Outbound("\n".join(lines), tuple(buttons))
