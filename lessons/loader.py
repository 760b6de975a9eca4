"""Loading a content folder's lessons and certificates, with every problem an admin must fix
reported as `path:line: message` (see `lessons.problems`).

A file with problems gives no lesson: the caller decides whether the folder can be used
(`ContentError` carries the problems), so a broken folder never replaces a running one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lessons.checks import Route, check_paths, check_targets
from lessons.fields import Fields, Report, peek_text
from lessons.model import DEFAULT_PASS_SCORE, Certificate, Lesson
from lessons.problems import Problem
from lessons.source import Map, Node, describe, read
from lessons.step_loader import ANY_STEP_KEYS, OPTION_KEYS, Media, read_step
from lessons.steps import Step

LESSON_ID = re.compile(r"[a-z0-9-]+")
MAX_ID_LENGTH = 40
LESSON_KEYS = ("id", "title", "summary", "minutes", "skills", "requires", "pass_score", "steps")
CERTIFICATE_KEYS = ("id", "title", "lessons", "description", "skills")
# A step's key at the margin is a line of a step that lost its indentation.
_STEP_KEY_ON_LESSON = {
    key: f"{key!r} belongs to {owner} (under {under!r}), not to the lesson: indent it like the "
    f"other keys of its {owner.split()[-1]}"
    for owner, under, keys in (
        ("an option", "options", (key for keys in OPTION_KEYS.values() for key in keys)),
        ("a step", "steps", ANY_STEP_KEYS),
    )
    for key in keys
    if key not in LESSON_KEYS
}


@dataclass
class _LessonFile:
    lesson: Lesson | None
    problems: list[Problem]
    requires: list[tuple[str, int]] = field(default_factory=list)  # each with its line


def load_lesson(path: Path, content_dir: Path) -> tuple[Lesson | None, list[Problem]]:
    """One lesson file; the lesson is None when the file has problems. A `requires` naming
    no lesson is checked by `load_lessons`, which knows the other lessons."""
    loaded = _load_lesson(path, content_dir, Media(content_dir))
    return loaded.lesson, loaded.problems


def load_lessons(content_dir: Path) -> tuple[dict[str, Lesson], list[Problem]]:
    """Every `content_dir/lessons/*.yaml`, by file name, keyed by lesson id. A file with
    problems is left out. A `.yml` file is a problem: it would otherwise be silently skipped."""
    folder = content_dir / "lessons"
    if not folder.is_dir():
        return {}, [Problem(str(folder), 1, "there is no lessons folder here")]
    # Names starting with "." are editors' and macOS's hidden companions (`._bai.yaml`).
    paths = sorted(
        (
            path
            for path in folder.iterdir()
            if path.suffix.lower() in (".yaml", ".yml") and not path.name.startswith(".")
        ),
        key=lambda path: path.name,
    )
    names = {path.stem for path in paths}
    media = Media(content_dir)
    lessons: dict[str, Lesson] = {}
    problems: list[Problem] = []
    for path in paths:
        loaded = _load_lesson(path, content_dir, media)
        for name, line in loaded.requires:
            if name not in names:
                loaded.problems.append(
                    Problem(str(path), line, f"'requires' names no lesson {name!r}")
                )
        loaded.problems.sort(key=_place)
        problems += loaded.problems
        if loaded.lesson is not None and not loaded.problems:
            lessons[loaded.lesson.id] = loaded.lesson
    return lessons, problems


def load_certificates(
    path: Path, lessons: Mapping[str, Lesson]
) -> tuple[list[Certificate], list[Problem]]:
    """`content/certificates.yaml`; a missing or empty file means no certificates."""
    if not path.exists():
        return [], []
    tree, problems = read(path)
    report = Report(str(path))
    report.problems = problems
    if tree is None:
        return [], sorted(problems, key=_place)
    if not isinstance(tree, Map):
        report.add(tree.line, f"certificates.yaml must hold 'certificates:', not {describe(tree)}")
        return [], report.problems
    top = Fields(tree, report)
    top.unknown_keys(("certificates",), "certificates.yaml")
    items = top.items("certificates")
    if items is None and not top.has("certificates"):
        top.missing("certificates", ": write 'certificates: []' for none")
    certificates: list[Certificate] = []
    ids: dict[str, int] = {}
    for index, item in enumerate(items or ()):
        before = len(report.problems)
        certificate = _certificate(item, index, ids, report, lessons, path.parent / "lessons")
        if certificate is not None and len(report.problems) == before:
            certificates.append(certificate)
    return certificates, sorted(report.problems, key=_place)


def _certificate(
    node: Node,
    index: int,
    ids: dict[str, int],
    report: Report,
    lessons: Mapping[str, Lesson],
    lessons_dir: Path,
) -> Certificate | None:
    where = f"certificates[{index}]"
    if not isinstance(node, Map):
        report.add(
            node.line,
            f"{where} must be a mapping with 'id', 'title' and 'lessons', not {describe(node)}",
        )
        return None
    named = peek_text(node, "id")
    fields = Fields(node, report, f"{where} (id {named!r})" if named else where)
    fields.unknown_keys(CERTIFICATE_KEYS, "a certificate")
    certificate_id = _id(fields)
    if certificate_id is not None:
        if certificate_id in ids:
            fields.problem(
                fields.line("id"),
                f"'id' {certificate_id!r} is already the id of the certificate at line "
                f"{ids[certificate_id]}",
            )
        else:
            ids[certificate_id] = fields.line("id")
    title = fields.text("title", required=True)
    description = fields.text("description")
    names = fields.texts("lessons")
    if not fields.has("lessons"):
        fields.missing("lessons")
    elif names is not None and fields.is_empty_list("lessons"):
        fields.problem(fields.line("lessons"), "'lessons' needs at least one lesson")
    listed: dict[str, int] = {}
    for name, line in names or ():
        if name in listed:
            fields.problem(line, f"'lessons' lists {name!r} twice (first at line {listed[name]})")
        elif name not in lessons:
            if (lessons_dir / f"{name}.yaml").is_file():
                fields.problem(
                    line, f"'lessons' names {name!r}, which did not load (see its errors)"
                )
            else:
                fields.problem(line, f"'lessons' names no lesson {name!r}")
        listed.setdefault(name, line)
    skills = _certificate_skills(fields, listed, lessons)
    if certificate_id is None or title is None or not names:
        return None
    return Certificate(certificate_id, title, tuple(listed), description, skills)


def _certificate_skills(
    fields: Fields, listed: Mapping[str, int], lessons: Mapping[str, Lesson]
) -> tuple[str, ...]:
    """The framework codes a certificate shows: those written under its `skills:`, each one
    that at least one of its lessons carries (a certificate never claims what its lessons do
    not teach); when left out, every code of its lessons, each once, in the framework's order."""
    taught = {code for name in listed if name in lessons for code in lessons[name].skills}
    written = fields.texts("skills")
    if written is None:
        return tuple(sorted(taught, key=_code_order))
    for code, line in written:
        if code not in taught:
            fields.problem(
                line,
                f"'skills' names {code!r}, which none of its lessons has under 'skills' "
                f"(they have {', '.join(sorted(taught, key=_code_order)) or 'none'})",
            )
    return tuple(dict.fromkeys(code for code, _ in written))


