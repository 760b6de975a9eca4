"""The read side of what stores keep for reports (written only with a learner, see
`bot.tally`), and the directory the console keeps: areas, volunteers, accounts, the audit
log. Two small ports that every backend implements beside the learners and the outbox.

Counters are read whole (a few thousand), rows by id or all in pages, and the ranked sets
(`all`, `g:<volunteer>|<area>|<village>`: learners by when they were last seen) newest first.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.tally import Tally


class Records(ABC):
    """Counters, rows and ranked sets, as kept by `bot.tally` in step with the learners."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Every counter above zero."""

    @abstractmethod
    def rows(self, learner_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """The rows of these learners, in order (None for one not stored)."""

    @abstractmethod
    def each_row(self) -> Iterator[dict[str, Any]]:
        """Every learner's row, a page at a time, in no particular order."""

    @abstractmethod
    def ranked(
        self, name: str, start: int = 0, stop: int = 50, since: float | None = None
    ) -> list[tuple[str, float]]:
        """Learner ids and scores of the ranked set `name`, highest score first (ties: the
        greater id first, as Redis orders them), from place
        `start` to before `stop`, only those scored at least `since` when given."""

    @abstractmethod
    def due(self, name: str, until: float, limit: int = 100) -> list[tuple[str, float]]:
        """Learner ids and scores of the ranked set `name` scored at most `until`, lowest
        score first (ties: the lesser id first), at most `limit` of them: a schedule's due
        learners (`due`: reminders; `help`: the oldest requests for a person)."""

    @abstractmethod
    def rank_count(self, name: str, since: float | None = None) -> int:
        """How many learners the ranked set holds (scored at least `since`, when given)."""

    def rank_counts(self, names: Sequence[str], since: float | None = None) -> list[int]:
        """`rank_count` of each of these sets, in order: what a report reads of every group
        at once (Redis answers them in one round trip, not one per group)."""
        return [self.rank_count(name, since) for name in names]

    @abstractmethod
    def clear_records(self) -> None:
        """Forget every counter, row and ranked set (before `rebuild_records`)."""

    @abstractmethod
    def add_records(self, learner_id: str, tally: Tally) -> None:
        """Apply one learner's tally outside any write of the learner (`rebuild_records`)."""


class Directory(ABC):
    """Small documents by kind and id (areas, volunteers, accounts), and an audit log.

    ```json
    {"kind": "volunteer", "id": "V12", "doc": {"name": "Đoàn Thanh Niên thôn 1", "area": "an-phu"}}
    ```
    """

    @abstractmethod
    def put_doc(self, kind: str, doc_id: str, doc: dict[str, Any] | None) -> None:
        """Keep `doc` under (kind, id), replacing what was there; None deletes it."""

    @abstractmethod
    def docs(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every document of a kind, by id."""

    def doc(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        """One document, or None."""
        return self.docs(kind).get(doc_id)

    @abstractmethod
    def audit(self, entry: dict[str, Any]) -> None:
        """Append one entry to the audit log (`{"at": …, "who": …, "what": …}`)."""

    @abstractmethod
    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        """The last `limit` audit entries, newest first."""


def encode(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def decode(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))
