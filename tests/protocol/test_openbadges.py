"""A TrustMark as an Open Badges 3.0 OpenBadgeCredential: schema, context, signature."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft201909Validator, FormatChecker
from pyld import jsonld

from confiance.protocol.assertions import issue
from confiance.protocol.contexts import default_loader
from confiance.protocol.errors import SchemaError
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import StatusEntry, TrustMark
from confiance.protocol.openbadges import (
    OB_CONTEXT_URL,
    ob_context,
    open_badge_credential,
    open_badges_loader,
)
from confiance.protocol.signing import sign, verify

SCHEMA = json.loads((Path(__file__).parent / "data" /
                     "ob_v3p0_achievementcredential.schema.json").read_text(encoding="utf-8"))
KEY = KeyPair.generate(bytes(range(1, 33)))
T0 = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
LOADER = open_badges_loader(default_loader())


def credential() -> dict[str, object]:
    mark = issue(TrustMark(
        issuer=KEY.did, context="seller", valid_from=T0, subject="did:example:alice",
        mark="https://e1.example/marks/top-seller", mark_version="1", status="Top seller",
        evidence=("https://e1.example/alice/feedback",),
        credential_status=StatusEntry(id="https://e1.example/status/1#7",
                                      status_list_credential="https://e1.example/status/1",
                                      status_list_index=7)), KEY, created=T0)
    return open_badge_credential(
        mark.document, id="https://e1.example/badges/x/openbadge.json", issuer_name="E1",
        issuer_url="https://e1.example/", achievement_id="https://e1.example/marks/top-seller/1",
        name="Top seller", description="At least 95% positive.", criteria="100 good sales.",
        image="https://e1.example/badges/x.svg")


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_signed_credential_is_valid_against_the_ob3_schema(suite: str) -> None:
    signed = sign(credential(), KEY, suite=suite, created=T0, loader=LOADER)
    errors = list(Draft201909Validator(SCHEMA, format_checker=FormatChecker()).iter_errors(
        signed))
    assert errors == []
    report = verify(signed, now=T0, loader=LOADER, require_issuer_binding=True)
    assert report.ok, report.failures


def test_the_schema_catches_what_a_wallet_needs() -> None:
    """A guard that cannot fail is no guard: the transcribed schema refuses the omissions."""
    validator = Draft201909Validator(SCHEMA, format_checker=FormatChecker())
    doc = credential()
    for path in (("credentialSubject", "achievement", "criteria"), ("issuer", "id"),
                 ("credentialSubject", "achievement", "name"), ("validFrom",)):
        broken = json.loads(json.dumps(doc))
        target = broken
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        assert list(validator.iter_errors(broken)), path
    wrong = json.loads(json.dumps(doc))
    wrong["type"] = ["VerifiableCredential", "TrustMark"]
    assert list(validator.iter_errors(wrong))


def test_every_term_is_defined_by_the_shipped_context() -> None:
    dropped: list[object] = []
    jsonld.expand(credential(), {"documentLoader": LOADER},
                  on_property_dropped=dropped.append)
    assert dropped == []
    assert ob_context()["@context"]["OpenBadgeCredential"]["@id"].endswith(
        "#OpenBadgeCredential")
    assert OB_CONTEXT_URL.endswith("context-3.0.3.json")


def test_only_trustmarks_map() -> None:
    with pytest.raises(SchemaError):
        open_badge_credential({"type": ["VerifiableCredential", "TrustAssertion", "Rating"]},
                              id="urn:x", issuer_name="x", issuer_url=None,
                              achievement_id="urn:y", name="n", description="d", criteria="c")
