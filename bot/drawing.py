"""Printed pages drawn once and written twice: as a PNG for phones and as a PDF to print.

A page is a list of shapes laid out in points (1/72 inch) from its top-left corner: lines of
text at their baseline, boxes, discs and a QR code. `png` paints them with Pillow, `pdf` writes
them with fpdf2, so both files show the same page. Text is set in the Noto fonts shipped in
`bot/fonts` (SIL Open Font License), which have every Vietnamese letter, so a page looks the
same on any machine: Noto Sans, regular and bold, and Noto Serif bold for what a page puts
forward (a certificate's name and title). `bot.posters` and `bot.certificates` lay their pages
out with the helpers below (wrapping, measuring, centring); the functions are pure and return
the file's bytes.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from fpdf import FPDF
from fpdf.enums import PathPaintRule
from PIL import Image, ImageDraw, ImageFont

from bot.links import qr_code

FONTS = Path(__file__).parent / "fonts"
REGULAR_FONT = FONTS / "NotoSans-Regular.ttf"
BOLD_FONT = FONTS / "NotoSans-Bold.ttf"
SERIF_FONT = FONTS / "NotoSerif-Bold.ttf"

Face = Literal["regular", "bold", "serif"]
REGULAR: Face = "regular"
BOLD: Face = "bold"
SERIF: Face = "serif"
_FILES: dict[Face, Path] = {REGULAR: REGULAR_FONT, BOLD: BOLD_FONT, SERIF: SERIF_FONT}
# The PDF's font family and style for each face.
_PDF_FONTS: dict[Face, tuple[str, str]] = {
    REGULAR: ("Noto Sans", ""),
    BOLD: ("Noto Sans", "B"),
    SERIF: ("Noto Serif", "B"),
}

# A4, 210 × 297 mm, in points; `LANDSCAPE` turned on its side.
A4 = (595.28, 841.89)
LANDSCAPE = (A4[1], A4[0])

Colour = tuple[int, int, int]
BLUE: Colour = (13, 71, 161)
RED: Colour = (183, 28, 28)
GOLD: Colour = (176, 132, 38)
INK: Colour = (20, 20, 20)
GREY: Colour = (84, 84, 84)
WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)

QR_BORDER = 4  # the standard quiet zone, in modules
# Noto: a capital is 0.714 of the size tall; letters with two marks (Ấ, Ỗ) reach 1.07.
CAP = 0.714
ABOVE = 1.07
BELOW = 0.3
# Where a link may break across lines: after these.
_LINK_BREAKS = "/?&="

Align = Literal["centre", "left", "right"]


@dataclass(frozen=True)
class Text:
    """One line of text at its baseline; `x` is its centre, its left end or its right end."""

    text: str
    x: float
    baseline: float
    size: float
    face: Face
    colour: Colour
    align: Align = "centre"


@dataclass(frozen=True)
class Box:
    """A rectangle: filled, or outlined `line` wide (the outline centred on its edges)."""

    x: float
    y: float
    width: float
    height: float
    colour: Colour
    line: float = 0.0
    radius: float = 0.0


@dataclass(frozen=True)
class Disc:
    x: float
    y: float
    radius: float
    colour: Colour


@dataclass(frozen=True)
class Code:
    """The QR code's modules with the quiet zone, True dark, in a square of `size` points."""

    x: float
    y: float
    size: float
    modules: tuple[tuple[bool, ...], ...]


Shape = Text | Box | Disc | Code


