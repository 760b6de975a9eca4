"""Drawing the console: Jinja2 templates (`templates/`, every value HTML-escaped), its one
stylesheet (`static/console.css`, under a version made from its bytes, cached for a year),
and a page's table as CSV and JSON.

Every answer carries `HEADERS`: nothing cached, no scripts at all, no framing, forms posted
only to the console itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse, JSONResponse, Response

from bot.console import ConsoleTexts
from bot.exports import csv_chunks
from bot.learner import VIETNAM
from webhook.console.page import Column, Table

HERE = Path(__file__).resolve().parent
STATIC_PREFIX = "/admin/static"
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class Stylesheet:
    body: bytes
    version: str

    @property
    def url(self) -> str:
        return f"{STATIC_PREFIX}/{self.version}/console.css"

    @classmethod
    def read(cls, path: Path = HERE / "static" / "console.css") -> Stylesheet:
        body = path.read_bytes()
        return cls(body, hashlib.sha256(body).hexdigest()[:12])

    def response(self, version: str) -> Response:
        # An old version asked for (a page drawn before a deploy) gets today's file, uncached.
        cache = "public, max-age=31536000, immutable" if version == self.version else "no-cache"
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        return Response(self.body, media_type="text/css; charset=utf-8", headers=headers)


class Renderer:
    def __init__(self, folder: Path = HERE / "templates") -> None:
        self.env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=True,
            undefined=StrictUndefined,  # a name a template misspells fails its test
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.stylesheet = Stylesheet.read()

    def draw(self, template: str, context: Mapping[str, Any]) -> str:
        return self.env.get_template(template).render(context)

    def page(
        self,
        template: str,
        context: Mapping[str, Any],
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """A page; `headers` are added to `HEADERS` (or replace one)."""
        sent = {**HEADERS, **(headers or {})}
        return HTMLResponse(self.draw(template, context), status_code=status, headers=sent)


def cell(column: Column, value: Any, texts: ConsoleTexts) -> str:
    """A value as its table cell shows it."""
    if value is None or value == "":
        return texts.text(column.empty) if column.empty else ""
    if column.time and isinstance(value, str):
        return when(value)
    if column.labels and isinstance(value, str) and column.labels + value in texts:
        return texts.text(column.labels + value)
    if isinstance(value, Mapping):
        return "; ".join(
            f"{_name(column, name, texts)}: {plain(item)}" for name, item in value.items()
        )
    return plain(value)


def _name(column: Column, name: str, texts: ConsoleTexts) -> str:
    key = f"{column.names}{name}"
    return texts.text(key) if column.names and key in texts else name


def plain(value: Any) -> str:
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(plain(item) for item in value)
    return str(value)


def when(iso: str) -> str:
    """An ISO time in Vietnam's time, as people there write it: 07/12/2026 10:05."""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if at.tzinfo is not None:
        at = at.astimezone(VIETNAM)
    return at.strftime("%d/%m/%Y %H:%M")


def table_json(table: Table) -> Response:
    rows = [{column.key: row.get(column.key) for column in table.columns} for row in table.rows]
    body = {"columns": [column.key for column in table.columns], "rows": rows}
    return JSONResponse(body, headers=HEADERS)


def table_csv(table: Table, name: str) -> Response:
    """The table as `bot.exports` writes CSV (UTF-8 with a BOM, for Excel; a text that a
    spreadsheet would take for a formula with a ' before it); a mapping or list as JSON."""
    rows = ([_csv_value(row.get(column.key)) for column in table.columns] for row in table.rows)
    body = b"".join(csv_chunks([column.key for column in table.columns], rows))
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def _csv_value(value: Any) -> Any:
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value
