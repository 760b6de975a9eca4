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
(`messages.yaml`, `poster.*`). Both files are drawn from one layout in points (1/72 inch) by
`bot.drawing`, set in the Noto Sans shipped in `bot/fonts` (SIL Open Font License), which has
every Vietnamese letter, so a poster looks the same on any machine. The functions are pure:
they return the file's bytes; the caller decides where they go.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.drawing import (
    A4,
    ABOVE,
    BLUE,
    BOLD,
    BOLD_FONT,
    CAP,
    GREY,
    INK,
    RED,
    REGULAR,
    REGULAR_FONT,
    WHITE,
    Box,
    Code,
    Colour,
    Disc,
    Face,
    Shape,
    Text,
    clean,
    even,
    height,
    pdf,
    png,
    qr_modules,
    shrunk,
    text_width,
    wrap,
    wrap_link,
)
from bot.drawing import lines as _drawn_lines
from bot.links import LinkError, why_not_public
from bot.messages import Messages

__all__ = ["BOLD_FONT", "DPI", "POSTER_FORMATS", "REGULAR_FONT", "poster_pdf", "poster_png"]

POSTER_FORMATS = ("pdf", "png")
DPI = 200
"""The PNG's resolution: A4 at 200 dots an inch is 1654 × 2339 pixels, sharp on paper."""

PAGE_WIDTH, PAGE_HEIGHT = A4

_MARGIN = 40.0
_BAND = 64.0
_QR_MOST = 340.0  # 12 cm across with the quiet zone: scanned from an arm's length
_QR_LEAST = 170.0  # 6 cm: smaller, and the words must be shortened
_TITLE_SIZES = (44.0, 40.0, 36.0, 32.0, 28.0)
_TITLE_LINES = 3
_ONE_LINE_SIZE = 36.0  # a title this big or bigger on one line beats a bigger one cut in two
_STEP_SIZE = 19.0
_LINK_SIZE = 11.0
_VOLUNTEER_SIZE = 17.0
_SAFETY_SIZE = 12.0


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
    return png(_layout(title, link, messages, volunteer), A4, dpi)


def poster_pdf(title: str, link: str, messages: Messages, *, volunteer: str | None = None) -> bytes:
    """The poster as a one-page A4 PDF, to print; its text is real text (the title can be
    searched and copied) and the QR code is drawn, sharp at any size.

    The arguments are `poster_png`'s; LinkError and ValueError likewise.
    """
    return pdf(_layout(title, link, messages, volunteer), A4, title)


# -- the layout -------------------------------------------------------------------------------


