"""The per-peer worker: one task per recognised peer, visiting it when there is work.

:class:`PeerWorker` drives the initiator side of the sans-IO session
(:class:`~confiance.protocol.gossip.Session`) over ``POST <peer>/gossip`` (through
:class:`~.outbound.PeerClient`). It sleeps until its :class:`~.links.PeerLink` has work
(then waits ``flush_interval`` more, to gather a batch, longer while the event loop runs
late, see :meth:`~.mesh.Mesh.gather_time`; announcements alone wait up to
``ihave_interval``, Plumtree's batched lazy push), a deferred ``want`` falls due, or
anti-entropy is due (``anti_entropy_interval``, jittered). One visit
(:meth:`PeerWorker.visit`):

1. a session if none: a ``hello`` signed with the node's key for the peer's did:web;
2. ``prune``, then ``graft``/``want`` (the pushed answers ingested by the mesh as solicited),
   then ``push`` (``batch_assertions`` documents per message; an ``ack`` may prune a tree,
   turning what was queued on it into ids), then ``ihave`` (``batch_ids`` per message; ids
   the peer wants are pushed);
3. when due, range-based reconciliation (:class:`~confiance.protocol.gossip.Reconciliation`)
   over the ids both hold within the peer's filters, then the differences: what the peer
   lacks is announced (``ihave``), what we lack is asked for after ``anti_entropy_grace``
   if still missing (it may be on its way along the trees).

Each worker has its own exponential backoff (:class:`~confiance.protocol.gossip.Backoff`):
an unreachable peer never delays the others; a semaphore shared by all workers bounds the
requests in flight. An answer breaking the protocol costs the peer a violation (and may
drop it); a peer unreachable, refusing, or failing for a bug of ours only backs off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from confiance.protocol.errors import ConfianceError, GossipError
from confiance.protocol.gossip import (
    Ack,
    Error,
    Graft,
    Hello,
    Ihave,
    Message,
    Prune,
    Push,
    Reconcile,
    Reconciliation,
    Role,
    Session,
    State,
    Want,
    Welcome,
    sign_hello,
)

from ..identity import did_web_for
from .links import PeerLink, take
from .mesh import Mesh
from .outbound import PeerRefused, PeerUnavailable, refusal_from_problem

__all__ = ["PeerWorker"]

log = logging.getLogger("confiance.gossip")


class PeerWorker:
    """Exchanges with one recognised peer (see the module docstring)."""

    def __init__(self, mesh: Mesh, link: PeerLink, slots: asyncio.Semaphore) -> None:
        self.mesh = mesh
        self.link = link
        self.slots = slots
        self.settings = mesh.settings

    async def run(self) -> None:
        """Visit the peer whenever there is work, until cancelled; never raises otherwise."""
        mesh, link = self.mesh, self.link
        while True:
            await self._wait_for_work()
            try:
                async with self.slots:
                    await self.visit()
                link.backoff.success()
                link.last_success = mesh.node.now()
                link.last_error = None
            except asyncio.CancelledError:
                raise
            except GossipError as exc:  # the peer's answer broke the protocol
                mesh.scores[link.url].record_violation(mesh.clock())
                self._failed(f"{exc.slug}: {exc.message}")
                await mesh.check_drop(link.url)
            except (PeerUnavailable, PeerRefused, TimeoutError, OSError) as exc:
                self._failed(str(exc) or type(exc).__name__)
            except Exception as exc:
                log.exception("gossip with %s failed", link.url)
                self._failed(f"internal error: {type(exc).__name__}")

    def _failed(self, reason: str) -> None:
        mesh, link = self.mesh, self.link
        link.session = link.token = None
        stats = mesh.stats
        stats.request_failures += 1
        kind = reason.split(":", 1)[0][:40]
        if kind in stats.failure_reasons or len(stats.failure_reasons) < 32:
            stats.failure_reasons[kind] = stats.failure_reasons.get(kind, 0) + 1
        delay = link.backoff.failure(mesh.clock(), mesh.rng)
        link.last_error = reason[:300]
        log.info("gossip with peer failed", extra={
            "peer": link.url, "error": link.last_error, "retry_in": round(delay, 2),
            "failures": link.backoff.failures})

    async def _wait_for_work(self) -> None:
        link = self.link
        while True:
            now = self.mesh.clock()
            if link.dropped_reason is not None:
                link.wake.clear()
                await link.wake.wait()
                continue
            if not link.backoff.ready(now):
                await asyncio.sleep(link.backoff.next_attempt - now)
                continue
            link.wake.clear()
            if link.has_urgent_work():  # gather a batch, longer when the loop is busy
                wait = self.mesh.gather_time()
                await asyncio.sleep(wait)
                self.mesh.note_lag(self.mesh.clock() - now - wait)
                return
            due = link.next_due()
            if now >= link.next_sync or (due is not None and now >= due):
                return
            wake_at = link.next_sync if due is None else min(link.next_sync, due)
            if link.ihave:  # announcements only: batched for ihave_interval (Plumtree's
                # lazy push), or sent with the next urgent request, whichever comes first
                announce_at = link.ihave_since + max(self.settings.ihave_interval,
                                                     self.settings.flush_interval)
                if now >= announce_at:
                    return
                wake_at = min(wake_at, announce_at)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(link.wake.wait(), wake_at - now)

    async def _request(self, message: Message) -> Message:
        """Send one message in the current session; the peer's answer, checked by the
        session's state machine."""
        mesh, link = self.mesh, self.link
        session = link.session
        if session is None:  # dropped or reconfigured meanwhile
            raise PeerUnavailable("session closed")
        data = session.send(message)
        mesh.stats.requests_sent += 1
        try:
            reply = await mesh.client.post_gossip(link.url, data, link.token,
                                                  mesh.limits.max_message_bytes)
        except PeerUnavailable:
            link.session = None
            raise
        if reply.status == 204:
            return message
        if reply.content_type == "application/problem+json":
            link.session = link.token = None
            raise refusal_from_problem(reply.status, reply.body)
        if reply.content_type != "application/json":
            raise PeerUnavailable(f"HTTP {reply.status} {reply.content_type} from "
                                  f"{link.url}/gossip")
        answer = session.receive(reply.body)
        if isinstance(message, Reconcile):
            mesh.stats.reconcile_bytes += len(data) + len(reply.body)
        if isinstance(answer, Error):
            link.session = link.token = None
            raise PeerRefused(answer.code, answer.detail)
        return answer

    async def visit(self) -> None:
        """One visit to the peer: everything queued, then anti-entropy when it is due."""
        mesh, link = self.mesh, self.link
        if link.session is None or link.session.state is not State.READY:
            link.session = Session(Role.INITIATOR, limits=mesh.limits)
            link.token = None
            hello = Hello(node=mesh.root, filters=link.filters)
            try:
                audience = link.did or did_web_for(link.url)
            except ConfianceError:
                audience = link.url
            hello = sign_hello(hello, key=mesh.node.keyring.signer, to=audience,
                               nonce=secrets.token_bytes(16), created=mesh.node.now())
            welcome = await self._request(hello)
            assert isinstance(welcome, Welcome)
            link.token = welcome.session
            mesh.keys.schedule(link)
        await self._drain()
        if mesh.clock() >= link.next_sync:
            await self._anti_entropy()
            await self._drain()
            jitter = mesh.rng.uniform(0.75, 1.25)
            link.next_sync = mesh.clock() + self.settings.anti_entropy_interval * jitter
            mesh.keys.schedule(link)  # periodic: only when older than key_cache_ttl

    async def _drain(self) -> None:
        mesh, link = self.mesh, self.link
        catalog = mesh.catalog
        n_ids, n_docs = self.settings.batch_ids, self.settings.batch_assertions
        if link.want_later:
            now = mesh.clock()
            for digest, due in list(link.want_later.items()):
                if digest in catalog:
                    del link.want_later[digest]
                elif due <= now:
                    del link.want_later[digest]
                    link.want[digest] = None
        if link.prune:
            roots = tuple(sorted(link.prune))[:n_ids]
            link.prune.difference_update(roots)
            await self._request(Prune(roots=roots))
        while link.graft or link.want:
            if link.graft:
                batch = [(d, r) for d, r in take(link.graft, n_docs) if d not in catalog]
                request: Message = Graft(ids=tuple(d for d, _ in batch),
                                         roots=tuple(r for _, r in batch))
            else:
                request = Want(ids=tuple(d for d, _ in take(link.want, n_docs)
                                         if d not in catalog))
            if not getattr(request, "ids", ()):
                continue
            answer = await self._request(request)
            if isinstance(answer, Push):
                await mesh.ingest(answer.assertions, answer.roots, link.url, solicited=True)
        while link.push:
            batch = take(link.push, n_docs)
            await self._push([d for d, _ in batch])
        while link.ihave:
            batch = [(d, r) for d, r in take(link.ihave, n_ids) if not mesh.holds(link.url, d)]
            if not batch:
                continue
            answer = await self._request(Ihave(ids=tuple(d for d, _ in batch),
                                               roots=tuple(r for _, r in batch)))
            if isinstance(answer, Want) and answer.ids:
                for start in range(0, len(answer.ids), n_docs):
                    await self._push(list(answer.ids[start:start + n_docs]))

    async def _push(self, digests: list[bytes]) -> None:
        mesh, link = self.mesh, self.link
        docs, roots = await mesh.documents(d for d in digests if not mesh.holds(link.url, d))
        if not docs:
            return
        answer = await self._request(Push(assertions=tuple(docs), roots=tuple(roots)))
        mesh.stats.payloads_sent += len(docs)
        if isinstance(answer, Ack) and answer.prune:
            mesh.plumtree.on_prune(link.url, answer.prune)
            pruned = set(answer.prune)
            for digest, root in list(link.push.items()):  # queued before the prune: lazy now
                if root in pruned:
                    del link.push[digest]
                    link.ihave[digest] = root

    async def _anti_entropy(self) -> None:
        mesh, link = self.mesh, self.link
        run = Reconciliation(mesh.catalog.view(link.filters), mesh.reconcile)
        message: Reconcile | None = run.start()
        while message is not None:
            answer = await self._request(message)
            if not isinstance(answer, Reconcile):
                raise GossipError("a reconcile request must be answered by reconcile")
            message = run.step(answer)
        mesh.note_holder(link.url, run.need)
        link.syncs += 1
        mesh.stats.reconciliations += 1
        mesh.stats.reconcile_rounds += run.rounds
        now = mesh.clock()
        grace = self.settings.anti_entropy_grace
        catalog = mesh.catalog
        # may be on its way: ask only if still missing later, when even a late tree (the
        # adaptive graft timeout) would have brought it
        wait = max(grace, mesh.plumtree.graft_delay())
        for digest in sorted(run.need):
            if digest not in catalog:
                link.want_later.setdefault(digest, now + wait)
        # What the peer lacks is announced (ihave), not pushed: under load much of it is on
        # its way along the trees already, and the peer asks only for what is still missing
        # when its graft timer runs out.
        for digest in sorted(run.have):  # skip what just arrived: it may be on its way there
            if not catalog.is_tombstoned(digest) and catalog.age(digest, now) >= grace \
                    and digest not in link.push:
                link.ihave[digest] = catalog.root_of(digest)
                mesh.stats.repairs_sent += 1
        if run.need or run.have:
            log.info("anti-entropy", extra={"peer": link.url, "need": len(run.need),
                                            "have": len(run.have), "rounds": run.rounds})
