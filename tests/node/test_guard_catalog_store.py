"""The gossip catalogue rebuilt from a real SQLite store at start-up, and its bounds.

What a restarted node reconciles over is exactly what its store holds: every held id,
tombstone and erasure notice, past the first page of each (a page is 1,000 rows). The view
cache and the broadcast-root memory stay within their bounds, oldest out first.
"""

from __future__ import annotations

from pathlib import Path

from test_storage import ALICE, T0, cid, rec

from confiance.node.catalog import IdCatalog
from confiance.node.storage import SqliteStore
from confiance.protocol.gossip import Filters
from confiance.protocol.ids import parse_assertion_id

PAGE = 1000


async def test_a_catalogue_loads_every_page_of_ids_tombstones_and_notices(
        tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "db.sqlite3", clock=lambda: T0)
    try:
        for i in range(PAGE + 1):
            await store.put(rec(f"held {i}", slot=None), unaccepted_cap=None)
        for i in range(PAGE + 1):
            await store.put(rec(f"erased {i}", issuer="did:key:carol", slot=None),
                            unaccepted_cap=None)
        erased = await store.erase("did:key:carol", None, now=T0)
        assert len(erased) == PAGE + 1
        notices = [cid(f"notice {i}") for i in range(PAGE + 1)]
        for i, notice in enumerate(notices):
            await store.record_erasure(notice, ALICE, [cid(f"never held {i}")], b"{}", now=T0)
        catalog = IdCatalog()
        loaded = await catalog.load(store)
    finally:
        await store.close()
    assert loaded == 4 * (PAGE + 1)  # held, erased, notices, and what the notices erased
    assert catalog.is_tombstoned(parse_assertion_id(erased[-1]))
    assert catalog.is_notice(parse_assertion_id(notices[-1]))
    last_held = parse_assertion_id(cid(f"held {PAGE}"))
    assert last_held in catalog and catalog.matches(last_held, Filters(contexts=("seller",)))


def test_adding_a_known_id_again_changes_no_view() -> None:
    catalog = IdCatalog()
    digest = parse_assertion_id(cid("one"))
    seller = catalog.view(Filters(contexts=("seller",)))
    assert catalog.add(digest, "Rating", "seller", ALICE) is True
    assert catalog.add(digest, "Rating", "seller", ALICE) is False
    assert list(seller) == [digest] and len(catalog) == 1
    assert not catalog.matches(parse_assertion_id(cid("unknown")), Filters())


def test_the_view_cache_keeps_at_most_64_views_oldest_out() -> None:
    catalog = IdCatalog()
    catalog.add(parse_assertion_id(cid("one")), "Rating", "seller", ALICE)
    views = [catalog.view(Filters(issuers=(f"did:key:z{i}",))) for i in range(65)]
    assert catalog.view(Filters(issuers=("did:key:z64",))) is views[64]  # kept
    assert catalog.view(Filters(issuers=("did:key:z1",))) is views[1]  # kept
    assert catalog.view(Filters(issuers=("did:key:z0",))) is not views[0]  # evicted, rebuilt


def test_arrival_times_and_roots_are_bounded_oldest_out() -> None:
    catalog = IdCatalog(max_roots=2)
    a, b, c = (parse_assertion_id(cid(x)) for x in "abc")
    for digest, when in ((a, 1.0), (b, 2.0), (c, 3.0)):
        catalog.arrived(digest, when)
        catalog.set_root(digest, f"root {when}")
    assert catalog.age(a, 10.0) == float("inf")  # forgotten: as if loaded at start-up
    assert catalog.age(c, 10.0) == 7.0
    assert catalog.root_of(a) == "" and catalog.root_of(c) == "root 3.0"
    catalog.set_root(b, "again")  # touched: now the newest
    catalog.set_root(a, "new")
    assert catalog.root_of(b) == "again" and catalog.root_of(c) == ""
