"""Hard limits: hostile input is refused quickly, with a specific error, never processed."""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from confiance.protocol.canonical import canonicalize_rdfc, inspect_document, parse_json
from confiance.protocol.contexts import CREDENTIALS_V2_URL, default_loader
from confiance.protocol.errors import (
    CanonicalizationTooCostly,
    DocumentTooLarge,
    LimitExceeded,
    LocalProtocolError,
    MalformedDocument,
    NestingTooDeep,
    TooManyBlankNodes,
)
from confiance.protocol.keys import KeyPair
from confiance.protocol.limits import DEFAULT_LIMITS, Limits
from confiance.protocol.signing import sign, verify

NOW = datetime(2026, 1, 1, tzinfo=UTC)
KNOWS = "https://example.org/vocab#knows"


def clique(size: int) -> dict[str, Any]:
    """A poisoned document: ``size`` blank nodes, each linked to every other one.

    Every node looks the same to first-degree hashing, so RDFC-1.0 would try every
    permutation: a 7-node clique takes about 10 s in pyld, ten times more per extra node.
    """
    return {
        "@context": CREDENTIALS_V2_URL,
        "@graph": [
            {"@id": f"_:b{i}", KNOWS: [{"@id": f"_:b{j}"} for j in range(size) if j != i]}
            for i in range(size)
        ],
    }


def median_seconds(action: Any, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.mark.parametrize("size", [8, 9, 10])
def test_a_poisoned_blank_node_graph_is_refused_quickly(size: int) -> None:
    loader = default_loader()
    doc = clique(size)

    def refuse() -> None:
        with pytest.raises((CanonicalizationTooCostly, TooManyBlankNodes)):
            canonicalize_rdfc(doc, loader)

    assert median_seconds(refuse) < 0.2


def test_a_signed_poisoned_document_is_refused_by_verify_quickly() -> None:
    key = KeyPair.generate(b"\x01" * 32)
    doc: dict[str, Any] = {**clique(9), "type": "VerifiableCredential", "proof": {
        "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-01-01T00:00:00Z", "verificationMethod": key.verification_method,
        "proofPurpose": "assertionMethod", "proofValue": "z" + "2" * 87}}

    def refuse() -> None:
        report = verify(doc, now=NOW)
        assert [c.name for c in report.failures] == ["canonicalization"]
        assert isinstance(report.failures[0].error, CanonicalizationTooCostly)

    assert median_seconds(refuse) < 0.2


def test_many_blank_nodes_are_refused_before_hashing() -> None:
    doc = {"@context": CREDENTIALS_V2_URL,
           "@graph": [{KNOWS: {"@id": f"_:n{i}"}} for i in range(40)]}
    with pytest.raises(TooManyBlankNodes):
        canonicalize_rdfc(doc, default_loader())


def test_small_cliques_still_canonicalise() -> None:
    out = canonicalize_rdfc(clique(3), default_loader())
    assert out.count("\n") == 6 and "_:c14n2" in out


def test_quads_and_work_caps_are_configurable() -> None:
    doc = {"@context": CREDENTIALS_V2_URL, "@id": "urn:x",
           KNOWS: [{"@id": f"urn:y{i}"} for i in range(10)]}
    assert canonicalize_rdfc(doc, default_loader()).count("\n") == 10
    with pytest.raises(LimitExceeded, match="quads"):
        canonicalize_rdfc(doc, default_loader(), Limits(max_quads=5))
    with pytest.raises(CanonicalizationTooCostly):
        canonicalize_rdfc(clique(4), default_loader(), Limits(max_canonicalization_work=50))


def test_sign_refuses_what_verify_would_refuse() -> None:
    key = KeyPair.generate(b"\x01" * 32)
    with pytest.raises(CanonicalizationTooCostly):
        sign(clique(8), key, suite="eddsa-rdfc-2022", created=NOW)


# -- parsing -------------------------------------------------------------------------------------


def test_deep_nesting_is_refused() -> None:
    deep = "[" * 17 + "]" * 17
    with pytest.raises(NestingTooDeep):
        parse_json('{"a": ' + deep + "}")
    very_deep = "[" * 30000 + "]" * 30000  # would overflow the parser's stack
    with pytest.raises((NestingTooDeep, MalformedDocument)):
        parse_json(very_deep)
    nested: dict[str, Any] = {"a": 1}
    for _ in range(20):
        nested = {"a": nested}
    with pytest.raises(NestingTooDeep):
        inspect_document(nested)


def test_huge_documents_are_refused() -> None:
    big = json.dumps({"a": "x" * (DEFAULT_LIMITS.max_bytes + 1)})
    with pytest.raises(DocumentTooLarge):
        parse_json(big)
    with pytest.raises(DocumentTooLarge):
        parse_json(big.encode())
    many = {f"k{i}": "v" * 4000 for i in range(20)}
    with pytest.raises(DocumentTooLarge):
        inspect_document(many)
    with pytest.raises(LimitExceeded):
        inspect_document({"a": list(range(5000))})
    with pytest.raises(LimitExceeded, match="characters"):
        inspect_document({"a": "x" * (DEFAULT_LIMITS.max_string_length + 1)})


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}',
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"a": -Infinity}',
    '{"a": 1e400}',
    '{"a": 9007199254740992}',
    '{"a": ' + "9" * 5000 + "}",
    '{"a": null}',
    '{"a": []}',
    '{"a": "\\ud800"}',
    '{"a": 1',
    "",
])
def test_malformed_json_is_refused(text: str) -> None:
    with pytest.raises(MalformedDocument):
        parse_json(text)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(MalformedDocument, match="UTF-8"):
        parse_json(b'{"a": "\xff"}')


@pytest.mark.parametrize("doc", [
    {"a": float("nan")},
    {"a": float("inf")},
    {"a": 2**60},
    {"a": None},
    {"a": []},
    {"a": ("tuple",)},
    {1: "non-string key"},
    {"a": "\udc00"},
    {"@context": {"@vocab": "https://evil.example/"}},
    {"x": {"@context": [{"name": "https://evil.example/name"}]}},
])
def test_the_document_rules(doc: Any) -> None:
    with pytest.raises((MalformedDocument, LimitExceeded, Exception)) as caught:
        inspect_document(doc)
    assert type(caught.value).__module__ == "confiance.protocol.errors"


def test_error_pointers_name_the_place() -> None:
    with pytest.raises(MalformedDocument) as caught:
        inspect_document({"a": [{"b/c": None}]})
    assert caught.value.detail["pointer"] == "/a/0/b~1c"


def test_too_many_proofs() -> None:
    key = KeyPair.generate(b"\x02" * 32)
    doc = {"@context": CREDENTIALS_V2_URL, "type": "VerifiableCredential",
           "issuer": key.did, "credentialSubject": {"id": "did:example:x"}}
    for _ in range(2):
        doc = sign(doc, key, created=NOW)
    with pytest.raises(LimitExceeded):
        sign(doc, key, created=NOW, limits=Limits(max_proofs=2))
    report = verify(doc, now=NOW, limits=Limits(max_proofs=1))
    assert [c.name for c in report.failures] == ["limits"]


def test_limits_are_validated() -> None:
    with pytest.raises(LocalProtocolError):
        Limits(max_depth=0)
    with pytest.raises(LocalProtocolError):
        Limits(max_bytes=True)
    assert Limits() == DEFAULT_LIMITS
