"""Path-based local trust: MoleTrust and TidalTrust, with one-step distrust.

Both read signed unit weights in [-1, 1] through ``successors(u) -> (v, w)`` and return a
value on the unit scale: a weighted average of what the evaluator's trusted acquaintances
say, walked outwards a bounded number of hops.

**Negative ratings** (Guha, Kumar, Raghavan, Tomkins 2004: distrust propagated one step
only). A negative (or zero) edge is used only when it leaves the evaluator itself or a node
at distance 1: "I distrust X" and "someone I trust distrusts X" count; "someone my friend
trusts distrusts X" does not, and nobody's distrust is ever propagated further (a node
trusted below the threshold passes nothing on). The evaluator's own direct statement about
a node always wins over what others say.

References
----------
.. [1] P. Massa, P. Avesani, "Trust-aware recommender systems", RecSys 2007 (MoleTrust).
.. [2] J. Golbeck, "Computing and applying trust in web-based social networks", PhD thesis,
   University of Maryland, 2005 (TidalTrust).
.. [3] R. Guha, R. Kumar, P. Raghavan, A. Tomkins, "Propagation of trust and distrust",
   WWW 2004.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..errors import LocalProtocolError

__all__ = ["TidalSupport", "moletrust", "moletrust_layers", "tidaltrust", "tidaltrust_support"]

N = TypeVar("N", bound=Hashable)
Successors = Callable[[N], Iterable[tuple[N, float]]]


def _check(horizon: int, threshold: float) -> None:
    if horizon < 1:
        raise LocalProtocolError(f"horizon must be at least 1, got {horizon}")
    if not 0 <= threshold <= 1:
        raise LocalProtocolError(f"threshold must lie in [0, 1], got {threshold}")


def moletrust(successors: Successors[N], source: N, *, horizon: int = 3,
              threshold: float = 0.5) -> dict[N, float]:
    """Trust of ``source`` in every node within ``horizon`` hops (MoleTrust).

    Parameters
    ----------
    successors:
        ``successors(u)`` yields ``(v, w)`` with ``w`` in [-1, 1].
    source:
        The evaluator.
    horizon:
        Largest distance at which trust is computed.
    threshold:
        Only nodes trusted at least this much pass trust on.

    Returns
    -------
    dict
        ``{node: trust}`` for every node that received a value (the source excluded).

    Notes
    -----
    Nodes at distance 1 get the evaluator's direct weight. A node first reached at
    distance ``k`` gets the average of its predecessors' statements about it, weighted by
    the predecessors' trust:

        t(v) = sum_{u in pred_k(v), t(u) >= threshold} t(u) w(u, v)
               / sum_{u in pred_k(v), t(u) >= threshold} t(u)

    where ``pred_k(v)`` are the propagating nodes at distance ``k - 1`` with an edge to
    ``v``. Distances are measured through propagating nodes only (Massa & Avesani measure
    them on the whole graph first; the two agree whenever every shortest path goes through
    trusted nodes). Negative edges count only from distance 0 and 1 (module docstring).

    Examples
    --------
    >>> g = {"me": [("a", 1.0), ("b", 0.6)], "a": [("c", 0.8)], "b": [("c", 0.2)]}
    >>> round(moletrust(lambda u: g.get(u, []), "me")["c"], 4)
    0.575
    """
    return moletrust_layers(successors, source, horizon=horizon, threshold=threshold)[0]


def moletrust_layers(successors: Successors[N], source: N, *, horizon: int = 3,
                     threshold: float = 0.5) -> tuple[dict[N, float], dict[N, int]]:
    """:func:`moletrust`, with the distance at which each node got its value."""
    _check(horizon, threshold)
    trust: dict[N, float] = {}
    for v, w in successors(source):
        if v != source:
            trust[v] = w
    layer = dict.fromkeys(trust, 1)
    seen = set(trust) | {source}
    frontier = [v for v, t in trust.items() if t >= threshold and t > 0]
    for depth in range(2, horizon + 1):
        if not frontier:
            break
        num: dict[N, float] = {}
        den: dict[N, float] = {}
        for u in frontier:
            tu = trust[u]
            for v, w in successors(u):
                if v in seen or (w <= 0 and depth > 2):
                    continue
                num[v] = num.get(v, 0.0) + tu * w
                den[v] = den.get(v, 0.0) + tu
        for v, total in num.items():
            trust[v] = total / den[v]
            layer[v] = depth
        seen.update(num)
        frontier = [v for v in num if trust[v] >= threshold and trust[v] > 0]
    return trust, layer


def tidaltrust(successors: Successors[N], source: N, sink: N, *,
               max_depth: int = 3) -> float | None:
    """Trust of ``source`` in ``sink`` along the strongest shortest paths (TidalTrust).

    Parameters
    ----------
    successors:
        ``successors(u)`` yields ``(v, w)`` with ``w`` in [-1, 1].
    source, sink:
        The evaluator and the node evaluated.
    max_depth:
        Longest path considered.

    Returns
    -------
    float or None
        ``None`` when no path of at most ``max_depth`` hops reaches the sink.

    Notes
    -----
    Golbeck's algorithm: the search stops at the depth ``d`` where the sink is first
    reached; only shortest paths count. The *strength* of a path is its smallest weight,
    not counting the last hop (the rating of the sink); ``max`` is the strongest path's
    strength. Then, from the raters of the sink back to the source,

        t(i) = sum_{j: w(i, j) >= max} w(i, j) t(j) / sum_{j: w(i, j) >= max} w(i, j)

    over ``i``'s successors ``j`` one layer closer to the sink, with ``t(j) = w(j, sink)``
    for the sink's raters. A direct edge ``source -> sink`` is the answer itself. Paths go
    through positive edges; the last hop may be negative when it leaves the source or a
    node at distance 1 (one-step distrust).

    Examples
    --------
    >>> g = {"me": [("a", 0.9), ("b", 0.5)], "a": [("t", 0.4)], "b": [("t", 1.0)]}
    >>> tidaltrust(lambda u: g.get(u, []), "me", "t")
    0.4
    """
    return tidaltrust_support(successors, source, sink, max_depth=max_depth).value


@dataclass(frozen=True)
class TidalSupport(Generic[N]):
    """What :func:`tidaltrust` used: the value, each node's layer, the path depth and ``max``."""

    value: float | None
    layer: dict[N, int]
    depth: int
    best: float


