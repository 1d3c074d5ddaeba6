"""The in-memory catalogue of content ids that gossip reconciles, rebuilt from the store.

Reconciliation needs a sorted id index with fast range fingerprints
(:class:`~confiance.protocol.gossip.SortedIdIndex`); the store keeps assertions by arrival
order. The catalogue holds every held id, every tombstoned id (so anti-entropy treats an
erased assertion as held and never asks for it again) and the ids of the erasure notices
(``node/erasures.py``: content-addressed like assertions, so the same reconciliation
carries erasures to stale peers), the few fields per-peer filters look
at, and the broadcast root each assertion came with. It is loaded once at start-up from the
store and kept current by the ingest listener: it cannot disagree with the database after a
restart because it *is* rebuilt from it.

Memory: about 200 bytes per id (100,000 assertions: about 20 MB).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from confiance.protocol.gossip import Filters, SortedIdIndex
from confiance.protocol.ids import parse_assertion_id

from .storage import Store

__all__ = ["IdCatalog"]

_PAGE = 1000


@dataclass(frozen=True, slots=True)
class _Meta:
    kind: str
    context: str | None
    issuer: str


class IdCatalog:
    """All ids known here (held or erased), with filtered views and broadcast roots."""

    def __init__(self, *, max_roots: int = 200_000) -> None:
        self.index = SortedIdIndex()
        self._meta: dict[bytes, _Meta] = {}
        self._tombstoned: set[bytes] = set()
        self._notices: set[bytes] = set()
        self._views: dict[Filters, SortedIdIndex] = {}
        self._roots: OrderedDict[bytes, str] = OrderedDict()
        self._arrived: OrderedDict[bytes, float] = OrderedDict()
        self._max_roots = max_roots

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, digest: object) -> bool:
        return digest in self.index

    async def load(self, store: Store) -> int:
        """Read every held id and tombstone from the store (at start-up); returns the count."""
        after = 0
        while True:
            page = await store.changes(after, _PAGE)
            for stored in page:
                rec = stored.record
                self.add(parse_assertion_id(rec.id), rec.kind, rec.context, rec.issuer)
            if len(page) < _PAGE:
                break
            after = page[-1].seq
        after = 0
        while True:
            stones = await store.tombstones(after, _PAGE)
            for stone in stones:
                self.add_tombstone(parse_assertion_id(stone.id))
            if len(stones) < _PAGE:
                break
            after = stones[-1].seq
        after = 0
        while True:
            notices = await store.erasures(after, _PAGE)
            for _, notice_id in notices:
                self.add_notice(parse_assertion_id(notice_id))
            if len(notices) < _PAGE:
                break
            after = notices[-1][0]
        return len(self.index)

    def add(self, digest: bytes, kind: str, context: str | None, issuer: str) -> bool:
        """Record a newly held assertion; False if it was known already."""
        meta = _Meta(kind, context, issuer)
        self._meta[digest] = meta
        self._tombstoned.discard(digest)  # a tombstone that gave way (wrong issuer)
        new = bool(self.index.add(digest))
        if new:
            for filters, view in self._views.items():
                if filters.matches(kind=kind, context=context, issuer=issuer):
                    view.add(digest)
        return new

    def add_tombstone(self, digest: bytes) -> None:
        """An erased id: held for reconciliation's sake, in every view, never served."""
        self._tombstoned.add(digest)
        self._meta.pop(digest, None)
        self.index.add(digest)
        for view in self._views.values():
            view.add(digest)

    def add_notice(self, digest: bytes) -> bool:
        """An erasure notice (``node/erasures.py``): reconciled with every peer, whatever
        its filters, so that erasures reach every node that may hold what they erase."""
        self._notices.add(digest)
        new = bool(self.index.add(digest))
        for view in self._views.values():
            view.add(digest)
        return new

    def is_notice(self, digest: bytes) -> bool:
        return digest in self._notices

    def is_tombstoned(self, digest: bytes) -> bool:
        return digest in self._tombstoned

    def matches(self, digest: bytes, filters: Filters) -> bool:
        """Does the assertion ``digest`` pass ``filters``? (Unknown or erased: no.)"""
        meta = self._meta.get(digest)
        if meta is None:
            return False
        return bool(filters.matches(kind=meta.kind, context=meta.context, issuer=meta.issuer))

    def view(self, filters: Filters) -> SortedIdIndex:
        """The ids a peer with ``filters`` reconciles over (built once, then kept current)."""
        if filters.empty:
            return self.index
        view = self._views.get(filters)
        if view is None:
            view = SortedIdIndex(d for d in self.index if d in self._tombstoned
                                 or d in self._notices or (
                d in self._meta and self.matches(d, filters)))
            if len(self._views) >= 64:  # filters come from peers: bound the cache
                self._views.pop(next(iter(self._views)))
            self._views[filters] = view
        return view

    def arrived(self, digest: bytes, when: float) -> None:
        """Note when an assertion arrived here (monotonic seconds)."""
        self._arrived[digest] = when
        if len(self._arrived) > self._max_roots:
            self._arrived.popitem(last=False)

    def age(self, digest: bytes, now: float) -> float:
        """Seconds since it arrived; infinite when it was loaded from the store at start-up."""
        when = self._arrived.get(digest)
        return float("inf") if when is None else now - when

    def root_of(self, digest: bytes) -> str:
        """The broadcast root an assertion came with ("" when unknown)."""
        return self._roots.get(digest, "")

    def set_root(self, digest: bytes, root: str) -> None:
        self._roots[digest] = root
        self._roots.move_to_end(digest)
        if len(self._roots) > self._max_roots:
            self._roots.popitem(last=False)
