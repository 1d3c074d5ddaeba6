"""Authenticated ``hello``: the initiator proves it is the recognised peer it claims to be.

Why: a responder accepts gossip only from the peers it recognises, and scores them; without
proof, whoever reaches ``POST /gossip`` could claim a recognised peer's URL and send
garbage in its name until that honest peer is dropped. So the initiator signs its
``hello`` with its node's current signing key (``<its did>#key-N``, published in its DID
document), and the responder checks, before it opens a session:

1. the proof is there and names a key of the claimed peer's DID (``peer_did``);
2. ``to`` is the responder's own DID (a hello made for another node is useless here);
3. ``created`` is within ``window`` (60 s) of the responder's clock, either way;
4. the key (resolved by the caller: the peer's pinned keys) was valid at ``created``;
5. the Ed25519 signature over the JCS form of the signed members verifies;
6. the nonce was not seen within the window (:class:`NonceCache`): a captured hello
   cannot be replayed.

The signed object (RFC 8785 JCS, UTF-8)::

    {"type": "hello", "version": 1, "from": "<hello.node>", "filters": {...},
     "to": "<responder DID>", "nonce": "<base64url>", "created": "<dateTime>",
     "verificationMethod": "<initiator DID>#key-N"}

Nothing here does I/O or reads a clock: ``now`` and the nonce are inputs, and the caller
resolves the key. Every refusal is a :class:`HelloRefused` (a ``GossipError``) whose
``reason`` says which check failed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from ..canonical import canonicalize_jcs
from ..errors import ConfianceError, GossipError, LocalProtocolError
from ..keys import ResolvedKey, b58decode, b58encode, verify_signature
from .messages import MAX_NONCE, MIN_NONCE, Hello, HelloProof

__all__ = [
    "HELLO_WINDOW",
    "HelloRefused",
    "HelloSigner",
    "NonceCache",
    "check_hello",
    "hello_signing_input",
    "sign_hello",
    "verify_hello_signature",
]

HELLO_WINDOW: Final = timedelta(seconds=60)


class HelloRefused(GossipError):
    """A ``hello`` whose proof is missing or does not hold (``reason``: which check)."""

    def __init__(self, message: str, *, reason: str, **detail: object) -> None:
        super().__init__(message, reason=reason, **detail)
        self.reason = reason


class HelloSigner(Protocol):
    """What signs a hello: a key pair naming the node's verification method."""

    @property
    def verification_method(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


def hello_signing_input(hello: Hello, proof: HelloProof) -> bytes:
    """The bytes the signature covers (JCS of the signed members, see the module doc)."""
    signed: dict[str, Any] = {"type": "hello", "version": hello.version, "from": hello.node,
                              "filters": hello.filters.to_json(), **proof.unsigned_json()}
    return canonicalize_jcs(signed)


def sign_hello(hello: Hello, *, key: HelloSigner, to: str, nonce: bytes,
               created: datetime) -> Hello:
    """``hello`` with a proof for the responder whose DID is ``to``.

    ``nonce`` must be fresh random bytes (16 to 64) and ``created`` the current time: the
    responder refuses a nonce it has seen and a time more than :data:`HELLO_WINDOW` off.
    """
    if not isinstance(nonce, bytes) or not MIN_NONCE <= len(nonce) <= MAX_NONCE:
        raise LocalProtocolError(f"a hello nonce is {MIN_NONCE}..{MAX_NONCE} random bytes")
    unsigned = HelloProof(to=to, nonce=nonce, created=created,
                          verification_method=key.verification_method, proof_value="z1")
    signature = key.sign(hello_signing_input(hello, unsigned))
    return replace(hello, proof=replace(unsigned, proof_value="z" + b58encode(signature)))


def check_hello(hello: Hello, *, peer_did: str, own_did: str, now: datetime,
                window: timedelta = HELLO_WINDOW) -> HelloProof:
    """Checks 1 to 3 (no key needed); returns the proof, whose key the caller resolves.

    Raises
    ------
    HelloRefused
        ``reason`` is ``missing``, ``wrong-key``, ``wrong-audience`` or ``stale``.
    """
    proof = hello.proof
    if proof is None:
        raise HelloRefused("hello carries no proof: sign it with your node key",
                           reason="missing")
    if proof.verification_method.partition("#")[0] != peer_did \
            or "#" not in proof.verification_method:
        raise HelloRefused(f"the hello is signed by {proof.verification_method:.200}, not "
                           f"by a key of {peer_did:.200} (the DID of {hello.node:.200})",
                           reason="wrong-key")
    if proof.to != own_did:
        raise HelloRefused(f"the hello is for {proof.to:.200}, not for {own_did:.200}",
                           reason="wrong-audience")
    if abs(now - proof.created) > window:
        raise HelloRefused(f"the hello was made at {proof.created.isoformat()}, more than "
                           f"{window.total_seconds():g} s from this node's clock "
                           f"({now.isoformat()})", reason="stale")
    return proof


def verify_hello_signature(hello: Hello, key: ResolvedKey) -> None:
    """Checks 4 and 5: ``key`` (the resolved ``verificationMethod``) was valid when the
    hello was made and its signature verifies.

    Raises
    ------
    HelloRefused
        ``reason`` is ``missing``, ``key-not-valid`` or ``bad-signature``.
    """
    proof = hello.proof
    if proof is None:
        raise HelloRefused("hello carries no proof", reason="missing")
    if not key.covers(proof.created):
        raise HelloRefused(f"{proof.verification_method:.200} was not a valid key at "
                           f"{proof.created.isoformat()}", reason="key-not-valid")
    try:
        signature = b58decode(proof.proof_value[1:])
    except ConfianceError:
        signature = b""
    if len(signature) != 64 or not verify_signature(
            key.public_key, signature, hello_signing_input(hello, proof)):
        raise HelloRefused("the hello's signature does not verify with "
                           f"{proof.verification_method:.200}", reason="bad-signature")


class NonceCache:
    """The nonces of accepted hellos, kept while a replay would still be on time (check 6).

    A nonce is remembered until ``created + window`` (after which :func:`check_hello`
    refuses the hello as stale anyway). At most ``max_entries`` are kept; beyond, the
    oldest go first. Only nonces of hellos whose signature verified are added, so the
    cache fills at the pace of the recognised peers, not of an attacker.
    """

    def __init__(self, *, window: timedelta = HELLO_WINDOW, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise LocalProtocolError("NonceCache.max_entries must be positive")
        self.window = window
        self.max_entries = max_entries
        self._expiry: OrderedDict[bytes, datetime] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def add(self, nonce: bytes, *, created: datetime, now: datetime) -> None:
        """Record ``nonce``; raises :class:`HelloRefused` (``replayed``) if seen already."""
        self._expire(now)
        expiry = self._expiry.get(nonce)
        if expiry is not None and expiry >= now:
            raise HelloRefused("this hello's nonce was used already (a replay)",
                               reason="replayed")
        self._expiry[nonce] = created + self.window
        self._expiry.move_to_end(nonce)
        while len(self._expiry) > self.max_entries:
            self._expiry.popitem(last=False)

    def _expire(self, now: datetime) -> None:
        # insertion order is roughly expiry order (created is within the window of now);
        # stop at the first live entry: a late expiry is harmless, it only costs memory
        while self._expiry:
            nonce, expiry = next(iter(self._expiry.items()))
            if expiry >= now:
                break
            del self._expiry[nonce]
