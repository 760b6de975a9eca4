"""Start payloads: what a lesson link or QR code carries when it opens the bot.

`LESSON[_VOLUNTEER]`, at most 64 characters of `A-Za-z0-9_-` (Telegram's /start limit):

    an-toan-otp          opens that lesson
    an-toan-otp_V123     opens it and credits volunteer V123
    _V123                credits the volunteer, shows the lesson menu
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{0,64}$")


@dataclass(frozen=True)
class StartLink:
    lesson: str | None = None
    volunteer: str | None = None


def parse(payload: str) -> StartLink:
    """The lesson and volunteer a payload names; anything malformed names neither."""
    payload = payload.strip()
    if not _PAYLOAD.match(payload):
        return StartLink()
    lesson, _, volunteer = payload.partition("_")
    return StartLink(lesson.lower() or None, volunteer or None)


def build(lesson: str | None = None, volunteer: str | None = None) -> str:
    """The payload for a lesson and/or volunteer; ValueError when it would not fit."""
    payload = (lesson or "") + (f"_{volunteer}" if volunteer else "")
    if not _PAYLOAD.match(payload) or (volunteer and "_" in volunteer):
        raise ValueError("a start payload is at most 64 characters of A-Z a-z 0-9 - (and one _)")
    return payload
