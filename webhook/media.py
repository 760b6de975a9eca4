"""`GET /media/{path}`: the content's pictures, for channels that fetch an image by URL
(Zalo, the web chat) rather than taking an upload (Telegram).

A lesson's `image: media/otp.jpg` reaches the engine as the file's path; `public_url` turns
it into `https://hocso.example.vn/media/otp.jpg` (relative, `/media/otp.jpg`, with no
`HOCSO_PUBLIC_URL`, which only the web chat can use).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import FileResponse, Response
from starlette.routing import Route

MEDIA_PREFIX = "/media/"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def media_dir(content: Path) -> Path:
    return (content / "media").resolve()


def public_url(image: str, content: Path, base: str | None) -> str | None:
    """The URL a platform can fetch `image` from: an https URL as it is, a file under the
    content's media/ folder under `base`; None for anything else (the caller logs it)."""
    if image.startswith("https://"):
        return image
    root = media_dir(content)
    try:
        relative = Path(image).resolve().relative_to(root)
    except ValueError:
        return None
    return f"{base or ''}{MEDIA_PREFIX}{quote(relative.as_posix())}"


def media_route(content: Path) -> Route:
    root = media_dir(content)

    async def media(request: Request) -> Response:
        wanted = (root / request.path_params["path"]).resolve()
        kind = mimetypes.guess_type(wanted.name)[0]
        if not wanted.is_relative_to(root) or not wanted.is_file() or kind not in IMAGE_TYPES:
            return Response(status_code=404)
        return FileResponse(wanted, media_type=kind, headers={"Cache-Control": "max-age=86400"})

    return Route("/media/{path:path}", media, methods=["GET", "HEAD"])
