"""The SQLite store on its own: invariants of put, derived statuses, pagination, erasure."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from confiance.node.problems import (
    AcceptanceNotBySubject,
    Erased,
    ErasureNotByIssuer,
    NotRevocable,
    RevocationKept,
    RevocationNotByIssuer,
    SubjectCapReached,
    TargetNotHeld,
)
from confiance.node.storage import AssertionQuery, AssertionRecord, SqliteStore
from confiance.node.storage.sqlite import MIGRATIONS, migrate

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALICE, BOB, CAROL = "did:key:alice", "did:key:bob", "did:key:carol"


def cid(label: str) -> str:
    import base64

    digest = hashlib.sha256(label.encode()).digest()
    return "ni:///sha-256;" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def rec(label: str, *, kind: str = "Rating", issuer: str = ALICE, subject: str | None = BOB,
        target: str | None = None, slot: str | None = "slot-1", valid_from: datetime = T0,
        valid_until: datetime | None = None, accepted: bool | None = None,
        status_index: int | None = None, context: str | None = "seller") -> AssertionRecord:
    return AssertionRecord(
        id=cid(label), kind=kind, issuer=issuer, subject=subject, target=target,
        context=context, slot=slot, valid_from=valid_from, valid_until=valid_until,
        created=valid_from, accepted=accepted, status_index=status_index,
        document=b'{"label":"' + label.encode() + b'"}')


def revocation(label: str, target: str, issuer: str = ALICE) -> AssertionRecord:
    return rec(label, kind="Revocation", issuer=issuer, subject=None, target=target, slot=None,
               context=None)


def acceptance(label: str, target: str, issuer: str = BOB, *, accepted: bool,
               valid_from: datetime = T0) -> AssertionRecord:
    return rec(label, kind="Acceptance", issuer=issuer, subject=None, target=target, slot=None,
               context=None, accepted=accepted, valid_from=valid_from)


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = await SqliteStore.open(tmp_path / "db.sqlite3", clock=lambda: T0)
    yield s
    await s.close()


async def test_put_is_idempotent_and_get_returns_the_bytes(store: SqliteStore) -> None:
    first = await store.put(rec("a"), unaccepted_cap=None)
    again = await store.put(rec("a"), unaccepted_cap=None)
    assert first.created and not again.created
    assert again.stored.seq == first.stored.seq
    got = await store.get(cid("a"))
    assert got is not None and got.record.document == b'{"label":"a"}'
    assert got.status(T0) == "valid"
    assert await store.get(cid("nothing")) is None


async def test_revocation_only_by_the_issuer_and_only_of_held_targets(store: SqliteStore) -> None:
    await store.put(rec("a", status_index=0), unaccepted_cap=None)
    with pytest.raises(RevocationNotByIssuer):
        await store.put(revocation("r-bad", cid("a"), issuer=CAROL), unaccepted_cap=None)
    with pytest.raises(TargetNotHeld):
        await store.put(revocation("r-none", cid("missing")), unaccepted_cap=None)
    version = await store.status_version()
    await store.put(revocation("r", cid("a")), unaccepted_cap=None)
    got = await store.get(cid("a"))
    assert got is not None and got.status(T0) == "revoked" and got.revoked_by == cid("r")
    assert await store.revoked_status_indices(0, 100) == [0]
    assert await store.status_version() == version + 1
    with pytest.raises(NotRevocable):
        await store.put(revocation("rr", cid("r")), unaccepted_cap=None)


async def test_newer_assertion_in_the_same_slot_supersedes(store: SqliteStore) -> None:
    await store.put(rec("old", valid_from=T0), unaccepted_cap=None)
    await store.put(rec("new", valid_from=T0 + timedelta(days=1)), unaccepted_cap=None)
    await store.put(rec("other", slot="slot-2"), unaccepted_cap=None)
    old, new, other = [await store.get(cid(x)) for x in ("old", "new", "other")]
    assert old and new and other
    now = T0 + timedelta(days=2)
    assert (old.status(now), new.status(now), other.status(now)) == (
        "superseded", "valid", "valid")
    # revoking the newer one brings the older one back
    await store.put(revocation("r", cid("new")), unaccepted_cap=None)
    old = await store.get(cid("old"))
    assert old is not None and old.status(now) == "valid"


async def test_expiry_and_not_yet_valid(store: SqliteStore) -> None:
    await store.put(rec("e", valid_until=T0 + timedelta(hours=1)), unaccepted_cap=None)
    await store.put(rec("f", slot=None, valid_from=T0 + timedelta(days=5)), unaccepted_cap=None)
    e, f = await store.get(cid("e")), await store.get(cid("f"))
    assert e and f
    assert e.status(T0) == "valid" and e.status(T0 + timedelta(hours=2)) == "expired"
    assert f.status(T0) == "not-yet-valid"


async def test_acceptance_by_subject_latest_decision_wins(store: SqliteStore) -> None:
    await store.put(rec("a"), unaccepted_cap=None)
    with pytest.raises(AcceptanceNotBySubject):
        await store.put(acceptance("x", cid("a"), issuer=CAROL, accepted=False),
                        unaccepted_cap=None)
    await store.put(acceptance("no", cid("a"), accepted=False), unaccepted_cap=None)
    got = await store.get(cid("a"))
    assert got and got.status(T0) == "rejected-by-subject"
    page = await store.find(AssertionQuery(subject=BOB))
    assert [s.id for s in page.items] == []
    page = await store.find(AssertionQuery(subject=BOB, include_rejected=True))
    assert [s.id for s in page.items] == [cid("a")]
    await store.put(acceptance("yes", cid("a"), accepted=True, valid_from=T0 + timedelta(1)),
                    unaccepted_cap=None)
    got = await store.get(cid("a"))
    assert got and got.status(T0 + timedelta(2)) == "valid" and got.decision is True


async def test_unaccepted_cap_per_subject(store: SqliteStore) -> None:
    for i in range(3):
        await store.put(rec(f"r{i}", issuer=f"did:key:i{i}", slot=f"s{i}"), unaccepted_cap=3)
    with pytest.raises(SubjectCapReached):
        await store.put(rec("r3", issuer="did:key:i3", slot="s3"), unaccepted_cap=3)
    # the subject accepting one makes room; its own assertions never count
    await store.put(acceptance("ok", cid("r0"), accepted=True), unaccepted_cap=None)
    await store.put(rec("r3", issuer="did:key:i3", slot="s3"), unaccepted_cap=3)
    await store.put(rec("self", issuer=BOB, subject=BOB, slot="s-self"), unaccepted_cap=3)


async def test_keyset_pagination_is_stable(store: SqliteStore) -> None:
    for i in range(7):
        await store.put(rec(f"p{i}", slot=f"s{i}"), unaccepted_cap=None)
    seen: list[str] = []
    after = 0
    while True:
        page = await store.find(AssertionQuery(issuer=ALICE, after=after, limit=3))
        seen += [s.id for s in page.items]
        if not page.more:
            break
        assert page.last_seq is not None
        after = page.last_seq
        # an arrival between pages lands at the end, never shifts what is left
        if len(seen) == 3:
            await store.put(rec("late", slot="s-late"), unaccepted_cap=None)
    assert seen == [cid(f"p{i}") for i in range(7)] + [cid("late")]


async def test_erasure_tombstones_and_refuses_comebacks(store: SqliteStore) -> None:
    await store.put(rec("a"), unaccepted_cap=None)
    await store.put(revocation("r", cid("a")), unaccepted_cap=None)
    await store.put(acceptance("acc", cid("a"), accepted=True), unaccepted_cap=None)
    with pytest.raises(ErasureNotByIssuer):
        await store.erase(CAROL, [cid("a")], now=T0)
    with pytest.raises(RevocationKept):
        await store.erase(ALICE, [cid("r")], now=T0)
    erased = await store.erase(ALICE, [cid("a")], now=T0)
    assert erased == sorted([cid("a"), cid("r")])
    assert await store.get(cid("acc")) is None  # the subject's decision went with it
    assert await store.tombstone(cid("a")) is not None
    with pytest.raises(Erased):
        await store.put(rec("a"), unaccepted_cap=None)
    assert await store.erase(ALICE, [cid("a")], now=T0) == []  # idempotent
    assert await store.held([cid("a"), cid("zzz")]) == {cid("a")}
    assert await store.integrity_check() == "ok"


async def test_nonces_are_single_use_until_they_expire(store: SqliteStore) -> None:
    later = T0 + timedelta(minutes=5)
    assert await store.use_nonce("n1", expires_at=later, now=T0)
    assert not await store.use_nonce("n1", expires_at=later, now=T0)
    assert await store.use_nonce("n1", expires_at=later + timedelta(1), now=later + timedelta(1))


async def test_durability_pragmas_and_migrations(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    store = await SqliteStore.open(path)
    await store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1][0]
        assert migrate(conn) == MIGRATIONS[-1][0]  # idempotent
        extra = (*MIGRATIONS, (MIGRATIONS[-1][0] + 1, "CREATE TABLE peers (url TEXT)"))
        assert migrate(conn, extra) == MIGRATIONS[-1][0] + 1
    finally:
        conn.close()


async def test_group_commit_keeps_each_write_apart(store: SqliteStore) -> None:
    import asyncio

    await store.put(rec("target"), unaccepted_cap=None)
    writes = [store.put(rec(f"g{i}", slot=f"g{i}"), unaccepted_cap=None) for i in range(40)]
    writes.insert(10, store.put(revocation("bad", cid("target"), issuer=CAROL),
                                unaccepted_cap=None))
    writes.insert(20, store.put(rec("g3", slot="g3"), unaccepted_cap=None))  # a duplicate
    results = await asyncio.gather(*writes, return_exceptions=True)
    assert isinstance(results[10], RevocationNotByIssuer)
    created = [r.created for r in results if not isinstance(r, BaseException)]
    assert created.count(True) == 40 and created.count(False) == 1
    assert await store.get(cid("bad")) is None
    got = await store.get(cid("target"))
    assert got is not None and got.revoked_by is None
    assert (await store.counts())["assertions"] == 41


async def test_read_cache_never_hides_a_committed_write(store: SqliteStore) -> None:
    await store.put(rec("c", status_index=5), unaccepted_cap=None)
    warm = await store.get(cid("c"))
    assert warm is not None and await store.get(cid("c")) is warm  # served from the cache
    await store.use_nonce("n", expires_at=T0, now=T0)  # writes that change nothing held
    assert await store.get(cid("c")) is warm
    await store.put(revocation("rc", cid("c")), unaccepted_cap=None)
    after = await store.get(cid("c"))
    assert after is not None and after.status(T0) == "revoked"
    await store.erase(ALICE, [cid("c")], now=T0)
    assert await store.get(cid("c")) is None


async def test_put_returns_the_row_as_stored(tmp_path: Path) -> None:
    """What put hands back (to the ingestor's listeners) is what a read gives later."""
    plus2 = timezone(timedelta(hours=2))
    s = await SqliteStore.open(tmp_path / "db.sqlite3",
                               clock=lambda: datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC))
    try:
        records = [rec("new", valid_from=T0 + timedelta(days=2)),
                   rec("old", valid_from=datetime(2026, 1, 1, 3, tzinfo=plus2)),
                   rec("other", slot=None, subject=CAROL, status_index=4),
                   revocation("r", cid("other")),
                   acceptance("yes", cid("new"), accepted=True)]
        for record in records:
            put = await s.put(record, unaccepted_cap=10)
            assert put.stored == await s.get(record.id)
            assert put.stored.record.valid_from.tzinfo is UTC
        assert (await s.get(cid("old"))).superseded_by == cid("new")  # type: ignore[union-attr]
    finally:
        await s.close()


