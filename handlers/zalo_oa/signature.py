"""The `X-ZEvent-Signature` of a Zalo OA webhook request.

    X-ZEvent-Signature: mac=<sha256 hex of app_id + raw body + timestamp + OA secret key>

A plain SHA-256 over the concatenation (not an HMAC), lowercase hex, with `timestamp` the
body's own field as it is written there (a string of epoch milliseconds, or a number) and
the raw bytes received, never the JSON re-serialised. The key is the OA Secret Key of the
app's Webhook page, not the App Secret used for tokens (see handlers/zalo-wire-format.md, B.1).
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["PREFIX", "signature", "signed_at", "timestamp_of", "valid"]

PREFIX = "mac="
_DIGITS = re.compile(r"^[0-9]{1,16}$")


def signature(app_id: str, raw: bytes, timestamp: str, secret: str) -> str:
    """The header value Zalo sends for this body."""
    digest = hashlib.sha256(app_id.encode() + raw + timestamp.encode() + secret.encode())
    return PREFIX + digest.hexdigest()


def valid(header: str, app_id: str, raw: bytes, timestamp: str, secret: str) -> bool:
    """Whether `header` is the body's signature (compared in constant time; the `mac=`
    prefix and the case of the hex digits are not held against it)."""
    given = header.strip()
    if given[: len(PREFIX)].lower() == PREFIX:
        given = given[len(PREFIX) :]
    wanted = signature(app_id, raw, timestamp, secret)[len(PREFIX) :]
    return hmac.compare_digest(given.lower().encode(), wanted.encode())


def timestamp_of(data: dict[str, object]) -> str | None:
    """The body's `timestamp` as it enters the signature: its digits; None when it has none."""
    value = data.get("timestamp")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if isinstance(value, str) and _DIGITS.match(value):
        return value
    return None


def signed_at(timestamp: str) -> float:
    """The timestamp in seconds since the epoch. Zalo writes milliseconds; a number too small
    to be milliseconds of this century is read as seconds, in case some events carry those."""
    value = int(timestamp)
    return value / 1000.0 if value >= 10**11 else float(value)
