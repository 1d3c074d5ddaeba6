"""Signed Confiance assertions: issue one, or verify one received from outside.

This module ties the model (:mod:`~confiance.protocol.model`), the proofs
(:mod:`~confiance.protocol.signing`) and the ids (:mod:`~confiance.protocol.ids`) together
with the stricter rules a Confiance assertion obeys beyond any Data Integrity document:

- it is a valid assertion of its kind (JSON Schema, then the model's own checks);
- every proof verifies, and at least one was made by a key the **issuer** controls
  (issuer binding is required, not just reported);
- it is within its validity window at ``now``.

:func:`verify_assertion` raises the specific error of the first failure
(:class:`~confiance.protocol.errors.SchemaError`,
:class:`~confiance.protocol.errors.ProofError`,
:class:`~confiance.protocol.errors.IssuerBindingError`,
:class:`~confiance.protocol.errors.ValidityError`...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .contexts import DocumentLoader
from .errors import LocalProtocolError, MalformedDocument
from .ids import assertion_id
from .keys import KeyPair
from .limits import Limits
from .model import AnyAssertion, Assertion, from_credential, to_credential
from .signing import DEFAULT_SUITE, KeyResolver, VerificationReport, sign, verify

__all__ = ["SignedAssertion", "issue", "verify_assertion"]


@dataclass(frozen=True)
class SignedAssertion:
    """A signed assertion: its content ``id``, the signed ``document``, the parsed ``assertion``.

    ``document`` is exactly what was signed and what the id hashes; treat it as read-only.
    """

    id: str
    document: dict[str, Any]
    assertion: AnyAssertion

    @property
    def kind(self) -> str:
        return self.assertion.kind

    @property
    def issuer(self) -> str:
        return self.assertion.issuer

    @property
    def about(self) -> str:
        return self.assertion.about


def issue(assertion: Assertion, key: KeyPair, *, suite: str = DEFAULT_SUITE,
          created: datetime | str, loader: DocumentLoader | None = None,
          limits: Limits | None = None) -> SignedAssertion:
    """Sign ``assertion`` with ``key``; the key must belong to the assertion's issuer.

    The key's controller is the part of its verification method before ``#`` (the did:key
    itself, or a node's did:web for its own keys).
    """
    controller = key.verification_method.partition("#")[0]
    if assertion.issuer != controller:
        raise LocalProtocolError(
            f"the assertion's issuer ({assertion.issuer}) must be the signing key's "
            f"controller ({controller}): a verifier requires that binding")
    document = sign(to_credential(assertion), key, suite=suite, created=created,
                    loader=loader, limits=limits)
    parsed = from_credential(document)
    return SignedAssertion(id=assertion_id(document), document=document, assertion=parsed)


def verify_assertion(doc: Mapping[str, Any], *, now: datetime,
                     loader: DocumentLoader | None = None, limits: Limits | None = None,
                     key_resolver: KeyResolver | None = None) -> SignedAssertion:
    """Verify a Confiance assertion from outside; return it, or raise the specific error.

    Order: the proofs and everything :func:`~confiance.protocol.signing.verify` checks
    (limits, contexts, terms, keys, issuer binding, now required, validity window), then
    the schema of its kind and the model's rules.
    """
    if not isinstance(doc, Mapping):
        raise MalformedDocument("an assertion is a JSON object")
    report: VerificationReport = verify(doc, now=now, loader=loader, limits=limits,
                                        key_resolver=key_resolver,
                                        require_issuer_binding=True)
    report.raise_for_failure()
    assertion = from_credential(doc)
    document = dict(doc)
    return SignedAssertion(id=assertion_id(document), document=document, assertion=assertion)
