"""Contexts compiled once (``protocol/expansion.py``) change nothing: plain pyld (its own
context processing, its own ``to_rdf``, URDNA2015) gives the same canonical N-Quads on every
vector of specs/vectors, on the W3C vectors and on generated assertions of every kind, for a
document's first shape (compiled on sight), a known shape, and the full path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import strategies  # tests/protocol on sys.path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from confiance.protocol.assertions import issue
from confiance.protocol.canonical import canonicalize_rdfc
from confiance.protocol.contexts import DocumentLoader, default_loader
from confiance.protocol.expansion import _CAN_COMPILE
from confiance.protocol.shapes import SLOW

ROOT = Path(__file__).resolve().parents[2]
SPEC_VECTORS = sorted((ROOT / "specs" / "vectors").glob("*.json"))
W3C = ROOT.parent / "shared" / "vectors" / "w3c-vc-di-eddsa"
CREATED = datetime(2026, 1, 2, tzinfo=UTC)


class SlowShapes(DocumentLoader):
    """Every document takes the full path (expansion with the compiled contexts)."""

    def cached_shape(self, key: object) -> object | None:
        return SLOW


def plain_pyld(doc: dict[str, Any], loader: DocumentLoader) -> str:
    """The reference: pyld alone, with a context cache of its own."""
    options = {"algorithm": "URDNA2015", "format": "application/n-quads",
               "documentLoader": loader, "base": None, "rdfDirection": "i18n-datatype",
               "processingMode": "json-ld-1.1",
               "contextResolver": ContextResolver({}, loader)}
    return jsonld.normalize(doc, options)  # type: ignore[no-any-return]


def inputs_of(signed: dict[str, Any]) -> list[dict[str, Any]]:
    """What eddsa-rdfc-2022 canonicalises: the document without proofs, each proof's
    configuration (without its value, with the document's @context)."""
    body = {k: v for k, v in signed.items() if k != "proof"}
    proofs = signed.get("proof", [])
    out = [body]
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        config["@context"] = signed["@context"]
        out.append(config)
    return out


def same_everywhere(doc: dict[str, Any], base: DocumentLoader) -> None:
    urls = {url: base.document(url) for url in base.urls}
    expected = plain_pyld(doc, DocumentLoader(urls))
    fresh = DocumentLoader(urls)  # nothing compiled yet: contexts and shape on first sight
    assert canonicalize_rdfc(doc, fresh) == expected
    assert canonicalize_rdfc(doc, fresh) == expected  # the shape's template
    slow = SlowShapes(urls)
    assert canonicalize_rdfc(doc, slow) == expected
    assert canonicalize_rdfc(doc, slow) == expected  # contexts compiled by the first call


def test_the_compiled_path_is_in_use() -> None:
    assert _CAN_COMPILE, "pyld's internals changed: contexts are processed per document"
    loader = DocumentLoader({url: default_loader().document(url)
                             for url in default_loader().urls})
    doc = json.loads(SPEC_VECTORS[0].read_text())["signed"]
    canonicalize_rdfc(inputs_of(doc)[0], loader)
    assert loader.processed_contexts


@pytest.mark.parametrize("path", SPEC_VECTORS, ids=[p.stem for p in SPEC_VECTORS])
def test_spec_vectors(path: Path) -> None:
    for doc in inputs_of(json.loads(path.read_text())["signed"]):
        same_everywhere(doc, default_loader())


def test_w3c_vectors() -> None:
    if not W3C.exists():
        pytest.skip(f"{W3C} is absent: this test needs the read-only ../shared material")
    loader = default_loader().with_directory(W3C.parents[1] / "contexts")
    docs = [json.loads((W3C / name).read_text())
            for name in ("unsigned.json", "employmentAuth.json")]
    for signed in sorted(W3C.rglob("signed*.json")):
        docs.extend(inputs_of(json.loads(signed.read_text())))
    assert len(docs) > 4
    for doc in docs:
        same_everywhere(doc, loader)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.assertions, st.sampled_from(["eddsa-rdfc-2022", "eddsa-jcs-2022"]))
def test_generated_assertions(assertion: Any, suite: str) -> None:
    signed = issue(assertion, strategies.key_for(assertion), suite=suite,
                   created=CREATED).document
    for doc in inputs_of(signed):
        same_everywhere(doc, default_loader())


def test_a_context_processed_with_other_flags_is_another_entry() -> None:
    """A type-scoped context (propagate false) and the same context applied as property-
    scoped (override protected) give different active contexts: each is kept apart."""
    from confiance.protocol.expansion import _processor, pyld_options

    loader = DocumentLoader({url: default_loader().document(url)
                             for url in default_loader().urls})
    processor = _processor(loader)
    options = pyld_options(loader)
    initial = processor._get_initial_context(options)
    base = processor._process_context(initial, sorted(loader.urls), options)
    scoped = base["mappings"]["VerifiableCredential"]["@context"]
    typed = processor._process_context(base, scoped, options, propagate=False)
    plain = processor._process_context(base, scoped, options, override_protected=True)
    assert typed is not plain and "previousContext" in typed and "previousContext" not in plain
    assert processor._process_context(base, scoped, options, propagate=False) is typed
    again = _processor(loader)._process_context(initial, sorted(loader.urls), options)
    assert again is base  # made once per loader
