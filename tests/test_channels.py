"""Issue 5, done when: "The same lesson can be taken, start to finish, on Telegram, Zalo Bot,
Zalo OA and the web chat, with the same progress recorded."

One service (uvicorn in a thread, real HTTP) with every channel on at once, pointed at the
stand-ins of the Telegram Bot API, the Zalo Bot API and the Zalo OA API, on a store that
outlives it (SQLite, Redis). Four learners, one a channel, take the lesson `mau` at the same
time, each from where their channel starts a lesson (a t.me deep link, a first message,
following the OA, a `?lesson=` link) and each answering the same way in their channel's own
way: tapping inline buttons; typing an option's number, and once its words without
diacritics; a tapped button's payload coming back as the learner's text; the API's button
payloads. The three platform learners have the same number on their platforms: three
learners all the same, told apart by their channel.

Then, a table over the channels: the same progress and certificate (read back by
`hocso progress`, other processes on the same store, each code its own learner's), the
expected learner ids, the same lesson content in the same order once each channel's rendering
is read back (HTML, *markers*, numbered lists, a picture sent on its own), nothing sent to
anyone else, and the outbox empty.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import urlparse

import httpx
import pytest

from bot.content import Content
from bot.progress import progress_json
from bot.stores.base import Store
from handlers.web import Transcripts, chat_of
from lessons.steps.quiz import Quiz
from support.chat import fixture_content
from support.fake_telegram import FakeTelegram
from support.fake_telegram import Sent as TelegramSent
from support.fake_zalo_bot import FakeZaloBot
from support.fake_zalo_bot import Sent as ZaloBotSent
from support.fake_zalo_oa import FakeZaloOA, OALearner, OAWebhook
from support.fake_zalo_oa import Sent as ZaloOASent
from support.service import (
    ServiceThread,
    TelegramLearner,
    Webhook,
    ZaloBotLearner,
    ZaloBotWebhook,
    channels_settings_for,
    hocso_command,
)
from support.waiting import await_until, wait_until
from support.web import WebLearner, page_config

# The learners' number on Telegram, Zalo Bot and Zalo OA alike (digits fit all three).
NUMBER = 7700000001
CODE = re.compile(r"HS-[0-9A-Z]{4}-[0-9A-Z]{4}")
REPLY_TIMEOUT = 15.0


@pytest.fixture
def content(tmp_path: Path) -> Content:
    """The test lessons (`mau`, `sau`) with the product's messages."""
    return fixture_content(tmp_path)


@pytest.fixture
def zalo_bot() -> Iterator[FakeZaloBot]:
    with FakeZaloBot() as server:
        yield server


@pytest.fixture
def zalo_oa() -> Iterator[FakeZaloOA]:
    with FakeZaloOA() as server:
        yield server


# -- what a learner reads, whatever the channel ----------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One message as its learner reads it: the words (no markup), the choices offered
    (buttons, or a numbered list to type from), the picture's file name."""

    text: str
    choices: tuple[str, ...] = ()
    image: str | None = None


def file_name(address: str) -> str:
    return PurePosixPath(urlparse(address).path).name


def from_telegram(sent: TelegramSent) -> Shown:
    """HTML read as Telegram shows it; an uploaded photo by its file name."""
    image = None
    if sent.uploaded is not None:
        image = sent.uploaded.filename
    elif sent.photo is not None:
        image = file_name(sent.photo)  # a URL; a reused file_id would not match: it should not
    return Shown(sent.visible, tuple(sent.labels), image)


OPTION_LINE = re.compile(r"(\d+)\. (.+)")


def from_zalo_bot(sent: ZaloBotSent, hint: str) -> Shown:
    """Plain text whose choices are a numbered list and the hint under it, at the end."""
    text = sent.text
    choices: tuple[str, ...] = ()
    if text.endswith(f"\n{hint}"):
        body, _, listed = text.removesuffix(f"\n{hint}").rpartition("\n\n")
        lines = [OPTION_LINE.fullmatch(line) for line in listed.split("\n")]
        numbers = [int(line.group(1)) if line else 0 for line in lines]
        if numbers == list(range(1, len(lines) + 1)):
            text, choices = body, tuple(line.group(2) for line in lines if line)
    return Shown(text, choices, file_name(sent.photo) if sent.photo else None)


