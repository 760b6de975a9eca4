"""What every `hocso` command shares: the `--content` and `--store` options, and loading
either with a plain-words line on stderr when it cannot be used."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bot.content import Content, check_content, default_content_dir
from bot.stores import DEFAULT_STORE_URL, open_store
from bot.stores.base import Store

STORE_ENV = "HOCSO_STORE"


def add_common(
    parser: argparse.ArgumentParser, *, store: bool = True, content: bool = True
) -> None:
    """Give a command `--content DIR` and `--store URL` (or only one of them)."""
    if content:
        parser.add_argument(
            "--content",
            type=Path,
            default=None,
            help="the lesson folder (env HOCSO_CONTENT; default: the repo's content/ folder)",
        )
    if store:
        parser.add_argument(
            "--store",
            default=os.environ.get(STORE_ENV, DEFAULT_STORE_URL),
            help="where learners' progress is kept: sqlite:///FILE, redis://HOST:PORT/DB or "
            f"memory:// (env {STORE_ENV}; default {DEFAULT_STORE_URL})",
        )


def load_content(folder: Path | None) -> Content | None:
    """The content, or None after printing what is wrong with it to stderr."""
    root = folder or default_content_dir()
    content, problems = check_content(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if content is None:
        print(
            f"hocso: the content folder {root} has problems; fix them and try again",
            file=sys.stderr,
        )
    return content


def open_or_say(url: str, *, timeout: float | None = None) -> Store | None:
    """The store at `url`, or None after saying on stderr why it cannot be opened. `timeout`:
    seconds a Redis call may wait (see `open_store`)."""
    try:
        return open_store(url, timeout=timeout)
    except (ValueError, OSError) as error:
        print(f"hocso: cannot open the store {url}: {error}", file=sys.stderr)
        return None


def with_store(url: str, work: Callable[[Store], int], errors: tuple[type[Exception], ...]) -> int:
    """Open the store at `url`, run `work` on it and close it; an error of `errors` (one a
    person can fix) is said on stderr in one line, exit 1."""
    store = open_or_say(url)
    if store is None:
        return 1
    try:
        return work(store)
    except errors as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
