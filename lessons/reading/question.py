"""A question's options, read once: every phrase of every option as words, whether the
options are lettered, which words every option shares, and whether they answer yes or no.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from lessons.reading.text import Text, plain_words, read_written
from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import Word, word
from lessons.reading.yesno import YesNo, negated, yes_no_question

NEGATOR_WEIGHT = 2
# A name or an abbreviation ("QR", "OTP", "iPhone") weighs enough to single out its option.
NAME_WEIGHT = 4

# "A. Chỉ mình tôi", "b) Công an", "(C) Ngân hàng", "1. Có": a label that starts by naming
# its own place.
_LETTERED = re.compile(r"^\s*[(\[]?([A-Za-z])\s*[.)\]:/-]\s*(?=\S)")
_NUMBERED = re.compile(r"^\s*[(\[]?(\d{1,2})\s*[.)\]:/]\s+(?=\S)")
_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Wording:
    """One reading of one phrase of option `option`: its words, the clause of each, and
    the places of the words a no turns around."""

    option: int
    words: Phrase
    clauses: tuple[int, ...]
    turned: frozenset[int]
    plains: frozenset[str] = frozenset()  # its plain words, to pass over it quickly
    longest: int = 0  # letters in its longest word


@dataclass(frozen=True)
class Question:
    """`choices[k]` holds the phrases of option k, read. `letters` is the number of options
    when their labels are lettered a, b, c… in order, else 0. `said` holds the plain words
    the options say (not those they turn around: "cài" in "Chưa cài"); `shared` those that
    every option says: they do not tell options apart."""

    choices: tuple[tuple[Text, ...], ...]
    letters: int
    context: frozenset[str]
    shared: frozenset[str]
    said: frozenset[str]
    yes_no: YesNo | None
    wordings: tuple[Wording, ...] = ()
    names: frozenset[str] = frozenset()
    _weights: dict[Word, int] = field(default_factory=dict, compare=False, repr=False)

    def weight(self, one: Word) -> int:
        """How much a word of an option's phrase tells that option apart: nothing for a
        word every option has or a function word, 2 for a no ("không bấm"), 4 for a number,
        at least 4 for a name ("QR"), else its length."""
        found = self._weights.get(one)
        if found is None:
            found = self._weigh(one)
            self._weights[one] = found
        return found

    def _weigh(self, one: Word) -> int:
        if one.plain in self.shared:
            return 0
        if VIETNAMESE.negators.has(one, strict=True):
            return NEGATOR_WEIGHT
        if VIETNAMESE.stopwords.has(one, strict=True):
            return 0
        if one.plain in self.names:
            return max(NAME_WEIGHT, len(one.plain))
        return 4 if one.has_digit else len(one.plain)

    def phrases(self) -> Iterator[tuple[int, Text]]:
        for option, texts in enumerate(self.choices):
            for text in texts:
                yield option, text


def pairs(reply: Text, phrase: Text) -> Iterator[tuple[Phrase, Phrase]]:
    """The readings of a reply and a phrase to compare: words with words, digits with
    digits (the second only where either differs from its words)."""
    yield reply.words, phrase.words
    if reply.numbers != reply.words or phrase.numbers != phrase.words:
        yield reply.numbers, phrase.numbers


def question(options: Sequence[Sequence[str]]) -> Question:
    return _question(tuple(tuple(str(phrase) for phrase in option) for option in options))


@lru_cache(maxsize=512)
def _question(options: tuple[tuple[str, ...], ...]) -> Question:
    labels = [option[0] if option else "" for option in options]
    letters = len(options) if _in_order(labels, _LETTERED, _letter_number) else 0
    numbered = _in_order(labels, _NUMBERED, int)
    choices: list[tuple[Text, ...]] = []
    for option in options:
        phrases = [phrase for phrase in option if phrase.strip()]
        if phrases and (letters or numbered):
            pattern = _LETTERED if letters else _NUMBERED
            phrases.insert(1, pattern.sub("", phrases[0], count=1))
        texts = tuple(text for text in map(read_written, phrases) if text.words)
        choices.append(texts)
    names = frozenset(name for option in options for phrase in option for name in _names(phrase))
    every = [plain_words(texts) for texts in choices]
    said = [_said(texts) for texts in choices]
    shared = frozenset.intersection(*said) if len(said) > 1 else frozenset()
    return Question(
        choices=tuple(choices),
        letters=letters,
        context=frozenset().union(*every),
        shared=shared,
        said=frozenset().union(*said),
        yes_no=yes_no_question(choices),
        wordings=tuple(
            Wording(
                option,
                words,
                clauses,
                negated(words, clauses),
                frozenset(one.plain for one in words),
                max((len(one.plain) for one in words), default=0),
            )
            for option, texts in enumerate(choices)
            for text in texts
            for words, clauses in zip(text.views, text.clause_views, strict=True)
        ),
        names=names,
    )


def _names(phrase: str) -> Iterator[str]:
    """The names and abbreviations an author wrote in capitals inside a phrase ("QR", "OTP",
    "VNeID", "iPhone"), as plain words; none where the whole phrase is in capitals."""
    phrase = unicodedata.normalize("NFC", phrase)
    if phrase.isupper():
        return
    for letters in _LETTERS.findall(phrase):
        capitals = sum(1 for ch in letters if ch.isupper())
        if len(letters) >= 2 and (capitals >= 2 or letters[1:] != letters[1:].lower()):
            yield word(letters).plain


def _said(texts: Sequence[Text]) -> frozenset[str]:
    """The plain words an option says, not counting those it turns around ("xong" is not
    said by "Chưa xong")."""
    found: set[str] = set()
    for text in texts:
        for view, clauses in zip(text.views, text.clause_views, strict=True):
            turned = negated(view, clauses)
            found.update(one.plain for i, one in enumerate(view) if i not in turned)
    return frozenset(found)


def _letter_number(letter: str) -> int:
    return ord(letter.lower()) - ord("a") + 1


def _in_order(
    labels: Sequence[str], pattern: re.Pattern[str], number: Callable[[str], int]
) -> bool:
    if len(labels) < 2:
        return False
    for place, label in enumerate(labels, start=1):
        found = pattern.match(label)
        if found is None or number(found.group(1)) != place:
            return False
    return True
