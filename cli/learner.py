"""`hocso learner assign`: put a learner who came with no volunteer's code (or the wrong one)
in an area and village, so that they count there.

hocso learner assign tg:12345 --area an-phu --village thon-1
hocso learner assign tg:12345 --area ""      # take the assignment back
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.places import PlaceError, assign
from cli.common import add_common, open_or_say


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "learner",
        help="assign a learner to an area and village",
        description=__doc__.split("\n\n", 1)[0].replace("`", ""),
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    assigned = actions.add_parser("assign", help="put a learner in an area and village")
    assigned.add_argument("learner", help="the learner id (tg:…, zalo:…, web:…)")
    assigned.add_argument("--area", required=True, help='the area id ("" takes it back)')
    assigned.add_argument("--village", default="", help="the village id")
    add_common(assigned, content=False)
    assigned.set_defaults(run=_assign)


def _assign(args: argparse.Namespace) -> int:
    store = open_or_say(args.store)
    if store is None:
        return 1
    try:
        if not assign(store, args.learner, args.area.strip(), args.village.strip()):
            print(f"hocso: no learner {args.learner!r} in {args.store}", file=sys.stderr)
            return 1
    except PlaceError as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    where = f"{args.area} {args.village}".strip() or "no assigned area"
    print(f"{args.learner}: {where}")
    return 0
