"""A content folder, loaded and checked as one: lessons, certificates and messages.

```
content/
  lessons/<lesson-id>.yaml
  certificates.yaml
  messages.yaml
  console.yaml
  media/…
```
A folder with any problem is never used: `load_content` raises, and `ContentHolder.reload`
keeps serving the content it had.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.console import ConsoleTexts, load_console
from bot.messages import Messages, load_messages
from lessons.loader import load_certificates, load_lessons
from lessons.model import Certificate, Lesson
from lessons.problems import ContentError, Problem
from lessons.reply import Words

CONTENT_ENV = "HOCSO_CONTENT"


def default_content_dir() -> Path:
    """`$HOCSO_CONTENT`, else the repo's `content/` folder, else `./content`."""
    if os.environ.get(CONTENT_ENV):
        return Path(os.environ[CONTENT_ENV])
    repo = Path(__file__).resolve().parent.parent / "content"
    return repo if repo.is_dir() else Path("content")


@dataclass(frozen=True)
class Content:
    """Everything one content folder says. `lessons` are in menu order."""

    root: Path
    lessons: dict[str, Lesson]
    certificates: tuple[Certificate, ...]
    messages: Messages
    console: ConsoleTexts  # the web console's sentences (console.yaml)

    @property
    def words(self) -> Words:
        go_on = (*self.messages.words("words.go_on"), self.messages.text("buttons.continue"))
        return Words(go_on, self.messages.words("words.not_yet"))

    def certificate(self, certificate_id: str) -> Certificate | None:
        return next((c for c in self.certificates if c.id == certificate_id), None)


def check_content(root: Path) -> tuple[Content | None, list[Problem]]:
    """Load a content folder; Content is None when anything in it is wrong."""
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), 1, "no such content folder")]
    lessons, lesson_problems = load_lessons(root)
    problems += lesson_problems
    certificates, certificate_problems = load_certificates(root / "certificates.yaml", lessons)
    problems += certificate_problems
    messages, message_problems = load_messages(root / "messages.yaml")
    problems += message_problems
    console, console_problems = load_console(root / "console.yaml")
    problems += console_problems
    if problems or messages is None or console is None:
        return None, sorted(problems)
    ordered = {lesson_id: lessons[lesson_id] for lesson_id in menu_order(lessons, certificates)}
    return Content(root, ordered, tuple(certificates), messages, console), []


def load_content(root: Path) -> Content:
    """The content of a folder; ContentError lists every problem when there are any."""
    content, problems = check_content(root)
    if content is None:
        raise ContentError(problems)
    return content


def menu_order(lessons: dict[str, Lesson], certificates: list[Certificate]) -> list[str]:
    """Lessons in the order certificates list them (then by id), each after the lessons it
    `requires` where that is possible."""
    base = [lid for c in certificates for lid in c.lessons if lid in lessons]
    base += sorted(lessons)
    base = list(dict.fromkeys(base))
    placed: list[str] = []
    waiting = list(base)
    while waiting:
        ready = next(
            (lid for lid in waiting if all(r in placed for r in lessons[lid].requires)), waiting[0]
        )
        placed.append(ready)
        waiting.remove(ready)
    return placed


class ContentHolder:
    """The content in use, swapped only for a folder that loads without a problem."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._lock = threading.Lock()

    @property
    def current(self) -> Content:
        return self._content

    def reload(self) -> list[Problem]:
        """Load the folder again; on problems keep the old content and return them."""
        content, problems = check_content(self._content.root)
        if content is not None:
            with self._lock:
                self._content = content
        return problems
