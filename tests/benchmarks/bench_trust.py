"""Trust engine benchmark: personalized PageRank beside networkx and igraph, build time and
memory, and the cost of an update, on Bitcoin OTC and Epinions (../shared/data).

Run: ``python tests/benchmarks/bench_trust.py [--sources 5] [--rounds 3] [--only otc|epinions]``

What it measures, in one run, on the same machine (figures are medians over the sources,
each the best of ``--rounds``):

- **build**: reading the edge list into the engine and compiling its sparse matrices, by
  the numpy loader the command line uses (``load_edge_arrays``: whole text, arrays, CSR; no
  object per edge) and by the claims path (``load_edge_list``: one Claim and one networkx
  edge per line); beside them, building a networkx DiGraph and an igraph Graph of the
  positive edges from already-parsed pairs. Memory is the growth of the process's resident
  set while building. Both loaders must give the same ranking (checked).
- **query**: one single-source personalized PageRank (damping 0.85, restart and dangling
  mass at the source) from a source not seen before (cold: the engine's vector cache is
  cleared; "first from its component" also clears the cached reachable-set matrices), by the
  engine (``TrustEngine.trust(..., "ppr", explain=False)``: the whole query,
  solved to a guaranteed L1 error below 1e-12); by ``networkx.pagerank`` with its default
  tolerance (it stops at an L1 step of n * 1e-6) on its DiGraph; by igraph's
  ``personalized_pagerank`` (PRPACK) when igraph is importable. The L1 distance of each
  answer to the engine's is printed, and the engine's to a very tight networkx solve on the
  smaller set.
  networkx is timed a second time at ``tol=1e-15`` (it stops at an L1 step of n * 1e-15),
  an answer about as exact as the engine's, for a comparison at equal accuracy.
- **loose**: the same cold query solved to a 1e-6 bound (still far tighter than networkx's
  default answer, about 0.1 off in L1 on Epinions).
- **repeat**: the same source asked about another target (the vector is cached).
- **update**: one new assertion added (a Rating between two existing nodes), then the same
  query again (warm start from the cached vector, patched rows instead of a recompilation;
  the reachable set patched when it stays closed, else searched afresh); then a rating of
  a subject new to the graph and the query again.

Goals (issue 5): a query on Epinions at least 100x faster than networkx and no slower than
igraph once built; an update under 10 ms.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from confiance.protocol.model import Rating, Scale
from confiance.protocol.trust import Claim, TrustEngine, load_edge_arrays, load_edge_list
from confiance.protocol.trust.matrix import compiled, operator_for

try:
    import igraph  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - optional comparison
    igraph = None

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
DATASETS = {
    "otc": SHARED / "bitcoin-otc" / "soc-sign-bitcoinotc.csv",
    "epinions": SHARED / "epinions-signed" / "soc-sign-epinions.txt.gz",
}


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def lines_of(path: Path) -> Iterable[str]:
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        yield from handle


def read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def best_of(rounds: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def positive_edges(engine: TrustEngine) -> list[tuple[str, str, float]]:
    g = engine.graph.graph("default")
    return [(u, v, w) for u, v, w in g.edges(data="w") if w is not None and w > 0]


def bench(name: str, path: Path, n_sources: int, rounds: int) -> dict[str, float]:
    print(f"\n== {name}: {path.name}")
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    fast = TrustEngine()
    fast_report = load_edge_arrays(fast, read_bytes(path), origin=path.name)
    fast_s = time.perf_counter() - started
    fast_mb = rss_mb() - before
    print(f"build   engine, numpy loader (read + parse + arrays + compile): {fast_s:.2f} s, "
          f"+{fast_mb:.0f} MB resident ({fast_report.linked} edges kept)")
    gc.collect()
    before = rss_mb()
    engine = TrustEngine()
    started = time.perf_counter()
    report = load_edge_list(engine, lines_of(path), origin=path.name)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    comp, _ = compiled(engine.graph, "default")
    compile_s = time.perf_counter() - started
    engine_mb = rss_mb() - before
    g = engine.graph.graph("default")
    print(f"edges read {report.edges}, kept {report.linked}; nodes {comp.n}, "
          f"positive transitions {comp.transition_t.nnz}")
    print(f"build   engine, claims path: load {load_s:.2f} s + compile {compile_s:.2f} s, "
          f"+{engine_mb:.0f} MB resident")

    pairs = positive_edges(engine)
    nodes = list(g.nodes)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    nxg = nx.DiGraph()
    nxg.add_nodes_from(nodes)
    nxg.add_weighted_edges_from(pairs)
    nx_build = time.perf_counter() - started
    nx_mb = rss_mb() - before
    print(f"build   networkx DiGraph (positive edges): {nx_build:.2f} s, +{nx_mb:.0f} MB")
    ig = None
    if igraph is not None:
        index = {n: i for i, n in enumerate(nodes)}
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        ig = igraph.Graph(n=len(nodes), edges=[(index[u], index[v]) for u, v, _ in pairs],
                          directed=True, edge_attrs={"weight": [w for _, _, w in pairs]})
        ig_build = time.perf_counter() - started
        ig_mb = rss_mb() - before
        print(f"build   igraph Graph: {ig_build:.2f} s, +{ig_mb:.0f} MB")
    else:
        index = {}
        print("build   igraph: not importable (pip install igraph to compare)")

    rng = random.Random(1)
    out_deg = sorted(((d, n) for n, d in nxg.out_degree() if d > 0), reverse=True)
    sources = [out_deg[0][1]] + [n for _, n in rng.sample(out_deg, n_sources - 1)]
    ours, ours_repeat, ours_update, upd, nxs, igs = [], [], [], [], [], []
    upd_assertion: list[float] = []
    ours_loose: list[float] = []
    ours_first: list[float] = []
    nx_tight: list[float] = []
    loose = TrustEngine(policy=replace(engine.policy, tolerance=1e-6))
    loose.graph = engine.graph  # same graph, looser tolerance
    targets_of: dict[str, str] = {}
    igs_arpack: list[float] = []
    for source in sources:
        targets = [v for v, _ in engine.graph.view(source, "default").successors(source)]
        target, other = [*targets, source, source][:2]
        targets_of[source] = target

        def cold(source: str = source, target: str = target) -> Any:
            engine._ppr.clear()  # benchmark only: forget cached vectors
            return engine.trust(source, target, "default", "ppr", explain=False)

        def colder(source: str = source, target: str = target) -> Any:
            comp._restricted.clear()  # also forget the reachable-set matrices
            return cold(source, target)

        t, _ = best_of(rounds, colder)
        ours_first.append(t)
        t, res = best_of(rounds, cold)
        ours.append(t)

        def cold_loose(source: str = source, target: str = target) -> Any:
            loose._ppr.clear()
            return loose.trust(source, target, "default", "ppr", explain=False)

        t, res_loose = best_of(rounds, cold_loose)
        ours_loose.append(t)
        t, _ = best_of(rounds, lambda s=source, o=other: engine.trust(s, o, "default", "ppr",
                                                                      explain=False))
        ours_repeat.append(t)
        op = operator_for(engine.graph.view(source, "default"))
        vec = engine._ppr[("default", (source,), source)][1].x
        t, pr = best_of(1, lambda s=source: nx.pagerank(nxg, alpha=0.85, personalization={s: 1},
                                                         weight="weight"))
        nxs.append(t)
        nx_err = sum(abs(pr.get(n, 0.0) - vec[i]) for i, n in enumerate(op.nodes))
        t, pr_tight = best_of(1, lambda s=source: nx.pagerank(
            nxg, alpha=0.85, personalization={s: 1}, weight="weight", tol=1e-15,
            max_iter=100_000))
        nx_tight.append(t)
        nx_tight_err = sum(abs(pr_tight.get(n, 0.0) - vec[i]) for i, n in enumerate(op.nodes))
        ig_err = float("nan")
        if ig is not None:
            t, ipr = best_of(rounds, lambda s=source: ig.personalized_pagerank(
                directed=True, damping=0.85, reset_vertices=[index[s]], weights="weight"))
            igs.append(t)
            t_arpack, _ = best_of(rounds, lambda s=source: ig.personalized_pagerank(
                directed=True, damping=0.85, reset_vertices=[index[s]], weights="weight",
                implementation="arpack"))
            igs_arpack.append(t_arpack)
            ig_vec = np.zeros(len(op.nodes))
            for i, n in enumerate(op.nodes):
                if n in index:
                    ig_vec[i] = ipr[index[n]]
            ig_err = float(np.abs(ig_vec - vec).sum())
        print(f"source {source:>8}: engine {ours[-1] * 1e3:7.1f} ms (first from its component "
              f"{ours_first[-1] * 1e3:.1f} ms; {res.details['matvecs']} "
              f"products, bound {res.details['bound']:.0e}; at 1e-6 {ours_loose[-1] * 1e3:.1f} "
              f"ms, {res_loose.details['matvecs']} products), networkx {nxs[-1] * 1e3:7.0f} ms "
              f"(L1 {nx_err:.1e}; at tol 1e-15 {nx_tight[-1] * 1e3:.0f} ms, L1 "
              f"{nx_tight_err:.1e}), igraph "
              + (f"{igs[-1] * 1e3:6.1f} ms (L1 {ig_err:.1e}; arpack {igs_arpack[-1] * 1e3:.1f} ms)"
                 if igs else "-")
              )
    if name == "otc":
        tight_check(engine, nxg, sources[0])
    solver_floor(engine, sources[0], med_nx=statistics.median(nxs))
    fast_first: list[float] = []
    for source in sources:  # the numpy-loaded engine: same answers, cold query time
        ra = engine.rank(source, "default", "ppr", top=20)
        t, rb = best_of(rounds, lambda s=source: (fast._ppr.clear(),
                                                  fast.rank(s, "default", "ppr", top=20))[1])
        fast_first.append(t)
        same = [e.node for e in ra.entries] == [e.node for e in rb.entries] and max(
            (abs(x.score - y.score) for x, y in zip(ra.entries, rb.entries, strict=True)),
            default=0.0) <= 1e-12
        if not same:
            print(f"source {source:>8}: numpy loader ranks DIFFERENTLY")
    print(f"numpy-loaded engine: same top 20 as the claims path for {len(sources)} sources; "
          f"rank (top 20, with distrust; vector not cached) "
          f"{statistics.median(fast_first) * 1e3:.1f} ms")
    ours_update_new: list[float] = []
    for k, source in enumerate(sources):  # updates last: the comparisons used one graph
        target = targets_of[source]
        engine.trust(source, target, "default", "ppr", explain=False)  # cached vector
        # One new rating from the source's first neighbour to some node (edge-list ids are
        # not IRIs, so it comes as a claim, through the same incremental path as an
        # assertion), then the same query again.
        u, v = target, rng.choice(nodes)
        claim = Claim(f"bench:{k}", "Rating", u, v, "default", 2e9 + k, 0.7, 7.0)
        started = time.perf_counter()
        engine.add_claims([claim])
        upd.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine.add(_content_id(k), _rating(k))  # an assertion proper, between new parties
        upd_assertion.append(time.perf_counter() - started)
        started = time.perf_counter()
        after = engine.trust(source, target, "default", "ppr", explain=False)
        ours_update.append(time.perf_counter() - started)
        how = _restriction(engine, source)
        # Then a rating of a subject new to the graph (the common case on a node).
        engine.add_claims([Claim(f"bench:new:{k}", "Rating", u, f"newcomer{k}", "default",
                                 2e9 + 100 + k, 0.7, 7.0)])
        started = time.perf_counter()
        after_new = engine.trust(source, target, "default", "ppr", explain=False)
        ours_update_new.append(time.perf_counter() - started)
        print(f"source {source:>8}: update {upd[-1] * 1e3:.2f} ms (assertion "
              f"{upd_assertion[-1] * 1e3:.2f} ms), then the query in "
              f"{ours_update[-1] * 1e3:.1f} ms ({after.details['method']}, "
              f"{after.details['matvecs']} products, reachable set {how}); after a rating of "
              f"a new subject {ours_update_new[-1] * 1e3:.1f} ms ({after_new.details['matvecs']} "
              f"products, reachable set {_restriction(engine, source)})")
    med = statistics.median
    figures = {"engine": med(ours), "first": med(ours_first), "loose": med(ours_loose),
               "repeat": med(ours_repeat),
               "networkx": med(nxs), "networkx_tight": med(nx_tight),
               "update": max(med(upd), med(upd_assertion)),
               "after_update": med(ours_update), "after_new": med(ours_update_new),
               "build_fast": fast_s,
               "build_fast_mb": fast_mb, "build_claims": load_s + compile_s,
               "build_claims_mb": engine_mb, "build_nx": nx_build, "build_nx_mb": nx_mb}
    if igs:
        figures["igraph"] = med(igs)
        figures["igraph_arpack"] = med(igs_arpack)
        figures["build_ig"] = ig_build
        figures["build_ig_mb"] = ig_mb
    print(f"median query: engine {figures['engine'] * 1e3:.1f} ms (repeat "
          f"{figures['repeat'] * 1e3:.2f} ms; first from its component "
          f"{figures['first'] * 1e3:.1f} ms), networkx {figures['networkx'] * 1e3:.0f} ms "
          f"-> {figures['networkx'] / figures['engine']:.0f}x faster"
          + (f", igraph {figures['igraph'] * 1e3:.1f} ms -> "
             f"{figures['igraph'] / figures['engine']:.2f}x (arpack "
             f"{figures['igraph_arpack'] * 1e3:.1f} ms -> "
             f"{figures['igraph_arpack'] / figures['engine']:.2f}x)" if igs else ""))
    print(f"median query beside networkx at tol 1e-15 (an answer about as exact as the "
          f"engine's): {figures['networkx_tight'] * 1e3:.0f} ms -> "
          f"{figures['networkx_tight'] / figures['engine']:.0f}x faster")
    print(f"median query at tolerance 1e-6 (networkx's default answer is ~0.1 off in L1): "
          f"{figures['loose'] * 1e3:.1f} ms -> {figures['networkx'] / figures['loose']:.0f}x "
          f"faster than networkx")
    print(f"median update: {figures['update'] * 1e3:.2f} ms, then a query in "
          f"{figures['after_update'] * 1e3:.1f} ms (after a rating of a new subject: "
          f"{figures['after_new'] * 1e3:.1f} ms)")
    print(f"build: numpy loader {fast_s:.2f} s +{fast_mb:.0f} MB, claims path "
          f"{load_s + compile_s:.2f} s +{engine_mb:.0f} MB, networkx {nx_build:.2f} s "
          f"+{nx_mb:.0f} MB" + (f", igraph {ig_build:.2f} s +{ig_mb:.0f} MB" if igs else ""))
    return figures


def _restriction(engine: TrustEngine, source: str) -> str:
    """How the reachable-set matrix of ``source`` is had now: patched, or searched afresh."""
    op = operator_for(engine.graph.view(source, "default"))
    i = op.index(source)
    if i is None or op.keep is None:
        return "cached"
    return "patched" if op.restricted([i]).split.extra is not None else "searched afresh"


def _rating(k: int) -> Rating:
    return Rating(issuer=f"did:web:bench{k}.example", subject=f"did:web:rated{k}.example",
                  score=7, scale=Scale(minimum=-10, maximum=10), context="default",
                  valid_from=datetime(2026, 1, 1, tzinfo=UTC))


def _content_id(k: int) -> str:
    return "ni:///sha-256;" + f"{k:043d}"


def solver_floor(engine: TrustEngine, source: str, med_nx: float) -> None:
    """What other Krylov solvers need on the engine's own system, and what 100x networkx
    would leave: the evidence behind "the sparse products are the floor"."""
    import scipy.sparse.linalg as sla

    op = operator_for(engine.graph.view(source, "default"))
    i = op.index(source)
    assert i is not None
    split = op.restricted([i]).split
    core = split.core_block
    c = split.core
    b = np.zeros(c)
    local = op.restricted([i]).local[i]
    if not 0 <= local < c:
        return
    b[local] = 1.0
    x = np.random.default_rng(0).random(c)
    product, _ = best_of(20, lambda: core @ x)
    count = [0]

    def mv(v: np.ndarray) -> np.ndarray:
        count[0] += 1
        out: np.ndarray = v - 0.85 * (core @ v)
        return out

    a = sla.LinearOperator((c, c), matvec=mv, dtype=np.float64)
    figures = []
    for label, solve in (("bicgstab", lambda: sla.bicgstab(a, b, rtol=1e-13, maxiter=2000)),
                         ("gmres(20)", lambda: sla.gmres(a, b, rtol=1e-13, restart=20,
                                                         maxiter=2000)),
                         ("lgmres", lambda: sla.lgmres(a, b, rtol=1e-13, maxiter=2000))):
        count[0] = 0
        solve()
        figures.append(f"{label} {count[0]}")
    budget = med_nx / 100
    print(f"solver floor (source {source}): one product on the core ({c} nodes, {core.nnz} "
          f"edges) {product * 1e3:.2f} ms; products to a 1e-13 residual with scipy: "
          f"{', '.join(figures)}; 100x networkx ({med_nx * 1e3:.0f} ms) leaves "
          f"{budget * 1e3:.1f} ms = {budget / product:.0f} products")


def tight_check(engine: TrustEngine, nxg: nx.DiGraph, source: str) -> None:
    """The engine's vector against networkx solved far past its default tolerance."""
    view = engine.graph.view(source, "default")
    op = operator_for(view)
    engine.rank(source, "default", "ppr", top=1)  # computes and caches the vector
    got = engine._ppr.get(("default", (source,), source))
    if got is None:
        return
    vec = got[1].x
    exact = nx.pagerank(nxg, alpha=0.85, personalization={source: 1}, tol=1e-15,
                        max_iter=100_000, weight="weight")
    err = sum(abs(exact.get(n, 0.0) - vec[i]) for i, n in enumerate(op.nodes))
    print(f"engine vs networkx at tol 1e-15 (source {source}): L1 {err:.1e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=sorted(DATASETS))
    args = parser.parse_args(argv)
    results = {}
    for name, path in DATASETS.items():
        if args.only and name != args.only:
            continue
        if not path.exists():
            print(f"skip {name}: {path} is absent (needs ../shared/data)")
            continue
        results[name] = bench(name, path, args.sources, args.rounds)
    epi = results.get("epinions")
    if epi:
        print("\ngoals on Epinions:")
        print(f"  >= 100x networkx: {epi['networkx'] / epi['engine']:.0f}x -> "
              f"{'met' if epi['networkx'] / epi['engine'] >= 100 else 'NOT met'}")
        if "igraph" in epi:
            print(f"  no slower than igraph: {epi['igraph'] / epi['engine']:.2f}x -> "
                  f"{'met' if epi['engine'] <= epi['igraph'] else 'NOT met'}")
        print(f"  update < 10 ms: {epi['update'] * 1e3:.2f} ms -> "
              f"{'met' if epi['update'] < 0.010 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
