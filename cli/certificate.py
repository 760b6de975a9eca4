"""`hocso certificate`: a certificate's picture and PDF, and what an admin may do with one.

hocso certificate render HS-7K2P-9QXD --png giay.png --pdf giay.pdf
hocso certificate revoke HS-7K2P-9QXD --why "cấp nhầm người"
hocso certificate reissue HS-7K2P-9QXD       # a new number; the old one revoked
hocso certificate rename HS-7K2P-9QXD --name "Nguyễn Thị Hường"

`render` draws the certificate as the learner has it in the chat: landscape A4, the name the
learner gave, the issuing unit of HOCSO_ISSUER, and a QR code of
HOCSO_PUBLIC_URL/verify/NUMBER, so HOCSO_PUBLIC_URL must be the service's public https
address (a paper is printed once). `revoke` needs a reason; /verify then says the number was
revoked, and when. `reissue` gives the certificate a new number, the date it was earned kept,
and revokes the old one, as after correcting the name on a paper already printed; `rename`
sets the name printed on all of a learner's certificates. Each is in the audit log.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import audit, links
from bot.certificates import ISSUER_ENV, certificate_pdf, certificate_png, paper_of
from bot.certified import CertificateError, read_code, reissue, rename, revoke, standing
from bot.stores.base import Store
from cli.common import add_common, load_content, open_or_say


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "certificate",
        help="draw, revoke, reissue or rename a certificate",
        description=__doc__.split("\n\n", 1)[0].replace("`", ""),
        epilog=__doc__.split("\n\n", 1)[1].replace("`", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    number = "the certificate's number, as printed on it (e.g. HS-7K2P-9QXD)"

    render = actions.add_parser("render", help="the certificate's picture (PNG) and PDF")
    render.add_argument("code", help=number)
    render.add_argument("--png", type=Path, help="write the picture (landscape A4, 150 dpi) here")
    render.add_argument("--pdf", type=Path, help="write the A4 PDF to print here")
    add_common(render)
    render.set_defaults(run=_render)

    revoked = actions.add_parser("revoke", help="revoke it: /verify then says so, and when")
    revoked.add_argument("code", help=number)
    revoked.add_argument("--why", required=True, help="why it is revoked (kept, for admins)")
    add_common(revoked, content=False)
    revoked.set_defaults(run=_revoke)

    again = actions.add_parser("reissue", help="a new number for it; the old one revoked")
    again.add_argument("code", help=number)
    add_common(again, content=False)
    again.set_defaults(run=_reissue)

    named = actions.add_parser("rename", help="set the name printed on the learner's certificates")
    named.add_argument("code", help=number + "; every certificate of its learner is renamed")
    named.add_argument("--name", required=True, help='the full name, e.g. "Nguyễn Thị Hường"')
    add_common(named, content=False)
    named.set_defaults(run=_rename)


def _code(text: str) -> str | None:
    code = read_code(text)
    if code is None:
        print(f"hocso: {text!r} is not a certificate number (like HS-7K2P-9QXD)", file=sys.stderr)
    return code


def _render(args: argparse.Namespace) -> int:
    if args.png is None and args.pdf is None:
        print("hocso: say where to write it: --png FILE, --pdf FILE or both", file=sys.stderr)
        return 2
    code = _code(args.code)
    if code is None:
        return 1
    try:
        base = links.public_base(os.environ.get("HOCSO_PUBLIC_URL"))
    except links.LinkError as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    content = load_content(args.content)
    store = open_or_say(args.store)
    if content is None or store is None:
        return 1
    try:
        found = standing(store, code)
    finally:
        store.close()
    if found.status != "genuine":
        said = "was revoked on " + str(found.revoked_at) if found.revoked_at else "is unknown"
        print(f"hocso: the certificate {code} {said}: nothing drawn", file=sys.stderr)
        return 1
    paper = paper_of(content, found, issuer=os.environ.get(ISSUER_ENV) or None, base=base)
    files = []
    for path, draw in ((args.png, certificate_png), (args.pdf, certificate_pdf)):
        if path is not None:
            files.append((path, draw(paper, content.messages)))  # drawn before anything is written
    try:
        for path, data in files:
            path.write_bytes(data)
    except OSError as error:
        print(f"hocso: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    for path, _ in files:
        print(f"{path.suffix.lstrip('.')}: {path}")
    return 0


def _admin(args: argparse.Namespace, act: Callable[[Store, str], str]) -> int:
    """Run an admin's action on the number `args.code` and print what it did; exit 1 with
    the reason when it cannot be done."""
    code = _code(args.code)
    store = open_or_say(args.store) if code else None
    if code is None or store is None:
        return 1
    try:
        said = act(store, code)
    except CertificateError as error:
        print(f"hocso: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(said)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    def act(store: Store, code: str) -> str:
        found = revoke(store, code, args.why, who=audit.CLI)
        return f"{code}: revoked on {found.revoked_at} ({found.why})"

    return _admin(args, act)


def _reissue(args: argparse.Namespace) -> int:
    def act(store: Store, code: str) -> str:
        fresh = reissue(store, code, who=audit.CLI)
        return f"{code}: revoked, replaced by {fresh}\n{fresh}"

    return _admin(args, act)


def _rename(args: argparse.Namespace) -> int:
    def act(store: Store, code: str) -> str:
        found = standing(store, code)
        if found.learner is None:
            raise CertificateError(
                f"the certificate {code} is {found.status}: no learner to rename"
            )
        printed = rename(store, found.learner, args.name, who=audit.CLI)
        return f"{found.learner}: certificates now name {printed}"

    return _admin(args, act)
