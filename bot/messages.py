"""Every sentence hocso says outside a lesson, read from the content's `messages.yaml`.

```yaml
greeting: |
  Chào bác! Cháu là *Học Số*…
finish:
  passed: "🎉 Chúc mừng bác đã học xong bài *{title}*!"
commands:
  menu: [menu, bài học]
```
The code names each sentence by its dotted key (`finish.passed`) and fills `{placeholders}`.
`TEXTS` and `LISTS` below are the contract: a content folder must give every key, may use
only the placeholders listed, and may not add keys the code never uses.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Set
from pathlib import Path

from lessons.problems import Problem
from lessons.source import Map, Node, Scalar, Seq, describe, read

_NONE: frozenset[str] = frozenset()


def _keys(*names: str) -> frozenset[str]:
    return frozenset(names)


TEXTS: dict[str, frozenset[str]] = {
    "greeting": _NONE,
    "welcome_back": _NONE,
    "lesson.header": _keys("title"),
    "lesson.header_minutes": _keys("title", "minutes"),
    "lesson.missing": _NONE,
    "lesson.changed": _keys("title"),
    "lesson.removed": _NONE,
    "lesson.resume_or_restart": _keys("title"),
    "menu.intro": _NONE,
    "menu.page": _keys("page", "pages"),
    "menu.suggestion": _keys("title"),
    "menu.all_passed": _NONE,
    "menu.empty": _NONE,
    "menu.unknown": _NONE,
    "menu.groups_intro": _NONE,
    "menu.group": _keys("title"),
    "menu.other_group": _NONE,
    "buttons.continue": _NONE,
    "buttons.lesson": _keys("title"),
    "buttons.lesson_passed": _keys("title"),
    "buttons.resume": _keys("title"),
    "buttons.resume_place": _NONE,
    "buttons.restart": _NONE,
    "buttons.lesson_started": _keys("title"),
    "buttons.menu": _NONE,
    "buttons.more": _NONE,
    "buttons.suggested": _keys("title"),
    "buttons.group": _keys("title", "passed", "total"),
    "buttons.group_done": _keys("title", "passed", "total"),
    "buttons.groups": _NONE,
    "buttons.back_page": _NONE,
    "buttons.more_groups": _NONE,
    "buttons.back_groups": _NONE,
    "buttons.retake": _NONE,
    "buttons.next_lesson": _NONE,
    "buttons.help": _NONE,
    "buttons.person": _NONE,
    "buttons.back_to_lesson": _NONE,
    "buttons.keep_learning": _NONE,
    "buttons.delete_yes": _NONE,
    "buttons.delete_no": _NONE,
    "buttons.remind_off": _NONE,
    "quiz.right": _keys("explain"),
    "quiz.wrong": _NONE,
    "quiz.wrong_hint": _keys("hint"),
    "quiz.revealed": _keys("answer", "explain"),
    "reading.options": _keys("options"),
    "reading.option": _keys("number", "label"),
    "reading.ambiguous": _keys("options"),
    "reading.free_answer": _NONE,
    "reading.say": _keys("button"),
    "reading.not_yet": _keys("button"),
    "reading.at_start": _NONE,
    "reading.stale_button": _NONE,
    "reading.answer_first": _NONE,
    "finish.passed": _keys("title"),
    "finish.passed_score": _keys("title", "right", "asked"),
    "finish.failed": _keys("title", "right", "asked", "needed"),
    "finish.certificate": _keys("title", "code"),
    "finish.next": _keys("title"),
    "finish.all_done": _NONE,
    "help": _NONE,
    # A person on the line (bot.helpdesk): asked for, offered after words of distress, open.
    "person.opened": _keys("code"),
    "person.opened_night": _keys("code", "hour"),
    "person.opened_dawn": _keys("code", "hour"),
    "person.distress": _NONE,
    "person.relayed": _NONE,
    "person.masked": _NONE,
    "person.waiting": _NONE,
    "person.media": _NONE,
    "person.left": _NONE,
    "person.answer": _keys("name", "text"),
    "person.done": _NONE,
    "person.expired": _NONE,
    "stop": _NONE,
    # Reminders for a learner who stopped (bot.reminders), and turning them off and on.
    "remind.lesson": _keys("title", "step", "steps"),
    "remind.next": _keys("title", "next"),
    "remind.later": _NONE,
    "remind.off": _NONE,
    "remind.on": _NONE,
    "progress.title": _NONE,
    "progress.none": _NONE,
    "progress.passed": _keys("title", "percent"),
    "progress.failed": _keys("title", "percent"),
    "progress.in_progress": _keys("title"),
    "progress.count": _keys("passed", "total"),
    "progress.certificates": _NONE,
    "progress.certificate": _keys("title", "date", "code"),
    "progress.no_certificates": _NONE,
    "delete.confirm": _NONE,
    "delete.done": _NONE,
    "delete.cancelled": _NONE,
    "delete.unclear": _NONE,
    "lost.say": _keys("button"),
    "lost.options": _NONE,
    "lost.free_answer": _NONE,
    "lost.menu": _NONE,
    "input.too_long": _NONE,
    "input.empty": _NONE,
    "input.sticker": _NONE,
    "input.photo": _NONE,
    "input.voice": _NONE,
    "input.video": _NONE,
    "input.file": _NONE,
    "input.location": _NONE,
    "input.other": _NONE,
    "sensitive.otp": _NONE,
    "sensitive.id_number": _NONE,
    "sensitive.card": _NONE,
    "sensitive.account": _NONE,
    "sensitive.phone": _NONE,
    "channel.numbered_hint": _NONE,
    "channel.type_number": frozenset({"number", "label"}),
    "channel.type_below": _NONE,
    "zalo_oa.more_buttons": _NONE,
    "web.title": _NONE,
    "web.heading": _NONE,
    "web.log": _NONE,
    "web.you": _NONE,
    "web.bot": _NONE,
    "web.input_label": _NONE,
    "web.placeholder": _NONE,
    "web.send": _NONE,
    "web.shortcuts": _NONE,
    "web.menu": _NONE,
    "web.back": _NONE,
    "web.help": _NONE,
    "web.offline": _NONE,
    "web.slow_down": _NONE,
    "web.busy": _NONE,
    "web.no_cookie": _NONE,
    "web.noscript": _NONE,
    "web.new_tab": _NONE,
    "web.image": _NONE,
    "poster.movement": _NONE,
    "poster.scan": _NONE,
    "poster.steps": _NONE,
    "poster.volunteer": _keys("volunteer"),
    "poster.safety": _NONE,
    # The certificate in the chat: the name printed on it, the picture, its buttons.
    "certificate.ask_name": _NONE,
    "certificate.rename": _keys("name"),
    "certificate.name_saved": _keys("name"),
    "certificate.name_unmarked": _NONE,
    "certificate.name_later": _NONE,
    "certificate.name_kept": _keys("name"),
    "certificate.name_invalid": _NONE,
    "certificate.caption": _keys("title", "code"),
    "certificate.shown": _NONE,
    "certificate.revoked": _keys("title", "code", "date"),
    "certificate.pdf": _NONE,
    "certificate.later": _NONE,
    "certificate.keep": _NONE,
    "certificate.show": _NONE,
    "certificate.change_name": _NONE,
    # The printed certificate (PNG and PDF).
    "paper.heading": _NONE,
    "paper.to": _NONE,
    "paper.no_name": _NONE,
    "paper.completed": _NONE,
    "paper.lessons": _keys("count", "lessons"),
    "paper.lesson_count": _keys("count"),
    "paper.skills": _keys("framework"),
    "paper.date": _keys("date"),
    "paper.issuer": _keys("issuer"),
    "paper.issuer_default": _NONE,
    "paper.number": _keys("code"),
    "paper.scan": _NONE,
    "paper.note": _keys("issuer"),
    # The /verify page, for anyone who checks a certificate.
    "verify.title": _NONE,
    "verify.intro": _NONE,
    "verify.label": _NONE,
    "verify.button": _NONE,
    "verify.genuine": _NONE,
    "verify.revoked": _keys("date"),
    "verify.replaced": _keys("date"),
    "verify.unknown": _keys("code"),
    "verify.name": _NONE,
    "verify.certificate": _NONE,
    "verify.skills": _NONE,
    "verify.date": _NONE,
    "verify.issuer": _NONE,
    "verify.number": _NONE,
    "verify.note": _NONE,
    "verify.badge": _NONE,
    "verify.criteria": _keys("lessons"),
    "verify.again": _NONE,
    "verify.slow_down": _keys("seconds"),
}

COMMANDS = (
    "menu", "next", "repeat", "back", "help", "lost", "progress", "stop", "delete", "name",
    "certificates", "remind_off", "remind_on", "person",
)  # fmt: skip
WORDS = (
    "go_on", "not_yet", "asking", "hold", "delete_yes", "tap", "tap_below", "distress",
    "back_to_lesson",
)  # fmt: skip
LISTS: frozenset[str] = frozenset(
    [f"commands.{name}" for name in COMMANDS] + [f"words.{name}" for name in WORDS]
)


class Messages:
    """The sentences of one content folder, by dotted key."""

    def __init__(self, texts: dict[str, str], lists: dict[str, tuple[str, ...]]) -> None:
        self._texts = texts
        self._lists = lists

    def text(self, key: str, **values: object) -> str:
        """The sentence `key` with its placeholders filled in."""
        return self._texts[key].format_map(values).strip()

    def template(self, key: str) -> str:
        """The sentence `key` as written, its placeholders not filled in."""
        return self._texts[key].strip()

    def words(self, key: str) -> tuple[str, ...]:
        """The phrases of list `key` (commands, words)."""
        return self._lists[key]


def load_messages(path: Path) -> tuple[Messages | None, list[Problem]]:
    """Read and check `messages.yaml`; Messages is None when there are problems."""
    texts, lists, problems = read_sentences(path, TEXTS, LISTS)
    return (None if problems else Messages(texts, lists)), problems


def read_sentences(
    path: Path, contract: dict[str, frozenset[str]], list_keys: frozenset[str] = _NONE
) -> tuple[dict[str, str], dict[str, tuple[str, ...]], list[Problem]]:
    """Read a file of sentences by dotted key and check it against a contract: every key of
    `contract` (with the placeholders it may use) and of `list_keys` given, no other key.
    The sentences and lists read, and the problems (none when the file may be used)."""
    texts: dict[str, str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    if not path.is_file():
        missing = "the file is missing; every content folder needs one"
        return texts, lists, [Problem(str(path), 1, missing)]
    root, problems = read(path)
    where = str(path)
    if root is None and not problems:
        problems = [Problem(where, 1, "the file is empty")]
    if root is None or problems:
        return texts, lists, problems
    if not isinstance(root, Map):
        found = f"expected a mapping of messages, found {describe(root)}"
        return texts, lists, [Problem(where, root.line, found)]
    for key, node in _flatten(root, "", contract.keys() | list_keys):
        if key in contract:
            _check_text(where, key, node, contract[key], texts, problems)
        elif key in list_keys:
            _check_list(where, key, node, lists, problems)
        else:
            problems.append(Problem(where, node.line, f"'{key}' is not a message hocso uses"))
    for key in sorted((contract.keys() | list_keys) - texts.keys() - lists.keys()):
        if not any(p.message.startswith(f"'{key}'") for p in problems):
            problems.append(Problem(where, root.line, f"'{key}' is missing"))
    return texts, lists, problems


def _flatten(node: Map, prefix: str, leaves: Set[str]) -> Iterator[tuple[str, Node]]:
    """Dotted keys down to the leaves; a mapping under a key that is a leaf stops there."""
    for entry in node.entries.values():
        key = f"{prefix}{entry.key}"
        if isinstance(entry.value, Map) and key not in leaves:
            yield from _flatten(entry.value, key + ".", leaves)
        else:
            yield key, entry.value


def _check_text(
    where: str,
    key: str,
    node: Node,
    allowed: frozenset[str],
    texts: dict[str, str],
    problems: list[Problem],
) -> None:
    if not isinstance(node, Scalar) or node.null or not node.text.strip():
        problems.append(
            Problem(where, node.line, f"'{key}' must be a sentence, not {describe(node)}")
        )
        return
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(node.text) if name is not None}
    except ValueError as error:
        problems.append(Problem(where, node.line, f"'{key}': broken {{placeholder}}: {error}"))
        return
    unknown = sorted(fields - allowed)
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
        problems.append(
            Problem(where, node.line, f"'{key}' uses {{{unknown[0]}}}; it may use: {names}")
        )
        return
    texts[key] = node.text


def _check_list(
    where: str, key: str, node: Node, lists: dict[str, tuple[str, ...]], problems: list[Problem]
) -> None:
    if not isinstance(node, Seq) or not node.items:
        problems.append(Problem(where, node.line, f"'{key}' must be a list of phrases"))
        return
    phrases = []
    for item in node.items:
        if not isinstance(item, Scalar) or item.null or not item.text.strip():
            problems.append(Problem(where, item.line, f"'{key}': each phrase must be text"))
            return
        phrases.append(item.text)
    lists[key] = tuple(phrases)
