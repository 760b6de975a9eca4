"""CSV exports for spreadsheets (Excel on Windows included): UTF-8 with a BOM, CRLF lines,
streamed a few hundred rows at a time so that memory stays flat however many learners. A
text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or carriage
return first: a learner's name can be anything) is written with a `'` before it, as text.

    for chunk in learners_csv(store, places):   # bytes
        response.write(chunk)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from bot.places import Places
from bot.reports import Report, report_table
from bot.roster import Line
from bot.stores.base import Store

BOM = "\ufeff"
CHUNK_ROWS = 500

LEARNER_COLUMNS = (
    "learner",
    "name",
    "channel",
    "volunteer",
    "area",
    "village",
    "last_seen",
    "lesson",
    "step",
    "passed",
    "certificates",
)


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV text of `rows` under `header`, as UTF-8 bytes with a BOM first, in chunks; a
    text that a spreadsheet would take for a formula is written with a ' before it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(cell) for cell in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def learners_csv(store: Store, places: Places) -> Iterator[bytes]:
    """Every learner's progress, one row each (masked names: the least that does the job)."""

    def rows() -> Iterator[list[Any]]:
        for row in store.each_row():
            line = Line.of(row, places)
            yield [
                line.id,
                line.name,
                line.channel,
                line.volunteer,
                line.area,
                line.village,
                line.seen_at,
                line.lesson,
                line.step,
                line.passed,
                line.certificates,
            ]

    return csv_chunks(LEARNER_COLUMNS, rows())


def areas_csv(found: Report) -> Iterator[bytes]:
    """The roll-up by area and village against the adults (`hocso report --by area`)."""
    header, rows = report_table(found, "area")
    return csv_chunks(header, rows)
