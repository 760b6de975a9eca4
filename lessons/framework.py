"""The national framework's skills by code, as certificates print them: `framework.yaml`.

```yaml
name: Khung kiến thức, kỹ năng số cơ bản (Quyết định 757/QĐ-BKHCN)
url: https://…        # optional: where a reader finds the framework
skills:
  "0.1": Sử dụng thiết bị
  "0.2": Sử dụng phần mềm trên thiết bị
```
Lessons name the skills they teach by code (`skills: ["0.2"]`) and a certificate shows the
codes of its lessons (`Certificate.skills`); this file gives each code the words a reader of
a certificate, the `/verify` page or an Open Badges credential sees. Every code a lesson
carries must be named here, so a certificate never prints a bare number. Without the file,
codes are shown alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lessons.fields import Fields, Report
from lessons.model import Lesson
from lessons.problems import Problem
from lessons.source import Map, describe, read

FRAMEWORK_KEYS = ("name", "url", "skills")
_CODE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


@dataclass(frozen=True)
class Framework:
    """The framework's name, where it is published (None: not said), and its skills' names
    by code, in the order the file lists them."""

    name: str = ""
    url: str | None = None
    skills: Mapping[str, str] = field(default_factory=dict)

    def named(self, codes: tuple[str, ...]) -> list[tuple[str, str]]:
        """Each code with its name ("" for a code the file does not name)."""
        return [(code, self.skills.get(code, "")) for code in codes]


def load_framework(path: Path, lessons: Mapping[str, Lesson]) -> tuple[Framework, list[Problem]]:
    """Read `framework.yaml`; a missing file is an empty framework. Problems name the line."""
    if not path.exists():
        return Framework(), []
    tree, problems = read(path)
    report = Report(str(path))
    report.problems = problems
    if tree is None:
        if not problems:
            report.add(1, "the file is empty; it needs 'name' and 'skills'")
        return Framework(), report.problems
    if not isinstance(tree, Map):
        report.add(tree.line, f"framework.yaml must hold 'name' and 'skills', not {describe(tree)}")
        return Framework(), report.problems
    top = Fields(tree, report)
    top.unknown_keys(FRAMEWORK_KEYS, "framework.yaml")
    name = top.text("name", required=True) or ""
    url = top.text("url")
    if url is not None and not url.startswith("https://"):
        top.problem(top.line("url"), f"'url' must be an https:// address, not {url!r}")
    skills: dict[str, str] = {}
    node = top.value("skills")
    if node is None:
        top.missing("skills")
    elif not isinstance(node, Map):
        top.problem(node.line, f"'skills' must map codes to names, not {describe(node)}")
    else:
        for code, entry in node.entries.items():
            if not _CODE.fullmatch(code):
                top.problem(entry.line, f"'skills': {code!r} is not a code like \"0.2\"")
                continue
            named = top.text_of(entry.value, f"skills {code!r}")
            if named is not None:
                skills[code] = named
    if not report.problems:
        unnamed: dict[str, str] = {}
        for lesson in lessons.values():
            for code in lesson.skills:
                if code not in skills:
                    unnamed.setdefault(code, lesson.id)
        for code, lesson_id in unnamed.items():
            top.problem(
                top.line("skills"),
                f"'skills' does not name {code!r}, which lesson {lesson_id!r} has under "
                "'skills': add its name here",
            )
    return Framework(name, url, skills), sorted(report.problems)