async def test_held_answers_for_held_erased_and_unknown_ids(tmp_path: Path) -> None:
    """held() is exact whether or not the id filter is built, and a notice's tombstones
    for ids never seen here count as held."""
    s = await SqliteStore.open(tmp_path / "db.sqlite3", clock=lambda: T0)
    try:
        await s.put(rec("early"), unaccepted_cap=None)  # likely before the filter is built
        assert await s.id_filter_ready()
        await s.put(rec("late", slot="slot-2"), unaccepted_cap=None)
        await s.erase(ALICE, [cid("early")], now=T0)
        await s.record_erasure(cid("notice"), CAROL, [cid("never-seen")], b"{}", now=T0)
        unknown = [cid(f"unknown-{i}") for i in range(2000)]
        wanted = [cid("early"), cid("late"), cid("never-seen"), *unknown]
        assert await s.held(wanted) == {cid("early"), cid("late"), cid("never-seen")}
    finally:
        await s.close()
    again = await SqliteStore.open(tmp_path / "db.sqlite3", clock=lambda: T0)
    try:
        assert await again.id_filter_ready()
        assert await again.held([cid("early"), cid("late"), cid("never-seen"), cid("x")]) \
            == {cid("early"), cid("late"), cid("never-seen")}
    finally:
        await again.close()


def test_id_filter_has_no_false_negatives_and_few_false_positives() -> None:
    from confiance.node.storage.idfilter import IdFilter

    ids = [cid(f"in-{i}") for i in range(20_000)]
    f = IdFilter(20_000)
    f.update(ids[:10_000])
    other = IdFilter(20_000)
    other.update(ids[10_000:])
    f.merge(other)
    assert all(i in f for i in ids) and not f.full
    false = sum(cid(f"out-{i}") in f for i in range(20_000))
    assert false < 20_000 * 0.03
    f.update(cid(f"more-{i}") for i in range(1))
    assert f.full and 5 not in f
