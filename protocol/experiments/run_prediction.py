"""One chunk of an edge-weight prediction experiment: hold edges out, predict them.

``leave-one-out``: each evaluated edge is removed alone and predicted from all the others
(Kumar et al.'s and Trustlet's protocol); ``held-out``: a random fraction of the edges is
removed at once and predicted from the rest. ``sample`` evaluates a random subset of the
edges (0: all). The evaluated edges are split into the scenario's chunks, so a long
leave-one-out runs in parallel; a chunk returns the sufficient statistics of its errors
(they add up: :func:`~.metrics.merge_sums`), the reference comparison counts, and its
predictions when asked.

Predictors, all the engine's (``confiance.protocol.trust``):

- ``fairness``: ``f(u) g(v)`` refitted without the edge
  (:func:`~confiance.protocol.trust.fairness_leave_one_out`), ``goodness``: ``g(v)``;
- ``reciprocal``, ``ebay``: :mod:`~confiance.protocol.trust.baselines`;
- ``moletrust`` (Massa and Avesani), ``moletrust-trustlet`` (Trustlet's code),
  ``tidaltrust``: the evaluator is the edge's source; ``name@h`` sets the horizon, the
  threshold is the policy's. A path metric with no path predicts nothing (Trustlet's
  ``0.0``).

``missing = "zero"`` scores every edge, a missing prediction as 0 (Kumar et al.: every node
is kept, a node without in-edges has goodness 0); ``"skip"`` scores the predicted edges
only and reports the coverage (Trustlet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..trust import (
    ebay_predictions,
    fairness_goodness,
    fairness_leave_one_out,
    moletrust,
    moletrust_trustlet,
    reciprocal_predictions,
    tidaltrust,
)
from .graph import SignedGraph
from .metrics import prediction_sums
from .scenario import Task, policy_of

__all__ = ["chosen_edges", "run_prediction"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Adjacency = list[list[tuple[int, float]]]
#: Largest number of predictions a chunk returns edge by edge.
MAX_SAVED = 500_000
#: Predictions equal to a reference's within this (Trustlet prints 12 significant digits).
REFERENCE_TOLERANCE = 1e-9


def chosen_edges(graph: SignedGraph, params: Mapping[str, Any], rng: np.random.Generator
                 ) -> tuple[IntArray, IntArray]:
    """``(evaluated, removed)``: the edges to predict and those removed from the training
    graph (all of them for held-out; none for leave-one-out, where each goes alone)."""
    pred = params.get("prediction", {})
    m = graph.m
    if pred.get("method", "leave-one-out") == "held-out":
        count = max(1, round(float(pred.get("fraction", 0.1)) * m))
        removed = np.sort(rng.choice(m, size=min(count, m), replace=False)).astype(np.int64)
        evaluated = removed
    else:
        removed = np.zeros(0, dtype=np.int64)
        evaluated = np.arange(m, dtype=np.int64)
    sample = int(pred.get("sample", 0))
    if sample and sample < len(evaluated):
        evaluated = np.sort(rng.choice(evaluated, size=sample, replace=False)).astype(np.int64)
    return evaluated, removed


def _csr(graph: SignedGraph, keep: npt.NDArray[np.bool_]) -> tuple[sp.csr_array, IntArray]:
    """The weight matrix of the kept edges and each edge's entry position (-1: not kept)."""
    n = graph.n
    idx = np.flatnonzero(keep)
    order = np.lexsort((graph.target[idx], graph.source[idx]))
    sorted_idx = idx[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(graph.source[sorted_idx], minlength=n), out=indptr[1:])
    w = sp.csr_array((graph.weight[sorted_idx], graph.target[sorted_idx], indptr),
                     shape=(n, n))
    position = np.full(graph.m, -1, dtype=np.int64)
    position[sorted_idx] = np.arange(len(sorted_idx))
    return w, position


