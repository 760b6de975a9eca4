"""A volunteer's own page, `GET /v/<token>`: open to whoever has their private link (made on
their console page, or with `hocso volunteer link`), with no session and no script, light
enough for a cheap phone. It shows only that volunteer's learners, names masked, sorted into
what to do about them (`bot.roster.follow_up`): who asked for a person and waits (their code,
how long, where in which lesson: no link, no words), who stopped mid-lesson and on which step,
who has not come back for a week, who is learning, who passed; and every lesson's link
carrying their code, each with one tap to send it (by SMS or Telegram) or to copy.

Every request first takes a token of its client's bucket (`Throttle.visit`, shared by every
worker through the store): over it, 429 whatever the token, so nobody can try many. An
unknown or revoked token is a plain 404 page. Nothing is cached, no referrer is sent.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bot.places import Places, volunteer_for_token
from bot.roster import Line, follow_up, mask_name
from bot.stores.base import Store
from bot.tally import seconds
from webhook.console.lesson_links import lesson_links, lesson_title, step_number
from webhook.console.pages.help import waited, where_in

if TYPE_CHECKING:
    from webhook.console.app import Console

VIEW = "/v/{token}"
HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


class VolunteerView:
    """The page: an ASGI endpoint, open to all (the token is the key)."""

    public = True

    def __init__(self, console: Console) -> None:
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method in ("GET", "HEAD"):
            response = await self.answer(request)
        else:
            response = self.refusal(405, "errors.not_allowed")
            response.headers["Allow"] = "GET, HEAD"
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        console = self.console
        try:
            if console.service.store_calls.down is not None:
                return self.refusal(503, "errors.store_down")
            wait = await console.run(console.throttle.visit, console.client(request))
            if wait > 0:
                response = self.refusal(429, "volunteer_view.wait")
                response.headers["Retry-After"] = str(math.ceil(wait))
                return response
            context = await console.run(self.context, str(request.path_params["token"]))
        except Exception as error:
            if not console.store_failed(error):
                raise
            return self.refusal(503, "errors.store_down")
        if context is None:
            return self.refusal(404, "volunteer_view.not_found")
        return console.renderer.page("volunteer_view.html", context, headers=HEADERS)

    def refusal(self, status: int, key: str) -> Response:
        texts = self.console.texts
        context = {"t": texts.text, "css": self.console.renderer.stylesheet.url, "problem": key}
        return self.console.renderer.page("volunteer_view_problem.html", context, status, HEADERS)

    def waiting(self, store: Store, code: str, now: float) -> list[dict[str, str]]:
        """The volunteer's learners who wait for a person, the longest first: masked name,
        the request's code, how long, where (`volunteer_view.help_line`)."""
        texts = self.console.texts
        content = self.console.content
        ids = [learner for learner, _ in store.due("help", now + 1e9, 500)]
        rows = store.rows(ids)
        found = []
        for learner_id, row in zip(ids, rows, strict=True):
            if row is None or row.get("volunteer") != code:
                continue
            learner = store.get(learner_id)
            request = learner.help if learner is not None else None
            if learner is None or request is None:
                continue
            minutes = max(0, int((now - seconds(request.opened_at)) // 60))
            line = texts.text(
                "volunteer_view.help_line",
                code=request.code,
                waited=waited(texts, minutes),
                where=where_in(content, texts, request.lesson, request.step),
            )
            found.append({"name": mask_name(learner.name or "") or "?", "line": line})
        return found

    def context(self, token: str) -> dict[str, Any] | None:
        """What the page shows, or None for a token that opens nothing."""
        console = self.console
        store = console.service.store
        volunteer = volunteer_for_token(store, token)
        if volunteer is None:
            return None
        content = console.content
        texts = console.texts
        now = console.now()
        found = follow_up(store, Places.load(store), volunteer.code, now)
        made = lesson_links(content, console.service.settings.public_url, volunteer.code)
        linked = {link.lesson for link in made.links if link.web}

        def person(line: Line) -> dict[str, Any]:
            days = max(0, int((now - seconds(line.seen_at)) // 86400))
            if days == 0:
                seen = texts.text("volunteer_view.seen_today")
            elif days == 1:
                seen = texts.text("volunteer_view.seen_yesterday")
            else:
                seen = texts.text("volunteer_view.seen_days", days=days)
            where = ""
            if line.lesson:
                title = lesson_title(content, line.lesson)
                number = step_number(content, line.lesson, line.step)
                where = title
                if number is not None:
                    where = texts.text(
                        "volunteer_view.at_step", lesson=title, number=number[0], count=number[1]
                    )
            return {
                "name": line.name,
                "channel": line.channel,
                "seen": seen,
                "where": where,
                "lesson": line.lesson if line.lesson in linked else "",
                "passed": line.passed,
                "certificates": line.certificates,
            }

        lessons = []
        for link in made.links:
            if link.web is None:
                continue
            message = texts.text("volunteer_view.message", lesson=link.title, link=link.web)
            lessons.append(
                {
                    "id": link.lesson,
                    "title": link.title,
                    "web": link.web,
                    "sms": "sms:?&body=" + quote(message, safe=""),
                    "telegram": "https://t.me/share/url?"
                    + urlencode({"url": link.web, "text": link.title}),
                }
            )
        return {
            "t": texts.text,
            "css": console.renderer.stylesheet.url,
            "name": volunteer.name,
            "waiting": self.waiting(store, volunteer.code, now),
            "total": found.total,
            "groups": [
                ("stuck", [person(line) for line in found.stuck]),
                ("away", [person(line) for line in found.away]),
                ("learning", [person(line) for line in found.learning]),
                ("passed", [person(line) for line in found.passed]),
            ],
            "lessons": lessons,
            "links_problem": made.problem is not None,
        }