def _layout(title: str, link: str, messages: Messages, volunteer: str | None) -> list[Shape]:
    """What goes where on the page, top to bottom, in points from the top-left corner."""
    why = why_not_public(link)
    if why:
        raise LinkError(f"a poster's link must be a public https address: {link!r} {why}")
    say = messages.text
    width = PAGE_WIDTH - 2 * _MARGIN
    centre = PAGE_WIDTH / 2
    shapes: list[Shape] = [Box(0, 0, PAGE_WIDTH, _BAND, BLUE)]

    movement = clean(say("poster.movement"))
    size = shrunk(movement, 26.0, BOLD, width)
    shapes.append(Text(movement, centre, _BAND / 2 + CAP * size / 2, size, BOLD, WHITE))

    size, lines = _title_lines(clean(title), width)
    y = _lines(shapes, lines, _BAND + 34, size, BOLD, INK, 1.2)

    scan = clean(say("poster.scan"))
    size = shrunk(scan, 30.0, BOLD, width)
    y = _lines(shapes, [scan], y + 14, size, BOLD, RED, 1.2)
    y = _steps(shapes, say("poster.steps"), y + 6, width)

    # The safety line at the foot; the QR code, its link and the volunteer fill what is left
    # between, the QR code as big as it fits up to 12 cm, the three centred in the room.
    safety = wrap(clean(say("poster.safety")), _SAFETY_SIZE, REGULAR, width)
    foot = PAGE_HEIGHT - 26 - height(safety, _SAFETY_SIZE, 1.3)
    _lines(shapes, safety, foot, _SAFETY_SIZE, REGULAR, GREY, 1.3)
    foot -= 10
    shapes.append(Box(_MARGIN, foot, width, 0.8, GREY))
    written = wrap_link(link, _LINK_SIZE, width)
    name = clean(volunteer or "")
    credit = wrap(clean(say("poster.volunteer", volunteer=name)), _VOLUNTEER_SIZE, BOLD, width)
    credit = credit[:2] if name else []
    # A blue frame round the code, clear of its white margin (rounded corners cut in).
    stroke, gap = 3.0, 8.0
    frame = gap + stroke
    below = frame + 6 + height(written, _LINK_SIZE, 1.25)
    if credit:
        below += 12 + height(credit, _VOLUNTEER_SIZE, 1.25)
    top, bottom = y + 10, foot - 20
    size = min(_QR_MOST, bottom - top - frame - below)
    if size < _QR_LEAST:
        raise ValueError(
            "the poster's words leave too little room for the QR code: shorten poster.steps "
            "(or the other poster.* sentences) in messages.yaml, or the title"
        )
    qr_top = top + frame + (bottom - top - frame - size - below) / 2
    shapes.append(Code(centre - size / 2, qr_top, size, qr_modules(link)))
    out = gap + stroke / 2
    shapes.append(
        Box(centre - size / 2 - out, qr_top - out, size + 2 * out, size + 2 * out, BLUE,
            line=stroke, radius=14)
    )  # fmt: skip
    y = _lines(shapes, written, qr_top + size + frame + 6, _LINK_SIZE, REGULAR, GREY, 1.25)
    if credit:
        _lines(shapes, credit, y + 12, _VOLUNTEER_SIZE, BOLD, INK, 1.25)
    return shapes


def _title_lines(title: str, width: float) -> tuple[float, list[str]]:
    """The title's size and lines: on one line if it fits at 36 points or more, else the
    biggest size at which it takes at most three lines, as even in length as they can be; at
    the smallest size, a longer title ends in … on the third."""
    for size in _TITLE_SIZES:
        if size >= _ONE_LINE_SIZE and text_width(title, size, BOLD) <= width:
            return size, [title]
    for size in _TITLE_SIZES:
        lines = wrap(title, size, BOLD, width)
        if len(lines) <= _TITLE_LINES:
            return size, even(title, size, BOLD, width, len(lines))
    lines = lines[:_TITLE_LINES]
    last = lines[-1]
    while last and text_width(last + " …", size, BOLD) > width:
        last = last[:-1].rstrip()
    lines[-1] = f"{last} …" if last else "…"
    return size, lines


def _steps(shapes: list[Shape], steps: str, top: float, width: float) -> float:
    """The steps, numbered in blue discs, as one block centred on the page; its bottom."""
    size = _STEP_SIZE
    radius = 0.72 * size
    indent = 2 * radius + 0.55 * size
    wrapped = [wrap(clean(step), size, REGULAR, width - indent) for step in steps.splitlines()]
    wrapped = [lines for lines in wrapped if lines]
    widest = max(
        (text_width(line, size, REGULAR) for lines in wrapped for line in lines), default=0
    )
    left = (PAGE_WIDTH - indent - widest) / 2
    y = top
    for number, lines in enumerate(wrapped, start=1):
        baseline = y + ABOVE * size
        middle = baseline - CAP * size / 2
        shapes.append(Disc(left + radius, middle, radius, BLUE))
        digit = 0.85 * size
        shapes.append(
            Text(str(number), left + radius, middle + CAP * digit / 2, digit, BOLD, WHITE)
        )
        for k, line in enumerate(lines):
            at = baseline + k * 1.3 * size
            shapes.append(Text(line, left + indent, at, size, REGULAR, INK, "left"))
        y += height(lines, size, 1.3) + 4
    return y


def _lines(
    shapes: list[Shape], texts: Sequence[str], top: float, size: float, face: Face,
    colour: Colour, leading: float,
) -> float:  # fmt: skip
    """Centred lines from `top` down; the bottom of the last."""
    return _drawn_lines(shapes, texts, top, size, face, colour, leading, PAGE_WIDTH / 2)
