"""Gossip with recognised peers over HTTP: the only module of the node making outbound HTTP.

It drives the sans-IO engines of :mod:`confiance.protocol.gossip` (session state machine,
reconciliation, Plumtree, scoring, backoff) over ``POST <peer>/gossip``:

- **push**: every assertion newly stored here (from ``POST /assertions``, the admin API or
  gossip) goes, after verification by the :class:`~.ingest.Ingestor`, as a payload to the
  peers that are eager in its broadcast tree and as an id (``ihave``) to the lazy ones;
- **pull**: ids announced but not delivered are grafted after a timeout; ids found missing
  by anti-entropy are asked for (``want``);
- **anti-entropy**: with every recognised peer, every ``anti_entropy_interval`` (jittered),
  range-based reconciliation over the ids both hold, then the differences both ways.

One worker task per peer, with its own bounded queues and its own exponential backoff:
an unreachable peer never delays the others; a global semaphore bounds requests in flight.
Every document from a peer goes through the ingestor (verified, then stored, then
forwarded): an invalid one is never stored nor forwarded and costs the peer score; a peer
below the drop threshold is dropped (persisted, logged, shown in ``peers list``) until an
operator reinstates it. Peers and their dropped state live in ``DATA_DIR/gossip.sqlite3``;
the id catalogue is rebuilt from the store at start-up, and a first anti-entropy round with
every peer then catches up whatever was missed while the node was down.

The responder side (``POST /gossip``, served by :mod:`.routes.gossip`) is
:meth:`Gossip.handle`. A session opens only for a ``hello`` signed by the key of the
recognised peer it names (:mod:`confiance.protocol.gossip.auth`; the key is one of that
peer's pinned keys, below); a refusal is 401 and never costs that peer score.
:func:`setup` plugs all this into ``create_app``.

**Keys of recognised peers** (:class:`PeerKeys`): a node signs its own assertions with its
did:web keys; to verify them, this module fetches a recognised peer's
``/.well-known/did.json`` and ``/.well-known/confiance`` from the URL it is recognised under,
checks them (:mod:`.remotekeys`: the DID must be that URL's did:web, rotation statements
verified, keys pinned) and caches the keys with their validity periods, which the keyring
then resolves synchronously. Fetched when a peer is added or loaded, on every new session
(``hello``, both ways), after anti-entropy once the cache is older than ``key_cache_ttl``,
and on demand before a document naming a key not cached (or signed after the last fetch)
is verified, at most once per ``key_refresh_min`` per DID.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import json
import logging
import os
import random
import secrets
import time
import tomllib
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from confiance.protocol.errors import (
    ConfianceError,
    GossipError,
    KeyResolutionError,
    MalformedDocument,
    SchemaError,
    ValidityError,
)
from confiance.protocol.gossip import (
    HELLO_WINDOW,
    Ack,
    Backoff,
    BackoffPolicy,
    Close,
    Error,
    Filters,
    GossipLimits,
    Graft,
    Hello,
    HelloRefused,
    Ihave,
    Message,
    NonceCache,
    PeerStatus,
    Plumtree,
    PlumtreeConfig,
    Prune,
    Push,
    Reconcile,
    ReconcileConfig,
    Reconciliation,
    Role,
    Scoreboard,
    Session,
    State,
    Want,
    Welcome,
    check_hello,
    encode_message,
    respond,
    sign_hello,
    verify_hello_signature,
)
from confiance.protocol.ids import digest_of, id_from_digest, parse_assertion_id
from confiance.protocol.keys import ResolvedKey
from confiance.protocol.model import KINDS, parse_datetime

from .catalog import IdCatalog
from .context import NODE, Node
from .erasures import ErasureNotice, is_notice
from .identity import did_web_for
from .problems import Conflict, Gone, HelloNotAuthenticated
from .remotekeys import PeerKeySet, RemoteKeys, RemoteKeysRefused, key_set_from_documents
from .storage import StoredAssertion
from .storage.gossip_sqlite import GossipStore, PeerRow
from .tls import client_context

__all__ = [
    "GOSSIP",
    "GOSSIP_SETTINGS",
    "SESSION_HEADER",
    "Gossip",
    "GossipSettings",
    "PeerKeys",
    "admin_request",
    "current_origin",
    "filters_from_json",
    "normalise_url",
    "setup",
]

log = logging.getLogger("confiance.gossip")
SESSION_HEADER = "Confiance-Gossip-Session"
_ORIGIN: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "confiance_gossip_origin", default=None)


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


@dataclass(frozen=True, kw_only=True)
class GossipSettings:
    """Tuning of gossip (seconds for times). Read from ``[gossip]`` in ``confiance.toml``."""

    flush_interval: float = 0.05
    anti_entropy_interval: float = 60.0
    request_timeout: float = 10.0
    tick_interval: float = 0.1
    max_queue: int = 10_000
    batch_assertions: int = 64
    batch_ids: int = 2_000
    max_requests_in_flight: int = 16
    graft_timeout: float = 2.0
    retry_timeout: float = 1.0
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    session_ttl: float = 300.0
    max_sessions: int = 1024
    max_message_bytes: int = 4 * 1024 * 1024
    reconcile_frame: int = 256 * 1024
    anti_entropy_grace: float = 5.0
    key_cache_ttl: float = 300.0
    key_refresh_min: float = 5.0
    key_fetch_timeout: float = 5.0
    max_key_document_bytes: int = 256 * 1024
    max_remote_dids: int = 1024

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise MalformedDocument(f"gossip.{item.name} must be a positive number")

    @classmethod
    def from_toml(cls, doc: Mapping[str, Any]) -> GossipSettings:
        """Settings from the ``[gossip]`` table of a parsed ``confiance.toml``."""
        table = doc.get("gossip", {})
        if not isinstance(table, Mapping):
            raise MalformedDocument("[gossip] must be a table")
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(table) - set(known)
        if unknown:
            raise MalformedDocument(f"unknown [gossip] settings: {', '.join(sorted(unknown))}")
        try:
            values = {k: (int(v) if known[k] == "int" else float(v)) for k, v in table.items()}
        except (TypeError, ValueError):
            raise MalformedDocument("[gossip] settings must be numbers") from None
        return cls(**values)  # type: ignore[arg-type]

    @property
    def limits(self) -> GossipLimits:
        return GossipLimits(max_message_bytes=self.max_message_bytes)


GOSSIP_SETTINGS = web.AppKey("confiance.gossip_settings", GossipSettings)


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


def _passes(doc: Mapping[str, Any], filters: Filters) -> bool:
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


class _Unavailable(Exception):
    """The peer could not be reached or answered outside the protocol (transient)."""


class _Refused(Exception):
    """The peer ended the session with an ``error`` message."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


