"""Erasure notices: the issuer's signed will to erase, in a form any node can check.

A subject's erasure at one node must reach every node that holds the assertions, yet no
node may erase on another node's word. So what travels is the subject's own signed
erasure request (:mod:`.subjectauth`) with the exact request body it signed, plus the list
of ids the first node erased under it::

    {"type": "Erasure",
     "request": {<the signed SubjectRequest presentation, as sent in Authorization>},
     "body": "<the request body, verbatim: {\\"ids\\": [...]} or {\\"all\\": true}>",
     "erased": ["ni:///sha-256;...", ...]}

Its content id is the RFC 6920 id of its JCS form, like an assertion's, so gossip
reconciles notices in the same id space as assertions (:mod:`.catalog`).

A node accepts a notice when (:func:`verify_notice`): the request's proof verifies with
the holder's did:key (``authentication``), the request is ``POST
/subjects/<holder>/erasure``, ``bodyDigest`` is the digest of ``body``, the body is a valid
erasure body, and every id of ``erased`` is named by it (or the body says ``all``).

A notice whose body says ``{"all": true}`` erases more than its list: every node erases
everything it holds by the holder signed (proof ``created``, else ``validFrom``) at or
before the request's own ``created``, and refuses such assertions from then on, whoever
brings them. Its ``erased`` list (0 to :data:`MAX_ERASED` ids: the first node may hold
nothing, or more than fit) only tombstones ids a node has never seen. What the holder
signs after its request is not affected. What
is *not* checked, on purpose: the audience (the node the subject spoke to), the
freshness window and the nonce. They guard the HTTP request against replay; an erasure
decision is idempotent and a replayed notice can only erase again what its issuer already
asked to erase. The ids of ``erased`` that the receiver holds must have been issued by the
holder, else the notice is a forgery (``erasure-not-by-issuer``) and the sender is blamed.
Ids it does not hold are tombstoned for that issuer only: an assertion with that id by
another issuer is not blocked (the tombstone then gives way), so nobody can pre-empt
someone else's assertions.

A notice holds no erased content: ids, the erasing DID, its signed request.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confiance.protocol.canonical import canonicalize_jcs, parse_json
from confiance.protocol.contexts import DocumentLoader
from confiance.protocol.errors import ConfianceError, MalformedDocument, SchemaError
from confiance.protocol.ids import id_from_digest, parse_assertion_id
from confiance.protocol.limits import Limits
from confiance.protocol.model import parse_datetime
from confiance.protocol.signing import verify


def body_digest(body: bytes) -> str:
    """As :func:`.subjectauth.body_digest` (not imported: that module needs the app)."""
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()

__all__ = ["ERASURE_TYPE", "MAX_ERASED", "ErasureNotice", "is_notice", "make_notice",
           "notice_id", "verify_notice"]

ERASURE_TYPE = "Erasure"
MAX_ERASED = 1000
_MEMBERS = frozenset({"type", "request", "body", "erased"})
_REQUEST_MEMBERS = frozenset({"@context", "type", "id", "holder", "requestMethod",
                              "requestPath", "requestAudience", "bodyDigest", "proof"})


@dataclass(frozen=True, kw_only=True)
class ErasureNotice:
    """A verified notice: who erased which ids, when (the request's proof ``created``);
    ``everything``: the request said ``all`` (everything signed up to ``created``)."""

    id: str
    holder: str
    created: datetime
    erased: tuple[str, ...]
    document: bytes  # JCS bytes, what gossip serves
    everything: bool = False


def is_notice(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("type") == ERASURE_TYPE


def notice_id(jcs: bytes) -> str:
    return id_from_digest(hashlib.sha256(jcs).digest())


def make_notice(request: dict[str, Any], body: bytes, erased: list[str]) -> dict[str, Any]:
    """The notice of an erasure this node has just performed (``request`` verified)."""
    return {"type": ERASURE_TYPE, "request": request, "body": body.decode("utf-8"),
            "erased": sorted(erased)}


def verify_notice(doc: dict[str, Any], *, loader: DocumentLoader, limits: Limits,
                  key_resolver: Any = None) -> ErasureNotice:
    """Check a notice (module docstring); raises a :class:`ConfianceError` (4xx) if invalid."""
    unknown = set(doc) - _MEMBERS
    if unknown or set(doc) != _MEMBERS:
        raise SchemaError("an Erasure notice has exactly type, request, body and erased")
    request, body, erased = doc["request"], doc["body"], doc["erased"]
    if not isinstance(request, dict) or set(request) - _REQUEST_MEMBERS:
        raise SchemaError("Erasure.request must be a signed SubjectRequest", pointer="/request")
    if request.get("type") != ["VerifiablePresentation", "SubjectRequest"]:
        raise SchemaError("Erasure.request must be a SubjectRequest", pointer="/request/type")
    holder = request.get("holder")
    if not isinstance(holder, str) or not holder.startswith("did:key:"):
        raise SchemaError("Erasure.request.holder must be a did:key", pointer="/request/holder")
    if request.get("requestMethod") != "POST" or \
            request.get("requestPath") != f"/subjects/{holder}/erasure":
        raise SchemaError("Erasure.request is not an erasure request by its holder",
                          pointer="/request/requestPath")
    if not isinstance(body, str) or request.get("bodyDigest") != body_digest(body.encode()):
        raise SchemaError("Erasure.body is not the body the request signed", pointer="/body")
    try:
        parsed = parse_json(body, limits)
    except ConfianceError:
        raise SchemaError("Erasure.body is not JSON", pointer="/body") from None
    if not isinstance(parsed, dict):
        raise SchemaError("Erasure.body must be an object", pointer="/body")
    everything = parsed.get("all") is True
    fewest = 0 if everything else 1
    if not isinstance(erased, list) or len(erased) < fewest or len(erased) > MAX_ERASED or any(
            not isinstance(i, str) for i in erased) or erased != sorted(set(erased)):
        raise SchemaError(f"Erasure.erased: {fewest} to {MAX_ERASED} distinct ids, sorted",
                          pointer="/erased")
    for item in erased:
        parse_assertion_id(item)
    if not everything:
        named = parsed.get("ids")
        if not isinstance(named, list) or not set(erased) <= _normalised(named):
            raise SchemaError("Erasure.erased names ids its request did not",
                              pointer="/erased")
    proof = request.get("proof")
    first = proof[0] if isinstance(proof, list) and proof else proof
    if not isinstance(first, dict) or not isinstance(first.get("created"), str):
        raise SchemaError("Erasure.request needs a dated proof", pointer="/request/proof")
    created = parse_datetime(first["created"], "created")
    # judged at the time it was signed: freshness matters to the HTTP request, not here
    report = verify(request, now=created, loader=loader, limits=limits,
                    key_resolver=key_resolver, proof_purpose="authentication")
    report.raise_for_failure()
    if holder not in report.signers:
        raise MalformedDocument("Erasure.request is not signed by its holder")
    jcs = canonicalize_jcs(doc)
    return ErasureNotice(id=notice_id(jcs), holder=holder, created=created,
                         erased=tuple(erased), document=jcs, everything=everything)


def _normalised(named: list[Any]) -> set[str]:
    out: set[str] = set()
    for item in named[:MAX_ERASED]:
        try:
            if isinstance(item, str) and len(item) <= 58:
                out.add(id_from_digest(parse_assertion_id(item)))
        except ConfianceError:
            continue
    return out
