"""The learner cookie `hocso_learner`: a random token, signed by the server.

```text
hocso_learner=k3J9a81QzX0vTq2mN5bW7cYd4eF6gH8j.Qv3xT9kLm2Np4Rs6Uw8YzA
              └─ the token (32 characters)     └─ its signature (22)
```
The learner is `web:<chat>`, `<chat>` a digest of the token (`chat_of`), so that logs and the
store never hold the token. The signature is 128 bits of HMAC-SHA256 of the token with the
server's secret (`HOCSO_WEB_SECRET`, else one made once and kept in the store): only a cookie
the server issued is signed, so a made-up cookie cannot start a learner.

`Signer.read` tells a cookie signed with this secret from one that is not (from before cookies
were signed, or signed with a secret since changed, or made up): the routes accept the latter
only when its learner is already in the store, and sign it again (`webhook.web`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = ["COOKIE", "Cookie", "Signer", "chat_of", "new_token"]

COOKIE = "hocso_learner"

_COOKIE = re.compile(r"([A-Za-z0-9_-]{22,64})(?:\.([A-Za-z0-9_-]{22}))?")


def new_token() -> str:
    """A fresh learner token: 32 characters, 192 random bits."""
    return secrets.token_urlsafe(24)


def _b64(data: bytes, length: int = 22) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")[:length]


def chat_of(cookie: str | None) -> str | None:
    """The chat a cookie (or its token alone) stands for, signed or not: 22 characters of the
    token's SHA-256; None when the cookie is missing or malformed."""
    found = _COOKIE.fullmatch(cookie or "")
    if found is None:
        return None
    return _b64(hashlib.sha256(found.group(1).encode("ascii")).digest())


@dataclass(frozen=True)
class Cookie:
    """A well-formed learner cookie as read: its token, its chat, and whether this server's
    secret signed it."""

    token: str
    chat: str
    signed: bool


class Signer:
    """Issues, signs and reads learner cookies with one secret."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode("utf-8")

    def _signature(self, token: str) -> str:
        return _b64(hmac.new(self._key, token.encode("ascii"), hashlib.sha256).digest())

    def sign(self, token: str) -> str:
        """The cookie's value for `token`."""
        return f"{token}.{self._signature(token)}"

    def issue(self) -> str:
        """A new learner's cookie value."""
        return self.sign(new_token())

    def read(self, value: str | None) -> Cookie | None:
        """The cookie, or None when it is missing or malformed."""
        found = _COOKIE.fullmatch(value or "")
        if found is None:
            return None
        token, signature = found.groups()
        signed = signature is not None and hmac.compare_digest(signature, self._signature(token))
        chat = chat_of(token)
        assert chat is not None
        return Cookie(token, chat, signed)

    def digest(self, text: str) -> str:
        """A keyed digest of `text`, 22 characters: a client's address in the name of its
        rate-limit bucket, which whoever reads the store cannot turn back into the address."""
        return _b64(hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).digest())
