"""A content folder, loaded and checked as one: lessons, certificates and messages.

```
content/
  lessons/<lesson-id>.yaml
  certificates.yaml
  framework.yaml        the national framework's skills by code (optional)
  messages.yaml
  console.yaml          the web console's sentences (optional: the service's own by default)
  media/…
```
A folder laid out as `spec/lesson-format.md` says (lessons, certificates.yaml, messages.yaml)
is complete: without a console.yaml of its own, it uses the one of the service's own content
(`SHIPPED_CONSOLE`), so a province's curriculum or a test fixture needs no copy of it.
A folder with any problem is never used: `load_content` raises, and a `ContentHolder` keeps
the content it had. A content's `version` is a short hash of the files it was read from
(`content_version`): the same files give the same version on any machine, in any folder, so
the workers of `hocso serve` can tell whether they run what was published (`bot.publish`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.console import ConsoleTexts, load_console
from bot.messages import Messages, load_messages
from lessons.framework import Framework, load_framework
from lessons.loader import load_certificates, load_lessons
from lessons.model import Certificate, Lesson
from lessons.problems import ContentError, Problem
from lessons.reply import Words

CONTENT_ENV = "HOCSO_CONTENT"
SHIPPED_CONSOLE = Path(__file__).resolve().parent.parent / "content" / "console.yaml"


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
    version: str = ""  # `content_version` of the files it was read from
    framework: Framework = field(default_factory=Framework)

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
    version = content_version(root)
    lessons, lesson_problems = load_lessons(root)
    problems += lesson_problems
    certificates, certificate_problems = load_certificates(root / "certificates.yaml", lessons)
    problems += certificate_problems
    framework, framework_problems = load_framework(root / "framework.yaml", lessons)
    problems += framework_problems
    messages, message_problems = load_messages(root / "messages.yaml")
    problems += message_problems
    console, console_problems = load_console(console_file(root))
    problems += console_problems
    if problems or messages is None or console is None:
        return None, sorted(problems)
    if content_version(root) != version:
        # An editor saving as it was read: which files this content holds is unknown.
        return None, [Problem(str(root), 1, "files changed while they were read; try again")]
    ordered = {lesson_id: lessons[lesson_id] for lesson_id in menu_order(lessons, certificates)}
    return (
        Content(root, ordered, tuple(certificates), messages, console, version, framework),
        [],
    )


def console_file(root: Path) -> Path:
    """The folder's own console.yaml, else the service's (`SHIPPED_CONSOLE`)."""
    own = root / "console.yaml"
    return own if own.is_file() or not SHIPPED_CONSOLE.is_file() else SHIPPED_CONSOLE


VERSION_LENGTH = 12  # hex characters: 48 bits, more than enough to tell two edits apart


def content_version(root: Path) -> str:
    """A short hash of the files a content folder is loaded from (lesson files,
    certificates.yaml, framework.yaml, messages.yaml, console.yaml): their names relative to
    the folder and their bytes. Pictures under media/ are served from the folder as they are,
    so they are not in it."""
    digest = hashlib.sha256()
    for path in _content_files(root):
        try:
            data = path.read_bytes()
        except OSError:  # the loader reports it; this content is not used
            data = b"\0unreadable"
        name = path.relative_to(root).as_posix().encode()
        digest.update(b"%d:%s%d:" % (len(name), name, len(data)))
        digest.update(data)
    return digest.hexdigest()[:VERSION_LENGTH]


def _content_files(root: Path) -> Iterator[Path]:
    """The files `check_content` reads, in a fixed order (those that exist)."""
    folder = root / "lessons"
    if folder.is_dir():
        # As `lessons.loader.load_lessons` picks them (a .yml file is read, to be refused).
        yield from sorted(
            path
            for path in folder.iterdir()
            if path.suffix.lower() in (".yaml", ".yml")
            and not path.name.startswith(".")
            and path.is_file()
        )
    for name in ("certificates.yaml", "framework.yaml", "messages.yaml", "console.yaml"):
        if (root / name).is_file():
            yield root / name


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
    """The content in use, swapped whole: a turn takes `current` once and sees one content
    from start to end, the old or the new, never a mix."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._lock = threading.Lock()

    @property
    def current(self) -> Content:
        return self._content

    @property
    def version(self) -> str:
        return self._content.version

    def swap(self, content: Content) -> Content:
        """Use `content` from now on (it loaded without a problem); the content it replaces."""
        with self._lock:
            before, self._content = self._content, content
        return before

    def reload(self) -> list[Problem]:
        """Load the folder again; on problems keep the old content and return them."""
        content, problems = check_content(self._content.root)
        if content is not None:
            self.swap(content)
        return problems
