"""What a console page is made of: the `Page` a module declares, the `Visit` its code is given,
and the `Table` it shows, which is also served as CSV and JSON at the same URL (as Datasette
does: `/admin/audit`, `/admin/audit.csv`, `/admin/audit.json`).

A page module (see `webhook.console.pages.audit`) is a function and a constant:

```python
def show(visit: Visit) -> Shown:
    return Shown(table=Table(COLUMNS, visit.store.audit_log(200)))

PAGE = Page("/admin/audit", title="nav.audit", show=show, template="audit.html")
```
and one line in `webhook.console.pages.PAGES`. `show`, an `Action`'s `run` and a `Download`'s
`run` are plain functions, run in a worker thread: they may call the store and `bot` as they
like, and raise `Refusal` (`not_found()` when what the path names is not there). The guard
(`webhook.console.guard`) has checked the session, and for a POST its CSRF token, before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request

from bot import audit
from bot.console import ConsoleTexts
from bot.content import Content
from bot.stores.base import Store

if TYPE_CHECKING:
    from webhook.console.sessions import Session


@dataclass(frozen=True)
class Column:
    """One column of a table: `key` in each row (and its name in CSV and JSON), `label` the
    console.yaml key of its heading. On the page only: `labels`, a console.yaml key prefix
    that names each value (`audit.actions.` + "signin"); `names`, one that names the keys of
    a mapping value (`audit.fields.` + "client"); `empty`, the key of what None shows; `time`,
    an ISO time shown as 07/12/2026 10:05. A value or key with no sentence shows as it is."""

    key: str
    label: str
    labels: str | None = None
    names: str | None = None
    empty: str | None = None
    time: bool = False
    link: str | None = None
    """On the page only: the key in each row of the address its cell links to."""


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Shown:
    """What a page shows: a table (also its CSV and JSON), and more values for its template."""

    table: Table | None = None
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Done:
    """Where an action sends the browser (303, a local path), and a sentence to show there
    once (a console.yaml key, with its placeholders' values): what was done, or with
    `problem`, why it was not."""

    to: str
    notice: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    problem: bool = False


class Refusal(Exception):
    """Raised by a page's code: answer `status` with the console.yaml sentence `key` (a page
    that says it, or for a data route JSON)."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(f"{status} {key}")
        self.status = status
        self.key = key


def not_found() -> Refusal:
    """What the path names is not there: 404."""
    return Refusal(404, "errors.not_found")


@dataclass(frozen=True)
class File:
    """What a download sends: `body`, its bytes, or chunks of them sent as they are made
    (each read through `webhook.storecalls`: in a worker thread for a store that waits on a
    disk), saved by the browser as `name` (ASCII)."""

    body: bytes | Iterator[bytes]
    media_type: str
    name: str


@dataclass
class Visit:
    """One signed-in request, as a page's code sees it."""

    request: Request
    session: Session
    store: Store
    content: Content
    client: str
    clock: Callable[[], float]
    form: FormData | None = None
    public_url: str | None = None
    """HOCSO_PUBLIC_URL, as set (`bot.links.public_base` says whether links can be made)."""

    @property
    def name(self) -> str:
        """The signed-in account's name."""
        return self.session.name

    @property
    def texts(self) -> ConsoleTexts:
        return self.content.console

    @property
    def params(self) -> Mapping[str, Any]:
        """The path's parameters (`/admin/learners/{learner}`)."""
        return self.request.path_params

    @property
    def query(self) -> QueryParams:
        return self.request.query_params

    def audit(self, what: str, /, **detail: Any) -> None:
        """Write this account's action to the audit log: `what` one of `bot.audit.ACTIONS`
        ("export", "reload", "assign", "revoke"…), `detail` what it was done to, in small
        values (`visit.audit("revoke", code="HS-7K2P-9QXD")`), never a password."""
        audit.record(self.store, self.name, what, detail, at=self.clock())


@dataclass(frozen=True)
class Action:
    """A form's target: `POST path` runs `run` (the form in `visit.form`), which does the work,
    calls `visit.audit`, and says where to go."""

    path: str
    run: Callable[[Visit], Done]
    limit: int | None = None
    """The largest form accepted, in bytes (a file sent with it: an import); None: 64 KiB."""


@dataclass(frozen=True)
class Download:
    """`GET path` answers with the `File` that `run` makes (an export, a poster); `run`
    writes the audit log's entry when it is one."""

    path: str
    run: Callable[[Visit], File]


@dataclass(frozen=True)
class Page:
    """One page: `GET path` draws `template` (default: a heading and the table) with what
    `show` returns; with `exports`, the table is also at `path.csv` and `path.json` (each
    download in the audit log). `title` is the console.yaml key of its name, in the nav when
    `nav`. `actions`: the forms it posts to; `downloads`: the files it links to. Routes are
    tried in the order of `PAGES`, each page's downloads and actions before the page itself:
    a page such as `/admin/volunteers/{code}` comes after `/admin/volunteers`, whose actions
    are named so that no code can be the same (`/admin/volunteers/_save`)."""

    path: str
    title: str
    show: Callable[[Visit], Shown]
    template: str = "table.html"
    nav: bool = True
    exports: bool = True
    actions: tuple[Action, ...] = ()
    downloads: tuple[Download, ...] = ()

    @property
    def table_path(self) -> str:
        """Where the table's `.csv` and `.json` are: the page's path, except that the home
        page's are under `/admin/index`, since the session cookie (Path=/admin) does not go
        to `/admin.csv`."""
        return "/admin/index" if self.path == "/admin" else self.path


def table_path(path: str) -> str:
    """`Page.table_path` of a page at `path` (a request's path, with its parameters)."""
    return "/admin/index" if path.rstrip("/") == "/admin" else path
