"""Where learners belong: areas (a commune or ward, with its villages) and volunteers (or a
village team), as an admin keeps them in the store's directory.

```json
{"kind": "area", "id": "an-phu",
 "doc": {"name": "Xã An Phú", "adults": 1800, "help_chat": "-1001234567890",
         "villages": {"thon-1": {"name": "Thôn 1", "adults": 320}}}}
{"kind": "volunteer", "id": "V12",
 "doc": {"name": "Trần Thị Hoa", "area": "an-phu", "village": "thon-1", "team": false,
         "help_chat": "-1009876543210"}}
```
A learner's group (`bot.tally.Group`) names their volunteer and, when an admin assigned them,
their area and village; otherwise they count where their volunteer belongs, looked up here
when a report is read, so that moving a volunteer moves their figures. `help_chat` (optional)
is the Telegram chat where their learners' requests for a person go (`bot.helpdesk`): the
volunteer's, else the area's team's, else the operator's HOCSO_HELP_CHAT.
"""

from __future__ import annotations

import csv
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.learner import Learner
from bot.stores.base import Store
from bot.stores.records import Directory
from bot.tally import Group

AREA, VOLUNTEER = "area", "volunteer"
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
"""What an area, village or volunteer code may be: it goes into links and counter keys."""
CHAT = re.compile(r"-?[1-9][0-9]{0,18}")
"""What a Telegram chat id is: an integer (a group's is negative: -1001234567890)."""


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
    help_chat: str = ""
    """The Telegram chat of the area's team, for requests for a person ("": none)."""

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "adults": self.adults,
            "villages": {
                v.id: {"name": v.name, "adults": v.adults} for v in self.villages.values()
            },
        }
        if self.help_chat:
            doc["help_chat"] = self.help_chat
        return doc

    @classmethod
    def from_doc(cls, area_id: str, doc: dict[str, Any]) -> Area:
        villages = {
            village_id: Village(village_id, str(v.get("name") or village_id), _count(v))
            for village_id, v in (doc.get("villages") or {}).items()
        }
        name = str(doc.get("name") or area_id)
        return cls(area_id, name, _count(doc), villages, str(doc.get("help_chat") or ""))


