"""Reading a console form: the body within a limit (413 beyond it), then parsed by Starlette's
parsers (python-multipart), urlencoded or multipart. Anything else is a 415."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from webhook.intake import Refused, read_body

MAX_FORM = 64 * 1024
"""The largest form body accepted, in bytes (a sign-in is a few hundred)."""


async def read_form(request: Request, limit: int = MAX_FORM) -> FormData:
    """The form of a POST; Refused 413 (over `limit`), 415 (not a form) or 400 (malformed)."""
    body = await read_body(request, limit, "console")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body
        yield b""

    try:
        if kind == "application/x-www-form-urlencoded":
            return await FormParser(request.headers, stream(), max_fields=50).parse()
        if kind == "multipart/form-data":
            parser = MultiPartParser(request.headers, stream(), max_files=10, max_fields=50)
            return await parser.parse()
    except MultiPartException as error:
        raise Refused(400, str(error)) from error
    raise Refused(415, "a form is sent as application/x-www-form-urlencoded or multipart")