def from_zalo_oa(sent: list[ZaloOASent]) -> list[Shown]:
    """Texts with reply buttons; a picture goes in a message of its own, just before the
    words it belongs with (a picture with nothing after it yet is not read yet)."""
    shown: list[Shown] = []
    picture: str | None = None
    for message in sent:
        if message.image is not None and not message.text:
            picture = file_name(message.image)
            continue
        choices = tuple(b["title"] for b in message.buttons if b["type"] == "oa.query.show")
        shown.append(Shown(message.text, choices, picture))
        picture = None
    return shown


def from_web(message: dict[str, Any]) -> Shown:
    """The page's styled runs as plain text, its buttons, its picture."""
    text = "".join(run["text"] for run in message["runs"])
    choices = tuple(button["label"] for button in message["buttons"])
    return Shown(text, choices, file_name(message["image"]) if message["image"] else None)


# -- the learners -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """What a learner does: `start` the lesson link `what`, `follow` the OA, `say` the words
    `what`, or `choose` the option labelled `what` their channel's way (`typed`: on a channel
    without buttons, these words rather than the option's number)."""

    kind: Literal["start", "follow", "say", "choose"]
    what: str = ""
    typed: str | None = None


class Player(ABC):
    """One learner on one channel: makes moves, waits for each reply, reads what came."""

    channel: str
    id: str  # the learner id hocso gave them
    address: str  # where the channel sends to them: their chat or user id

    def __init__(self) -> None:
        self.last = Shown("")
        self.seen = 0

    async def make(self, move: Move, count: int = 1) -> list[Shown]:
        """Make `move` and return the `count` messages that answer it."""
        if move.kind == "choose":
            assert move.what in self.last.choices, (self.channel, move.what, self.last)
        await self.act(move)
        shown = [await self.reply() for _ in range(count)]
        self.last = shown[-1]
        return shown

    @abstractmethod
    async def act(self, move: Move) -> None: ...

    async def reply(self) -> Shown:
        """The next message (the stand-ins record what the service sent)."""
        want = self.seen + 1
        await await_until(
            lambda: len(self.received()) >= want,
            REPLY_TIMEOUT,
            f"{self.channel} learner {self.id} to get message {want}",
        )
        self.seen = want
        return self.received()[want - 1]

    @abstractmethod
    def received(self) -> list[Shown]:
        """Everything sent to this learner so far, as they read it."""

    @abstractmethod
    def addressed(self) -> set[str]:
        """Whom the channel sent anything to; fails when a call to its platform went wrong."""

    def refused(self, move: Move) -> AssertionError:
        return AssertionError(f"no {move.kind} on {self.channel}")


class OnTelegram(Player):
    channel = "telegram"

    def __init__(self, hook: Webhook, fake: FakeTelegram) -> None:
        super().__init__()
        self.learner = TelegramLearner(hook, fake, NUMBER)
        self.id = self.learner.id
        self.address = str(NUMBER)

    async def act(self, move: Move) -> None:
        if move.kind == "start":
            await self.learner.start(move.what)  # the app sends /start <what> from the link
        elif move.kind == "choose":
            await self.learner.tap(move.what)  # a callback query with the button's data
        elif move.kind == "say":
            await self.learner.say(move.what)
        else:
            raise self.refused(move)

    def received(self) -> list[Shown]:
        return [from_telegram(sent) for sent in self.learner.messages]

    def addressed(self) -> set[str]:
        calls = self.learner.fake.calls()
        assert all(call.status == 200 for call in calls), calls
        return {call.chat for call in calls if call.chat is not None}


