"""The node's own problems: HTTP-level refusals that are not about a document's content.

They extend :mod:`confiance.protocol.errors` (same ``status`` / ``slug`` / ``to_problem()``),
so the one error middleware renders every refusal alike, as RFC 9457
``application/problem+json`` whose ``type`` is ``https://w3id.org/confiance/problems/<slug>``::

    ConfianceError
    ├── RemoteProtocolError
    │   ├── BadRequest                400  invalid-parameter, invalid-cursor, invalid-id
    │   ├── UnsupportedMediaType      415  unsupported-media-type
    │   ├── NotAcceptable             406  not-acceptable
    │   ├── NotFound                  404  not-found (assertion-not-found, status-list-not-found)
    │   ├── Gone                      410  erased, rejected-by-subject
    │   ├── Unauthorized              401  admin-token-required, invalid-subject-request,
    │   │                                  hello-not-authenticated
    │   ├── Forbidden                 403  revocation-not-by-issuer, acceptance-not-by-subject,
    │   │                                  erasure-not-by-issuer
    │   ├── Conflict                  409  target-not-held, subject-cap-reached, replayed-request,
    │   │                                  revocation-kept, not-revocable, mark-version-exists
    │   └── RateLimited               429  rate-limited (carries Retry-After)
    ├── ServiceUnavailable            503  (carries Retry-After; not the client's fault)
    │   ├── TrustEngineBusy           503  trust-engine-busy
    │   └── TrustEngineLoading        503  trust-engine-loading
    ├── (protocol) SchemaError
    │   └── UnknownKind               422  unknown-kind
    └── (protocol) KeyResolutionError
        ├── UnknownDidWebIssuer       422  unknown-did-web-issuer
        └── PeerKeysUnavailable       422  peer-keys-unavailable

Why subclasses and not status codes sprinkled in handlers: a client switches on ``type``,
and the list above is the whole vocabulary, documented in ``specs/node-api.md``.
"""

from __future__ import annotations

from confiance.protocol.errors import (
    ConfianceError,
    KeyResolutionError,
    RemoteProtocolError,
    SchemaError,
)

__all__ = [
    "AcceptanceNotBySubject",
    "AdminTokenRequired",
    "BadRequest",
    "Conflict",
    "Erased",
    "ErasureNotByIssuer",
    "Forbidden",
    "Gone",
    "HelloNotAuthenticated",
    "InvalidCursor",
    "InvalidId",
    "InvalidSubjectRequest",
    "NotAcceptable",
    "NotFound",
    "NotRevocable",
    "PeerKeysUnavailable",
    "RateLimited",
    "RejectedBySubject",
    "ReplayedRequest",
    "RevocationKept",
    "RevocationNotByIssuer",
    "ServiceUnavailable",
    "SubjectCapReached",
    "TargetNotHeld",
    "TrustEngineBusy",
    "TrustEngineLoading",
    "Unauthorized",
    "UnknownDidWebIssuer",
    "UnknownKind",
    "UnsupportedMediaType",
]


class BadRequest(RemoteProtocolError):
    status = 400
    slug = "invalid-parameter"
    title = "Invalid parameter"


class InvalidCursor(BadRequest):
    slug = "invalid-cursor"
    title = "Invalid pagination cursor"


class InvalidId(BadRequest):
    slug = "invalid-id"
    title = "Invalid assertion id"


