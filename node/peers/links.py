"""A recognised peer as data: its address, filters, outbound queues, session and backoff.

:class:`PeerLink` is what the per-peer worker (:mod:`.worker`) drains and what the engine
(:mod:`.engine`) shows in ``GET /admin/peers``; it holds no behaviour beyond "is there work,
and when is the next deferred ask due". The helpers here read a peer's address and filters
as an operator or a ``hello`` gives them: :func:`normalise_url` (so that one peer is one key
however it was typed) and :func:`filters_from_json`, both raising ``MalformedDocument`` with
a message fit for the operator; :func:`passes` applies a peer's filters to a document not
yet verified (the filters are applied *before* verification, to spend no work on what the
peer was not asked for).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from confiance.protocol.errors import ConfianceError, MalformedDocument
from confiance.protocol.gossip import Backoff, Filters, Session
from confiance.protocol.model import KINDS

__all__ = ["PeerLink", "filters_from_json", "normalise_url", "passes", "take"]


@dataclass(eq=False, kw_only=True)
class PeerLink:
    """One recognised peer: its outbound queues, session, backoff and worker task.

    Queues map an id (digest) to the root of the broadcast tree it travels on: ``push``
    (payloads, eager), ``ihave`` (ids, lazy), ``graft`` (ids announced and never delivered),
    ``want`` (ids found missing by anti-entropy; ``want_later`` holds them for a grace
    period first), ``prune`` (roots whose tree this peer should stop pushing to us).
    """

    url: str
    name: str
    filters: Filters
    backoff: Backoff
    added_at: datetime
    did: str | None = None
    push: OrderedDict[bytes, str] = field(default_factory=OrderedDict)
    ihave: OrderedDict[bytes, str] = field(default_factory=OrderedDict)
    graft: OrderedDict[bytes, str] = field(default_factory=OrderedDict)
    want: OrderedDict[bytes, None] = field(default_factory=OrderedDict)
    want_later: dict[bytes, float] = field(default_factory=dict)
    prune: set[str] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    session: Session | None = None
    token: str | None = None
    ihave_since: float = 0.0  # when ``ihave`` last went from empty to not empty
    next_sync: float = 0.0
    syncs: int = 0
    last_success: datetime | None = None
    last_error: str | None = None
    dropped_reason: str | None = None
    dropped_at: datetime | None = None
    task: asyncio.Task[None] | None = None

    def has_work(self) -> bool:
        return bool(self.push or self.ihave or self.graft or self.want or self.prune)

    def has_urgent_work(self) -> bool:
        """Work other than announcements (which wait to be batched, see the worker)."""
        return bool(self.push or self.graft or self.want or self.prune)

    def next_due(self) -> float | None:
        """When a deferred want falls due (None: none deferred)."""
        return min(self.want_later.values()) if self.want_later else None


def normalise_url(text: object) -> str:
    """A peer's base URL: http(s), a host, no query or fragment, no trailing slash."""
    if not isinstance(text, str) or len(text) > 2048:
        raise MalformedDocument("a peer URL is a string of at most 2048 characters")
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise MalformedDocument(f"a peer URL is http(s)://host[:port][/path], got {text!r:.80}")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def filters_from_json(obj: Mapping[str, Any] | None) -> Filters:
    """Per-peer filters from their JSON form (``{"kinds": [...], ...}``), validated."""
    obj = obj or {}
    try:
        return Filters(**{k: tuple(obj.get(k) or ()) for k in ("kinds", "contexts", "issuers")})
    except (ConfianceError, TypeError) as exc:
        raise MalformedDocument(f"invalid peer filters: {exc}") from None


def passes(doc: Mapping[str, Any], filters: Filters) -> bool:
    """Does a (not yet verified) document pass a peer's filters? Unreadable: let it through,
    verification will judge it."""
    types = doc.get("type")
    kinds = [t for t in types if t in KINDS] if isinstance(types, list) else []
    issuer = doc.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = doc.get("credentialSubject")
    context = subject.get("trustContext") if isinstance(subject, dict) else None
    if len(kinds) != 1 or not isinstance(issuer, str):
        return True
    return bool(filters.matches(kind=kinds[0], issuer=issuer,
                                context=context if isinstance(context, str) else None))


def take(queue: OrderedDict[bytes, Any], n: int) -> list[tuple[bytes, Any]]:
    """The ``n`` oldest entries of ``queue``, removed from it."""
    items: list[tuple[bytes, Any]] = []
    while queue and len(items) < n:
        items.append(queue.popitem(last=False))
    return items
