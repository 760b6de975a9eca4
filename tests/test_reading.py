"""Reading replies: every row of tests/data/replies.yaml, run by one loop each.

Adding a case is adding a row to the YAML file; a failure names the question and the reply.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from lessons.reading import polarity, read_answer, read_option

TABLE = Path(__file__).parent / "data" / "replies.yaml"


class _StrictLoader(yaml.BaseLoader):
    """Every scalar a string, and a repeated reply an error (YAML would keep the last)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[str, Any]:
    seen: set[str] = set()
    for key_node, _ in node.value:
        key = loader.construct_scalar(key_node)  # type: ignore[arg-type]
        if key in seen:
            raise ValueError(f"{TABLE.name}:{key_node.start_mark.line + 1}: {key!r} twice")
        seen.add(str(key))
    return dict(loader.construct_pairs(node, deep=True))  # type: ignore[arg-type]


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

DATA: dict[str, Any] = yaml.load(TABLE.read_text(encoding="utf-8"), Loader=_StrictLoader)


def _option_rows() -> list[Any]:
    rows = []
    for name, question in DATA["questions"].items():
        for reply, expected in question["replies"].items():
            rows.append(pytest.param(name, reply, expected, id=f"{name}: {reply!r}"))
    return rows


def _answer_rows() -> list[Any]:
    rows = []
    for name, quiz in DATA["answers"].items():
        for reply, expected in quiz["replies"].items():
            rows.append(pytest.param(name, reply, expected, id=f"{name}: {reply!r}"))
    return rows


OPTION_ROWS = _option_rows()


def _read(name: str, reply: str) -> tuple[int | str, str]:
    question = DATA["questions"][name]
    reading = read_option(
        reply,
        question["options"],
        numbered=question.get("numbered", "true") == "true",
        yes_no=question.get("yes_no", "true") == "true",
    )
    got: int | str = "ask" if reading.option is None else reading.option + 1
    return got, reading.how


@pytest.mark.parametrize(("name", "reply", "expected"), OPTION_ROWS)
def test_reply_is_read_as_its_option(name: str, reply: str, expected: str) -> None:
    got, how = _read(name, reply)
    want = expected if expected == "ask" else int(expected)
    question = DATA["questions"][name]
    asked = question.get("ask") or question.get("quiz")
    assert got == want, (
        f"question {name!r} ({asked}), reply {reply!r}: read as {got} ({how}), expected {want}"
    )


@pytest.mark.parametrize(("name", "reply", "expected"), OPTION_ROWS)
def test_decomposed_and_recomposed_replies_read_the_same(
    name: str, reply: str, expected: str
) -> None:
    """A phone that sends decomposed marks (NFD) reads exactly like one that composes them."""
    composed = _read(name, unicodedata.normalize("NFC", reply))
    decomposed = _read(name, unicodedata.normalize("NFD", reply))
    assert decomposed == composed, f"question {name!r}, reply {reply!r}"


@pytest.mark.parametrize(("name", "reply", "expected"), _answer_rows())
def test_free_answer(name: str, reply: str, expected: str) -> None:
    quiz = DATA["answers"][name]
    got = read_answer(reply, quiz["answers"])
    assert got == (expected == "right"), (
        f"quiz {name!r} ({quiz['quiz']}), answers {quiz['answers']}, reply {reply!r}: "
        f"read as {'right' if got else 'wrong'}, expected {expected}"
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [pytest.param(reply, expected, id=repr(reply)) for reply, expected in DATA["polarity"].items()],
)
def test_polarity(reply: str, expected: str) -> None:
    want = {"yes": True, "no": False, "none": None}[expected]
    assert polarity(reply) is want, f"reply {reply!r}: {polarity(reply)}, expected {expected}"


@pytest.mark.parametrize(
    ("about", "reply", "expected"),
    [
        pytest.param(about, reply, expected, id=f"{about}: {reply!r}")
        for about, replies in DATA["polarity_about"].items()
        for reply, expected in replies.items()
    ],
)
def test_polarity_about(about: str, reply: str, expected: str) -> None:
    want = {"yes": True, "no": False, "none": None}[expected]
    got = polarity(reply, about)
    assert got is want, f"about {about!r}, reply {reply!r}: {got}, expected {expected}"


def test_the_table_is_large_and_varied() -> None:
    questions = DATA["questions"]
    asks = sum(1 for row in OPTION_ROWS if row.values[2] == "ask")
    assert len(questions) >= 20
    assert len(OPTION_ROWS) >= 300
    assert asks >= 60, "many replies must not be read"
    assert any(len(question["options"]) >= 5 for question in questions.values())
    assert any(question.get("numbered") == "false" for question in questions.values())
