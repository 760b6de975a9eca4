"""The posters of `bot.posters`: read back as a learner's phone and a printer would see them.

The PNG's QR code is decoded (zxing-cpp) and measured; the PDF is opened with PDFium
(pypdfium2): its page size, its text as a reader extracts it, and its QR code rendered and
decoded. Sentences are named by their key in messages.yaml, never copied here.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from bot.content import load_content
from bot.links import LinkError, qr_code
from bot.messages import Messages
from bot.posters import BOLD_FONT, DPI, REGULAR_FONT, poster_pdf, poster_png
from support.chat import REPO

PUBLIC = "https://hocso.example.vn"
A4_POINTS = (595.28, 841.89)
A4_PIXELS = (1654, 2339)  # at 200 dots an inch
MARGIN = 36.0  # points: no text nearer the edge of the paper than this

try:
    import pypdfium2
    import zxingcpp
except ImportError as error:  # pragma: no cover - a machine without the test extras
    pytest.fail(f"the poster tests need {error.name}: pip install -e '.[test]'", pytrace=False)


@pytest.fixture(scope="module")
def messages() -> Messages:
    return load_content(REPO / "content").messages


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def words(text: str) -> str:
    """The text with every run of spaces and line breaks made one space."""
    return " ".join(text.split())


def decode(image: Image.Image) -> list[Any]:
    return list(zxingcpp.read_barcodes(image.convert("L")))


def read_pdf(data: bytes) -> tuple[int, tuple[float, float], str, Image.Image, dict[str, str]]:
    """Page count, the first page's size in points, its text, the page drawn at 150 dpi, and
    the document's metadata."""
    document = pypdfium2.PdfDocument(data)
    page = document[0]
    text = page.get_textpage().get_text_range()
    picture = page.render(scale=150 / 72).to_pil()
    return len(document), page.get_size(), text, picture, document.get_metadata_dict()


def text_boxes(data: bytes) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each drawn character of the PDF's page and its box (left, bottom, right, top)."""
    page = pypdfium2.PdfDocument(data)[0]
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    return [
        (text[k], textpage.get_charbox(k)) for k in range(textpage.count_chars()) if text[k].strip()
    ]


POSTERS = [
    # (case, the lesson's title, the web link, the volunteer)
    ("a short title and a volunteer code", "Giữ an toàn mã OTP",
     f"{PUBLIC}/chat?lesson=an-toan-otp&v=V12", "V12"),
    ("no volunteer", "Trả tiền bằng mã QR", f"{PUBLIC}/chat?lesson=thanh-toan-qr", None),
    ("a team's name with diacritics", "Nộp hồ sơ trực tuyến",
     f"{PUBLIC}/chat?lesson=nop-ho-so-truc-tuyen&v=HN-0042",
     "Tổ công nghệ số cộng đồng thôn Đông, xã An Phú"),
    ("a title that wraps", "Cài VNeID và kích hoạt tài khoản định danh điện tử mức 2 trên "
     "điện thoại thông minh", f"{PUBLIC}/chat?lesson=cai-dat-vneid&v=V12", "V12"),
    ("a title typed with combining marks (NFD)", unicodedata.normalize("NFD", "Ứng dụng Zalo"),
     f"{PUBLIC}/chat?lesson=zalo-co-ban", None),
    ("a long link under a path", "Zalo cơ bản",
     "https://dich-vu.binh-dan-hoc-vu-so.example.vn/hoc-so/chat?lesson=zalo-co-ban"
     "&v=TO-CONG-NGHE-SO-XA-AN-PHU-THON-DONG", "TO-CONG-NGHE-SO-XA-AN-PHU-THON-DONG"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "title", "link", "volunteer"), POSTERS, ids=[c[0] for c in POSTERS]
)
def test_the_png_poster(
    messages: Messages, case: str, title: str, link: str, volunteer: str | None
) -> None:
    """An A4 page at 200 dpi whose QR code opens the link, big, with its white margin."""
    with Image.open(io.BytesIO(poster_png(title, link, messages, volunteer=volunteer))) as image:
        assert image.format == "PNG"
        assert image.size == A4_PIXELS
        assert [round(float(d)) for d in image.info["dpi"]] == [DPI, DPI]
        grey = image.convert("L")
    found = decode(grey)
    assert [code.text for code in found] == [link]
    assert_scannable(grey, found[0], link)


