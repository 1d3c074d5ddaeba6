"""Explanations: the strongest paths behind a score, hop by hop, with the rules applied.

A path's *strength* is the product of its hops' factors: the unit weights for the path
metrics (so a path of 0.9 then 0.5 has strength 0.45), the transition probabilities for
PageRank (the probability that a walk takes exactly that path). Each hop names the
assertion that decided the edge for this evaluator, its kind and context, and, when the
evaluator read it through a Recognition, the rule's plain-language sentence and the
Recognition's id. Paths go through positive edges; the last hop may be negative when it
leaves the evaluator or a node at distance 1 (the one-step distrust rule).

The search is best-first on partial paths (factors never exceed 1, so the first ``k``
complete paths popped are the ``k`` strongest simple paths within the horizon), pruned by
each node's distance to the target, and capped in work (``max_expansions``): a capped
search says so (``truncated``) rather than running unbounded on a hub.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .graph import EvaluatorView

__all__ = ["Hop", "TrustPath", "confidence", "explain_paths", "strongest_paths"]

N = TypeVar("N", bound=Hashable)


@dataclass(frozen=True)
class Hop:
    """One edge of an explanation path."""

    source: str
    target: str
    weight: float
    assertion: str
    kind: str
    context: str
    rule: str | None = None
    recognition: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"from": self.source, "to": self.target,
                               "weight": _round(self.weight), "assertion": self.assertion,
                               "kind": self.kind, "context": self.context}
        if self.rule is not None:
            out["rule"] = self.rule
            out["recognition"] = self.recognition
        return out


@dataclass(frozen=True)
class TrustPath:
    """A path from the evaluator to the target and its strength (product of factors)."""

    hops: tuple[Hop, ...]
    strength: float

    def to_json(self) -> dict[str, Any]:
        return {"strength": _round(self.strength), "hops": [h.to_json() for h in self.hops]}


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def _distances_to(predecessors: Callable[[N], Iterable[tuple[N, float]]], target: N,
                  horizon: int) -> dict[N, int]:
    dist: dict[N, int] = {target: 0}
    frontier = [target]
    for d in range(1, horizon + 1):
        nxt: list[N] = []
        for v in frontier:
            for u, w in predecessors(v):
                if u in dist or w == 0 or (w < 0 and d > 1):
                    continue
                dist[u] = d
                nxt.append(u)
        frontier = nxt
    return dist


def strongest_paths(successors: Callable[[N], Iterable[tuple[N, float]]],
                    predecessors: Callable[[N], Iterable[tuple[N, float]]],
                    source: N, target: N, *, k: int = 3, horizon: int = 3,
                    factor: Callable[[N, N, float], float] | None = None,
                    allow: Callable[[N, N, float, int], bool] | None = None,
                    max_expansions: int = 50_000) -> tuple[list[tuple[tuple[N, ...], float]], bool]:
    """The ``k`` strongest simple paths of at most ``horizon`` hops, best first.

    ``allow(u, v, w, depth)`` may restrict the hops (``depth`` is ``u``'s position on the
    path) to those the algorithm actually used. Returns ``(paths, truncated)``, each path a
    tuple of nodes with its strength.
    """
    if k <= 0 or source == target:
        return [], False
    fac = factor if factor is not None else (lambda u, v, w: abs(w))
    # Every node after the source must lie within horizon - 1 hops of the target: the
    # reverse search goes no further (a hub target's 3-hop in-ball can be the whole graph).
    dist = _distances_to(predecessors, target, horizon - 1)
    tie = itertools.count()
    heap: list[tuple[float, int, tuple[N, ...]]] = [(-1.0, next(tie), (source,))]
    found: list[tuple[tuple[N, ...], float]] = []
    expansions = 0
    while heap and len(found) < k:
        neg, _, path = heapq.heappop(heap)
        u = path[-1]
        if u == target:
            found.append((path, -neg))
            continue
        depth = len(path) - 1
        remaining = horizon - depth
        if remaining <= 0:
            continue
        for v, w in successors(u):
            if v in path:
                continue
            if v == target:
                if w == 0 or (w < 0 and depth > 1):
                    continue
            elif w <= 0 or dist.get(v, horizon + 1) > remaining - 1:
                continue
            if allow is not None and not allow(u, v, w, depth):
                continue
            f = fac(u, v, w)
            if f <= 0:
                continue
            heapq.heappush(heap, (neg * f, next(tie), (*path, v)))
            expansions += 1
        if expansions > max_expansions:
            return found, True
    return found, False


def explain_paths(view: EvaluatorView, paths: Iterable[tuple[tuple[str, ...], float]]
                  ) -> tuple[TrustPath, ...]:
    """Turn node paths into :class:`TrustPath` values naming each hop's assertion and rule."""
    out: list[TrustPath] = []
    for nodes, strength in paths:
        hops: list[Hop] = []
        for u, v in itertools.pairwise(nodes):
            res = view.resolve(u, v)
            if res is None:  # pragma: no cover - the path was found on readable edges
                break
            reader = res.reader
            hops.append(Hop(source=u, target=v, weight=res.weight, assertion=res.claim.id,
                            kind=res.claim.kind, context=res.claim.context,
                            rule=reader.sentence if reader is not None else None,
                            recognition=reader.recognition.id if reader is not None else None))
        else:
            out.append(TrustPath(hops=tuple(hops), strength=strength))
    return tuple(out)


def confidence(paths: Iterable[TrustPath]) -> float:
    """``1 - prod(1 - strength)`` over the listed paths: how well the score is supported.

    0 with no path; near 1 with several strong independent paths. Documented in
    ``specs/trust.md``; the paths listed are at most ``max_paths``, so this is a floor.
    """
    miss = 1.0
    for p in paths:
        miss *= 1.0 - min(1.0, max(0.0, p.strength))
    return 1.0 - miss
