"""Small typos: how many letters a reply is away from a phrase, when it is near enough.

A phrase of up to 3 letters must be typed exactly, one of 4–7 letters may have 1 letter
wrong, 8–14 letters 2, longer 3 (a swap of two letters counts as one). Word by word: a word
of up to 3 letters may only miss or gain a letter ("co roii"), not change one ("có" is not
"cô", "ko" is not "co") unless it is one of 3 words or more ("chi minh toj"); a word typed
alone with marks that make it another word is no typo of it ("dừng" is not "đúng"), but a
tone left out is ("tiêp"); in a phrase a wrong mark is a typo ("chỉ mịnh tôi"), unless it
makes a word the reader knows ("cò rồi" is not "có rồi"); a number is never a typo of
another ("157" is not "156"). A missing or extra space costs one ("chimình tôi").
"""

from __future__ import annotations

from rapidfuzz.distance import OSA

from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import Word, fits, mark_conflicts, tone_left_out

_WORDS_FOR_SHORT_TYPOS = 3


def tolerance(letters: int) -> int:
    """How many letters may be wrong in a phrase of this many letters."""
    if letters <= 3:
        return 0
    if letters <= 7:
        return 1
    if letters <= 14:
        return 2
    return 3


def distance(typed: Phrase, written: Phrase) -> int | None:
    """The number of letters wrong, or None when the reply is not a small typo of the
    phrase."""
    letters = sum(len(one.plain) for one in written)
    limit = tolerance(letters)
    if limit == 0 or not typed:
        return None
    if abs(sum(len(one.plain) for one in typed) - letters) > limit:
        return None
    if len(typed) == len(written):
        total = 0
        long_phrase = len(written) >= _WORDS_FOR_SHORT_TYPOS
        for mine, theirs in zip(typed, written, strict=True):
            wrong = word_distance(
                mine, theirs, in_phrase=len(written) > 1, in_long_phrase=long_phrase
            )
            if wrong is None:
                return None
            total += wrong
        return total if total <= limit else None
    if abs(len(typed) - len(written)) > 2 or _numbers(typed) != _numbers(written):
        return None
    run_together = OSA.distance(
        "".join(one.plain for one in typed),
        "".join(one.plain for one in written),
        score_cutoff=limit,
    )
    wrong = int(run_together) + 1
    return wrong if wrong <= limit else None


def word_distance(
    typed: Word, written: Word, *, in_phrase: bool = False, in_long_phrase: bool = False
) -> int | None:
    """Letters wrong between two words, or None when one is no typo of the other. A word
    of 3 letters may have one changed only inside a phrase of 3 words or more, where the
    other words make the reading safe ("chi minh toj")."""
    if typed.plain == written.plain:
        if fits(typed, written):
            return 0
        # Alone, only the tone left out ("tiêp" for "tiếp") is a typo: other marks make
        # another word ("dùng" is not "dừng"). In a phrase, whose other words hold the
        # reading, a wrong mark costs one letter each ("chỉ mịnh tôi"), unless the marks
        # make a word of the vocabulary ("cò rồi" is not "có rồi").
        short = len(typed.plain) <= 3 and not in_phrase
        if tone_left_out(typed, written) and not short:
            return 1
        if in_phrase and not VIETNAMESE.marks_matter(typed, written):
            return mark_conflicts(typed, written)
        return None
    if typed.has_digit or written.has_digit:
        return None
    longest = max(len(typed.plain), len(written.plain))
    limit = 1 if longest <= 7 else 2
    wrong = int(OSA.distance(typed.plain, written.plain, score_cutoff=limit))
    if wrong > limit:
        return None
    changed_short_word = longest <= 3 and len(typed.plain) == len(written.plain)
    if changed_short_word and not (in_long_phrase and longest == 3):
        return None
    wrong += mark_conflicts(typed, written)
    return wrong if wrong <= limit else None


def _numbers(words: Phrase) -> list[str]:
    return [one.plain for one in words if one.has_digit]
