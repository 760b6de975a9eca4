"""Fuzzing the reply reader (lessons/reading) with Hypothesis.

- Nothing a learner can send makes it raise: control characters, runs of emoji or combining
  marks, right-to-left text, lone surrogates, 10 000 characters.
- Garbage is never read: words that are no word of the reader's vocabulary nor of the
  options (nor near one), and no number in range, are no option, no answer, no yes or no.
- Reading does not depend on case, on the spaces and punctuation around a reply, or on its
  Unicode form (NFC or NFD).
- `confirms` is never a yes when the reply holds a word of `words.hold`, typed without marks.
- The work stays bounded: a reply over MAX_REPLY_CHARS is not even split into words.

The options and answers are the product's own (content/lessons) and those of
tests/data/replies.yaml, whose replies are the seeds of the invariance tests.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

import lessons.reading.text
from bot.content import load_content
from lessons.reading import Reading, normalize, polarity, read_answer, read_option
from lessons.reading.confirm import confirms, ends_asking
from lessons.reading.text import MAX_REPLY_CHARS, read_text
from lessons.reading.typos import tolerance
from lessons.reading.vocabulary import VIETNAMESE
from lessons.reading.words import tokens, word
from support.fuzz import examples

REPO = Path(__file__).resolve().parents[1]
CONTENT = load_content(REPO / "content")
TABLE: dict[str, Any] = yaml.load(
    (REPO / "tests" / "data" / "replies.yaml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader
)
VOCABULARY_FILE = REPO / "lessons" / "reading" / "vietnamese.yaml"

# Every question's options (every phrase of each), and every quiz's accepted answers.
QUESTIONS: list[list[list[str]]] = [
    [list(option.phrases) for option in step.options]
    for lesson in CONTENT.lessons.values()
    for step in lesson.steps
    if getattr(step, "options", None)
] + [question["options"] for question in TABLE["questions"].values()]
ANSWERS: list[list[str]] = [
    list(step.answers)
    for lesson in CONTENT.lessons.values()
    for step in lesson.steps
    if getattr(step, "answers", None)
] + [quiz["answers"] for quiz in TABLE["answers"].values()]
HOLD = list(CONTENT.messages.words("words.hold"))
YES = [CONTENT.messages.text("buttons.delete_yes"), *CONTENT.messages.words("words.delete_yes")]
ASKING = list(CONTENT.messages.words("words.asking"))


def plain(text: str) -> str:
    """`text` as typed without marks: "để sau" -> "de sau"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# -- 1. nothing makes it raise ------------------------------------------------------------------