@dataclass(frozen=True)
class Volunteer:
    code: str
    name: str
    area: str = ""
    village: str = ""
    team: bool = False
    """A village team's code (on the village's poster) rather than one person's."""
    help_chat: str = ""
    """The Telegram chat where their learners' requests for a person go ("": none)."""

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "area": self.area,
            "village": self.village,
            "team": self.team,
        }
        if self.help_chat:
            doc["help_chat"] = self.help_chat
        return doc

    @classmethod
    def from_doc(cls, code: str, doc: dict[str, Any]) -> Volunteer:
        return cls(
            code,
            str(doc.get("name") or code),
            str(doc.get("area") or ""),
            str(doc.get("village") or ""),
            bool(doc.get("team")),
            str(doc.get("help_chat") or ""),
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


class PlaceError(ValueError):
    """An area, village, volunteer or file an admin gave that cannot be used: the message in
    plain words (for the CLI), and `why` with its `values` and `line` (a CSV file's line) for
    the console to say it in its own words (`places.problems.<why>` of console.yaml).

    | why | values |
    |---|---|
    | `bad_id` | `field` (area, village or code), `value` |
    | `no_area` | `area` |
    | `no_village` | `area`, `village` |
    | `village_needs_area` | |
    | `bad_adults` | `value` |
    | `columns` | `columns`, `missing` (comma-separated) |
    | `no_volunteer` | `code` |
    | `bad_chat` | `value` |
    | `other` | (said only in English: the CLI's own checks) |
    """

    def __init__(
        self, message: str, why: str = "other", *, line: int | None = None, **values: str
    ) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.why = why
        self.line = line
        self.values = values


def check_id(kind: str, value: str, line: int | None = None) -> str:
    """`value` stripped, when it can be an id; `kind` is what it is: "area", "village",
    "volunteer code"."""
    value = value.strip()
    if not ID.fullmatch(value):
        raise PlaceError(
            f"{kind} {value!r}: use 1 to 40 letters, digits, - or _ (no spaces or accents), "
            "e.g. an-phu, thon-1, V12",
            "bad_id",
            line=line,
            field=kind.split()[-1],
            value=value,
        )
    return value


def check_chat(value: str, line: int | None = None) -> str:
    """A Telegram chat id as typed ("" for none: `none` and `-` say so too), stripped."""
    value = value.strip()
    if value.lower() in ("", "none", "-"):
        return ""
    if not CHAT.fullmatch(value):
        raise PlaceError(
            f"help chat {value!r}: a Telegram chat id is a whole number, a group's negative "
            "(e.g. -1001234567890; see README, A person on the line)",
            "bad_chat",
            line=line,
            value=value,
        )
    return value


def save_area(directory: Directory, area: Area) -> None:
    check_id("area", area.id)
    check_chat(area.help_chat)
    for village in area.villages:
        check_id("village", village)
    directory.put_doc(AREA, area.id, area.to_doc())


def save_volunteer(directory: Directory, volunteer: Volunteer) -> None:
    """Keep a volunteer (or a village team's code); their area and village must be known."""
    check_id("volunteer code", volunteer.code)
    check_chat(volunteer.help_chat)
    if volunteer.area:
        area = Places.load(directory).areas.get(volunteer.area)
        if area is None:
            raise PlaceError(
                f"no area {volunteer.area!r}: add it first (hocso area add)",
                "no_area",
                area=volunteer.area,
            )
        if volunteer.village and volunteer.village not in area.villages:
            raise PlaceError(
                f"area {volunteer.area!r} has no village {volunteer.village!r}: add it first "
                "(hocso area village)",
                "no_village",
                area=volunteer.area,
                village=volunteer.village,
            )
    elif volunteer.village:
        raise PlaceError("a village needs its area (--area)", "village_needs_area")
    kept = directory.doc(VOLUNTEER, volunteer.code) or {}
    doc = volunteer.to_doc()
    if kept.get("token"):
        doc["token"] = kept["token"]  # their private link stays valid
    directory.put_doc(VOLUNTEER, volunteer.code, doc)


AREA_COLUMNS = ("area", "village", "name", "adults", "help_chat")
VOLUNTEER_COLUMNS = ("code", "name", "area", "village", "team", "help_chat")
"""The columns of the CSV files; only the first two must be there (`help_chat` came later)."""


def area_rows(places: Places) -> list[dict[str, str]]:
    """Areas as CSV rows: one per area (village empty), then one per village."""
    rows = []
    for area in sorted(places.areas.values(), key=lambda a: a.id):
        rows.append(_row(area.id, "", area.name, area.adults, area.help_chat))
        for village in sorted(area.villages.values(), key=lambda v: v.id):
            rows.append(_row(area.id, village.id, village.name, village.adults))
    return rows


def _row(
    area: str, village: str, name: str, adults: int | None, help_chat: str = ""
) -> dict[str, str]:
    return {
        "area": area,
        "village": village,
        "name": name,
        "adults": _text(adults),
        "help_chat": help_chat,
    }


def _text(number: int | None) -> str:
    return "" if number is None else str(number)


def volunteer_rows(places: Places) -> list[dict[str, str]]:
    return [
        {
            "code": v.code,
            "name": v.name,
            "area": v.area,
            "village": v.village,
            "team": "1" if v.team else "",
            "help_chat": v.help_chat,
        }
        for v in sorted(places.volunteers.values(), key=lambda v: v.code)
    ]


def import_areas(directory: Directory, rows: list[dict[str, str]]) -> int:
    """Add or replace areas and their villages from CSV rows (`AREA_COLUMNS`); checks every
    row before saving any. Returns how many areas were saved."""
    areas: dict[str, Area] = {}
    known = Places.load(directory).areas
    for number, row in enumerate(rows, start=2):
        area_id = check_id("area", _cell(row, "area"), number)
        village_id = _cell(row, "village")
        adults = _adults(_cell(row, "adults"), number)
        name = _cell(row, "name")
        area = areas.get(area_id) or known.get(area_id) or Area(area_id, name or area_id)
        if village_id:
            check_id("village", village_id, number)
            villages = {
                **area.villages,
                village_id: Village(village_id, name or village_id, adults),
            }
            area = Area(area.id, area.name, area.adults, villages, area.help_chat)
        else:
            chat = check_chat(_cell(row, "help_chat"), number) if "help_chat" in row else None
            help_chat = area.help_chat if chat is None else chat
            area = Area(area_id, name or area.name, adults, area.villages, help_chat)
        areas[area_id] = area
    for area in areas.values():
        save_area(directory, area)
    return len(areas)


def import_volunteers(directory: Directory, rows: list[dict[str, str]]) -> int:
    """Add or replace volunteers from CSV rows (`VOLUNTEER_COLUMNS`); checks every row
    before saving any. Returns how many were saved."""
    places = Places.load(directory)
    found = []
    for number, row in enumerate(rows, start=2):
        code = check_id("code", _cell(row, "code"), number)
        known = places.volunteers.get(code)
        chat = check_chat(_cell(row, "help_chat"), number) if "help_chat" in row else None
        volunteer = Volunteer(
            code,
            _cell(row, "name") or code,
            _cell(row, "area"),
            _cell(row, "village"),
            _cell(row, "team").lower() in ("1", "x", "yes", "true", "có", "co"),
            (known.help_chat if known else "") if chat is None else chat,
        )
        area = places.areas.get(volunteer.area)
        if volunteer.area and area is None:
            raise PlaceError(
                f"no area {volunteer.area!r}", "no_area", line=number, area=volunteer.area
            )
        if volunteer.village and (area is None or volunteer.village not in area.villages):
            raise PlaceError(
                f"no village {volunteer.village!r} in {volunteer.area!r}",
                "no_village" if area is not None else "village_needs_area",
                line=number,
                area=volunteer.area,
                village=volunteer.village,
            )
        found.append(volunteer)
    for volunteer in found:
        save_volunteer(directory, volunteer)
    return len(found)


def csv_rows(text: str, columns: Sequence[str], source: str = "the file") -> list[dict[str, str]]:
    """The rows of a CSV file's text as Excel saves it (`,`, `;` or tab; a BOM or none), keyed
    by its header's names in lower case; PlaceError when the first two `columns` are not named
    in the header."""
    text = text.removeprefix("\ufeff")
    # The separator is the one the header uses most: its names have none of them (a guess
    # from the whole text fails on rows of different lengths).
    header_line = text.split("\n", 1)[0]
    separator = max(",;\t", key=header_line.count)
    reader = csv.DictReader(text.splitlines(), delimiter=separator)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in columns[:2] if column not in header]
    if missing:
        raise PlaceError(
            f"{source}: the first line must name the columns {','.join(columns)}; "
            f"missing: {', '.join(missing)}",
            "columns",
            columns=",".join(columns),
            missing=", ".join(missing),
        )
    return [
        {(key or "").strip().lower(): (value or "") for key, value in row.items()} for row in reader
    ]


