"""`hocso verify CODE`: who earned the certificate with this verification code."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.common import add_common, load_content, open_or_say


def register(commands: Any) -> None:
    verify = commands.add_parser(
        "verify",
        help="check a certificate code",
        description="Say who earned the certificate with this verification code, and when.",
    )
    verify.add_argument("code", help="the code printed on the certificate, e.g. HS-7K2P-9QXD")
    add_common(verify)
    verify.set_defaults(run=_verify)


def _verify(args: argparse.Namespace) -> int:
    store = open_or_say(args.store)
    if store is None:
        return 1
    try:
        record = store.find_certificate(args.code.strip().upper())
    finally:
        store.close()
    if record is None:
        print(f"hocso: no certificate has the code {args.code!r}", file=sys.stderr)
        return 1
    content = load_content(args.content)
    certificate = content.certificate(record.certificate) if content else None
    title = certificate.title if certificate else record.certificate
    # The codes of the national framework (Decision 757/QĐ-BKHCN) its lessons teach.
    codes = certificate.skills if certificate else ()
    skills = f" (skills {', '.join(codes)})" if codes else ""
    print(f"{record.code}: {title}{skills}, earned by {record.learner} on {record.earned_at}")
    return 0
