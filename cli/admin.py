"""`hocso admin add NAME [--reset]`, `hocso admin list`, `hocso admin remove NAME`: the web
console's accounts (`bot.accounts`), each change written to the audit log as by `hocso admin`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

from bot import audit
from bot.accounts import (
    MIN_PASSWORD,
    NAME_RULE,
    PASSWORD_RULE,
    AccountError,
    Accounts,
    check_name,
    normal_name,
)
from cli.common import add_common, open_or_say

PASSWORD_ENV = "HOCSO_ADMIN_PASSWORD"

DESCRIPTION = f"""\
The accounts of the web console at /admin, kept in the store (--store, env HOCSO_STORE):
only a slow hash of each password (argon2id), never the password itself.

  hocso admin add NAME           make an account; asks for its password twice
  hocso admin add NAME --reset   give an account a new password (signs it out everywhere)
  hocso admin list               the accounts, with when each was made
  hocso admin remove NAME        delete an account (signs it out everywhere)

The password is read from {PASSWORD_ENV} when it is set (for scripts; the variable
is better than a command-line argument, which other users of the machine can see), else asked
on the terminal. The rules:
  {NAME_RULE};
  {PASSWORD_RULE}."""


def register(commands: Any) -> None:
    admin = commands.add_parser(
        "admin",
        help="add, list or remove the web console's accounts",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = admin.add_subparsers(title="actions", metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="make a console account (or --reset its password)",
        description=f"Make a console account. The password is read from {PASSWORD_ENV}, "
        f"else asked twice on the terminal; it needs at least {MIN_PASSWORD} characters.",
    )
    add.add_argument("name", metavar="NAME", help="the name to sign in with, e.g. lan or xa-an-phu")
    add.add_argument(
        "--reset",
        action="store_true",
        help="the account is there already: give it this new password",
    )
    add_common(add, content=False)
    add.set_defaults(run=_add)

    listing = actions.add_parser("list", help="list the console accounts")
    add_common(listing, content=False)
    listing.set_defaults(run=_list)

    remove = actions.add_parser("remove", help="delete a console account")
    remove.add_argument("name", metavar="NAME")
    add_common(remove, content=False)
    remove.set_defaults(run=_remove)

    admin.set_defaults(run=lambda _: _usage(admin))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _add(args: argparse.Namespace) -> int:
    return _with_accounts(args, lambda accounts: _set(accounts, args.name, args.reset))


def _set(accounts: Accounts, name: str, reset: bool) -> int:
    try:
        before = accounts.get(check_name(name))
        if before is not None and not reset:
            raise AccountError(
                f"there is an account '{before.name}' already; "
                "add --reset to give it a new password"
            )
        password = _password()
        if password is None:
            return 1
        account = accounts.set(name, password, reset=reset)
    except AccountError as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    what = "account_reset" if before is not None else "account_add"
    audit.record(accounts.directory, audit.CLI, what, {"account": account.name})
    done = "has a new password" if before is not None else "was made"
    print(f"The console account '{account.name}' {done}; sign in at /admin/login.")
    return 0


def _password() -> str | None:
    """The password from the environment, else asked twice on the terminal; None (after
    saying why) when there is no way to get one or the two differ."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        print(
            f"hocso: no password: set {PASSWORD_ENV}, or run this in a terminal to be asked",
            file=sys.stderr,
        )
        return None
    print(f"The password needs at least {MIN_PASSWORD} characters; it is not shown as you type.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("The same password again: "):
        print("hocso: the two passwords differ; nothing was changed", file=sys.stderr)
        return None
    return first


def _list(args: argparse.Namespace) -> int:
    def show(accounts: Accounts) -> int:
        found = accounts.all()
        if not found:
            print("No console accounts yet: make one with `hocso admin add NAME`.")
        for account in found:
            print(f"{account.name}\tmade {account.created_at}")
        return 0

    return _with_accounts(args, show)


def _remove(args: argparse.Namespace) -> int:
    def remove(accounts: Accounts) -> int:
        if not accounts.remove(args.name):
            print(f"hocso: there is no console account {args.name!r}", file=sys.stderr)
            return 1
        name = normal_name(args.name)
        audit.record(accounts.directory, audit.CLI, "account_remove", {"account": name})
        print(f"The console account '{name}' was removed; its sessions are over.")
        return 0

    return _with_accounts(args, remove)


def _with_accounts(args: argparse.Namespace, run: Callable[[Accounts], int]) -> int:
    store = open_or_say(args.store)
    if store is None:
        return 1
    try:
        return run(Accounts(store))
    finally:
        store.close()