class OnZaloBot(Player):
    channel = "zalo-bot"

    def __init__(self, hook: ZaloBotWebhook, fake: FakeZaloBot, hint: str) -> None:
        super().__init__()
        self.learner = ZaloBotLearner(hook, fake, str(NUMBER))
        self.id = self.learner.id
        self.address = str(NUMBER)
        self.hint = hint

    async def act(self, move: Move) -> None:
        if move.kind == "choose":  # no buttons on Zalo Bot: the number of the option
            typed = move.typed or str(self.last.choices.index(move.what) + 1)
            await self.learner.say(typed)
        elif move.kind == "say":
            await self.learner.say(move.what)
        else:
            raise self.refused(move)

    def received(self) -> list[Shown]:
        return [from_zalo_bot(sent, self.hint) for sent in self.learner.messages]

    def addressed(self) -> set[str]:
        calls = self.learner.fake.calls()
        assert all(call.status == 200 for call in calls), calls
        return {call.chat for call in calls if call.chat is not None}


class OnZaloOA(Player):
    channel = "zalo-oa"

    def __init__(self, hook: OAWebhook, fake: FakeZaloOA) -> None:
        super().__init__()
        self.learner = OALearner(hook, fake, str(NUMBER))
        self.id = self.learner.id
        self.address = str(NUMBER)

    async def act(self, move: Move) -> None:
        if move.kind == "follow":
            await self.learner.follow()
        elif move.kind == "choose":
            await self.learner.tap(move.what)  # Zalo posts the button's payload as text
        elif move.kind == "say":
            await self.learner.say(move.what)
        else:
            raise self.refused(move)

    def received(self) -> list[Shown]:
        return from_zalo_oa(self.learner.messages)

    def addressed(self) -> set[str]:
        calls = self.learner.fake.calls()
        assert all(call.error == 0 for call in calls), calls
        return {call.user for call in calls if call.user is not None}


class OnWeb(Player):
    channel = "web"

    def __init__(self, learner: WebLearner, store: Store) -> None:
        super().__init__()
        self.learner = learner
        self.store = store
        self.id = self.address = ""  # known once the page has set the cookie

    async def act(self, move: Move) -> None:
        # WebLearner is a blocking client: in a thread, so the other learners go on meanwhile.
        if move.kind == "start":
            page = await asyncio.to_thread(self.learner.open, f"?lesson={move.what}")
            token = self.learner.token
            assert token is not None
            chat = chat_of(token)
            assert chat is not None
            self.id, self.address = f"web:{chat}", chat
            # What the page's script sends first.
            await asyncio.to_thread(self.learner.start, page_config(page.text)["start"])
        elif move.kind == "choose":
            await asyncio.to_thread(self.learner.tap, move.what)  # the button's payload
        elif move.kind == "say":
            await asyncio.to_thread(self.learner.say, move.what)
        else:
            raise self.refused(move)

    async def reply(self) -> Shown:
        (message,) = await asyncio.to_thread(self.learner.replies, 1, REPLY_TIMEOUT)
        self.seen += 1
        return from_web(message)

    def received(self) -> list[Shown]:
        """The whole transcript, asked of the service again."""
        return [from_web(message) for message in self.learner.poll(after=0)["messages"]]

    def addressed(self) -> set[str]:
        """Of this learner's chat and the number the others have, those with a transcript."""
        chats = {self.address, str(NUMBER)}
        return {chat for chat in chats if self.store.recall(Transcripts.key(chat)) is not None}


# -- the lesson, and how each channel comes to it ---------------------------------------------

OPENING = "📘 Bài mẫu (khoảng 3 phút)"

# How each channel opens the lesson, how each reply starts, and how many messages it is.
OPENINGS: dict[str, list[tuple[Move, str, int]]] = {
    "telegram": [(Move("start", "mau"), OPENING, 1)],  # t.me/<bot>?start=mau
    "zalo-bot": [  # no links that carry a lesson: the first message, then the menu
        (Move("say", "Xin chào"), "Chào bác! 👋", 1),
        (Move("choose", "Bài mẫu"), OPENING, 1),
    ],
    "zalo-oa": [  # following the OA greets with the menu
        (Move("follow"), "Chào bác! 👋", 1),
        (Move("choose", "Bài mẫu"), OPENING, 1),
    ],
    "web": [(Move("start", "mau"), OPENING, 1)],  # /chat?lesson=mau
}

