"""`hocso area`: the communes and wards the campaign covers, their villages and numbers of
adults (what the target is measured against).

hocso area add an-phu "Xã An Phú" --adults 1800
hocso area add an-phu "Xã An Phú" --help-chat -1001234567890   # the area team's Telegram group
hocso area village an-phu thon-1 "Thôn 1" --adults 320
hocso area list
hocso area import areas.csv      # columns: area,village,name,adults[,help_chat]
hocso area export [FILE]
hocso area remove an-phu
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.places import (
    AREA,
    AREA_COLUMNS,
    Area,
    PlaceError,
    Places,
    Village,
    area_rows,
    check_chat,
    check_id,
    import_areas,
    save_area,
)
from cli.common import add_common, with_store
from cli.tables import read_csv, write_csv


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "area",
        help="the communes, their villages and numbers of adults",
        description=__doc__.split("\n\n", 1)[0].replace("`", ""),
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add or rename an area (a commune or ward)")
    add.add_argument("id", help="a short id: letters, digits, -, e.g. an-phu")
    add.add_argument("name", help='its name, e.g. "Xã An Phú"')
    add.add_argument("--adults", type=int, help="how many adults live there (for the target)")
    add.add_argument(
        "--help-chat",
        metavar="ID",
        help="the Telegram chat of the area's team, for requests for a person (none: clear; "
        "unset: kept)",
    )
    add.set_defaults(run=_add)

    village = actions.add_parser("village", help="add or rename a village of an area")
    village.add_argument("area", help="the area's id")
    village.add_argument("id", help="the village's short id, e.g. thon-1")
    village.add_argument("name", help='its name, e.g. "Thôn 1" or "Tổ dân phố 3"')
    village.add_argument("--adults", type=int, help="how many adults live there")
    village.set_defaults(run=_village)

    listed = actions.add_parser("list", help="the areas and their villages")
    listed.set_defaults(run=_list)

    imported = actions.add_parser("import", help="add or replace areas from a CSV file")
    imported.add_argument("file", help=f"a CSV file with the columns {','.join(AREA_COLUMNS)}")
    imported.set_defaults(run=_import)

    exported = actions.add_parser("export", help="write the areas as CSV (UTF-8 with BOM)")
    exported.add_argument("file", nargs="?", help="where to write (default: print)")
    exported.set_defaults(run=_export)

    removed = actions.add_parser("remove", help="forget an area (its learners stay)")
    removed.add_argument("id")
    removed.set_defaults(run=_remove)
    for action in (add, village, listed, imported, exported, removed):
        add_common(action, content=False)


def _with_store(args: argparse.Namespace, work: Any) -> int:
    return with_store(args.store, work, (PlaceError, OSError))


def _add(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        kept = Places.load(store).areas.get(args.id)
        villages = kept.villages if kept else {}
        adults = args.adults if args.adults is not None else kept.adults if kept else None
        help_chat = (kept.help_chat if kept else "") if args.help_chat is None else args.help_chat
        area = Area(
            check_id("area", args.id), args.name.strip(), adults, villages, check_chat(help_chat)
        )
        save_area(store, area)
        print(f"area {args.id}: {args.name.strip()}")
        if area.help_chat:
            print(f"its learners' requests for a person go to Telegram chat {area.help_chat}")
        return 0

    return _with_store(args, work)


def _village(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        area = Places.load(store).areas.get(args.area)
        if area is None:
            raise PlaceError(f"no area {args.area!r}: add it first (hocso area add)")
        village = Village(check_id("village", args.id), args.name.strip(), args.adults)
        villages = {**area.villages, village.id: village}
        save_area(store, Area(area.id, area.name, area.adults, villages, area.help_chat))
        print(f"area {area.id}, village {village.id}: {village.name}")
        return 0

    return _with_store(args, work)


def _list(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        areas = Places.load(store).areas
        if not areas:
            print("no areas yet: hocso area add ID NAME --adults N")
        for area in sorted(areas.values(), key=lambda a: a.id):
            chat = f"  help chat {area.help_chat}" if area.help_chat else ""
            print(f"{area.id}  {area.name}  adults: {_or_dash(area.adults)}{chat}")
            for village in sorted(area.villages.values(), key=lambda v: v.id):
                print(f"  {village.id}  {village.name}  adults: {_or_dash(village.adults)}")
        return 0

    return _with_store(args, work)


def _or_dash(number: int | None) -> str:
    return "-" if number is None else str(number)


def _import(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        saved = import_areas(store, read_csv(args.file, AREA_COLUMNS))
        print(f"{args.file}: {saved} area{'s' * (saved != 1)} saved")
        return 0

    return _with_store(args, work)


def _export(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        write_csv(args.file, AREA_COLUMNS, area_rows(Places.load(store)))
        return 0

    return _with_store(args, work)


def _remove(args: argparse.Namespace) -> int:
    def work(store: Any) -> int:
        if store.doc(AREA, args.id) is None:
            raise PlaceError(f"no area {args.id!r}")
        store.put_doc(AREA, args.id, None)
        print(f"area {args.id} removed; its learners now count as of no known area")
        return 0

    return _with_store(args, work)
