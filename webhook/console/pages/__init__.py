"""The console's pages, in the order of the nav. A page is a module of this package that makes
a `webhook.console.page.Page` (see `audit` for one with a table, also served as CSV and JSON),
and one line here; its template goes in `webhook/console/templates/`, its sentences in
`content/console.yaml` with their keys in `bot.console.TEXTS`."""

from __future__ import annotations

from webhook.console.page import Page
from webhook.console.pages import (
    areas,
    audit,
    certificates,
    content,
    exports,
    help,
    learners,
    lessons,
    overview,
    volunteers,
)

PAGES: tuple[Page, ...] = (  # the nav's order: bot.console.NAV
    overview.PAGE,
    help.PAGE,
    lessons.PAGE,
    lessons.FUNNEL,
    learners.PAGE,
    learners.ONE,
    volunteers.PAGE,  # before ONE: its actions are tried first
    volunteers.ONE,
    areas.PAGE,
    certificates.PAGE,
    content.PAGE,
    exports.PAGE,
    audit.PAGE,
)
