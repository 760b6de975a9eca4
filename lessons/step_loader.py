"""Reading one step of a lesson file: its kind (`say`, `ask`, `quiz`), options, links and
image, with a problem for every key that is unknown, misplaced, missing or wrong.

Each kind has its reader (`_say`, `_ask`, `_quiz`) that reads the kind's own keys and
returns how to make the step once the keys every step shares are read.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lessons.checks import Goto, Route
from lessons.fields import Fields, Report, peek_text
from lessons.source import Map, Node, Scalar, describe, shorten
from lessons.steps import KINDS, Ask, Link, Option, Quiz, Say, Step

STEP_ID = re.compile(r"[a-z0-9-]+")
COMMON_KEYS = ("id", "image", "links", "next", "end")
KIND_KEYS = {
    "say": ("button", "wait"),
    "ask": ("options",),
    "quiz": ("options", "answers", "explain", "hint", "tries", "order"),
}
_ALL_KIND_KEYS = tuple(dict.fromkeys(key for keys in KIND_KEYS.values() for key in keys))
_A = {"say": "a say", "ask": "an ask", "quiz": "a quiz"}
OPTION_KEYS = {"ask": ("label", "also", "goto"), "quiz": ("label", "also", "correct", "last")}
ORDERS = ("shuffled", "as-written")
LINK_KEYS = ("label", "url")

# Keys that are right elsewhere in the format: say where they belong, not "unknown key".
_OPTION_KEY_ON_STEP = {
    key: f"{key!r} belongs to an option (under 'options'), not to the step"
    for key in ("label", "also", "goto", "correct", "last")
}
_OPTION_KEY_ELSEWHERE = {
    "ask": {
        "correct": "'correct' belongs to the options of a quiz; an ask has no right answer",
        "last": "'last' belongs to the options of a quiz; an ask's options keep their order",
    },
    "quiz": {
        "goto": "'goto' belongs to the options of an ask step; after a quiz the lesson goes "
        "on to the next step"
    },
}


def _misplaced(key: str, kind: str) -> str:
    owners = [_A[owner] for owner, keys in KIND_KEYS.items() if key in keys]
    owner = owners[0] + "".join(f" or {name.split()[-1]}" for name in owners[1:])
    return f"{key!r} belongs to {owner} step, not to {_A[kind]} step"


ANY_STEP_KEYS = (*COMMON_KEYS, *KINDS, *_ALL_KIND_KEYS)
_STEP_KEYS = {kind: (*COMMON_KEYS, kind, *keys) for kind, keys in KIND_KEYS.items()}
_ELSEWHERE = {
    kind: {key: _misplaced(key, kind) for key in _ALL_KIND_KEYS} | _OPTION_KEY_ON_STEP
    for kind in KIND_KEYS
}


def is_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc) and not any(c.isspace() for c in url)


class Media:
    """The content folder's `media/`, where an `image` path must lead to a file."""

    def __init__(self, content_dir: Path) -> None:
        # Plain strings and os.path rather than Path: every step may have an image.
        self.content_dir = os.fspath(content_dir)
        self.root = os.path.realpath(os.path.join(self.content_dir, "media"))

    def locate(self, image: str) -> tuple[str | None, str | None]:
        """(what Step.image holds, None), or (None, what is wrong)."""
        if "://" in image or image.startswith("http:"):
            if is_https(image):
                return image, None
            return None, f"'image' must be an https:// URL or a file under media/, not {image!r}"
        written = os.path.join(self.content_dir, image)
        inside = os.path.realpath(written)  # symlinks too must stay inside media/
        if os.path.isabs(image) or not inside.startswith(self.root + os.sep):
            if not os.path.isabs(image) and os.path.isfile(os.path.join(self.root, image)):
                return None, f"'image' {image!r} must start with 'media/': write 'media/{image}'"
            return None, (
                f"'image' {image!r} must be a file under media/ (like 'media/vneid/app.jpg') "
                "or an https:// URL"
            )
        if not os.path.isfile(inside):
            return None, f"'image' names no file: {written} does not exist"
        return inside, None


@dataclass
class _Step:
    """One step while it is read."""

    fields: Fields
    kind: str
    where: str
    graph_known: bool = True  # False once a problem hides where the step leads
    waits: bool = True  # a say step with `wait: false` does not
    options_known: bool = True  # False when an option is too broken to tell if it is correct
    options: tuple[Option, ...] = ()
    gotos: list[Goto] = field(default_factory=list)
    falls_through: bool = True  # an ask step: some option has no `goto`, or there are none


