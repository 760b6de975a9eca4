"""Part of an option, or an option among other words: the last way a reply is read.

Two kinds of reply are read here:

- a whole phrase of the option with words around it: "tôi chọn chỉ mình tôi ạ", "chỉ có
  mình tôi" (one word slipped in), "chắc là công an gọi điện hỏi";
- a part of one option's phrase that tells it apart: "công an" for "Công an gọi điện hỏi"
  (or with one word's mark wrong beside a word typed right: "cộng an", "lừa đào"),
  "oppo" for "Android (Samsung, Oppo, Xiaomi…)", "điện thoại samsung". What tells an option
  apart is its words that not every option says and that are not function words ("tôi",
  "lại"): at least 4 letters of them, or all of them ("ở xa" for "Không, ở xa"), or its
  first one of 3 letters or more ("màu" for "Màu của mã QR", not "hỏi" for "Công an gọi
  điện hỏi"), or a name or abbreviation its author wrote in capitals ("QR", "ATM", "OTP").

Never when the reply asks ("công an hả?"), turns the answer around ("không phải công an"),
leaves out the no of the option ("kiểm tra" is not "Không cần kiểm tra"), turns around
other words than the option's no does ("không gọi công an" is not "Không bấm, gọi công an
xã"), or also names another option ("chỉ mình tôi và công an"): then it is no answer, or
two. Words the reply itself turns around name no other option ("không bấm link" is "Không
bấm, gọi công an xã", though "link" is in "Bấm vào link"), and a lone word that another
option also has, turned around ("bấm" for "Không bấm") or as a small word ("ban" for "Bạn
bè"), may be either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lessons.reading.question import Question, Wording
from lessons.reading.rivals import also_elsewhere, unsaid
from lessons.reading.text import Text, one_clause
from lessons.reading.typos import word_distance
from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import Word, fits
from lessons.reading.yesno import negated

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
    """Where in the reply an option's phrase was found, and the reply's other words; of
    those, `naming` may name another option (not those the reply turns around: "link" in
    "không bấm link")."""

    option: int
    start: int
    end: int
    extras: Phrase
    naming: Phrase
    slipped: bool = False  # a word was read with a wrong mark


def read_partial(reply: Text, question: Question) -> tuple[int, ...]:
    """The options the reply partly names: one, several (ambiguous), or none. A reply of
    several clauses that names nothing as a whole is read clause by clause: "gọi công an,
    không bấm" names the option "Không bấm, gọi công an xã" in each."""
    if reply.question:
        return ()
    found: set[int] = set()
    rivals: set[int] = set()
    for view, clauses in zip(reply.views, reply.clause_views, strict=True):
        start, end = answer_span(view)
        options, named = _read_words(view[start:end], clauses[start:end], question)
        found |= options
        rivals |= named
    if not found and len(set(reply.clauses)) > 1:
        return _by_clause(reply, question)
    if len(found) == 1:
        return tuple(sorted(found | rivals))
    return tuple(sorted(found))


def _by_clause(reply: Text, question: Question) -> tuple[int, ...]:
    """The one option that every clause of the reply names, if there is one."""
    named: set[tuple[int, ...]] = set()
    for clause in sorted(set(reply.clauses)):
        words = tuple(
            one for one, at in zip(reply.words, reply.clauses, strict=True) if at == clause
        )
        words = answer_part(words)
        if all(_function_word(one) and not _turns(one) for one in words):
            continue  # "dạ, ..." but not "không, công an"
        named.add(read_partial(one_clause(words), question))
    if len(named) != 1:
        return ()
    options = named.pop()
    return options if len(options) == 1 else ()


def _read_words(
    words: Phrase, clauses: Sequence[int], question: Question
) -> tuple[set[int], set[int]]:
    """The options these words name, and the other options their other words name."""
    if not words:
        return set(), set()
    plains = {one.plain for one in words}
    typos = max(len(one.plain) for one in words) >= MIN_TYPO_LETTERS
    turned = negated(words, clauses)
    hits = [
        hit
        for phrase in question.wordings
        if (typos and phrase.longest >= MIN_TYPO_LETTERS) or not plains.isdisjoint(phrase.plains)
        if (hit := _hit(words, clauses, turned, phrase, question)) is not None
    ]
    # A hit inside another option's wider hit is part of that one: "công an gọi" is
    # "Công an gọi điện hỏi", not "Công an".
    kept = [
        hit
        for hit in hits
        if not any(
            other.option != hit.option and not other.slipped and _wider(other, hit)
            for other in hits
        )
    ]
    options = {hit.option for hit in kept}
    rivals: set[int] = set()
    if len(options) == 1:
        for hit in kept:
            # In a yes/no question a no with the other option's words is no plain answer
            # ("không phải lừa đảo"); elsewhere what the reply turns around names nothing.
            extras = hit.naming if question.yes_no is None else hit.extras
            rivals |= _named_in(extras, question.wordings, question, skip=hit.option)
        rivals |= also_elsewhere(words, question, options) | unsaid(words, question, options)
    return options, rivals


