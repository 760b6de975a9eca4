"""The audit log's entries: who did what in the console (or with `hocso admin`), and when.

```json
{"at": "2026-12-06T10:00:00+07:00", "who": "lan", "what": "export",
 "detail": {"page": "/admin/audit", "format": "csv"}}
```
`who` is an account's name (None for a failed sign-in under a name that is no account: what
was typed there may be a password); `what` one of `ACTIONS`, each named on the Nhật ký page by
`audit.actions.<what>` of console.yaml; `detail` small values that say which thing, never a
password.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.learner import VIETNAM
from bot.stores.records import Directory

ACTIONS = (
    "signin",
    "signin_failed",
    "signout",
    "export",
    "reload",
    "assign",
    "revoke",
    "certificate_revoke",
    "certificate_reissue",
    "certificate_rename",
    "account_add",
    "account_reset",
    "account_remove",
    "volunteer_save",
    "volunteers_import",
    "area_save",
    "areas_import",
    "link_new",
    "help_reply",
    "help_close",
)

CLI = "hocso admin"
"""`who` of what was done on the server's command line."""


def now_iso(at: float) -> str:
    """A time as the store keeps times: ISO 8601 in Vietnam's time, to the second."""
    return datetime.fromtimestamp(at, VIETNAM).isoformat(timespec="seconds")


def entry(who: str | None, what: str, at: float, detail: Mapping[str, Any]) -> dict[str, Any]:
    """One entry; ValueError for an action not in ACTIONS (a bug: the page has no name for it)."""
    if what not in ACTIONS:
        raise ValueError(f"{what!r} is not an audited action; add it to bot.audit.ACTIONS")
    return {"at": now_iso(at), "who": who, "what": what, "detail": dict(detail)}


def record(
    directory: Directory,
    who: str | None,
    what: str,
    detail: Mapping[str, Any] | None = None,
    *,
    at: float | None = None,
) -> dict[str, Any]:
    """Append one entry to the audit log; the entry."""
    kept = entry(who, what, time.time() if at is None else at, detail or {})
    directory.audit(kept)
    return kept
