"""An `Outbound` as the JSON the web chat page shows (one entry of a learner's transcript).

```json
{"seq": 3, "text": "Trên Android, bác mở *CH Play*.",
 "runs": [{"text": "Trên Android, bác mở "}, {"text": "CH Play", "bold": true}, {"text": "."}],
 "buttons": [{"label": "Tiếp tục ▶", "payload": "c:mau:android"}],
 "links": [{"label": "Mở App Store", "url": "https://apps.apple.com"}],
 "image": "/media/ch-play.png"}
```
`runs` is the text read the way every channel reads it (`lessons.markup.runs`), so the page
styles it without parsing markers itself and never puts server text into HTML. `image` is a
URL the page can load (relative `/media/...` for a content file), or null.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.outbound import Outbound
from lessons.markup import runs

log = logging.getLogger(__name__)

ImageUrl = Callable[[str], "str | None"]
"""Where the page loads a message's image from (see `webhook.media.public_url`)."""


def render(message: Outbound, seq: int, image_url: ImageUrl) -> dict[str, Any]:
    """The transcript entry numbered `seq` for `message`."""
    image = None
    if message.image:
        image = image_url(message.image)
        if image is None:  # a content problem (lint reports it); the words still go
            log.error("image %s has no URL the web chat can load; sent without it", message.image)
    return {
        "seq": seq,
        "text": message.text,
        "runs": [_run(run.text, run.bold, run.italic) for run in runs(message.text)],
        "buttons": [
            {"label": button.label, "payload": button.payload} for button in message.buttons
        ],
        "links": [{"label": link.label, "url": link.url} for link in message.links],
        "image": image,
    }


def _run(text: str, bold: bool, italic: bool) -> dict[str, Any]:
    run: dict[str, Any] = {"text": text}
    if bold:
        run["bold"] = True
    if italic:
        run["italic"] = True
    return run
