"""Mistakes in the layout of a content file's lines, said in an author's words rather than
YAML's: a key indented more or less than the keys beside it, text under `say: |` that is not
indented under it (or a line of it indented less than the first), a key written without the
space after its colon, a tab where spaces indent.

YAML says these in its own terms, often at a later line ("mapping values are not allowed
here", "could not find expected ':'"), and reads some without a word as something else: text
under `say: |` written at the column of `say:` becomes keys of the step. `scan` follows the
lines the way YAML's block layout does, without YAML: a line is blank, a comment, text of a
block (`|` or `>`), more of a plain text, or a line of the layout (a key, `- ` items), whose
indentation must match a line above it. Where it cannot follow the file (a quoted text or a
[list] over several lines, anchors, tags, a second document) it stops and finds nothing.

A mistake is `certain` when the file is wrong whatever YAML reads in it, given that a content
file's keys are words of a-z and '_' (so "Bước 2: mở" at the column of `say:` is text, not a
key); the others are only named when YAML fails at or after their line (`lessons.source`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The keys of the lesson format and of certificates.yaml (tests/test_loader.py holds them to
# the loaders' own lists): one of them written against its value, "say:Xin chào", is a key
# that lost its space, never a text.
KEYS = frozenset(
    {
        *("id", "title", "summary", "minutes", "skills", "requires", "pass_score", "steps"),
        *("say", "ask", "quiz", "image", "links", "next", "end", "button", "wait"),
        *("options", "answers", "explain", "hint", "tries", "order"),
        *("label", "also", "goto", "correct", "last", "url"),
        *("certificates", "lessons", "description"),
    }
)

_LINES = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # YAML 1.1's line breaks, as PyYAML's
_DASH = re.compile(r"-(?:[ \t]+|$)")
_KEY = re.compile(r"(?P<key>[^\s#'\"\[\]{}][^#]*?)[ \t]*:(?:[ \t]+(?P<value>.*)|$)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")  # a key the way the format writes them
_LIKE_KEY = re.compile(r"(?:-[ \t]+)*[A-Za-z_][A-Za-z0-9_-]*[ \t]*:(?:[ \t]|$)")
_GLUED = re.compile(r"(?P<key>[a-z_]+):(?P<value>[^\s:].*)")
_KEY_IN_TEXT = re.compile(r"(?P<key>[a-z_]+):(?:[ \t]|$)")
_DASH_GLUED = re.compile(r"-(?P<key>[a-z_]+)[ \t]*:(?:[ \t]+(?P<value>.*)|$)")
_BLOCK = re.compile(r"(?P<sign>[|>][-+]?)[ \t]*(?:#.*)?")
_COMMENT = re.compile(r"(?:^|[ \t]+)#.*")
_DOUBLE = re.compile(r'"(?:[^"\\]|\\.)*"')
_SINGLE = re.compile(r"'(?:[^']|'')*'")
_UNFOLLOWED = ("&", "*", "!", "?", "%", "@", "`", "|", ">")  # anchors, tags, keys of lists…


@dataclass(frozen=True)
class Mistake:
    line: int
    message: str
    certain: bool  # the file is wrong whatever YAML makes of it


@dataclass(frozen=True)
class _Level:
    """A column where a line may start: a list's '- ', or the keys of a mapping."""

    column: int
    item: bool
    line: int  # the last line that started there, and its key, to name in messages
    key: str


@dataclass(frozen=True)
class _Said:
    """The last line of the layout: its key, and how its value ended."""

    line: int
    key: str | None  # None for a '- ' item with no key, or a text under its key
    column: int  # a line indented more than this goes on with the value
    value: str  # "plain" (may go on below), "closed" (quoted, or [a list]), "open", "block"


@dataclass
class _Block:
    """The text under `key: |` or `key: >`."""

    key: str
    sign: str
    line: int
    column: int  # the key's: the text must be indented more
    body: int | None = None  # the indentation of its first line
    first: int = 0  # that line


class _Lost(Exception):
    """The layout is one that `scan` does not follow."""


def scan(text: str) -> Mistake | None:
    """The first mistake in the layout of a file's text, or None."""
    reader = _Reader()
    try:
        for number, line in enumerate(_LINES.split(text), start=1):
            found = reader.read(number, line)
            if found is not None:
                return found
    except _Lost:
        return None
    return None


def _spaces(count: int) -> str:
    return f"{count} space{'s' * (count != 1)}"


