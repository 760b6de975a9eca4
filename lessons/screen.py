"""The screen budget: whether a message and its buttons fit on one phone screen, read by an
elderly learner with large text, without scrolling.

The budget, counted in lines:

- the text is wrapped at word breaks into lines of `LINE_WIDTH` (30) characters; every line
  of the text counts, a blank one too; emoji and other wide characters count as two;
- a button (an option, the continue button, a link) takes `BUTTON_LINES` (2) lines, and one
  more for each further line its label wraps to;
- a picture takes `IMAGE_LINES` (8) lines;
- the whole message may take at most `MAX_LINES` (13) lines.

A lesson step's text may also have at most `MAX_CHARACTERS` (350) characters: the lesson
format's own limit (`lesson-format.md`). Pass text as the learner reads it, without the
`*bold*` and `_italic_` markers (`lessons.markup.plain`).

Why these numbers. The phone is 360×740 dp held upright, the size the lesson format names,
with Android's status bar (24 dp) and three-button navigation bar (48 dp).

- Width. The web chat (`handlers/web/static/chat.css`) writes bot text at 20 px, the size an
  elderly reader needs, in a text column 292 px wide on a 360 px screen (12 px page padding
  each side, the bubble's 4 % right margin, 14 px padding and 1 px border each side): about
  33 letters of Arial's average width, 30 once words are not cut. Telegram's bubble leaves
  about 250 dp for text on such a screen: about 30 characters at the 18-20 dp an elderly
  reader sets (37 at its default 16).
- Height. In Chrome (its toolbar 56 dp) the web chat has 612 px; its composer stays at the
  bottom (157 px: label, input, shortcut buttons), leaving 455 px for the newest message. A
  message takes 50 px of margins, borders and padding, 30 px a line (line-height 1.5) and
  60 px a button (52 px and an 8 px gap: two lines): (455 − 50) / 30 = 13.5 lines. A taller
  message shows its top, and its buttons are below the composer (`chat.js`). Telegram's
  chat (app bar 56 dp, input bar 48 dp: 564 dp) holds about 22 lines of 20 dp text (23.4 dp
  a line; a row of buttons is about two lines), so the web chat is the tighter of the two
  and sets the budget. Neither fits it with the on-screen keyboard open.
- A picture spans the bubble: a 4:3 photo 292 px wide is 219 px high, with its 10 px margin
  about 8 lines. A taller picture (a portrait screenshot) takes more.

`scripts/measure_screen.py` checks all this against the page itself: it lays every lesson
message out in headless Chromium with the web chat's HTML and CSS in those 360×612 px, and
compares. With Arial's widths (Liberation Sans; phones draw Roboto or San Francisco, about
as wide) the budget and the page agreed on all 443 messages of `content/` when it was set.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

LINE_WIDTH = 30
MAX_LINES = 13
BUTTON_LINES = 2
IMAGE_LINES = 8
MAX_CHARACTERS = 350

__all__ = [
    "BUTTON_LINES",
    "IMAGE_LINES",
    "LINE_WIDTH",
    "MAX_CHARACTERS",
    "MAX_LINES",
    "Screenful",
    "button_lines",
    "characters",
    "fits",
    "lines",
    "measure",
    "text_lines",
]


@dataclass(frozen=True)
class Screenful:
    """The lines a message takes: its text, its buttons, its picture."""

    text: int
    buttons: int = 0
    image: int = 0

    @property
    def lines(self) -> int:
        return self.text + self.buttons + self.image

    @property
    def over(self) -> int:
        """Lines beyond `MAX_LINES`; 0 when the message fits."""
        return max(0, self.lines - MAX_LINES)


def measure(text: str, buttons: Sequence[str] = (), *, image: bool = False) -> Screenful:
    """The lines of a message with these button labels (and a picture)."""
    return Screenful(
        text_lines(text),
        sum(button_lines(label) for label in buttons),
        IMAGE_LINES if image else 0,
    )


def lines(text: str, buttons: Sequence[str] = (), *, image: bool = False) -> int:
    """How many lines of the screen the message takes."""
    return measure(text, buttons, image=image).lines


def fits(text: str, buttons: Sequence[str] = (), *, image: bool = False) -> bool:
    """Whether the message fits on one screen."""
    return lines(text, buttons, image=image) <= MAX_LINES


def text_lines(text: str) -> int:
    """Lines of `LINE_WIDTH` the text takes, wrapped at spaces; a word longer than a line
    is cut. Surrounding blank space is not shown, so it does not count."""
    if not text.strip():
        return 0
    return sum(_paragraph_lines(paragraph) for paragraph in text.strip().split("\n"))


def button_lines(label: str) -> int:
    """A button is its label's lines and about a line of padding and gap around them."""
    return BUTTON_LINES - 1 + text_lines(label)


def characters(text: str) -> int:
    """The characters of a text as `MAX_CHARACTERS` counts them: what is shown."""
    return len(text.strip())


def _paragraph_lines(paragraph: str) -> int:
    count = 1
    used = 0  # characters on the current line
    for word in paragraph.split():
        size = sum(_width(ch) for ch in word)
        if size == 0:
            continue
        if used and used + 1 + size <= LINE_WIDTH:
            used += 1 + size
            continue
        if used:
            count += 1
        # A word longer than a line is cut across as many lines as it needs.
        whole, rest = divmod(size, LINE_WIDTH)
        count += whole - 1 if rest == 0 else whole
        used = rest if rest else LINE_WIDTH
    return count


def _width(ch: str) -> int:
    """Emoji and CJK are drawn about twice as wide as a letter; marks and joiners not at all."""
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