# The same answers on every channel, how each reply starts, and how many messages it is
# (the last: the praise and congratulations, the certificate, and what next: one screen each).
LESSON: list[tuple[Move, str, int]] = [
    (Move("choose", "Bắt đầu ▶"), "Điện thoại của bác là loại nào?", 1),
    (Move("choose", "Android"), "Trên Android, bác mở CH Play.", 1),
    (Move("choose", "Tiếp tục ▶"), "Ai được biết mã OTP của bác?", 1),
    (Move("choose", "Chỉ mình tôi", typed="chi minh toi"), "✅ Đúng rồi! OTP chỉ mình bác", 1),
    (Move("say", "156"), "✅ Đúng rồi! Nhắn tin đến 156.", 3),
]
# The steps that path goes through, in order.
PATH = ["chao", "loai-may", "android", "cau-1", "ghi-nho", "cau-2", "xong"]

# The learner id each channel gives (the web chat's: a digest of the page's cookie).
LEARNER_IDS = {
    "telegram": f"tg:{NUMBER}",
    "zalo-bot": f"zalobot:{NUMBER}",
    "zalo-oa": f"zalo:{NUMBER}",
    "web": "web:[A-Za-z0-9_-]{22}",
}


async def take_lesson(player: Player) -> None:
    for move, starts, count in [*OPENINGS[player.channel], *LESSON]:
        shown = await player.make(move, count)
        assert shown[0].text.startswith(starts), (player.channel, move, shown)


def lesson_sentences(content: Content) -> list[str]:
    """What the lesson's file says along PATH, in order, as a learner reads it."""
    lesson = content.lessons["mau"]
    sentences = []
    for step_id in PATH:
        step = lesson.step(step_id)
        sentences.append(step.text)
        if isinstance(step, Quiz) and step.explain:
            sentences.append(step.explain)
    return [sentence.replace("*", "") for sentence in sentences]


def in_order(sentences: list[str], text: str) -> bool:
    at = 0
    for sentence in sentences:
        found = text.find(sentence, at)
        if found < 0:
            return False
        at = found + len(sentence)
    return True


# -- other processes on the same store --------------------------------------------------------


