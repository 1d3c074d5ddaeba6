"""The JSON-LD context of the node's own documents (not of assertions).

Assertions use exactly the VC 2.0 and Confiance v1 contexts (their schemas say so). The
node also signs a few documents of its own, which need terms of their own, since the signer
refuses undefined terms (JSON-LD would drop them silently):

- ``KeyRotation``: the statement, signed by the rotation key, that moves signing to a new key;
- ``SubjectRequest``: a subject's signed request (export, erasure), a VerifiablePresentation
  whose holder is the subject;
- ``StatusReport``: the node's signed answer to ``GET /subjects/{subject}/status``.

The context is served at ``GET /contexts/node-v1`` and added to the node's document loader.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NODE_CONTEXT", "NODE_CONTEXT_URL"]

NODE_CONTEXT_URL = "https://w3id.org/confiance/node/v1"
_V = "https://w3id.org/confiance#"
_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def _id(name: str) -> dict[str, str]:
    return {"@id": _V + name, "@type": "@id"}


NODE_CONTEXT: dict[str, Any] = {"@context": {
    "@version": 1.1,
    "@protected": True,
    "KeyRotation": {"@id": _V + "KeyRotation"},
    "SubjectRequest": {"@id": _V + "SubjectRequest"},
    "StatusReport": {"@id": _V + "StatusReport"},
    "previousKey": _id("previousKey"),
    "nextKey": _id("nextKey"),
    "nextPublicKeyMultibase": {"@id": _V + "nextPublicKeyMultibase"},
    "rotatedAt": {"@id": _V + "rotatedAt", "@type": _DATETIME},
    "requestMethod": {"@id": _V + "requestMethod"},
    "requestPath": {"@id": _V + "requestPath"},
    "requestAudience": _id("requestAudience"),
    "bodyDigest": {"@id": _V + "bodyDigest"},
    "reportSubject": _id("reportSubject"),
    "reportContext": {"@id": _V + "reportContext"},
    "reportedAt": {"@id": _V + "reportedAt", "@type": _DATETIME},
}}
