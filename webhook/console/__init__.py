"""The web console at `/admin`, for commune teams and admins: server-drawn pages (Jinja2, no
script), signed in with an account of `hocso admin add`.

| module | what it owns |
|---|---|
| `app` | `Console`: accounts, sessions, throttle, drawing; its routes |
| `guard` | the door of every route: 303 to sign in, 401 for data, the CSRF check, 405 |
| `signin` | the sign-in page and form, signing out |
| `sessions` | session tokens, kept hashed in the store with a ttl |
| `throttle` | slowing down failed sign-ins, per address and per name |
| `page` | `Page`, `Action`, `Table`, `Visit`: what a page module is made of |
| `pages` | the pages, in the order of the nav (`PAGES`) |
| `render` | templates, the stylesheet, tables as CSV and JSON |
| `forms` | reading a form within a limit |

Every sentence comes from the content's `console.yaml` (`bot.console`).
"""

from __future__ import annotations

from webhook.console.app import Console
from webhook.console.page import (
    Action,
    Column,
    Done,
    Download,
    File,
    Page,
    Refusal,
    Shown,
    Table,
    Visit,
)

__all__ = [
    "Action",
    "Column",
    "Console",
    "Done",
    "Download",
    "File",
    "Page",
    "Refusal",
    "Shown",
    "Table",
    "Visit",
]
