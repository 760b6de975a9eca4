"""`hocso verify CODE`: who earned the certificate with this number, or that it is unknown or
revoked (and when, and why). Exit 0 genuine, 1 unknown, 2 revoked."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.certified import read_code, standing
from cli.common import add_common, load_content, open_or_say

UNKNOWN, REVOKED = 1, 2


def register(commands: Any) -> None:
    verify = commands.add_parser(
        "verify",
        help="check a certificate's number",
        description="Say who earned the certificate with this number, and when; or that no "
        "certificate has it, or that it was revoked (when, why). Exit 0 when it stands, 1 "
        "when it is unknown, 2 when it was revoked.",
    )
    verify.add_argument("code", help="the number printed on the certificate, e.g. HS-7K2P-9QXD")
    add_common(verify)
    verify.set_defaults(run=_verify)


def _verify(args: argparse.Namespace) -> int:
    code = read_code(args.code)
    if code is None:
        print(f"hocso: no certificate has the number {args.code!r}", file=sys.stderr)
        return UNKNOWN
    store = open_or_say(args.store)
    if store is None:
        return 1
    try:
        found = standing(store, code)
    finally:
        store.close()
    if found.status == "unknown":
        print(f"hocso: no certificate has the number {args.code!r}", file=sys.stderr)
        return UNKNOWN
    content = load_content(args.content)
    certificate = content.certificate(found.certificate) if content else None
    title = certificate.title if certificate else found.certificate
    # The codes of the national framework (Decision 757/QĐ-BKHCN) its lessons teach.
    codes = certificate.skills if certificate else ()
    skills = f" (skills {', '.join(codes)})" if codes else ""
    if found.status == "revoked":
        replaced = f", replaced by {found.replaced_by}" if found.replaced_by else ""
        print(f"{code}: REVOKED on {found.revoked_at} ({found.why}){replaced}; {title}{skills}, "
              f"earned on {found.earned_at}")  # fmt: skip
        return REVOKED
    name = f", name {found.name}" if found.name else ", no name given yet"
    print(f"{code}: {title}{skills}, earned by {found.learner} on {found.earned_at}{name}")
    return 0
