"""Tổng quan (`/admin`): for now, who is signed in; the figures come with `bot.reports`."""

from __future__ import annotations

from webhook.console.page import Page, Shown, Visit


def show(visit: Visit) -> Shown:
    return Shown()


PAGE = Page("/admin", title="nav.home", show=show, template="home.html", exports=False)