def _fairness(graph: SignedGraph, keep: npt.NDArray[np.bool_], edges: IntArray, loo: bool
              ) -> tuple[FloatArray, FloatArray]:
    w, position = _csr(graph, keep)
    if loo:
        got = fairness_leave_one_out(w, entries=position[edges])
        return got.fxg, got.goodness
    fit = fairness_goodness(w)
    u, v = graph.source[edges], graph.target[edges]
    return fit.fairness[u] * fit.goodness[v], fit.goodness[v].copy()


def _adjacency(graph: SignedGraph, keep: npt.NDArray[np.bool_]) -> tuple[Adjacency, Adjacency]:
    out: Adjacency = [[] for _ in range(graph.n)]
    into: Adjacency = [[] for _ in range(graph.n)]
    for k in np.flatnonzero(keep).tolist():
        u, v, w = int(graph.source[k]), int(graph.target[k]), float(graph.weight[k])
        out[u].append((v, w))
        into[v].append((u, w))
    return out, into


def _path_metric(name: str, horizon: int, threshold: float, out: Adjacency, into: Adjacency,
                 rank: list[int], graph: SignedGraph, edges: IntArray, loo: bool
                 ) -> FloatArray:
    result = np.full(len(edges), np.nan)
    for i, k in enumerate(edges.tolist()):
        a, b = int(graph.source[k]), int(graph.target[k])

        def succ(u: int, a: int = a, b: int = b) -> Iterable[tuple[int, float]]:
            return (x for x in out[u] if x[0] != b) if loo and u == a else out[u]

        def pred(v: int, a: int = a, b: int = b) -> Iterable[tuple[int, float]]:
            return (x for x in into[v] if x[0] != a) if loo and v == b else into[v]

        value: float | None
        if name == "moletrust":
            value = moletrust(succ, a, horizon=horizon, threshold=threshold).get(b)
        elif name == "moletrust-trustlet":
            value = moletrust_trustlet(succ, pred, a, b, horizon=horizon, threshold=threshold,
                                       order=rank.__getitem__).get(b)
            if value == 0.0:
                value = None  # Trustlet's "not predicted"
        else:
            value = tidaltrust(succ, a, b, max_depth=horizon)
        if value is not None:
            result[i] = value
    return result


def _compare(ours: FloatArray, actual: FloatArray, graph: SignedGraph, edges: IntArray,
             reference: Mapping[tuple[str, str], str]) -> dict[str, Any]:
    theirs = np.full(len(edges), np.nan)
    found = 0
    for i, k in enumerate(edges.tolist()):
        text = reference.get((graph.nodes[int(graph.source[k])],
                              graph.nodes[int(graph.target[k])]))
        if text is None:
            continue
        found += 1
        try:
            value = float(text)
        except ValueError:
            value = 0.0  # "None"
        if value != 0.0:
            theirs[i] = value
    both = ~np.isnan(ours) & ~np.isnan(theirs)
    diff = np.abs(ours[both] - theirs[both])
    agree = (np.isnan(ours) & np.isnan(theirs)) | \
        (~np.isnan(ours) & ~np.isnan(theirs) & (np.abs(
            np.nan_to_num(ours) - np.nan_to_num(theirs)) <= REFERENCE_TOLERANCE))
    mismatches = [
        {"edge": [graph.nodes[int(graph.source[k])], graph.nodes[int(graph.target[k])]],
         "ours": None if np.isnan(ours[i]) else float(ours[i]),
         "theirs": None if np.isnan(theirs[i]) else float(theirs[i])}
        for i, k in enumerate(edges.tolist()) if not agree[i]][:5]
    return {"compared": len(edges), "in_reference": found, "agree": int(agree.sum()),
            "max_difference": float(diff.max()) if len(diff) else 0.0,
            "theirs": prediction_sums(actual, theirs, fill=None),
            "mismatches": mismatches}


