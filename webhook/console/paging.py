"""Lists shown a page at a time: `?start=` in the query string (the rest of the query kept), a
page of `SIZE`, and the links to the pages before and after (`pager.html`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

SIZE = 50
FARTHEST = 1_000_000
"""The greatest `start` taken: a page further on is the last one anybody can need."""


def size() -> int:
    """How many a page shows (`SIZE`, read when asked: tests make it small)."""
    return SIZE


def start_of(query: QueryParams) -> int:
    """`?start=`, a whole number from 0 (anything else: 0)."""
    given = query.get("start", "")
    return min(int(given), FARTHEST) if given.isdigit() else 0


@dataclass(frozen=True)
class Pager:
    first: int
    """The number of the first shown, from 1."""
    last: int
    total: int
    previous: str | None
    """The address of the page before, or None."""
    next: str | None


def pager(path: str, query: QueryParams, start: int, shown: int, total: int) -> Pager:
    """Where a page of `shown` from `start` stands among `total`."""

    def at(where: int) -> str:
        kept = [(name, value) for name, value in query.multi_items() if name != "start"]
        if where:
            kept.append(("start", str(where)))
        return path + (f"?{urlencode(kept)}" if kept else "")

    return Pager(
        first=start + 1 if shown else 0,
        last=start + shown,
        total=total,
        previous=at(max(0, start - size())) if start > 0 else None,
        next=at(start + size()) if start + shown < total else None,
    )