def _misaligned(key: str | None, column: int, other: _Level) -> str:
    gap = column - other.column
    said = f"{_spaces(column)}, {abs(gap)} {'more' if gap > 0 else 'less'} than"
    fix = f"indent it {_spaces(other.column)}" if other.column else "start it at the margin"
    if other.item:
        return (
            f"this '- ' is indented {said} the '- ' on line {other.line}: the items of one list "
            f"start in the same column; {fix}"
        )
    return (
        f"'{key}:' is indented {said} '{other.key}:' on line {other.line}: keys that belong "
        f"together start in the same column; {fix}, right under '{other.key}:'"
    )


def _is_text(text: str, column: int, block: _Block) -> bool:
    """Whether a line after `key: |` that is not indented under it reads as more of the text
    (rather than the next key, or the next '- ' item)."""
    if _LIKE_KEY.match(text) or text.startswith(("---", "...")):
        return False
    for glued in (_GLUED.fullmatch(text), _DASH_GLUED.fullmatch(text)):
        if glued and glued["key"] in KEYS:
            return False
    return column == block.column if _DASH.match(text) else True


def _value_kind(value: str) -> str:
    """How a value written after its key ends: "plain" or "closed"; _Lost when it goes on over
    lines that `scan` does not follow."""
    first = value[0]
    if (first == '"' and _DOUBLE.match(value)) or (first == "'" and _SINGLE.match(value)):
        return "closed"
    if first in "\"'":
        raise _Lost
    if first in "[{":
        depth = 0
        for character in value:
            depth += (character in "[{") - (character in "]}")
            if depth == 0:
                return "closed"
        raise _Lost
    return "plain"


