"""Using the web console over real HTTP, as a browser does (cookies, forms, redirects by hand).

with ServiceThread(settings) as app:
    lan = Admin(app.url)
    assert lan.sign_in("lan", PASSWORD).headers["location"] == "/admin"
    lan.get("/admin")
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
from argon2 import PasswordHasher

from bot.accounts import Accounts
from bot.console import ConsoleTexts
from bot.stores.base import Store

PASSWORD = "tre xanh bong mat"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
"""Tests need neither 64 MiB nor 0.2 s a check (see `bot.accounts.HASHER`)."""

_CSRF = re.compile(r'<input type="hidden" name="csrf" value="([^"]*)">')
_NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')


def add_account(store: Store, name: str = "lan", password: str = PASSWORD) -> None:
    Accounts(store, FAST).set(name, password)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a csrf field"
    return unescape(found.group(1))


def shows(html: str, texts: ConsoleTexts, key: str, **values: Any) -> bool:
    """Whether a page shows the console.yaml sentence `key`, as HTML escapes it."""
    sentence = texts.text(key, **values)
    return sentence.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html


class Admin:
    """One browser on the console: an httpx client that keeps cookies and does not follow
    redirects (a test looks at each)."""

    def __init__(self, base_url: str, *, address: str | None = None) -> None:
        headers = {"X-Real-IP": address} if address else {}
        self.client = httpx.Client(base_url=base_url, timeout=30, headers=headers)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        return self.client.post(path, data=data or {})

    def sign_in(self, name: str, password: str, *, after: str | None = None) -> httpx.Response:
        """Open the sign-in page (as a redirect to it would, with `next=after`) and post its
        form."""
        page = self.get("/admin/login", params={"next": after} if after else None)
        assert page.status_code == 200, page.text
        found = _NEXT.search(page.text)
        form = {
            "csrf": csrf_of(page.text),
            "next": unescape(found.group(1)) if found else "",
            "name": name,
            "password": password,
        }
        return self.post("/admin/login", form)

    def csrf(self) -> str:
        """The session's form token, read from a page."""
        page = self.get("/admin")
        assert page.status_code == 200, page.status_code
        return csrf_of(page.text)

    def sign_out(self) -> httpx.Response:
        return self.post("/admin/logout", {"csrf": self.csrf()})

    def close(self) -> None:
        self.client.close()