def _hit(
    words: Phrase,
    clauses: Sequence[int],
    turned: frozenset[int],
    phrase: Wording,
    question: Question,
) -> Hit | None:
    return _around(words, clauses, turned, phrase, question) or _inside(
        words, clauses, turned, phrase, question
    )


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
    words: Phrase,
    clauses: Sequence[int],
    turned: frozenset[int],
    phrase: Wording,
    question: Question,
) -> Hit | None:
    if sum(question.weight(one) for one in phrase.words) < MIN_WEIGHT:
        return None
    span = around(words, phrase.words, clauses)
    if span is None:
        return None
    start, end, extras = span
    naming = tuple(one for i, one in enumerate(words) if not start <= i < end and i not in turned)
    return Hit(phrase.option, start, end, extras, naming)


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
    words: Phrase,
    clauses: Sequence[int],
    turned: frozenset[int],
    phrase: Wording,
    question: Question,
) -> Hit | None:
    """The reply's words found in the phrase, in order. Function words and forms of address
    may be left over, and up to two other words when what is found says enough ("điện
    thoại samsung"). A no in the phrase must be said ("kiểm tra" is not "Không cần kiểm
    tra"), and a no in the reply must turn around what the phrase's no does ("không bấm"
    for "Không bấm, gọi công an xã", not "không gọi công an")."""
    written = phrase.words
    weight = 0
    at = 0
    used: dict[int, int] = {}  # place in the phrase -> place in the reply
    extras: list[Word] = []
    naming: list[Word] = []
    slipped: int | None = None  # the place of a word read with a wrong mark
    for place, typed in enumerate(words):
        position = next((i for i in range(at, len(written)) if _matches(typed, written[i])), None)
        if position is None and slipped is None:
            position = next((i for i in range(at, len(written)) if _slip(typed, written[i])), None)
            slipped = None if position is None else place
        if position is None:
            if _turns(typed) and not _closes_no(words, place):
                return None
            extras.append(typed)
            if place not in turned:
                naming.append(typed)
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
    if not _same_no(words, turned, used, phrase):
        return None
    if slipped is not None and not any(
        place != slipped and question.weight(written[i]) > 0 for i, place in used.items()
    ):
        return None  # a word with a wrong mark is read only beside a word typed right
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
    return Hit(
        phrase.option,
        min(places),
        max(places) + 1,
        tuple(extras),
        tuple(naming),
        slipped is not None,
    )


def _slip(typed: Word, written: Word) -> bool:
    """Whether the typed word is the written one with a wrong mark, not another word the
    reader knows: "cộng" for "công", "lừa đào" for "lừa đảo"; not "tôi" for "tối"."""
    return (
        typed.plain == written.plain
        and not fits(typed, written)
        and not VIETNAMESE.marks_matter(typed, written)
    )


def _same_no(words: Phrase, turned: frozenset[int], used: dict[int, int], phrase: Wording) -> bool:
    """Whether the reply turns around the words the phrase does, and the word after each no
    of the reply is one of the phrase's ("không đọc mã" is not "Cúp máy, không đưa mã")."""
    if any((place in turned) != (i in phrase.turned) for i, place in used.items()):
        return False
    said = set(used.values())
    return all(
        place + 1 in said
        for place, one in enumerate(words[:-1])
        if place in said and VIETNAMESE.negators.has(one) and place + 1 in turned
    )


def _closes_no(words: Phrase, place: int) -> bool:
    """Whether the word closes a no said before it: "đâu" in "không bấm đâu"."""
    return VIETNAMESE.no_only.has(words[place]) and any(
        VIETNAMESE.negators.has(one) for one in words[:place]
    )


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
    """A no, a question word, or an "or" ("otp hay qr"): words around an option that make
    the reply something else than that option."""
    return (
        VIETNAMESE.negators.has(one)
        or VIETNAMESE.questions.has(one)
        or VIETNAMESE.alternatives.has(one)
    )


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
