"""`hocso link LESSON`: the links, the poster and the QR code that open a lesson, for volunteers
to print and share."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot import links
from bot.content import Content
from cli.common import add_common, load_content

LINK_DESCRIPTION = """\
Print the links that open a lesson, one per line as `channel: link`, and write what a
volunteer prints or shares, each named after the lesson (and the volunteer's code):

  LESSON_CODE-poster.pdf  an A4 poster to print: the lesson's title, how to scan in plain
                          Vietnamese, a big QR code of the web link, the link written out,
                          and the volunteer's code
  LESSON_CODE-poster.png  the same poster as a picture, to send to a Zalo group or print
  LESSON_CODE.png         the QR code alone, to put in a document of your own

Any phone camera (or Zalo's QR scanner) opens the QR code, no app needed. With --volunteer,
learners who come through the web or Telegram link are credited to that volunteer; without
it the files are LESSON-poster.pdf, LESSON-poster.png and LESSON.png.

The web link, which the QR code holds, is HOCSO_PUBLIC_URL/chat?lesson=LESSON&v=CODE, and
HOCSO_PUBLIC_URL must be the service's public https address (e.g. https://hocso.example.vn),
the one learners' phones open: without it, or with an address of this machine or of a
private network (localhost, 127.0.0.1, 192.168.…) or plain http, hocso link writes nothing
and says so (exit 1). The other links:

  telegram  https://t.me/BOT?start=LESSON_CODE, BOT being TELEGRAM_BOT_USERNAME, or
            asked of Telegram with TELEGRAM_BOT_TOKEN
  zalo_oa   https://zalo.me/OA_ID, OA_ID being ZALO_OA_ID
  zalo_bot  ZALO_BOT_LINK, the link Zalo gives to share the bot

Zalo has no way to open a given lesson: its links open the chat, the learner picks the
lesson from the menu there, and no volunteer is credited. A link whose settings are
missing is left out, with a note on stderr. A lesson id that is not found is answered
with the list of lesson ids."""


def register(commands: Any) -> None:
    link = commands.add_parser(
        "link",
        help="links, a poster and a QR code that open a lesson",
        description=LINK_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    link.add_argument("lesson", metavar="LESSON", help="the lesson's id, e.g. an-toan-otp")
    link.add_argument(
        "--volunteer",
        metavar="CODE",
        help="credit this volunteer with the learners the links bring (letters, digits and -)",
    )
    link.add_argument(
        "--qr",
        type=Path,
        metavar="PATH",
        help="where to write the QR code (default: ./LESSON.png, or ./LESSON_CODE.png)",
    )
    link.add_argument(
        "--qr-format",
        choices=links.QR_FORMATS,
        help="png (default, or as PATH ends) or svg (a drawing that prints sharp at any size)",
    )
    link.add_argument("--no-qr", action="store_true", help="do not write the QR code alone")
    link.add_argument(
        "--poster",
        type=Path,
        action="append",
        metavar="PATH",
        help="write the poster here instead, as a PDF or PNG as PATH ends; give it twice for "
        "both (default: ./LESSON_CODE-poster.pdf and ./LESSON_CODE-poster.png)",
    )
    link.add_argument("--no-poster", action="store_true", help="do not write the poster")
    link.add_argument(
        "--json", action="store_true", help="print JSON for machines: the links, the files written"
    )
    add_common(link, store=False)
    link.set_defaults(run=_link)


def _link(args: argparse.Namespace) -> int:
    from webhook.settings import Settings

    content = load_content(args.content)
    if content is None:
        return 1
    lesson = args.lesson.strip().lower()
    if lesson not in content.lessons:
        _no_such_lesson(args.lesson, content)
        return 1
    volunteer = args.volunteer.strip() if args.volunteer is not None else None
    try:
        if volunteer == "":
            raise links.LinkError("--volunteer needs a code, e.g. --volunteer V12")
        payload = links.start_payload(lesson, volunteer)
        settings = Settings.from_env()
        channels = links.LinkSettings.from_env(os.environ)
        base = links.public_base(settings.public_url)
        qr = None if args.no_qr else _qr_path(args, lesson, volunteer)
        poster_files = [] if args.no_poster else _poster_paths(args, lesson, volunteer)
    except (links.LinkError, ValueError) as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    found = links.LessonLinks(
        lesson,
        volunteer,
        payload,
        web=links.web_link(base, lesson, volunteer),
        telegram=_telegram_link(settings, channels, payload),
        zalo_oa=links.zalo_oa_link(channels.zalo_oa_id) if channels.zalo_oa_id else None,
        zalo_bot=channels.zalo_bot_link,
    )
    title = content.lessons[lesson].title
    _zalo_note(found, title)
    try:  # drawn before anything is written, so that a refusal leaves no file behind
        drawn = _draw_posters(poster_files, title, found.web, content, volunteer)
    except ValueError as error:  # the content's words crowd out the QR code
        print(f"hocso: cannot make the poster: {error}", file=sys.stderr)
        return 1
    if qr is not None:
        try:
            links.write_qr(found.web, qr[0], qr[1])
        except OSError as error:
            print(f"hocso: cannot write the QR code to {qr[0]}: {error}", file=sys.stderr)
            return 1
    for path, poster in drawn:
        try:
            path.write_bytes(poster)
        except OSError as error:
            print(f"hocso: cannot write the poster to {path}: {error}", file=sys.stderr)
            return 1
    if args.json:
        out: dict[str, Any] = {"lesson": lesson}
        if volunteer:
            out["volunteer"] = volunteer
        out["payload"] = payload
        out["links"] = found.known()
        if qr is not None:
            out["qr"] = str(qr[0])
        if poster_files:
            out["posters"] = [str(path) for path, _ in poster_files]
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    for channel, url in found.known().items():
        print(f"{channel}: {url}")
    if qr is not None:
        print(f"qr: {qr[0]}")
    for path, _ in poster_files:
        print(f"poster: {path}")
    if sys.stdout.isatty():
        sys.stdout.flush()
        links.print_qr(found.web, sys.stdout)
    return 0


def _no_such_lesson(asked: str, content: Content) -> None:
    import difflib

    ids = list(content.lessons)
    close = difflib.get_close_matches(asked.strip().lower(), ids, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    print(f"hocso: no lesson {asked!r} in {content.root}{hint}", file=sys.stderr)
    print("The lessons, as the menu lists them (id: title):", file=sys.stderr)
    for lesson in content.lessons.values():
        print(f"  {lesson.id}: {lesson.title}", file=sys.stderr)


def _qr_path(args: argparse.Namespace, lesson: str, volunteer: str | None) -> tuple[Path, str]:
    """Where the QR code goes and as what; ValueError when the two disagree."""
    path: Path | None = args.qr
    if path is None:
        kind = args.qr_format or "png"
        return Path(f"{lesson}_{volunteer}.{kind}" if volunteer else f"{lesson}.{kind}"), kind
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in links.QR_FORMATS:
        raise ValueError(f"--qr {path}: the name must end in .png or .svg")
    if args.qr_format and suffix != args.qr_format:
        raise ValueError(f"--qr {path} ends in .{suffix} but --qr-format is {args.qr_format}")
    return path, suffix


def _poster_paths(
    args: argparse.Namespace, lesson: str, volunteer: str | None
) -> list[tuple[Path, str]]:
    """Where the posters go and as what; ValueError for a name that is neither .pdf nor .png."""
    from bot.posters import POSTER_FORMATS

    chosen: list[Path] | None = args.poster
    if not chosen:
        stem = f"{lesson}_{volunteer}" if volunteer else lesson
        return [(Path(f"{stem}-poster.{kind}"), kind) for kind in POSTER_FORMATS]
    paths = []
    for path in chosen:
        kind = path.suffix.lower().lstrip(".")
        if kind not in POSTER_FORMATS:
            raise ValueError(f"--poster {path}: the name must end in .pdf or .png")
        paths.append((path, kind))
    return paths


def _draw_posters(
    files: list[tuple[Path, str]], title: str, web: str, content: Content, volunteer: str | None
) -> list[tuple[Path, bytes]]:
    """Each poster file's bytes; ValueError from `bot.posters` passes."""
    if not files:
        return []
    # Imported here: the drawing libraries take a moment to load, and only posters need them.
    from bot.posters import poster_pdf, poster_png

    make = {"pdf": poster_pdf, "png": poster_png}
    return [
        (path, make[kind](title, web, content.messages, volunteer=volunteer))
        for path, kind in files
    ]


def _telegram_link(settings: Any, channels: links.LinkSettings, payload: str) -> str | None:
    """The t.me link, with the bot's user name from the setting or from Telegram; None,
    with a note on stderr, when neither can say it."""
    username: str | None = channels.telegram_username
    if username is None and settings.telegram_token:
        try:
            username = telegram_username(settings.telegram_token, settings.telegram_api_url)
        except links.LinkError as error:
            print(
                f"hocso: no Telegram link: asking for the bot's user name failed: {error}. Set "
                "TELEGRAM_BOT_USERNAME, or check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL",
                file=sys.stderr,
            )
            return None
    if username is None:
        print(
            "hocso: no Telegram link: set TELEGRAM_BOT_USERNAME (the bot's user name) or "
            "TELEGRAM_BOT_TOKEN",
            file=sys.stderr,
        )
        return None
    return links.telegram_link(username, payload)


def _zalo_note(found: links.LessonLinks, title: str) -> None:
    if not (found.zalo_oa or found.zalo_bot):
        print(
            "hocso: no Zalo link: set ZALO_OA_ID (an Official Account) or ZALO_BOT_LINK (a Zalo "
            "bot's share link)",
            file=sys.stderr,
        )
        return
    credit = f", and volunteer {found.volunteer} is not credited" if found.volunteer else ""
    print(
        "hocso: Zalo cannot open a given lesson: its links open the chat, where the learner "
        f"picks {title!r} from the lesson menu{credit}",
        file=sys.stderr,
    )


def telegram_username(token: str, api_url: str) -> str:
    """The bot's user name, asked of the Bot API (getMe); LinkError says why it is not known,
    without the token (the message may be pasted where people ask for help)."""
    import asyncio

    # Imported here: only this lookup needs the Telegram client.
    from telegram.error import InvalidToken, TelegramError

    from handlers.telegram import make_bot

    async def get_me() -> str:
        bot = make_bot(token, api_url, connections=1)
        async with bot:  # initialize() calls getMe
            return bot.username

    try:
        return asyncio.run(get_me())
    except InvalidToken:
        raise links.LinkError(f"{api_url} refused TELEGRAM_BOT_TOKEN") from None
    except TelegramError as error:
        said = str(error).replace(token, "<TELEGRAM_BOT_TOKEN>")
        raise links.LinkError(
            f"{api_url} did not answer ({type(error).__name__}: {said})"
        ) from None
