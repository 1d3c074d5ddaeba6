"""MoleTrust and TidalTrust on hand-computed graphs, with the one-step distrust rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.trust import moletrust, moletrust_trustlet, tidaltrust

Edges = dict[str, list[tuple[str, float]]]


def succ(edges: Edges) -> Callable[[str], Iterable[tuple[str, float]]]:
    return lambda u: edges.get(u, [])


MOLE: Edges = {
    "me": [("a", 1.0), ("b", 0.6), ("c", 0.3)],
    "a": [("d", 0.8), ("e", 0.9)],
    "b": [("d", 0.2), ("h", -1.0)],
    "c": [("d", 1.0)],               # c is trusted 0.3 < 0.5: its word does not count
    "d": [("f", 1.0), ("g", -1.0)],  # d is at distance 2: its distrust of g is not used
    "e": [("f", 0.5)],
    "f": [("i", 1.0)],               # i lies beyond the horizon
}


def test_moletrust_worked_example() -> None:
    t = moletrust(succ(MOLE), "me", horizon=3, threshold=0.5)
    assert t.keys() == {"a", "b", "c", "d", "e", "h", "f"}
    assert (t["a"], t["b"], t["c"]) == (1.0, 0.6, 0.3)       # direct statements
    assert t["d"] == pytest.approx((1.0 * 0.8 + 0.6 * 0.2) / (1.0 + 0.6))  # 0.575
    assert t["e"] == pytest.approx(0.9)
    assert t["h"] == pytest.approx(-1.0)  # a trusted acquaintance's distrust counts
    assert t["f"] == pytest.approx((0.575 * 1.0 + 0.9 * 0.5) / (0.575 + 0.9))  # 41/59
    assert "g" not in t and "i" not in t


def test_moletrust_direct_statement_wins_and_threshold_stops() -> None:
    edges = dict(MOLE, me=[*MOLE["me"], ("d", 0.1)])
    t = moletrust(succ(edges), "me", horizon=3, threshold=0.5)
    assert t["d"] == 0.1
    # f is now at distance 2 (me -> d -> f) and d (0.1) does not pass trust on: the levels
    # are fixed first (Massa and Avesani), so e's longer path does not count
    assert "f" not in t
    assert moletrust(succ(MOLE), "me", horizon=1).keys() == {"a", "b", "c"}
    strict = moletrust(succ(MOLE), "me", threshold=0.7)  # b (0.6) no longer passes trust on
    assert "h" not in strict and strict["d"] == pytest.approx(0.8)


def test_moletrust_distrusted_nodes_pass_nothing_on() -> None:
    edges: Edges = {"me": [("x", -1.0)], "x": [("y", 1.0)]}
    assert moletrust(succ(edges), "me") == {"x": -1.0}


def test_moletrust_handles_cycles_and_self_edges() -> None:
    edges: Edges = {"me": [("a", 1.0), ("me", 1.0)], "a": [("me", 1.0), ("b", 0.7)],
                    "b": [("a", 0.1)]}
    assert moletrust(succ(edges), "me") == {"a": 1.0, "b": 0.7}


def pred(edges: Edges) -> Callable[[str], Iterable[tuple[str, float]]]:
    into: Edges = {}
    for u, out in edges.items():
        for v, w in out:
            into.setdefault(v, []).append((u, w))
    return lambda v: into.get(v, [])


def test_moletrust_trustlet_levels_share_state() -> None:
    # b and c at distance 2; b is named first, so Trustlet's c also draws on b
    edges: Edges = {"s": [("a", 1.0)], "a": [("b", 0.8), ("c", 0.6)], "b": [("c", 0.2)]}
    t = moletrust_trustlet(succ(edges), pred(edges), "s")
    assert t == {"a": 1.0, "b": 0.8, "c": pytest.approx((0.6 * 1.0 + 0.2 * 0.8) / 1.8)}
    assert moletrust(succ(edges), "s")["c"] == 0.6  # the textbook value: a's word alone
    # named the other way round, c comes first and draws on a alone: names matter
    renamed: Edges = {"s": [("a", 1.0)], "a": [("z", 0.8), ("c", 0.6)], "z": [("c", 0.2)]}
    assert moletrust_trustlet(succ(renamed), pred(renamed), "s")["c"] == 0.6


def test_moletrust_trustlet_query_and_thresholds() -> None:
    edges: Edges = {"s": [("a", 1.0), ("b", 0.4)], "a": [("t", 0.6)], "b": [("t", 1.0)],
                    "t": [("far", 1.0)]}
    into = pred(edges)
    assert moletrust_trustlet(succ(edges), into, "s", "t")["t"] == pytest.approx(
        (0.6 + 0.4) / 1.4)
    # a node below the threshold passes nothing on; below the edge threshold, no word
    assert moletrust_trustlet(succ(edges), into, "s", "t", threshold=0.5)["t"] == 0.6
    # s -> b (0.4) is below the edge threshold: b is valued 0, so its word weighs nothing
    assert moletrust_trustlet(succ(edges), into, "s", "t", edge_threshold=0.5)["t"] == 0.6
    assert moletrust_trustlet(succ(edges), into, "s", "far", horizon=2) == {}
    assert "far" in moletrust_trustlet(succ(edges), into, "s", horizon=3)


TIDAL: Edges = {
    "S": [("A", 0.9), ("B", 0.8), ("C", 0.4)],
    "A": [("D", 0.7)],
    "B": [("D", 0.9), ("E", 0.6)],
    "C": [("E", 1.0)],
    "D": [("T", 0.5)],
    "E": [("T", 1.0)],
}


def test_tidaltrust_worked_example() -> None:
    # Strongest path strength: S-B-D = min(0.8, 0.9) = 0.8 (S-A-D 0.7, S-B-E 0.6, S-C-E 0.4).
    # Only edges >= 0.8 count: t(B) = w(B,D) t(D) / w(B,D) = 0.5; t(S) = t(B) = 0.5.
    assert tidaltrust(succ(TIDAL), "S", "T") == pytest.approx(0.5)


def test_tidaltrust_direct_shortest_and_horizon() -> None:
    edges = dict(TIDAL, S=[*TIDAL["S"], ("T", 0.2)])
    assert tidaltrust(succ(edges), "S", "T") == 0.2
    assert tidaltrust(succ(TIDAL), "S", "T", max_depth=2) is None
    assert tidaltrust(succ(TIDAL), "S", "S") is None
    assert tidaltrust(succ(TIDAL), "S", "nobody") is None


def test_tidaltrust_one_step_distrust() -> None:
    assert tidaltrust(succ({"S": [("A", 0.9)], "A": [("T", -0.8)]}), "S", "T") == -0.8
    far: Edges = {"S": [("A", 0.9)], "A": [("B", 0.9)], "B": [("T", -1.0)]}
    assert tidaltrust(succ(far), "S", "T") is None


def test_bad_parameters() -> None:
    with pytest.raises(LocalProtocolError):
        moletrust(succ(MOLE), "me", horizon=0)
    with pytest.raises(LocalProtocolError):
        moletrust(succ(MOLE), "me", threshold=2)
    with pytest.raises(LocalProtocolError):
        tidaltrust(succ(TIDAL), "S", "T", max_depth=0)
