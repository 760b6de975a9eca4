"""`hocso report`: the campaign's figures, by area and village, volunteer or lesson.

hocso report                       # a table by area and village
hocso report --by volunteer --csv  # for a spreadsheet (UTF-8 with BOM: Excel reads the accents)
hocso report --json                # every figure (../shared/spec/interfaces.md: keys)
hocso report --since 2026-11-01    # only what happened since that day (reads every learner)
hocso report --by help             # the learners waiting for a person, the longest first
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime, time
from typing import Any

from bot.learner import VIETNAM, now_vn
from bot.outreach import Outreach, open_requests, outreach, outreach_json, requests_table
from bot.places import Places
from bot.reports import report, report_json, report_table
from cli.common import add_common, open_or_say

DESCRIPTION = """\
Count learners, lessons started and passed, and certificates, by area and village (against
each one's number of adults), by volunteer or by lesson. The figures are kept as learners
go, so a report is quick however many learners there are; --since reads every learner.

  --json   every figure as JSON: learners, active_7d, certificates, lessons, volunteers, areas,
           reminders (sent, returned, opted_out) and help (open requests and their waiting)
  --csv    one table as CSV, UTF-8 with a BOM so that Excel shows Vietnamese correctly

Below the table: reminders sent and the returns they brought, learners who turned them
off, and requests for a person (open, the longest wait, how soon answered ones were).
`--by help` lists the open requests (names masked). Reminder and help figures are totals
since the start, with or without --since.

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
        "--by",
        choices=("area", "volunteer", "lesson", "help"),
        default="area",
        help="rows per (area); help: the open requests for a person",
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
        places, now = Places.load(store), now_vn()
        found = report(store, places, now, args.since)
        outside = outreach(store.counts(), open_requests(store, places, now))
    finally:
        store.close()
    if args.json:
        figures = {**report_json(found), **outreach_json(outside)}
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    if args.by == "help":
        header, rows = requests_table(outside)
    else:
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
    print(_outreach_lines(outside))
    return 0


def _outreach_lines(found: Outreach) -> str:
    """Two lines: what reminders brought, and who waits for a person.

    Reminders: 40 sent, 12 brought the learner back (30%), 3 learners turned them off
    Help: 2 open, the longest waiting 3 h 10 min; 9 asked, 7 answered, after 25 min on average
    """
    rate = "" if found.return_rate is None else f" ({found.return_rate:.0%})"
    reminders = (
        f"Reminders: {found.reminders_sent} sent, {found.reminders_returned} brought the "
        f"learner back{rate}, {found.reminders_off} learners turned them off"
    )
    oldest = found.oldest_waiting_minutes
    waiting = "" if oldest is None else f", the longest waiting {_duration(oldest)}"
    answered = found.minutes_to_answer
    after = "" if answered is None else f", after {_duration(answered)} on average"
    help_line = (
        f"Help: {found.help_open} open{waiting}; {found.help_asked} asked, "
        f"{found.help_answered} answered{after}"
    )
    return f"{reminders}\n{help_line}"


def _duration(minutes: float) -> str:
    """ "25 min", "3 h 10 min", "2 d 4 h"."""
    whole = int(minutes)
    days, hours, mins = whole // 1440, whole % 1440 // 60, whole % 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[["" if c is None else f"{c:.1%}" if isinstance(c, float) and
                        header[i] == "share" else str(c) for i, c in enumerate(row)]
                       for row in rows]]  # fmt: skip
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )
