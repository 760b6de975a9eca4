"""The one store interface: learners' state, read and changed atomically.

Every backend (memory, SQLite, Redis) keeps one JSON document per learner (see
`bot.learner.Learner`) and an index from certificate verification codes to the learner
who earned them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from bot.learner import Learner

T = TypeVar("T")

Change = Callable[[Learner | None], tuple[Learner | None, T]]
"""Given the stored learner (None when unknown), return the learner to store (None: delete
it) and a result. It may be called more than once for one update (optimistic retries), so it
must not have side effects."""


@dataclass(frozen=True)
class CertificateRecord:
    """What a verification code proves: who earned which certificate, and when."""

    code: str
    learner: str
    certificate: str
    earned_at: str


class Store(ABC):
    """Where learners live. Safe to share between threads, processes and (Redis) machines."""

    @abstractmethod
    def get(self, learner_id: str) -> Learner | None:
        """The stored learner, or None."""

    @abstractmethod
    def update(self, learner_id: str, change: Change[T]) -> T:
        """Read, change and write one learner as one atomic step; return the change's result.
        Two updates of one learner never interleave, in any number of processes."""

    @abstractmethod
    def learner_ids(self) -> Iterator[str]:
        """Every stored learner's id, in no particular order."""

    @abstractmethod
    def find_certificate(self, code: str) -> CertificateRecord | None:
        """The certificate a verification code stands for, or None."""

    @abstractmethod
    def ping(self) -> bool:
        """True when the store answers."""

    def close(self) -> None:  # noqa: B027 - optional: not every store holds connections
        """Release connections. The store must not be used afterwards."""

    def delete(self, learner_id: str) -> bool:
        """Forget a learner and their certificate codes; True when there was one."""
        return self.update(learner_id, lambda learner: (None, learner is not None))

    def save(self, learner: Learner) -> None:
        """Store a learner as given, replacing what was there."""
        self.update(learner.id, lambda _: (learner, None))