def _code_order(code: str) -> tuple[tuple[int, str], ...]:
    """Codes in the framework's order, 0.2 before 1.1 before 1.10: each part by its number."""
    return tuple((int(part) if part.isdigit() else -1, part) for part in code.split("."))


def _place(problem: Problem) -> tuple[str, int]:
    """Problems in file and line order; on one line, in the order they were found."""
    return problem.path, problem.line


def _id(fields: Fields) -> str | None:
    """The `id` of a lesson or certificate: a-z, 0-9 and '-', at most 40 characters."""
    value = fields.text("id", required=True)
    if value is None:
        return None
    if not LESSON_ID.fullmatch(value):
        fields.problem(fields.line("id"), f"'id' {value!r} may use only a-z, 0-9 and '-'")
    elif len(value) > MAX_ID_LENGTH:
        fields.problem(
            fields.line("id"),
            f"'id' is {len(value)} characters long; it may have at most {MAX_ID_LENGTH}",
        )
    return value


def _load_lesson(path: Path, content_dir: Path, media: Media) -> _LessonFile:
    report = Report(str(path))
    if path.suffix != ".yaml":
        report.add(1, f"a lesson file's name ends in '.yaml': rename it to '{path.stem}.yaml'")
    tree, problems = read(path)
    report.problems += problems
    if tree is None:
        if not problems:
            report.add(1, "the file is empty; a lesson needs 'id', 'title' and 'steps'")
        return _LessonFile(None, sorted(report.problems, key=_place))
    if not isinstance(tree, Map):
        report.add(
            tree.line,
            f"a lesson is a mapping of keys (id, title, steps, …), not {describe(tree)}",
        )
        return _LessonFile(None, sorted(report.problems, key=_place))

    top = Fields(tree, report)
    top.unknown_keys(LESSON_KEYS, "a lesson", _STEP_KEY_ON_LESSON)
    lesson_id = _id(top)
    if lesson_id is not None and lesson_id != path.stem:
        top.problem(
            top.line("id"),
            f"'id' {lesson_id!r} must be the file's name without '.yaml': {path.stem!r}",
        )
    title = top.text("title", required=True)
    summary = top.text("summary")
    if summary is not None and "\n" in summary:
        top.problem(top.line("summary"), "'summary' must be one line")
    minutes = top.whole("minutes", 1)
    skills = top.texts("skills") or ()
    requires = top.texts("requires") or ()
    for name, line in requires:
        if name == lesson_id:
            top.problem(line, "'requires' names this lesson itself")
    pass_score = _pass_score(top)
    steps = _steps(top, media)
    if report.problems or lesson_id is None or title is None or steps is None:
        return _LessonFile(None, sorted(report.problems, key=_place), list(requires))
    lesson = Lesson(
        id=lesson_id,
        title=title,
        steps=steps,
        summary=summary,
        minutes=minutes,
        skills=tuple(text for text, _ in skills),
        requires=tuple(text for text, _ in requires),
        pass_score=DEFAULT_PASS_SCORE if pass_score is None else pass_score,
        path=path,
    )
    return _LessonFile(lesson, [], list(requires))


