"""`MemoryStore` (`memory://`): learners kept in this process only, gone at exit.

What it keeps, behind one lock:

- `learners`: learner id -> the learner's JSON text (text, not objects, so that nobody can
  change stored state by editing a Learner they were given);
- `codes`: certificate code -> `CertificateRecord`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TypeVar

from bot.learner import Learner
from bot.stores._document import certificate_codes, code_taken, decode, plan_write
from bot.stores.base import CertificateRecord, Change, Store

T = TypeVar("T")


class MemoryStore(Store):
    """A dict and a lock: safe across threads, not shared between processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._learners: dict[str, str] = {}
        self._codes: dict[str, CertificateRecord] = {}

    def get(self, learner_id: str) -> Learner | None:
        with self._lock:
            text = self._learners.get(learner_id)
        return decode(text)

    def update(self, learner_id: str, change: Change[T]) -> T:
        # The change runs under the lock: that is what makes the update atomic here.
        with self._lock:
            stored = self._learners.get(learner_id)
            before = decode(stored)
            codes_before = certificate_codes(before)
            after, result = change(before)
            write = plan_write(learner_id, stored, codes_before, after)
            if write is None:
                return result
            for record in write.written:
                owner = self._codes.get(record.code)
                if owner is not None and owner.learner != learner_id:
                    raise code_taken(record, owner.learner)
            if write.text is None:
                del self._learners[learner_id]
            else:
                self._learners[learner_id] = write.text
            for code in write.dropped:
                self._codes.pop(code, None)
            for record in write.written:
                self._codes[record.code] = record
        return result

    def learner_ids(self) -> Iterator[str]:
        with self._lock:
            ids = list(self._learners)
        return iter(ids)

    def find_certificate(self, code: str) -> CertificateRecord | None:
        with self._lock:
            return self._codes.get(code)

    def ping(self) -> bool:
        return True
