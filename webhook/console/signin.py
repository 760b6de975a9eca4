"""Signing in (`GET`/`POST /admin/login`) and out (`POST /admin/logout`).

The sign-in form carries a token of its own (`SIGNIN_COOKIE`, double-submitted: the cookie and
the form's `csrf` field must be the same) since there is no session yet; without it, 403.
An attempt over the limits (`webhook.console.throttle`) is a 429 and checks no password. An
unknown name and a wrong password get the same answer (401, `signin.failed`) after the same
work (a hash checked, the account looked up, an audit entry written). A success starts a new
session (a new token: one set before signing in is never used after), and goes to `next` when
it is a console path, else to /admin. Both are in the audit log, with the client's address,
never the password; a failure names the account only when there is one.
"""

from __future__ import annotations

import hmac
import logging
import math
from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from webhook.console.forms import read_form
from webhook.console.guard import HOME, SIGNIN, Handler, local
from webhook.console.page import Visit
from webhook.console.sessions import COOKIE, SIGNIN_COOKIE, new_token, well_formed
from webhook.intake import Refused

if TYPE_CHECKING:
    from webhook.console.app import Console

log = logging.getLogger("hocso.console")

MAX_SIGNIN = 8 * 1024  # bytes of a sign-in form; names and passwords are short
MAX_NAME = 64


class SignIn:
    """The sign-in page and its form: an ASGI endpoint, open to all."""

    public = True

    def __init__(self, console: Console) -> None:
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method in ("GET", "HEAD"):
            response = await self.page(request)
        elif request.method == "POST":
            response = await self.submit(request)
        else:
            response = self.console.problem(request, None, 405, "errors.not_allowed", False)
            response.headers["Allow"] = "GET, HEAD, POST"
        await response(scope, receive, send)

    async def page(self, request: Request) -> Response:
        console = self.console
        back = local(request.query_params.get("next"))
        try:
            signed = await console.session_of(request)
        except Exception as error:
            if not console.store_failed(error):
                raise
            signed = None  # the form still shows; signing in will say the store is down
        if signed is not None:
            return RedirectResponse(back or HOME, 303, headers={"Cache-Control": "no-store"})
        notice = None
        if "bye" in request.query_params:
            notice = "signin.signed_out"
        elif "expired" in request.query_params:
            notice = "signin.expired"
        return self.form(request, back=back, notice=notice)

    def form(
        self,
        request: Request,
        *,
        back: str | None,
        name: str = "",
        problem: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Response:
        console = self.console
        kept = request.cookies.get(SIGNIN_COOKIE)
        token = kept if kept is not None and well_formed(kept) else new_token()
        texts = console.texts
        context = {
            **console.frame(request, None, "signin.title"),
            "notice": texts.text(notice) if notice else None,
            "problem": problem,
            "name": name,
            "next": back or "",
            "signin_csrf": token,
        }
        response = console.renderer.page("login.html", context, status)
        console.set_cookie(response, request, SIGNIN_COOKIE, token, SIGNIN)
        return response

    async def submit(self, request: Request) -> Response:
        console = self.console
        try:
            form = await read_form(request, MAX_SIGNIN)
        except Refused as refused:
            if refused.status == 413:
                return console.problem(request, None, 413, "errors.too_large", False)
            form = FormData()  # not a form, or a broken one: it has no token either
        kept, given = request.cookies.get(SIGNIN_COOKIE), form.get("csrf")
        if not (
            kept is not None
            and well_formed(kept)
            and isinstance(given, str)
            and hmac.compare_digest(given.encode(), kept.encode())
        ):
            log.warning("console sign-in without its form's token", extra={"status": 403})
            return console.problem(request, None, 403, "errors.forbidden", False)
        name = _text(form.get("name"))[:MAX_NAME]
        password = _text(form.get("password"))
        back = local(form.get("next"))
        client = console.client(request)
        texts = console.texts
        try:
            wait = await console.run(console.throttle.attempt, client, name)
            if wait > 0:
                log.warning("console sign-in over the limit", extra={"status": 429})
                minutes = math.ceil(wait / 60)
                problem = texts.text("signin.wait", minutes=minutes)
                response = self.form(request, back=back, name=name, problem=problem, status=429)
                response.headers["Retry-After"] = str(math.ceil(wait))
                return response
            account = await console.check_password(name, password)
            if account is None:
                await console.run(console.failed_signin, name, client)
                log.warning("console sign-in refused", extra={"status": 401})
                problem = texts.text("signin.failed")
                return self.form(request, back=back, name=name, problem=problem, status=401)
            token = await console.run(console.signed_in, account.name, client)
        except Exception as error:
            if not console.store_failed(error):
                raise
            return console.problem(request, None, 503, "errors.store_down", False)
        log.info("console sign-in", extra={"status": 303})
        response = RedirectResponse(back or HOME, 303, headers={"Cache-Control": "no-store"})
        console.set_cookie(response, request, COOKIE, token, HOME)
        console.delete_cookie(response, request, SIGNIN_COOKIE, SIGNIN)
        return response


def sign_out(console: Console) -> Handler:
    """POST /admin/logout (behind the guard: signed in, its CSRF token checked)."""

    async def handler(visit: Visit, token: str) -> Response:
        await console.run(console.signed_out, visit, token)
        response = RedirectResponse(f"{SIGNIN}?bye=1", 303, headers={"Cache-Control": "no-store"})
        console.delete_cookie(response, visit.request, COOKIE, HOME)
        return response

    return handler


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
