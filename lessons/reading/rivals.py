"""Other options that a reply read as one option may mean as well, so that it is asked
again: a lone word that another option also has ("bấm" beside "Không bấm", "ban" for "Bạn
bè" or "Bán hàng"), or a reply that leaves out what another option refuses to do ("mã otp"
beside "Không đọc, cúp máy"). Not in a yes/no question, where the question's word alone is
a yes.
"""

from __future__ import annotations

from lessons.reading.question import Question
from lessons.reading.vocabulary import Phrase
from lessons.reading.words import fits


def also_elsewhere(words: Phrase, question: Question, options: set[int]) -> set[int]:
    """Where a reply is one word that another option also has, turned around ("bấm" where
    one option says "Bấm vào link" and another "Không bấm") or as a small word ("ban" for
    "Bán hàng" or "Bạn bè"), that option too: the learner may mean either. Not in a yes/no
    question, where the question's word alone is a yes."""
    if question.yes_no is not None or len(words) != 1:
        return set()
    return {
        phrase.option
        for phrase in question.wordings
        if phrase.option not in options and any(fits(words[0], one) for one in phrase.words)
    }


def unsaid(words: Phrase, question: Question, options: set[int]) -> set[int]:
    """The other options that turn around a word of the option found which the reply does
    not say: "mã otp" for "Đọc mã OTP cho họ" beside "Không đọc, cúp máy" does not say
    whether it reads the code. Not in a yes/no question."""
    if question.yes_no is not None:
        return set()
    said = {one.plain for one in words}
    mine = {
        one.plain
        for phrase in question.wordings
        if phrase.option in options
        for i, one in enumerate(phrase.words)
        if i not in phrase.turned and question.weight(one) > 0
    }
    return {
        phrase.option
        for phrase in question.wordings
        if phrase.option not in options
        and any(
            i in phrase.turned and one.plain in mine and one.plain not in said
            for i, one in enumerate(phrase.words)
        )
    }
