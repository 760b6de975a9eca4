"""A test driver for the engine: send what a learner would, look at what comes back; and the
test content (`fixture_content`) with its sentences as a learner reads them (`plain`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.content import Content, ContentHolder, load_content
from bot.engine import Engine
from bot.helpdesk import HelpPolicy, Route
from bot.inbound import Inbound, Media
from bot.learner import VIETNAM, Learner
from bot.outbound import Outbound

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "data" / "content"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=VIETNAM)


def fixture_content(tmp: Path, extra_lessons: dict[str, str] | None = None) -> Content:
    """The test content folder with the product's own messages.yaml and console.yaml, copied
    under `tmp`."""
    root = tmp / "content"
    shutil.copytree(FIXTURE, root)
    for name in ("messages.yaml", "console.yaml"):
        shutil.copy(REPO / "content" / name, root / name)
    for name, text in (extra_lessons or {}).items():
        (root / "lessons" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return load_content(root)


def plain(content: Content, key: str) -> str:
    """A bot sentence as the learner reads it (the *bold* markers gone)."""
    return content.messages.text(key).replace("*", "")


class Codes:
    """Predictable verification codes."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"HS-TEST-{self.count:04d}"


class Chat:
    """One learner talking to an engine, keeping their state between turns (the content a
    holder has, when given one: swap it to edit the lessons under the learner). A request for
    a person goes by `route` (None: the engine raises `Unrouted`); `clock` is the engine's."""

    def __init__(
        self,
        content: Content | ContentHolder,
        learner: str = "t:1",
        *,
        route: Route | None = None,
        clock: Callable[[], datetime] = lambda: NOW,
        help_policy: HelpPolicy | None = None,
    ) -> None:
        self.engine = Engine(content, clock=clock, make_code=Codes(), help_policy=help_policy)
        self.id = learner
        self.route = route
        self.learner: Learner | None = None
        self.replies: list[Outbound] = []

    def send(self, text: str | None = None, *, start: str | None = None,
             payload: str | None = None, media: Media | None = None) -> list[Outbound]:  # fmt: skip
        inbound = Inbound(self.id, text=text, start=start, payload=payload, media=media)
        self.learner, self.replies = self.engine.handle(self.learner, inbound, self.route)
        return self.replies

    def tap(self, label: str) -> list[Outbound]:
        """Tap the button with this label (or starting with it) in the last replies."""
        for message in reversed(self.replies):
            for button in message.buttons:
                if button.label == label or button.label.startswith(label):
                    return self.send(payload=button.payload)
        raise AssertionError(f"no button {label!r} in {self.buttons}")

    @property
    def text(self) -> str:
        return "\n".join(message.text for message in self.replies)

    def says(self, key: str, **values: object) -> bool:
        """Whether the last replies include the sentence `key` of messages.yaml, filled in
        with `values`; without them, its words up to the first placeholder."""
        messages = self.engine.content.messages
        if values:
            return messages.text(key, **values) in self.text
        return messages.template(key).split("{")[0].strip() in self.text

    @property
    def buttons(self) -> list[str]:
        return [button.label for message in self.replies for button in message.buttons]

    @property
    def step(self) -> str | None:
        position = self.learner.position if self.learner else None
        return position.step if position else None
