"""Reconciliation's guards at their edges (issue 14): the sorted id index past its last
id, ids of the wrong size, ranges out of bounds, and each tuning bound at its limit."""

from __future__ import annotations

import pytest

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.gossip import ReconcileConfig, SortedIdIndex

LOW, MID, HIGH = bytes([1]) * 32, bytes([128]) * 32, bytes([255]) * 32


def test_membership_and_removal_past_the_last_id() -> None:
    index = SortedIdIndex([LOW, MID])
    assert HIGH not in index and LOW in index and MID in index
    assert HIGH not in SortedIdIndex() and "x" not in index
    assert index.discard(HIGH) is False  # beyond the last id: absent, no error
    assert index.discard(MID) is True  # the last id itself
    assert list(index) == [LOW]
    assert index.discard(MID) is False


@pytest.mark.parametrize("bad", [b"short", bytes(33), "a" * 32])
def test_ids_of_the_wrong_size_are_refused_one_or_many(bad: object) -> None:
    index = SortedIdIndex([LOW])
    with pytest.raises(LocalProtocolError):
        index.add(bad)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        index.add_many([MID, bad])  # type: ignore[list-item]
    assert list(index) == [LOW]


def test_fingerprint_ranges_must_lie_within_the_index() -> None:
    index = SortedIdIndex([LOW, MID])
    assert index.fingerprint(0, 2) != index.fingerprint(0, 1)
    for lo, hi in ((0, 3), (-1, 1), (2, 1)):
        with pytest.raises(LocalProtocolError):
            index.fingerprint(lo, hi)


@pytest.mark.parametrize("good", [
    {"buckets": 2}, {"buckets": 1024}, {"id_list_threshold": 2}, {"frame_limit": 1024},
    {"max_rounds": 1}])
def test_tuning_at_its_limits_is_accepted(good: dict[str, int]) -> None:
    ReconcileConfig(**good)


@pytest.mark.parametrize("bad", [
    {"buckets": 1}, {"buckets": 1025}, {"id_list_threshold": 1}, {"frame_limit": 1023},
    {"max_rounds": 0}])
def test_tuning_one_past_its_limits_is_refused(bad: dict[str, int]) -> None:
    with pytest.raises(LocalProtocolError):
        ReconcileConfig(**bad)
