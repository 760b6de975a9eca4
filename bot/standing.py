"""How many learners stand on each step: what an author is told before an edit removes one.

    standing(store) == {("an-toan-otp", "cau-2"): 14, ("thanh-toan-qr", "buoc-1"): 3}

A learner stands on the step of the lesson they are in (`Learner.position`) and on the step
of each lesson they left unfinished (`Learner.places`): each counts once. Read from the
counters the store keeps with every learner (`bot.tally`, `at|lesson|step`), so it costs the
same whatever the number of learners.
"""

from __future__ import annotations

from bot.reports import standing as counted
from bot.stores.base import Store


def standing(store: Store) -> dict[tuple[str, str], int]:
    """Learners by (lesson id, step id) they stand on; places nobody stands on are absent."""
    return counted(store.counts())
