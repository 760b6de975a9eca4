"""The door of every console route but the sign-in page and the stylesheet.

Without a session (no cookie, or one whose session is over): a data route (a path ending in
`.csv` or `.json`, or under `/admin/api/`) answers 401; any other answers 303 to the sign-in
page, with where to come back (`next`, a local path only), whatever the method. With one: a
POST must carry the session's CSRF token in its `csrf` field, else 403, before anything else
is looked at; a method the route does not take is a 405.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from webhook.console.forms import MAX_FORM, read_form
from webhook.console.page import Visit
from webhook.console.sessions import COOKIE, Session
from webhook.intake import Refused

if TYPE_CHECKING:
    from webhook.console.app import Console

log = logging.getLogger("hocso.console")

SIGNIN = "/admin/login"
HOME = "/admin"
Handler = Callable[[Visit, str], Awaitable[Response]]
"""What a route does for a signed-in request: given the visit and the session's token."""


def is_data(path: str) -> bool:
    """Whether a path is data (401 without a session) rather than a page (303)."""
    return path.endswith((".csv", ".json")) or path.startswith("/admin/api/")


def local(target: object) -> str | None:
    """`target` when it is a console path of this site (to go back to after signing in), else
    None: never another site (`//host`, `https://…`, `/\\host`), nor the sign-in page itself."""
    if not isinstance(target, str) or not 0 < len(target) <= 2000:
        return None
    if any(ord(char) < 32 or char in "\\\x7f" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    if parts.path != HOME and not parts.path.startswith(HOME + "/"):
        return None
    if parts.path in (SIGNIN, "/admin/logout"):
        return None
    return target


def to_signin(request: Request, *, expired: bool = False) -> Response:
    """303 to the sign-in page, remembering the page asked for (a GET of it)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = {"next": target} if local(target) and target != HOME else {}
    if expired:
        query["expired"] = "1"
    location = SIGNIN + (f"?{urlencode(query)}" if query else "")
    return RedirectResponse(location, 303, headers={"Cache-Control": "no-store"})


def csrf_ok(form: FormData, session: Session) -> bool:
    given = form.get("csrf")
    return isinstance(given, str) and hmac.compare_digest(given.encode(), session.csrf.encode())


class Guarded:
    """An ASGI endpoint: the door above, then the handler for the method (HEAD is GET)."""

    public = False

    def __init__(
        self, console: Console, handlers: Mapping[str, Handler], limit: int = MAX_FORM
    ) -> None:
        self.console = console
        self.handlers = handlers
        self.limit = limit  # the largest form body a POST may send

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.answer(request)
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        console = self.console
        data = is_data(request.url.path)
        try:
            signed = await console.session_of(request)
        except Exception as error:
            if not console.store_failed(error):
                raise
            return console.problem(request, None, 503, "errors.store_down", data)
        if signed is None:
            if data:
                return console.unauthorised()
            return to_signin(request, expired=COOKIE in request.cookies)
        token, session = signed
        method = "GET" if request.method == "HEAD" else request.method
        form = None
        if method == "POST":  # the token first, even where POST is refused
            try:
                form = await read_form(request, self.limit)
            except Refused as refused:
                if refused.status == 413:
                    return console.problem(request, session, 413, "errors.too_large", data)
                form = FormData()  # not a form, or a broken one: it has no token either
            if not csrf_ok(form, session):
                log.warning("console POST without its CSRF token", extra={"status": 403})
                return console.problem(request, session, 403, "errors.forbidden", data)
        handler = self.handlers.get(method)
        if handler is None:
            allowed = sorted({*self.handlers, *(["HEAD"] if "GET" in self.handlers else [])})
            response = console.problem(request, session, 405, "errors.not_allowed", data)
            response.headers["Allow"] = ", ".join(allowed)
            return response
        visit = console.visit(request, session, form)
        try:
            return await handler(visit, token)
        except Exception as error:
            if not console.store_failed(error):
                raise
            return console.problem(request, session, 503, "errors.store_down", data)
