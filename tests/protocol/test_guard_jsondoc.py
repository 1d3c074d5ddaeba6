"""Every structural limit of untrusted JSON at exactly the limit and one past it, through
both public doors (issue 14): :func:`parse_json` (bytes and text, the quick check) and
:func:`inspect_document` with a loader (the walk every verification makes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from confiance.protocol.contexts import default_loader
from confiance.protocol.errors import (
    ContextError,
    DocumentTooLarge,
    LimitExceeded,
    MalformedDocument,
    NestingTooDeep,
)
from confiance.protocol.jsondoc import (
    MAX_SAFE_INTEGER,
    canonicalize_jcs,
    inspect_document,
    parse_json,
    shape_tree,
)
from confiance.protocol.limits import Limits

LIMITS = Limits(max_depth=6, max_string_length=40, max_values=30, max_bytes=600)
LOADER = default_loader()
LOADER_URL = sorted(LOADER.urls)[0]


def _parse(doc: Any) -> None:
    parse_json(json.dumps(doc), LIMITS)


def _parse_bytes(doc: Any) -> None:
    parse_json(json.dumps(doc).encode(), LIMITS)


def _walk(doc: Any) -> None:
    inspect_document(doc, LIMITS, LOADER)


def _quick(doc: Any) -> None:
    """The quick pass (no loader): what parse_json runs, but on a value built in memory."""
    inspect_document(doc, LIMITS)


def _quick_urls(doc: Any) -> None:
    """The quick pass with the allow-listed context URLs (a loader, no shape)."""
    inspect_document(doc, LIMITS, LOADER, shape=False)


DOORS: list[Callable[[Any], None]] = [_parse, _parse_bytes, _walk, _quick, _quick_urls]
MEMORY_DOORS: list[Callable[[Any], None]] = [_walk, _quick, _quick_urls]


def _nested(depth: int) -> dict[str, Any]:
    doc: Any = 1
    for _ in range(depth):
        doc = {"a": doc}
    return doc  # type: ignore[no-any-return]


def _values(count: int) -> dict[str, Any]:
    """An object holding ``count`` JSON values in all (itself included)."""
    return {"a": list(range(count - 2))}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(("make", "limit", "error"), [
    (_nested, LIMITS.max_depth, NestingTooDeep),
    (lambda n: {"a": "x" * n}, LIMITS.max_string_length, LimitExceeded),
    (lambda n: {"k" * n: 1}, LIMITS.max_string_length, LimitExceeded),
    (lambda n: {"a": ["x" * n, "y"]}, LIMITS.max_string_length, LimitExceeded),
    (lambda n: {"a": [1, {"k" * n: 1}]}, LIMITS.max_string_length, LimitExceeded),
    (lambda n: {"a": [1, "x" * n]}, LIMITS.max_string_length, LimitExceeded),
    (_values, LIMITS.max_values, LimitExceeded),
    # the last value an empty object: the count is checked on entering it, and only past
    (lambda n: {"a": list(range(n - 3)), "b": {}}, LIMITS.max_values, LimitExceeded),
])
def test_at_the_limit_accepted_one_past_refused(door: Callable[[Any], None],
                                                 make: Callable[[int], Any], limit: int,
                                                 error: type[Exception]) -> None:
    door(make(limit))
    with pytest.raises(error):
        door(make(limit + 1))


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("sign", [1, -1])
def test_safe_integers_at_the_limit_and_one_past(door: Callable[[Any], None],
                                                 sign: int) -> None:
    door({"n": sign * MAX_SAFE_INTEGER})
    assert MAX_SAFE_INTEGER == 2**53 - 1  # I-JSON (RFC 7493): what every peer reads exactly
    with pytest.raises(MalformedDocument):
        door({"n": sign * (MAX_SAFE_INTEGER + 1)})


@pytest.mark.parametrize("text", ['{"n": 1e999}', '{"n": -1e999}', '{"n": NaN}',
                                  '{"n": Infinity}', '{"n": null}', '{"n": []}'])
def test_what_json_ld_would_drop_or_cannot_hold_is_refused(text: str) -> None:
    with pytest.raises(MalformedDocument):
        parse_json(text, LIMITS)


def test_bytes_at_the_size_limit_and_one_past() -> None:
    for as_text in (False, True):
        body = '{"a": "' + "x" * 30 + '"}'
        padded = body + " " * (LIMITS.max_bytes - len(body))
        parse_json(padded if as_text else padded.encode(), LIMITS)
        with pytest.raises(DocumentTooLarge):
            parse_json((padded + " ") if as_text else (padded + " ").encode(), LIMITS)


def test_what_is_not_json_text_is_refused_by_name() -> None:
    cases: list[tuple[Any, str]] = [
        ("{\"a\": \"\ud800\"}", "not valid Unicode text"),  # a lone surrogate
        (123, "must be bytes or text"), (None, "must be bytes or text"),
        (b"{\"a\": ", "not valid JSON"), ("[1, 2", "not valid JSON")]
    for data, words in cases:
        with pytest.raises(MalformedDocument, match=words):
            parse_json(data)


def test_numbers_come_back_as_written() -> None:
    assert parse_json(b'{"a": 1.5, "b": -2, "c": 1e3, "d": [0.25]}') == {
        "a": 1.5, "b": -2, "c": 1000.0, "d": [0.25]}


def test_a_shape_must_be_a_flat_tuple() -> None:
    assert shape_tree((1, 1, "k", "v")) == (1, ("k",), ("v",))
    with pytest.raises(TypeError):
        shape_tree(["k"])
    with pytest.raises(ValueError, match="not a flat shape"):
        shape_tree((1, 1, "k", "v", "extra"))


def test_a_circular_document_cannot_be_canonicalised() -> None:
    loop: dict[str, Any] = {"a": 1}
    loop["self"] = loop
    with pytest.raises(MalformedDocument, match="nested too deeply or circular"):
        canonicalize_jcs(loop)
    ring: list[Any] = [1, "a"]  # a list at the top, plain too (no float)
    ring.append(ring)
    with pytest.raises(MalformedDocument, match="nested too deeply or circular"):
        canonicalize_jcs(ring)


def test_a_circular_document_with_a_float_cannot_be_canonicalised_either() -> None:
    loop: list[Any] = [1.5]
    loop.append(loop)
    with pytest.raises(MalformedDocument, match="nested too deeply or circular"):
        canonicalize_jcs(loop)
    shared = [0.5]
    assert canonicalize_jcs({"a": shared, "b": shared}) == b'{"a":[0.5],"b":[0.5]}'


PLAIN_DOCUMENTS: list[Any] = [
    {"b": 1, "a": {"d": [3, {"z": None, "y": True}], "c": "é ✓"}, "": False},
    {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["Z", "A"],
     "issuer": "did:key:z6Mk", "credentialSubject": {"id": "urn:x", "€": "\u2028"}},
    [{"k2": 2, "k1": 1}, "x", 9007199254740991, -0],
    "a scalar", 7, None,
]


@pytest.mark.parametrize("doc", PLAIN_DOCUMENTS, ids=range(len(PLAIN_DOCUMENTS)))
def test_canonicalisation_without_the_c_encoder_gives_the_same_bytes(
        doc: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where Python has no C encoder (``json.encoder.c_make_encoder``), the pure encoder
    takes over: the same RFC 8785 bytes as the ``rfc8785`` package, keys sorted at every
    level."""
    import rfc8785

    from confiance.protocol import jsondoc

    expected = rfc8785.dumps(doc)
    assert canonicalize_jcs(doc) == expected
    monkeypatch.setattr(jsondoc, "_JCS_C", None)
    assert canonicalize_jcs(doc) == expected


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("c_encoder", [True, False], ids=["c-encoder", "pure-encoder"])
def test_nan_and_the_infinities_cannot_be_canonicalised(
        number: float, c_encoder: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python caller's NaN or infinity (never in parsed JSON) is refused, not written as
    ``NaN`` or ``Infinity``: a float makes a document not plain, so the rfc8785 package
    canonicalises it and refuses them, with or without the C encoder."""
    from confiance.protocol import jsondoc

    if not c_encoder:
        monkeypatch.setattr(jsondoc, "_JCS_C", None)
    for doc in ({"n": number}, [1, number], number, {"a": {"b": [number]}}):
        with pytest.raises(MalformedDocument, match="cannot canonicalise"):
            canonicalize_jcs(doc)


def test_a_circular_document_gets_the_same_error_without_the_c_encoder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from confiance.protocol import jsondoc

    monkeypatch.setattr(jsondoc, "_JCS_C", None)
    test_a_circular_document_cannot_be_canonicalised()


# -- refusals that name what they refuse --------------------------------------------------------


def test_too_large_is_refused_before_anything_is_read() -> None:
    """The byte cap is a work limit: an oversized input is never decoded nor parsed, so it
    gets the size error (naming the limit) even when it is not JSON or not even text."""
    too_many = LIMITS.max_bytes + 1
    oversized: list[str | bytes] = ["\ud800" * too_many, "{" * too_many, b"{" * too_many,
                                    b"\xff" * too_many]
    for data in oversized:
        with pytest.raises(DocumentTooLarge) as caught:
            parse_json(data, LIMITS)
        assert caught.value.detail["limit"] == LIMITS.max_bytes
        assert str(LIMITS.max_bytes) in caught.value.message
    # at the limit, the same text is read (and refused for what it is)
    at_the_limit: list[str | bytes] = ["\ud800" * LIMITS.max_bytes, b"{" * LIMITS.max_bytes]
    for at_limit in at_the_limit:
        with pytest.raises(MalformedDocument):
            parse_json(at_limit, LIMITS)


@pytest.mark.parametrize(("text", "words"), [
    ('{"n": 9007199254740992}', "integer 9007199254740992 is outside"),
    ('{"n": -9007199254740992}', "integer -9007199254740992 is outside"),
    ('{"n": 99999999999999999}', "integer 99999999999999999 is outside"),
    # longer than any safe integer: refused on its length, before int() reads 5000 digits
    ('{"n": 1' + "0" * 5000 + "}", "integer 1000000000000000000000000000000000000000 is out"),
    ('{"n": 1e999}', "number 1e999 is out of range"),
    ('{"n": -1e999}', "number -1e999 is out of range"),
    ('{"n": NaN}', "NaN is not a JSON number"),
    ('{"n": -Infinity}', "-Infinity is not a JSON number"),
])
def test_numbers_refused_as_written(text: str, words: str) -> None:
    with pytest.raises(MalformedDocument, match=words):
        parse_json(text, Limits(max_bytes=10_000))


def test_a_duplicate_key_is_named_up_to_80_characters() -> None:
    key = "k" * 79 + "XY"
    with pytest.raises(MalformedDocument) as caught:
        parse_json(json.dumps([key, key]).replace(",", ": 1,").replace("[", "{")
                   .replace("]", ": 2}"), Limits(max_string_length=100))
    assert caught.value.detail["key"] == key[:80]


def test_the_duplicate_is_named_not_the_first_key() -> None:
    """An object with a duplicate after other keys names the duplicate, wherever it is."""
    with pytest.raises(MalformedDocument, match="'dup'") as caught:
        parse_json('{"first": 1, "second": 2, "dup": 3, "dup": 4}')
    assert caught.value.detail["key"] == "dup"


def test_the_precise_walk_accepts_safe_integers_at_the_limit() -> None:
    """A document the fast passes leave to the precise walk (it holds a null) with
    +-(2**53 - 1), in an object and in an array: the walk passes both integers and names
    the null, the one thing wrong with it."""
    doc = {"n": MAX_SAFE_INTEGER, "m": [-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER], "z": None}
    for door in (_walk, _quick):
        with pytest.raises(MalformedDocument, match="null at /z"):
            door(doc)


def test_the_walk_stops_at_the_first_container_past_the_value_limit() -> None:
    """The value count is checked on entering each container: past the limit, nothing
    inside is looked at (not even a null), and the error is the limit. At the limit, the
    walk goes in and finds the null."""
    limits = Limits(max_depth=6, max_string_length=40, max_values=10, max_bytes=600)
    # 1 (the object) + 2 members + n items: the count on entering "z" is 3 + n
    with pytest.raises(MalformedDocument, match="null at /z/0"):
        inspect_document({"a": list(range(7)), "z": [None]}, limits)  # 10: not past
    with pytest.raises(LimitExceeded, match="more than 10 JSON values"):
        inspect_document({"a": list(range(8)), "z": [None]}, limits)  # 11: past


@pytest.mark.parametrize("door", MEMORY_DOORS)
@pytest.mark.parametrize("doc", [
    {"a": ["\ud800"]}, {"a": "x\ud800"}, {"a": ["ok", "\ud800"]}, {"a\ud800": 1},
    {"a": {"b\ud800": True}}, {"a": [1, "\udfff"]},
])
def test_a_lone_surrogate_is_refused_anywhere(door: Callable[[Any], None],
                                              doc: dict[str, Any]) -> None:
    with pytest.raises(MalformedDocument, match="lone surrogate"):
        door(doc)


@pytest.mark.parametrize("door", MEMORY_DOORS)
@pytest.mark.parametrize("doc", [
    {"a": [0.5, float("inf")]}, {"a": float("nan")}, {"a": [float("-inf"), 1.5]},
])
def test_a_number_that_is_not_finite_is_refused_in_memory(door: Callable[[Any], None],
                                                          doc: dict[str, Any]) -> None:
    with pytest.raises(MalformedDocument, match="not finite"):
        door(doc)


@pytest.mark.parametrize("door", [_walk, _quick_urls])
@pytest.mark.parametrize("context", [
    "https://not.allowed/ctx", ["https://not.allowed/ctx"],
    [LOADER_URL, "https://not.allowed/ctx"],
    {"@vocab": "urn:x:"}, [LOADER_URL, 5],
])
def test_a_context_off_the_allow_list_is_refused(door: Callable[[Any], None],
                                                  context: Any) -> None:
    with pytest.raises(ContextError):
        door({"@context": context, "a": 1})
    door({"@context": LOADER_URL, "a": 1})


def test_values_at_the_limit_when_the_precise_walk_counts_them() -> None:
    """A long string makes the quick pass's size estimate (2 bytes more per string member)
    go past the byte limit, so the precise walk counts the values: the last one an empty
    object, entered with exactly max_values counted."""
    limits = Limits(max_depth=6, max_string_length=400, max_values=30, max_bytes=600)
    for door in (lambda d: inspect_document(d, limits), lambda d: parse_json(json.dumps(d),
                                                                              limits)):
        door({"a": list(range(26)), "s": "x" * 360, "b": {}})
        with pytest.raises(LimitExceeded, match="more than 30 JSON values"):
            door({"a": list(range(27)), "s": "x" * 360, "b": {}})


def test_after_too_many_values_the_walk_stops() -> None:
    """The value count is checked on entering each container: what follows is not walked
    (here a null that would be refused for another reason)."""
    doc = {"a": list(range(LIMITS.max_values)), "b": {"c": None}}
    for door in DOORS:
        with pytest.raises(LimitExceeded, match="more than 30 JSON values"):
            door(doc)


@pytest.mark.parametrize("door", MEMORY_DOORS)
@pytest.mark.parametrize(("doc", "words"), [
    ({1: "a"}, "object keys must be strings \\(at /\\)"),
    ({"a": {2: "b"}}, "object keys must be strings \\(at /a\\)"),
    ({"a": object()}, "unsupported value of type object at /a"),
    ({"a": [1, None]}, "null at /a/1: JSON-LD ignores it"),
    ({"a": None}, "null at /a: JSON-LD ignores it"),
])
def test_what_is_not_a_json_value_is_named(door: Callable[[Any], None], doc: Any,
                                           words: str) -> None:
    with pytest.raises(MalformedDocument, match=words):
        door(doc)


def test_an_error_names_where_it_is() -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_json('{"a": {"b": [1, {"c": 2}]}, "d": null}', LIMITS)
    assert caught.value.detail["pointer"] == "/d"


def _sized(kind: str, n: int) -> dict[str, Any]:
    """Documents whose estimated size grows one byte at a time, one kind of value each."""
    key = "k" * (n % 30 + 1)
    values: dict[str, Any] = {
        "bools": {f"{key}{i:02}": i % 2 == 0 for i in range(n // 30 + 1)},
        "ints": {f"{key}{i:02}": i for i in range(n // 30 + 1)},
        "floats": {f"{key}{i:02}": i + 0.5 for i in range(n // 30 + 1)},
        "texts": {f"{key}{i:02}": "v" * (i % 5) for i in range(n // 30 + 1)},
        "int lists": {key: [list(range(i % 3 + 1)) for i in range(n // 10 + 1)]},
        "text lists": {key: ["t" * (i % 3) for i in range(n // 8 + 3)]},
        "mixed lists": {key: [True, 1, 0.5, "s"] * (n // 60 + 1)},
    }
    return values[kind]  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["bools", "ints", "floats", "texts", "int lists",
                                  "text lists", "mixed lists"])
def test_every_door_refuses_the_same_sizes(kind: str) -> None:
    """The size estimate through the quick pass (no loader, or no shape) is never below
    the precise walk's: each document accepted or refused alike by every door, on both
    sides of the byte limit."""
    limits = Limits(max_depth=6, max_string_length=40, max_values=1000, max_bytes=300)
    outcomes = set()
    for n in range(900):
        doc = _sized(kind, n)
        refused = []
        for loader, shape in ((LOADER, True), (None, True), (LOADER, False)):
            try:
                inspect_document(doc, limits, loader, shape=shape)
            except DocumentTooLarge:
                refused.append(True)
            else:
                refused.append(False)
        assert len(set(refused)) == 1, (kind, n, refused)
        outcomes.add(refused[0])
    assert outcomes == {True, False}


def test_a_non_json_value_cannot_be_canonicalised_and_is_named() -> None:
    with pytest.raises(MalformedDocument, match="object is not a JSON value"):
        canonicalize_jcs({"a": object()})
