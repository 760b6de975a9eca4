"""The word lists of `vietnamese.yaml`, read once into tables that the reader looks words up in.

The lists live in a data file, not in code, so that a teacher can add a chat spelling or a
polite particle without reading Python, and so that every Vietnamese word keeps its marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Generic, TypeVar

import yaml

from lessons.reading.words import Word, same, word

V = TypeVar("V")
_MEMO_SIZE = 65536  # words remembered per table
Phrase = tuple[Word, ...]


def phrase(text: str) -> Phrase:
    """A table entry's words: "không phải" -> (Word("khong", ...), Word("phai", ...))."""
    return tuple(word(part) for part in text.split())


class Table(Generic[V]):
    """Words and runs of words, each with a value, found at a place in a reply.

    A learner's word matches an entry word when it `fits` it (typed without marks, or with
    the same marks); `strict=True` asks for equal words instead, for text that an author
    wrote (a label) rather than a learner typed."""

    def __init__(self, entries: Iterable[tuple[str, V]]) -> None:
        self._by_first: dict[str, list[tuple[Phrase, V]]] = {}
        self._has: dict[tuple[Word, bool], bool] = {}
        for text, value in entries:
            words = phrase(text)
            if words:
                self._by_first.setdefault(words[0].plain, []).append((words, value))
        for found in self._by_first.values():
            found.sort(key=lambda entry: -len(entry[0]))

    def match(
        self, words: Sequence[Word], start: int = 0, *, strict: bool = False
    ) -> tuple[int, V] | None:
        """The longest entry that the words from `start` on begin with: (its length, its
        value). Among entries of one length, one the words equal wins over one they fit:
        "hong" typed is the entry "hong", not "hông"."""
        if start >= len(words):
            return None
        found = self._by_first.get(words[start].plain)
        if not found:
            return None
        best: tuple[int, V] | None = None
        for entry, value in found:
            if best is not None and len(entry) < best[0]:
                break
            end = start + len(entry)
            if end > len(words):
                continue
            typed = words[start:end]
            if not all(same(t, w, strict=strict) for t, w in zip(typed, entry, strict=True)):
                continue
            if tuple(typed) == entry:
                return len(entry), value
            if best is None:
                best = (len(entry), value)
        return best

    def has(self, one: Word, *, strict: bool = False) -> bool:
        """Whether the word alone is an entry."""
        key = (one, strict)
        found = self._has.get(key)
        if found is None:
            found = self.match((one,), strict=strict) is not None
            if len(self._has) < _MEMO_SIZE:
                self._has[key] = found
        return found

    def values(self, one: Word, *, strict: bool = False) -> list[V]:
        """The values of every one-word entry the word matches ("mot" is both một and mốt)."""
        return [
            value
            for entry, value in self._by_first.get(one.plain, ())
            if len(entry) == 1 and same(one, entry[0], strict=strict)
        ]


def word_set(texts: Iterable[str]) -> Table[bool]:
    return Table((text, True) for text in texts)


# Kinds of number word, see `numbers.py`.
DIGIT = "digit"  # một, hai… chín, and không
LATE = "late"  # mốt, lăm, tư: only after a ten or a digit
TEN = "ten"  # mười, mươi, chục
HUNDRED = "hundred"  # trăm
SCALE = "scale"  # nghìn, triệu, tỷ
ZERO = "zero"  # linh, lẻ: một trăm linh năm
HALF = "half"  # rưỡi: hai trăm rưỡi


@dataclass(frozen=True)
class Vietnamese:
    """Every list of `vietnamese.yaml`, as tables."""

    spellings: Table[tuple[Phrase, ...]]
    emoji: dict[str, str]
    before: Table[bool]
    after: Table[bool]
    address: Table[bool]
    fillers: Table[bool]
    stopwords: Table[bool]
    negators: Table[bool]
    questions: Table[bool]
    alternatives: Table[bool]
    yes: Table[bool]
    no: Table[bool]
    own_words: Table[bool]
    acknowledge: Table[bool]
    neutral: Table[bool]
    no_only: Table[bool]
    uncertain: Table[bool]
    nothing: Table[bool]
    nothing_after: Table[bool]
    nothing_alone: Table[bool]
    hedges: Table[bool]
    opposites: Table[Word]
    label_yes: Table[bool]
    label_no: Table[bool]
    numbers: Table[tuple[str, int]]
    index_before: Table[bool]
    ordinal: Table[bool]
    ordinals: Table[int]
    first: Table[int]

    def marks_matter(self, typed: Word, written: Word) -> bool:
        """Whether a typed word with other marks than a written one is another word rather
        than a slip: the typed word is one of these lists' ("tôi" is no "tối" mistyped,
        "dừng" no "đúng"), or the written word is a yes, a no or a number ("cò rồi" is not
        "có rồi", "bà" not "ba")."""
        typed_tables: tuple[Table[Any], ...] = (
            self.before,
            self.after,
            self.address,
            self.stopwords,
            self.negators,
            self.questions,
            self.yes,
            self.no,
            self.acknowledge,
            self.neutral,
            self.own_words,
            self.numbers,
        )
        written_tables: tuple[Table[Any], ...] = (
            self.yes,
            self.no,
            self.label_yes,
            self.label_no,
            self.negators,
            self.own_words,
            self.numbers,
        )
        return any(table.has(typed) for table in typed_tables) or any(
            table.has(written, strict=True) for table in written_tables
        )


