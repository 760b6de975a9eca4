"""The console's campaign pages over real HTTP on every store (memory, SQLite, Redis): Học viên
(filtered, searched, paged; one learner's page; assigning them), Tình nguyện viên (figures,
the form, CSV import and export; one volunteer's links, posters and private link), Xã/phường
và thôn/ấp, Chứng nhận, Xuất dữ liệu (streamed CSV), and a volunteer's own page at /v/<token>
(no session; 404 for a token that opens nothing; slowed down per client). Texts are named by
their console.yaml keys; names must never show unmasked."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import zxingcpp
from PIL import Image

import bot.accounts
from bot.content import Content
from support.campaign import NAMES, PUBLIC_URL, no_names, seed
from support.chat import fixture_content
from support.console import FAST, PASSWORD, Admin, add_account, shows
from support.service import ServiceThread
from webhook.console import paging, throttle
from webhook.settings import Settings, WebLimits


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.accounts, "HASHER", FAST)


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return fixture_content(tmp_path_factory.mktemp("pages"))


def serve(content: Content, store: str, public_url: str | None = PUBLIC_URL) -> ServiceThread:
    settings = Settings(
        content=content.root,
        store=store,
        public_url=public_url,
        web_limits=WebLimits(client_header="X-Real-IP"),
    )
    return ServiceThread(settings)


@pytest.fixture
def app(store_url: str, content: Content) -> Iterator[ServiceThread]:
    with serve(content, store_url) as served:
        add_account(served.store)
        seed(served.store)
        yield served


@pytest.fixture
def lan(app: ServiceThread) -> Iterator[Admin]:
    admin = Admin(app.url)
    assert admin.sign_in("lan", PASSWORD).status_code == 303
    yield admin
    admin.close()


def cells(html: str, label: str) -> list[str]:
    """The cells of a table's column, by its heading, as text."""
    found = re.findall(rf'<td data-label="{re.escape(label)}">(.*?)</td>', html, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def notice(admin: Admin, answer: httpx.Response) -> tuple[str, str]:
    """(class, text) of the sentence shown once on the page a form sent to."""
    assert answer.status_code == 303, answer.text
    page = admin.get(answer.headers["location"])
    found = re.search(r'<p class="(notice|problem)" role="\w+">(.*?)</p>', page.text, re.S)
    assert found is not None, page.text
    return found.group(1), unescape(found.group(2))


def audited(app: ServiceThread) -> list[tuple[str, dict[str, object]]]:
    return [(entry["what"], entry["detail"]) for entry in reversed(app.store.audit_log())]


# -- Học viên ---------------------------------------------------------------------------------


def test_the_learners_list_is_filtered_searched_and_paged(
    app: ServiceThread, lan: Admin, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = content.console
    page = lan.get("/admin/learners")
    assert page.status_code == 200 and shows(page.text, texts, "learners.intro")
    names = cells(page.text, texts.text("learners.name"))
    assert names == ["N***** T** L**", "P*** M***", "Đ* V** A*", "T*** V** B***", "L* T** H**"]
    assert no_names(page.text)
    assert 'href="/admin/learners/tg:102"' in page.text
    lessons = cells(page.text, texts.text("learners.lesson"))
    count = len(content.lessons["mau"].steps)
    stuck = texts.text("learners.step_of", number=5, count=count)  # cau-1
    assert lessons[3] == f"Bài mẫu · {stuck}" and lessons[4] == ""
    assert cells(page.text, texts.text("learners.place"))[:3] == [
        "Xã An Phú › Thôn 1",
        texts.text("learners.no_area"),
        texts.text("learners.no_area"),
    ]

    def shown(**query: str) -> list[str]:
        answer = lan.get("/admin/learners", params=query)
        assert answer.status_code == 200
        return cells(answer.text, texts.text("learners.name"))

    assert shown(area="-") == ["P*** M***", "Đ* V** A*"]
    assert shows(lan.get("/admin/learners?area=-").text, texts, "learners.unknown_hint")
    assert shown(volunteer="-") == ["Đ* V** A*"]
    assert shown(volunteer="V1", area="an-phu", village="thon-1") == [
        "N***** T** L**",
        "T*** V** B***",
        "L* T** H**",
    ]
    assert shown(q="binh") == ["T*** V** B***"]  # without diacritics or case
    assert shown(q="tg:10", volunteer="V2") == ["P*** M***"]
    assert shown(area="<script>") == shown()  # not an id: not a filter

    monkeypatch.setattr(paging, "SIZE", 2)
    first = lan.get("/admin/learners", params={"volunteer": "V1"})
    assert shows(first.text, texts, "pager.shown", first=1, last=2, total=3)
    after = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert after is not None and 'rel="prev"' not in first.text
    assert parse_qs(urlsplit(unescape(after.group(1))).query) == {
        "volunteer": ["V1"],
        "start": ["2"],
    }
    second = lan.get(unescape(after.group(1)))
    assert cells(second.text, texts.text("learners.name")) == ["L* T** H**"]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text

    data = lan.get("/admin/learners.json", params={"volunteer": "V1", "start": "2"}).json()
    assert data["rows"] == [
        {
            "name": "L* T** H**",
            "channel": "Telegram",
            "volunteer": "V1",
            "place": "Xã An Phú › Thôn 1",
            "seen_at": data["rows"][0]["seen_at"],
            "lesson": "",
            "passed": 2,
            "certificates": 1,
        }
    ]
    assert ("export", {"page": "/admin/learners.json", "format": "json"}) in audited(app)


def test_one_learner_s_page_and_assigning_them_to_a_village(
    app: ServiceThread, lan: Admin, content: Content
) -> None:
    texts = content.console
    page = lan.get("/admin/learners/tg:103")
    assert page.status_code == 200
    assert shows(page.text, texts, "learner.heading", name="L* T** H**") and no_names(page.text)
    assert cells(page.text, texts.text("learner.lesson")) == ["Bài mẫu", "Bài sau"]
    assert (
        cells(page.text, texts.text("learner.status"))
        == [texts.text("learner.statuses.passed")] * 2
    )
    assert cells(page.text, texts.text("learner.score")) == ["100%", "100%"]
    assert cells(page.text, texts.text("learner.version")) == ["3f9a1c0b2d4e"] * 2
    assert "HS-TEST-0001" in page.text and "Chứng nhận mẫu" in page.text
    learning = lan.get("/admin/learners/web:105")
    assert cells(learning.text, texts.text("learner.status")) == [
        texts.text("learner.statuses.in_progress")
    ]
    assert lan.get("/admin/learners/tg:999").status_code == 404

    # An, who came alone, is of no known area until assigned.
    assert shows(learning.text, texts, "learners.no_area")
    done = lan.post(
        "/admin/learners/web:105/assign", {"csrf": lan.csrf(), "place": "an-phu/thon-1"}
    )
    assert done.headers["location"] == "/admin/learners/web:105"
    said = texts.text("learner.assigned", learner="web:…105", place="Xã An Phú › Thôn 1")
    assert notice(lan, done) == ("notice", said)
    assert ("assign", {"learner": "web:105", "area": "an-phu", "village": "thon-1"}) in audited(app)
    names = cells(lan.get("/admin/learners?area=-").text, texts.text("learners.name"))
    assert names == ["P*** M***"]
    figures = lan.get("/admin/learners", params={"area": "an-phu", "village": "thon-1"})
    assert "Đ* V** A*" in cells(figures.text, texts.text("learners.name"))

    wrong = lan.post("/admin/learners/web:105/assign", {"csrf": lan.csrf(), "place": "xa-khac"})
    said = texts.text("places.problems.no_area", area="xa-khac")
    assert notice(lan, wrong) == ("problem", said)
    back = lan.post("/admin/learners/web:105/assign", {"csrf": lan.csrf(), "place": ""})
    said = texts.text("learner.unassigned_done", learner="web:…105")
    assert notice(lan, back) == ("notice", said)
    assert [what for what, _ in audited(app)].count("assign") == 2


# -- Tình nguyện viên, xã/phường --------------------------------------------------------------


def test_volunteers_their_figures_the_form_and_the_csv_both_ways(
    app: ServiceThread, lan: Admin, content: Content
) -> None:
    texts = content.console
    page = lan.get("/admin/volunteers")
    assert page.status_code == 200
    assert cells(page.text, texts.text("volunteers.code")) == ["V1", "V2"]
    assert cells(page.text, texts.text("volunteers.learners")) == ["3", "1"]
    assert cells(page.text, texts.text("volunteers.certificates")) == ["1", "0"]
    assert shows(page.text, texts, "volunteers.alone", learners=1, certificates=0)

    saved = lan.post(
        "/admin/volunteers/_save",
        {
            "csrf": lan.csrf(),
            "code": "T-THON1",
            "name": "Tổ thôn 1",
            "place": "an-phu/thon-1",
            "team": "1",
        },
    )
    assert saved.headers["location"] == "/admin/volunteers/T-THON1"
    assert notice(lan, saved) == ("notice", texts.text("volunteers.saved", code="T-THON1"))
    wrong = lan.post("/admin/volunteers/_save", {"csrf": lan.csrf(), "code": "V 3", "name": "x"})
    field = texts.text("places.fields.code")
    said = texts.text("places.problems.bad_id", field=field, value="V 3")
    assert notice(lan, wrong) == ("problem", said)

    table = lan.get("/admin/volunteers.csv")
    assert table.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert [(row["code"], row["name"], row["village"], row["team"]) for row in rows] == [
        ("T-THON1", "Tổ thôn 1", "thon-1", "True"),
        ("V1", "Trần Thị Hoa", "thon-1", "False"),
        ("V2", "Phạm Văn Tư", "", "False"),
    ]

    # The file goes back in as Excel saves it, changed; a bad line saves nothing.
    changed = table.content.decode("utf-8-sig").replace("Phạm Văn Tư", "Phạm Văn Tư (sửa)")
    changed = changed.replace(",", ";") + "V9;Người mới;an-phu;;\r\n"
    sent = upload(lan, "/admin/volunteers/_import", changed.encode("utf-8-sig"))
    assert notice(lan, sent) == ("notice", texts.text("volunteers.imported", count=4))
    names = cells(lan.get("/admin/volunteers").text, texts.text("volunteers.name"))
    assert "Phạm Văn Tư (sửa)" in names and "Người mới" in names
    bad = upload(lan, "/admin/volunteers/_import", b"code,name,area\nV10,A,an-phu\nV11,B,nowhere\n")
    problem = texts.text("places.problems.no_area", area="nowhere")
    assert notice(lan, bad) == ("problem", texts.text("places.on_line", line=3, problem=problem))
    assert "V10" not in lan.get("/admin/volunteers").text
    windows = upload(lan, "/admin/volunteers/_import", "code,name\nV12,Hoà\n".encode("cp1258"))
    assert notice(lan, windows) == ("problem", texts.text("places.not_utf8"))
    whats = [what for what, _ in audited(app)]
    assert whats.count("volunteer_save") == 1 and whats.count("volunteers_import") == 1


def upload(admin: Admin, path: str, data: bytes) -> httpx.Response:
    files = {"file": ("tinh-nguyen-vien.csv", data, "text/csv")}
    return admin.client.post(path, data={"csrf": admin.csrf()}, files=files)


def test_areas_and_villages_are_kept_from_the_console(
    app: ServiceThread, lan: Admin, content: Content
) -> None:
    texts = content.console
    page = lan.get("/admin/areas")
    assert page.status_code == 200 and shows(page.text, texts, "areas.intro")
    added = lan.post(
        "/admin/areas/_save",
        {"csrf": lan.csrf(), "area": "binh-my", "name": "Xã Bình Mỹ", "adults": "2.400"},
    )
    assert notice(lan, added) == ("notice", texts.text("areas.saved", area="Xã Bình Mỹ"))
    village = lan.post(
        "/admin/areas/_village",
        {"csrf": lan.csrf(), "area": "binh-my", "village": "ap-2", "name": "Ấp 2", "adults": "610"},
    )
    said = texts.text("areas.saved_village", village="Ấp 2", area="Xã Bình Mỹ")
    assert notice(lan, village) == ("notice", said)
    renamed = lan.post(  # changing an area keeps its villages
        "/admin/areas/_save", {"csrf": lan.csrf(), "area": "binh-my", "name": "Xã Bình Mỹ B"}
    )
    assert notice(lan, renamed)[0] == "notice"
    wrong = lan.post("/admin/areas/_save", {"csrf": lan.csrf(), "area": "x", "adults": "nhiều"})
    assert notice(lan, wrong) == (
        "problem",
        texts.text("places.problems.bad_adults", value="nhiều"),
    )

    rows = lan.get("/admin/areas.csv").content.decode("utf-8-sig").splitlines()
    assert rows == [
        "area,village,name,adults,help_chat",
        "an-phu,,Xã An Phú,1800,",
        "an-phu,thon-1,Thôn 1,,",
        "binh-my,,Xã Bình Mỹ B,,",
        "binh-my,ap-2,Ấp 2,610,",
    ]
    sent = upload(lan, "/admin/areas/_import", b"area;village;name;adults\r\nbinh-my;;B;2.400\r\n")
    assert notice(lan, sent) == ("notice", texts.text("areas.imported", count=1))
    assert "binh-my,,B,2400" in lan.get("/admin/areas.csv").content.decode("utf-8-sig")
    missing = upload(lan, "/admin/areas/_import", b"name,adults\nB,1\n")
    said = texts.text(
        "places.problems.columns",
        columns="area,village,name,adults,help_chat",
        missing="area, village",
    )
    assert notice(lan, missing) == ("problem", said)
    assert [what for what, _ in audited(app)].count("area_save") == 3


# -- one volunteer: links, posters, private link; their own page ------------------------------


def test_a_volunteer_s_links_posters_and_private_link(
    app: ServiceThread, lan: Admin, content: Content
) -> None:
    texts = content.console
    page = lan.get("/admin/volunteers/V1")
    assert page.status_code == 200
    assert shows(page.text, texts, "volunteers.heading", name="Trần Thị Hoa", code="V1")
    assert f"{PUBLIC_URL}/chat?lesson=mau&amp;v=V1" in page.text
    assert 'href="/admin/volunteers/V1/posters/sau.pdf"' in page.text
    assert shows(page.text, texts, "volunteers.private_off")
    assert lan.get("/admin/volunteers/V404").status_code == 404

    pdf = lan.get("/admin/volunteers/V1/posters/mau.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert 'filename="mau_V1-poster.pdf"' in pdf.headers["content-disposition"]
    png = lan.get("/admin/volunteers/V1/posters/sau.png")
    assert png.headers["content-type"] == "image/png"
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)).convert("L"))
    assert [code.text for code in codes] == [f"{PUBLIC_URL}/chat?lesson=sau&v=V1"]
    assert lan.get("/admin/volunteers/V1/posters/khong-co.png").status_code == 404
    assert lan.get("/admin/volunteers/V1/posters/mau.gif").status_code == 404

    made = lan.post("/admin/volunteers/V1/link", {"csrf": lan.csrf()})
    kind, said = notice(lan, made)
    found = re.search(rf"{re.escape(PUBLIC_URL)}/v/([A-Za-z0-9_-]+)", said)
    assert kind == "notice" and found is not None
    token = found.group(1)
    again = lan.get("/admin/volunteers/V1").text
    assert token not in again and shows(again, texts, "volunteers.private_on")  # shown once
    assert token not in repr(app.store.audit_log())

    own = httpx.get(f"{app.url}/v/{token}")
    assert own.status_code == 200 and "hocso_admin" not in own.headers.get("set-cookie", "")
    assert own.headers["referrer-policy"] == "no-referrer"
    assert shows(own.text, texts, "volunteer_view.title", name="Trần Thị Hoa")
    assert no_names(own.text) and "P*** M***" not in own.text  # V2's learner
    assert "N***** T** L**" in own.text and "T*** V** B***" in own.text
    assert "<script" not in own.text

    revoked = lan.post("/admin/volunteers/V1/revoke", {"csrf": lan.csrf()})
    assert notice(lan, revoked) == ("notice", texts.text("volunteers.revoked", code="V1"))
    gone = httpx.get(f"{app.url}/v/{token}")
    assert gone.status_code == 404 and shows(gone.text, texts, "volunteer_view.not_found")
    assert [(what, detail) for what, detail in audited(app) if what in ("link_new", "revoke")] == [
        ("link_new", {"code": "V1"}),
        ("revoke", {"code": "V1"}),
    ]


