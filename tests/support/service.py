"""Running the hocso service for tests, and talking to it as Telegram does.

Two ways to run it, both on 127.0.0.1 and a free port, both reached over real HTTP:

- `ServiceThread`: the app of `webhook.app.create_app` under uvicorn in a background thread
  with its own event loop, in this process (its store and logs are at hand);
- `ServeProcess`: `hocso serve` as a child process (several workers, kill -9, restarts), its
  stderr kept in a file.

`Webhook` posts update JSON the way Telegram does (the secret header, one POST an update), and
`TelegramLearner` plays one learner: it types, opens deep links and taps the buttons of the
messages the stand-in Bot API (`support.fake_telegram`) recorded for its chat. `TelegramHelper`
answers in a desk's group (`bot.helpdesk`). `ZaloBotWebhook` and `ZaloBotLearner` do the
same for the Zalo Bot Platform (the OA's are in
`support.fake_zalo_oa`); `channels_settings_for` turns every channel on at once.

    with FakeTelegram() as fake, ServiceThread(settings_for(fake, content, "memory://")) as app:
        async with Webhook(app.url) as hook:
            lan = TelegramLearner(hook, fake, 12345)
            await lan.start("mau")
            await lan.replies(1)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from bot.stores.base import Store
from support.fake_telegram import FakeTelegram, Sent
from support.fake_zalo_bot import FakeZaloBot
from support.fake_zalo_bot import Sent as ZaloBotSent
from support.fake_zalo_bot import text_update as zalo_bot_text_update
from support.fake_zalo_oa import APP_ID as OA_APP_ID
from support.fake_zalo_oa import APP_SECRET as OA_APP_SECRET
from support.fake_zalo_oa import OA_SECRET, FakeZaloOA
from support.learner import ChatLearner, Hook
from support.redis_server import free_port
from support.served import Served, Started
from support.waiting import await_until, wait_until
from webhook.app import create_app
from webhook.delivery import NO_LIMITS, Limits
from webhook.http import protocol_for
from webhook.service import Service
from webhook.settings import NO_WEB_LIMITS, Settings

TOKEN = "123456789:AAH-hocso_webhook-test"
SECRET = "webhook-secret_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


# -- settings ---------------------------------------------------------------------------------


def settings_for(
    fake: FakeTelegram, content: Path, store: str, *, limits: Limits = NO_LIMITS, **more: Any
) -> Settings:
    """Settings with the Telegram channel on and pointed at the stand-in Bot API."""
    settings = Settings(
        content=content,
        store=store,
        telegram_token=TOKEN,
        telegram_secret=SECRET,
        telegram_api_url=fake.api_url,
        limits=limits,
    )
    return replace(settings, **more)


ZALO_BOT_TOKEN = "1459232241454765289:hocso-zalo-bot-test"
ZALO_BOT_SECRET = "zalo-bot-secret_0123456789"


def zalo_bot_settings_for(
    fake: FakeZaloBot, content: Path, store: str, *, limits: Limits = NO_LIMITS, **more: Any
) -> Settings:
    """Settings with the Zalo Bot channel on (only it) and pointed at the stand-in Bot API;
    content pictures are served from https://hocso.example.vn/media/."""
    settings = Settings(
        content=content,
        store=store,
        zalo_bot_token=ZALO_BOT_TOKEN,
        zalo_bot_secret=ZALO_BOT_SECRET,
        zalo_bot_api_url=fake.api_url,
        public_url="https://hocso.example.vn",
        limits=limits,
    )
    return replace(settings, **more)


def oa_settings_for(
    zalo: FakeZaloOA, content: Path, store: str, *, limits: Limits = NO_LIMITS, **more: Any
) -> Settings:
    """Settings with only the Zalo OA channel on, pointed at the stand-in OA API and OAuth
    server, starting from its first token pair; pictures served from HOCSO_PUBLIC_URL."""
    settings = Settings(
        content=content,
        store=store,
        zalo_oa_app_id=OA_APP_ID,
        zalo_oa_secret_key=OA_SECRET,
        zalo_oa_app_secret=OA_APP_SECRET,
        zalo_oa_access_token=zalo.access,
        zalo_oa_refresh_token=zalo.refresh,
        zalo_oa_api_url=zalo.url,
        zalo_oa_oauth_url=zalo.url,
        public_url="https://hocso.example.vn",
        limits=limits,
    )
    return replace(settings, **more)


