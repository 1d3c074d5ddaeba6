"""Benchmark: range-based reconciliation of 100,000 content ids against sending them all.

Two stores of about 100,000 random ids (the responder holds exactly 100,000) differ by 1,
by 100 and by 10,000 ids (split between the two sides; for 1, the responder holds it).
Each run goes through two real :class:`Session` objects (JSON bytes counted exactly as
they would cross HTTP, handshake excluded) and checks that the initiator learnt exactly
the symmetric difference.
Baseline in the same run: the naive exchange, where the initiator sends all its ids in one
message and the responder answers with the ids the initiator lacks (1 round trip).

Goal (issue 4): under 4 KB and at most 4 round trips for one difference.

Run: ``.venv/bin/python tests/benchmarks/bench_reconcile.py [--size N]``
"""

from __future__ import annotations

import argparse
import random
import time

from confiance.protocol.gossip import (
    Hello,
    Ihave,
    Reconcile,
    ReconcileConfig,
    Reconciliation,
    Role,
    Session,
    SortedIdIndex,
    Want,
    Welcome,
    encode_message,
    respond,
)


def open_pair() -> tuple[Session, Session]:
    a, b = Session(Role.INITIATOR), Session(Role.RESPONDER)
    b.receive(a.send(Hello(node="https://a.example")))
    a.receive(b.send(Welcome(node="https://b.example", session="bench")))
    a.bytes_sent = a.bytes_received = 0
    return a, b


def reconcile(a_ids: SortedIdIndex, b_ids: SortedIdIndex,
              config: ReconcileConfig) -> dict[str, float]:
    a, b = open_pair()
    run = Reconciliation(a_ids, config)
    start = time.perf_counter()
    message: Reconcile | None = run.start()
    round_trips = 0
    while message is not None:
        request = b.receive(a.send(message))
        assert isinstance(request, Reconcile)
        answer = a.receive(b.send(respond(b_ids, request, config)))
        assert isinstance(answer, Reconcile)
        round_trips += 1
        message = run.step(answer)
    elapsed = time.perf_counter() - start
    expected_have = set(a_ids) - set(b_ids)
    expected_need = set(b_ids) - set(a_ids)
    assert run.have == expected_have and run.need == expected_need, "wrong difference"
    return {"sent": a.bytes_sent, "received": a.bytes_received,
            "total": a.bytes_sent + a.bytes_received, "round_trips": round_trips,
            "seconds": elapsed}


def naive(a_ids: SortedIdIndex, b_ids: SortedIdIndex) -> dict[str, float]:
    start = time.perf_counter()
    request = encode_message(Ihave(ids=tuple(a_ids)))
    held = set(a_ids)
    answer = encode_message(Want(ids=tuple(x for x in b_ids if x not in held)))
    return {"total": len(request) + len(answer), "round_trips": 1,
            "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    common = [rng.randbytes(32) for _ in range(args.size)]
    config = ReconcileConfig()
    print(f"stores of {args.size:,} ids; B={config.buckets}, id lists below "
          f"{config.id_list_threshold} ids, frame limit {config.frame_limit:,} bytes")
    header = (f"{'differences':>11} | {'reconcile bytes':>15} {'round trips':>11} "
              f"{'time':>7} | {'naive bytes':>11} {'rt':>2} | {'bytes ratio':>11}")
    print(header)
    print("-" * len(header))
    for diff in (1, 100, 10_000):
        only_b = [rng.randbytes(32) for _ in range((diff + 1) // 2)]
        only_a = [rng.randbytes(32) for _ in range(diff // 2)]
        shared = common[: args.size - len(only_b)]
        a_ids = SortedIdIndex(shared + only_a)
        b_ids = SortedIdIndex(shared + only_b)
        a_ids.fingerprint(0, 0)  # build the prefix sums outside the timing (done once)
        b_ids.fingerprint(0, 0)
        r = reconcile(a_ids, b_ids, config)
        n = naive(a_ids, b_ids)
        print(f"{diff:>11,} | {int(r['total']):>15,} {int(r['round_trips']):>11} "
              f"{r['seconds'] * 1000:>5.0f}ms | {int(n['total']):>11,} "
              f"{int(n['round_trips']):>2} | {r['total'] / n['total']:>11.4f}")
        if diff == 1:
            ok = r["total"] < 4096 and r["round_trips"] <= 4
            print(f"{'':>11}   goal < 4 KB and <= 4 round trips: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
