"""The embedded default store: SQLite, durable on acknowledgement, never on the event loop.

Design (why each choice):

- **WAL + synchronous=FULL.** A commit returns only after the WAL is fsynced, so an
  assertion acknowledged with 2xx survives ``kill -9`` (and a power cut) the next instant.
  WAL also lets reads proceed while a write commits.
- **Two connections, each on its own single-thread executor.** sqlite3 calls block; they
  run on a dedicated thread, never on the event loop. The writer is one thread, so writes
  are serialised without locks and every invariant of :meth:`put` is checked inside one
  ``BEGIN IMMEDIATE`` transaction. The reader connection is ``query_only``.
- **Foreign keys on.** ``revoked_by``, ``superseded_by`` and ``decided_by`` reference the
  assertion that caused them (``ON DELETE SET NULL``): an erasure cannot leave a dangling
  pointer.
- **Migrations versioned in code** (:data:`MIGRATIONS`, ``PRAGMA user_version``), applied
  at open inside a transaction each; gossip (``node/peers/``) appends its own tables as
  later versions.
- **Keyset pagination** on ``seq`` (``AUTOINCREMENT``: never reused, so cursors and the
  change feed stay stable across erasures).
- **Group commit**: concurrent writes share one transaction and one fsync (each in its own
  SAVEPOINT); none is acknowledged before the commit.
- **An id filter** (:mod:`.idfilter`, a Bloom filter built in the background at open):
  :meth:`SqliteStore.held` answers "not held" for most new ids without a read. Every id is
  added before the write that could store it, so the filter has no false negatives.
- **A read cache** for :meth:`SqliteStore.get` (bounded LRU, on the event loop): a hit
  skips the thread hop. Any committed write that can change derived state empties it, and
  a read that overlapped a write is not cached, so a hit is never staler than the last
  commit acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.trust import ErasedReferral, KeptJudgement

from ..problems import (
    AcceptanceNotBySubject,
    Erased,
    ErasureNotByIssuer,
    NotFound,
    NotRevocable,
    RevocationKept,
    RevocationNotByIssuer,
    SubjectCapReached,
    TargetNotHeld,
)
from . import judgements
from .base import (
    AssertionQuery,
    AssertionRecord,
    MarkDefinitionRecord,
    Page,
    PutResult,
    StoredAssertion,
    SubjectExport,
    Tombstone,
)
from .idfilter import IdFilter

__all__ = ["MIGRATIONS", "SqliteStore", "create_database"]

T = TypeVar("T")
log = logging.getLogger("confiance.node")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
CREATE TABLE assertions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT    NOT NULL UNIQUE,
    kind          TEXT    NOT NULL,
    issuer        TEXT    NOT NULL,
    subject       TEXT,
    target        TEXT,
    context       TEXT,
    slot          TEXT,
    valid_from    INTEGER NOT NULL,
    valid_until   INTEGER,
    created       INTEGER,
    accepted      INTEGER,
    status_index  INTEGER UNIQUE,
    received_at   INTEGER NOT NULL,
    document      BLOB    NOT NULL,
    revoked_by    TEXT    REFERENCES assertions(id) ON DELETE SET NULL,
    superseded_by TEXT    REFERENCES assertions(id) ON DELETE SET NULL,
    decision      INTEGER,
    decided_by    TEXT    REFERENCES assertions(id) ON DELETE SET NULL
);
CREATE INDEX assertions_subject  ON assertions(subject, seq) WHERE subject IS NOT NULL;
CREATE INDEX assertions_issuer   ON assertions(issuer, seq);
CREATE INDEX assertions_target   ON assertions(target) WHERE target IS NOT NULL;
CREATE INDEX assertions_slot     ON assertions(slot, valid_from, id) WHERE slot IS NOT NULL;
CREATE INDEX assertions_received ON assertions(received_at);
CREATE TABLE tombstones (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT    NOT NULL UNIQUE,
    issuer    TEXT    NOT NULL,
    erased_at INTEGER NOT NULL
);
CREATE INDEX tombstones_issuer ON tombstones(issuer);
CREATE TABLE nonces (
    nonce      TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"""),
    (2, """
CREATE TABLE erasures (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    holder      TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    document    BLOB    NOT NULL
);
ALTER TABLE tombstones ADD COLUMN erasure TEXT
"""),
    (3, """
CREATE TABLE erased_issuers (
    issuer  TEXT    PRIMARY KEY,
    before  INTEGER NOT NULL,
    erasure TEXT    NOT NULL
) WITHOUT ROWID
"""),
    (4, """
CREATE TABLE mark_definitions (
    mark       TEXT    NOT NULL,
    version    TEXT    NOT NULL,
    issuer     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    document   BLOB    NOT NULL,
    PRIMARY KEY (mark, version)
) WITHOUT ROWID
"""),
    # A referral erased at its issuer's request leaves the node's judgement of it, not the
    # referral (specs/trust.md section 5): a row is written in the erasure's transaction with
    # what the judgement needs (``referred``, ``since``: pending), then the trust engine
    # judges it and either deletes the row (nothing was owed) or keeps ``bad`` and
    # ``expires`` and clears ``referred`` and ``since``. Rows are deleted once expired.
    (5, """
CREATE TABLE referral_judgements (
    referral  TEXT    PRIMARY KEY,
    referrer  TEXT    NOT NULL,
    audience  TEXT    NOT NULL,
    context   TEXT    NOT NULL,
    ended     INTEGER NOT NULL,
    referred  TEXT,
    since     INTEGER,
    bad       REAL,
    expires   INTEGER,
    CHECK ((bad IS NULL) = (expires IS NULL) AND (bad IS NULL) = (referred IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX referral_judgements_referrer ON referral_judgements(referrer)
"""),
)

