"""A read-only, networkx-like adjacency over the arrays of an edge list.

A research edge list (Epinions: 841,000 edges) holds only Ratings, never revoked, read the
same by every evaluator. Building one networkx edge and one :class:`Claim` per line costs
seconds and hundreds of megabytes; :class:`ArrayAdjacency` keeps the same graph as a few
numpy arrays (CSR in both directions) and answers the subset of the networkx interface the
trust code reads (``node in g``, ``g.succ[u][v]["w"]``, ``g.pred[v]``, ``data["claims"]``),
building a hop's claims only when an explanation asks for it. Claim ids stay
``origin:line``; the line numbers are an array.

The order of nodes, of each node's successors and of its predecessors is the order in
which a networkx digraph fed the same lines would hold them (first appearance), so every
algorithm sees exactly the same graph either way. :meth:`ArrayAdjacency.to_networkx`
builds that digraph when something needs to change it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from .conversion import Claim

__all__ = ["ArrayAdjacency", "Side"]

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Side:
    """One direction of the adjacency: ``cols[indptr[i]:indptr[i+1]]`` are node ``i``'s
    neighbours in insertion order, ``edge`` their forward edge numbers; ``sorted_cols`` and
    ``sorted_edge`` hold the same rows sorted by neighbour, for lookups."""

    indptr: IntArray
    cols: IntArray
    edge: IntArray
    sorted_cols: IntArray
    sorted_edge: IntArray

    def find(self, i: int, j: int) -> int:
        """The edge number between ``i`` and neighbour ``j``, or -1."""
        lo, hi = int(self.indptr[i]), int(self.indptr[i + 1])
        k = lo + int(np.searchsorted(self.sorted_cols[lo:hi], j))
        return int(self.sorted_edge[k]) if k < hi and self.sorted_cols[k] == j else -1


class _Edge(Mapping[str, Any]):
    """The data of one edge, as networkx holds it: ``w`` and ``claims`` (built on demand)."""

    __slots__ = ("_adj", "_e")

    def __init__(self, adj: ArrayAdjacency, e: int) -> None:
        self._adj = adj
        self._e = e

    def __getitem__(self, key: str) -> Any:
        if key == "w":
            return float(self._adj.weights[self._e])
        if key == "claims":
            return self._adj.claims(self._e)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("claims", "w"))

    def __len__(self) -> int:
        return 2


class _Row(Mapping[str, _Edge]):
    """One node's neighbours on one side: ``{neighbour: edge data}``."""

    __slots__ = ("_adj", "_i", "_side")

    def __init__(self, adj: ArrayAdjacency, side: Side, i: int) -> None:
        self._adj = adj
        self._side = side
        self._i = i

    def _span(self) -> tuple[int, int]:
        return int(self._side.indptr[self._i]), int(self._side.indptr[self._i + 1])

    def __getitem__(self, node: str) -> _Edge:
        j = self._adj.index.get(node)
        e = -1 if j is None else self._side.find(self._i, j)
        if e < 0:
            raise KeyError(node)
        return _Edge(self._adj, e)

    def __contains__(self, node: object) -> bool:
        j = self._adj.index.get(node) if isinstance(node, str) else None
        return j is not None and self._side.find(self._i, j) >= 0

    def __iter__(self) -> Iterator[str]:
        lo, hi = self._span()
        names = self._adj.nodes
        return (names[j] for j in self._side.cols[lo:hi].tolist())

    def __len__(self) -> int:
        lo, hi = self._span()
        return hi - lo

    def items(self) -> Iterator[tuple[str, _Edge]]:  # type: ignore[override]
        lo, hi = self._span()
        names, adj = self._adj.nodes, self._adj
        for j, e in zip(self._side.cols[lo:hi].tolist(), self._side.edge[lo:hi].tolist(),
                        strict=True):
            yield names[j], _Edge(adj, e)

    def values(self) -> Iterator[_Edge]:  # type: ignore[override]
        return (data for _, data in self.items())