class UnsupportedMediaType(RemoteProtocolError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class NotAcceptable(RemoteProtocolError):
    status = 406
    slug = "not-acceptable"
    title = "Not acceptable"


class NotFound(RemoteProtocolError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Gone(RemoteProtocolError):
    status = 410
    slug = "gone"
    title = "Gone"


class Erased(Gone):
    """The id is tombstoned: its issuer had it erased, and it will not be taken back."""

    slug = "erased"
    title = "Erased at its issuer's request"


class RejectedBySubject(Gone):
    """The subject rejected this assertion: it is kept (so the decision sticks) but not shown."""

    slug = "rejected-by-subject"
    title = "Rejected by its subject"


class Unauthorized(RemoteProtocolError):
    status = 401
    slug = "unauthorized"
    title = "Unauthorized"
    scheme = "Bearer"


class AdminTokenRequired(Unauthorized):
    slug = "admin-token-required"
    title = "Admin token required"
    scheme = 'Bearer realm="confiance-admin"'


class InvalidSubjectRequest(Unauthorized):
    slug = "invalid-subject-request"
    title = "Invalid signed subject request"
    scheme = 'Confiance-DI realm="confiance-subject"'


class HelloNotAuthenticated(Unauthorized):
    """A gossip ``hello`` in a recognised peer's name without a valid proof by that peer's
    key (missing, another key, wrong audience, stale, replayed): no session, and the peer
    it names is not blamed (``specs/gossip.md``, "Authenticated hello")."""

    slug = "hello-not-authenticated"
    title = "Gossip hello not authenticated"
    scheme = 'Confiance-Gossip realm="confiance-gossip"'


class Forbidden(RemoteProtocolError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class RevocationNotByIssuer(Forbidden):
    slug = "revocation-not-by-issuer"
    title = "Only the issuer may revoke an assertion"


class AcceptanceNotBySubject(Forbidden):
    slug = "acceptance-not-by-subject"
    title = "Only the subject may accept or reject an assertion"


class ErasureNotByIssuer(Forbidden):
    slug = "erasure-not-by-issuer"
    title = "Only the issuer may have an assertion erased"


class Conflict(RemoteProtocolError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class TargetNotHeld(Conflict):
    slug = "target-not-held"
    title = "The targeted assertion is not held here"


class SubjectCapReached(Conflict):
    slug = "subject-cap-reached"
    title = "Too many unaccepted assertions about this subject"


class ReplayedRequest(Conflict):
    slug = "replayed-request"
    title = "Signed request already used"


class RevocationKept(Conflict):
    slug = "revocation-kept"
    title = "A revocation is kept while what it revokes is held"


class NotRevocable(Conflict):
    slug = "not-revocable"
    title = "Revocations and acceptances are final"


class _RetryAfter(ConfianceError):
    """A refusal that says when to try again (the ``Retry-After`` header, whole seconds)."""

    def __init__(self, message: str, *, retry_after: float, **detail: object) -> None:
        super().__init__(message, **detail)
        self.retry_after = max(1, int(retry_after + 0.999))


class RateLimited(_RetryAfter, RemoteProtocolError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class ServiceUnavailable(_RetryAfter):
    """Refused for now by the node's own state, not the request: try again later."""

    status = 503
    slug = "service-unavailable"
    title = "Service unavailable, try again later"


class TrustEngineBusy(ServiceUnavailable):
    """As many trust queries as allowed are waiting for the engine already."""

    slug = "trust-engine-busy"
    title = "The trust engine is busy"


class TrustEngineLoading(ServiceUnavailable):
    """The trust engine is still reading the assertions held (start-up of a large node)."""

    slug = "trust-engine-loading"
    title = "The trust engine is still loading"


class UnknownDidWebIssuer(KeyResolutionError):
    """A did:web that is neither this node's nor a recognised peer's: not resolved here."""

    slug = "unknown-did-web-issuer"
    title = "Unknown did:web issuer"


class PeerKeysUnavailable(KeyResolutionError):
    """A recognised peer's did:web whose keys could not be fetched or were refused (for now:
    gossip sets such documents aside and anti-entropy offers them again)."""

    slug = "peer-keys-unavailable"
    title = "Keys of a recognised peer unavailable"


class UnknownKind(SchemaError):
    """The document's type names no Confiance assertion kind (checked before any proof)."""

    slug = "unknown-kind"
    title = "Unknown assertion kind"


class MarkVersionExists(Conflict):
    slug = "mark-version-exists"
    title = "This version of the mark is published with other terms"
