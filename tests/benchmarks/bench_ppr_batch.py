"""Personalized PageRank for many sources on Epinions: one batch beside single queries.

Run: ``python tests/benchmarks/bench_ppr_batch.py [--sources 1000] [--block 16]
[--threads 2] [--compare 50]``

The same engine, the same 1,000 evaluators (nodes with a positive out-edge, drawn with a
fixed seed), the same answer (each evaluator's top 10 after the layers, every vector to
the guaranteed L1 bound 1e-12):

- **single**: ``TrustEngine.rank(source, algorithm="ppr", top=10)`` one source after
  another, as a node answers one query at a time (the engine's caches as they are: the
  reachable set and its elimination are cached per component of the sources, four at a
  time; each vector is solved once);
- **batch**: ``TrustEngine.rank_many(sources, top=10)``: the sources' reachable sets
  united once, the independent set eliminated once, and BiCGSTAB run on blocks of
  ``--block`` vectors (one sparse product multiplies a whole block); with ``--threads``, the
  blocks also spread over a thread pool (scipy's sparse products release the interpreter
  lock).

Printed: sources per second each way, the ratio (goal 5x), and the check that the rankings
agree (same nodes in the same order, scores within 2e-12) on every source. Also the cost
floor: one sparse product of the reduced matrix by one vector and by a block.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from confiance.protocol.trust import TrustEngine, load_edge_arrays
from confiance.protocol.trust.elimination import eliminate
from confiance.protocol.trust.matrix import operator_for

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "epinions-signed" / "soc-sign-epinions.txt.gz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--block", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} is absent: this benchmark needs ../shared/data", file=sys.stderr)
        return 0
    raw = gzip.decompress(DATA.read_bytes())

    def engine() -> TrustEngine:
        e = TrustEngine()
        load_edge_arrays(e, raw, context="default")
        return e

    e = engine()
    op = operator_for(e.graph.view("0", "default"))
    has_out = np.flatnonzero(np.diff(op.base.transition.indptr) > 0)
    rng = np.random.default_rng(2016)
    sources = [op.nodes[int(i)] for i in rng.choice(has_out, size=args.sources, replace=False)]
    print(f"Epinions: {op.n} nodes; {len(sources)} evaluators with a positive out-edge")

    started = time.perf_counter()
    single = [e.rank(s, "default", "ppr", top=args.top) for s in sources]
    t_single = time.perf_counter() - started
    print(f"single queries (rank, one after another): {t_single:.1f} s, "
          f"{len(sources) / t_single:.1f} sources/s, {1000 * t_single / len(sources):.1f} ms "
          "each")

    results = {}
    for threads in sorted({1, args.threads}):
        fresh = engine()  # no vector, set or elimination cached from the single run
        started = time.perf_counter()
        if threads > 1:
            with ThreadPoolExecutor(threads) as pool:
                many = fresh.rank_many(sources, "default", top=args.top, block=args.block,
                                       map_blocks=pool.map)
        else:
            many = fresh.rank_many(sources, "default", top=args.top, block=args.block)
        took = time.perf_counter() - started
        results[threads] = (took, many)
        print(f"batch (rank_many, block {args.block}, {threads} thread(s)): {took:.1f} s, "
              f"{len(sources) / took:.1f} sources/s: {t_single / took:.2f}x the single "
              "queries' throughput (goal 5x)")

    worst = 0.0
    reordered = 0
    for _, many in results.values():
        for a, b in zip(single, many, strict=True):
            ea, eb = a.entries, b.entries
            assert len(ea) == len(eb), a.source
            for x, y in zip(ea, eb, strict=True):
                worst = max(worst, abs(x.score - y.score), abs((x.raw or 0) - (y.raw or 0)))
                if x.node != y.node:  # only nodes tied to within the bound may swap
                    assert abs(x.score - y.score) < 2e-12, a.source
                    reordered += 1
    print(f"rankings agree on all {len(sources)} sources (largest score difference "
          f"{worst:.1e}; {reordered} places where nodes tied to within 1e-12 swapped)")

    sub = op.restricted([op.index(s) or 0 for s in sources[:64]])
    reduced = eliminate(sub.split.core_block)
    if reduced is not None:
        r = reduced.reduced(0.85)
        one = np.random.default_rng(1).random(r.shape[0])
        blk = np.random.default_rng(1).random((r.shape[0], args.block))
        for label, x, reps in (("one vector", one, 50), (f"a block of {args.block}", blk, 10)):
            started = time.perf_counter()
            for _ in range(reps):
                r @ x
            each = (time.perf_counter() - started) / reps
            per = each / (1 if x.ndim == 1 else x.shape[1])
            print(f"floor: reduced matrix ({r.shape[0]} rows, {r.nnz} entries) times {label}: "
                  f"{1000 * each:.2f} ms, {1000 * per:.3f} ms per vector")
    return 0


if __name__ == "__main__":
    sys.exit(main())
