"""What travels between a node and its peers, and the state both directions share.

:class:`Mesh` holds one node's gossip state: the recognised peers (:class:`~.links.PeerLink`
by URL), the id catalogue (:class:`~..catalog.IdCatalog`), the Plumtree trees, the peers'
scores, the counters (:class:`GossipStats`) and the peers' keys (:class:`~.keys.PeerKeys`).
It moves documents, in three ways, for both the per-peer worker (:mod:`.worker`, our
requests and their answers) and the responder (:mod:`.responder`, a peer's requests):

- **in** (:meth:`Mesh.ingest`): documents a peer sent go through the node's ingestor (keys
  of recognised peers fetched once per batch, verified together, stored in one
  transaction). What is invalid costs the sender score and is neither stored nor
  forwarded; what cannot be checked here yet is set aside without blame; a duplicate pushed
  on a tree prunes the sender there, and costs score only when it keeps pushing long after;
- **on** (:meth:`Mesh.forward`, the ingest listener): an assertion or erasure notice new here
  goes as a payload to the peers eager in its tree (ours when it is our own, its origin's
  when it came by push: :func:`current_origin`) and as an id to the lazy ones, through the
  per-peer queues, filtered by each peer's filters;
- **out** (:meth:`Mesh.documents`): held documents for ids a peer asks for, within a budget
  of half a message.

A peer whose score falls below the drop threshold is dropped here (:meth:`Mesh.check_drop`:
persisted, logged, queues cleared) until an operator reinstates it (:mod:`.engine`).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from confiance.protocol.errors import (
    ConfianceError,
    KeyResolutionError,
    ValidityError,
)
from confiance.protocol.gossip import (
    BackoffPolicy,
    Filters,
    PeerStatus,
    Plumtree,
    PlumtreeConfig,
    ReconcileConfig,
    Scoreboard,
)
from confiance.protocol.ids import digest_of, id_from_digest, parse_assertion_id

from ..catalog import IdCatalog
from ..context import Node
from ..erasures import ErasureNotice, is_notice
from ..problems import Conflict, Gone
from ..storage import StoredAssertion
from ..storage.gossip_sqlite import GossipStore
from .keys import PeerKeys
from .links import PeerLink, passes
from .outbound import PeerClient
from .settings import GossipSettings

__all__ = ["GossipStats", "Mesh", "current_origin"]

log = logging.getLogger("confiance.gossip")

_ORIGIN: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "confiance_gossip_origin", default=None)

#: ids asked for (want) and prunes told, remembered per peer, at most
_MAX_ASKED = 65536
#: recent ids whose holders among the peers are remembered, at most
_MAX_HOLDERS = 65536
#: documents new here kept in memory (JCS bytes) for the pushes that follow their arrival
_RECENT_DOCUMENTS = 2048


@contextlib.contextmanager
def _origin(peer: str, root: str) -> Iterator[None]:
    """Inside: the document being stored came from ``peer`` on the tree of ``root``."""
    token = _ORIGIN.set((peer, root))
    try:
        yield
    finally:
        _ORIGIN.reset(token)


def current_origin() -> tuple[str, str] | None:
    """For ingest listeners: (peer URL, broadcast root) of the push being stored, or None
    when the assertion did not come by gossip."""
    return _ORIGIN.get()


@dataclass
class GossipStats:
    """Counters since start-up (``GET /admin/peers``; the benchmark reads them)."""

    payloads_received: int = 0
    payload_bytes_received: int = 0
    first_deliveries: int = 0
    duplicates: int = 0
    duplicates_solicited: int = 0
    invalid: int = 0
    deferred: int = 0
    filtered: int = 0
    payloads_sent: int = 0
    repairs_sent: int = 0
    requests_sent: int = 0
    request_failures: int = 0
    failure_reasons: dict[str, int] = field(default_factory=dict)
    reconciliations: int = 0
    reconcile_rounds: int = 0
    reconcile_bytes: int = 0
    hellos_refused: int = 0


class Mesh:
    """One node's gossip state and the movement of documents (see the module docstring)."""

    def __init__(self, node: Node, store: GossipStore, client: PeerClient,
                 settings: GossipSettings, rng: random.Random) -> None:
        self.node = node
        self.store = store
        self.client = client
        self.settings = settings
        self.root = node.base_url
        self.rng = rng
        self.catalog = IdCatalog()
        self.plumtree = Plumtree(config=PlumtreeConfig(
            graft_timeout=settings.graft_timeout, retry_timeout=settings.retry_timeout,
            max_graft_timeout=max(settings.max_graft_timeout, settings.graft_timeout)))
        self.scores = Scoreboard()
        self.links: dict[str, PeerLink] = {}
        self.stats = GossipStats()
        self.limits = settings.limits
        self.reconcile = ReconcileConfig(frame_limit=settings.reconcile_frame)
        self.backoff_policy = BackoffPolicy(base=settings.backoff_base,
                                            cap=max(settings.backoff_cap,
                                                    settings.backoff_base))
        self.keys = PeerKeys(node, settings, self.links, client, self.clock)
        # (peer, id) -> until when: ids we answered a peer's ihave with ``want`` for; its
        # push of them is an answer, not a flood, even if another peer was faster
        self._asked: OrderedDict[tuple[str, bytes], float] = OrderedDict()
        # (peer, root) -> when we first told the peer to stop pushing that tree to us
        self._pruned_at: dict[tuple[str, str], float] = {}
        # id -> peers known to hold it (they pushed or announced it, or reconciliation
        # said so): a payload is never sent to a peer known to hold it
        self._holders: OrderedDict[bytes, set[str]] = OrderedDict()
        # id -> JCS bytes of the assertions that arrived last: pushed on to the next peers
        # right after, without a read from the store (a thread hop and a query each)
        self._recent: OrderedDict[bytes, bytes] = OrderedDict()
        # how late the event loop runs what is due (seconds, smoothed; see note_lag)
        self.loop_lag = 0.0

    @staticmethod
    def clock() -> float:
        return time.monotonic()

    def note_lag(self, late: float) -> None:
        """A sleep ended ``late`` seconds after it was due: the event loop is that busy
        (exponentially smoothed, gain 1/8, as RFC 6298's SRTT; waking early counts as 0)."""
        self.loop_lag += (max(0.0, late) - self.loop_lag) / 8

    def gather_time(self) -> float:
        """How long a worker gathers work before a visit: ``flush_interval``, plus twice the
        loop's lag when it is busy (each request costs both nodes far more than one more
        document in it), at most ``ihave_interval``."""
        settings = self.settings
        return min(max(settings.ihave_interval, settings.flush_interval),
                   settings.flush_interval + 2 * self.loop_lag)

    # ------------------------------------------------------------------ on: new here

    def on_new(self, stored: StoredAssertion) -> None:
        """Ingest listener: catalogue the assertion and forward it along the trees."""
        rec = stored.record
        digest = parse_assertion_id(rec.id)
        self.catalog.add(digest, rec.kind, rec.context, rec.issuer)
        self._recent[digest] = rec.document
        if len(self._recent) > _RECENT_DOCUMENTS:
            self._recent.popitem(last=False)
        self.forward(digest)

    def on_erasure(self, ids: list[str]) -> None:
        """Erasure listener: erased ids stay in the catalogue, as tombstones."""
        for assertion_id in ids:
            digest = parse_assertion_id(assertion_id)
            self.catalog.add_tombstone(digest)
            self._recent.pop(digest, None)

    def on_notice(self, notice: ErasureNotice, changed: list[str]) -> None:
        """Notice listener: catalogue the notice and its tombstones, forward it like a payload.

        A notice new here is broadcast along the trees exactly as a new assertion is, so an
        erasure reaches every node; anti-entropy brings it to those that missed it.
        """
        for assertion_id in notice.erased:
            self.catalog.add_tombstone(parse_assertion_id(assertion_id))
        digest = parse_assertion_id(notice.id)
        self.catalog.add_notice(digest)
        self.forward(digest)

    def forward(self, digest: bytes) -> None:
        """Send a payload new here along the trees: eager to tree links, ids to the others.

        Our own payloads start a broadcast on our tree; one that arrived by push follows
        the tree of its origin (the sender and root are in the ``_ORIGIN`` context).
        """
        origin = _ORIGIN.get()
        if origin is None:
            root = self.root
            forward = self.plumtree.broadcast(digest, root)
        else:
            sender, root = origin
            forward = self.plumtree.on_push(digest, sender, root=root, first=True,
                                            now=self.clock()).forward
        self.catalog.set_root(digest, root)
        self.catalog.arrived(digest, self.clock())
        for url in forward.push_to:
            self.enqueue(url, digest, root, eager=True)
        for url in forward.announce_to:
            self.enqueue(url, digest, root, eager=False)

    def enqueue(self, url: str, digest: bytes, root: str, *, eager: bool) -> None:
        """Queue ``digest`` for a peer: a payload (``eager``) or an id, within its filters;
        a throttled peer gets ids only, a peer known to hold it nothing."""
        link = self.links.get(url)
        if link is None or link.dropped_reason is not None or self.holds(url, digest):
            return
        if not link.filters.empty and not self.catalog.is_notice(digest) \
                and not self.catalog.matches(digest, link.filters):
            return
        if eager and self.scores.status(url, self.clock()) is not PeerStatus.GOOD:
            eager = False  # throttled: ids only
        queue = link.push if eager else link.ihave
        if not queue and not eager:
            link.ihave_since = self.clock()
        queue[digest] = root
        if len(queue) > self.settings.max_queue:
            queue.popitem(last=False)  # oldest out: anti-entropy will repair
        link.wake.set()

    def note_holder(self, peer: str, digests: Iterable[bytes]) -> None:
        """``peer`` holds ``digests`` (it pushed or announced them, or reconciliation found
        them there): remembered for the most recent :data:`_MAX_HOLDERS` ids.

        A named layer over Plumtree: on loaded nodes a payload waits in a peer's queue
        long enough for that peer's own copy, or its announcement, to arrive first;
        sending it then could only be a duplicate.
        """
        holders = self._holders
        for digest in digests:
            known = holders.get(digest)
            if known is None:
                holders[digest] = {peer}
                if len(holders) > _MAX_HOLDERS:
                    holders.popitem(last=False)
            else:
                known.add(peer)

    def holds(self, peer: str, digest: bytes) -> bool:
        """Is ``peer`` known to hold ``digest``?"""
        known = self._holders.get(digest)
        return known is not None and peer in known

    def asked(self, peer: str, digests: Iterable[bytes], now: float) -> None:
        """We answered ``peer``'s ihave with ``want`` for ``digests``: its push of them within
        ``request_timeout`` is solicited (never blamed as a duplicate)."""
        for digest in digests:
            self._asked[(peer, digest)] = now + self.settings.request_timeout
            self._asked.move_to_end((peer, digest))
        while len(self._asked) > _MAX_ASKED:
            self._asked.popitem(last=False)

    # ------------------------------------------------------------------ in: from a peer

    async def ingest(self, docs: Iterable[Mapping[str, Any]], roots: Iterable[str],
                     peer: str, *, solicited: bool = False) -> tuple[str, ...]:
        """Verify and store documents a peer sent; returns the roots to prune.

        The keys of recognised peers that the new documents name are fetched first, once
        per DID (the ingestor's hook, :meth:`~.keys.PeerKeys.prefetch_many`). Invalid
        documents cost the peer score and are neither stored nor forwarded; those that
        cannot be checked here (a did:web not recognised here or whose keys are unavailable,
        a key outside its period, expired, out of order) are set aside without blame;
        anti-entropy offers them again later. A pushed document we already hold prunes the
        sender in its tree; only when the sender was pruned there already (it ignores
        prunes, or floods) does it cost score. Answers to our own ``want``/``graft``
        (``solicited``) never do.
        """
        prune: set[str] = set()  # pruned by this batch: later repeats in it are not blamed
        now = self.clock()
        roots = list(roots)
        docs = list(docs)
        link = self.links.get(peer)
        filters = link.filters if link is not None else Filters()
        # Assertions go to the ingestor in runs (one held look-up, the keys of recognised
        # peers they name fetched once each, one executor call to verify, one transaction);
        # an erasure notice, in its place in the order, alone.
        kept: list[tuple[int, bool]] = []
        for i, doc in enumerate(docs):
            self.stats.payloads_received += 1
            self.stats.payload_bytes_received += len(json.dumps(
                doc, separators=(",", ":"), ensure_ascii=False).encode())
            notice = is_notice(doc)
            if not notice and not filters.empty and not passes(doc, filters):
                self.stats.filtered += 1
                continue
            kept.append((i, notice))
        start = 0
        while start < len(kept):
            end = start + 1
            if not kept[start][1]:
                while end < len(kept) and not kept[end][1]:
                    end += 1
            run = [i for i, _ in kept[start:end]]
            start = end
            outcomes = await self._ingest_run(docs, roots, run, peer)
            self.note_holder(peer, (d for _, d in outcomes if d is not None))
            for i, (outcome, digest) in zip(run, outcomes, strict=True):
                root = roots[i] if i < len(roots) else ""
                if isinstance(outcome, (Gone, Conflict, KeyResolutionError, ValidityError)):
                    # erased here, a revocation ahead of its target, a did:web we cannot
                    # resolve, outside its validity window: not the peer's fault
                    self.stats.deferred += 1
                    log.debug("document from %s set aside: %s", peer, outcome.slug)
                elif isinstance(outcome, ConfianceError):
                    if outcome.status >= 500:
                        raise outcome
                    self.stats.invalid += 1
                    self.scores[peer].record_invalid(now)
                    log.info("invalid document from peer", extra={"peer": peer,
                                                                  "problem": outcome.slug})
                    await self.check_drop(peer)
                elif outcome:
                    self.stats.first_deliveries += 1
                    self.scores[peer].record_first(now)
                elif solicited or self._asked.pop((peer, digest or b""), -1.0) >= now:
                    self.stats.duplicates_solicited += 1
                else:
                    self.stats.duplicates += 1
                    delivery = self.plumtree.on_push(digest or digest_of(docs[i]), peer,
                                                     root=root, first=False, now=now)
                    if delivery.prune:
                        prune.add(root)
                        self._pruned_at[(peer, root)] = now
                        while len(self._pruned_at) > _MAX_ASKED:
                            self._pruned_at.pop(next(iter(self._pruned_at)))
                    elif root not in prune:
                        # pruned already: say it again (a prune rides on an answer that
                        # may have been lost), and blame the sender only when it still
                        # pushes long after it was first told
                        prune.add(root)
                        told = self._pruned_at.get((peer, root))
                        if told is None or now - told > self.settings.request_timeout:
                            self.scores[peer].record_duplicate(now)
                            await self.check_drop(peer)
        return tuple(sorted(prune))

    async def _ingest_run(self, docs: list[Mapping[str, Any]], roots: list[str],
                          run: list[int], peer: str
                          ) -> list[tuple[bool | ConfianceError, bytes | None]]:
        """Ingest ``docs[i]`` for ``i`` in ``run``: whether each was new, or its refusal;
        with its digest when held here now (new or not).

        A run is one erasure notice, or consecutive assertions (verified and stored
        together); each assertion is forwarded as coming from ``peer`` on its root's tree.
        """
        def origin(i: int) -> contextlib.AbstractContextManager[object]:
            return _origin(peer, roots[run[i]] if run[i] < len(roots) else "")

        if is_notice(docs[run[0]]):
            with origin(0):
                try:
                    new = await self.node.ingestor.apply_notice(dict(docs[run[0]]))
                except ConfianceError as exc:
                    return [(exc, None)]
                return [(new, digest_of(docs[run[0]]))]
        outcomes = await self.node.ingestor.submit_many([dict(docs[i]) for i in run],
                                                        around=origin)
        return [(o, None) if isinstance(o, ConfianceError)
                else (o.created, parse_assertion_id(o.stored.id)) for o in outcomes]

    async def check_drop(self, url: str) -> None:
        """Drop ``url`` if its score fell below the drop threshold: persisted, logged, its
        queues and session cleared, out of the trees."""
        link = self.links.get(url)
        now = self.clock()
        if link is None or link.dropped_reason is not None:
            return
        if self.scores.status(url, now) is PeerStatus.DROPPED:
            score = self.scores[url]
            link.dropped_reason = (f"score {score.score(now):.1f} below the drop threshold "
                                   f"(invalid {score.invalid:.1f}, violations "
                                   f"{score.violations:.1f}, duplicates {score.duplicates:.1f})")
            link.dropped_at = self.node.now()
            for queue in (link.push, link.ihave, link.graft, link.want):
                queue.clear()
            link.session = None
            self.plumtree.remove_peer(url)
            await self.store.set_dropped(url, link.dropped_reason, link.dropped_at)
            log.warning("peer dropped", extra={"peer": url, "reason": link.dropped_reason})

    # ------------------------------------------------------------------ out: to a peer

    async def documents(self, digests: Iterable[bytes]) -> tuple[list[dict[str, Any]],
                                                                 list[str]]:
        """Held documents for ``digests`` (erased or unknown ones skipped), within a budget:
        erasure notices first, then assertions in the order asked (those that just arrived
        from memory, the others from the store)."""
        catalog = self.catalog
        wanted = [d for d in digests if d in catalog and not catalog.is_tombstoned(d)]
        notices = [id_from_digest(d) for d in wanted if catalog.is_notice(d)]
        found: list[tuple[bytes, bytes]] = []
        if notices:
            found.extend((parse_assertion_id(notice_id), document) for notice_id, document
                         in await self.node.store.erasure_documents(notices))
        recent = self._recent
        assertions = [d for d in wanted if not catalog.is_notice(d)]
        missing = [id_from_digest(d) for d in assertions if d not in recent]
        if missing:
            stored = {parse_assertion_id(item.id): item.record.document
                      for item in await self.node.store.get_many(missing)}
        else:
            stored = {}
        for digest in assertions:
            document = recent.get(digest) or stored.get(digest)
            if document is not None:
                found.append((digest, document))
        docs: list[dict[str, Any]] = []
        roots: list[str] = []
        budget = self.settings.max_message_bytes // 2
        for digest, document in found:
            size = len(document)
            if docs and size > budget:
                break
            budget -= size
            docs.append(json.loads(document))
            roots.append(catalog.root_of(digest))
        return docs, roots
