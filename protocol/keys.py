"""Ed25519 keys, their Multikey encoding, did:key identifiers, and key files.

Encodings (W3C Controlled Identifiers 1.0 "Multikey", did:key method 0.9):

- public key: multibase base58btc (``z``) of the multicodec ``ed25519-pub`` prefix
  ``0xed 0x01`` followed by the 32-byte key: ``z6Mk...`` (48 characters);
- secret key: multibase base58btc of ``ed25519-priv`` ``0x80 0x26`` followed by the 32-byte
  seed: ``z3u2...``;
- DID: ``did:key:<public multibase>``; its verification method:
  ``did:key:<public multibase>#<public multibase>``.

Decoding is strict: wrong multibase prefix, characters outside the base58btc alphabet, a
non-canonical encoding (one that does not re-encode to the same text), a wrong multicodec
prefix or length all raise :class:`~confiance.protocol.errors.KeyFormatError`.

Key files are JSON objects (written by the node or CLI with mode 0600)::

    {"id": "did:key:z6Mk...#z6Mk...", "type": "Multikey", "controller": "did:key:z6Mk...",
     "publicKeyMultibase": "z6Mk...", "secretKeyMultibase": "z3u2..."}

:meth:`KeyPair.from_json` also reads the W3C test vectors' ``privateKeyMultibase`` and files
without ``id``/``controller``; when present, every field must agree with the secret.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import KeyFormatError, KeyResolutionError, LocalProtocolError

__all__ = [
    "ED25519_PRIV_PREFIX",
    "ED25519_PUB_PREFIX",
    "KeyPair",
    "ResolvedKey",
    "b58decode",
    "b58encode",
    "decode_multibase",
    "did_key_from_public",
    "public_key_from_multibase",
    "resolve_did_key",
    "verify_signature",
]

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ALPHABET_BYTES = _ALPHABET.encode("ascii")
_DIGITS = bytes.maketrans(_ALPHABET_BYTES, bytes(range(58)))
_POWERS = [58**i for i in range(9, -1, -1)]
_POWER_10 = 58**10
MAX_MULTIBASE_LENGTH = 256


def b58encode(data: bytes) -> str:
    """Base58btc (Bitcoin alphabet) of ``data``; leading zero bytes become ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rem = divmod(number, 58)
        digits.append(_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(digits))


#: ``_PLACES[i][d] == d * 58**i`` for the digits of a signature (88) or a key (48): decoding
#: becomes one C-level sum of table entries (about 300 KB, built on first use)
_TABLE_DIGITS = 90
_PLACES: list[list[int]] = []


def _places() -> list[list[int]]:
    if not _PLACES:
        _PLACES[:] = [[d * 58**i for d in range(58)] for i in range(_TABLE_DIGITS)]
    return _PLACES


