"""The responder side of gossip: answering a peer's ``POST /gossip``.

:meth:`Responder.handle` is called by the route (:mod:`..routes.gossip`, which reads the
body within the gossip size limit) with the body and the session token, and returns the
HTTP status and the answer: one gossip message (``specs/gossip.md``), even when refusing,
so that the peer's session state machine sees the refusal; ``204`` answers ``close``.

A session opens only for a ``hello`` signed by the key of the recognised peer it names
(:mod:`confiance.protocol.gossip.auth`; the key is one of that peer's pinned keys, fetched
again once by :class:`~.keys.PeerKeys` if unknown). A refused ``hello`` raises
:class:`~..problems.HelloNotAuthenticated` (401 problem+json) and never costs that peer
score: whoever sent it may not be that peer. Then each session is one
:class:`~confiance.protocol.gossip.Session` (state machine, role responder) under a random
token, one request at a time (409 ``session-busy``), expired after ``session_ttl`` idle, at
most ``max_sessions`` kept. A message the state machine refuses costs the peer a violation
and ends the session (400); a throttled peer is served anti-entropy only (429). What the
answers carry comes from the :class:`~.mesh.Mesh`: reconciliation over the catalogue, ids
wanted, held documents, and pushes ingested like any others.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from confiance.protocol.errors import GossipError, KeyResolutionError, MalformedDocument
from confiance.protocol.gossip import (
    HELLO_WINDOW,
    Ack,
    Close,
    Error,
    Graft,
    Hello,
    HelloRefused,
    Ihave,
    Message,
    NonceCache,
    PeerStatus,
    Prune,
    Push,
    Reconcile,
    Role,
    Session,
    Want,
    Welcome,
    check_hello,
    encode_message,
    respond,
    verify_hello_signature,
)
from confiance.protocol.keys import ResolvedKey

from ..problems import HelloNotAuthenticated
from .links import PeerLink, normalise_url
from .mesh import Mesh

__all__ = ["Responder"]

log = logging.getLogger("confiance.gossip")


@dataclass(eq=False)
class _Session:
    session: Session
    peer: str
    last_used: float
    busy: bool = False


class Responder:
    """Answers the gossip requests of recognised peers (see the module docstring)."""

    def __init__(self, mesh: Mesh) -> None:
        self.mesh = mesh
        self.settings = mesh.settings
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._nonces = NonceCache(window=HELLO_WINDOW)

    async def handle(self, body: bytes, token: str | None) -> tuple[int, bytes]:
        """Answer one ``POST /gossip``: (HTTP status, body: a gossip message or empty)."""
        mesh = self.mesh
        now = mesh.clock()
        self._expire_sessions(now)
        if token is None:
            return await self._open(body, now)
        responder = self._sessions.get(token)
        if responder is None:
            return 404, encode_message(Error(code="unknown-session", detail=(
                "no such session here (expired, or this node restarted): say hello again")))
        if responder.busy:
            return 409, encode_message(Error(code="session-busy", detail=(
                "one request at a time per session")))
        responder.busy = True
        responder.last_used = now
        session, peer = responder.session, responder.peer
        try:
            try:
                message = session.receive(body)
            except GossipError as exc:
                mesh.scores[peer].record_violation(now)
                await mesh.check_drop(peer)
                self._sessions.pop(token, None)
                return 400, session.send(Error(code=exc.slug, detail=exc.message[:1000]))
            if isinstance(message, Close):
                self._sessions.pop(token, None)
                return 204, b""
            link = mesh.links.get(peer)
            if link is None or link.dropped_reason is not None:
                self._sessions.pop(token, None)
                return 403, session.send(Error(code="peer-not-recognised", detail=(
                    "this node no longer exchanges with you")))
            if isinstance(message, Push | Ihave | Graft) and mesh.scores.status(
                    peer, now) is PeerStatus.THROTTLED:
                self._sessions.pop(token, None)
                return 429, session.send(Error(code="peer-throttled", detail=(
                    "your score is below the throttle threshold; only anti-entropy is served")))
            answer = await self._answer(peer, session, message)
            return 200, session.send(answer)
        except BaseException:
            self._sessions.pop(token, None)
            raise
        finally:
            responder.busy = False

    async def _open(self, body: bytes, now: float) -> tuple[int, bytes]:
        mesh = self.mesh
        session = Session(Role.RESPONDER, limits=mesh.limits)
        try:
            hello = session.receive(body)
        except GossipError as exc:
            return 400, encode_message(Error(code=exc.slug, detail=exc.message[:1000]))
        assert isinstance(hello, Hello)  # the only move from IDLE
        try:
            peer = normalise_url(hello.node)
        except MalformedDocument:
            peer = hello.node
        link = mesh.links.get(peer)
        if link is None:
            return 403, session.send(Error(code="peer-not-recognised", detail=(
                f"{mesh.root} does not recognise {peer[:200]}; submit assertions to "
                "POST /assertions instead")))
        if link.dropped_reason is not None:
            return 403, session.send(Error(code="peer-dropped", detail=(
                "dropped for misbehaviour: " + link.dropped_reason)[:1000]))
        await self._authenticate(hello, link)
        token = secrets.token_urlsafe(18)
        self._sessions[token] = _Session(session=session, peer=peer, last_used=now)
        mesh.keys.schedule(link)
        while len(self._sessions) > self.settings.max_sessions:
            self._sessions.popitem(last=False)
        return 200, session.send(Welcome(node=mesh.root, session=token,
                                         version=min(hello.version, 1)))

    async def _authenticate(self, hello: Hello, link: PeerLink) -> None:
        """Is ``hello`` signed by ``link``'s node (``protocol.gossip.auth``)? The key is one of
        the peer's pinned keys, fetched again once if unknown or not valid at ``created``
        (at most once per ``key_refresh_min``). A refusal never touches the peer's score:
        whoever sent it may not be that peer.

        Raises :class:`~..problems.HelloNotAuthenticated`.
        """
        mesh = self.mesh
        wall = mesh.node.now()
        try:
            if link.did is None:
                raise HelloRefused(f"{link.url} has no did:web to authenticate it by",
                                   reason="wrong-key")
            proof = check_hello(hello, peer_did=link.did, own_did=mesh.node.did, now=wall)
            key = self._hello_key(proof.verification_method, proof.created)
            if key is None:
                await mesh.keys.refresh(link, force=True)
                key = self._hello_key(proof.verification_method, proof.created)
            if key is None:
                entry = mesh.keys.cache.entry(link.did)
                why = entry.error if entry is not None and entry.error else "not among them"
                raise HelloRefused(f"{proof.verification_method:.200} is not a signing key of "
                                   f"{link.did:.200} valid at {proof.created.isoformat()} "
                                   f"({why[:300]})", reason="unknown-key")
            verify_hello_signature(hello, key)
            self._nonces.add(proof.nonce, created=proof.created, now=wall)
        except HelloRefused as exc:
            mesh.stats.hellos_refused += 1
            log.warning("gossip hello refused", extra={"peer": link.url, "reason": exc.reason,
                                                       "detail": exc.message[:300]})
            raise HelloNotAuthenticated(exc.message, reason=exc.reason) from None

    def _hello_key(self, verification_method: str, created: datetime) -> ResolvedKey | None:
        """A recognised peer's pinned key valid at ``created``, or None."""
        try:
            key = self.mesh.keys.cache.resolve(verification_method)
        except KeyResolutionError:  # PeerKeysUnavailable included
            return None
        return key if key is not None and key.covers(created) else None

    def _expire_sessions(self, now: float) -> None:
        ttl = self.settings.session_ttl
        while self._sessions:
            token, oldest = next(iter(self._sessions.items()))
            if now - oldest.last_used <= ttl:
                break
            self._sessions.pop(token)

    async def _answer(self, peer: str, session: Session, message: Message) -> Message:
        mesh = self.mesh
        now = mesh.clock()
        if isinstance(message, Reconcile):
            return respond(mesh.catalog.view(session.filters), message, mesh.reconcile)
        if isinstance(message, Ihave):
            mesh.note_holder(peer, message.ids)
            roots = message.roots or ("",) * len(message.ids)
            unknown = [(d, r) for d, r in zip(message.ids, roots, strict=True)
                       if d not in mesh.catalog]
            want = mesh.plumtree.on_ihave([d for d, _ in unknown], peer, now=now,
                                          roots=[r for _, r in unknown])
            mesh.asked(peer, want, now)
            return Want(ids=want)
        if isinstance(message, Want | Graft):
            if isinstance(message, Graft):
                mesh.plumtree.on_graft(peer, set(message.roots) or {""})
            docs, doc_roots = await mesh.documents(message.ids)
            mesh.stats.payloads_sent += len(docs)
            return Push(assertions=tuple(docs), roots=tuple(doc_roots))
        if isinstance(message, Push):
            prune = await mesh.ingest(message.assertions, message.roots, peer)
            return Ack(prune=prune)
        if isinstance(message, Prune):
            mesh.plumtree.on_prune(peer, message.roots)
            return Ack()
        raise GossipError(f"unexpected {message.TYPE} message")  # the table forbids it
