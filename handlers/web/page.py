"""The web chat page: HTML drawn on the server with the content's words (`chat.html`), and
its two static files (`static/chat.css`, `static/chat.js`).

Every word on the page comes from the `web:` section of `messages.yaml`: HTML-escaped into
the page, or in a JSON block the script reads. The static files are served under a version
made from their bytes (`/chat/static/<version>/chat.js`), so a browser keeps them for a year
yet fetches them again after any change; no build step.
"""

from __future__ import annotations

import hashlib
import html
import json
import string
from dataclasses import dataclass
from pathlib import Path

from bot.messages import Messages

__all__ = ["STATIC_PREFIX", "Asset", "ChatPage"]

HERE = Path(__file__).resolve().parent
STATIC_PREFIX = "/chat/static"
API_PREFIX = "/chat/api"

# The `web.` sentences drawn into the HTML, and those the script shows.
PAGE_TEXTS = (
    "title", "heading", "log", "input_label", "placeholder", "send", "shortcuts",
    "menu", "back", "help", "noscript",
)  # fmt: skip
SCRIPT_TEXTS = ("you", "bot", "offline", "slow_down", "busy", "no_cookie", "new_tab", "image")
SHORTCUTS = ("menu", "back", "help")  # quick buttons, each sending its command's first word
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    """One static file, read once."""

    name: str
    body: bytes
    media_type: str
    version: str

    @property
    def url(self) -> str:
        return f"{STATIC_PREFIX}/{self.version}/{self.name}"


def load_assets(folder: Path = HERE / "static") -> dict[str, Asset]:
    assets = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in MEDIA_TYPES:
            body = path.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            assets[path.name] = Asset(path.name, body, MEDIA_TYPES[path.suffix], version)
    return assets


class ChatPage:
    """Draws `GET /chat`."""

    def __init__(self) -> None:
        self.template = string.Template((HERE / "chat.html").read_text(encoding="utf-8"))
        self.assets = load_assets()

    def html(self, messages: Messages, start: str | None, busy: int | None = None) -> str:
        """The page, in the words of `messages`; `start` is the deep-link payload the page
        sends first (None: none, and a first visit sends "" to be greeted). `busy`: the page
        could not start a learner (too many new ones from this address): it says so, sends
        nothing, and loads itself again after that many seconds."""
        words = {key: html.escape(messages.text(f"web.{key}")) for key in PAGE_TEXTS}
        config = {
            "api": API_PREFIX,
            "start": start,
            "busy": busy,
            "texts": {key: messages.text(f"web.{key}") for key in SCRIPT_TEXTS},
            "commands": {name: messages.words(f"commands.{name}")[0] for name in SHORTCUTS},
        }
        return self.template.substitute(
            words,
            config=_script_json(config),
            css=html.escape(self.assets["chat.css"].url),
            js=html.escape(self.assets["chat.js"].url),
        )


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` that could end it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
