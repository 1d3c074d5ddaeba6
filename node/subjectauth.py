"""Signed subject requests: how a subject proves, per request, that it controls its DID.

A request for a subject right (export, erasure) carries, in its ``Authorization`` header::

    Authorization: Confiance-DI <base64url of the UTF-8 JSON below, no padding>

a VerifiablePresentation whose holder is the subject, bound to one HTTP request::

    {"@context": ["https://www.w3.org/ns/credentials/v2",
                  "https://w3id.org/confiance/node/v1"],
     "type": ["VerifiablePresentation", "SubjectRequest"],
     "id": "urn:uuid:<random>",                  the nonce: usable once
     "holder": "did:key:z6Mk...",                the subject
     "requestMethod": "POST",
     "requestPath": "/subjects/did:key:z6Mk.../erasure",   decoded path, no query
     "requestAudience": "did:web:node.example",  this node's DID: no replay elsewhere
     "bodyDigest": "<base64url SHA-256 of the body>",      when there is a body
     "proof": {DataIntegrityProof, eddsa-jcs-2022 or eddsa-rdfc-2022,
               "proofPurpose": "authentication", "created": ..., "expires": ...}}

The node accepts it when: the proof verifies with the holder's did:key (only did:key can be
checked without outbound requests); the holder is the subject in the path; method, path,
audience and body digest match this request; ``created`` is at most
``subject_request_max_age`` seconds old and ``expires`` at most that far after ``created``;
and the id was not used before (ids are remembered until they expire). Why a signed
document rather than an HTTP message signature: the node and its clients already sign and
verify Data Integrity documents, so a subject needs one tool for assertions and requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from confiance.protocol.canonical import parse_json
from confiance.protocol.contexts import DocumentLoader
from confiance.protocol.errors import ConfianceError
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import CREDENTIALS_V2_URL, parse_datetime
from confiance.protocol.signing import sign, verify

from .context import Node
from .nodecontext import NODE_CONTEXT_URL
from .problems import InvalidSubjectRequest, ReplayedRequest

__all__ = ["SCHEME", "authenticate", "body_digest", "decode_request", "make_subject_request"]

SCHEME = "Confiance-DI"
MAX_HEADER = 6000
_FIELDS = frozenset({"@context", "type", "id", "holder", "requestMethod", "requestPath",
                     "requestAudience", "bodyDigest", "proof"})


def body_digest(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


def make_subject_request(key: KeyPair, *, audience: str, method: str, path: str,
                         body: bytes = b"", created: datetime, ttl_seconds: int = 120,
                         nonce: str | None = None, loader: DocumentLoader | None = None
                         ) -> str:
    """The ``Authorization`` header value for one request (what a subject's client does)."""
    request: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL, NODE_CONTEXT_URL],
        "type": ["VerifiablePresentation", "SubjectRequest"],
        "id": f"urn:uuid:{nonce or uuid.uuid4()}",
        "holder": key.did,
        "requestMethod": method.upper(),
        "requestPath": path,
        "requestAudience": audience,
    }
    if body:
        request["bodyDigest"] = body_digest(body)
    if loader is None:
        from confiance.protocol.contexts import default_loader

        from .nodecontext import NODE_CONTEXT
        loader = default_loader().with_documents({NODE_CONTEXT_URL: NODE_CONTEXT})
    signed = sign(request, key, created=created, loader=loader, proof_purpose="authentication",
                  expires=created + timedelta(seconds=ttl_seconds))
    raw = json.dumps(signed, separators=(",", ":")).encode()
    return f"{SCHEME} " + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(header: str, limit_bytes: int, node: Node) -> dict[str, Any]:
    scheme, _, value = header.partition(" ")
    if scheme != SCHEME or not value.strip():
        raise InvalidSubjectRequest(
            f"this needs a signed subject request: Authorization: {SCHEME} <base64url>")
    value = value.strip()
    if len(value) > MAX_HEADER:
        raise InvalidSubjectRequest("the signed request is too large")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise InvalidSubjectRequest("the signed request is not base64url") from None
    try:
        doc = parse_json(raw, node.limits)
    except ConfianceError as exc:
        raise InvalidSubjectRequest(f"the signed request is not JSON: {exc.message}") from None
    if not isinstance(doc, dict):
        raise InvalidSubjectRequest("the signed request must be a JSON object")
    return doc


def decode_request(header: str, node: Node) -> dict[str, Any]:
    """The signed request of an ``Authorization`` header (already authenticated)."""
    return _decode(header, node.limits.max_bytes, node)


async def authenticate(request: web.Request, node: Node, subject: str, body: bytes) -> str:
    """Check the request's signed subject request (see the module docstring).

    Returns the subject DID; raises ``invalid-subject-request`` (401) or
    ``replayed-request`` (409).
    """
    doc = _decode(request.headers.get("Authorization", ""), node.limits.max_bytes, node)
    unknown = set(doc) - _FIELDS
    if unknown:
        raise InvalidSubjectRequest(f"unexpected member {sorted(unknown)[0]!r:.60} in the "
                                    "signed request")
    if doc.get("type") != ["VerifiablePresentation", "SubjectRequest"]:
        raise InvalidSubjectRequest('type must be ["VerifiablePresentation", "SubjectRequest"]')
    holder = doc.get("holder")
    if holder != subject:
        raise InvalidSubjectRequest(f"the request is signed for {str(holder)[:120]!r}, not for "
                                    f"the subject {subject[:120]!r}")
    if not subject.startswith("did:key:"):
        raise InvalidSubjectRequest("only did:key subjects can sign requests at this node")
    expected = {"requestMethod": request.method, "requestPath": request.path,
                "requestAudience": node.did}
    for name, value in expected.items():
        if doc.get(name) != value:
            raise InvalidSubjectRequest(f"{name} must be {value!r:.200} for this request",
                                        member=name)
    if body and doc.get("bodyDigest") != body_digest(body):
        raise InvalidSubjectRequest("bodyDigest does not match the request body",
                                    member="bodyDigest")
    if not body and "bodyDigest" in doc:
        raise InvalidSubjectRequest("bodyDigest given for a request without a body")
    nonce = doc.get("id")
    if not isinstance(nonce, str) or not 8 <= len(nonce) <= 128:
        raise InvalidSubjectRequest("the request needs an id (8 to 128 characters): its nonce")
    now = node.now()
    report = verify(doc, now=now, loader=node.loader, limits=node.limits,
                    key_resolver=node.keyring.resolve, proof_purpose="authentication")
    if not report.ok:
        failure = report.failures[0]
        raise InvalidSubjectRequest(f"the signed request does not verify: {failure.detail}",
                                    check=failure.name)
    if subject not in report.signers:
        raise InvalidSubjectRequest("the request is not signed with the subject's key")
    proof = doc["proof"] if isinstance(doc["proof"], dict) else doc["proof"][0]
    max_age = timedelta(seconds=node.config.subject_request_max_age)
    created = parse_datetime(proof["created"], "created")
    if "expires" not in proof:
        raise InvalidSubjectRequest("the request's proof must say when it expires")
    expires = parse_datetime(proof["expires"], "expires")
    if created < now - max_age or expires - created > max_age:
        raise InvalidSubjectRequest(
            f"a signed request is valid for at most {max_age.seconds} seconds after it is "
            "created", maxAgeSeconds=max_age.seconds)
    if not await node.store.use_nonce(f"{subject} {nonce}", expires_at=expires, now=now):
        raise ReplayedRequest("this signed request was used already; sign a new one")
    return subject