def _cell(row: dict[str, str], column: str) -> str:
    return (row.get(column) or "").strip()


def _adults(text: str, line: int) -> int | None:
    if not text:
        return None
    cleaned = text.replace(".", "").replace(",", "").replace(" ", "")
    if not cleaned.isdigit():
        raise PlaceError(
            f"adults {text!r} is not a whole number", "bad_adults", line=line, value=text
        )
    return int(cleaned)


def assign(store: Store, learner_id: str, area: str, village: str = "") -> bool:
    """Put a learner in an area (and village) of the directory, whoever brought them; an
    empty area takes the assignment back. False when there is no such learner."""
    if area:
        known = Places.load(store).areas.get(area)
        if known is None:
            raise PlaceError(f"no area {area!r}", "no_area", area=area)
        if village and village not in known.villages:
            raise PlaceError(
                f"area {area!r} has no village {village!r}",
                "no_village",
                area=area,
                village=village,
            )
    elif village:
        raise PlaceError("a village needs its area", "village_needs_area")

    def change(learner: Learner | None) -> tuple[Learner | None, bool]:
        if learner is None:
            return None, False
        learner.area, learner.village = area or None, village or None
        return learner, True

    return store.update(learner_id, change)


def _token_key(token: str) -> str:
    return "volunteer-link:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_link_token(store: Store, code: str) -> str:
    """A new private token for a volunteer's own page (`/v/TOKEN`); their old one stops
    working. Only its hash is kept."""
    doc = store.doc(VOLUNTEER, code)
    if doc is None:
        raise PlaceError(f"no volunteer {code!r}", "no_volunteer", code=code)
    revoke_link_token(store, code)
    token = secrets.token_urlsafe(24)
    key = _token_key(token)
    store.remember(key, code)
    store.put_doc(VOLUNTEER, code, {**doc, "token": key})
    return token


def revoke_link_token(store: Store, code: str) -> bool:
    """Stop a volunteer's private link; False when they had none."""
    doc = store.doc(VOLUNTEER, code)
    if doc is None or not doc.get("token"):
        return False
    store.remember(str(doc["token"]), "", ttl=1)  # gone at once for every reader
    store.put_doc(VOLUNTEER, code, {k: v for k, v in doc.items() if k != "token"})
    return True


def volunteer_for_token(store: Store, token: str) -> Volunteer | None:
    """The volunteer whose private link holds this token, or None (unknown or revoked)."""
    if not token or len(token) > 100:
        return None
    key = _token_key(token)
    code = store.recall(key)
    doc = store.doc(VOLUNTEER, code) if code else None
    if doc is None or doc.get("token") != key:
        return None
    return Volunteer.from_doc(str(code), doc)
