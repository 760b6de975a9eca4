"""The `hocso` command: chat with the tutor, check lessons, look up a learner's progress.

hocso chat [--lesson ID | --start PAYLOAD] [--learner ID] [--json]
hocso lint [CONTENT]
hocso progress LEARNER [--json]
hocso verify CODE
hocso link LESSON [--volunteer CODE] [--json]
hocso backup [DEST]
hocso restore SRC [--force]
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot import links, lint
from bot.content import Content, check_content, default_content_dir
from bot.engine import Engine
from bot.inbound import Inbound
from bot.outbound import Outbound
from bot.progress import progress_json
from bot.stores import DEFAULT_STORE_URL, open_store
from bot.stores.base import Store
from bot.summary import progress_text
from bot.tutor import Tutor
from lessons.reading import normalize

STORE_ENV = "HOCSO_STORE"

DESCRIPTION = """\
hocso teaches digital skills in Vietnamese, one small step at a time, in a chat.

Commands:
  chat      talk to the tutor here in the terminal, as a learner would
  lint      check a lesson folder and list every mistake with its file and line
  serve     run the service: the web chat, and the Telegram and Zalo webhooks
  progress  show one learner's lessons, scores and certificates
  verify    check a certificate's verification code
  link      the links and the QR code that open a lesson, for volunteers to share
  backup    copy the learners' store while the service runs
  restore   put a backup back in place of the store

Run `hocso COMMAND --help` to see a command's options."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hocso", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    chat = commands.add_parser(
        "chat",
        help="talk to the tutor in the terminal",
        description="Talk to the tutor as a learner would. Buttons are shown numbered: type "
        "the number or the words. Type 'exit' or press Ctrl-D to leave; your progress is kept.",
    )
    _common(chat)
    chat.add_argument("--learner", help="the learner id to chat as (default: cli:<your user name>)")
    opening = chat.add_mutually_exclusive_group()
    opening.add_argument(
        "--lesson", help="open this lesson straight away (its id, e.g. an-toan-otp)"
    )
    opening.add_argument(
        "--start",
        metavar="PAYLOAD",
        help="begin as a lesson link would: LESSON, LESSON_VOLUNTEER or _VOLUNTEER (what a "
        "Telegram /start link carries); the learner is credited to that volunteer",
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="for scripts: read one message per line, write one JSON line per turn",
    )
    chat.set_defaults(run=_chat)

    lint = commands.add_parser(
        "lint",
        help="check a lesson folder",
        description="Check every lesson, certificates.yaml and messages.yaml in a content "
        "folder. Prints one line per problem as path:line: message and exits 1, or exits 0 "
        "when everything is right. Warnings (a lesson message too long for one phone screen) "
        "are printed the same way, as path:line: warning: message, and do not make it fail.",
    )
    lint.add_argument(
        "folder", nargs="?", type=Path, metavar="CONTENT", help="the content folder (or --content)"
    )
    _common(lint, store=False)
    lint.set_defaults(run=_lint)

    serve = commands.add_parser(
        "serve",
        help="run the webhook service",
        description="Run the service that chat platforms call (uvicorn). Channels are turned "
        "on by their settings in the environment, e.g. TELEGRAM_BOT_TOKEN and "
        "TELEGRAM_SECRET_TOKEN; with none it still starts. See the README for every setting.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes, each on a socket of its own (SO_REUSEPORT) so the kernel spreads "
        "connections evenly; several need a SQLite or Redis store",
    )
    serve.add_argument(
        "--set-webhook",
        action="store_true",
        help="first tell each configured platform (Telegram, the Zalo Bot Platform) to send "
        "updates to $HOCSO_PUBLIC_URL/webhook/telegram, /webhook/zalo-bot",
    )
    serve.add_argument(
        "--global-rate",
        type=float,
        help="messages a second to all chats (env HOCSO_RATE_GLOBAL; 30)",
    )
    serve.add_argument(
        "--chat-rate", type=float, help="messages a second to one chat (env HOCSO_RATE_CHAT; 1)"
    )
    serve.add_argument(
        "--chat-burst",
        type=float,
        help="messages at once to one chat (env HOCSO_RATE_CHAT_BURST; 3)",
    )
    serve.add_argument("--log-level", default="info", help="debug, info, warning or error")
    _common(serve)
    serve.set_defaults(run=_serve)

    progress = commands.add_parser(
        "progress",
        help="show a learner's progress",
        description="Show one learner's lessons, scores and certificates. Learner ids are "
        "the ones the channels use (tg:12345, zalo:..., web:...) or the one given to chat.",
    )
    progress.add_argument("learner", help="the learner id")
    progress.add_argument("--json", action="store_true", help="print JSON for machines")
    _common(progress)
    progress.set_defaults(run=_progress)

    verify = commands.add_parser(
        "verify",
        help="check a certificate code",
        description="Say who earned the certificate with this verification code, and when.",
    )
    verify.add_argument("code", help="the code printed on the certificate, e.g. HS-7K2P-9QXD")
    _common(verify)
    verify.set_defaults(run=_verify)

    _link_parser(commands)
    _backup_parsers(commands)
    return parser


