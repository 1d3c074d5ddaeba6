"""The verification fast paths give exactly what the reference code gives.

- :func:`jsondoc._fast_walk` (the walk every verification makes) against :func:`jsondoc._walk`
  (the precise walk that names each error): same shape, leaves and ``jcs_plain``, and it
  refuses exactly the documents ``_walk`` refuses;
- the standard library's encoder against RFC 8785 (the ``rfc8785`` package) whenever
  :func:`canonicalize_jcs` uses it.
"""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from confiance.protocol import jsondoc
from confiance.protocol.contexts import CONFIANCE_V1_URL, CREDENTIALS_V2_URL, default_loader
from confiance.protocol.errors import ConfianceError
from confiance.protocol.jsondoc import MAX_SAFE_INTEGER, canonicalize_jcs, inspect_document
from confiance.protocol.limits import DEFAULT_LIMITS, Limits

LOADER = default_loader()
TIGHT = Limits(max_depth=4, max_string_length=24, max_values=30, max_bytes=150)

GOOD_KEYS = ["id", "type", "@type", "@id", "@value", "@vocab", "name", "score", "comment",
             "credentialSubject", "trustContext", "", "é", "\U0001f600", "\uffff"]
KEYS = st.sampled_from(GOOD_KEYS * 5 + ["@context", "a\ud800", "x" * 25])  # some refused
STRINGS = st.sampled_from([
    "did:example:abc", "https://example.org/a", "https://x.org/a b", "urn:uuid:1", "",
    "VerifiableCredential", "Rating", "name", "_:b1", "@id", "ex:foo", "seller", "schema:x",
    "2024-01-01T00:00:00Z", "x", "ab,c:d", "é", "line\nbreak", "a:\u0001", "a:b\n",
    "\U0001f600:x", "é:x", "1:x", "Note: two words", "did:ex:a<b", "x+y.z-w:ok", "a_b:c",
    "s:\ud800", "y" * 25, CREDENTIALS_V2_URL, CONFIANCE_V1_URL,
    "https://not.allowed/ctx", "#frag", "score:x", "score:\u00e9", "status:a b", "@x:y", "_x:y",
]) | st.text(max_size=14)
SCALARS = (STRINGS | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
           | st.sampled_from([0.5, -1.25, 5.0, 1e22, 1e21, -1e21, 3.0e-7])
           | st.sampled_from([None, float("nan"), float("inf"), MAX_SAFE_INTEGER + 1,
                              -MAX_SAFE_INTEGER - 1, []]))  # refused (the last branch)
NODES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, min_size=1, max_size=3)
    | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=14,
)
CONTEXTS = st.sampled_from([
    [CREDENTIALS_V2_URL, CONFIANCE_V1_URL], CREDENTIALS_V2_URL, [CONFIANCE_V1_URL],
    [CREDENTIALS_V2_URL, 5],
    ["https://not.allowed/ctx"], {"@vocab": "urn:x:"},
])


def _outcome(walk: Any, doc: Any, limits: Limits) -> Any:
    try:
        return walk(doc, limits)
    except (jsondoc._Suspect, UnicodeEncodeError, ConfianceError, RecursionError):
        return "refused"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, NODES, max_size=6), st.none() | CONTEXTS,
       st.sampled_from([DEFAULT_LIMITS, TIGHT]))
@example({"type": ["a", "b"], "x": [{"y": [1, 2.5, True]}]}, None, DEFAULT_LIMITS)
@example({"@type": [1, "x"], "a": {"@id": "urn:x", "b": []}}, None, DEFAULT_LIMITS)
@example({"a": ["score:x", "score:\u00e9", "#frag", "_x:y", "@x:y", 1],
          "b": "score:\u00e9", "c": "#frag", "d": "score:x", "e": "_x:y"}, None, DEFAULT_LIMITS)
@example({"a": ["score:x", "#frag", "s:\ud800"], "c": "#frag"}, None, DEFAULT_LIMITS)
# strings with a colon that are no IRIs (a scheme must start with a letter and hold only
# letters, digits, + . -), in arrays and as values; all ASCII in one document (nothing
# sends the walk to its one-by-one re-check), non-ASCII in another; and the safe integers
# at their limits
@example({"a": ["1a:b", "a_b:c", "a!b:c", ":"], "b": "a_b:c", "c": "1a:b", "d": ":"},
         None, DEFAULT_LIMITS)
@example({"a": ["é:x"], "b": "é:x"}, None, DEFAULT_LIMITS)
@example({"n": MAX_SAFE_INTEGER, "m": -MAX_SAFE_INTEGER,
          "l": [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]}, None, DEFAULT_LIMITS)
def test_fast_walk_equals_walk(body: dict[str, Any], context: Any, limits: Limits) -> None:
    doc = dict(body)
    if context is not None:
        doc["@context"] = context
    reference = _outcome(lambda d, lim: jsondoc._walk(d, lim, LOADER, True), doc, limits)
    fast = _outcome(lambda d, lim: jsondoc._fast_walk(d, lim, LOADER), doc, limits)
    assert fast == reference
    if reference == "refused":
        with pytest.raises(ConfianceError):  # the precise walk still names the error
            inspect_document(doc, limits, LOADER)
    else:
        assert inspect_document(doc, limits, LOADER) == reference
        tree = jsondoc.shape_tree(reference.shape)
        assert jsondoc._flatten(tree) == reference.shape
        assert jsondoc.shape_tree(jsondoc._flatten(tree)) == tree


