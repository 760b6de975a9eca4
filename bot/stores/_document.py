"""How every store keeps a learner: JSON text, and the certificate codes that text holds.

Shared by the three backends so that they encode, validate and index learners the same way.
A learner's JSON longer than `PACK_OVER` characters is kept deflated (zlib) and in base64,
after `PACKED`: `z:eJyrVspMUbJSUEpKLFKqBQAe3wRN…`, about 2.3 times smaller for a learner
who took five lessons (2.4 KB of JSON, 1.1 KB kept), for some 40 µs a turn; shorter JSON is
kept as it is. Either is read back.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from typing import TypeVar

from bot.learner import Learner
from bot.stores.base import CertificateRecord, Change
from bot.tally import Counted, Tally, tally

T = TypeVar("T")


PACKED = "z:"
PACK_OVER = 600
"""Characters of JSON above which a learner is kept deflated."""


def encode(learner: Learner) -> str:
    """The text stored for a learner: its JSON, deflated when long (see the module)."""
    text = json.dumps(learner.to_dict(), ensure_ascii=False, separators=(",", ":"))
    if len(text) <= PACK_OVER:
        return text
    packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 1)).decode("ascii")
    return PACKED + packed


def decode(text: str | None) -> Learner | None:
    """A fresh Learner from stored text, deflated or not (None stays None)."""
    if text is None:
        return None
    if text.startswith(PACKED):
        text = zlib.decompress(base64.b64decode(text[len(PACKED) :])).decode("utf-8")
    return Learner.from_dict(json.loads(text))


def certificate_codes(learner: Learner | None) -> dict[str, CertificateRecord]:
    """The verification codes a learner's certificates hold, by code."""
    if learner is None:
        return {}
    records: dict[str, CertificateRecord] = {}
    for certificate, earned in learner.certificates.items():
        if earned.code in records:
            raise ValueError(
                f"learner {learner.id!r}: certificates {records[earned.code].certificate!r} "
                f"and {certificate!r} share the code {earned.code!r}"
            )
        records[earned.code] = CertificateRecord(
            code=earned.code,
            learner=learner.id,
            certificate=certificate,
            earned_at=earned.earned_at,
        )
    return records


def code_taken(record: CertificateRecord, owner: str) -> ValueError:
    """The error for a code that already stands for another learner's certificate."""
    return ValueError(
        f"certificate code {record.code!r} for learner {record.learner!r} already belongs "
        f"to learner {owner!r}; codes must be unique"
    )


@dataclass(frozen=True)
class Write:
    """What one update must write: the learner's new text (None: delete the learner), the
    codes to remove from the index and the code records to add or rewrite, and what the
    change does to the records reports read (`bot.tally`), to apply in the same step."""

    text: str | None
    dropped: tuple[str, ...]
    written: tuple[CertificateRecord, ...]
    tally: Tally = field(default_factory=Tally)


def plan_write(
    learner_id: str,
    stored: str | None,
    codes_before: dict[str, CertificateRecord],
    after: Learner | None,
    counted: Counted | None = None,
) -> Write | None:
    """What to write when the change turned the `stored` text into `after`; None when nothing
    changes. `codes_before` (and `counted`, what the stored learner counts for) must be taken
    from the stored text before the change ran, since a change may edit the learner it was
    given in place; without `counted` the text is decoded again."""
    if after is not None and after.id != learner_id:
        raise ValueError(f"a change of learner {learner_id!r} returned learner {after.id!r}")
    text = None if after is None else encode(after)
    if text == stored:
        return None
    codes_after = certificate_codes(after)
    return Write(
        text=text,
        dropped=tuple(code for code in codes_before if code not in codes_after),
        written=tuple(
            record for code, record in codes_after.items() if codes_before.get(code) != record
        ),
        # Not from the learner given to the change: it may have edited it.
        tally=tally(decode(stored) if counted is None else counted, after),
    )


def run_change(learner_id: str, stored: str | None, change: Change[T]) -> tuple[Write | None, T]:
    """Run `change` on the learner `stored` holds; what to write (None: nothing) and its
    result. The codes are taken before the change runs, since it may edit its learner."""
    before = decode(stored)
    codes_before, counted = certificate_codes(before), Counted.of(before)
    after, result = change(before)
    return plan_write(learner_id, stored, codes_before, after, counted), result
