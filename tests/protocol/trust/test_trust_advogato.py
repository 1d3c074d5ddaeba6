"""The Advogato metric: a worked example, certification levels, and the bound on accepted
Sybils per attack edge on a generated Sybil region."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable

import networkx as nx
import pytest

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.trust import ADVOGATO_CAPACITIES, advogato_admission, sybil_bound

Edges = dict[str, list[tuple[str, float]]]


def succ(edges: Edges) -> Callable[[str], Iterable[tuple[str, float]]]:
    return lambda u: edges.get(u, [])


def test_worked_example_with_virtual_seed() -> None:
    # Two seeds under a virtual root of capacity 6: each seed (distance 1) gets 3, so each
    # accepts itself and passes 2 units; x and y (distance 2) get 1 and pass nothing.
    edges: Edges = {"s1": [("x", 1.0), ("y", 1.0), ("z", 1.0)], "s2": [("y", 1.0)],
                    "x": [("w", 1.0)]}
    res = advogato_admission(succ(edges), ["s1", "s2"], capacities=(6, 3, 1))
    assert res.distance == {"s1": 1, "s2": 1, "x": 2, "y": 2, "z": 2}
    assert res.capacity == {"s1": 3, "s2": 3, "x": 1, "y": 1, "z": 1}
    # s1's two units reach two of x, y, z and s2's reach y only: a maximum flow sends s1's
    # to x and z, s2's to y.
    assert res.flow == 5
    assert res.accepted == {"s1", "s2", "x", "y", "z"}
    tight = advogato_admission(succ(edges), ["s1", "s2"], capacities=(6, 2, 1))
    assert tight.flow == 4 and {"s1", "s2", "y"} <= tight.accepted
    assert "w" not in res.accepted and "w" not in res.distance  # beyond capacity 1


def test_levels_drop_weaker_certificates() -> None:
    edges: Edges = {"r": [("m", 1.0), ("j", 0.8), ("a", 0.6), ("neg", -1.0)]}
    assert advogato_admission(succ(edges), ["r"]).accepted == {"r", "m", "j", "a"}
    assert advogato_admission(succ(edges), ["r"], level=0.8).accepted == {"r", "m", "j"}
    assert advogato_admission(succ(edges), ["r"], level=1.0).accepted == {"r", "m"}


def _world(rng: random.Random, n_good: int, n_sybil: int,
           confused: list[str]) -> tuple[Edges, list[tuple[str, str]]]:
    good = [f"g{i}" for i in range(n_good)]
    sybils = [f"sybil{i}" for i in range(n_sybil)]
    edges: Edges = {"root": [(g, 1.0) for g in good[:5]]}
    for g in good:
        edges.setdefault(g, []).extend((h, 1.0) for h in rng.sample(good, 3) if h != g)
    for s in sybils:  # the attacker certifies its own nodes densely
        edges[s] = [(t, 1.0) for t in rng.sample(sybils, 12) if t != s]
    attack = [(g, rng.choice(sybils)) for g in confused]
    for g, s in attack:
        edges[g].append((s, 1.0))
    return edges, attack


def _sybils(accepted: frozenset[str]) -> int:
    return sum(1 for x in accepted if x.startswith("sybil"))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_accepted_sybils_stay_under_the_bound(seed: int) -> None:
    rng = random.Random(seed)
    probe, _ = _world(random.Random(seed), 120, 0, [])
    distances = advogato_admission(succ(probe), ["root"]).distance
    by_distance = {d: sorted(n for n, dd in distances.items() if dd == d) for d in range(1, 6)}
    confused = [by_distance[2][0], by_distance[3][0]]
    edges, attack = _world(rng, 120, 600, confused)
    res = advogato_admission(succ(edges), ["root"])
    bound = sybil_bound(res, attack)
    caps = ADVOGATO_CAPACITIES
    assert bound == (caps[2] - 1) + (caps[3] - 1)  # 199 + 49: a property of the seed's view
    accepted = _sybils(res.accepted)
    assert 0 < accepted <= bound
    # Twice as many Sybils, certifying each other as much as they like: still under the bound.
    edges2, attack2 = _world(random.Random(seed), 120, 1200, confused)
    res2 = advogato_admission(succ(edges2), ["root"])
    assert _sybils(res2.accepted) <= sybil_bound(res2, attack2) == bound
    # Good nodes are not crowded out: every good node reachable is still accepted.
    reachable_good = {n for n in res.distance if n.startswith("g")}
    assert reachable_good <= res.accepted


def test_a_far_confused_node_admits_no_sybil() -> None:
    # A chain root -> c1 -> ... -> c7: c7 sits at distance 7, where capacity is 1.
    chain = [f"c{i}" for i in range(1, 8)]
    edges: Edges = {"root": [("c1", 1.0)]}
    for a, b in itertools.pairwise(chain):
        edges[a] = [(b, 1.0)]
    sybils = [f"sybil{i}" for i in range(50)]
    for s in sybils:
        edges[s] = [(t, 1.0) for t in sybils if t != s]
    edges["c7"] = [("sybil0", 1.0)]
    res = advogato_admission(succ(edges), ["root"])
    assert res.capacity["c7"] == 1
    assert sybil_bound(res, [("c7", "sybil0")]) == 0
    assert _sybils(res.accepted) == 0
    assert set(chain) <= res.accepted


def test_bad_arguments() -> None:
    with pytest.raises(LocalProtocolError):
        advogato_admission(succ({}), [])
    with pytest.raises(LocalProtocolError):
        advogato_admission(succ({}), ["r"], capacities=(0,))


def _networkx_flow(edges: Edges, seeds: list[str], capacities: tuple[int, ...],
                   distance: dict[str, int]) -> int:
    """The same network built for networkx's preflow-push: an independent maximum."""
    cap = {x: capacities[d] if d < len(capacities) else 1 for x, d in distance.items()}
    net = nx.DiGraph()
    if len(seeds) == 1:
        net.add_edge("S", ("in", seeds[0]))
    else:
        net.add_edge("S", "root", capacity=capacities[0])
        for s in seeds:
            net.add_edge("root", ("in", s))
    for x, c in cap.items():
        net.add_edge(("in", x), "T", capacity=1)
        if c > 1:
            net.add_edge(("in", x), ("out", x), capacity=c - 1)
            for v, w in edges.get(x, []):
                if w > 0 and v != x:
                    net.add_edge(("out", x), ("in", v))
    return int(nx.maximum_flow_value(net, "S", "T"))


@pytest.mark.parametrize("seed", range(6))
def test_the_flow_is_maximal(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(60)]
    edges: Edges = {u: [(v, 1.0) for v in rng.sample(nodes, rng.randint(0, 4)) if v != u]
                    for u in nodes}
    seeds = nodes[:1] if seed % 2 else nodes[:3]
    caps = (25, 8, 4, 2, 1)
    res = advogato_admission(succ(edges), seeds, capacities=caps)
    assert res.flow == len(res.accepted) == _networkx_flow(edges, seeds, caps, res.distance)
