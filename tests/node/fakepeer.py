"""A recognised peer played by hand: one gossip session with a real node, over real HTTP.

The node recognises the peer through its admin API (``POST /admin/peers``), fetches its
keys from a :class:`~gossipauth.KeyServer` and opens a session for a hello signed with
them; from then on a test sends any gossip message it likes and reads the answer, as a
(possibly hostile) peer would. What the node did with a message is read from its public
API: ``GET /admin/peers`` (counters, the peer's score), ``GET /assertions/{id}``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from gossipauth import KeyServer, signed_hello
from gossipnet import LiveNode, free_ports
from nodehelpers import now

from confiance.node.keyring import NodeKey
from confiance.node.nodecontext import NODE_CONTEXT, NODE_CONTEXT_URL
from confiance.node.subjectauth import SCHEME, body_digest
from confiance.protocol.contexts import default_loader
from confiance.protocol.gossip import (
    Filters,
    Message,
    Reconcile,
    Reconciliation,
    SortedIdIndex,
    Want,
    encode_message,
    parse_message,
)
from confiance.protocol.keys import KeyPair
from confiance.protocol.model import CREDENTIALS_V2_URL
from confiance.protocol.signing import sign

REQUEST_LOADER = default_loader().with_documents({NODE_CONTEXT_URL: NODE_CONTEXT})


class FakePeer:
    """A peer the node recognises, speaking gossip through :meth:`send`."""

    def __init__(self, http: aiohttp.ClientSession, target: LiveNode) -> None:
        self.http = http
        self.target = target
        self.keys = KeyServer(free_ports(1)[0])
        self.session: str | None = None

    @property
    def did(self) -> str:
        return self.keys.did

    @property
    def signing_key(self) -> NodeKey:
        return self.keys.key

    async def open(self, filters: Filters | None = None) -> None:
        """Be recognised, say hello (with ``filters``), keep the session token."""
        await self.keys.start()
        try:
            async with self.http.post(self.target.url + "/admin/peers",
                                      json={"url": self.keys.url},
                                      headers=self.target.admin_headers()) as resp:
                assert resp.status in (200, 201), await resp.text()
            status, welcome = await self._post(signed_hello(
                self.keys.url, self.keys.key, self.target.node.did, filters=filters), None)
            assert status == 200, welcome
            self.session = welcome.session  # type: ignore[attr-defined]
        finally:  # the node has our keys now; it cannot gossip back to a key server anyway
            await self.keys.stop()

    async def _post(self, message: Message, token: str | None) -> tuple[int, Message]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Confiance-Gossip-Session"] = token
        async with self.http.post(self.target.url + "/gossip", data=encode_message(message),
                                  headers=headers) as resp:
            return resp.status, parse_message(await resp.read())

    async def send(self, message: Message) -> Message:
        assert self.session is not None, "open() first"
        status, answer = await self._post(message, self.session)
        assert status == 200, answer
        return answer

    async def reconcile_all(self) -> set[bytes]:
        """Reconcile from an empty set: every id the node offers this session's filters."""
        run = Reconciliation(SortedIdIndex())
        message: Reconcile | None = run.start()
        while message is not None:
            answer = await self.send(message)
            assert isinstance(answer, Reconcile), answer
            message = run.step(answer)
        return set(run.need)

    async def fetch(self, ids: set[bytes]) -> list[dict[str, Any]]:
        """The documents the node serves for ``ids`` (a ``want``)."""
        answer = await self.send(Want(ids=tuple(sorted(ids))))
        return [dict(doc) for doc in answer.assertions]  # type: ignore[attr-defined]

    async def stats(self) -> dict[str, Any]:
        """The node's gossip counters and this peer's entry, from ``GET /admin/peers``."""
        async with self.http.get(self.target.url + "/admin/peers",
                                 headers=self.target.admin_headers()) as resp:
            assert resp.status == 200
            body = await resp.json()
        mine = [p for p in body["peers"] if p["url"] == self.keys.url]
        return {"stats": body["stats"], "peer": mine[0] if mine else None}


@asynccontextmanager
async def node_and_peer(tmp: Any, http: aiohttp.ClientSession,
                        filters: Filters | None = None) -> AsyncIterator[tuple[LiveNode,
                                                                               FakePeer]]:
    """A running node and a recognised fake peer with an open session."""
    node = LiveNode(tmp / "node", free_ports(1)[0])
    await node.start()
    try:
        fake = FakePeer(http, node)
        await fake.open(filters)
        yield node, fake
    finally:
        await node.stop()


def subject_request(key: KeyPair, *, audience: str, method: str, path: str,
                    body: bytes = b"", created: datetime | None = None, ttl: float = 120,
                    holder: str | None = None, nonce: str | None = None,
                    edit: dict[str, Any] | None = None, drop: tuple[str, ...] = (),
                    expires: bool = True) -> dict[str, Any]:
    """A signed SubjectRequest as :func:`~confiance.node.subjectauth.make_subject_request`
    makes it, with what a test wants changed *before* signing (so the proof verifies)."""
    created = created or now() - timedelta(seconds=1)
    request: dict[str, Any] = {
        "@context": [CREDENTIALS_V2_URL, NODE_CONTEXT_URL],
        "type": ["VerifiablePresentation", "SubjectRequest"],
        "id": nonce or f"urn:uuid:{uuid.uuid4()}",
        "holder": holder or key.did,
        "requestMethod": method,
        "requestPath": path,
        "requestAudience": audience,
    }
    if body:
        request["bodyDigest"] = body_digest(body)
    request.update(edit or {})
    for name in drop:
        request.pop(name, None)
    return sign(request, key, created=created, loader=REQUEST_LOADER,
                proof_purpose="authentication",
                expires=created + timedelta(seconds=ttl) if expires else None)


def header(request: dict[str, Any], *, padding: int = 0) -> str:
    """The ``Authorization`` value for a signed request (``padding`` spaces of JSON)."""
    raw = json.dumps(request, separators=(",", ":")).encode() + b" " * padding
    return f"{SCHEME} " + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def quoted(did: str) -> str:
    return quote(did, safe="")
