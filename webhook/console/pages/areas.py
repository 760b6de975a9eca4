"""Xã/phường và thôn/ấp (`/admin/areas`, `.csv`, `.json`: the file `hocso area import` reads):
the areas with their villages and numbers of adults (the targets' denominators), as the
directory keeps them (`bot.places`); adding or changing an area (`POST /admin/areas/_save`)
or a village (`…/_village`), and importing a CSV file (`…/_import`). Reached from the
volunteers' page; not in the nav.
"""

from __future__ import annotations

from bot.places import (
    AREA_COLUMNS,
    Area,
    PlaceError,
    Places,
    Village,
    area_rows,
    check_chat,
    import_areas,
    save_area,
)
from webhook.console.directory import (
    UPLOAD_LIMIT,
    NoRows,
    adults,
    code,
    place_choices,
    refused,
    text,
    uploaded_rows,
)
from webhook.console.page import Action, Column, Done, Page, Shown, Table, Visit

PATH = "/admin/areas"

COLUMNS = (
    Column("area", "areas.area"),
    Column("village", "areas.village"),
    Column("name", "areas.name"),
    Column("adults", "areas.adults"),
    Column("help_chat", "areas.help_chat"),
)


def show(visit: Visit) -> Shown:
    places = Places.load(visit.store)
    areas = sorted(places.areas.values(), key=lambda a: (a.name.lower(), a.id))
    return Shown(
        table=Table(COLUMNS, list(area_rows(places))),
        values={"areas": areas, "choices": place_choices(places), "upload_limit": UPLOAD_LIMIT},
    )


def save(visit: Visit) -> Done:
    """Add an area, or change its name, adults and help chat (its villages stay)."""
    form = visit.form
    assert form is not None
    try:
        area_id = code(form, "area", "area")
        kept = Places.load(visit.store).areas.get(area_id)
        name = text(form, "name") or (kept.name if kept else area_id)
        villages = kept.villages if kept else {}
        help_chat = check_chat(text(form, "help_chat", 30))
        save_area(visit.store, Area(area_id, name, adults(form), villages, help_chat))
    except PlaceError as error:
        return refused(PATH, error, visit.texts)
    visit.audit("area_save", area=area_id)
    return Done(PATH, notice="areas.saved", values={"area": name})


def save_village(visit: Visit) -> Done:
    form = visit.form
    assert form is not None
    try:
        area_id = text(form, "area", 60)
        area = Places.load(visit.store).areas.get(area_id)
        if area is None:
            raise PlaceError(f"no area {area_id!r}", "no_area", area=area_id)
        village_id = code(form, "village", "village")
        name = text(form, "name") or village_id
        village = Village(village_id, name, adults(form))
        villages = {**area.villages, village_id: village}
        save_area(visit.store, Area(area.id, area.name, area.adults, villages, area.help_chat))
    except PlaceError as error:
        return refused(PATH, error, visit.texts)
    visit.audit("area_save", area=area.id, village=village_id)
    return Done(PATH, notice="areas.saved_village", values={"village": name, "area": area.name})


def import_file(visit: Visit) -> Done:
    assert visit.form is not None
    try:
        saved = import_areas(visit.store, uploaded_rows(visit.form, AREA_COLUMNS))
    except (PlaceError, NoRows) as error:
        return refused(PATH, error, visit.texts)
    visit.audit("areas_import", count=saved)
    return Done(PATH, notice="areas.imported", values={"count": saved})


PAGE = Page(
    PATH,
    title="areas.title",
    show=show,
    template="areas.html",
    nav=False,
    actions=(
        Action(PATH + "/_save", save),
        Action(PATH + "/_village", save_village),
        Action(PATH + "/_import", import_file, limit=UPLOAD_LIMIT + 64 * 1024),
    ),
)
