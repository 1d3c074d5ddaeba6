"""The signed gossip hello (sans-IO): signing, every refusal, the replay cache, the wire form."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from confiance.protocol.errors import GossipError, LocalProtocolError
from confiance.protocol.gossip import (
    Filters,
    Hello,
    HelloRefused,
    NonceCache,
    check_hello,
    encode_message,
    parse_message,
    sign_hello,
    verify_hello_signature,
)
from confiance.protocol.keys import KeyPair, ResolvedKey

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PEER = "did:key:z6MkPeer"
ME = "did:web:b.example"
KEY = KeyPair.generate(b"\x07" * 32)
NONCE = b"\x01" * 16


def signed(**kwargs: object) -> Hello:
    hello = Hello(node="https://a.example", filters=Filters(kinds=("Rating",)))
    args = {"key": KEY, "to": ME, "nonce": NONCE, "created": T0, **kwargs}
    return sign_hello(hello, **args)  # type: ignore[arg-type]


def resolved(key: KeyPair = KEY, **kwargs: object) -> ResolvedKey:
    return ResolvedKey(public_key=key.public_key, controller=key.did,
                       id=key.verification_method, **kwargs)  # type: ignore[arg-type]


def test_an_honest_hello_passes_and_survives_the_wire() -> None:
    hello = signed()
    again = parse_message(encode_message(hello))
    assert again == hello
    assert isinstance(again, Hello)
    proof = check_hello(again, peer_did=KEY.did, own_did=ME, now=T0 + timedelta(seconds=59))
    verify_hello_signature(again, resolved())
    assert proof.nonce == NONCE and proof.verification_method == KEY.verification_method


@pytest.mark.parametrize(("hello", "now", "reason"), [
    (Hello(node="https://a.example"), T0, "missing"),
    (signed(), T0, "wrong-key"),  # checked against PEER below
    (signed(to="did:web:c.example"), T0, "wrong-audience"),
    (signed(), T0 + timedelta(seconds=61), "stale"),
    (signed(), T0 - timedelta(seconds=61), "stale"),
])
def test_check_hello_refuses(hello: Hello, now: datetime, reason: str) -> None:
    peer = PEER if reason == "wrong-key" else KEY.did
    with pytest.raises(HelloRefused) as info:
        check_hello(hello, peer_did=peer, own_did=ME, now=now)
    assert info.value.reason == reason and info.value.status == 400
    assert isinstance(info.value, GossipError)


def test_the_signature_covers_every_member() -> None:
    hello = signed()
    assert hello.proof is not None
    for tampered in (replace(hello, node="https://evil.example"),
                     replace(hello, filters=Filters()),
                     replace(hello, version=2),
                     replace(hello, proof=replace(hello.proof, nonce=b"\x02" * 16)),
                     replace(hello, proof=replace(hello.proof, created=T0 + timedelta(1))),
                     replace(hello, proof=replace(hello.proof, to="did:web:c.example")),
                     replace(hello, proof=replace(hello.proof, proof_value="z0OIl"))):
        with pytest.raises(HelloRefused) as info:
            verify_hello_signature(tampered, resolved())
        assert info.value.reason == "bad-signature"
    with pytest.raises(HelloRefused, match="signature"):
        verify_hello_signature(hello, resolved(KeyPair.generate(b"\x08" * 32)))


def test_a_key_outside_its_period_is_refused() -> None:
    with pytest.raises(HelloRefused) as info:
        verify_hello_signature(signed(), resolved(valid_until=T0))
    assert info.value.reason == "key-not-valid"
    with pytest.raises(HelloRefused):
        verify_hello_signature(signed(), resolved(valid_from=T0 + timedelta(seconds=1)))
    verify_hello_signature(signed(), resolved(valid_from=T0, valid_until=T0 + timedelta(1)))


def test_nonce_cache_refuses_replays_within_the_window_and_forgets_after() -> None:
    cache = NonceCache(window=timedelta(seconds=60), max_entries=3)
    cache.add(NONCE, created=T0, now=T0)
    with pytest.raises(HelloRefused) as info:
        cache.add(NONCE, created=T0, now=T0 + timedelta(seconds=30))
    assert info.value.reason == "replayed"
    cache.add(NONCE, created=T0 + timedelta(seconds=61), now=T0 + timedelta(seconds=61))
    for i in range(5):  # bounded
        cache.add(bytes([0x10 + i]) * 16, created=T0 + timedelta(seconds=62),
                  now=T0 + timedelta(seconds=62))
    assert len(cache) == 3
    cache.add(b"\x09" * 16, created=T0 + timedelta(seconds=200), now=T0 + timedelta(seconds=200))
    assert len(cache) == 1


@pytest.mark.parametrize("proof", [
    '"x"',
    '{"to":"d","nonce":"AQEBAQEBAQEBAQEBAQEBAQ","created":"2026-03-01T12:00:00Z",'
    '"verificationMethod":"v"}',
    '{"to":"d","nonce":"AQEB","created":"2026-03-01T12:00:00Z","verificationMethod":"v",'
    '"proofValue":"zz"}',
    '{"to":"d","nonce":"AQEBAQEBAQEBAQEBAQEBAQ","created":"2026-03-01T13:00:00+01:00",'
    '"verificationMethod":"v","proofValue":"zz"}',
    '{"to":"d","nonce":"AQEBAQEBAQEBAQEBAQEBAQ","created":"yesterday",'
    '"verificationMethod":"v","proofValue":"zz"}',
    '{"to":"d","nonce":"AQEBAQEBAQEBAQEBAQEBAQ","created":"2026-03-01T12:00:00Z",'
    '"verificationMethod":"v","proofValue":"no-multibase"}',
    '{"to":"d","nonce":"AQEBAQEBAQEBAQEBAQEBAQ","created":"2026-03-01T12:00:00Z",'
    '"verificationMethod":"v","proofValue":"zz","extra":1}',
])
def test_malformed_proofs_are_protocol_errors(proof: str) -> None:
    data = '{"type":"hello","version":1,"node":"https://a.example","proof":' + proof + "}"
    with pytest.raises(GossipError):
        parse_message(data.encode())


def test_signing_needs_a_real_nonce() -> None:
    with pytest.raises(LocalProtocolError):
        signed(nonce=b"short")
