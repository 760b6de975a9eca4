"""Posters: one printed page that sends a learner to a lesson, as a PNG and as an A4 PDF.

    ┌───────────────────────────────────┐
    │        Bình dân học vụ số         │  poster.movement, on a band
    │                                   │
    │      Nhận biết lừa đảo qua        │  the lesson's title, big, wrapped
    │              mạng                 │
    │          Quét mã để học           │  poster.scan
    │  (1) Mở camera điện thoại …       │  poster.steps, one step a line, numbered
    │  (2) Hướng camera vào mã …        │
    │  (3) Bấm vào đường link …         │
    │          ┌────────────┐           │
    │          │  QR code   │           │  the web link, up to 12 cm with its white margin
    │          └────────────┘           │
    │  https://…/chat?lesson=…&v=V12    │  the link written out, small
    │      Người hướng dẫn: V12         │  poster.volunteer, when there is one
    │    Học Số miễn phí, …             │  poster.safety
    └───────────────────────────────────┘

Every sentence but the title, the link and the volunteer's name is the content's
(`messages.yaml`, `poster.*`). Both files are drawn from one layout in points (1/72 inch),
set in the Noto Sans shipped in `bot/fonts` (SIL Open Font License), which has every
Vietnamese letter, so a poster looks the same on any machine. The functions are pure: they
return the file's bytes; the caller decides where they go.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import PathPaintRule
from PIL import Image, ImageDraw, ImageFont

from bot.links import LinkError, qr_code, why_not_public
from bot.messages import Messages

POSTER_FORMATS = ("pdf", "png")
FONTS = Path(__file__).parent / "fonts"
REGULAR_FONT = FONTS / "NotoSans-Regular.ttf"
BOLD_FONT = FONTS / "NotoSans-Bold.ttf"
DPI = 200
"""The PNG's resolution: A4 at 200 dots an inch is 1654 × 2339 pixels, sharp on paper."""

# A4, 210 × 297 mm, in points.
PAGE_WIDTH = 595.28
PAGE_HEIGHT = 841.89

Colour = tuple[int, int, int]
BLUE: Colour = (13, 71, 161)
RED: Colour = (183, 28, 28)
INK: Colour = (20, 20, 20)
GREY: Colour = (84, 84, 84)
WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)

_MARGIN = 40.0
_BAND = 64.0
_QR_BORDER = 4  # the standard quiet zone, in modules
_QR_MOST = 340.0  # 12 cm across with the quiet zone: scanned from an arm's length
_QR_LEAST = 170.0  # 6 cm: smaller, and the words must be shortened
_TITLE_SIZES = (44.0, 40.0, 36.0, 32.0, 28.0)
_TITLE_LINES = 3
_ONE_LINE_SIZE = 36.0  # a title this big or bigger on one line beats a bigger one cut in two
_STEP_SIZE = 19.0
_LINK_SIZE = 11.0
_VOLUNTEER_SIZE = 17.0
_SAFETY_SIZE = 12.0
# Noto Sans: a capital is 0.714 of the size tall; letters with two marks (Ấ, Ỗ) reach 1.07.
_CAP = 0.714
_ABOVE = 1.07
_BELOW = 0.3
# Where a link may break across lines: after these.
_LINK_BREAKS = "/?&="


@dataclass(frozen=True)
class _Text:
    """One line of text at its baseline; `x` is its centre, or its left end."""

    text: str
    x: float
    baseline: float
    size: float
    bold: bool
    colour: Colour
    centred: bool = True


@dataclass(frozen=True)
class _Box:
    """A rectangle: filled, or outlined `line` wide (the outline centred on its edges)."""

    x: float
    y: float
    width: float
    height: float
    colour: Colour
    line: float = 0.0
    radius: float = 0.0


@dataclass(frozen=True)
class _Disc:
    x: float
    y: float
    radius: float
    colour: Colour


@dataclass(frozen=True)
class _Code:
    """The QR code's modules with the quiet zone, True dark, in a square of `size` points."""

    x: float
    y: float
    size: float
    modules: tuple[tuple[bool, ...], ...]


_Shape = _Text | _Box | _Disc | _Code


