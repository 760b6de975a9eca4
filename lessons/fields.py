"""Reading the keys of one YAML mapping as the lesson format's types: text, true/false,
whole numbers, numbers and lists of text. A value of the wrong type becomes a problem that
names the key; the reader returns None for it and goes on, so one file reports all its
problems at once."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Mapping

from lessons.problems import Problem
from lessons.source import Map, Node, Scalar, Seq, describe

_WHOLE = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _not(node: Node, form: re.Pattern[str]) -> str:
    """The end of a message about a wrong number: "not 'năm'", or "without quotes"."""
    if isinstance(node, Scalar) and not node.plain and form.fullmatch(node.text.strip()):
        return "without quotes"
    return f"not {describe(node)}"


class Report:
    """The problems found in one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))


def clean_text(text: str) -> str:
    """Text as the bot will use it: without surrounding blank space, composed to NFC so that
    a label typed on a Mac (decomposed diacritics) compares equal to the same label typed
    elsewhere."""
    text = text.strip()
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def closest(word: str, choices: Collection[str]) -> str | None:
    matches = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def peek_text(node: Map, key: str) -> str | None:
    """The text of `key` if it is a plain one-line text, without reporting anything: to name
    a step or certificate by its id in messages before its id is checked."""
    entry = node.entries.get(key)
    if entry is None or not isinstance(entry.value, Scalar) or entry.value.null:
        return None
    text = clean_text(entry.value.text)
    return text if text and "\n" not in text else None


class Fields:
    """The keys of one mapping. `where` starts every message: "steps[3] (id 'cau-1')"."""

    def __init__(self, node: Map, report: Report, where: str = "") -> None:
        self.node = node
        self.report = report
        self.where = where
        self.guessed: set[str] = set()  # known keys suggested for unknown ones

    def problem(self, line: int, message: str) -> None:
        self.report.add(line, f"{self.where}: {message}" if self.where else message)

    def has(self, key: str) -> bool:
        return key in self.node.entries

    def line(self, key: str) -> int:
        """The line of `key`, or of the mapping when the key is absent."""
        entry = self.node.entries.get(key)
        return entry.line if entry is not None else self.node.line

    def value(self, key: str) -> Node | None:
        entry = self.node.entries.get(key)
        return entry.value if entry is not None else None

    def unknown_keys(
        self, known: Collection[str], noun: str, elsewhere: Mapping[str, str] | None = None
    ) -> None:
        """Reports every key not in `known`. `elsewhere` maps keys that belong to another kind
        of thing to the message that says so."""
        for key, entry in self.node.entries.items():
            if key in known:
                continue
            if elsewhere and key in elsewhere:
                self.problem(entry.line, elsewhere[key])
                continue
            guess = closest(key, known)
            if guess is not None:
                self.guessed.add(guess)
                self.problem(entry.line, f"{key!r} is not a key of {noun}; did you mean {guess!r}?")
            else:
                keys = ", ".join(known)
                self.problem(entry.line, f"{key!r} is not a key of {noun} (its keys: {keys})")

    def missing(self, key: str, why: str = "") -> None:
        """Reports a missing key, unless an unknown key was already taken for a typo of it."""
        if key not in self.guessed:
            self.problem(self.node.line, f"{key!r} is missing{why}")

    def text(self, key: str, *, required: bool = False) -> str | None:
        node = self.value(key)
        if node is None:
            if required:
                self.missing(key)
            return None
        return self.text_of(node, repr(key))

    def text_of(self, node: Node, name: str) -> str | None:
        """`name` is how messages call the value: "'title'", "answers[1]"."""
        if not isinstance(node, Scalar):
            self.problem(node.line, f"{name} must be text, not {describe(node)}")
            return None
        text = "" if node.null else clean_text(node.text)
        if not text:
            self.problem(node.line, f"{name} must not be empty")
            return None
        return text

    def flag(self, key: str) -> bool | None:
        node = self.value(key)
        if node is None:
            return None
        if isinstance(node, Scalar) and node.plain and node.text.lower() in ("true", "false"):
            return node.text.lower() == "true"
        if isinstance(node, Scalar) and node.text.lower() in ("true", "false"):
            self.problem(node.line, f"{key!r} must be true or false, without quotes")
        else:
            self.problem(node.line, f"{key!r} must be true or false, not {describe(node)}")
        return None

    def whole(self, key: str, minimum: int) -> int | None:
        node = self.value(key)
        if node is None:
            return None
        if isinstance(node, Scalar) and node.plain and _WHOLE.fullmatch(node.text):
            number = int(node.text)
            if number >= minimum:
                return number
        rule = f"a whole number of at least {minimum}"
        self.problem(node.line, f"{key!r} must be {rule}, {_not(node, _WHOLE)}")
        return None

    def number(self, key: str, rule: str) -> float | None:
        """A number, or None with "'key' must be {rule}, not …"; the caller checks its range."""
        node = self.value(key)
        if node is None:
            return None
        if isinstance(node, Scalar) and node.plain and _NUMBER.fullmatch(node.text):
            return float(node.text)
        self.problem(node.line, f"{key!r} must be {rule}, {_not(node, _NUMBER)}")
        return None

    def items(self, key: str, like: str = "like [a, b]") -> tuple[Node, ...] | None:
        """The items of a list; `like` shows what one is, in the message when it is not a list."""
        node = self.value(key)
        if node is None:
            return None
        if not isinstance(node, Seq):
            self.problem(node.line, f"{key!r} must be a list {like}, not {describe(node)}")
            return None
        return node.items

    def is_empty_list(self, key: str) -> bool:
        node = self.value(key)
        return isinstance(node, Seq) and not node.items

    def texts(self, key: str) -> tuple[tuple[str, int], ...] | None:
        """A list of texts, each with its line; None when absent or not a list. A wrong item
        is reported and left out."""
        items = self.items(key)
        if items is None:
            return None
        texts = []
        for index, item in enumerate(items):
            text = self.text_of(item, f"{key}[{index}]")
            if text is not None:
                texts.append((text, item.line))
        return tuple(texts)
