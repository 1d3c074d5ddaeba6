"""Signed Confiance assertions: issue one, or verify one received from outside.

This module ties the model (:mod:`~confiance.protocol.model`), the proofs
(:mod:`~confiance.protocol.signing`) and the ids (:mod:`~confiance.protocol.ids`) together
with the stricter rules a Confiance assertion obeys beyond any Data Integrity document:

- it is a valid assertion of its kind (JSON Schema, then the model's own checks);
- every proof verifies, and at least one was made by a key the **issuer** controls
  (issuer binding is required, not just reported);
- it is within its validity window at ``now``;
- it is in **canonical form**: the credential is exactly what
  :func:`~confiance.protocol.model.to_credential` makes of the assertion it parses to, and
  each proof carries ``@context`` exactly when its suite is ``eddsa-jcs-2022``. A signature
  alone does not pin the JSON: an ``eddsa-rdfc-2022`` signature survives anything that
  keeps the RDF (reordered ``type`` values, a term written as a full IRI...), an
  ``eddsa-jcs-2022`` one survives dropping the proof's redundant ``@context``. Each such
  variant would verify under a different content id, defeating deduplication.

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
from .errors import LocalProtocolError, MalformedDocument, SchemaError
from .ids import assertion_id
from .keys import KeyPair
from .limits import Limits
from .model import AnyAssertion, Assertion, from_credential, to_credential
from .signing import (
    DEFAULT_SUITE,
    JCS_SUITE,
    KeyResolver,
    VerificationReport,
    sign,
    verify,
)

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
                     key_resolver: KeyResolver | None = None,
                     content_id: str | None = None) -> SignedAssertion:
    """Verify a Confiance assertion from outside; return it, or raise the specific error.

    Order: the proofs and everything :func:`~confiance.protocol.signing.verify` checks
    (limits, contexts, terms, keys, issuer binding, now required, validity window), then
    the schema of its kind and the model's rules.

    ``content_id``: the document's :func:`~confiance.protocol.ids.assertion_id`, when the
    caller computed it already (a node does, to skip documents it holds before verifying
    anything); taken as given, not computed again.
    """
    if not isinstance(doc, Mapping):
        raise MalformedDocument("an assertion is a JSON object")
    # The term check of eddsa-jcs-2022 is left to the schema and canonical form below: a
    # credential that is exactly the model's output uses only terms the contexts define.
    report: VerificationReport = verify(doc, now=now, loader=loader, limits=limits,
                                        key_resolver=key_resolver,
                                        require_issuer_binding=True, check_terms_jcs=False)
    report.raise_for_failure()
    assertion = from_credential(doc)
    _check_canonical_form(doc, assertion)
    document = dict(doc)
    return SignedAssertion(id=content_id if content_id is not None else assertion_id(document),
                           document=document, assertion=assertion)


def _check_canonical_form(doc: Mapping[str, Any], assertion: AnyAssertion) -> None:
    """Refuse any JSON spelling of a signed assertion but the one :func:`issue` makes."""
    body = {k: v for k, v in doc.items() if k != "proof"}
    if body != to_credential(assertion):
        raise SchemaError(
            "the credential is not in the canonical form of its assertion (member names, "
            "order of types and labels, number forms...): re-issue it with this software's "
            "model to get a single content id")
    proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
    for proof in proofs:
        jcs = proof.get("cryptosuite") == JCS_SUITE
        if jcs != ("@context" in proof):
            raise SchemaError("an eddsa-jcs-2022 proof carries the document's @context and an "
                              "eddsa-rdfc-2022 proof does not (canonical form)")
