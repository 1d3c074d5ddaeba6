"""Range-based set reconciliation: exactness (hypothesis), sizes, limits, the index."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confiance.protocol.errors import GossipError, LocalProtocolError
from confiance.protocol.gossip import (
    FingerprintRange,
    IdIndex,
    IdListRange,
    Reconcile,
    ReconcileConfig,
    Reconciliation,
    SkipRange,
    SortedIdIndex,
    encode_id,
    encode_message,
    encoded_size,
    fingerprint,
    initiate,
    parse_message,
    process,
    respond,
)
from confiance.protocol.gossip.reconcile import _between

DEFAULT = ReconcileConfig()


def run(a: SortedIdIndex, b: SortedIdIndex, config: ReconcileConfig = DEFAULT,
        max_rounds: int = 10_000) -> tuple[Reconciliation, int, int]:
    """Reconcile through the wire encoding; returns the run, round trips, bytes."""
    rec = Reconciliation(a, config)
    message: Reconcile | None = rec.start()
    rounds = total = 0
    while message is not None:
        data = encode_message(message)
        answer = encode_message(respond(b, parse_message(data), config))
        total += len(data) + len(answer)
        rounds += 1
        assert rounds <= max_rounds, "reconciliation does not terminate"
        parsed = parse_message(answer)
        assert isinstance(parsed, Reconcile)
        message = rec.step(parsed)
    return rec, rounds, total


def ids(rng: random.Random, n: int) -> list[bytes]:
    return [rng.randbytes(32) for _ in range(n)]


ID = st.binary(min_size=32, max_size=32)
# Small alphabets make shared prefixes and adjacent ids common (deep bounds).
CLUSTERED = st.builds(lambda head, tail: head + tail,
                      st.binary(min_size=1, max_size=3).map(lambda h: h * 10)
                      .map(lambda h: h[:30].ljust(30, b"\x00")),
                      st.binary(min_size=2, max_size=2))


@settings(max_examples=150, deadline=None)
@given(shared=st.sets(ID | CLUSTERED, max_size=300), only_a=st.sets(ID | CLUSTERED, max_size=60),
       only_b=st.sets(ID | CLUSTERED, max_size=60),
       buckets=st.integers(2, 16), threshold=st.integers(2, 40),
       frame=st.sampled_from([1024, 2048, 1 << 20]))
def test_initiator_learns_exactly_the_symmetric_difference(
        shared: set[bytes], only_a: set[bytes], only_b: set[bytes], buckets: int,
        threshold: int, frame: int) -> None:
    a_set, b_set = shared | only_a, shared | only_b
    config = ReconcileConfig(buckets=buckets, id_list_threshold=threshold, frame_limit=frame)
    rec, _, _ = run(SortedIdIndex(a_set), SortedIdIndex(b_set), config)
    assert rec.have == a_set - b_set
    assert rec.need == b_set - a_set
    assert rec.done
    # and after the exchange that follows, both hold the union
    assert a_set | rec.need == b_set | rec.have == a_set | b_set


@pytest.mark.parametrize(("n_a", "n_b"), [(0, 0), (0, 50), (50, 0), (1, 1), (7, 9)])
def test_small_and_empty_sets(n_a: int, n_b: int) -> None:
    rng = random.Random(n_a * 100 + n_b)
    a, b = set(ids(rng, n_a)), set(ids(rng, n_b))
    rec, rounds, _ = run(SortedIdIndex(a), SortedIdIndex(b))
    assert (rec.have, rec.need, rounds) == (a - b, b - a, 1)


def test_identical_sets_need_one_round_trip_of_fingerprints() -> None:
    rng = random.Random(1)
    same = ids(rng, 5000)
    rec, rounds, total = run(SortedIdIndex(same), SortedIdIndex(same))
    assert (rec.have, rec.need, rounds) == (set(), set(), 1)
    assert total < 600


def test_cost_grows_with_differences_not_with_size() -> None:
    rng = random.Random(2)
    common = ids(rng, 20_000)
    extra = ids(rng, 1)
    rec, rounds, total = run(SortedIdIndex(common), SortedIdIndex(common + extra))
    assert rec.need == set(extra) and rounds <= 4 and total < 4096
    small_rec, _, small_total = run(SortedIdIndex(common[:2000]),
                                    SortedIdIndex(common[:2000] + extra))
    assert small_rec.need == set(extra) and total < 2 * small_total


def test_frame_limit_splits_a_big_transfer_into_bounded_messages() -> None:
    rng = random.Random(3)
    theirs = SortedIdIndex(ids(rng, 3000))
    config = ReconcileConfig(frame_limit=16 * 1024)
    rec = Reconciliation(SortedIdIndex(), config)
    message: Reconcile | None = rec.start()
    sizes = []
    while message is not None:
        answer = respond(theirs, message, config)
        sizes.append(len(encode_message(answer)))
        message = rec.step(answer)
    assert rec.need == set(theirs)
    assert len(sizes) >= 3000 * 46 // (16 * 1024)
    assert max(sizes) <= 16 * 1024 + 46 * 8 + 200


def test_encoded_size_is_exact() -> None:
    rng = random.Random(4)
    sample = sorted(ids(rng, 5))
    ranges = (SkipRange(bound=b"\x01"), FingerprintRange(bound=b"\x02\x03\x04",
                                                          fingerprint=b"\x05" * 16),
              SkipRange(bound=b"\x03" * 32), IdListRange(bound=b"\x04", ids=()),
              IdListRange(bound=None, ids=tuple(x for x in sample if x > b"\x04")))
    for n in range(len(ranges) + 1):
        message = Reconcile(ranges=ranges[:n])
        expected = len(b'{"type":"reconcile","ranges":[]}') + sum(
            encoded_size(r) for r in ranges[:n]) - (1 if n else 0)
        assert len(encode_message(message)) == expected


def test_bounds_are_the_shortest_separating_prefix() -> None:
    assert _between(b"\x01\x02\x03", b"\x01\x05\x00") == b"\x01\x05"
    assert _between(b"\x00" * 32, b"\x01" * 32) == b"\x01"
    lo, hi = b"\x07" * 31 + b"\x01", b"\x07" * 31 + b"\x02"
    assert _between(lo, hi) == hi
    rng = random.Random(5)
    for _ in range(200):
        x, y = sorted(ids(rng, 2))
        bound = _between(x, y)
        assert x < bound.ljust(32, b"\x00") <= y and bound[-1] != 0


def test_index_fingerprints_match_the_reference() -> None:
    rng = random.Random(6)
    index = SortedIdIndex(ids(rng, 300))
    assert isinstance(index, IdIndex)
    everything = list(index)
    for lo, hi in [(0, 0), (0, 300), (17, 18), (100, 250)]:
        assert index.fingerprint(lo, hi) == fingerprint(everything[lo:hi])
    extra = rng.randbytes(32)
    assert index.add(extra) and not index.add(extra) and extra in index
    assert index.fingerprint(0, 301) == fingerprint([*everything, extra])
    assert index.discard(extra) and not index.discard(extra) and extra not in index
    assert index.fingerprint(0, 300) == fingerprint(everything)
    assert index.add_many([extra, extra, everything[0]]) == 1
    assert len(index.copy()) == 301 and 5 not in index
    with pytest.raises(LocalProtocolError):
        index.add(b"short")
    with pytest.raises(LocalProtocolError):
        index.fingerprint(5, 400)
    # the empty set: SHA-256 of 32 zero bytes (the sum) and varint(0), first 16 bytes
    assert fingerprint([]).hex() == "7f9c9e31ac8256ca2f258583df262dbc"


def test_fingerprint_counts_are_varints_of_negentropy() -> None:
    from confiance.protocol.gossip.reconcile import _varint
    assert [_varint(n).hex() for n in (0, 1, 127, 128, 16383, 16384)] == [
        "00", "01", "7f", "8100", "ff7f", "818000"]


def test_responder_is_stateless_and_initiator_state_is_guarded() -> None:
    rng = random.Random(7)
    a, b = SortedIdIndex(ids(rng, 100)), SortedIdIndex(ids(rng, 100))
    first = initiate(a)
    assert respond(b, first) == respond(b, first)
    step = process(a, respond(b, first))
    assert step.reply is not None or step.have or step.need
    rec = Reconciliation(a)
    with pytest.raises(LocalProtocolError):
        rec.step(first)
    rec.start()
    with pytest.raises(LocalProtocolError):
        rec.start()


def test_config_is_validated() -> None:
    for bad in ({"buckets": 1}, {"buckets": 5000}, {"id_list_threshold": 1},
                {"frame_limit": 100}, {"max_rounds": 0}):
        with pytest.raises(LocalProtocolError):
            ReconcileConfig(**bad)  # type: ignore[arg-type]


def test_a_lying_peer_cannot_smuggle_ids_outside_their_range() -> None:
    # ids outside the range they are listed in are refused at parsing, before reconciliation
    listed = encode_id(b"\x01" * 32)
    data = f'{{"type":"reconcile","ranges":[["s","Ag"],["i",null,["{listed}"]]]}}'.encode()
    with pytest.raises(GossipError):
        parse_message(data)


def test_a_peer_that_never_converges_is_cut_off() -> None:
    rng = random.Random(8)
    a = SortedIdIndex(ids(rng, 1000))
    rec = Reconciliation(a, ReconcileConfig(max_rounds=3))
    rec.start()
    endless = Reconcile(ranges=(FingerprintRange(bound=None, fingerprint=b"\x00" * 16),))
    for _ in range(3):
        assert rec.step(endless) is not None
    with pytest.raises(GossipError):
        rec.step(endless)
