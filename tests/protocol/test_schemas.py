"""JSON Schemas per kind: shipped copies, valid samples, and specific rejections."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from confiance.protocol.errors import (
    DocumentTooLarge,
    MalformedDocument,
    NestingTooDeep,
    SchemaError,
)
from confiance.protocol.model import (
    Acceptance,
    Rating,
    Recognition,
    Referral,
    Revocation,
    Scale,
    TrustMark,
    from_credential,
    to_credential,
)
from confiance.protocol.rules import LinearRule
from confiance.protocol.schemas import (
    SCHEMA_KINDS,
    SCHEMA_NAMES,
    json_pointer,
    load_schema,
    validate_document,
)

ROOT = Path(__file__).resolve().parents[2]
SPEC_SCHEMAS = ROOT / "specs" / "schemas"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ISSUER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
CID = "ni:///sha-256;" + "b" * 43

DOCS: dict[str, dict[str, Any]] = {
    "Rating": to_credential(Rating(
        issuer=ISSUER, context="seller", valid_from=T0, subject="did:example:bob", score=4,
        scale=Scale(minimum=1, maximum=5, labels=((1, "poor"), (5, "excellent"))),
        comment="fine")),
    "TrustMark": to_credential(TrustMark(
        issuer=ISSUER, context="seller", valid_from=T0, subject="did:example:alice",
        mark="https://shop.example/marks/feedback", status="97% positive", value=97,
        mark_version="1", evidence=("https://shop.example/alice",))),
    "Referral": to_credential(Referral(
        issuer=ISSUER, context="seller", valid_from=T0, subject="did:example:carol",
        audience="https://market.example")),
    "Recognition": to_credential(Recognition(
        issuer=ISSUER, context="seller", valid_from=T0, recognised="https://e1.example",
        rule=LinearRule(source_min=0, source_max=100, target_min=1, target_max=5),
        scale=Scale(minimum=1, maximum=5), mark="https://e1.example/marks/positive")),
    "Revocation": to_credential(Revocation(
        issuer=ISSUER, context=None, valid_from=T0, target=CID, reason="mistake")),
    "Acceptance": to_credential(Acceptance(
        issuer=ISSUER, context=None, valid_from=T0, target=CID, accepted=True)),
}


def _package_schema_dir() -> Any:
    return resources.files("confiance.protocol").joinpath("data", "schemas")


def test_spec_and_package_schemas_are_identical() -> None:
    package = {p.name: p.read_bytes() for p in _package_schema_dir().iterdir()
               if p.name.endswith(".json")}
    spec = {p.name: p.read_bytes() for p in SPEC_SCHEMAS.glob("*.json")}
    assert set(spec) == {"common.json", *(f"{k}.json" for k in SCHEMA_NAMES)}
    assert package == spec


@pytest.mark.parametrize("name", ["common", *SCHEMA_NAMES])
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((SPEC_SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}.json")


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_valid_documents_pass(kind: str) -> None:
    validate_document(DOCS[kind], kind)
    signed = copy.deepcopy(DOCS[kind])
    signed["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
                       "proofValue": "z" + "1" * 80}
    validate_document(signed, kind)
    signed["proof"] = [signed["proof"], dict(signed["proof"])]
    validate_document(signed, kind)


def test_load_schema_is_a_fresh_copy() -> None:
    schema = load_schema("Rating")
    schema["properties"].clear()
    assert load_schema("Rating")["properties"]


@pytest.mark.parametrize("kind", ["Foo", "rating", ""])
def test_unknown_kind(kind: str) -> None:
    with pytest.raises(SchemaError, match="unknown assertion kind"):
        validate_document(DOCS["Rating"], kind)
    with pytest.raises(SchemaError, match="unknown assertion kind"):
        load_schema(kind)


def test_unknown_kind_in_document() -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc["type"][2] = "Gossip"
    with pytest.raises(SchemaError, match="unknown assertion kind 'Gossip'"):
        from_credential(doc)


def test_document_of_another_kind() -> None:
    with pytest.raises(SchemaError, match=r"^/type: must be \[") as info:
        validate_document(DOCS["Rating"], "TrustMark")
    assert info.value.detail["pointer"] == "/type"


Mutation = Callable[[dict[str, Any]], None]


def _set(*path: Any, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _delete(*path: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


CS = "credentialSubject"
STATUS = {"id": "https://node.example/status/1#7", "type": "BitstringStatusListEntry",
          "statusPurpose": "revocation", "statusListIndex": "7",
          "statusListCredential": "https://node.example/status/1"}
REJECTIONS: list[tuple[str, str, Mutation, str, str]] = [
    # (case, kind, mutation, expected pointer, expected words in the message)
    ("missing trustContext", "Rating", _delete(CS, "trustContext"), "/credentialSubject",
     "'trustContext' is a required property"),
    ("missing score", "Rating", _delete(CS, "score"), "/credentialSubject",
     "'score' is a required property"),
    ("missing validFrom", "Referral", _delete("validFrom"), "", "'validFrom' is a required"),
    ("missing mark", "TrustMark", _delete(CS, "mark"), "/credentialSubject", "'mark'"),
    ("extra subject member", "Rating", _set(CS, "injected", value=1), "/credentialSubject",
     "'injected' was unexpected"),
    ("extra top-level member", "Referral", _set("termsOfUse", value={}), "",
     "'termsOfUse' was unexpected"),
    ("empty credentialStatus", "Referral", _set("credentialStatus", value={}),
     "/credentialStatus", "is a required property"),
    ("credentialStatus list", "Rating", _set("credentialStatus", value=[STATUS]),
     "/credentialStatus", "is not of type 'object'"),
    ("status entry of another type", "Rating",
     _set("credentialStatus", value={**STATUS, "type": "StatusList2021Entry"}),
     "/credentialStatus/type", 'must be "BitstringStatusListEntry"'),
    ("status index as number", "TrustMark",
     _set("credentialStatus", value={**STATUS, "statusListIndex": 7}),
     "/credentialStatus/statusListIndex", "is not of type 'string'"),
    ("status index with leading zero", "Rating",
     _set("credentialStatus", value={**STATUS, "statusListIndex": "07"}),
     "/credentialStatus/statusListIndex", "not well-formed"),
    ("negative status index", "Rating",
     _set("credentialStatus", value={**STATUS, "statusListIndex": "-1"}),
     "/credentialStatus/statusListIndex", "not well-formed"),
    ("huge status index", "Rating",
     _set("credentialStatus", value={**STATUS, "statusListIndex": "1" * 16}),
     "/credentialStatus/statusListIndex", "longer than 15"),
    ("message status purpose", "Recognition",
     _set("credentialStatus", value={**STATUS, "statusPurpose": "message"}),
     "/credentialStatus/statusPurpose", 'is not one of ["revocation", "suspension"]'),
    ("status size", "Rating", _set("credentialStatus", value={**STATUS, "statusSize": 1}),
     "/credentialStatus", "'statusSize' was unexpected"),
    ("relative status list", "Revocation",
     _set("credentialStatus", value={**STATUS, "statusListCredential": "/status/1"}),
     "/credentialStatus/statusListCredential", "absolute IRI"),
    ("extra scale member", "Rating", _set(CS, "scale", "step", value=1),
     "/credentialSubject/scale", "'step' was unexpected"),
    ("extra mark member", "TrustMark", _set(CS, "mark", "name", value="x"),
     "/credentialSubject/mark", "'name' was unexpected"),
    ("evidence on a rating", "Rating", _set("evidence", value=["https://x.example"]), "",
     "'evidence' was unexpected"),
    ("score as string", "Rating", _set(CS, "score", value="4"), "/credentialSubject/score",
     "is not of type 'number'"),
    ("score as boolean", "Rating", _set(CS, "score", value=True), "/credentialSubject/score",
     "is not of type 'number'"),
    ("absurd score", "Rating", _set(CS, "score", value=1e300), "/credentialSubject/score",
     "is above 1e+15"),
    ("issuer as object", "Rating", _set("issuer", value={"id": ISSUER}), "/issuer",
     "is not of type 'string'"),
    ("issuer not an IRI", "Rating", _set("issuer", value="bob"), "/issuer", "absolute IRI"),
    ("issuer with newline", "Rating", _set("issuer", value=ISSUER + "\n"), "/issuer",
     "absolute IRI"),
    ("subject with space", "Referral", _set(CS, "id", value="https://a b.example"),
     "/credentialSubject/id", "not well-formed"),
    ("context with capitals", "Rating", _set(CS, "trustContext", value="Seller"),
     "/credentialSubject/trustContext", "context of trust"),
    ("empty context", "Rating", _set(CS, "trustContext", value=""),
     "/credentialSubject/trustContext", "context of trust"),
    ("labels not a list", "Rating", _set(CS, "scale", "labels", value={"1": "x"}),
     "/credentialSubject/scale/labels", "not of type 'array'"),
    ("label without text", "Rating", _delete(CS, "scale", "labels", 0, "label"),
     "/credentialSubject/scale/labels/0", "'label' is a required property"),
    ("blank comment", "Rating", _set(CS, "comment", value="   "),
     "/credentialSubject/comment", "non-blank"),
    ("bad date", "Rating", _set("validFrom", value="2026-02-30T00:00:00Z"), "/validFrom",
     "not a valid date-time"),
    ("date without zone", "Rating", _set("validFrom", value="2026-02-03T00:00:00"),
     "/validFrom", "explicit time zone"),
    ("date only", "Rating", _set("validUntil", value="2026-02-03"), "/validUntil",
     "not well-formed"),
    ("nanoseconds", "Rating", _set("validFrom", value="2026-02-03T00:00:00.123456789Z"),
     "/validFrom", "microsecond"),
    ("date as number", "Rating", _set("validFrom", value=1767225600), "/validFrom",
     "not of type 'string'"),
    ("wrong contexts", "Rating", _set("@context", value=["https://www.w3.org/ns/credentials/v2"]),
     "/@context", "must be ["),
    ("long description", "Rating", _set("description", value="x" * 5000), "/description",
     "longer than 4096 characters"),
    ("long name", "Rating", _set("name", value="x" * 300), "/name", "longer than 256"),
    ("revocation of a URL", "Revocation", _set(CS, "id", value="https://x.example/a"),
     "/credentialSubject/id", "assertion id"),
    ("unknown decision", "Acceptance", _set(CS, "decision", value="maybe"),
     "/credentialSubject/decision", 'is not one of ["accept", "reject"]'),
    ("unknown rule type", "Recognition", _set(CS, "conversionRule", "type", value="Magic"),
     "/credentialSubject/conversionRule/type", "is not one of"),
    ("extra rule member", "Recognition", _set(CS, "conversionRule", "step", value=2),
     "/credentialSubject/conversionRule", "'step' was unexpected"),
    ("rule pair too long", "Recognition", _set(CS, "conversionRule", "from", value=[0, 1, 2]),
     "/credentialSubject/conversionRule/from", "more than 2 items"),
    ("empty categorical map", "Recognition",
     _set(CS, "conversionRule", value={"type": "CategoricalMap", "map": {}}),
     "/credentialSubject/conversionRule/map", "fewer than 1 members"),
    ("threshold without value", "Recognition",
     _set(CS, "conversionRule", value={"type": "ThresholdTable", "thresholds": [{"atLeast": 1}]}),
     "/credentialSubject/conversionRule/thresholds/0", "'value' is a required property"),
    ("repeated evidence", "TrustMark",
     _set("evidence", value=["https://x.example", "https://x.example"]), "/evidence",
     "repeated"),
    ("proof not an object", "Rating", _set("proof", value="signed!"), "/proof", ""),
    ("proof without type", "Rating", _set("proof", value={"proofValue": "z1"}), "/proof", ""),
]


@pytest.mark.parametrize(("kind", "mutate", "pointer", "words"),
                         [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS])
def test_rejections_name_pointer_and_reason(kind: str, mutate: Mutation, pointer: str,
                                            words: str) -> None:
    doc = copy.deepcopy(DOCS[kind])
    mutate(doc)
    with pytest.raises(SchemaError) as info:
        validate_document(doc, kind)
    error = info.value
    assert error.detail["pointer"] == pointer
    assert error.detail["kind"] == kind
    assert error.message.startswith((pointer or "(document root)") + ": ")
    assert words in error.message
    assert len(error.message) < 400
    problem = error.to_problem()
    assert problem["status"] == 422 and problem["pointer"] == pointer
    with pytest.raises(SchemaError):  # and from_credential refuses it too
        from_credential(doc)


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
@pytest.mark.parametrize("entry", [
    STATUS,
    {k: v for k, v in STATUS.items() if k != "id"},  # id is optional (a MAY in the spec)
    {**STATUS, "statusPurpose": "suspension", "statusListIndex": "0"},
])
def test_every_kind_admits_a_status_list_entry(kind: str, entry: dict[str, str]) -> None:
    doc = copy.deepcopy(DOCS[kind])
    doc["credentialStatus"] = dict(entry)
    validate_document(doc, kind)
    assertion = from_credential(doc)
    assert assertion.credential_status is not None
    assert assertion.credential_status.status_list_index == int(entry["statusListIndex"])
    assert to_credential(assertion) == doc


def test_score_outside_scale_is_refused_by_the_model() -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc[CS]["score"] = 7
    validate_document(doc, "Rating")  # the shape is fine...
    with pytest.raises(SchemaError, match=r"score 7 lies outside the scale 1\.\.5"):
        from_credential(doc)  # ...the meaning is not


def test_valid_until_before_valid_from() -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc["validUntil"] = "2025-01-01T00:00:00Z"
    with pytest.raises(SchemaError, match="validUntil must come after validFrom"):
        from_credential(doc)


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "form\x0cfeed", "del\x7f", "\ud800"])
def test_control_characters_and_lone_surrogates(text: str) -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc[CS]["comment"] = text
    with pytest.raises(SchemaError, match=r"^/credentialSubject/comment: control") as info:
        validate_document(doc, "Rating")
    assert info.value.detail["pointer"] == "/credentialSubject/comment"


def test_tabs_and_line_breaks_are_text() -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc[CS]["comment"] = "line one\r\nline two\tend"
    validate_document(doc, "Rating")
    assert from_credential(doc).comment == "line one\r\nline two\tend"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers(value: float) -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc[CS]["scale"]["maximum"] = value
    with pytest.raises(SchemaError, match=r"^/credentialSubject/scale/maximum: numbers must be"):
        validate_document(doc, "Rating")


def test_huge_string_is_refused_before_validation() -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc["description"] = "x" * 2_000_000
    with pytest.raises(DocumentTooLarge, match="characters of text"):
        validate_document(doc, "Rating")


def test_huge_array_is_refused_before_validation() -> None:
    doc = copy.deepcopy(DOCS["TrustMark"])
    doc["evidence"] = ["https://x.example"] * 1_000_000
    with pytest.raises(DocumentTooLarge):
        validate_document(doc, "TrustMark")


def test_many_members_are_refused_before_validation() -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc[CS].update({f"k{i}": i for i in range(50_000)})
    with pytest.raises(DocumentTooLarge, match="JSON values"):
        validate_document(doc, "Rating")


def test_deep_nesting_is_refused_before_validation() -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    doc["proof"] = deep
    with pytest.raises(NestingTooDeep) as info:
        validate_document(doc, "Rating")
    assert info.value.detail["pointer"].startswith("/proof/a/a")


@pytest.mark.parametrize("doc", [[1, 2], "text", None, 3])
def test_not_an_object(doc: object) -> None:
    with pytest.raises(SchemaError, match="JSON object"):
        validate_document(doc, "Rating")


@pytest.mark.parametrize("bad", [{1: "x"}, {"x": {1, 2}}, {"x": b"bytes"}])
def test_not_json_data(bad: dict[Any, Any]) -> None:
    doc = copy.deepcopy(DOCS["Rating"])
    doc["proof"] = bad
    with pytest.raises(MalformedDocument):
        validate_document(doc, "Rating")


@pytest.mark.parametrize(("path", "pointer"), [
    ((), ""), (("a",), "/a"), (("a", 0, "b"), "/a/0/b"), (("x/y", "m~n"), "/x~1y/m~0n"),
])
def test_json_pointer(path: tuple[object, ...], pointer: str) -> None:
    assert json_pointer(path) == pointer
