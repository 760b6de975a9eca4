"""Nhật ký (`/admin/audit`, `.csv`, `.json`): the last entries of the audit log, newest first:
who did what, when, to what (`bot.audit`)."""

from __future__ import annotations

from webhook.console.page import Column, Page, Shown, Table, Visit

SHOWN = 200

COLUMNS = (
    Column("at", "audit.at", time=True),
    Column("who", "audit.who", empty="audit.nobody"),
    Column("what", "audit.what", labels="audit.actions."),
    Column("detail", "audit.detail", names="audit.fields."),
)


def show(visit: Visit) -> Shown:
    return Shown(table=Table(COLUMNS, visit.store.audit_log(SHOWN)))


PAGE = Page("/admin/audit", title="nav.audit", show=show, template="audit.html")