def test_without_a_public_address_no_link_nor_poster_is_made(
    content: Content, tmp_path: Path
) -> None:
    texts = content.console
    with serve(content, "memory://", public_url="http://127.0.0.1:8000") as app:
        add_account(app.store)
        seed(app.store)
        lan = Admin(app.url)
        lan.sign_in("lan", PASSWORD)
        page = lan.get("/admin/volunteers/V1")
        assert shows(page.text, texts, "links.no_public_url") and "/chat?lesson=" not in page.text
        poster = lan.get("/admin/volunteers/V1/posters/mau.png")
        assert poster.status_code == 409 and shows(poster.text, texts, "links.no_public_url")
        made = lan.post("/admin/volunteers/V1/link", {"csrf": lan.csrf()})
        assert notice(lan, made) == ("problem", texts.text("links.no_public_url"))
        assert [entry["what"] for entry in app.store.audit_log()] == ["signin"]


def test_a_volunteer_s_own_page_sorts_their_learners_and_gives_their_links(
    app: ServiceThread, content: Content
) -> None:
    from bot.places import new_link_token

    texts = content.console
    token = new_link_token(app.store, "V1")
    own = httpx.get(f"{app.url}/v/{token}")
    sections = dict(
        re.findall(r'<section class="group (\w+)" id="\w+">(.*?)</section>', own.text, re.S)
    )
    count = len(content.lessons["mau"].steps)
    stuck = texts.text("volunteer_view.at_step", lesson="Bài mẫu", number=5, count=count)
    assert "T*** V** B***" in sections["stuck"] and stuck in sections["stuck"]
    assert "L* T** H**" in sections["away"]
    assert "N***** T** L**" in sections["learning"]
    assert "L* T** H**" in sections["passed"]
    said = texts.text("volunteer_view.passed_count", passed=2, certificates=1)
    assert said in sections["passed"]
    assert '<a href="#bai-mau">' in sections["stuck"]  # one tap to the link to send again
    assert 'id="bai-mau"' in own.text and f"{PUBLIC_URL}/chat?lesson=mau&amp;v=V1" in own.text
    sms = re.search(r'href="(sms:[^"]+)"', own.text)
    assert sms is not None and "lesson%3Dmau%26v%3DV1" in unescape(sms.group(1))
    assert httpx.post(f"{app.url}/v/{token}").status_code == 405


