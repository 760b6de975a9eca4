"""The parts of lessons/reading: the canonical form, number words, typed words and their
marks, typos, the word tables; and that reading never raises and stays cheap."""

from __future__ import annotations

import random
import time
import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from lessons.reading import Reading, normalize, polarity, read_answer, read_option
from lessons.reading.confirm import confirms
from lessons.reading.text import MAX_REPLY_CHARS, read_text
from lessons.reading.typos import distance, tolerance
from lessons.reading.vocabulary import Table, load
from lessons.reading.words import fits, word

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Có", "co"),
        ("  CÓ   rồi  ", "co roi"),
        ("Có!!!", "co"),
        ("Dạ, có ạ.", "da co a"),
        ("👍 có", "ok co"),
        ("😀😀", ""),
        ("", ""),
        ("Đ đ", "d d"),
        ("hoà", "hoa"),
        ("hòa", "hoa"),
        ("HOÀ", "hoa"),
        ("khoẻ", "khoe"),
        ("khỏe", "khoe"),
        ("ko dc r", "khong duoc roi"),
        ("hok bít", "khong biet"),
        ("chx", "chua"),
        ("uk", "u"),
        ("oke", "ok"),
        ("okê", "ok"),
        ("mik", "minh"),
        ("cx", "cung"),
        ("đt", "dien thoai"),
        ("j", "gi"),
        ("vs", "voi"),
        ("ntn", "nhu the nao"),
        ("số2", "so 2"),
        ("2.", "2"),
        ("２", "2"),
        ("2️⃣", "2"),
        ("hai", "2"),
        ("thứ hai", "thu 2"),
        ("mười hai", "12"),
        ("hai mươi mốt", "21"),
        ("hai mốt", "21"),
        ("hai lăm", "25"),
        ("một trăm năm mươi sáu", "156"),
        ("một trăm năm sáu", "156"),
        ("một năm sáu", "156"),
        ("mot nam sau", "156"),
        ("một trăm linh năm", "105"),
        ("một trăm mốt", "110"),
        ("hai trăm rưỡi", "250"),
        ("hai nghìn không trăm hai mươi tư", "2024"),
        ("hai nghìn hai", "2200"),
        ("ba triệu rưỡi", "3500000"),
        ("2 triệu", "2000000"),
        ("50 nghìn", "50000"),
        ("50k", "50000"),
        ("1.000.000", "1000000"),
        ("không chín tám", "098"),
        ("một năm", "1 5"),  # one year, not fifteen
        ("mười năm", "10 5"),  # ten years; fifteen is "mười lăm"
        ("năm 2024", "nam 2024"),  # the year
        ("hai, ba", "2 3"),
        ("không", "khong"),  # never the digit 0 alone
        ("ba", "3"),
        ("bà", "ba"),  # grandmother, not three
        ("sáu", "6"),
        ("sâu", "sau"),  # deep, not six
        ("nằm", "nam"),  # lie down, not five
        ("hỏng", "hong"),  # broken, not "hông" (no)
        ("hông", "khong"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_is_the_same_for_composed_and_decomposed_text() -> None:
    for text in ("Điện thoại của bác đã có VNeID chưa?", "Xóa dữ liệu", "ừ, được rồi"):
        decomposed = unicodedata.normalize("NFD", text)
        assert decomposed != text
        assert normalize(decomposed) == normalize(text)


@pytest.mark.parametrize(
    ("typed", "written", "expected"),
    [
        ("khong", "không", True),
        ("không", "không", True),
        ("KHÔNG", "không", True),
        ("khôg", "không", False),  # another word (a typo, for the typo reading)
        ("ba", "bà", True),  # typed without marks: may be any
        ("bà", "ba", False),
        ("cô", "có", False),
        ("co", "có", True),
        ("hỏng", "hổng", False),
        ("tôi", "tối", False),
        ("dúng", "đúng", True),  # the bar of đ is often left out
        ("đung", "đúng", True),
        ("đung", "dừng", False),
        ("dừng", "đúng", False),
        ("hoà", "hòa", True),
    ],
)
def test_a_typed_word_fits_a_written_one(typed: str, written: str, expected: bool) -> None:
    assert fits(word(typed), word(written)) is expected


@pytest.mark.parametrize(
    ("typed", "written", "expected"),
    [
        ("chi minh toj", "chỉ mình tôi", 1),
        ("nhan vien ngan hag", "nhân viên ngân hàng", 1),
        ("chimình tôi", "chỉ mình tôi", 1),
        ("co roii", "có rồi", 1),
        ("tiêp", "tiếp", 1),  # only the tone left out
        ("menuu", "menu", 1),
        ("androi", "android", 1),
        ("co", "có rồi", None),
        ("cò rồi", "có rồi", None),  # another word
        ("dùng", "dừng", None),
        ("157", "156", None),  # never on numbers
        ("ko", "co", None),  # short words only exactly
        ("tie", "tie", None),  # up to 3 letters: exactly, which is not a typo
    ],
)
def test_typo_distance(typed: str, written: str, expected: int | None) -> None:
    assert distance(read_text(typed).numbers, read_text(written).numbers) == expected


def test_typo_tolerance_grows_with_the_phrase() -> None:
    assert [tolerance(n) for n in (1, 3, 4, 7, 8, 14, 15, 40)] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_table_prefers_the_entry_typed_exactly() -> None:
    table = Table([("hông", "no"), ("hong", "either")])
    assert table.match([word("hong")]) == (1, "either")
    assert table.match([word("hông")]) == (1, "no")
    assert table.match([word("hỏng")]) is None


def test_table_matches_the_longest_entry() -> None:
    table = Table([("không", 1), ("không phải", 2)])
    assert table.match([word("ko"), word("phải")]) is None  # spellings are expanded first
    assert table.match([word("khong"), word("phai"), word("a")]) == (2, 2)


def test_every_chat_spelling_has_one_meaning_as_typed() -> None:
    """A spelling listed twice would be read by whichever comes first."""
    data = (ROOT / "lessons" / "reading" / "vietnamese.yaml").read_text(encoding="utf-8")
    import yaml

    tables = yaml.safe_load(data)
    typed = [s for spellings in tables["spellings"].values() for s in spellings]
    typed += list(tables["ambiguous"])
    forms = [unicodedata.normalize("NFC", s) for s in typed]
    assert len(forms) == len(set(forms))


def test_word_lists_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    assert "vietnamese.yaml" in " ".join(data.get("lessons.reading", []))
    assert load().yes.has(word("có"))


def test_no_vietnamese_in_the_code() -> None:
    """Vietnamese words live in vietnamese.yaml; the code's strings stay ASCII (docstrings
    and comments may quote examples)."""
    import ast
    import io
    import tokenize

    for path in (ROOT / "lessons" / "reading").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        docstrings = {
            node.body[0].value.lineno
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.start[0] not in docstrings:
                assert token.string.isascii(), f"{path.name}:{token.start[0]}: {token.string}"


def test_reading_api() -> None:
    reading = read_option("1 công an", [["Chỉ mình tôi"], ["Công an gọi điện hỏi"]])
    assert reading == Reading(None, (0, 1), "ambiguous")
    assert reading.ambiguous
    assert not read_option("2", [["Có"], ["Không"]]).ambiguous
    assert read_option("2", [["Có"], ["Không"]]) == Reading(1, (), "number")
    assert read_option("chưa", [["Có rồi"], ["Chưa có"]], yes_no=False).option is None
    assert read_option("hai", [["menu"], ["tiếp"]], numbered=False).how == "none"


@pytest.mark.parametrize(
    "options",
    [[], [[]], [[""], ["  "]], [["Có"]], [["Có", ""], [" "]], [["?"], ["!"]], [["😀"], ["🙂"]]],
)
def test_odd_options_do_not_raise(options: list[list[str]]) -> None:
    for reply in ("có", "1", "", "😀", "?"):
        assert isinstance(read_option(reply, options), Reading)


def _random_texts(count: int) -> list[str]:
    pieces = [
        "có", "không", "ko", "dc", "r", "số", "2", "hai", "mười", "trăm", "nghìn", "ạ", "dạ",
        "?", "!", ",", ".", "👍", "😀", "\u0301", "\u0300", "\u0323", "đ", "Đ", "a", "k",
        "\x00", "\x07", "\u200b", "\ufeff", "\ud800", "\n", "\t", " ", "  ", "１", "²", "½",
        "x" * 50, "ǅ", "İ", "ﬁ", "(", ")", "[", "]", "-", "/", "chỉ", "mình", "tôi", "A.",
    ]  # fmt: skip
    generator = random.Random(20240601)
    return [
        "".join(generator.choice(pieces) for _ in range(generator.randint(0, 12)))
        for _ in range(count)
    ]


def test_never_raises_on_any_text() -> None:
    options = [["Có rồi"], ["Chưa có", "không có"]]
    lettered = [["A. Chỉ mình tôi"], ["B. Công an"], ["C. Ngân hàng"]]
    for text in _random_texts(1500):
        assert isinstance(read_option(text, options), Reading)
        assert isinstance(read_option(text, lettered, numbered=False, yes_no=False), Reading)
        assert isinstance(normalize(text), str)
        assert polarity(text) in (True, False, None)
        assert read_answer(text, ["156", "CH Play"]) in (True, False)


def test_a_long_message_is_cheap_and_not_read() -> None:
    text = "có rồi " * 1500
    assert len(text) > MAX_REPLY_CHARS
    started = time.thread_time()  # the work done, not the time other processes had the CPU
    assert read_option(text, [["Có rồi"], ["Chưa có"]]) == Reading(None, (), "none")
    assert polarity(text) is None
    assert read_answer(text, ["có rồi"]) is False
    assert time.thread_time() - started < 0.05


# Replies near the limit, read alike composed (NFC) or decomposed (NFD), where a decomposed
# letter takes 2 or 3 code points: the limit counts characters (found by test_fuzz_reading).
LONG_REPLIES = [
    # 189 characters, 243 code points decomposed: was not read in NFD
    pytest.param(" ".join(["vâng ạ"] * 27), polarity, id="vâng ạ × 27"),
    pytest.param(
        " ".join(["Có rồi"] * 27),
        lambda text: read_option(text, [["Có rồi"], ["Chưa có"]]).option,
        id="Có rồi × 27",
    ),
    pytest.param(
        " ".join(["dạ, được rồi ạ,"] * 11),
        lambda text: confirms(text, yes=["Có, xóa hết"], hold=["không", "đừng"]),
        id="dạ, được rồi ạ × 11",
    ),
]


@pytest.mark.parametrize(("reply", "read"), LONG_REPLIES)
def test_a_long_reply_reads_alike_composed_or_decomposed(
    reply: str, read: Callable[[str], object]
) -> None:
    assert len(reply) <= MAX_REPLY_CHARS < len(unicodedata.normalize("NFD", reply))
    assert read(unicodedata.normalize("NFD", reply)) == read(reply) is not None
    too_long = unicodedata.normalize("NFD", reply + " ạ" * 20)
    assert len(unicodedata.normalize("NFC", too_long)) > MAX_REPLY_CHARS
    assert read(too_long) in (None, False)


def test_reading_is_fast() -> None:
    options = [
        ["Chỉ mình tôi"],
        ["Công an gọi điện hỏi"],
        ["Nhân viên ngân hàng", "nv ngân hàng"],
        ["Người thân trong nhà", "con cháu"],
        ["Không ai cả"],
    ]
    replies = [
        "chi minh toi", "số 2", "dạ có ạ", "tôi chọn chỉ mình tôi ạ", "công an",
        "nhan vien ngan hag", "asdf qwer", "không phải công an", "ngân hàng và công an",
        "con chau trong nha a",
    ]  # fmt: skip
    read_option(replies[0], options)
    rounds = 300
    # CPU time of this thread: what reading costs, not how long the machine took to get to it
    # (with other test processes on the same cores the wall clock doubles or more).
    started = time.thread_time()
    for i in range(rounds):
        read_option(replies[i % len(replies)] + " " * (i % 7), options)
    average = (time.thread_time() - started) / rounds
    assert average < 0.001, f"{average * 1e6:.0f} µs per reply"
