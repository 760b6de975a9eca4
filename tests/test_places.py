"""Areas, villages and volunteers, kept in the store's directory by `hocso area`,
`hocso volunteer` and `hocso learner assign`, and what reports make of them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.learner import Learner
from bot.places import (
    PlaceError,
    Places,
    import_areas,
    new_link_token,
    revoke_link_token,
    volunteer_for_token,
)
from bot.stores import open_store


def hocso(url: str, *args: str, ok: bool = True, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args, "--store", url],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
    )
    assert (done.returncode == 0) == ok, done.stderr
    return done.stdout if ok else done.stderr


def test_an_admin_sets_up_areas_and_volunteers_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    hocso(url, "area", "add", "an-phu", "Xã An Phú", "--adults", "1800")
    hocso(url, "area", "village", "an-phu", "thon-1", "Thôn 1", "--adults", "320")
    hocso(url, "volunteer", "add", "V12", "Trần Thị Hoa", "--area", "an-phu", "--village", "thon-1")
    assert "Thôn 1" in hocso(url, "area", "list")
    # Where their learners' requests for a person go: kept when a later change does not say.
    assert "-1001234567890" in hocso(url, "area", "add", "an-phu", "Xã An Phú", "--help-chat",
                                     "-1001234567890")  # fmt: skip
    hocso(url, "volunteer", "add", "V12", "Trần Thị Hoa", "--area", "an-phu", "--village", "thon-1",
          "--help-chat=-1009876543210")  # fmt: skip
    hocso(url, "volunteer", "add", "V12", "Trần Thị Hoa", "--area", "an-phu", "--village", "thon-1")
    assert "help chat -1009876543210" in hocso(url, "volunteer", "list")
    assert "Telegram chat id" in hocso(url, "volunteer", "add", "V12", "Hoa", "--help-chat", "nhóm",
                                       ok=False)  # fmt: skip
    hocso(url, "area", "village", "an-phu", "thon-2", "Thôn 2")
    assert "help chat -1001234567890" in hocso(url, "area", "list")
    assert "no village" in hocso(
        url, "volunteer", "add", "V13", "Minh", "--area", "an-phu", "--village", "x", ok=False
    )
    assert "no area" in hocso(url, "volunteer", "add", "V14", "Minh", "--area", "nowhere", ok=False)
    assert "letters, digits" in hocso(url, "area", "add", "An Phú", "Xã", ok=False)

    store = open_store(url)
    store.save(Learner(id="tg:1", created_at="2026-12-01T10:00:00+07:00", volunteer="V12"))
    store.save(Learner(id="tg:2", created_at="2026-12-01T10:00:00+07:00"))
    store.close()
    hocso(url, "learner", "assign", "tg:2", "--area", "an-phu", "--village", "thon-1")
    assert "no learner" in hocso(url, "learner", "assign", "tg:9", "--area", "an-phu", ok=False)
    found = json.loads(hocso(url, "report", "--json"))
    assert found["areas"]["an-phu"]["villages"]["thon-1"]["learners"] == 2
    assert found["volunteers"]["V12"]["area"] == "an-phu"

    exported = hocso(url, "area", "export")
    assert exported.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert rows == [
        {"area": "an-phu", "village": "", "name": "Xã An Phú", "adults": "1800",
         "help_chat": "-1001234567890"},
        {"area": "an-phu", "village": "thon-1", "name": "Thôn 1", "adults": "320", "help_chat": ""},
        {"area": "an-phu", "village": "thon-2", "name": "Thôn 2", "adults": "", "help_chat": ""},
    ]  # fmt: skip
    hocso(url, "volunteer", "add", "V12", "Trần Thị Hoa", "--help-chat", "none")
    assert "help chat" not in hocso(url, "volunteer", "list")


def test_a_csv_from_excel_imports_areas_and_volunteers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    areas = tmp_path / "areas.csv"
    areas.write_text(
        "\ufeffarea;village;name;adults\r\nbinh-my;;Xã Bình Mỹ;2.400\r\nbinh-my;ap-2;Ấp 2;610\r\n",
        encoding="utf-8",
    )
    volunteers = tmp_path / "volunteers.csv"
    volunteers.write_text(
        "code,name,area,village,team,help_chat\nV1,Lan,binh-my,ap-2,,-100555\n"
        "T-AP2,Tổ ấp 2,binh-my,ap-2,x,\n",
        encoding="utf-8",
    )
    assert "1 area saved" in hocso(url, "area", "import", str(areas))
    assert "2 volunteers saved" in hocso(url, "volunteer", "import", str(volunteers))
    store = open_store(url)
    places = Places.load(store)
    store.close()
    assert places.areas["binh-my"].adults == 2400
    assert places.areas["binh-my"].villages["ap-2"].name == "Ấp 2"
    assert places.volunteers["T-AP2"].team and not places.volunteers["V1"].team
    assert places.volunteers["V1"].help_chat == "-100555"
    assert places.volunteers["T-AP2"].help_chat == ""


@pytest.mark.parametrize(
    ("rows", "message", "why", "values"),
    [
        ([{"area": "an phu", "name": "x"}], "line 2: area", "bad_id", {"value": "an phu"}),
        ([{"area": "a", "adults": "nhiều"}], "line 2: adults", "bad_adults", {"value": "nhiều"}),
        (
            [{"area": "a"}, {"area": "a", "village": "thôn 1"}],
            "line 3: village",
            "bad_id",
            {"field": "village", "value": "thôn 1"},
        ),
    ],
)
def test_a_bad_row_names_its_line_and_nothing_is_saved(
    rows: list[dict[str, str]], message: str, why: str, values: dict[str, str]
) -> None:
    """In plain words for the CLI, and by `why` for the console to say in Vietnamese."""
    store = open_store("memory://")
    with pytest.raises(PlaceError, match=message) as raised:
        import_areas(store, rows)
    assert store.docs("area") == {}
    assert raised.value.why == why and raised.value.line == int(message.split()[1].rstrip(":"))
    assert values.items() <= raised.value.values.items()


def test_a_volunteers_private_link_works_until_revoked(tmp_path: Path) -> None:
    store = open_store("memory://")
    store.put_doc("volunteer", "V1", {"name": "Lan"})
    first = new_link_token(store, "V1")
    found = volunteer_for_token(store, first)
    assert found is not None and found.code == "V1"
    second = new_link_token(store, "V1")
    assert volunteer_for_token(store, first) is None  # a new link ends the old one
    assert volunteer_for_token(store, second) is not None
    assert revoke_link_token(store, "V1")
    assert volunteer_for_token(store, second) is None
    assert volunteer_for_token(store, "") is None


def test_the_volunteer_link_command_needs_the_public_address(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    hocso(url, "volunteer", "add", "V1", "Lan")
    printed = hocso(url, "volunteer", "link", "V1", env={"HOCSO_PUBLIC_URL": "https://hocso.vn"})
    assert printed.startswith("https://hocso.vn/v/")
    assert "HOCSO_PUBLIC_URL" in hocso(
        url, "volunteer", "link", "V1", ok=False, env={"HOCSO_PUBLIC_URL": ""}
    )
