"""The web console's door (`webhook.console`), over real HTTP on every store (memory, SQLite,
Redis): every /admin route refuses a request without a session (303 to sign in, or 401 for
data), signing in and out, wrong passwords and unknown names alike, throttling, CSRF, going
back only to a console path, sessions that end, and the audit log of it all. Texts are named by
their console.yaml keys."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

import bot.accounts
from bot.accounts import Accounts
from bot.content import Content
from bot.stores.memory import MemoryStore
from support.chat import fixture_content
from support.clock import Clock
from support.console import FAST, PASSWORD, Admin, add_account, csrf_of, shows
from support.served import Served
from support.service import ServiceThread
from webhook.console import Action, Column, Console, Done, Page, Shown, Table, Visit
from webhook.console.guard import local
from webhook.console.pages import PAGES
from webhook.console.render import table_csv
from webhook.console.sessions import IDLE, LONGEST
from webhook.console.throttle import TIERS, Throttle
from webhook.service import Service
from webhook.settings import Settings, WebLimits

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PUBLIC = {"/admin/login", "/admin/static/{version}/{name}", "/v/{token}"}
"""The only console routes open without a session: the sign-in page, the stylesheet, and a
volunteer's own page (its private token is the key: `tests/test_console_pages.py`)."""


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.accounts, "HASHER", FAST)


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return fixture_content(tmp_path_factory.mktemp("console"))


def serve(content: Content, store: str) -> ServiceThread:
    # Clients are told apart by X-Real-IP, as behind a proxy (HOCSO_WEB_CLIENT_HEADER).
    settings = Settings(
        content=content.root, store=store, web_limits=WebLimits(client_header="X-Real-IP")
    )
    return ServiceThread(settings)


@pytest.fixture
def app(store_url: str, content: Content) -> Iterator[ServiceThread]:
    """The service on each store (conftest's `store_url`: memory, SQLite, Redis)."""
    with serve(content, store_url) as served:
        add_account(served.store)
        yield served


@pytest.fixture
def clock(app: ServiceThread) -> Clock:
    """The console's and the store's clock, moved by hand."""
    moved = Clock(time.time())
    console(app).clock = moved
    app.store.clock = moved  # type: ignore[attr-defined]
    return moved


def console(app: ServiceThread) -> Console:
    found: Console = app.app.state.console
    return found


def audited(app: ServiceThread) -> list[tuple[str | None, str]]:
    """(who, what) of the audit log, oldest first."""
    return [(entry["who"], entry["what"]) for entry in reversed(app.store.audit_log())]


def fill(path: str) -> str:
    """A route's path with a value for each parameter."""
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: "x/y" if m.group(2) == ":path" else "x", path)


def is_data(path: str) -> bool:
    return path.endswith((".csv", ".json")) or path.startswith("/admin/api/")


def admin_paths(app: ServiceThread) -> list[tuple[str, str, tuple[str, ...]]]:
    """(route path, a path it answers, its methods) of every console route (/admin, /v/), and
    a few paths only the catch-all answers."""
    found = []
    for route in app.app.routes:
        path = getattr(route, "path", "")
        if path == "/admin" or path.startswith(("/admin/", "/v/")):
            methods = tuple(sorted(getattr(route, "methods", None) or METHODS))
            found.append((path, fill(path), methods))
    for extra in ("/admin/", "/admin/nowhere", "/admin/api/learners", "/admin/nowhere.csv"):
        found.append(("/admin/{rest:path}", extra, METHODS))
    return found


# -- (a) no route answers without a session -------------------------------------------------


