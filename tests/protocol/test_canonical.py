"""Canonicalisation internals: RDFC-1.0 against pyld, escaping, JCS, and the shape fast path."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
import rfc8785
import strategies  # tests/protocol on sys.path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld
from pyld.canon import URDNA2015

from confiance.protocol import rdfc
from confiance.protocol.canonical import canonicalize_jcs, canonicalize_rdfc, inspect_document
from confiance.protocol.contexts import CONFIANCE_V1_URL, CREDENTIALS_V2_URL, default_loader
from confiance.protocol.errors import ConfianceError, MalformedDocument, UndefinedTermError
from confiance.protocol.expansion import dataset_quads, to_quads
from confiance.protocol.limits import DEFAULT_LIMITS
from confiance.protocol.model import to_credential
from confiance.protocol.shapes import SLOW, Template, compiled, fill

SHARED = Path(__file__).resolve().parents[3] / "shared"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def loader_with_examples():  # type: ignore[no-untyped-def]
    if not (SHARED / "contexts").exists():
        pytest.skip("needs ../shared/contexts")
    return default_loader().with_directory(SHARED / "contexts")


# -- RDFC-1.0 ------------------------------------------------------------------------------------


def test_escaping_follows_rdfc_1_0() -> None:
    # the example of rdf-canon (RDFC-1.0 test suite, canonical N-Quads escapes)
    value = "\b\t\n\u000b\f\r\"\\\u007f\u0001é"
    assert rdfc.escape_literal(value) == '\\b\\t\\n\\u000B\\f\\r\\"\\\\\\u007F\\u0001é'
    quad = ("<urn:ex:s>", "<urn:ex:p>", rdfc.literal(value), "")
    out = rdfc.canonicalize([quad], max_blank_nodes=1, max_work=1)
    assert out == '<urn:ex:s> <urn:ex:p> "\\b\\t\\n\\u000B\\f\\r\\"\\\\\\u007F\\u0001é" .\n'


def test_literal_forms() -> None:
    assert rdfc.literal("a") == '"a"'
    assert rdfc.literal("a", rdfc.RDF_LANGSTRING, "en") == '"a"@en'
    assert rdfc.literal("1", "http://www.w3.org/2001/XMLSchema#integer") == \
        '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'


def _pyld_dataset(quads: list[rdfc.Quad]) -> dict[str, list[dict[str, Any]]]:
    def term(text: str) -> dict[str, str]:
        if text.startswith("<"):
            return {"type": "IRI", "value": text[1:-1]}
        if text.startswith("_:"):
            return {"type": "blank node", "value": text}
        return {"type": "literal", "value": text[1:-1], "datatype": rdfc.XSD_STRING}

    dataset: dict[str, list[dict[str, Any]]] = {}
    for s, p, o, g in quads:
        name = g[1:-1] if g.startswith("<") else (g or "@default")
        dataset.setdefault(name, []).append(
            {"subject": term(s), "predicate": term(p), "object": term(o)})
    return dataset


@pytest.mark.parametrize("seed", range(40))
def test_our_rdfc_equals_pyld_urdna2015(seed: int) -> None:
    """Random small graphs (no blank node linked to itself: pyld counts such quads twice)."""
    rng = random.Random(seed)
    nodes = [f"_:n{i}" for i in range(rng.randint(1, 6))]
    iris = ["<urn:a>", "<urn:b>"]
    predicates = ["<urn:p>", "<urn:q>"]
    quads = set()
    for _ in range(rng.randint(1, 14)):
        s = rng.choice(nodes + iris[:1])
        o = rng.choice([*nodes, *iris, '"x"', '"y"'])
        if s == o:
            continue
        g = rng.choice(["", "", "<urn:g>", nodes[0]]) if seed % 3 == 0 else ""
        if g and g in (s, o):
            g = ""
        quads.add((s, rng.choice(predicates), o, g))
    ours = rdfc.canonicalize(sorted(quads), max_blank_nodes=10, max_work=10**6)
    theirs = URDNA2015().main(_pyld_dataset(sorted(quads)), {"format": "application/n-quads"})
    assert ours == theirs


def test_self_loops_count_once() -> None:
    quads = [("_:a", "<urn:p>", "_:a", ""), ("_:a", "<urn:q>", '"v"', "")]
    assert rdfc.canonicalize(quads, max_blank_nodes=2, max_work=10) == (
        '_:c14n0 <urn:p> _:c14n0 .\n_:c14n0 <urn:q> "v" .\n')


# -- JCS -----------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_jcs_equals_rfc8785(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        with pytest.raises(MalformedDocument):
            canonicalize_jcs(value)
        return
    assert canonicalize_jcs(value) == expected


def test_jcs_sorts_by_utf16_code_units() -> None:
    value = {"\U0001f600": 1, "\ufb33": 2, "a": 3}
    assert canonicalize_jcs(value) == rfc8785.dumps(value)
    assert canonicalize_jcs(value).index("\ufb33".encode()) > canonicalize_jcs(value).index(
        "\U0001f600".encode())


# -- shapes --------------------------------------------------------------------------------------


def full_path(doc: dict[str, Any], loader: Any) -> str:
    quads = list(dict.fromkeys(dataset_quads(doc, loader)))
    return rdfc.canonicalize(quads, max_blank_nodes=64, max_work=10**5)


def fast_path(doc: dict[str, Any], loader: Any) -> str | None:
    info = inspect_document(doc, DEFAULT_LIMITS, loader)
    template = compiled(info, loader)
    if template is SLOW:
        return None
    assert isinstance(template, Template) and info.leaves is not None
    quads = list(dict.fromkeys(fill(template, info.leaves, doc)))
    return rdfc.canonicalize(quads, max_blank_nodes=64, max_work=10**5)


def test_the_vectors_take_the_fast_path() -> None:
    loader = loader_with_examples()
    vectors = SHARED / "vectors" / "w3c-vc-di-eddsa"
    for name in ("unsigned.json", "employmentAuth.json"):
        doc = json.loads((vectors / name).read_text())
        expected = full_path(doc, loader)
        assert fast_path(doc, loader) == expected
        assert canonicalize_rdfc(doc, loader) == expected
        other = copy.deepcopy(doc)
        other["name"] = "Another name with \"quotes\" and\nnew lines"
        other["validFrom"] = "2024-05-05T05:05:05Z"
        assert fast_path(other, loader) == full_path(other, loader)


def test_slow_shapes_still_give_the_exact_answer() -> None:
    loader = loader_with_examples()
    doc = {"@context": [CREDENTIALS_V2_URL, EXAMPLES], "@id": "urn:x",
           "https://example.org/p": {"@value": "2.5", "@type":
                                     "http://www.w3.org/2001/XMLSchema#double"}}
    assert fast_path(doc, loader) is None  # pyld rewrites "2.5" as "2.5E0"
    assert canonicalize_rdfc(doc, loader) == full_path(doc, loader)


@pytest.mark.parametrize("value", [{"a": [1, 2.5, "x"], "b": {"c": True}}, "text", 5,
                                   {"z": "urn:x:y", "a": 1e22}])
def test_json_literals_take_the_fast_path(value: Any) -> None:
    loader = loader_with_examples()
    doc = {"@context": [CREDENTIALS_V2_URL, EXAMPLES], "@id": "urn:x",
           "alumniOf": {"@type": "@json", "@value": value}}
    assert fast_path(doc, loader) == full_path(doc, loader)
    assert "rdf-syntax-ns#JSON" in full_path(doc, loader)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.recognitions())
def test_recognitions_take_the_fast_path(recognition: Any) -> None:
    doc = to_credential(recognition)
    fast = fast_path(doc, default_loader())
    assert fast is not None
    assert fast == full_path(doc, default_loader())


def test_a_marker_text_in_the_document_is_harmless() -> None:
    loader = loader_with_examples()
    doc = {"@context": [CREDENTIALS_V2_URL, EXAMPLES], "@id": "urn:confiance-probe:0~",
           "type": "urn:confiance-probe:1~", "name": "confiance-probe-0~"}
    assert canonicalize_rdfc(doc, loader) == full_path(doc, loader)


KEYS = ["name", "description", "alumniOf", "id", "issuer", "validFrom", "https://example.org/p",
        "ex:q", "@id", "type", "credentialSubject", "unknownTerm"]
TEXTS = ["did:example:abc", "https://example.org/a", "https://x.org/a b", "urn:uuid:1",
         "Alumni Credential", "VerifiableCredential", "name", "", "_:b1", "@id", "ex:foo",
         "2024-01-01T00:00:00Z", "x", "ab,c:d", "é", "line\nbreak", "confiance-probe-3~"]
SCALARS = (st.sampled_from(TEXTS) | st.booleans() | st.integers(-5, 10**6)
           | st.sampled_from([0.5, -1.25, 5.0, 1e22, 3.0e-7]))
NODES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, min_size=1, max_size=3)
    | st.dictionaries(st.sampled_from(KEYS), children, min_size=1, max_size=4),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), NODES, min_size=1, max_size=5),
       st.booleans())
def test_fast_path_equals_full_path(body: dict[str, Any], confiance: bool) -> None:
    """Soundness of shapes: whenever a template is used, pyld would say exactly the same."""
    loader = loader_with_examples()
    context = [CREDENTIALS_V2_URL, CONFIANCE_V1_URL if confiance else EXAMPLES]
    doc = {"@context": context, **body}
    try:
        fast = fast_path(doc, loader)
    except ConfianceError:
        return  # refused before any shape (document rules): both paths refuse
    if fast is None:
        return
    assert full_path(doc, loader) == fast


def test_undefined_terms_are_refused_on_both_paths() -> None:
    loader = default_loader()
    doc = {"@context": [CREDENTIALS_V2_URL, CONFIANCE_V1_URL], "type": "VerifiableCredential",
           "credentialSubject": {"id": "did:example:1", "colour": "blue"}}
    for _ in range(2):  # compile, then cached
        with pytest.raises(UndefinedTermError, match="colour"):
            canonicalize_rdfc(doc, loader)
    doc["credentialSubject"] = {"id": "relative/path", "trustContext": "seller"}
    with pytest.raises(UndefinedTermError, match="absolute IRI"):
        canonicalize_rdfc(doc, loader)


def test_pyld_errors_are_translated() -> None:
    doc = {"@context": CREDENTIALS_V2_URL, "@id": "urn:x", "@type": {"a": 1}}
    with pytest.raises(ConfianceError):
        canonicalize_rdfc(doc, default_loader())


def test_to_quads_of_pyld_output() -> None:
    dataset = jsonld.to_rdf({"@id": "urn:s", "urn:p": {"@value": "v", "@language": "en"}}, {})
    assert to_quads(dataset) == [("<urn:s>", "<urn:p>", '"v"@en', "")]


def test_an_iri_with_a_trailing_newline_is_not_absolute() -> None:
    """``$`` matches before a final newline: the IRI pattern must anchor with ``\\Z``."""
    from confiance.protocol.jsondoc import ABSOLUTE_IRI

    assert ABSOLUTE_IRI.match("https://example.org/x")
    assert not ABSOLUTE_IRI.match("https://example.org/x\n")
