"""Network statistics as KONECT defines them (J. Kunegis, "KONECT – The Koblenz Network
Collection", WWW 2013; the KONECT handbook), so a loader can be checked against the
figures KONECT publishes for the same network.

On a directed signed network with ``m`` edges (loops included, as KONECT counts its
*volume*) over ``n`` nodes:

- ``loops``: edges ``u -> u``; ``reciprocity``: the fraction of edges whose reverse edge is
  also present (a loop is its own reverse); ``negativity``: the fraction of negative edges;
- ``lcc``: nodes of the largest weakly connected component; ``lscc``: of the largest
  strongly connected one;
- degrees: ``max_degree`` (in + out, loops counted twice), ``max_out_degree``,
  ``max_in_degree``, ``average_degree`` ``2m / n``, ``fill`` ``m / n^2``;
- on the underlying simple undirected graph (directions, loops and duplicates dropped):
  ``wedges`` (paths of length 2, ``sum d (d - 1) / 2``), ``triangles``, and the clustering
  coefficient ``3 triangles / wedges``.

Triangles are counted by the forward algorithm in blocks of rows (each edge oriented from
the lower- to the higher-degree end, ``t = sum (L L) .* L``), so memory stays bounded on
graphs with hubs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .graph import SignedGraph

__all__ = ["KONECT_EPINIONS", "graph_statistics"]

#: What KONECT publishes for its ``epinions`` network (konect.cc/networks/epinions: the same
#: 131,828 nodes and 841,372 edges as SNAP's soc-sign-epinions).
KONECT_EPINIONS: dict[str, float] = {
    "nodes": 131_828, "edges": 841_372, "loops": 573, "reciprocity": 0.309,
    "negativity": 0.147, "lcc": 119_130, "lscc": 41_441, "triangles": 4_910_076,
    "wedges": 182_193_467, "max_degree": 3_622, "max_out_degree": 2_070,
    "max_in_degree": 3_478, "average_degree": 12.7647, "fill": 4.84142e-5,
    "clustering": 0.0808494,
}
_BLOCK = 4096


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: numpy's hash-based ``unique`` is slow on these
    structured keys)."""
    s = np.sort(a)
    keep = np.ones(len(s), dtype=bool)
    keep[1:] = s[1:] != s[:-1]
    out: np.ndarray = s[keep]
    return out


def _triangles(undirected: sp.csr_array, progress: Callable[[float], None] | None) -> int:
    n = undirected.shape[0]
    degree = np.diff(undirected.indptr)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), degree))] = np.arange(n)
    coo = undirected.tocoo()
    up = rank[coo.row] < rank[coo.col]
    lower = sp.csr_array((np.ones(int(up.sum()), dtype=np.int64),
                          (coo.row[up], coo.col[up])), shape=(n, n))
    lower.sort_indices()
    total = 0
    for start in range(0, n, _BLOCK):
        rows = lower[start:start + _BLOCK]
        total += int((rows @ lower).multiply(rows).sum())
        if progress is not None:
            progress(min(1.0, (start + _BLOCK) / n))
    return total


def graph_statistics(graph: SignedGraph, *, triangles: bool = True,
                     progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """KONECT's statistics of ``graph`` (every edge as read: loops and duplicates kept).

    ``progress`` is called with the fraction done of the triangle count (the long part).
    """
    n, m = graph.n, graph.m
    src, dst = graph.source, graph.target
    loops = int((src == dst).sum())
    key = src * max(n, 1) + dst
    pairs = _unique(key)
    reverse = dst * max(n, 1) + src
    at = np.minimum(np.searchsorted(pairs, reverse), max(len(pairs) - 1, 0))
    reciprocated = int((pairs[at] == reverse).sum()) if len(pairs) else 0
    negative = int((graph.weight < 0).sum())
    directed = sp.csr_array((np.ones(len(pairs)), (pairs // max(n, 1), pairs % max(n, 1))),
                            shape=(n, n))
    _, weak = connected_components(directed, directed=True, connection="weak")
    _, strong = connected_components(directed, directed=True, connection="strong")
    out_degree = np.bincount(src, minlength=n)
    in_degree = np.bincount(dst, minlength=n)
    simple = src != dst
    a, b = np.minimum(src[simple], dst[simple]), np.maximum(src[simple], dst[simple])
    und = _unique(a * max(n, 1) + b)
    ua, ub = und // max(n, 1), und % max(n, 1)
    undirected = sp.csr_array((np.ones(2 * len(und), dtype=np.int64),
                               (np.concatenate([ua, ub]), np.concatenate([ub, ua]))),
                              shape=(n, n))
    d = np.diff(undirected.indptr).astype(np.int64)
    wedges = int((d * (d - 1) // 2).sum())
    stats: dict[str, Any] = {
        "nodes": n, "edges": m, "loops": loops,
        "reciprocity": reciprocated / m if m else 0.0,
        "negativity": negative / m if m else 0.0,
        "lcc": int(np.bincount(weak).max()) if n else 0,
        "lscc": int(np.bincount(strong).max()) if n else 0,
        "max_degree": int((out_degree + in_degree).max()) if n else 0,
        "max_out_degree": int(out_degree.max()) if n else 0,
        "max_in_degree": int(in_degree.max()) if n else 0,
        "average_degree": 2 * m / n if n else 0.0,
        "fill": m / (n * n) if n else 0.0,
        "distinct_edges": len(pairs), "undirected_edges": len(und),
        "wedges": wedges,
    }
    if triangles:
        t = _triangles(undirected, progress)
        stats["triangles"] = t
        stats["clustering"] = 3 * t / wedges if wedges else 0.0
    return stats