def assert_scannable(grey: Image.Image, found: Any, link: str) -> None:
    """10 to 12 cm across on paper with its quiet zone of 4 modules, which is white; square
    modules of whole pixels."""
    corners = found.position
    left, top = corners.top_left.x, corners.top_left.y
    right, bottom = corners.bottom_right.x, corners.bottom_right.y  # the edge, not the last pixel
    assert right - left == bottom - top
    count = qr_code(link).symbol_size(scale=1, border=0)[0]
    module = (right - left) / count
    assert module == int(module) >= 10  # whole pixels a module: sharp edges
    quiet = round(4 * module)
    assert 10 <= (right - left + 2 * quiet) / DPI * 2.54 <= 12
    around = (left - quiet, top - quiet, right + quiet, bottom + quiet)
    for strip in (
        (around[0], around[1], around[2], top),  # above
        (around[0], bottom, around[2], around[3]),  # below
        (around[0], top, left, bottom),  # left
        (right, top, around[2], bottom),  # right
    ):
        assert grey.crop(strip).getextrema() == (255, 255), strip


@pytest.mark.parametrize(
    ("case", "title", "link", "volunteer"), POSTERS, ids=[c[0] for c in POSTERS]
)
def test_the_pdf_poster(
    messages: Messages, case: str, title: str, link: str, volunteer: str | None
) -> None:
    """One A4 page whose text, extracted as a reader or a search would, is the poster's words
    with their diacritics, and whose QR code, printed, opens the link."""
    data = poster_pdf(title, link, messages, volunteer=volunteer)
    pages, size, text, picture, metadata = read_pdf(data)
    assert pages == 1
    assert size == pytest.approx(A4_POINTS, abs=0.5)
    said = words(text)
    assert words(nfc(title)) in said
    assert metadata["Title"] == nfc(title)
    for key in ("poster.movement", "poster.scan", "poster.safety"):
        assert words(messages.text(key)) in said, key
    for step in messages.text("poster.steps").splitlines():
        assert words(step) in said
    assert link in "".join(text.split())  # written out, if on more than one line
    credit = messages.template("poster.volunteer").split("{")[0].strip()
    if volunteer:
        assert words(messages.text("poster.volunteer", volunteer=volunteer)) in said
    else:
        assert credit not in said
    assert [code.text for code in decode(picture)] == [link]
    assert_on_the_page(data)


def assert_on_the_page(data: bytes) -> None:
    width, height = A4_POINTS
    for char, (left, bottom, right, top) in text_boxes(data):
        assert left >= MARGIN and right <= width - MARGIN, char
        assert bottom >= MARGIN / 2 and top <= height, char


def test_a_title_too_long_for_three_lines_ends_with_an_ellipsis(messages: Messages) -> None:
    title = " ".join(["Hướng dẫn sử dụng dịch vụ công trực tuyến"] * 5)
    link = f"{PUBLIC}/chat?lesson=dai"
    data = poster_pdf(title, link, messages)
    _, _, text, picture, _ = read_pdf(data)
    lines = text.split("\r\n")
    title_lines = lines[1 : lines.index(messages.text("poster.scan"))]
    assert len(title_lines) == 3 and title_lines[-1].endswith("…")
    assert words(" ".join(title_lines)).removesuffix(" …") in title
    assert [code.text for code in decode(picture)] == [link]
    assert_on_the_page(data)


PAIRS = [
    # (case, one poster, another: (title, link, volunteer))
    ("two lessons", ("Giữ an toàn mã OTP", f"{PUBLIC}/chat?lesson=an-toan-otp", None),
     ("Zalo cơ bản", f"{PUBLIC}/chat?lesson=zalo-co-ban", None)),
    ("two lessons, one volunteer", ("Giữ an toàn mã OTP", f"{PUBLIC}/chat?lesson=an-toan-otp&v=V1",
     "V1"), ("Hỏi trợ lý AI", f"{PUBLIC}/chat?lesson=hoi-tro-ly-ai&v=V1", "V1")),
    ("one lesson, two volunteers", ("Zalo cơ bản", f"{PUBLIC}/chat?lesson=zalo-co-ban&v=V1", "V1"),
     ("Zalo cơ bản", f"{PUBLIC}/chat?lesson=zalo-co-ban&v=V2", "V2")),
]  # fmt: skip


