"""Reading a content file into a small tree of mappings, lists and scalars that keep their lines.

PyYAML's composer (libyaml's when installed) builds the node tree; this module walks it
into `Map`, `Seq` and `Scalar`, and turns everything an admin can get wrong in YAML into a
`Problem` instead of a traceback: bad UTF-8, syntax errors, duplicate keys, anchors and
aliases, tags and merge keys.

Scalars keep their source text: the checker decides what a value means, so `label: No`
stays the text "No" and `answers: [156]` the text "156" (YAML 1.1 would make them a
bool and an int).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lessons import layout
from lessons.problems import Problem

MAX_BYTES = 2_000_000  # a lesson is a few kilobytes; anything this big is a wrong file
MAX_DEPTH = 30  # a lesson nests 7 levels deep; libyaml's composer recurses on the C stack
# A document with fewer collection markers than this cannot nest deep enough to hurt the
# composer, so only bigger ones pay for a depth check over the event stream.
CHEAP_MARKERS = 1000  # a 12-step lesson has about 130

_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(
    _YAML + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)
_NULL = _YAML + "null"
_NULL_WORDS = frozenset(("", "~", "null", "Null", "NULL"))
_STR = _YAML + "str"
_MERGE = _YAML + "merge"
_SEQ = _YAML + "seq"
_MAP = _YAML + "map"


class _TextResolver:
    """Every scalar written without a tag is text, except the ones the walk must know: null
    (nothing, `~`, `null`) and the merge key `<<`. YAML 1.1's guesses (`No` is false, `1:20`
    is 80) are never made, which also saves their regular expressions on every scalar."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0] and value in _NULL_WORDS:
                return _NULL
            return _MERGE if implicit[0] and value == "<<" else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


class PythonLoader(_TextResolver, yaml.SafeLoader):
    """PyYAML's pure-Python loader, with text scalars."""


LoaderType = type[yaml.SafeLoader] | type[yaml.CSafeLoader]
Loader: LoaderType = PythonLoader  # replaced by libyaml's below when PyYAML has it
if yaml.__with_libyaml__:

    class LibyamlLoader(_TextResolver, yaml.CSafeLoader):
        """libyaml's loader, many times faster, with text scalars."""

    Loader = LibyamlLoader


@dataclass(slots=True)
class Scalar:
    """A scalar as written: `text` is after quotes and escapes, before any YAML typing."""

    text: str
    line: int
    plain: bool  # no quotes and no block indicator: only a plain scalar is a bool or number
    null: bool  # nothing written, `~` or `null`


@dataclass(slots=True)
class Seq:
    items: tuple[Node, ...]
    line: int


@dataclass(slots=True)
class Entry:
    """One `key: value` of a mapping; `line` is the key's line."""

    key: str
    line: int
    value: Node


@dataclass(slots=True)
class Map:
    entries: dict[str, Entry]  # in written order; a repeated key keeps its first value
    line: int


Node = Scalar | Seq | Map


def describe(node: Node) -> str:
    """What a node is, for messages: "a list", "a mapping", "the text 'abc'"."""
    if isinstance(node, Map):
        return "a mapping"
    if isinstance(node, Seq):
        return "a list"
    if node.null:
        return "nothing"
    return f"{shorten(node.text)!r}"


