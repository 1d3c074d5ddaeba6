"""A Bloom filter over the ids a store holds: "certainly not held" without a database read.

Every new assertion first asks the store whether its id is held (or erased): that answer
decides whether it is verified at all (see ``node/ingest.py``). For a new id, the common
case, the answer is no, and finding it out costs a read on the store's reader thread: a
thread hop and a query, as much CPU as a third of the verification. An :class:`IdFilter`
answers "certainly not" for most new ids on the event loop itself; "maybe" sends the
question to the database as before, so a false positive costs what every lookup cost
before, and there are no false negatives as long as every id is added before it is
written (:class:`~.sqlite.SqliteStore` does so).

Bits: ``bits_per_id`` per expected id and ``k`` positions from Python's string hash
(double hashing, Kirsch and Mitzenmacher [1]_): with 10 bits and k = 7, one new id in a
hundred still goes to the database. Beyond its capacity the filter says "maybe" more
often, never "no" wrongly; the store builds a larger one then.

References
----------
.. [1] A. Kirsch and M. Mitzenmacher, "Less hashing, same performance: building a better
   Bloom filter", ESA 2006.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["IdFilter"]

_MASK64 = (1 << 64) - 1


class IdFilter:
    """A Bloom filter of strings (ids); ``id in f`` is False only for ids never added."""

    __slots__ = ("_bits", "_mask", "capacity", "count", "k")

    def __init__(self, capacity: int, *, bits_per_id: int = 10, k: int = 7) -> None:
        size = 1 << max(16, (max(1, capacity) * bits_per_id - 1).bit_length())
        self._bits = bytearray(size // 8)
        self._mask = size - 1
        self.capacity = max(1, capacity)
        self.count = 0
        self.k = k

    def _positions(self, item: str) -> list[int]:
        h = hash(item) & _MASK64
        first, step = h & 0xFFFFFFFF, (h >> 32) | 1
        mask = self._mask
        return [(first + i * step) & mask for i in range(self.k)]

    def add(self, item: str) -> None:
        bits = self._bits
        for p in self._positions(item):
            bits[p >> 3] |= 1 << (p & 7)
        self.count += 1

    def update(self, items: Iterable[str]) -> None:
        for item in items:
            self.add(item)

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, str):
            return False
        bits = self._bits
        return all(bits[p >> 3] & (1 << (p & 7)) for p in self._positions(item))

    def merge(self, other: IdFilter) -> None:
        """Add every id of ``other`` (a filter of the same size) to this one."""
        if len(other._bits) != len(self._bits) or other.k != self.k:
            raise ValueError("only filters of the same size and k merge")
        merged = int.from_bytes(self._bits, "little") | int.from_bytes(other._bits, "little")
        self._bits[:] = merged.to_bytes(len(self._bits), "little")
        self.count += other.count

    @property
    def full(self) -> bool:
        """More ids than it was sized for: time to build a larger one."""
        return self.count > self.capacity
