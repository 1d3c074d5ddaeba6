"""Gossip messages: frozen dataclasses validated on construction, and their strict JSON form.

Why this shape (the h11 lesson): a message that exists is well-formed. Constructors check
every structural rule (id sizes, sorted bounds, counts against hard caps) and raise
:class:`~confiance.protocol.errors.LocalProtocolError`, because building a bad message is
*our* bug. Parsing bytes from a peer goes through :func:`parse_message`, which applies the
configurable :class:`GossipLimits` first and turns every failure into
:class:`~confiance.protocol.errors.GossipError`, because there it is *their* mistake.

Plumtree keeps one broadcast tree per *root* (the node where a broadcast started), as
riak_core's broadcast does: with a single shared tree, concurrent broadcasts from different
origins prune different links of the same cycle and cut the tree apart. ``ihave``,
``graft`` and ``push`` may therefore carry ``roots`` parallel to their items, and ``prune``
and ``ack`` name the roots they prune; ``""`` is the shared default tree.

Content ids travel as base64url without padding (43 characters for a 32-byte SHA-256
digest, the tail of the RFC 6920 ``ni:///sha-256;`` form). Reconciliation bounds are id
prefixes (1..32 bytes, last byte non-zero, meaning the prefix padded with zero bytes) or
``null`` for +infinity. The wire format is specified in ``specs/gossip.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Final, TypeAlias

from ..errors import ConfianceError, GossipError, LocalProtocolError
from ..model import format_datetime, parse_datetime

__all__ = [
    "DEFAULT_LIMITS",
    "FINGERPRINT_SIZE",
    "ID_SIZE",
    "PROTOCOL_VERSION",
    "Ack",
    "Bound",
    "Close",
    "Error",
    "Filters",
    "FingerprintRange",
    "GossipLimits",
    "Graft",
    "Hello",
    "HelloProof",
    "IdListRange",
    "Ihave",
    "Message",
    "MessageType",
    "Prune",
    "Push",
    "Range",
    "Reconcile",
    "SkipRange",
    "Want",
    "Welcome",
    "bound_key",
    "decode_id",
    "encode_id",
    "encode_message",
    "message_from_json",
    "message_to_json",
    "parse_message",
]

PROTOCOL_VERSION: Final = 1
ID_SIZE: Final = 32
FINGERPRINT_SIZE: Final = 16

# Hard caps checked by constructors: no configuration may exceed them.
_HARD_MAX_IDS: Final = 1_000_000
_HARD_MAX_ITEMS: Final = 100_000
_MAX_TEXT: Final = 2048
_MAX_FILTER_ITEMS: Final = 64
_MAX_ROOT: Final = 256
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, kw_only=True)
class GossipLimits:
    """Limits applied to messages from peers (and to what we send, so we never exceed them).

    Attributes
    ----------
    max_message_bytes:
        Encoded size of one message (an HTTP body). Checked before parsing.
    max_ids:
        Ids in one ``ihave``, ``want`` or ``graft``.
    max_assertions:
        Documents in one ``push``.
    max_ranges:
        Ranges in one ``reconcile``.
    max_range_ids:
        Ids summed over the id lists of one ``reconcile``.
    max_depth:
        JSON nesting depth (a pushed credential is nested a few levels inside a message).
    """

    max_message_bytes: int = 4 * 1024 * 1024
    max_ids: int = 10_000
    max_assertions: int = 256
    max_ranges: int = 8_192
    max_range_ids: int = 100_000
    max_depth: int = 40

    def __post_init__(self) -> None:
        for name in ("max_message_bytes", "max_ids", "max_assertions", "max_ranges",
                     "max_range_ids", "max_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LocalProtocolError(f"GossipLimits.{name} must be a positive integer")
        if self.max_ids > _HARD_MAX_IDS or self.max_range_ids > _HARD_MAX_IDS:
            raise LocalProtocolError(f"id limits may not exceed {_HARD_MAX_IDS}")
        if self.max_assertions > _HARD_MAX_ITEMS or self.max_ranges > _HARD_MAX_ITEMS:
            raise LocalProtocolError(f"item limits may not exceed {_HARD_MAX_ITEMS}")


DEFAULT_LIMITS: Final = GossipLimits()


class MessageType(StrEnum):
    """The ``type`` member of every gossip message."""

    HELLO = "hello"
    WELCOME = "welcome"
    RECONCILE = "reconcile"
    IHAVE = "ihave"
    WANT = "want"
    GRAFT = "graft"
    PUSH = "push"
    PRUNE = "prune"
    ACK = "ack"
    ERROR = "error"
    CLOSE = "close"


# --------------------------------------------------------------------------- ids and bounds

def encode_id(digest: bytes) -> str:
    """A 32-byte content id as base64url without padding (43 characters)."""
    if len(digest) != ID_SIZE:
        raise LocalProtocolError(f"a content id is {ID_SIZE} bytes, got {len(digest)}")
    return _b64(digest)


def decode_id(text: object) -> bytes:
    """Parse a content id strictly; raises :class:`GossipError` on anything else."""
    raw = _unb64(text, "content id")
    if len(raw) != ID_SIZE:
        raise GossipError(f"a content id is {ID_SIZE} bytes, got {len(raw)}")
    return raw


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str) or len(text) > 4 * _HARD_MAX_IDS:
        raise GossipError(f"{what} must be a base64url string")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise GossipError(f"{what} is not valid base64url: {text!r:.60}") from None
    if _b64(raw) != text:  # padding, '+', '/', stray bits: one canonical spelling only
        raise GossipError(f"{what} is not canonical unpadded base64url: {text!r:.60}")
    return raw


Bound: TypeAlias = bytes | None
"""Upper bound of a reconciliation range: an id prefix (zero-padded) or None for +infinity."""


def bound_key(bound: Bound) -> bytes:
    """The 33-byte sort key of a bound: ids compare below it iff ``id < key``."""
    if bound is None:
        return b"\xff" * (ID_SIZE + 1)
    return bound.ljust(ID_SIZE, b"\x00")


def _check_bound(bound: object) -> Bound:
    if bound is None:
        return None
    if not isinstance(bound, bytes) or not 1 <= len(bound) <= ID_SIZE or bound[-1] == 0:
        raise LocalProtocolError(
            "a bound is None or 1..32 bytes whose last byte is not zero (canonical prefix)"
        )
    return bound


def _check_ids(ids: object, what: str, *, allow_empty: bool = True) -> tuple[bytes, ...]:
    if not isinstance(ids, tuple):
        raise LocalProtocolError(f"{what} must be a tuple of ids")
    if not ids and not allow_empty:
        raise LocalProtocolError(f"{what} must name at least one id")
    if len(ids) > _HARD_MAX_IDS:
        raise LocalProtocolError(f"{what} names more than {_HARD_MAX_IDS} ids")
    for item in ids:
        if not isinstance(item, bytes) or len(item) != ID_SIZE:
            raise LocalProtocolError(f"{what}: every id is {ID_SIZE} bytes")
    if len(set(ids)) != len(ids):
        raise LocalProtocolError(f"{what} repeats an id")
    return ids


def _check_text(value: object, what: str, *, limit: int = _MAX_TEXT, empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > limit or (not empty and not value):
        raise LocalProtocolError(f"{what} must be a string of at most {limit} characters")
    if _CONTROL.search(value):
        raise LocalProtocolError(f"{what} contains control characters")
    return value


def _check_version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise LocalProtocolError("version must be an integer in 1..65535")
    return value


# --------------------------------------------------------------------------- messages

@dataclass(frozen=True, kw_only=True)
class Filters:
    """What an initiator wants exchanged: empty tuples mean "everything".

    A document passes when its kind, its trust context and its issuer each pass the
    corresponding list. Reconciliation then runs over the filtered set on both sides.
    """

    kinds: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    issuers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("kinds", "contexts", "issuers"):
            items = getattr(self, name)
            if not isinstance(items, tuple) or len(items) > _MAX_FILTER_ITEMS:
                raise LocalProtocolError(f"filters.{name}: a tuple of at most "
                                         f"{_MAX_FILTER_ITEMS} strings")
            for item in items:
                _check_text(item, f"filters.{name} item")
            if len(set(items)) != len(items):
                raise LocalProtocolError(f"filters.{name} repeats a value")

    @property
    def empty(self) -> bool:
        return not (self.kinds or self.contexts or self.issuers)

    def matches(self, *, kind: str, context: str | None, issuer: str) -> bool:
        """Does a document with these properties pass the filters?"""
        return ((not self.kinds or kind in self.kinds)
                and (not self.contexts or context in self.contexts)
                and (not self.issuers or issuer in self.issuers))

    def to_json(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in ("kinds", "contexts", "issuers")
                if getattr(self, name)}


@dataclass(frozen=True, kw_only=True)
class Message:
    """Base of every gossip message; ``TYPE`` is the wire ``type``."""

    TYPE: ClassVar[MessageType]


MIN_NONCE: Final = 16
MAX_NONCE: Final = 64


@dataclass(frozen=True, kw_only=True)
class HelloProof:
    """The initiator's signature over its ``hello`` (see :mod:`.auth`, which makes and checks
    it): who it is for (``to``: the responder's DID), a fresh ``nonce`` and the time it was
    made, signed by ``verification_method`` (the initiator node's ``<did>#key-N``).

    Optional in the message format (a responder that does not ask for it may ignore it); a
    Confiance node refuses a ``hello`` without a valid one.
    """

    to: str
    nonce: bytes
    created: datetime
    verification_method: str
    proof_value: str

    def __post_init__(self) -> None:
        _check_text(self.to, "hello.proof.to")
        _check_text(self.verification_method, "hello.proof.verificationMethod")
        if not isinstance(self.nonce, bytes) or not MIN_NONCE <= len(self.nonce) <= MAX_NONCE:
            raise LocalProtocolError(f"hello.proof.nonce is {MIN_NONCE}..{MAX_NONCE} bytes")
        if not isinstance(self.created, datetime) or self.created.utcoffset() is None:
            raise LocalProtocolError("hello.proof.created must be an aware datetime")
        if not isinstance(self.proof_value, str) or not self.proof_value.startswith("z") \
                or not 2 <= len(self.proof_value) <= 200 or _CONTROL.search(self.proof_value):
            raise LocalProtocolError("hello.proof.proofValue is multibase base58btc ('z...')")

    def unsigned_json(self) -> dict[str, str]:
        """The members the signature covers (all but ``proofValue``)."""
        return {"to": self.to, "nonce": _b64(self.nonce),
                "created": format_datetime(self.created),
                "verificationMethod": self.verification_method}

    def to_json(self) -> dict[str, str]:
        return {**self.unsigned_json(), "proofValue": self.proof_value}


@dataclass(frozen=True, kw_only=True)
class Hello(Message):
    """Initiator: opens a session, says who it is and what it wants exchanged, and proves
    it (``proof``, signed by the node named by ``node``; see :mod:`.auth`)."""

    TYPE: ClassVar[MessageType] = MessageType.HELLO
    node: str
    version: int = PROTOCOL_VERSION
    filters: Filters = field(default_factory=Filters)
    proof: HelloProof | None = None

    def __post_init__(self) -> None:
        _check_text(self.node, "hello.node")
        _check_version(self.version)
        if not isinstance(self.filters, Filters):
            raise LocalProtocolError("hello.filters must be a Filters")
        if self.proof is not None and not isinstance(self.proof, HelloProof):
            raise LocalProtocolError("hello.proof must be a HelloProof")


@dataclass(frozen=True, kw_only=True)
class Welcome(Message):
    """Responder: accepts the session; ``session`` is echoed by later requests."""

    TYPE: ClassVar[MessageType] = MessageType.WELCOME
    node: str
    session: str
    version: int = PROTOCOL_VERSION

    def __post_init__(self) -> None:
        _check_text(self.node, "welcome.node")
        _check_version(self.version)
        if not isinstance(self.session, str) or not _TOKEN.match(self.session):
            raise LocalProtocolError("welcome.session must be 1..128 characters [A-Za-z0-9_-]")


@dataclass(frozen=True, kw_only=True)
class SkipRange:
    """The ids below ``bound`` (since the previous bound) need no more work."""

    bound: Bound

    def __post_init__(self) -> None:
        _check_bound(self.bound)


@dataclass(frozen=True, kw_only=True)
class FingerprintRange:
    """The sender's fingerprint of its ids in the range."""

    bound: Bound
    fingerprint: bytes

    def __post_init__(self) -> None:
        _check_bound(self.bound)
        if not isinstance(self.fingerprint, bytes) or len(self.fingerprint) != FINGERPRINT_SIZE:
            raise LocalProtocolError(f"a fingerprint is {FINGERPRINT_SIZE} bytes")


@dataclass(frozen=True, kw_only=True)
class IdListRange:
    """All the sender's ids in the range, sorted."""

    bound: Bound
    ids: tuple[bytes, ...]

    def __post_init__(self) -> None:
        _check_bound(self.bound)
        _check_ids(self.ids, "id list")
        if any(a >= b for a, b in zip(self.ids, self.ids[1:], strict=False)):
            raise LocalProtocolError("an id list must be sorted in increasing order")


Range: TypeAlias = SkipRange | FingerprintRange | IdListRange


@dataclass(frozen=True, kw_only=True)
class Reconcile(Message):
    """One step of range-based set reconciliation (see :mod:`.reconcile`).

    Ranges are contiguous: each covers the ids from the previous bound (or the start) up to
    its own bound, exclusive. Bounds strictly increase; only the last may be +infinity;
    ids beyond the last bound are implicitly skipped.
    """

    TYPE: ClassVar[MessageType] = MessageType.RECONCILE
    ranges: tuple[Range, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.ranges, tuple) or len(self.ranges) > _HARD_MAX_ITEMS:
            raise LocalProtocolError(f"reconcile.ranges: a tuple of at most {_HARD_MAX_ITEMS}")
        previous = b""
        for index, item in enumerate(self.ranges):
            if not isinstance(item, SkipRange | FingerprintRange | IdListRange):
                raise LocalProtocolError("reconcile.ranges holds SkipRange, FingerprintRange "
                                         "or IdListRange")
            key = bound_key(item.bound)
            if key <= previous:
                raise LocalProtocolError(f"reconcile range {index}: bounds must increase")
            if item.bound is None and index != len(self.ranges) - 1:
                raise LocalProtocolError("only the last range may end at +infinity")
            if isinstance(item, IdListRange) and item.ids and not (
                previous <= item.ids[0] and item.ids[-1] < key
            ):
                raise LocalProtocolError(f"reconcile range {index}: an id lies outside it")
            previous = key


def _check_roots(roots: object, what: str, *, parallel_to: int | None) -> tuple[str, ...]:
    """Plumtree roots: origin nodes naming a broadcast tree ("" is the shared tree)."""
    if not isinstance(roots, tuple) or len(roots) > _HARD_MAX_IDS:
        raise LocalProtocolError(f"{what} must be a tuple of root names")
    for root in roots:
        _check_text(root, f"{what} item", limit=_MAX_ROOT, empty=True)
    if parallel_to is None:
        if len(set(roots)) != len(roots):
            raise LocalProtocolError(f"{what} repeats a root")
    elif roots and len(roots) != parallel_to:
        raise LocalProtocolError(f"{what} is empty or parallel to the items "
                                 f"({len(roots)} roots for {parallel_to} items)")
    return roots


@dataclass(frozen=True, kw_only=True)
class Ihave(Message):
    """Lazy push: ids the sender holds (Plumtree IHAVE); answered by ``want``.

    ``roots``, when given, is parallel to ``ids``: the origin node of each broadcast.
    """

    TYPE: ClassVar[MessageType] = MessageType.IHAVE
    ids: tuple[bytes, ...]
    roots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_ids(self.ids, "ihave.ids", allow_empty=False)
        _check_roots(self.roots, "ihave.roots", parallel_to=len(self.ids))


@dataclass(frozen=True, kw_only=True)
class Want(Message):
    """Ids requested: the answer to ``ihave`` (a subset of it, maybe empty) or a pull."""

    TYPE: ClassVar[MessageType] = MessageType.WANT
    ids: tuple[bytes, ...]

    def __post_init__(self) -> None:
        _check_ids(self.ids, "want.ids")


@dataclass(frozen=True, kw_only=True)
class Graft(Message):
    """Plumtree GRAFT: send me these, and push eagerly to me from now on (in these roots)."""

    TYPE: ClassVar[MessageType] = MessageType.GRAFT
    ids: tuple[bytes, ...]
    roots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_ids(self.ids, "graft.ids")
        _check_roots(self.roots, "graft.roots", parallel_to=len(self.ids))


@dataclass(frozen=True, kw_only=True)
class Push(Message):
    """Signed assertion documents (JSON objects). The receiver computes ids and verifies.

    ``roots``, when given, is parallel to ``assertions``: the origin node of each one, so
    that each origin's broadcast tree is shaped separately.
    """

    TYPE: ClassVar[MessageType] = MessageType.PUSH
    assertions: tuple[Mapping[str, Any], ...]
    roots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.assertions, tuple) or len(self.assertions) > _HARD_MAX_ITEMS:
            raise LocalProtocolError(f"push.assertions: a tuple of at most {_HARD_MAX_ITEMS}")
        for doc in self.assertions:
            if not isinstance(doc, Mapping) or not all(isinstance(k, str) for k in doc):
                raise LocalProtocolError("push.assertions: every document is a JSON object")
        _check_roots(self.roots, "push.roots", parallel_to=len(self.assertions))


@dataclass(frozen=True, kw_only=True)
class Prune(Message):
    """Plumtree PRUNE: stop pushing payloads to me in these roots; announce ids instead."""

    TYPE: ClassVar[MessageType] = MessageType.PRUNE
    roots: tuple[str, ...] = ("",)

    def __post_init__(self) -> None:
        _check_roots(self.roots, "prune.roots", parallel_to=None)


@dataclass(frozen=True, kw_only=True)
class Ack(Message):
    """Answer to ``push`` or ``prune``; ``prune`` names roots in which to demote us to lazy."""

    TYPE: ClassVar[MessageType] = MessageType.ACK
    prune: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_roots(self.prune, "ack.prune", parallel_to=None)


@dataclass(frozen=True, kw_only=True)
class Error(Message):
    """Responder: the session ends; ``code`` is a problem slug (see protocol.errors)."""

    TYPE: ClassVar[MessageType] = MessageType.ERROR
    code: str
    detail: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _SLUG.match(self.code):
            raise LocalProtocolError("error.code must be a slug like 'gossip-protocol-error'")
        _check_text(self.detail, "error.detail", limit=1024, empty=True)


@dataclass(frozen=True, kw_only=True)
class Close(Message):
    """Initiator: the session ends (done, timed out, or the peer misbehaved)."""

    TYPE: ClassVar[MessageType] = MessageType.CLOSE
    reason: str = ""

    def __post_init__(self) -> None:
        _check_text(self.reason, "close.reason", limit=256, empty=True)


_CLASSES: Final[dict[MessageType, type[Message]]] = {
    cls.TYPE: cls
    for cls in (Hello, Welcome, Reconcile, Ihave, Want, Graft, Push, Prune, Ack, Error, Close)
}

# --------------------------------------------------------------------------- to JSON


def _range_to_json(item: Range) -> list[Any]:
    bound = None if item.bound is None else _b64(item.bound)
    if isinstance(item, SkipRange):
        return ["s", bound]
    if isinstance(item, FingerprintRange):
        return ["f", bound, _b64(item.fingerprint)]
    return ["i", bound, [_b64(x) for x in item.ids]]


def message_to_json(message: Message) -> dict[str, Any]:
    """The JSON object of a message (``type`` first)."""
    out: dict[str, Any] = {"type": str(message.TYPE)}
    if isinstance(message, Hello):
        out.update(version=message.version, node=message.node)
        if not message.filters.empty:
            out["filters"] = message.filters.to_json()
        if message.proof is not None:
            out["proof"] = message.proof.to_json()
    elif isinstance(message, Welcome):
        out.update(version=message.version, node=message.node, session=message.session)
    elif isinstance(message, Reconcile):
        out["ranges"] = [_range_to_json(r) for r in message.ranges]
    elif isinstance(message, Ihave | Want | Graft):
        out["ids"] = [_b64(x) for x in message.ids]
        if not isinstance(message, Want) and message.roots:
            out["roots"] = list(message.roots)
    elif isinstance(message, Push):
        out["assertions"] = [dict(doc) for doc in message.assertions]
        if message.roots:
            out["roots"] = list(message.roots)
    elif isinstance(message, Prune):
        out["roots"] = list(message.roots)
    elif isinstance(message, Ack):
        if message.prune:
            out["prune"] = list(message.prune)
    elif isinstance(message, Error):
        out["code"] = message.code
        if message.detail:
            out["detail"] = message.detail
    elif isinstance(message, Close):
        if message.reason:
            out["reason"] = message.reason
    else:
        raise LocalProtocolError(f"not a gossip message: {type(message).__name__}")
    return out


def encode_message(message: Message) -> bytes:
    """Compact UTF-8 JSON of a message."""
    try:
        return json.dumps(message_to_json(message), separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:  # a pushed document that is not JSON
        raise LocalProtocolError(f"message cannot be encoded as JSON: {exc}") from None


# --------------------------------------------------------------------------- from JSON

_KEYS: Final[dict[MessageType, tuple[frozenset[str], frozenset[str]]]] = {
    # type: (required keys, optional keys), "type" excluded
    MessageType.HELLO: (frozenset({"version", "node"}), frozenset({"filters", "proof"})),
    MessageType.WELCOME: (frozenset({"version", "node", "session"}), frozenset()),
    MessageType.RECONCILE: (frozenset({"ranges"}), frozenset()),
    MessageType.IHAVE: (frozenset({"ids"}), frozenset({"roots"})),
    MessageType.WANT: (frozenset({"ids"}), frozenset()),
    MessageType.GRAFT: (frozenset({"ids"}), frozenset({"roots"})),
    MessageType.PUSH: (frozenset({"assertions"}), frozenset({"roots"})),
    MessageType.PRUNE: (frozenset({"roots"}), frozenset()),
    MessageType.ACK: (frozenset(), frozenset({"prune"})),
    MessageType.ERROR: (frozenset({"code"}), frozenset({"detail"})),
    MessageType.CLOSE: (frozenset(), frozenset({"reason"})),
}


def _list(value: object, what: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise GossipError(f"{what} must be a JSON array")
    if len(value) > limit:
        raise GossipError(f"{what} holds {len(value)} items, over the limit of {limit}",
                          limit=limit)
    return value


def _parse_bound(value: object) -> Bound:
    if value is None:
        return None
    raw = _unb64(value, "range bound")
    if not 1 <= len(raw) <= ID_SIZE or raw[-1] == 0:
        raise GossipError("a range bound is 1..32 bytes whose last byte is not zero")
    return raw


def _parse_ranges(value: object, limits: GossipLimits) -> tuple[Range, ...]:
    ranges: list[Range] = []
    total_ids = 0
    for item in _list(value, "reconcile.ranges", limits.max_ranges):
        if not isinstance(item, list) or not item or item[0] not in ("s", "f", "i"):
            raise GossipError('a range is ["s", bound], ["f", bound, fp] or ["i", bound, ids]')
        mode = item[0]
        if len(item) != (2 if mode == "s" else 3):
            raise GossipError(f"a {mode!r} range has {2 if mode == 's' else 3} members")
        bound = _parse_bound(item[1])
        if mode == "s":
            ranges.append(SkipRange(bound=bound))
        elif mode == "f":
            fp = _unb64(item[2], "fingerprint")
            if len(fp) != FINGERPRINT_SIZE:
                raise GossipError(f"a fingerprint is {FINGERPRINT_SIZE} bytes")
            ranges.append(FingerprintRange(bound=bound, fingerprint=fp))
        else:
            ids = _list(item[2], "range id list", limits.max_range_ids - total_ids)
            total_ids += len(ids)
            ranges.append(IdListRange(bound=bound, ids=tuple(decode_id(x) for x in ids)))
    return tuple(ranges)


def _parse_ids(value: object, what: str, limits: GossipLimits) -> tuple[bytes, ...]:
    return tuple(decode_id(x) for x in _list(value, what, limits.max_ids))


def _parse_roots(value: object, what: str, limit: int) -> tuple[str, ...]:
    roots = _list(value, what, limit)
    if not all(isinstance(x, str) for x in roots):
        raise GossipError(f"{what} must hold strings")
    return tuple(roots)


def _parse_filters(value: object) -> Filters:
    if not isinstance(value, dict) or not set(value) <= {"kinds", "contexts", "issuers"}:
        raise GossipError("hello.filters is an object with kinds, contexts, issuers")
    parts: dict[str, tuple[str, ...]] = {}
    for name, items in value.items():
        items = _list(items, f"filters.{name}", _MAX_FILTER_ITEMS)
        if not all(isinstance(x, str) for x in items):
            raise GossipError(f"filters.{name} must hold strings")
        parts[name] = tuple(items)
    return Filters(**parts)


_PROOF_KEYS: Final = frozenset({"to", "nonce", "created", "verificationMethod", "proofValue"})


def _parse_proof(value: object) -> HelloProof:
    if not isinstance(value, dict) or set(value) != _PROOF_KEYS:
        raise GossipError("hello.proof is an object with exactly "
                          + ", ".join(sorted(_PROOF_KEYS)))
    created = value["created"]
    if not isinstance(created, str) or len(created) > 64:
        raise GossipError("hello.proof.created must be an XML Schema dateTime string")
    try:
        when = parse_datetime(created, "hello.proof.created")
    except ConfianceError as exc:
        raise GossipError(exc.message) from None
    if format_datetime(when) != created:  # one spelling: the signature covers the text
        raise GossipError("hello.proof.created must be in UTC with 'Z', seconds precision "
                          "unless finer is needed (like 2026-01-31T12:00:00Z)")
    return HelloProof(to=value["to"], nonce=_unb64(value["nonce"], "hello.proof.nonce"),
                      created=when, verification_method=value["verificationMethod"],
                      proof_value=value["proofValue"])


def _strict_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GossipError(f"{what} must be an integer")
    return value


def message_from_json(obj: object, limits: GossipLimits = DEFAULT_LIMITS) -> Message:
    """Build a message from parsed JSON, strictly (unknown members are refused).

    Raises
    ------
    GossipError
        Wrong shape, unknown type or member, a limit exceeded, or a rule of the message
        broken (the constructor's :class:`LocalProtocolError` is translated here).
    """
    if not isinstance(obj, dict):
        raise GossipError("a gossip message is a JSON object")
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in _CLASSES:
        raise GossipError(f"unknown gossip message type {kind!r:.40}",
                          allowed=sorted(str(t) for t in MessageType))
    mtype = MessageType(kind)
    required, optional = _KEYS[mtype]
    keys = set(obj) - {"type"}
    if missing := required - keys:
        raise GossipError(f"{kind} message lacks {', '.join(sorted(missing))}")
    if extra := keys - required - optional:
        raise GossipError(f"{kind} message has unknown member(s) {', '.join(sorted(extra))}")
    try:
        return _build(mtype, obj, limits)
    except LocalProtocolError as exc:
        raise GossipError(f"invalid {kind} message: {exc.message}") from None


def _build(mtype: MessageType, obj: dict[str, Any], limits: GossipLimits) -> Message:
    if mtype is MessageType.HELLO:
        filters = _parse_filters(obj["filters"]) if "filters" in obj else Filters()
        proof = _parse_proof(obj["proof"]) if "proof" in obj else None
        return Hello(node=obj["node"], version=_strict_int(obj["version"], "version"),
                     filters=filters, proof=proof)
    if mtype is MessageType.WELCOME:
        return Welcome(node=obj["node"], session=obj["session"],
                       version=_strict_int(obj["version"], "version"))
    if mtype is MessageType.RECONCILE:
        return Reconcile(ranges=_parse_ranges(obj["ranges"], limits))
    if mtype is MessageType.IHAVE:
        return Ihave(ids=_parse_ids(obj["ids"], "ihave.ids", limits),
                     roots=_parse_roots(obj.get("roots", []), "ihave.roots", limits.max_ids))
    if mtype is MessageType.WANT:
        return Want(ids=_parse_ids(obj["ids"], "want.ids", limits))
    if mtype is MessageType.GRAFT:
        return Graft(ids=_parse_ids(obj["ids"], "graft.ids", limits),
                     roots=_parse_roots(obj.get("roots", []), "graft.roots", limits.max_ids))
    if mtype is MessageType.PUSH:
        docs = _list(obj["assertions"], "push.assertions", limits.max_assertions)
        return Push(assertions=tuple(docs), roots=_parse_roots(
            obj.get("roots", []), "push.roots", limits.max_assertions))
    if mtype is MessageType.PRUNE:
        return Prune(roots=_parse_roots(obj["roots"], "prune.roots", limits.max_ids))
    if mtype is MessageType.ACK:
        return Ack(prune=_parse_roots(obj.get("prune", []), "ack.prune", limits.max_ids))
    if mtype is MessageType.ERROR:
        return Error(code=obj["code"], detail=obj.get("detail", ""))
    return Close(reason=obj.get("reason", ""))


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)  # C; a duplicate shows as a shorter dict, then is named below
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise GossipError(f"duplicate JSON member {key!r:.40}")
            seen.add(key)
    return out


def _reject_constant(name: str) -> Any:
    raise GossipError(f"{name} is not JSON")


def _check_depth(obj: object, limit: int) -> None:
    """Refuse containers nested deeper than ``limit`` (the outermost is at depth 1).

    Level by level, without a tuple per value: a push of 64 documents holds thousands.
    ``obj`` is parsed JSON: its containers are exactly ``dict`` and ``list``.
    """
    level: list[Any] = [obj] if type(obj) in _CONTAINERS else []
    depth = 1
    while level:
        if depth > limit:
            raise GossipError(f"JSON nested deeper than {limit} levels", limit=limit)
        below: list[Any] = []
        for value in level:
            children = value.values() if type(value) is dict else value
            below += [c for c in children if type(c) in _CONTAINERS]
        level = below
        depth += 1


_CONTAINERS = frozenset({dict, list})


def parse_message(data: bytes | str, limits: GossipLimits = DEFAULT_LIMITS) -> Message:
    """Parse one message received from a peer: size, UTF-8, strict JSON, depth, shape.

    Raises
    ------
    GossipError
        For every defect; the error's ``detail`` names the limit when one was hit.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if not isinstance(raw, bytes | bytearray):
        raise GossipError("a gossip message is bytes")
    if len(raw) > limits.max_message_bytes:
        raise GossipError(f"message of {len(raw)} bytes exceeds the limit of "
                          f"{limits.max_message_bytes}", limit=limits.max_message_bytes)
    try:
        text = bytes(raw).decode("utf-8")
        obj = json.loads(text, object_pairs_hook=_no_duplicate_keys,
                         parse_constant=_reject_constant)
    except GossipError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise GossipError(f"message is not valid UTF-8 JSON: {str(exc)[:120]}") from None
    _check_depth(obj, limits.max_depth)
    return message_from_json(obj, limits)
