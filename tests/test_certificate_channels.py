"""Issue 14, "delivered where the learner is": one service with every channel on, pointed at
the stand-ins of the Telegram Bot API, the Zalo Bot API and the Zalo OA API, and the web chat.
On each, a learner finishes the sample lesson, gives the name to print, and gets the
certificate: on Telegram the picture uploaded and the PDF as a document; on Zalo (Bot and OA)
the picture by its address under HOCSO_PUBLIC_URL and the PDF as a link; on the web chat the
picture and a link to download the PDF. The addresses are the service's own: fetched from it,
the picture's QR code opens the certificate's /verify page and the PDF names the learner; a
made-up key is refused, and once the certificate is revoked its files are gone."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from bot.certified import revoke
from bot.content import Content
from support.chat import fixture_content
from support.fake_telegram import FakeTelegram
from support.fake_zalo_bot import FakeZaloBot
from support.fake_zalo_oa import FakeZaloOA, OALearner, OAWebhook
from support.service import (
    ServiceThread,
    TelegramLearner,
    Webhook,
    ZaloBotLearner,
    ZaloBotWebhook,
    channels_settings_for,
)
from support.web import WebLearner, page_config
from webhook.settings import Settings

try:
    import zxingcpp
except ImportError as error:  # pragma: no cover - a machine without the test extras
    pytest.fail(f"the certificate tests need {error.name}: pip install -e '.[test]'", pytrace=False)

PUBLIC = "https://hocso.example.vn"
NAME = "Nguyễn Thị Hường"
# The sample lesson, typed (a button's words typed are a tap, on every channel), then the name.
LESSON = ["Bắt đầu ▶", "Android", "Tiếp tục ▶", "chi minh toi", "156", NAME]
CODE = re.compile(r"HS-[0-9A-Z]{4}-[0-9A-Z]{4}")
FILE = re.compile(r"/certificate/(HS-[0-9A-Z]{4}-[0-9A-Z]{4})/[0-9a-f]{32}\.(png|pdf)")


@pytest.fixture
def content(tmp_path: Path) -> Content:
    return fixture_content(tmp_path)


def qr(png: bytes) -> list[str]:
    with Image.open(io.BytesIO(png)) as image:
        return [found.text for found in zxingcpp.read_barcodes(image.convert("L"))]


def pdf_text(pdf: bytes) -> str:
    run = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(run.stdout.decode("utf-8").split())


def own(app: ServiceThread, address: str) -> str:
    """An address under HOCSO_PUBLIC_URL (or relative), as this service answers it."""
    parts = urlsplit(address)
    assert parts.scheme in ("", "https") and parts.netloc in ("", urlsplit(PUBLIC).netloc)
    return f"{app.url}{parts.path}"


def fetched(app: ServiceThread, address: str, kind: str) -> bytes:
    answer = httpx.get(own(app, address), timeout=10)
    assert answer.status_code == 200, (address, answer.status_code)
    assert answer.headers["content-type"] == f"application/{kind}" if kind == "pdf" else "image/png"
    return answer.content


def test_earning_a_certificate_sends_the_picture_and_the_pdf_on_every_channel(
    content: Content, fake_telegram: FakeTelegram
) -> None:
    with FakeZaloBot() as zalo_bot, FakeZaloOA() as zalo_oa:
        settings = channels_settings_for(
            fake_telegram, zalo_bot, zalo_oa, content.root, "memory://"
        )
        served(settings, fake_telegram, zalo_bot, zalo_oa, content)


def served(
    settings: Settings, fake_telegram: FakeTelegram, zalo_bot: FakeZaloBot, zalo_oa: FakeZaloOA,
    content: Content,
) -> None:  # fmt: skip
    with ServiceThread(settings) as app, WebLearner(app.url) as browser:

        async def everyone() -> tuple[TelegramLearner, ZaloBotLearner, OALearner]:
            async with (
                Webhook(app.url) as telegram_hook,
                ZaloBotWebhook(app.url) as zalo_bot_hook,
                OAWebhook(app.url) as zalo_oa_hook,
            ):
                telegram = TelegramLearner(telegram_hook, fake_telegram, 501)
                bot = ZaloBotLearner(zalo_bot_hook, zalo_bot, "502")
                oa = OALearner(zalo_oa_hook, zalo_oa, "503")
                await telegram.start("mau")
                await bot.say("Xin chào")
                await oa.follow()
                for said in ["Bài mẫu", *LESSON]:
                    if said != "Bài mẫu":
                        await telegram.say(said)
                    await bot.say(said)
                    await oa.say(said)
                return telegram, bot, oa

        telegram, bot, oa = asyncio.run(everyone())
        page = browser.open("?lesson=mau")
        browser.start(page_config(page.text)["start"])
        for said in LESSON:
            browser.say(said)
        app.wait_sent(20)

        # Telegram: the picture uploaded, then the PDF as a document.
        photos = [
            sent
            for sent in telegram.messages
            if sent.method == "sendPhoto"
            and sent.uploaded
            and sent.uploaded.filename.startswith("giay-chung-nhan-")
        ]
        documents = [sent for sent in telegram.messages if sent.method == "sendDocument"]
        assert len(photos) == 1 and len(documents) == 1, telegram.messages
        code = CODE.findall(photos[0].visible)[0]
        assert photos[0].uploaded is not None and documents[0].uploaded is not None
        assert qr(photos[0].uploaded.content) == [f"{PUBLIC}/verify/{code}"]
        assert documents[0].uploaded.filename == f"giay-chung-nhan-{code}.pdf"
        assert NAME in pdf_text(documents[0].uploaded.content)
        assert content.messages.text("certificate.caption", title="Chứng nhận bài mẫu",
                                     code=code).replace("*", "") in photos[0].visible  # fmt: skip

        # Zalo Bot: the picture by its address, the PDF's address in the caption.
        [sent] = [sent for sent in bot.messages if sent.photo and "/certificate/" in sent.photo]
        assert FILE.fullmatch(urlsplit(sent.photo).path).group(2) == "png"  # type: ignore[union-attr]
        code = FILE.fullmatch(urlsplit(sent.photo).path).group(1)  # type: ignore[union-attr]
        assert qr(fetched(app, sent.photo, "png")) == [f"{PUBLIC}/verify/{code}"]
        label = content.messages.text("certificate.pdf")
        printable = re.search(rf"{re.escape(label)}: (\S+)", sent.text)
        assert printable is not None and printable.group(1).startswith(f"{PUBLIC}/certificate/")
        assert NAME in pdf_text(fetched(app, printable.group(1), "pdf"))

        # Zalo OA: the picture as a media template by its address, the PDF as a link button.
        [picture] = [sent for sent in oa.messages if sent.image and "/certificate/" in sent.image]
        links = [b for sent in oa.messages for b in sent.buttons if b["type"] == "oa.open.url"]
        [pdf_button] = [b for b in links if "/certificate/" in b["payload"]["url"]]
        assert pdf_button["title"] == label
        assert picture.image is not None
        code = FILE.fullmatch(urlsplit(picture.image).path).group(1)  # type: ignore[union-attr]
        assert qr(fetched(app, picture.image, "png")) == [f"{PUBLIC}/verify/{code}"]
        assert NAME in pdf_text(fetched(app, pdf_button["payload"]["url"], "pdf"))

        # The web chat: the picture and a link to the PDF, at addresses of the page's own.
        shown = [m for m in browser.poll(after=0)["messages"] if m["image"]]
        [certificate] = [m for m in shown if m["image"].startswith("/certificate/")]
        [download] = certificate["links"]
        assert download["label"] == label and download["url"].startswith("/certificate/")
        code = FILE.fullmatch(certificate["image"]).group(1)  # type: ignore[union-attr]
        assert qr(fetched(app, certificate["image"], "png")) == [f"{PUBLIC}/verify/{code}"]
        assert NAME in pdf_text(fetched(app, download["url"], "pdf"))

        # Nobody makes an address for a number they guessed; a revoked certificate is gone.
        guessed = re.sub(r"/[0-9a-f]{32}\.", "/" + "0" * 32 + ".", certificate["image"])
        assert httpx.get(f"{app.url}{guessed}", timeout=10).status_code == 404
        revoke(app.store, code, "thử", who="test")
        assert httpx.get(f"{app.url}{certificate['image']}", timeout=10).status_code == 404
        assert httpx.get(f"{app.url}{download['url']}", timeout=10).status_code == 404
