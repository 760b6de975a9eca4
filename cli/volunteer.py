"""`hocso volunteer`: the youth volunteers (and village teams) who bring learners in. Their
code is what `hocso link --volunteer CODE` and start links carry.

hocso volunteer add V12 "Trần Thị Hoa" --area an-phu --village thon-1
hocso volunteer add T-THON1 "Tổ công nghệ số thôn 1" --area an-phu --village thon-1 --team
hocso volunteer add V12 "Trần Thị Hoa" --help-chat -1001234567890   # their learners' requests
hocso volunteer list
hocso volunteer import volunteers.csv   # columns: code,name,area,village,team[,help_chat]
hocso volunteer export [FILE]
hocso volunteer link V12                # their private page, to open on their phone
hocso volunteer revoke V12              # that page stops working
hocso volunteer remove V12
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from bot import links
from bot.places import (
    VOLUNTEER,
    VOLUNTEER_COLUMNS,
    PlaceError,
    Places,
    Volunteer,
    check_chat,
    import_volunteers,
    new_link_token,
    revoke_link_token,
    save_volunteer,
    volunteer_rows,
)
from cli.common import add_common, with_store
from cli.tables import read_csv, write_csv


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "volunteer",
        help="the volunteers and village teams who bring learners in",
        description=__doc__.split("\n\n", 1)[0].replace("`", ""),
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add or change a volunteer")
    add.add_argument("code", help="their code, as in their links: letters, digits, -, e.g. V12")
    add.add_argument("name", help="their name")
    add.add_argument("--area", default="", help="the area (commune) they work in")
    add.add_argument("--village", default="", help="the village they work in")
    add.add_argument("--team", action="store_true", help="a village team's code, not a person's")
    add.add_argument(
        "--help-chat",
        metavar="ID",
        help="the Telegram chat where their learners' requests for a person go (none: clear; "
        "unset: kept)",
    )
    add.set_defaults(run=_add)

    listed = actions.add_parser("list", help="the volunteers")
    listed.set_defaults(run=_list)

    imported = actions.add_parser("import", help="add or replace volunteers from a CSV file")
    imported.add_argument("file", help=f"a CSV file with the columns {','.join(VOLUNTEER_COLUMNS)}")
    imported.set_defaults(run=_import)

    exported = actions.add_parser("export", help="write the volunteers as CSV (UTF-8 with BOM)")
    exported.add_argument("file", nargs="?", help="where to write (default: print)")
    exported.set_defaults(run=_export)

    link = actions.add_parser(
        "link", help="a new private link to the volunteer's own page (the old one stops)"
    )
    link.add_argument("code")
    link.set_defaults(run=_link)

    revoke = actions.add_parser("revoke", help="stop the volunteer's private link")
    revoke.add_argument("code")
    revoke.set_defaults(run=_revoke)

    removed = actions.add_parser("remove", help="forget a volunteer (their learners stay)")
    removed.add_argument("code")
    removed.set_defaults(run=_remove)
    for action in (add, listed, imported, exported, link, revoke, removed):
        add_common(action, content=False)


def _with_store(args: argparse.Namespace, work: Any) -> int:
    return with_store(args.store, work, (PlaceError, links.LinkError, OSError))


def _add(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        code = args.code.strip()
        kept = Places.load(store).volunteers.get(code)
        help_chat = (kept.help_chat if kept else "") if args.help_chat is None else args.help_chat
        volunteer = Volunteer(
            code,
            args.name.strip(),
            args.area.strip(),
            args.village.strip(),
            args.team,
            check_chat(help_chat),
        )
        save_volunteer(store, volunteer)
        where = " ".join(part for part in (volunteer.area, volunteer.village) if part)
        print(f"volunteer {volunteer.code}: {volunteer.name}" + (f" ({where})" if where else ""))
        if volunteer.help_chat:
            print(
                f"their learners' requests for a person go to Telegram chat {volunteer.help_chat}"
            )
        return 0

    return _with_store(args, work)


def _list(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        volunteers = Places.load(store).volunteers
        if not volunteers:
            print("no volunteers yet: hocso volunteer add CODE NAME --area AREA")
        for v in sorted(volunteers.values(), key=lambda v: v.code):
            team = "  (team)" if v.team else ""
            chat = f"  help chat {v.help_chat}" if v.help_chat else ""
            print(f"{v.code}  {v.name}  {v.area or '-'} {v.village or ''}".rstrip() + team + chat)
        return 0

    return _with_store(args, work)


def _import(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        saved = import_volunteers(store, read_csv(args.file, VOLUNTEER_COLUMNS))
        print(f"{args.file}: {saved} volunteer{'s' * (saved != 1)} saved")
        return 0

    return _with_store(args, work)


def _export(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        write_csv(args.file, VOLUNTEER_COLUMNS, volunteer_rows(Places.load(store)))
        return 0

    return _with_store(args, work)


def _link(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        base = links.public_base(os.environ.get("HOCSO_PUBLIC_URL", ""))
        token = new_link_token(store, args.code)
        print(f"{base}/v/{token}")
        print(
            f"hocso: only {args.code} should have this link: it shows their learners. "
            f"`hocso volunteer revoke {args.code}` stops it.",
            file=sys.stderr,
        )
        return 0

    return _with_store(args, work)


def _revoke(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        if not revoke_link_token(store, args.code):
            raise PlaceError(f"{args.code!r} has no private link")
        print(f"the private link of {args.code} no longer works")
        return 0

    return _with_store(args, work)


def _remove(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        if store.doc(VOLUNTEER, args.code) is None:
            raise PlaceError(f"no volunteer {args.code!r}")
        revoke_link_token(store, args.code)
        store.put_doc(VOLUNTEER, args.code, None)
        print(f"volunteer {args.code} removed; their learners keep their code")
        return 0

    return _with_store(args, work)