def _pass_score(top: Fields) -> float | None:
    rule = "a number above 0 and at most 1, like 0.7"
    score = top.number("pass_score", rule)
    if score is not None and not 0 < score <= 1:
        top.problem(top.line("pass_score"), f"'pass_score' must be {rule}, not {score:g}")
        return None
    return score


def _steps(top: Fields, media: Media) -> tuple[Step, ...] | None:
    """The lesson's steps, or None when any has a problem; checks paths between them."""
    items = top.items("steps")
    if items is None:
        if not top.has("steps"):
            top.missing("steps")
        return None
    if not items:
        top.problem(top.line("steps"), "'steps' needs at least one step")
        return None
    report = top.report
    ids: dict[str, int] = {}
    steps: list[Step | None] = []
    routes: list[Route] = []
    before = len(report.problems)
    for index, item in enumerate(items):
        step, route = read_step(item, index, ids, report, media)
        steps.append(step)
        routes.append(route)
    # Paths are only checked on a graph known in full: a wrong `goto` or a duplicate id would
    # make steps look unreachable that are not.
    targets_good = check_targets(routes, ids, report)
    ids_unique = len(ids) == len(routes)
    if targets_good and ids_unique and all(route.known for route in routes):
        check_paths(routes, report)
    if len(report.problems) > before:
        return None
    return tuple(step for step in steps if step is not None)
