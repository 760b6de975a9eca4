"""`hocso report`: the campaign's figures, by area and village, volunteer or lesson.

hocso report                       # a table by area and village
hocso report --by volunteer --csv  # for a spreadsheet (UTF-8 with BOM: Excel reads the accents)
hocso report --json                # every figure (../shared/spec/interfaces.md: keys)
hocso report --since 2026-11-01    # only what happened since that day (reads every learner)
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime, time
from typing import Any

from bot.learner import VIETNAM, now_vn
from bot.places import Places
from bot.reports import report, report_json, report_table
from cli.common import add_common, open_or_say

DESCRIPTION = """\
Count learners, lessons started and passed, and certificates, by area and village (against
each one's number of adults), by volunteer or by lesson. The figures are kept as learners
go, so a report is quick however many learners there are; --since reads every learner.

  --json   every figure as JSON: learners, active_7d, certificates, lessons, volunteers, areas
  --csv    one table as CSV, UTF-8 with a BOM so that Excel shows Vietnamese correctly

Learners with no volunteer are under the volunteer "", those of no known area under the
area "" ("không rõ địa bàn"): assign them with `hocso learner assign`."""


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "report",
        help="the figures by area, volunteer or lesson",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--by", choices=("area", "volunteer", "lesson"), default="area", help="rows per (area)"
    )
    parser.add_argument(
        "--since",
        metavar="DATE",
        type=_date,
        help="count only what happened from this day on (YYYY-MM-DD, Vietnam time)",
    )
    parser.add_argument(
        "--recount",
        action="store_true",
        help="first count the figures again from every learner (for a Redis store kept "
        "before hocso counted as it goes; stop the service first)",
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="print CSV (UTF-8 with BOM)")
    form.add_argument("--json", action="store_true", help="print JSON for machines")
    add_common(parser, content=False)
    parser.set_defaults(run=run)


def _date(text: str) -> datetime:
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-01") from None
    return datetime.combine(day, time(), VIETNAM)


def run(args: argparse.Namespace) -> int:
    store = open_or_say(args.store)
    if store is None:
        return 1
    try:
        if args.recount:
            counted = store.rebuild_records()
            print(f"hocso: counted {counted} learners again", file=sys.stderr)
        found = report(store, Places.load(store), now_vn(), args.since)
    finally:
        store.close()
    if args.json:
        print(json.dumps(report_json(found), ensure_ascii=False, indent=1))
        return 0
    header, rows = report_table(found, args.by)
    if args.csv:
        sys.stdout.write("\ufeff")
        writer = csv.writer(sys.stdout, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
        return 0
    print(_table(header, rows))
    total = found.total
    since = f" since {args.since.date()}" if args.since else ""
    print(
        f"\n{total.learners} learners{since}, {total.active_7d} active in the last 7 days, "
        f"{total.passed} lessons passed, {total.certificates} certificates"
    )
    return 0


def _table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[["" if c is None else f"{c:.1%}" if isinstance(c, float) and
                        header[i] == "share" else str(c) for i, c in enumerate(row)]
                       for row in rows]]  # fmt: skip
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )
