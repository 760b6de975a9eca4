"""The registry of certificates: whether a number stands, the name printed on it, and what an
admin may do with it. The CLI (`hocso certificate`, `hocso verify`), the `/verify` page and
the console all call these.

    standing(store, "HS-7K2P-9QXD")                      # Standing(status="genuine", ...)
    revoke(store, "HS-7K2P-9QXD", "cấp nhầm", who="lan")  # /verify says revoked, and when
    new = reissue(store, "HS-7K2P-9QXD", who="lan")      # a new number; the old one revoked
    rename(store, "tg:12345", "Nguyễn Thị Hường", who="lan")

Every certificate is recorded the moment it is earned: on its learner (`Learner.certificates`,
its number and date) and in the store's index of numbers (`Store.find_certificate`), in the
same atomic step. A revocation is a directory document of kind `revoked` under the number:

```json
{"at": "2026-12-01T09:00:00+07:00", "why": "cấp nhầm", "who": "lan",
 "certificate": "an-toan-tren-mang", "earned_at": "2026-11-23T10:00:00+07:00",
 "replaced_by": null}
```
It names no learner, and stays when the learner deletes their data: a revoked number verifies
as revoked, never as unknown (a number whose learner deleted their data, and was not revoked,
is unknown, as all they had is gone). The learner keeps the certificate with its `revoked_at`,
so it is not earned again and counts no more. Each action is one entry in the audit log
(`bot.audit`: `certificate_revoke`, `certificate_reissue`, `certificate_rename`, with the
number or the learner in `detail`),
made here, under `who`: a caller (the console) does not record it again.

The name printed is the learner's `certificate_name`, which they give in the chat
(`printed_name` says what a name may be) and an admin may correct; /verify shows it masked
(`masked`: "Nguyễn Thị H.").
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot import audit
from bot.inbound import NAME_LENGTH
from bot.learner import Earned, Learner
from bot.progress import CODE_ALPHABET, new_code
from bot.stores.base import Store

REVOKED = "revoked"
"""The directory's kind for revocations, by number."""


Status = Literal["genuine", "revoked", "unknown"]

_CODE = re.compile(rf"HS-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}")
# What people misread in a printed number (Crockford's base32): O for 0, I and L for 1.
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_NAME_SIGNS = " '-."
_WORD = re.compile(r"[^\W\d_]+")


class CertificateError(ValueError):
    """What an admin asked cannot be done; the message says why, in plain words."""


@dataclass(frozen=True)
class Standing:
    """What a number is: a certificate that stands (`genuine`), one revoked, or none.

    `certificate` and `earned_at` for a genuine or revoked one; `learner` and `name` (printed,
    None: not given) for one whose learner is stored; `revoked_at`, `why` and `replaced_by`
    (the number that replaced it, when reissued) for a revoked one."""

    code: str
    status: Status
    certificate: str = ""
    earned_at: str = ""
    learner: str | None = None
    name: str | None = None
    revoked_at: str | None = None
    why: str | None = None
    replaced_by: str | None = None


def read_code(text: str) -> str | None:
    """A certificate number as typed or scanned, in its printed form (`HS-7K2P-9QXD`): any
    case, with or without the dashes or spaces, O read as 0 and I or L as 1; None when it
    cannot be one."""
    squeezed = "".join(text.split()).replace("-", "").upper()
    if not squeezed.startswith("HS") or len(squeezed) != 10:
        return None
    body = squeezed[2:].translate(_MISREAD)
    code = f"HS-{body[:4]}-{body[4:]}"
    return code if _CODE.fullmatch(code) else None


def standing(store: Store, code: str) -> Standing:
    """What the number `code` (as printed) is. The same store calls for any number, known or
    not, but reading the learner of a known one."""
    revoked = store.doc(REVOKED, code)
    record = store.find_certificate(code)
    if revoked is not None:
        return Standing(
            code,
            "revoked",
            str(revoked.get("certificate", "")),
            str(revoked.get("earned_at", "")),
            record.learner if record else None,
            None,
            str(revoked.get("at", "")),
            revoked.get("why"),
            revoked.get("replaced_by"),
        )
    if record is None:
        return Standing(code, "unknown")
    learner = store.get(record.learner)
    earned = learner.certificates.get(record.certificate) if learner else None
    name = learner.certificate_name if learner else None
    if earned is not None and earned.revoked_at is not None:  # its document was lost
        return Standing(
            code, "revoked", record.certificate, record.earned_at, record.learner, name,
            earned.revoked_at,
        )  # fmt: skip
    return Standing(code, "genuine", record.certificate, record.earned_at, record.learner, name)


def revoke(
    store: Store, code: str, why: str, *, who: str | None, at: float | None = None
) -> Standing:
    """Revoke a certificate that stands, saying why; its standing now. CertificateError when
    the number is unknown or already revoked, or `why` is empty."""
    why = " ".join(why.split())
    if not why:
        raise CertificateError("say why the certificate is revoked (--why TEXT)")
    found = _standing_one(store, code)
    when = _stamp(at)
    # The revocation first: should the learner's write fail, the number is already revoked.
    store.put_doc(REVOKED, code, _revocation(found, when, why, who, None))
    if found.learner is not None:
        store.update(found.learner, _mark_revoked(found, when))
    audit.record(store, who, "certificate_revoke", {"code": code, "why": why}, at=at)
    return standing(store, code)


