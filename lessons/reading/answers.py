"""Free answers: whether a reply says one of a quiz's accepted answers.

```yaml
  - id: cau-2
    quiz: Muốn báo cuộc gọi lừa đảo, bác nhắn tin đến tổng đài số mấy?
    answers: ["156", "một năm sáu"]
```

A number answer is said by digits or words, whole or digit by digit, alone or among words
that do not turn it around: "156", "1 5 6", "một năm sáu", "mot nam sau", "một trăm năm
mươi sáu", "tổng đài 156 ạ". Never by another number ("157", "1560"), by two ("156 hay
157"), or with a no ("không phải 156"). A word answer is said exactly (read as tolerantly as
an option), with a small typo, or among other words ("vào CH Play ạ").
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from lessons.reading.options import cores
from lessons.reading.partial import answer_part, around
from lessons.reading.question import pairs
from lessons.reading.text import Text, plain_words, read_text, read_written, readable
from lessons.reading.typos import distance
from lessons.reading.vocabulary import VIETNAMESE
from lessons.reading.words import fits

# A word answer shorter than this must be said exactly or with a typo, not among words.
MIN_LETTERS_AMONG_WORDS = 4


def read_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether `text` says one of `answers`."""
    if not readable(text) or not answers:
        return False
    accepted = _accepted(tuple(str(answer) for answer in answers))
    reply = read_text(text, plain_words(accepted))
    if not reply.words:
        return False
    for answer in accepted:
        number = _number(answer)
        if number is not None:
            if _says_number(reply, number):
                return True
        elif _says_words(reply, answer):
            return True
    return False


@lru_cache(maxsize=512)
def _accepted(answers: tuple[str, ...]) -> tuple[Text, ...]:
    return tuple(text for text in map(read_written, answers) if text.words)


def _number(answer: Text) -> str | None:
    """The answer's digits when it is only a number ("156", "một năm sáu", "1.000")."""
    if answer.numbers and all(one.is_number for one in answer.numbers):
        return "".join(one.plain for one in answer.numbers)
    return None


def _says_number(reply: Text, number: str) -> bool:
    words = reply.numbers
    if any(VIETNAMESE.negators.has(one) for one in words):
        return False
    # Digits typed one by one ("1 5 6") are one number; "15 6" is two.
    runs: list[str] = []
    previous_digit = False
    for one in words:
        digit = one.is_number and len(one.plain) == 1
        if one.is_number and digit and previous_digit:
            runs[-1] += one.plain
        elif one.is_number:
            runs.append(one.plain)
        previous_digit = digit
    return runs == [number]


def _says_words(reply: Text, answer: Text) -> bool:
    for mine, theirs in pairs(reply, answer):
        for core in cores(mine):
            if len(core) == len(theirs) and all(map(fits, core, theirs)):
                return True
            if distance(core, theirs) is not None:
                return True
        letters = sum(len(one.plain) for one in theirs)
        if (
            letters >= MIN_LETTERS_AMONG_WORDS
            and not reply.question
            and around(answer_part(mine), theirs) is not None
        ):
            return True
    return False
