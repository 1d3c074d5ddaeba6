"""The gossip engine of a node: its parts put together, started, stopped, administered.

:class:`Gossip` owns the :class:`~.mesh.Mesh` (state and movement of documents), one
:class:`~.worker.PeerWorker` task per recognised peer, the :class:`~.responder.Responder`
(``POST /gossip``) and the Plumtree timer task (ids announced and never delivered are
grafted after ``graft_timeout``). It is the operator's handle on the peers (``/admin/peers``
and ``confiance peers``): recognise, update, remove, reinstate, and their JSON form.

Recognised peers and their dropped state live in ``DATA_DIR/gossip.sqlite3``
(:class:`~..storage.gossip_sqlite.GossipStore`); the id catalogue is rebuilt from the store
at start-up, and a first anti-entropy round with every peer, spread over half a second,
catches up whatever was missed while the node was down.

:func:`gossip_context` is the application's cleanup context (``routes/gossip.setup`` plugs
it in): it opens the gossip store and the :class:`~.outbound.PeerClient`, hands the peers'
keys to the keyring and the key prefetch to the ingestor, and undoes all of it at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from confiance.protocol.errors import ConfianceError, MalformedDocument
from confiance.protocol.gossip import Backoff, GossipLimits, PeerStatus, Scoreboard

from ..catalog import IdCatalog
from ..context import NODE, Node
from ..identity import did_web_for
from ..storage.gossip_sqlite import GossipStore, PeerRow
from .keys import PeerKeys
from .links import PeerLink, filters_from_json, normalise_url
from .mesh import GossipStats, Mesh
from .outbound import PeerClient
from .responder import Responder
from .settings import GossipSettings, settings_for
from .worker import PeerWorker

__all__ = ["GOSSIP", "Gossip", "gossip_context"]

log = logging.getLogger("confiance.gossip")


class Gossip:
    """The gossip engine of one node (see the module docstring)."""

    def __init__(self, node: Node, store: GossipStore, client: PeerClient,
                 settings: GossipSettings, *, rng: random.Random | None = None) -> None:
        self.node = node
        self.settings = settings
        self.mesh = Mesh(node, store, client, settings,
                         rng or random.Random(int.from_bytes(os.urandom(8), "big")))
        self.responder = Responder(self.mesh)
        self._slots = asyncio.Semaphore(settings.max_requests_in_flight)
        self._tasks: list[asyncio.Task[None]] = []

    # the parts of the mesh that the admin API, the routes and tests read
    @property
    def links(self) -> dict[str, PeerLink]:
        return self.mesh.links

    @property
    def keys(self) -> PeerKeys:
        return self.mesh.keys

    @property
    def stats(self) -> GossipStats:
        return self.mesh.stats

    @property
    def catalog(self) -> IdCatalog:
        return self.mesh.catalog

    @property
    def scores(self) -> Scoreboard:
        return self.mesh.scores

    @property
    def store(self) -> GossipStore:
        return self.mesh.store

    @property
    def client(self) -> PeerClient:
        return self.mesh.client

    @property
    def root(self) -> str:
        return self.mesh.root

    @property
    def limits(self) -> GossipLimits:
        return self.mesh.limits

    def clock(self) -> float:
        return self.mesh.clock()

    async def handle(self, body: bytes, token: str | None) -> tuple[int, bytes]:
        """Answer one ``POST /gossip`` (:meth:`.responder.Responder.handle`)."""
        return await self.responder.handle(body, token)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Subscribe to new assertions, load the catalogue and the peers, start workers."""
        mesh = self.mesh
        self.node.ingestor.subscribe(mesh.on_new)
        self.node.ingestor.subscribe_notices(mesh.on_notice)
        self.node.ingestor.subscribe_erasure(mesh.on_erasure)
        count = await mesh.catalog.load(self.node.store)
        for row in await mesh.store.list_peers():
            self._add_link(row)
        self._tasks.append(asyncio.create_task(self._tick(), name="gossip-tick"))
        log.info("gossip ready", extra={"ids": count, "peers": len(mesh.links)})

    async def stop(self) -> None:
        tasks = self._tasks + [link.task for link in self.links.values() if link.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.keys.stop()
        for link in self.links.values():
            if link.session is not None and link.token is not None:
                link.session = None

    def _add_link(self, row: PeerRow) -> PeerLink:
        mesh = self.mesh
        try:
            did: str | None = did_web_for(row.url)
        except ConfianceError:
            did = None
        link = PeerLink(url=row.url, name=row.name, filters=filters_from_json(row.filters),
                        backoff=Backoff(mesh.backoff_policy), added_at=row.added_at,
                        did=did if did != self.node.did else None,
                        dropped_reason=row.dropped_reason, dropped_at=row.dropped_at)
        # first anti-entropy soon after start, spread so that peers are not hit together
        link.next_sync = self.clock() + mesh.rng.uniform(0.05, 0.5)
        mesh.links[row.url] = link
        if link.dropped_reason is None:
            mesh.plumtree.add_peer(row.url)
        link.task = asyncio.create_task(PeerWorker(mesh, link, self._slots).run(),
                                        name=f"gossip {row.url}")
        mesh.keys.schedule(link)
        return link

    async def _tick(self) -> None:
        """Plumtree timers: graft what was announced and never delivered."""
        mesh = self.mesh
        while True:
            await asyncio.sleep(self.settings.tick_interval)
            for graft in mesh.plumtree.due(self.clock()):
                link = mesh.links.get(graft.peer)
                if link is None or link.dropped_reason is not None:
                    continue
                for digest, root in zip(graft.ids, graft.roots, strict=True):
                    if digest not in mesh.catalog:
                        link.graft[digest] = root
                link.wake.set()

    # ------------------------------------------------------------------ peers (admin)

    def find(self, key: str) -> PeerLink | None:
        """A peer by name or URL."""
        for link in self.links.values():
            if key in (link.name, link.url):
                return link
        try:
            return self.links.get(normalise_url(key))
        except MalformedDocument:
            return None

    async def add_peer(self, url: str, *, name: str | None = None,
                       filters: Mapping[str, Any] | None = None) -> tuple[PeerLink, bool]:
        """Recognise a peer (or update its name and filters); persisted, applied at once."""
        url = normalise_url(url)
        if url == self.root:
            raise MalformedDocument("a node does not gossip with itself")
        parsed = filters_from_json(filters)
        label = (name or urlsplit(url).netloc).strip()
        if not label or len(label) > 200:
            raise MalformedDocument("a peer name is 1..200 characters")
        now = self.node.now()
        created = await self.store.upsert_peer(url, label, parsed.to_json(), now)
        for other in [x for x in self.links.values() if x.name == label and x.url != url]:
            await self._forget(other)
        link = self.links.get(url)
        if link is None:
            link = self._add_link(PeerRow(url=url, name=label, filters=parsed.to_json(),
                                          added_at=now))
            link.next_sync = self.clock()
        else:
            link.name, link.filters = label, parsed
            link.session = None  # the next session says the new filters in its hello
        link.wake.set()
        log.info("peer %s", "added" if created else "updated",
                 extra={"peer": url, "peer_name": label})
        return link, created

    async def remove_peer(self, key: str) -> bool:
        link = self.find(key)
        if link is None:
            return False
        await self.store.remove_peer(link.url)
        await self._forget(link)
        log.info("peer removed", extra={"peer": link.url})
        return True

    async def _forget(self, link: PeerLink) -> None:
        mesh = self.mesh
        mesh.links.pop(link.url, None)
        mesh.keys.forget(link)
        mesh.plumtree.remove_peer(link.url)
        mesh.scores.forget(link.url)
        if link.task is not None:
            link.task.cancel()
            await asyncio.gather(link.task, return_exceptions=True)

    async def reinstate(self, key: str) -> PeerLink | None:
        """Operator decision: forget a dropped peer's score and exchange with it again."""
        link = self.find(key)
        if link is None:
            return None
        self.scores.reinstate(link.url)
        link.dropped_reason = link.dropped_at = None
        link.backoff.success()
        await self.store.set_dropped(link.url, None, None)
        self.mesh.plumtree.add_peer(link.url)
        link.next_sync = self.clock()
        link.wake.set()
        self.keys.schedule(link)
        log.info("peer reinstated", extra={"peer": link.url})
        return link

    def status_of(self, link: PeerLink) -> str:
        if link.dropped_reason is not None:
            return str(PeerStatus.DROPPED.value)
        return str(self.scores.status(link.url, self.clock()).value)

    def peer_json(self, link: PeerLink) -> dict[str, Any]:
        now = self.clock()
        score = self.scores[link.url].to_json(now)
        return {
            "url": link.url, "name": link.name, "did": link.did,
            "filters": link.filters.to_json(), "keys": self.keys.status_json(link),
            "status": self.status_of(link), "score": score["score"], "counters": {
                k: score[k] for k in ("first_deliveries", "duplicates", "invalid",
                                      "violations")},
            "failures": link.backoff.failures,
            "retryIn": round(max(0.0, link.backoff.next_attempt - now), 3),
            "lastSuccess": link.last_success.isoformat() if link.last_success else None,
            "lastError": link.last_error, "droppedReason": link.dropped_reason,
            "syncs": link.syncs, "queued": {"push": len(link.push), "ihave": len(link.ihave),
                                            "graft": len(link.graft), "want": len(link.want)},
        }


GOSSIP = web.AppKey("confiance.gossip", Gossip)


async def gossip_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the gossip engine of the node under :data:`GOSSIP`, with its store,
    its HTTP client, the peers' keys in the keyring and the key prefetch in the ingestor."""
    node = app[NODE]
    settings = settings_for(app, node)
    store = await GossipStore.open(node.config.data_dir)
    client = PeerClient.open(node.config, in_flight=settings.max_requests_in_flight,
                             timeout=settings.request_timeout,
                             user_agent=f"confiance/{node.version} gossip")
    gossip = Gossip(node, store, client, settings)
    app[GOSSIP] = gossip
    node.keyring.remote = gossip.keys.cache
    node.ingestor.key_prefetch = gossip.keys.prefetch_many
    try:
        await gossip.start()
        yield
    finally:
        node.ingestor.key_prefetch = None
        node.keyring.remote = None
        await gossip.stop()
        await client.close()
        await store.close()
