"""A question's options, read once: every phrase of every option as words, whether the
options are lettered, which words every option shares, and whether they answer yes or no.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from lessons.reading.text import Text, plain_words, read_written
from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import Word
from lessons.reading.yesno import YesNo, yes_no_question

NEGATOR_WEIGHT = 2

# "A. Chỉ mình tôi", "b) Công an", "(C) Ngân hàng", "1. Có": a label that starts by naming
# its own place.
_LETTERED = re.compile(r"^\s*[(\[]?([A-Za-z])\s*[.)\]:/-]\s*(?=\S)")
_NUMBERED = re.compile(r"^\s*[(\[]?(\d{1,2})\s*[.)\]:/]\s+(?=\S)")


@dataclass(frozen=True)
class Question:
    """`choices[k]` holds the phrases of option k, read. `letters` is the number of options
    when their labels are lettered a, b, c… in order, else 0. `shared` holds the plain words
    that every option has: they do not tell options apart."""

    choices: tuple[tuple[Text, ...], ...]
    letters: int
    context: frozenset[str]
    shared: frozenset[str]
    yes_no: YesNo | None

    def weight(self, one: Word) -> int:
        """How much a word of an option's phrase tells that option apart: nothing for a
        word every option has or a function word, 2 for a no ("không bấm"), 4 for a number,
        else its length."""
        if one.plain in self.shared:
            return 0
        if VIETNAMESE.negators.has(one, strict=True):
            return NEGATOR_WEIGHT
        if VIETNAMESE.stopwords.has(one, strict=True):
            return 0
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
    every = [plain_words(texts) for texts in choices]
    shared = frozenset.intersection(*every) if len(every) > 1 else frozenset()
    return Question(
        choices=tuple(choices),
        letters=letters,
        context=frozenset().union(*every),
        shared=shared,
        yes_no=yes_no_question(choices),
    )


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
