"""Keys of recognised peers: fetched, checked, cached, refreshed; resolved by the keyring.

A node signs its own assertions (and its gossip ``hello``) with its did:web keys. To verify
them, :class:`PeerKeys` fetches a recognised peer's ``/.well-known/did.json`` and
``/.well-known/confiance`` from the URL it is recognised under (over https, plain http for
loopback peers only; no redirects), checks them (:mod:`..remotekeys`: the DID must be that
URL's did:web, rotation statements verified, keys pinned) and caches the keys with their
validity periods in a :class:`~..remotekeys.RemoteKeys`, which the keyring then resolves
synchronously (the verifier never waits on the network).

When: on adding or loading a peer, on every new session (``hello``, both ways), after
anti-entropy once the cache is older than ``key_cache_ttl`` (:meth:`PeerKeys.schedule`,
in the background); and on demand before a document naming a key not cached, or signed
after the last fetch, is verified (:meth:`PeerKeys.prefetch_many`, the ingestor's hook) —
at most once per ``key_refresh_min`` per DID, one fetch at a time per DID. A failure is
recorded in the cache (shown in ``GET /admin/peers``) and never raised: the documents it
leaves unverifiable are set aside without blame, and anti-entropy offers them again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from confiance.protocol.errors import SchemaError
from confiance.protocol.model import parse_datetime

from ..context import Node
from ..remotekeys import PeerKeySet, RemoteKeys, RemoteKeysRefused, key_set_from_documents
from .links import PeerLink
from .outbound import PeerClient, PeerUnavailable
from .settings import GossipSettings

__all__ = ["PeerKeys"]

log = logging.getLogger("confiance.gossip")

_DID_MEDIA = ("application/did+json", "application/did+ld+json", "application/json",
              "application/ld+json")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")


def _did_web_methods(document: Mapping[str, Any], limit: int
                     ) -> list[tuple[str, datetime | None]]:
    """(verificationMethod, created) of the proofs of a (not yet verified) document that
    name a did:web key; unreadable values are skipped (verification will judge them)."""
    proof = document.get("proof")
    items = proof if isinstance(proof, list) else [proof]
    found: list[tuple[str, datetime | None]] = []
    for item in items[:limit]:
        if not isinstance(item, Mapping):
            continue
        vm, created = item.get("verificationMethod"), item.get("created")
        if not isinstance(vm, str) or not vm.startswith("did:web:") or len(vm) > 2048:
            continue
        try:
            when = parse_datetime(created, "created") if isinstance(created, str) else None
        except SchemaError:
            when = None
        found.append((vm, when))
    return found


class PeerKeys:
    """The did:web keys of recognised peers (see the module docstring).

    ``links`` is the engine's live table of recognised peers (URL to link), read on every
    look-up; ``clock`` is monotonic seconds.
    """

    def __init__(self, node: Node, settings: GossipSettings, links: Mapping[str, PeerLink],
                 client: PeerClient, clock: Callable[[], float]) -> None:
        self.node = node
        self.settings = settings
        self.links = links
        self.client = client
        self.clock = clock
        self.cache = RemoteKeys(max_dids=settings.max_remote_dids)
        self.fetches = 0
        self.failures = 0
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: dict[str, asyncio.Task[PeerKeySet | None]] = {}

    def peer_for(self, did: str) -> PeerLink | None:
        """The recognised, not dropped, peer whose URL is ``did`` (https preferred)."""
        best = None
        for link in self.links.values():
            if link.did == did and link.dropped_reason is None and (
                    best is None or link.url.startswith("https:")):
                best = link
        return best

    def _stale(self, did: str, vm: str | None = None, created: datetime | None = None
               ) -> bool:
        return self.cache.needs_refresh(did, vm, created, now=self.clock(),
                                        ttl=self.settings.key_cache_ttl,
                                        min_interval=self.settings.key_refresh_min)

    async def prefetch_many(self, documents: Iterable[Mapping[str, Any]]) -> None:
        """Before verifying ``documents`` (the ingestor's hook): fetch the keys of recognised
        peers their proofs name, when not cached, stale, or possibly rotated since; one
        fetch per DID, DIDs fetched concurrently."""
        own = self.node.did
        wanted: dict[str, PeerLink] = {}
        limit = self.node.limits.max_proofs
        for document in documents:
            for vm, created in _did_web_methods(document, limit):
                did = vm.partition("#")[0]
                if did == own or did in wanted:
                    continue
                lock = self._locks.get(did)
                if self._stale(did, vm, created) or (lock is not None and lock.locked()):
                    link = self.peer_for(did)
                    if link is not None:
                        wanted[did] = link
        if len(wanted) == 1:
            await self.refresh(next(iter(wanted.values())), force=True)
        elif wanted:
            await asyncio.gather(*(self.refresh(link, force=True)
                                   for link in wanted.values()))

    def schedule(self, link: PeerLink) -> None:
        """Refresh a peer's keys in the background when never fetched or older than the
        cache TTL (on add, start, hello, anti-entropy); one task per DID at a time."""
        did = link.did
        if did is None or link.dropped_reason is not None or did in self._tasks \
                or not self._stale(did):
            return
        task = asyncio.create_task(self.refresh(link), name=f"peer keys {link.url}")
        self._tasks[did] = task
        task.add_done_callback(
            lambda done: self._tasks.pop(did) if self._tasks.get(did) is done else None)

    async def refresh(self, link: PeerLink, *, force: bool = False) -> PeerKeySet | None:
        """Fetch and check ``link``'s keys (at most once per ``key_refresh_min``, one fetch
        at a time per DID); failures are recorded in the cache, never raised."""
        did = link.did
        if did is None:
            return None
        lock = self._locks.setdefault(did, asyncio.Lock())
        async with lock:
            entry = self.cache.entry(did)
            now = self.clock()
            if entry is not None and now - entry.attempted < self.settings.key_refresh_min:
                return entry.keys  # fetched meanwhile, or failed a moment ago
            if not force and not self._stale(did):
                return entry.keys if entry is not None else None
            self.fetches += 1
            try:
                keys = await self._fetch(link, did, entry.keys if entry is not None else None)
            except RemoteKeysRefused as exc:
                self.failures += 1
                self.cache.failed(did, str(exc), now, refused=True)
                log.warning("peer keys refused", extra={"peer": link.url, "did": did,
                                                        "reason": str(exc)[:300]})
                return None
            except (PeerUnavailable, TimeoutError, OSError) as exc:
                self.failures += 1
                reason = str(exc) or type(exc).__name__
                self.cache.failed(did, reason, now)
                log.info("peer keys unavailable", extra={"peer": link.url, "did": did,
                                                         "error": reason[:300]})
                return None
            except Exception as exc:  # a bug must not turn every ingest into a 500
                self.failures += 1
                self.cache.failed(did, f"internal error: {type(exc).__name__}", now)
                log.exception("fetching the keys of %s failed", link.url)
                return None
            self.cache.store(keys, now)
            log.info("peer keys", extra={"peer": link.url, "did": did,
                                         "keys": sorted(keys.signing)})
            return keys

    async def _fetch(self, link: PeerLink, did: str, previous: PeerKeySet | None
                     ) -> PeerKeySet:
        host = urlsplit(link.url).hostname or ""
        if not link.url.startswith("https://") and not _is_loopback(host):
            raise RemoteKeysRefused(f"{link.url} is not https: did:web keys are fetched over "
                                    "https only (plain http for loopback peers only)")
        node = self.node
        # The documents are at least as fresh as the moment we ask for them, no fresher: a
        # rotation may land while they travel, so a proof made after this moment must make
        # us ask again (``needs_refresh``), even one made before the answer arrived.
        asked = node.now()
        did_doc = await self._get_json(link.url + "/.well-known/did.json")
        descriptor = await self._get_json(link.url + "/.well-known/confiance")
        limits = replace(node.limits, max_bytes=self.settings.max_key_document_bytes)
        keys = key_set_from_documents(did_doc, descriptor, did=did, source=link.url,
                                      now=node.now(), loader=node.loader, limits=limits,
                                      previous=previous)
        return replace(keys, fetched_at=asked)

    async def _get_json(self, url: str) -> Any:
        """GET one JSON document: no redirects (the DID is bound to this URL), bounded in
        time and size."""
        cap = self.settings.max_key_document_bytes
        reply = await self.client.get(url, accept=_DID_MEDIA, cap=cap,
                                      timeout=self.settings.key_fetch_timeout)
        if reply.status != 200:
            raise PeerUnavailable(f"HTTP {reply.status} from {url}")
        if reply.content_type not in _DID_MEDIA:
            raise RemoteKeysRefused(f"{url} answered {reply.content_type}, not JSON")
        if (reply.declared_length is not None and reply.declared_length > cap) \
                or len(reply.body) > cap:
            raise RemoteKeysRefused(f"{url} is larger than {cap} bytes")
        try:  # not parse_json: discovery documents hold nulls, which assertions may not
            return json.loads(reply.body)
        except (ValueError, RecursionError) as exc:
            raise RemoteKeysRefused(f"{url} is not valid JSON: {str(exc)[:200]}") from None

    def forget(self, link: PeerLink) -> None:
        """A peer is no longer recognised: its keys no longer resolve (unless another
        recognised URL has the same DID)."""
        did = link.did
        if did is None or any(other.did == did for other in self.links.values()
                              if other is not link):
            return
        self.cache.forget(did)
        self._locks.pop(did, None)
        task = self._tasks.pop(did, None)
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def status_json(self, link: PeerLink) -> dict[str, Any]:
        return self.cache.status_json(link.did) if link.did else {"status": "unknown"}
