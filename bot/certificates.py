"""A certificate as a page: what it says (`Paper`), drawn as a picture for phone screens (PNG)
and as an A4 page to print (PDF), landscape, by `bot.drawing`.

    ┌────────────────────────────────────────────────────────────┐
    │                    BÌNH DÂN HỌC VỤ SỐ                      │  poster.movement
    │                     GIẤY CHỨNG NHẬN                        │  paper.heading, serif, red
    │                    Chứng nhận Ông/Bà                       │  paper.to
    │                    Nguyễn Thị Hường                        │  the name (paper.no_name)
    │        đã học đạt các bài học kỹ năng số của chứng nhận    │  paper.completed
    │                    An toàn trên mạng                       │  the certificate's title
    │     Gồm 5 bài: Giữ an toàn mã OTP · Zalo an toàn · …       │  paper.lessons
    │     Kỹ năng theo Khung …: 4.2 Bảo vệ dữ liệu cá nhân …     │  paper.skills
    │  Ngày cấp: 23/11/2026                          ┌──────┐    │  paper.date
    │  Đơn vị cấp: Tổ công nghệ số cộng đồng xã …    │  QR  │    │  paper.issuer
    │                                                └──────┘    │
    │                                   Số chứng nhận: HS-7K2P-9QXD  paper.number
    │  Giấy chứng nhận do … cấp qua Học Số … không phải văn bằng …│  paper.note
    └────────────────────────────────────────────────────────────┘

The QR code opens `$HOCSO_PUBLIC_URL/verify/NUMBER` (`verify_url`), where anyone checks it;
without a public address (trying things out) the number is printed alone. The name is the
learner's `certificate_name`, the only personal detail on the page; until they give one the
page says so (`paper.no_name`). The issuing unit is `HOCSO_ISSUER` (e.g. "Tổ công nghệ số
cộng đồng xã An Phú"), else `paper.issuer_default`. Every sentence is the content's
(`messages.yaml`, `paper.*`), and the framework's names are `framework.yaml`'s. The functions
are pure and return the file's bytes; the last few pictures drawn are kept, as a chat may ask
for one again soon (a retry, Zalo fetching it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from bot.certified import Standing
from bot.content import Content
from bot.drawing import (
    BLUE,
    BOLD,
    GOLD,
    GREY,
    INK,
    LANDSCAPE,
    RED,
    REGULAR,
    SERIF,
    Box,
    Code,
    Disc,
    Shape,
    Text,
    clean,
    even,
    height,
    lines,
    pdf,
    png,
    qr_modules,
    shrunk,
    text_width,
    wrap,
)
from bot.messages import Messages

DPI = 150
"""The PNG's resolution: landscape A4 at 150 dots an inch is 1754 × 1240 pixels, sharp on a
phone and fine printed."""

ISSUER_ENV = "HOCSO_ISSUER"

WIDTH, HEIGHT = LANDSCAPE
_CENTRE = WIDTH / 2
_TEXT_WIDTH = WIDTH - 150
_QR = 100.0  # 3.5 cm: read by a phone held over the paper
_FOOT = HEIGHT - 202  # where the date, the issuer and the QR code begin
_SEPARATOR = " · "


@dataclass(frozen=True)
class Paper:
    """What one certificate says. `name` None: not given yet; `skills`: (code, name) pairs
    of the national framework; `verify_url` None: no QR code (no public address)."""

    code: str
    title: str
    name: str | None
    lessons: tuple[str, ...]
    skills: tuple[tuple[str, str], ...]
    framework: str
    earned_at: str
    issuer: str
    verify_url: str | None


def verify_url(base: str, code: str) -> str:
    """Where anyone checks the certificate `code`: `<base>/verify/<code>`."""
    return f"{base.rstrip('/')}/verify/{code}"


def paper_of(content: Content, found: Standing, *, issuer: str | None, base: str | None) -> Paper:
    """What the certificate `found` (genuine) says with this content: its title, lessons and
    skills; the issuing unit `issuer` (None: the content's default); the QR code of its
    /verify page under `base`, a public https address (None: no QR code)."""
    certificate = content.certificate(found.certificate)
    lesson_ids = certificate.lessons if certificate else ()
    lessons = tuple(content.lessons[lid].title for lid in lesson_ids if lid in content.lessons)
    skills = content.framework.named(certificate.skills) if certificate else []
    return Paper(
        code=found.code,
        title=certificate.title if certificate else found.certificate,
        name=found.name,
        lessons=lessons,
        skills=tuple(skills),
        framework=content.framework.name,
        earned_at=found.earned_at,
        issuer=issuer or content.messages.text("paper.issuer_default"),
        verify_url=verify_url(base, found.code) if base else None,
    )


def day(stamp: str) -> str:
    """An ISO time as a certificate dates it: 23/11/2026."""
    try:
        return datetime.fromisoformat(stamp).strftime("%d/%m/%Y")
    except ValueError:
        return stamp


@lru_cache(maxsize=16)
def certificate_png(paper: Paper, messages: Messages, dpi: int = DPI) -> bytes:
    """The certificate as a PNG of a landscape A4 page, `dpi` dots an inch."""
    return png(layout(paper, messages), LANDSCAPE, dpi)


@lru_cache(maxsize=16)
def certificate_pdf(paper: Paper, messages: Messages) -> bytes:
    """The certificate as a one-page landscape A4 PDF to print: real text, a drawn QR code."""
    title = f"{messages.text('paper.heading')} {paper.title} {paper.code}"
    return pdf(layout(paper, messages), LANDSCAPE, title)


# -- the layout -------------------------------------------------------------------------------


def layout(paper: Paper, messages: Messages) -> list[Shape]:
    """What goes where, in points from the top-left corner: the body from the top, the foot
    (date, issuer, QR code, note) from the bottom; the body gives up the list of lessons, then
    shrinks, rather than run into the foot."""
    shapes = _frame()
    for listed in (True, False):
        for scale in (1.0, 0.9, 0.8):
            body: list[Shape] = []
            bottom = _body(body, paper, messages, listed=listed, scale=scale)
            if bottom <= _FOOT - 8:
                return shapes + body + _foot(paper, messages)
    return shapes + body + _foot(paper, messages)


def _frame() -> list[Shape]:
    """A blue border, a fine gold one inside it, gold dots at its corners."""
    shapes: list[Shape] = [
        Box(18, 18, WIDTH - 36, HEIGHT - 36, BLUE, line=3.5),
        Box(28, 28, WIDTH - 56, HEIGHT - 56, GOLD, line=1.0),
    ]
    for x in (28, WIDTH - 28):
        for y in (28, HEIGHT - 28):
            shapes.append(Disc(x, y, 4.0, GOLD))
    return shapes


def _body(
    shapes: list[Shape], paper: Paper, messages: Messages, *, listed: bool, scale: float
) -> float:
    """The body, top down; its bottom. What follows the heading is moved down to the middle
    of the room the foot leaves."""
    say = messages.text
    movement = clean(say("poster.movement")).upper()
    y = lines(shapes, [movement], 44, 13, BOLD, BLUE, 1.2, _CENTRE)
    heading = clean(say("paper.heading")).upper()
    size = shrunk(heading, 40 * scale, SERIF, _TEXT_WIDTH)
    y = lines(shapes, [heading], y + 4, size, SERIF, RED, 1.2, _CENTRE)
    shapes.append(Box(_CENTRE - 70, y + 6, 140, 1.5, GOLD))
    top = len(shapes)
    y = lines(shapes, [clean(say("paper.to"))], y + 16, 15 * scale, REGULAR, GREY, 1.2, _CENTRE)
    name = clean(paper.name or "")
    if name:
        size = shrunk(name, 42 * scale, SERIF, _TEXT_WIDTH - 40)
        y = lines(shapes, [name], y + 6, size, SERIF, INK, 1.2, _CENTRE)
    else:
        missing = clean(say("paper.no_name"))
        y = lines(shapes, [missing], y + 14, 18 * scale, REGULAR, GREY, 1.2, _CENTRE)
    completed = clean(say("paper.completed"))
    y = lines(shapes, [completed], y + 6, 15 * scale, REGULAR, GREY, 1.2, _CENTRE)
    size = 26 * scale
    title = wrap(clean(paper.title), size, BOLD, _TEXT_WIDTH)
    while len(title) > 2 and size > 16:
        size -= 2
        title = wrap(clean(paper.title), size, BOLD, _TEXT_WIDTH)
    y = lines(shapes, title[:2], y + 6, size, BOLD, BLUE, 1.15, _CENTRE)
    small = 11.5 * scale
    titles = [clean(title) for title in paper.lessons]
    # The sentence around the titles, which are broken into lines between one and the next.
    before, _, after = messages.template("paper.lessons").partition("{lessons}")
    count = len(titles)
    lead = clean(before.format(count=count))
    ends = [*titles[:-1], clean(titles[-1] + after.format(count=count))] if titles else []
    covered = _listed(lead, ends, small, 3) if listed and titles else []
    if not covered:
        covered = [clean(say("paper.lesson_count", count=len(titles)))]
    y = lines(shapes, covered, y + 10, small, REGULAR, INK, 1.3, _CENTRE)
    if paper.skills:
        said = clean(say("paper.skills", framework=paper.framework))
        named = [clean(f"{code} {name}") for code, name in paper.skills]
        y = lines(shapes, wrap(said, small, REGULAR, _TEXT_WIDTH), y + 6, small, REGULAR,
                  GREY, 1.3, _CENTRE)  # fmt: skip
        y = lines(shapes, _listed("", named, small, 3) or named[:1], y, small, REGULAR, GREY,
                  1.3, _CENTRE)  # fmt: skip
    room = (_FOOT - 8 - y) / 2
    if room > 0:
        shapes[top:] = [_lowered(shape, min(room, 40)) for shape in shapes[top:]]
        y += min(room, 40)
    return y


def _listed(lead: str, items: list[str], size: float, most: int) -> list[str]:
    """`lead` and the items joined by · in at most `most` lines, broken between items where
    that can be, as even in length as they can be; none when they need more lines."""

    def fill(width: float) -> list[str]:
        found: list[str] = []
        line = lead
        for k, item in enumerate(items):
            piece = item + (_SEPARATOR.rstrip() if k < len(items) - 1 else "")
            joined = f"{line} {piece}" if line else piece
            if line and text_width(joined, size, REGULAR) > width:
                found.append(line)
                line = piece
            else:
                line = joined
        found.append(line)
        return [part for long in found for part in wrap(long, size, REGULAR, _TEXT_WIDTH)]

    found = fill(_TEXT_WIDTH)
    if len(found) > most:
        return []
    narrow, wide = 0.0, _TEXT_WIDTH
    for _ in range(12):
        middle = (narrow + wide) / 2
        if len(fill(middle)) <= len(found):
            wide = middle
        else:
            narrow = middle
    return fill(wide)


def _lowered(shape: Shape, by: float) -> Shape:
    if isinstance(shape, Text):
        return replace(shape, baseline=shape.baseline + by)
    return replace(shape, y=shape.y + by)


def _foot(paper: Paper, messages: Messages) -> list[Shape]:
    """The date and the issuing unit on the left, the QR code and the number on the right,
    the note along the bottom."""
    say = messages.text
    shapes: list[Shape] = []
    note = even(clean(say("paper.note", issuer=paper.issuer)), 8.5, REGULAR, WIDTH - 120)[:3]
    note_top = HEIGHT - 40 - height(note, 8.5, 1.3)
    lines(shapes, note, note_top, 8.5, REGULAR, GREY, 1.3, _CENTRE)
    right = WIDTH - 60  # the QR block's right edge
    block = 180.0  # its width: the number under the code
    qr_x = right - block / 2 - _QR / 2
    left = 66.0
    width = right - block - 24 - left
    date = clean(say("paper.date", date=day(paper.earned_at)))
    y = lines(shapes, [date], _FOOT + 30, 13, REGULAR, INK, 1.3, left, "left")
    issuer = wrap(clean(say("paper.issuer", issuer=paper.issuer)), 13, BOLD, width)[:3]
    lines(shapes, issuer, y + 6, 13, BOLD, INK, 1.3, left, "left")
    number = clean(say("paper.number", code=paper.code))
    size = shrunk(number, 11.5, BOLD, block)
    if paper.verify_url is None:
        lines(shapes, [number], _FOOT + 22, size, BOLD, INK, 1.3, right - block / 2)
        return shapes
    shapes.append(Code(qr_x, _FOOT, _QR, qr_modules(paper.verify_url)))
    y = lines(shapes, [number], _FOOT + _QR + 2, size, BOLD, INK, 1.3, right - block / 2)
    scan = clean(say("paper.scan"))
    lines(shapes, [scan], y, shrunk(scan, 9.5, REGULAR, block), REGULAR, GREY, 1.3,
          right - block / 2)  # fmt: skip
    return shapes


__all__ = [
    "DPI",
    "ISSUER_ENV",
    "Paper",
    "certificate_pdf",
    "certificate_png",
    "day",
    "layout",
    "paper_of",
    "verify_url",
]
