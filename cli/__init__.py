"""The `hocso` command. Each command is one module of this package with a `register`
function that adds its parser; `COMMANDS` lists them in the order `hocso --help` shows.

hocso chat [--lesson ID | --start PAYLOAD] [--learner ID] [--json]
hocso lint [CONTENT] [--store URL]
hocso serve [--host H] [--port P] [--workers N]
hocso reload
hocso progress LEARNER [--json]
hocso verify CODE
hocso certificate render|revoke|reissue|rename CODE
hocso link LESSON [--volunteer CODE] [--poster PATH] [--json]
hocso backup [DEST]
hocso restore SRC [--force]
hocso admin add NAME [--reset] | list | remove NAME
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from cli import (
    admin,
    area,
    backup,
    certificate,
    chat,
    learner,
    link,
    lint,
    progress,
    reload,
    report,
    serve,
    verify,
    volunteer,
)

COMMANDS: tuple[ModuleType, ...] = (
    chat,
    lint,
    serve,
    reload,
    progress,
    verify,
    certificate,
    link,
    report,
    area,
    volunteer,
    learner,
    backup,
    admin,
)

DESCRIPTION = """\
hocso teaches digital skills in Vietnamese, one small step at a time, in a chat.

Commands:
  chat      talk to the tutor here in the terminal, as a learner would
  lint      check a lesson folder and list every mistake with its file and line
  serve     run the service: the web chat, and the Telegram and Zalo webhooks
  reload    make the running service load the lesson folder again, without a restart
  progress  show one learner's lessons, scores and certificates
  verify    check a certificate's number: who earned it, or that it is unknown or revoked
  certificate  draw a certificate (PNG, PDF), revoke, reissue or rename it
  link      the links, a poster and the QR code that open a lesson, for volunteers
  report    the figures by area and village, volunteer or lesson, as a table, CSV or JSON
  area      the communes the campaign covers, their villages and numbers of adults
  volunteer the volunteers and village teams, their codes and private links
  learner   assign a learner to an area and village
  backup    copy the learners' store while the service runs
  restore   put a backup back in place of the store
  admin     add, list or remove the accounts of the web console (/admin)

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
    for command in COMMANDS:
        command.register(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