@pytest.mark.parametrize("limits", [TIGHT, Limits(max_bytes=200, max_values=12, max_depth=3,
                                                   max_string_length=30), Limits(max_bytes=150)])
def test_fast_walk_agrees_at_every_limit(limits: Limits) -> None:
    """Documents on both sides of each limit: size, values, depth, string length."""
    docs: list[dict[str, Any]] = []
    for n in range(150):
        docs.append({"name": "x" * n, "score": [1, 2, 3, 4, 5], "a": [True, 0.5, "é"]})
        docs.append({"type": ["Rating", "TrustAssertion", "VerifiableCredential"], "n": "x" * n})
        docs.append({"name": "x" * n, "flag": True, "count": 5, "ratio": 0.5, "\uffff": 1})
    for n in range(40):
        docs.append({"name": "x" * n, "score": [1, 2.5, True], "id": "urn:x:" + "y" * n})
        docs.append({"type": ["VerifiableCredential"] * (n % 20 + 1), "score": list(range(n))})
        docs.append({"comment": ["é" * n, "\U0001f600" * (n // 2)], "é" * (n // 3): n})
        nested: Any = n
        for _ in range(n % 7):
            nested = {"credentialSubject": [nested]}
        docs.append(nested if isinstance(nested, dict) else {"score": nested})
    outcomes = set()
    for doc in docs:
        reference = _outcome(lambda d, lim: jsondoc._walk(d, lim, LOADER, True), doc, limits)
        assert _outcome(lambda d, lim: jsondoc._fast_walk(d, lim, LOADER), doc, limits) \
            == reference
        outcomes.add(reference == "refused")
    assert outcomes == {True, False}


def _quick_outcome(doc: Any, limits: Limits, loader: Any) -> Any:
    try:
        return jsondoc._quick_check(doc, limits, None if loader is None else loader.urls)
    except (jsondoc._Suspect, UnicodeEncodeError):
        return "suspect"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, NODES, max_size=6), st.none() | CONTEXTS,
       st.sampled_from([DEFAULT_LIMITS, TIGHT]), st.sampled_from([None, LOADER]))
@example({"a": [1.5, float("inf")]}, None, DEFAULT_LIMITS, None)
@example({"a": ["x", 2, "y" * 25]}, None, TIGHT, None)
@example({"\uffff": 1}, None, DEFAULT_LIMITS, None)
def test_quick_check_never_accepts_what_the_walk_refuses(body: dict[str, Any], context: Any,
                                                          limits: Limits, loader: Any) -> None:
    """The quick pass (no shape) decides alone when it finds nothing suspect: then the
    precise walk must accept the document too, with the same ``jcs_plain``."""
    doc = dict(body)
    if context is not None:
        doc["@context"] = context
    quick = _quick_outcome(doc, limits, loader)
    reference = _outcome(lambda d, lim: jsondoc._walk(d, lim, loader, False), doc, limits)
    if quick != "suspect":
        assert reference != "refused"
        assert reference.jcs_plain is quick
    if reference != "refused":
        assert inspect_document(doc, limits, loader, shape=False) == reference
        assert reference.shape is None and reference.leaves is None


# -- JCS -----------------------------------------------------------------------------------------

JSON_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=10) | st.sampled_from(
    ["\u0000\u0001\u001f\u007f\b\f\n\r\t\"\\/", "\u2028\u2029", "\ufeff\uffff", "é\u0301",
     "\U0001f600\U00010000", "</script>"])
JSON_VALUES = st.recursive(
    st.booleans() | st.none() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | JSON_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(JSON_TEXT, children,
                                                                      max_size=4),
    max_leaves=16,
)


@settings(max_examples=500, deadline=None)
@given(JSON_VALUES)
@example({"\U0001f600": 1, "\ufb33": 2, "a": [0.5, 1e21, -0.0]})
def test_jcs_fast_encoder_equals_rfc8785(value: Any) -> None:
    """Without floats: the stdlib encoder's bytes are RFC 8785 whenever the walk allows it."""
    expected = rfc8785.dumps(value)
    assert canonicalize_jcs(value) == expected
    doc = {"v": value}
    try:
        info = inspect_document(doc, DEFAULT_LIMITS)
    except ConfianceError:
        return
    assert canonicalize_jcs(doc, info) == rfc8785.dumps(doc)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.floats(allow_nan=False, allow_infinity=False))
def test_jcs_with_floats_falls_back_to_rfc8785(value: Any, number: float) -> None:
    doc = {"v": value, "n": number}
    assert canonicalize_jcs(doc) == rfc8785.dumps(doc)
    try:
        info = inspect_document(doc, DEFAULT_LIMITS)
    except ConfianceError:
        return
    assert not info.jcs_plain
    assert canonicalize_jcs(doc, info) == rfc8785.dumps(doc)
