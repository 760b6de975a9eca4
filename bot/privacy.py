"""Spotting secrets a learner pastes by mistake (an OTP, an ID number, a card or account
number, a phone number), so they are never stored or logged and the learner is warned.

    find_secret("ma cua toi la 482913")   -> "otp"
    mask("so the 4111 1111 1111 1111")     -> "so the •••• •••• •••• ••11"
"""

from __future__ import annotations

import re
from typing import Literal

Secret = Literal["otp", "id_number", "card", "account", "phone"]

# Digit groups joined by spaces, dots or dashes read as one number: "4111 1111 1111 1111".
_NUMBER = re.compile(r"(?<![\d])\+?\d(?:[\d]|[ .\-](?=\d)){3,}(?![\d])")
_PHONE = re.compile(r"^(?:\+?84|0)(?:3|5|7|8|9)\d{8}$")


def _digit_runs(text: str) -> list[str]:
    return [re.sub(r"\D", "", match.group()) for match in _NUMBER.finditer(text)]


def find_secret(text: str) -> Secret | None:
    """The kind of secret the text seems to carry, or None.

    12 digits: a personal ID (căn cước) number; 10 digits starting 0 (or 84…): a phone
    number; 13-19 digits: a card number; 6-8 digits: an OTP; 9-11 or 14+ other digits: a
    bank account number. Short numbers (answers such as 156, years, "số 2") are fine.
    """
    for digits in _digit_runs(text):
        length = len(digits)
        if length == 12:
            return "id_number"
        if _PHONE.match(digits):
            return "phone"
        if 13 <= length <= 19:
            return "card"
        if 6 <= length <= 8:
            return "otp"
        if length >= 9:
            return "account"
    return None


def mask(text: str) -> str:
    """The text with every run of four or more digits hidden but its last two digits."""

    def hide(match: re.Match[str]) -> str:
        run = match.group()
        digits = sum(ch.isdigit() for ch in run)
        seen = 0
        out = []
        for ch in run:
            if ch.isdigit():
                seen += 1
                out.append(ch if seen > digits - 2 else "•")
            else:
                out.append(ch)
        return "".join(out)

    return _NUMBER.sub(hide, text)
