"""Gossip messages: constructors validate, JSON round-trips, garbage from peers is refused."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confiance.protocol.errors import GossipError, LocalProtocolError
from confiance.protocol.gossip import (
    Ack,
    Close,
    Error,
    Filters,
    FingerprintRange,
    GossipLimits,
    Graft,
    Hello,
    IdListRange,
    Ihave,
    Message,
    MessageType,
    Prune,
    Push,
    Reconcile,
    SkipRange,
    Want,
    Welcome,
    decode_id,
    encode_id,
    encode_message,
    parse_message,
)

ID1, ID2, ID3 = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
E1 = encode_id(ID1)

EXAMPLES: list[Message] = [
    Hello(node="https://a.example"),
    Hello(node="did:key:z6MkA", version=3,
          filters=Filters(kinds=("Rating",), contexts=("seller",), issuers=("did:x:1",))),
    Welcome(node="https://b.example", session="s-1_A"),
    Reconcile(ranges=()),
    Reconcile(ranges=(SkipRange(bound=b"\x01"),
                      FingerprintRange(bound=b"\x02\x05", fingerprint=b"\x09" * 16),
                      IdListRange(bound=None, ids=(ID3, b"\x04" * 32)))),
    Ihave(ids=(ID1, ID2)),
    Ihave(ids=(ID1, ID2), roots=("https://a.example", "")),
    Want(ids=()),
    Want(ids=(ID3,)),
    Graft(ids=(ID1,)),
    Graft(ids=(ID1,), roots=("r",)),
    Push(assertions=()),
    Push(assertions=({"id": "x", "n": [1, 2.5, None, True], "s": "é"},)),
    Push(assertions=({"a": 1}, {"b": 2}), roots=("r1", "r2")),
    Prune(),
    Prune(roots=("r1", "r2")),
    Ack(),
    Ack(prune=("", "r")),
    Error(code="gossip-protocol-error", detail="bad"),
    Close(),
    Close(reason="done"),
]


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip(message: Message) -> None:
    data = encode_message(message)
    assert parse_message(data) == message
    assert parse_message(data.decode()) == message
    assert json.loads(data)["type"] == message.TYPE.value


def test_every_type_has_an_example() -> None:
    assert {m.TYPE for m in EXAMPLES} == set(MessageType)


def test_wire_format_is_compact_and_readable() -> None:
    data = encode_message(Reconcile(ranges=(
        SkipRange(bound=b"\x01"), FingerprintRange(bound=None, fingerprint=b"\x00" * 16))))
    assert data == b'{"type":"reconcile","ranges":[["s","AQ"],["f",null,"AAAAAAAAAAAAAAAAAAAAAA"]]}'


def test_ids_are_canonical_base64url() -> None:
    assert decode_id(E1) == ID1 and len(E1) == 43
    for bad in (E1 + "=", E1[:-1] + "B", "A" * 42, "+" * 43, 12, None, "é" * 43):
        with pytest.raises(GossipError):
            decode_id(bad)
    with pytest.raises(LocalProtocolError):
        encode_id(b"short")


@pytest.mark.parametrize("build", [
    lambda: Hello(node=""),
    lambda: Hello(node="x\n"),
    lambda: Hello(node="x" * 3000),
    lambda: Hello(node="a", version=0),
    lambda: Hello(node="a", version=True),
    lambda: Hello(node="a", filters={"kinds": []}),  # type: ignore[arg-type]
    lambda: Filters(kinds=("a", "a")),
    lambda: Filters(kinds=tuple(str(i) for i in range(65))),
    lambda: Filters(kinds=["a"]),  # type: ignore[arg-type]
    lambda: Welcome(node="b", session="has space"),
    lambda: Welcome(node="b", session=""),
    lambda: Ihave(ids=()),
    lambda: Ihave(ids=(ID1, ID1)),
    lambda: Ihave(ids=(b"\x01" * 31,)),
    lambda: Want(ids=[ID1]),  # type: ignore[arg-type]
    lambda: Push(assertions=([1],)),  # type: ignore[arg-type]
    lambda: Push(assertions=({1: 2},)),  # type: ignore[dict-item]
    lambda: Ack(prune=True),  # type: ignore[arg-type]
    lambda: Ack(prune=("a", "a")),
    lambda: Prune(roots=("x" * 300,)),
    lambda: Ihave(ids=(ID1, ID2), roots=("a",)),
    lambda: Push(assertions=({},), roots=("a", "b")),
    lambda: Graft(ids=(ID1,), roots=("\n",)),
    lambda: Error(code="Not A Slug"),
    lambda: Close(reason="x" * 300),
    lambda: SkipRange(bound=b""),
    lambda: SkipRange(bound=b"\x01\x00"),
    lambda: SkipRange(bound=b"\x01" * 33),
    lambda: FingerprintRange(bound=None, fingerprint=b"\x00" * 15),
    lambda: IdListRange(bound=None, ids=(ID2, ID1)),
    lambda: Reconcile(ranges=(SkipRange(bound=b"\x02"), SkipRange(bound=b"\x01"))),
    lambda: Reconcile(ranges=(SkipRange(bound=b"\x02"), SkipRange(bound=b"\x02"))),
    lambda: Reconcile(ranges=(SkipRange(bound=None), SkipRange(bound=b"\x05"))),
    lambda: Reconcile(ranges=(SkipRange(bound=b"\x02"), IdListRange(bound=b"\x03", ids=(ID1,)))),
    lambda: Reconcile(ranges=(IdListRange(bound=b"\x02", ids=(ID3,)),)),
    lambda: Reconcile(ranges=("s",)),  # type: ignore[arg-type]
])
def test_constructors_refuse_invalid_messages(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LocalProtocolError):
        build()


def test_encoding_a_non_json_document_is_our_error() -> None:
    with pytest.raises(LocalProtocolError):
        encode_message(Push(assertions=({"x": float("nan")},)))
    with pytest.raises(LocalProtocolError):
        encode_message(Push(assertions=({"x": object()},)))


GARBAGE = [
    b"",
    b"not json",
    b"\xff\xfe{}",
    b"[]",
    b'"hello"',
    b"{}",
    b'{"type":"nope"}',
    b'{"type":7}',
    b'{"type":"prune","roots":[],"extra":1}',
    b'{"type":"close","type":"close"}',
    b'{"type":"hello","node":"a"}',
    b'{"type":"hello","node":"a","version":"1"}',
    b'{"type":"hello","node":"a","version":true}',
    b'{"type":"hello","node":"a","version":1.0}',
    b'{"type":"hello","node":"a","version":1,"filters":[]}',
    b'{"type":"hello","node":"a","version":1,"filters":{"colours":[]}}',
    b'{"type":"hello","node":"a","version":1,"filters":{"kinds":[1]}}',
    b'{"type":"hello","node":"a","version":1,"filters":{"kinds":"Rating"}}',
    b'{"type":"hello","node":"a","version":' + b"9" * 5000 + b"}",
    b'{"type":"hello","node":NaN,"version":1}',
    b'{"type":"welcome","node":"b","version":1,"session":"a b"}',
    b'{"type":"ihave","ids":[]}',
    b'{"type":"ihave","ids":"' + E1.encode() + b'"}',
    b'{"type":"ihave","ids":["' + E1.encode() + b'","' + E1.encode() + b'"]}',
    b'{"type":"ihave","ids":["AAAA"]}',
    b'{"type":"want","ids":[null]}',
    b'{"type":"push","assertions":[1]}',
    b'{"type":"push","assertions":{}}',
    b'{"type":"ack","prune":"yes"}',
    b'{"type":"ack","prune":true}',
    b'{"type":"ack","prune":[1]}',
    b'{"type":"prune"}',
    b'{"type":"prune","roots":["a","a"]}',
    b'{"type":"push","assertions":[{}],"roots":["a","b"]}',
    b'{"type":"ihave","ids":["' + E1.encode() + b'"],"roots":"a"}',
    b'{"type":"error","code":"BAD CODE"}',
    b'{"type":"close","reason":5}',
    b'{"type":"reconcile","ranges":{}}',
    b'{"type":"reconcile","ranges":[[]]}',
    b'{"type":"reconcile","ranges":[["x",null]]}',
    b'{"type":"reconcile","ranges":[["s"]]}',
    b'{"type":"reconcile","ranges":[["s",null,1]]}',
    b'{"type":"reconcile","ranges":[["s","AQA"]]}',
    b'{"type":"reconcile","ranges":[["s",""]]}',
    b'{"type":"reconcile","ranges":[["s","Ag"],["s","AQ"]]}',
    b'{"type":"reconcile","ranges":[["s",null],["s","AQ"]]}',
    b'{"type":"reconcile","ranges":[["f",null,"AAAA"]]}',
    b'{"type":"reconcile","ranges":[["f",null,null]]}',
    b'{"type":"reconcile","ranges":[["i",null,"x"]]}',
    b'{"type":"reconcile","ranges":[["i","AQ",["' + encode_id(ID2).encode() + b'"]]]}',
    b"[" * 100 + b"]" * 100,
    b'{"type":"push","assertions":[' + b'{"a":' * 60 + b"1" + b"}" * 60 + b"]}",
    b'{"type":"push","assertions":[' + b"[" * 100000 + b"]" * 100000 + b"]}",
]


@pytest.mark.parametrize("data", GARBAGE, ids=lambda d: repr(d[:40]))
def test_garbage_from_a_peer_is_a_gossip_error(data: bytes) -> None:
    with pytest.raises(GossipError) as info:
        parse_message(data)
    assert info.value.status == 400
    assert info.value.to_problem()["type"].endswith("/gossip-protocol-error")


def test_limits_are_enforced_before_and_while_parsing() -> None:
    small = GossipLimits(max_message_bytes=200, max_ids=2, max_assertions=1, max_ranges=1,
                         max_range_ids=2, max_depth=3)
    ids = [encode_id(bytes([i]) * 32) for i in (1, 2, 3)]
    cases = [
        b" " * 201,
        json.dumps({"type": "ihave", "ids": ids}).encode(),
        json.dumps({"type": "push", "assertions": [{}, {}]}).encode(),
        json.dumps({"type": "push", "assertions": [{"a": {"b": 1}}]}).encode(),
        json.dumps({"type": "reconcile", "ranges": [["s", "AQ"], ["s", "Ag"]]}).encode(),
        json.dumps({"type": "reconcile", "ranges": [["i", None, ids]]}).encode(),
    ]
    for data in cases:
        assert len(data) <= 201
        with pytest.raises(GossipError):
            parse_message(data, small)
    assert parse_message(b'{"type":"push","assertions":[{}]}', small) == Push(assertions=({},))


def test_limits_themselves_are_validated() -> None:
    for bad in ({"max_ids": 0}, {"max_depth": True}, {"max_range_ids": 10**7},
                {"max_assertions": 10**6}):
        with pytest.raises(LocalProtocolError):
            GossipLimits(**bad)  # type: ignore[arg-type]


def test_filters_match() -> None:
    f = Filters(kinds=("Rating",), contexts=("seller",))
    assert f.matches(kind="Rating", context="seller", issuer="did:x")
    assert not f.matches(kind="TrustMark", context="seller", issuer="did:x")
    assert not f.matches(kind="Rating", context=None, issuer="did:x")
    assert Filters().matches(kind="Revocation", context=None, issuer="did:y")


ids_st = st.lists(st.binary(min_size=32, max_size=32), unique=True, max_size=20).map(tuple)
text_st = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1,
                  max_size=50)
json_st = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | text_st,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text_st, inner, max_size=4),
    max_leaves=20)
messages_st = st.one_of(
    st.builds(Hello, node=text_st, version=st.integers(1, 65535)),
    st.builds(Welcome, node=text_st, session=st.from_regex(r"\A[A-Za-z0-9_-]{1,20}\Z")),
    st.builds(Ihave, ids=ids_st.filter(bool)),
    st.builds(Want, ids=ids_st),
    st.builds(Graft, ids=ids_st),
    st.builds(Push, assertions=st.lists(st.dictionaries(text_st, json_st, max_size=5),
                                        max_size=3).map(tuple)),
    st.builds(Ack, prune=st.lists(text_st, unique=True, max_size=3).map(tuple)),
    st.builds(Close, reason=st.text(max_size=20).filter(lambda s: s.isprintable())),
    st.builds(Reconcile, ranges=ids_st.map(
        lambda ids: tuple(IdListRange(bound=None, ids=tuple(sorted(ids))) for _ in ids[:1]))),
)


@settings(max_examples=200, deadline=None)
@given(messages_st)
def test_random_messages_round_trip(message: Message) -> None:
    assert parse_message(encode_message(message)) == message


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), json_st.map(lambda o: json.dumps(o).encode()),
                 st.dictionaries(st.sampled_from(["type", "ids", "node", "version", "ranges",
                                                  "assertions", "prune", "code", "x"]),
                                 st.one_of(json_st, st.sampled_from(list(MessageType))),
                                 max_size=4).map(lambda o: json.dumps(o).encode())))
def test_fuzzed_input_only_ever_raises_gossip_error(data: bytes) -> None:
    with contextlib.suppress(GossipError):
        parse_message(data)
