"""Playing a learner on the web chat over real HTTP, as the page's script does.

with ServiceThread(Settings(content=root, store="memory://")) as app:
    with WebLearner(app.url) as lan:
        lan.open("?lesson=mau")          # GET /chat: the cookie
        lan.start("mau")
        (opening,) = lan.replies()
        lan.tap("Bắt đầu")
"""

from __future__ import annotations

import itertools
import json
import re
import time
from types import TracebackType
from typing import Any

import httpx

from handlers.web import COOKIE

_ids = itertools.count(1)


_CONFIG = re.compile(r'<script id="hocso-config" type="application/json">(.*?)</script>')


def page_config(html: str) -> dict[str, Any]:
    """The JSON block the page's script reads (`start`: what it sends first)."""
    found = _CONFIG.search(html)
    assert found is not None, "the page has no hocso-config block"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def client_id() -> str:
    """An id as the page makes them (8 to 64 of A-Za-z0-9_-)."""
    return f"test-{next(_ids):08d}"


class WebLearner:
    """One browser: an httpx client keeping the learner cookie, and what the tutor said."""

    def __init__(self, base_url: str, *, token: str | None = None, https: bool = False) -> None:
        """`https`: the service has an https HOCSO_PUBLIC_URL (behind a proxy), so its cookie is
        Secure; the browser on that address sends it, and so does this one over plain http."""
        self.client = httpx.Client(base_url=base_url, timeout=40)
        self.https = https
        if token is not None:
            self.client.cookies.set(COOKIE, token)
        self.seq = 0
        self.messages: list[dict[str, Any]] = []
        self.seen = 0  # messages returned by `replies` so far

    @property
    def token(self) -> str | None:
        return self.client.cookies.get(COOKIE)

    def open(self, query: str = "") -> httpx.Response:
        """GET /chat (the page), which sets the cookie."""
        response = self.client.get(f"/chat{query}")
        assert response.status_code == 200, response.text
        if self.https:
            for cookie in self.client.cookies.jar:
                cookie.secure = False
        return response

    def post(self, expect: int | None = 200, **body: Any) -> httpx.Response:
        """POST one message (an id is added unless `body` has one)."""
        body.setdefault("id", client_id())
        response = self.client.post("/chat/api/send", json=body)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        return response

    def say(self, text: str) -> httpx.Response:
        return self.post(text=text)

    def start(self, payload: str = "") -> httpx.Response:
        return self.post(start=payload)

    def tap(self, label: str) -> httpx.Response:
        """Tap the button whose label starts with `label` on the latest message that has one,
        as the page allows only those."""
        for message in reversed(self.messages):
            if message["buttons"]:
                for button in message["buttons"]:
                    if button["label"].startswith(label):
                        return self.post(payload=button["payload"])
                break
        labels = [[b["label"] for b in m["buttons"]] for m in self.messages]
        raise AssertionError(f"no button {label!r} on the latest buttons: {labels}")

    def poll(self, after: int | None = None, wait: float = 0) -> dict[str, Any]:
        """One GET /chat/api/messages; remembers what it got."""
        after = self.seq if after is None else after
        response = self.client.get("/chat/api/messages", params={"after": after, "wait": wait})
        assert response.status_code == 200, (response.status_code, response.text)
        data: dict[str, Any] = response.json()
        for message in data["messages"]:
            if message["seq"] > self.seq:
                self.messages.append(message)
        self.seq = max(self.seq, data["seq"])
        return data

    def load(self) -> dict[str, Any]:
        """What a page just (re)loaded shows: the recent transcript, all of it seen."""
        data = self.poll(after=0)
        self.seen = len(self.messages)
        return data

    def replies(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Long-poll until `count` messages more than seen so far have come; return them."""
        want = self.seen + count
        deadline = time.monotonic() + timeout
        while len(self.messages) < want:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {count} messages: {self.messages}")
            self.poll(wait=min(left, 5))
        new = self.messages[self.seen : want]
        self.seen = want
        return new

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> WebLearner:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
