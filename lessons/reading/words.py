"""How a typed word is seen: its letters without marks, its tone, and its other marks.

Vietnamese folds many words onto the same letters (có, cô, cỏ; đúng, dừng, dùng; ba, bà).
Learners type with every mark, with none, or with some. A `Word` keeps the letters and the
marks apart, so that a word typed without marks can stand for any word with those letters,
while a word typed with marks only stands for words whose marks agree: "bà" is not "ba"
(three), "đúng" (right) is not "dừng" (stop). Where the tone mark sits does not matter
("hoà" and "hòa" are one word), nor whether the text came composed (NFC) or decomposed (NFD).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# The five tone marks, by their Telex letters, and the marks that change a letter.
TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
SHAPES = {"\u0302": "^", "\u0306": "(", "\u031b": "+"}
STROKE = "-"  # the bar of đ
PLAIN = "."  # a letter with no shape mark

# A word: letters and digits, with any combining marks that a decomposed text carries.
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
_DIGITS_OR_NOT = re.compile(r"\d+|\D+")
_CLAUSE_MARKS = frozenset(",.;!\u2026\n")  # with the ellipsis
_QUESTION_MARKS = ("?", "\uff1f")
_THOUSANDS = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")  # 1.000.000 is one number
_THOUSAND_K = re.compile(r"(?<=\d)k\b")  # 50k is 50 000


@dataclass(frozen=True, slots=True)
class Word:
    """One word. `plain` is lower case without marks (đ becomes d); `tone` is the Telex
    letter of its tone mark or "" (none typed, or the level tone of a written word);
    `shape` has one character per letter of `plain` (".", "^", "(", "+" or "-" for đ), or is
    "" when the word has no such mark."""

    plain: str
    tone: str = ""
    shape: str = ""

    @property
    def bare(self) -> bool:
        """Typed without any mark: it may stand for any word with these letters."""
        return not self.tone and not self.shape

    @property
    def is_number(self) -> bool:
        return self.plain.isascii() and self.plain.isdigit()

    @property
    def has_digit(self) -> bool:
        # Text is split where digits meet letters, so a word is digits or has none.
        return self.plain[:1].isdigit()


@lru_cache(maxsize=16384)
def word(token: str) -> Word:
    """The `Word` a token of text stands for: "Được" -> Word("duoc", "j", "-++.")."""
    letters: list[str] = []
    shape: list[str] = []
    tone = ""
    for ch in unicodedata.normalize("NFKD", token.casefold()):
        if ch in TONES:
            tone = TONES[ch]
        elif ch in SHAPES:
            if shape:
                shape[-1] = SHAPES[ch]
        elif unicodedata.combining(ch):
            continue
        elif ch == "\u0111":  # d with a bar
            letters.append("d")
            shape.append(STROKE)
        else:
            letters.append(ch)
            shape.append(PLAIN)
    marks = "".join(shape)
    return Word("".join(letters), tone, marks if marks.strip(PLAIN) else "")


def fits(typed: Word, written: Word) -> bool:
    """Whether a word as a learner typed it can be the written word. Same letters, and:
    a word typed without marks fits any ("khong" fits "không"); a learner who types a tone
    or a vowel mark types them all, so they must all agree ("bà" is not "ba", "hỏng" is not
    "hổng", "tôi" is not "tối"), except the bar of đ, often left out ("dúng" fits "đúng");
    a word typed with only the bar fits the words with that bar ("đung" fits "đúng", not
    "dừng")."""
    if typed.plain != written.plain:
        return False
    if typed.bare:
        return True
    return not _shape_conflict(typed, written) and not _tone_conflict(typed, written)


def _vowels_typed(typed: Word) -> bool:
    return bool(typed.tone) or any(mark not in (PLAIN, STROKE) for mark in typed.shape)


def _tone_conflict(typed: Word, written: Word) -> bool:
    return _vowels_typed(typed) and typed.tone != written.tone


def tone_left_out(typed: Word, written: Word) -> bool:
    """The typed word is the written one with its tone mark left out: "tiêp" for "tiếp"."""
    return (
        typed.plain == written.plain
        and not typed.tone
        and bool(written.tone)
        and not _shape_conflict(typed, written)
    )


def _shape_conflict(typed: Word, written: Word) -> bool:
    mine = typed.shape or PLAIN * len(typed.plain)
    theirs = written.shape or PLAIN * len(written.plain)
    vowels_typed = _vowels_typed(typed)
    for a, b in zip(mine, theirs, strict=False):
        if a == STROKE:
            if b != STROKE:
                return True
        elif vowels_typed and a != (PLAIN if b == STROKE else b):
            return True
    return False


def same(typed: Word, written: Word, *, strict: bool) -> bool:
    """`fits`, or equality when both are written text (a lesson's label against a table)."""
    return typed == written if strict else fits(typed, written)


def mark_conflicts(typed: Word, written: Word) -> int:
    """How many kinds of mark (tone, shape) the typed word has that the written one does not
    share: a typo that also changes a mark is farther from the word ("dùngg" vs "dừng")."""
    if typed.bare:
        return 0
    tone = 1 if _tone_conflict(typed, written) else 0
    return tone + (1 if _shape_conflict(typed, written) else 0)


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of text between spaces and punctuation, and the clause it is in (a comma, a
    full stop or an exclamation mark starts a new clause: "không, có rồi" has two)."""

    text: str
    clause: int


def tokens(text: str) -> list[Token]:
    """The words of a text in order; digits and letters written together are split
    ("số2" -> "số", "2"), punctuation and emoji dropped."""
    text = unicodedata.normalize("NFC", text)
    if any(ch.isdigit() for ch in text):
        text = _THOUSAND_K.sub("000", _THOUSANDS.sub("", text.casefold()))
    found: list[Token] = []
    clause = 0
    end = 0
    for match in _WORD.finditer(text):
        if found and any(ch in _CLAUSE_MARKS for ch in text[end : match.start()]):
            clause += 1
        end = match.end()
        for piece in _DIGITS_OR_NOT.findall(match.group()):
            found.append(Token(piece, clause))
    return found


def is_question(text: str) -> bool:
    return any(mark in text for mark in _QUESTION_MARKS)