_RUNS = [
    "👍", "🙏🏻", "👨‍👩‍👧", "🇻🇳", "\u0301", "a\u0301\u0323", "\u202e", "ا", "שלום ", "\x00",
    "\x1b[31m", "\r\n", "\ufeff", "\ud800", "1", "9", "một ", "không ", "ờ", "?", ",", "…", " ",
]  # fmt: skip
_any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
TEXTS = st.one_of(
    _any_text,
    # runs of one thing: emoji, combining marks, right-to-left, control characters, digits
    st.builds(lambda run, n: run * n, st.sampled_from(_RUNS), st.integers(1, 5000)),
    # around the limit, and far over it
    st.builds(
        lambda text, size: (text * (size // max(1, len(text)) + 1))[:size],
        _any_text.filter(bool),
        st.sampled_from([MAX_REPLY_CHARS - 1, MAX_REPLY_CHARS, MAX_REPLY_CHARS + 1, 10_000]),
    ),
)
ANY_OPTIONS = st.lists(
    st.lists(st.text(max_size=30), min_size=1, max_size=3), min_size=1, max_size=5
)


def check_reading(reading: Reading, options: Sequence[Sequence[str]]) -> None:
    assert isinstance(reading, Reading)
    assert reading.option is None or 0 <= reading.option < len(options)
    assert all(0 <= one < len(options) for one in reading.candidates)
    assert (reading.option is None) or not reading.candidates


@settings(max_examples=examples(1))
@given(TEXTS, st.one_of(st.sampled_from(QUESTIONS), ANY_OPTIONS), st.booleans(), st.booleans())
def test_read_option_never_raises(
    text: str, options: list[list[str]], numbered: bool, yes_no: bool
) -> None:
    check_reading(read_option(text, options, numbered=numbered, yes_no=yes_no), options)


@settings(max_examples=examples(1))
@given(TEXTS, st.one_of(st.sampled_from(ANSWERS), st.lists(st.text(max_size=30), max_size=3)))
def test_read_answer_never_raises(text: str, answers: list[str]) -> None:
    assert read_answer(text, answers) in (True, False)


@settings(max_examples=examples(1))
@given(TEXTS, st.one_of(st.just(""), st.sampled_from(YES), st.text(max_size=40)))
def test_polarity_and_normalize_never_raise(text: str, about: str) -> None:
    assert polarity(text) in (True, False, None)
    assert polarity(text, about) in (True, False, None)
    normalized = normalize(text)
    assert isinstance(normalized, str)
    assert normalized == normalized.strip() and "  " not in normalized


@settings(max_examples=examples(1))
@given(TEXTS)
def test_confirms_and_ends_asking_never_raise(text: str) -> None:
    assert confirms(text, yes=YES, hold=HOLD) in (True, False, None)
    assert ends_asking(text, ASKING) in (True, False)


# -- 2. garbage is never read -------------------------------------------------------------------


def _scalars(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _scalars(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _scalars(inner)
    elif value is not None:
        yield str(value)


def plain_words(texts: Iterator[str] | Sequence[str]) -> frozenset[str]:
    """The plain words of `texts`, in both readings (as words, and as digits)."""
    found: set[str] = set()
    for text in texts:
        read = read_text(text)
        found.update(one.plain for view in read.views for one in view)
        found.update(word(token.text).plain for token in tokens(text))
    return frozenset(found)


# Every word the reader knows something about: chat spellings, number words, politeness,
# yes and no words...
VOCABULARY = plain_words(
    list(_scalars(yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))))
)

# Letters, or a number of three digits or more (letters and digits together are split).
GARBAGE_WORD = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10),
    st.integers(min_value=100, max_value=10**12).map(str),
)
GARBAGE = st.builds(
    lambda words, gaps: "".join(one + gap for one, gap in zip(words, gaps, strict=False)),
    st.lists(GARBAGE_WORD, min_size=1, max_size=4),
    st.lists(st.sampled_from([" ", "  ", ", ", ". ", " - ", "! "]), min_size=4, max_size=4),
)


def near(mine: str, theirs: str, margin: int) -> bool:
    """Whether `mine` is within the reader's typo tolerance of `theirs`, and `margin` more."""
    return OSA.distance(mine, theirs) <= tolerance(len(theirs)) + margin


def garbage_for(reply: str, phrases: Sequence[str], count: int) -> bool:
    """Whether `reply` is garbage for these option phrases (or answers): none of its words is
    a word of the vocabulary or of the phrases, or near one; nor is the whole reply near a
    phrase; no letter alone; no number from 1 to `count`."""
    theirs = plain_words(phrases)
    for token in tokens(reply):
        mine = word(token.text).plain
        if mine.isdigit():
            if 1 <= int(mine) <= count or mine in theirs or mine.lstrip("0") in theirs:
                return False
            continue
        if len(mine) < 2 or mine in VOCABULARY or any(near(mine, one, 1) for one in theirs):
            return False
    letters = "".join(ch for ch in plain(reply).lower() if ch.isalnum())
    return not any(
        near(letters, "".join(ch for ch in plain(one).lower() if ch.isalnum()), 1)
        for one in phrases
    )


@settings(max_examples=examples(1))
@given(GARBAGE, st.sampled_from(QUESTIONS))
def test_garbage_is_no_option(reply: str, options: list[list[str]]) -> None:
    assume(garbage_for(reply, [one for option in options for one in option], len(options)))
    reading = read_option(reply, options)
    assert reading == Reading(None, (), "none"), (reply, options, reading)


