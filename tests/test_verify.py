"""`/verify`, `/verify/NUMBER` and `/verify/NUMBER.json` over real HTTP (the service under
uvicorn): genuine, revoked, replaced and unknown numbers; the masked name only; numbers read
as people type them; the same answer time for every number; a client's burst of guesses
slowed down while another client goes on; the Open Badges 3.0 credential, its recipient a
salted hash."""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from bot.certified import reissue, revoke
from bot.learner import Earned, Learner
from support.chat import REPO
from support.service import ServiceThread
from webhook.settings import NO_WEB_LIMITS, Settings

ISSUER = "Tổ công nghệ số cộng đồng xã An Phú"
PUBLIC = "https://hocso.example.vn"
NAME = "Nguyễn Thị Hường"


def settings(**more: object) -> Settings:
    base = Settings(
        content=REPO / "content",
        store="memory://",
        public_url=PUBLIC,
        issuer=ISSUER,
        web_limits=replace(NO_WEB_LIMITS, client_header="X-Real-IP"),
        verify_rate=0,
        verify_floor=0.0,
    )
    return replace(base, **more)  # type: ignore[arg-type]


def holder(app: ServiceThread, learner_id: str = "tg:1", code: str = "HS-7K2P-9QXD") -> None:
    learner = Learner.new(learner_id)
    learner.certificate_name = NAME
    learner.certificates["dung-dien-thoai-an-toan"] = Earned("2026-11-23T10:00:00+07:00", code)
    app.store.save(learner)


@pytest.fixture
def app() -> Iterator[ServiceThread]:
    with ServiceThread(settings()) as served:
        holder(served)
        yield served


