"""The Confiance v1 JSON-LD context: defined terms, no clash with VC 2.0, lossless RDF.

The loader here is a tiny offline dict (URL -> file) so these tests do not depend on
``confiance.protocol.contexts``: the VC 2.0 context comes from pyld's bundled copy.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pyld
import pytest
from pyld import jsonld

from confiance.protocol.marks import definition_document, definition_from_document
from confiance.protocol.model import (
    CONFIANCE_CONTEXT_URL,
    CREDENTIALS_V2_URL,
    VOCAB,
    Acceptance,
    Assertion,
    Rating,
    Recognition,
    Referral,
    Revocation,
    Scale,
    StatusEntry,
    TrustMark,
    from_credential,
    to_credential,
)
from confiance.protocol.rules import (
    CategoricalRule,
    LinearRule,
    ThresholdRule,
    rule_from_json,
    rule_to_json,
)

ROOT = Path(__file__).resolve().parents[2]
SPEC_CONTEXT = ROOT / "specs" / "context" / "v1.jsonld"
BUNDLED_V2 = Path(pyld.__file__).parent / "documentloader/frozen/bundled/credentials-v2.jsonld"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ISSUER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
CID = "ni:///sha-256;" + "A" * 43
STATUS_NS = "https://www.w3.org/ns/credentials/status#"
STATUS = StatusEntry(id="https://node.example/status/1#42", status_list_index=42,
                     status_list_credential="https://node.example/status/1")

EXPECTED_TERMS = {
    "TrustAssertion", "Rating", "TrustMark", "Referral", "Recognition", "Revocation",
    "Acceptance", "trustContext", "score", "scale", "minimum", "maximum", "labels", "value",
    "label", "comment", "mark", "version", "status", "statusValue", "audience", "consent",
    "conversionRule", "sourceContext", "reason", "decision",
    # mark definitions (protocol.md §A.7): the type, the badge label, the language maps
    "MarkDefinition", "shortName", "terms", "says", "doesNotSay", "earnedBy", "lostBy", "lasts",
}


def _package_context_bytes() -> bytes:
    return resources.files("confiance.protocol").joinpath("data", "confiance-v1.jsonld") \
        .read_bytes()


DOCUMENTS: dict[str, Any] = {
    CREDENTIALS_V2_URL: json.loads(BUNDLED_V2.read_text(encoding="utf-8")),
    CONFIANCE_CONTEXT_URL: json.loads(_package_context_bytes()),
}


def loader(url: str, options: object = None) -> dict[str, Any]:
    """Offline: only the two pinned contexts, never the network."""
    if url not in DOCUMENTS:
        raise ValueError(f"context not allowed in tests: {url}")
    return {"contextUrl": None, "documentUrl": url, "document": DOCUMENTS[url],
            "tag": "static"}


def expand_strict(doc: dict[str, Any]) -> list[Any]:
    dropped: list[object] = []
    expanded = jsonld.expand(copy.deepcopy(doc), {"documentLoader": loader},
                             on_property_dropped=dropped.append)
    assert dropped == [], f"properties dropped in expansion: {dropped}"
    return list(expanded)


def normalize(doc: dict[str, Any]) -> str:
    out = jsonld.normalize(copy.deepcopy(doc), {
        "documentLoader": loader, "algorithm": "URDNA2015", "format": "application/n-quads",
        "rdfDirection": "i18n-datatype"})
    assert isinstance(out, str)
    return out


SAMPLES: dict[str, Assertion] = {
    "rating": Rating(issuer=ISSUER, context="seller", valid_from=T0, subject="did:example:bob",
                     score=4.5, comment="quick and friendly", name="Rating of Bob",
                     description="After 12 purchases",
                     valid_until=datetime(2027, 1, 1, tzinfo=UTC),
                     scale=Scale(minimum=1, maximum=5, labels=((1, "poor"), (5, "excellent")))),
    "mark": TrustMark(issuer=ISSUER, context="seller", valid_from=T0,
                      subject="did:example:alice", mark="https://shop.example/marks/feedback",
                      status="97% positive over 1,204 sales", value=97, mark_version="2",
                      evidence=("https://shop.example/users/alice/feedback",
                                "https://shop.example/users/alice/sales")),
    "mark-with-status": TrustMark(
        issuer=ISSUER, context="seller", valid_from=T0, subject="did:example:alice",
        mark="https://shop.example/marks/top", status="Top seller", credential_status=STATUS),
    "referral": Referral(issuer=ISSUER, context="wiki-editor", valid_from=T0,
                         subject="did:example:carol", audience="https://wiki.example",
                         consent=CID, comment="has edited with me for years"),
    "recognition-linear": Recognition(
        issuer=ISSUER, context="seller", valid_from=T0, recognised="https://e1.example",
        rule=LinearRule(source_min=0, source_max=100, target_min=1, target_max=5),
        mark="https://e1.example/marks/positive", scale=Scale(minimum=1, maximum=5)),
    "recognition-threshold": Recognition(
        issuer=ISSUER, context="seller", valid_from=T0, recognised="https://e2.example",
        source_context="vendor",
        rule=ThresholdRule(thresholds=((98, 5), (90, 4), (80, 2.5)), otherwise=1),
        scale=Scale(minimum=1, maximum=5)),
    "recognition-categorical": Recognition(
        issuer=ISSUER, context="https://wiki.example/contexts/editor", valid_from=T0,
        recognised="https://other-wiki.example",
        rule=CategoricalRule(mapping=(("administrator", 0.9), ("editor", 0.6)))),
    "revocation": Revocation(issuer=ISSUER, context=None, valid_from=T0, target=CID,
                             reason="issued by mistake"),
    "acceptance": Acceptance(issuer=ISSUER, context="seller", valid_from=T0, target=CID,
                             accepted=False),
}


def test_spec_and_package_copies_are_identical() -> None:
    assert SPEC_CONTEXT.read_bytes() == _package_context_bytes()


def test_context_shape() -> None:
    ctx = DOCUMENTS[CONFIANCE_CONTEXT_URL]["@context"]
    assert ctx["@version"] == 1.1
    assert ctx["@protected"] is True
    assert "@vocab" not in ctx, "no @vocab: undefined terms must stay detectable"
    terms = {k for k in ctx if not k.startswith("@")}
    assert terms == EXPECTED_TERMS
    for term in terms:
        assert ctx[term]["@id"] == VOCAB + term
    assert ctx["conversionRule"]["@type"] == "@json"
    assert ctx["audience"]["@type"] == "@id" and ctx["consent"]["@type"] == "@id"


def test_no_clash_with_protected_vc_terms() -> None:
    """No term is defined by both contexts (a protected redefinition would be an error)."""
    v2 = DOCUMENTS[CREDENTIALS_V2_URL]["@context"]
    names = set(v2)
    for definition in v2.values():
        if isinstance(definition, dict) and isinstance(definition.get("@context"), dict):
            names |= set(definition["@context"])
    ours = {k for k in DOCUMENTS[CONFIANCE_CONTEXT_URL]["@context"] if not k.startswith("@")}
    assert ours & names == set()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_expansion_drops_nothing(name: str) -> None:
    doc = to_credential(SAMPLES[name])
    [node] = expand_strict(doc)
    subject = node["https://www.w3.org/2018/credentials#credentialSubject"][0]
    expected = {VOCAB + k for k in doc["credentialSubject"] if k != "id"}
    assert {k for k in subject if not k.startswith("@")} == expected
    assert VOCAB + SAMPLES[name].kind in node["@type"]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_expanded_iri_is_known(name: str) -> None:
    """Every predicate lands in the VC, security, schema.org or Confiance vocabulary."""
    nquads = normalize(to_credential(SAMPLES[name]))
    allowed = ("https://www.w3.org/2018/credentials#", "https://schema.org/", VOCAB,
               "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", STATUS_NS)
    for line in nquads.splitlines():
        predicate = line.split(" ")[1]
        assert predicate.strip("<>").startswith(allowed), line


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip_and_canonical_form(name: str) -> None:
    assertion = SAMPLES[name]
    doc = to_credential(assertion)
    assert from_credential(json.loads(json.dumps(doc))) == assertion
    nquads = normalize(doc)
    assert nquads.endswith(" .\n") and "_:c14n0" in nquads  # the credential is a blank node
    reordered = json.loads(json.dumps(doc, sort_keys=True))
    assert normalize(reordered) == nquads


def test_vc_context_defines_the_status_list_entry() -> None:
    """``credentialStatus`` and the ``BitstringStatusListEntry`` terms come from VC 2.0:
    nothing is dropped, the list is an IRI node, the index a plain string literal."""
    v2 = DOCUMENTS[CREDENTIALS_V2_URL]["@context"]
    scoped = v2["BitstringStatusListEntry"]["@context"]
    assert {"statusPurpose", "statusListIndex", "statusListCredential"} <= set(scoped)
    doc = to_credential(SAMPLES["mark-with-status"])
    [node] = expand_strict(doc)
    [entry] = node["https://www.w3.org/2018/credentials#credentialStatus"]
    assert entry["@id"] == "https://node.example/status/1#42"
    assert entry["@type"] == [STATUS_NS + "BitstringStatusListEntry"]
    assert entry[STATUS_NS + "statusPurpose"] == [{"@value": "revocation"}]
    assert entry[STATUS_NS + "statusListIndex"] == [{"@value": "42"}]
    assert entry[STATUS_NS + "statusListCredential"] == [{"@id": "https://node.example/status/1"}]
    lines = normalize(doc).splitlines()
    assert f'<https://node.example/status/1#42> <{STATUS_NS}statusListIndex> "42" .' in lines
    assert ("_:c14n0 <https://www.w3.org/2018/credentials#credentialStatus> "
            "<https://node.example/status/1#42> .") in lines


def test_undefined_member_is_dropped_so_it_can_be_detected() -> None:
    doc = to_credential(SAMPLES["rating"])
    doc["credentialSubject"]["injected"] = "x"
    dropped: list[object] = []
    jsonld.expand(doc, {"documentLoader": loader}, on_property_dropped=dropped.append)
    assert dropped == ["injected"]


def test_conversion_rule_is_one_exact_json_literal() -> None:
    nquads = normalize(to_credential(SAMPLES["recognition-categorical"]))
    [line] = [x for x in nquads.splitlines() if "#conversionRule>" in x]
    assert line.endswith("<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON> .")
    assert '\\"administrator\\":0.9' in line


def test_numbers_keep_their_datatype() -> None:
    nquads = normalize(to_credential(SAMPLES["rating"]))
    assert '"4.5E0"^^<http://www.w3.org/2001/XMLSchema#double>' in nquads
    assert '"5"^^<http://www.w3.org/2001/XMLSchema#integer>' in nquads
    assert "#score>" in nquads


def test_order_sensitive_data_is_not_a_plain_array() -> None:
    """Plain JSON arrays are sets in RDF; reordering labels or evidence must not matter
    (the model sorts them), and the ordered rule data lives in the JSON literal."""
    doc = to_credential(SAMPLES["mark"])
    swapped = copy.deepcopy(doc)
    swapped["evidence"].reverse()
    assert normalize(doc) == normalize(swapped)
    assert from_credential(swapped) == from_credential(doc)
    rating = to_credential(SAMPLES["rating"])
    swapped = copy.deepcopy(rating)
    swapped["credentialSubject"]["scale"]["labels"].reverse()
    assert from_credential(swapped) == SAMPLES["rating"]


def _spec_json_blocks() -> list[str]:
    text = (ROOT / "specs" / "protocol.md").read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in text.split("```json\n")[1:]]


def test_vocabulary_examples_are_valid_and_canonical() -> None:
    kinds = set()
    for block in _spec_json_blocks():
        if '"@context"' not in block:
            for line in block.strip().splitlines():  # one conversion rule per line
                rule = rule_from_json(json.loads(line))
                assert rule_to_json(rule) == json.loads(line)
            continue
        doc = json.loads(block)
        if doc["type"] == ["VerifiableCredential", "MarkDefinition"]:  # A.7, not a kind
            definition = definition_from_document(doc)
            assert definition_document(definition) == doc, "written in canonical form"
            expand_strict(doc)
            continue
        assertion = from_credential(doc)
        assert to_credential(assertion) == doc, "examples are written in canonical form"
        expand_strict(doc)
        kinds.add(assertion.kind)
    assert kinds == {"Rating", "TrustMark", "Referral", "Recognition", "Revocation",
                     "Acceptance"}
