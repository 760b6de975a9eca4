"""Slowing down sign-in attempts, per client address and per name typed, with the store's token
buckets (`Store.take_token`), so the limits hold across every worker and machine.

Each of the two has three buckets, one inside the other (`TIERS`): 5 attempts at once, then one
a minute; after 10, one every 10 minutes; after some 60, one an hour. They fill again at those
rates, so a person who mistyped a few times waits a minute at most, and a machine guessing
passwords gets a few dozen guesses a day. An attempt over a limit is answered at once
(429, with how long to wait) and no password is checked.

A volunteer's private page (`/v/<token>`, `webhook.console.volunteer_view`) is slowed down
per client address too (`visit`): `VISIT_BURST` requests at once, then `VISIT_RATE` a second,
whatever the token, so that nobody can try many tokens.

A name is slowed down whether or not it is an account (the answer must not tell), so someone
may keep an admin waiting by failing under their name: they sign in from the console's
machine with `hocso admin add NAME --reset` meanwhile. Bucket names hold keyed digests only
(the key made once, kept in the store): no address or name in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from bot.stores.base import Store

TIERS = ((5.0, 60.0), (10.0, 600.0), (50.0, 3600.0))
"""(attempts at once, seconds for one more), tightest first."""
SECRET_KEY = "console:secret"
VISIT_RATE = 1.0
VISIT_BURST = 30.0


class Throttle:
    def __init__(self, store: Store, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock
        self._key: bytes | None = None

    def attempt(self, client: str, name: str) -> float:
        """Count one sign-in attempt from `client` under `name`: 0.0 when it may go on, else
        the seconds until one may (nothing is counted against the name then)."""
        wait = self._take("client", client)
        return wait if wait > 0 else self._take("name", name.strip().lower())

    def visit(self, client: str) -> float:
        """Count one request for a volunteer's private page from `client`: 0.0 when it may go
        on, else the seconds until one may."""
        bucket = f"console:visit:{self._digest(client)}"
        return self.store.take_token(bucket, VISIT_RATE, VISIT_BURST, self.clock())

    def _take(self, kind: str, who: str) -> float:
        now = self.clock()
        bucket = f"console:signin:{kind}:{self._digest(who)}"
        for number, (burst, seconds) in enumerate(TIERS):
            wait = self.store.take_token(f"{bucket}:{number}", 1 / seconds, burst, now)
            if wait > 0:
                return wait
        return 0.0

    def _digest(self, text: str) -> str:
        if self._key is None:
            self._key = self.store.remember_once(SECRET_KEY, secrets.token_hex(32)).encode()
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
