"""Every sentence the web console (`/admin`) shows, read from the content's `console.yaml`.

```yaml
signin:
  failed: "Tên đăng nhập hoặc mật khẩu không đúng. Vui lòng thử lại."
home:
  welcome: "Xin chào, {name}!"
```
As with `messages.yaml` (`bot.messages`), the code names each sentence by its dotted key and
`TEXTS` is the contract: a content folder must give every key, may use only the placeholders
listed, and may not add keys the code never uses. A console page that shows a new sentence
adds its key here and its words to `content/console.yaml`.
"""

from __future__ import annotations

from pathlib import Path

from bot.audit import ACTIONS
from bot.messages import read_sentences
from lessons.problems import Problem

_NONE: frozenset[str] = frozenset()


NAV = (
    "home", "help", "lessons", "learners", "volunteers", "certificates", "content", "exports",
    "audit",
)  # fmt: skip
"""The console's pages, each named in the nav by `nav.<page>`."""


def _plain(section: str, *names: str) -> dict[str, frozenset[str]]:
    return {f"{section}.{name}": _NONE for name in names}


_CAMPAIGN: dict[str, frozenset[str]] = {
    # Học viên, Tình nguyện viên (with its areas' page), Chứng nhận, Xuất dữ liệu, and a
    # volunteer's own page (/v/<token>).
    **_plain("pager", "label", "previous", "next"),
    "pager.shown": frozenset({"first", "last", "total"}),
    **_plain(
        "learners",
        *("intro", "search", "area", "village", "volunteer", "any", "no_area", "no_volunteer"),
        *("filter", "clear", "name", "channel", "place", "seen_at", "lesson", "passed"),
        *("certificates", "unknown_hint"),
    ),
    "learners.step_of": frozenset({"number", "count"}),
    **_plain(
        "learner",
        *("title", "back", "id", "place", "joined", "privacy", "lessons", "lesson", "status"),
        *("statuses.passed", "statuses.failed", "statuses.in_progress", "score", "step"),
        *("completed_at", "attempts", "version", "certificates", "code", "no_certificates"),
        *("assign", "assign_intro", "unassigned", "assign_submit"),
    ),
    "learner.heading": frozenset({"name"}),
    "learner.assigned": frozenset({"learner", "place"}),
    "learner.unassigned_done": frozenset({"learner"}),
    **_plain(
        "volunteers",
        *("intro", "areas", "code", "name", "area", "village", "team", "learners", "active"),
        *("passed", "certificates", "add", "add_intro", "place", "no_place", "team_label"),
        *("save", "import", "import_intro", "back", "title", "their_learners", "unknown"),
        *("links", "poster", "formats.png", "formats.pdf", "private", "private_intro"),
        *("private_on", "private_off", "make_link", "revoke", "edit", "help_chat"),
        *("help_chat_hint",),
    ),
    "volunteers.alone": frozenset({"learners", "certificates"}),
    "volunteers.saved": frozenset({"code"}),
    "volunteers.imported": frozenset({"count"}),
    "volunteers.heading": frozenset({"name", "code"}),
    "volunteers.links_intro": frozenset({"code"}),
    "volunteers.link_made": frozenset({"name", "link"}),
    "volunteers.revoked": frozenset({"code"}),
    "volunteers.no_link": frozenset({"code"}),
    **_plain("links", "no_public_url", "bad_code", "poster_failed"),
    **_plain(
        "areas",
        *("title", "intro", "area", "village", "name", "adults", "add_area", "add_village"),
        *("id_hint", "in_area", "save", "import", "import_intro", "help_chat", "help_chat_hint"),
    ),
    "areas.saved": frozenset({"area"}),
    "areas.saved_village": frozenset({"village", "area"}),
    "areas.imported": frozenset({"count"}),
    **_plain("places", "file", "import_submit", "no_file", "not_utf8", "no_rows"),
    **_plain("places.fields", "area", "village", "code"),
    "places.on_line": frozenset({"line", "problem"}),
    "places.problems.bad_id": frozenset({"field", "value"}),
    "places.problems.no_area": frozenset({"area"}),
    "places.problems.no_village": frozenset({"area", "village"}),
    "places.problems.village_needs_area": _NONE,
    "places.problems.bad_adults": frozenset({"value"}),
    "places.problems.columns": frozenset({"columns", "missing"}),
    "places.problems.no_volunteer": frozenset({"code"}),
    "places.problems.bad_chat": frozenset({"value"}),
    "places.problems.other": _NONE,
    **_plain(
        "certificates", "intro", "code", "learner", "certificate", "earned_at", "area", "village"
    ),
    **_plain(
        "certificates",
        *("manage", "manage_intro", "number", "why", "revoke", "reissue", "reissue_intro"),
        *("revoked_title", "revoked_at", "revoked_why", "replaced_by", "no_revoked"),
        *("problem_number", "problem_why"),
    ),
    "certificates.revoked_done": frozenset({"code"}),
    "certificates.reissued_done": frozenset({"code", "new"}),
    "certificates.problem_standing": frozenset({"code"}),
    **_plain(
        "exports",
        *("intro", "learners", "learners_about", "areas", "areas_about", "download"),
        *("directory", "directory_about", "volunteers", "places"),
    ),
    **_plain(
        "volunteer_view",
        *("brand", "to_lessons", "stuck", "stuck_intro", "away", "away_intro", "learning"),
        *("learning_intro", "passed", "passed_intro", "none", "seen_today", "seen_yesterday"),
        *("send_again", "lessons", "sms", "telegram", "open", "no_links", "problem_title"),
        *("not_found", "wait", "help", "help_intro"),
    ),
    "volunteer_view.help_line": frozenset({"code", "waited", "where"}),
    "volunteer_view.title": frozenset({"name"}),
    "volunteer_view.intro": frozenset({"name"}),
    "volunteer_view.total": frozenset({"total"}),
    "volunteer_view.at_step": frozenset({"lesson", "number", "count"}),
    "volunteer_view.seen_days": frozenset({"days"}),
    "volunteer_view.passed_count": frozenset({"passed", "certificates"}),
    "volunteer_view.lessons_intro": frozenset({"name"}),
    "volunteer_view.message": frozenset({"lesson", "link"}),
}