@dataclass(eq=False, kw_only=True)
class PeerLink:
    """One recognised peer: its outbound queues, session, backoff and worker."""

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
    next_sync: float = 0.0
    syncs: int = 0
    last_success: datetime | None = None
    last_error: str | None = None
    dropped_reason: str | None = None
    dropped_at: datetime | None = None
    task: asyncio.Task[None] | None = None

    def has_work(self) -> bool:
        return bool(self.push or self.ihave or self.graft or self.want or self.prune)

    def next_due(self) -> float | None:
        """When a deferred want falls due (None: none deferred)."""
        return min(self.want_later.values()) if self.want_later else None


@dataclass(eq=False)
class _Responder:
    session: Session
    peer: str
    last_used: float
    busy: bool = False


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


#: ids asked for (want) remembered per peer, at most
_MAX_ASKED = 65536


def _take(queue: OrderedDict[bytes, Any], n: int) -> list[tuple[bytes, Any]]:
    items: list[tuple[bytes, Any]] = []
    while queue and len(items) < n:
        items.append(queue.popitem(last=False))
    return items


async def _read_capped(content: aiohttp.StreamReader, cap: int) -> bytes:
    """The whole body, or its first ``cap + 1`` bytes (``StreamReader.read(n)`` returns what
    is buffered, possibly less than the body)."""
    body = bytearray()
    async for chunk in content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > cap:
            break
    return bytes(body)


def _problem(status: int, body: bytes) -> _Refused:
    """An RFC 9457 refusal by a peer (e.g. ``hello-not-authenticated``) as :class:`_Refused`."""
    try:
        problem = json.loads(body)
    except (ValueError, RecursionError):
        problem = None
    if not isinstance(problem, dict):
        return _Refused(f"http-{status}", "unreadable problem")
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1][:80] or f"http-{status}"
    return _Refused(slug, str(problem.get("detail", ""))[:300])


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


_DID_MEDIA = ("application/did+json", "application/did+ld+json", "application/json",
              "application/ld+json")