def test_a_volunteer_s_page_cannot_be_guessed(
    app: ServiceThread, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "VISIT_BURST", 3.0)
    monkeypatch.setattr(throttle, "VISIT_RATE", 0.001)
    texts = content.console
    guesser = {"X-Real-IP": "203.0.113.9"}
    for _ in range(3):
        missing = httpx.get(f"{app.url}/v/{'A' * 32}", headers=guesser)
        assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store"
        assert shows(missing.text, texts, "volunteer_view.not_found")
    over = httpx.get(f"{app.url}/v/{'B' * 32}", headers=guesser)
    assert over.status_code == 429 and shows(over.text, texts, "volunteer_view.wait")
    assert int(over.headers["retry-after"]) > 0
    assert (
        httpx.get(f"{app.url}/v/{'C' * 32}", headers={"X-Real-IP": "198.51.100.2"}).status_code
        == 404
    )


# -- Chứng nhận, Xuất dữ liệu -----------------------------------------------------------------


def test_the_certificates_registry(app: ServiceThread, lan: Admin, content: Content) -> None:
    texts = content.console
    page = lan.get("/admin/certificates")
    assert page.status_code == 200
    assert cells(page.text, texts.text("certificates.code")) == ["HS-TEST-0001"]
    assert cells(page.text, texts.text("certificates.learner")) == ["L* T** H**"]
    assert cells(page.text, texts.text("certificates.certificate")) == ["Chứng nhận mẫu"]
    assert cells(page.text, texts.text("certificates.area")) == ["Xã An Phú"]
    assert 'href="/admin/learners/tg:103"' in page.text and no_names(page.text)
    assert shows(page.text, texts, "pager.shown", first=1, last=1, total=1)