class _SideMap(Mapping[str, _Row]):
    """``g.succ`` or ``g.pred``: node -> its row."""

    __slots__ = ("_adj", "_side")

    def __init__(self, adj: ArrayAdjacency, side: Side) -> None:
        self._adj = adj
        self._side = side

    def __getitem__(self, node: str) -> _Row:
        i = self._adj.index.get(node)
        if i is None:
            raise KeyError(node)
        return _Row(self._adj, self._side, i)

    def __iter__(self) -> Iterator[str]:
        return iter(self._adj.nodes)

    def __len__(self) -> int:
        return len(self._adj.nodes)


class ArrayAdjacency:
    """The graph of one edge list in one context; see the module docstring.

    ``forward`` rows are sources (edge ``e`` runs from ``src[e]`` to ``forward.cols[e]``,
    rows in node order, each row in insertion order, which is the order
    :func:`~.matrix.compile_context` reads); ``reverse`` rows are targets. Edge ``e`` holds
    claims ``claim_ptr[e]:claim_ptr[e+1]`` (arrival order) of the arrays ``claim_*``;
    ``arrival`` lists the edges in order of first appearance.
    """

    def __init__(self, *, nodes: tuple[str, ...], index: dict[str, int], forward: Side,
                 reverse: Side, weights: FloatArray, arrival: IntArray, claim_ptr: IntArray,
                 claim_line: npt.NDArray[np.int64], claim_time: FloatArray,
                 claim_rating: FloatArray, claim_weight: FloatArray, context: str,
                 origin: str) -> None:
        self.nodes = nodes
        self.index = index
        self.forward = forward
        self.reverse = reverse
        self.weights = weights
        self.arrival = arrival
        self.claim_ptr = claim_ptr
        self.claim_line = claim_line
        self.claim_time = claim_time
        self.claim_rating = claim_rating
        self.claim_weight = claim_weight
        self.context = context
        self.origin = origin
        self.src = np.repeat(np.arange(len(nodes), dtype=np.int32),
                             np.diff(forward.indptr)).astype(np.int32)
        self.succ = _SideMap(self, forward)
        self.pred = _SideMap(self, reverse)

    # networkx-like reading
    def __contains__(self, node: object) -> bool:
        return node in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def number_of_nodes(self) -> int:
        return len(self.nodes)

    def number_of_edges(self) -> int:
        return int(self.weights.shape[0])

    def out_weights(self, node: str) -> list[tuple[str, float]]:
        """``(v, w)`` for every edge out of ``node`` (insertion order), without edge objects."""
        i = self.index.get(node)
        if i is None:
            return []
        lo, hi = int(self.forward.indptr[i]), int(self.forward.indptr[i + 1])
        names = self.nodes
        return [(names[j], w) for j, w in zip(self.forward.cols[lo:hi].tolist(),
                                              self.weights[lo:hi].tolist(), strict=True)]

    def claims(self, e: int) -> tuple[Claim, ...]:
        """The claims of edge ``e``, in arrival order, as the claims path builds them."""
        u, v = self.nodes[int(self.src[e])], self.nodes[int(self.forward.cols[e])]
        out = []
        for k in range(int(self.claim_ptr[e]), int(self.claim_ptr[e + 1])):
            out.append(Claim(f"{self.origin}:{int(self.claim_line[k])}", "Rating", u, v,
                             self.context, float(self.claim_time[k]),
                             float(self.claim_weight[k]), float(self.claim_rating[k])))
        return tuple(out)

    def to_networkx(self) -> nx.DiGraph:
        """The same graph as a networkx digraph (``claims`` and ``w`` on every edge)."""
        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        names, cols, src, weights = self.nodes, self.forward.cols, self.src, self.weights
        for e in self.arrival.tolist():
            g.add_edge(names[int(src[e])], names[int(cols[e])], claims=self.claims(e),
                       w=float(weights[e]))
        return g
