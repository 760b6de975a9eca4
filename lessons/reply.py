"""A learner's reply as the state machine sees it, and the words that move a lesson on.

```yaml
# messages.yaml
words:
  go_on: [tiếp, tiếp tục, xong, xong rồi, ok, rồi, được]
  not_yet: [chưa, chưa xong, đợi chút]
```
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """Typed `text`, a tapped option button (`option`, 0-based), or a tapped continue
    button (`go_on`)."""

    text: str = ""
    option: int | None = None
    go_on: bool = False


@dataclass(frozen=True)
class Words:
    """Phrases, from the content, that mean "go on" or "not yet" at a step that waits."""

    go_on: tuple[str, ...] = ()
    not_yet: tuple[str, ...] = ()
