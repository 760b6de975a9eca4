"""Part of an option, or an option among other words: the last way a reply is read.

Two kinds of reply are read here:

- a whole phrase of the option with words around it: "tôi chọn chỉ mình tôi ạ", "chỉ có
  mình tôi" (one word slipped in), "chắc là công an gọi điện hỏi";
- a part of one option's phrase that tells it apart: "công an" for "Công an gọi điện hỏi",
  "oppo" for "Android (Samsung, Oppo, Xiaomi…)", "điện thoại samsung". What tells an option
  apart is its words that not every option says and that are not function words ("tôi",
  "lại"): at least 4 letters of them, or all of them ("ở xa" for "Không, ở xa"), or its
  first one of 3 letters or more ("màu" for "Màu của mã QR", not "hỏi" for "Công an gọi
  điện hỏi"), or a name or abbreviation its author wrote in capitals ("QR", "ATM", "OTP").

Never when the reply asks ("công an hả?"), turns the answer around ("không phải công an"),
leaves out the no of the option ("kiểm tra" is not "Không cần kiểm tra"), or also names
another option ("chỉ mình tôi và công an"): then it is no answer, or two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lessons.reading.question import Question, Wording
from lessons.reading.text import Text
from lessons.reading.typos import word_distance
from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import Word, fits

# Enough letters of distinctive words to single out an option ("minh", "cong an", "oppo").
MIN_WEIGHT = 4
# The first distinctive word of a phrase may single it out from this many letters ("màu").
HEAD_WEIGHT = 3
# Words around a whole phrase beyond this many (not counting function words) are a
# sentence about something else.
MAX_EXTRA_WORDS = 4
# Words besides a part of a phrase: "điện thoại samsung", "máy oppo".
MAX_OTHER_WORDS = 2
# A word of this many letters or more may be matched with a typo ("samsum").
MIN_TYPO_LETTERS = 5


@dataclass(frozen=True)
class Hit:
    """Where in the reply an option's phrase was found, and the reply's other words."""

    option: int
    start: int
    end: int
    extras: Phrase


def read_partial(reply: Text, question: Question) -> tuple[int, ...]:
    """The options the reply partly names: one, several (ambiguous), or none."""
    if reply.question:
        return ()
    phrases = question.wordings
    found: set[int] = set()
    rivals: set[int] = set()
    for view, clauses in zip(reply.views, reply.clause_views, strict=True):
        start, end = answer_span(view)
        words, word_clauses = view[start:end], clauses[start:end]
        if not words:
            continue
        plains = {one.plain for one in words}
        typos = max(len(one.plain) for one in words) >= MIN_TYPO_LETTERS
        hits = [
            hit
            for phrase in phrases
            if (typos and phrase.longest >= MIN_TYPO_LETTERS)
            or not plains.isdisjoint(phrase.plains)
            if (hit := _hit(words, word_clauses, phrase, question)) is not None
        ]
        # A hit inside another option's wider hit is part of that one: "công an gọi" is
        # "Công an gọi điện hỏi", not "Công an".
        kept = [
            hit
            for hit in hits
            if not any(other.option != hit.option and _wider(other, hit) for other in hits)
        ]
        options = {hit.option for hit in kept}
        found |= options
        if len(options) == 1:
            for hit in kept:
                rivals |= _named_in(hit.extras, phrases, question, skip=hit.option)
    if len(found) == 1:
        return tuple(sorted(found | rivals))
    return tuple(sorted(found))


def _hit(words: Phrase, clauses: Sequence[int], phrase: Wording, question: Question) -> Hit | None:
    return _around(words, clauses, phrase, question) or _inside(words, clauses, phrase, question)


def _wider(other: Hit, hit: Hit) -> bool:
    return (
        other.start <= hit.start
        and hit.end <= other.end
        and other.end - other.start > hit.end - hit.start
    )


def answer_span(words: Phrase) -> tuple[int, int]:
    """Where the answer is in a reply: without politeness at its edges and without "tôi
    chọn", "chắc là"… before it."""
    start, end = 0, len(words)
    while end > start and VIETNAMESE.after.has(words[end - 1]):
        end -= 1
    while start < end:
        filler = VIETNAMESE.fillers.match(words[:end], start)
        if filler is not None:
            start += filler[0]
        elif VIETNAMESE.before.has(words[start]):
            start += 1
        else:
            break
    return start, end


def answer_part(words: Phrase) -> Phrase:
    start, end = answer_span(words)
    return words[start:end]


def _matches(typed: Word, written: Word) -> bool:
    if fits(typed, written):
        return True
    if min(len(typed.plain), len(written.plain)) < MIN_TYPO_LETTERS:
        return False
    return word_distance(typed, written) is not None


