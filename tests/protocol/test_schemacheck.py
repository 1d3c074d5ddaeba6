"""The compiled schema checks give jsonschema's verdict: on every vector, on generated
assertions of every kind, and on mutations of them (refusals included)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import strategies  # tests/protocol on sys.path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confiance.protocol.assertions import issue
from confiance.protocol.errors import SchemaError
from confiance.protocol.keys import KeyPair
from confiance.protocol.marks import MarkDefinition, sign_definition
from confiance.protocol.model import to_credential
from confiance.protocol.schemacheck import compile_schema, json_equal
from confiance.protocol.schemas import (
    SCHEMA_NAMES,
    compiled_check,
    reference_validator,
    validate_document,
)

VECTORS = sorted((Path(__file__).resolve().parents[2] / "specs" / "vectors").glob("*.json"))
CREATED = datetime(2026, 1, 2, tzinfo=UTC)

#: values put in place of others by the mutations: each breaks some rule of some member
ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 1.0, 2.5, -1e16, 1e16, 10**15, "", " ", "x", "\n", "a\n",
    "\t", "seller", "Seller", "did:example:x", "https://e.example/a b", "ni:///sha-256;" + "a" * 43,
    "2026-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00Z\n",
    "12", "012", "x" * 257, "y" * 4097, "revocation", "BitstringStatusListEntry", [], {},
    [1, 2], [1, "a"], [1, 1], {"id": "did:example:x"}, {"type": "DataIntegrityProof"},
    ["VerifiableCredential", "TrustAssertion", "Rating"], {"type": "LinearRescale"},
    [{"value": 1, "label": "a"}, {"value": 1, "label": "a"}],
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member or item of a JSON value (the root excluded)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*prefix, index))
            out.extend(paths(item, (*prefix, index)))
    return out


def at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def mutations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Documents one change away from ``doc``: each member dropped, replaced, duplicated
    in its array, and an unknown member added in each object."""
    out: list[dict[str, Any]] = []
    for path in paths(doc):
        parent, last = at(doc, path[:-1]), path[-1]
        dropped = copy.deepcopy(doc)
        del at(dropped, path[:-1])[last]
        out.append(dropped)
        for odd in ODD_VALUES:
            changed = copy.deepcopy(doc)
            at(changed, path[:-1])[last] = copy.deepcopy(odd)
            out.append(changed)
        if isinstance(parent, list):
            repeated = copy.deepcopy(doc)
            at(repeated, path[:-1]).append(copy.deepcopy(parent[last]))
            out.append(repeated)
        if isinstance(at(doc, path), dict):
            extra = copy.deepcopy(doc)
            at(extra, path)["unknownMember"] = "x"
            out.append(extra)
    return out


def same_verdict(doc: Any, kind: str) -> None:
    expected = reference_validator(kind).is_valid(doc)
    assert compiled_check(kind)(doc) is expected, (kind, json.dumps(doc)[:400])


def _vector_doc(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())["signed"]
    return data


def _kind(doc: dict[str, Any]) -> str:
    kind: str = doc["type"][-1]
    return kind


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vectors_and_every_one_change_mutation(path: Path) -> None:
    doc = _vector_doc(path)
    kind = _kind(doc)
    assert compiled_check(kind)(doc)
    candidates = mutations(doc)
    assert len(candidates) > 200
    refused = 0
    for candidate in candidates:
        for other in SCHEMA_NAMES:
            same_verdict(candidate, other)
        refused += not reference_validator(kind).is_valid(candidate)
    assert refused > len(candidates) // 2  # the mutations do reach the refusals


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.assertions, st.sampled_from(["eddsa-jcs-2022", "eddsa-rdfc-2022"]),
       st.data())
def test_generated_assertions_and_their_mutations(assertion: Any, suite: str,
                                                  data: st.DataObject) -> None:
    signed = issue(assertion, strategies.key_for(assertion), suite=suite,
                   created=CREATED).document
    for doc in (to_credential(assertion), signed):
        for kind in SCHEMA_NAMES:
            same_verdict(doc, kind)
    candidates = mutations(signed)
    for candidate in data.draw(st.lists(st.sampled_from(candidates), min_size=10,
                                        max_size=40)):
        for kind in SCHEMA_NAMES:
            same_verdict(candidate, kind)


