"""The service's settings, from the environment (see interfaces.md).

| variable | meaning |
|---|---|
| `HOCSO_CONTENT`, `HOCSO_STORE` | the lesson folder and the store URL |
| `TELEGRAM_BOT_TOKEN`, `TELEGRAM_SECRET_TOKEN` | the Telegram channel; off unless both are set |
| `TELEGRAM_API_URL` | default `https://api.telegram.org/bot` |
| `ZALO_BOT_TOKEN`, `ZALO_BOT_SECRET_TOKEN` | the Zalo Bot Platform; off unless both are set |
| `ZALO_BOT_API_URL` | default `https://bot-api.zaloplatforms.com/bot` |
| `ZALO_OA_APP_ID`, `ZALO_OA_SECRET_KEY` | a Zalo Official Account; off unless both are set |
| `ZALO_OA_ACCESS_TOKEN`, `ZALO_OA_REFRESH_TOKEN` | and one of these (rotated ones: in the store) |
| `ZALO_OA_APP_SECRET` | the app's secret, for refreshing tokens (default: `ZALO_OA_SECRET_KEY`) |
| `ZALO_OA_API_URL` | default `https://openapi.zalo.me` |
| `ZALO_OA_OAUTH_URL` | default `https://oauth.zaloapp.com` |
| `HOCSO_PUBLIC_URL` | the public https address, for `setWebhook` |
| `HOCSO_ADMIN_TOKEN` | admin routes (none yet answer without it) |
| `HOCSO_RATE_GLOBAL`, `HOCSO_RATE_CHAT`, `HOCSO_RATE_CHAT_BURST` | delivery limits (30, 1, 3) |
| `HOCSO_MAX_BODY` | the largest webhook body accepted, in bytes (262144) |
| `HOCSO_STORE_TIMEOUT` | seconds a Redis call may wait before the store counts as down (1) |
| `HOCSO_HEADER_TIMEOUT`, `HOCSO_BODY_TIMEOUT` | seconds for a request's headers, its body (10) |
| `HOCSO_MAX_HEADER` | the most bytes of a request's line and headers (32768) |
| `HOCSO_WEB_TRANSCRIPT_DAYS` | days a web transcript is kept after its last message (30) |
| `HOCSO_WEB_SECRET` | signs the web chat's learner cookies (else one kept in the store) |
| `HOCSO_WEB_RATE_LEARNER`, `HOCSO_WEB_RATE_LEARNER_BURST` | a web learner's messages (1/s, 5) |
| `HOCSO_WEB_RATE_CLIENT`, `HOCSO_WEB_RATE_CLIENT_BURST` | a client's web requests (20/s, 60) |
| `HOCSO_WEB_NEW_LEARNERS` | new web learners a client may start an hour (60) |
| `HOCSO_WEB_CLIENT_HEADER` | the header a trusted proxy puts client addresses in (web, console) |
| `HOCSO_METRICS_TOKEN` | turns `GET /metrics` on, for requests with `Authorization: Bearer TOKEN` |
| `HOCSO_DOCS` | `0` turns `/docs`, `/redoc` and `/openapi.json` off (default `1`, on) |
| `HOCSO_ISSUER` | the unit that issues certificates, printed on them and shown by /verify |
| `HOCSO_VERIFY_RATE`, `HOCSO_VERIFY_BURST` | /verify lookups a client may make (0.2/s, 10) |
| `HOCSO_REMIND_AFTER` | reminders' delays after a learner's last message (`23h,3d,7d`; `off`) |
| `HOCSO_QUIET_HOURS` | no reminder pushed in these hours, Vietnam time (`21-7`; `off`) |
| `HOCSO_ZALO_OA_WINDOW_HOURS` | hours after a Zalo OA user's last message a reminder may go (48) |
| `HOCSO_ZALO_BOT_WINDOW_HOURS` | the same on the Zalo Bot Platform (24) |
| `HOCSO_REMIND_RATE` | reminders queued a second at most, all workers together (5) |
| `HOCSO_HELP_CHAT` | the Telegram chat for requests for a person (`bot.helpdesk`) |
| `HOCSO_HELP_HOURS` | hours a request for a person stays open (24) |
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bot import reminders
from bot.content import default_content_dir
from bot.places import PlaceError, check_chat
from bot.stores import DEFAULT_STORE_URL
from webhook.delivery import Limits

DEFAULT_TELEGRAM_API = "https://api.telegram.org/bot"
DEFAULT_ZALO_BOT_API = "https://bot-api.zaloplatforms.com/bot"
DEFAULT_ZALO_OA_API = "https://openapi.zalo.me"
DEFAULT_ZALO_OA_OAUTH = "https://oauth.zaloapp.com"


@dataclass(frozen=True)
class WebLimits:
    """The web chat's limits (0 turns one off): a learner's messages a second (`learner_rate`,
    `learner_burst` at once), a client's requests a second (`client_rate`, `client_burst`),
    and the new learners a client may start an hour (`new_learners`). A client is an address:
    the connection's (uvicorn's, which reads X-Forwarded-For from 127.0.0.1), or the last one
    in `client_header` when it is set."""

    learner_rate: float = 1.0
    learner_burst: float = 5.0
    client_rate: float = 20.0
    client_burst: float = 60.0
    new_learners: float = 60.0
    client_header: str | None = None


NO_WEB_LIMITS = WebLimits(learner_rate=0, client_rate=0, new_learners=0)


@dataclass(frozen=True)
class Settings:
    content: Path
    store: str
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API
    zalo_bot_token: str | None = None
    zalo_bot_secret: str | None = None
    zalo_bot_api_url: str = DEFAULT_ZALO_BOT_API
    zalo_oa_app_id: str | None = None
    zalo_oa_secret_key: str | None = None
    zalo_oa_access_token: str | None = None
    zalo_oa_refresh_token: str | None = None
    # The App Secret (app settings page) sent when refreshing tokens; the OA secret key
    # (Webhook page) checks signatures. None: the OA secret key is used for both.
    zalo_oa_app_secret: str | None = None
    zalo_oa_api_url: str = DEFAULT_ZALO_OA_API
    zalo_oa_oauth_url: str = DEFAULT_ZALO_OA_OAUTH
    public_url: str | None = None
    admin_token: str | None = None
    limits: Limits = field(default_factory=Limits)
    max_body: int = 256 * 1024
    # Seconds a Redis store call may take (connecting, or waiting for the answer) before the
    # store counts as down: the webhook answers 503 and /healthz too.
    store_timeout: float = 1.0
    # A request's line and headers must arrive within `header_timeout` seconds (of its first
    # byte, or of the connection's opening) and be `max_header` bytes at most; its body within
    # `body_timeout` seconds of its headers (see webhook.http).
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    max_header: int = 32 * 1024
    # What the web chat said to a learner is kept this many days after its last message.
    web_transcript_days: float = 30.0
    # Signs the web chat's learner cookies; None: a secret made once and kept in the store.
    web_secret: str | None = None
    web_limits: WebLimits = field(default_factory=WebLimits)
    # GET /metrics answers requests that carry this bearer token; None: the route is a 404.
    metrics_token: str | None = None
    # False: no /docs, /redoc nor /openapi.json (production may keep its API to itself).
    docs: bool = True
    # The unit that issues certificates, printed on them (None: the content's default).
    issuer: str | None = None
    # Certificate numbers one client address may look up on /verify: a second, and at once.
    verify_rate: float = 0.2
    verify_burst: float = 10.0
    # Seconds before any /verify lookup is answered, so an unknown number is not told by speed.
    verify_floor: float = 0.3
    # Reminders for learners who stopped (bot.reminders): when, and how fast they are queued
    # (a second, all workers together); each worker looks for due ones every `remind_every` s.
    # Their quiet hours are also when a person asked for answers in the morning.
    reminders: reminders.Policy = field(default_factory=reminders.Policy)
    remind_rate: float = 5.0
    remind_every: float = 30.0
    # A person on the line (bot.helpdesk): the operator's Telegram chat for requests no
    # volunteer's or area's chat takes (None: the console only), and how long one stays open.
    help_chat: str | None = None
    help_hours: float = 24.0

    @property
    def telegram(self) -> bool:
        """Whether the Telegram channel is on: it needs both its token and its secret."""
        return bool(self.telegram_token and self.telegram_secret)

    @property
    def zalo_bot(self) -> bool:
        """Whether the Zalo Bot channel is on: it needs both its token and its secret."""
        return bool(self.zalo_bot_token and self.zalo_bot_secret)

    @property
    def zalo_oa(self) -> bool:
        """Whether the Zalo OA channel is on: app id, OA secret key, and a token to start from."""
        tokens = self.zalo_oa_access_token or self.zalo_oa_refresh_token
        return bool(self.zalo_oa_app_id and self.zalo_oa_secret_key and tokens)

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
            zalo_bot_token=environ.get("ZALO_BOT_TOKEN") or None,
            zalo_bot_secret=environ.get("ZALO_BOT_SECRET_TOKEN") or None,
            zalo_bot_api_url=_url(environ, "ZALO_BOT_API_URL", DEFAULT_ZALO_BOT_API),
            zalo_oa_app_id=environ.get("ZALO_OA_APP_ID") or None,
            zalo_oa_secret_key=environ.get("ZALO_OA_SECRET_KEY") or None,
            zalo_oa_access_token=environ.get("ZALO_OA_ACCESS_TOKEN") or None,
            zalo_oa_refresh_token=environ.get("ZALO_OA_REFRESH_TOKEN") or None,
            zalo_oa_app_secret=environ.get("ZALO_OA_APP_SECRET") or None,
            zalo_oa_api_url=_url(environ, "ZALO_OA_API_URL", DEFAULT_ZALO_OA_API),
            zalo_oa_oauth_url=_url(environ, "ZALO_OA_OAUTH_URL", DEFAULT_ZALO_OA_OAUTH),
            public_url=(environ.get("HOCSO_PUBLIC_URL") or "").rstrip("/") or None,
            admin_token=environ.get("HOCSO_ADMIN_TOKEN") or None,
            limits=Limits(
                global_rate=_number(environ, "HOCSO_RATE_GLOBAL", 30.0),
                chat_rate=_number(environ, "HOCSO_RATE_CHAT", 1.0),
                chat_burst=_number(environ, "HOCSO_RATE_CHAT_BURST", 3.0),
            ),
            max_body=int(_number(environ, "HOCSO_MAX_BODY", 256 * 1024)),
            store_timeout=_positive(environ, "HOCSO_STORE_TIMEOUT", 1.0),
            header_timeout=_positive(environ, "HOCSO_HEADER_TIMEOUT", 10.0),
            body_timeout=_positive(environ, "HOCSO_BODY_TIMEOUT", 10.0),
            max_header=_bytes(environ, "HOCSO_MAX_HEADER", 32 * 1024),
            web_transcript_days=_positive(environ, "HOCSO_WEB_TRANSCRIPT_DAYS", 30.0),
            web_secret=_secret(environ, "HOCSO_WEB_SECRET"),
            web_limits=WebLimits(
                learner_rate=_number(environ, "HOCSO_WEB_RATE_LEARNER", 1.0),
                learner_burst=_burst(environ, "HOCSO_WEB_RATE_LEARNER_BURST", 5.0),
                client_rate=_number(environ, "HOCSO_WEB_RATE_CLIENT", 20.0),
                client_burst=_burst(environ, "HOCSO_WEB_RATE_CLIENT_BURST", 60.0),
                new_learners=_burst(environ, "HOCSO_WEB_NEW_LEARNERS", 60.0, zero=True),
                client_header=environ.get("HOCSO_WEB_CLIENT_HEADER") or None,
            ),
            metrics_token=environ.get("HOCSO_METRICS_TOKEN") or None,
            docs=_flag(environ, "HOCSO_DOCS", True),
            issuer=" ".join((environ.get("HOCSO_ISSUER") or "").split()) or None,
            verify_rate=_number(environ, "HOCSO_VERIFY_RATE", 0.2),
            verify_burst=_burst(environ, "HOCSO_VERIFY_BURST", 10.0),
            reminders=_policy(environ),
            remind_rate=_positive(environ, "HOCSO_REMIND_RATE", 5.0),
            help_chat=_chat(environ, "HOCSO_HELP_CHAT"),
            help_hours=_positive(environ, "HOCSO_HELP_HOURS", 24.0),
        )


def _chat(environ: Mapping[str, str], name: str) -> str | None:
    try:
        return check_chat(environ.get(name) or "") or None
    except PlaceError:
        raise ValueError(
            f"{name} must be a Telegram chat id, a whole number (a group's is negative, e.g. "
            "-1001234567890: see README, A person on the line)"
        ) from None


def _policy(environ: Mapping[str, str]) -> reminders.Policy:
    """HOCSO_REMIND_AFTER, HOCSO_QUIET_HOURS and the Zalo windows (see `bot.reminders`)."""
    delays = _parsed(environ, "HOCSO_REMIND_AFTER", "23h,3d,7d", reminders.parse_delays)
    quiet = _parsed(environ, "HOCSO_QUIET_HOURS", "21-7", reminders.parse_quiet)
    oa = _positive(environ, "HOCSO_ZALO_OA_WINDOW_HOURS", 48.0) * reminders.HOUR
    if oa > reminders.ZALO_OA_MOST:
        raise ValueError("HOCSO_ZALO_OA_WINDOW_HOURS must be at most 168: Zalo refuses then")
    bot = _positive(environ, "HOCSO_ZALO_BOT_WINDOW_HOURS", 24.0) * reminders.HOUR
    windows = {**reminders.WINDOWS, "zalo-oa": oa, "zalo-bot": bot}
    return reminders.Policy(delays=delays, quiet=quiet, windows=windows)


T = TypeVar("T")


def _parsed(environ: Mapping[str, str], name: str, default: str, parse: Callable[[str], T]) -> T:
    """`parse` of the variable (or of `default`), its ValueError naming the variable."""
    try:
        return parse(environ.get(name) or default)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _secret(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name) or None
    if value is not None and len(value) < 16:
        raise ValueError(f"{name} must be at least 16 characters (openssl rand -hex 32 makes one)")
    return value


def _url(environ: Mapping[str, str], name: str, default: str) -> str:
    return (environ.get(name) or default).rstrip("/")


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


def _burst(environ: Mapping[str, str], name: str, default: float, *, zero: bool = False) -> float:
    """A number of tokens at once: at least 1 (or, with `zero`, 0 to turn the limit off)."""
    value = _number(environ, name, default)
    if zero and value == 0:
        return value
    if not 1 <= value < math.inf:
        raise ValueError(f"{name} must be {'0 or ' if zero else ''}at least 1")
    return value


def _positive(environ: Mapping[str, str], name: str, default: float) -> float:
    value = _number(environ, name, default)
    if not 0 < value < math.inf:
        raise ValueError(f"{name} must be a number above 0")
    return value


def _bytes(environ: Mapping[str, str], name: str, default: int) -> int:
    value = _positive(environ, name, default)
    if value != int(value):
        raise ValueError(f"{name} must be a whole number of bytes")
    return int(value)


FLAGS = {"1": True, "true": True, "yes": True, "on": True,
         "0": False, "false": False, "no": False, "off": False}  # fmt: skip


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (environ.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw not in FLAGS:
        raise ValueError(f"{name} must be 1 or 0 (on or off), not {environ[name]!r}")
    return FLAGS[raw]
