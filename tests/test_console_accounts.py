"""Console accounts (`bot.accounts`) and `hocso admin`: only a hash is kept, the rules are said,
a name is taken once, and every change is in the audit log."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from bot.accounts import KIND, MIN_PASSWORD, AccountError, Accounts
from bot.stores import open_store
from bot.stores.base import Store
from support.chat import REPO

PASSWORD = "tre xanh bong mat"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
"""Tests do not need 64 MiB and 0.2 s a check."""


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'hocso.db'}"
    opened = open_store(url)
    request.addfinalizer(opened.close)
    return opened


def test_an_account_keeps_a_hash_never_the_password(store: Store) -> None:
    accounts = Accounts(store, FAST)
    account = accounts.set("Lan", PASSWORD)
    assert account.name == "lan"
    doc = store.doc(KIND, "lan")
    assert doc is not None and PASSWORD not in repr(doc)
    assert doc["hash"].startswith("$argon2id$")
    assert accounts.check("LAN ", PASSWORD) == account
    assert accounts.check("lan", PASSWORD + "!") is None
    assert accounts.check("khong-co", PASSWORD) is None


class Counting(PasswordHasher):
    """A hasher that counts the hashes it checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.checked: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.checked.append(str(hash))
        return super().verify(hash, password)


def test_an_unknown_name_costs_a_check_of_a_hash_too(store: Store) -> None:
    """The same work, so the same time: a wrong password, an unknown name and a name that
    can be no account each check one hash made with the same settings."""
    hasher = Counting()
    accounts = Accounts(store, hasher)
    accounts.set("lan", PASSWORD)
    for name in ("lan", "khong-co-ai", "không hợp lệ"):
        hasher.checked.clear()
        assert accounts.check(name, "sai mat khau") is None
        (checked,) = hasher.checked
        assert checked.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_the_rules(store: Store) -> None:
    accounts = Accounts(store, FAST)
    with pytest.raises(AccountError, match=f"at least {MIN_PASSWORD} characters"):
        accounts.set("lan", "x" * (MIN_PASSWORD - 1))
    with pytest.raises(AccountError, match="must not be the account's name"):
        accounts.set("tinh-nguyen-vien", "Tinh-Nguyen-Vien")
    with pytest.raises(AccountError, match="cannot be an account name"):
        accounts.set("lan anh", PASSWORD)
    accounts.set("lan", PASSWORD)
    with pytest.raises(AccountError, match="--reset"):
        accounts.set("lan", "mot mat khau khac")
    before = accounts.get("lan")
    assert before is not None
    after = accounts.set("lan", "mot mat khau khac", reset=True)
    assert after.created_at == before.created_at and after.password_set >= before.password_set
    assert accounts.check("lan", PASSWORD) is None and accounts.check("lan", "mot mat khau khac")
    assert accounts.remove("lan") and not accounts.remove("lan") and accounts.all() == []


def test_a_hash_made_with_other_settings_is_made_again_at_sign_in(store: Store) -> None:
    Accounts(store, FAST).set("lan", PASSWORD)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    assert Accounts(store, stronger).check("lan", PASSWORD) is not None
    doc = store.doc(KIND, "lan")
    assert doc is not None and "m=16,t=2" in doc["hash"]


# -- hocso admin ------------------------------------------------------------------------------


def admin(store: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOCSO_")}
    if password is not None:
        env["HOCSO_ADMIN_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "cli", "admin", *args, "--store", store],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )


def test_hocso_admin_add_list_remove(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hocso.db'}"
    no_password = admin(url, "add", "lan")
    assert no_password.returncode == 1 and "HOCSO_ADMIN_PASSWORD" in no_password.stderr
    short = admin(url, "add", "lan", password="ngan")
    assert short.returncode == 1 and f"at least {MIN_PASSWORD} characters" in short.stderr
    made = admin(url, "add", "Lan", password=PASSWORD)
    assert made.returncode == 0, made.stderr
    assert "'lan' was made" in made.stdout and PASSWORD not in made.stdout + made.stderr
    again = admin(url, "add", "lan", password=PASSWORD)
    assert again.returncode == 1 and "--reset" in again.stderr
    reset = admin(url, "add", "lan", "--reset", password="mot mat khau khac")
    assert reset.returncode == 0 and "new password" in reset.stdout
    listed = admin(url, "list")
    assert listed.returncode == 0 and listed.stdout.startswith("lan\tmade ")
    assert admin(url, "remove", "LAN").returncode == 0
    gone = admin(url, "remove", "lan")
    assert gone.returncode == 1 and "no console account" in gone.stderr

    store = open_store(url)
    try:
        log = store.audit_log()
        assert store.docs(KIND) == {}
    finally:
        store.close()
    assert [(entry["who"], entry["what"], entry["detail"]) for entry in reversed(log)] == [
        ("hocso admin", "account_add", {"account": "lan"}),
        ("hocso admin", "account_reset", {"account": "lan"}),
        ("hocso admin", "account_remove", {"account": "lan"}),
    ]
    assert PASSWORD not in repr(log)


class Terminal:
    """`hocso admin …` on a terminal of its own (a pseudo-terminal), as a person runs it."""

    def __init__(self, *args: str) -> None:
        self.master, slave = os.openpty()
        env = {name: value for name, value in os.environ.items() if not name.startswith("HOCSO_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "admin", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=REPO,
            env=env,
            start_new_session=True,
            # The terminal becomes the child's own, for getpass to open /dev/tty.
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.seen = b""

    def expect(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"waited for {text!r}; the terminal shows {self.seen!r}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:  # the child has gone and closed the terminal
                    break
        assert text.encode() in self.seen, self.seen

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self) -> int:
        code = self.process.wait(timeout=30)
        with contextlib.suppress(OSError):
            while chunk := os.read(self.master, 4096):
                self.seen += chunk
        os.close(self.master)
        return code


def test_hocso_admin_add_asks_twice_on_a_terminal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hocso.db'}"
    differ = Terminal("add", "lan", "--store", url)
    differ.expect("Password: ")
    differ.type(PASSWORD)
    differ.expect("again: ")
    differ.type(PASSWORD + "?")
    assert differ.finish() == 1 and b"the two passwords differ" in differ.seen

    same = Terminal("add", "lan", "--store", url)
    same.expect("Password: ")
    same.type(PASSWORD)
    same.expect("again: ")
    same.type(PASSWORD)
    assert same.finish() == 0, same.seen
    assert PASSWORD.encode() not in same.seen  # not echoed
    store = open_store(url)
    try:
        assert Accounts(store).check("lan", PASSWORD) is not None
    finally:
        store.close()