def test_every_admin_route_without_a_session_redirects_or_answers_401(
    content: Content,
) -> None:
    with serve(content, "memory://") as app:
        paths = admin_paths(app)
        assert {route for route, _, _ in paths} >= {"/admin", "/admin/audit", "/admin/logout"}
        assert {route for route, _, _ in paths if route in PUBLIC} == PUBLIC
        with httpx.Client(base_url=app.url, timeout=30) as client:
            for route, path, methods in paths:
                if route in PUBLIC:
                    continue
                for method in methods:
                    answer = client.request(method, path)
                    where = f"{method} {path}"
                    assert answer.status_code != 200, where
                    if is_data(path):
                        assert answer.status_code == 401, where
                    else:
                        assert answer.status_code == 303, where
                        assert answer.headers["location"].startswith("/admin/login"), where
                        assert "set-cookie" not in answer.headers, where
            # A cookie the server did not issue is no session either.
            client.cookies.set("hocso_admin", "x" * 43)
            for route, path, _ in paths:
                if route not in PUBLIC:
                    assert client.get(path).status_code in (303, 401), path


def test_every_post_with_a_session_but_without_its_token_is_refused(content: Content) -> None:
    with serve(content, "memory://") as app:
        add_account(app.store)
        lan = Admin(app.url)
        assert lan.sign_in("lan", PASSWORD).status_code == 303
        for route, path, methods in admin_paths(app):
            if route in PUBLIC or "POST" not in methods:
                continue
            assert lan.post(path).status_code == 403, path
            assert lan.post(path, {"csrf": "not-the-token"}).status_code == 403, path
            plain = lan.client.post(path, content=b"csrf=x", headers={"content-type": "text/plain"})
            assert plain.status_code == 403, path
        assert lan.get("/admin").status_code == 200  # still signed in
        assert audited(app) == [("lan", "signin")]  # and nothing was done


# -- (b) signing in and out -----------------------------------------------------------------


