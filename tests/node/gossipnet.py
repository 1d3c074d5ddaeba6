"""Real nodes on distinct 127.0.0.1 ports in one process, for gossip tests and benchmarks.

Each :class:`LiveNode` is a full ``create_app`` node (its own data directory, SQLite store,
keys) served by aiohttp on its own port; nodes talk to each other over real HTTP. A node can
be stopped and started again on the same data directory and port (a restart), or *paused*:
its listening socket is closed while the node keeps running (a partition, seen from the
others as connection refused).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from confiance.node.app import create_app
from confiance.node.config import NodeConfig, RateLimit
from confiance.node.context import NODE, Node
from confiance.node.datadir import initialise_data_dir, is_initialised
from confiance.node.peers.engine import GOSSIP, Gossip
from confiance.node.peers.settings import GOSSIP_SETTINGS, GossipSettings
from confiance.node.running import ServeLock, new_record
from confiance.node.tls import server_context

GENEROUS = RateLimit(per_second=100_000, burst=100_000)
FAST = GossipSettings(flush_interval=0.02, ihave_interval=0.1, anti_entropy_interval=1.0,
                      request_timeout=5.0,
                      tick_interval=0.05, graft_timeout=0.5, retry_timeout=0.3,
                      backoff_base=0.1, backoff_cap=1.0, anti_entropy_grace=0.3)


def free_ports(n: int) -> list[int]:
    sockets = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class LiveNode:
    def __init__(self, data_dir: Path, port: int,
                 settings: GossipSettings = FAST, *, tls: dict[str, str] | None = None) -> None:
        """``tls``: ``tls_cert``, ``tls_key``, ``peer_ca_bundle`` (https on 127.0.0.1)."""
        self.config = NodeConfig(data_dir=data_dir, name=f"node-{port}", host="127.0.0.1",
                                 port=port, write_rate=GENEROUS, read_rate=GENEROUS,
                                 log_format="text", log_level="WARNING", **(tls or {}))
        self.settings = settings
        self.runner: web.AppRunner | None = None
        self.site: web.TCPSite | None = None
        self.lock: ServeLock | None = None

    @property
    def url(self) -> str:
        return self.config.base_url

    @property
    def app(self) -> web.Application:
        assert self.runner is not None, "node not running"
        return self.runner.app

    @property
    def node(self) -> Node:
        return self.app[NODE]

    @property
    def gossip(self) -> Gossip:
        return self.app[GOSSIP]

    @property
    def running(self) -> bool:
        return self.runner is not None

    async def start(self) -> None:
        """Start as ``confiance serve`` does: lock the data dir, publish the run record."""
        if not is_initialised(self.config.data_dir):
            initialise_data_dir(self.config, now=datetime.now(UTC))
        self.lock = ServeLock.acquire(self.config.data_dir)
        app = create_app(self.config)
        app[GOSSIP_SETTINGS] = self.settings
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await self.resume()
        self.lock.publish(new_record(url=self.url, listen=f"127.0.0.1:{self.config.port}",
                                     did=self.node.did, data_dir=self.config.data_dir))

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.lock is not None:
            self.lock.release()
        self.runner = self.site = self.lock = None

    async def pause(self) -> None:
        """Stop listening (peers get connection refused); the node itself keeps running."""
        if self.site is not None:
            await self.site.stop()
            self.site = None

    async def resume(self) -> None:
        assert self.runner is not None
        self.site = web.TCPSite(self.runner, "127.0.0.1", self.config.port,
                                ssl_context=server_context(self.config))
        await self.site.start()

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.node.admin_token}"}

    def held(self) -> set[bytes]:
        """Content ids held or tombstoned here (the gossip catalogue)."""
        return set(self.gossip.catalog.index)

    async def submit(self, doc: dict[str, Any]) -> bool:
        """Store a document as ``POST /assertions`` would (in-process: works while paused)."""
        return bool((await self.node.ingestor.submit(doc)).created)


async def peer(http: aiohttp.ClientSession, a: LiveNode, b: LiveNode, **kw: Any) -> None:
    """``a`` recognises ``b``, through a's admin API (``kw``: e.g. ``ssl`` for https)."""
    async with http.post(a.url + "/admin/peers", json={"url": b.url},
                         headers=a.admin_headers(), **kw) as resp:
        assert resp.status in (200, 201), await resp.text()


async def wait_until(predicate: Callable[[], bool | Awaitable[bool]], timeout: float,
                     what: str, interval: float = 0.05) -> float:
    """Poll ``predicate`` until true; returns the seconds it took, fails after ``timeout``."""
    start = time.monotonic()
    while True:
        result = predicate()
        if not isinstance(result, bool):
            result = await result
        if result:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


def sparse_edges(n: int, extra: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """A ring plus chords: connected, degree 2-3, diameter well below n/2."""
    edges = {(i, (i + 1) % n) for i in range(n)}
    edges.update(extra)
    return sorted(edges)


class _Cut:
    """Wraps a node's gossip HTTP client so that requests to some URLs fail (a partition)."""

    def __init__(self, inner: aiohttp.ClientSession, blocked: set[str]) -> None:
        self.inner = inner
        self.blocked = blocked

    def post(self, url: str, **kwargs: Any) -> Any:
        if any(url.startswith(b + "/") for b in self.blocked):
            raise aiohttp.ClientConnectionError(f"partitioned from {url}")
        return self.inner.post(url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:  # key fetches (did.json, descriptor)
        if any(url.startswith(b + "/") for b in self.blocked):
            raise aiohttp.ClientConnectionError(f"partitioned from {url}")
        return self.inner.get(url, **kwargs)

    async def close(self) -> None:
        await self.inner.close()


def partition(side_a: list[LiveNode], side_b: list[LiveNode]) -> None:
    """Cut every link between the two sides, both ways (each side still gossips inside)."""
    for side, other in ((side_a, side_b), (side_b, side_a)):
        for node in side:
            client = node.gossip.client
            client.http = _Cut(client.http, {n.url for n in other})  # type: ignore[assignment]


def heal(nodes: list[LiveNode]) -> None:
    for node in nodes:
        client = node.gossip.client
        if isinstance(client.http, _Cut):
            client.http = client.http.inner
