"""Ed25519 keys, Multikey, did:key and key files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from confiance.protocol.errors import KeyFormatError, KeyResolutionError
from confiance.protocol.keys import (
    KeyPair,
    ResolvedKey,
    b58decode,
    b58encode,
    decode_multibase,
    did_key_from_public,
    public_key_from_multibase,
    resolve_did_key,
    verify_signature,
)

# the W3C vc-di-eddsa vector key (keyPair.json)
PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VM = f"did:key:{PUBLIC}#{PUBLIC}"
# keyPair2 of the proof-set vectors
OTHER_PUBLIC = "z6MkhWqdDBPojHA7cprTGTt5yHv5yUi1B8cnXn8ReLumkw6E"
OTHER_SECRET = "z3u2cfp4Q17kMGhNCh348a3yw3cUBiWK6RXRzyJE54sixMFn"


def test_the_vector_key_decodes_to_its_public_key() -> None:
    key = KeyPair.from_multibase(SECRET)
    assert key.public_key_multibase == PUBLIC
    assert key.secret_key_multibase == SECRET
    assert key.did == f"did:key:{PUBLIC}"
    assert key.verification_method == VM
    assert key.public_key == public_key_from_multibase(PUBLIC)
    assert did_key_from_public(key.public_key) == key.did


def test_key_files_round_trip_and_accept_the_vectors_name() -> None:
    key = KeyPair.generate(bytes(range(32)))
    obj = key.to_json()
    assert obj == {"id": key.verification_method, "type": "Multikey", "controller": key.did,
                   "publicKeyMultibase": key.public_key_multibase,
                   "secretKeyMultibase": key.secret_key_multibase}
    assert KeyPair.from_json(json.loads(json.dumps(obj))) == key
    assert KeyPair.from_json({"publicKeyMultibase": PUBLIC,
                              "privateKeyMultibase": SECRET}).public_key_multibase == PUBLIC
    assert KeyPair.from_json({"secretKeyMultibase": SECRET}).did == f"did:key:{PUBLIC}"
    assert "secretKeyMultibase" not in key.public_json()


@pytest.mark.parametrize("obj", [
    {},
    {"publicKeyMultibase": PUBLIC},
    {"secretKeyMultibase": SECRET, "publicKeyMultibase": OTHER_PUBLIC},
    {"secretKeyMultibase": SECRET, "controller": "did:key:z6Mkother"},
    {"secretKeyMultibase": SECRET, "type": "Ed25519VerificationKey2020"},
    {"secretKeyMultibase": SECRET, "privateKeyMultibase": OTHER_SECRET},
    {"secretKeyMultibase": PUBLIC},
    {"secretKeyMultibase": 5},
    [SECRET],
])
def test_incoherent_key_files_are_refused(obj: object) -> None:
    with pytest.raises(KeyFormatError):
        KeyPair.from_json(obj)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "",
    "z",
    PUBLIC[1:],                      # no multibase prefix
    "f" + PUBLIC[1:],                # another multibase
    PUBLIC[:-1] + "0",               # '0' is not base58btc
    PUBLIC[:-1] + "l",               # nor 'l'
    PUBLIC + "1",                    # too long
    PUBLIC[:-2],                     # too short
    SECRET,                          # a secret key where a public one is expected
    "z" + "é" * 10,
    "z" + "1" * 300,
])
def test_strict_public_key_decoding(text: str) -> None:
    with pytest.raises(KeyFormatError):
        public_key_from_multibase(text)


def test_secret_keys_with_a_public_prefix_are_refused() -> None:
    with pytest.raises(KeyFormatError, match="secret"):
        KeyPair.from_multibase(PUBLIC)
    with pytest.raises(KeyFormatError):
        KeyPair(b"short")


def test_base58_round_trips_with_leading_zeros() -> None:
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(64)), b"\xff" * 34):
        text = b58encode(data)
        assert b58decode(text) == data
        assert decode_multibase("z" + text) == data if text else True


def test_signatures_are_deterministic_and_verify() -> None:
    key = KeyPair.generate(b"\x07" * 32)
    signature = key.sign(b"message")
    assert signature == key.sign(b"message") and len(signature) == 64
    assert verify_signature(key.public_key, signature, b"message")
    assert not verify_signature(key.public_key, signature, b"messagE")
    assert not verify_signature(key.public_key, bytes(64), b"message")


def test_generated_keys_differ_and_hide_their_secret() -> None:
    a, b = KeyPair.generate(), KeyPair.generate()
    assert a != b and a.did != b.did
    assert a.secret_key_multibase not in repr(a)
    assert repr(a) == f"KeyPair({a.did})"
    assert len({a, KeyPair.from_multibase(a.secret_key_multibase)}) == 1


def test_did_key_resolution() -> None:
    resolved = resolve_did_key(VM)
    assert resolved == ResolvedKey(public_key=public_key_from_multibase(PUBLIC),
                                   controller=f"did:key:{PUBLIC}", id=VM)
    assert resolved.covers(datetime(1990, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("vm", [
    f"did:key:{PUBLIC}",                                   # no fragment
    f"did:key:{PUBLIC}#key-1",                             # another fragment
    f"did:key:{PUBLIC}#{OTHER_PUBLIC}",
    f"did:web:example.com#{PUBLIC}",                       # another method
    "did:key:z6Mk0#z6Mk0",                                 # malformed key
    "did:key:zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76#"
    "zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76",   # P-256, not Ed25519
    "x" * 600,
])
def test_unresolvable_verification_methods(vm: str) -> None:
    with pytest.raises(KeyResolutionError):
        resolve_did_key(vm)


def test_validity_windows() -> None:
    t0, t1 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    key = ResolvedKey(public_key=bytes(32), controller="did:web:x", id="did:web:x#k",
                      valid_from=t0, valid_until=t1)
    assert key.covers(t0) and not key.covers(t1)
    assert not key.covers(datetime(2023, 12, 31, tzinfo=UTC))
    with pytest.raises(KeyFormatError):
        ResolvedKey(public_key=b"1", controller="x", id="x")
