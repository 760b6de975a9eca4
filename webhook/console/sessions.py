"""Console sessions: a long random token in a cookie, and what it stands for kept in the
store's small shared values (`Store.remember`) under a hash of the token, with a ttl, so every
worker sees the same sessions and the store never holds a token a thief could use.

```text
hocso_admin=Gx0f…43 characters…           (HttpOnly, SameSite=Strict, Path=/admin, Secure on https)
console:session:<SHA-256 of the token>  →  {"name": "lan", "csrf": "…", "since": 1796536800.0,
                                            "seen": 1796537100.0, "notice": null,
                                            "problem": false}
```
A session ends after `IDLE` seconds without a request, `LONGEST` after it began, when its
account's password is set again or the account removed (`bot.accounts`), or at sign-out.
`csrf` is the session's token for its forms: every POST must carry it (`webhook.console.guard`).
`notice` is a sentence (a console.yaml key and its values) to show once, on the next page;
`problem` when it says why something was not done.

SameSite=Strict, not Lax: the console is never reached from a link on another site, and Strict
keeps the cookie off every request another site starts, even a top-level GET of an export. The
sign-in's redirect is started by the console's own page, so the cookie set with it is sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.stores.base import Store

COOKIE = "hocso_admin"
SIGNIN_COOKIE = "hocso_admin_signin"
"""The sign-in form's token, before there is a session (its CSRF token, double-submitted)."""
PATH = "/admin"
IDLE = 2 * 3600.0
LONGEST = 12 * 3600.0
RENEW_AFTER = 60.0
"""A session's ttl is counted again at most this often (each time costs a write)."""
PREFIX = "console:session:"
ENDED = ""  # what an ended session's key holds until the store forgets it

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """256 random bits, 43 characters of base64url."""
    return secrets.token_urlsafe(32)


def well_formed(token: str | None) -> bool:
    return token is not None and _TOKEN.fullmatch(token) is not None


def key_of(token: str) -> str:
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Session:
    name: str
    csrf: str
    since: float
    seen: float
    notice: tuple[str, dict[str, Any]] | None = None
    problem: bool = False


class Sessions:
    """Sessions in a store, on the store's clock and `clock` (seconds, like `time.time`)."""

    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    def start(self, name: str) -> tuple[str, Session]:
        """A new session for `name`: its token (for the cookie only) and the session."""
        now = self.clock()
        token = new_token()
        session = Session(name=name, csrf=new_token(), since=now, seen=now)
        self._keep(token, session)
        return token, session

    def find(self, token: str | None) -> Session | None:
        """The session of a cookie's token: None when there is none, or it is over. Counts
        its idle time again now and then."""
        if not well_formed(token):
            return None
        assert token is not None
        kept = self.store.recall(key_of(token))
        if not kept:
            return None
        session = _session(kept)
        now = self.clock()
        if session is None or now >= session.since + LONGEST or now >= session.seen + IDLE:
            return None
        if now - session.seen >= RENEW_AFTER:
            session = replace(session, seen=now)
            self._keep(token, session)
        return session

    def save(self, token: str, session: Session) -> None:
        """Keep a session changed (its notice)."""
        self._keep(token, session)

    def end(self, token: str) -> None:
        if well_formed(token):
            self.store.remember(key_of(token), ENDED, ttl=60)

    def _keep(self, token: str, session: Session) -> None:
        left = min(IDLE, session.since + LONGEST - self.clock())
        if left <= 0:
            self.end(token)
            return
        value = json.dumps(asdict(session), ensure_ascii=False, separators=(",", ":"))
        self.store.remember(key_of(token), value, ttl=left)


def _session(kept: str) -> Session | None:
    try:
        data = json.loads(kept)
        notice = data.get("notice")
        return Session(
            name=str(data["name"]),
            csrf=str(data["csrf"]),
            since=float(data["since"]),
            seen=float(data["seen"]),
            notice=None if notice is None else (str(notice[0]), dict(notice[1])),
            problem=bool(data.get("problem")),
        )
    except (ValueError, KeyError, TypeError, IndexError):
        return None
