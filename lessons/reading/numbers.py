"""Vietnamese number words read as digits: "một trăm năm mươi sáu" and "một năm sáu" are 156.

A run of number words becomes one number when it is one:

- counted the written way: mười hai = 12, hai mươi mốt = 21, một trăm linh năm = 105,
  hai nghìn không trăm hai mươi tư = 2024, 2 triệu = 2000000;
- counted the short spoken way: hai mốt = 21, ba lăm = 35, một trăm năm sáu = 156,
  trăm rưỡi = 150, hai nghìn hai = 2200;
- read digit by digit, three digits or more: một năm sáu = 156, không chín tám = 098.

Two plain digit words stay two numbers ("một năm" is one year, 1 5, not 15), and a number
word typed with other marks is no number ("bà" is not "ba", "nằm" is not "năm").
"""

from __future__ import annotations

from collections.abc import Sequence

from lessons.reading.vocabulary import (
    DIGIT,
    HALF,
    HUNDRED,
    LATE,
    SCALE,
    TEN,
    VIETNAMESE,
    ZERO,
)
from lessons.reading.words import Word

COUNT = "count"  # digits typed as digits, counting a hundred or a scale: "2 triệu"
EITHER = "digit or late"  # typed without marks, both: "mot" is một and mốt
Piece = tuple[str, int]

_DIGITS = (DIGIT, EITHER, LATE)
_MAX_DIGITS = 15


def kind(one: Word, *, strict: bool = False) -> Piece | None:
    """What a word is as part of a number, if anything: (kind, value)."""
    if one.is_number:
        return (COUNT, int(one.plain)) if len(one.plain) <= _MAX_DIGITS else None
    found = VIETNAMESE.numbers.values(one, strict=strict)
    if not found:
        return None
    kinds = {k for k, _ in found}
    if kinds == {DIGIT, LATE}:
        return (EITHER, found[0][1])
    return max(found, key=lambda piece: piece[1])


def digits(
    words: Sequence[Word], clauses: Sequence[int], *, strict: bool = False
) -> tuple[list[Word], list[int]]:
    """The words with each run of number words replaced by one word of digits, and the
    clause of each. A run stops at punctuation ("hai, ba" is two numbers). `strict`: the
    words are a lesson's text, whose marks are meant ("sau", after, is not "sáu", six)."""
    pieces = [kind(one, strict=strict) for one in words]
    out: list[Word] = []
    out_clauses: list[int] = []
    i = 0
    while i < len(words):
        piece = pieces[i]
        end = i + 1
        if piece is None or (piece[0] == COUNT and not _counts(pieces, i)):
            found = [words[i]]
        else:
            while end < len(words) and clauses[end] == clauses[i] and _continues(pieces, end):
                end += 1
            if end == i + 1 and end < len(words) and words[end].is_number:
                found = [words[i]]  # "năm 2024" is the year 2024, not 5 and 2024
            else:
                found = _run(words[i:end], [p for p in pieces[i:end] if p is not None])
        out.extend(found)
        out_clauses.extend([clauses[i]] * len(found))
        i = end
    return out, out_clauses


def _counts(pieces: Sequence[Piece | None], i: int) -> bool:
    following = pieces[i + 1] if i + 1 < len(pieces) else None
    return following is not None and following[0] in (HUNDRED, SCALE)


def _continues(pieces: Sequence[Piece | None], i: int) -> bool:
    piece = pieces[i]
    return piece is not None and (piece[0] != COUNT or _counts(pieces, i))


def _run(words: Sequence[Word], pieces: list[Piece]) -> list[Word]:
    """One run of number words: one number, or failing that the words themselves with each
    lone digit word read as its digit."""
    start = 0
    # A number does not start with a late digit, a zero filler or a multiplier, nor with
    # "không" unless digits are read one by one ("không chín tám").
    while start < len(pieces) and not _may_start(pieces[start:]):
        start += 1
    value = _value(pieces[start:]) if start < len(pieces) else None
    if value is not None:
        return [*_lone(words[:start], pieces[:start]), Word(value)]
    return _lone(words, pieces)


def _may_start(pieces: Sequence[Piece]) -> bool:
    first_kind, first_value = pieces[0]
    if first_kind in (DIGIT, EITHER) and first_value == 0:
        return len(pieces) >= 3 and all(k in _DIGITS for k, _ in pieces)
    return first_kind in (DIGIT, EITHER, TEN, COUNT)