@pytest.mark.parametrize(("case", "one", "other"), PAIRS, ids=[c[0] for c in PAIRS])
def test_two_posters_can_be_told_apart(
    messages: Messages, case: str, one: tuple[str, str, str | None],
    other: tuple[str, str, str | None],
) -> None:  # fmt: skip
    """By their words, not only by their QR codes: above the QR code, the titles differ; below
    it, the links and the volunteers."""
    pictures = []
    for title, link, volunteer in (one, other):
        data = poster_png(title, link, messages, volunteer=volunteer)
        with Image.open(io.BytesIO(data)) as image:
            pictures.append(image.convert("L"))
    qr = decode(pictures[0])[0].position
    above = (0, 0, A4_PIXELS[0], qr.top_left.y - 60)
    below = (0, qr.bottom_left.y + 60, *A4_PIXELS)
    differs = {
        part: ImageChops.difference(pictures[0].crop(box), pictures[1].crop(box)).getbbox()
        is not None
        for part, box in (("above", above), ("below", below))
    }
    assert differs == {"above": one[0] != other[0], "below": True}


LOCAL_LINKS = [
    "http://127.0.0.1:8000/chat?lesson=mau",
    "http://localhost:8000/chat?lesson=mau",
    "https://localhost/chat?lesson=mau",
    "https://192.168.1.20/chat?lesson=mau",
    "https://[::1]:8000/chat?lesson=mau",
    "http://hocso.example.vn/chat?lesson=mau",
    "hocso.example.vn/chat?lesson=mau",
]


@pytest.mark.parametrize("link", LOCAL_LINKS)
@pytest.mark.parametrize("make", [poster_png, poster_pdf], ids=["png", "pdf"])
def test_no_poster_of_a_link_a_phone_cannot_open(messages: Messages, make: Any, link: str) -> None:
    with pytest.raises(LinkError, match="a poster's link must be a public https address"):
        make("Bài mẫu", link, messages)


def test_what_the_font_cannot_draw_is_left_out(messages: Messages) -> None:
    """An emoji in a title would print as an empty box: it is left out, the words stay."""
    data = poster_pdf("📱 Zalo cơ bản ✨", f"{PUBLIC}/chat?lesson=zalo-co-ban", messages)
    _, _, text, _, metadata = read_pdf(data)
    assert "Zalo cơ bản" in text.split("\r\n")
    assert "📱" not in text and "✨" not in text
    assert metadata["Title"] == "Zalo cơ bản"


VOWELS = "aăâeêioôơuưy"
TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def test_the_fonts_have_every_vietnamese_letter(messages: Messages) -> None:
    """Every vowel with every tone, đ, in both cases and both weights; and every character of
    content/'s titles and poster sentences."""
    from fontTools.ttLib import TTFont

    letters = {nfc(v + t) for v in VOWELS for t in ("", *TONES)} | {"đ"}
    letters |= {letter.upper() for letter in letters}
    assert len(letters) == 2 * (12 * 6 + 1)
    content = load_content(REPO / "content")
    texts = [lesson.title for lesson in content.lessons.values()]
    texts += [messages.template(key) for key in ("poster.movement", "poster.scan", "poster.steps",
                                                 "poster.volunteer", "poster.safety")]  # fmt: skip
    needed = letters | {ch for text in texts for ch in nfc(text) if not ch.isspace()}
    for path in (REGULAR_FONT, BOLD_FONT):
        with TTFont(str(path)) as font:
            drawn = {chr(point) for point in font.getBestCmap()}
        assert sorted(needed - drawn) == [], path.name


def test_the_font_and_its_licence_are_in_the_package() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"bot" = ["fonts/*.ttf", "fonts/OFL.txt"]' in pyproject
    licence = (REPO / "bot" / "fonts" / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE\nVersion 1.1" in licence
    assert {path.name for path in (REPO / "bot" / "fonts").glob("*.ttf")} == {
        Path(REGULAR_FONT).name,
        Path(BOLD_FONT).name,
    }


def test_words_that_leave_the_qr_code_too_little_room_are_refused(tmp_path: Path) -> None:
    """Steps a content folder made too many would shrink the code below 6 cm: it says which
    sentences to shorten instead."""
    from bot.messages import load_messages

    yaml = (REPO / "content" / "messages.yaml").read_text(encoding="utf-8")
    last = "    Bấm vào đường link hiện lên\n"
    assert last in yaml
    more = "".join(f"    Bước thêm số {k}\n" for k in range(4, 16))
    (tmp_path / "messages.yaml").write_text(yaml.replace(last, last + more), encoding="utf-8")
    crowded, problems = load_messages(tmp_path / "messages.yaml")
    assert problems == [] and crowded is not None
    link = f"{PUBLIC}/chat?lesson=mau"
    for make in (poster_png, poster_pdf):
        with pytest.raises(ValueError, match="too little room for the QR code: shorten poster"):
            make("Bài mẫu", link, crowded)