def test_sign_in_see_the_home_page_and_sign_out(app: ServiceThread, content: Content) -> None:
    texts = content.console
    lan = Admin(app.url)
    asked = lan.get("/admin")
    assert asked.status_code == 303 and asked.headers["location"] == "/admin/login"
    form = lan.get("/admin/login")
    assert form.status_code == 200 and shows(form.text, texts, "signin.intro")
    assert "no-store" in form.headers["cache-control"]
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]

    signed = lan.sign_in("LAN", PASSWORD)
    assert signed.status_code == 303 and signed.headers["location"] == "/admin"
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("hocso_admin="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/admin"} <= attributes
    assert not any(part.startswith(("max-age", "expires")) for part in attributes)
    token = lan.client.cookies["hocso_admin"]
    assert len(token) == 43 and token not in repr(app.store.audit_log())

    home = lan.get("/admin")
    assert home.status_code == 200
    assert shows(home.text, texts, "home.welcome", name="lan")
    assert shows(home.text, texts, "nav.audit") and 'href="/admin/audit"' in home.text
    assert 'href="/admin/learners"' in home.text
    assert 'href="/admin/areas"' not in home.text  # a page, but not in the nav

    out = lan.sign_out()
    assert out.status_code == 303 and out.headers["location"] == "/admin/login?bye=1"
    assert shows(lan.get("/admin/login?bye=1").text, texts, "signin.signed_out")
    again = Admin(app.url)
    again.client.cookies.set("hocso_admin", token)  # the old cookie, kept by a thief
    assert again.get("/admin").status_code == 303
    assert again.get("/admin/audit.json").status_code == 401
    assert audited(app) == [("lan", "signin"), ("lan", "signout")]


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(
    app: ServiceThread, content: Content
) -> None:
    wrong = Admin(app.url).sign_in("lan", PASSWORD + "!")
    unknown = Admin(app.url).sign_in("khong-co-ai", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    for answer in (wrong, unknown):
        assert shows(answer.text, content.console, "signin.failed")
        assert "hocso_admin=" not in answer.headers.get("set-cookie", "")

    def page(answer: httpx.Response) -> str:
        return re.sub(r'name="(csrf|name)" value="[^"]*"', "", answer.text)

    assert page(wrong) == page(unknown)
    assert audited(app) == [("lan", "signin_failed"), (None, "signin_failed")]
    log = app.store.audit_log()
    assert PASSWORD not in repr(log) and "khong-co-ai" not in repr(log)
    assert log[0]["detail"] == {"client": "127.0.0.1"}


def test_failed_sign_ins_are_slowed_down_per_address_and_per_name(
    app: ServiceThread, content: Content, clock: Clock
) -> None:
    burst = int(TIERS[0][0])
    texts = content.console
    lan = Admin(app.url, address="203.0.113.7")
    for _ in range(burst):
        assert lan.sign_in("lan", "sai mat khau roi").status_code == 401
    slowed = lan.sign_in("lan", PASSWORD)  # even the right password waits
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) > 0
    assert shows(slowed.text, texts, "signin.wait", minutes=1)
    assert "hocso_admin=" not in slowed.headers.get("set-cookie", "")
    # From this address under any name; under this name from any address.
    assert lan.sign_in("binh", PASSWORD).status_code == 429
    assert Admin(app.url, address="198.51.100.1").sign_in("lan", PASSWORD).status_code == 429
    assert audited(app).count(("lan", "signin_failed")) == burst  # what was checked

    clock.now += TIERS[0][1] + 1
    assert lan.sign_in("lan", PASSWORD).status_code == 303
    assert audited(app)[-1] == ("lan", "signin")


def test_the_waits_grow() -> None:
    """Someone who tries again as soon as they may: 5 at once, then one a minute, then one
    every 10 minutes, then (after some 60) one an hour."""
    clock = Clock(1000.0)
    throttle = Throttle(MemoryStore(), clock)
    tried: list[float] = []
    while len(tried) < 62:
        wait = throttle.attempt("203.0.113.7", "lan")
        if wait > 0:
            clock.now += wait
        else:
            tried.append(clock.now)
    gaps = [round(after - before) for before, after in pairwise(tried)]
    assert gaps[:4] == [0] * 4 and gaps[4:9] == [60] * 5
    assert all(gap >= 300 for gap in gaps[9:]) and gaps[-1] == 3600


def test_the_sign_in_form_needs_its_token(app: ServiceThread) -> None:
    lan = Admin(app.url)
    form = lan.get("/admin/login")
    fields = {"name": "lan", "password": PASSWORD}
    assert lan.post("/admin/login", fields).status_code == 403
    assert lan.post("/admin/login", {**fields, "csrf": "x" * 43}).status_code == 403
    other = Admin(app.url)  # another browser's form token: not this one's cookie
    assert other.post("/admin/login", {**fields, "csrf": csrf_of(form.text)}).status_code == 403
    assert audited(app) == []
    assert lan.post("/admin/login", {**fields, "csrf": csrf_of(form.text)}).status_code == 303


ELSEWHERE = [
    "https://evil.example/admin",
    "//evil.example/admin",
    "///evil.example/admin",
    "/\\evil.example/admin",
    "/admin\\@evil.example",
    "/admin@evil.example",
    "/administrator",
    "javascript:alert(1)",
    "/chat",
    "admin",
    "/admin/login?next=/admin",
    "/admin/logout",
    "/admin/audit\r\nSet-Cookie: x=1",
    "/admin\t/x",
    "/admin/" + "x" * 3000,
]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_local_refuses_anything_but_a_console_path(target: str) -> None:
    assert local(target) is None


def test_local_keeps_a_console_path_as_it_is() -> None:
    for target in ("/admin", "/admin/audit?limit=5&x=%2F%2F", "/admin/learners/web:a?sort=-x"):
        assert local(target) == target


def test_signing_in_goes_back_only_to_a_console_path(app: ServiceThread) -> None:
    for number, (after, lands) in enumerate(
        [
            ("/admin/audit?limit=5&x=%2F%2F", "/admin/audit?limit=5&x=%2F%2F"),
            ("//evil.example/admin", "/admin"),
            ("/\\evil.example/admin", "/admin"),
            ("https://evil.example/admin", "/admin"),
        ]
    ):
        signed = Admin(app.url, address=f"192.0.2.{number}").sign_in("lan", PASSWORD, after=after)
        assert signed.status_code == 303 and signed.headers["location"] == lands


def test_a_page_asked_for_without_a_session_is_shown_after_signing_in(app: ServiceThread) -> None:
    lan = Admin(app.url)
    asked = lan.get("/admin/audit", params={"limit": "5"})
    assert asked.status_code == 303
    location = urlsplit(asked.headers["location"])
    assert location.path == "/admin/login"
    assert parse_qs(location.query) == {"next": ["/admin/audit?limit=5"]}
    signed = lan.sign_in("lan", PASSWORD, after="/admin/audit?limit=5")
    assert signed.headers["location"] == "/admin/audit?limit=5"
    assert lan.get(signed.headers["location"]).status_code == 200
    # Signed in, the sign-in page sends on at once.
    assert lan.get("/admin/login?next=/admin/audit").headers["location"] == "/admin/audit"


def test_sessions_end_when_idle_when_too_old_and_when_the_password_is_set_again(
    app: ServiceThread, content: Content, clock: Clock
) -> None:
    lan = Admin(app.url)
    lan.sign_in("lan", PASSWORD)
    clock.now += IDLE - 10
    assert lan.get("/admin").status_code == 200  # each visit counts the idle time again
    clock.now += IDLE - 10
    assert lan.get("/admin").status_code == 200
    clock.now += IDLE + 1
    expired = lan.get("/admin/audit")
    assert expired.status_code == 303 and "expired=1" in expired.headers["location"]
    assert shows(lan.get(expired.headers["location"]).text, content.console, "signin.expired")

    lan.sign_in("lan", PASSWORD)
    for _ in range(int(LONGEST // (IDLE - 10)) + 1):
        clock.now += IDLE - 10
        lan.get("/admin")
    assert lan.get("/admin").status_code == 303  # at most LONGEST, however busy

    clock.now += 1
    lan.sign_in("lan", PASSWORD)
    assert lan.get("/admin").status_code == 200
    clock.now += 1
    Accounts(app.store, FAST, clock=clock).set("lan", "mat khau moi hon", reset=True)
    assert lan.get("/admin").status_code == 303


def test_the_audit_page_and_its_exports(app: ServiceThread, content: Content) -> None:
    texts = content.console
    Admin(app.url).sign_in("lan", "sai mat khau roi")
    lan = Admin(app.url)
    lan.sign_in("lan", PASSWORD)
    page = lan.get("/admin/audit")
    assert page.status_code == 200
    for key in ("audit.intro", "audit.actions.signin", "audit.actions.signin_failed"):
        assert shows(page.text, texts, key), key
    assert shows(page.text, texts, "audit.fields.client")
    assert 'href="/admin/audit.csv"' in page.text

    data = lan.get("/admin/audit.json")
    assert data.status_code == 200 and data.headers["content-type"] == "application/json"
    body = data.json()
    assert body["columns"] == ["at", "who", "what", "detail"]
    assert [(row["who"], row["what"]) for row in body["rows"]] == [
        ("lan", "signin"),
        ("lan", "signin_failed"),
    ]
    table = lan.get("/admin/audit.csv")
    assert table.headers["content-type"].startswith("text/csv")
    assert "attachment" in table.headers["content-disposition"]
    lines = table.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "at,who,what,detail" and ",lan,export," in lines[1]  # the JSON's export
    exports = [e["detail"] for e in app.store.audit_log() if e["what"] == "export"]
    assert exports == [
        {"page": "/admin/audit.csv", "format": "csv"},
        {"page": "/admin/audit.json", "format": "json"},
    ]


def test_answers_for_the_signed_in(app: ServiceThread, content: Content) -> None:
    lan = Admin(app.url)
    lan.sign_in("lan", PASSWORD)
    assert lan.get("/admin/").headers["location"] == "/admin"
    missing = lan.get("/admin/nowhere")
    assert missing.status_code == 404 and shows(missing.text, content.console, "errors.not_found")
    assert lan.get("/admin/nowhere.json").json()["error"] == "errors.not_found"
    refused = lan.get("/admin/logout")
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    big = lan.post("/admin/logout", {"csrf": lan.csrf(), "x": "x" * 100_000})
    assert big.status_code == 413
    css = lan.get(console(app).renderer.stylesheet.url)
    assert css.status_code == 200 and "immutable" in css.headers["cache-control"]
    assert lan.get("/admin/static/old/console.css").headers["cache-control"] == "no-cache"
    assert lan.get("/admin/static/x/other.css").status_code == 404


def test_the_console_s_texts_are_all_in_console_yaml() -> None:
    """Every key the console's code and templates name is in bot.console.TEXTS (so lint asks
    every content folder for it)."""
    from bot.console import TEXTS

    root = Path(__file__).resolve().parent.parent / "webhook" / "console"
    sections = "site|nav|account|signin|home|audit|table|errors"
    named = re.compile(rf"""["']((?:{sections})\.[a-z_.]+)["']""")
    used: set[str] = set()
    for path in [*root.rglob("*.py"), *root.rglob("*.html")]:
        used |= set(named.findall(path.read_text(encoding="utf-8")))
    prefixes = ("audit.actions.", "audit.fields.")
    used = {key for key in used if not key.endswith(".html")}  # templates' names
    missing = sorted(key for key in used if key not in TEXTS and key not in prefixes)
    assert len(used) > 20 and missing == []


# -- what a page module can do ----------------------------------------------------------------


def things(visit: Visit) -> Shown:
    """A page with a parameter and a table: /admin/things/{kind}."""
    kind = str(visit.params["kind"])
    rows = [{"id": f"{kind}-{number}", "n": number} for number in range(3)]
    return Shown(table=Table((Column("id", "audit.who"), Column("n", "audit.what")), rows))


def reload_things(visit: Visit) -> Done:
    assert visit.form is not None
    visit.audit("reload", what=str(visit.form.get("what")))
    return Done("/admin/things/all", notice="home.welcome", values={"name": visit.name})


TRIAL = Page(
    "/admin/things/{kind}",
    title="nav.content",
    show=things,
    nav=False,
    actions=(Action("/admin/things-reload", reload_things),),
)


def test_a_page_with_a_parameter_its_exports_and_an_action(content: Content) -> None:
    settings = Settings(content=content.root, store="memory://")
    service = Service(settings)
    trial = Console(service, pages=(*PAGES, TRIAL))
    served = Served(Starlette(routes=trial.routes()), name="console-trial")
    served.start()
    try:
        add_account(service.store)
        lan = Admin(served.url)
        assert lan.get("/admin/things/ab.json").status_code == 401
        lan.sign_in("lan", PASSWORD)
        assert lan.get("/admin/things/ab.json").json()["rows"][0] == {"id": "ab-0", "n": 0}
        table = lan.get("/admin/things/ab.csv")
        assert table.headers["content-disposition"] == 'attachment; filename="hocso-things-ab.csv"'
        page = lan.get("/admin/things/ab")
        assert page.status_code == 200 and "ab-2" in page.text
        assert 'href="/admin/things/ab.csv"' in page.text

        assert lan.post("/admin/things-reload", {"what": "x"}).status_code == 403
        done = lan.post("/admin/things-reload", {"what": "x", "csrf": lan.csrf()})
        assert done.status_code == 303 and done.headers["location"] == "/admin/things/all"
        shown = lan.get("/admin/things/all")
        assert shows(shown.text, content.console, "home.welcome", name="lan")
        assert 'class="notice"' in shown.text
        assert 'class="notice"' not in lan.get("/admin/things/all").text  # once
        log = service.store.audit_log()
        assert [(entry["what"], entry["detail"]) for entry in log[:1]] == [
            ("reload", {"what": "x"})
        ]
    finally:
        served.stop()
        service.store.close()


def test_a_csv_cell_a_spreadsheet_would_run_is_written_as_text() -> None:
    table = Table(
        (Column("name", "audit.who"), Column("detail", "audit.detail")),
        [{"name": '=HYPERLINK("http://evil.example")', "detail": {"a": 1}}, {"name": "Lan"}],
    )
    body = table_csv(table, "x").body
    assert bytes(body).decode("utf-8-sig").splitlines() == [
        "name,detail",
        '"\'=HYPERLINK(""http://evil.example"")","{""a"": 1}"',
        "Lan,",
    ]
