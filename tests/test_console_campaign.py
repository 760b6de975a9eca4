"""A commune team lead on the console, in a real headless Chromium (JavaScript off): signs in,
sees the commune's figures by village, opens a lesson's funnel, downloads the overview as CSV
and reads it back, and reloads content with a broken file: the problem is shown with its
path:line, and learners keep going on the content that was running."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import bot.accounts
from bot.content import Content
from bot.engine import Engine
from bot.inbound import Inbound
from bot.places import Area, Village, Volunteer, save_area, save_volunteer
from bot.tutor import Tutor
from support.browser import chromium, submit, until
from support.chat import fixture_content
from support.console import FAST, PASSWORD, add_account
from support.service import ServiceThread
from webhook.settings import Settings

LEARNERS = {"V1": 3, "V2": 2}  # volunteer: how many learners came through their link


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as chrome:
        chrome.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        chrome.set_window_size(1280, 900)
        yield chrome


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


@pytest.fixture
def app(
    content: Content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServiceThread]:
    monkeypatch.setattr(bot.accounts, "HASHER", FAST)
    settings = Settings(content=content.root, store=f"sqlite:///{tmp_path / 'hocso.db'}")
    with ServiceThread(settings) as served:
        add_account(served.store)
        villages = {v: Village(v, f"Thôn {v[-1]}", 100) for v in ("thon-1", "thon-2")}
        save_area(served.store, Area("an-phu", "Xã An Phú", 1000, villages))
        save_volunteer(served.store, Volunteer("V1", "Hoa", "an-phu", "thon-1"))
        save_volunteer(served.store, Volunteer("V2", "Minh", "an-phu", "thon-2"))
        yield served


def learn(app: ServiceThread, learner: str, start: str, taps: int) -> Tutor:
    """A learner opens a lesson link and taps the first button `taps` times."""
    tutor = Tutor(Engine(app.service.content), app.store)
    replies = tutor.handle(Inbound(learner, start=start))
    for _ in range(taps):
        buttons = [button for reply in replies for button in reply.buttons]
        if not buttons:
            break
        replies = tutor.handle(Inbound(learner, payload=buttons[0].payload))
    return tutor


def sign_in(browser: WebDriver, app: ServiceThread) -> None:
    browser.get(f"{app.url}/admin")
    until(browser, lambda: "/admin/login" in browser.current_url, "the sign-in page")
    browser.find_element(By.ID, "name").send_keys("lan")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    until(browser, lambda: browser.current_url == f"{app.url}/admin", "the overview")


def cells(browser: WebDriver) -> list[list[str]]:
    rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr")
    return [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def test_a_team_lead_reads_the_figures_finds_the_step_and_reloads(
    browser: WebDriver, app: ServiceThread, content: Content, tmp_path: Path
) -> None:
    texts = content.console
    lesson = next(iter(content.lessons.values()))
    for volunteer, count in LEARNERS.items():
        for n in range(count):
            learn(app, f"tg:{volunteer}{n}", f"{lesson.id}_{volunteer}", taps=n + 1)
    try:
        sign_in(browser, app)
        # The commune, then its villages: V1's three learners in Thôn 1, V2's two in Thôn 2.
        browser.find_element(By.CSS_SELECTOR, "#area option[value=an-phu]").click()
        browser.find_element(By.CSS_SELECTOR, "form.filter button").click()
        until(browser, lambda: "area=an-phu" in browser.current_url, "the commune's villages")
        rows = {row[1]: row for row in cells(browser)}
        assert rows["Thôn 1"][3] == "3" and rows["Thôn 2"][3] == "2"
        assert rows["Thôn 1"][2] == "100"
        assert browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")

        # The overview as CSV, with the session the browser holds, read back.
        csv_link = browser.find_element(By.LINK_TEXT, "CSV").get_attribute("href")
        cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
        got = httpx.get(str(csv_link), cookies=cookies, timeout=30)
        assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
        table = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
        assert {row["name"]: row["learners"] for row in table} == {"Thôn 1": "3", "Thôn 2": "2"}
        assert app.store.audit_log(1)[0]["what"] == "export"

        # The lesson's funnel: everyone reached its first step; who stands where.
        browser.find_element(By.LINK_TEXT, texts.text("nav.lessons")).click()
        browser.find_element(By.LINK_TEXT, lesson.title).click()
        until(browser, lambda: browser.current_url.endswith(f"/lessons/{lesson.id}"), "funnel")
        steps = cells(browser)
        assert [row[0] for row in steps][: len(lesson.steps)] == [s.id for s in lesson.steps]
        assert steps[0][3] == str(sum(LEARNERS.values()))
        assert sum(int(row[4]) for row in steps) == sum(LEARNERS.values())

        # A broken edit: refused with path:line, the old content keeps answering.
        running = app.service.content.current.version
        broken = lesson.path
        broken.write_text(broken.read_text(encoding="utf-8") + "\n  - id: [\n", encoding="utf-8")
        browser.find_element(By.LINK_TEXT, texts.text("nav.content")).click()
        # The content page shows the folder's problems too: read them on the page the reload
        # answers with, not on the page before it (whose elements go stale under the reader).
        reload = "form[action='/admin/content/reload'] button"
        submit(browser, browser.find_element(By.CSS_SELECTOR, reload))
        until(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".problems"), "problems")
        shown = browser.find_element(By.CSS_SELECTOR, ".problems pre").text
        assert f"{broken.name}:" in shown and shown.split(f"{broken.name}:")[1][0].isdigit()
        assert texts.text("content.refused", count=1).split(":")[0] in browser.page_source
        assert app.service.content.current.version == running
        tutor = learn(app, "tg:V10", f"{lesson.id}_V1", taps=0)
        assert tutor.handle(Inbound("tg:V10", text="tiếp"))  # still answered
        assert app.store.audit_log(1)[0]["what"] == "reload"
        browser.save_screenshot(str(tmp_path / "console-content.png"))
    finally:
        browser.get("about:blank")
        time.sleep(0)