def qr_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code of `url` (`bot.links.qr_code`) as rows of modules, quiet zone included."""
    return tuple(
        tuple(bool(dark) for dark in row)
        for row in qr_code(url).matrix_iter(scale=1, border=QR_BORDER)
    )


# -- the two files ----------------------------------------------------------------------------


def png(shapes: Sequence[Shape], page: tuple[float, float], dpi: int) -> bytes:
    """The page (`page`: width and height in points) as a PNG of `dpi` dots an inch."""
    scale = dpi / 72
    image = Image.new("RGB", (round(page[0] * scale), round(page[1] * scale)), WHITE)
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        if isinstance(shape, Text):
            font = _pixel_font(shape.face, round(shape.size * scale))
            anchor = {"centre": "ms", "left": "ls", "right": "rs"}[shape.align]
            at = (shape.x * scale, shape.baseline * scale)
            draw.text(at, shape.text, font=font, fill=shape.colour, anchor=anchor)
        elif isinstance(shape, Box):
            corners = (
                round(shape.x * scale),
                round(shape.y * scale),
                round((shape.x + shape.width) * scale) - 1,
                round((shape.y + shape.height) * scale) - 1,
            )
            if shape.line:
                # Pillow draws an outline inside the box, a PDF on both sides of it.
                half = max(1, round(shape.line * scale / 2))
                draw.rounded_rectangle(
                    (corners[0] - half, corners[1] - half, corners[2] + half, corners[3] + half),
                    round(shape.radius * scale) + half,
                    outline=shape.colour,
                    width=2 * half,
                )
            else:
                draw.rounded_rectangle(corners, round(shape.radius * scale), fill=shape.colour)
        elif isinstance(shape, Disc):
            box = [(shape.x - shape.radius) * scale, (shape.y - shape.radius) * scale]
            box += [(shape.x + shape.radius) * scale, (shape.y + shape.radius) * scale]
            draw.ellipse(box, fill=shape.colour)
        else:
            image.paste(*_code_pixels(shape, scale))
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def pdf(shapes: Sequence[Shape], page: tuple[float, float], title: str) -> bytes:
    """The page as a one-page PDF: its text is real text (it can be searched and copied) and
    the QR code is drawn, sharp at any size. `title` is the document's."""
    # fpdf2 takes the portrait size and turns it for a landscape page.
    turned = page[0] > page[1]
    document = FPDF(
        orientation="landscape" if turned else "portrait", unit="pt", format=(min(page), max(page))
    )
    document.set_auto_page_break(False)
    document.set_margins(0, 0, 0)
    for face, path in _FILES.items():
        family, style = _PDF_FONTS[face]
        document.add_font(family, style, str(path))
    document.set_title(clean(title))
    document.set_lang("vi")
    document.set_creator("hocso")
    document.add_page()
    for shape in shapes:
        if isinstance(shape, Text):
            document.set_font(*_PDF_FONTS[shape.face], shape.size)
            document.set_text_color(*shape.colour)
            left = shape.x
            if shape.align == "centre":
                left -= document.get_string_width(shape.text) / 2
            elif shape.align == "right":
                left -= document.get_string_width(shape.text)
            document.text(left, shape.baseline, shape.text)
        elif isinstance(shape, Box):
            if shape.line:
                document.set_draw_color(*shape.colour)
                document.set_line_width(shape.line)
            else:
                document.set_fill_color(*shape.colour)
            document.rect(
                shape.x, shape.y, shape.width, shape.height, "D" if shape.line else "F",
                round_corners=shape.radius > 0, corner_radius=shape.radius,
            )  # fmt: skip
        elif isinstance(shape, Disc):
            document.set_fill_color(*shape.colour)
            document.circle(shape.x, shape.y, shape.radius, "F")
        else:
            _draw_code(document, shape)
    return bytes(document.output())


# -- laying text out --------------------------------------------------------------------------


def lines(
    shapes: list[Shape], texts: Sequence[str], top: float, size: float, face: Face,
    colour: Colour, leading: float, x: float, align: Align = "centre",
) -> float:  # fmt: skip
    """Lines from `top` down, each at `x` as `align` says; the bottom of the last."""
    for k, line in enumerate(texts):
        baseline = top + ABOVE * size + k * leading * size
        shapes.append(Text(line, x, baseline, size, face, colour, align))
    return top + height(texts, size, leading)


def height(texts: Sequence[str], size: float, leading: float) -> float:
    """How tall these lines stand, from the top of their highest marks to their descenders."""
    if not texts:
        return 0.0
    return (ABOVE + BELOW) * size + (len(texts) - 1) * leading * size


def clean(text: str) -> str:
    """`text` in composed form (one code point per Vietnamese letter), on one line, without
    what the fonts cannot draw (emoji): a page shows no empty boxes."""
    composed = unicodedata.normalize("NFC", text)
    known = covered()
    drawn = "".join(ch for ch in composed if ch.isspace() or ord(ch) in known)
    return " ".join(drawn.split())


def wrap(text: str, size: float, face: Face, width: float) -> list[str]:
    """Greedy lines of whole words no wider than `width`; a word wider than that alone is
    cut where it must be."""
    found: list[str] = []
    line = ""
    for word in text.split():
        for piece in _cut(word, size, face, width):
            joined = f"{line} {piece}" if line else piece
            if line and text_width(joined, size, face) > width:
                found.append(line)
                line = piece
            else:
                line = joined
    if line:
        found.append(line)
    return found


def even(text: str, size: float, face: Face, width: float, count: int | None = None) -> list[str]:
    """`text` in `count` lines (None: as few as fit `width`) at the narrowest width that still
    needs no more, so that the last line is not one lonely word."""
    count = len(wrap(text, size, face, width)) if count is None else count
    narrow, wide = 0.0, width
    for _ in range(14):
        middle = (narrow + wide) / 2
        if len(wrap(text, size, face, middle)) <= count:
            wide = middle
        else:
            narrow = middle
    return wrap(text, size, face, wide)


def _cut(word: str, size: float, face: Face, width: float) -> list[str]:
    pieces: list[str] = []
    piece = ""
    for ch in word:
        if piece and text_width(piece + ch, size, face) > width:
            pieces.append(piece)
            piece = ""
        piece += ch
    return [*pieces, piece] if piece else pieces


