"""Signing and verification: the report, proof sets and chains, keys, binding, validity."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from confiance.protocol.contexts import CREDENTIALS_V2_URL, default_loader
from confiance.protocol.errors import (
    ContextError,
    IssuerBindingError,
    KeyResolutionError,
    LocalProtocolError,
    MalformedDocument,
    ProofError,
    UndefinedTermError,
    ValidityError,
)
from confiance.protocol.keys import KeyPair, ResolvedKey, resolve_did_key
from confiance.protocol.model import Rating, Scale, to_credential
from confiance.protocol.signing import SUITES, VerificationReport, sign, verify

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)
ALICE = KeyPair.generate(b"\x0a" * 32)
BOB = KeyPair.generate(b"\x0b" * 32)


def rating(issuer: str = ALICE.did, **extra: Any) -> dict[str, Any]:
    return to_credential(Rating(issuer=issuer, subject="https://shop.example/", context="seller",
                                score=4.5, scale=Scale(minimum=1, maximum=5),
                                comment="Fast delivery", valid_from=T0, **extra))


def names(report: VerificationReport, status: str = "fail") -> list[str]:
    return [c.name for c in report.checks if c.status == status]


@pytest.mark.parametrize("suite", SUITES)
def test_sign_then_verify(suite: str) -> None:
    doc = rating()
    signed = sign(doc, ALICE, suite=suite, created=T0)
    assert doc == rating()  # the input is not modified
    proof = signed["proof"]
    assert proof["cryptosuite"] == suite and proof["created"] == "2026-03-01T12:00:00Z"
    assert proof["verificationMethod"] == ALICE.verification_method
    assert ("@context" in proof) == (suite == "eddsa-jcs-2022")
    report = verify(signed, now=NOW)
    assert report.ok, report.failures
    assert report.signers == (ALICE.did,)
    expected = ["limits", "contexts", "terms", "key", "proof", "issuer-binding", "validity"]
    if suite == "eddsa-rdfc-2022":
        expected.insert(3, "canonicalization")
    assert [c.name for c in report.checks] == expected
    assert all(c.status == "pass" for c in report.checks)
    report.raise_for_failure()
    assert report.to_json()["ok"] is True
    assert sign(doc, ALICE, suite=suite, created=T0) == signed  # deterministic


@pytest.mark.parametrize("suite", SUITES)
def test_any_change_breaks_the_signature(suite: str) -> None:
    signed = sign(rating(), ALICE, suite=suite, created=T0)
    for path, value in [(("credentialSubject", "score"), 4.4),
                        (("credentialSubject", "comment"), "Fast delivery!"),
                        (("credentialSubject", "scale", "maximum"), 6),
                        (("validFrom",), "2026-03-01T12:00:01Z"),
                        (("proof", "created"), "2026-03-01T12:00:01Z")]:
        doc = copy.deepcopy(signed)
        target = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        report = verify(doc, now=NOW)
        assert names(report) == ["proof"], path
        with pytest.raises(ProofError, match="does not verify"):
            report.raise_for_failure()


def test_proof_sets_need_every_proof() -> None:
    doc = sign(rating(), ALICE, suite="eddsa-jcs-2022", created=T0)
    doc = sign(doc, BOB, suite="eddsa-rdfc-2022", created=T0 + timedelta(hours=1))
    assert isinstance(doc["proof"], list) and len(doc["proof"]) == 2
    report = verify(doc, now=NOW)
    assert report.ok and report.signers == (ALICE.did, BOB.did)
    doc["proof"][1]["proofValue"] = doc["proof"][0]["proofValue"]
    report = verify(doc, now=NOW)
    assert names(report) == ["proof[1]"]
    assert report.check("proof[0]").status == "pass"  # type: ignore[union-attr]
    assert report.signers == (ALICE.did,)


def test_proof_chains() -> None:
    first = sign(rating(), ALICE, suite="eddsa-rdfc-2022", created=T0, proof_id="urn:p1")
    chained = sign(first, BOB, suite="eddsa-jcs-2022", created=T0, previous_proof="urn:p1")
    assert chained["proof"][1]["previousProof"] == "urn:p1"
    assert verify(chained, now=NOW).ok
    # the chained proof covers the first: change the first's id and both fail
    broken = copy.deepcopy(chained)
    broken["proof"][0]["id"] = "urn:p2"
    broken["proof"][1]["previousProof"] = "urn:p2"
    assert names(verify(broken, now=NOW)) == ["proof[0]", "proof[1]"]
    with pytest.raises(LocalProtocolError):
        sign(first, BOB, created=T0, previous_proof=["urn:missing"])


def test_issuer_binding() -> None:
    by_bob = sign(rating(), BOB, created=T0)
    report = verify(by_bob, now=NOW)
    assert report.ok and names(report, "warn") == ["issuer-binding"]
    report = verify(by_bob, now=NOW, require_issuer_binding=True)
    assert names(report) == ["issuer-binding"]
    with pytest.raises(IssuerBindingError):
        report.raise_for_failure()
    no_issuer = rating()
    del no_issuer["issuer"]
    report = verify(sign(no_issuer, ALICE, created=T0, loader=default_loader()), now=NOW)
    assert names(report, "warn") == ["issuer-binding"]
    issuer_object = rating()
    issuer_object["issuer"] = {"id": ALICE.did}
    report = verify(sign(issuer_object, ALICE, created=T0), now=NOW,
                    require_issuer_binding=True)
    assert report.ok


def test_validity_window() -> None:
    doc = sign(rating(valid_until=T0 + timedelta(days=30)), ALICE, created=T0)
    assert verify(doc, now=NOW).ok
    for now, word in [(T0 - timedelta(seconds=1), "before"),
                      (T0 + timedelta(days=30), "expired")]:
        report = verify(doc, now=now)
        failing = [c for c in report.failures if c.name == "validity"]
        assert failing and isinstance(failing[0].error, ValidityError)
        assert word in failing[0].detail
    bare = sign({"@context": CREDENTIALS_V2_URL, "type": "VerifiableCredential",
                 "issuer": ALICE.did, "credentialSubject": {"id": "did:example:x"}},
                ALICE, created=T0)
    assert verify(bare, now=NOW).check("validity").status == "skip"  # type: ignore[union-attr]


def test_proof_times() -> None:
    future = sign(rating(), ALICE, created=NOW + timedelta(hours=1))
    report = verify(future, now=NOW)
    assert names(report) == ["proof"] and "future" in report.failures[0].detail
    assert verify(sign(rating(), ALICE, created=NOW + timedelta(minutes=4)), now=NOW).ok
    expiring = sign(rating(), ALICE, created=T0, expires=T0 + timedelta(hours=1))
    assert verify(expiring, now=T0 + timedelta(minutes=30)).ok
    report = verify(expiring, now=NOW)
    assert names(report) == ["proof"] and "expired" in report.failures[0].detail


@pytest.mark.parametrize("change, message", [
    ({"type": "DataIntegrityProof2"}, "type"),
    ({"cryptosuite": "ecdsa-rdfc-2019"}, "cryptosuite"),
    ({"proofPurpose": "authentication"}, "proofPurpose"),
    ({"created": "2026-03-01 12:00:00"}, "date-time"),
    ({"verificationMethod": 5}, "verificationMethod"),
    ({"proofValue": "u" + "A" * 86}, "multibase"),
    ({"proofValue": "z" + "0" * 87}, "base58"),
    ({"proofValue": "z2"}, "64-byte"),
    ({"previousProof": 5}, "previousProof"),
    ({"domain": "example.com", "challenge": ["a"]}, "does not verify"),
])
def test_malformed_proofs(change: dict[str, Any], message: str) -> None:
    doc = sign(rating(), ALICE, suite="eddsa-jcs-2022", created=T0)
    doc["proof"].update(change)
    report = verify(doc, now=NOW, check_terms_jcs=False)
    assert names(report) == ["proof"], report.failures
    assert message in report.failures[0].detail
    assert isinstance(report.failures[0].error, ProofError)


@pytest.mark.parametrize("change, check", [
    ({"type": "Ed25519Signature2020"}, "terms"),  # not a term of the credentials context
    ({"foo": "bar"}, "terms"),                      # nor is foo
    ({"created": None}, "document"),                # JSON-LD would drop it
    ({"previousProof": []}, "document"),
])
def test_proof_members_are_checked_as_terms_too(change: dict[str, Any], check: str) -> None:
    for suite in SUITES:
        doc = sign(rating(), ALICE, suite=suite, created=T0)
        doc["proof"].update(change)
        report = verify(doc, now=NOW)
        assert names(report) == [check], report.failures
        report = verify(doc, now=NOW, check_terms_jcs=False)
        assert not report.ok


def test_missing_created_and_no_proof() -> None:
    doc = sign(rating(), ALICE, created=T0)
    del doc["proof"]["created"]
    assert "created" in verify(doc, now=NOW).failures[0].detail
    report = verify(rating(), now=NOW)
    assert names(report) == ["proof"] and "no proof" in report.failures[0].detail


def test_jcs_proof_context_must_start_the_document_context() -> None:
    doc = sign(rating(), ALICE, suite="eddsa-jcs-2022", created=T0)
    doc["proof"]["@context"] = list(reversed(doc["proof"]["@context"]))
    report = verify(doc, now=NOW)
    assert names(report) == ["proof"]
    assert "@context" in report.failures[0].detail


def test_key_resolvers_and_key_validity() -> None:
    signed = sign(rating(), ALICE, created=T0)

    def retired(vm: str) -> ResolvedKey:
        key = resolve_did_key(vm)
        return ResolvedKey(public_key=key.public_key, controller=key.controller, id=vm,
                           valid_from=T0 + timedelta(hours=1))

    report = verify(signed, now=NOW, key_resolver=retired)
    assert names(report) == ["key"] and "not valid when the proof was created" in \
        report.failures[0].detail
    assert report.check("proof").status == "skip"  # type: ignore[union-attr]

    def unknown(vm: str) -> ResolvedKey:
        raise KeyResolutionError(f"cannot resolve {vm}")

    report = verify(signed, now=NOW, key_resolver=unknown)
    assert names(report) == ["key"]
    with pytest.raises(KeyResolutionError):
        report.raise_for_failure()


def test_terms_are_checked_for_both_suites() -> None:
    for suite in SUITES:
        doc = rating()
        doc["credentialSubject"]["colour"] = "blue"  # the Confiance context has no @vocab
        with pytest.raises(UndefinedTermError, match="colour"):
            sign(doc, ALICE, suite=suite, created=T0)
    signed = sign(rating(), ALICE, suite="eddsa-jcs-2022", created=T0)
    signed["credentialSubject"]["colour"] = "blue"
    report = verify(signed, now=NOW)
    assert names(report) == ["terms"]
    # opting out leaves it to the signature (which fails here, as the JSON changed)
    report = verify(signed, now=NOW, check_terms_jcs=False)
    assert report.check("terms").status == "skip"  # type: ignore[union-attr]
    assert names(report) == ["proof"]


def test_contexts_and_documents() -> None:
    doc = sign(rating(), ALICE, created=T0)
    doc["@context"] = [*doc["@context"], "https://evil.example/context"]
    report = verify(doc, now=NOW)
    assert names(report) == ["contexts"] and isinstance(report.failures[0].error, ContextError)
    doc = sign(rating(), ALICE, created=T0)
    del doc["@context"]
    assert names(verify(doc, now=NOW)) == ["contexts"]
    report = verify({"@context": CREDENTIALS_V2_URL, "a": None}, now=NOW)
    assert names(report) == ["document"]
    assert isinstance(report.failures[0].error, MalformedDocument)
    report = verify([1, 2], now=NOW)  # type: ignore[arg-type]
    assert names(report) == ["document"]


def test_api_misuse() -> None:
    with pytest.raises(LocalProtocolError):
        sign(rating(), ALICE, suite="eddsa-2022", created=T0)
    with pytest.raises(LocalProtocolError):
        verify(rating(), now=datetime(2026, 1, 1))
    with pytest.raises(LocalProtocolError):
        sign(rating(), "not a key", created=T0)  # type: ignore[arg-type]
    with pytest.raises(MalformedDocument):
        sign({"type": "VerifiableCredential"}, ALICE, created=T0)
    with pytest.raises(ProofError):
        sign(rating(), ALICE, created="yesterday")


def test_custom_proof_purpose() -> None:
    doc = sign(rating(), ALICE, created=T0, proof_purpose="authentication")
    assert not verify(doc, now=NOW).ok
    assert verify(doc, now=NOW, proof_purpose="authentication").ok


def test_jcs_without_term_checks_takes_no_walk_but_stays_exact() -> None:
    doc = {"@context": CREDENTIALS_V2_URL, "type": "VerifiableCredential", "issuer": ALICE.did,
           "credentialSubject": {"id": "did:example:x", "https://example.org/n": 1e-7,
                                 "https://example.org/\U0001f600": 100.0,
                                 "https://example.org/\ufb33": 2}}
    signed = sign(doc, ALICE, suite="eddsa-jcs-2022", created=T0)
    # the optimistic C-encoder bytes differ from RFC 8785 here: the retry makes it exact
    report = verify(signed, now=NOW, check_terms_jcs=False)
    assert report.ok, report.failures
    assert verify(signed, now=NOW).ok
    signed["credentialSubject"]["https://example.org/n"] = 2e-7
    assert names(verify(signed, now=NOW, check_terms_jcs=False)) == ["proof"]


def test_jcs_without_term_checks_still_applies_limits_and_contexts() -> None:
    signed = sign(rating(), ALICE, suite="eddsa-jcs-2022", created=T0)
    from confiance.protocol.limits import Limits

    report = verify(signed, now=NOW, check_terms_jcs=False, limits=Limits(max_bytes=200))
    assert names(report) == ["limits"]
    signed["proof"]["@context"] = ["https://evil.example/v1"]
    report = verify(signed, now=NOW, check_terms_jcs=False)
    assert names(report) == ["contexts"]
    assert verify([1], now=NOW, check_terms_jcs=False).failures[0].name == "document"  # type: ignore[arg-type]
