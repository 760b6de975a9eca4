"""An option named by its place: "2", "số 2", "câu 2", "bài số 4", "dòng 2", "2.", "hai",
"thứ hai", "câu thứ hai", "chọn đáp án số 2 ạ", "cái đầu tiên", or by its letter ("b", "câu
B") where the options are lettered. The words that may stand before a place are in
`vietnamese.yaml` (`index: before`).

The reference may be followed by more words ("2. Công an gọi điện hỏi"); those are handed
back as `rest` for the caller to check against the option they name.
"""

from __future__ import annotations

from dataclasses import dataclass

from lessons.reading.numbers import kind
from lessons.reading.vocabulary import LATE, VIETNAMESE, Phrase
from lessons.reading.words import Word

# More digits than this is a number, not an option's place.
_MAX_PLACE_DIGITS = 3


@dataclass(frozen=True)
class Place:
    """The 1-based place a reply names (possibly out of range), how it was said, and the
    words after it with closing particles removed."""

    number: int
    by_letter: bool
    rest: Phrase


def place(words: Phrase, *, letters: int = 0) -> Place | None:
    """The place the reply starts by naming, if it does. `words` is the reply read with
    numbers as digits; `letters` is how many options are lettered (a, b, c…), 0 when not."""
    i = 0
    while i < len(words) and (
        VIETNAMESE.index_before.has(words[i]) or VIETNAMESE.before.has(words[i])
    ):
        if letters and _letter(words[i], letters):
            break  # where options are lettered, "a" is the letter, not the particle "à"
        i += 1
    ordinal = i < len(words) and VIETNAMESE.ordinal.has(words[i])
    if ordinal:
        i += 1
    if i >= len(words):
        return None
    one = words[i]
    length = 1
    number: int | None = None
    by_letter = False
    if one.is_number:
        number = int(one.plain) if len(one.plain) <= _MAX_PLACE_DIGITS else 0
    elif letters and (letter := _letter(one, letters)):
        number, by_letter = letter, True
    elif ordinal and (named := VIETNAMESE.ordinals.match(words, i)):
        length, number = named
    elif ordinal and (piece := kind(one)) and piece[0] == LATE:
        number = piece[1]
    elif first := VIETNAMESE.first.match(words, i):
        length, number = first
    if number is None:
        return None
    return Place(number, by_letter, _closing(words[i + length :]))


def _letter(one: Word, letters: int) -> int:
    if not one.bare or len(one.plain) != 1:
        return 0
    number = ord(one.plain) - ord("a") + 1
    return number if 1 <= number <= letters else 0


def _closing(words: Phrase) -> Phrase:
    """The words after the place without closing particles and forms of address ("2 nhé",
    "số 2 bác ạ")."""
    end = len(words)
    while end > 0 and (
        VIETNAMESE.after.has(words[end - 1]) or VIETNAMESE.address.has(words[end - 1])
    ):
        end -= 1
    return words[:end]
