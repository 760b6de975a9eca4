"""CSV files the CLI reads and writes for admins: UTF-8 with a BOM (Excel on Windows then
shows Vietnamese correctly), read with or without one, header names checked."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.places import csv_rows


def read_csv(path: str, columns: Sequence[str]) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts; PlaceError when a needed column is missing."""
    return csv_rows(Path(path).read_text(encoding="utf-8-sig"), columns, path)


def write_csv(path: str | None, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> None:
    """Write rows to `path` (None: stdout) as CSV, UTF-8 with a BOM."""
    out = open(path, "w", encoding="utf-8-sig", newline="") if path else None  # noqa: SIM115
    try:
        stream = out or sys.stdout
        if out is None:
            stream.write("\ufeff")
        writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    finally:
        if out is not None:
            out.close()
