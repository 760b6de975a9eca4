"""`hocso reload`: tell a running `hocso serve` (all its workers, on every machine sharing the
store) to load the content folder again (`bot.publish`).

    $ hocso reload
    content/lessons/an-toan-otp.yaml:1: warning: step 'cau-3' is gone (removed or renamed) …
    hocso: published content version 3f9a1c0b2d4e (12 lessons, 1 warning), in place of
    9d0e6a1f2b3c; the workers of `hocso serve` switch to it within a few seconds

A folder with a problem is refused as `hocso lint` refuses it: `path:line: message` lines,
exit 1, and nothing changed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.content import default_content_dir
from bot.publish import Refused, publish
from cli.common import add_common, open_or_say


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "reload",
        help="make a running service load the lesson folder again",
        description="Check the content folder as `hocso lint` does and, when it has no "
        "problem, tell every worker of the running `hocso serve` (all machines sharing the "
        "store) to switch to it, without a restart; each does within a few seconds. It warns "
        "about steps that learners stand on and the folder no longer has (they are taken back "
        "to a step still there): `hocso lint --store` shows those before publishing. A folder "
        "with a problem is refused: one line per "
        "problem, path:line: message, exit 1, and the service keeps what it runs. SIGHUP to "
        "`hocso serve` does the same with the folder it was started with.",
    )
    add_common(parser)
    parser.set_defaults(run=_reload)


def _reload(args: argparse.Namespace) -> int:
    folder = args.content or default_content_dir()
    store = open_or_say(args.store)
    if store is None:
        return 1
    try:
        outcome = publish(folder, store)
    except Exception as error:  # a store that does not answer: say so, plainly
        print(f"hocso: cannot reach the store {args.store}: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if isinstance(outcome, Refused):
        for problem in outcome.problems:
            print(problem)
        print(
            f"hocso: {folder} has problems: nothing was reloaded, the service keeps what it "
            "runs; fix them and try again",
            file=sys.stderr,
        )
        return 1
    for warning in outcome.warnings:
        print(warning)
    count = len(outcome.warnings)
    warned = f", {count} warning{'s' * (count != 1)}" if count else ""
    if outcome.previous == outcome.version:
        print(f"hocso: content version {outcome.version} ({outcome.lessons} lessons{warned}) "
              "is the one published already: nothing changed")  # fmt: skip
        return 0
    instead = f", in place of {outcome.previous}" if outcome.previous else ""
    print(
        f"hocso: published content version {outcome.version} ({outcome.lessons} lessons"
        f"{warned}){instead}; the workers of `hocso serve` switch to it within a few seconds"
    )
    return 0