def shorten(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read(path: Path) -> tuple[Node | None, list[Problem]]:
    """The file's tree, or None with the problems that stop it from being read.

    An empty file gives (None, []): whether that is an error is the caller's call. A tree
    may come with problems too (a duplicate key, a tag): the caller checks it anyway.
    """
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [Problem(where, 1, f"cannot read the file: {error.strerror or error}")]
    if len(data) > MAX_BYTES:
        too_big = f"the file is {len(data):,} bytes; a content file is at most {MAX_BYTES:,}"
        return None, [Problem(where, 1, too_big)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad_line = data[: error.start].count(b"\n") + 1
        return None, [
            Problem(
                where,
                1,
                f"the file is not UTF-8 text (line {bad_line} has the byte "
                f"0x{data[error.start]:02x}); save it with the UTF-8 encoding",
            )
        ]
    return parse(text, where)


def parse(text: str, where: str) -> tuple[Node | None, list[Problem]]:
    """Like `read`, for text already in memory; `where` is the path to name in problems.

    A mistake in the layout of the lines (`lessons.layout`) is said instead of YAML's error
    it causes, and instead of the tree when YAML reads the file as something else."""
    mistake = layout.scan(text)
    try:
        if _needs_event_scan(text):
            problems = _scan_events(text, where)
            if problems:
                return None, problems
        root = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as error:
        return None, [_syntax_problem(error, text, where, mistake)]
    except RecursionError:  # the pure-Python composer, on deep but small documents
        return None, [Problem(where, 1, f"the YAML nests more than {MAX_DEPTH} levels deep")]
    if mistake is not None and mistake.certain:
        return None, [Problem(where, mistake.line, mistake.message)]
    if root is None:
        return None, []
    walk = _Walk(where)
    tree = walk.node(root, 0)
    if walk.fatal:
        return None, walk.problems
    return tree, walk.problems


class _Walk:
    """Turns PyYAML nodes into `Node`s, collecting problems on the way."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[Problem] = []
        self.fatal = False
        self.seen: set[int] = set()

    def report(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.where, line, message))

    def node(self, node: yaml.Node, depth: int) -> Node:
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            self.fatal = True
            self.report(line, f"the YAML nests more than {MAX_DEPTH} levels deep")
            return Scalar("", line, True, True)
        if id(node) in self.seen:  # an alias; anchors are reported by the event scan
            self.fatal = True
            self.report(line, "aliases (*name) are not supported: write the value out in full")
            return Scalar("", line, True, True)
        self.seen.add(id(node))
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag is not _STR and tag not in _SCALAR_TAGS:
                self._wrong_tag(tag, line)
            plain = not node.style  # None from PyYAML, "" from libyaml
            return Scalar(node.value, line, plain, plain and tag == _NULL)
        if isinstance(node, yaml.SequenceNode):
            if tag != _SEQ:
                self._wrong_tag(tag, line)
            return Seq(tuple([self.node(item, depth + 1) for item in node.value]), line)
        if tag != _MAP:
            self._wrong_tag(tag, line)
        entries: dict[str, Entry] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.report(key_line, "a key must be plain text, not a list or a mapping")
                continue
            if key_node.tag == _MERGE:
                self.report(key_line, "merge keys ('<<') are not supported: write the keys out")
                continue
            key = key_node.value
            value = self.node(value_node, depth + 1)
            first = entries.get(key)
            if first is not None:
                self.report(key_line, f"duplicate key {key!r} (first at line {first.line})")
                continue
            entries[key] = Entry(key, key_line, value)
        return Map(entries, line)

    def _wrong_tag(self, tag: str, line: int) -> None:
        shown = tag.replace(_YAML, "!!")
        self.report(line, f"YAML tags like {shown!r} are not supported: remove the tag")


def _needs_event_scan(text: str) -> bool:
    if "&" in text:  # maybe an anchor: aliases would make the tree a graph
        return True
    markers = sum(text.count(mark) for mark in "[{-:?")
    return markers > CHEAP_MARKERS


def _scan_events(text: str, where: str) -> list[Problem]:
    """Anchors, aliases and nesting too deep for the composer, found over the event stream,
    which libyaml produces without recursion. A syntax error is raised, as by the composer."""
    problems: list[Problem] = []
    depth = 0
    for event in yaml.parse(text, Loader=Loader):
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent):
            problems.append(
                Problem(
                    where,
                    line,
                    f"the alias '*{event.anchor}' is not supported: write the value out in full",
                )
            )
        elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            problems.append(
                Problem(
                    where,
                    line,
                    f"the anchor '&{event.anchor}' is not supported: remove it (if it is "
                    "part of a text, put the whole text in quotes)",
                )
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return [Problem(where, line, f"the YAML nests more than {MAX_DEPTH} levels deep")]
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return problems


_HINTS = {
    "mapping values are not allowed": "if a text has ': ' in it, put the whole text in quotes",
    "cannot start any token": "put a text that starts with a sign like ` @ % in quotes",
    "did not find expected key": "check this line's indentation against the lines above",
    "could not find expected ':'": "a line may have lost its key, or its indentation",
    "did not find expected '-' indicator": "check this line's indentation against the lines above",
    "tab character": "indent with spaces, not tabs",
    "expected a single document": "remove the '---' line; a file holds one lesson",
}


def _syntax_problem(
    error: yaml.YAMLError, text: str, where: str, mistake: layout.Mistake | None = None
) -> Problem:
    """YAML's error in plain words; a mistake of layout at or before its line instead, since
    that is what YAML stumbled on."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = error.problem or error.context or "unreadable YAML"
        if "maximum nesting depth" in problem:  # libyaml >= 0.2.5's own limit (PyYAML 6.0.4)
            return Problem(where, line, f"the YAML nests more than {MAX_DEPTH} levels deep")
        if mistake is not None and mistake.line <= line:
            return Problem(where, mistake.line, mistake.message)
        message = f"YAML syntax error: {problem}"
        if error.context and error.context_mark is not None and error.problem:
            message += f" ({error.context} at line {error.context_mark.line + 1})"
        hint = next((hint for key, hint in _HINTS.items() if key in message), None)
        if "cannot start any token" in problem and mark is not None:
            rest = text.splitlines()[mark.line][mark.column :] if text else ""
            if rest.startswith("\t"):
                hint = "indent with spaces, not tabs"
        if hint:
            message += f"; {hint}"
        return Problem(where, line, message)
    if isinstance(error, yaml.reader.ReaderError):
        code = error.character if isinstance(error.character, int) else ord(error.character)
        position = text.find(chr(code))
        line = text.count("\n", 0, position) + 1 if position >= 0 else 1
        return Problem(
            where,
            line,
            f"the file contains the control character #x{code:04x}, which YAML does not "
            "allow; delete it",
        )
    return Problem(where, 1, f"YAML syntax error: {error}")