def test_a_mark_definition_and_every_one_change_mutation() -> None:
    key = KeyPair.generate(bytes(range(1, 33)))
    definition = MarkDefinition(
        issuer=key.did, mark="https://e1.example/marks/top-seller", version="1",
        context="seller", name="Top seller", short_name="top seller",
        terms={"en": "The terms."}, says={"en": "It says.", "fr": "Elle dit."},
        does_not_say={"en": "Not this."}, earned_by={"en": "By selling."},
        lost_by={"en": "By cheating."}, lasts={"en": "A year."}, valid_from=CREATED)
    doc = sign_definition(definition, key, created=CREATED)
    assert compiled_check("MarkDefinition")(doc)
    refused = 0
    for candidate in mutations(doc):
        for name in SCHEMA_NAMES:
            same_verdict(candidate, name)
        refused += not reference_validator("MarkDefinition").is_valid(candidate)
    assert refused > 100


def test_refusals_keep_the_reference_message() -> None:
    doc = _vector_doc(VECTORS[0])
    kind = _kind(doc)
    broken = copy.deepcopy(doc)
    broken["credentialSubject"]["unexpected"] = 1
    with pytest.raises(SchemaError) as caught:
        validate_document(broken, kind)
    assert caught.value.detail["pointer"] == "/credentialSubject"
    assert "unexpected" in caught.value.message


@pytest.mark.parametrize(("schema", "good", "bad"), [
    ({"type": "integer"}, [1, 2.0, -3], [True, 1.5, "1", None]),
    ({"type": "number", "minimum": 0}, [0, 0.5], [-1, True, None, "x"]),
    ({"minimum": 0}, [0, "x", True, None], [-1, -0.5]),
    ({"const": [1, "a"]}, [[1, "a"], [1.0, "a"]], [[True, "a"], [1], ["a", 1]]),
    ({"enum": [1, None]}, [1, 1.0, None], [True, False, 0]),
    ({"uniqueItems": True}, [[1, 2], [1, True], [[1], [2]]], [[1, 1.0], [{"a": 1}, {"a": 1}]]),
    ({"pattern": "^a$"}, ["a", 3], ["a\n", "ba"]),
    ({"pattern": "b"}, ["abc"], ["ac"]),
    ({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
     [["a", 1, 2], [], "x"], [[1], ["a", "b"]]),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1.5], [1]),
    ({"if": {"const": 1}, "then": {"type": "integer"}, "else": {"type": "string"}},
     [1, "a"], [2.5]),
    ({"propertyNames": {"maxLength": 1}, "minProperties": 1}, [{"a": 1}], [{}, {"ab": 1}]),
    ({"format": "date-time"}, ["2026-01-01T00:00:00Z", 5], ["2026-13-01T00:00:00Z"]),
    ({"not": {"type": "string"}}, [1], ["a"]),
])
def test_keywords(schema: dict[str, Any], good: list[Any], bad: list[Any]) -> None:
    from jsonschema import Draft202012Validator

    check = compile_schema(schema)
    reference = Draft202012Validator(schema)
    for value in good:
        assert check(value), value
        if "pattern" not in schema and "format" not in schema:
            assert reference.is_valid(value)
    for value in bad:
        assert not check(value), value


def test_unknown_keywords_and_formats_are_refused_at_compile_time() -> None:
    with pytest.raises(ValueError, match="patternProperties"):
        compile_schema({"patternProperties": {"a": {}}})
    with pytest.raises(ValueError, match="email"):
        compile_schema({"format": "email"})


def test_json_equal_keeps_booleans_apart_from_numbers() -> None:
    assert json_equal(1, 1.0) and json_equal([1, {"a": 2}], [1.0, {"a": 2.0}])
    assert not json_equal(True, 1) and not json_equal([0], [False])
    assert not json_equal({"a": 1}, {"b": 1}) and not json_equal([1], [1, 2])
