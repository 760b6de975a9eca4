"""Lesson links: the address on each channel that opens a lesson, and the QR code of the web one.

    web       $HOCSO_PUBLIC_URL/chat?lesson=an-toan-otp&v=V12
    telegram  https://t.me/hocso_bot?start=an-toan-otp_V12
    zalo_oa   https://zalo.me/<OA id>
    zalo_bot  $ZALO_BOT_LINK

The web and Telegram links carry the start payload of `bot.deeplink` (the lesson, and the
volunteer to credit). Zalo documents no start payload for an Official Account's follow link
nor for a Zalo bot, so the Zalo links open the chat only: the learner picks the lesson from the
menu, and no volunteer is credited. The QR code holds the web link: any phone camera opens it,
with no app to install.

The web link is printed on posters and handed round, so it is only made from a public https
address (`public_base`): a link to this machine, a private network or plain http would open
nothing, or a warning, on a learner's phone.

Settings of their own, besides the service's (`HOCSO_PUBLIC_URL`, `TELEGRAM_BOT_TOKEN`,
`TELEGRAM_API_URL`):

| variable | meaning |
|---|---|
| `TELEGRAM_BOT_USERNAME` | the bot's user name; without it, asked of Telegram (getMe) |
| `ZALO_OA_ID` | the Official Account's id (OA management page), for `https://zalo.me/<id>` |
| `ZALO_BOT_LINK` | the link Zalo gives to share the bot, printed as it is |
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlencode, urlsplit

import segno

from bot import deeplink

QR_FORMATS = ("png", "svg")

_VOLUNTEER = re.compile(r"[A-Za-z0-9-]+")
_TELEGRAM_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_OA_ID = re.compile(r"[0-9]{1,32}")
# Names that only a machine or its own network resolves (RFC 6761, 6762, 8375, and common use).
_LOCAL_SUFFIXES = (".local", ".localdomain", ".internal", ".lan", ".home.arpa")
_EXAMPLE_URL = "https://hocso.example.vn"

# A poster's QR code: 1200 px across at least, 12 cm wide when placed at its own size, error
# correction Q (a quarter of it can be dirty or creased), the standard quiet zone of 4 modules.
_QR_PIXELS = 1200
_QR_CM = 12.0
_QR_BORDER = 4


class LinkError(ValueError):
    """An argument or setting a person can fix; the message says how."""


@dataclass(frozen=True)
class LinkSettings:
    """Where the channels' links point, beyond the service's own settings."""

    telegram_username: str | None = None
    zalo_oa_id: str | None = None
    zalo_bot_link: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LinkSettings:
        """Read the three variables; LinkError names one that is set but malformed."""
        username = (environ.get("TELEGRAM_BOT_USERNAME") or "").strip().removeprefix("@")
        if username and not _TELEGRAM_USERNAME.fullmatch(username):
            raise LinkError(
                f"TELEGRAM_BOT_USERNAME {username!r} is not a Telegram bot's user name "
                "(5 to 32 letters, digits and _, as @BotFather shows it, e.g. hocso_bot)"
            )
        oa_id = (environ.get("ZALO_OA_ID") or "").strip()
        if oa_id and not _OA_ID.fullmatch(oa_id):
            raise LinkError(
                f"ZALO_OA_ID {oa_id!r} is not an Official Account id: it is the number shown "
                "as OA ID on the OA's management page (oa.zalo.me), not a link nor the app id"
            )
        bot_link = (environ.get("ZALO_BOT_LINK") or "").strip()
        return cls(username or None, oa_id or None, bot_link or None)


@dataclass(frozen=True)
class LessonLinks:
    """The links that open one lesson, crediting one volunteer or none; None: not known."""

    lesson: str
    volunteer: str | None
    payload: str
    web: str
    telegram: str | None = None
    zalo_oa: str | None = None
    zalo_bot: str | None = None

    def known(self) -> dict[str, str]:
        """The links there are, by channel, in the order they are printed."""
        by_channel = {
            "web": self.web,
            "telegram": self.telegram,
            "zalo_oa": self.zalo_oa,
            "zalo_bot": self.zalo_bot,
        }
        return {channel: url for channel, url in by_channel.items() if url}


def start_payload(lesson: str, volunteer: str | None) -> str:
    """The deep-link payload; LinkError with the rule when the volunteer code breaks it."""
    if volunteer is not None and not _VOLUNTEER.fullmatch(volunteer):
        raise LinkError(
            f"the volunteer code {volunteer!r} may only have letters A-Z a-z, digits 0-9 and -, "
            "e.g. V12 or HN-0042"
        )
    try:
        return deeplink.build(lesson, volunteer)
    except ValueError:
        room = 64 - len(lesson) - 1
        raise LinkError(
            f"the volunteer code {volunteer!r} is too long: with the lesson id {lesson!r} it "
            f"may have at most {room} characters (a Telegram start link carries 64)"
        ) from None


def public_base(public_url: str | None) -> str:
    """The service's public address (HOCSO_PUBLIC_URL) for the links that phones open, without
    a trailing /; LinkError, saying to set HOCSO_PUBLIC_URL, when it is not set or is not a
    public https address."""
    if not public_url:
        raise LinkError(
            "HOCSO_PUBLIC_URL is not set, so there is no web address a learner's phone could "
            "open. Set HOCSO_PUBLIC_URL to the service's public https address, e.g. "
            f"HOCSO_PUBLIC_URL={_EXAMPLE_URL}, and run this again"
        )
    why = why_not_public(public_url)
    if why is None and ("?" in public_url or "#" in public_url):
        why = "has a ?query or #part: give the address alone, which the links are added to"
    if why:
        raise LinkError(
            f"HOCSO_PUBLIC_URL {public_url!r} {why}. Set HOCSO_PUBLIC_URL to the service's public "
            f"https address, the one learners' phones open, e.g. {_EXAMPLE_URL}"
        )
    return public_url.rstrip("/")


def why_not_public(url: str) -> str | None:
    """Why a phone elsewhere could not open `url` as it is, in words that follow the address
    (`'…' is not https`); None when it is a public https address."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (read for its ValueError)
    except ValueError:  # a bracket left open, a port that is not a number
        return "is not a web address: it must be like https://name.vn, a port after : if any"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not a web address: it must start with https://"
    host = parts.hostname.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            return f"is this machine's own address ({host}), which no phone can open"
        if host.endswith(_LOCAL_SUFFIXES) or "." not in host:
            return f"names {host}, which only a local network knows, not the internet"
    else:
        if not address.is_global:
            return f"is a local or private address ({host}), which phones elsewhere cannot open"
    if parts.scheme != "https":
        return "is not https: phones warn about or refuse plain http pages"
    if parts.username is not None or parts.password is not None:
        return "has a user name or password in it, which every link and poster would show"
    return None