def poster_png(
    title: str, link: str, messages: Messages, *, volunteer: str | None = None, dpi: int = DPI
) -> bytes:
    """The poster as a PNG of an A4 page (`dpi` dots an inch, 200 by default: 1654 × 2339
    pixels), to print or to send to a group chat.

    `title` is the lesson's title, `link` the web link its QR code opens (a public https
    address: `bot.links.web_link`), `volunteer` the volunteer's or team's name or code to show
    (None: no such line). LinkError when the link is not one a phone elsewhere could open;
    ValueError when the words (messages.yaml's `poster.*`) leave the QR code too little room.
    """
    shapes = _layout(title, link, messages, volunteer)
    scale = dpi / 72
    image = Image.new("RGB", (round(PAGE_WIDTH * scale), round(PAGE_HEIGHT * scale)), WHITE)
    draw = ImageDraw.Draw(image)
    for shape in shapes:
        if isinstance(shape, _Text):
            font = _pixel_font(shape.bold, round(shape.size * scale))
            anchor = "ms" if shape.centred else "ls"
            at = (shape.x * scale, shape.baseline * scale)
            draw.text(at, shape.text, font=font, fill=shape.colour, anchor=anchor)
        elif isinstance(shape, _Box):
            corners = (
                round(shape.x * scale),
                round(shape.y * scale),
                round((shape.x + shape.width) * scale) - 1,
                round((shape.y + shape.height) * scale) - 1,
            )
            if shape.line:
                # Pillow draws an outline inside the box, a PDF on both sides of it.
                half = round(shape.line * scale / 2)
                draw.rounded_rectangle(
                    (corners[0] - half, corners[1] - half, corners[2] + half, corners[3] + half),
                    round(shape.radius * scale) + half,
                    outline=shape.colour,
                    width=2 * half,
                )
            else:
                draw.rounded_rectangle(corners, round(shape.radius * scale), fill=shape.colour)
        elif isinstance(shape, _Disc):
            box = [(shape.x - shape.radius) * scale, (shape.y - shape.radius) * scale]
            box += [(shape.x + shape.radius) * scale, (shape.y + shape.radius) * scale]
            draw.ellipse(box, fill=shape.colour)
        else:
            image.paste(*_code_pixels(shape, scale))
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def poster_pdf(title: str, link: str, messages: Messages, *, volunteer: str | None = None) -> bytes:
    """The poster as a one-page A4 PDF, to print; its text is real text (the title can be
    searched and copied) and the QR code is drawn, sharp at any size.

    The arguments are `poster_png`'s; LinkError and ValueError likewise.
    """
    shapes = _layout(title, link, messages, volunteer)
    pdf = FPDF(orientation="portrait", unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font("Noto Sans", "", str(REGULAR_FONT))
    pdf.add_font("Noto Sans", "B", str(BOLD_FONT))
    pdf.set_title(_clean(title))
    pdf.set_lang("vi")
    pdf.set_creator("hocso")
    pdf.add_page()
    for shape in shapes:
        if isinstance(shape, _Text):
            pdf.set_font("Noto Sans", "B" if shape.bold else "", shape.size)
            pdf.set_text_color(*shape.colour)
            left = shape.x - pdf.get_string_width(shape.text) / 2 if shape.centred else shape.x
            pdf.text(left, shape.baseline, shape.text)
        elif isinstance(shape, _Box):
            if shape.line:
                pdf.set_draw_color(*shape.colour)
                pdf.set_line_width(shape.line)
            else:
                pdf.set_fill_color(*shape.colour)
            pdf.rect(
                shape.x, shape.y, shape.width, shape.height, "D" if shape.line else "F",
                round_corners=shape.radius > 0, corner_radius=shape.radius,
            )  # fmt: skip
        elif isinstance(shape, _Disc):
            pdf.set_fill_color(*shape.colour)
            pdf.circle(shape.x, shape.y, shape.radius, "F")
        else:
            _draw_code(pdf, shape)
    return bytes(pdf.output())


# -- the layout -------------------------------------------------------------------------------


def _layout(title: str, link: str, messages: Messages, volunteer: str | None) -> list[_Shape]:
    """What goes where on the page, top to bottom, in points from the top-left corner."""
    why = why_not_public(link)
    if why:
        raise LinkError(f"a poster's link must be a public https address: {link!r} {why}")
    say = messages.text
    width = PAGE_WIDTH - 2 * _MARGIN
    centre = PAGE_WIDTH / 2
    shapes: list[_Shape] = [_Box(0, 0, PAGE_WIDTH, _BAND, BLUE)]

    movement = _clean(say("poster.movement"))
    size = _shrunk(movement, 26.0, True, width)
    shapes.append(_Text(movement, centre, _BAND / 2 + _CAP * size / 2, size, True, WHITE))

    size, lines = _title_lines(_clean(title), width)
    y = _lines(shapes, lines, _BAND + 34, size, True, INK, 1.2)

    scan = _clean(say("poster.scan"))
    size = _shrunk(scan, 30.0, True, width)
    y = _lines(shapes, [scan], y + 14, size, True, RED, 1.2)
    y = _steps(shapes, say("poster.steps"), y + 6, width)

    # The safety line at the foot; the QR code, its link and the volunteer fill what is left
    # between, the QR code as big as it fits up to 12 cm, the three centred in the room.
    safety = _wrap(_clean(say("poster.safety")), _SAFETY_SIZE, False, width)
    foot = PAGE_HEIGHT - 26 - _height(safety, _SAFETY_SIZE, 1.3)
    _lines(shapes, safety, foot, _SAFETY_SIZE, False, GREY, 1.3)
    foot -= 10
    shapes.append(_Box(_MARGIN, foot, width, 0.8, GREY))
    written = _wrap_link(link, _LINK_SIZE, width)
    name = _clean(volunteer or "")
    credit = _wrap(_clean(say("poster.volunteer", volunteer=name)), _VOLUNTEER_SIZE, True, width)
    credit = credit[:2] if name else []
    # A blue frame round the code, clear of its white margin (rounded corners cut in).
    stroke, gap = 3.0, 8.0
    frame = gap + stroke
    below = frame + 6 + _height(written, _LINK_SIZE, 1.25)
    if credit:
        below += 12 + _height(credit, _VOLUNTEER_SIZE, 1.25)
    top, bottom = y + 10, foot - 20
    size = min(_QR_MOST, bottom - top - frame - below)
    if size < _QR_LEAST:
        raise ValueError(
            "the poster's words leave too little room for the QR code: shorten poster.steps "
            "(or the other poster.* sentences) in messages.yaml, or the title"
        )
    qr_top = top + frame + (bottom - top - frame - size - below) / 2
    modules = tuple(
        tuple(bool(dark) for dark in row)
        for row in qr_code(link).matrix_iter(scale=1, border=_QR_BORDER)
    )
    shapes.append(_Code(centre - size / 2, qr_top, size, modules))
    out = gap + stroke / 2
    shapes.append(
        _Box(centre - size / 2 - out, qr_top - out, size + 2 * out, size + 2 * out, BLUE,
             line=stroke, radius=14)
    )  # fmt: skip
    y = _lines(shapes, written, qr_top + size + frame + 6, _LINK_SIZE, False, GREY, 1.25)
    if credit:
        _lines(shapes, credit, y + 12, _VOLUNTEER_SIZE, True, INK, 1.25)
    return shapes


def _title_lines(title: str, width: float) -> tuple[float, list[str]]:
    """The title's size and lines: on one line if it fits at 36 points or more, else the
    biggest size at which it takes at most three lines, as even in length as they can be; at
    the smallest size, a longer title ends in … on the third."""
    for size in _TITLE_SIZES:
        if size >= _ONE_LINE_SIZE and _width(title, size, True) <= width:
            return size, [title]
    for size in _TITLE_SIZES:
        lines = _wrap(title, size, True, width)
        if len(lines) <= _TITLE_LINES:
            return size, _even(title, size, len(lines), width)
    lines = lines[:_TITLE_LINES]
    last = lines[-1]
    while last and _width(last + " …", size, True) > width:
        last = last[:-1].rstrip()
    lines[-1] = f"{last} …" if last else "…"
    return size, lines


def _even(text: str, size: float, count: int, width: float) -> list[str]:
    """`text` in `count` lines at the narrowest width that still needs no more, so that a
    title does not end in one lonely word."""
    narrow, wide = 0.0, width
    for _ in range(14):
        middle = (narrow + wide) / 2
        if len(_wrap(text, size, True, middle)) <= count:
            wide = middle
        else:
            narrow = middle
    return _wrap(text, size, True, wide)


def _steps(shapes: list[_Shape], steps: str, top: float, width: float) -> float:
    """The steps, numbered in blue discs, as one block centred on the page; its bottom."""
    size = _STEP_SIZE
    radius = 0.72 * size
    indent = 2 * radius + 0.55 * size
    wrapped = [_wrap(_clean(step), size, False, width - indent) for step in steps.splitlines()]
    wrapped = [lines for lines in wrapped if lines]
    widest = max((_width(line, size, False) for lines in wrapped for line in lines), default=0)
    left = (PAGE_WIDTH - indent - widest) / 2
    y = top
    for number, lines in enumerate(wrapped, start=1):
        baseline = y + _ABOVE * size
        middle = baseline - _CAP * size / 2
        shapes.append(_Disc(left + radius, middle, radius, BLUE))
        digit = 0.85 * size
        shapes.append(
            _Text(str(number), left + radius, middle + _CAP * digit / 2, digit, True, WHITE)
        )
        for k, line in enumerate(lines):
            at = baseline + k * 1.3 * size
            shapes.append(_Text(line, left + indent, at, size, False, INK, centred=False))
        y += _height(lines, size, 1.3) + 4
    return y


def _lines(
    shapes: list[_Shape], lines: Sequence[str], top: float, size: float, bold: bool,
    colour: Colour, leading: float,
) -> float:  # fmt: skip
    """Centred lines from `top` down; the bottom of the last."""
    for k, line in enumerate(lines):
        baseline = top + _ABOVE * size + k * leading * size
        shapes.append(_Text(line, PAGE_WIDTH / 2, baseline, size, bold, colour))
    return top + _height(lines, size, leading)


def _height(lines: Sequence[str], size: float, leading: float) -> float:
    if not lines:
        return 0.0
    return (_ABOVE + _BELOW) * size + (len(lines) - 1) * leading * size


# -- text -------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """`text` in composed form (one code point per Vietnamese letter), on one line, without
    what the font cannot draw (emoji): a poster shows no empty boxes."""
    composed = unicodedata.normalize("NFC", text)
    known = _covered()
    drawn = "".join(ch for ch in composed if ch.isspace() or ord(ch) in known)
    return " ".join(drawn.split())


def _wrap(text: str, size: float, bold: bool, width: float) -> list[str]:
    """Greedy lines of whole words no wider than `width`; a word wider than that alone is
    cut where it must be."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        for piece in _cut(word, size, bold, width):
            joined = f"{line} {piece}" if line else piece
            if line and _width(joined, size, bold) > width:
                lines.append(line)
                line = piece
            else:
                line = joined
    if line:
        lines.append(line)
    return lines


def _cut(word: str, size: float, bold: bool, width: float) -> list[str]:
    pieces: list[str] = []
    piece = ""
    for ch in word:
        if piece and _width(piece + ch, size, bold) > width:
            pieces.append(piece)
            piece = ""
        piece += ch
    return [*pieces, piece] if piece else pieces


def _wrap_link(link: str, size: float, width: float) -> list[str]:
    """The link in lines no wider than `width`, broken after a / ? & or = when it can be, so
    that what is written is exactly the link, with no character added (a break after a - would
    read as a word cut in two, the - not part of it)."""
    lines: list[str] = []
    rest = link
    while rest:
        end = len(rest)
        while end > 1 and _width(rest[:end], size, False) > width:
            end -= 1
        if end < len(rest):
            breaks = [k + 1 for k, ch in enumerate(rest[:end]) if ch in _LINK_BREAKS]
            if breaks and breaks[-1] > end // 2:
                end = breaks[-1]
        lines.append(rest[:end])
        rest = rest[end:]
    return lines


def _shrunk(text: str, size: float, bold: bool, width: float) -> float:
    """`size`, or smaller so that the one line fits `width`."""
    wide = _width(text, size, bold)
    return size if wide <= width else size * width / wide


def _width(text: str, size: float, bold: bool) -> float:
    return _measuring_font(bold).getlength(text) * size / 1000


@cache
def _measuring_font(bold: bool) -> ImageFont.FreeTypeFont:
    # At 1000 pixels an em, a width in pixels is in thousandths of the size, as PDFs measure.
    path = BOLD_FONT if bold else REGULAR_FONT
    return ImageFont.truetype(str(path), 1000, layout_engine=ImageFont.Layout.BASIC)


@cache
def _pixel_font(bold: bool, pixels: int) -> ImageFont.FreeTypeFont:
    path = BOLD_FONT if bold else REGULAR_FONT
    return ImageFont.truetype(str(path), pixels, layout_engine=ImageFont.Layout.BASIC)


@cache
def _covered() -> frozenset[int]:
    """The characters both fonts have a glyph for."""
    from fontTools.ttLib import TTFont

    found = []
    for path in (REGULAR_FONT, BOLD_FONT):
        with TTFont(str(path), lazy=True) as font:
            found.append(frozenset(font.getBestCmap()))
    return found[0] & found[1]


# -- the QR code ------------------------------------------------------------------------------


def _code_pixels(code: _Code, scale: float) -> tuple[Image.Image, tuple[int, int]]:
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


def _draw_code(pdf: FPDF, code: _Code) -> None:
    """The dark modules as one filled path of the outlines of the dark areas: drawn as squares
    side by side, a viewer would show hairlines between them."""
    module = code.size / len(code.modules)
    with pdf.new_path(paint_rule=PathPaintRule.FILL_NONZERO) as path:
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
