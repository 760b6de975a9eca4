"""What is wrong with a content file, said so that an admin can find and fix it.

Every problem names a file, a 1-based line and, in plain English, the key at fault:

    content/lessons/an-toan-otp.yaml:42: steps[3] (id 'cau-1'): 'goto' names no step 'tai-ap'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One error in one content file. Sorting orders problems by file, then line."""

    path: str  # as given: a relative content folder gives relative paths
    line: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """A content folder that cannot be used; `str()` lists one problem a line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
