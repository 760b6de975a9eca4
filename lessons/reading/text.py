"""A reply, a label or an answer read into words: the one canonical form every comparison uses.

Reading a text: emoji that say something become words (👍 is "ok"), every other emoji and
all punctuation go, case and Unicode form stop mattering, chat spellings are expanded
("ko dc r" is "không được rồi"), and number words get a second reading as digits. A learner's
reply is read against its question: an ambiguous spelling takes the meaning the options use
("mk" is "mật khẩu" in a question about passwords, "mình" elsewhere).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeGuard

from lessons.reading.numbers import digits
from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import Word, is_question, tokens, word

# Longer replies are not answers to a question: they are not read at all, which also keeps
# reading cheap whatever a learner pastes. Characters as the learner sees them (composed, NFC):
# a decomposed "ạ" is one, not two, so that the form a phone sends does not change a reading.
MAX_REPLY_CHARS = 200
# No character takes more code points than this decomposed: a longer text is too long in
# any form, without composing it.
_MAX_CODE_POINTS = 4 * MAX_REPLY_CHARS


def readable(text: object) -> TypeGuard[str]:
    """Whether `text` is a reply to read: text of at most MAX_REPLY_CHARS characters, once
    composed (NFC)."""
    if not isinstance(text, str):
        return False
    if len(text) <= MAX_REPLY_CHARS:
        return True
    if len(text) > _MAX_CODE_POINTS:
        return False
    return len(unicodedata.normalize("NFC", text)) <= MAX_REPLY_CHARS


@dataclass(frozen=True)
class Text:
    """A text read into words. `words` keeps number words as words; `numbers` reads them as
    digits ("mười hai số" -> "12 so"). `clauses` gives the clause of each of `words`;
    `question` is whether the text asks ("?")."""

    words: Phrase
    numbers: Phrase
    clauses: tuple[int, ...] = ()
    number_clauses: tuple[int, ...] = ()
    question: bool = False

    @property
    def views(self) -> tuple[Phrase, ...]:
        """The readings to compare: the words, and the digits when they differ."""
        return (self.words,) if self.numbers == self.words else (self.words, self.numbers)

    @property
    def clause_views(self) -> tuple[tuple[int, ...], ...]:
        """The clause of each word of each of `views`."""
        if self.numbers == self.words:
            return (self.clauses,)
        return (self.clauses, self.number_clauses)


def one_clause(words: Phrase) -> Text:
    """Words already read, as a text of one clause."""
    return Text(words, words, (0,) * len(words), (0,) * len(words))


def read_text(text: str, context: frozenset[str] = frozenset(), *, written: bool = False) -> Text:
    """Read `text`. `context` holds the plain words of the question's options, to choose
    among the meanings of an ambiguous spelling. `written`: the text is a lesson's own
    (a label, an `also` phrase, an accepted answer), whose marks are meant, and whose
    ambiguous spellings are left as written."""
    if not text.isascii():
        for emoji, meaning in VIETNAMESE.emoji.items():
            if emoji in text:
                text = text.replace(emoji, f" {meaning} ")
    found = [(word(token.text), token.clause) for token in tokens(text)]
    found = [(one, clause) for one, clause in found if one.plain]
    words, clauses = _expand(found, context, written)
    numbers, number_clauses = digits(words, clauses, strict=written)
    return Text(
        tuple(words), tuple(numbers), tuple(clauses), tuple(number_clauses), is_question(text)
    )


def _expand(
    found: list[tuple[Word, int]], context: frozenset[str], written: bool
) -> tuple[list[Word], list[int]]:
    typed = [one for one, _ in found]
    words: list[Word] = []
    clauses: list[int] = []
    i = 0
    while i < len(typed):
        match = VIETNAMESE.spellings.match(typed, i, strict=written)
        if match is None:
            words.append(typed[i])
            clauses.append(found[i][1])
            i += 1
            continue
        length, meanings = match
        chosen = _meaning(tuple(typed[i : i + length]), meanings, context, written)
        words.extend(chosen)
        clauses.extend([found[i][1]] * len(chosen))
        i += length
    return words, clauses


def _meaning(
    spelled: Phrase, meanings: tuple[Phrase, ...], context: frozenset[str], written: bool
) -> Phrase:
    if written:
        # A lesson's text keeps what its author wrote unless the spelling means one thing
        # and is no single letter ("Phím R" is no "rồi").
        one_meaning = len(meanings) == 1 and sum(len(one.plain) for one in spelled) > 1
        return meanings[0] if one_meaning else spelled
    if context:
        if all(one.plain in context for one in spelled):
            return spelled
        for meaning in meanings:
            if all(one.plain in context for one in meaning):
                return meaning
    return meanings[0]


def plain_words(texts: Iterable[Text]) -> frozenset[str]:
    """Every plain word of these texts, in both readings: the context of a question."""
    return frozenset(one.plain for text in texts for view in text.views for one in view)


@lru_cache(maxsize=4096)
def read_written(text: str) -> Text:
    """A lesson's own text, read once."""
    return read_text(text, written=True)


def normalize(text: str) -> str:
    """The canonical form of a text: lower case, no marks (đ is d, "hoà" and "hòa" are
    "hoa"), no punctuation or emoji (but 👍 is "ok"), single spaces, chat spellings
    expanded, and number words that form a number as digits.

    >>> normalize("Dạ, KO ĐC rồi ạ!!")
    'da khong duoc roi a'
    >>> normalize("một trăm năm mươi sáu")
    '156'

    A word typed with marks that make it another word is not read as a number: "ba" is 3,
    "bà" stays "ba"."""
    return " ".join(one.plain for one in read_text(text).numbers)
