"""Where learners belong: areas (a commune or ward, with its villages) and volunteers (or a
village team), as an admin keeps them in the store's directory.

```json
{"kind": "area", "id": "an-phu",
 "doc": {"name": "Xã An Phú", "adults": 1800,
         "villages": {"thon-1": {"name": "Thôn 1", "adults": 320}}}}
{"kind": "volunteer", "id": "V12",
 "doc": {"name": "Trần Thị Hoa", "area": "an-phu", "village": "thon-1", "team": false}}
```
A learner's group (`bot.tally.Group`) names their volunteer and, when an admin assigned them,
their area and village; otherwise they count where their volunteer belongs, looked up here
when a report is read, so that moving a volunteer moves their figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.stores.records import Directory
from bot.tally import Group

AREA, VOLUNTEER = "area", "volunteer"
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
"""What an area, village or volunteer code may be: it goes into links and counter keys."""


@dataclass(frozen=True)
class Village:
    id: str
    name: str
    adults: int | None = None


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    adults: int | None = None
    villages: dict[str, Village] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "adults": self.adults,
            "villages": {
                v.id: {"name": v.name, "adults": v.adults} for v in self.villages.values()
            },
        }

    @classmethod
    def from_doc(cls, area_id: str, doc: dict[str, Any]) -> Area:
        villages = {
            village_id: Village(village_id, str(v.get("name") or village_id), _count(v))
            for village_id, v in (doc.get("villages") or {}).items()
        }
        return cls(area_id, str(doc.get("name") or area_id), _count(doc), villages)


@dataclass(frozen=True)
class Volunteer:
    code: str
    name: str
    area: str = ""
    village: str = ""
    team: bool = False
    """A village team's code (on the village's poster) rather than one person's."""

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "area": self.area, "village": self.village, "team": self.team}

    @classmethod
    def from_doc(cls, code: str, doc: dict[str, Any]) -> Volunteer:
        return cls(
            code,
            str(doc.get("name") or code),
            str(doc.get("area") or ""),
            str(doc.get("village") or ""),
            bool(doc.get("team")),
        )


def _count(doc: dict[str, Any]) -> int | None:
    adults = doc.get("adults")
    return adults if isinstance(adults, int) and adults >= 0 else None


@dataclass(frozen=True)
class Places:
    """The directory as reports read it."""

    areas: dict[str, Area]
    volunteers: dict[str, Volunteer]

    @classmethod
    def load(cls, directory: Directory) -> Places:
        return cls(
            {k: Area.from_doc(k, v) for k, v in directory.docs(AREA).items()},
            {k: Volunteer.from_doc(k, v) for k, v in directory.docs(VOLUNTEER).items()},
        )

    def where(self, group: Group) -> tuple[str, str]:
        """The (area, village) a group counts in; ("", "") when not known."""
        if group.area:
            return group.area, group.village
        volunteer = self.volunteers.get(group.volunteer)
        if volunteer is not None:
            return volunteer.area, volunteer.village
        return "", ""

    def area_name(self, area_id: str) -> str:
        area = self.areas.get(area_id)
        return area.name if area else area_id

    def village_name(self, area_id: str, village_id: str) -> str:
        area = self.areas.get(area_id)
        village = area.villages.get(village_id) if area else None
        return village.name if village else village_id