def channels_settings_for(
    telegram: FakeTelegram,
    zalo_bot: FakeZaloBot,
    zalo_oa: FakeZaloOA,
    content: Path,
    store: str,
    *,
    limits: Limits = NO_LIMITS,
    **more: Any,
) -> Settings:
    """Settings with every channel on at once: Telegram, Zalo Bot and Zalo OA each pointed at
    its stand-in (the web chat is always on, without its limits: a test types faster than
    anyone); pictures served from https://hocso.example.vn/media/ for the platforms that fetch
    them by URL."""
    bot = zalo_bot_settings_for(zalo_bot, content, store, limits=limits)
    oa = oa_settings_for(zalo_oa, content, store, limits=limits)
    settings = replace(
        oa,
        web_limits=NO_WEB_LIMITS,
        telegram_token=TOKEN,
        telegram_secret=SECRET,
        telegram_api_url=telegram.api_url,
        zalo_bot_token=bot.zalo_bot_token,
        zalo_bot_secret=bot.zalo_bot_secret,
        zalo_bot_api_url=bot.zalo_bot_api_url,
    )
    return replace(settings, **more)


def environment_for(fake: FakeTelegram, content: Path, store: str, **more: str) -> dict[str, str]:
    """The environment of a `hocso serve` child: ours, minus any HOCSO_/TELEGRAM_ settings of
    the machine, plus the channel pointed at the stand-in Bot API; delivery limits off unless
    `more` sets them (HOCSO_RATE_GLOBAL, HOCSO_RATE_CHAT, HOCSO_RATE_CHAT_BURST)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOCSO_", "TELEGRAM_", "ZALO_"))
    }
    env.update(
        HOCSO_CONTENT=str(content),
        HOCSO_STORE=store,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_SECRET_TOKEN=SECRET,
        TELEGRAM_API_URL=fake.api_url,
        HOCSO_RATE_GLOBAL="0",
        HOCSO_RATE_CHAT="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(more)
    return env


# -- the service in this process --------------------------------------------------------------


class ServiceThread(Started):
    """`create_app(settings)` served by uvicorn in a daemon thread with its own event loop,
    with the connection limits of `hocso serve` (`webhook.http`); `clock` times the learners'
    turns and the reminders (`support.clock.Clock` moves it by hand)."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.app = create_app(settings, store=store, clock=clock)
        self.service: Service = self.app.state.service
        self._served = Served(
            self.app, name="hocso-service", lifespan="on", graceful=2, http=protocol_for(settings)
        )
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self) -> Store:
        return self.service.store

    def start(self, timeout: float = 20.0) -> ServiceThread:
        self._served.start(timeout)
        self.port = self._served.port
        return self

    def wait_sent(self, timeout: float = 10.0) -> None:
        """Wait until the outbox is empty: every queued message sent, or given up on."""
        wait_until(lambda: self.store.pending() == 0, timeout, "the outbox to empty")

    def stop(self) -> None:
        self._served.stop()


# -- `hocso serve` as a child process ---------------------------------------------------------


def hocso_command() -> list[str]:
    """The installed console command next to this Python, else the module it runs."""
    script = Path(sys.executable).with_name("hocso")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


class ServeProcess(Started):
    """`hocso serve --port PORT [args]` in a session of its own, its output in `log`."""

    def __init__(self, env: Mapping[str, str], log: Path, *args: str) -> None:
        self.env = dict(env)
        self.log = log
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30.0, tries: int = 3) -> ServeProcess:
        """Start it and wait until /healthz answers 200. Another program may take the free
        port before the child binds it: then try another."""
        for _ in range(tries):
            self.port = free_port()
            with self.log.open("ab") as output:
                self.process = subprocess.Popen(
                    [*hocso_command(), "serve", "--port", str(self.port), *self.args],
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: workers die with it
                )
            deadline = time.monotonic() + timeout
            while self.process.poll() is None and time.monotonic() < deadline:
                try:
                    if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                        self._wait_for_workers(deadline)
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
            self.kill()
            if "address already in use" not in self.output().lower():
                break
        raise RuntimeError(f"`hocso serve` did not start; its output:\n{self.output()}")

    def _wait_for_workers(self, deadline: float) -> None:
        """With --workers N, until all N have started (one answering /healthz says nothing of
        the others, and a connection the kernel gave a worker still starting waits for it)."""
        workers = (
            int(self.args[self.args.index("--workers") + 1]) if "--workers" in self.args else 1
        )
        while self.output().count('"msg": "service started"') < workers:
            if (
                time.monotonic() > deadline
                or self.process is None
                or self.process.poll() is not None
            ):
                raise RuntimeError(f"not all {workers} workers started:\n{self.output()}")
            time.sleep(0.02)

    def output(self) -> str:
        """Everything it wrote so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """kill -9, the process and every worker in its group, at once."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        """A graceful stop (SIGTERM); kill -9 whatever is left after `timeout`."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill()

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group this child leads
            os.killpg(self.process.pid, signum)