_COLUMNS = ("seq, id, kind, issuer, subject, target, context, slot, valid_from, valid_until, "
            "created, accepted, status_index, received_at, document, revoked_by, "
            "superseded_by, decision")
_MARK_COLUMNS = "mark, version, issuer, created_at, document"
_SUBJECT_KINDS = ("Rating", "TrustMark", "Referral", "Recognition")


def _us(value: datetime) -> int:
    """Microseconds since the epoch (sortable, exact)."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _dt(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _opt_us(value: datetime | None) -> int | None:
    return None if value is None else _us(value)


def _opt_dt(value: int | None) -> datetime | None:
    return None if value is None else _dt(value)


def _opt_bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _row(row: tuple[Any, ...]) -> StoredAssertion:
    (seq, id_, kind, issuer, subject, target, context, slot, valid_from, valid_until, created,
     accepted, status_index, received_at, document, revoked_by, superseded_by, decision) = row
    record = AssertionRecord(
        id=id_, kind=kind, issuer=issuer, subject=subject, target=target, context=context,
        slot=slot, valid_from=_dt(valid_from), valid_until=_opt_dt(valid_until),
        created=_opt_dt(created), accepted=_opt_bool(accepted), status_index=status_index,
        document=bytes(document))
    return StoredAssertion(record=record, seq=seq, received_at=_dt(received_at),
                           revoked_by=revoked_by, superseded_by=superseded_by,
                           decision=_opt_bool(decision))


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


def migrate(conn: sqlite3.Connection,
            migrations: Sequence[tuple[int, str]] = MIGRATIONS) -> int:
    """Apply the migrations newer than ``PRAGMA user_version``, one transaction each."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    known = max((v for v, _ in migrations), default=0)
    if version > known:
        raise LocalProtocolError(f"the database is at schema version {version}, newer than "
                                 f"this software ({known}): refusing to run")
    for number, script in sorted(migrations):
        if number <= version:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={int(number)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = number
    return version


def create_database(path: Path) -> int:
    """Create (or migrate) the database file synchronously: for ``confiance init``."""
    conn = _connect(Path(path), readonly=False)
    try:
        return migrate(conn)
    finally:
        conn.close()


class SqliteStore:
    """:class:`~.base.Store` on SQLite. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] | None = None,
                 cache_size: int = 4096) -> None:
        self.path = Path(path)
        self._cache: OrderedDict[str, StoredAssertion] = OrderedDict()
        self._cache_size = cache_size
        self._generation = 0
        self._clock = clock or (lambda: datetime.now(UTC))
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="confiance-db-write")
        self._reader_pool = ThreadPoolExecutor(1, thread_name_prefix="confiance-db-read")
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._pending: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any],
                                  bool]] = []
        self._flusher: asyncio.Future[None] | None = None
        # the id filter in use (None until built), and the ids noted while one is built
        self._ids: IdFilter | None = None
        self._noted: list[str] | None = None
        self._filter_task: asyncio.Future[None] | None = None

    @classmethod
    async def open(cls, path: Path, *, clock: Callable[[], datetime] | None = None,
                   migrations: Sequence[tuple[int, str]] = MIGRATIONS) -> SqliteStore:
        store = cls(path, clock=clock)
        loop = asyncio.get_running_loop()

        def open_writer() -> None:
            store._writer = _connect(store.path, readonly=False)
            migrate(store._writer, migrations)

        def open_reader() -> None:
            store._reader = _connect(store.path, readonly=True)

        await loop.run_in_executor(store._writer_pool, open_writer)
        await loop.run_in_executor(store._reader_pool, open_reader)
        store._build_filter()
        return store

    def _build_filter(self) -> None:
        """Build the id filter (again, larger) on a thread of its own; see :mod:`.idfilter`.

        Ids noted from now on (:meth:`_note`, before each write) are kept aside and added
        to the new filter after the scan of the tables: a write the scan does not see was
        noted, so nothing is missed.
        """
        if self._filter_task is not None and not self._filter_task.done():
            return
        path = self.path
        self._noted = []

        def scan(previous: int) -> IdFilter:
            conn = _connect(path, readonly=True)
            try:
                held = sum(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                           for table in ("assertions", "tombstones"))
                built = IdFilter(max(2 * held, 2 * previous, 1 << 16))
                for table in ("assertions", "tombstones"):
                    built.update(row[0] for row in conn.execute(f"SELECT id FROM {table}"))
            finally:
                conn.close()
            return built

        async def build() -> None:
            try:
                built = await asyncio.get_running_loop().run_in_executor(
                    None, scan, self._ids.capacity if self._ids is not None else 0)
                built.update(self._noted or ())
                self._ids = built
            except Exception:  # the filter is an optimisation: held() reads without it
                log.exception("cannot build the id filter")
            finally:
                self._noted = None

        self._filter_task = asyncio.ensure_future(build())

    async def id_filter_ready(self) -> bool:
        """Wait for the id filter being built, if any; whether one is in use."""
        if self._filter_task is not None:
            await asyncio.shield(self._filter_task)
        return self._ids is not None

    def _note(self, ids: Sequence[str]) -> None:
        """Add ids to the id filter *before* the write that may store them."""
        if self._ids is not None:
            self._ids.update(ids)
            if self._ids.full:
                self._build_filter()
        if self._noted is not None:
            self._noted.extend(ids)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        if self._filter_task is not None and not self._filter_task.done():
            self._filter_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._filter_task
        if self._flusher is not None:
            await self._flusher  # commit what was accepted before closing

        def close_conn(conn: sqlite3.Connection | None) -> None:
            if conn is not None:
                conn.close()

        await loop.run_in_executor(self._reader_pool, close_conn, self._reader)
        await loop.run_in_executor(self._writer_pool, close_conn, self._writer)
        self._reader = self._writer = None
        self._reader_pool.shutdown(wait=True)
        self._writer_pool.shutdown(wait=True)

    # -- plumbing ---------------------------------------------------------------------------

    async def _write(self, fn: Callable[[sqlite3.Connection], T], *,
                     invalidates: bool = True) -> T:
        """Run ``fn`` in a write transaction; return once it is committed (fsynced).

        Group commit: writes that arrive while a batch is being committed wait and go
        together in the next transaction, each under its own SAVEPOINT (a failing one is
        rolled back alone and gets its exception). One fsync then acknowledges many
        writes, and none is acknowledged before its commit.
        """
        if self._writer is None:
            raise LocalProtocolError("the store is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, future, invalidates))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        return await future  # type: ignore[no-any-return]

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            conn = self._writer
            try:
                if conn is None:
                    raise LocalProtocolError("the store is closed")
                outcomes = await loop.run_in_executor(
                    self._writer_pool, _run_batch, conn, [fn for fn, _, _ in batch])
            except BaseException as exc:  # the commit itself failed: nothing was written
                for _, future, _ in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            if any(invalidates for _, _, invalidates in batch):
                self._generation += 1
                self._cache.clear()
            for (_, future, _), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._reader
        if conn is None:
            raise LocalProtocolError("the store is closed")
        return await asyncio.get_running_loop().run_in_executor(self._reader_pool, fn, conn)

    # -- writes -----------------------------------------------------------------------------

    async def put(self, record: AssertionRecord, *, unaccepted_cap: int | None) -> PutResult:
        now = self._clock()
        self._note((record.id,))

        def run(conn: sqlite3.Connection) -> PutResult:
            return _put(conn, record, unaccepted_cap, now)

        return await self._write(run)

    async def put_many(self, records: Sequence[tuple[AssertionRecord, int | None]]
                       ) -> list[PutResult | Exception]:
        now = self._clock()
        self._note([record.id for record, _ in records])

        def run(conn: sqlite3.Connection) -> list[PutResult | Exception]:
            if len(records) == 1:  # _run_batch's savepoint isolates it: no savepoint of ours
                record, cap = records[0]
                try:
                    return [_put(conn, record, cap, now)]
                except Exception as exc:
                    raise _Refused(exc) from exc  # rolled back by _run_batch, returned below
            outcomes: list[PutResult | Exception] = []
            for record, cap in records:
                conn.execute("SAVEPOINT each")
                try:
                    outcomes.append(_put(conn, record, cap, now))
                except Exception as exc:
                    conn.execute("ROLLBACK TO each")
                    outcomes.append(exc)
                conn.execute("RELEASE each")
            return outcomes

        if not records:
            return []
        try:
            return await self._write(run)
        except _Refused as refused:
            return [refused.error]

    async def erase(self, issuer: str, ids: Sequence[str] | None, *,
                    now: datetime) -> list[str]:
        def run(conn: sqlite3.Connection) -> list[str]:
            return _erase(conn, issuer, ids, now)

        return await self._write(run)

    async def record_erasure(self, notice_id: str, holder: str, erased: Sequence[str],
                             document: bytes, *, now: datetime,
                             everything_before: datetime | None = None) -> list[str] | None:
        self._note(erased)  # tombstones may be made for ids never seen here

        def run(conn: sqlite3.Connection) -> list[str] | None:
            return _record_erasure(conn, notice_id, holder, erased, document, now,
                                   everything_before)

        return await self._write(run)

    async def put_mark_definition(self, record: MarkDefinitionRecord) -> tuple[bool, bytes]:
        def run(conn: sqlite3.Connection) -> tuple[bool, bytes]:
            row = conn.execute("SELECT document FROM mark_definitions WHERE mark = ? AND "
                               "version = ?", (record.mark, record.version)).fetchone()
            if row is not None:
                return False, bytes(row[0])
            conn.execute("INSERT INTO mark_definitions (mark, version, issuer, created_at, "
                         "document) VALUES (?, ?, ?, ?, ?)",
                         (record.mark, record.version, record.issuer,
                          _us(record.created_at), record.document))
            return True, record.document

        return await self._write(run)

    async def allocate_status_index(self) -> int:
        def run(conn: sqlite3.Connection) -> int:
            return int(_bump(conn, "status_index")) - 1

        return await self._write(run, invalidates=False)

    async def use_nonce(self, nonce: str, *, expires_at: datetime, now: datetime) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM nonces WHERE expires_at < ?", (_us(now),))
            cursor = conn.execute("INSERT OR IGNORE INTO nonces (nonce, expires_at) "
                                  "VALUES (?, ?)", (nonce, _us(expires_at)))
            return cursor.rowcount == 1

        return await self._write(run, invalidates=False)

    # -- reads ------------------------------------------------------------------------------

    async def get(self, assertion_id: str) -> StoredAssertion | None:
        hit = self._cache.get(assertion_id)
        if hit is not None:
            self._cache.move_to_end(assertion_id)
            return hit

        def run(conn: sqlite3.Connection) -> StoredAssertion | None:
            row = conn.execute(f"SELECT {_COLUMNS} FROM assertions WHERE id = ?",
                               (assertion_id,)).fetchone()
            return None if row is None else _row(row)

        generation = self._generation
        found = await self._read(run)
        if found is not None and generation == self._generation and self._cache_size:
            self._cache[assertion_id] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return found

    async def get_many(self, ids: Sequence[str]) -> list[StoredAssertion]:
        wanted = list(dict.fromkeys(ids))

        def run(conn: sqlite3.Connection) -> list[StoredAssertion]:
            out: list[StoredAssertion] = []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                out.extend(_row(r) for r in conn.execute(
                    f"SELECT {_COLUMNS} FROM assertions WHERE id IN ({marks}) ORDER BY seq",
                    chunk))
            return out

        return await self._read(run)

    async def held(self, ids: Sequence[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        if self._ids is not None:
            wanted = [i for i in wanted if i in self._ids]
            if not wanted:
                return set()

        def run(conn: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for table in ("assertions", "tombstones"):
                    found.update(r[0] for r in conn.execute(
                        f"SELECT id FROM {table} WHERE id IN ({marks})", chunk))
            return found

        return await self._read(run)

    async def tombstone(self, assertion_id: str) -> Tombstone | None:
        def run(conn: sqlite3.Connection) -> Tombstone | None:
            row = conn.execute("SELECT seq, id, issuer, erased_at FROM tombstones WHERE id = ?",
                               (assertion_id,)).fetchone()
            return None if row is None else _tombstone(row)

        return await self._read(run)

    async def find(self, query: AssertionQuery) -> Page:
        def run(conn: sqlite3.Connection) -> Page:
            where = ["seq > ?"]
            params: list[object] = [query.after]
            for column in ("subject", "issuer", "kind", "context"):
                value = getattr(query, column)
                if value is not None:
                    where.append(f"{column} = ?")
                    params.append(value)
            if query.since is not None:
                where.append("received_at >= ?")
                params.append(_us(query.since))
            if not query.include_rejected:
                where.append("(decision IS NULL OR decision = 1)")
            params.append(query.limit + 1)
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM assertions WHERE {' AND '.join(where)} "
                "ORDER BY seq LIMIT ?", params).fetchall()
            items = tuple(_row(r) for r in rows[: query.limit])
            return Page(items=items, last_seq=items[-1].seq if items else None,
                        more=len(rows) > query.limit)

        return await self._read(run)

    async def changes(self, after: int, limit: int) -> list[StoredAssertion]:
        def run(conn: sqlite3.Connection) -> list[StoredAssertion]:
            return [_row(r) for r in conn.execute(
                f"SELECT {_COLUMNS} FROM assertions WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit))]

        return await self._read(run)

    async def tombstones(self, after: int, limit: int) -> list[Tombstone]:
        def run(conn: sqlite3.Connection) -> list[Tombstone]:
            return [_tombstone(r) for r in conn.execute(
                "SELECT seq, id, issuer, erased_at FROM tombstones WHERE seq > ? "
                "ORDER BY seq LIMIT ?", (after, limit))]

        return await self._read(run)

    async def erasures(self, after: int, limit: int) -> list[tuple[int, str]]:
        def run(conn: sqlite3.Connection) -> list[tuple[int, str]]:
            return [(int(r[0]), str(r[1])) for r in conn.execute(
                "SELECT seq, id FROM erasures WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit))]

        return await self._read(run)

    async def erasure_documents(self, ids: Sequence[str]) -> list[tuple[str, bytes]]:
        wanted = list(dict.fromkeys(ids))

        def run(conn: sqlite3.Connection) -> list[tuple[str, bytes]]:
            out: list[tuple[str, bytes]] = []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                out.extend((str(r[0]), bytes(r[1])) for r in conn.execute(
                    f"SELECT id, document FROM erasures WHERE id IN ({marks}) ORDER BY seq",
                    chunk))
            return out

        return await self._read(run)

    async def export_subject(self, subject: str) -> SubjectExport:
        def run(conn: sqlite3.Connection) -> SubjectExport:
            about = tuple(_row(r) for r in conn.execute(
                f"SELECT {_COLUMNS} FROM assertions WHERE subject = ? ORDER BY seq", (subject,)))
            issued = tuple(_row(r) for r in conn.execute(
                f"SELECT {_COLUMNS} FROM assertions WHERE issuer = ? ORDER BY seq", (subject,)))
            stones = tuple(_tombstone(r) for r in conn.execute(
                "SELECT seq, id, issuer, erased_at FROM tombstones WHERE issuer = ? "
                "ORDER BY seq", (subject,)))
            kept = tuple(judgements.for_referrer(conn, subject, self._clock()))
            return SubjectExport(about=about, issued=issued, tombstones=stones,
                                 judgements=kept)

        return await self._read(run)

    async def pending_judgements(self) -> list[ErasedReferral]:
        def run(conn: sqlite3.Connection) -> list[ErasedReferral]:
            return judgements.pending(conn)

        return await self._read(run)

    async def settle_judgements(self, outcomes: Sequence[tuple[str, KeptJudgement | None]]
                                ) -> None:
        def run(conn: sqlite3.Connection) -> None:
            judgements.settle(conn, outcomes)

        if outcomes:
            await self._write(run, invalidates=False)

    async def kept_judgements(self, *, now: datetime) -> list[KeptJudgement]:
        def run(conn: sqlite3.Connection) -> list[KeptJudgement]:
            return judgements.kept(conn, now)

        return await self._read(run)

    async def purge_judgements(self, *, now: datetime) -> int:
        def run(conn: sqlite3.Connection) -> int:
            return judgements.purge(conn, now)

        return await self._write(run, invalidates=False)

    async def revoked_status_indices(self, start: int, stop: int) -> list[int]:
        def run(conn: sqlite3.Connection) -> list[int]:
            return [r[0] for r in conn.execute(
                "SELECT status_index FROM assertions WHERE status_index >= ? AND "
                "status_index < ? AND revoked_by IS NOT NULL ORDER BY status_index",
                (start, stop))]

        return await self._read(run)

    async def get_mark_definition(self, mark: str, version: str | None = None
                                  ) -> MarkDefinitionRecord | None:
        def run(conn: sqlite3.Connection) -> MarkDefinitionRecord | None:
            if version is None:  # the latest version
                row = conn.execute(f"SELECT {_MARK_COLUMNS} FROM mark_definitions WHERE "
                                   "mark = ? ORDER BY created_at DESC, version DESC LIMIT 1",
                                   (mark,)).fetchone()
            else:
                row = conn.execute(f"SELECT {_MARK_COLUMNS} FROM mark_definitions WHERE "
                                   "mark = ? AND version = ?", (mark, version)).fetchone()
            return _mark_row(row) if row is not None else None

        return await self._read(run)

    async def mark_definitions(self, limit: int = 1000) -> list[MarkDefinitionRecord]:
        def run(conn: sqlite3.Connection) -> list[MarkDefinitionRecord]:
            rows = conn.execute(f"SELECT {_MARK_COLUMNS} FROM mark_definitions ORDER BY mark, "
                                "created_at DESC, version DESC LIMIT ?", (limit,)).fetchall()
            return [_mark_row(r) for r in rows]

        return await self._read(run)

    async def status_version(self) -> int:
        return await self._read(lambda conn: _counter(conn, "status_version"))

    async def status_index_count(self) -> int:
        return await self._read(lambda conn: _counter(conn, "status_index"))

    async def counts(self) -> dict[str, int]:
        def run(conn: sqlite3.Connection) -> dict[str, int]:
            (held,) = conn.execute("SELECT count(*) FROM assertions").fetchone()
            (stones,) = conn.execute("SELECT count(*) FROM tombstones").fetchone()
            return {"assertions": int(held), "tombstones": int(stones)}

        return await self._read(run)

    async def integrity_check(self) -> str:
        def run(conn: sqlite3.Connection) -> str:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            return "; ".join(str(r[0]) for r in rows)

        return await self._read(run)


# -- transaction bodies (run on the writer thread, inside BEGIN IMMEDIATE) ---------------------

MAX_BATCH = 64


class _Refused(Exception):
    """A write refused inside its savepoint, carried out of :func:`_run_batch` (which rolls
    the savepoint back) to be returned rather than raised."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _run_batch(conn: sqlite3.Connection, fns: list[Callable[[sqlite3.Connection], Any]]
               ) -> list[tuple[bool, Any]]:
    """One transaction for several writes, each in a SAVEPOINT; raises if COMMIT fails."""
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for fn in fns:
            conn.execute("SAVEPOINT one")
            try:
                outcomes.append((True, fn(conn)))
            except Exception as exc:
                conn.execute("ROLLBACK TO one")
                outcomes.append((False, exc))
            conn.execute("RELEASE one")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes

