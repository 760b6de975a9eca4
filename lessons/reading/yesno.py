"""A plain yes or no, and questions whose two options are a yes and a no.

A reply is a yes when it says only yes-words ("có", "dạ có ạ", "dc r", "ok rồi nhé"), a no
when it starts with a no-word, maybe with a few more words ("không", "ko dc", "chưa có đâu",
"ko thấy nút", "không cần"); "dạ", "vâng" and "ừ" before a no are politeness ("dạ chưa" is a
no). Anything else is neither: a hedge ("có lẽ", "chưa chắc"), a question ("có không",
"được chưa", "có?", "không sao"), "không biết" (I don't know, not a no), a yes and a no in
one breath ("không, có rồi"), or a yes with other words ("có thấy", "có gì").

Against a yes/no question the question's own words count too, those both options say and
those the no turns around: with "Thấy rồi" / "Chưa thấy", "ko thấy" is a no and "thấy"
alone a yes; with "Có rồi" / "Chưa cài", "cài rồi" is a yes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from lessons.reading.text import Text, read_text, read_written, readable
from lessons.reading.vocabulary import VIETNAMESE, Phrase
from lessons.reading.words import Word, fits

YES, NO, ECHO, NO_ONLY, OTHER = "yes", "no", "echo", "no only", "other"
# A no may go on with this many other words: "ko thấy nút", "không cần nữa".
MAX_WORDS_AFTER_NO = 3


def polarity(text: str, about: str = "") -> bool | None:
    """True for a plain yes, False for a plain no, None for anything else. `about` is what
    the question asks to do ("xóa hết dữ liệu"): its words said back are a yes ("xóa đi",
    "có xóa"), turned around a no ("không xóa", "đừng xóa"). A word that may be a yes or a
    no ("dung": "đúng" or "đừng") is neither: "dung xoa" is asked again."""
    if not readable(text):
        return None
    return polarity_of(read_text(text), _echo(about) if about else ())


@lru_cache(maxsize=256)
def _echo(about: str) -> Phrase:
    """The words of what a question asks to do that may be said back as a yes."""
    return tuple(
        one
        for one in read_written(about).words
        if not _yes_or_no_word(one) and not VIETNAMESE.stopwords.has(one, strict=True)
    )


@dataclass(frozen=True)
class _Item:
    kind: str
    clause: int
    acknowledges: bool = False


def polarity_of(
    text: Text, echo: Phrase = (), options: frozenset[str] = frozenset()
) -> bool | None:
    """`polarity` of a text already read, against a yes/no question: its `echo` words, and
    the plain words its `options` say, which a no may not go on with ("không cần hướng dẫn"
    is no plain no to "Chưa cài, cần hướng dẫn")."""
    if text.question:
        return None
    items = _items(text, echo, options)
    if items is None or not items:
        return None
    while len(items) > 1 and items[0].acknowledges:
        items.pop(0)
    verdicts: set[bool] = set()
    clause: list[_Item] = []
    for item in [*items, None]:
        if clause and (item is None or item.clause != clause[0].clause):
            verdict = _clause(clause)
            if verdict is None:
                return None
            verdicts.add(verdict)
            clause = []
        if item is not None:
            clause.append(item)
    return verdicts.pop() if len(verdicts) == 1 else None


def _clause(items: Sequence[_Item]) -> bool | None:
    first = items[0].kind
    if first == NO:
        others = sum(1 for item in items if item.kind == OTHER)
        return False if others <= MAX_WORDS_AFTER_NO else None
    if first in (YES, ECHO) and all(item.kind in (YES, ECHO) for item in items):
        return True
    return None


def _items(text: Text, echo: Phrase, options: frozenset[str]) -> list[_Item] | None:
    """The reply as yes, no, echo and other words, without the neutral ones; None when it
    asks, or says it is unsure ("không biết", "chưa chắc")."""
    words = text.words
    items: list[_Item] = []
    no_words: dict[int, Word] = {}  # the first no-word of each clause
    i = 0
    while i < len(words):
        clause = text.clauses[i] if i < len(text.clauses) else 0
        nothing = _nothing(words, i, no_words.get(clause))
        if nothing:
            items.append(_Item(NO_ONLY, clause))
            i += nothing
            continue
        own = VIETNAMESE.own_words.has(words[i], strict=True)
        yes = None if own else VIETNAMESE.yes.match(words, i)
        no = None if own else VIETNAMESE.no.match(words, i)
        if yes and no and yes[0] == no[0] and not _as_written(words, i, yes[0]):
            return None  # "dung": "đúng" or "đừng"
        if yes or no:
            if no is None or (yes is not None and yes[0] > no[0]):
                kind, length = YES, yes[0] if yes else 1
            else:
                kind, length = NO, no[0]
                no_words.setdefault(clause, words[i])
            acknowledges = length == 1 and VIETNAMESE.acknowledge.has(words[i])
            items.append(_Item(kind, clause, acknowledges=acknowledges))
            i += length
            continue
        one = words[i]
        if any(fits(one, shared) for shared in echo):
            items.append(_Item(ECHO, clause))
        elif VIETNAMESE.questions.has(one) or VIETNAMESE.uncertain.has(one):
            return None
        elif VIETNAMESE.no_only.has(one):
            items.append(_Item(NO_ONLY, clause))
        elif not (
            VIETNAMESE.neutral.has(one)
            or VIETNAMESE.address.has(one)
            or VIETNAMESE.acknowledge.has(one)
        ):
            if one.plain in options:
                return None
            items.append(_Item(OTHER, clause))
        i += 1
    return items


def _as_written(words: Phrase, start: int, length: int) -> bool:
    """Whether these words are typed with every mark of a yes or a no entry."""
    typed = words[start : start + length]
    return any(
        table.match(typed, strict=True) is not None for table in (VIETNAMESE.yes, VIETNAMESE.no)
    )


def _nothing(words: Phrase, i: int, no_word: Word | None) -> int:
    """How many words from `i` say "nothing at all" after a no ("gì cả" in "không thấy gì
    cả", "gì" in "chưa thấy gì"); 0 when they do not."""
    if no_word is None:
        return 0
    found = VIETNAMESE.nothing.match(words, i)
    if found is not None:
        return found[0]
    after = VIETNAMESE.nothing_after.has(no_word) and VIETNAMESE.nothing_alone.has(words[i])
    return 1 if after else 0


def hedged(text: Text, options: frozenset[str] = frozenset()) -> bool:
    """Whether a reply hedges ("hình như thấy rồi", "chắc xong rồi", "sắp xong"; not "chắc
    chắn", a yes, nor "chắc là", a filler), in words that are not the `options`' own ("gần"
    in "Có, ở gần")."""
    words = text.words
    i = 0
    while i < len(words):
        skip = VIETNAMESE.yes.match(words, i) or VIETNAMESE.fillers.match(words, i)
        hedge = None if skip else VIETNAMESE.hedges.match(words, i)
        if hedge and not all(one.plain in options for one in words[i : i + hedge[0]]):
            return True
        i += skip[0] if skip else 1
    return False


@dataclass(frozen=True)
class YesNo:
    """A question whose two options are a yes and a no; `echo` are the words both share."""

    yes: int
    no: int
    echo: Phrase


def yes_no_question(options: Sequence[Sequence[Text]]) -> YesNo | None:
    """Whether two options answer a yes/no question: one label starts with a no-word and
    the other with a yes-word ("Có rồi" / "Chưa có", "Đã cài" / "Chưa cài"), or is the
    same words without the no ("Biết" / "Không biết", "Thấy rồi" / "Chưa thấy"), or says
    the other's opposite ("Tôi nhớ rồi" / "Tôi quên rồi", see `opposites`)."""
    if len(options) != 2 or not all(options):
        return None
    labels = [phrases[0].words for phrases in options]
    starts_no = [bool(label) and _starts(label, no=True) for label in labels]
    opposite = _opposite(labels) if not any(starts_no) else None
    if opposite is not None:
        no, said = opposite
    elif starts_no.count(True) == 1:
        no, said = starts_no.index(True), ()
    else:
        return None
    yes = 1 - no
    if (
        opposite is None
        and not _starts(labels[yes], no=False)
        and (not _core(labels[yes]) or _core(labels[yes]) != _core(labels[no]))
    ):
        return None
    # The question's own words: what both options say ("thấy" in "Thấy rồi" / "Chưa thấy"),
    # and what the no turns around ("cài" in "Chưa cài").
    mine = {one for text in options[yes] for one in text.words}
    turned = [
        one
        for text in options[no]
        for i, one in enumerate(text.words)
        if i in negated(text.words, text.clauses)
    ]
    theirs = [one for text in options[no] for one in text.words if one in mine]
    echo = tuple(
        dict.fromkeys(
            one
            for one in (*theirs, *turned, *said)
            if not _yes_or_no_word(one) and not VIETNAMESE.stopwords.has(one, strict=True)
        )
    )
    return YesNo(yes, no, echo)


def _opposite(labels: Sequence[Phrase]) -> tuple[int, Phrase] | None:
    """Which of two labels is the other with a word turned into its opposite ("Tôi quên
    rồi" to "Tôi nhớ rồi"), and the word it turns around ("nhớ")."""
    for no, (mine, theirs) in enumerate(((labels[0], labels[1]), (labels[1], labels[0]))):
        differ = [(a, b) for a, b in zip(mine, theirs, strict=False) if a != b]
        if len(mine) != len(theirs) or len(differ) != 1:
            continue
        found = VIETNAMESE.opposites.match(differ[0][:1], strict=True)
        if found is not None and found[1] == differ[0][1]:
            return no, (differ[0][1],)
    return None


def _starts(words: Phrase, *, no: bool) -> bool:
    table = VIETNAMESE.label_no if no else VIETNAMESE.label_yes
    return bool(words) and table.match(words, 0, strict=True) is not None


def _yes_or_no_word(one: Word) -> bool:
    return any(
        table.has(one, strict=True)
        for table in (VIETNAMESE.yes, VIETNAMESE.no, VIETNAMESE.label_yes, VIETNAMESE.label_no)
    )


def _core(words: Phrase) -> tuple[str, ...]:
    return tuple(one.plain for one in words if not _yes_or_no_word(one))


def negated(words: Phrase, clauses: Sequence[int]) -> frozenset[int]:
    """The places of the words that a no before them in their clause turns around:
    "bấm" and "link" in "Xóa tin, không bấm link", nothing in "Không, ở xa"."""
    turned: set[int] = set()
    negator_clause: int | None = None
    for i, one in enumerate(words):
        clause = clauses[i] if i < len(clauses) else 0
        if negator_clause is not None and clause == negator_clause:
            turned.add(i)
        elif VIETNAMESE.negators.has(one, strict=True):
            negator_clause = clause
    return frozenset(turned)
