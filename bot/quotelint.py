"""What `hocso lint` warns about texts written in curly quotes: a label, button, title, answer
or `also` phrase wrapped in “…” or ‘…’. YAML takes straight quotes ("…", '…') off a text but
keeps curly ones as part of it, so they show on the button:

    content/lessons/an-toan-otp.yaml:31: warning: steps[2] (id 'cau-1'): options[0]: 'label'
    “Chỉ mình tôi” is in curly quotes, which show on the button: use straight quotes ("…"),
    which YAML removes, or none

Curly quotes inside a text ("Gõ “dừng” cho gọn") are typography and are left alone, and so is
a step's own text, which may quote what someone says. The lines come from the file's tree
(`lessons.source`): the lesson's model does not keep a line for each label.
"""

from __future__ import annotations

from pathlib import Path

from lessons.fields import clean_text, peek_text
from lessons.problems import Problem
from lessons.source import Map, Node, Scalar, Seq, read

CURLY = "“”‘’„"
# The keys whose texts are warned about, and where a learner would see the quotes.
SHOWN = {
    "label": "which show on the button",
    "button": "which show on the button",
    "title": "which show in the menu",
    "answers": "which show when the bot gives the right answer",
    "also": "which a learner does not type",
}
LISTS = ("steps", "options", "links", "certificates")  # lists of mappings that hold them


def quote_warnings(path: Path) -> list[Problem]:
    """A warning for every key of `SHOWN` in a content file whose text is in curly quotes, at
    the line of the (first) quoted text."""
    tree, _ = read(path)
    found: list[Problem] = []
    if tree is not None:
        _walk(tree, "", str(path), found)
    return found


def in_curly_quotes(text: str) -> bool:
    text = clean_text(text)
    inside = text[1:-1]
    return (
        len(text) >= 2
        and text[0] in CURLY
        and text[-1] in CURLY
        and not any(quote in inside for quote in CURLY)
    )


def _walk(node: Node, where: str, path: str, found: list[Problem]) -> None:
    if not isinstance(node, Map):
        return
    for key, entry in node.entries.items():
        value = entry.value
        if key in SHOWN:
            texts = value.items if isinstance(value, Seq) else (value,)
            quoted = [t for t in texts if isinstance(t, Scalar) and in_curly_quotes(t.text)]
            if quoted:
                shown = ", ".join(clean_text(text.text) for text in quoted)
                verb = "are" if len(quoted) > 1 else "is"
                found.append(
                    Problem(
                        path,
                        quoted[0].line,
                        f"warning: {where}{key!r} {shown} {verb} in curly quotes, {SHOWN[key]}: "
                        'use straight quotes ("…"), which YAML removes, or none',
                    )
                )
        if key in LISTS and isinstance(value, Seq):
            for index, item in enumerate(value.items):
                named = peek_text(item, "id") if isinstance(item, Map) else None
                step = f"{key}[{index}]" + (f" (id {named!r})" if named else "")
                _walk(item, f"{where}{step}: ", path, found)