def wrap_link(link: str, size: float, width: float) -> list[str]:
    """The link in lines no wider than `width`, broken after a / ? & or = when it can be, so
    that what is written is exactly the link, with no character added (a break after a - would
    read as a word cut in two, the - not part of it)."""
    found: list[str] = []
    rest = link
    while rest:
        end = len(rest)
        while end > 1 and text_width(rest[:end], size, REGULAR) > width:
            end -= 1
        if end < len(rest):
            breaks = [k + 1 for k, ch in enumerate(rest[:end]) if ch in _LINK_BREAKS]
            if breaks and breaks[-1] > end // 2:
                end = breaks[-1]
        found.append(rest[:end])
        rest = rest[end:]
    return found


def shrunk(text: str, size: float, face: Face, width: float) -> float:
    """`size`, or smaller so that the one line fits `width`."""
    wide = text_width(text, size, face)
    return size if wide <= width else size * width / wide


def text_width(text: str, size: float, face: Face) -> float:
    return _measuring_font(face).getlength(text) * size / 1000


@cache
def _measuring_font(face: Face) -> ImageFont.FreeTypeFont:
    # At 1000 pixels an em, a width in pixels is in thousandths of the size, as PDFs measure.
    return ImageFont.truetype(str(_FILES[face]), 1000, layout_engine=ImageFont.Layout.BASIC)


@cache
def _pixel_font(face: Face, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FILES[face]), pixels, layout_engine=ImageFont.Layout.BASIC)


@cache
def covered() -> frozenset[int]:
    """The characters every font has a glyph for."""
    from fontTools.ttLib import TTFont

    found = []
    for path in _FILES.values():
        with TTFont(str(path), lazy=True) as font:
            found.append(frozenset(font.getBestCmap()))
    return frozenset.intersection(*found)


# -- the QR code ------------------------------------------------------------------------------


def _code_pixels(code: Code, scale: float) -> tuple[Image.Image, tuple[int, int]]:
    """The QR code as a picture of whole pixels a module (so every module is square and
    sharp), centred where the layout puts it."""
    count = len(code.modules)
    module = max(1, math.floor(code.size * scale / count))
    small = Image.new("L", (count, count), 255)
    small.putdata([0 if dark else 255 for row in code.modules for dark in row])
    big = small.resize((count * module, count * module), Image.Resampling.NEAREST)
    left = round((code.x + code.size / 2) * scale - big.width / 2)
    top = round((code.y + code.size / 2) * scale - big.height / 2)
    return big.convert("RGB"), (left, top)


def _draw_code(document: FPDF, code: Code) -> None:
    """The dark modules as one filled path of the outlines of the dark areas: drawn as squares
    side by side, a viewer would show hairlines between them."""
    module = code.size / len(code.modules)
    with document.new_path(paint_rule=PathPaintRule.FILL_NONZERO) as path:
        path.style.fill_color = "#000000"
        for loop in _outlines(code.modules):
            (x, y), *rest = loop
            path.move_to(code.x + x * module, code.y + y * module)
            for x, y in rest:
                path.line_to(code.x + x * module, code.y + y * module)
            path.close()


def _outlines(modules: Sequence[Sequence[bool]]) -> list[list[tuple[int, int]]]:
    """Closed loops of grid corners around the dark modules, each turning the same way around
    dark (so holes turn the other way round them and are left white by a non-zero fill)."""
    count = len(modules)

    def dark(r: int, c: int) -> bool:
        return 0 <= r < count and 0 <= c < count and modules[r][c]

    # Every side of a dark module with light beyond it, clockwise (x right, y down).
    leaving: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for r in range(count):
        for c in range(count):
            if not modules[r][c]:
                continue
            sides = (
                (not dark(r - 1, c), (c, r), (c + 1, r)),
                (not dark(r, c + 1), (c + 1, r), (c + 1, r + 1)),
                (not dark(r + 1, c), (c + 1, r + 1), (c, r + 1)),
                (not dark(r, c - 1), (c, r + 1), (c, r)),
            )
            for edge, start, end in sides:
                if edge:
                    leaving.setdefault(start, []).append(end)
    # Which way a loop goes at a corner two areas share does not matter: the fill depends only
    # on the sides, not on how they are joined up.
    loops = []
    while leaving:
        start = next(iter(leaving))
        loop = [start]
        point = start
        while True:
            ends = leaving[point]
            following = ends.pop()
            if not ends:
                del leaving[point]
            point = following
            if point == start:
                break
            loop.append(point)
        loops.append(_corners(loop))
    return loops


def _corners(loop: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The loop without the points in the middle of a straight side."""
    kept = []
    for k, (x, y) in enumerate(loop):
        (px, py), (nx, ny) = loop[k - 1], loop[(k + 1) % len(loop)]
        if (x - px, y - py) != (nx - x, ny - y):
            kept.append((x, y))
    return kept
