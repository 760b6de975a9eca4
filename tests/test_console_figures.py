"""The campaign pages of the console over real HTTP, on every store: each answers signed in,
with its figures, and as CSV and JSON; a funnel of a lesson that is not there, a commune that
is not there; a reload that publishes and one that is refused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import bot.accounts
from bot.content import Content
from bot.engine import Engine
from bot.inbound import Inbound
from bot.learner import HelpRequest, Learner, now_vn
from bot.places import Area, Village, Volunteer, save_area, save_volunteer
from bot.reports import standing
from bot.tutor import Tutor
from support.chat import fixture_content
from support.console import FAST, PASSWORD, Admin, add_account, csrf_of, shows
from support.service import ServiceThread
from webhook.settings import Settings


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.accounts, "HASHER", FAST)


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


@pytest.fixture
def app(store_url: str, content: Content) -> Iterator[ServiceThread]:
    with ServiceThread(Settings(content=content.root, store=store_url)) as served:
        add_account(served.store)
        save_area(
            served.store,
            Area("an-phu", "Xã An Phú", 500, {"thon-1": Village("thon-1", "Thôn 1", 200)}),
        )
        save_volunteer(served.store, Volunteer("V1", "Hoa", "an-phu", "thon-1"))
        tutor = Tutor(Engine(served.service.content), served.store)
        lesson = next(iter(content.lessons))
        for n in range(3):
            tutor.handle(Inbound(f"tg:{n}", start=f"{lesson}_V1" if n else lesson))
        yield served


@pytest.fixture
def lan(app: ServiceThread) -> Iterator[Admin]:
    admin = Admin(app.url)
    assert admin.sign_in("lan", PASSWORD).status_code == 303
    yield admin
    admin.close()


@pytest.mark.parametrize(
    "path",
    ["/admin", "/admin?area=an-phu", "/admin?area=nowhere", "/admin/lessons",
     "/admin/lessons/mau", "/admin/lessons/nowhere", "/admin/content"],
)  # fmt: skip
def test_every_campaign_page_answers(lan: Admin, path: str) -> None:
    assert lan.get(path).status_code == 200


def test_the_overview_by_village_as_csv_and_json(lan: Admin, content: Content) -> None:
    page = lan.get("/admin", params={"area": "an-phu"})
    assert shows(page.text, content.console, "overview.by_village", area="Xã An Phú")
    got = lan.get("/admin/index.json", params={"area": "an-phu"})
    assert got.status_code == 200, got.text
    rows = got.json()["rows"]
    assert [(row["id"], row["learners"], row["adults"]) for row in rows] == [("thon-1", 2, 200)]
    text = lan.get("/admin/index.csv").content.decode("utf-8-sig")
    found = {row["id"]: row["learners"] for row in csv.DictReader(io.StringIO(text))}
    assert found == {"an-phu": "2", "": "1"}


def test_the_overview_shows_what_reminders_and_people_did(
    lan: Admin, app: ServiceThread, content: Content
) -> None:
    opened = (now_vn() - timedelta(minutes=190)).isoformat()
    waiting = HelpRequest(code="H-AAAA", opened_at=opened, until=opened)
    app.store.save(
        Learner(id="tg:9", created_at=opened, nudges={"mau": 2}, returns=1, help=waiting,
                helped={"asked": 2, "answered": 1, "waited": 1500})
    )  # fmt: skip
    app.store.save(Learner(id="tg:8", created_at=opened, remind=False))
    page = lan.get("/admin").text
    said = content.console.text
    assert shows(page, content.console, "overview.outreach")
    for figure, key in [(2, "reminders_sent"), (1, "reminders_returned"), (1, "reminders_off"),
                        (1, "help_open")]:  # fmt: skip
        assert f"<strong>{figure}</strong> {said(f'overview.{key}')}" in page
    oldest = said("overview.hours", hours=3, minutes=10)
    assert shows(page, content.console, "overview.help_oldest", time=oldest) or shows(
        page, content.console, "overview.help_oldest", time=said("overview.hours", hours=3,
                                                                 minutes=11)
    )  # fmt: skip
    answered = said("overview.minutes", minutes=25)
    assert shows(page, content.console, "overview.help_answered", time=answered)


def test_a_funnel_and_its_export(lan: Admin, content: Content) -> None:
    lesson = next(iter(content.lessons.values()))
    got = lan.get(f"/admin/lessons/{lesson.id}.json")
    assert got.status_code == 200, got.text
    rows = got.json()["rows"]
    assert [row["step"] for row in rows] == [step.id for step in lesson.steps]
    assert rows[0]["reached"] == 3 and sum(row["standing"] for row in rows) == 3
    assert lan.get("/admin/lessons/nowhere.csv").status_code == 404
    missing = lan.get("/admin/lessons/nowhere")
    assert shows(missing.text, content.console, "funnel.missing")


def test_reload_publishes_or_shows_the_problems(
    lan: Admin, app: ServiceThread, content: Content
) -> None:
    csrf = csrf_of(lan.get("/admin/content").text)
    done = lan.post("/admin/content/reload", {"csrf": csrf})
    assert (done.status_code, done.headers["location"]) == (303, "/admin/content")
    page = lan.get("/admin/content")
    assert shows(page.text, content.console, "content.published", version=content.version)

    lesson = next(iter(content.lessons.values()))
    lesson.path.write_text("id: [broken\n", encoding="utf-8")
    lan.post("/admin/content/reload", {"csrf": csrf})
    page = lan.get("/admin/content")
    assert any(shows(page.text, content.console, "content.refused", count=n) for n in (1, 2, 3))
    assert re.search(rf"{re.escape(str(lesson.path))}:\d+: ", page.text)
    assert app.service.content.current.version == content.version
    whats = [entry["what"] for entry in app.store.audit_log(2)]
    assert whats == ["reload", "reload"]


def test_the_nav_lists_the_pages_in_the_consoles_order() -> None:
    from bot.console import NAV
    from webhook.console.pages import PAGES

    assert [page.title for page in PAGES if page.nav] == [f"nav.{name}" for name in NAV]


def test_before_a_reload_the_page_says_what_it_would_do(
    lan: Admin, app: ServiceThread, content: Content
) -> None:
    lesson = next(iter(content.lessons.values()))
    assert shows(lan.get("/admin/content").text, content.console, "content.unchanged")
    # The three learners stand on one step of the lesson: rename it on disk.
    ((lesson_id, step), count), *_ = standing(app.store.counts()).items()
    assert (lesson_id, count) == (lesson.id, 3)
    text = lesson.path.read_text(encoding="utf-8")
    assert f"id: {step}\n" in text
    lesson.path.write_text(text.replace(f"id: {step}\n", f"id: {step}-moi\n"), encoding="utf-8")
    page = lan.get("/admin/content").text
    said = {"title": lesson.title, "step": step, "count": 3}
    assert shows(page, content.console, "content.stranded_step", **said), page[:4000]
    lesson.path.write_text("id: [broken\n", encoding="utf-8")
    page = lan.get("/admin/content").text
    assert shows(page, content.console, "content.disk_problems")
    assert app.service.content.current.version == content.version  # nothing published


def test_an_admin_revokes_and_reissues_certificates(
    lan: Admin, app: ServiceThread, content: Content
) -> None:
    from bot import certified
    from bot.learner import Earned, Learner

    for n in (1, 2):
        learner = Learner(id=f"tg:c{n}", created_at="2026-12-01T10:00:00+07:00")
        learner.certificates["chi-mau"] = Earned("2026-12-01T10:00:00+07:00", f"HS-ABCD-000{n}")
        app.store.save(learner)
    csrf = csrf_of(lan.get("/admin/certificates").text)

    def post(action: str, **form: str) -> str:
        done = lan.post(f"/admin/certificates/_{action}", {"csrf": csrf, **form})
        assert done.status_code == 303, done.text
        return lan.get("/admin/certificates").text

    texts = content.console
    assert shows(post("revoke", code="HS-ABCD-0001", why=" "), texts, "certificates.problem_why")
    assert shows(post("revoke", code="nope", why="x"), texts, "certificates.problem_number")
    page = post("revoke", code="hs abcd 0001", why="Cấp nhầm người")
    assert shows(page, texts, "certificates.revoked_done", code="HS-ABCD-0001")
    assert "Cấp nhầm người" in page
    assert certified.standing(app.store, "HS-ABCD-0001").status == "revoked"
    again = post("revoke", code="HS-ABCD-0001", why="x")
    assert shows(again, texts, "certificates.problem_standing", code="HS-ABCD-0001")
    post("reissue", code="HS-ABCD-0002")
    assert certified.standing(app.store, "HS-ABCD-0002").status == "revoked"
    fresh = certified.standing(app.store, "HS-ABCD-0002").replaced_by
    assert fresh and certified.standing(app.store, fresh).status == "genuine"
    whats = [entry["what"] for entry in app.store.audit_log(5)]
    assert "certificate_revoke" in whats and "certificate_reissue" in whats
    assert lan.post("/admin/certificates/_revoke", {"code": "HS-ABCD-0002"}).status_code == 403