def hocso_at_once(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """`hocso` commands, all started together (each takes a third of a second to start)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOCSO_", "TELEGRAM_", "ZALO_"))
    }
    running = [
        (
            command,
            subprocess.Popen(
                [*hocso_command(), *command],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for command in commands
    ]
    done = []
    try:
        for command, process in running:
            out, err = process.communicate(timeout=60)
            done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    finally:
        for _, process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
    return done


def pending(base_url: str) -> int | None:
    """What /healthz says is still in the outbox."""
    answer = httpx.get(f"{base_url}/healthz", timeout=5)
    assert answer.status_code == 200, answer.text
    count: int | None = answer.json().get("pending")
    return count


# -- the test ---------------------------------------------------------------------------------


def test_the_same_lesson_on_every_channel_records_the_same_progress(
    content: Content,
    fake_telegram: FakeTelegram,
    zalo_bot: FakeZaloBot,
    zalo_oa: FakeZaloOA,
    shared_store_url: str,
) -> None:
    settings = channels_settings_for(
        fake_telegram, zalo_bot, zalo_oa, content.root, shared_store_url
    )
    hint = content.messages.text("channel.numbered_hint")
    with ServiceThread(settings) as app, WebLearner(app.url, https=True) as browser:

        async def everyone() -> list[Player]:
            async with (
                Webhook(app.url) as telegram_hook,
                ZaloBotWebhook(app.url) as zalo_bot_hook,
                OAWebhook(app.url) as zalo_oa_hook,
            ):
                players = [
                    OnTelegram(telegram_hook, fake_telegram),
                    OnZaloBot(zalo_bot_hook, zalo_bot, hint),
                    OnZaloOA(zalo_oa_hook, zalo_oa),
                    OnWeb(browser, app.store),
                ]
                await asyncio.gather(*(take_lesson(player) for player in players))
                return players

        players = asyncio.run(everyone())
        wait_until(lambda: pending(app.url) == 0, 10, "/healthz to say the outbox is empty")
        received = {player.channel: player.received() for player in players}
        learners = {player.channel: app.store.get(player.id) for player in players}
        learner_ids = set(app.store.learner_ids())
        failures = app.store.failures()
        addressed = {player.channel: player.addressed() for player in players}
        # What an admin sees, from other processes on the same store, while the service runs.
        store = ["--store", shared_store_url, "--content", str(content.root)]
        shown = hocso_at_once([["progress", player.id, "--json", *store] for player in players])
        progress = {}
        for player, result in zip(players, shown, strict=True):
            assert result.returncode == 0, (player.channel, result.stderr)
            progress[player.channel] = json.loads(result.stdout)
        codes = {
            channel: [certificate["code"] for certificate in report["certificates"]]
            for channel, report in progress.items()
        }
        owners = {
            code: app.store.find_certificate(code)
            for channel_codes in codes.values()
            for code in channel_codes
        }
        assert pending(app.url) == 0

    # The learners: one a channel, with the ids their channel gives, and no one else.
    ids = {player.channel: player.id for player in players}
    assert learner_ids == set(ids.values())
    assert failures == []

    sentences = lesson_sentences(content)
    lessons: dict[str, list[Shown]] = {}
    for player in players:
        channel, moves = player.channel, [*OPENINGS[player.channel], *LESSON]
        assert re.fullmatch(LEARNER_IDS[channel], player.id), (channel, player.id)
        # No cross-talk: the channel sent to its own learner only (and, by the count below,
        # nothing more than the replies); every call to its platform went well.
        assert addressed[channel] == {player.address}, (channel, addressed[channel])

        # Progress: the same on every channel, as the store has it and `hocso progress` says.
        stored = learners[channel]
        assert stored is not None, channel
        assert stored.turns == len(moves), channel
        report = progress[channel]
        assert report == progress_json(stored), channel
        assert report["learner"] == player.id
        assert report["lessons"]["mau"]["status"] == "passed", (channel, report)
        assert report["lessons"]["mau"]["score"] == 1.0, (channel, report)
        assert [certificate["id"] for certificate in report["certificates"]] == ["chi-mau"]
        assert all(CODE.fullmatch(code) for code in codes[channel]), (channel, codes)

        # What reached the learner: the replies of each move, nothing more; the lesson from
        # its opening on, in the order of its file, the learner's own code in the last reply.
        got = received[channel]
        assert len(got) == sum(count for _, _, count in moves), (channel, got)
        before = sum(count for _, _, count in OPENINGS[channel][:-1])  # greeting and menu
        lessons[channel] = got[before:]
        assert lessons[channel][0].text.startswith(OPENING), (channel, got)
        assert in_order(sentences, "\n".join(shown.text for shown in got)), (channel, got)
        last = "\n".join(shown.text for shown in got[-LESSON[-1][2] :])  # the last reply
        assert CODE.findall(last) == codes[channel], (channel, last)

    # The same content in the same order on every channel, the codes aside.
    def same(messages: list[Shown]) -> list[Shown]:
        return [Shown(CODE.sub("HS-…", m.text), m.choices, m.image) for m in messages]

    first = same(lessons["telegram"])
    for channel, messages in lessons.items():
        assert same(messages) == first, channel
    images = [shown.image for shown in first]
    assert images == [None, None, "ch-play.png", None, None, None, None, None]
    assert received["zalo-bot"][0] == received["zalo-oa"][0]  # the same greeting and menu
    assert received["zalo-oa"][0].choices == ("Bài mẫu", "Bài sau")

    # Four codes, each found (as `hocso verify` finds it) to be its own learner's.
    assert len(owners) == 4, codes
    for channel, channel_codes in codes.items():
        for code in channel_codes:
            record = owners[code]
            assert record is not None, (channel, code)
            assert (record.learner, record.certificate) == (ids[channel], "chi-mau"), record
