"""The forms that change the directory (areas, villages, volunteers, a learner's place): the
places to choose from, reading what was chosen, an uploaded CSV file, and a `PlaceError`
said in console.yaml's words (`places.problems.<why>`).

A place is chosen in one list: an area (`an-phu`) or one of its villages (`an-phu/thon-1`);
`/` is in no id (`bot.places.ID`).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from bot.console import ConsoleTexts
from bot.places import PlaceError, Places, check_id, csv_rows
from webhook.console.page import Done

UPLOAD_LIMIT = 2 * 1024 * 1024
"""The largest CSV file an import takes, in bytes (some 20,000 rows)."""
NAME_LONGEST = 100


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def place_choices(places: Places) -> list[Choice]:
    """Every area and, under it, each of its villages, by name."""
    found = []
    for area in sorted(places.areas.values(), key=lambda a: (a.name.lower(), a.id)):
        found.append(Choice(area.id, area.name))
        for village in sorted(area.villages.values(), key=lambda v: (v.name.lower(), v.id)):
            found.append(Choice(f"{area.id}/{village.id}", f"{area.name} › {village.name}"))
    return found


def place_name(places: Places, area: str, village: str) -> str:
    """ "Xã An Phú › Thôn 1", as the choices name it."""
    if not village:
        return places.area_name(area)
    return f"{places.area_name(area)} › {places.village_name(area, village)}"


def chosen_place(form: FormData, name: str = "place") -> tuple[str, str]:
    """(area, village) of a place chosen in the list; ("", "") for none."""
    area, _, village = text(form, name).partition("/")
    return area.strip(), village.strip()


def text(form: FormData, name: str, longest: int = NAME_LONGEST) -> str:
    """A text field, stripped and cut to `longest` characters ("" when missing)."""
    value = form.get(name)
    return value.strip()[:longest] if isinstance(value, str) else ""


def adults(form: FormData, name: str = "adults") -> int | None:
    """A number of adults typed as people write it (`1.800`, `1 800`); None when empty."""
    typed = text(form, name, 20)
    if not typed:
        return None
    cleaned = typed.replace(".", "").replace(",", "").replace(" ", "")
    if not cleaned.isdigit():
        raise PlaceError(f"adults {typed!r} is not a whole number", "bad_adults", value=typed)
    return int(cleaned)


def code(form: FormData, name: str, kind: str) -> str:
    """An id typed in a form; PlaceError when it cannot be one."""
    return check_id(kind, text(form, name, 60))


class NoRows(Exception):
    """An upload that is not a CSV file of rows: `key` says why (console.yaml)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def uploaded_rows(form: FormData, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of the CSV file sent in the field `file`; NoRows or PlaceError."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise NoRows("places.no_file")
    data = upload.file.read(UPLOAD_LIMIT + 1)
    try:
        found = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NoRows("places.not_utf8") from None
    rows = csv_rows(found, columns, upload.filename)
    if not rows:
        raise NoRows("places.no_rows")
    return rows


def refused(to: str, error: PlaceError | NoRows, texts: ConsoleTexts) -> Done:
    """Back to `to`, saying why in console.yaml's words."""
    if isinstance(error, NoRows):
        return Done(to, notice=error.key, problem=True)
    values: dict[str, object] = dict(error.values)
    if "field" in values:
        values["field"] = texts.text(f"places.fields.{values['field']}")
    key = f"places.problems.{error.why}"
    if key not in texts:
        key, values = "places.problems.other", {}
    if error.line:
        said = texts.text(key, **values)
        values = {"line": error.line, "problem": said}
        key = "places.on_line"
    return Done(to, notice=key, values=values, problem=True)
