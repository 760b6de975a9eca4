"""Wording for a channel without buttons (the Zalo Bot Platform), where the learner types the
number of a numbered line: "bấm nút *Tiếp tục ▶*", said of a button of that very message,
becomes "gõ số *1* (Tiếp tục ▶)", and "bấm nút bên dưới" becomes `channel.type_below`.

    typed("Xong thì bác bấm *Tiếp tục ▶*.", ["Tiếp tục ▶"], messages)
    # "Xong thì bác gõ số *1* (Tiếp tục ▶)."

The verbs and phrases are content (`words.tap`, `words.tap_below` in messages.yaml), so an
author writes every lesson once, for buttons, and the renderer picks the wording. A starred
name that is not one of the message's buttons ("bấm *Cài đặt*" in the phone's own settings)
is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.messages import Messages

_MARKS = re.compile(r"[^\w\s]", re.UNICODE)


def _key(label: str) -> str:
    """A label as compared: without arrows, emoji or punctuation, spaces folded, any case."""
    return " ".join(_MARKS.sub(" ", label).split()).casefold()


def _same_case(found: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if found[:1].isupper() else replacement


def typed(text: str, labels: Sequence[str], messages: Messages) -> str:
    """`text` as a channel without buttons says it, for a message whose buttons are `labels`
    (shown as numbered lines, 1 first)."""
    if not labels:
        return text
    below = sorted(messages.words("words.tap_below"), key=len, reverse=True)
    if below:
        pattern = re.compile("|".join(re.escape(phrase) for phrase in below), re.IGNORECASE)
        sentence = messages.text("channel.type_below")
        text = pattern.sub(lambda found: _same_case(found.group(), sentence), text)
    verbs = sorted(messages.words("words.tap"), key=len, reverse=True)
    if not verbs:
        return text
    numbers = {_key(label): number for number, label in enumerate(labels, start=1)}
    tap = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(verb) for verb in verbs) + r")\s+\*([^*\n]+)\*",
        re.IGNORECASE,
    )

    def replace(found: re.Match[str]) -> str:
        number = numbers.get(_key(found.group(2)))
        if number is None:
            return found.group()
        said = messages.text("channel.type_number", number=number, label=found.group(2).strip())
        return _same_case(found.group(1), said)

    return tap.sub(replace, text)
