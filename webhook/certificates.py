"""Certificates on the web and in the chats: the public check, and the files the chats get.

| route | what it answers |
|---|---|
| `GET /verify` | the page where anyone types a certificate's number |
| `GET /verify/NUMBER` | genuine (200: the masked name, the certificate, its skills, the date, |
| | the issuing unit), revoked (200: when; nothing of the learner) or unknown (404) |
| `GET /verify/NUMBER.json` | an Open Badges 3.0 credential (`bot.badges`); 410 revoked, 404 |
| `GET /certificate/NUMBER/KEY.png`, `.pdf` | the picture and PDF, for the chats that fetch |
| | a picture by its address (Zalo, the web chat) |

The QR code on a certificate opens `/verify/NUMBER`. Numbers carry 40 random bits; on top of
that, every client address (`HOCSO_WEB_CLIENT_HEADER` behind a proxy, as the web chat's) may
look up `HOCSO_VERIFY_RATE` numbers a second, `HOCSO_VERIFY_BURST` at once, through a token
bucket in the store (`verify:<digest>`, the address kept only as a keyed digest); over it the
page is a 429 that says when to try again. Every lookup, genuine, revoked or unknown, is
answered no sooner than `VERIFY_FLOOR` seconds after it came, so an unknown number cannot be
told by how fast it is refused. The page is one small HTML file, no script, no picture.

The files' KEY is a keyed digest of the number (the secret kept in the store, `certificates:
secret`): a chat that was sent the link can fetch them, and nobody can make a link for a number
they guessed, so the files, which show the whole name, cannot be used to enumerate the names
that /verify masks. A certificate revoked since is a 404 there too. Telegram gets the same
files uploaded (`files`); Zalo and the web chat get the addresses (`attach`): the picture as
the message's image, the PDF as a link under it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.badges import credential
from bot.certificates import Paper, certificate_pdf, certificate_png, day, paper_of
from bot.certified import Standing, masked, read_code, standing
from bot.content import Content, ContentHolder
from bot.links import why_not_public
from bot.messages import Messages
from bot.outbound import Link, Outbound
from bot.stores.base import Store
from handlers.base import Drawn, SendError
from webhook.settings import Settings
from webhook.storecalls import StoreCalls

log = logging.getLogger("hocso.certificates")

FILES_PREFIX = "/certificate/"
SECRET_KEY = "certificates:secret"
VERIFY_FLOOR = 0.3
"""Seconds: no lookup is answered sooner, whatever the number (see above)."""
FILE_NAME = "giay-chung-nhan-{code}"
_CSS = """
body{margin:0;font:18px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:#141414;background:#f7f4ec}
main{max-width:34rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;color:#0d47a1;margin:.5rem 0 1rem}
.result{border-radius:.6rem;padding:.8rem 1rem;margin:0 0 1rem;background:#fff;border:2px solid}
.genuine{border-color:#2e7d32}.revoked,.unknown{border-color:#b71c1c}
.said{font-weight:700;margin:0 0 .5rem;font-size:1.1rem}
.genuine .said{color:#1b5e20}.revoked .said,.unknown .said{color:#b71c1c}
dl{margin:0}dt{color:#545454;font-size:.9rem}dd{margin:0 0 .5rem;font-weight:600}
ul{margin:0;padding-left:1.2rem}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:1rem 0}
label{width:100%}
input{flex:1 1 10rem;min-width:0;font:inherit;padding:.6rem;border:2px solid #545454;
border-radius:.4rem;text-transform:uppercase}
button{font:inherit;font-weight:700;padding:.6rem 1.2rem;border:0;border-radius:.4rem;
background:#0d47a1;color:#fff}
.note{color:#545454;font-size:.85rem}
a{color:#0d47a1}
"""
_CSS_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src '{_CSS_HASH}'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


class Certificates:
    """One worker's way to a certificate: what a number is, its files, its addresses."""

    def __init__(
        self, settings: Settings, store: Store, store_calls: StoreCalls, content: ContentHolder
    ) -> None:
        self.settings = settings
        self.store = store
        self.store_calls = store_calls
        self.content = content
        self._key: bytes | None = None
        public = settings.public_url
        # Only a public https address goes into a QR code: one to this machine opens nothing.
        self.base = public if public and why_not_public(public) is None else None

    async def key(self) -> bytes:
        """The secret of the files' keys and of the credentials' salts, made by whichever
        worker asked first and kept in the store."""
        if self._key is None:
            made = secrets.token_hex(32)
            kept = await self.store_calls(self.store.remember_once, SECRET_KEY, made)
            self._key = kept.encode("utf-8")
        return self._key

    async def digest(self, text: str) -> str:
        key = await self.key()
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    async def standing(self, code: str) -> Standing:
        return await self.store_calls(standing, self.store, code)

    def paper(self, content: Content, found: Standing) -> Paper:
        return paper_of(content, found, issuer=self.settings.issuer, base=self.base)

    async def files(self, code: str) -> Drawn | None:
        """The picture and PDF of a certificate that stands, drawn in a thread (a few tenths
        of a second); None for one that does not. SendError when the store failed."""
        try:
            found = await self.standing(code)
        except Exception as error:
            raise SendError(f"certificate {code} could not be read: {error!r}") from error
        if found.status != "genuine":
            return None
        content = self.content.current
        paper = self.paper(content, found)
        png, pdf = await asyncio.to_thread(_both, paper, content.messages)
        return Drawn(png, pdf, FILE_NAME.format(code=code))

    async def path(self, code: str, kind: str) -> str:
        """The path of a certificate's file (`kind`: png or pdf), its key in it."""
        return f"{FILES_PREFIX}{code}/{await self.digest('file:' + code)}.{kind}"

    async def attach(self, message: Outbound, *, absolute: bool) -> Outbound:
        """`message` with its certificate as addresses: the picture as its image, the PDF as
        a link. `absolute`: under HOCSO_PUBLIC_URL, for a platform that fetches it (None of
        either without that setting: the words go alone); else relative, for the web chat."""
        code = message.certificate
        if code is None:
            return message
        words = replace(message, certificate=None)
        base = self.settings.public_url if absolute else ""
        if base is None:
            log.error("certificate %s has no address a platform can fetch (HOCSO_PUBLIC_URL)", code)
            return words
        try:
            picture, printable = await self.path(code, "png"), await self.path(code, "pdf")
        except Exception as error:
            raise SendError(f"certificate {code}'s key could not be read: {error!r}") from error
        label = self.content.current.messages.text("certificate.pdf")
        link = Link(label, f"{base}{printable}")
        return replace(words, image=f"{base}{picture}", links=(*message.links, link))


def _both(paper: Paper, messages: Messages) -> tuple[bytes, bytes]:
    return certificate_png(paper, messages), certificate_pdf(paper, messages)


def client_address(request: Request, header: str | None) -> str:
    """The client's address: the connection's, or the last of the trusted proxy's header."""
    address = request.client.host if request.client else "-"
    if header:
        given = request.headers.get(header, "").split(",")[-1].strip()
        address = given or address
    return address


def certificate_routes(
    certificates: Certificates, store_failed: Callable[[Exception], None]
) -> list[BaseRoute]:
    settings = certificates.settings
    holder = certificates.content

    async def slowed(request: Request) -> Response | None:
        """None when this client may look a number up now; else the 429 page or JSON."""
        rate, burst = settings.verify_rate, settings.verify_burst
        if rate <= 0:
            return None
        who = await certificates.digest("client:" + client_address(
            request, settings.web_limits.client_header))  # fmt: skip
        store = certificates.store
        wait = await certificates.store_calls(store.take_token, f"verify:{who}", rate, burst,
                                              time.time())  # fmt: skip
        if wait <= 0:
            return None
        seconds = max(1, math.ceil(wait))
        headers = {**PAGE_HEADERS, "Retry-After": str(seconds)}
        said = holder.current.messages.text("verify.slow_down", seconds=seconds)
        if request.path_params["code"].endswith(".json"):
            return JSONResponse({"error": said, "retry_after": seconds}, 429, headers=headers)
        return HTMLResponse(_page(holder.current.messages, _said("unknown", said), ""), 429,
                            headers=headers)  # fmt: skip

    async def verify_form(request: Request) -> Response:
        typed = request.query_params.get("code")
        if typed is not None:
            code = read_code(typed)
            target = code if code is not None else "".join(typed.split())[:40] or "-"
            return RedirectResponse(f"/verify/{target}", 303, headers={"Cache-Control": "no-store"})
        return HTMLResponse(_page(holder.current.messages, "", ""), headers=PAGE_HEADERS)

    async def verify(request: Request) -> Response:
        started = time.monotonic()
        try:
            refused = await slowed(request)
            if refused is not None:
                return refused
            typed = request.path_params["code"]
            as_json = typed.endswith(".json")
            code = read_code(typed.removesuffix(".json"))
            found = await certificates.standing(code) if code is not None else None
            content = holder.current
            if as_json:
                answer = await _credential(certificates, content, found, request)
            else:
                answer = _verdict(certificates, content, found, typed)
        except Exception as error:
            store_failed(error)
            answer = HTMLResponse("", 503, headers={"Retry-After": "5"})
        # The same answer time for every number: no telling an unknown one by its speed.
        await asyncio.sleep(max(0.0, settings.verify_floor - (time.monotonic() - started)))
        return answer

    async def files(request: Request) -> Response:
        code = read_code(request.path_params["code"])
        kind = request.path_params["kind"]
        key = request.path_params["key"]
        if code is None or code != request.path_params["code"] or kind not in ("png", "pdf"):
            return Response(status_code=404)
        try:
            expected = await certificates.digest("file:" + code)
            if not hmac.compare_digest(key, expected):
                return Response(status_code=404)
            drawn = await certificates.files(code)
        except Exception as error:
            store_failed(error)
            return Response(status_code=503, headers={"Retry-After": "5"})
        if drawn is None:
            return Response(status_code=404)
        headers = {"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"}
        if kind == "pdf":
            headers["Content-Disposition"] = f'attachment; filename="{drawn.name}.pdf"'
            return Response(drawn.pdf, media_type="application/pdf", headers=headers)
        return Response(drawn.png, media_type="image/png", headers=headers)

    return [
        Route("/verify", verify_form, methods=["GET"]),
        Route("/verify/{code}", verify, methods=["GET"]),
        Route(FILES_PREFIX + "{code}/{key}.{kind}", files, methods=["GET", "HEAD"]),
    ]


# -- the answers ------------------------------------------------------------------------------


async def _credential(
    certificates: Certificates, content: Content, found: Standing | None, request: Request
) -> Response:
    headers = {"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"}
    if found is None or found.status == "unknown":
        return JSONResponse({"status": "unknown"}, 404, headers=headers)
    if found.status == "revoked":
        body = {"status": "revoked", "code": found.code, "revoked_at": found.revoked_at}
        return JSONResponse(body, 410, headers=headers)
    base = certificates.base or str(request.base_url).rstrip("/")
    paper = paper_of(content, found, issuer=certificates.settings.issuer, base=base)
    salt = (await certificates.digest("salt:" + found.code))[:16]
    badge = credential(paper, found.certificate, content.messages, base=base, salt=salt,
                       framework_url=content.framework.url)  # fmt: skip
    text = json.dumps(badge, ensure_ascii=False, indent=1)
    return Response(text, media_type="application/json", headers=headers)


def _verdict(
    certificates: Certificates, content: Content, found: Standing | None, typed: str
) -> Response:
    say = content.messages.text
    if found is None or found.status == "unknown":
        shown = "".join(typed.split())[:40]
        body = _said("unknown", say("verify.unknown", code=shown))
        return HTMLResponse(_page(content.messages, body, ""), 404, headers=PAGE_HEADERS)
    certificate = content.certificate(found.certificate)
    title = certificate.title if certificate else found.certificate
    rows = [(say("verify.number"), html.escape(found.code))]
    if found.status == "revoked":
        key = "verify.replaced" if found.replaced_by else "verify.revoked"
        rows.append((say("verify.certificate"), html.escape(title)))
        body = _said("revoked", say(key, date=day(found.revoked_at or "")), rows)
        return HTMLResponse(_page(content.messages, body, found.code), headers=PAGE_HEADERS)
    paper = certificates.paper(content, found)
    name = masked(found.name) if found.name else say("paper.no_name")
    rows += [
        (say("verify.name"), html.escape(name)),
        (say("verify.certificate"), html.escape(title)),
    ]
    if paper.skills:
        items = "".join(
            f"<li>{html.escape(f'{code} {named}'.strip())}</li>" for code, named in paper.skills
        )
        rows.append((say("verify.skills"), f"<ul>{items}</ul>"))
    rows += [
        (say("verify.date"), html.escape(day(found.earned_at))),
        (say("verify.issuer"), html.escape(paper.issuer)),
    ]
    badge = f'<p><a href="/verify/{found.code}.json">{html.escape(say("verify.badge"))}</a></p>'
    body = _said("genuine", say("verify.genuine"), rows) + badge
    return HTMLResponse(_page(content.messages, body, found.code), headers=PAGE_HEADERS)


def _said(kind: str, sentence: str, rows: list[tuple[str, str]] | None = None) -> str:
    """The verdict: its sentence, and its rows (their values HTML already)."""
    listed = "".join(f"<dt>{html.escape(term)}</dt><dd>{value}</dd>" for term, value in rows or [])
    facts = f"<dl>{listed}</dl>" if listed else ""
    return (
        f'<section class="result {kind}" role="status" aria-live="polite">'
        f'<p class="said">{html.escape(sentence)}</p>{facts}</section>'
    )


def _page(messages: Messages, result: str, code: str) -> str:
    say = messages.text
    again = say("verify.again") if result else say("verify.button")
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(say('verify.title'))}</title><style>{_CSS}</style></head>"
        f"<body><main><h1>{html.escape(say('verify.title'))}</h1>{result}"
        f"<p>{html.escape(say('verify.intro'))}</p>"
        '<form method="get" action="/verify">'
        f'<label for="code">{html.escape(say("verify.label"))}</label>'
        '<input id="code" name="code" inputmode="text" autocomplete="off" '
        'autocapitalize="characters" spellcheck="false" maxlength="20" '
        'placeholder="HS-XXXX-XXXX" required>'
        f"<button>{html.escape(again)}</button></form>"
        f'<p class="note">{html.escape(say("verify.note"))}</p></main></body></html>'
    )


_HTML = {"text/html": {"schema": {"type": "string"}}}
_NUMBER = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "the number printed on the certificate, e.g. HS-7K2P-9QXD (any case, with "
    "or without dashes); with .json at its end, the Open Badges credential",
}
_SLOWED = {"description": "over this client's lookups (HOCSO_VERIFY_RATE): wait Retry-After"}
CERTIFICATE_OPENAPI: dict[str, Any] = {
    "/verify": {
        "get": {
            "summary": "The page where anyone checks a certificate's number",
            "description": "With `code`, sends to /verify/CODE (303).",
            "parameters": [
                {"name": "code", "in": "query", "required": False, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {"description": "the page", "content": _HTML},
                "303": {"description": "to the number's page"},
            },
        }
    },
    "/verify/{code}": {
        "get": {
            "summary": "Whether a certificate's number is genuine",
            "description": "The masked name, the certificate, its skills, the date and the "
            "issuing unit of a genuine number; that it was revoked, and when; or that no "
            "certificate has it. With .json at its end: the certificate as an Open Badges 3.0 "
            "credential (OpenBadgeCredential), the recipient a salted hash of the name. Every "
            "number is answered in the same time.",
            "parameters": [_NUMBER],
            "responses": {
                "200": {"description": "genuine, or revoked (the page says so, and when)"},
                "404": {"description": "no certificate has this number"},
                "410": {"description": "the credential (.json) of a revoked number"},
                "429": _SLOWED,
                "503": {"description": "the store failed; try again later"},
            },
        }
    },
    "/certificate/{code}/{key}.{kind}": {
        "get": {
            "summary": "A certificate's picture (png) or PDF (pdf), for the chats",
            "description": "The address the chats were sent: `key` is made by the service for "
            "the number; any other is a 404, and so is a certificate revoked since.",
            "parameters": [
                {**_NUMBER, "description": "the certificate's number"},
                {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["png", "pdf"]},
                },
            ],
            "responses": {
                "200": {"description": "the file (image/png, application/pdf)"},
                "404": {"description": "no such file"},
                "503": {"description": "the store failed; try again later"},
            },
        }
    },
}

__all__ = [
    "CERTIFICATE_OPENAPI",
    "FILES_PREFIX",
    "Certificates",
    "certificate_routes",
    "client_address",
]
