"""Reading a reply that would confirm something that cannot be undone (deleting a learner's
data), replies that end by asking what something is, and replies that mention a phrase
anywhere (words of distress: "tôi bị lừa rồi", "mat het tien").

Without diacritics "dung" is "dừng" (stop), "đúng" (right) or "đừng" (don't): a word that
could mean "don't", "stop" or "not" is never a yes, whatever else the reply says.

```yaml
# messages.yaml
words:
  hold: [không, chưa, đừng, dừng, thôi, khoan, hủy]   # any of these: do not do it
```

    confirms("có, xóa hết", yes=["Có, xóa hết"], hold=hold)  -> True
    confirms("dung xoa", yes=["Có, xóa hết"], hold=hold)     -> False  ("đừng xóa")
    confirms("xóa gì", yes=["Có, xóa hết"], hold=hold)       -> None   (ask again)
    mentions("toi bi lua roi", ["bị lừa", "mất tiền"])        -> True
"""

from __future__ import annotations

from collections.abc import Sequence

from lessons.reading.options import read_option
from lessons.reading.text import read_text, read_written, readable
from lessons.reading.vocabulary import Phrase
from lessons.reading.words import fits
from lessons.reading.yesno import polarity_of


def confirms(text: str, *, yes: Sequence[str], hold: Sequence[str]) -> bool | None:
    """True only for a reply that says yes (a plain yes, or one of the `yes` phrases) and
    has no word that could be one of `hold`; False when any word could be one of `hold`;
    None for anything else, which is asked again."""
    if not readable(text):
        return None
    reply = read_text(text)
    if not reply.words:
        return None
    if any(_has(reply.words, read_written(phrase).words) for phrase in hold):
        return False
    if reply.question:
        return None
    if polarity_of(reply) is True:
        return True
    reading = read_option(text, [list(yes)], numbered=False, yes_no=False)
    return True if reading.option == 0 and reading.how == "exact" else None


def ends_asking(text: str, endings: Sequence[str]) -> bool:
    """Whether a reply ends with one of `endings` ("156 là gì", "OTP nghĩa là sao"): the
    learner asks what something means."""
    if not readable(text):
        return False
    words = read_text(text).words
    for ending in endings:
        wanted = read_written(ending).words
        if wanted and len(words) > len(wanted) and _fit(words[-len(wanted) :], wanted):
            return True
    return False


def mentions(text: str, phrases: Sequence[str]) -> bool:
    """Whether the reply holds one of `phrases` anywhere, word for word, typed with or without
    diacritics ("bi lua" is "bị lừa")."""
    if not readable(text):
        return False
    words = read_text(text).words
    return any(_has(words, read_written(phrase).words) for phrase in phrases)


def _has(words: Phrase, phrase: Phrase) -> bool:
    size = len(phrase)
    return size > 0 and any(_fit(words[i : i + size], phrase) for i in range(len(words) - size + 1))


def _fit(typed: Phrase, written: Phrase) -> bool:
    return all(fits(mine, theirs) for mine, theirs in zip(typed, written, strict=True))