def _mark_row(row: tuple[Any, ...]) -> MarkDefinitionRecord:
    return MarkDefinitionRecord(mark=row[0], version=row[1], issuer=row[2],
                                created_at=_dt(row[3]), document=bytes(row[4]))


def _tombstone(row: tuple[Any, ...]) -> Tombstone:
    seq, id_, issuer, erased_at = row
    return Tombstone(id=id_, issuer=issuer, erased_at=_dt(erased_at), seq=seq)


def _bump(conn: sqlite3.Connection, name: str) -> int:
    conn.execute("INSERT INTO counters (name, value) VALUES (?, 1) "
                 "ON CONFLICT(name) DO UPDATE SET value = value + 1", (name,))
    (value,) = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return int(value)


def _counter(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return 0 if row is None else int(row[0])


def _fetch(conn: sqlite3.Connection, assertion_id: str) -> StoredAssertion | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM assertions WHERE id = ?",
                       (assertion_id,)).fetchone()
    return None if row is None else _row(row)


def _is_tombstoned(conn: sqlite3.Connection, assertion_id: str) -> bool:
    return conn.execute("SELECT 1 FROM tombstones WHERE id = ?",
                        (assertion_id,)).fetchone() is not None


#: Everything :func:`_put` must know before it writes, in one statement: the id's tombstone
#: (its issuer), the issuer's erasure cut, whether the id is held, whether the slot holds
#: anything yet, and (when the cap applies) the subject's unaccepted assertions.
_PUT_LOOKUP = (
    "SELECT (SELECT issuer FROM tombstones WHERE id = :id), "
    "(SELECT before FROM erased_issuers WHERE issuer = :issuer), "
    "EXISTS (SELECT 1 FROM assertions WHERE id = :id), "
    "CASE WHEN :slot IS NULL THEN 0 ELSE EXISTS (SELECT 1 FROM assertions WHERE slot = :slot) "
    "END, "
    "CASE WHEN :capped IS NULL THEN 0 ELSE (SELECT count(*) FROM assertions WHERE subject = "
    ":capped AND issuer != subject AND (decision IS NULL OR decision = 0)) END")


