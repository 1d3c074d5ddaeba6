"""Content-addressed assertion ids: RFC 6920 ``ni`` URIs over the JCS of the signed document.

An assertion's id is ``ni:///sha-256;<digest>`` where ``<digest>`` is the unpadded
base64url encoding of SHA-256 over the RFC 8785 (JCS) bytes of the *signed* document,
proof included. Equal documents therefore have equal ids on every node (gossip dedup and
set reconciliation need nothing else), and an id names exactly one byte sequence that
anyone can recompute.

Why the signed document: two proofs over the same credential (another key, another
``created``) are different statements to store and forward, and the id must change if
any byte of what a node serves changes.

In URL paths the bare 43-character digest is used (``/assertions/<digest>``);
:func:`parse_assertion_id` accepts both forms and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from .canonical import canonicalize_jcs
from .errors import MalformedDocument

__all__ = ["ID_PREFIX", "assertion_id", "digest_of", "id_from_digest", "parse_assertion_id"]

ID_PREFIX = "ni:///sha-256;"
_DIGEST = re.compile(r"[A-Za-z0-9_-]{43}")


def digest_of(signed_doc: Mapping[str, Any]) -> bytes:
    """SHA-256 of the JCS bytes of ``signed_doc``."""
    return hashlib.sha256(canonicalize_jcs(signed_doc)).digest()


def id_from_digest(digest: bytes) -> str:
    """The ``ni:///sha-256;...`` id of a 32-byte SHA-256 digest."""
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise MalformedDocument("an assertion digest is 32 bytes (SHA-256)")
    return ID_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def assertion_id(signed_doc: Mapping[str, Any]) -> str:
    """The content id of a signed document (RFC 6920 ``ni`` URI, SHA-256 over its JCS).

    >>> assertion_id({"a": 1})
    'ni:///sha-256;AVq9f1zFei3ZS3WQ8ErYCEJzkF7jPsXOvq5iJ2qX-GI'
    """
    return id_from_digest(digest_of(signed_doc))


def parse_assertion_id(text: object) -> bytes:
    """The 32-byte digest named by ``text``: ``ni:///sha-256;<43 chars>`` or the bare digest.

    Strict: exactly 43 base64url characters with no padding, the canonical encoding (the
    two spare bits of the last character are zero), lower-case ``ni`` and ``sha-256``.
    Anything else, including path tricks such as ``..`` or ``%2F``, raises
    :class:`MalformedDocument`.
    """
    if not isinstance(text, str):
        raise MalformedDocument("an assertion id is a string")
    digest = text[len(ID_PREFIX):] if text.startswith(ID_PREFIX) else text
    if not _DIGEST.fullmatch(digest):
        raise MalformedDocument(
            f"{text[:80]!r} is not an assertion id (ni:///sha-256; and 43 base64url characters)")
    raw = base64.urlsafe_b64decode(digest + "=")
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != digest:
        raise MalformedDocument(f"{text[:80]!r} is not the canonical encoding of a digest")
    return raw
