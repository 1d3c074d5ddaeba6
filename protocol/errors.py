"""The one error hierarchy of ``confiance.protocol``.

Every error raised on purpose by the protocol layer is a :class:`ConfianceError`. Each class
carries an HTTP status hint and a short slug, so the node's single error middleware can turn
any of them into an RFC 9457 ``application/problem+json`` answer without a lookup table of
its own, and the CLI can print one clear line instead of a traceback.

Split in the h11 manner between *your* mistakes and *theirs*::

    ConfianceError                      500  base; never raised itself
    ├── LocalProtocolError              500  the caller misused the API (a bug here)
    └── RemoteProtocolError             400  the input from outside is unusable
        ├── MalformedDocument           400  not JSON, not an object, wrong shape
        ├── LimitExceeded               413  a hard limit on size or work was hit
        │   ├── DocumentTooLarge        413  more bytes than allowed
        │   ├── NestingTooDeep          422  nesting deeper than allowed
        │   ├── TooManyBlankNodes       422  blank nodes above the cap
        │   └── CanonicalizationTooCostly 422  RDF canonicalisation work above the cap
        ├── ContextError                422  a JSON-LD context is not on the allow-list
        ├── UndefinedTermError          422  a property or type the contexts don't define
        ├── SchemaError                 422  not a valid Confiance assertion of its kind
        ├── RuleError                   422  a conversion rule is inconsistent
        ├── KeyFormatError              400  a key, multibase value or DID is malformed
        ├── GossipError                 400  a peer sent a message that breaks the protocol
        └── VerificationError           422  the document does not verify
            ├── ProofError              422  a proof is missing, malformed or doesn't verify
            ├── KeyResolutionError      422  the verification method cannot be resolved
            ├── IssuerBindingError      422  the signing key is not the issuer's
            └── ValidityError           422  outside its validity window

Each error also has ``slug``: the last path segment of the problem ``type`` URI
(``https://w3id.org/confiance/problems/<slug>``), stable across versions so clients can
switch on it.
"""

from __future__ import annotations

__all__ = [
    "PROBLEM_BASE",
    "CanonicalizationTooCostly",
    "ConfianceError",
    "ContextError",
    "DocumentTooLarge",
    "GossipError",
    "IssuerBindingError",
    "KeyFormatError",
    "KeyResolutionError",
    "LimitExceeded",
    "LocalProtocolError",
    "MalformedDocument",
    "NestingTooDeep",
    "ProofError",
    "RemoteProtocolError",
    "RuleError",
    "SchemaError",
    "TooManyBlankNodes",
    "UndefinedTermError",
    "ValidityError",
    "VerificationError",
]

PROBLEM_BASE = "https://w3id.org/confiance/problems/"


class ConfianceError(Exception):
    """Base of every error the protocol layer raises on purpose.

    Parameters
    ----------
    message:
        A sentence for a person: what is wrong and, where possible, where.
    detail:
        Optional machine-readable extras (a JSON pointer, a limit and the value seen...)
        that the node copies into the problem document as extension members.
    """

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    @property
    def type_uri(self) -> str:
        """The RFC 9457 problem ``type`` for this error."""
        return PROBLEM_BASE + self.slug

    def to_problem(self, instance: str | None = None) -> dict[str, object]:
        """The RFC 9457 problem document for this error (``application/problem+json``)."""
        problem: dict[str, object] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.message,
        }
        if instance is not None:
            problem["instance"] = instance
        for key, value in self.detail.items():
            if key not in problem:
                problem[key] = value
        return problem


class LocalProtocolError(ConfianceError):
    """The caller used the API wrongly (a programming error on our side)."""

    status = 500
    slug = "local-protocol-error"
    title = "Local protocol error"


class RemoteProtocolError(ConfianceError):
    """Input from outside (HTTP body, gossip, file, argument) is unusable."""

    status = 400
    slug = "bad-input"
    title = "Bad input"


class MalformedDocument(RemoteProtocolError):
    status = 400
    slug = "malformed-document"
    title = "Malformed document"


class LimitExceeded(RemoteProtocolError):
    status = 413
    slug = "limit-exceeded"
    title = "Limit exceeded"


class DocumentTooLarge(LimitExceeded):
    status = 413
    slug = "document-too-large"
    title = "Document too large"


class NestingTooDeep(LimitExceeded):
    status = 422
    slug = "nesting-too-deep"
    title = "Nesting too deep"


class TooManyBlankNodes(LimitExceeded):
    status = 422
    slug = "too-many-blank-nodes"
    title = "Too many blank nodes"


class CanonicalizationTooCostly(LimitExceeded):
    status = 422
    slug = "canonicalization-too-costly"
    title = "Canonicalisation too costly"


class ContextError(RemoteProtocolError):
    status = 422
    slug = "context-not-allowed"
    title = "JSON-LD context not allowed"


class UndefinedTermError(RemoteProtocolError):
    status = 422
    slug = "undefined-term"
    title = "Undefined term"


class SchemaError(RemoteProtocolError):
    status = 422
    slug = "schema-violation"
    title = "Not a valid assertion"


class RuleError(RemoteProtocolError):
    status = 422
    slug = "invalid-rule"
    title = "Invalid conversion rule"


class KeyFormatError(RemoteProtocolError):
    status = 400
    slug = "invalid-key"
    title = "Invalid key or identifier"


class GossipError(RemoteProtocolError):
    status = 400
    slug = "gossip-protocol-error"
    title = "Gossip protocol error"


class VerificationError(RemoteProtocolError):
    status = 422
    slug = "verification-failed"
    title = "Verification failed"


class ProofError(VerificationError):
    slug = "invalid-proof"
    title = "Invalid proof"


class KeyResolutionError(VerificationError):
    slug = "unresolvable-key"
    title = "Verification method cannot be resolved"


class IssuerBindingError(VerificationError):
    slug = "issuer-not-bound"
    title = "Signing key not bound to the issuer"


class ValidityError(VerificationError):
    slug = "outside-validity-period"
    title = "Outside the validity period"
