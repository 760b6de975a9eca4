"""The certificate as a picture and as a PDF, read back the way people and machines read it:
its QR code decoded (zxing-cpp) to the /verify address, the PDF's text extracted (poppler's
pdftotext) with every Vietnamese letter exact, and the name read back from the picture by OCR
(Debian's tesseract-ocr with its Vietnamese data, tesseract-ocr-vie). Sentences are named by
their key in messages.yaml, never copied here.

pdftotext and tesseract are part of the test setup (`scripts/test` installs them): when they
are missing these tests fail, they are not skipped.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.certificates import DPI, Paper, certificate_pdf, certificate_png, layout, paper_of
from bot.certified import Standing
from bot.content import Content, load_content
from bot.drawing import LANDSCAPE, SERIF, SERIF_FONT, Code, Text
from support.chat import REPO

try:
    import pypdfium2
    import zxingcpp
except ImportError as error:  # pragma: no cover - a machine without the test extras
    pytest.fail(f"the certificate tests need {error.name}: pip install -e '.[test]'", pytrace=False)

PUBLIC = "https://hocso.example.vn"
ISSUER = "Tổ công nghệ số cộng đồng xã An Phú, tỉnh Đồng Tháp"
EARNED = "2026-11-23T10:00:00+07:00"
MARGIN = 28.0  # points: the gold frame; no text beyond it


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"the certificate tests need {name}: apt-get install -y {package} (scripts/test "
            "does it when run as root)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(REPO / "content")


def paper(
    content: Content, name: str | None, certificate: str = "dung-dien-thoai-an-toan", *,
    code: str = "HS-7K2P-9QXD", issuer: str | None = ISSUER, base: str | None = PUBLIC,
) -> Paper:  # fmt: skip
    found = Standing(code, "genuine", certificate, EARNED, "tg:1", name)
    return paper_of(content, found, issuer=issuer, base=base)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def words(text: str) -> str:
    return " ".join(text.split())


def pdftotext(data: bytes) -> str:
    run = subprocess.run(
        [tool("pdftotext", "poppler-utils"), "-enc", "UTF-8", "-", "-"],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    return run.stdout.decode("utf-8")


def ocr(image: Image.Image) -> str:
    """What tesseract reads in a picture of one line, in Vietnamese."""
    out = io.BytesIO()
    image.save(out, "PNG")
    run = subprocess.run(
        [tool("tesseract", "tesseract-ocr tesseract-ocr-vie"), "stdin", "stdout", "-l", "vie",
         "--psm", "6"],
        input=out.getvalue(), capture_output=True, check=True,
    )  # fmt: skip
    return words(run.stdout.decode("utf-8").replace("|", " "))


def decode(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image.convert("L"))]


NAMES = [
    "Nguyễn Thị Hường",
    "Đặng Văn Quỹ",
    "Phạm Thị Ngọc Diễm Hằng",
    "H'Hen Niê",
    "Trần Thị Thuỷ Tiên",
]


@pytest.mark.parametrize("name", NAMES)
def test_the_picture_shows_the_name_and_its_qr_code_opens_the_check(
    content: Content, name: str
) -> None:
    """A landscape A4 page at 150 dpi; the QR code opens /verify/NUMBER; OCR reads the name,
    every mark in place, where the page puts it."""
    drawn = paper(content, name)
    with Image.open(io.BytesIO(certificate_png(drawn, content.messages))) as image:
        assert image.format == "PNG"
        assert image.size == (1754, 1240)
        grey = image.convert("L")
    assert decode(grey) == [f"{PUBLIC}/verify/HS-7K2P-9QXD"]
    shapes = layout(drawn, content.messages)
    line = next(s for s in shapes if isinstance(s, Text) and s.face == SERIF and s.text == name)
    scale = DPI / 72
    box = (0, round((line.baseline - 1.15 * line.size) * scale), grey.width,
           round((line.baseline + 0.4 * line.size) * scale))  # fmt: skip
    crop = grey.crop(box)
    # Tesseract reads best letters of some 35 pixels; the name is drawn near 90.
    shrink = 35 / (line.size * scale)
    crop = crop.resize((round(crop.width * shrink), round(crop.height * shrink)), Image.LANCZOS)
    assert ocr(crop) == nfc(name)


@pytest.mark.parametrize("name", NAMES[:2])
def test_the_pdf_says_it_all_in_exact_vietnamese(content: Content, name: str) -> None:
    drawn = paper(content, name)
    data = certificate_pdf(drawn, content.messages)
    document = pypdfium2.PdfDocument(data)
    assert len(document) == 1
    assert document[0].get_size() == pytest.approx(LANDSCAPE, abs=0.5)
    text = words(pdftotext(data))
    say = content.messages.text
    assert nfc(name) in text
    assert "Dùng điện thoại thông minh" in text
    for key, values in [
        ("paper.heading", {}), ("paper.to", {}), ("paper.completed", {}), ("paper.scan", {}),
        ("paper.date", {"date": "23/11/2026"}), ("paper.issuer", {"issuer": ISSUER}),
        ("paper.number", {"code": "HS-7K2P-9QXD"}), ("paper.note", {"issuer": ISSUER}),
    ]:  # fmt: skip
        expected = words(say(key, **values))
        assert expected.upper() in text or expected in text, key
    for title in ("Làm quen với điện thoại", "Gõ tiếng Việt có dấu", "Zalo cơ bản"):
        assert title in text
    assert "0.1 Sử dụng thiết bị" in text and "0.2 Sử dụng phần mềm trên thiết bị" in text
    assert "757/QĐ-BKHCN" in text
    assert "mã xác nhận" not in text.lower()
    picture = document[0].render(scale=150 / 72).to_pil()
    assert decode(picture) == [f"{PUBLIC}/verify/HS-7K2P-9QXD"]
    assert_within_the_frame(data)


def assert_within_the_frame(data: bytes) -> None:
    page = pypdfium2.PdfDocument(data)[0]
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    width, height = LANDSCAPE
    for k in range(textpage.count_chars()):
        if text[k].strip():
            left, bottom, right, top = textpage.get_charbox(k)
            assert left >= MARGIN and right <= width - MARGIN, text[k]
            assert bottom >= MARGIN and top <= height - MARGIN, text[k]


def test_before_a_name_is_given_the_page_says_so_politely(content: Content) -> None:
    drawn = paper(content, None, issuer=None)
    text = words(pdftotext(certificate_pdf(drawn, content.messages)))
    assert content.messages.text("paper.no_name") in text
    default = content.messages.text("paper.issuer_default")
    assert content.messages.text("paper.issuer", issuer=default) in text


def test_without_a_public_address_the_number_is_printed_alone(content: Content) -> None:
    drawn = paper(content, "Nguyễn Thị Hường", base=None)
    assert drawn.verify_url is None
    assert not any(isinstance(shape, Code) for shape in layout(drawn, content.messages))
    text = words(pdftotext(certificate_pdf(drawn, content.messages)))
    assert content.messages.text("paper.number", code="HS-7K2P-9QXD") in text


LONG: list[tuple[str, dict[str, Any]]] = [
    ("every lesson of the content", {"certificate": "ky-nang-so-co-ban"}),
    ("a long name and issuer", {"name": "Công Tằng Tôn Nữ Thị Phương Thảo Ngọc Bích Hà Tiên",
                                "issuer": "Tổ công nghệ số cộng đồng thôn Đông, xã An Phú, tỉnh "
                                          "Đồng Tháp, cùng Đoàn Thanh niên xã"}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "given"), LONG, ids=[c[0] for c in LONG])
def test_long_words_stay_on_the_page(content: Content, case: str, given: dict[str, Any]) -> None:
    name = given.get("name", "Nguyễn Thị Hường")
    drawn = paper(content, name, given.get("certificate", "an-toan-tren-mang"),
                  issuer=given.get("issuer", ISSUER))  # fmt: skip
    data = certificate_pdf(drawn, content.messages)
    assert_within_the_frame(data)
    assert nfc(name) in words(pdftotext(data))


def test_the_serif_font_has_every_vietnamese_letter() -> None:
    from fontTools.ttLib import TTFont

    vowels, tones = "aăâeêioôơuưy", ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    letters = {nfc(v + t) for v in vowels for t in tones} | {"đ"}
    letters |= {letter.upper() for letter in letters} | set("'-.")
    with TTFont(str(SERIF_FONT)) as font:
        drawn = {chr(point) for point in font.getBestCmap()}
    assert sorted(letters - drawn) == []


def test_the_latest_pictures_are_kept(content: Content) -> None:
    drawn = paper(content, "Nguyễn Thị Hường")
    assert certificate_png(drawn, content.messages) is certificate_png(drawn, content.messages)


def test_the_picture_in_the_readme_is_a_certificate(tmp_path: Path) -> None:
    picture = REPO / "docs" / "certificate.png"
    with Image.open(picture) as image:
        assert image.size == (1754, 1240)
        assert decode(image) == [f"{PUBLIC}/verify/HS-7K2P-9QXD"]