def b58decode(text: str) -> bytes:
    """Strict base58btc decoding; raises :class:`KeyFormatError` on any other character.

    Base58 has no padding, so every string has exactly one decoding and re-encodes to
    itself: there is no non-canonical form to refuse beyond foreign characters.
    """
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise KeyFormatError("a base58btc string has only ASCII characters") from None
    if raw.translate(None, _ALPHABET_BYTES):
        raise KeyFormatError("not a base58btc string (characters outside the alphabet)")
    digits = raw.translate(_DIGITS)
    if len(digits) <= _TABLE_DIGITS:  # every signature and key: no multiplication at all
        number = sum(map(list.__getitem__, _PLACES or _places(), digits[::-1]))
    else:
        head = len(digits) % 10
        number = sum(map(operator.mul, digits[:head], _POWERS[10 - head:])) if head else 0
        for start in range(head, len(digits), 10):  # ten digits at a time: small-int sums
            number = (number * _POWER_10
                      + sum(map(operator.mul, digits[start:start + 10], _POWERS)))
    zeros = len(raw) - len(raw.lstrip(b"1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def decode_multibase(text: object, what: str = "value") -> bytes:
    """Decode a multibase base58btc string (``z...``)."""
    if not isinstance(text, str) or not text.startswith("z") or len(text) < 2:
        raise KeyFormatError(f"{what} must be a multibase base58btc string starting with 'z'")
    if len(text) > MAX_MULTIBASE_LENGTH:
        raise KeyFormatError(f"{what} is too long")
    try:
        return b58decode(text[1:])
    except KeyFormatError as exc:
        raise KeyFormatError(f"{what}: {exc.message}") from None


def _multicodec(text: object, prefix: bytes, what: str) -> bytes:
    data = decode_multibase(text, what)
    if data[:2] != prefix or len(data) != 34:
        side = "public" if prefix == ED25519_PUB_PREFIX else "secret"
        raise KeyFormatError(f"{what} is not an Ed25519 {side} Multikey (expected multicodec "
                             f"0x{prefix.hex()} and 32 bytes)")
    return data[2:]


def public_key_from_multibase(text: object) -> bytes:
    """The 32 raw bytes of an Ed25519 ``publicKeyMultibase`` (``z6Mk...``)."""
    return _multicodec(text, ED25519_PUB_PREFIX, "publicKeyMultibase")


def _public_multibase(raw: bytes) -> str:
    return "z" + b58encode(ED25519_PUB_PREFIX + raw)


def did_key_from_public(raw: bytes) -> str:
    """The did:key DID of a raw 32-byte Ed25519 public key."""
    if len(raw) != 32:
        raise KeyFormatError("an Ed25519 public key has 32 bytes")
    return "did:key:" + _public_multibase(raw)


@dataclass(frozen=True, kw_only=True)
class ResolvedKey:
    """A verification method resolved to a public key, with its controller and validity.

    ``valid_from``/``valid_until`` bound when the key may have signed (a proof's ``created``
    must fall inside); ``None`` means unbounded (did:key has no validity window).
    """

    public_key: bytes
    controller: str
    id: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise KeyFormatError("an Ed25519 public key has 32 bytes")

    def covers(self, moment: datetime) -> bool:
        """Whether the key was valid at ``moment``."""
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return not (self.valid_until is not None and moment >= self.valid_until)


@functools.lru_cache(maxsize=1024)
def _public_key_object(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_signature(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """Ed25519 verification; ``False`` for a wrong signature or an unusable key."""
    try:
        _public_key_object(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=1024)
def _resolve_did_key(verification_method: str) -> ResolvedKey:
    did, hash_sign, fragment = verification_method.partition("#")
    if not did.startswith("did:key:"):
        raise KeyResolutionError(
            f"only did:key verification methods resolve offline, got {verification_method!r:.100}",
            verificationMethod=verification_method[:200])
    identifier = did[len("did:key:"):]
    if not hash_sign or fragment != identifier:
        raise KeyResolutionError(
            "a did:key verification method is did:key:<key>#<key> (same key twice), got "
            f"{verification_method!r:.120}", verificationMethod=verification_method[:200])
    try:
        raw = public_key_from_multibase(identifier)
    except KeyFormatError as exc:
        raise KeyResolutionError(f"malformed did:key: {exc.message}",
                                 verificationMethod=verification_method[:200]) from None
    return ResolvedKey(public_key=raw, controller=did, id=verification_method)


def resolve_did_key(verification_method: str) -> ResolvedKey:
    """Resolve ``did:key:z6Mk...#z6Mk...`` offline (the default key resolver).

    Raises :class:`KeyResolutionError` for any other DID method, a missing or different
    fragment, or a malformed key. Results are cached (did:key documents never change).
    """
    if not isinstance(verification_method, str) or len(verification_method) > 512:
        raise KeyResolutionError("a verification method is a DID URL string")
    return _resolve_did_key(verification_method)


class KeyPair:
    """An Ed25519 signing key with its Multikey and did:key forms.

    The secret never appears in ``repr``; only :meth:`to_json` and
    :attr:`secret_key_multibase` reveal it.
    """

    __slots__ = ("_private", "_public", "_seed")

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != 32:
            raise KeyFormatError("an Ed25519 secret key (seed) has 32 bytes")
        self._seed = seed
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self._public = self._private.public_key().public_bytes_raw()

    @classmethod
    def generate(cls, seed: bytes | None = None) -> KeyPair:
        """A new key from ``seed`` (32 bytes, for reproducible tests) or the OS CSPRNG."""
        if seed is None:
            return cls(Ed25519PrivateKey.generate().private_bytes_raw())
        return cls(seed)

    @classmethod
    def from_multibase(cls, secret: str) -> KeyPair:
        """The key whose ``secretKeyMultibase`` is ``secret`` (``z3u2...``)."""
        return cls(_multicodec(secret, ED25519_PRIV_PREFIX, "secretKeyMultibase"))

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> KeyPair:
        """Read a key file object (see the module docstring), checking that it is coherent."""
        if not isinstance(obj, Mapping):
            raise KeyFormatError("a key file is a JSON object")
        secret = obj.get("secretKeyMultibase")
        legacy = obj.get("privateKeyMultibase")
        if secret is None and legacy is None:
            raise KeyFormatError("the key file has no secretKeyMultibase")
        if secret is not None and legacy is not None and secret != legacy:
            raise KeyFormatError("secretKeyMultibase and privateKeyMultibase differ")
        key = cls.from_multibase(secret if secret is not None else legacy)  # type: ignore[arg-type]
        expected = {
            "publicKeyMultibase": key.public_key_multibase,
            "controller": key.did,
            "id": key.verification_method,
            "type": "Multikey",
        }
        for name, value in expected.items():
            if name in obj and obj[name] != value:
                raise KeyFormatError(f"the key file's {name} does not match its secret key "
                                     f"(expected {value!r})")
        return key

    def to_json(self) -> dict[str, str]:
        """The key file object (contains the secret: write it with mode 0600)."""
        return {
            "id": self.verification_method,
            "type": "Multikey",
            "controller": self.did,
            "publicKeyMultibase": self.public_key_multibase,
            "secretKeyMultibase": self.secret_key_multibase,
        }

    def public_json(self) -> dict[str, str]:
        """The verification method object (Multikey, no secret) for a DID document."""
        return {
            "id": self.verification_method,
            "type": "Multikey",
            "controller": self.did,
            "publicKeyMultibase": self.public_key_multibase,
        }

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return self._public

    @property
    def public_key_multibase(self) -> str:
        return _public_multibase(self._public)

    @property
    def secret_key_multibase(self) -> str:
        return "z" + b58encode(ED25519_PRIV_PREFIX + self._seed)

    @property
    def did(self) -> str:
        """``did:key:z6Mk...``."""
        return "did:key:" + self.public_key_multibase

    @property
    def verification_method(self) -> str:
        """``did:key:z6Mk...#z6Mk...``: what a proof's ``verificationMethod`` names."""
        multibase = self.public_key_multibase
        return f"did:key:{multibase}#{multibase}"

    def resolved(self) -> ResolvedKey:
        """This key as a verifier would resolve it."""
        return ResolvedKey(public_key=self._public, controller=self.did,
                           id=self.verification_method)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data`` (deterministic)."""
        if not isinstance(data, bytes | bytearray):
            raise LocalProtocolError("sign() takes bytes")
        return self._private.sign(bytes(data))

    def __repr__(self) -> str:
        return f"KeyPair({self.did})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyPair) and other._seed == self._seed

    def __hash__(self) -> int:
        return hash(self._public)
