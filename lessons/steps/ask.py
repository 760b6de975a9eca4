"""`ask`: a question that branches and is not scored.

```yaml
  - id: da-co-app
    ask: Điện thoại của bác đã có ứng dụng VNeID chưa?
    options:
      - label: Có rồi
        goto: dang-nhap
      - label: Chưa có
        also: [chưa cài, không có]
        goto: tai-app
```
An option without `goto` goes on to the step's `next`, or the next step in the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from lessons.events import NotUnderstood
from lessons.outcome import Outcome
from lessons.reply import Reply, Words
from lessons.steps.base import Step, read_choice


@dataclass(frozen=True, kw_only=True)
class Ask(Step):
    """A branching question; `options` come from the base class."""

    kind: str = "ask"

    def respond(self, reply: Reply, wrong: int, words: Words) -> Outcome:
        """An option read from the reply leads to its `goto`; no option, or two, asks again."""
        index = read_choice(self, reply)
        if isinstance(index, NotUnderstood):
            return Outcome((index,))
        return Outcome(move=True, goto=self.options[index].goto)
