"""The W3C vc-di-eddsa test vectors (../shared/vectors/w3c-vc-di-eddsa): every intermediate
value reproduces, signing reproduces the published proofs, every signed file verifies, and
every one-character change is refused with a specific reason."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from confiance.protocol.canonical import canonicalize_jcs, canonicalize_rdfc
from confiance.protocol.contexts import DocumentLoader, default_loader
from confiance.protocol.errors import (
    ConfianceError,
    ContextError,
    KeyResolutionError,
    MalformedDocument,
    ProofError,
    UndefinedTermError,
    ValidityError,
)
from confiance.protocol.keys import KeyPair
from confiance.protocol.signing import sign, verify

SHARED = Path(__file__).resolve().parents[3] / "shared"
VECTORS = SHARED / "vectors" / "w3c-vc-di-eddsa"
CREATED = "2023-02-24T23:36:38Z"
NOW = datetime(2025, 6, 1, tzinfo=UTC)

pytestmark = pytest.mark.skipif(not VECTORS.exists(),
                                reason=f"{VECTORS} is absent: needs the ../shared material")


def _manifest() -> dict[str, Any]:
    if not VECTORS.exists():
        return {"cases": [], "proofSetsAndChains": {"proofSet": {"signed": []},
                                                    "proofChain": {"signed": []}}}
    return json.loads((VECTORS / "manifest.json").read_text())  # type: ignore[no-any-return]


MANIFEST = _manifest()
CASES = {case["name"]: case for case in MANIFEST["cases"]}
SETS = MANIFEST["proofSetsAndChains"]
ALL_SIGNED = [case["signed"] for case in MANIFEST["cases"]] + \
    SETS["proofSet"]["signed"] + SETS["proofChain"]["signed"]


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


def text(name: str) -> str:
    return (VECTORS / name).read_text()


@pytest.fixture(scope="module")
def loader() -> DocumentLoader:
    return default_loader().with_directory(SHARED / "contexts")


# -- intermediate values -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_transformation_and_hashes(name: str, loader: DocumentLoader) -> None:
    case = CASES[name]
    doc, config = load(case["unsigned"]), load(case["proofConfig"])
    if case["cryptosuite"] == "eddsa-rdfc-2022":
        canonical_doc = canonicalize_rdfc(doc, loader).encode()
        canonical_config = canonicalize_rdfc(config, loader).encode()
    else:
        canonical_doc = canonicalize_jcs(doc)
        canonical_config = canonicalize_jcs(config)
    assert canonical_doc == (VECTORS / case["canonicalDocument"]).read_bytes()
    assert canonical_config == (VECTORS / case["canonicalProofConfig"]).read_bytes()
    doc_hash = hashlib.sha256(canonical_doc).digest()
    config_hash = hashlib.sha256(canonical_config).digest()
    assert doc_hash.hex() == text(case["documentHashHex"]).strip()
    assert config_hash.hex() == text(case["proofConfigHashHex"]).strip()
    assert (config_hash + doc_hash).hex() == text(case["combinedHashHex"]).strip()
    key = KeyPair.from_json(load(case["keyPair"]))
    assert key.sign(config_hash + doc_hash).hex() == text(case["signatureHex"]).strip()


@pytest.mark.parametrize("name", sorted(CASES))
def test_signing_reproduces_the_published_document(name: str, loader: DocumentLoader) -> None:
    case = CASES[name]
    key = KeyPair.from_json(load(case["keyPair"]))
    signed = sign(load(case["unsigned"]), key, suite=case["cryptosuite"], created=CREATED,
                  loader=loader)
    expected = load(case["signed"])
    assert signed["proof"]["proofValue"] == text(case["proofValue"]).strip()
    assert signed == expected
    assert json.dumps(signed) == json.dumps(expected)  # same member order too


def test_proof_set_and_chain_reproduce(loader: DocumentLoader) -> None:
    keys = {name: KeyPair.from_json(pair) for name, pair in load(SETS["keyPairs"]).items()}
    doc = load(SETS["unsigned"])
    configs = [load(c) for c in SETS["proofSet"]["configs"]]
    for config, key_name, expected in zip(configs, ("keyPair1", "keyPair2"),
                                          SETS["proofSet"]["signed"], strict=True):
        doc = sign(doc, keys[key_name], suite="eddsa-rdfc-2022", created=config["created"],
                   proof_id=config["id"], loader=loader)
        assert doc == load(expected)
    for config_name, key_name, expected in zip(SETS["proofChain"]["configs"],
                                               ("keyPair3", "keyPair4"),
                                               SETS["proofChain"]["signed"], strict=True):
        config = load(config_name)
        doc = sign(doc, keys[key_name], suite="eddsa-rdfc-2022", created=config["created"],
                   proof_id=config.get("id"), previous_proof=config["previousProof"],
                   loader=loader)
        assert doc == load(expected)


# -- verification --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_SIGNED)
def test_every_signed_vector_verifies(name: str, loader: DocumentLoader) -> None:
    report = verify(load(name), now=NOW, loader=loader)
    assert report.ok, report.failures
    # the vectors' issuer is not the signing key: reported, not failed
    assert report.check("issuer-binding").status == "warn"  # type: ignore[union-attr]
    report.raise_for_failure()


def test_issuer_binding_can_be_required(loader: DocumentLoader) -> None:
    report = verify(load(CASES["alumni-eddsa-rdfc-2022"]["signed"]), now=NOW, loader=loader,
                    require_issuer_binding=True)
    assert not report.ok
    assert [c.name for c in report.failures] == ["issuer-binding"]


def test_without_the_extra_contexts_the_vectors_are_refused() -> None:
    report = verify(load(CASES["alumni-eddsa-jcs-2022"]["signed"]), now=NOW)
    assert not report.ok
    assert isinstance(report.failures[0].error, ContextError)
    assert "credentials/examples/v2" in report.failures[0].detail


def test_a_chained_proof_vouches_for_the_proofs_it_names(loader: DocumentLoader) -> None:
    doc = load(SETS["proofChain"]["signed"][1])
    # swap the two unchained proofs' values: each then fails, and so do the chained ones
    doc["proof"][0]["proofValue"], doc["proof"][1]["proofValue"] = (
        doc["proof"][1]["proofValue"], doc["proof"][0]["proofValue"])
    report = verify(doc, now=NOW, loader=loader)
    assert {c.name for c in report.failures} == {"proof[0]", "proof[1]", "proof[2]"}
    doc = load(SETS["proofChain"]["signed"][1])
    doc["proof"][3]["previousProof"] = "urn:uuid:not-in-the-set"
    report = verify(doc, now=NOW, loader=loader)
    assert [c.name for c in report.failures] == ["proof[3]"]
    assert "not a proof of this document" in report.failures[0].detail


def test_a_proof_set_fails_when_any_proof_fails(loader: DocumentLoader) -> None:
    doc = load(SETS["proofSet"]["signed"][1])
    doc["proof"][1]["created"] = "2023-02-24T23:36:39Z"
    report = verify(doc, now=NOW, loader=loader)
    assert not report.ok
    assert [c.name for c in report.failures] == ["proof[1]"]
    assert report.check("proof[0]").status == "pass"  # type: ignore[union-attr]


# -- every one-character change ------------------------------------------------------------------


def _other(char: str) -> str:
    if char.isdigit():
        return "7" if char != "7" else "3"
    if char.isalpha():
        if char.isupper():
            return "Q" if char != "Q" else "R"
        return "q" if char != "q" else "r"
    return "x"


def _mutations(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every document with one character of one string (key or value) changed.

    Positions: first, middle and last character of each string.
    """
    def changed(value: str) -> Iterator[tuple[int, str]]:
        for pos in sorted({0, len(value) // 2, len(value) - 1}):
            yield pos, value[:pos] + _other(value[pos]) + value[pos + 1:]

    if isinstance(doc, dict):
        for key, value in doc.items():
            for pos, new_key in changed(key):
                mutated = {(new_key if k == key else k): v for k, v in doc.items()}
                yield f"{'/'.join(map(str, path))}/{key} (key, char {pos})", mutated
            for label, sub in _mutations(value, (*path, key)):
                yield label, {**doc, key: sub}
    elif isinstance(doc, list):
        for index, item in enumerate(doc):
            for label, sub in _mutations(item, (*path, index)):
                yield label, [*doc[:index], sub, *doc[index + 1:]]
    elif isinstance(doc, str) and doc:
        for pos, new in changed(doc):
            yield f"{'/'.join(map(str, path))} (char {pos})", new


SPECIFIC = (ProofError, KeyResolutionError, ContextError, UndefinedTermError, MalformedDocument,
            ValidityError)


@pytest.mark.parametrize("name", [c["signed"] for c in MANIFEST["cases"]])
def test_any_one_character_change_is_refused(name: str, loader: DocumentLoader) -> None:
    original = load(name)
    count = 0
    for label, mutated in _mutations(original):
        report = verify(mutated, now=NOW, loader=loader)
        assert not report.ok, f"{name}: accepted after changing {label}"
        failure = report.failures[0]
        assert isinstance(failure.error, SPECIFIC), (label, failure)
        assert failure.detail
        count += 1
    assert count > 60


def test_a_foreign_verification_method_is_refused(loader: DocumentLoader) -> None:
    other = KeyPair.generate(bytes(32))
    for case in CASES.values():
        doc = load(case["signed"])
        doc["proof"]["verificationMethod"] = other.verification_method
        report = verify(doc, now=NOW, loader=loader)
        assert [c.name for c in report.failures] == ["proof"]
        assert isinstance(report.failures[0].error, ProofError)
        doc["proof"]["verificationMethod"] = "did:web:example.com#key-1"
        report = verify(doc, now=NOW, loader=loader)
        assert [c.name for c in report.failures] == ["key"]
        assert isinstance(report.failures[0].error, KeyResolutionError)


def test_an_added_undefined_term_is_refused(loader: DocumentLoader) -> None:
    # the employment context has no @vocab: an added term is undefined
    doc = load(CASES["employment-eddsa-rdfc-2022"]["signed"])
    doc["credentialSubject"]["favouriteColour"] = "blue"
    report = verify(doc, now=NOW, loader=loader)
    assert isinstance(report.failures[0].error, UndefinedTermError)
    assert "favouriteColour" in report.failures[0].detail
    # and an undefined type (it would expand to a relative IRI and vanish)
    doc = load(CASES["employment-eddsa-rdfc-2022"]["signed"])
    doc["credentialSubject"]["type"].append("Astronaut")
    report = verify(doc, now=NOW, loader=loader)
    assert isinstance(report.failures[0].error, UndefinedTermError)
    # alumni has @vocab (examples/v2): there an added term is defined, and breaks the signature
    doc = load(CASES["alumni-eddsa-rdfc-2022"]["signed"])
    doc["credentialSubject"]["favouriteColour"] = "blue"
    report = verify(doc, now=NOW, loader=loader)
    assert [c.name for c in report.failures] == ["proof"]


@pytest.mark.parametrize("addition", [None, [], {}])
def test_additions_invisible_to_rdf_are_refused(addition: Any, loader: DocumentLoader) -> None:
    doc = load(CASES["alumni-eddsa-rdfc-2022"]["signed"])
    doc["credentialSubject"]["alumniOf2"] = addition
    report = verify(doc, now=NOW, loader=loader)
    assert not report.ok
    assert isinstance(report.failures[0].error, (MalformedDocument, ProofError))


def test_an_expired_credential_fails(loader: DocumentLoader) -> None:
    doc = load(CASES["employment-eddsa-rdfc-2022"]["signed"])
    report = verify(doc, now=datetime(2030, 1, 1, tzinfo=UTC), loader=loader)
    assert [c.name for c in report.failures] == ["validity"]
    with pytest.raises(ValidityError, match="expired"):
        report.raise_for_failure()
    report = verify(doc, now=datetime(2019, 1, 1, tzinfo=UTC), loader=loader)
    assert "validity" in [c.name for c in report.failures]


def test_mutations_do_not_touch_the_original(loader: DocumentLoader) -> None:
    original = load(CASES["alumni-eddsa-jcs-2022"]["signed"])
    snapshot = copy.deepcopy(original)
    for _label, _mutated in _mutations(original):
        pass
    verify(original, now=NOW, loader=loader)
    assert original == snapshot


def test_errors_are_ours(loader: DocumentLoader) -> None:
    for bad in ({"@context": 5}, {"@context": [{"@vocab": "http://x/"}]}, {"proof": "x"}):
        report = verify(bad, now=NOW, loader=loader)
        assert not report.ok
        assert all(isinstance(c.error, ConfianceError) for c in report.failures)