@settings(max_examples=examples(1))
@given(GARBAGE, st.sampled_from(ANSWERS))
def test_garbage_is_no_answer_and_no_yes_or_no(reply: str, answers: list[str]) -> None:
    assume(garbage_for(reply, [*answers, *YES, *HOLD], 0))
    assert read_answer(reply, answers) is False, (reply, answers)
    assert polarity(reply) is None, reply
    assert confirms(reply, yes=YES, hold=HOLD) is None, reply


# -- 3. invariant under case, the edges and the Unicode form ------------------------------------

OPTION_ROWS = [
    (name, reply) for name, question in TABLE["questions"].items() for reply in question["replies"]
]
ANSWER_ROWS = [
    (name, reply) for name, quiz in TABLE["answers"].items() for reply in quiz["replies"]
]
POLARITY_ROWS = list(TABLE["polarity"])

# Vietnamese-looking text of any length up to the limit: words of the options and of the
# replies, with marks, numbers, and the reader's own words.
_POOL = sorted(
    {
        part
        for text in [
            *(reply for _, reply in OPTION_ROWS),
            *(one for options in QUESTIONS for option in options for one in option),
            *POLARITY_ROWS,
        ]
        for part in text.split()
    }
)
WORDS = st.lists(st.sampled_from(_POOL), min_size=1, max_size=60).map(
    lambda words: " ".join(words)[: MAX_REPLY_CHARS - 10]
)
# Around a reply: spaces and punctuation, none that asks ("?") or says something (emoji).
EDGES = st.text(" \t\n\u00a0\u3000.,!…-\"'()*~:;«»“”", max_size=5)


