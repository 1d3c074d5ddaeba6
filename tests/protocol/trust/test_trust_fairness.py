"""Fairness and goodness: a worked example solved by hand, and the vectorised version against
a plain transcription of the paper's iteration on Bitcoin Alpha."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from confiance.protocol.trust import TrustEngine, fairness_goodness, load_edge_list
from confiance.protocol.trust.matrix import compiled


def test_worked_example() -> None:
    # a rates c 1, b rates c 0. At the fixed point g(c) = (f(a) + 0) / 2,
    # f(a) = 1 - |1 - g(c)| / 2, f(b) = 1 - |0 - g(c)| / 2: f(a) = 2/3, g(c) = 1/3, f(b) = 5/6.
    w = sp.csr_array((np.array([1.0, 0.0]), (np.array([0, 1]), np.array([2, 2]))), shape=(3, 3))
    res = fairness_goodness(w)
    assert res.fairness == pytest.approx([2 / 3, 5 / 6, 1.0], abs=1e-12)
    assert res.goodness == pytest.approx([0.0, 0.0, 1 / 3], abs=1e-12)
    assert res.predict(1, 2) == pytest.approx(5 / 18)


def test_an_unfair_rater_loses_weight() -> None:
    # Four raters agree that node 5 is good; rater 4 says the opposite of everyone.
    rows = [0, 1, 2, 3, 4, 0, 1, 4]
    cols = [5, 5, 5, 5, 5, 6, 6, 6]
    vals = [1.0, 0.9, 1.0, 0.8, -1.0, 0.5, 0.5, -0.5]
    res = fairness_goodness(sp.csr_array((vals, (rows, cols)), shape=(7, 7)))
    assert res.fairness[4] < 0.5 < min(res.fairness[:4])
    assert res.goodness[5] > 0.5


def _reference(edges: list[tuple[int, int, float]]) -> tuple[dict[int, float], dict[int, float]]:
    """The paper's Algorithm 1, transcribed with dictionaries."""
    out: dict[int, list[tuple[int, float]]] = {}
    into: dict[int, list[tuple[int, float]]] = {}
    for u, v, w in edges:
        out.setdefault(u, []).append((v, w))
        into.setdefault(v, []).append((u, w))
    nodes = set(out) | set(into)
    f = dict.fromkeys(nodes, 1.0)
    g = dict.fromkeys(nodes, 0.0)
    for _ in range(1000):
        g_new = {v: (sum(f[u] * w for u, w in into[v]) / len(into[v]) if v in into else 0.0)
                 for v in nodes}
        f_new = {u: (1 - sum(abs(w - g_new[v]) for v, w in out[u]) / (2 * len(out[u]))
                     if u in out else 1.0) for u in nodes}
        change = max(sum(abs(f_new[n] - f[n]) for n in nodes),
                     sum(abs(g_new[n] - g[n]) for n in nodes))
        f, g = f_new, g_new
        if change < 1e-12:
            break
    return f, g


def test_vectorised_matches_the_paper_on_bitcoin_alpha(shared: Path) -> None:
    path = shared / "data" / "bitcoin-alpha" / "soc-sign-bitcoinalpha.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the Bitcoin Alpha data in ../shared")
    engine = TrustEngine()
    with path.open(encoding="utf-8") as lines:
        load_edge_list(engine, lines)
    comp, _ = compiled(engine.graph, "default", fresh=True)
    res = fairness_goodness(comp.signed)
    coo = comp.signed.tocoo()
    f, g = _reference([(int(u), int(v), float(w))
                       for u, v, w in zip(coo.row, coo.col, coo.data, strict=True)])
    for node, i in comp.index.items():
        assert abs(res.fairness[i] - f[i]) < 1e-9, node
        assert abs(res.goodness[i] - g[i]) < 1e-9, node
    # The result is meaningful: fairness in [0, 1], goodness in [-1, 1].
    assert res.fairness.min() >= 0 and res.fairness.max() <= 1
    assert res.goodness.min() >= -1 and res.goodness.max() <= 1