def get(app: ServiceThread, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{app.url}{path}", headers=headers, timeout=10)


def test_a_genuine_number_shows_only_the_masked_name(app: ServiceThread) -> None:
    say = app.service.content.current.messages.text
    page = get(app, "/verify/HS-7K2P-9QXD")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert say("verify.genuine") in text
    assert "Nguyễn Thị H." in text and NAME not in text and "tg:1" not in text
    for shown in ("Dùng điện thoại thông minh", "23/11/2026", ISSUER, "HS-7K2P-9QXD",
                  "0.1 Sử dụng thiết bị", "0.2 Sử dụng phần mềm trên thiết bị"):  # fmt: skip
        assert shown in text, shown
    assert 'href="/verify/HS-7K2P-9QXD.json"' in text
    assert "<script" not in text and len(page.content) < 8000  # light for a cheap phone


@pytest.mark.parametrize("typed", ["hs-7k2p-9qxd", "HS7K2P9QXD", "HS%207K2P%209QXD"])
def test_a_number_as_typed(app: ServiceThread, typed: str) -> None:
    assert get(app, f"/verify/{typed}").status_code == 200


def test_the_form_sends_to_the_number_s_page(app: ServiceThread) -> None:
    form = get(app, "/verify")
    assert form.status_code == 200 and 'action="/verify"' in form.text
    sent = get(app, "/verify?code=hs 7k2p 9qxd")
    assert sent.status_code == 303 and sent.headers["location"] == "/verify/HS-7K2P-9QXD"
    odd = get(app, "/verify?code=<b>x</b>")
    assert odd.status_code == 303 and get(app, odd.headers["location"]).status_code == 404


def test_an_unknown_number_says_so(app: ServiceThread) -> None:
    say = app.service.content.current.messages.text
    for typed, shown in [("HS-0000-0000", "HS-0000-0000"), ("<script>", "&lt;script&gt;")]:
        page = get(app, f"/verify/{typed}")
        assert page.status_code == 404
        assert say("verify.unknown", code="§").split("§")[0] in page.text
        assert shown in page.text and "<script>" not in page.text


def test_a_revoked_number_says_so_and_when_and_never_becomes_unknown(app: ServiceThread) -> None:
    say = app.service.content.current.messages.text
    revoke(app.store, "HS-7K2P-9QXD", "cấp nhầm", who="lan", at=1_796_000_000)
    page = get(app, "/verify/HS-7K2P-9QXD")
    assert page.status_code == 200
    assert say("verify.revoked", date="30/11/2026") in page.text
    assert "Nguyễn" not in page.text and "cấp nhầm" not in page.text
    app.store.delete("tg:1")  # the learner deletes their data
    assert say("verify.revoked", date="30/11/2026") in get(app, "/verify/HS-7K2P-9QXD").text
    badge = get(app, "/verify/HS-7K2P-9QXD.json")
    assert badge.status_code == 410 and badge.json()["status"] == "revoked"


def test_a_reissued_number_says_it_was_replaced(app: ServiceThread) -> None:
    say = app.service.content.current.messages.text
    fresh = reissue(app.store, "HS-7K2P-9QXD", who="lan", at=1_796_000_000)
    assert say("verify.replaced", date="30/11/2026") in get(app, "/verify/HS-7K2P-9QXD").text
    assert say("verify.genuine") in get(app, f"/verify/{fresh}").text


def test_every_number_is_answered_in_the_same_time() -> None:
    """A genuine, an unknown and a malformed number, asked in turn on one connection. Every
    answer takes the floor at least (the machine's noise only adds to that); the sameness is
    of each number's median: a pause of this process (another test process on the same cores,
    say) lengthens one answer, not one kind of number."""
    with (
        ServiceThread(settings(verify_floor=0.3)) as app,
        httpx.Client(base_url=app.url, timeout=10) as client,
    ):
        holder(app)
        times: dict[str, list[float]] = {"HS-7K2P-9QXD": [], "HS-0000-0000": [], "x": []}
        for _ in range(5):
            for code, took in times.items():
                started = time.monotonic()
                client.get(f"/verify/{code}")
                took.append(time.monotonic() - started)
    fastest = {code: min(took) for code, took in times.items()}
    typical = {code: statistics.median(took) for code, took in times.items()}
    assert min(fastest.values()) >= 0.3, fastest
    assert max(typical.values()) - min(typical.values()) < 0.15, times


def test_a_burst_of_guesses_is_slowed_down_per_client() -> None:
    with ServiceThread(settings(verify_rate=0.01, verify_burst=3)) as app:
        holder(app)
        say = app.service.content.current.messages.text
        answers = [get(app, f"/verify/HS-0000-000{k}", **{"X-Real-IP": "203.0.113.7"})
                   for k in range(5)]  # fmt: skip
        assert [a.status_code for a in answers] == [404, 404, 404, 429, 429]
        slowed = answers[-1]
        wait = int(slowed.headers["retry-after"])
        assert 1 <= wait <= 100
        assert say("verify.slow_down", seconds=wait) in slowed.text
        assert (
            get(app, "/verify/HS-7K2P-9QXD.json", **{"X-Real-IP": "203.0.113.7"}).status_code == 429
        )
        # Someone else, from another address, checks their paper meanwhile.
        assert get(app, "/verify/HS-7K2P-9QXD", **{"X-Real-IP": "198.51.100.2"}).status_code == 200


def test_the_open_badges_credential(app: ServiceThread) -> None:
    answer = get(app, "/verify/HS-7K2P-9QXD.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    badge = answer.json()
    assert badge["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert badge["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert badge["id"] == f"{PUBLIC}/verify/HS-7K2P-9QXD.json"
    assert badge["issuer"] == {"id": PUBLIC, "type": ["Profile"], "name": ISSUER, "url": PUBLIC}
    assert badge["validFrom"] == badge["awardedDate"] == "2026-11-23T10:00:00+07:00"
    subject = badge["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["id"].startswith("urn:uuid:")
    assert achievement["name"] == "Dùng điện thoại thông minh"
    assert "Làm quen với điện thoại" in achievement["criteria"]["narrative"]
    assert [(a["targetCode"], a["targetName"]) for a in achievement["alignment"]] == [
        ("0.1", "Sử dụng thiết bị"),
        ("0.2", "Sử dụng phần mềm trên thiết bị"),
    ]
    assert all("757/QĐ-BKHCN" in a["targetFramework"] for a in achievement["alignment"])
    [identity] = subject["identifier"]
    assert (identity["type"], identity["identityType"], identity["hashed"]) == (
        "IdentityObject", "name", True
    )  # fmt: skip
    digest = hashlib.sha256((NAME + identity["salt"]).encode("utf-8")).hexdigest()
    assert identity["identityHash"] == f"sha256${digest}"
    assert "Nguyễn" not in answer.text and "tg:1" not in answer.text
    # Another holder of the same certificate: the same achievement, another salt.
    holder(app, "tg:2", "HS-AAAA-BBBB")
    other = get(app, "/verify/HS-AAAA-BBBB.json").json()
    assert other["credentialSubject"]["achievement"]["id"] == achievement["id"]
    assert other["credentialSubject"]["identifier"][0]["salt"] != identity["salt"]
    assert get(app, "/verify/HS-0000-0000.json").status_code == 404