def tidaltrust_support(successors: Successors[N], source: N, sink: N, *,
                       max_depth: int = 3) -> TidalSupport[N]:
    """:func:`tidaltrust`, with the shortest-path layers and strength threshold it used."""
    none: TidalSupport[N] = TidalSupport(value=None, layer={}, depth=0, best=0.0)
    if max_depth < 1:
        raise LocalProtocolError(f"max_depth must be at least 1, got {max_depth}")
    if source == sink:
        return none
    layers: list[list[N]] = [[source]]
    into: dict[N, list[tuple[N, float]]] = {}  # edges from the previous layer
    raters: dict[N, float] = {}
    seen = {source}
    for depth in range(1, max_depth + 1):
        nxt: dict[N, list[tuple[N, float]]] = {}
        for u in layers[-1]:
            for v, w in successors(u):
                if v == sink:
                    if w > 0 or depth <= 2:
                        raters[u] = w
                elif w > 0 and v not in seen:
                    nxt.setdefault(v, []).append((u, w))
        if raters:
            break
        if not nxt:
            return none
        layers.append(list(nxt))
        into.update(nxt)
        seen.update(nxt)
    if not raters:
        return none
    if source in raters:
        return TidalSupport(value=raters[source], layer={sink: 1}, depth=1, best=0.0)
    # strength of the strongest path from the source to each node (widest path on the DAG)
    strength: dict[N, float] = {source: float("inf")}
    for layer in layers[1:]:
        for v in layer:
            strength[v] = max(min(strength[u], w) for u, w in into[v])
    best = max(strength[r] for r in raters)
    # back from the raters to the source, keeping edges at least as strong as `best`
    value: dict[N, float] = dict(raters)
    for layer in reversed(layers[1:]):
        pending: dict[N, tuple[float, float]] = {}
        for v in layer:
            tv = value.get(v)
            if tv is None:
                continue
            for u, w in into[v]:
                if w >= best:
                    num, den = pending.get(u, (0.0, 0.0))
                    pending[u] = (num + w * tv, den + w)
        for u, (num, den) in pending.items():
            if u not in value and den > 0:
                value[u] = num / den
    where = {v: k for k, nodes in enumerate(layers) for v in nodes}
    where[sink] = len(layers)
    return TidalSupport(value=value.get(source), layer=where, depth=len(layers), best=best)