def reissue(
    store: Store,
    code: str,
    *,
    who: str | None,
    at: float | None = None,
    make_code: Callable[[], str] = new_code,
) -> str:
    """Give the certificate a new number (after its name was corrected, so that a paper
    printed with the old name no longer verifies) and revoke the old one; the new number.
    The date it was earned stays. CertificateError when the number does not stand or its
    learner is gone."""
    found = _standing_one(store, code)
    if found.learner is None or store.get(found.learner) is None:
        raise CertificateError(f"the learner of {code} is no longer stored: nothing to reissue")
    fresh = make_code()
    when = _stamp(at)
    store.put_doc(REVOKED, code, _revocation(found, when, "reissued", who, fresh))
    try:
        store.update(found.learner, _renumbered(found, fresh))
    except Exception:
        store.put_doc(REVOKED, code, None)  # the old number stands as it did
        raise
    audit.record(store, who, "certificate_reissue", {"code": code, "new": fresh}, at=at)
    return fresh


def rename(
    store: Store, learner_id: str, name: str, *, who: str | None, at: float | None = None
) -> str:
    """Set the name printed on a learner's certificates (as a commune team corrects it in
    person); the name as it will be printed. CertificateError for a name `printed_name`
    refuses, or a learner not stored."""
    printed = printed_name(name)
    if printed is None:
        raise CertificateError(
            f"{name!r} cannot be printed as a name: 2 to {NAME_LENGTH} characters, letters "
            "(with their marks), spaces, ' - and . only"
        )

    def change(learner: Learner | None) -> tuple[Learner | None, bool]:
        if learner is None:
            return None, False
        renamed = learner.copy()
        renamed.certificate_name = printed
        return renamed, True

    if not store.update(learner_id, change):
        raise CertificateError(f"no learner {learner_id!r} is stored")
    audit.record(store, who, "certificate_rename", {"learner": learner_id}, at=at)
    return printed


def revocations(store: Store) -> list[tuple[str, dict[str, Any]]]:
    """Every revoked number with its document, the latest first."""
    found = store.docs(REVOKED)
    return sorted(found.items(), key=lambda item: str(item[1].get("at", "")), reverse=True)


# -- names ------------------------------------------------------------------------------------


def printed_name(text: str) -> str | None:
    """A name as a certificate prints it, or None when `text` cannot be one: 2 to 60
    characters of letters (with their marks), spaces, ' - and ., at least two letters, no
    digits. Each word is capitalised as Vietnamese names are written ("nguyễn thị HƯỜNG" ->
    "Nguyễn Thị Hường", "h'hen niê" -> "H'Hen Niê")."""
    name = " ".join(unicodedata.normalize("NFC", text).replace("’", "'").split())
    if not 2 <= len(name) <= NAME_LENGTH:
        return None
    letters = 0
    for ch in name:
        kind = unicodedata.category(ch)
        if kind.startswith("L"):
            letters += 1
        elif not (kind.startswith("M") or ch in _NAME_SIGNS):
            return None
    if letters < 2:
        return None
    return _WORD.sub(lambda word: word.group()[0].upper() + word.group()[1:].lower(), name)


def offered_name(shown: str | None) -> str | None:
    """The name a chat profile shows (`Learner.name`), as a name to offer for printing: what
    is not a letter, a mark or a sign of a name (emoji, digits) left out; None when no name
    is left."""
    if not shown:
        return None
    kept = "".join(
        ch if unicodedata.category(ch)[0] in "LM" or ch in _NAME_SIGNS else " "
        for ch in unicodedata.normalize("NFC", shown)
    )
    return printed_name(kept)


def masked(name: str) -> str:
    """A name as /verify shows it: every word but the last, and the last one's initial
    ("Nguyễn Thị Hường" -> "Nguyễn Thị H.", "Hường" -> "H.")."""
    words = name.split()
    if not words:
        return ""
    return " ".join([*words[:-1], words[-1][0] + "."])


def plain_letters(name: str) -> bool:
    """Whether a name has no Vietnamese marks at all (typed without diacritics, maybe)."""
    return name.isascii()


# -- helpers ----------------------------------------------------------------------------------


def _standing_one(store: Store, code: str) -> Standing:
    found = standing(store, code)
    if found.status == "unknown":
        raise CertificateError(f"no certificate has the number {code}")
    if found.status == "revoked":
        raise CertificateError(f"the certificate {code} was already revoked on {found.revoked_at}")
    return found


def _revocation(
    found: Standing, when: str, why: str, who: str | None, replaced_by: str | None
) -> dict[str, Any]:
    return {
        "at": when,
        "why": why,
        "who": who,
        "certificate": found.certificate,
        "earned_at": found.earned_at,
        "replaced_by": replaced_by,
    }


def _mark_revoked(
    found: Standing, when: str
) -> Callable[[Learner | None], tuple[Learner | None, None]]:
    def change(learner: Learner | None) -> tuple[Learner | None, None]:
        if learner is None:
            return None, None
        earned = learner.certificates.get(found.certificate)
        if earned is None or earned.code != found.code:
            return learner, None
        marked = learner.copy()
        marked.certificates[found.certificate] = replace(earned, revoked_at=when)
        return marked, None

    return change


def _renumbered(
    found: Standing, fresh: str
) -> Callable[[Learner | None], tuple[Learner | None, None]]:
    def change(learner: Learner | None) -> tuple[Learner | None, None]:
        if learner is None:
            raise CertificateError(f"the learner of {found.code} is no longer stored")
        earned = learner.certificates.get(found.certificate)
        if earned is None or earned.code != found.code:
            raise CertificateError(f"{found.code} is no longer this learner's number")
        renumbered = learner.copy()
        renumbered.certificates[found.certificate] = Earned(earned.earned_at, fresh)
        return renumbered, None

    return change


def _stamp(at: float | None) -> str:
    return audit.now_iso(time.time() if at is None else at)


__all__ = [
    "REVOKED",
    "CertificateError",
    "Standing",
    "masked",
    "offered_name",
    "plain_letters",
    "printed_name",
    "read_code",
    "reissue",
    "rename",
    "revocations",
    "revoke",
    "standing",
]