def test_the_exports_stream_csv_for_excel(app: ServiceThread, lan: Admin, content: Content) -> None:
    page = lan.get("/admin/exports")
    assert page.status_code == 200 and shows(page.text, content.console, "exports.learners_about")
    with lan.client.stream("GET", "/admin/exports/learners.csv") as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert "content-length" not in answer.headers  # streamed as it is written
        assert answer.headers["transfer-encoding"] == "chunked"
        assert re.fullmatch(
            r'attachment; filename="hocso-hoc-vien-\d{4}-\d{2}-\d{2}\.csv"',
            answer.headers["content-disposition"],
        )
        body = answer.read()
    assert body.startswith(b"\xef\xbb\xbf") and no_names(body.decode("utf-8-sig"))
    rows = {row["learner"]: row for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}
    assert set(rows) == set(NAMES)
    assert (rows["tg:101"]["name"], rows["tg:101"]["area"], rows["tg:101"]["lesson"]) == (
        "N***** T** L**", "an-phu", "mau"
    )  # fmt: skip

    areas = lan.get("/admin/exports/areas.csv").content.decode("utf-8-sig").splitlines()
    assert areas[0].startswith("area,village,name,adults,learners,")
    assert "an-phu,,Xã An Phú,1800,3,2,4,2,1,1,1,0.0006" in areas  # V1's three
    assert ",,,,2,2,1,0,0,0,0," in areas  # of no known area: V2's and An
    exports = [detail for what, detail in audited(app) if what == "export"]
    assert exports == [
        {"page": "/admin/exports/learners.csv", "format": "csv"},
        {"page": "/admin/exports/areas.csv", "format": "csv"},
    ]


# -- the sentences ------------------------------------------------------------------------------


def test_every_key_these_pages_name_is_in_console_yaml() -> None:
    from bot.console import TEXTS

    root = Path(__file__).resolve().parent.parent / "webhook" / "console"
    sections = "pager|learners|learner|volunteers|links|areas|places|certificates|exports"
    named = re.compile(rf"""["']((?:{sections}|volunteer_view)\.[a-z_.]+)["']""")
    used: set[str] = set()
    for path in [*root.rglob("*.py"), *root.rglob("*.html")]:
        used |= set(named.findall(path.read_text(encoding="utf-8")))
    used = {key for key in used if not key.endswith((".html", ".py"))}
    prefixes = ("volunteers.formats.", "places.problems.", "places.fields.", "volunteer_view.")
    missing = sorted(key for key in used if key not in TEXTS and not key.endswith("."))
    assert len(used) > 100 and missing == [], missing
    assert all(any(key.startswith(p) for key in TEXTS) for p in prefixes)