def _around(
    words: Phrase, clauses: Sequence[int], phrase: Wording, question: Question
) -> Hit | None:
    if sum(question.weight(one) for one in phrase.words) < MIN_WEIGHT:
        return None
    span = around(words, phrase.words, clauses)
    if span is None:
        return None
    start, end, extras = span
    return Hit(phrase.option, start, end, extras)


def around(
    words: Phrase, phrase: Phrase, clauses: Sequence[int] = ()
) -> tuple[int, int, Phrase] | None:
    """Where the whole phrase is inside the reply, in one clause, with at most one word
    slipped in, and the words around it neither turn it around nor say much else:
    (start, end, extras)."""
    if not phrase:
        return None
    for start in range(len(words) - len(phrase) + 1):
        if not _matches(words[start], phrase[0]):
            continue
        at, slipped = start + 1, -1
        for written in phrase[1:]:
            if at < len(words) and _matches(words[at], written):
                at += 1
            elif slipped < 0 and at + 1 < len(words) and _matches(words[at + 1], written):
                slipped, at = at, at + 2
            else:
                break
        else:
            if clauses and clauses[start] != clauses[at - 1]:
                continue
            extras = words[:start] + words[at:] + ((words[slipped],) if slipped >= 0 else ())
            if _fine_extras(extras):
                return start, at, extras
    return None


def _inside(
    words: Phrase, clauses: Sequence[int], phrase: Wording, question: Question
) -> Hit | None:
    """The reply's words found in the phrase, in order. Function words and forms of address
    may be left over, and up to two other words when what is found says enough ("điện
    thoại samsung"). A no in the phrase must be said ("kiểm tra" is not "Không cần kiểm
    tra")."""
    written = phrase.words
    weight = 0
    at = 0
    used: dict[int, int] = {}  # place in the phrase -> place in the reply
    extras: list[Word] = []
    for place, typed in enumerate(words):
        position = next((i for i in range(at, len(written)) if _matches(typed, written[i])), None)
        if position is None:
            if _turns(typed):
                return None
            extras.append(typed)
            continue
        weight += question.weight(written[position])
        used[position] = place
        at = position + 1
    if not used or len({clauses[place] for place in used.values()}) > 1:
        return None
    if any(i in phrase.turned for i in used) and not any(
        VIETNAMESE.negators.has(written[i], strict=True) for i in used
    ):
        return None
    others = [one for one in extras if not _function_word(one)]
    if len(others) > MAX_OTHER_WORDS:
        return None
    enough = weight >= MIN_WEIGHT or (
        not others
        and (_all_distinctive(written, used, weight, question) or _head(written, used, question))
    )
    if not enough:
        return None
    places = used.values()
    return Hit(phrase.option, min(places), max(places) + 1, tuple(extras))


def _function_word(one: Word) -> bool:
    return VIETNAMESE.stopwords.has(one) or VIETNAMESE.address.has(one)


def _distinctive(one: Word, question: Question) -> bool:
    return question.weight(one) > 0 and not VIETNAMESE.negators.has(one, strict=True)


def _all_distinctive(phrase: Phrase, used: dict[int, int], weight: int, question: Question) -> bool:
    """Whether the reply says every distinctive word of the phrase, however short: "ở xa"
    for "Không, ở xa", "tối" for "Buổi tối"."""
    distinctive = [i for i, one in enumerate(phrase) if _distinctive(one, question)]
    return weight >= 2 and bool(distinctive) and all(i in used for i in distinctive)


def _head(phrase: Phrase, used: dict[int, int], question: Question) -> bool:
    """Whether the reply says the phrase's first distinctive word, of 3 letters or more."""
    head = next((i for i, one in enumerate(phrase) if _distinctive(one, question)), None)
    return head is not None and head in used and len(phrase[head].plain) >= HEAD_WEIGHT


def _turns(one: Word) -> bool:
    return VIETNAMESE.negators.has(one) or VIETNAMESE.questions.has(one)


def _fine_extras(extras: Phrase) -> bool:
    if any(_turns(one) for one in extras):
        return False
    content = [one for one in extras if not _function_word(one)]
    return len(content) <= MAX_EXTRA_WORDS


def _named_in(
    extras: Phrase, phrases: Sequence[Wording], question: Question, skip: int
) -> set[int]:
    """Other options whose distinctive words (not turned around) the extra words say."""
    named: set[int] = set()
    for phrase in phrases:
        if phrase.option == skip or phrase.option in named:
            continue
        for i, written in enumerate(phrase.words):
            if (
                i not in phrase.turned
                and question.weight(written) >= HEAD_WEIGHT
                and any(_matches(one, written) for one in extras)
            ):
                named.add(phrase.option)
                break
    return named
