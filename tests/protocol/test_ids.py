"""Content ids: RFC 6920 ``ni:///sha-256;`` over the JCS of the signed document."""

from __future__ import annotations

import base64
import hashlib

import pytest

from confiance.protocol.errors import MalformedDocument
from confiance.protocol.ids import assertion_id, digest_of, id_from_digest, parse_assertion_id

DOC = {"b": [1, "é"], "a": {"y": True, "x": "z"}}


def test_the_id_is_sha256_of_jcs() -> None:
    jcs = b'{"a":{"x":"z","y":true},"b":[1,"\xc3\xa9"]}'
    digest = hashlib.sha256(jcs).digest()
    assert digest_of(DOC) == digest
    expected = "ni:///sha-256;" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert assertion_id(DOC) == expected
    assert len(expected) == len("ni:///sha-256;") + 43


def test_member_order_does_not_matter_but_content_does() -> None:
    assert assertion_id(dict(reversed(list(DOC.items())))) == assertion_id(DOC)
    assert assertion_id({**DOC, "c": 1}) != assertion_id(DOC)


def test_parse_accepts_both_forms() -> None:
    full = assertion_id(DOC)
    bare = full.removeprefix("ni:///sha-256;")
    assert parse_assertion_id(full) == parse_assertion_id(bare) == digest_of(DOC)
    assert id_from_digest(parse_assertion_id(bare)) == full


@pytest.mark.parametrize("make", [
    lambda full, bare: bare[:-1],                          # 42 characters
    lambda full, bare: bare + "A",                         # 44
    lambda full, bare: bare + "=",                         # padding
    lambda full, bare: full.upper(),
    lambda full, bare: "NI:///sha-256;" + bare,
    lambda full, bare: "ni:///SHA-256;" + bare,
    lambda full, bare: "ni:///sha-512;" + bare,
    lambda full, bare: "ni://example.com/sha-256;" + bare,
    lambda full, bare: " " + bare,
    lambda full, bare: bare + "\n",
    lambda full, bare: bare[:-1] + "/",
    lambda full, bare: bare[:-1] + "+",
    lambda full, bare: "../" + bare[3:],
    lambda full, bare: "%2F" + bare[3:],
    lambda full, bare: bare[:-1] + "B",                    # non-canonical: spare bits set
    lambda full, bare: "",
])
def test_parse_is_strict(make) -> None:  # type: ignore[no-untyped-def]
    full = id_from_digest(bytes(32))
    bare = full.removeprefix("ni:///sha-256;")
    assert bare.endswith("A")
    with pytest.raises(MalformedDocument):
        parse_assertion_id(make(full, bare))


def test_bad_digests_and_documents() -> None:
    with pytest.raises(MalformedDocument):
        id_from_digest(b"short")
    with pytest.raises(MalformedDocument):
        parse_assertion_id(None)
    with pytest.raises(MalformedDocument):
        assertion_id({"x": float("nan")})
    with pytest.raises(MalformedDocument):
        assertion_id({"x": object()})
