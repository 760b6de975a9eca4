"""The service's settings, from the environment (see interfaces.md).

| variable | meaning |
|---|---|
| `HOCSO_CONTENT`, `HOCSO_STORE` | the lesson folder and the store URL |
| `TELEGRAM_BOT_TOKEN`, `TELEGRAM_SECRET_TOKEN` | the Telegram channel; off unless both are set |
| `TELEGRAM_API_URL` | default `https://api.telegram.org/bot` |
| `HOCSO_PUBLIC_URL` | the public https address, for `setWebhook` |
| `HOCSO_ADMIN_TOKEN` | admin routes (none yet answer without it) |
| `HOCSO_RATE_GLOBAL`, `HOCSO_RATE_CHAT`, `HOCSO_RATE_CHAT_BURST` | delivery limits (30, 1, 3) |
| `HOCSO_MAX_BODY` | the largest webhook body accepted, in bytes (262144) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.content import default_content_dir
from bot.stores import DEFAULT_STORE_URL
from webhook.delivery import Limits

DEFAULT_TELEGRAM_API = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class Settings:
    content: Path
    store: str
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API
    public_url: str | None = None
    admin_token: str | None = None
    limits: Limits = field(default_factory=Limits)
    max_body: int = 256 * 1024

    @property
    def telegram(self) -> bool:
        """Whether the Telegram channel is on: it needs both its token and its secret."""
        return bool(self.telegram_token and self.telegram_secret)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read every setting; ValueError names a variable that is set but malformed."""
        content = environ.get("HOCSO_CONTENT")
        return cls(
            content=Path(content) if content else default_content_dir(),
            store=environ.get("HOCSO_STORE") or DEFAULT_STORE_URL,
            telegram_token=environ.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_secret=environ.get("TELEGRAM_SECRET_TOKEN") or None,
            telegram_api_url=environ.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API,
            public_url=(environ.get("HOCSO_PUBLIC_URL") or "").rstrip("/") or None,
            admin_token=environ.get("HOCSO_ADMIN_TOKEN") or None,
            limits=Limits(
                global_rate=_number(environ, "HOCSO_RATE_GLOBAL", 30.0),
                chat_rate=_number(environ, "HOCSO_RATE_CHAT", 1.0),
                chat_burst=_number(environ, "HOCSO_RATE_CHAT_BURST", 3.0),
            ),
            max_body=int(_number(environ, "HOCSO_MAX_BODY", 256 * 1024)),
        )


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value
