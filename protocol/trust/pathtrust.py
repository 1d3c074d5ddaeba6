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

__all__ = ["TidalSupport", "moletrust", "moletrust_layers", "moletrust_trustlet", "tidaltrust",
           "tidaltrust_support"]

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
    Massa and Avesani's definition [1]_. The graph is first cut into levels by distance
    from the source (a breadth-first search: the cycles are removed, each edge between
    consecutive levels is kept). Nodes at distance 1 get the evaluator's direct weight. A
    node at distance ``k >= 2`` gets the average of its predecessors' statements about it,
    weighted by the predecessors' trust:

        t(v) = sum_{u in pred_k(v), t(u) >= threshold} t(u) w(u, v)
               / sum_{u in pred_k(v), t(u) >= threshold} t(u)

    where ``pred_k(v)`` are the nodes at distance ``k - 1`` with an edge to ``v``; a node
    none of whose predecessors one level closer is trusted gets no value (a longer path
    through trusted nodes does not count: the levels are fixed first). Negative edges
    count only from distance 0 and 1 (module docstring), for the levels as for the values.
    Trustlet's implementation differs in one respect: :func:`moletrust_trustlet`.

    Examples
    --------
    >>> g = {"me": [("a", 1.0), ("b", 0.6)], "a": [("c", 0.8)], "b": [("c", 0.2)]}
    >>> round(moletrust(lambda u: g.get(u, []), "me")["c"], 4)
    0.575
    """
    return moletrust_layers(successors, source, horizon=horizon, threshold=threshold)[0]


def moletrust_layers(successors: Successors[N], source: N, *, horizon: int = 3,
                     threshold: float = 0.5) -> tuple[dict[N, float], dict[N, int]]:
    """:func:`moletrust`, with the distance of each node that got a value."""
    _check(horizon, threshold)
    trust: dict[N, float] = {}
    for v, w in successors(source):
        if v != source:
            trust[v] = w
    layer = dict.fromkeys(trust, 1)
    distance: dict[N, int] = {source: 0, **layer}
    level = list(trust)
    for depth in range(2, horizon + 1):
        if not level:
            break
        num: dict[N, float] = {}
        den: dict[N, float] = {}
        nxt: list[N] = []
        for u in level:
            tu = trust.get(u)
            passes = tu is not None and tu >= threshold and tu > 0
            for v, w in successors(u):
                if w <= 0 and depth > 2:
                    continue  # distrust is not propagated beyond one step
                d = distance.get(v)
                if d is None:
                    distance[v] = d = depth
                    nxt.append(v)
                if d == depth and passes:
                    assert tu is not None
                    num[v] = num.get(v, 0.0) + tu * w
                    den[v] = den.get(v, 0.0) + tu
        for v, total in num.items():
            trust[v] = total / den[v]
            layer[v] = depth
        level = nxt
    return trust, layer


def moletrust_trustlet(successors: Successors[N], predecessors: Successors[N], source: N,
                       target: N | None = None, *, horizon: int = 3, threshold: float = 0.0,
                       edge_threshold: float = 0.0, order: Callable[[N], object] | None = None,
                       ) -> dict[N, float]:
    """MoleTrust as Trustlet implements it (``moletrust_generator``, Massa, Souren et al.).

    The published code differs from :func:`moletrust` in one respect: its per-level trust
    maps are one shared dictionary (``[{source: 1.0}] + [{}] * horizon`` in Python makes
    ``horizon`` references to the same dict). So a node at distance ``k >= 2`` draws on
    every node already given a value, at *any* distance from 1 to ``k``, including nodes
    of its own level processed before it; nodes are processed by distance, then by name
    (Trustlet sorts ``(distance, name)`` pairs). Otherwise it is the same walk:

    - distances are those of a breadth-first search over every edge, whatever its weight,
      up to ``horizon``;
    - distance-1 nodes get the source's edge weight (``0`` when it is below
      ``edge_threshold``); a node at distance ``k >= 2`` gets
      ``sum w(u, v) t(u) / sum t(u)`` over its predecessors ``u`` already valued, with
      ``w(u, v) >= edge_threshold`` (``0`` when there are none or the sum is ``0``);
    - a node is kept (passes trust on) when its value is at least ``threshold``.

    What it changes: a node can be reached "sideways" (from a node at its own distance) or
    from a nearer node that is not on any of its shortest paths, so Trustlet's values
    average over more raters, its coverage is never lower, and two runs differ with node
    names. Trustlet's defaults for its Advogato evaluation are ``threshold = 0`` and
    ``edge_threshold = 0`` with horizons 2, 3 and 4.

    Parameters
    ----------
    successors, predecessors:
        Edges out of and into a node, ``(node, weight)``.
    target:
        Stop once it is valued (Trustlet's leave-one-out query); ``None``: value every node
        within the horizon.
    order:
        Sort key of the nodes within a level (default: the nodes themselves, which for
        string ids is Trustlet's order).

    Returns
    -------
    dict
        ``{node: value}`` for the nodes processed (the target included when reached);
        Trustlet prints a value of ``0`` as "no prediction".

    Examples
    --------
    ``b`` and ``c`` are both at distance 2; ``b``, named first, is valued before ``c``,
    so ``c`` draws on ``b`` (its own level) as well as on ``a``. The textbook value of
    ``c`` is ``a``'s word alone, 0.6:

    >>> out = {"s": [("a", 1.0)], "a": [("b", 0.8), ("c", 0.6)], "b": [("c", 0.2)]}
    >>> into = {"a": [("s", 1.0)], "b": [("a", 0.8)], "c": [("a", 0.6), ("b", 0.2)]}
    >>> t = moletrust_trustlet(lambda u: out.get(u, []), lambda v: into.get(v, []), "s")
    >>> round(t["c"], 4), moletrust(lambda u: out.get(u, []), "s")["c"]
    (0.4222, 0.6)
    """
    if horizon < 1:
        raise LocalProtocolError(f"horizon must be at least 1, got {horizon}")
    distance: dict[N, int] = {source: 0}
    levels: list[list[N]] = [[source]]
    for depth in range(1, horizon + 1):
        nxt: list[N] = []
        for u in levels[-1]:
            for v, _ in successors(u):
                if v not in distance:
                    distance[v] = depth
                    nxt.append(v)
        if not nxt:
            break
        levels.append(nxt)
    if target is not None and target not in distance:
        return {}
    key: Callable[[N], object] = order if order is not None else (lambda node: node)
    shared: dict[N, float] = {}
    values: dict[N, float] = {}
    for depth, nodes in enumerate(levels[1:], start=1):
        for v in sorted(nodes, key=key):  # type: ignore[arg-type]
            num = den = 0.0
            if depth == 1:
                for u, w in predecessors(v):
                    if u == source and w >= edge_threshold:
                        num += w  # the source's own trust is 1.0
                        den += 1.0
            else:
                for u, w in predecessors(v):
                    tu = shared.get(u)
                    if tu is not None and w >= edge_threshold:
                        num += w * tu
                        den += tu
            value = num / den if den else 0.0
            values[v] = value
            if v == target:
                return values
            if value >= threshold:
                shared[v] = value
    return values


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
