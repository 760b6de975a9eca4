"""`hocso chat`: talk to the tutor in the terminal, as a learner would, or as JSON lines
for scripts (`--json`, one reply line per line read)."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from typing import Any, TextIO

from bot.engine import Engine
from bot.inbound import Inbound
from bot.outbound import Outbound
from bot.tutor import Tutor
from cli.common import add_common, load_content, open_or_say
from lessons.reading import normalize


def register(commands: Any) -> None:
    chat = commands.add_parser(
        "chat",
        help="talk to the tutor in the terminal",
        description="Talk to the tutor as a learner would. Buttons are shown numbered: type "
        "the number or the words. Type 'exit' or press Ctrl-D to leave; your progress is kept.",
    )
    add_common(chat)
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


def _chat(args: argparse.Namespace) -> int:
    content = load_content(args.content)
    store = open_or_say(args.store)
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
        if message.certificate:
            item["certificate"] = message.certificate
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
        if message.certificate:
            drawn = f"  [certificate {message.certificate}: hocso certificate render to see it]"
            stdout.write(style.dim(drawn) + "\n")
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
