"""The named layers after each algorithm (distrust, referral penalty), the raw figure
beside the adjusted one, and ``ppr`` without layers equal to networkx's definition."""

from __future__ import annotations

import networkx as nx
import pytest
from trusthelpers import aid, did, rating, referral

from confiance.protocol.errors import RemoteProtocolError
from confiance.protocol.trust import TrustEngine

ME = did("Me")


def _engine() -> TrustEngine:
    """Me trusts A and B; A distrusts X (one hop); R referred X to Me before that."""
    e = TrustEngine()
    edges = [("Me", "A", 10), ("Me", "B", 8), ("A", "X", -10), ("B", "X", 10), ("B", "R", 10),
             ("A", "R", 6), ("R", "X", 10), ("X", "B", 5), ("R", "Me", 4)]
    for i, (u, v, s) in enumerate(edges):
        e.add(aid(f"r{i}"), rating(u, v, s, day=10 + i))
    e.add(aid("ref"), referral("R", "X", "Me", day=1))
    return e


def test_ppr_layers_and_the_raw_figure() -> None:
    e = _engine()
    on = e.trust(ME, did("X"), "seller", "ppr")
    off = e.trust(ME, did("X"), "seller", "ppr", distrust="none", penalty=False)
    assert on.raw == off.raw == off.value and on.raw is not None
    # A (trust 1.0) distrusts X fully, B (0.8) trusts it: d = 1.0 / 1.8
    assert on.distrust.value == pytest.approx(1 / 1.8)
    assert on.value == pytest.approx(on.raw * (1 - 1 / 1.8))
    assert on.layers == {"distrust": "one-hop", "penalty": "on"}
    assert off.layers == {"distrust": "none", "penalty": "off"} and off.distrust.value == 0
    doc = on.to_json()
    assert doc["raw"] == pytest.approx(on.raw) and doc["details"]["raw"] == doc["raw"]
    # the referrer of X pays at Me: R's score is cut by its penalty, the raw one is not
    r = e.trust(ME, did("R"), "seller", "ppr")
    assert r.penalty.value == pytest.approx(0.1 * (1 / 1.8))
    assert r.value == pytest.approx(r.raw * (1 - r.penalty.value))
    assert e.trust(ME, did("R"), "seller", "ppr", penalty=False).value == pytest.approx(r.raw)


def test_ppr_without_layers_ranks_like_networkx() -> None:
    e = _engine()
    g = nx.DiGraph()
    for u, v, w in [("Me", "A", 1.0), ("Me", "B", 0.8), ("B", "X", 1.0), ("B", "R", 1.0),
                    ("A", "R", 0.6), ("R", "X", 1.0), ("X", "B", 0.5), ("R", "Me", 0.4)]:
        g.add_edge(did(u), did(v), weight=w)
    want = nx.pagerank(g, alpha=0.85, personalization={ME: 1.0}, tol=1e-15)
    ranked = e.rank(ME, "seller", "ppr", top=10, distrust="none", penalty=False)
    assert [x.node for x in ranked.entries] == sorted(
        (n for n in want if n != ME), key=lambda n: -want[n])
    for entry in ranked.entries:
        assert entry.score == entry.raw == pytest.approx(want[entry.node], abs=1e-9)
    adjusted = e.rank(ME, "seller", "ppr", top=10)
    assert adjusted.layers == {"distrust": "one-hop", "penalty": "on"}
    x = next(x for x in adjusted.entries if x.node == did("X"))
    assert x.raw == pytest.approx(want[did("X")], abs=1e-9) and x.score < x.raw
    assert adjusted.to_json()["entries"][0].keys() == {"node", "score", "raw"}


def test_moletrust_distrust_layer() -> None:
    e = _engine()
    # A (1.0) says -1 and B (0.8) says +1 of X: the one-hop average reads both
    assert e.trust(ME, did("X"), "seller").raw == pytest.approx((-1.0 + 0.8) / 1.8)
    # without the distrust layer negative edges are not read at all: only B's word
    none = e.trust(ME, did("X"), "seller", distrust="none")
    assert none.raw == pytest.approx(1.0) and none.distrust.value == 0.0


def test_unknown_layers_are_refused() -> None:
    e = _engine()
    with pytest.raises(RemoteProtocolError, match="distrust layer"):
        e.trust(ME, did("X"), "seller", "ppr", distrust="two-hop")
    with pytest.raises(RemoteProtocolError, match="distrust layer"):
        e.rank(ME, "seller", distrust="all")
