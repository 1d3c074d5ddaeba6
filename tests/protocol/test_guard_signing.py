"""Proof checks at their exact boundaries, and each refusal named (issue 14).

Times: a proof may claim to be created up to 5 minutes in the future, not a second
more; it is expired *at* its ``expires``; a credential is valid *from* its ``validFrom``.
Each refusal of a malformed proof or ``previousProof`` is reported as that proof's
failure, with the key check skipped, and named checks say which proof of a set failed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from test_signing import ALICE, BOB, NOW, T0, names, rating

from confiance.protocol.canonical import canonicalize_jcs
from confiance.protocol.errors import (
    ConfianceError,
    DocumentTooLarge,
    LocalProtocolError,
    ProofError,
)
from confiance.protocol.limits import DEFAULT_LIMITS
from confiance.protocol.model import format_datetime
from confiance.protocol.signing import sign, verify

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
