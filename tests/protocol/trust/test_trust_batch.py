"""Many at once: batch personalized PageRank equals single queries; leave-one-out of
Fairness x Goodness equals refits from scratch; the literature's baselines."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from confiance.protocol.trust import (
    TrustEngine,
    ebay_predictions,
    fairness_goodness,
    fairness_leave_one_out,
    load_edge_arrays,
    reciprocal_predictions,
)


def _random_csv(seed: int, nodes: int, edges: int) -> str:
    rng = random.Random(seed)
    lines = {}
    for t in range(edges):
        u, v = rng.randrange(nodes), rng.randrange(nodes)
        if u != v:
            lines[(u, v)] = f"{u},{v},{rng.choice([-10, -3, 1, 2, 5, 8, 10])},{t}"
    return "\n".join(lines.values()) + "\n"


@pytest.fixture(scope="module")
def engine() -> TrustEngine:
    e = TrustEngine()
    load_edge_arrays(e, _random_csv(7, 300, 2500), context="default")
    return e


def test_rank_many_equals_rank(engine: TrustEngine) -> None:
    sources = [str(i) for i in range(0, 300, 7)] + ["no-such-node"]
    with ThreadPoolExecutor(2) as pool:
        many = engine.rank_many(sources, "default", top=15, block=8, map_blocks=pool.map)
    assert len(many) == len(sources)
    for source, got in zip(sources, many, strict=True):
        want = engine.rank(source, "default", "ppr", top=15)
        assert len(got.entries) == len(want.entries)
        for a, b in zip(got.entries, want.entries, strict=True):
            assert a.score == pytest.approx(b.score, abs=2e-12)
            assert a.raw == pytest.approx(b.raw, abs=2e-12)
            # the same node, unless two nodes tie to within the bound (their order then
            # rests on the last bits of two different solves)
            assert a.node == b.node or abs(a.score - b.score) < 2e-12


def test_ppr_many_vectors_meet_the_bound(engine: TrustEngine) -> None:
    sources = ["3", "10", "11", "250"]
    batch = engine.ppr_many(sources, "default", block=3)
    assert (batch.bound < 1e-12).all()
    for j, source in enumerate(sources):
        mine = batch.vector(j)
        assert sum(mine.values()) == pytest.approx(1.0, abs=1e-12)
        for target in ("1", "2", "40", "299"):
            single = engine.trust(source, target, "default", "ppr", explain=False,
                                  distrust="none", penalty=False)
            assert mine.get(target, 0.0) == pytest.approx(single.raw, abs=2e-12)


def _matrix(seed: int, n: int, m: int) -> sp.csr_array:
    rng = np.random.default_rng(seed)
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = u != v
    w = rng.choice([-1.0, -0.3, 0.1, 0.5, 1.0], m)
    mat = sp.csr_array((w[keep], (u[keep], v[keep])), shape=(n, n))
    mat.sum_duplicates()
    mat.data = np.clip(mat.data, -1, 1)
    mat.sort_indices()
    return mat


def test_fairness_leave_one_out_equals_refits_from_scratch() -> None:
    w = _matrix(3, 120, 900)
    rows = np.repeat(np.arange(w.shape[0]), np.diff(w.indptr))
    loo = fairness_leave_one_out(w, tol=1e-12)
    assert len(loo.fxg) == w.nnz
    for k in range(0, w.nnz, 37):
        keep = np.ones(w.nnz, dtype=bool)
        keep[k] = False
        rest = sp.csr_array((w.data[keep], (rows[keep], w.indices[keep])), shape=w.shape)
        fit = fairness_goodness(rest)
        u, v = rows[k], w.indices[k]
        assert loo.fxg[k] == pytest.approx(fit.fairness[u] * fit.goodness[v], abs=1e-10)
        assert loo.goodness[k] == pytest.approx(fit.goodness[v], abs=1e-10)


def test_leave_one_out_keeps_every_node() -> None:
    # 0 -> 1 is 1's only rating and 0's only rating: without it, g(1) = 0 and f(0) = 1
    w = sp.csr_array((np.array([0.8, 0.5]), (np.array([0, 2]), np.array([1, 0]))),
                     shape=(3, 3))
    loo = fairness_leave_one_out(w)
    assert loo.fxg[0] == 0.0 and loo.goodness[0] == 0.0
    assert loo.fxg[1] == pytest.approx(0.0)  # 2 -> 0: 0 is rated by nobody else


def test_baselines() -> None:
    src, dst = np.array([0, 1, 2, 3]), np.array([1, 0, 1, 4])
    w = np.array([0.5, -0.5, 1.0, 0.2])
    assert np.allclose(ebay_predictions(src, dst, w), [1.0, np.nan, 0.5, np.nan],
                       equal_nan=True)
    assert np.allclose(reciprocal_predictions(src, dst, w), [-0.5, 0.5, np.nan, np.nan],
                       equal_nan=True)