def run_hocso(
    *args: str, env: Mapping[str, str], timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run another `hocso` command (progress, ...) to completion."""
    return subprocess.run(
        [*hocso_command(), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- what Telegram posts ----------------------------------------------------------------------

DATE = 1763884800
_update_ids = itertools.count(700_000_001)
_message_ids = itertools.count(50_001)
_callback_ids = itertools.count(4_382_000_001)


def next_update_id() -> int:
    """Update ids as Telegram numbers them: one sequence for all chats of a bot."""
    return next(_update_ids)


def user(chat: int) -> dict[str, Any]:
    return {"id": chat, "is_bot": False, "first_name": "Lan", "language_code": "vi"}


def private(chat: int) -> dict[str, Any]:
    return {"id": chat, "type": "private", "first_name": "Lan"}


def message_update(
    chat: int, update_id: int | None = None, /, *, kind: str = "message", **content: Any
) -> dict[str, Any]:
    """An update carrying a message from `chat` (a private chat unless `content` gives
    another `chat`); `kind` "edited_message", "channel_post", ... for the other kinds."""
    body: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": DATE,
        "chat": private(chat),
        "from": user(chat),
        **content,
    }
    return {"update_id": update_id or next_update_id(), kind: body}


def text_update(chat: int, text: str, update_id: int | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return message_update(chat, update_id, **content)


def start_update(chat: int, payload: str = "", update_id: int | None = None) -> dict[str, Any]:
    """What a t.me/<bot>?start=<payload> link makes the learner's app send."""
    return text_update(chat, f"/start {payload}".strip(), update_id)


STICKER = {
    "file_id": "CAACAgIAAxkBAAEBsticker",
    "file_unique_id": "AgADsticker",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "emoji": "👍",
}
MEDIA: dict[str, Any] = {
    "sticker": STICKER,
    "photo": [{"file_id": "AgACphoto", "file_unique_id": "AQADphoto", "width": 800, "height": 600}],
    "voice": {"file_id": "AwACvoice", "file_unique_id": "AgADvoice", "duration": 3},
    "video": {
        "file_id": "BAACvideo",
        "file_unique_id": "AgADvideo",
        "width": 640,
        "height": 480,
        "duration": 5,
    },
    "location": {"latitude": 21.0278, "longitude": 105.8342},
}
"""What each kind of message without text carries, as Telegram posts it."""


def media_update(chat: int, media: str, update_id: int | None = None) -> dict[str, Any]:
    """A message carrying `media` (a key of MEDIA) and no text."""
    return message_update(chat, update_id, **{media: MEDIA[media]})


def callback_update(
    chat: int, data: str, *, shown: Sent | None = None, update_id: int | None = None
) -> dict[str, Any]:
    """A tap on a button carrying `data`, under the message `shown` (as the fake recorded it)."""
    query: dict[str, Any] = {
        "id": str(next(_callback_ids)),
        "from": user(chat),
        "chat_instance": f"-{chat}77",
        "data": data,
    }
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": DATE,
        "chat": private(chat),
        "from": {"id": 4242, "is_bot": True, "first_name": "Hocso test"},
    }
    if shown is not None:
        message["text" if shown.method == "sendMessage" else "caption"] = shown.visible
        if shown.markup:
            message["reply_markup"] = shown.markup
    else:
        message["text"] = "…"
    query["message"] = message
    return {"update_id": update_id or next_update_id(), "callback_query": query}


# -- posting ----------------------------------------------------------------------------------


class Webhook(Hook):
    """POSTs updates to /webhook/telegram as Telegram does (async, one client for all)."""

    def __init__(self, base_url: str, secret: str | None = SECRET) -> None:
        super().__init__(f"{base_url}/webhook/telegram", SECRET_HEADER, secret, connections=200)


