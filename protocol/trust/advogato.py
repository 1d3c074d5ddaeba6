"""Attack-resistant admission: the Advogato network-flow trust metric (Levien and Aiken).

Decides who is *certified* (admitted) relative to a seed, at a level: only edges of weight
at least ``level`` count, as Advogato ran its metric once per level (Apprentice, Journeyer,
Master) with the certificates at that level or higher.

Construction (advogato.org/trust-metric.html):

1. a virtual seed node has an edge to each seed; every node gets a *capacity* by its BFS
   distance from the virtual seed: ``capacities[d]`` (800, 200, 200, 50, 12, 4, 2, 1 by
   default: the virtual seed 800, the seeds 200, ...), 1 beyond the list. A single seed
   (a node evaluating from itself) is the root itself, at distance 0 with capacity 800;
2. each node ``x`` is split into ``x-`` and ``x+``: an edge ``x- -> x+`` of capacity
   ``c(x) - 1`` and an edge ``x- -> sink`` of capacity 1; each certificate ``x -> y``
   becomes ``x+ -> y-`` of unbounded capacity; the virtual seed passes at most
   ``capacities[0]``;
3. a maximum integral flow from the virtual seed to the sink; ``x`` is accepted when its
   edge ``x- -> sink`` carries a unit. The flow is found by shortest augmenting paths
   (Edmonds-Karp), each search stopping at the first node it can accept: nearer nodes are
   accepted first, the answer is deterministic (successor order breaks ties), and the work
   stays near the seeds (at most ``capacities[0]`` augmentations).

**The bound on Sybils.** Call *confused* a good node with a certificate into an attacker
region (an *attack edge*). Every unit of flow entering the region passes through the
``x- -> x+`` edge of a confused node ``x``, so the number of accepted attacker nodes is at
most ``sum over confused x of (c(x) - 1)``, however many Sybils the attacker creates and
however they certify each other. Capacities fall with distance, so a confused node far from
the seed admits few or none: at a distance where the capacity is 1, none.
(``tests/protocol/trust/test_advogato.py`` checks this on a generated Sybil region.)

References
----------
.. [1] R. Levien, A. Aiken, "Attack-resistant trust metrics for public key certification",
   USENIX Security 1998.
.. [2] R. Levien, "Attack-resistant trust metrics", in Computing with Social Trust,
   Springer, 2009; advogato.org/trust-metric.html.

Examples
--------
A single seed is the root (capacity 5): it accepts itself and passes 4 units on; ``a``
and ``b`` (capacity 4) accept themselves and pass to ``c`` (capacity 2); at level 0.8 the
0.6 certificates of ``c`` do not count:

>>> g = {"seed": [("a", 1.0), ("b", 1.0)], "a": [("c", 0.6)], "b": [("c", 0.6)]}
>>> res = advogato_admission(lambda u: g.get(u, []), ["seed"], capacities=(5, 4, 2, 1))
>>> sorted(res.accepted), res.capacity["c"], res.flow
(['a', 'b', 'c', 'seed'], 2, 4)
>>> sorted(advogato_admission(lambda u: g.get(u, []), ["seed"], level=0.8,
...                 capacities=(5, 4, 2, 1)).accepted)
['a', 'b', 'seed']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..errors import LocalProtocolError
from .policy import ADVOGATO_CAPACITIES

__all__ = ["AdvogatoResult", "advogato_admission", "sybil_bound"]

N = TypeVar("N", bound=Hashable)

@dataclass(frozen=True)
class AdvogatoResult(Generic[N]):
    """Who is accepted, and the capacities and distances the decision used."""

    accepted: frozenset[N]
    capacity: dict[N, int]
    distance: dict[N, int]
    flow: int


def _capacity(capacities: Sequence[int], distance: int) -> int:
    return capacities[distance] if distance < len(capacities) else 1


def advogato_admission(successors: Callable[[N], Iterable[tuple[N, float]]],
                       seeds: Iterable[N], *, level: float = 0.0,
                       capacities: Sequence[int] = ADVOGATO_CAPACITIES) -> AdvogatoResult[N]:
    """Run the Advogato metric from ``seeds``; see the module docstring.

    Parameters
    ----------
    successors:
        ``successors(u)`` yields ``(v, w)``; an edge counts when ``w > 0`` and ``w >= level``.
    seeds:
        The trusted roots (for a node: itself).
    level:
        Certification level: the smallest weight that counts.
    capacities:
        Capacity by distance from the virtual seed (index 0 is the virtual seed).
    """
    seed_list = list(dict.fromkeys(seeds))
    if not seed_list:
        raise LocalProtocolError("the Advogato metric needs at least one seed")
    if not capacities or any(c < 1 for c in capacities):
        raise LocalProtocolError("capacities must be positive integers")
    root = len(seed_list) == 1  # a single seed is the root itself
    start = 0 if root else 1
    distance: dict[N, int] = dict.fromkeys(seed_list, start)
    edges: list[tuple[N, N]] = []
    frontier = seed_list
    while frontier:  # BFS over the edges at this level, as far as flow can go
        nxt: list[N] = []
        for u in frontier:
            if _capacity(capacities, distance[u]) <= 1:
                continue  # passes nothing on: what lies beyond gets no flow
            for v, w in successors(u):
                if w <= 0 or w < level or v == u:
                    continue
                edges.append((u, v))
                if v not in distance:
                    distance[v] = distance[u] + 1
                    nxt.append(v)
        frontier = nxt
    capacity = {x: _capacity(capacities, d) for x, d in distance.items()}
    out: dict[N, list[N]] = {}
    for u, v in edges:
        out.setdefault(u, []).append(v)
    accepted, flow = _max_flow(out, capacity, seed_list, capacities[0])
    return AdvogatoResult(accepted=frozenset(accepted), capacity=capacity, distance=distance,
                          flow=flow)


def _max_flow(out: dict[N, list[N]], capacity: dict[N, int], seeds: list[N],
              limit: int) -> tuple[set[N], int]:
    """Maximum flow on the split network by shortest augmenting paths (Edmonds-Karp).

    Residual states are ``(0, x)`` for ``x-`` and ``(1, x)`` for ``x+``; every unit reaching a
    not-yet-accepted ``x-`` leaves by its unit edge to the sink, so each augmenting path
    accepts one node, the nearest first, and at most ``limit`` (the root's capacity) are.
    A search stops at the first node it can accept, so the work stays near the seeds.
    """
    accepted: set[N] = set()
    through: dict[N, int] = dict.fromkeys(capacity, 0)  # flow on x- -> x+
    into: dict[N, dict[N, int]] = {}  # into[v][u]: flow on u+ -> v-
    flow = 0
    while flow < limit:
        parent: dict[tuple[int, N], tuple[int, N] | None] = {}
        queue: deque[tuple[int, N]] = deque()
        found: tuple[int, N] | None = None
        for s in seeds:
            state = (0, s)
            if state not in parent:
                parent[state] = None
                if s not in accepted:
                    found = state
                    break
                queue.append(state)
        while queue and found is None:
            side, x = queue.popleft()
            if side == 0:
                nxt = [(1, x)] if through[x] < capacity[x] - 1 else []
                nxt += [(1, u) for u in into.get(x, {})]  # cancel flow u+ -> x-
            else:
                nxt = [(0, v) for v in out.get(x, ())]
                if through[x] > 0:
                    nxt.append((0, x))  # cancel flow x- -> x+
            for state in nxt:
                if state in parent:
                    continue
                parent[state] = (side, x)
                if state[0] == 0 and state[1] not in accepted:
                    found = state
                    break
                queue.append(state)
        if found is None:
            break
        accepted.add(found[1])
        flow += 1
        cur = found
        prev = parent[cur]
        while prev is not None:
            if prev[1] == cur[1]:  # the node's own edge, forward or cancelled
                through[cur[1]] += 1 if cur[0] == 1 else -1
            elif prev[0] == 1:  # certificate prev+ -> cur-
                row = into.setdefault(cur[1], {})
                row[prev[1]] = row.get(prev[1], 0) + 1
            else:  # cancelling the certificate cur+ -> prev-
                row = into[prev[1]]
                row[cur[1]] -= 1
                if not row[cur[1]]:
                    del row[cur[1]]
            cur, prev = prev, parent[prev]
    return accepted, flow


def sybil_bound(result: AdvogatoResult[Any], attack_edges: Iterable[tuple[Any, Any]]) -> int:
    """The most attacker nodes the metric can accept, given the attack edges used.

    ``attack_edges`` are certificates ``(good, attacker)``; the bound is the sum of
    ``capacity - 1`` over the distinct good endpoints that the flow reached.
    """
    confused = {good for good, _ in attack_edges if good in result.capacity}
    return sum(result.capacity[x] - 1 for x in confused)
