"""The step kinds of the lesson format, by the key that names them in YAML."""

from lessons.steps.ask import Ask
from lessons.steps.base import Link, Option, Step
from lessons.steps.quiz import Quiz
from lessons.steps.say import Say

KINDS: dict[str, type[Step]] = {"say": Say, "ask": Ask, "quiz": Quiz}

__all__ = ["KINDS", "Ask", "Link", "Option", "Quiz", "Say", "Step"]
