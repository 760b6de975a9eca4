"""Hypothesis strategies for the fuzz tests (tests/test_fuzz_*.py): anything `json.loads` can
make, mutations of a valid update, and texts no learner types but anyone may send.

    @given(mutated(text_update(12345, "có")))
    def test_(update): ...

`examples(share)` is a share of the profile's `max_examples` (see tests/conftest.py), for a test
whose examples cost more than most: it stays in proportion under every profile.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

__all__ = [
    "ODD_VALUES",
    "examples",
    "json_values",
    "mutated",
    "odd_texts",
    "paths_of",
    "single_changes",
]

JSON = Any


def examples(share: float) -> int:
    """`share` of the loaded profile's max_examples, at least 1."""
    return max(1, round(settings.default.max_examples * share))


# The integers json.loads makes: any size up to Python's 4300-digit limit for parsing.
_integers = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**40, 10**4000]),
)
# json.loads reads NaN, Infinity and -Infinity too.
_floats = st.floats(allow_nan=True, allow_infinity=True)

# Characters a platform may send: any code point json.loads can produce (lone surrogates
# included: "\\ud800" is valid JSON), weighted towards what breaks text handling.
_any_char = st.characters(codec=None, exclude_categories=())
_tricky = st.sampled_from(
    [
        "\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\u0085", "\u00a0", "\u200b", "\u200d",
        "\u202e", "\u2028", "\ufeff", "\ufffd", "\ud800", "\udfff", "\u0301", "\u0323",
        "đ", "Đ", "ệ", "ß", "İ", "ﬃ", "👍", "🙏", "ا", "א", "\U0010ffff",
        "/", "\\", ".", "%", "'", '"', "<", ">", "&", ";", "=", "?", "#",
    ]
)  # fmt: skip
_pieces = st.sampled_from(
    ["👨\u200d👩\u200d👧", "🇻🇳", "..", "%00", "%2e%2e", "\r\n", "e\u0302\u0301"]
)
odd_texts = st.one_of(
    st.text(st.one_of(_any_char, _tricky), max_size=40),
    st.lists(st.one_of(_pieces, _tricky, _any_char), max_size=8).map("".join),
)
"""Short texts of any code points, often the ones that break text handling."""

_scalars = st.one_of(st.none(), st.booleans(), _integers, _floats, odd_texts)


def json_values(keys: Sequence[str] = ()) -> st.SearchStrategy[JSON]:
    """Any value `json.loads` can make; object keys are often one of `keys` (the fields a
    parser reads), so that the parser gets past its first checks."""
    return _json_values(tuple(keys))


@functools.cache
def _json_values(keys: tuple[str, ...]) -> st.SearchStrategy[JSON]:
    key = st.one_of(st.sampled_from(list(keys)), odd_texts) if keys else odd_texts
    return st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=6)
        ),
        max_leaves=20,
    )


def paths_of(value: JSON, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: () for the value itself, then its keys and indexes."""
    found: list[tuple[Any, ...]] = [prefix]
    if isinstance(value, dict):
        for name, inner in value.items():
            found.extend(paths_of(inner, (*prefix, name)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(paths_of(inner, (*prefix, index)))
    return found


def _at(value: JSON, path: tuple[Any, ...]) -> JSON:
    for step in path:
        value = value[step]
    return value


def _retyped(value: JSON) -> list[JSON]:
    """The same value as another JSON type might carry it: "12345" for 12345 and so on."""
    others: list[JSON] = [None, str(value), [value], {"": value}]
    if isinstance(value, str):
        others += [value.encode("utf-8", "surrogatepass").decode("latin-1"), value * 300, ""]
        if value.lstrip("-").isdigit() and len(value) < 100:
            others.append(int(value))
    if isinstance(value, bool):
        others.append(int(value))
    elif isinstance(value, int):
        others += [-value, value + 1, value * 2**64, bool(value)]
        if abs(value) < 2**1000:
            others.append(float(value))
    return others


@st.composite
def _mutation(draw: st.DrawFn, seed: JSON, keys: Sequence[str]) -> JSON:
    value = copy.deepcopy(seed)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(paths_of(value)))
        old = _at(value, path)
        how = draw(st.sampled_from(["replace", "retype", "drop", "add", "wrap"]))
        if how == "add" and isinstance(old, dict):
            names = [*keys, *old]
            name = draw(st.one_of(st.sampled_from(names), odd_texts) if names else odd_texts)
            old[name] = draw(json_values(keys))
            continue
        if how == "drop" and path:
            holder = _at(value, path[:-1])
            del holder[path[-1]]
            continue
        if how == "retype":
            new = draw(st.sampled_from(_retyped(old)))
        elif how == "wrap":
            new = draw(st.sampled_from([[old], {"result": old, "ok": True}, {"": old}]))
        else:
            new = draw(json_values(keys))
        if not path:
            value = new
        else:
            _at(value, path[:-1])[path[-1]] = new
    return value


def mutated(seeds: Sequence[JSON], keys: Sequence[str] = ()) -> st.SearchStrategy[JSON]:
    """One of `seeds` as it is, or with one to three changes: a value replaced by any other,
    given another JSON type, dropped, wrapped, or a field added."""
    seed = st.sampled_from(list(seeds))
    return st.one_of(seed, seed.flatmap(lambda one: _mutation(one, keys)))


ODD_VALUES: list[JSON] = [
    None, True, 0, -1, 1.5, float("nan"), 2**63, 10**40, "", " ", "x" * 3000, "\ud800",
    "\x00", "a b", "đ", [], {}, [None], {"": None},
]  # fmt: skip
"""Values that break a parser expecting another: each JSON type, empty, huge, odd text."""


def shape(value: JSON) -> JSON:
    """A value's structure: its keys, and the type of each value in it."""
    if isinstance(value, dict):
        return {name: shape(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [shape(inner) for inner in value]
    return type(value).__name__


def single_changes(seeds: Sequence[JSON]) -> list[JSON]:
    """Every seed of its own shape with one of its values (or itself) replaced by each of
    ODD_VALUES, or one of its fields dropped: every change a one-field mistake makes."""
    changed: list[JSON] = []
    shapes = {repr(shape(seed)): seed for seed in seeds}
    for seed in shapes.values():
        for path in paths_of(seed):
            for odd in ODD_VALUES:
                if not path:
                    changed.append(odd)
                    continue
                value = copy.deepcopy(seed)
                _at(value, path[:-1])[path[-1]] = odd
                changed.append(value)
            if path and isinstance(_at(seed, path[:-1]), dict):
                value = copy.deepcopy(seed)
                del _at(value, path[:-1])[path[-1]]
                changed.append(value)
    return changed