def _strings(data: dict[str, Any], key: str) -> list[str]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"vietnamese.yaml: {key} must be a list of words")
    return value


def _spellings(data: dict[str, Any]) -> Table[tuple[Phrase, ...]]:
    entries: list[tuple[str, tuple[Phrase, ...]]] = []
    for meaning, typed in data["spellings"].items():
        entries.extend((spelling, (phrase(str(meaning)),)) for spelling in typed)
    for spelling, meanings in data["ambiguous"].items():
        entries.append((spelling, tuple(phrase(str(meaning)) for meaning in meanings)))
    return Table(entries)


def _numbers(data: dict[str, Any]) -> Table[tuple[str, int]]:
    numbers = data["numbers"]
    entries: list[tuple[str, tuple[str, int]]] = []
    entries += [(text, (DIGIT, int(value))) for text, value in numbers["digits"].items()]
    entries += [(text, (LATE, int(value))) for text, value in numbers["late"].items()]
    entries += [(text, (TEN, int(value))) for text, value in numbers["ten"].items()]
    entries += [(text, (HUNDRED, 100)) for text in numbers["hundred"]]
    entries += [(text, (SCALE, int(value))) for text, value in numbers["scales"].items()]
    entries += [(text, (ZERO, 0)) for text in numbers["zero"]]
    entries += [(text, (HALF, 5)) for text in numbers["half"]]
    return Table(entries)


def parse(data: dict[str, Any]) -> Vietnamese:
    """The tables of a loaded `vietnamese.yaml`."""
    index = data["index"]
    particles = data["particles"]
    nothing = data["nothing"]
    return Vietnamese(
        spellings=_spellings(data),
        emoji={str(key): str(value) for key, value in data["emoji"].items()},
        before=word_set(particles["before"]),
        after=word_set(particles["after"]),
        address=word_set(_strings(data, "address")),
        fillers=word_set(_strings(data, "fillers")),
        stopwords=word_set(_strings(data, "stopwords")),
        negators=word_set(_strings(data, "negators")),
        questions=word_set(_strings(data, "questions")),
        alternatives=word_set(_strings(data, "alternatives")),
        yes=word_set(_strings(data, "yes")),
        no=word_set(_strings(data, "no")),
        own_words=word_set(_strings(data, "own_words")),
        acknowledge=word_set(_strings(data, "acknowledge")),
        neutral=word_set(_strings(data, "neutral")),
        no_only=word_set(_strings(data, "no_only")),
        uncertain=word_set(_strings(data, "uncertain")),
        nothing=word_set(_strings(nothing, "always")),
        nothing_after=word_set(_strings(nothing, "after")),
        nothing_alone=word_set(_strings(nothing, "alone")),
        hedges=word_set(_strings(data, "hedges")),
        opposites=Table((str(text), word(str(value))) for text, value in data["opposites"].items()),
        label_yes=word_set(_strings(data, "label_yes")),
        label_no=word_set(_strings(data, "label_no")),
        numbers=_numbers(data),
        index_before=word_set(part for text in index["before"] for part in text.split()),
        ordinal=word_set(index["ordinal"]),
        ordinals=Table((text, int(value)) for text, value in index["ordinals"].items()),
        first=Table((text, 1) for text in index["first"]),
    )


def load() -> Vietnamese:
    text = resources.files("lessons.reading").joinpath("vietnamese.yaml").read_text("utf-8")
    return parse(yaml.safe_load(text))


VIETNAMESE = load()
