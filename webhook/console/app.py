"""The console as one object: its accounts, sessions, throttle and drawing, shared by every
route, and the routes themselves (`Console.routes`), mounted by `webhook.app.create_app`.

| route | who may call it |
|---|---|
| `GET`, `POST /admin/login` | anyone: the sign-in page and its form (`webhook.console.signin`) |
| `GET /admin/static/<version>/console.css` | anyone: the stylesheet |
| `POST /admin/logout` | signed in |
| every page of `webhook.console.pages.PAGES`, its `.csv`, `.json`, actions, downloads | signed in |
| `/admin/<anything else>` | signed in: 404 (without a session, 303 or 401 as for the rest) |
| `GET /v/<token>` | anyone with a volunteer's private link (`webhook.console.volunteer_view`) |
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio.to_thread
import redis
from anyio import CapacityLimiter
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from bot import audit
from bot.accounts import Account, Accounts
from bot.console import ConsoleTexts
from bot.content import Content
from webhook.console.forms import MAX_FORM
from webhook.console.guard import HOME, SIGNIN, Guarded, Handler, is_data, local
from webhook.console.page import Action, Download, Page, Refusal, Visit, table_path
from webhook.console.pages import PAGES
from webhook.console.render import (
    HEADERS,
    STATIC_PREFIX,
    Renderer,
    cell,
    table_csv,
    table_json,
    when,
)
from webhook.console.sessions import COOKIE, Session, Sessions
from webhook.console.signin import SignIn, sign_out
from webhook.console.throttle import Throttle
from webhook.console.volunteer_view import VIEW, VolunteerView
from webhook.service import Service
from webhook.storecalls import StoreUnavailable

log = logging.getLogger("hocso.console")
T = TypeVar("T")

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
STORE_ERRORS = (redis.RedisError, sqlite3.Error)
PASSWORD_CHECKS = 2
"""Passwords checked at once, per worker: each check takes 64 MiB for about 0.2 s."""


class Console:
    def __init__(
        self,
        service: Service,
        pages: Sequence[Page] = PAGES,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.pages = tuple(pages)
        self.clock = clock  # tests move time on
        self.accounts = Accounts(service.store, clock=self.now)
        self.sessions = Sessions(service.store, self.now)
        self.throttle = Throttle(service.store, self.now)
        self.renderer = Renderer()
        self._checks = CapacityLimiter(PASSWORD_CHECKS)
        public = urlsplit(service.settings.public_url or "")
        # The public https address, reached through a proxy that does not say so: Secure too.
        self._secure_host = public.netloc if public.scheme == "https" else None
        for page in self.pages:
            if page.nav and "{" in page.path:
                raise ValueError(f"{page.path}: a page in the nav cannot have parameters")

    def now(self) -> float:
        return self.clock()

    @property
    def content(self) -> Content:
        return self.service.content.current

    @property
    def texts(self) -> ConsoleTexts:
        return self.content.console

    # -- the routes --------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(SIGNIN, SignIn(self)),
            Route(STATIC_PREFIX + "/{version}/{name}", Stylesheet(self)),
            Route("/admin/logout", Guarded(self, {"POST": sign_out(self)})),
        ]
        for page in self.pages:
            if page.exports:  # before the page: `/admin/x/{id}` would match `….csv` too
                for kind in ("csv", "json"):
                    routes.append(
                        Route(
                            f"{page.table_path}.{kind}", self._guard(GET=self._export(page, kind))
                        )
                    )
            for download in page.downloads:
                routes.append(Route(download.path, self._guard(GET=self._download(download))))
            for action in page.actions:
                handlers = {"POST": self._act(page, action)}
                routes.append(Route(action.path, Guarded(self, handlers, action.limit or MAX_FORM)))
            routes.append(Route(page.path, self._guard(GET=self._show(page))))
        routes.append(
            Route("/admin/{rest:path}", Guarded(self, dict.fromkeys(METHODS, self._nowhere)))
        )
        routes.append(Route(VIEW, VolunteerView(self)))
        return routes

    def _guard(self, **handlers: Handler) -> Guarded:
        return Guarded(self, handlers)

    def _show(self, page: Page) -> Handler:
        async def handler(visit: Visit, token: str) -> Response:
            def draw() -> Response:
                try:
                    shown = page.show(visit)
                except Refusal as refusal:
                    return self.refuse(visit, refusal)
                notice, problem = self.take_notice(token, visit.session) or (None, False)
                exports = None
                if page.exports and shown.table is not None:
                    query = visit.request.url.query
                    tail = f"?{query}" if query else ""
                    path = table_path(visit.request.url.path)
                    exports = {"csv": f"{path}.csv{tail}", "json": f"{path}.json{tail}"}
                texts = visit.texts
                context = {
                    **self.frame(visit.request, visit.session, page.title),
                    "notice": notice,
                    "notice_problem": problem,
                    "table": shown.table,
                    "exports": exports,
                    "cell": lambda column, row: cell(column, row.get(column.key), texts),
                    "when": when,
                    **shown.values,
                }
                return self.renderer.page(page.template, context)

            return await self.run(draw)

        return handler

    def _export(self, page: Page, kind: str) -> Handler:
        async def handler(visit: Visit, token: str) -> Response:
            def export() -> Response:
                try:
                    shown = page.show(visit)
                except Refusal as refusal:
                    return self.refuse(visit, refusal)
                if shown.table is None:
                    return self.problem(visit.request, visit.session, 404, "errors.not_found", True)
                path = visit.request.url.path
                visit.audit("export", page=path, format=kind)
                if kind == "json":
                    return table_json(shown.table)
                return table_csv(shown.table, file_name(path))

            return await self.run(export)

        return handler

    def _act(self, page: Page, action: Action) -> Handler:
        async def handler(visit: Visit, token: str) -> Response:
            try:
                done = await self.run(action.run, visit)
            except Refusal as refusal:
                return self.refuse(visit, refusal)
            if done.notice is not None:
                notice = (done.notice, dict(done.values))
                noticed = replace(visit.session, notice=notice, problem=done.problem)
                await self.run(self.sessions.save, token, noticed)
            to = local(done.to) or page.path
            return RedirectResponse(to, 303, headers={"Cache-Control": "no-store"})

        return handler

    def _download(self, download: Download) -> Handler:
        async def handler(visit: Visit, token: str) -> Response:
            try:
                file = await self.run(download.run, visit)
            except Refusal as refusal:
                return self.refuse(visit, refusal)
            disposition = f'attachment; filename="{file.name}"'
            headers = {**HEADERS, "Content-Disposition": disposition}
            if isinstance(file.body, bytes):
                return Response(file.body, media_type=file.media_type, headers=headers)
            body = self._stream(file.body)
            return StreamingResponse(body, media_type=file.media_type, headers=headers)

        return handler

    async def _stream(self, chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
        """Each chunk as the store gives it, as the webhook calls the store: in a worker
        thread when it waits on a disk (SQLite), else at once. A store that fails half-way
        ends the answer unfinished (the browser says the download failed: never a short file
        that looks whole)."""
        calls = self.service.store_calls
        try:
            while (chunk := await calls(next, chunks, None)) is not None:
                yield chunk
        except Exception as error:
            self.store_failed(error)  # logged when it is the store
            raise

    async def _nowhere(self, visit: Visit, token: str) -> Response:
        if visit.request.url.path == HOME + "/" and visit.request.method in ("GET", "HEAD"):
            return RedirectResponse(HOME, 303)
        data = is_data(visit.request.url.path)
        return self.problem(visit.request, visit.session, 404, "errors.not_found", data)

    # -- sessions and accounts ---------------------------------------------------------------

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """Run a blocking call (the store, a page's code) in a worker thread."""
        return await anyio.to_thread.run_sync(functools.partial(call, *args))

    async def session_of(self, request: Request) -> tuple[str, Session] | None:
        """The request's session token and session, when it has one that is not over."""
        down = self.service.store_calls.down
        if down is not None:
            raise StoreUnavailable(f"the store does not answer ({down})")
        token = request.cookies.get(COOKIE)
        if token is None:
            return None
        session = await self.run(self._session, token)
        return None if session is None else (token, session)

    def _session(self, token: str) -> Session | None:
        session = self.sessions.find(token)
        if session is None:
            return None
        account = self.accounts.get(session.name)
        # A password set again since, or the account removed: the session is over.
        if account is None or account.password_set > session.since:
            return None
        return session

    async def check_password(self, name: str, password: str) -> Account | None:
        check = functools.partial(self.accounts.check, name, password)
        return await anyio.to_thread.run_sync(check, limiter=self._checks)

    def failed_signin(self, name: str, client: str) -> None:
        known = self.accounts.get(name) if name else None
        who = None if known is None else known.name
        audit.record(self.service.store, who, "signin_failed", {"client": client}, at=self.now())

    def signed_in(self, name: str, client: str) -> str:
        token, _ = self.sessions.start(name)
        audit.record(self.service.store, name, "signin", {"client": client}, at=self.now())
        return token

    def signed_out(self, visit: Visit, token: str) -> None:
        self.sessions.end(token)
        visit.audit("signout")

    def take_notice(self, token: str, session: Session) -> tuple[str, bool] | None:
        """The sentence a session keeps to show once, forgotten now, and whether it says why
        something was not done."""
        if session.notice is None:
            return None
        key, values = session.notice
        self.sessions.save(token, replace(session, notice=None, problem=False))
        return self.texts.text(key, **values), session.problem

    def visit(self, request: Request, session: Session, form: FormData | None) -> Visit:
        return Visit(
            request=request,
            session=session,
            store=self.service.store,
            content=self.content,
            client=self.client(request),
            clock=self.now,
            form=form,
            public_url=self.service.settings.public_url,
        )

    # -- requests and answers ----------------------------------------------------------------

    def client(self, request: Request) -> str:
        """The client's address: the connection's, or the last of the trusted proxy's header
        (HOCSO_WEB_CLIENT_HEADER) when it is set."""
        address = request.client.host if request.client else "-"
        header = self.service.settings.web_limits.client_header
        if header:
            given = request.headers.get(header, "").split(",")[-1].strip()
            address = given or address
        return address

    def secure(self, request: Request) -> bool:
        return request.url.scheme == "https" or request.headers.get("host") == self._secure_host

    def set_cookie(
        self, response: Response, request: Request, name: str, value: str, path: str
    ) -> None:
        """A cookie for this browser's session only (gone when it is closed): not readable by
        scripts, never sent with a request another site starts, Secure on https."""
        response.set_cookie(
            name, value, path=path, httponly=True, samesite="strict", secure=self.secure(request)
        )

    def delete_cookie(self, response: Response, request: Request, name: str, path: str) -> None:
        response.delete_cookie(
            name, path=path, httponly=True, samesite="strict", secure=self.secure(request)
        )

    def frame(self, request: Request, session: Session | None, title: str) -> dict[str, Any]:
        """What every page's layout (`base.html`) needs."""
        texts = self.texts
        csrf = (
            Markup('<input type="hidden" name="csrf" value="{}">').format(session.csrf)
            if session
            else ""
        )
        return {
            "t": texts.text,
            "css": self.renderer.stylesheet.url,
            "title": title,
            "account": session.name if session else None,
            "nav": self.nav(request.url.path) if session else [],
            "csrf": csrf,
            "notice": None,
            "notice_problem": False,
        }

    def nav(self, path: str) -> list[dict[str, Any]]:
        return [
            {
                "path": page.path,
                "title": page.title,
                "current": path == page.path
                or (page.path != HOME and path.startswith(page.path + "/")),
            }
            for page in self.pages
            if page.nav
        ]

    def problem(
        self, request: Request, session: Session | None, status: int, key: str, data: bool
    ) -> Response:
        """An error: for a data route, JSON (`error`, the console.yaml key; `message`, its
        sentence); else a page that says it."""
        message = self.texts.text(key)
        if data:
            body = {"ok": False, "error": key, "message": message}
            return JSONResponse(body, status_code=status, headers=HEADERS)
        context = {**self.frame(request, session, "errors.title"), "problem": message}
        return self.renderer.page("error.html", context, status)

    def refuse(self, visit: Visit, refusal: Refusal) -> Response:
        data = is_data(visit.request.url.path)
        return self.problem(visit.request, visit.session, refusal.status, refusal.key, data)

    def unauthorised(self) -> Response:
        body = {
            "ok": False,
            "error": "errors.signed_out",
            "message": self.texts.text("errors.signed_out"),
        }
        return JSONResponse(body, status_code=401, headers=HEADERS)

    def store_failed(self, error: Exception) -> bool:
        """Whether `error` is the store failing (then logged, and answered 503)."""
        if not isinstance(error, STORE_ERRORS):
            return False
        self.service.store_failures.log(log, "console: the store failed", error, {"status": 503})
        return True


def file_name(path: str) -> str:
    """A download's name from its path: `/admin/learners/v12.csv` is `hocso-learners-v12`."""
    words = re.sub(r"[^a-z0-9]+", "-", path[len(HOME) :].rsplit(".", 1)[0].lower()).strip("-")
    return f"hocso-{words or 'tong-quan'}"


class Stylesheet:
    """`GET /admin/static/<version>/console.css`: open to all (the sign-in page needs it)."""

    public = True

    def __init__(self, console: Console) -> None:
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response: Response
        if request.method not in ("GET", "HEAD") or request.path_params["name"] != "console.css":
            response = Response(status_code=404 if request.method in ("GET", "HEAD") else 405)
        else:
            response = self.console.renderer.stylesheet.response(request.path_params["version"])
        await response(scope, receive, send)