def _common(parser: argparse.ArgumentParser, *, store: bool = True, content: bool = True) -> None:
    if content:
        parser.add_argument(
            "--content",
            type=Path,
            default=None,
            help="the lesson folder (env HOCSO_CONTENT; default: the repo's content/ folder)",
        )
    if store:
        parser.add_argument(
            "--store",
            default=os.environ.get(STORE_ENV, DEFAULT_STORE_URL),
            help="where learners' progress is kept: sqlite:///FILE, redis://HOST:PORT/DB or "
            f"memory:// (env {STORE_ENV}; default {DEFAULT_STORE_URL})",
        )


def _load(folder: Path | None) -> Content | None:
    """The content, or None after printing what is wrong with it to stderr."""
    root = folder or default_content_dir()
    content, problems = check_content(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if content is None:
        print(
            f"hocso: the content folder {root} has problems; fix them and try again",
            file=sys.stderr,
        )
    return content


def _open(url: str) -> Store | None:
    try:
        return open_store(url)
    except (ValueError, OSError) as error:
        print(f"hocso: cannot open the store {url}: {error}", file=sys.stderr)
        return None


# -- chat ---------------------------------------------------------------------------------


def _chat(args: argparse.Namespace) -> int:
    content = _load(args.content)
    store = _open(args.store)
    if content is None or store is None:
        return 1
    learner = args.learner or f"cli:{_user()}"
    tutor = Tutor(Engine(content), store)
    start = args.start if args.start is not None else args.lesson
    try:
        if args.json:
            _chat_json(tutor, learner, start, sys.stdin, sys.stdout)
        else:
            _chat_terminal(tutor, learner, start, sys.stdin, sys.stdout)
    finally:
        store.close()
    return 0


def _user() -> str:
    try:
        return re.sub(r"[^A-Za-z0-9_.-]", "", getpass.getuser()) or "local"
    except (OSError, KeyError):
        return "local"


def _reply(tutor: Tutor, learner: str, line: str, shown: list[Outbound]) -> list[Outbound]:
    """Send one line: a button's exact label is a tap on that button, anything else is text."""
    for message in reversed(shown):
        for button in message.buttons:
            if line.strip() == button.label:
                return tutor.handle(Inbound(learner, payload=button.payload))
    return tutor.handle(Inbound(learner, text=line))


def _chat_json(
    tutor: Tutor, learner: str, lesson: str | None, stdin: TextIO, stdout: TextIO
) -> None:
    replies = tutor.handle(Inbound(learner, start=lesson or ""))
    _write_json(replies, stdout)
    for raw in stdin:
        replies = _reply(tutor, learner, raw.rstrip("\r\n"), replies)
        _write_json(replies, stdout)


def _write_json(replies: list[Outbound], stdout: TextIO) -> None:
    out = []
    for message in replies:
        item: dict[str, Any] = {"text": message.text, "buttons": [b.label for b in message.buttons]}
        if message.links:
            item["links"] = [{"label": link.label, "url": link.url} for link in message.links]
        if message.image:
            item["image"] = message.image
        out.append(item)
    stdout.write(json.dumps({"replies": out}, ensure_ascii=False) + "\n")
    stdout.flush()


def _chat_terminal(
    tutor: Tutor, learner: str, lesson: str | None, stdin: TextIO, stdout: TextIO
) -> None:
    interactive = stdin.isatty()
    style = _Style(stdout.isatty())
    if interactive:
        stdout.write(style.dim(f"(learner {learner}; type 'exit' or press Ctrl-D to leave)\n"))
    replies = tutor.handle(Inbound(learner, start=lesson or ""))
    while True:
        _show(replies, stdout, style)
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line or normalize(line) in ("exit", "quit", "thoat"):
            stdout.write("\n" if interactive else "")
            return
        replies = _reply(tutor, learner, line.rstrip("\r\n"), replies)


def _show(replies: list[Outbound], stdout: TextIO, style: _Style) -> None:
    number = 0
    for message in replies:
        stdout.write("\n" + style.text(message.text) + "\n")
        if message.image:
            stdout.write(style.dim(f"  [image: {message.image}]") + "\n")
        for link in message.links:
            stdout.write(f"  🔗 {link.label}: {link.url}\n")
        for button in message.buttons:
            number += 1
            stdout.write(style.button(f"  [{number}] {button.label}") + "\n")
    stdout.flush()


class _Style:
    """Bold for `*bold*` and colours for buttons on a terminal; plain text elsewhere."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def text(self, text: str) -> str:
        if not self.colour:
            return re.sub(r"(?<!\w)[*_](\S(?:.*?\S)?)[*_](?!\w)", r"\1", text)
        text = re.sub(r"(?<!\w)\*(\S(?:.*?\S)?)\*(?!\w)", "\033[1m\\1\033[0m", text)
        return re.sub(r"(?<!\w)_(\S(?:.*?\S)?)_(?!\w)", "\033[3m\\1\033[0m", text)

    def button(self, text: str) -> str:
        return f"\033[36m{text}\033[0m" if self.colour else text

    def dim(self, text: str) -> str:
        return f"\033[2m{text}\033[0m" if self.colour else text


# -- lint, progress, verify ---------------------------------------------------------------


def _lint(args: argparse.Namespace) -> int:
    root: Path = args.folder or args.content or default_content_dir()
    content, problems = check_content(root)
    for problem in problems:
        print(problem)
    if content is None:
        if not problems:
            print(f"{root}:1: the content folder cannot be used")
        return 1
    # Warnings do not stop the bot: the folder is usable, so lint still exits 0.
    warned = lint.warnings(content)
    for warning in warned:
        print(warning)
    counts = f"{len(content.lessons)} lessons, {len(content.certificates)} certificates"
    tail = f", {len(warned)} warning{'s' * (len(warned) != 1)}" if warned else ""
    print(f"{root}: {counts}, no problems{tail}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from webhook import logs
    from webhook.settings import Settings

    # Workers are separate processes: they read their settings from the environment.
    overrides = {
        "HOCSO_CONTENT": str(args.content) if args.content else None,
        "HOCSO_STORE": args.store,
        "HOCSO_RATE_GLOBAL": args.global_rate,
        "HOCSO_RATE_CHAT": args.chat_rate,
        "HOCSO_RATE_CHAT_BURST": args.chat_burst,
        "HOCSO_LOG_LEVEL": args.log_level,
    }
    os.environ.update({name: str(value) for name, value in overrides.items() if value is not None})
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    if _load(settings.content) is None:
        return 1
    if args.workers > 1 and settings.store.startswith("memory:"):
        print("hocso: several workers need a shared store (sqlite:// or redis://)", file=sys.stderr)
        return 1
    store = _open(settings.store)
    if store is None:
        return 1
    store.close()
    if args.set_webhook and not _set_webhook(settings):
        return 1
    logs.setup(args.log_level.upper())
    options: dict[str, Any] = {
        "app": "webhook.app:create_app",
        "factory": True,
        "log_level": args.log_level,
        "log_config": logs.uvicorn_config(args.log_level),
        "access_log": False,
        # httptools with limits on slow and large requests (HOCSO_HEADER_TIMEOUT, ...).
        "http": "webhook.http:HttpProtocol",
        # Telegram keeps webhook connections open; uvicorn's default closes idle ones after 5 s,
        # and a client that reuses one just as it closes gets a reset.
        "timeout_keep_alive": 75,
        # A stop waits this long for requests in flight: webhooks finish in milliseconds, but
        # the web chat's long polls would hold it for up to 25 s.
        "timeout_graceful_shutdown": 10,
    }
    metrics = settings.metrics_token is not None
    if args.workers > 1:
        # Each worker on a socket of its own, so connections are spread evenly (see there);
        # with metrics on, the workers count in files of a folder the supervisor prepares.
        from webhook.workers import serve

        return serve(options, args.host, args.port, args.workers, metrics=metrics)
    # One process: its metrics are counted in memory (prometheus_client reads this variable
    # when it is first imported, in this process's app).
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    uvicorn.run(host=args.host, port=args.port, workers=args.workers, **options)
    return 0


def _set_webhook(settings: Any) -> bool:
    """Register the webhook of every configured channel that registers one by API, saying
    what each platform answered; False when any refused."""
    if not settings.public_url or not (settings.telegram or settings.zalo_bot):
        print(
            "hocso: --set-webhook needs HOCSO_PUBLIC_URL and a channel to register: "
            "TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN, or ZALO_BOT_TOKEN and "
            "ZALO_BOT_SECRET_TOKEN",
            file=sys.stderr,
        )
        return False
    done = True
    if settings.telegram:
        done = _set_telegram_webhook(settings) and done
    if settings.zalo_bot:
        done = _set_zalo_bot_webhook(settings) and done
    return done


def _set_telegram_webhook(settings: Any) -> bool:
    import asyncio

    from handlers.telegram import make_bot, set_webhook

    url = f"{settings.public_url}/webhook/telegram"

    async def register() -> None:
        bot = make_bot(settings.telegram_token, settings.telegram_api_url)
        async with bot:
            await set_webhook(bot, url, settings.telegram_secret)

    try:
        asyncio.run(register())
    except Exception as error:  # a person fixes this: say what Telegram answered
        print(f"hocso: Telegram did not take the webhook {url}: {error}", file=sys.stderr)
        return False
    print(f"hocso: Telegram now sends updates to {url}", file=sys.stderr)
    return True


def _set_zalo_bot_webhook(settings: Any) -> bool:
    import asyncio

    from handlers.zalo_bot import ZaloBotApi, set_webhook

    url = f"{settings.public_url}/webhook/zalo-bot"
    if not 8 <= len(settings.zalo_bot_secret) <= 256:
        print("hocso: ZALO_BOT_SECRET_TOKEN must be 8 to 256 characters long", file=sys.stderr)
        return False

    async def register() -> dict[str, Any]:
        api = ZaloBotApi(settings.zalo_bot_token, settings.zalo_bot_api_url)
        try:
            return await set_webhook(api, url, settings.zalo_bot_secret)
        finally:
            await api.aclose()

    try:
        result = asyncio.run(register())
    except Exception as error:  # a person fixes this: say what Zalo answered
        print(f"hocso: Zalo did not take the webhook {url}: {error}", file=sys.stderr)
        return False
    print(f"hocso: the Zalo Bot Platform now sends updates to {url}", file=sys.stderr)
    check = result.get("verification")
    if isinstance(check, dict) and check.get("ok") is False:
        # Zalo posts a test update as soon as the webhook is saved, before the service is up.
        hint = f" ({check['hint']})" if check.get("hint") else ""
        print(
            f"hocso: Zalo's test request to it got {check.get('outcome')}{hint}. The service "
            "starts only now, so webhook.err.unreachable or webhook.http.5xx is expected; "
            "anything else (TLS, 403 from a firewall, 404) needs fixing.",
            file=sys.stderr,
        )
    return True


def _progress(args: argparse.Namespace) -> int:
    store = _open(args.store)
    if store is None:
        return 1
    try:
        learner = store.get(args.learner)
    finally:
        store.close()
    if learner is None:
        print(f"hocso: no learner {args.learner!r} in {args.store}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(progress_json(learner), ensure_ascii=False, indent=1))
        return 0
    content = _load(args.content)
    if content is None:
        return 1
    print(progress_text(learner, content))
    return 0


def _verify(args: argparse.Namespace) -> int:
    store = _open(args.store)
    if store is None:
        return 1
    try:
        record = store.find_certificate(args.code.strip().upper())
    finally:
        store.close()
    if record is None:
        print(f"hocso: no certificate has the code {args.code!r}", file=sys.stderr)
        return 1
    content = _load(args.content)
    certificate = content.certificate(record.certificate) if content else None
    title = certificate.title if certificate else record.certificate
    print(f"{record.code}: {title}, earned by {record.learner} on {record.earned_at}")
    return 0


# -- backup, restore ----------------------------------------------------------------------------

BACKUP_DESCRIPTION = """\
Copy the learners' store, safely while `hocso serve` runs and writes to it.

SQLite (sqlite:///FILE): DEST is a new file, or a folder to put hocso-YYYYMMDD-HHMMSS.db in.
The copy is the store as it was at one moment (SQLite's online backup API), one file,
checked before it gets its name; an existing file is never replaced. Prints
`DEST: N learners, SIZE, integrity ok`.

Redis (redis://...): asks Redis for a snapshot (BGSAVE), waits for it, and prints where
Redis wrote it (its dir and dbfilename, on the Redis server's machine). With DEST, the
snapshot is also copied there when this machine can read it. README, Deploy: Backups says
how to keep Redis's append-only files too."""

RESTORE_DESCRIPTION = """\
Put a backup made by `hocso backup` in place of the SQLite store (--store, env HOCSO_STORE),
which is made when missing. Refuses to replace a store that holds learners, or that a running
process (hocso serve) has open, unless --force: stop the service first. The backup is checked
first and migrated to this hocso's schema. A Redis store is restored from Redis's own files:
see README, Deploy: Restore."""


def _backup_parsers(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="copy the store while the service runs",
        description=BACKUP_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backup.add_argument(
        "dest",
        nargs="?",
        type=Path,
        metavar="DEST",
        help="a new file, or a folder for a dated one (needed for SQLite; optional for Redis)",
    )
    _common(backup, content=False)
    backup.set_defaults(run=_backup)

    restore = commands.add_parser(
        "restore",
        help="put a backup back in place of the store",
        description=RESTORE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    restore.add_argument("source", type=Path, metavar="SRC", help="the backup file")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace the store even when it holds learners or a running process has it open",
    )
    _common(restore, content=False)
    restore.set_defaults(run=_restore)


def _store_kind(url: str) -> tuple[str, str]:
    """("sqlite", its file), ("redis", the URL) or ("memory", ""); ValueError in plain words
    for a URL no store can use."""
    from bot.stores import sqlite_file

    kind = url.strip().partition("://")[0].lower()
    if kind == "sqlite":
        return "sqlite", sqlite_file(url)
    if kind in ("redis", "rediss"):
        return "redis", url
    if kind == "memory":
        return "memory", ""
    open_store(url)  # raises the ValueError that says what a store URL is
    raise AssertionError(url)


def _backup(args: argparse.Namespace) -> int:
    from bot.backup import BackupError, backup_redis, backup_sqlite
    from bot.stores.redis import RedisStore

    try:
        kind, where = _store_kind(args.store)
        if kind == "memory":
            raise BackupError(
                "a memory:// store lives inside one process: there is nothing to back up"
            )
        if kind == "sqlite":
            if args.dest is None:
                raise BackupError(
                    "say where the backup goes: hocso backup DEST (a file or a folder)"
                )
            print(backup_sqlite(Path(where), args.dest).line())
            return 0
        store = open_store(where)
        assert isinstance(store, RedisStore)
        try:
            print(backup_redis(store.client, args.dest).line())
        finally:
            store.close()
    except (BackupError, ValueError) as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    return 0


def _restore(args: argparse.Namespace) -> int:
    from bot.backup import BackupError, restore_sqlite

    try:
        kind, where = _store_kind(args.store)
        if kind != "sqlite":
            raise BackupError(
                f"hocso restore puts a backup in place of a SQLite store; {args.store} is not "
                "one (a Redis store is restored from Redis's own files: README, Deploy: Restore)"
            )
        print(restore_sqlite(args.source, Path(where), force=args.force).line())
    except (BackupError, ValueError) as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    return 0


# -- link -------------------------------------------------------------------------------------

LINK_DESCRIPTION = """\
Print the links that open a lesson, one per line as `channel: link`, and write a QR code
of the web link to ./LESSON.png (./LESSON_CODE.png with a volunteer) to print on a poster:
any phone camera opens it, no app needed. With --volunteer, learners who come through the
web or Telegram link are credited to that volunteer.

  web       HOCSO_PUBLIC_URL/chat?lesson=LESSON&v=CODE (without HOCSO_PUBLIC_URL,
            http://127.0.0.1:8000, which works on this machine only)
  telegram  https://t.me/BOT?start=LESSON_CODE, BOT being TELEGRAM_BOT_USERNAME, or
            asked of Telegram with TELEGRAM_BOT_TOKEN
  zalo_oa   https://zalo.me/OA_ID, OA_ID being ZALO_OA_ID
  zalo_bot  ZALO_BOT_LINK, the link Zalo gives to share the bot

Zalo has no way to open a given lesson: its links open the chat, the learner picks the
lesson from the menu there, and no volunteer is credited. A link whose settings are
missing is left out, with a note on stderr. A lesson id that is not found is answered
with the list of lesson ids."""


def _link_parser(commands: Any) -> None:
    link = commands.add_parser(
        "link",
        help="links and a QR code that open a lesson",
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
    link.add_argument("--no-qr", action="store_true", help="do not write a QR code")
    link.add_argument("--json", action="store_true", help="print JSON for machines")
    _common(link, store=False)
    link.set_defaults(run=_link)


def _link(args: argparse.Namespace) -> int:
    from webhook.settings import Settings

    content = _load(args.content)
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
        base = links.public_base(settings.public_url) if settings.public_url else None
        qr = None if args.no_qr else _qr_path(args, lesson, volunteer)
    except (links.LinkError, ValueError) as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    if base is None:
        base = links.LOCAL_URL
        print(
            f"hocso: HOCSO_PUBLIC_URL is not set, so the web link and QR code use {base}: they "
            "only work on this machine. Set it to the service's public address.",
            file=sys.stderr,
        )
    found = links.LessonLinks(
        lesson,
        volunteer,
        payload,
        web=links.web_link(base, lesson, volunteer),
        telegram=_telegram_link(settings, channels, payload),
        zalo_oa=links.zalo_oa_link(channels.zalo_oa_id) if channels.zalo_oa_id else None,
        zalo_bot=channels.zalo_bot_link,
    )
    _zalo_note(found, content.lessons[lesson].title)
    if qr is not None:
        try:
            links.write_qr(found.web, qr[0], qr[1])
        except OSError as error:
            print(f"hocso: cannot write the QR code to {qr[0]}: {error}", file=sys.stderr)
            return 1
    if args.json:
        out: dict[str, Any] = {"lesson": lesson}
        if volunteer:
            out["volunteer"] = volunteer
        out["payload"] = payload
        out["links"] = found.known()
        if qr is not None:
            out["qr"] = str(qr[0])
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    for channel, url in found.known().items():
        print(f"{channel}: {url}")
    if qr is not None:
        print(f"qr: {qr[0]}")
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


def _telegram_link(settings: Any, channels: links.LinkSettings, payload: str) -> str | None:
    """The t.me link, with the bot's user name from the setting or from Telegram; None,
    with a note on stderr, when neither can say it."""
    username: str | None = channels.telegram_username
    if username is None and settings.telegram_token:
        try:
            username = links.telegram_username(settings.telegram_token, settings.telegram_api_url)
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


if __name__ == "__main__":
    sys.exit(main())