class TelegramLearner(ChatLearner[Sent]):
    """One learner in a private chat with the bot: what they send goes through `hook`, what
    they receive is what the stand-in Bot API recorded for their chat."""

    fake: FakeTelegram
    chat: int

    def __init__(self, hook: Webhook, fake: FakeTelegram, chat: int) -> None:
        super().__init__(hook, fake, chat, f"tg:{chat}")

    async def start(self, payload: str = "") -> httpx.Response:
        return await self.post(start_update(self.chat, payload))

    async def say(self, text: str) -> httpx.Response:
        return await self.post(text_update(self.chat, text))

    async def send_media(self, media: str) -> httpx.Response:
        return await self.post(media_update(self.chat, media))

    async def tap(self, label: str) -> httpx.Response:
        """Tap the button whose label starts with `label` on the latest message showing one;
        the webhook's answer must be the answerCallbackQuery for this tap."""
        for shown in reversed(self.messages):
            for row in shown.rows:
                for button in row:
                    if button["text"].startswith(label) and "callback_data" in button:
                        update = callback_update(self.chat, button["callback_data"], shown=shown)
                        response = await self.post(update)
                        assert response.json() == {
                            "method": "answerCallbackQuery",
                            "callback_query_id": update["callback_query"]["id"],
                        }
                        return response
        labels = [shown.labels for shown in self.messages]
        raise AssertionError(f"chat {self.chat} has no button {label!r}: {labels}")


ZALO_BOT_SECRET_HEADER = "X-Bot-Api-Secret-Token"


class ZaloBotWebhook(Hook):
    """POSTs updates to /webhook/zalo-bot as the Zalo Bot Platform does (the secret header, one
    POST an update); a 200 must be its `{"ok": true}`."""

    def __init__(self, base_url: str, secret: str | None = ZALO_BOT_SECRET) -> None:
        url = f"{base_url}/webhook/zalo-bot"
        super().__init__(url, ZALO_BOT_SECRET_HEADER, secret, connections=100)

    async def post(self, body: object, *, expect: int | None = 200) -> httpx.Response:
        response = await super().post(body, expect=expect)
        if expect == 200:
            assert response.json() == {"ok": True}
        return response


class ZaloBotLearner(ChatLearner[ZaloBotSent]):
    """One learner in a private chat with the Zalo bot: what they type goes through `hook`
    (flat updates, or `wrapped` in {ok, result} as documented), what they receive is what the
    stand-in Bot API (`support.fake_zalo_bot`) recorded for their chat. Zalo shows no buttons:
    a learner answers by typing."""

    fake: FakeZaloBot
    chat: str

    def __init__(
        self, hook: ZaloBotWebhook, fake: FakeZaloBot, chat: str, *, wrapped: bool = False
    ) -> None:
        super().__init__(hook, fake, chat, f"zalobot:{chat}")
        self.wrapped = wrapped

    async def say(self, text: str) -> httpx.Response:
        return await self.post(zalo_bot_text_update(self.chat, text, wrapped=self.wrapped))


# -- a desk's group (bot.helpdesk) ------------------------------------------------------------


def group_reply_update(
    group: int, replied: Sent, text: str, first_name: str = "Hoa", update_id: int | None = None
) -> dict[str, Any]:
    """What a helper's reply in a Telegram group makes Telegram post: a message of the group
    replying to one the bot sent there (`replied`, as the stand-in recorded it)."""
    chat = {"id": group, "type": "supergroup", "title": "Hỗ trợ học số"}
    helper = {"id": 900_000 + len(first_name), "is_bot": False, "first_name": first_name}
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    content["reply_to_message"] = {
        "message_id": next(_message_ids),
        "date": DATE,
        "chat": chat,
        "from": {"id": 4242, "is_bot": True, "first_name": "Hocso test"},
        "text": replied.visible,
    }
    return message_update(group, update_id, chat=chat, **{"from": helper}, **content)


class TelegramHelper:
    """A volunteer in a desk's Telegram group: what the bot posts there is what the stand-in
    recorded for the group's chat; they answer by replying to one of those messages."""

    def __init__(self, hook: Webhook, fake: FakeTelegram, group: int, name: str = "Hoa") -> None:
        self.hook = hook
        self.fake = fake
        self.group = group
        self.name = name
        self.seen = 0

    @property
    def messages(self) -> list[Sent]:
        return self.fake.messages(self.group)

    async def replies(self, count: int = 1, timeout: float = 10.0) -> list[Sent]:
        """Wait for `count` more messages in the group than already seen; return them."""
        want = self.seen + count
        await await_until(
            lambda: len(self.messages) >= want,
            timeout,
            f"group {self.group} to get {want} messages (has {len(self.messages)})",
        )
        new = self.messages[self.seen : want]
        self.seen = want
        return new

    async def reply(
        self, to: Sent, text: str, *, group: int | None = None, times: int = 1
    ) -> dict[str, Any]:
        """Reply to the bot's message `to` (from another `group` when given), the same update
        posted `times` (Telegram delivers again when it had no answer in time)."""
        update = group_reply_update(group or self.group, to, text, self.name)
        for _ in range(times):
            await self.hook.post(update)
        return update
