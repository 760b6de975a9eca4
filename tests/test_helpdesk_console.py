"""A person on the line in the console, over real HTTP on every store: the Hỗ trợ page lists
the learners who wait (oldest first, names masked, digits hidden, never the words in its
exports); an answer from its form reaches the learner's chat once however often it is sent,
and the desk's group sees it; closing tells both; both are in the audit log; the closed ones
are listed with how long they waited; a volunteer's own page shows their learners who wait;
the help chats of volunteers and areas are set on their pages. Then the page in Chromium
(JavaScript off), answered from its form, a screenshot kept."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

import bot.accounts
from bot.content import Content
from bot.places import Area, Places, Village, Volunteer, new_link_token, save_area, save_volunteer
from bot.reminders import Policy
from lessons import markup
from support.browser import chromium, until
from support.chat import fixture_content
from support.console import FAST, PASSWORD, Admin, add_account, csrf_of, shows
from support.fake_telegram import FakeTelegram
from support.service import ServiceThread, TelegramLearner, Webhook, settings_for

GROUP = -1001234567890
TOKEN = re.compile(r'<input type="hidden" name="token" value="([^"]*)">')

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.accounts, "HASHER", FAST)


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


@pytest.fixture
def app(fake_telegram: FakeTelegram, content: Content, store_url: str) -> Iterator[ServiceThread]:
    settings = settings_for(
        fake_telegram, content.root, store_url, help_chat=str(GROUP), reminders=Policy(quiet=None)
    )
    with ServiceThread(settings) as served:
        add_account(served.store)
        yield served


def ask(app: ServiceThread, fake: FakeTelegram, chat: int, start: str, *said: str) -> None:
    """A learner on Telegram opens a lesson, asks for a person and says more."""

    async def talk() -> None:
        async with Webhook(app.url) as hook:
            learner = TelegramLearner(hook, fake, chat)
            await learner.start(start)
            await learner.replies()
            await learner.say("gặp người thật")
            await learner.replies()
            for text in said:
                await learner.say(text)

    asyncio.run(talk())
    app.wait_sent()


def seen(text: str) -> str:
    return markup.plain(markup.runs(text))


def test_the_console_lists_answers_and_closes_requests(
    app: ServiceThread, fake_telegram: FakeTelegram, content: Content
) -> None:
    texts = content.console
    ask(app, fake_telegram, 7101, "mau_V12", "tôi mất 5000000 đồng, mã 482913")
    learner = app.store.get("tg:7101")
    assert learner is not None and learner.help is not None
    code = learner.help.code
    lan = Admin(app.url)
    lan.sign_in("lan", PASSWORD)

    page = lan.get("/admin/help")
    assert page.status_code == 200
    html = unescape(page.text)
    assert f'id="{code}"' in page.text and "L**" in html and "Lan" not in html
    assert "tôi mất ••••••• đồng, mã ••••••" in html and "5000000" not in html
    assert shows(page.text, texts, "help.step", lesson="Bài mẫu", number=1, count=8)
    assert shows(page.text, texts, "help.desk_chat", chat=str(GROUP))
    exported = lan.get("/admin/help.json").json()
    assert exported["columns"][0] == "code" and exported["rows"][0]["code"] == code
    assert "••" not in json.dumps(exported, ensure_ascii=False)  # the table only, no words

    form = {"csrf": csrf_of(page.text), "code": code, "token": TOKEN.findall(page.text)[0]}
    refused = lan.post("/admin/help/_reply", {**form, "csrf": "x", "text": "Dạ"})
    assert refused.status_code == 403
    said = {**form, "text": "Bác gọi ngay tổng đài in sau thẻ nhé"}
    for _ in range(2):  # sent twice (a double click): answered once
        answered = lan.post("/admin/help/_reply", said)
        assert answered.status_code == 303 and answered.headers["location"] == f"/admin/help#{code}"
    app.wait_sent()
    heard = seen(content.messages.text("person.answer", name="lan", text=said["text"]))
    assert [m.visible for m in fake_telegram.messages(7101)].count(heard) == 1
    desk_said = seen(texts.text("desk.console_answer", code=code, name="lan", text=said["text"]))
    assert fake_telegram.messages(GROUP)[-1].visible == desk_said
    assert shows(lan.get("/admin/help").text, texts, "help.sent", code=code)

    closed = lan.post("/admin/help/_close", {**form, "token": "close-1"})
    assert closed.status_code == 303
    app.wait_sent()
    assert fake_telegram.messages(7101)[-1].visible == seen(content.messages.text("person.done"))
    desk_closed = seen(texts.text("desk.closed_helper", code=code, name="lan"))
    assert fake_telegram.messages(GROUP)[-1].visible == desk_closed
    page = lan.get("/admin/help")
    assert shows(page.text, texts, "help.closed_done", code=code)
    assert shows(page.text, texts, "help.none_open")
    assert shows(page.text, texts, "help.hows.console") and f'id="{code}"' not in page.text
    again = lan.post("/admin/help/_reply", said | {"token": "late"})
    assert shows(lan.get("/admin/help").text, texts, "help.gone", code=code)
    assert again.status_code == 303
    actions = [(entry["what"], entry["detail"]) for entry in app.store.audit_log(10)]
    assert ("help_close", {"request": code}) in actions
    assert actions.count(("help_reply", {"request": code})) == 1


def test_a_volunteers_page_shows_their_learners_who_wait(
    app: ServiceThread, fake_telegram: FakeTelegram, content: Content
) -> None:
    app.store.put_doc("volunteer", "V12", {"name": "Trần Thị Hoa"})
    token = new_link_token(app.store, "V12")
    ask(app, fake_telegram, 7201, "mau_V12")
    ask(app, fake_telegram, 7202, "mau_V13")  # another volunteer's
    mine = app.store.get("tg:7201")
    assert mine is not None and mine.help is not None
    page = Admin(app.url).get(f"/v/{token}")
    assert page.status_code == 200
    assert shows(page.text, content.console, "volunteer_view.help")
    assert mine.help.code in page.text and page.text.count("· đã chờ") == 1
    assert "tg:7201" not in page.text and "/admin/help" not in page.text  # no link


def test_help_chats_are_set_on_the_volunteers_and_areas_pages(
    app: ServiceThread, content: Content
) -> None:
    lan = Admin(app.url)
    lan.sign_in("lan", PASSWORD)
    csrf = lan.csrf()
    saved = lan.post(
        "/admin/areas/_save", {"csrf": csrf, "area": "an-phu", "name": "Xã An Phú",
                               "help_chat": "-100200"}
    )  # fmt: skip
    assert saved.status_code == 303
    lan.post(
        "/admin/volunteers/_save",
        {"csrf": csrf, "code": "V12", "name": "Hoa", "place": "an-phu", "help_chat": "-100100"},
    )
    bad = lan.post("/admin/volunteers/_save", {"csrf": csrf, "code": "V13", "help_chat": "@nhom"})
    assert bad.status_code == 303
    assert shows(lan.get("/admin/volunteers").text, content.console, "places.problems.bad_chat",
                 value="@nhom")  # fmt: skip
    places = Places.load(app.store)
    assert places.areas["an-phu"].help_chat == "-100200"
    assert places.volunteers["V12"].help_chat == "-100100" and "V13" not in places.volunteers
    assert "-100100" in lan.get("/admin/volunteers/V12").text
    assert "-100100" in lan.get("/admin/volunteers.csv").text.splitlines()[1]
    assert "-100200" in lan.get("/admin/areas").text


def test_the_help_page_in_a_browser(
    fake_telegram: FakeTelegram, content: Content, tmp_path: Path
) -> None:
    settings = settings_for(
        fake_telegram, content.root, f"sqlite:///{tmp_path / 'h.db'}", reminders=Policy(quiet=None)
    )
    with ServiceThread(settings) as app, chromium() as browser:
        add_account(app.store)
        villages = {"thon-1": Village("thon-1", "Thôn 1")}
        save_area(app.store, Area("an-phu", "Xã An Phú", 1800, villages))
        save_volunteer(
            app.store, Volunteer("V12", "Trần Thị Hoa", "an-phu", "thon-1", help_chat=str(GROUP))
        )
        ask(app, fake_telegram, 7301, "mau_V12", "tôi bị lừa mất 2 triệu rồi", "cháu ơi giúp với")
        learner = app.store.get("tg:7301")
        assert learner is not None and learner.help is not None
        code = learner.help.code
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        browser.set_window_size(1100, 1500)
        browser.get(f"{app.url}/admin/help")
        until(browser, lambda: "/admin/login" in browser.current_url, "the sign-in page")
        browser.find_element(By.ID, "name").send_keys("lan")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        until(browser, lambda: browser.current_url.endswith("/admin/help"), "the help page")
        talk = browser.find_element(By.ID, code)
        lines = [li.text for li in talk.find_elements(By.CSS_SELECTOR, ".thread li")]
        assert [line.split(": ", 1)[1] for line in lines] == [
            "tôi bị lừa mất • triệu rồi",
            "cháu ơi giúp với",
        ]
        answer = "Dạ, bác gọi ngay tổng đài in sau thẻ để khóa tài khoản. Cháu gọi bác ngay ạ."
        talk.find_element(By.TAG_NAME, "textarea").send_keys(answer)
        talk.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
        until(browser, lambda: "#" + code in browser.current_url, "the answer sent")
        notice = browser.find_element(By.CSS_SELECTOR, "p.notice").text
        assert notice == content.console.text("help.sent", code=code)
        talk = browser.find_element(By.ID, code)
        said = talk.find_elements(By.CSS_SELECTOR, ".thread li.helper")
        assert [line.text.split(": ", 1)[1] for line in said] == [answer]
        app.wait_sent()
        heard = seen(content.messages.text("person.answer", name="lan", text=answer))
        assert fake_telegram.messages(7301)[-1].visible == heard
        shot = tmp_path / "console-help.png"
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(shot))
        keep = os.environ.get("HOCSO_SCREENSHOTS")  # where to keep the picture, when asked
        if keep:
            shutil.copy(shot, Path(keep) / shot.name)
