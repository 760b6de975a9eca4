"""Reading what a learner types: as one of a question's options, as a quiz's free answer,
or as a plain yes or no.

Learners are often elderly, type on small phones, skip diacritics, make typos and write the
way they speak ("dạ có ạ", "chua biet lam", "ko thay", "dc r", "số 2"). Everything here reads
such replies tolerantly, and never guesses: a reply that fits two options equally, or none,
is not read, because reading a wrong option is worse than asking again.

Modules, one job each: `words` (a typed word: letters, tone, marks), `vocabulary` (the word
lists of `vietnamese.yaml`), `numbers` (number words as digits), `text` (a text read into
words; `normalize`), `index` (an option named by its place), `yesno` (`polarity`, yes/no
questions), `typos`, `partial`, `rivals` (other options a partial reading may mean),
`question` (a question's options, read once), `options` (`read_option`), `answers`
(`read_answer`).
"""

from lessons.reading.answers import read_answer
from lessons.reading.options import Reading, read_option
from lessons.reading.text import normalize
from lessons.reading.yesno import polarity

__all__ = ["Reading", "normalize", "polarity", "read_answer", "read_option"]
