"""Proof checks at their exact boundaries, and each refusal named (issue 14).

Times: a proof may claim to be created up to 5 minutes in the future, not a second
more; it is expired *at* its ``expires``; a credential is valid *from* its ``validFrom``.
Each refusal of a malformed proof or ``previousProof`` is reported as that proof's
failure, with the key check skipped, and named checks say which proof of a set failed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import pytest
from test_signing import ALICE, BOB, NOW, T0, names, rating

from confiance.protocol.canonical import canonicalize_jcs
from confiance.protocol.errors import (
    ConfianceError,
    DocumentTooLarge,
    LocalProtocolError,
    MalformedDocument,
    ProofError,
    UndefinedTermError,
)
from confiance.protocol.limits import DEFAULT_LIMITS
from confiance.protocol.model import format_datetime
from confiance.protocol.signing import SUITES, Check, VerificationReport, sign, verify

SECOND = timedelta(seconds=1)


def test_created_up_to_the_clock_skew_in_the_future_and_not_a_second_more() -> None:
    skew = timedelta(minutes=5)  # specs/protocol.md, "at most 5 minutes after now"
    assert verify(sign(rating(), ALICE, created=NOW + skew), now=NOW).ok
    late = verify(sign(rating(), ALICE, created=NOW + skew + SECOND), now=NOW)
    assert names(late) == ["proof"] and "future" in late.failures[0].detail


def test_a_proof_is_expired_at_its_expires() -> None:
    doc = sign(rating(), ALICE, created=T0, expires=NOW)
    assert verify(doc, now=NOW - SECOND).ok
    report = verify(doc, now=NOW)
    assert names(report) == ["proof"] and "expired" in report.failures[0].detail


def test_a_credential_is_valid_from_its_valid_from() -> None:
    doc = sign(rating(), ALICE, created=T0 - timedelta(days=1))
    assert verify(doc, now=T0).ok
    assert names(verify(doc, now=T0 - SECOND)) == ["validity"]


def test_sign_refuses_an_expires_that_is_no_date() -> None:
    with pytest.raises(ConfianceError):
        sign(rating(), ALICE, created=T0, expires="tomorrow")


def _proof_failure(change: dict[str, Any]) -> Any:
    doc = sign(rating(), ALICE, created=T0)
    doc["proof"].update(change)
    report = verify(doc, now=NOW, check_terms_jcs=False)
    assert names(report) == ["proof"], report.to_json()
    assert report.check("key") is not None and report.check("key").status == "skip"
    return report.failures[0]


def test_an_unknown_proof_member_is_refused_and_named() -> None:
    failure = _proof_failure({"x" * 70: "y"})
    assert isinstance(failure.error, ProofError)
    assert failure.error.to_problem()["member"] == "x" * 60


@pytest.mark.parametrize("previous", ["", [], [""], ["urn:a", 5], [None]])
def test_a_malformed_previous_proof_is_refused(previous: Any) -> None:
    assert "previousProof" in _proof_failure({"previousProof": previous}).detail


def test_a_proof_id_must_be_text() -> None:
    assert "id" in _proof_failure({"id": 5}).detail


def test_sign_refuses_a_malformed_previous_proof() -> None:
    with pytest.raises(LocalProtocolError):
        sign(rating(), ALICE, created=T0, previous_proof=[""])


def test_checks_are_named_per_proof_in_a_set_only() -> None:
    one = verify(sign(rating(), ALICE, created=T0), now=NOW)
    assert {"proof", "key"} <= {c.name for c in one.checks}
    both = sign(sign(rating(), ALICE, created=T0), BOB, created=T0)
    report = verify(both, now=NOW)
    assert {"proof[0]", "key[0]", "proof[1]", "key[1]"} <= {c.name for c in report.checks}
    assert "proof" not in {c.name for c in report.checks}


def test_a_context_off_the_allow_list_passes_the_limits_first() -> None:
    doc = sign(rating(), ALICE, created=T0)
    doc["@context"] = [*doc["@context"], "https://not.allowed.example/ctx"]
    report = verify(doc, now=NOW)
    assert [(c.name, c.status) for c in report.checks[:2]] == [
        ("limits", "pass"), ("contexts", "fail")]


def test_an_expires_in_the_signed_proof_is_kept_as_given() -> None:
    doc = sign(rating(), ALICE, created=T0, expires=NOW)
    assert doc["proof"]["expires"] == format_datetime(NOW)


def test_the_jcs_size_limit_holds_at_exactly_the_canonical_bytes() -> None:
    # without the term walk (check_terms_jcs=False), the size limit applies to the JCS bytes
    doc = sign(rating(), ALICE, created=T0)
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    size = len(canonicalize_jcs(unsecured))
    at_limit = verify(doc, now=NOW, check_terms_jcs=False,
                      limits=replace(DEFAULT_LIMITS, max_bytes=size))
    assert at_limit.ok, at_limit.to_json()
    over = verify(doc, now=NOW, check_terms_jcs=False,
                  limits=replace(DEFAULT_LIMITS, max_bytes=size - 1))
    assert names(over) == ["limits"]
    assert isinstance(over.failures[0].error, DocumentTooLarge)



@pytest.mark.parametrize("check_terms", [True, False])
def test_a_proof_that_is_no_object_is_refused_as_such(check_terms: bool) -> None:
    doc = sign(rating(), ALICE, created=T0)
    for proofs, name in ((5, "proof"), (True, "proof"), ([doc["proof"], 5], "proof[1]")):
        report = verify(dict(doc, proof=proofs), now=NOW, check_terms_jcs=check_terms)
        assert [(f.name, f.detail) for f in report.failures] == [
            (name, "a proof must be a JSON object")]


def test_a_jcs_proof_without_its_own_context_is_checked_on_the_light_path() -> None:
    # eddsa-jcs-2022 signs the proof with the document's @context: leaving it out of the
    # proof changes nothing signed, and the light path (no term walk) must not need it
    doc = sign(rating(), ALICE, created=T0)
    del doc["proof"]["@context"]
    assert verify(doc, now=NOW, check_terms_jcs=False).ok


def test_warnings_are_the_checks_that_warned() -> None:
    clean = verify(sign(rating(), ALICE, created=T0), now=NOW)
    assert clean.ok and clean.warnings == ()
    unbound = verify(sign(rating(issuer=BOB.did), ALICE, created=T0), now=NOW)
    assert unbound.ok  # not refused, unless the caller requires the binding
    assert [(c.name, c.status) for c in unbound.warnings] == [("issuer-binding", "warn")]


def test_a_failed_check_without_an_error_of_its_own_raises_a_proof_error() -> None:
    # a report made elsewhere (not by verify, whose failures all carry their error)
    made = VerificationReport(ok=False, checks=(
        Check("limits", "pass", "fine"), Check("proof[1]", "fail", "made elsewhere")))
    with pytest.raises(ProofError, match=r"^proof\[1\]: made elsewhere$"):
        made.raise_for_failure()
    VerificationReport(ok=True, checks=(Check("limits", "pass", "fine"),)).raise_for_failure()


def test_sign_refuses_a_proof_member_that_holds_no_proof_objects() -> None:
    for proofs in ("a proof", [sign(rating(), ALICE, created=T0)["proof"], "a proof"]):
        with pytest.raises(MalformedDocument, match="does not hold proof objects"):
            sign(dict(rating(), proof=proofs), BOB, created=T0)


def test_the_size_limit_is_checked_by_the_term_walk_too() -> None:
    doc = sign(rating(), ALICE, created=T0)
    report = verify(doc, now=NOW, limits=replace(DEFAULT_LIMITS, max_bytes=100))
    assert names(report) == ["limits"]
    assert isinstance(report.failures[0].error, DocumentTooLarge)


def test_the_light_path_refuses_what_cannot_be_canonicalised() -> None:
    doc = sign(rating(), ALICE, created=T0)
    doc["credentialSubject"]["comment"] = json.loads('"\\ud800"')  # a lone surrogate
    report = verify(doc, now=NOW, check_terms_jcs=False)
    assert names(report) == ["document"] and "surrogates" in report.failures[0].detail


def test_the_light_path_checks_the_size_of_a_document_without_context_too() -> None:
    doc = sign(rating(), ALICE, created=T0)
    del doc["@context"]
    small = verify(doc, now=NOW, check_terms_jcs=False)
    assert [(c.name, c.status) for c in small.checks[:2]] == [
        ("limits", "pass"), ("contexts", "fail")]
    big = verify(doc, now=NOW, check_terms_jcs=False,
                 limits=replace(DEFAULT_LIMITS, max_bytes=100))
    assert [(c.name, c.status) for c in big.checks] == [("limits", "fail")]


def test_the_light_path_refuses_a_document_that_is_no_json_object() -> None:
    doc = sign(rating(), ALICE, created=T0)
    report = verify(MappingProxyType(doc), now=NOW, check_terms_jcs=False)
    assert [(f.name, f.detail) for f in report.failures] == [
        ("document", "a credential is a JSON object")]


def test_the_light_path_refuses_embedded_contexts() -> None:
    doc = sign(rating(), ALICE, created=T0)
    doc["@context"] = [*doc["@context"], {"score": "https://evil.example/score"}]
    report = verify(doc, now=NOW, check_terms_jcs=False)
    assert [(f.name, f.detail) for f in report.failures] == [
        ("contexts", "embedded context objects are not allowed")]


def test_a_document_refused_by_strict_jcs_fails_its_proof() -> None:
    # the optimistic bytes do not verify (the document was changed), and RFC 8785 refuses
    # an integer beyond 2**53 next to a float: the proof fails, it is never passed over
    doc = sign(rating(), ALICE, created=T0)
    doc["credentialSubject"]["extra"] = {"big": 2**60, "float": 1.5}
    report = verify(doc, now=NOW, check_terms_jcs=False)
    assert not report.ok
    assert names(report) == ["proof"] and "safe integer" in report.failures[0].detail


@pytest.mark.parametrize("suite", SUITES)
def test_a_proof_set_is_read_by_its_suites(suite: str) -> None:
    both = sign(sign(rating(), ALICE, created=T0, suite=suite), BOB, created=T0, suite=suite)
    report = verify(both, now=NOW, check_terms_jcs=False)
    assert report.ok, report.to_json()
    checks = {c.name: c.status for c in report.checks}
    if suite == "eddsa-rdfc-2022":  # terms always checked; canonicalised once for both
        assert (checks["terms"], checks.get("canonicalization")) == ("pass", "pass")
    else:  # jcs only and no term check asked for
        assert (checks["terms"], checks.get("canonicalization")) == ("skip", None)


@pytest.mark.parametrize("suite", SUITES)
def test_sign_refuses_proof_options_a_verifier_would_refuse(suite: str) -> None:
    # nothing is signed that a verifier would refuse: a relative IRI in the proof itself
    for option in ({"proof_purpose": "bogus"}, {"proof_id": "relative/id"}):
        with pytest.raises(UndefinedTermError, match="not an absolute IRI"):
            sign(rating(), ALICE, created=T0, suite=suite, **option)  # type: ignore[arg-type]
