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


NAV = ("home", "lessons", "learners", "volunteers", "certificates", "content", "exports", "audit")
"""The console's pages, each named in the nav by `nav.<page>`."""

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
        )
    },
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
