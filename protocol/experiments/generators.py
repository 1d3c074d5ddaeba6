"""Generated trust graphs: Erdős–Rényi, Barabási–Albert, Watts–Strogatz, stochastic blocks.

The topologies are networkx's generators (the published models, seeded with the numpy
``Generator`` the caller passes: same seed, same graph). Trust is directed, so an
undirected model (Barabási–Albert, Watts–Strogatz) becomes directed edge by edge: each
undirected edge is made mutual with probability ``reciprocity`` and is otherwise given one
direction at random (Epinions' reciprocity is about 0.31, KONECT).

Weights, on the unit scale:

- ``uniform``: each edge draws ``U(low, high)``; a fraction ``negative`` of the edges
  instead draws ``-U(low, high)`` (distrust);
- ``quality``: each node has a latent quality ``q ~ Beta(a, b)`` (kept in
  ``meta["quality"]``) and rates ``clip(2 q(target) - 1 + N(0, noise), -1, 1)``: the
  ground truth a rater-reliability or prediction experiment is scored against;
- ``levels``: Advogato's discrete certificates (Apprentice 0.6, Journeyer 0.8,
  Master 1.0) drawn with the given probabilities.

References
----------
.. [1] P. Erdős, A. Rényi, "On random graphs I", 1959; E. N. Gilbert, "Random graphs", 1959.
.. [2] A.-L. Barabási, R. Albert, "Emergence of scaling in random networks", Science 1999.
.. [3] D. J. Watts, S. H. Strogatz, "Collective dynamics of small-world networks", Nature
   1998.
.. [4] P. W. Holland, K. B. Laskey, S. Leinhardt, "Stochastic blockmodels: first steps",
   Social Networks 1983.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from ..errors import MalformedDocument
from .graph import SignedGraph

__all__ = ["GENERATORS", "MAX_GENERATED_EDGES", "MAX_GENERATED_NODES", "generate", "weigh"]

GENERATORS = ("erdos-renyi", "barabasi-albert", "watts-strogatz", "sbm")
MAX_GENERATED_NODES = 2_000_000
MAX_GENERATED_EDGES = 20_000_000


def _int(params: Mapping[str, Any], name: str, default: int | None = None, *, low: int = 0,
         high: int = MAX_GENERATED_NODES) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MalformedDocument(f"graph.{name} must be an integer in {low}..{high}, "
                                 f"got {value!r}")
    return value


def _float(params: Mapping[str, Any], name: str, default: float, *, low: float = 0.0,
           high: float = 1.0) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not low <= float(value) <= high:
        raise MalformedDocument(f"graph.{name} must be a number in [{low:g}, {high:g}], "
                                 f"got {value!r}")
    return float(value)


def _directed(g: nx.Graph, reciprocity: float, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    edges = np.array(sorted(g.edges()), dtype=np.int64).reshape(-1, 2)
    if g.is_directed() or not len(edges):
        return edges[:, 0], edges[:, 1]
    mutual = rng.random(len(edges)) < reciprocity
    flip = rng.random(len(edges)) < 0.5
    a = np.where(flip, edges[:, 1], edges[:, 0])
    b = np.where(flip, edges[:, 0], edges[:, 1])
    return np.concatenate([a, b[mutual]]), np.concatenate([b, a[mutual]])


def generate(kind: str, params: Mapping[str, Any], rng: np.random.Generator, *,
             prefix: str = "h") -> SignedGraph:
    """A generated graph of ``kind`` (:data:`GENERATORS`) with ``params`` (see the module
    docstring and ``specs/simulate.md``); nodes are named ``{prefix}0``, ``{prefix}1``..."""
    n = _int(params, "nodes", 100, low=2)
    reciprocity = _float(params, "reciprocity", 0.3)
    if kind == "erdos-renyi":
        p = params.get("p")
        if p is None:
            degree = _float(params, "degree", 5.0, high=float(n - 1))
            p = degree / (n - 1)
        p = _float({"p": p}, "p", 0.0)
        if n * n * p > MAX_GENERATED_EDGES:
            raise MalformedDocument(f"graph: about {n * n * p:.0f} edges expected, more than "
                                     f"{MAX_GENERATED_EDGES}")
        g: nx.Graph = nx.fast_gnp_random_graph(n, p, seed=rng, directed=True)
    elif kind == "barabasi-albert":
        m = _int(params, "m", 3, low=1, high=max(1, n - 1))
        if n * m > MAX_GENERATED_EDGES:
            raise MalformedDocument(f"graph: {n * m} edges, more than {MAX_GENERATED_EDGES}")
        g = nx.barabasi_albert_graph(n, m, seed=rng)
    elif kind == "watts-strogatz":
        k = _int(params, "k", 4, low=2, high=max(2, n - 1))
        beta = _float(params, "beta", 0.1)
        if n * k > MAX_GENERATED_EDGES:
            raise MalformedDocument(f"graph: {n * k // 2} edges, more than "
                                     f"{MAX_GENERATED_EDGES}")
        g = nx.watts_strogatz_graph(n, k, beta, seed=rng)
    elif kind == "sbm":
        sizes = params.get("sizes")
        probs = params.get("probabilities")
        if not isinstance(sizes, list) or not sizes or not all(
                isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes) \
                or sum(sizes) > MAX_GENERATED_NODES:
            raise MalformedDocument("graph.sizes must be a list of positive block sizes")
        if not isinstance(probs, list) or len(probs) != len(sizes) or not all(
                isinstance(row, list) and len(row) == len(sizes) and all(
                    isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x <= 1
                    for x in row) for row in probs):
            raise MalformedDocument("graph.probabilities must be a square matrix of "
                                     "probabilities, one row per block")
        expected = sum(a * b * probs[i][j] for i, a in enumerate(sizes)
                       for j, b in enumerate(sizes))
        if expected > MAX_GENERATED_EDGES:
            raise MalformedDocument(f"graph: about {expected:.0f} edges expected, more than "
                                     f"{MAX_GENERATED_EDGES}")
        g = nx.stochastic_block_model(sizes, probs, seed=rng, directed=True)
        n = sum(sizes)
    else:
        raise MalformedDocument(f"unknown generator {kind!r}: expected one of "
                                 f"{', '.join(GENERATORS)}")
    src, dst = _directed(g, reciprocity, rng)
    meta: dict[str, Any] = {"generator": kind}
    if kind == "sbm":
        sizes_ = [int(s) for s in params["sizes"]]
        meta["block"] = np.repeat(np.arange(len(sizes_)), sizes_)
    nodes = tuple(f"{prefix}{i}" for i in range(n))
    base = SignedGraph(nodes=nodes, source=src.astype(np.int64), target=dst.astype(np.int64),
                       weight=np.zeros(len(src)), time=np.zeros(len(src)), name=kind,
                       meta=meta)
    return weigh(base, params.get("weights", {}), rng)


def weigh(graph: SignedGraph, spec: Mapping[str, Any], rng: np.random.Generator
          ) -> SignedGraph:
    """``graph`` with weights drawn by ``spec`` (module docstring)."""
    if not isinstance(spec, Mapping):
        raise MalformedDocument("graph.weights must be a table")
    model = spec.get("model", "uniform")
    m, n = graph.m, graph.n
    meta = dict(graph.meta)
    if model == "uniform":
        low = _float(spec, "low", 0.5)
        high = _float(spec, "high", 1.0)
        if high < low:
            raise MalformedDocument("graph.weights: high must be at least low")
        negative = _float(spec, "negative", 0.0)
        w = rng.uniform(low, high, m)
        w = np.where(rng.random(m) < negative, -w, w)
    elif model == "quality":
        a = _float(spec, "a", 5.0, low=0.01, high=1000.0)
        b = _float(spec, "b", 2.0, low=0.01, high=1000.0)
        noise = _float(spec, "noise", 0.2, high=10.0)
        quality = rng.beta(a, b, n)
        meta["quality"] = quality
        w = np.clip(2.0 * quality[graph.target] - 1.0 + rng.normal(0.0, noise, m), -1.0, 1.0)
    elif model == "levels":
        probs = spec.get("probabilities", [0.2, 0.45, 0.35])
        if not isinstance(probs, Sequence) or len(probs) != 3 or not all(
                isinstance(p, int | float) and p >= 0 for p in probs) or sum(probs) <= 0:
            raise MalformedDocument("graph.weights.probabilities: three non-negative numbers "
                                     "(Apprentice, Journeyer, Master)")
        total = float(sum(probs))
        w = rng.choice(np.array([0.6, 0.8, 1.0]), size=m, p=[p / total for p in probs])
    else:
        raise MalformedDocument(f"unknown weight model {model!r}: uniform, quality or levels")
    return SignedGraph(nodes=graph.nodes, source=graph.source, target=graph.target,
                       weight=np.asarray(w, dtype=np.float64), time=graph.time,
                       name=graph.name, meta=meta)