class PeerKeys:
    """The did:web keys of recognised peers: fetched here, checked and cached by
    :mod:`.remotekeys`, resolved by the keyring (see the module docstring)."""

    def __init__(self, gossip: Gossip) -> None:
        self.gossip = gossip
        self.settings = gossip.settings
        self.cache = RemoteKeys(max_dids=self.settings.max_remote_dids)
        self.fetches = 0
        self.failures = 0
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: dict[str, asyncio.Task[PeerKeySet | None]] = {}

    def peer_for(self, did: str) -> PeerLink | None:
        """The recognised, not dropped, peer whose URL is ``did`` (https preferred)."""
        best = None
        for link in self.gossip.links.values():
            if link.did == did and link.dropped_reason is None and (
                    best is None or link.url.startswith("https:")):
                best = link
        return best

    def _stale(self, did: str, vm: str | None = None, created: datetime | None = None
               ) -> bool:
        return self.cache.needs_refresh(did, vm, created, now=self.gossip.clock(),
                                        ttl=self.settings.key_cache_ttl,
                                        min_interval=self.settings.key_refresh_min)

    async def prefetch(self, document: Mapping[str, Any]) -> None:
        """Before verifying ``document``: fetch the keys of recognised peers its proofs
        name, when not cached, stale, or possibly rotated since (the ingestor's hook)."""
        await self.prefetch_many([document])

    async def prefetch_many(self, documents: Iterable[Mapping[str, Any]]) -> None:
        """The same for a batch: one fetch per DID, DIDs fetched concurrently."""
        own = self.gossip.node.did
        wanted: dict[str, PeerLink] = {}
        limit = self.gossip.node.limits.max_proofs
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
            now = self.gossip.clock()
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
            except (_Unavailable, aiohttp.ClientError, TimeoutError, OSError) as exc:
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
        node = self.gossip.node
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
        timeout = aiohttp.ClientTimeout(total=self.settings.key_fetch_timeout)
        try:
            async with self.gossip.http.get(url, allow_redirects=False, timeout=timeout,
                                            headers={"Accept": ", ".join(_DID_MEDIA)}) as resp:
                if resp.status != 200:
                    raise _Unavailable(f"HTTP {resp.status} from {url}")
                if resp.content_type not in _DID_MEDIA:
                    raise RemoteKeysRefused(f"{url} answered {resp.content_type}, not JSON")
                if resp.content_length is not None and resp.content_length > cap:
                    raise RemoteKeysRefused(f"{url} is larger than {cap} bytes")
                body = await _read_capped(resp.content, cap)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise _Unavailable(f"{url}: {type(exc).__name__}: {exc}") from None
        if len(body) > cap:
            raise RemoteKeysRefused(f"{url} is larger than {cap} bytes")
        try:  # not parse_json: discovery documents hold nulls, which assertions may not
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise RemoteKeysRefused(f"{url} is not valid JSON: {str(exc)[:200]}") from None

    def forget(self, link: PeerLink) -> None:
        """A peer is no longer recognised: its keys no longer resolve (unless another
        recognised URL has the same DID)."""
        did = link.did
        if did is None or any(other.did == did for other in self.gossip.links.values()
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


class Gossip:
    """The gossip engine of one node (see the module docstring)."""

    def __init__(self, node: Node, store: GossipStore, http: aiohttp.ClientSession,
                 settings: GossipSettings, *, rng: random.Random | None = None) -> None:
        self.node = node
        self.store = store
        self.http = http
        self.settings = settings
        self.root = node.base_url
        self.rng = rng or random.Random(int.from_bytes(os.urandom(8), "big"))
        self.catalog = IdCatalog()
        self.plumtree = Plumtree(config=PlumtreeConfig(graft_timeout=settings.graft_timeout,
                                                       retry_timeout=settings.retry_timeout))
        self.scores = Scoreboard()
        self.links: dict[str, PeerLink] = {}
        self.stats = GossipStats()
        self.limits = settings.limits
        self.reconcile = ReconcileConfig(frame_limit=settings.reconcile_frame)
        self.backoff_policy = BackoffPolicy(base=settings.backoff_base,
                                            cap=max(settings.backoff_cap,
                                                    settings.backoff_base))
        self._sessions: OrderedDict[str, _Responder] = OrderedDict()
        self._nonces = NonceCache(window=HELLO_WINDOW)
        self._slots = asyncio.Semaphore(settings.max_requests_in_flight)
        self._tasks: list[asyncio.Task[None]] = []
        self.keys = PeerKeys(self)
        # (peer, id) -> until when: ids we answered a peer's ihave with ``want`` for; its
        # push of them is an answer, not a flood, even if another peer was faster
        self._asked: OrderedDict[tuple[str, bytes], float] = OrderedDict()
        # (peer, root) -> when we first told the peer to stop pushing that tree to us
        self._pruned_at: dict[tuple[str, str], float] = {}

    @staticmethod
    def clock() -> float:
        return time.monotonic()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Subscribe to new assertions, load the catalogue and the peers, start workers."""
        self.node.ingestor.subscribe(self._on_new)
        self.node.ingestor.subscribe_notices(self._on_notice)
        self.node.ingestor.subscribe_erasure(self._on_erasure)
        count = await self.catalog.load(self.node.store)
        for row in await self.store.list_peers():
            self._add_link(row)
        self._tasks.append(asyncio.create_task(self._tick(), name="gossip-tick"))
        log.info("gossip ready", extra={"ids": count, "peers": len(self.links)})

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
        try:
            did: str | None = did_web_for(row.url)
        except ConfianceError:
            did = None
        link = PeerLink(url=row.url, name=row.name, filters=filters_from_json(row.filters),
                        backoff=Backoff(self.backoff_policy), added_at=row.added_at,
                        did=did if did != self.node.did else None,
                        dropped_reason=row.dropped_reason, dropped_at=row.dropped_at)
        # first anti-entropy soon after start, spread so that peers are not hit together
        link.next_sync = self.clock() + self.rng.uniform(0.05, 0.5)
        self.links[row.url] = link
        if link.dropped_reason is None:
            self.plumtree.add_peer(row.url)
        link.task = asyncio.create_task(self._run_link(link), name=f"gossip {row.url}")
        self.keys.schedule(link)
        return link

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
        self.links.pop(link.url, None)
        self.keys.forget(link)
        self.plumtree.remove_peer(link.url)
        self.scores.forget(link.url)
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
        self.plumtree.add_peer(link.url)
        link.next_sync = self.clock()
        link.wake.set()
        self.keys.schedule(link)
        log.info("peer reinstated", extra={"peer": link.url})
        return link

    async def _check_drop(self, url: str) -> None:
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

    # ------------------------------------------------------------------ new assertions

    def _on_new(self, stored: StoredAssertion) -> None:
        """Ingest listener: catalogue the assertion and forward it along the trees."""
        rec = stored.record
        digest = parse_assertion_id(rec.id)
        self.catalog.add(digest, rec.kind, rec.context, rec.issuer)
        self._forward(digest)

    def _on_erasure(self, ids: list[str]) -> None:
        """Erasure listener: erased ids stay in the catalogue, as tombstones."""
        for assertion_id in ids:
            self.catalog.add_tombstone(parse_assertion_id(assertion_id))

    def _on_notice(self, notice: ErasureNotice, changed: list[str]) -> None:
        """Notice listener: catalogue the notice and its tombstones, forward it like a payload.

        A notice new here is broadcast along the trees exactly as a new assertion is, so an
        erasure reaches every node; anti-entropy brings it to those that missed it.
        """
        for assertion_id in notice.erased:
            self.catalog.add_tombstone(parse_assertion_id(assertion_id))
        digest = parse_assertion_id(notice.id)
        self.catalog.add_notice(digest)
        self._forward(digest)

    def _forward(self, digest: bytes) -> None:
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
            self._enqueue(url, digest, root, eager=True)
        for url in forward.announce_to:
            self._enqueue(url, digest, root, eager=False)

    def _enqueue(self, url: str, digest: bytes, root: str, *, eager: bool) -> None:
        link = self.links.get(url)
        if link is None or link.dropped_reason is not None:
            return
        if not link.filters.empty and not self.catalog.is_notice(digest) \
                and not self.catalog.matches(digest, link.filters):
            return
        if eager and self.scores.status(url, self.clock()) is not PeerStatus.GOOD:
            eager = False  # throttled: ids only
        queue = link.push if eager else link.ihave
        queue[digest] = root
        if len(queue) > self.settings.max_queue:
            queue.popitem(last=False)  # oldest out: anti-entropy will repair
        link.wake.set()

    # ------------------------------------------------------------------ ingest

    async def ingest(self, docs: Iterable[Mapping[str, Any]], roots: Iterable[str],
                     peer: str, *, solicited: bool = False) -> tuple[str, ...]:
        """Verify and store documents a peer sent; returns the roots to prune.

        The keys of recognised peers that the batch names are fetched first (once per DID,
        see :class:`PeerKeys`). Invalid documents cost the peer score and are neither stored
        nor forwarded; those that cannot be checked here (a did:web not recognised here or
        whose keys are unavailable, a key outside its period, expired, out of order) are set
        aside without blame; anti-entropy offers them again later. A pushed document we
        already hold prunes the sender in its tree; only when the sender was pruned there
        already (it ignores prunes, or floods) does it cost score. Answers to our own
        ``want``/``graft`` (``solicited``) never do.
        """
        prune: set[str] = set()  # pruned by this batch: later repeats in it are not blamed
        now = self.clock()
        roots = list(roots)
        docs = list(docs)
        link = self.links.get(peer)
        filters = link.filters if link is not None else Filters()
        # keys of recognised peers named by the batch, fetched once each, before verifying
        await self.keys.prefetch_many(d for d in docs if not is_notice(d) and (
            filters.empty or _passes(d, filters)))
        # Assertions go to the ingestor in runs (one held look-up, one executor call to
        # verify, one transaction); an erasure notice, in its place in the order, alone.
        kept: list[tuple[int, bool]] = []
        for i, doc in enumerate(docs):
            self.stats.payloads_received += 1
            self.stats.payload_bytes_received += len(json.dumps(
                doc, separators=(",", ":"), ensure_ascii=False).encode())
            notice = is_notice(doc)
            if not notice and not filters.empty and not _passes(doc, filters):
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
            for i, outcome in zip(run, outcomes, strict=True):
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
                    await self._check_drop(peer)
                elif outcome:
                    self.stats.first_deliveries += 1
                    self.scores[peer].record_first(now)
                elif solicited or self._asked.pop((peer, digest_of(docs[i])), -1.0) >= now:
                    self.stats.duplicates_solicited += 1
                else:
                    self.stats.duplicates += 1
                    delivery = self.plumtree.on_push(digest_of(docs[i]), peer, root=root,
                                                     first=False, now=now)
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
                            await self._check_drop(peer)
        return tuple(sorted(prune))

    async def _ingest_run(self, docs: list[Mapping[str, Any]], roots: list[str],
                          run: list[int], peer: str) -> list[bool | ConfianceError]:
        """Ingest ``docs[i]`` for ``i`` in ``run``: whether each was new, or its refusal.

        A run is one erasure notice, or consecutive assertions (verified and stored
        together); each assertion is forwarded as coming from ``peer`` on its root's tree.
        """
        def origin(i: int) -> contextlib.AbstractContextManager[object]:
            return _origin(peer, roots[run[i]] if run[i] < len(roots) else "")

        if is_notice(docs[run[0]]):
            with origin(0):
                try:
                    return [await self.node.ingestor.apply_notice(dict(docs[run[0]]))]
                except ConfianceError as exc:
                    return [exc]
        outcomes = await self.node.ingestor.submit_many([dict(docs[i]) for i in run],
                                                        around=origin)
        return [o if isinstance(o, ConfianceError) else o.created for o in outcomes]

    async def _documents(self, digests: Iterable[bytes]) -> tuple[list[dict[str, Any]],
                                                                  list[str]]:
        """Held documents for ``digests`` (erased or unknown ones skipped), within a budget."""
        wanted = [d for d in digests if d in self.catalog and not self.catalog.is_tombstoned(d)]
        notices = [id_from_digest(d) for d in wanted if self.catalog.is_notice(d)]
        found: list[tuple[str, bytes]] = []
        if notices:
            found.extend(await self.node.store.erasure_documents(notices))
        stored = await self.node.store.get_many(
            [id_from_digest(d) for d in wanted if not self.catalog.is_notice(d)])
        found.extend((item.id, item.record.document) for item in stored)
        docs: list[dict[str, Any]] = []
        roots: list[str] = []
        budget = self.settings.max_message_bytes // 2
        for item_id, document in found:
            size = len(document)
            if docs and size > budget:
                break
            budget -= size
            docs.append(json.loads(document))
            roots.append(self.catalog.root_of(parse_assertion_id(item_id)))
        return docs, roots

    # ------------------------------------------------------------------ responder

    async def handle(self, body: bytes, token: str | None) -> tuple[int, bytes]:
        """Answer one ``POST /gossip``: (HTTP status, body: a gossip message or empty)."""
        now = self.clock()
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
                self.scores[peer].record_violation(now)
                await self._check_drop(peer)
                self._sessions.pop(token, None)
                return 400, session.send(Error(code=exc.slug, detail=exc.message[:1000]))
            if isinstance(message, Close):
                self._sessions.pop(token, None)
                return 204, b""
            link = self.links.get(peer)
            if link is None or link.dropped_reason is not None:
                self._sessions.pop(token, None)
                return 403, session.send(Error(code="peer-not-recognised", detail=(
                    "this node no longer exchanges with you")))
            if isinstance(message, Push | Ihave | Graft) and self.scores.status(
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
        session = Session(Role.RESPONDER, limits=self.limits)
        try:
            hello = session.receive(body)
        except GossipError as exc:
            return 400, encode_message(Error(code=exc.slug, detail=exc.message[:1000]))
        assert isinstance(hello, Hello)  # the only move from IDLE
        try:
            peer = normalise_url(hello.node)
        except MalformedDocument:
            peer = hello.node
        link = self.links.get(peer)
        if link is None:
            return 403, session.send(Error(code="peer-not-recognised", detail=(
                f"{self.root} does not recognise {peer[:200]}; submit assertions to "
                "POST /assertions instead")))
        if link.dropped_reason is not None:
            return 403, session.send(Error(code="peer-dropped", detail=(
                "dropped for misbehaviour: " + link.dropped_reason)[:1000]))
        await self._authenticate(hello, link)
        token = secrets.token_urlsafe(18)
        self._sessions[token] = _Responder(session=session, peer=peer, last_used=now)
        self.keys.schedule(link)
        while len(self._sessions) > self.settings.max_sessions:
            self._sessions.popitem(last=False)
        return 200, session.send(Welcome(node=self.root, session=token,
                                         version=min(hello.version, 1)))

    async def _authenticate(self, hello: Hello, link: PeerLink) -> None:
        """Is ``hello`` signed by ``link``'s node (``protocol.gossip.auth``)? The key is one of
        the peer's pinned keys, fetched again once if unknown or not valid at ``created``
        (at most once per ``key_refresh_min``). A refusal never touches the peer's score:
        whoever sent it may not be that peer.

        Raises :class:`~.problems.HelloNotAuthenticated`.
        """
        wall = self.node.now()
        try:
            if link.did is None:
                raise HelloRefused(f"{link.url} has no did:web to authenticate it by",
                                   reason="wrong-key")
            proof = check_hello(hello, peer_did=link.did, own_did=self.node.did, now=wall)
            key = self._hello_key(proof.verification_method, proof.created)
            if key is None:
                await self.keys.refresh(link, force=True)
                key = self._hello_key(proof.verification_method, proof.created)
            if key is None:
                entry = self.keys.cache.entry(link.did)
                why = entry.error if entry is not None and entry.error else "not among them"
                raise HelloRefused(f"{proof.verification_method:.200} is not a signing key of "
                                   f"{link.did:.200} valid at {proof.created.isoformat()} "
                                   f"({why[:300]})", reason="unknown-key")
            verify_hello_signature(hello, key)
            self._nonces.add(proof.nonce, created=proof.created, now=wall)
        except HelloRefused as exc:
            self.stats.hellos_refused += 1
            log.warning("gossip hello refused", extra={"peer": link.url, "reason": exc.reason,
                                                       "detail": exc.message[:300]})
            raise HelloNotAuthenticated(exc.message, reason=exc.reason) from None

    def _hello_key(self, verification_method: str, created: datetime) -> ResolvedKey | None:
        """A recognised peer's pinned key valid at ``created``, or None."""
        try:
            key = self.keys.cache.resolve(verification_method)
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
        now = self.clock()
        if isinstance(message, Reconcile):
            return respond(self.catalog.view(session.filters), message, self.reconcile)
        if isinstance(message, Ihave):
            roots = message.roots or ("",) * len(message.ids)
            unknown = [(d, r) for d, r in zip(message.ids, roots, strict=True)
                       if d not in self.catalog]
            want = self.plumtree.on_ihave([d for d, _ in unknown], peer, now=now,
                                          roots=[r for _, r in unknown])
            for digest in want:
                self._asked[(peer, digest)] = now + self.settings.request_timeout
                self._asked.move_to_end((peer, digest))
            while len(self._asked) > _MAX_ASKED:
                self._asked.popitem(last=False)
            return Want(ids=want)
        if isinstance(message, Want | Graft):
            if isinstance(message, Graft):
                self.plumtree.on_graft(peer, set(message.roots) or {""})
            docs, doc_roots = await self._documents(message.ids)
            self.stats.payloads_sent += len(docs)
            return Push(assertions=tuple(docs), roots=tuple(doc_roots))
        if isinstance(message, Push):
            prune = await self.ingest(message.assertions, message.roots, peer)
            return Ack(prune=prune)
        if isinstance(message, Prune):
            self.plumtree.on_prune(peer, message.roots)
            return Ack()
        raise GossipError(f"unexpected {message.TYPE} message")  # the table forbids it

    # ------------------------------------------------------------------ initiator

    async def _tick(self) -> None:
        """Plumtree timers: graft what was announced and never delivered."""
        while True:
            await asyncio.sleep(self.settings.tick_interval)
            for graft in self.plumtree.due(self.clock()):
                link = self.links.get(graft.peer)
                if link is None or link.dropped_reason is not None:
                    continue
                for digest, root in zip(graft.ids, graft.roots, strict=True):
                    if digest not in self.catalog:
                        link.graft[digest] = root
                link.wake.set()

    async def _run_link(self, link: PeerLink) -> None:
        while True:
            await self._wait_for_work(link)
            try:
                async with self._slots:
                    await self._exchange(link)
                link.backoff.success()
                link.last_success = self.node.now()
                link.last_error = None
            except asyncio.CancelledError:
                raise
            except GossipError as exc:  # the peer's answer broke the protocol
                self.scores[link.url].record_violation(self.clock())
                self._failed(link, f"{exc.slug}: {exc.message}")
                await self._check_drop(link.url)
            except (_Unavailable, _Refused, aiohttp.ClientError, TimeoutError, OSError) as exc:
                self._failed(link, str(exc) or type(exc).__name__)
            except Exception as exc:
                log.exception("gossip with %s failed", link.url)
                self._failed(link, f"internal error: {type(exc).__name__}")

    def _failed(self, link: PeerLink, reason: str) -> None:
        link.session = link.token = None
        self.stats.request_failures += 1
        kind = reason.split(":", 1)[0][:40]
        if kind in self.stats.failure_reasons or len(self.stats.failure_reasons) < 32:
            self.stats.failure_reasons[kind] = self.stats.failure_reasons.get(kind, 0) + 1
        delay = link.backoff.failure(self.clock(), self.rng)
        link.last_error = reason[:300]
        log.info("gossip with peer failed", extra={
            "peer": link.url, "error": link.last_error, "retry_in": round(delay, 2),
            "failures": link.backoff.failures})

    async def _wait_for_work(self, link: PeerLink) -> None:
        while True:
            now = self.clock()
            if link.dropped_reason is not None:
                link.wake.clear()
                await link.wake.wait()
                continue
            if not link.backoff.ready(now):
                await asyncio.sleep(link.backoff.next_attempt - now)
                continue
            link.wake.clear()
            if link.has_work():
                await asyncio.sleep(self.settings.flush_interval)  # gather a batch
                return
            due = link.next_due()
            if now >= link.next_sync or (due is not None and now >= due):
                return
            wake_at = link.next_sync if due is None else min(link.next_sync, due)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(link.wake.wait(), wake_at - now)

    async def _request(self, link: PeerLink, message: Message) -> Message:
        session = link.session
        if session is None:  # dropped or reconfigured meanwhile
            raise _Unavailable("session closed")
        data = session.send(message)
        headers = {"Content-Type": "application/json"}
        if link.token is not None:
            headers[SESSION_HEADER] = link.token
        self.stats.requests_sent += 1
        try:
            async with self.http.post(link.url + "/gossip", data=data, headers=headers) as resp:
                if resp.status == 204:
                    return message
                body = await _read_capped(resp.content, self.limits.max_message_bytes)
                if resp.content_type == "application/problem+json":
                    link.session = link.token = None
                    raise _problem(resp.status, body)
                if resp.content_type != "application/json":
                    raise _Unavailable(f"HTTP {resp.status} {resp.content_type} from "
                                       f"{link.url}/gossip")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            link.session = None
            raise _Unavailable(f"{type(exc).__name__}: {exc}") from None
        answer = session.receive(body)
        if isinstance(message, Reconcile):
            self.stats.reconcile_bytes += len(data) + len(body)
        if isinstance(answer, Error):
            link.session = link.token = None
            raise _Refused(answer.code, answer.detail)
        return answer

    async def _exchange(self, link: PeerLink) -> None:
        """One visit to a peer: everything queued, then anti-entropy when it is due."""
        if link.session is None or link.session.state is not State.READY:
            link.session = Session(Role.INITIATOR, limits=self.limits)
            link.token = None
            hello = Hello(node=self.root, filters=link.filters)
            try:
                audience = link.did or did_web_for(link.url)
            except ConfianceError:
                audience = link.url
            hello = sign_hello(hello, key=self.node.keyring.signer, to=audience,
                               nonce=secrets.token_bytes(16), created=self.node.now())
            welcome = await self._request(link, hello)
            assert isinstance(welcome, Welcome)
            link.token = welcome.session
            self.keys.schedule(link)
        await self._drain(link)
        if self.clock() >= link.next_sync:
            await self._anti_entropy(link)
            await self._drain(link)
            jitter = self.rng.uniform(0.75, 1.25)
            link.next_sync = self.clock() + self.settings.anti_entropy_interval * jitter
            self.keys.schedule(link)  # periodic: only when older than key_cache_ttl

    async def _drain(self, link: PeerLink) -> None:
        n_ids, n_docs = self.settings.batch_ids, self.settings.batch_assertions
        if link.want_later:
            now = self.clock()
            for digest, due in list(link.want_later.items()):
                if digest in self.catalog:
                    del link.want_later[digest]
                elif due <= now:
                    del link.want_later[digest]
                    link.want[digest] = None
        if link.prune:
            roots = tuple(sorted(link.prune))[:n_ids]
            link.prune.difference_update(roots)
            await self._request(link, Prune(roots=roots))
        while link.graft or link.want:
            if link.graft:
                batch = [(d, r) for d, r in _take(link.graft, n_docs) if d not in self.catalog]
                request: Message = Graft(ids=tuple(d for d, _ in batch),
                                         roots=tuple(r for _, r in batch))
            else:
                request = Want(ids=tuple(d for d, _ in _take(link.want, n_docs)
                                         if d not in self.catalog))
            if not getattr(request, "ids", ()):
                continue
            answer = await self._request(link, request)
            if isinstance(answer, Push):
                await self.ingest(answer.assertions, answer.roots, link.url, solicited=True)
        while link.push:
            batch = _take(link.push, n_docs)
            await self._push(link, [d for d, _ in batch])
        while link.ihave:
            batch = _take(link.ihave, n_ids)
            answer = await self._request(link, Ihave(ids=tuple(d for d, _ in batch),
                                                     roots=tuple(r for _, r in batch)))
            if isinstance(answer, Want) and answer.ids:
                for start in range(0, len(answer.ids), n_docs):
                    await self._push(link, list(answer.ids[start:start + n_docs]))

    async def _push(self, link: PeerLink, digests: list[bytes]) -> None:
        docs, roots = await self._documents(digests)
        if not docs:
            return
        answer = await self._request(link, Push(assertions=tuple(docs), roots=tuple(roots)))
        self.stats.payloads_sent += len(docs)
        if isinstance(answer, Ack) and answer.prune:
            self.plumtree.on_prune(link.url, answer.prune)
            pruned = set(answer.prune)
            for digest, root in list(link.push.items()):  # queued before the prune: lazy now
                if root in pruned:
                    del link.push[digest]
                    link.ihave[digest] = root

    async def _anti_entropy(self, link: PeerLink) -> None:
        run = Reconciliation(self.catalog.view(link.filters), self.reconcile)
        message: Reconcile | None = run.start()
        while message is not None:
            answer = await self._request(link, message)
            if not isinstance(answer, Reconcile):
                raise GossipError("a reconcile request must be answered by reconcile")
            message = run.step(answer)
        link.syncs += 1
        self.stats.reconciliations += 1
        self.stats.reconcile_rounds += run.rounds
        now = self.clock()
        grace = self.settings.anti_entropy_grace
        for digest in sorted(run.need):  # may be on its way: ask only if still missing later
            if digest not in self.catalog:
                link.want_later.setdefault(digest, now + grace)
        # What the peer lacks is announced (ihave), not pushed: under load much of it is on
        # its way along the trees already, and the peer asks only for what is still missing
        # when its graft timer runs out.
        for digest in sorted(run.have):  # skip what just arrived: it may be on its way there
            if not self.catalog.is_tombstoned(digest) and self.catalog.age(digest, now) >= grace \
                    and digest not in link.push:
                link.ihave[digest] = self.catalog.root_of(digest)
                self.stats.repairs_sent += 1
        if run.need or run.have:
            log.info("anti-entropy", extra={"peer": link.url, "need": len(run.need),
                                            "have": len(run.have), "rounds": run.rounds})


GOSSIP = web.AppKey("confiance.gossip", Gossip)


def _settings_for(app: web.Application, node: Node) -> GossipSettings:
    override = app.get(GOSSIP_SETTINGS)
    if override is not None:
        return override
    path = node.config.config_path
    if path.exists():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise MalformedDocument(f"cannot read {path}: {exc}") from None
        return GossipSettings.from_toml(doc)
    return GossipSettings()


async def _gossip_context(app: web.Application) -> AsyncIterator[None]:
    node = app[NODE]
    settings = _settings_for(app, node)
    store = await GossipStore.open(node.config.data_dir)
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=settings.max_requests_in_flight * 2,
                                       ssl=client_context(node.config)),
        timeout=aiohttp.ClientTimeout(total=settings.request_timeout),
        headers={"User-Agent": f"confiance/{node.version} gossip"})
    gossip = Gossip(node, store, http, settings)
    app[GOSSIP] = gossip
    node.keyring.remote = gossip.keys.cache
    node.ingestor.key_prefetch = gossip.keys.prefetch
    try:
        await gossip.start()
        yield
    finally:
        node.ingestor.key_prefetch = None
        node.keyring.remote = None
        await gossip.stop()
        await http.close()
        await store.close()


def setup(app: web.Application) -> None:
    """Plug gossip into the node: its cleanup context and its routes (see ``create_app``)."""
    from .routes import gossip as gossip_routes

    app.cleanup_ctx.append(_gossip_context)
    app.router.add_routes(gossip_routes.routes)


async def admin_request(base_url: str, token: str, method: str, path: str,
                        body: Mapping[str, Any] | None = None, *,
                        timeout: float = 5.0) -> tuple[int, Any] | None:
    """Call a running node's admin API (for ``confiance peers``); None if unreachable."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http, \
                http.request(method, base_url.rstrip("/") + path, json=body,
                             headers={"Authorization": f"Bearer {token}"}) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text
    except (aiohttp.ClientConnectionError, TimeoutError, OSError):
        return None
