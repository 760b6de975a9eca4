"""The web chat page in a real headless Chromium (Debian's `chromium` and `chromedriver`, driven
by selenium), against the service under uvicorn: a learner opens a lesson link on a 360x740
phone, taps through the lesson by its buttons, reloads mid-lesson and carries on, types the
last answer with the keyboard, and finishes; the page must fit a 320px screen.

Chromium is part of the test setup (`support.browser`): when it is missing these tests fail,
they are not skipped. Nothing here reaches the internet.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from bot.content import Content
from support.browser import chromium, phone, until
from support.chat import fixture_content
from support.service import ServiceThread
from webhook.settings import Settings, WebLimits

PHONE = (360, 740)
NARROW = (320, 640)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as chrome:
        yield chrome


def png(width: int, height: int) -> bytes:
    """A real picture (the fixture's is a stand-in): a phone-screen blue with a green band."""
    rows = b"".join(
        b"\x00" + (b"\x1a\x73\xe8" if y < height * 2 // 3 else b"\x2e\x9e\x44") * width
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + (chunk(b"IEND", b""))
    )


@pytest.fixture
def content(tmp_path: Path) -> Content:
    content = fixture_content(tmp_path)
    (content.root / "media" / "ch-play.png").write_bytes(png(320, 120))
    return content


@pytest.fixture
def app(content: Content, tmp_path: Path) -> Iterator[ServiceThread]:
    settings = Settings(content=content.root, store=f"sqlite:///{tmp_path / 'hocso.db'}")
    with ServiceThread(settings) as served:
        yield served


@pytest.fixture
def page(browser: WebDriver, app: ServiceThread) -> Iterator[WebDriver]:
    """The browser for one test; its page is closed before the service stops."""
    try:
        yield browser
    finally:
        browser.get("about:blank")


def bot_texts(browser: WebDriver) -> list[str]:
    return [
        element.text for element in browser.find_elements(By.CSS_SELECTOR, "#log .msg-bot .text")
    ]


def wait_for_bot(browser: WebDriver, count: int, contains: str, timeout: float = 10) -> list[str]:
    """Wait until the page shows `count` messages from the tutor, the last containing text."""

    def shown() -> list[str] | None:
        texts = bot_texts(browser)
        return texts if len(texts) == count and contains in texts[-1] else None

    result: list[str] = until(browser, shown, f"message {count} with {contains!r}", timeout)
    return result


def button(browser: WebDriver, label: str) -> WebElement:
    """The enabled message button whose label starts with `label` (there is one set)."""
    buttons = browser.find_elements(By.CSS_SELECTOR, "#log button.choice:not([disabled])")
    for element in buttons:
        if element.text.startswith(label):
            return element
    raise AssertionError(f"no enabled button {label!r}: {[b.text for b in buttons]}")


def disabled_labels(browser: WebDriver) -> list[str]:
    return [
        element.text
        for element in browser.find_elements(By.CSS_SELECTOR, "#log button.choice[disabled]")
    ]


def turns(app: ServiceThread) -> int:
    learners = [app.store.get(learner) for learner in app.store.learner_ids()]
    assert len(learners) == 1, "one browser is one learner"
    assert learners[0] is not None
    return learners[0].turns


def test_a_lesson_on_a_phone_with_a_reload_in_the_middle(
    page: WebDriver, app: ServiceThread, tmp_path: Path
) -> None:
    browser = page
    phone(browser, PHONE)
    browser.get(f"{app.url}/chat?lesson=mau")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"

    wait_for_bot(browser, 1, "Chào bác! Đây là bài mẫu.")
    # The link was used once and forgotten: a reload carries on rather than starts again.
    until(browser, lambda: browser.current_url == f"{app.url}/chat", "the query to go")

    button(browser, "Bắt đầu").click()
    wait_for_bot(browser, 2, "Điện thoại của bác là loại nào?")
    assert disabled_labels(browser) == ["Bắt đầu ▶"]  # only the latest buttons work
    mine = browser.find_elements(By.CSS_SELECTOR, "#log .msg-me .text")
    assert [element.text for element in mine] == ["Bắt đầu ▶"]

    button(browser, "Android").click()
    texts = wait_for_bot(browser, 3, "Trên Android, bác mở CH Play.")
    assert browser.find_element(By.CSS_SELECTOR, "#log .msg-bot:last-child strong").text == (
        "CH Play"
    )
    image = browser.find_element(By.CSS_SELECTOR, "#log .msg-bot:last-child img")
    assert image.get_attribute("src") == f"{app.url}/media/ch-play.png"
    until(browser, lambda: image.get_property("naturalWidth") == 320, "the picture to load")

    # Closing or reloading the page loses nothing: the transcript comes back, and the last
    # message's button still works.
    before = turns(app)
    browser.refresh()
    assert wait_for_bot(browser, 3, "Trên Android") == texts
    assert disabled_labels(browser) == ["Bắt đầu ▶", "Android", "iPhone"]
    assert turns(app) == before, "a reload sends nothing"

    button(browser, "Tiếp tục").click()
    wait_for_bot(browser, 4, "Ai được biết mã OTP của bác?")
    labels = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#log button.choice")]
    assert labels[-3:] == ["Chỉ mình tôi", "Công an gọi điện hỏi", "Nhân viên ngân hàng"]
    browser.save_screenshot(str(tmp_path / "web-chat-quiz-360x740.png"))

    button(browser, "Chỉ mình tôi").click()
    wait_for_bot(browser, 5, "Muốn báo lừa đảo, bác nhắn tin đến số mấy?")

    # The keyboard: the text box, typed into, Enter sends.
    box = browser.find_element(By.ID, "text")
    label = browser.find_element(By.CSS_SELECTOR, "label[for=text]")
    assert label.is_displayed() and label.text
    box.click()
    assert browser.switch_to.active_element == box
    box.send_keys("156", Keys.ENTER)
    # three messages, too long for one screen together: the praise and congratulations, the
    # certificate (whose it is), and what to learn next
    finished = wait_for_bot(browser, 8, "Bài nên học tiếp")
    assert finished[-3].startswith("✅ Đúng rồi! Nhắn tin đến 156.")
    assert "Chúc mừng bác đã học xong bài" in finished[-3]
    assert "HS-" in finished[-2]
    assert box.get_attribute("value") == ""
    mine = browser.find_elements(By.CSS_SELECTOR, "#log .msg-me .text")
    assert mine[-1].text == "156"
    assert [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#log button.choice")][-2:] == [
        "▶ Học bài tiếp theo",
        "📋 Danh sách bài học",
    ]
    shot = tmp_path / "web-chat-360x740.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshots: {shot.parent}")

    learner = app.store.get(next(iter(app.store.learner_ids())))
    assert learner is not None
    assert learner.results["mau"].status == "passed"


def test_the_page_fits_a_320px_screen_with_large_text_and_buttons(
    page: WebDriver, app: ServiceThread, tmp_path: Path, content: Content
) -> None:
    browser = page
    phone(browser, NARROW)
    browser.get(f"{app.url}/chat")
    wait_for_bot(browser, 1, "Bác chọn bài muốn học")  # a first visit: greeting and menu
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0, "no sideways scrolling on a 320px screen"
    sizes = browser.execute_script(
        """
        var out = {};
        ['#log .msg-bot .text', '#log button.choice', '#text', 'label[for=text]',
         '.send', '.shortcuts button'].forEach(function (selector) {
          var element = document.querySelector(selector);
          var box = element.getBoundingClientRect();
          out[selector] = {font: parseFloat(getComputedStyle(element).fontSize),
                           height: box.height, width: box.width};
        });
        return out;
        """
    )
    for selector, size in sizes.items():
        assert size["font"] >= 18, (selector, size)
    for selector in ("#log button.choice", "#text", ".send", ".shortcuts button"):
        assert sizes[selector]["height"] >= 44, (selector, sizes[selector])
    assert sizes["#log button.choice"]["width"] >= 250, "message buttons are full width"

    # The quick buttons are always there and send their command: help.
    shortcuts = browser.find_elements(By.CSS_SELECTOR, ".shortcuts button")
    assert len(shortcuts) == 3 and all(element.is_displayed() for element in shortcuts)
    shortcuts[2].click()
    wait_for_bot(browser, 2, content.messages.text("help").splitlines()[0])
    log = browser.find_element(By.ID, "log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    browser.save_screenshot(str(tmp_path / "web-chat-320x640.png"))


def test_a_link_opens_in_a_new_tab_as_a_big_button(page: WebDriver, app: ServiceThread) -> None:
    browser = page
    phone(browser, PHONE)
    browser.get(f"{app.url}/chat?lesson=mau")
    wait_for_bot(browser, 1, "Chào bác!")
    button(browser, "Bắt đầu").click()
    wait_for_bot(browser, 2, "Điện thoại của bác là loại nào?")
    button(browser, "iPhone").click()
    wait_for_bot(browser, 3, "Trên iPhone, bác mở App Store.")
    link = browser.find_element(By.CSS_SELECTOR, "#log .msg-bot:last-child a.link")
    assert link.get_attribute("href") == "https://apps.apple.com/"
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.text.startswith("Mở App Store")
    assert link.size["height"] >= 44 and link.size["width"] >= 250


def test_a_lost_connection_keeps_the_message_and_sends_it_once(
    page: WebDriver, app: ServiceThread, content: Content
) -> None:
    browser = page
    phone(browser, PHONE)
    browser.get(f"{app.url}/chat?lesson=mau")
    wait_for_bot(browser, 1, "Chào bác!")
    notice = browser.find_element(By.ID, "notice")
    assert not notice.is_displayed()

    browser.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    try:
        button(browser, "Bắt đầu").click()
        until(browser, notice.is_displayed, "the offline notice")
        assert notice.text == content.messages.text("web.offline")
        pending = browser.find_elements(By.CSS_SELECTOR, "#log .msg-me.pending .text")
        assert [element.text for element in pending] == ["Bắt đầu ▶"]  # kept, not lost
    finally:
        online = {**offline, "offline": False}
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", online)
    # Back online: sent again with the same id, applied once, and the notice goes.
    wait_for_bot(browser, 2, "Điện thoại của bác là loại nào?", timeout=20)
    until(browser, lambda: not notice.is_displayed(), "the notice to go")
    assert browser.find_elements(By.CSS_SELECTOR, "#log .msg-me.pending") == []
    assert turns(app) == 2


def test_a_learner_typing_fast_is_asked_to_slow_down_and_loses_nothing(
    page: WebDriver, content: Content, tmp_path: Path
) -> None:
    """Five messages typed in a row, two a second allowed after a burst of two: the page says
    `web.slow_down`, keeps the others and sends each when the server says; all are applied,
    in order, once, and the note goes."""
    browser = page
    limits = WebLimits(learner_rate=2.0, learner_burst=2)
    settings = Settings(content=content.root, store="memory://", web_limits=limits)
    with ServiceThread(settings) as app:
        phone(browser, PHONE)
        browser.get(f"{app.url}/chat")
        wait_for_bot(browser, 1, "Bác chọn bài muốn học")
        notice = browser.find_element(By.ID, "notice")
        box = browser.find_element(By.ID, "text")
        for word in ("một", "hai", "ba", "bốn", "năm"):
            box.send_keys(word, Keys.ENTER)
        until(browser, notice.is_displayed, "the note to slow down")
        assert notice.text == content.messages.text("web.slow_down")
        until(browser, lambda: len(bot_texts(browser)) == 6, "a reply to each message", 20)
        until(browser, lambda: not notice.is_displayed(), "the note to go")
        assert browser.find_elements(By.CSS_SELECTOR, "#log .msg-me.pending") == []
        mine = browser.find_elements(By.CSS_SELECTOR, "#log .msg-me .text")
        assert [element.text for element in mine] == ["một", "hai", "ba", "bốn", "năm"]
        assert turns(app) == 6
        browser.get("about:blank")


def test_a_network_starting_too_many_learners_gets_a_kind_page(
    page: WebDriver, content: Content
) -> None:
    """One new learner an hour from this address: a second browser (no cookie) is told, in
    `web.busy`, that it will try again by itself; it starts nobody."""
    browser = page
    limits = WebLimits(new_learners=1)
    settings = Settings(content=content.root, store="memory://", web_limits=limits)
    with ServiceThread(settings) as app:
        phone(browser, PHONE)
        browser.get(f"{app.url}/chat")
        wait_for_bot(browser, 1, "Bác chọn bài muốn học")
        browser.delete_all_cookies()
        browser.get(f"{app.url}/chat")
        notice = browser.find_element(By.ID, "notice")
        until(browser, notice.is_displayed, "the busy note")
        assert notice.text == content.messages.text("web.busy")
        assert bot_texts(browser) == [] and browser.get_cookies() == []
        assert len(list(app.store.learner_ids())) == 1
        browser.get("about:blank")
