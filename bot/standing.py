"""How many learners stand on each step: what an author is told before an edit removes one.

    standing(store) == {("an-toan-otp", "cau-2"): 14, ("thanh-toan-qr", "buoc-1"): 3}

A learner stands on the step of the lesson they are in (`Learner.position`) and on the step
of each lesson they left unfinished (`Learner.places`): each counts once.

For now every learner is read (`Store.learner_ids`, `Store.get`): fine for `hocso lint
--store` and a reload, not for a page drawn on every request. The signature is the whole
contract, so counters kept by the store can take this body's place.
"""

from __future__ import annotations

from collections import Counter

from bot.stores.base import Store


def standing(store: Store) -> dict[tuple[str, str], int]:
    """Learners by (lesson id, step id) they stand on; places nobody stands on are absent."""
    counts: Counter[tuple[str, str]] = Counter()
    for learner_id in store.learner_ids():
        learner = store.get(learner_id)
        if learner is None:  # deleted since it was listed
            continue
        for lesson_id in learner.started():
            place = learner.place_in(lesson_id)
            if place is not None:
                counts[place.lesson, place.step] += 1
    return dict(counts)
