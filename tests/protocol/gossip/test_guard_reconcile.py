"""Reconciliation's guards at their edges (issue 14): the sorted id index past its last
id, ids of the wrong size, ranges out of bounds, and each tuning bound at its limit."""

from __future__ import annotations

import random

import pytest

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.gossip import (
    FingerprintRange,
    IdListRange,
    Reconcile,
    ReconcileConfig,
    Reconciliation,
    SortedIdIndex,
    encode_message,
    fingerprint,
    respond,
)
from confiance.protocol.gossip.reconcile import _between, encoded_size

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


def test_adding_the_last_id_again_adds_nothing() -> None:
    index = SortedIdIndex([LOW, HIGH])
    assert index.add(HIGH) is False and index.add(LOW) is False
    assert list(index) == [LOW, HIGH]
    assert index.add(MID) is True and list(index) == [LOW, MID, HIGH]


def _messages(ours: SortedIdIndex, theirs: SortedIdIndex,
              config: ReconcileConfig) -> tuple[Reconciliation, list[Reconcile]]:
    """Reconcile ``ours`` with ``theirs``; the run and every message either side sent."""
    rec = Reconciliation(ours, config)
    sent: list[Reconcile] = []
    message: Reconcile | None = rec.start()
    while message is not None:
        answer = respond(theirs, message, config)
        sent += [message, answer]
        assert len(sent) < 2000, "reconciliation does not terminate"
        message = rec.step(answer)
    return rec, sent


def test_a_message_that_passes_the_frame_limit_stops_with_a_fingerprint() -> None:
    # many scattered differences: each range is answered by a split into bucket
    # fingerprints, far more than one small frame holds
    rng = random.Random(7)
    common = [rng.randbytes(32) for _ in range(20_000)]
    only_ours = [rng.randbytes(32) for _ in range(300)]
    only_theirs = [rng.randbytes(32) for _ in range(300)]
    config = ReconcileConfig(frame_limit=1024)
    rec, sent = _messages(SortedIdIndex(common + only_ours),
                          SortedIdIndex(common + only_theirs), config)
    assert set(rec.have) == set(only_ours) and set(rec.need) == set(only_theirs)
    # a message stops once over the limit: at most one split (8 fingerprint ranges) and
    # the closing fingerprint past it
    slack = 9 * encoded_size(FingerprintRange(bound=b"\x01" * 32, fingerprint=b"\x00" * 16))
    sizes = [len(encode_message(m)) for m in sent]
    assert max(sizes) <= config.frame_limit + slack, max(sizes)
    assert any(size > config.frame_limit for size in sizes)  # the limit was reached


def test_ids_that_fit_the_frame_are_sent_whole_up_to_the_last_id() -> None:
    config = ReconcileConfig(frame_limit=1024)
    empty = SortedIdIndex()
    ask = Reconciliation(empty, config).start()  # "send me your ids"
    rng = random.Random(8)
    whole = 0
    for count in range(15, 30):
        theirs = SortedIdIndex(rng.randbytes(32) for _ in range(count))
        answer = respond(theirs, ask, config)
        got = [x for r in answer.ranges if isinstance(r, IdListRange) for x in r.ids]
        if len(answer.ranges) == 1:  # all in one id list
            whole = count
            assert got == list(theirs)
        else:  # what fits, then a fingerprint of the rest
            assert isinstance(answer.ranges[-1], FingerprintRange)
            assert got == list(theirs)[:len(got)] and len(got) >= whole
    assert 15 < whole < 29  # both cases were seen, the boundary included


def _two_sets(low: int, high: int) -> tuple[SortedIdIndex, list[bytes], list[bytes]]:
    """An index of ``low`` ids under the bound 0x40 and ``high`` ids above it."""
    rng = random.Random(9)
    below = sorted(b"\x10" + rng.randbytes(31) for _ in range(low))
    above = sorted(b"\x80" + rng.randbytes(31) for _ in range(high))
    return SortedIdIndex(below + above), below, above


# "send me your ids under 0x40, then the rest": two id-list answers in one message
ASK_TWICE = Reconcile(ranges=(IdListRange(bound=b"\x40", ids=()), IdListRange(bound=None, ids=())))


def test_the_frame_limit_is_reached_at_exactly_its_size_and_not_before() -> None:
    theirs, below, above = _two_sets(22, 5)
    first = IdListRange(bound=b"\x40", ids=tuple(below))
    size = len(encode_message(Reconcile(ranges=(first,))))  # the answer so far, in bytes
    at_limit = respond(theirs, ASK_TWICE, ReconcileConfig(frame_limit=size))
    # not over the limit: it goes on, with one id (no room left, but every answer moves on)
    assert at_limit.ranges == (first, IdListRange(bound=_between(above[0], above[1]),
                                                  ids=(above[0],)),
                               FingerprintRange(bound=None, fingerprint=fingerprint(above[1:])))
    over = respond(theirs, ASK_TWICE, ReconcileConfig(frame_limit=size - 1))
    assert over.ranges == (first, FingerprintRange(bound=None, fingerprint=fingerprint(above)))


def test_a_later_id_list_gets_only_the_room_left_in_the_frame() -> None:
    theirs, below, above = _two_sets(10, 100)
    config = ReconcileConfig(frame_limit=1024)
    answer = respond(theirs, ASK_TWICE, config)
    assert answer.ranges[0] == IdListRange(bound=b"\x40", ids=tuple(below))
    sent = answer.ranges[1]
    assert isinstance(sent, IdListRange) and 0 < len(sent.ids) < len(above)
    slack = encoded_size(IdListRange(bound=b"\x40", ids=())) + encoded_size(
        FingerprintRange(bound=None, fingerprint=b"\x00" * 16))
    assert len(encode_message(answer)) <= config.frame_limit + slack