class _Reader:
    """Reads a file's lines one by one; `read` returns the first mistake."""

    def __init__(self) -> None:
        self.levels: list[_Level] = []  # by column, the outermost first
        self.last: _Said | None = None
        self.opener: _Level | None = None  # the last line wants its value on the lines below
        self.block: _Block | None = None

    def read(self, number: int, line: str) -> Mistake | None:
        text = line.lstrip(" \t")
        lead = line[: len(line) - len(text)]
        column = len(lead)
        block = self.block
        if block is not None and "\t" in lead[: block.body]:
            return self._tab(number)  # in a text's indentation, even on a line that looks empty
        if not text.strip():
            return None
        if block is not None:
            if block.body is None:
                if column > block.column:
                    block.body, block.first = column, number
                    return None
            elif column > block.body:
                return None
            elif column == block.body:
                return self._key_in_text(number, text, block)
            elif column > block.column and not text.startswith("#"):
                return self._block_less(number, column, block)
            self.block = None
            if not text.startswith("#") and _is_text(text, column, block):
                if block.body is None:
                    return Mistake(
                        number,
                        f"the lines under '{block.key}: {block.sign}' (line {block.line}) must "
                        f"be indented more than '{block.key}:': start this line and the text "
                        f"lines after it with {_spaces(block.column + 2)}",
                        certain=True,
                    )
                return self._block_less(number, column, block)
        if text.startswith("#"):
            return None
        if "\t" in lead:
            last, spaces = self.last, len(lead) - len(lead.lstrip(" "))
            if last and last.value == "plain" and (spaces > last.column or not self.levels):
                return None  # more of a plain text, where YAML lets a tab be
            return self._tab(number)
        return self._layout(number, column, text.rstrip(" \t"))

    def _tab(self, number: int) -> Mistake:
        return Mistake(
            number, "this line is indented with a tab: indent with spaces, not tabs", False
        )

    def _key_in_text(self, number: int, text: str, block: _Block) -> Mistake | None:
        """A key of the format that starts a line of the text, "button: Tiếp", is a key
        indented like the text by mistake: YAML would read it as more of the text."""
        written = _KEY_IN_TEXT.match(text)
        if written is None or written["key"] not in KEYS:
            return None
        fix = f"indent it {_spaces(block.column)}" if block.column else "start it at the margin"
        return Mistake(
            number,
            f"'{written['key']}:' is indented like the text under '{block.key}: {block.sign}' "
            f"(line {block.line}), so it would be read as part of that text: {fix}, right under "
            f"'{block.key}:'",
            certain=True,
        )

    def _block_less(self, number: int, column: int, block: _Block) -> Mistake:
        return Mistake(
            number,
            f"this line is indented {_spaces(column)}, less than the text above it under "
            f"'{block.key}: {block.sign}' (line {block.line}): indent every line of the text "
            f"{_spaces(block.body or 0)}, like line {block.first}",
            certain=True,
        )

    def _layout(self, number: int, column: int, text: str) -> Mistake | None:
        rest, dashes, position = text, [], column
        while (dash := _DASH.match(rest)) is not None:
            dashes.append(position)
            position += dash.end()
            rest = rest[dash.end() :]
        if rest.startswith("#"):
            rest = ""
        if rest.startswith(("---", "...")) and not dashes:
            if self.levels or rest.strip("-") or column:
                raise _Lost  # a second document: the loader says so
            return None
        if rest.startswith(_UNFOLLOWED):
            raise _Lost
        glued = ""  # what is wrong with a key written against its value or its '-'
        written = _GLUED.fullmatch(rest)
        if written and written["key"] in KEYS:
            key, value = written["key"], written["value"]
            glued = f"'{key}:' needs a space after the colon: write '{key}: {value}'"
        elif (written := _DASH_GLUED.fullmatch(rest)) and written["key"] in KEYS:
            key, value = written["key"], written["value"] or ""
            glued = f"'-{key}:' needs a space after the '-': write '- {key}: {value}'".rstrip()
        else:
            written = _KEY.fullmatch(rest)
            key = written["key"] if written else None
            value = (written["value"] or "") if written else rest
        named = key is not None and not glued and _NAME.fullmatch(key) is not None

        opener, self.opener = self.opener, None
        last = self.last
        nested = opener is not None and (
            column > opener.column or (column == opener.column and bool(dashes) and not opener.item)
        )
        if not nested and self.levels and last is not None and column > last.column:
            # More indented than the key above: more of its text, or a key out of line.
            if last.value == "plain" and (dashes or not named):
                return None
            if not dashes and named and last.key is not None:
                return Mistake(
                    number,
                    _misaligned(key, column, _Level(last.column, False, last.line, last.key)),
                    certain=False,
                )
            raise _Lost
        if glued:
            return Mistake(number, glued, certain=True)
        if not nested and not dashes and key is None:
            if last is not None and last.key is not None and last.value == "plain":
                return Mistake(
                    number,
                    f"this line has no 'key:': if it goes on with the text of '{last.key}:' on "
                    f"line {last.line}, indent it more than '{last.key}:'",
                    certain=False,
                )
            if self.levels:
                raise _Lost
        if not nested and self.levels:
            item = bool(dashes)
            if not any(level.column == column and level.item == item for level in self.levels):
                root = self.levels[0]
                if column < root.column and not item and key is not None:
                    # The file's first key is the one out of line: top keys start at the margin.
                    return Mistake(
                        root.line,
                        f"'{root.key}:' is indented {_spaces(root.column)}, but the keys of a "
                        f"file start at the margin, like '{key}:' on line {number}: start it at "
                        "the margin",
                        certain=False,
                    )
                others = [level for level in self.levels if level.item == item]
                if not others:
                    raise _Lost
                near = min(others, key=lambda level: (abs(level.column - column), -level.column))
                return Mistake(number, _misaligned(key, column, near), certain=False)

        levels = [
            level
            for level in self.levels
            if level.column < column or (level.column == column and dashes and not level.item)
        ]
        levels += [_Level(at, True, number, "-") for at in dashes]
        if key is not None:
            levels.append(_Level(position, False, number, key))
        self.levels = levels
        self._value(number, key, position, value, dashes, opener if nested else None)
        return None

    def _value(
        self,
        number: int,
        key: str | None,
        position: int,
        value: str,
        dashes: list[int],
        opener: _Level | None,
    ) -> None:
        """Takes in what follows the key (or the '- '): where the next lines may go."""
        bare = _COMMENT.sub("", value).strip()
        if key is None and not dashes:  # a text on the lines under its key
            column = opener.column if opener is not None else position
            self.last = _Said(number, None, column, _value_kind(value))
            return
        column = position if key is not None else dashes[-1]
        if not bare:
            self.opener = _Level(column, key is None, number, key or "-")
            self.last = _Said(number, key, column, "open")
            return
        block = _BLOCK.fullmatch(bare)
        if block is not None and key is not None:
            self.block = _Block(key, block["sign"], number, position)
            self.last = _Said(number, key, column, "block")
            return
        if bare.startswith(_UNFOLLOWED):
            raise _Lost
        self.last = _Said(number, key, column, _value_kind(value))
