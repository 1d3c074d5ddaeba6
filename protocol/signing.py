"""Data Integrity proofs: ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022``, sign and verify.

Implements the W3C "Data Integrity EdDSA Cryptosuites v1.0" algorithms (create proof,
transformation, hashing, proof configuration, serialisation, verification) and the proof
set and proof chain algorithms of "Verifiable Credential Data Integrity 1.0" section 4.

- **Transformation.** ``eddsa-rdfc-2022``: RDFC-1.0 canonical N-Quads of the document
  without its proof (:func:`~confiance.protocol.canonical.canonicalize_rdfc`);
  ``eddsa-jcs-2022``: RFC 8785 JCS of the same.
- **Proof configuration.** The proof options without ``proofValue``, with the document's
  ``@context`` set on them, canonicalised the same way. For ``eddsa-jcs-2022`` that
  ``@context`` stays in the signed proof (as in the W3C vectors); for ``eddsa-rdfc-2022`` it
  does not.
- **Hashing.** ``SHA-256(proof configuration) || SHA-256(transformed document)``, 64 bytes,
  signed with Ed25519; ``proofValue`` is multibase base58btc (``z...``) of the signature.
- **Proof sets.** A document may carry up to ``limits.max_proofs`` proofs. Each is made
  over the document without proofs, so they are independent. **Every** proof must verify
  for the document to verify (jsonld-signatures accepts a set when *any* proof verifies;
  we refuse that: a set with one forged proof is a forged document, and accepting it would
  let anyone append junk that other verifiers might trust).
- **Proof chains.** A proof with ``previousProof`` (one id or a list) is made over the
  document with the proofs it names as its ``proof`` (DI 1.0, "Add Proof Set/Chain"), so it
  vouches for them too. Verification rebuilds that input for each proof ("Verify Proof
  Sets and Chains"); a ``previousProof`` naming no proof of the set fails.

:func:`verify` never raises for a bad document: it returns a :class:`VerificationReport`
listing every check (document, limits, contexts, terms, each proof, each key, issuer
binding, validity window) with ``pass``, ``fail``, ``warn`` or ``skip`` and a reason;
:meth:`VerificationReport.raise_for_failure` raises the specific error of the first
failure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, TypeAlias

from .canonical import (
    DocumentInfo,
    canonicalize_jcs,
    canonicalize_rdfc,
    check_terms,
    inspect_document,
)
from .contexts import DocumentLoader, default_loader
from .errors import (
    ConfianceError,
    ContextError,
    DocumentTooLarge,
    IssuerBindingError,
    KeyResolutionError,
    LimitExceeded,
    LocalProtocolError,
    MalformedDocument,
    ProofError,
    SchemaError,
    UndefinedTermError,
    ValidityError,
)
from .keys import KeyPair, ResolvedKey, b58decode, b58encode, resolve_did_key, verify_signature
from .limits import DEFAULT_LIMITS, Limits
from .model import format_datetime, parse_datetime

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_SUITE",
    "JCS_SUITE",
    "PROOF_TYPE",
    "RDFC_SUITE",
    "SUITES",
    "Check",
    "KeyResolver",
    "VerificationReport",
    "sign",
    "verify",
]

PROOF_TYPE = "DataIntegrityProof"
RDFC_SUITE = "eddsa-rdfc-2022"
JCS_SUITE = "eddsa-jcs-2022"
SUITES = (RDFC_SUITE, JCS_SUITE)
DEFAULT_SUITE = JCS_SUITE
#: how far in the future a proof's ``created`` may lie (clocks differ)
CLOCK_SKEW = timedelta(minutes=5)
PROOF_FIELDS = frozenset({
    "@context", "type", "id", "cryptosuite", "created", "expires", "verificationMethod",
    "proofPurpose", "proofValue", "previousProof", "domain", "challenge", "nonce",
})

Status: TypeAlias = Literal["pass", "fail", "warn", "skip"]
KeyResolver: TypeAlias = Callable[[str], ResolvedKey]


class Check(NamedTuple):
    """One verification check: its name, outcome and reason (and error when it failed)."""

    name: str
    status: Status
    detail: str
    error: ConfianceError | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status, "detail": self.detail}
        if self.error is not None:
            out["problem"] = self.error.slug
        return out


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of :func:`verify`: ``ok`` is true when no check failed.

    ``signers`` lists the controllers of the keys whose proofs verified, in proof order.
    """

    ok: bool
    checks: tuple[Check, ...]
    signers: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "warn")

    def check(self, name: str) -> Check | None:
        """The check called ``name``, if it ran."""
        return next((c for c in self.checks if c.name == name), None)

    def raise_for_failure(self) -> None:
        """Raise the specific error of the first failed check; return if none failed."""
        for c in self.checks:
            if c.status == "fail":
                if c.error is not None:
                    raise c.error
                raise ProofError(f"{c.name}: {c.detail}")

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (the CLI's ``verify --json``)."""
        return {"ok": self.ok, "signers": list(self.signers),
                "checks": [c.to_json() for c in self.checks]}


# ---------------------------------------------------------------------------------------------
# helpers


def _timestamp(value: object, name: str) -> datetime:
    try:
        return parse_datetime(value, name)
    except SchemaError as exc:
        raise ProofError(exc.message) from None


def _proofs(doc: Mapping[str, Any]) -> list[Any]:
    proof = doc.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def _previous_ids(value: object) -> list[str]:
    ids = value if isinstance(value, list) else [value]
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise ProofError("previousProof must be a proof id or a list of proof ids")
    return ids  # type: ignore[return-value]


def _input_document(unsecured: dict[str, Any], proofs: Sequence[Any],
                    previous: object | None) -> dict[str, Any]:
    """The document a proof is made over: without proofs, or with the ones it chains to."""
    if previous is None:
        return unsecured
    doc = dict(unsecured)
    if previous is not None:
        wanted = _previous_ids(previous)
        by_id = {p.get("id"): p for p in proofs if isinstance(p, Mapping)}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise ProofError(f"previousProof names {missing[0]!r:.100}, which is not a proof "
                             "of this document")
        doc["proof"] = [by_id[i] for i in wanted]
    return doc


sha256 = hashlib.sha256


class _Hasher:
    """Transforms and hashes documents and proof configurations, sharing repeated work.

    With ``info`` None (no walk of the document was made), JCS is *optimistic*: the
    standard library's C encoder, which equals RFC 8785 unless the document holds a float
    or a key outside the BMP; :meth:`combined` with ``strict`` recomputes with full RFC 8785
    when a signature over the optimistic bytes does not verify.
    """

    _PLAIN = DocumentInfo(shape=None, leaves=None, jcs_plain=True)

    def __init__(self, loader: DocumentLoader, limits: Limits, info: DocumentInfo | None):
        self.loader = loader
        self.limits = limits
        self.info = info if info is not None else self._PLAIN
        self.optimistic = info is None
        self._documents: dict[tuple[str, str, bool], bytes] = {}

    def transform(self, suite: str, doc: Mapping[str, Any], strict: bool = False) -> bytes:
        if suite == RDFC_SUITE:
            return canonicalize_rdfc(doc, self.loader, self.limits).encode("utf-8")
        data = canonicalize_jcs(doc, None if strict else self.info)  # refuses deep nesting
        if len(data) > self.limits.max_bytes:
            raise DocumentTooLarge(f"the document is larger than {self.limits.max_bytes} bytes",
                                   limit=self.limits.max_bytes)
        return data

    def document_hash(self, suite: str, doc: Mapping[str, Any], key: str,
                      strict: bool = False) -> bytes:
        cache_key = (suite, key, strict)
        digest = self._documents.get(cache_key)
        if digest is None:
            digest = sha256(self.transform(suite, doc, strict)).digest()
            self._documents[cache_key] = digest
        return digest

    def combined(self, suite: str, options: Mapping[str, Any], doc: Mapping[str, Any],
                 key: str, strict: bool = False) -> bytes:
        config = options
        if options.get("@context") != doc["@context"]:
            config = dict(options)
            config["@context"] = doc["@context"]
        proof_hash = sha256(self.transform(suite, config, strict)).digest()
        return proof_hash + self.document_hash(suite, doc, key, strict)


# ---------------------------------------------------------------------------------------------
# sign


def sign(doc: Mapping[str, Any], key: KeyPair, *, suite: str = DEFAULT_SUITE,
         created: datetime | str, loader: DocumentLoader | None = None,
         limits: Limits | None = None, proof_purpose: str = "assertionMethod",
         proof_id: str | None = None, previous_proof: str | Sequence[str] | None = None,
         expires: datetime | str | None = None) -> dict[str, Any]:
    """Return a copy of ``doc`` with a new ``DataIntegrityProof`` made with ``key``.

    A document that already has proofs gets a proof set (the new proof is appended); with
    ``previous_proof`` (an id or ids of existing proofs) the new proof chains to them.
    The document must pass the same checks as verification (limits, allow-listed contexts,
    no undefined terms), so nothing is signed that a verifier would refuse.

    Parameters
    ----------
    doc:
        A JSON-LD document with an ``@context``.
    key:
        The signing key; the proof names ``key.verification_method``.
    suite:
        ``"eddsa-jcs-2022"`` (default, fast) or ``"eddsa-rdfc-2022"`` (interoperable with
        JSON-LD processors that re-serialise documents).
    created:
        The proof's creation time (timezone-aware datetime, or its text); passed in so the
        output is reproducible.
    proof_id, previous_proof, expires:
        Optional proof ``id``, ``previousProof`` and ``expires`` members.
    """
    if suite not in SUITES:
        raise LocalProtocolError(f"unknown cryptosuite {suite!r}; use one of {SUITES}")
    if not isinstance(key, KeyPair):
        raise LocalProtocolError("sign() needs a KeyPair")
    loader = loader if loader is not None else default_loader()
    limits = limits if limits is not None else DEFAULT_LIMITS
    info = inspect_document(doc, limits, loader)
    if "@context" not in doc:
        raise MalformedDocument("a document to sign needs an @context")
    existing = _proofs(doc)
    if not all(isinstance(p, Mapping) for p in existing):
        raise MalformedDocument("the document's proof member does not hold proof objects")
    if len(existing) + 1 > limits.max_proofs:
        raise LimitExceeded(f"a document carries at most {limits.max_proofs} proofs",
                            limit=limits.max_proofs)
    created_text = created if isinstance(created, str) else format_datetime(created)
    _timestamp(created_text, "created")
    options: dict[str, Any] = {"type": PROOF_TYPE}
    if proof_id is not None:
        options["id"] = proof_id
    options["cryptosuite"] = suite
    options["created"] = created_text
    if expires is not None:
        options["expires"] = expires if isinstance(expires, str) else format_datetime(expires)
        _timestamp(options["expires"], "expires")
    options["verificationMethod"] = key.verification_method
    options["proofPurpose"] = proof_purpose
    if previous_proof is not None:
        options["previousProof"] = (previous_proof if isinstance(previous_proof, str)
                                    else list(previous_proof))
    if suite == JCS_SUITE:
        options["@context"] = doc["@context"]

    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    try:
        input_doc = _input_document(unsecured, existing, options.get("previousProof"))
    except ProofError as exc:
        raise LocalProtocolError(exc.message) from None
    hasher = _Hasher(loader, limits, info if suite == JCS_SUITE else None)
    if suite == JCS_SUITE:
        check_terms(doc, loader, limits, info)
        check_terms(options, loader, limits)
    signature = key.sign(hasher.combined(suite, options, input_doc, "sign"))
    proof = dict(options)
    proof["proofValue"] = "z" + b58encode(signature)
    signed = dict(doc)
    signed["proof"] = [*existing, proof] if existing else proof
    return signed


# ---------------------------------------------------------------------------------------------
# verify


class _Report:
    __slots__ = ("checks", "failed")

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.failed = False

    def add(self, name: str, status: Status, detail: str,
            error: ConfianceError | None = None) -> None:
        self.checks.append(Check(name, status, detail, error))
        if status == "fail":
            self.failed = True

    def fail(self, name: str, error: ConfianceError) -> None:
        self.add(name, "fail", error.message, error)


# A passed check, built without the namedtuple's constructor (a Python function): verify()
# runs on every document, and every call counts against the bare Ed25519 time.
_new_check = tuple.__new__
_LIMITS_PASS = Check("limits", "pass", "within size, nesting and proof-count limits")
_CONTEXTS_PASS = Check("contexts", "pass", "every @context is on the allow-list")
_TERMS_PASS = Check("terms", "pass", "every term is defined by the allow-listed contexts")
_TERMS_SKIP = Check("terms", "skip", "not checked (eddsa-jcs-2022 only, check_terms_jcs=False)")
_CANONICALIZATION_PASS = Check("canonicalization", "pass",
                               "RDFC-1.0 canonical form within the limits")


def _issuer_id(doc: Mapping[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    if type(issuer) is str:
        return issuer
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def verify(doc: Mapping[str, Any], *, now: datetime, loader: DocumentLoader | None = None,
           limits: Limits | None = None, key_resolver: KeyResolver | None = None,
           require_issuer_binding: bool = False, check_terms_jcs: bool = True,
           proof_purpose: str = "assertionMethod") -> VerificationReport:
    """Check every proof of ``doc`` and report each check (never raises for bad input).

    Parameters
    ----------
    doc:
        The secured document (parsed JSON).
    now:
        The verification time (timezone-aware): the validity window and proof times are
        judged against it.
    loader, limits:
        The context allow-list and hard limits (defaults: :func:`default_loader`,
        :data:`DEFAULT_LIMITS`).
    key_resolver:
        Maps a ``verificationMethod`` to a :class:`ResolvedKey`, raising
        :class:`KeyResolutionError`; default: did:key only.
    require_issuer_binding:
        Fail (rather than warn) when no verified proof was made by a key the issuer
        controls.
    check_terms_jcs:
        For documents whose proofs are all ``eddsa-jcs-2022``, also refuse undefined terms
        (on by default; the result is cached per document shape). ``eddsa-rdfc-2022``
        proofs always check terms: there an undefined term is invisible to the signature.
    proof_purpose:
        The ``proofPurpose`` every proof must have.
    """
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise LocalProtocolError("verify() needs a timezone-aware `now`")
    loader = loader if loader is not None else default_loader()
    limits = limits if limits is not None else DEFAULT_LIMITS
    resolver = key_resolver if key_resolver is not None else resolve_did_key
    report = _Report()

    # 1. the document: shape, limits, contexts
    raw_proofs = (doc.get("proof") if type(doc) is dict or isinstance(doc, Mapping)
                  else None)
    if type(raw_proofs) is dict:  # one proof: the common case
        suites: list[object] = [raw_proofs.get("cryptosuite")]
    else:
        listed = raw_proofs if isinstance(raw_proofs, list) else [raw_proofs]
        suites = [p.get("cryptosuite") if isinstance(p, Mapping) else None for p in listed]
    jcs_only = suites.count(JCS_SUITE) == len(suites)
    has_rdfc = RDFC_SUITE in suites
    want_terms = check_terms_jcs or not jcs_only
    info: DocumentInfo | None = None
    try:
        if want_terms:
            info = inspect_document(doc, limits, loader, shape=want_terms)
        else:
            _light_check(doc, loader)
    except LimitExceeded as exc:
        report.fail("limits", exc)
        return _finish(report, ())
    except ContextError as exc:
        report.add("limits", "pass", "within size and nesting limits")
        report.fail("contexts", exc)
        return _finish(report, ())
    except ConfianceError as exc:
        report.fail("document", exc)
        return _finish(report, ())
    proofs = _proofs(doc)
    if len(proofs) > limits.max_proofs:
        report.fail("limits", LimitExceeded(f"the document has {len(proofs)} proofs; at most "
                                            f"{limits.max_proofs} are allowed",
                                            limit=limits.max_proofs))
        return _finish(report, ())
    unsecured = dict(doc)
    unsecured.pop("proof", None)
    hasher = _Hasher(loader, limits, info)
    if info is None:
        try:  # no walk was made: the size limit applies to the JCS bytes
            hasher.document_hash(JCS_SUITE, unsecured, "")
        except LimitExceeded as exc:
            report.fail("limits", exc)
            return _finish(report, ())
        except ConfianceError as exc:
            report.fail("document", exc)
            return _finish(report, ())
    report.checks.append(_LIMITS_PASS)
    context = doc.get("@context")
    if context is None:
        report.fail("contexts", ContextError("the document has no @context"))
        return _finish(report, ())
    report.checks.append(_CONTEXTS_PASS)
    if not proofs:
        report.fail("proof", ProofError("the document has no proof"))
        return _finish(report, ())

    # 2. terms (rdfc canonicalisation checks them again, inherently)
    if want_terms:
        try:
            check_terms(doc, loader, limits, info)
            report.checks.append(_TERMS_PASS)
        except (UndefinedTermError, ContextError, MalformedDocument) as exc:
            report.fail("terms", exc)
            return _finish(report, ())
        except LimitExceeded as exc:
            report.fail("limits", exc)
            return _finish(report, ())
    else:
        report.checks.append(_TERMS_SKIP)

    # 3. RDF canonicalisation, once for every eddsa-rdfc-2022 proof made over the bare document
    if has_rdfc:
        try:
            hasher.document_hash(RDFC_SUITE, unsecured, "")
        except ConfianceError as exc:
            report.fail("canonicalization", exc)
            return _finish(report, ())
        report.checks.append(_CANONICALIZATION_PASS)

    # 4. each proof (the checks that do not depend on them are made first, while the
    #    interpreter's caches are warm: an Ed25519 verification evicts them)
    validity = _validity(doc, now)
    issuer = _issuer_id(doc)
    signers: list[str] = []
    latest = now + CLOCK_SKEW
    for index, proof in enumerate(proofs):
        name = f"proof[{index}]" if len(proofs) > 1 else "proof"
        key_name = f"key[{index}]" if len(proofs) > 1 else "key"
        signer = _verify_one(report, name, key_name, proof, proofs, unsecured, hasher,
                             resolver, now, latest, proof_purpose)
        if signer is not None:
            signers.append(signer)

    # 5. issuer binding
    if issuer is None:
        error: ConfianceError = IssuerBindingError("the document names no issuer")
        report.add("issuer-binding", "fail" if require_issuer_binding else "warn",
                   error.message, error)
    elif issuer in signers:
        report.checks.append(_new_check(Check, (
            "issuer-binding", "pass", f"signed with a key of the issuer {issuer}", None)))
    else:
        error = IssuerBindingError(
            f"no verified proof was made with a key of the issuer {issuer!r:.120}"
            + (f" (signed by {', '.join(signers)})" if signers else ""), issuer=issuer)
        report.add("issuer-binding", "fail" if require_issuer_binding else "warn",
                   error.message, error)

    # 6. validity window
    report.add(*validity)
    return _finish(report, tuple(signers))


def _light_check(doc: object, loader: DocumentLoader) -> None:
    """What a verifier checks of an ``eddsa-jcs-2022``-only document without term checks.

    No walk: JCS verification is linear in the document, and the signature covers every
    byte. The size is checked on the JCS bytes (:class:`_Hasher`); here, the ``@context``
    values of the document and of its proofs must be allow-listed URLs.
    """
    if not isinstance(doc, dict):
        raise MalformedDocument("a credential is a JSON object")
    proofs = doc.get("proof")
    for holder in (doc, *(proofs if isinstance(proofs, list) else [proofs])):
        if isinstance(holder, dict) and "@context" in holder:
            value = holder["@context"]
            for url in value if isinstance(value, list) else [value]:
                if not isinstance(url, str):
                    raise ContextError("embedded context objects are not allowed")
                if url not in loader:
                    raise ContextError(f"JSON-LD context {url!r:.200} is not on the allow-list "
                                       "(contexts are never fetched from the network)", url=url)


def _finish(report: _Report, signers: tuple[str, ...]) -> VerificationReport:
    return VerificationReport(not report.failed, tuple(report.checks), signers)


def _verify_one(report: _Report, name: str, key_name: str, proof: object,
                proofs: Sequence[Any], unsecured: dict[str, Any], hasher: _Hasher,
                resolver: KeyResolver, now: datetime, latest: datetime,
                purpose: str) -> str | None:
    """Verify one proof; add its proof and key checks; return its signer if it verified."""
    try:
        suite, created, vm, signature, options = _parse_proof(proof, now, latest, purpose)
    except ConfianceError as exc:
        report.fail(name, exc)
        report.add(key_name, "skip", "the proof is malformed")
        return None
    try:
        key = resolver(vm)
        if not key.covers(created):
            raise KeyResolutionError(f"{vm} was not valid when the proof was created "
                                     f"({format_datetime(created)})", verificationMethod=vm)
    except ConfianceError as exc:
        report.fail(key_name, exc)
        report.add(name, "skip", "the key could not be used")
        return None
    report.checks.append(_new_check(Check, (
        key_name, "pass", f"{vm} (controller {key.controller})", None)))
    previous = options.get("previousProof")
    proof_context = options.get("@context")
    try:
        if previous is None and (proof_context is None
                                 or proof_context == unsecured["@context"]):
            doc, cache_key = unsecured, ""  # made over the document as it is: the usual case
        else:
            doc = _input_document(unsecured, proofs, previous)
            doc_context = doc["@context"]
            if proof_context is not None and proof_context != doc_context:
                doc_list = doc_context if isinstance(doc_context, list) else [doc_context]
                proof_list = (proof_context if isinstance(proof_context, list)
                              else [proof_context])
                if doc_list[: len(proof_list)] != proof_list:
                    raise ProofError("the proof's @context is not the start of the document's")
                doc = dict(doc)
                doc["@context"] = proof_context
            cache_key = repr((proof_context, previous))
        data = hasher.combined(suite, options, doc, cache_key)
    except ConfianceError as exc:  # malformed chain, limits or terms found while transforming
        report.fail(name, exc)
        return None
    passed = f"{suite} signature by {vm}, created {options['created']}"
    verified = verify_signature(key.public_key, signature, data)
    if not verified and suite == JCS_SUITE and hasher.optimistic:
        try:
            strict = hasher.combined(suite, options, doc, cache_key, strict=True)
        except ConfianceError as exc:
            report.fail(name, exc)
            return None
        verified = strict != data and verify_signature(key.public_key, signature, strict)
    if not verified:
        report.fail(name, ProofError(f"the {suite} signature does not verify: the document "
                                     "or its proof was changed, or another key signed it",
                                     verificationMethod=vm))
        return None
    report.checks.append(_new_check(Check, (name, "pass", passed, None)))
    return key.controller


def _parse_proof(proof: object, now: datetime, latest: datetime,
                 purpose: str) -> tuple[str, datetime, str, bytes, dict[str, Any]]:
    """Check a proof's members; ``latest`` is ``now + CLOCK_SKEW``."""
    if type(proof) is not dict and not isinstance(proof, Mapping):
        raise ProofError("a proof must be a JSON object")
    if not PROOF_FIELDS.issuperset(proof):
        unknown = sorted(str(k) for k in set(proof) - PROOF_FIELDS)
        raise ProofError(f"unexpected proof member {unknown[0]!r:.60}", member=unknown[0][:60])
    if proof.get("type") != PROOF_TYPE:
        raise ProofError(f"proof type must be {PROOF_TYPE}, got {proof.get('type')!r:.60}")
    suite = proof.get("cryptosuite")
    if suite not in SUITES:
        raise ProofError(f"unsupported cryptosuite {suite!r:.60}; expected one of "
                         f"{', '.join(SUITES)}")
    if proof.get("proofPurpose") != purpose:
        raise ProofError(f"proofPurpose must be {purpose}, got "
                         f"{proof.get('proofPurpose')!r:.60}")
    if "created" not in proof:
        raise ProofError("the proof has no created time")
    created = _timestamp(proof["created"], "proof created")
    if created > latest:
        raise ProofError(f"the proof claims to be created in the future "
                         f"({proof['created']})")
    if "expires" in proof and now >= _timestamp(proof["expires"], "proof expires"):
        raise ProofError(f"the proof expired at {proof['expires']}")
    vm = proof.get("verificationMethod")
    if not isinstance(vm, str) or not vm:
        raise ProofError("verificationMethod must be a DID URL")
    if "id" in proof and not isinstance(proof["id"], str):
        raise ProofError("a proof id must be a string")
    if "previousProof" in proof:
        _previous_ids(proof["previousProof"])
    value = proof.get("proofValue")
    if not isinstance(value, str) or value[:1] != "z":
        raise ProofError("proofValue must be a multibase base58btc string (z...)")
    try:
        signature = b58decode(value[1:])
    except ConfianceError:
        raise ProofError("proofValue is not valid base58btc") from None
    if len(signature) != 64:
        raise ProofError(f"proofValue holds {len(signature)} bytes, not a 64-byte Ed25519 "
                         "signature")
    options = dict(proof)
    del options["proofValue"]
    return suite, created, vm, signature, options


_VALIDITY_PASS = Check("validity", "pass", "within its validity window")
_VALIDITY_SKIP = Check("validity", "skip", "no validity window (validFrom/validUntil)")


def _validity(doc: Mapping[str, Any], now: datetime) -> Check:
    """The validity-window check (made before the signatures, reported after them)."""
    try:
        start = (parse_datetime(doc["validFrom"], "validFrom") if "validFrom" in doc else None)
        end = (parse_datetime(doc["validUntil"], "validUntil") if "validUntil" in doc
               else None)
    except SchemaError as exc:
        error = ValidityError(exc.message)
    else:
        if start is not None and now < start:
            error = ValidityError(
                f"not valid before {doc['validFrom']} (checked at {format_datetime(now)})",
                validFrom=doc["validFrom"])
        elif end is not None and now >= end:
            error = ValidityError(
                f"expired at {doc['validUntil']} (checked at {format_datetime(now)})",
                validUntil=doc["validUntil"])
        else:
            return _VALIDITY_SKIP if start is None and end is None else _VALIDITY_PASS
    return Check("validity", "fail", error.message, error)