def run_prediction(task: Task, graph: SignedGraph, rng: np.random.Generator,
                   references: Mapping[str, Mapping[tuple[str, str], str]] | None = None,
                   progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Predict this task's chunk of the evaluated edges by every algorithm (module
    docstring); ``references`` maps an algorithm name (as in the scenario) to Trustlet's
    predictions to compare with edge by edge."""
    params = task.params
    pred = params.get("prediction", {})
    policy = policy_of(params)
    g = graph.latest()
    evaluated, removed = chosen_edges(g, params, rng)
    parts = np.array_split(evaluated, task.chunks)
    edges = parts[task.chunk].astype(np.int64)
    loo = pred.get("method", "leave-one-out") != "held-out"
    keep = np.ones(g.m, dtype=bool)
    keep[removed] = False
    actual = g.weight[edges]
    fill = 0.0 if pred.get("missing", "zero") == "zero" else None
    algorithms = list(pred.get("algorithms", ["fairness"]))
    out: dict[str, Any] = {"graph": {"name": graph.name, "nodes": g.n, "edges": g.m},
                           "evaluated": len(evaluated), "chunk_edges": len(edges),
                           "method": "leave-one-out" if loo else "held-out",
                           "algorithms": {}}
    predictions: dict[str, FloatArray] = {}
    fg: tuple[FloatArray, FloatArray] | None = None
    adjacency: tuple[Adjacency, Adjacency] | None = None
    rank: list[int] = []
    for name in algorithms:
        base, _, h = name.partition("@")
        if base in ("fairness", "goodness"):
            if fg is None:
                fg = _fairness(g, keep, edges, loo)
            values = fg[0] if base == "fairness" else fg[1]
        elif base in ("reciprocal", "ebay"):
            if base == "reciprocal":
                values = reciprocal_predictions(g.source, g.target, g.weight)[edges] if loo \
                    else _reciprocal_held_out(g, keep, edges)
            else:
                values = ebay_predictions(g.source, g.target, g.weight, g.n)[edges] if loo \
                    else _ebay_held_out(g, keep, edges)
        else:
            if adjacency is None:
                adjacency = _adjacency(g, keep)
                order = sorted(range(g.n), key=g.nodes.__getitem__)
                rank = [0] * g.n
                for position, node in enumerate(order):
                    rank[node] = position
            horizon = int(h) if h else policy.horizon
            values = _path_metric(base, horizon, policy.threshold, adjacency[0], adjacency[1],
                                  rank, g, edges, loo)
        predictions[name] = np.asarray(values, dtype=np.float64)
        entry: dict[str, Any] = {"sums": prediction_sums(actual, predictions[name],
                                                         fill=fill)}
        if references and name in references:
            entry["reference"] = _compare(predictions[name], actual, g, edges,
                                          references[name])
        out["algorithms"][name] = entry
        if progress is not None:
            progress(1)
    if len(edges) <= MAX_SAVED and pred.get("save_predictions", True):
        out["predictions"] = {
            "source": [g.nodes[int(i)] for i in g.source[edges]],
            "target": [g.nodes[int(i)] for i in g.target[edges]],
            "actual": actual.tolist(),
            **{name: [None if np.isnan(x) else float(x) for x in values.tolist()]
               for name, values in predictions.items()}}
    return out


def _reciprocal_held_out(g: SignedGraph, keep: npt.NDArray[np.bool_], edges: IntArray
                         ) -> FloatArray:
    train = np.flatnonzero(keep)
    n = max(g.n, 1)
    key = g.source[train] * n + g.target[train]
    order = np.argsort(key)
    back = g.target[edges] * n + g.source[edges]
    at = np.minimum(np.searchsorted(key[order], back), max(len(train) - 1, 0))
    hit = key[order][at] == back if len(train) else np.zeros(len(edges), dtype=bool)
    out: FloatArray = np.where(hit, g.weight[train][order][at] if len(train) else 0.0, np.nan)
    return out


def _ebay_held_out(g: SignedGraph, keep: npt.NDArray[np.bool_], edges: IntArray) -> FloatArray:
    train = np.flatnonzero(keep)
    total = np.bincount(g.target[train], weights=g.weight[train], minlength=g.n)
    count = np.bincount(g.target[train], minlength=g.n).astype(np.float64)
    v = g.target[edges]
    out: FloatArray = np.where(count[v] > 0, total[v] / np.where(count[v] > 0, count[v], 1),
                               np.nan)
    return out
