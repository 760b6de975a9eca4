"""Reading a free-typed reply as one of a question's options.

Ways of reading, tried in this order; the first that finds anything decides, and where it
finds two options equally the reply is ambiguous and not read (asking again is better than
reading a wrong option):

1. exact: the reply is a phrase of an option once case, marks, spacing, punctuation, emoji,
   chat spellings and politeness at its edges are set aside ("dạ, CHỈ MINH TOI ạ");
2. number: the reply names an option by its place ("2", "số 2", "thứ hai", "câu b" where
   the labels are lettered); a place out of range is no option. Where a label is itself a
   number ("9 số" / "12 số") a number that is in a label is read as that label, and a
   number that is one option's place and another's label is ambiguous. A place followed by
   words ("2. Công an gọi…") is read when the words name that same option or nothing else;
3. yes/no: on a question whose two options are a yes and a no, a plain yes or no ("dạ
   vâng", "chả thấy đâu", "chưa thấy gì"); a hedge ("hình như thấy rồi", "chắc là xong") is
   not read at all;
4. typo: the reply is a phrase with a small typo (see `typos.py`); of two options within
   reach, the nearer wins only by 2 letters or more;
5. partial: part of one option, or an option among other words (see `partial.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from lessons.reading.index import Place, place
from lessons.reading.partial import read_partial
from lessons.reading.question import Question, pairs, question
from lessons.reading.text import Text, one_clause, read_text, readable
from lessons.reading.typos import distance
from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import fits
from lessons.reading.yesno import hedged, polarity_of

How = Literal["number", "exact", "yesno", "typo", "partial", "none", "ambiguous"]

# A typo reading wins over another option's only when it is this many letters nearer.
TYPO_MARGIN = 2


@dataclass(frozen=True)
class Reading:
    """What a reply was read as: `option` (0-based) or None; when ambiguous, `candidates`
    are the options that fit equally; `how` says which way it was read."""

    option: int | None
    candidates: tuple[int, ...]
    how: How

    @property
    def ambiguous(self) -> bool:
        return self.how == "ambiguous"


NOT_READ = Reading(None, (), "none")


def read_option(
    text: str,
    options: Sequence[Sequence[str]],
    *,
    numbered: bool = True,
    yes_no: bool = True,
) -> Reading:
    """Read `text` as one of `options`; `options[k]` is every phrase of option k, its label
    first. `numbered=False`: a number is not read as an option's place (command words);
    `yes_no=False`: no yes/no reading."""
    if not readable(text) or not options:
        return NOT_READ
    asked = question(options)
    reply = read_text(text, asked.context)
    if not reply.words:
        return NOT_READ
    return _read(reply, asked, numbered=numbered, yes_no=yes_no)


def _read(reply: Text, asked: Question, *, numbered: bool, yes_no: bool) -> Reading:
    exact = _exact(reply, asked)
    named = place(reply.numbers, letters=asked.letters)
    if named is not None and not named.rest:
        return _by_place(named, exact, asked, numbered=numbered)
    if exact:
        return _one(exact, "exact")
    if named is not None and numbered:
        found = _by_place_and_words(named, asked)
        if found is not None:
            return found
    if asked.yes_no is not None and hedged(reply, asked.context):
        return NOT_READ  # "hình như thấy rồi", "chắc là xong"
    if yes_no and asked.yes_no is not None:
        verdict = polarity_of(reply, asked.yes_no.echo, asked.said)
        if verdict is not None:
            return Reading(asked.yes_no.yes if verdict else asked.yes_no.no, (), "yesno")
    return _words_only(reply, asked, exact=exact)


def _words_only(reply: Text, asked: Question, *, exact: set[int] | None = None) -> Reading:
    """Exact, typo and partial readings: what words alone say."""
    found = _exact(reply, asked) if exact is None else exact
    if found:
        return _one(found, "exact")
    typo = _typo(reply, asked)
    if typo is not None:
        return typo
    partial = read_partial(reply, asked)
    return _one(set(partial), "partial") if partial else NOT_READ


def _one(options: set[int], how: How) -> Reading:
    if len(options) == 1:
        return Reading(next(iter(options)), (), how)
    return Reading(None, tuple(sorted(options)), "ambiguous")


@lru_cache(maxsize=1024)
def cores(words: Phrase) -> tuple[Phrase, ...]:
    """The reply, and the reply without politeness at its edges: "dạ có rồi ạ" is also
    "có rồi ạ", "dạ có rồi" and "có rồi"."""
    starts = [0]
    while starts[-1] < len(words) - 1 and VIETNAMESE.before.has(words[starts[-1]]):
        starts.append(starts[-1] + 1)
    ends = [len(words)]
    while ends[-1] > 1 and VIETNAMESE.after.has(words[ends[-1] - 1]):
        ends.append(ends[-1] - 1)
    return tuple(words[start:end] for start in starts for end in ends if start < end)


def _exact(reply: Text, asked: Question) -> set[int]:
    found: set[int] = set()
    for option, phrase in asked.phrases():
        if option in found:
            continue
        for mine, theirs in pairs(reply, phrase):
            if any(_equal(core, theirs) for core in cores(mine)):
                found.add(option)
                break
    return found


def _equal(typed: Phrase, written: Phrase) -> bool:
    return len(typed) == len(written) and all(
        fits(mine, theirs) for mine, theirs in zip(typed, written, strict=True)
    )


def _by_place(named: Place, exact: set[int], asked: Question, *, numbered: bool) -> Reading:
    """A reply that only names a place: "2", "số hai", "câu b"."""
    index = named.number - 1
    by_place = numbered and 0 <= index < len(asked.choices)
    labels = set(exact)
    if not labels and not named.by_letter:
        labels = _labels_with(str(named.number), asked)
    found = labels | ({index} if by_place else set())
    if not found:
        return NOT_READ
    if len(found) > 1:
        return Reading(None, tuple(sorted(found)), "ambiguous")
    option = found.pop()
    if by_place:
        return Reading(option, (), "number")
    return Reading(option, (), "exact" if option in exact else "partial")


def _labels_with(number: str, asked: Question) -> set[int]:
    """The options with this number in a phrase: written in digits ("Gọi 114"), or first
    ("12 số", "Ba lần"); not "3 tháng một lần" for 1."""
    return {
        option
        for option, phrase in asked.phrases()
        if any(one.plain == number for one in phrase.words)
        or (phrase.numbers and phrase.numbers[0].plain == number)
    }


def _by_place_and_words(named: Place, asked: Question) -> Reading | None:
    """A place followed by words: "2. Công an gọi điện hỏi", "1 chỉ mình tôi". Read when the
    words name the same option; ambiguous when they name another; else not read here."""
    index = named.number - 1
    if not 0 <= index < len(asked.choices) or _labels_with(str(named.number), asked):
        return None  # "3 tháng" where an option says "3 tháng một lần" is no place
    words = _words_only(one_clause(named.rest), asked)
    if words.option == index or (words.ambiguous and index in words.candidates):
        return Reading(index, (), "number")
    if words.option is not None:
        return Reading(None, tuple(sorted({index, words.option})), "ambiguous")
    return None


def _typo(reply: Text, asked: Question) -> Reading | None:
    nearest: dict[int, int] = {}
    for option, phrase in asked.phrases():
        for mine, theirs in pairs(reply, phrase):
            for core in cores(mine):
                wrong = distance(core, theirs)
                if wrong is not None and wrong < nearest.get(option, wrong + 1):
                    nearest[option] = wrong
    if not nearest:
        return None
    best = min(nearest.values())
    close = {option for option, wrong in nearest.items() if wrong - best < TYPO_MARGIN}
    return _one(close, "typo")
