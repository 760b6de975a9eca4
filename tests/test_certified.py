"""The registry of certificates (bot.certified) on every store: a number genuine, revoked or
unknown; revoking and reissuing as an admin does, each in the audit log; a revoked number never
becomes unknown, not even when its learner deletes their data; a revoked certificate counts no
more in the reports; names as a certificate prints them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.certified import (
    CertificateError,
    masked,
    offered_name,
    printed_name,
    read_code,
    reissue,
    rename,
    revocations,
    revoke,
    standing,
)
from bot.learner import Earned, Learner
from bot.stores import Store, open_store
from bot.tally import contributions

AT = 1_795_000_000.0  # 2026-11-18, in Vietnam


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def holder(store: Store, learner_id: str = "tg:1", name: str | None = "Nguyễn Thị Hường") -> None:
    learner = Learner.new(learner_id)
    learner.certificate_name = name
    learner.certificates["an-toan-tren-mang"] = Earned("2026-11-23T10:00:00+07:00", "HS-7K2P-9QXD")
    learner.certificates["chi-mau"] = Earned("2026-11-20T10:00:00+07:00", "HS-AAAA-BBBB")
    store.save(learner)


def test_a_genuine_number_and_an_unknown_one(store: Store) -> None:
    holder(store)
    found = standing(store, "HS-7K2P-9QXD")
    assert (found.status, found.certificate, found.learner, found.name) == (
        "genuine", "an-toan-tren-mang", "tg:1", "Nguyễn Thị Hường"
    )  # fmt: skip
    assert found.earned_at == "2026-11-23T10:00:00+07:00"
    assert standing(store, "HS-0000-0000").status == "unknown"


def test_revoking_says_why_and_when_and_the_number_stays_revoked(store: Store) -> None:
    holder(store)
    found = revoke(store, "HS-7K2P-9QXD", " cấp   nhầm ", who="lan", at=AT)
    assert (found.status, found.why, found.certificate) == (
        "revoked",
        "cấp nhầm",
        "an-toan-tren-mang",
    )
    assert found.revoked_at == "2026-11-18T18:06:40+07:00"
    learner = store.get("tg:1")
    assert learner is not None
    assert learner.certificates["an-toan-tren-mang"].revoked_at == found.revoked_at
    assert list(learner.standing()) == ["chi-mau"]
    assert store.counts().get("cert|an-toan-tren-mang", 0) == 0  # counts no more
    assert store.counts()["certs|||"] == 1
    entry = store.audit_log(1)[0]
    assert (entry["who"], entry["what"], entry["detail"]) == (
        "lan", "certificate_revoke", {"code": "HS-7K2P-9QXD", "why": "cấp nhầm"}
    )  # fmt: skip
    with pytest.raises(CertificateError, match="already revoked"):
        revoke(store, "HS-7K2P-9QXD", "lại", who="lan")
    # The learner deletes their data: the number is still revoked, never unknown.
    store.delete("tg:1")
    after = standing(store, "HS-7K2P-9QXD")
    assert (after.status, after.revoked_at, after.learner) == ("revoked", found.revoked_at, None)
    assert standing(store, "HS-AAAA-BBBB").status == "unknown"
    assert [code for code, _ in revocations(store)] == ["HS-7K2P-9QXD"]
    assert "tg:1" not in str(revocations(store))  # the revocation names no learner


def test_what_cannot_be_revoked(store: Store) -> None:
    holder(store)
    with pytest.raises(CertificateError, match="no certificate has the number HS-0000-0000"):
        revoke(store, "HS-0000-0000", "sai", who="lan")
    with pytest.raises(CertificateError, match="say why"):
        revoke(store, "HS-7K2P-9QXD", "  ", who="lan")
    assert standing(store, "HS-7K2P-9QXD").status == "genuine"


def test_reissuing_gives_a_new_number_and_revokes_the_old(store: Store) -> None:
    holder(store)
    fresh = reissue(store, "HS-7K2P-9QXD", who="lan", at=AT, make_code=lambda: "HS-NEW0-0001")
    assert fresh == "HS-NEW0-0001"
    old, new = standing(store, "HS-7K2P-9QXD"), standing(store, fresh)
    assert (old.status, old.replaced_by, old.why) == ("revoked", fresh, "reissued")
    assert (new.status, new.certificate, new.earned_at) == (
        "genuine", "an-toan-tren-mang", "2026-11-23T10:00:00+07:00"
    )  # fmt: skip
    assert store.counts()["certs|||"] == 2  # the same certificate, still counted once
    assert store.audit_log(1)[0]["what"] == "certificate_reissue"
    with pytest.raises(CertificateError, match="already revoked"):
        reissue(store, "HS-7K2P-9QXD", who="lan")


def test_a_reissue_whose_write_fails_leaves_the_old_number_standing(store: Store) -> None:
    holder(store)

    def taken() -> str:
        return "HS-AAAA-BBBB"  # another certificate's number: the store refuses it

    with pytest.raises(ValueError):
        reissue(store, "HS-7K2P-9QXD", who="lan", make_code=taken)
    assert standing(store, "HS-7K2P-9QXD").status == "genuine"


def test_renaming_sets_the_printed_name(store: Store) -> None:
    holder(store, name=None)
    assert rename(store, "tg:1", "trần   văn bình", who="lan") == "Trần Văn Bình"
    assert standing(store, "HS-7K2P-9QXD").name == "Trần Văn Bình"
    assert store.audit_log(1)[0]["detail"] == {"learner": "tg:1"}
    with pytest.raises(CertificateError, match="cannot be printed as a name"):
        rename(store, "tg:1", "B1nh", who="lan")
    with pytest.raises(CertificateError, match="no learner 'tg:9'"):
        rename(store, "tg:9", "Bình", who="lan")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("HS-7K2P-9QXD", "HS-7K2P-9QXD"),
        ("hs-7k2p-9qxd", "HS-7K2P-9QXD"),
        (" HS 7K2P 9QXD ", "HS-7K2P-9QXD"),
        ("HS7K2P9QXD", "HS-7K2P-9QXD"),
        ("HS-7K2P-9QXO", "HS-7K2P-9QX0"),  # O read as 0
        ("HS-IK2P-LQXD", "HS-1K2P-1QXD"),  # I and L as 1
        ("HS-7K2P-9QXU", None),  # U is no letter of a number
        ("HS-7K2P", None),
        ("XX-7K2P-9QXD", None),
        ("", None),
    ],
)
def test_a_number_as_typed_or_scanned(typed: str, code: str | None) -> None:
    assert read_code(typed) == code


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("nguyễn thị hường", "Nguyễn Thị Hường"),
        ("NGUYỄN THỊ HƯỜNG", "Nguyễn Thị Hường"),
        ("Nguye\u0302\u0303n", "Nguyễn"),  # composed
        ("h’hen niê", "H'Hen Niê"),
        ("Y-Moan Ênuôl", "Y-Moan Ênuôl"),
        ("An", "An"),
        ("A", None),
        ("Lan 2", None),
        ("Lan 🌸", None),
        ("a" * 61, None),
    ],
)
def test_a_name_as_printed(text: str, printed: str | None) -> None:
    assert printed_name(text) == printed


def test_a_profile_s_name_offered_and_a_name_masked() -> None:
    assert offered_name("🌸 Lan Nguyễn 🌸") == "Lan Nguyễn"
    assert offered_name("12345") is None and offered_name(None) is None
    assert masked("Nguyễn Thị Hường") == "Nguyễn Thị H."
    assert masked("Hường") == "H."
    assert masked("") == ""


def test_a_revoked_certificate_counts_nowhere() -> None:
    learner = Learner.new("tg:1")
    learner.certificates["a"] = Earned(
        "2026-11-23T10:00:00+07:00", "HS-1", "2026-11-24T10:00:00+07:00"
    )
    counts = contributions(learner)
    assert counts["certs|||"] == 0 and counts["certified|||"] == 0 and counts["cert|a"] == 0
