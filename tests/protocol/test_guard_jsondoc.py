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


def _parse(doc: Any) -> None:
    parse_json(json.dumps(doc), LIMITS)


def _parse_bytes(doc: Any) -> None:
    parse_json(json.dumps(doc).encode(), LIMITS)


def _walk(doc: Any) -> None:
    inspect_document(doc, LIMITS, LOADER)


DOORS: list[Callable[[Any], None]] = [_parse, _parse_bytes, _walk]


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
    (_values, LIMITS.max_values, LimitExceeded),
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


def test_a_circular_document_with_a_float_cannot_be_canonicalised_either() -> None:
    loop: list[Any] = [1.5]
    loop.append(loop)
    with pytest.raises(MalformedDocument, match="nested too deeply or circular"):
        canonicalize_jcs(loop)
    shared = [0.5]
    assert canonicalize_jcs({"a": shared, "b": shared}) == b'{"a":[0.5],"b":[0.5]}'