Maker = Callable[..., Step]


def read_step(
    node: Node, index: int, ids: dict[str, int], report: Report, media: Media
) -> tuple[Step | None, Route]:
    """The step (None when it has problems) and its route. `ids` collects the lesson's step
    ids with their lines, to find duplicates."""
    where = f"steps[{index}]"
    if not isinstance(node, Map):
        report.add(
            node.line,
            f"{where} must be a mapping with 'id' and one of 'say', 'ask' or 'quiz', "
            f"not {describe(node)}",
        )
        return None, Route("", where, node.line, None, True, (), False, False, known=False)
    before = len(report.problems)
    named = peek_text(node, "id")
    if named is not None and STEP_ID.fullmatch(named):
        where = f"{where} (id {named!r})"
    fields = Fields(node, report, where)
    kinds = [kind for kind in KINDS if fields.has(kind)]
    kind = kinds[0] if len(kinds) == 1 else None
    if not kinds:
        fields.problem(node.line, "a step needs one of 'say', 'ask' or 'quiz'")
    elif kind is None:
        both = " and ".join(repr(kind) for kind in kinds)
        fields.problem(
            fields.line(kinds[1]), f"a step has exactly one of 'say', 'ask' or 'quiz', not {both}"
        )
    if kind is None:
        fields.unknown_keys(ANY_STEP_KEYS, "a step", _OPTION_KEY_ON_STEP)
    else:
        fields.unknown_keys(_STEP_KEYS[kind], "a step", _ELSEWHERE[kind])

    step_id = fields.text("id", required=True)
    if step_id is not None:
        id_line = fields.line("id")
        if not STEP_ID.fullmatch(step_id):
            fields.problem(id_line, f"'id' {step_id!r} may use only a-z, 0-9 and '-'")
        if step_id in ids:
            fields.problem(
                id_line, f"'id' {step_id!r} is already the id of the step at line {ids[step_id]}"
            )
        else:
            ids[step_id] = id_line

    text = fields.text(kind) if kind else None
    image = _image(fields, media)
    links = _links(fields)
    end = fields.flag("end")
    next_id = fields.text("next")
    if end and next_id is not None:
        fields.problem(
            fields.line("next"), "'end: true' and 'next' contradict each other: keep one"
        )

    step = _Step(fields, kind or "", where)
    maker = _READERS[kind](step) if kind else None
    route = Route(
        id=step_id or "",
        where=where,
        line=node.line,
        next=Goto(next_id, fields.line("next"), where, "next") if next_id else None,
        end=bool(end),
        gotos=tuple(step.gotos),
        falls_through=step.falls_through,
        hurries=not step.waits,
        known=step.graph_known
        and kind is not None
        and step_id is not None
        and (next_id is not None or not fields.has("next"))
        and (end is not None or not fields.has("end")),
    )
    if maker is None or text is None or step_id is None or len(report.problems) > before:
        return None, route
    made = maker(
        id=step_id, text=text, image=image, links=links, next=next_id, end=bool(end), line=node.line
    )
    return made, route


def _image(fields: Fields, media: Media) -> str | None:
    raw = fields.text("image")
    if raw is None:
        return None
    located, problem = media.locate(raw)
    if problem:
        fields.problem(fields.line("image"), problem)
    return located


def _links(fields: Fields) -> tuple[Link, ...]:
    links = []
    for index, item in enumerate(fields.items("links") or ()):
        if not isinstance(item, Map):
            fields.problem(
                item.line,
                f"links[{index}] must be a mapping like {{label: …, url: https://…}}, "
                f"not {describe(item)}",
            )
            continue
        link = Fields(item, fields.report, f"{fields.where}: links[{index}]")
        link.unknown_keys(LINK_KEYS, "a link")
        label = link.text("label", required=True)
        url = link.text("url", required=True)
        if url is not None and not is_https(url):
            link.problem(link.line("url"), f"'url' must be an https:// address, not {url!r}")
        elif label is not None and url is not None:
            links.append(Link(label, url))
    return tuple(links)


