"""How a held assertion is shown: its URL, its status, and the JSON envelope around it.

The signed document itself is served byte for byte as stored (its JCS form), so it still
verifies; what the node *says about it* (status, when received, what revoked or superseded
it) travels beside it: in headers for the bare document, or in an envelope
``{"id", "status", ..., "document": {...}}`` when JSON is asked for.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from confiance.protocol.errors import ConfianceError
from confiance.protocol.ids import id_from_digest, parse_assertion_id
from confiance.protocol.model import format_datetime

from .context import Node
from .problems import InvalidId
from .storage import StoredAssertion

__all__ = ["ID_PREFIX", "ID_ROUTE", "assertion_meta", "assertion_path", "envelope_bytes",
           "parse_path_id"]

ID_PREFIX = "ni:///sha-256;"
_MAX_ID_TEXT = 128
#: The route pattern of an id in a path: the digest, or the whole id as printed, unencoded
#: (``/assertions/ni:///sha-256;<digest>``: its slashes must not end the segment).
ID_ROUTE = "{id:(?:ni:/+sha-256;)?[^/]+}"


def parse_path_id(text: str) -> str:
    """An id from a URL segment: the full ``ni:///sha-256;...`` or just its base64url digest.

    Anything else (``../../etc/passwd``, a NUL, a 10 KB string) is a 400 ``invalid-id``
    before it goes near the store.
    """
    if len(text) > _MAX_ID_TEXT:
        raise InvalidId("an assertion id is at most 58 characters", parameter="id")
    try:
        return id_from_digest(parse_assertion_id(text))
    except ConfianceError:
        raise InvalidId(f"{text!r:.80} is not an assertion id; expected "
                        "ni:///sha-256;<43 base64url characters> or the 43 characters alone",
                        parameter="id") from None


def assertion_path(assertion_id: str) -> str:
    """The path of an assertion on this node (the short, URL-safe form of its id)."""
    return "/assertions/" + assertion_id.removeprefix(ID_PREFIX)


def assertion_meta(node: Node, stored: StoredAssertion, now: datetime) -> dict[str, Any]:
    record = stored.record
    meta: dict[str, Any] = {
        "id": record.id,
        "url": node.base_url + assertion_path(record.id),
        "status": stored.status(now),
        "kind": record.kind,
        "issuer": record.issuer,
    }
    if record.subject is not None:
        meta["subject"] = record.subject
    if record.target is not None:
        meta["target"] = record.target
    if record.context is not None:
        meta["context"] = record.context
    meta["validFrom"] = format_datetime(record.valid_from)
    if record.valid_until is not None:
        meta["validUntil"] = format_datetime(record.valid_until)
    meta["receivedAt"] = format_datetime(stored.received_at)
    if stored.revoked_by is not None:
        meta["revokedBy"] = stored.revoked_by
    if stored.superseded_by is not None:
        meta["supersededBy"] = stored.superseded_by
    if stored.decision is not None:
        meta["subjectDecision"] = "accept" if stored.decision else "reject"
    if record.status_index is not None:
        meta["credentialStatus"] = node.status_lists.entry(record.status_index)
    return meta


def envelope_bytes(node: Node, stored: StoredAssertion, now: datetime) -> bytes:
    """``assertion_meta`` plus ``"document"``: the stored bytes spliced in, not re-encoded."""
    head = json.dumps(assertion_meta(node, stored, now), ensure_ascii=False,
                      separators=(",", ":"))
    return head[:-1].encode() + b',"document":' + stored.record.document + b"}"