def repeated(reply: str, times: int) -> str:
    """`reply` said `times` times ("vâng ạ vâng ạ …"), within MAX_REPLY_CHARS - 10 characters
    once composed: long replies that still read as something."""
    room = MAX_REPLY_CHARS - 10
    size = len(unicodedata.normalize("NFC", reply)) + 1
    return " ".join([reply] * max(1, min(times, room // size)))


REPEATS = st.integers(min_value=1, max_value=MAX_REPLY_CHARS)


def flip_case(text: str, flips: list[bool]) -> str:
    return "".join(
        (ch.upper() if flip else ch.lower())
        for ch, flip in zip(text, flips + [False] * len(text), strict=False)
    )


@st.composite
def variants(draw: st.DrawFn, text: str) -> str:
    """`text` in other case, with other spaces and punctuation around it, in NFC or NFD."""
    changed = text
    case = draw(st.sampled_from(["same", "upper", "lower", "flip"]))
    if case == "upper":
        changed = changed.upper()
    elif case == "lower":
        changed = changed.lower()
    elif case == "flip":
        changed = flip_case(changed, draw(st.lists(st.booleans(), max_size=len(changed))))
    changed = draw(EDGES) + changed + draw(EDGES)
    form = draw(st.sampled_from(["NFC", "NFD", "NFKC", None]))
    if form is not None and (form != "NFKC" or changed.isascii()):
        changed = unicodedata.normalize(form, changed)
    return changed


def same_reading(read: Callable[[str], object], text: str, data: st.DataObject) -> None:
    assume(len(unicodedata.normalize("NFC", text)) <= MAX_REPLY_CHARS - 10)
    other = data.draw(variants(text))
    assert read(other) == read(text), (text, other)


@settings(max_examples=examples(1))
@given(st.sampled_from(OPTION_ROWS), st.one_of(st.just(1), REPEATS), st.data())
def test_options_read_alike_in_any_case_edges_and_form(
    row: tuple[str, str], times: int, data: Any
) -> None:
    name, reply = row
    question = TABLE["questions"][name]

    def read(text: str) -> Reading:
        return read_option(
            text,
            question["options"],
            numbered=question.get("numbered", "true") == "true",
            yes_no=question.get("yes_no", "true") == "true",
        )

    same_reading(read, repeated(reply, times), data)


@settings(max_examples=examples(1))
@given(WORDS, st.sampled_from(QUESTIONS), st.data())
def test_any_words_read_alike_in_any_case_edges_and_form(
    text: str, options: list[list[str]], data: Any
) -> None:
    same_reading(lambda one: read_option(one, options), text, data)
    same_reading(lambda one: read_answer(one, ["156", "một năm sáu"]), text, data)
    same_reading(polarity, text, data)
    same_reading(lambda one: confirms(one, yes=YES, hold=HOLD), text, data)


@settings(max_examples=examples(1))
@given(st.sampled_from(ANSWER_ROWS), st.one_of(st.just(1), REPEATS), st.data())
def test_answers_read_alike_in_any_case_edges_and_form(
    row: tuple[str, str], times: int, data: Any
) -> None:
    name, reply = row
    answers = TABLE["answers"][name]["answers"]
    same_reading(lambda text: read_answer(text, answers), repeated(reply, times), data)


@settings(max_examples=examples(1))
@given(st.sampled_from(POLARITY_ROWS), st.one_of(st.just(1), REPEATS), st.data())
def test_polarity_and_normalize_alike_in_any_case_edges_and_form(
    reply: str, times: int, data: Any
) -> None:
    said = repeated(reply, times)
    same_reading(polarity, said, data)
    same_reading(normalize, said, data)
    same_reading(lambda text: confirms(text, yes=YES, hold=HOLD), said, data)


# -- 4. a word of words.hold is never a yes -----------------------------------------------------

_AROUND = st.lists(
    st.one_of(
        st.sampled_from([*YES, *HOLD, "có", "ok", "dạ", "vâng", "đồng ý", "xóa", "hết", "luôn"]),
        st.sampled_from(_POOL),
    ),
    max_size=4,
)


@settings(max_examples=examples(2))
@given(_AROUND, st.sampled_from(HOLD), _AROUND, st.sampled_from([", ", " ", ". ", "! "]))
def test_a_word_to_hold_typed_without_marks_is_never_a_yes(
    before: list[str], hold: str, after: list[str], gap: str
) -> None:
    reply = gap.join([*before, plain(hold), *after])
    assert confirms(reply, yes=YES, hold=HOLD) is not True, reply
    assert confirms(reply.upper(), yes=YES, hold=HOLD) is not True, reply


# -- 5. the work stays bounded ------------------------------------------------------------------


@contextmanager
def counting_reads() -> Iterator[list[int]]:
    """The length of every text the reader splits into words (lessons.reading.text.tokens)."""
    seen: list[int] = []
    real = lessons.reading.text.tokens

    def counted(text: str) -> Any:
        seen.append(len(text))
        return real(text)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lessons.reading.text, "tokens", counted)
        yield seen


LONG = st.one_of(
    st.builds(lambda run, n: run * n, st.sampled_from(_RUNS), st.integers(MAX_REPLY_CHARS, 20_000)),
    st.text(min_size=MAX_REPLY_CHARS + 1, max_size=MAX_REPLY_CHARS + 50),
).filter(lambda text: len(unicodedata.normalize("NFC", text)) > MAX_REPLY_CHARS)


@settings(max_examples=examples(0.5))
@given(LONG, st.sampled_from(QUESTIONS), st.sampled_from(ANSWERS))
def test_a_reply_over_the_limit_is_not_even_read(
    text: str, options: list[list[str]], answers: list[str]
) -> None:
    for question in (options, [["Có"], ["Không"]]):
        read_option("dạ", question)  # the options' own words read (and cached) first
    read_answer("dạ", answers)
    with counting_reads() as seen:
        assert read_option(text, options) == Reading(None, (), "none")
        assert read_answer(text, answers) is False
        assert polarity(text) is None and polarity(text, "xóa hết") is None
        assert confirms(text, yes=YES, hold=HOLD) is None
        assert ends_asking(text, ASKING) is False
    assert seen == []


@settings(max_examples=examples(0.5))
@given(TEXTS.filter(lambda text: len(text) <= MAX_REPLY_CHARS), st.sampled_from(QUESTIONS))
def test_a_reply_within_the_limit_is_read_once(text: str, options: list[list[str]]) -> None:
    read_option("dạ", options)
    with counting_reads() as seen:
        read_option(text, options)
    # Emoji that say something become words (" ok "): a few characters more, no more.
    growth = max((len(meaning) + 2) / len(emoji) for emoji, meaning in VIETNAMESE.emoji.items())
    assert len(seen) <= 1 and all(size <= growth * MAX_REPLY_CHARS for size in seen)