def _options(step: _Step) -> None:
    """Reads `options` into step.options, and the options' `goto`s into step.gotos."""
    fields = step.fields
    if not fields.has("options"):
        return
    items = fields.items("options", "of options, one '- label: …' a line")
    if items is None:
        step.graph_known = False
        return
    texts = [item for item in items if isinstance(item, Scalar) and not item.null]
    if len(items) > 1 and len(texts) == len(items):
        # The options written as texts, `[Có, Không]`: one mistake, said once.
        written = ", ".join(f"'- label: {shorten(text.text, 20)}'" for text in texts[:3])
        fields.problem(
            items[0].line,
            f"each option needs its 'label:': write the options as {written}"
            f"{', …' if len(items) > 3 else ''}, one a line",
        )
        step.graph_known = step.options_known = False
        return
    options = []
    labels: dict[str, int] = {}
    step.falls_through = (
        step.kind != "ask"
        or not items
        or any(not isinstance(item, Map) or "goto" not in item.entries for item in items)
    )
    for index, item in enumerate(items):
        if not isinstance(item, Map):
            fields.problem(
                item.line,
                f"options[{index}] must be a mapping like {{label: …}}, not {describe(item)}",
            )
            step.graph_known = step.options_known = False
            continue
        option = Fields(item, fields.report, f"{step.where}: options[{index}]")
        option.unknown_keys(OPTION_KEYS[step.kind], "an option", _OPTION_KEY_ELSEWHERE[step.kind])
        label = option.text("label", required=True)
        also = option.texts("also") or ()
        goto = option.text("goto") if step.kind == "ask" else None
        correct = option.flag("correct") if step.kind == "quiz" else None
        last = option.flag("last") if step.kind == "quiz" else None
        if goto is not None:
            step.gotos.append(Goto(goto, option.line("goto"), option.where, "goto"))
        elif step.kind == "ask" and option.has("goto"):
            step.graph_known = False
        if correct is None and option.has("correct"):
            step.options_known = False
        if label is None:
            step.options_known = False
            continue
        first = labels.setdefault(label.casefold(), index)
        if first != index:
            option.problem(
                option.line("label"),
                f"'label' {shorten(label)!r} is already the label of options[{first}]",
            )
        also_texts = tuple(text for text, _ in also)
        options.append(Option(label, also_texts, goto, correct=bool(correct), last=bool(last)))
    step.options = tuple(options)
    if len(items) < 2:
        fields.problem(
            fields.line("options"), f"'options' needs at least two options; it has {len(items)}"
        )


def _say(step: _Step) -> Maker:
    button = step.fields.text("button")
    step.waits = step.fields.flag("wait") is not False
    return functools.partial(Say, button=button, wait=step.waits)


def _ask(step: _Step) -> Maker:
    if not step.fields.has("options"):
        step.fields.missing("options", ": an ask step offers at least two options")
    _options(step)
    return functools.partial(Ask, options=step.options)


def _quiz(step: _Step) -> Maker:
    fields = step.fields
    if fields.has("options") and fields.has("answers"):
        later = max(fields.line("options"), fields.line("answers"))
        fields.problem(later, "a quiz has either 'options' or 'answers', not both")
    elif not fields.has("options") and not fields.has("answers"):
        fields.problem(
            fields.node.line, "a quiz needs 'options' (multiple choice) or 'answers' (free answer)"
        )
    _options(step)
    right = sum(option.correct for option in step.options)
    if fields.has("options") and step.options and step.options_known and right != 1:
        said = "no option has" if right == 0 else f"{right} options have"
        fields.problem(fields.line("options"), f"{said} 'correct: true'; exactly one must")
    answers = fields.texts("answers")
    if answers is not None and fields.is_empty_list("answers"):
        fields.problem(fields.line("answers"), "'answers' needs at least one answer")
    explain = fields.text("explain")
    hint = fields.text("hint")
    tries = fields.whole("tries", 1)
    order = fields.text("order")
    if order is not None and order not in ORDERS:
        fields.problem(
            fields.line("order"),
            f"'order' must be 'as-written' (keep the file's order) or 'shuffled', not {order!r}",
        )
    make = functools.partial(
        Quiz,
        options=step.options,
        shuffled=order != "as-written",
        answers=tuple(text for text, _ in answers or ()),
        explain=explain,
        hint=hint,
    )
    return make if tries is None else functools.partial(make, tries=tries)


_READERS: dict[str, Callable[[_Step], Maker]] = {"say": _say, "ask": _ask, "quiz": _quiz}
