"""The console in a real headless Chromium (`support.browser`), against the service under
uvicorn with a SQLite store: asking for a page sends to the sign-in page, signing in comes back
to it (the SameSite=Strict cookie goes with the redirect), the nav leads home, signing out ends
it; on a phone's screen nothing is wider than the screen. JavaScript is off throughout: the
console has none."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

import bot.accounts
from bot.content import Content
from support.browser import chromium, phone, until
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
        yield served


def heading(browser: WebDriver) -> str:
    return str(browser.find_element(By.TAG_NAME, "h1").text)


def fits(browser: WebDriver) -> bool:
    width = browser.execute_script("return document.documentElement.scrollWidth")
    return bool(width <= browser.execute_script("return window.innerWidth"))


def test_sign_in_see_the_pages_and_sign_out(
    browser: WebDriver, app: ServiceThread, content: Content, tmp_path: Path
) -> None:
    texts = content.console
    try:
        phone(browser, PHONE)
        browser.get(f"{app.url}/admin/audit")
        until(browser, lambda: "/admin/login?next=" in browser.current_url, "the sign-in page")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
        assert heading(browser) == texts.text("signin.title")
        assert browser.find_element(By.CSS_SELECTOR, "label[for=name]").text == texts.text(
            "signin.name"
        )
        assert fits(browser)

        browser.find_element(By.ID, "name").send_keys("lan")
        browser.find_element(By.ID, "password").send_keys(PASSWORD + "?")
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        until(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".problem"), "a refusal")
        refusal = browser.find_element(By.CSS_SELECTOR, ".problem").text
        assert refusal == texts.text("signin.failed")

        # The name typed is kept; the password is not.
        assert browser.find_element(By.ID, "name").get_attribute("value") == "lan"
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        until(browser, lambda: browser.current_url == f"{app.url}/admin/audit", "the audit page")
        assert heading(browser) == texts.text("nav.audit")
        cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "tbody td")]
        assert texts.text("audit.actions.signin") in cells
        assert texts.text("audit.actions.signin_failed") in cells
        assert fits(browser)  # the table is a card per row on a phone
        browser.save_screenshot(str(tmp_path / "console-audit-360x740.png"))

        browser.find_element(By.LINK_TEXT, texts.text("nav.home")).click()
        until(browser, lambda: browser.current_url == f"{app.url}/admin", "the home page")
        assert heading(browser) == texts.text("nav.home")
        current = browser.find_element(By.CSS_SELECTOR, "nav.pages a[aria-current=page]")
        assert current.text == texts.text("nav.home")

        browser.find_element(By.CSS_SELECTOR, "form.signout button").click()
        until(browser, lambda: "/admin/login?bye=1" in browser.current_url, "signed out")
        notice = browser.find_element(By.CSS_SELECTOR, ".notice").text
        assert notice == texts.text("signin.signed_out")
        browser.get(f"{app.url}/admin")
        until(browser, lambda: "/admin/login" in browser.current_url, "the sign-in page again")
        whats = [entry["what"] for entry in reversed(app.store.audit_log())]
        assert whats == ["signin_failed", "signin", "signout"]
    finally:
        browser.get("about:blank")
        time.sleep(0)  # the page is closed before the service stops
