"""The graph an experiment works on: signed, weighted, directed edges as arrays.

Generators (``generators.py``), data-set readers (``datasets.py``) and attacks
(``attacks.py``) all produce a :class:`SignedGraph`: node names, and per edge its source,
target, weight on the unit scale [-1, 1] and time (a time step; later claims on the same
pair win, as in the engine). :func:`engine_for` loads one into a
:class:`~confiance.protocol.trust.TrustEngine` the way the command line loads an edge list
(arrays and compiled matrices, no object per edge), so every algorithm of an experiment is
the engine's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import LocalProtocolError
from ..rules import LinearRule
from ..trust import Claim, EdgeArrays, TrustEngine, TrustPolicy, install_edge_arrays

__all__ = ["IDENTITY", "SignedGraph", "engine_for"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Weights are already on the unit scale: read them as they are.
IDENTITY = LinearRule(source_min=-1, source_max=1, target_min=-1, target_max=1)


@dataclass(frozen=True, eq=False)
class SignedGraph:
    """Nodes and signed weighted edges (parallel arrays; ``source[k] -> target[k]``)."""

    nodes: tuple[str, ...]
    source: IntArray
    target: IntArray
    weight: FloatArray
    time: FloatArray
    name: str = "graph"
    #: Anything a reader or generator wants to keep (levels, roles, latent quality...).
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        m = len(self.source)
        if not (len(self.target) == len(self.weight) == len(self.time) == m):
            raise LocalProtocolError("a graph's edge arrays must have the same length")
        if m and (min(int(self.source.min()), int(self.target.min())) < 0
                  or max(int(self.source.max()), int(self.target.max())) >= len(self.nodes)):
            raise LocalProtocolError("an edge names a node outside the graph")

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def m(self) -> int:
        return len(self.source)

    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.nodes)}

    def with_edges(self, nodes: Sequence[str], source: IntArray, target: IntArray,
                   weight: FloatArray, time: FloatArray, **meta: Any) -> SignedGraph:
        """This graph plus ``nodes`` (appended) and the given edges (indices into the
        combined node list), with ``meta`` merged."""
        return SignedGraph(nodes=self.nodes + tuple(nodes),
                           source=np.concatenate([self.source, source]).astype(np.int64),
                           target=np.concatenate([self.target, target]).astype(np.int64),
                           weight=np.concatenate([self.weight, weight]).astype(np.float64),
                           time=np.concatenate([self.time, time]).astype(np.float64),
                           name=self.name, meta={**self.meta, **meta})

    def until(self, step: float) -> SignedGraph:
        """The edges of time ``<= step`` (what the graph looked like then)."""
        keep = self.time <= step
        return SignedGraph(nodes=self.nodes, source=self.source[keep],
                           target=self.target[keep], weight=self.weight[keep],
                           time=self.time[keep], name=self.name, meta=self.meta)

    def without(self, edges: IntArray) -> SignedGraph:
        """The graph without the edges at positions ``edges``."""
        keep = np.ones(self.m, dtype=bool)
        keep[edges] = False
        return SignedGraph(nodes=self.nodes, source=self.source[keep],
                           target=self.target[keep], weight=self.weight[keep],
                           time=self.time[keep], name=self.name, meta=self.meta)

    def latest(self) -> SignedGraph:
        """One edge per pair (the latest by time, then position) and no self-loops: the
        graph the engine sees."""
        ok = self.source != self.target
        idx = np.flatnonzero(ok)
        key = self.source[idx] * max(self.n, 1) + self.target[idx]
        order = np.lexsort((idx, self.time[idx], key))
        last = np.ones(len(order), dtype=bool)
        last[:-1] = key[order][1:] != key[order][:-1]
        keep = np.sort(idx[order[last]])
        return SignedGraph(nodes=self.nodes, source=self.source[keep],
                           target=self.target[keep], weight=self.weight[keep],
                           time=self.time[keep], name=self.name, meta=self.meta)

    def claims(self, context: str, *, start: int = 0, origin: str | None = None
               ) -> Iterable[Claim]:
        """The edges from position ``start`` on as engine claims (for updates)."""
        label = origin or self.name
        for k in range(start, self.m):
            yield Claim(f"{label}:{k + 1}", "Rating", self.nodes[int(self.source[k])],
                        self.nodes[int(self.target[k])], context, float(self.time[k]),
                        float(self.weight[k]), float(self.weight[k]))


def _ids(graph: SignedGraph, which: IntArray) -> npt.NDArray[np.bytes_]:
    names = np.array([n.encode("utf-8") for n in graph.nodes], dtype=np.bytes_) \
        if graph.n else np.array([], dtype="S1")
    out: npt.NDArray[np.bytes_] = names[which]
    return out


def engine_for(graph: SignedGraph, policy: TrustPolicy | None = None, *,
               context: str = "default", seeds: Iterable[str] = ()) -> TrustEngine:
    """A trust engine holding ``graph`` in ``context`` (arrays and compiled matrices)."""
    engine = TrustEngine(policy) if policy is not None else TrustEngine()
    if seeds:
        engine.seeds = tuple(seeds)
    if graph.m:
        arrays = EdgeArrays(format="whitespace", source=_ids(graph, graph.source),
                            target=_ids(graph, graph.target), rating=graph.weight.copy(),
                            time=graph.time.astype(np.float64),
                            line=np.arange(1, graph.m + 1, dtype=np.int64))
        install_edge_arrays(engine, arrays, context=context, origin=graph.name, rule=IDENTITY)
    return engine