_HELP: dict[str, frozenset[str]] = {
    # A person on the line (bot.helpdesk): the desk's messages in its Telegram chat, and the
    # Hỗ trợ page (webhook/console/pages/help.py).
    "desk.asked": frozenset({"code"}),
    "desk.distress": frozenset({"code"}),
    "desk.learner": frozenset({"name", "channel"}),
    "desk.no_name": _NONE,
    "desk.place": frozenset({"place"}),
    "desk.volunteer": frozenset({"volunteer"}),
    "desk.lesson": frozenset({"lesson", "number", "count"}),
    "desk.lesson_only": frozenset({"lesson"}),
    "desk.recent": _NONE,
    "desk.line": frozenset({"text"}),
    "desk.until": frozenset({"time"}),
    "desk.how": _NONE,
    "desk.said": frozenset({"code", "text"}),
    "desk.media": _NONE,
    "desk.console_answer": frozenset({"code", "name", "text"}),
    "desk.closed_learner": frozenset({"code"}),
    "desk.closed_helper": frozenset({"code", "name"}),
    "desk.expired": frozenset({"code", "hours"}),
    "desk.chat_id": frozenset({"chat"}),
    **_plain(
        "help",
        *("intro", "none_open", "code", "waiting", "waiting_minutes", "learner", "place"),
        *("volunteer", "lesson"),
        *("why", "whys.asked", "whys.distress", "desk", "desk_none", "opened_at", "until"),
        *("thread", "learner_said", "no_thread", "reply", "reply_hint", "send", "close"),
        *("closed_title", "closed_at", "how", "hows.helper", "hows.console", "hows.learner"),
        *("hows.expired", "waited", "not_answered", "none_closed", "empty_text", "privacy"),
    ),
    "help.desk_chat": frozenset({"chat"}),
    "help.minutes": frozenset({"minutes"}),
    "help.hours": frozenset({"hours", "minutes"}),
    "help.days": frozenset({"days", "hours"}),
    "help.step": frozenset({"lesson", "number", "count"}),
    "help.sent": frozenset({"code"}),
    "help.closed_done": frozenset({"code"}),
    "help.gone": frozenset({"code"}),
}

