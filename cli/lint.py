"""`hocso lint [CONTENT]`: check a content folder; one `path:line: message` line per problem."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot import lint
from bot.content import check_content, default_content_dir
from cli.common import add_common


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "lint",
        help="check a lesson folder",
        description="Check every lesson, certificates.yaml, messages.yaml and console.yaml in "
        "a content folder. Prints one line per problem as path:line: message and exits 1, or "
        "exits 0 when everything is right. Warnings (a lesson message too long for one phone "
        "screen) are printed the same way, as path:line: warning: message, and do not make it "
        "fail.",
    )
    parser.add_argument(
        "folder", nargs="?", type=Path, metavar="CONTENT", help="the content folder (or --content)"
    )
    add_common(parser, store=False)
    parser.set_defaults(run=_lint)


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