def _lone(words: Sequence[Word], pieces: Sequence[Piece]) -> list[Word]:
    out: list[Word] = []
    for one, (piece_kind, value) in zip(words, pieces, strict=True):
        if (piece_kind in (DIGIT, EITHER) and value > 0) or (piece_kind == TEN and value):
            out.append(Word(str(value)))
        else:
            out.append(one)
    return out


def _value(pieces: Sequence[Piece]) -> str | None:
    kinds = [k for k, _ in pieces]
    if all(k in _DIGITS for k in kinds):
        return _spelled(pieces)
    number = _scaled(pieces)
    return None if number is None else str(number)


def _spelled(pieces: Sequence[Piece]) -> str | None:
    """Digit words only: one digit, a short spoken two-digit number, or digits one by one."""
    (first_kind, first), *rest = pieces
    if first_kind == LATE:
        return None
    if not rest:
        return str(first) if first > 0 else None
    if len(rest) == 1:
        second_kind, second = rest[0]
        if second_kind in (LATE, EITHER) and first > 1:
            return str(first * 10 + second)
        return None
    return "".join(str(value) for _, value in pieces)


def _scaled(pieces: Sequence[Piece]) -> int | None:
    for scale in (10**9, 10**6, 10**3):
        at = next((i for i, (k, v) in enumerate(pieces) if k == SCALE and v == scale), None)
        if at is None:
            continue
        left = _scaled(pieces[:at]) if at else None
        if not left:
            return None
        right_pieces = pieces[at + 1 :]
        if not right_pieces:
            right = 0
        elif len(right_pieces) == 1 and right_pieces[0][0] in (*_DIGITS, HALF):
            right = right_pieces[0][1] * scale // 10  # hai nghìn hai, hai triệu rưỡi
        else:
            found = _scaled(right_pieces)
            if found is None or found >= scale:
                return None
            right = found
        return left * scale + right
    return _hundreds(pieces)


def _hundreds(pieces: Sequence[Piece]) -> int | None:
    at = [i for i, (k, _) in enumerate(pieces) if k == HUNDRED]
    if not at:
        return _tens(pieces)
    if len(at) > 1 or at[0] != 1:
        return None
    count_kind, count = pieces[0]
    if count_kind not in (DIGIT, EITHER, COUNT) or count > 9:
        return None
    rest = pieces[2:]
    kinds = [k for k, _ in rest]
    values = [v for _, v in rest]
    if not rest:
        return count * 100
    if len(rest) == 1 and kinds[0] in (*_DIGITS, HALF):
        return count * 100 + values[0] * 10  # một trăm mốt = 110, trăm rưỡi = 150
    if len(rest) == 2 and kinds[0] == ZERO and kinds[1] in _DIGITS:
        return count * 100 + values[1]  # một trăm linh năm = 105
    if len(rest) == 2 and kinds[0] in (DIGIT, EITHER) and kinds[1] in _DIGITS:
        return count * 100 + values[0] * 10 + values[1]  # một trăm năm sáu = 156
    tens = _tens(rest)
    return None if tens is None or TEN not in kinds else count * 100 + tens


def _unit(piece: Piece) -> bool:
    """A digit after a ten. Five after a ten is "lăm": "mười năm" is ten years, not 15."""
    piece_kind, value = piece
    return piece_kind in (LATE, EITHER) or (piece_kind == DIGIT and value != 5)


def _tens(pieces: Sequence[Piece]) -> int | None:
    kinds = [k for k, _ in pieces]
    values = [v for _, v in pieces]
    if kinds == [COUNT]:
        return values[0]
    if kinds in ([DIGIT], [EITHER]):
        return values[0]
    if kinds[:1] == [TEN]:
        if len(kinds) == 1:
            return 10
        if len(kinds) == 2 and _unit(pieces[1]):
            return 10 + values[1]  # mười hai, mười lăm
        return None
    if len(kinds) >= 2 and kinds[0] in (DIGIT, EITHER) and kinds[1] == TEN and values[0] > 0:
        if len(kinds) == 2:
            return values[0] * 10  # hai mươi, một chục
        if len(kinds) == 3 and _unit(pieces[2]):
            return values[0] * 10 + values[2]  # hai mươi mốt, năm mươi sáu
    return None
