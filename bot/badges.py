"""A certificate as an Open Badges 3.0 credential (1EdTech's OpenBadgeCredential, a W3C
Verifiable Credential), served at `/verify/NUMBER.json`:

```json
{"@context": ["https://www.w3.org/ns/credentials/v2",
              "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
 "id": "https://hocso.example.vn/verify/HS-7K2P-9QXD.json",
 "type": ["VerifiableCredential", "OpenBadgeCredential"],
 "name": "An toàn trên mạng",
 "issuer": {"id": "https://hocso.example.vn", "type": ["Profile"],
            "name": "Tổ công nghệ số cộng đồng xã An Phú", "url": "https://hocso.example.vn"},
 "validFrom": "2026-11-23T10:00:00+07:00", "awardedDate": "2026-11-23T10:00:00+07:00",
 "credentialSubject": {
   "type": ["AchievementSubject"],
   "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": true,
                   "identityHash": "sha256$…", "salt": "…"}],
   "achievement": {"id": "urn:uuid:…", "type": ["Achievement"], "achievementType": "Certificate",
                   "name": "An toàn trên mạng", "description": "…", "inLanguage": "vi",
                   "criteria": {"narrative": "Học đạt các bài: …"},
                   "alignment": [{"type": ["Alignment"], "targetCode": "4.2",
                                  "targetName": "Bảo vệ dữ liệu cá nhân và quyền riêng tư",
                                  "targetFramework": "Khung kiến thức, kỹ năng số cơ bản …",
                                  "targetType": "CFItem", "targetUrl": "…"}]}}}
```
The recipient is a salted hash of the name printed on the certificate (`sha256$` and the hex
SHA-256 of the name, NFC, followed by the salt), never the name: whoever holds the paper can
check that the name on it is the one the credential was issued to, and nobody can read it
from the credential. The salt is the certificate's own (a keyed digest of its number, so
it stays the same while the service's secret does). A certificate with no name yet has no
identifier. The credential is not signed (no `proof`): it is checked where it is served,
at the issuer's address, as /verify is. The achievement's id is the same for every holder of
one certificate (a UUID made from the address and the certificate's id).
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from typing import Any

from bot.certificates import Paper
from bot.messages import Messages

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def identity_hash(name: str, salt: str) -> str:
    """The salted hash of a recipient's name, as Open Badges writes it: `sha256$<hex>`."""
    text = unicodedata.normalize("NFC", name) + salt
    return "sha256$" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def credential(
    paper: Paper, certificate_id: str, messages: Messages, *, base: str, salt: str,
    framework_url: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The OpenBadgeCredential of a certificate that stands. `base` is the service's public
    address, `salt` the certificate's, `framework_url` where the national framework is
    published (None: the certificate's own /verify page, which names its skills)."""
    base = base.rstrip("/")
    page = f"{base}/verify/{paper.code}"
    say = messages.text
    achievement: dict[str, Any] = {
        "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/certificates/{certificate_id}").urn,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": paper.title,
        "description": say("paper.note", issuer=paper.issuer),
        "inLanguage": "vi",
        "criteria": {"narrative": say("verify.criteria", lessons="; ".join(paper.lessons))},
    }
    if paper.skills:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetCode": code,
                "targetName": name or code,
                "targetFramework": paper.framework,
                "targetType": "CFItem",
                "targetUrl": framework_url or page,
            }
            for code, name in paper.skills
        ]
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": achievement}
    if paper.name:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": True,
                "identityHash": identity_hash(paper.name, salt),
                "salt": salt,
            }
        ]
    return {
        "@context": CONTEXT,
        "id": f"{page}.json",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": paper.title,
        "issuer": {"id": base, "type": ["Profile"], "name": paper.issuer, "url": base},
        "validFrom": paper.earned_at,
        "awardedDate": paper.earned_at,
        "credentialSubject": subject,
    }
