"""/verify in a real headless Chromium on a small phone's screen (Debian's chromium and
chromedriver, `support.browser`), JavaScript off as on the cheapest phones: the QR code's
address of a genuine certificate, a number typed into the form, a revoked one, an unknown one,
and a burst of guesses that is slowed down. Nothing is wider than the screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from bot.certified import revoke
from bot.learner import Earned, Learner
from support.browser import chromium, phone, until
from support.chat import REPO
from support.service import ServiceThread
from webhook.settings import NO_WEB_LIMITS, Settings

NARROW = (320, 640)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as chrome:
        # As a cheap phone's browser may have it: no scripts at all (the page needs none).
        chrome.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        phone(chrome, NARROW)
        yield chrome


@pytest.fixture(scope="module")
def app() -> Iterator[ServiceThread]:
    settings = Settings(
        content=REPO / "content",
        store="memory://",
        public_url="https://hocso.example.vn",
        issuer="Tổ công nghệ số cộng đồng xã An Phú",
        web_limits=NO_WEB_LIMITS,
        verify_rate=0.01,
        verify_burst=8,
        verify_floor=0.05,
    )
    with ServiceThread(settings) as served:
        for learner_id, code in (("tg:1", "HS-7K2P-9QXD"), ("tg:2", "HS-AAAA-BBBB")):
            learner = Learner.new(learner_id)
            learner.certificate_name = "Đặng Văn Quỹ"
            learner.certificates["an-toan-tren-mang"] = Earned("2026-11-23T10:00:00+07:00", code)
            served.store.save(learner)
        revoke(served.store, "HS-AAAA-BBBB", "cấp nhầm", who="lan", at=1_796_000_000)
        yield served


def said(browser: WebDriver) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, ".result .said").text)


def fits(browser: WebDriver) -> None:
    width = browser.execute_cdp_cmd(
        "Runtime.evaluate", {"expression": "document.documentElement.scrollWidth"}
    )["result"]["value"]
    assert width <= NARROW[0]


def test_checking_papers_on_a_phone(browser: WebDriver, app: ServiceThread) -> None:
    say = app.service.content.current.messages.text
    # The QR code's address: genuine, the masked name, the certificate and its issuer.
    browser.get(f"{app.url}/verify/HS-7K2P-9QXD")
    assert said(browser) == say("verify.genuine")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Đặng Văn Q." in body and "Đặng Văn Quỹ" not in body
    assert "An toàn trên mạng" in body and "Tổ công nghệ số cộng đồng xã An Phú" in body
    fits(browser)

    # A number typed into the form, as a person reads it off the paper.
    field = browser.find_element(By.ID, "code")
    field.send_keys("hs aaaa bbbb", Keys.ENTER)
    until(browser, lambda: browser.current_url.endswith("/verify/HS-AAAA-BBBB"), "the revoked")
    assert said(browser) == say("verify.revoked", date="30/11/2026")
    assert "Đặng" not in browser.find_element(By.TAG_NAME, "body").text
    fits(browser)

    browser.find_element(By.ID, "code").send_keys("HS-0000-0000", Keys.ENTER)
    until(browser, lambda: browser.current_url.endswith("/verify/HS-0000-0000"), "the unknown")
    assert said(browser) == say("verify.unknown", code="HS-0000-0000")
    fits(browser)

    # Someone guessing numbers one after another is soon told to wait.
    seen = []
    for k in range(8):
        browser.get(f"{app.url}/verify/HS-1234-{k:04d}")
        seen.append(said(browser))
    slowed = [text for text in seen if text.startswith(say("verify.slow_down", seconds=1)[:30])]
    assert slowed and seen[0] == say("verify.unknown", code="HS-1234-0000")
    fits(browser)
