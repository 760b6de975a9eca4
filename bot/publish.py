"""Publishing a content folder: telling every worker of `hocso serve` (all processes, all
machines on one store) to switch to it, once it loads without a problem.

    outcome = publish(Path("content"), store)
    if isinstance(outcome, Refused):      # nothing changed: the workers keep what they run
        print(*outcome.problems, sep="\\n")
    else:                                 # Published: the version, and what it does to learners
        print(*outcome.warnings, sep="\\n"); print(outcome.version)

`hocso reload`, SIGHUP to `hocso serve` and the console all call `publish`. It checks the
folder as `hocso lint` does, then keeps in the store the folder's content version (`VERSION`,
which each worker reads about once a second, see `webhook.reload`) and a record of what was
published (`RECORD`: the version and every lesson's step ids, for the next edit's warnings).
A worker that sees a version other than its own loads its own content folder, and switches to
it when it holds that very version and loads without a problem (`load_version`); otherwise it
keeps what it runs. So every machine needs the same files in its folder: the version is a hash
of them (`bot.content.content_version`), not of where they are.

Before anything is published, the author is told what the edit does to learners
(`stranded`): a warning for each step learners stand on (`bot.standing`) that the folder no
longer has, with how many stand there. The engine takes those learners somewhere sensible
when they next write (`bot.engine`, `lessons.machine.mend`).
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content import Content, check_content, content_version
from bot.learner import now_vn
from bot.standing import standing
from bot.stores.base import Store
from lessons.problems import Problem

VERSION = "content:version"
"""The store key of the published content version: a few bytes, read by every worker."""
RECORD = "content:published"
"""The store key of the `Record` of what was published."""
SERVING = "content:serving:"
"""`SERVING` + a host name: the content folder `hocso serve` on that host was started with."""


@dataclass(frozen=True)
class Record:
    """What was published last, as kept in the store (JSON)."""

    version: str
    folder: str  # as the publisher saw it, absolute
    host: str
    at: str
    steps: dict[str, list[str]] = field(default_factory=dict)  # lesson id: its step ids

    @classmethod
    def of(cls, content: Content) -> Record:
        return cls(
            version=content.version,
            folder=str(content.root.resolve()),
            host=socket.gethostname(),
            at=now_vn().isoformat(),
            steps={lid: [s.id for s in lesson.steps] for lid, lesson in content.lessons.items()},
        )

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Record | None:
        """The record, or None for a text that is not one (written by another hocso)."""
        try:
            data: Any = json.loads(text)
            return cls(**data) if isinstance(data, dict) else None
        except (ValueError, TypeError):
            return None


@dataclass(frozen=True)
class Published:
    """The folder was published: the workers switch to `version` within a few seconds."""

    version: str
    previous: str | None  # the version published before, if any
    lessons: int
    warnings: list[Problem]  # what the edit does to learners, and a folder not served here


@dataclass(frozen=True)
class Refused:
    """The folder has problems: nothing was published, the workers keep what they run."""

    problems: list[Problem]


def publish(folder: Path, store: Store) -> Published | Refused:
    """Check `folder` and, when it loads without a problem, publish it to every worker."""
    content, problems = check_content(folder)
    if content is None:
        return Refused(problems or [Problem(str(folder), 1, "the content folder cannot be used")])
    before = published(store)
    warnings = sorted([*not_served_here(store, content), *stranded(content, store, before)])
    announce(store, content)
    return Published(
        content.version, before.version if before else None, len(content.lessons), warnings
    )


def announce(store: Store, content: Content, *, serving: bool = False) -> None:
    """Publish content already loaded and checked, without a word to anyone: `hocso serve`
    does so as it starts (`serving`: and records its folder as this host's)."""
    if serving:
        store.remember(SERVING + socket.gethostname(), str(content.root.resolve()))
    store.remember(RECORD, Record.of(content).to_json())
    store.remember(VERSION, content.version)  # last: a worker that sees it finds the record


def published(store: Store) -> Record | None:
    """What was published last, if anything."""
    text = store.recall(RECORD)
    return Record.from_json(text) if text is not None else None


def published_version(store: Store) -> str | None:
    """The content version the workers are to run, if one was published."""
    return store.recall(VERSION)


def load_version(folder: Path, version: str) -> tuple[Content | None, str]:
    """For a worker: its content folder loaded when it holds `version` and has no problem;
    else None and why not, in one line."""
    here = content_version(folder)
    if here != version:
        return None, f"the folder {folder} holds version {here}, not {version}"
    content, problems = check_content(folder)
    if content is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return None, f"{problems[0]}{more}" if problems else f"{folder} cannot be used"
    if content.version != version:
        return None, f"the folder {folder} changed while it was read"
    return content, ""


def stranded(content: Content, store: Store, before: Record | None = None) -> list[Problem]:
    """A warning for each step that learners stand on and `content` no longer has (removed,
    or renamed: a step is known by its id), with how many stand there; a removed lesson is
    one warning. With `before`, only steps the published content has count: a step an earlier
    edit removed was warned about then."""
    gone_steps: dict[tuple[str, str], int] = {}
    gone_lessons: Counter[str] = Counter()
    for (lesson_id, step_id), count in standing(store).items():
        if before is not None and step_id not in before.steps.get(lesson_id, ()):
            continue
        lesson = content.lessons.get(lesson_id)
        if lesson is None:
            gone_lessons[lesson_id] += count
        elif not lesson.has(step_id):
            gone_steps[lesson_id, step_id] = count
    warnings = []
    for (lesson_id, step_id), count in gone_steps.items():
        warnings.append(
            Problem(
                str(content.lessons[lesson_id].path),
                1,
                f"warning: step {step_id!r} is gone (removed or renamed) and {_learners(count)} "
                f"{'stands' if count == 1 else 'stand'} on it: each goes back to the last step "
                "of the lesson they reached that is still there (else its first step), told "
                "the lesson has changed, with their answers so far kept",
            )
        )
    for lesson_id, count in gone_lessons.items():
        warnings.append(
            Problem(
                str(content.root / "lessons" / f"{lesson_id}.yaml"),
                1,
                f"warning: lesson {lesson_id!r} is gone (removed or renamed) and "
                f"{_learners(count)} {'is' if count == 1 else 'are'} part-way through it: "
                "those in it now are told it was taken away and shown the lesson menu when they "
                "next write; every lesson they finished stays in their results",
            )
        )
    return sorted(warnings)


def not_served_here(store: Store, content: Content) -> list[Problem]:
    """A warning when `hocso serve` on this machine was started with another folder: its
    workers load that one, so they switch only if it holds these same files."""
    serving = store.recall(SERVING + socket.gethostname())
    if serving is None or serving == str(content.root.resolve()):
        return []
    return [
        Problem(
            str(content.root),
            1,
            f"warning: `hocso serve` on this machine was started with the content folder "
            f"{serving}: its workers load that folder, and switch only when it holds these "
            "same files",
        )
    ]


def _learners(count: int) -> str:
    return f"{count} learner{'s' * (count != 1)}"
