"""Debian's headless Chromium, driven through its ChromeDriver by selenium, for the tests of
pages (the web chat, the console). Nothing it loads comes from the internet.

Chromium is part of the test setup (`scripts/test` installs it): when it is missing the tests
that need it fail, they are not skipped.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = ("chromium", "/usr/bin/chromium")
CHROMEDRIVER = ("chromedriver", "/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--lang=vi",
)


def find(names: tuple[str, str]) -> str | None:
    found = shutil.which(names[0])
    return found or (names[1] if Path(names[1]).is_file() else None)


@contextmanager
def chromium() -> Iterator[WebDriver]:
    """A headless Chromium for a module's tests (start it once: it takes a second or two)."""
    binary, driver = find(CHROMIUM), find(CHROMEDRIVER)
    if binary is None or driver is None:
        pytest.fail(
            "the browser tests need Debian's chromium and chromedriver: "
            "apt-get install -y chromium chromium-driver (scripts/test does it when run as root)",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    # The driver named outright: selenium must not try to download one.
    chrome = webdriver.Chrome(options=options, service=DriverService(driver))
    chrome.set_page_load_timeout(20)
    try:
        yield chrome
    finally:
        chrome.quit()


def phone(browser: WebDriver, size: tuple[int, int]) -> None:
    """A phone's screen: headless windows cannot be narrower than 500px, so emulate it."""
    width, height = size
    metrics = {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def submit(browser: WebDriver, button: WebElement, timeout: float = 10) -> None:
    """Click a form's button and wait for the page it leads to: until the page shown before
    is gone, so that what is looked for next is on the new one (the old page may show the
    same elements)."""
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(browser, timeout, poll_frequency=0.05).until(
        staleness_of(page), message=f"waited {timeout} s for the page after the click"
    )


def until(browser: WebDriver, check: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(
        lambda _: check(), message=f"waited {timeout} s for {what}"
    )