def _put(conn: sqlite3.Connection, record: AssertionRecord, cap: int | None,
         now: datetime) -> PutResult:
    capped = (cap is not None and record.target is None and record.subject is not None
              and record.subject != record.issuer)
    stone, cut, held, slot_used, unaccepted = conn.execute(_PUT_LOOKUP, {
        "id": record.id, "issuer": record.issuer,
        "slot": record.slot if record.target is None else None,
        "capped": record.subject if capped else None}).fetchone()
    if stone is not None:
        if stone == record.issuer:
            raise Erased(f"{record.id} was erased at its issuer's request and is not taken "
                         "back", id=record.id)
        # tombstoned by a notice from someone else before the assertion was seen here:
        # nobody can pre-empt another issuer's assertions, the tombstone gives way
        conn.execute("DELETE FROM tombstones WHERE id = ?", (record.id,))
    if cut is not None and _us(record.created or record.valid_from) <= cut:
        raise Erased(f"{record.issuer} asked to erase everything it signed until "
                     f"{_dt(cut).isoformat()}: {record.id} is not taken", id=record.id)
    existing = _fetch(conn, record.id) if held else None
    if existing is not None:
        return PutResult(created=False, stored=existing)
    target: StoredAssertion | None = None
    if record.target is not None:
        target = _fetch(conn, record.target)
        if target is None:
            erased = _is_tombstoned(conn, record.target)
            raise TargetNotHeld(
                f"{record.kind} of {record.target}, which is "
                f"{'erased' if erased else 'not held here'}: submit the target first",
                target=record.target)
        if target.record.kind not in _SUBJECT_KINDS:
            raise NotRevocable(f"{record.target} is a {target.record.kind}: it cannot be the "
                               f"target of a {record.kind}", target=record.target)
        if record.kind == "Revocation" and target.record.issuer != record.issuer:
            raise RevocationNotByIssuer(
                f"{record.target} was issued by {target.record.issuer}; a revocation by "
                f"{record.issuer} is refused", target=record.target)
        if record.kind == "Acceptance" and target.record.subject != record.issuer:
            raise AcceptanceNotBySubject(
                f"{record.target} is about {target.record.subject}; a decision by "
                f"{record.issuer} is refused", target=record.target)
    elif capped:
        assert cap is not None
        if unaccepted >= cap:
            raise SubjectCapReached(
                f"{record.subject} already has {unaccepted} assertions about it that it has "
                f"not accepted (the cap is {cap})", subject=record.subject, cap=cap)
    values = (record.id, record.kind, record.issuer, record.subject, record.target,
              record.context, record.slot, _us(record.valid_from),
              _opt_us(record.valid_until), _opt_us(record.created),
              None if record.accepted is None else int(record.accepted), record.status_index,
              _us(now), record.document)
    cursor = conn.execute(
        "INSERT INTO assertions (id, kind, issuer, subject, target, context, slot, valid_from, "
        "valid_until, created, accepted, status_index, received_at, document) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    head: str | None = record.id
    if target is not None and record.kind == "Revocation":
        conn.execute("UPDATE assertions SET revoked_by = ? WHERE id = ? AND revoked_by IS NULL",
                     (record.id, target.id))
        if target.record.status_index is not None:
            _bump(conn, "status_version")
        _recompute_slot(conn, target.record.slot)
    elif target is not None and record.kind == "Acceptance":
        _recompute_decision(conn, target.id)
    elif slot_used:
        head = _recompute_slot(conn, record.slot)
    elif record.slot is None:
        head = None
    # else: alone in its slot, unrevoked: its own head, nothing superseded (what
    # _recompute_slot would find, without its two statements)
    # The row as _fetch would read it back: nobody can have revoked or decided on an
    # assertion stored an instant ago (both need it held), and the slot's head is known.
    stored = _row((cursor.lastrowid, *values,
                   None, None if head in (None, record.id) else head, None))
    return PutResult(created=True, stored=stored)


def _recompute_slot(conn: sqlite3.Connection, slot: str | None) -> str | None:
    """The newest unrevoked assertion of ``slot`` is its head; the others are superseded.

    Returns the head (None without a slot, or when all of it is revoked). Only rows whose
    ``superseded_by`` changes are written.
    """
    if slot is None:
        return None
    row = conn.execute("SELECT id FROM assertions WHERE slot = ? AND revoked_by IS NULL "
                       "ORDER BY valid_from DESC, id DESC LIMIT 1", (slot,)).fetchone()
    head: str | None = None if row is None else row[0]
    conn.execute("UPDATE assertions SET superseded_by = CASE WHEN id = ?1 THEN NULL ELSE ?1 END "
                 "WHERE slot = ?2 AND superseded_by IS NOT "
                 "(CASE WHEN id = ?1 THEN NULL ELSE ?1 END)", (head, slot))
    return head


def _recompute_decision(conn: sqlite3.Connection, target_id: str) -> None:
    """The subject's latest Acceptance (by validFrom, then id) about ``target_id`` decides."""
    row = conn.execute(
        "SELECT a.id, a.accepted FROM assertions a JOIN assertions t ON t.id = a.target "
        "WHERE a.target = ? AND a.kind = 'Acceptance' AND a.issuer = t.subject "
        "ORDER BY a.valid_from DESC, a.id DESC LIMIT 1", (target_id,)).fetchone()
    decided_by, decision = (None, None) if row is None else row
    conn.execute("UPDATE assertions SET decision = ?, decided_by = ? WHERE id = ?",
                 (decision, decided_by, target_id))


def _erase(conn: sqlite3.Connection, issuer: str, ids: Sequence[str] | None,
           now: datetime) -> list[str]:
    if ids is None:
        rows = [_row(r) for r in conn.execute(
            f"SELECT {_COLUMNS} FROM assertions WHERE issuer = ?", (issuer,))]
    else:
        rows = []
        for assertion_id in dict.fromkeys(ids):
            stored = _fetch(conn, assertion_id)
            if stored is None:
                if _is_tombstoned(conn, assertion_id):
                    continue  # erased already: erasure is idempotent
                raise NotFound(f"{assertion_id} is not held here", id=assertion_id)
            if stored.record.issuer != issuer:
                raise ErasureNotByIssuer(
                    f"{assertion_id} was issued by {stored.record.issuer}, not by {issuer}",
                    id=assertion_id)
            rows.append(stored)
    chosen = {s.id for s in rows}
    for stored in rows:
        tgt = stored.record.target
        if stored.record.kind == "Revocation" and tgt is not None and tgt not in chosen \
                and _fetch(conn, tgt) is not None:
            raise RevocationKept(
                f"{stored.id} revokes {tgt}, which is still held: erase {tgt} itself "
                "(its revocation goes with it)", id=stored.id, target=tgt)
    # What goes with an erased assertion: the revocations and acceptances that target it.
    dependents = [_row(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM assertions WHERE target IN "
        f"({','.join('?' * len(chosen))})", list(chosen))] if chosen else []
    erased_at = _us(now)
    slots: set[str] = set()
    decisions: set[str] = set()
    status_changed = False
    for stored in rows:  # before anything goes: what ended a referral is still held
        judgements.note_erased(conn, stored, now)
    for stored in [*rows, *dependents]:
        if stored.record.slot is not None:
            slots.add(stored.record.slot)
        if stored.record.kind == "Acceptance" and stored.record.target not in chosen \
                and stored.record.target is not None:
            decisions.add(stored.record.target)
        if stored.record.status_index is not None or stored.record.kind == "Revocation":
            status_changed = True
        conn.execute("DELETE FROM assertions WHERE id = ?", (stored.id,))
        if stored.record.issuer == issuer:
            conn.execute("INSERT OR IGNORE INTO tombstones (id, issuer, erased_at) "
                         "VALUES (?, ?, ?)", (stored.id, issuer, erased_at))
    for slot in slots:
        _recompute_slot(conn, slot)
    for target_id in decisions:
        _recompute_decision(conn, target_id)
    if status_changed:
        _bump(conn, "status_version")
    return sorted({s.id for s in rows} | {s.id for s in dependents if s.record.issuer == issuer})


def _record_erasure(conn: sqlite3.Connection, notice_id: str, holder: str,
                    erased: Sequence[str], document: bytes, now: datetime,
                    everything_before: datetime | None = None) -> list[str] | None:
    """Apply a verified erasure notice; see :meth:`Store.record_erasure`."""
    if conn.execute("SELECT 1 FROM erasures WHERE id = ?", (notice_id,)).fetchone():
        return None
    held: list[StoredAssertion] = []
    if everything_before is not None:
        cutoff = _us(everything_before)
        held = [_row(r) for r in conn.execute(
            f"SELECT {_COLUMNS} FROM assertions WHERE issuer = ? "
            "AND COALESCE(created, valid_from) <= ?", (holder, cutoff))]
        conn.execute("INSERT INTO erased_issuers (issuer, before, erasure) VALUES (?, ?, ?) "
                     "ON CONFLICT (issuer) DO UPDATE SET before = excluded.before, "
                     "erasure = excluded.erasure WHERE excluded.before > before",
                     (holder, cutoff, notice_id))
    listed = {s.id for s in held}
    for assertion_id in dict.fromkeys(erased):
        stored = _fetch(conn, assertion_id)
        if stored is None or assertion_id in listed:
            continue
        if stored.record.issuer != holder:
            raise ErasureNotByIssuer(
                f"the erasure notice names {assertion_id}, issued by {stored.record.issuer}, "
                f"not by {holder}", id=assertion_id)
        held.append(stored)
    chosen = {s.id for s in held}
    # a revocation whose target stays held here is kept (its target was not erased)
    keep = [s.id for s in held if s.record.kind == "Revocation" and s.record.target
            and s.record.target not in chosen and _fetch(conn, s.record.target) is not None]
    changed = set(_erase(conn, holder, [i for i in chosen if i not in keep], now)) \
        if chosen else set()
    for assertion_id in erased:
        if assertion_id in chosen or _is_tombstoned(conn, assertion_id):
            continue
        conn.execute("INSERT INTO tombstones (id, issuer, erased_at) VALUES (?, ?, ?)",
                     (assertion_id, holder, _us(now)))
        changed.add(assertion_id)
    conn.execute("INSERT INTO erasures (id, holder, received_at, document) VALUES (?, ?, ?, ?)",
                 (notice_id, holder, _us(now), document))
    marks = ",".join("?" * len(erased))
    conn.execute(f"UPDATE tombstones SET erasure = ? WHERE erasure IS NULL AND issuer = ? "
                 f"AND id IN ({marks})", (notice_id, holder, *erased))
    return sorted(changed)
