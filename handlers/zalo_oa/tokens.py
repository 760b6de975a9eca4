"""The OA's access token, and refreshing it without losing the refresh token.

An access token lasts about 25 hours; a refresh token three months, and only once: a refresh
answers a new pair and the old refresh token is dead. So the pair starts from the settings
(`ZALO_OA_ACCESS_TOKEN`, `ZALO_OA_REFRESH_TOKEN`) and every rotated pair is kept in the store,
shared by all workers, under `zalo-oa:tokens`:

```json
{"access": "RfBh5N…", "refresh": "L2Y2BO…", "expires_at": 1763974800.0, "seed": "9c1f…"}
```
`seed` fingerprints the settings the chain grew from: when an admin pastes a new pair into
the settings (after re-authorising the app), the stored chain of the old pair is left alone.

A refresh (on -216/-220, or shortly before `expires_at`):

    POST <ZALO_OA_OAUTH_URL>/v4/oa/access_token        secret_key: <the App Secret>
    refresh_token=<rt>&app_id=<app id>&grant_type=refresh_token
    -> {"access_token": "…", "refresh_token": "…", "expires_in": "90000"}

- one at a time in a worker (a lock), and first the store is read again: when another worker
  (or an earlier caller here) has rotated already, its access token is used;
- one worker spends a refresh token: the first to take the token bucket of that refresh
  token in the shared store (refilled once every `gap` seconds, in case that worker dies);
  a worker that does not get the turn waits for the new pair to appear in the store;
- the new pair is stored before the new access token is used (a crash right after a refresh
  must not lose the only valid refresh token);
- a refresh that fails reads the store once more (another worker may have won the race);
- else, when Zalo answered without a new pair (HTTP 200 with an `error`, `"access_token": ""`),
  that refresh token is dead: its fingerprint (with the app's id and secret, which a refusal
  may be about too) is stored under `zalo-oa:refused:<fingerprint>`, one error line says so,
  and it is never sent again, by any worker, before or after a restart: the messages that
  need a new access token fail for good (a permanent SendError) until the settings give a
  new pair (or app secret). A network error or an HTTP 5xx is a retryable SendError.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol, TypeVar

import httpx

from bot.stores.base import Store
from handlers.base import SendError

__all__ = ["KEY", "TokenKeeper", "Tokens"]

log = logging.getLogger("hocso.zalo_oa")
T = TypeVar("T")

KEY = "zalo-oa:tokens"  # the store key of the current pair
BUCKET = "zalo-oa:refresh:"  # + a refresh token's fingerprint: who may spend it
REFUSED = "zalo-oa:refused:"  # + its fingerprint with the app's: Zalo refused it, and why


class StoreRunner(Protocol):
    """Runs a store call without blocking the event loop (`webhook.storecalls.StoreCalls`)."""

    async def __call__(self, call: Callable[..., T], *args: Any) -> T: ...


@dataclass(frozen=True)
class Tokens:
    access: str | None
    refresh: str | None
    expires_at: float | None = None  # seconds since the epoch; None: not known
    seed: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Tokens:
        data = json.loads(text)
        expires_at = data.get("expires_at")
        return cls(
            access=_text(data.get("access")),
            refresh=_text(data.get("refresh")),
            expires_at=float(expires_at) if isinstance(expires_at, int | float) else None,
            seed=str(data.get("seed", "")),
        )


class RefreshFailed(Exception):
    """The OAuth server did not answer a new pair; `refused`: it answered, and said no (the
    refresh token is dead), rather than failing to answer."""

    def __init__(self, why: str, *, refused: bool = False) -> None:
        super().__init__(why)
        self.refused = refused


class TokenKeeper:
    """The access token to call the OA API with, refreshed when needed (see the module)."""

    def __init__(
        self,
        store: Store,
        run: StoreRunner,
        client: httpx.AsyncClient,
        *,
        oauth_url: str,
        app_id: str,
        app_secret: str,
        access: str | None,
        refresh: str | None,
        early: float = 600.0,
        gap: float = 30.0,
        wait: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.run = run
        self.client = client
        self.url = f"{oauth_url.rstrip('/')}/v4/oa/access_token"
        self.app_id = app_id
        self.app_secret = app_secret
        self.early = early  # refresh this many seconds before expires_at
        self.gap = gap  # seconds before another worker may try the same refresh token
        self.wait = wait  # seconds to wait for another worker's refresh
        self.clock = clock
        seed = _fingerprint(f"{access or ''}\n{refresh or ''}")
        self._tokens = Tokens(access, refresh, None, seed)
        self._loaded = False
        self._unsaved = False  # a refreshed pair the store has not taken yet
        self._lock = asyncio.Lock()

    async def access_token(self) -> str:
        """The access token to use now. Raises SendError (retryable) when there is none."""
        async with self._lock:
            tokens = await self._current()
        if tokens.access is not None and not self._expiring(tokens):
            return tokens.access
        still_valid = tokens.access is not None and not self._expired(tokens)
        try:
            return await self.refreshed(tokens.access, early=still_valid)
        except SendError:
            if still_valid:
                return str(tokens.access)  # refreshing early failed; it works for a while yet
            raise

    async def refreshed(self, failed: str | None, *, early: bool = False) -> str:
        """A new access token, after `failed` was refused (or, `early`, is about to expire):
        another worker's when it has rotated already, else from a refresh. Raises SendError
        (early: at once when it is not this worker's turn, the old token still works)."""
        async with self._lock:
            tokens = await self._current(reread=True)
            if _newer(tokens, failed) and not self._expiring(tokens):
                return str(tokens.access)
            if tokens.refresh is None:
                log.error("the OA access token was refused and there is no refresh token")
                raise SendError(
                    "the OA access token was refused and there is no refresh token: set "
                    "ZALO_OA_REFRESH_TOKEN (or a new ZALO_OA_ACCESS_TOKEN)"
                )
            refused = await self.run(self.store.recall, self._refused_key(tokens.refresh))
            if refused is not None:
                raise _dead(refused)
            bucket = BUCKET + _fingerprint(tokens.refresh)
            turn = await self.run(self.store.take_token, bucket, 1.0 / self.gap, 1.0, self.clock())
            if turn > 0 and early:
                raise SendError("another worker refreshes the OA access token")
            if turn > 0:  # another worker refreshed or is refreshing: its pair will be stored
                return await self._rotated_elsewhere(failed, turn)
            try:
                fresh = await self._refresh(tokens)
            except RefreshFailed as error:
                again = await self._current(reread=True)
                if _newer(again, failed):
                    return str(again.access)
                if error.refused:
                    raise await self._refused(tokens.refresh, str(error)) from error
                log.warning("the OA access token could not be refreshed: %s", error)
                raise SendError(f"could not refresh the OA access token: {error}") from error
            self._tokens, self._unsaved = fresh, True
            await self._save()
            log.info("OA access token refreshed")
            return str(fresh.access)

    async def _refused(self, refresh: str, why: str) -> SendError:
        """Remember that Zalo refused `refresh`, say so (once: it is not sent again), and
        the error of the messages that needed it."""
        await self.run(self.store.remember, self._refused_key(refresh), why)
        log.error(
            "Zalo refused the OA refresh token (%s): OA messages that need a new access token "
            "fail until ZALO_OA_ACCESS_TOKEN and ZALO_OA_REFRESH_TOKEN give a new pair",
            why,
        )
        return _dead(why)

    def _refused_key(self, refresh: str) -> str:
        return REFUSED + _fingerprint(f"{self.app_id}\n{self.app_secret}\n{refresh}")

    # -- the store --------------------------------------------------------------------------

    async def _current(self, *, reread: bool = False) -> Tokens:
        """The pair to use: the store's, when it grew from the same settings; saving first a
        pair the store did not take before."""
        if self._unsaved:
            await self._save()
        if reread or not self._loaded:
            stored = await self._stored()
            if stored is not None and stored.seed == self._tokens.seed:
                self._tokens = stored
            self._loaded = True
        return self._tokens

    async def _stored(self) -> Tokens | None:
        text = await self.run(self.store.recall, KEY)
        if text is None:
            return None
        try:
            return Tokens.from_json(text)
        except (ValueError, TypeError, AttributeError):
            log.warning("the stored OA tokens are not readable; using the settings' tokens")
            return None

    async def _save(self) -> None:
        """Store the pair; until it is stored its access token is not used (SendError)."""
        try:
            await self.run(self.store.remember, KEY, self._tokens.to_json())
        except Exception as error:
            log.exception("the refreshed OA tokens could not be stored; trying again")
            raise SendError("the refreshed OA tokens are not stored yet") from error
        self._unsaved = False

    async def _rotated_elsewhere(self, failed: str | None, turn: float) -> str:
        """Wait (up to `wait` seconds) for the pair another worker is storing."""
        deadline = time.monotonic() + min(turn, self.wait)
        while True:
            tokens = await self._current(reread=True)
            if _newer(tokens, failed) and not self._expiring(tokens):
                return str(tokens.access)
            if time.monotonic() >= deadline:
                raise SendError(
                    "the OA access token is being refreshed by another worker",
                    retry_after=max(turn, 1.0),
                )
            await asyncio.sleep(0.05)

    # -- the OAuth server -------------------------------------------------------------------

    async def _refresh(self, tokens: Tokens) -> Tokens:
        assert tokens.refresh is not None
        form = {
            "refresh_token": tokens.refresh,
            "app_id": self.app_id,
            "grant_type": "refresh_token",
        }
        try:
            answer = await self.client.post(
                self.url, data=form, headers={"secret_key": self.app_secret}
            )
        except httpx.HTTPError as error:
            raise RefreshFailed(f"{type(error).__name__} from the OAuth server") from error
        try:
            data = answer.json()
        except ValueError:
            data = None
        access = _text(data.get("access_token")) if isinstance(data, dict) else None
        if answer.status_code != 200 or not isinstance(data, dict) or access is None:
            why = f"HTTP {answer.status_code}: {_why(data)}".replace(tokens.refresh, "…")
            # Answered, in JSON, without a pair: refused (a proxy's page or a 5xx is not).
            refused = answer.status_code == 200 and isinstance(data, dict)
            raise RefreshFailed(why, refused=refused)
        expires_at = _lifetime(data.get("expires_in"))  # seconds, written as a string
        if expires_at is not None:
            expires_at += self.clock()
        else:
            log.warning("the OAuth server gave no expires_in; refreshing only when refused")
        refresh = _text(data.get("refresh_token")) or tokens.refresh
        return replace(tokens, access=access, refresh=refresh, expires_at=expires_at)

    # -- time -------------------------------------------------------------------------------

    def _expiring(self, tokens: Tokens) -> bool:
        return tokens.expires_at is not None and self.clock() >= tokens.expires_at - self.early

    def _expired(self, tokens: Tokens) -> bool:
        return tokens.expires_at is not None and self.clock() >= tokens.expires_at


def _dead(why: str) -> SendError:
    return SendError(
        f"Zalo refused the OA refresh token ({why}): set a new pair, ZALO_OA_ACCESS_TOKEN and "
        "ZALO_OA_REFRESH_TOKEN",
        permanent=True,
    )


def _newer(tokens: Tokens, failed: str | None) -> bool:
    """Whether `tokens` holds an access token other than the one that failed."""
    return tokens.access is not None and tokens.access != failed


def _fingerprint(secret: str) -> str:
    """A short hash that names a token without giving it away."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _lifetime(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 < seconds < 10 * 365 * 86400 else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _why(data: object) -> str:
    """The OAuth server's reason, without echoing tokens."""
    if not isinstance(data, dict):
        return "not JSON"
    parts = [str(data[key]) for key in ("error", "error_name", "error_description", "message")
             if key in data]  # fmt: skip
    return " ".join(parts)[:200] or "no access_token"
