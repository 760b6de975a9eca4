"""The campaign's pages in a real headless Chromium (`support.browser`), against the service
under uvicorn with a SQLite store, JavaScript off throughout: a volunteer opens their private
link on a phone and sees their own learners, masked, sorted by what to do, and the lesson links
to send; an admin downloads the learners' CSV and reads it back (UTF-8 with a BOM, masked
names); an admin finds a learner of no known area and assigns them to a village."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

import bot.accounts
from bot.content import Content
from bot.places import new_link_token
from support.browser import chromium, phone, until
from support.campaign import NAMES, PUBLIC_URL, no_names, seed
from support.chat import fixture_content
from support.console import FAST, PASSWORD, add_account
from support.service import ServiceThread
from webhook.settings import Settings

PHONE = (360, 740)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as chrome:
        chrome.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        yield chrome


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return fixture_content(tmp_path_factory.mktemp("pages-browser"))


@pytest.fixture
def app(
    content: Content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServiceThread]:
    monkeypatch.setattr(bot.accounts, "HASHER", FAST)
    store = f"sqlite:///{tmp_path / 'hocso.db'}"
    settings = Settings(content=content.root, store=store, public_url=PUBLIC_URL)
    with ServiceThread(settings) as served:
        add_account(served.store)
        seed(served.store)
        yield served


@pytest.fixture
def page(browser: WebDriver) -> Iterator[WebDriver]:
    """The browser, left on a blank page afterwards (closed before the service stops)."""
    try:
        yield browser
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.delete_all_cookies()
        browser.get("about:blank")
        time.sleep(0)


def fits(browser: WebDriver) -> bool:
    width = browser.execute_script("return document.documentElement.scrollWidth")
    return bool(width <= browser.execute_script("return window.innerWidth"))


def texts_of(browser: WebDriver, selector: str) -> list[str]:
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, selector)]


def sign_in(browser: WebDriver, app: ServiceThread, path: str) -> None:
    browser.get(f"{app.url}{path}")
    until(browser, lambda: "/admin/login" in browser.current_url, "the sign-in page")
    browser.find_element(By.ID, "name").send_keys("lan")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    until(browser, lambda: browser.current_url == f"{app.url}{path}", path)


def test_a_volunteer_sees_their_learners_on_a_phone(
    page: WebDriver, app: ServiceThread, content: Content, tmp_path: Path
) -> None:
    texts = content.console
    token = new_link_token(app.store, "V1")
    phone(page, PHONE)
    page.get(f"{app.url}/v/{token}")
    heading = page.find_element(By.TAG_NAME, "h1").text
    assert heading == texts.text("volunteer_view.title", name="Trần Thị Hoa")
    assert texts_of(page, "#stuck .people strong") == ["T*** V** B***"]
    assert texts_of(page, "#away .people strong") == ["L* T** H**"]
    assert texts_of(page, "#learning .people strong") == ["N***** T** L**"]
    assert texts_of(page, "#passed .people strong") == ["L* T** H**"]
    assert "P*** M***" not in page.page_source and no_names(page.page_source)
    assert fits(page)

    # One tap from the stuck learner to the lesson's link, to send.
    page.find_element(By.LINK_TEXT, texts.text("volunteer_view.send_again")).click()
    until(page, lambda: page.current_url.endswith("#bai-mau"), "the lesson's link")
    link = page.find_element(By.CSS_SELECTOR, "#bai-mau .link").text
    assert link == f"{PUBLIC_URL}/chat?lesson=mau&v=V1"
    sms = page.find_element(By.LINK_TEXT, texts.text("volunteer_view.sms"))
    assert (sms.get_attribute("href") or "").startswith("sms:")
    page.save_screenshot(str(tmp_path / "volunteer-360x740.png"))

    page.get(f"{app.url}/v/{token[:-2]}xx")
    assert page.find_element(By.CSS_SELECTOR, ".problem").text == texts.text(
        "volunteer_view.not_found"
    )


def test_an_admin_downloads_the_learners_csv_and_reads_it_back(
    page: WebDriver, app: ServiceThread, content: Content, tmp_path: Path
) -> None:
    texts = content.console
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    sign_in(page, app, "/admin/exports")
    assert page.find_element(By.TAG_NAME, "h1").text == texts.text("nav.exports")
    page.find_element(By.CSS_SELECTOR, 'a[href="/admin/exports/learners.csv"]').click()

    def saved() -> list[Path]:
        return [path for path in downloads.glob("*.csv") if path.stat().st_size]

    until(page, saved, "the CSV file", timeout=20)
    (file,) = saved()
    assert file.name.startswith("hocso-hoc-vien-")
    data = file.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = {row["learner"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == set(NAMES)
    assert rows["tg:102"]["name"] == "T*** V** B***" and no_names(text)
    assert [entry["what"] for entry in app.store.audit_log()][:1] == ["export"]


def test_an_admin_assigns_a_learner_of_no_known_area(
    page: WebDriver, app: ServiceThread, content: Content, tmp_path: Path
) -> None:
    texts = content.console
    sign_in(page, app, "/admin/learners?area=-")
    assert page.find_element(By.CSS_SELECTOR, ".hint").text == texts.text("learners.unknown_hint")
    page.find_element(By.LINK_TEXT, "Đ* V** A*").click()
    until(page, lambda: page.current_url.endswith("/admin/learners/web:105"), "the learner")
    Select(page.find_element(By.ID, "place")).select_by_visible_text("Xã An Phú › Thôn 1")
    page.find_element(By.CSS_SELECTOR, "#assign button[type=submit]").click()
    until(page, lambda: page.find_elements(By.CSS_SELECTOR, ".notice"), "the notice")
    said = texts.text("learner.assigned", learner="web:…105", place="Xã An Phú › Thôn 1")
    assert page.find_element(By.CSS_SELECTOR, ".notice").text == said
    page.save_screenshot(str(tmp_path / "learner.png"))
    page.get(f"{app.url}/admin/learners?area=-")
    assert "Đ* V** A*" not in page.page_source
    assert [entry["what"] for entry in app.store.audit_log()][:1] == ["assign"]
