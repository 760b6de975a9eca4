"""Part of an option, or an option among other words: the last way a reply is read.

Two kinds of reply are read here:

- a phrase of the option with words around it: "tôi chọn chỉ mình tôi ạ", "chỉ có mình tôi"
  (one word slipped in), "chắc là công an gọi điện hỏi";
- a distinctive part of one option's phrase: "công an" for "Công an gọi điện hỏi", "oppo"
  for "Android (Samsung, Oppo, Xiaomi…)", as long as it carries at least 4 letters of words
  that not every option has and that are not function words ("tôi", "lại"), or all such
  words of the phrase ("ở xa" for "Không, ở xa").

Never when the reply asks ("công an hả?"), turns the answer around ("không phải công an"),
or also names another option ("chỉ mình tôi và công an"): then it is no answer, or two.
"""

from __future__ import annotations

from dataclasses import dataclass

from lessons.reading.question import Question
from lessons.reading.text import Text
from lessons.reading.typos import word_distance
from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import Word, fits

# Enough letters of distinctive words to single out an option ("minh", "cong an", "oppo").
MIN_WEIGHT = 4
# Words around a phrase beyond this many (not counting function words) are a sentence about
# something else.
MAX_EXTRA_WORDS = 4
# Words besides a part of a phrase: "điện thoại samsung", "máy oppo".
MAX_OTHER_WORDS = 2
# The first distinctive word of a phrase may single it out from this many letters ("màu").
HEAD_WEIGHT = 3


@dataclass(frozen=True)
class Hit:
    option: int
    start: int
    end: int
    extras: Phrase  # the reply's words that are not part of the option's phrase


def read_partial(reply: Text, question: Question) -> tuple[int, ...]:
    """The options the reply partly names: one, several (ambiguous), or none."""
    if reply.question:
        return ()
    found: set[int] = set()
    rivals: set[int] = set()
    for view in reply.views:
        words = answer_part(view)
        hits = [hit for hit in _hits(words, question) if hit is not None]
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
            (option,) = options
            for hit in kept:
                rivals |= _named_in(hit.extras, question, skip=option)
    if len(found) == 1:
        return tuple(sorted(found | rivals))
    return tuple(sorted(found))


def _hits(words: Phrase, question: Question) -> list[Hit | None]:
    hits: list[Hit | None] = []
    if not words:
        return hits
    for option, phrase in question.phrases():
        for theirs in phrase.views:
            hits.append(
                _around(words, theirs, option, question) or _inside(words, theirs, option, question)
            )
    return hits


def _wider(other: Hit, hit: Hit) -> bool:
    return (
        other.start <= hit.start
        and hit.end <= other.end
        and other.end - other.start > hit.end - hit.start
    )


def answer_part(words: Phrase) -> Phrase:
    """The reply without politeness at its edges and "tôi chọn", "chắc là"… before it."""
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
    return words[start:end]


def _matches(typed: Word, written: Word) -> bool:
    if fits(typed, written):
        return True
    if min(len(typed.plain), len(written.plain)) < 4:
        return False
    return word_distance(typed, written) is not None


def _around(words: Phrase, phrase: Phrase, option: int, question: Question) -> Hit | None:
    if sum(question.weight(one) for one in phrase) < MIN_WEIGHT:
        return None
    span = around(words, phrase)
    if span is None:
        return None
    start, end, extras = span
    return Hit(option, start, end, extras)


def around(words: Phrase, phrase: Phrase) -> tuple[int, int, Phrase] | None:
    """Where the whole phrase is inside the reply, with at most one word slipped in, and
    the words around it neither turn it around nor say much else: (start, end, extras)."""
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
            extras = words[:start] + words[at:] + ((words[slipped],) if slipped >= 0 else ())
            if _fine_extras(extras):
                return start, at, extras
    return None


def _inside(words: Phrase, phrase: Phrase, option: int, question: Question) -> Hit | None:
    """The reply's words found in the phrase, in order. Function words and forms of address
    may be left over, and up to two other words when what is found says enough ("điện
    thoại samsung"). A no in the phrase must be said ("kiểm tra" is not "Không cần kiểm
    tra")."""
    if not words:
        return None
    weight = 0
    at = 0
    used: set[int] = set()
    extras: list[Word] = []
    for typed in words:
        position = next((i for i in range(at, len(phrase)) if _matches(typed, phrase[i])), None)
        if position is None:
            if _turns(typed):
                return None
            extras.append(typed)
            continue
        weight += question.weight(phrase[position])
        used.add(position)
        at = position + 1
    if any(i not in used and _turns(one) for i, one in enumerate(phrase)):
        return None
    others = [one for one in extras if not _function_word(one)]
    if len(others) > MAX_OTHER_WORDS:
        return None
    if weight >= MIN_WEIGHT or (
        not others
        and (
            _all_distinctive(phrase, used, weight, question)
            or _head(phrase, used, weight, question)
        )
    ):
        return Hit(option, 0, len(words), tuple(extras))
    return None


def _function_word(one: Word) -> bool:
    return VIETNAMESE.stopwords.has(one) or VIETNAMESE.address.has(one)


def _all_distinctive(phrase: Phrase, used: set[int], weight: int, question: Question) -> bool:
    """Whether the reply says every distinctive word of the phrase, however short: "ở xa"
    for "Không, ở xa", "tối" for "Buổi tối"."""
    if weight < 2:
        return False
    return all(question.weight(one) == 0 for i, one in enumerate(phrase) if i not in used)


def _head(phrase: Phrase, used: set[int], weight: int, question: Question) -> bool:
    """Whether the reply says the first distinctive word of the phrase, of 3 letters or
    more: "màu" for "Màu của mã QR", "app" for "App ngân hàng" (not "hỏi" for "Công an gọi
    điện hỏi")."""
    if weight < HEAD_WEIGHT:
        return False
    head = next((i for i, one in enumerate(phrase) if question.weight(one) > 0), None)
    return head in used and len(phrase[head].plain) >= HEAD_WEIGHT if head is not None else False


def _turns(one: Word) -> bool:
    return VIETNAMESE.negators.has(one) or VIETNAMESE.questions.has(one)


def _fine_extras(extras: Phrase) -> bool:
    if any(_turns(one) for one in extras):
        return False
    content = [one for one in extras if not VIETNAMESE.stopwords.has(one)]
    return len(content) <= MAX_EXTRA_WORDS


def _named_in(extras: Phrase, question: Question, skip: int) -> set[int]:
    """Other options whose distinctive words the extra words say."""
    named: set[int] = set()
    for option, phrase in question.phrases():
        if option == skip:
            continue
        for written in (*phrase.words, *phrase.numbers):
            if question.weight(written) >= 3 and any(_matches(one, written) for one in extras):
                named.add(option)
    return named