def web_link(base: str, lesson: str, volunteer: str | None) -> str:
    """`<base>/chat?lesson=ID[&v=CODE]`, as `webhook.web` reads it."""
    query = {"lesson": lesson, **({"v": volunteer} if volunteer else {})}
    return f"{base.rstrip('/')}/chat?{urlencode(query)}"


def telegram_link(username: str, payload: str) -> str:
    """The t.me link whose Start button sends `/start <payload>` to the bot."""
    return f"https://t.me/{username}?start={payload}"


def zalo_oa_link(oa_id: str) -> str:
    """The Official Account's page in Zalo, where the learner follows it and chats."""
    return f"https://zalo.me/{oa_id}"


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="q")


def write_qr(url: str, path: Path, kind: str) -> None:
    """A QR code of `url` big enough for a printed poster, as PNG or SVG; OSError passes."""
    code = qr_code(url)
    modules = code.symbol_size(scale=1, border=_QR_BORDER)[0]
    if kind == "svg":
        scale_mm = _QR_CM * 10 / modules
        code.save(str(path), kind="svg", scale=scale_mm, unit="mm", border=_QR_BORDER, title=url)
        return
    scale = math.ceil(_QR_PIXELS / modules)
    dpi = round(modules * scale / (_QR_CM / 2.54))
    code.save(str(path), kind="png", scale=scale, border=_QR_BORDER, dpi=dpi)


def print_qr(url: str, out: TextIO) -> None:
    """The QR code in block characters, for a terminal (two rows of modules a line)."""
    qr_code(url).terminal(out=out, border=_QR_BORDER, compact=True)
