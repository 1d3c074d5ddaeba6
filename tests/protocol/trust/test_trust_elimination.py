"""Independent-set elimination: the set is independent and cheap, the reduced matrix is the
Schur complement, and personalized PageRank through it equals the plain solve."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from confiance.protocol.trust.elimination import FILL_CAP, eliminate, independent_set
from confiance.protocol.trust.pagerank import _total_of_kept, pagerank_sparse, split_dangling


def _random_pt(seed: int, n: int, m: int, *, loops: bool = False) -> sp.csr_array:
    """A random P^T (columns of nodes with out-edges sum to 1), some self-loops if asked."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    if not loops:
        keep = src != dst
        src, dst = src[keep], dst[keep]
    w = rng.uniform(0.1, 1.0, len(src))
    a = sp.csr_array((w, (src, dst)), shape=(n, n))
    a.sum_duplicates()
    sums = np.asarray(a.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros(n), where=sums > 0)
    return sp.csr_array((sp.diags_array(scale) @ a).T)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_set_is_independent_cheap_and_loop_free(seed: int) -> None:
    pt = _random_pt(seed, 300, 900, loops=True)
    chosen = independent_set(pt)
    assert chosen.sum() > 30
    coo = pt.tocoo()
    assert not (chosen[coo.row] & chosen[coo.col]).any()  # no edge inside, either way
    into = np.diff(pt.indptr)
    out = np.bincount(pt.indices, minlength=300)
    assert (into[chosen] * out[chosen] <= FILL_CAP).all()
    assert not chosen[coo.row[coo.row == coo.col]].any()  # no self-loop
    assert (independent_set(pt) == chosen).all()  # no randomness


def test_reduced_is_the_schur_complement() -> None:
    pt = _random_pt(5, 40, 90)
    e = eliminate(pt, min_fraction=0.0)
    assert e is not None
    a = 0.85
    dense = np.eye(40) - a * pt.toarray()
    k, g = e.kept, e.eliminated
    schur = dense[np.ix_(k, k)] - dense[np.ix_(k, g)] @ np.linalg.solve(
        dense[np.ix_(g, g)], dense[np.ix_(g, k)])
    assert np.allclose(np.eye(len(k)) - a * e.reduced(a).toarray(), schur, atol=1e-14)
    assert np.allclose(dense[np.ix_(g, g)], np.eye(len(g)))  # E is independent: M_EE = 0


@pytest.mark.parametrize(("seed", "damping"), [(6, 0.85), (7, 0.85), (8, 0.5), (9, 0.99)])
def test_solves_through_the_elimination_equal_the_plain_solve(seed: int, damping: float
                                                                ) -> None:
    pt = _random_pt(seed, 500, 1400)
    split = split_dangling(pt)
    plain = pagerank_sparse(pt, {3: 1.0}, damping=damping)
    first = pagerank_sparse(split, {3: 1.0}, damping=damping)
    assert not split._elimination  # made at the second solve only
    second = pagerank_sparse(split, {3: 1.0, 17: 2.0}, damping=damping)
    assert split._elimination and split._elimination[0] is not None
    again = pagerank_sparse(split, {3: 1.0}, damping=damping)
    both = pagerank_sparse(pt, {3: 1.0, 17: 2.0}, damping=damping)
    for got, want in ((first, plain), (again, plain), (second, both)):
        assert got.bound < 1e-12
        assert got.method == "bicgstab"  # a wrong system would need power steps to pass F
        assert np.abs(got.x - want.x).sum() < 1e-12
    warm = pagerank_sparse(split, {3: 1.0}, damping=damping, warm=again)
    assert warm.method.startswith("bicgstab-warm") and warm.matvecs < again.matvecs
    assert np.abs(warm.x - plain.x).sum() < 1e-12


def test_nothing_to_eliminate() -> None:
    ring = sp.csr_array((np.ones(3), ([1, 2, 0], [0, 1, 2])), shape=(3, 3))
    assert eliminate(ring) is not None  # one of three goes
    dense = sp.csr_array(np.ones((6, 6)) / 6)  # everyone rates everyone: in * out = 36
    assert not independent_set(dense).any()
    assert eliminate(dense) is None
    assert eliminate(sp.csr_array((0, 0))) is None


def test_the_stopping_test_reads_the_whole_sum_off_the_kept_nodes() -> None:
    pt = _random_pt(10, 400, 1000)
    split = split_dangling(pt)
    assert split.order is not None  # dangling nodes spread through: a permuted split
    pagerank_sparse(split, {0: 1.0})
    pagerank_sparse(split, {0: 1.0})
    made = split.elimination()
    assert made is not None
    reduction = made.at(0.85)
    p = np.zeros(400)
    p[[0, 5, 9]] = [0.5, 0.3, 0.2]
    q = p[split.order]
    c = split.core
    a = 0.85
    y = np.linalg.solve(np.eye(400) - a * pt.toarray(), p)[split.order]  # exact, split order
    const, weight = _total_of_kept(split, reduction, q[:c][reduction.eliminated], a,
                                   float(q[c:].sum()))
    assert abs(const + weight @ y[:c][reduction.kept] - y.sum()) < 1e-12
