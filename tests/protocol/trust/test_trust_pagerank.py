"""Personalized PageRank: worked examples, reference vs sparse, networkx at a tight tolerance,
and the acceptance check on Bitcoin OTC (1e-9 in L1)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.trust import TrustEngine, load_edge_list
from confiance.protocol.trust.matrix import operator_for
from confiance.protocol.trust.pagerank import pagerank_reference, pagerank_sparse, split_dangling

A = Fraction(17, 20)  # damping 0.85


def _graph(edges: dict[str, list[tuple[str, float]]]):  # type: ignore[no-untyped-def]
    return lambda u: edges.get(u, [])


def _sparse(edges: dict[str, list[tuple[str, float]]], seed: str) -> dict[str, float]:
    nodes = sorted({u for u in edges} | {v for es in edges.values() for v, _ in es})
    index = {n: i for i, n in enumerate(nodes)}
    pt = _transition_t(len(nodes), [(index[u], index[v], w) for u, es in edges.items()
                                    for v, w in es])
    res = pagerank_sparse(pt, {index[seed]: 1.0})
    return {n: float(res.x[index[n]]) for n in nodes}


CYCLE = {"s": [("a", 1.0), ("b", 1.0)], "a": [("b", 1.0)], "b": [("s", 1.0)]}
# Hand solution: x_a = a/2 x_s, x_b = a/2 x_s + a x_a, x_s = (1 - a) + a x_b.
XS = (1 - A) / (1 - A * (A / 2 + A * A / 2))
CYCLE_EXACT = {"s": XS, "a": A / 2 * XS, "b": (A / 2 + A * A / 2) * XS}
# A dangling node d sends its walker back to s: x_s = (1 - a) + a x_a + a x_d.
DANGLING = {"s": [("a", 3.0), ("d", 1.0)], "a": [("s", 1.0)]}
YS = (1 - A) / (1 - A * (A * Fraction(3, 4)) - A * (A * Fraction(1, 4)))
DANGLING_EXACT = {"s": YS, "a": A * Fraction(3, 4) * YS, "d": A * Fraction(1, 4) * YS}


@pytest.mark.parametrize(("edges", "exact"), [(CYCLE, CYCLE_EXACT), (DANGLING, DANGLING_EXACT)])
def test_worked_examples_both_implementations(edges: dict[str, list[tuple[str, float]]],
                                              exact: dict[str, Fraction]) -> None:
    assert sum(exact.values()) == 1
    ref = pagerank_reference(_graph(edges), {"s": 1.0})
    fast = _sparse(edges, "s")
    for node, value in exact.items():
        assert abs(ref[node] - float(value)) < 1e-12
        assert abs(fast[node] - float(value)) < 1e-12


def test_negative_and_zero_weights_are_left_out() -> None:
    edges = {"s": [("a", 1.0), ("x", -1.0), ("y", 0.0)], "a": [("s", 1.0)]}
    ref = pagerank_reference(_graph(edges), {"s": 1.0})
    assert "x" not in ref and "y" not in ref
    assert abs(ref["s"] - 1 / (1 + 0.85)) < 1e-12


def _random_edges(rng: np.random.Generator, n: int, m: int) -> dict[int, list[tuple[int, float]]]:
    edges: dict[int, list[tuple[int, float]]] = {}
    for u, v, w in zip(rng.integers(0, n, m), rng.integers(0, n, m), rng.uniform(-0.5, 1, m),
                       strict=True):
        if u != v:
            edges.setdefault(int(u), []).append((int(v), float(w)))
    return {u: list(dict(es).items()) for u, es in edges.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reference_sparse_and_networkx_agree(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    edges = _random_edges(rng, n, 1200)
    seeds = {0: 1.0, 5: 2.0} if seed == 3 else {0: 1.0}
    ref = pagerank_reference(lambda u: edges.get(u, []), seeds)
    pt = _transition_t(n, [(u, v, w) for u, es in edges.items() for v, w in es])
    fast = pagerank_sparse(pt, seeds)
    ref_vec = np.zeros(n)
    for u, x in ref.items():
        ref_vec[u] = x
    assert np.abs(fast.x - ref_vec).sum() < 1e-10
    assert fast.bound < 1e-12
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from((u, v, w) for u, es in edges.items() for v, w in es if w > 0)
    total = sum(seeds.values())
    pers = {k: v / total for k, v in seeds.items()}
    tight = nx.pagerank(g, alpha=0.85, personalization=pers, tol=1e-15, max_iter=100_000)
    assert sum(abs(tight[i] - fast.x[i]) for i in range(n)) < 1e-9


def test_warm_start_reaches_the_same_vector() -> None:
    rng = np.random.default_rng(7)
    n = 200
    edges = _random_edges(rng, n, 900)
    pt = _transition_t(n, [(u, v, w) for u, es in edges.items() for v, w in es])
    cold = pagerank_sparse(pt, {0: 1.0})
    warm = pagerank_sparse(pt, {0: 1.0}, warm=cold)
    assert np.abs(cold.x - warm.x).sum() < 1e-12
    assert warm.matvecs < cold.matvecs
    assert warm.method.startswith("bicgstab-warm")


def test_bad_parameters() -> None:
    with pytest.raises(LocalProtocolError):
        pagerank_reference(_graph(CYCLE), {"s": 0.0})
    with pytest.raises(LocalProtocolError):
        pagerank_reference(_graph(CYCLE), {"s": 1.0}, damping=1.0)
    with pytest.raises(LocalProtocolError):
        pagerank_sparse(sp.csr_array((3, 3)), {5: 1.0})


def test_fast_and_reference_agree_on_bitcoin_otc(shared: Path) -> None:
    path = shared / "data" / "bitcoin-otc" / "soc-sign-bitcoinotc.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the Bitcoin OTC data in ../shared")
    engine = TrustEngine()
    with path.open(encoding="utf-8") as lines:
        load_edge_list(engine, lines, origin="otc")
    for source in ("35", "1", "2642"):
        view = engine.graph.view(source, "default")
        ref = pagerank_reference(view.successors, {source: 1.0})
        op = operator_for(view)
        idx = op.index(source)
        assert idx is not None
        fast = pagerank_sparse(op, {idx: 1.0})
        ref_vec = np.zeros(op.n)
        for node, x in ref.items():
            i = op.index(node)
            assert i is not None
            ref_vec[i] = x
        assert np.abs(fast.x - ref_vec).sum() < 1e-9
        assert abs(fast.x.sum() - 1.0) < 1e-12


def _transition_t(n: int, edges: list[tuple[int, int, float]]) -> sp.csr_array:
    """P^T of ``(source, target, weight)`` edges; weights <= 0 are left out."""
    edges = [(u, v, w) for u, v, w in edges if w > 0]
    sums = np.zeros(n)
    for u, _, w in edges:
        sums[u] += w
    rows = [v for _, v, _ in edges]
    cols = [u for u, _, _ in edges]
    vals = [w / sums[u] for u, _, w in edges]
    return sp.csr_array((vals, (rows, cols)), shape=(n, n))


def test_dangling_split_orders_core_first_and_gives_the_same_vector() -> None:
    rng = np.random.default_rng(11)
    n = 400
    # Nodes 0, 7, 14, ... have no out-edge: dangling nodes spread through the order.
    edges = [(int(u), int(v), float(w)) for u, v, w in zip(
        rng.integers(0, n, 3000), rng.integers(0, n, 3000), rng.uniform(0.1, 1, 3000),
        strict=True) if u % 7 and u != v]
    pt = _transition_t(n, edges)
    split = split_dangling(pt)
    assert split.order is not None
    dangling = {i for i in range(n) if not any(u == i for u, _, _ in edges)}
    assert split.core == n - len(dangling)
    assert set(split.order[split.core:].tolist()) == dangling
    assert split.core_block.nnz + split.tail_block.nnz == pt.nnz
    for seeds in ({0: 1.0}, {1: 1.0}, {1: 2.0, 7: 1.0, 300: 1.0}):
        plain = pagerank_sparse(pt, seeds)
        fast = pagerank_sparse(split, seeds)
        assert fast.bound < 1e-12 and fast.method == "bicgstab"  # no power steps needed
        assert np.abs(plain.x - fast.x).sum() < 1e-12
        ref = pagerank_reference(
            lambda u: [(v, w) for a, v, w in edges if a == u], seeds)
        assert sum(abs(ref.get(i, 0.0) - fast.x[i]) for i in range(n)) < 1e-11
    warm = pagerank_sparse(split, {1: 1.0}, warm=pagerank_sparse(split, {1: 1.0}))
    assert warm.method.startswith("bicgstab-warm")
    assert np.abs(warm.x - pagerank_sparse(pt, {1: 1.0}).x).sum() < 1e-12


def test_dangling_split_without_core_and_without_dangling_nodes() -> None:
    alone = split_dangling(sp.csr_array((3, 3)))  # nobody has an out-edge
    assert alone.core == 0
    assert pagerank_sparse(alone, {2: 1.0}).x.tolist() == [0.0, 0.0, 1.0]
    ring = _transition_t(3, [(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)])
    split = split_dangling(ring)
    assert split.order is None and split.core == 3 and split.tail_block.nnz == 0
    x = pagerank_sparse(split, {0: 1.0}).x
    assert abs(x[0] - 1 / (1 + 0.85 + 0.85**2)) < 1e-12
    with pytest.raises(LocalProtocolError):
        split_dangling(sp.csr_array((2, 3)))


def test_dangling_split_ignores_explicit_zeros() -> None:
    # Node 1's only out-edge has probability 0 (an explicit zero): it is dangling.
    pt = sp.csr_array((np.array([1.0, 0.0, 1.0]), (np.array([1, 0, 0]), np.array([0, 1, 2]))),
                      shape=(3, 3))
    split = split_dangling(pt)
    assert split.core == 2 and split.order is not None and split.order[-1] == 1
    assert np.abs(pagerank_sparse(split, {0: 1.0}).x - pagerank_sparse(pt, {0: 1.0}).x
                  ).sum() < 1e-12
