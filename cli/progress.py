"""`hocso progress LEARNER [--json]`: one learner's lessons, scores and certificates."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.progress import progress_json
from bot.summary import progress_text
from cli.common import add_common, load_content, open_or_say


def register(commands: Any) -> None:
    progress = commands.add_parser(
        "progress",
        help="show a learner's progress",
        description="Show one learner's lessons, scores and certificates. Learner ids are "
        "the ones the channels use (tg:12345, zalo:..., web:...) or the one given to chat.",
    )
    progress.add_argument("learner", help="the learner id")
    progress.add_argument("--json", action="store_true", help="print JSON for machines")
    add_common(progress)
    progress.set_defaults(run=_progress)


def _progress(args: argparse.Namespace) -> int:
    store = open_or_say(args.store)
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
    content = load_content(args.content)
    if content is None:
        return 1
    print(progress_text(learner, content))
    return 0
