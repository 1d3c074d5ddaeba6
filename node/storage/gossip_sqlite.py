"""Gossip's own persistent state: the recognised peers, in ``DATA_DIR/gossip.sqlite3``.

Why a separate file and not more tables in ``confiance.sqlite3``: the peer list is the
operator's configuration, written by ``confiance peers add`` even while no node runs, and
its schema evolves with gossip, not with the assertion store; a separate file keeps the two
migration histories apart. SQLite (WAL, ``synchronous=FULL``) rather than a JSON file so
that the CLI and a running node never lose each other's writes.

What is *not* stored here: the reconciliation index. It is rebuilt at start-up from the
assertion store (ids of held assertions and tombstones), so it can never disagree with it.

Blocking calls run on one dedicated thread (:class:`GossipStore`); :func:`open_sync`
serves the command line, which has no event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from confiance.protocol.errors import LocalProtocolError

__all__ = ["GOSSIP_DB", "GossipStore", "PeerRow", "SyncGossipStore", "open_sync"]

GOSSIP_DB = "gossip.sqlite3"
T = TypeVar("T")

_MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
CREATE TABLE peers (
    url            TEXT    PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    filters        TEXT    NOT NULL DEFAULT '{}',
    added_at       INTEGER NOT NULL,
    dropped_at     INTEGER,
    dropped_reason TEXT
) WITHOUT ROWID
"""),
)


@dataclass(frozen=True, kw_only=True)
class PeerRow:
    """A recognised peer as stored: ``filters`` is ``{"kinds": [...], ...}``."""

    url: str
    name: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    added_at: datetime
    dropped_at: datetime | None = None
    dropped_reason: str | None = None


def _us(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def _dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1_000_000, UTC)


def _row(row: tuple[Any, ...]) -> PeerRow:
    url, name, filters, added_at, dropped_at, reason = row
    parsed = json.loads(filters)
    added = _dt(added_at)
    assert added is not None
    return PeerRow(url=url, name=name, filters=parsed if isinstance(parsed, dict) else {},
                   added_at=added, dropped_at=_dt(dropped_at), dropped_reason=reason)


def _connect(path: Path) -> sqlite3.Connection:
    # Created 0600 before SQLite opens it (SQLite gives -wal and -shm the database's mode).
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    known = max(v for v, _ in _MIGRATIONS)
    if version > known:
        conn.close()
        raise LocalProtocolError(f"{path} is at schema version {version}, newer than this "
                                 f"software ({known})")
    for number, script in _MIGRATIONS:
        if number > version:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(script)
                conn.execute(f"PRAGMA user_version={number}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    return conn


class SyncGossipStore:
    """The peer table over one connection (blocking: call from a worker thread or the CLI)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = _connect(self.path)

    def close(self) -> None:
        self._conn.close()

    def list_peers(self) -> list[PeerRow]:
        return [_row(r) for r in self._conn.execute(
            "SELECT url, name, filters, added_at, dropped_at, dropped_reason FROM peers "
            "ORDER BY name")]

    def upsert_peer(self, url: str, name: str, filters: dict[str, list[str]],
                    now: datetime) -> bool:
        """Add a peer or update its name and filters; True when it is new."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            existed = conn.execute("SELECT 1 FROM peers WHERE url = ?", (url,)).fetchone()
            conn.execute("DELETE FROM peers WHERE name = ? AND url != ?", (name, url))
            if existed:
                conn.execute("UPDATE peers SET name = ?, filters = ? WHERE url = ?",
                             (name, json.dumps(filters, sort_keys=True), url))
            else:
                conn.execute("INSERT INTO peers (url, name, filters, added_at) "
                             "VALUES (?, ?, ?, ?)",
                             (url, name, json.dumps(filters, sort_keys=True), _us(now)))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return not existed

    def remove_peer(self, url: str) -> bool:
        cursor = self._conn.execute("DELETE FROM peers WHERE url = ?", (url,))
        return cursor.rowcount > 0

    def set_dropped(self, url: str, reason: str | None, now: datetime | None) -> None:
        """Record a drop (``reason`` and ``now``), or clear it (both None)."""
        self._conn.execute("UPDATE peers SET dropped_at = ?, dropped_reason = ? WHERE url = ?",
                           (None if now is None else _us(now), reason, url))


def open_sync(data_dir: Path) -> SyncGossipStore:
    """The peer table of a data directory, for the command line."""
    return SyncGossipStore(Path(data_dir) / GOSSIP_DB)


class GossipStore:
    """Async face of :class:`SyncGossipStore`: every call on one dedicated thread."""

    def __init__(self, sync: SyncGossipStore, pool: ThreadPoolExecutor) -> None:
        self._sync = sync
        self._pool = pool

    @classmethod
    async def open(cls, data_dir: Path) -> GossipStore:
        pool = ThreadPoolExecutor(1, thread_name_prefix="confiance-gossip-db")
        sync = await asyncio.get_running_loop().run_in_executor(pool, open_sync, data_dir)
        return cls(sync, pool)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    async def close(self) -> None:
        await self._run(self._sync.close)
        self._pool.shutdown(wait=True)

    async def list_peers(self) -> list[PeerRow]:
        return await self._run(self._sync.list_peers)

    async def upsert_peer(self, url: str, name: str, filters: dict[str, list[str]],
                          now: datetime) -> bool:
        return await self._run(lambda: self._sync.upsert_peer(url, name, filters, now))

    async def remove_peer(self, url: str) -> bool:
        return await self._run(lambda: self._sync.remove_peer(url))

    async def set_dropped(self, url: str, reason: str | None, now: datetime | None) -> None:
        await self._run(lambda: self._sync.set_dropped(url, reason, now))
