"""A commune's campaign as the console's tests set it up (`seed`): an area with a village, two
volunteers and five learners at different points, each with a name that no page or file may
show unmasked (`no_names`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.learner import VIETNAM, Earned, Learner, Position, Result
from bot.places import Area, Village, Volunteer, save_area, save_volunteer
from bot.stores.base import Store

PUBLIC_URL = "https://hocso.example.vn"
NAMES = {
    "tg:101": "Nguyễn Thị Lan",
    "tg:102": "Trần Văn Bình",
    "tg:103": "Lê Thị Hoà",
    "tg:104": "Phạm Minh",
    "web:105": "Đỗ Văn An",
}


def ago(days: float) -> str:
    return (datetime.now(VIETNAM) - timedelta(days=days)).isoformat(timespec="seconds")


def seed(store: Store) -> None:
    """An area with a village, volunteers V1 (there) and V2 (nowhere), and five learners:
    Lan learning with V1, Bình stuck on mau/cau-1 with V1, Hoà away a fortnight with V1 having
    passed both lessons and earned a certificate, Minh with V2, An who came alone."""
    save_area(store, Area("an-phu", "Xã An Phú", 1800, {"thon-1": Village("thon-1", "Thôn 1")}))
    save_volunteer(store, Volunteer("V1", "Trần Thị Hoa", "an-phu", "thon-1"))
    save_volunteer(store, Volunteer("V2", "Phạm Văn Tư"))
    passed = Result("passed", 1.0, ago(14), version="3f9a1c0b2d4e")
    people = [
        ("tg:101", "V1", 0.1, Position("mau", "chao", ago(0.1)), {}, {}),
        ("tg:102", "V1", 3, Position("mau", "cau-1", ago(3)), {}, {}),
        (
            "tg:103",
            "V1",
            14,
            None,
            {"mau": passed, "sau": passed},
            {"mau-va-sau": Earned(ago(14), "HS-TEST-0001")},
        ),
        ("tg:104", "V2", 0.5, None, {}, {}),
        ("web:105", None, 1, Position("sau", "mot", ago(1)), {}, {}),
    ]
    for learner_id, volunteer, seen, position, results, certificates in people:
        store.save(
            Learner(
                id=learner_id,
                created_at=ago(30),
                name=NAMES[learner_id],
                volunteer=volunteer,
                seen_at=ago(seen),
                position=position,
                results=results,
                certificates=certificates,
            )
        )


def no_names(html: str) -> bool:
    """No learner's name shows, whole or its first or last two words."""
    parts = {
        part
        for name in NAMES.values()
        for words in [name.split()]
        for part in (name, " ".join(words[:2]), " ".join(words[-2:]))
    }
    return not any(part in html for part in parts)
