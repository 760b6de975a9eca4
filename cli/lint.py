"""`hocso lint [CONTENT] [--store URL]`: check a content folder; one `path:line: message` line
per problem. With `--store` (only when given: it reads every learner), it also warns about
each step that learners stand on and the folder no longer has (`bot.publish.stranded`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot import lint
from bot.content import Content, check_content, default_content_dir
from bot.publish import published, stranded
from cli.common import add_common, open_or_say
from lessons.problems import Problem


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "lint",
        help="check a lesson folder",
        description="Check every lesson, certificates.yaml, messages.yaml and console.yaml in "
        "a content folder. Prints one line per problem as path:line: message and exits 1, or "
        "exits 0 when everything is right. Warnings (a lesson message too long for one phone "
        "screen, quizzes a guess passes, a label or answer in curly quotes) are printed the "
        "same way, as path:line: warning: message, and do not make it fail. With --store, it "
        "also warns about what publishing the folder (hocso reload) would do to the learners "
        "in that store.",
    )
    parser.add_argument(
        "folder", nargs="?", type=Path, metavar="CONTENT", help="the content folder (or --content)"
    )
    add_common(parser, store=False)
    parser.add_argument(
        "--store",
        default=None,
        help="also warn about steps that learners in this store stand on and the folder no "
        "longer has (removed or renamed), with how many stand on each: what publishing the "
        "folder would do to them. Only when given (the environment's HOCSO_STORE is not read)",
    )
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
    if args.store is not None:
        learners = _stranded(content, args.store)
        if learners is None:
            return 1
        warned = sorted([*warned, *learners])
    for warning in warned:
        print(warning)
    counts = f"{len(content.lessons)} lessons, {len(content.certificates)} certificates"
    tail = f", {len(warned)} warning{'s' * (len(warned) != 1)}" if warned else ""
    print(f"{root}: {counts}, no problems{tail}")
    return 0


def _stranded(content: Content, url: str) -> list[Problem] | None:
    """The warnings about learners in the store at `url`; None after saying on stderr why
    the store cannot be read."""
    store = open_or_say(url)
    if store is None:
        return None
    try:
        return stranded(content, store, published(store))
    except Exception as error:  # a store that does not answer
        print(f"hocso: cannot read the learners in {url}: {error}", file=sys.stderr)
        return None
    finally:
        store.close()
