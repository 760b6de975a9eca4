"""`GET /media/{path}`: the content's pictures, for channels that fetch an image by URL
(Zalo, the web chat) rather than taking an upload (Telegram).

A lesson's `image: media/otp.jpg` reaches the engine as the file's path; `public_url` turns
it into `https://hocso.example.vn/media/otp.jpg` (relative, `/media/otp.jpg`, with no
`HOCSO_PUBLIC_URL`, which only the web chat can use).

Anything but a picture under media/ is a 404: a path outside it, a missing file, and a path
no file can have (a NUL byte, too long for the file system), which also logs one line that
says why without quoting the path:

```json
{"msg": "media path refused: a NUL byte in 12 characters", "status": 404}
```
"""

from __future__ import annotations

import errno
import logging
import mimetypes
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import FileResponse, Response
from starlette.routing import Route

log = logging.getLogger("hocso.webhook")

MEDIA_PREFIX = "/media/"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
MAX_PATH = 255  # characters after /media/: the content's file names are far shorter


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
        wanted = picture(root, request.path_params["path"])
        if wanted is None:
            return Response(status_code=404)
        kind = mimetypes.guess_type(wanted.name)[0]
        return FileResponse(wanted, media_type=kind, headers={"Cache-Control": "max-age=86400"})

    return Route("/media/{path:path}", media, methods=["GET", "HEAD"])


def picture(root: Path, path: str) -> Path | None:
    """The picture file `path` names under `root`; None for anything else."""
    why = unusable(path)
    if why is None:
        try:
            wanted = (root / path).resolve()
            if not wanted.is_relative_to(root) or not wanted.is_file():
                return None
            return wanted if mimetypes.guess_type(wanted.name)[0] in IMAGE_TYPES else None
        except OSError as error:  # a name over NAME_MAX bytes (a Vietnamese letter is 2-3)
            why = errno.errorcode.get(error.errno or 0, type(error).__name__)
        except ValueError as error:
            why = type(error).__name__
    log.warning("media path refused: %s", why, extra={"status": 404})
    return None


def unusable(path: str) -> str | None:
    """Why no file can have this path, without quoting it; None when one may."""
    if "\x00" in path:
        return f"a NUL byte in {len(path)} characters"
    if len(path) > MAX_PATH:
        return f"{len(path)} characters, over {MAX_PATH}"
    return None
