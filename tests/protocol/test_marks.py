"""Mark definitions: validated, canonical, signed and verified like assertions."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from confiance.protocol.errors import ConfianceError, SchemaError
from confiance.protocol.keys import KeyPair
from confiance.protocol.marks import (
    MarkDefinition,
    definition_document,
    definition_from_document,
    pick_language,
    sign_definition,
    verify_definition,
)

KEY = KeyPair.generate(bytes(range(1, 33)))
T0 = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def definition(**over: object) -> MarkDefinition:
    fields: dict[str, object] = dict(
        issuer=KEY.did, mark="https://e1.example/marks/top-seller", version="1",
        context="seller", name="Top seller", short_name="top seller",
        terms={"en": "The terms."}, says={"en": "It says.", "fr": "Elle dit."},
        does_not_say={"en": "Not this."}, earned_by={"en": "By selling."},
        lost_by={"en": "By cheating."}, lasts={"en": "A year."}, valid_from=T0)
    fields.update(over)
    return MarkDefinition(**fields)  # type: ignore[arg-type]


def test_round_trip_and_id() -> None:
    d = definition()
    doc = definition_document(d)
    assert doc["id"] == "https://e1.example/marks/top-seller/1"
    assert doc["credentialSubject"]["says"] == {"en": "It says.", "fr": "Elle dit."}
    assert definition_from_document(doc) == d


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "eddsa-rdfc-2022"])
def test_sign_and_verify(suite: str) -> None:
    signed = sign_definition(definition(), KEY, created=T0, suite=suite)
    assert verify_definition(signed, now=T0) == definition()
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["says"]["en"] = "It says more."
    with pytest.raises(ConfianceError):
        verify_definition(tampered, now=T0)


@pytest.mark.parametrize(("over", "message"), [
    ({"says": {"fr": "seulement"}}, "English"),
    ({"says": {"EN": "x"}}, "language tag"),
    ({"version": "1 beta"}, "version"),
    ({"short_name": "x" * 41}, "shortName"),
    ({"terms": {"en": "a\x00b"}}, "terms"),
])
def test_invalid_definitions_cannot_exist(over: dict[str, object], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        definition(**over)


def test_id_must_be_mark_and_version() -> None:
    doc = definition_document(definition())
    doc["id"] = "https://e1.example/marks/other/1"
    with pytest.raises(SchemaError, match="/id"):
        definition_from_document(doc)


def test_pick_language_falls_back_to_english() -> None:
    prose = (("en", "hello"), ("fr", "bonjour"))
    assert pick_language(prose, ("fr-CA",)) == ("fr", "bonjour")
    assert pick_language(prose, ("de",)) == ("en", "hello")
    assert definition().deed(("fr",))["says"] == ("fr", "Elle dit.")
    assert definition().languages == ("en",)
