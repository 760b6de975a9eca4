"""Console accounts: who may sign in to `/admin`, kept as documents of kind `account` in the
store's directory (`bot.stores.records.Directory`), one per name.

```json
{"kind": "account", "id": "lan",
 "doc": {"name": "lan", "hash": "$argon2id$v=19$m=65536,t=3,p=4$…",
         "created_at": "2026-12-06T10:00:00+07:00", "password_set": 1796536800.0}}
```
Only an argon2id hash of the password is kept (argon2-cffi's `PasswordHasher`), never the
password. `password_set` is when the password was last set: a console session begun before it
is over (a reset password, or an account removed and made again, signs everyone out).
"""

from __future__ import annotations

import functools
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.audit import now_iso
from bot.stores.records import Directory

KIND = "account"
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
NAME_RULE = "a name is 1 to 32 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing is slow on purpose: a megabyte "password" is not one
PASSWORD_RULE = f"a password has at least {MIN_PASSWORD} characters (a few words make a good one)"

HASHER = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106's second choice: 64 MiB, 3 passes): about
0.2 s a check on a small server. Tests may give `Accounts` a cheaper one."""


class AccountError(ValueError):
    """A name or password that breaks a rule, or a name taken: said in plain words."""


@dataclass(frozen=True)
class Account:
    name: str
    created_at: str
    password_set: float


def normal_name(name: str) -> str:
    """A name as kept: stripped, in lower case (names are told apart without case)."""
    return name.strip().lower()


def check_name(name: str) -> str:
    """The name as kept; AccountError when it breaks the rule."""
    kept = normal_name(name)
    if not NAME.fullmatch(kept):
        raise AccountError(f"{name!r} cannot be an account name: {NAME_RULE}")
    return kept


def check_password(password: str, name: str) -> None:
    """AccountError when the password breaks the rule."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: {PASSWORD_RULE}")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")
    if normal_name(password) == name:
        raise AccountError("the password must not be the account's name")


class Accounts:
    """The console's accounts in a directory, hashed with `hasher`."""

    def __init__(
        self,
        directory: Directory,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.hasher = hasher or HASHER
        self.clock = clock

    @functools.cached_property
    def _dummy(self) -> str:
        """Checked against when the name is unknown, so that it takes as long as a wrong
        password for a name that is there."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    def get(self, name: str) -> Account | None:
        doc = self.directory.doc(KIND, normal_name(name))
        return None if doc is None else _account(doc)

    def all(self) -> list[Account]:
        """Every account, by name."""
        return sorted(
            (_account(doc) for doc in self.directory.docs(KIND).values()), key=lambda a: a.name
        )

    def set(self, name: str, password: str, *, reset: bool = False) -> Account:
        """Make an account (or, with `reset`, give one that is there a new password: one that
        is not there is made). AccountError for a rule broken, or a name taken without
        `reset`."""
        kept = check_name(name)
        check_password(password, kept)
        before = self.directory.doc(KIND, kept)
        if before is not None and not reset:
            raise AccountError(
                f"there is an account '{kept}' already; add --reset to give it a new password"
            )
        now = self.clock()
        created = before["created_at"] if before else now_iso(now)
        doc = {
            "name": kept,
            "hash": self.hasher.hash(password),
            "created_at": created,
            "password_set": now,
        }
        self.directory.put_doc(KIND, kept, doc)
        return _account(doc)

    def remove(self, name: str) -> bool:
        """Forget an account (its sessions end with it); True when there was one."""
        kept = normal_name(name)
        if self.directory.doc(KIND, kept) is None:
            return False
        self.directory.put_doc(KIND, kept, None)
        return True

    def check(self, name: str, password: str) -> Account | None:
        """The account when `password` is its password, else None: for an unknown name too,
        after as long a check. A hash made with other settings than `hasher`'s is made again."""
        kept = normal_name(name)
        doc = self.directory.doc(KIND, kept) if NAME.fullmatch(kept) else None
        stored = doc.get("hash") if doc else None
        right = _verify(self.hasher, stored if isinstance(stored, str) else self._dummy, password)
        if doc is None or not right:
            return None
        assert isinstance(stored, str)
        if self.hasher.check_needs_rehash(stored):
            self.directory.put_doc(KIND, kept, {**doc, "hash": self.hasher.hash(password)})
        return _account(doc)


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return False


def _account(doc: dict[str, Any]) -> Account:
    return Account(
        name=str(doc["name"]),
        created_at=str(doc.get("created_at", "")),
        password_set=float(doc.get("password_set", 0.0)),
    )