TEXTS: dict[str, frozenset[str]] = {
    "site.name": _NONE,
    "nav.label": _NONE,
    **{f"nav.{page}": _NONE for page in NAV},
    "account.signed_in_as": frozenset({"name"}),
    "account.signout": _NONE,
    "signin.title": _NONE,
    "signin.intro": _NONE,
    "signin.name": _NONE,
    "signin.password": _NONE,
    "signin.submit": _NONE,
    "signin.failed": _NONE,
    "signin.wait": frozenset({"minutes"}),
    "signin.signed_out": _NONE,
    "signin.expired": _NONE,
    "home.welcome": frozenset({"name"}),
    **{
        f"overview.{key}": _NONE
        for key in (
            "id",
            "name",
            "adults",
            "learners",
            "active_7d",
            "passed",
            "trained",
            "certified",
            "certificates",
            "share",
            "unknown_place",
            "no_adults",
            "chart_title",
            "chart_caption",
            "no_chart",
            "choose_area",
            "all_areas",
            "show",
            "by_area",
            "outreach",
            "reminders_sent",
            "reminders_returned",
            "reminders_off",
            "help_open",
        )
    },
    "overview.help_oldest": frozenset({"time"}),
    "overview.help_answered": frozenset({"time"}),
    "overview.minutes": frozenset({"minutes"}),
    "overview.hours": frozenset({"hours", "minutes"}),
    "overview.days": frozenset({"days", "hours"}),
    "overview.intro": frozenset({"lessons"}),
    "overview.bar": frozenset({"certified", "adults"}),
    "overview.by_village": frozenset({"area"}),
    **{
        f"lessons.{key}": _NONE
        for key in (
            "intro",
            "id",
            "title",
            "started",
            "passed",
            "failed",
            "minutes",
            "hardest",
            "no_figure",
        )
    },
    **{
        f"funnel.{key}": _NONE
        for key in (
            "title",
            "back",
            "intro",
            "caption",
            "missing",
            "step",
            "kind",
            "text",
            "reached",
            "standing",
            "asked",
            "right_rate",
        )
    },
    **{f"funnel.kinds.{kind}": _NONE for kind in ("say", "ask", "quiz", "gone")},
    "funnel.gone": frozenset({"count"}),
    "funnel.bar": frozenset({"reached", "standing"}),
    "funnel.chart_title": frozenset({"title"}),
    **{
        f"content.{key}": _NONE
        for key in (
            "lesson",
            "title",
            "steps",
            "file",
            "reload",
            "reload_hint",
            "problems",
            "warnings",
            "lessons",
        )
    },
    "content.intro": frozenset({"folder"}),
    "content.disk_problems": _NONE,
    "content.stranded": _NONE,
    "content.unchanged": _NONE,
    "content.stranded_step": frozenset({"title", "step", "count"}),
    "content.stranded_lesson": frozenset({"title", "step", "count"}),
    "content.version": frozenset({"version"}),
    "content.switching": frozenset({"version"}),
    "content.refused": frozenset({"count"}),
    "content.published": frozenset({"version"}),
    "audit.intro": _NONE,
    "audit.at": _NONE,
    "audit.who": _NONE,
    "audit.what": _NONE,
    "audit.detail": _NONE,
    "audit.nobody": _NONE,
    **{
        f"audit.fields.{name}": _NONE
        for name in ("client", "account", "page", "format", "outcome", "version", "problems")
    },
    **{f"audit.fields.{name}": _NONE for name in ("learner", "area", "village", "code", "count")},
    "audit.fields.request": _NONE,
    **{f"audit.actions.{action}": _NONE for action in ACTIONS},  # bot.audit
    "table.empty": _NONE,
    "table.download": _NONE,
    "errors.title": _NONE,
    "errors.signed_out": _NONE,
    "errors.forbidden": _NONE,
    "errors.not_found": _NONE,
    "errors.not_allowed": _NONE,
    "errors.too_large": _NONE,
    "errors.store_down": _NONE,
    "errors.home": _NONE,
    **_CAMPAIGN,
    **_HELP,
}


class ConsoleTexts:
    """The console's sentences of one content folder, by dotted key."""

    def __init__(self, texts: dict[str, str]) -> None:
        self._texts = texts

    def text(self, key: str, **values: object) -> str:
        """The sentence `key` with its placeholders filled in (KeyError: a key not in TEXTS,
        a bug)."""
        return self._texts[key].format_map(values).strip()

    def __contains__(self, key: str) -> bool:
        return key in self._texts


def load_console(path: Path) -> tuple[ConsoleTexts | None, list[Problem]]:
    """Read and check `console.yaml`; None when there are problems."""
    texts, _, problems = read_sentences(path, TEXTS)
    return (None if problems else ConsoleTexts(texts)), problems
