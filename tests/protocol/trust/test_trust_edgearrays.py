"""The numpy edge-list loader: same parse, same errors, same graph and scores as the claims
path (``edgelist.py``), without networkx until something changes the graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confiance.protocol.errors import ConfianceError, LimitExceeded, MalformedDocument
from confiance.protocol.rules import ThresholdRule
from confiance.protocol.trust import (
    Claim,
    EdgeListLimits,
    EdgeListParser,
    TrustEngine,
    TrustGraph,
    load_edge_list,
)
from confiance.protocol.trust.arraygraph import ArrayAdjacency
from confiance.protocol.trust.edgearrays import load_edge_arrays, parse_edge_arrays
from confiance.protocol.trust.matrix import compiled

OTC = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "bitcoin-otc" \
    / "soc-sign-bitcoinotc.csv"

SAMPLES = [
    ["6,2,4,1289241911.72836\n", "6,5,-10,1289241942.0\n", "1,15,1,1289243140\n",
     "6,2,-3,5\n", "2,6,1,7\n", "2,6,3,7\n", "2,6,2\n"],
    ["# Directed graph\n", "a b 1\n", "a b -1\n", "b a 1\n", "c c 1\n", " % c\n", "\n",
     "d a 1 3\n", "a\tc\t1\r\n"],
    ["% sym\n", "source_id target_id trust_value\n", "1 2 0.6\n", "1 3 1\n", "2 3 0.8\n"],
    ["x, y , 3\n", " y,z,4,9\n", "p q,r,1\n", "é,x,2\n"],
    ["# nothing\n"],
    [],
]


def _same_graph(a: TrustEngine, b: TrustEngine) -> None:
    ca, _ = compiled(a.graph, "default")
    cb, _ = compiled(b.graph, "default")
    assert ca.nodes == cb.nodes
    for name in ("signed", "transition_t", "transition"):
        x, y = getattr(ca, name), getattr(cb, name)
        assert np.array_equal(x.indptr, y.indptr) and np.array_equal(x.indices, y.indices)
        assert np.array_equal(x.data, y.data)
    ga, gb = a.graph.graph("default"), b.graph.adjacency("default")
    assert isinstance(gb, ArrayAdjacency)
    for u in ga:
        assert list(ga.succ[u]) == list(gb.succ[u]) and list(ga.pred[u]) == list(gb.pred[u])
        for v, data in ga.succ[u].items():
            assert gb.succ[u][v]["w"] == data["w"] and gb.succ[u][v]["claims"] == data["claims"]
    rebuilt = gb.to_networkx()
    assert list(rebuilt.edges(data=True)) == list(ga.edges(data=True))
    assert all(list(rebuilt.pred[u]) == list(ga.pred[u]) for u in ga)


@pytest.mark.parametrize("lines", SAMPLES)
def test_same_report_and_graph_as_the_claims_path(lines: list[str]) -> None:
    a, b = TrustEngine(), TrustEngine()
    assert load_edge_list(a, lines, origin="f") == load_edge_arrays(b, lines, origin="f")
    if a.graph.contexts:
        _same_graph(a, b)
    joined = "".join(lines)
    for data in (joined, joined.encode()):
        c = TrustEngine()
        assert load_edge_arrays(c, data, origin="f") == load_edge_arrays(TrustEngine(), lines,
                                                                         origin="f")


def test_a_custom_rule_and_a_forced_format() -> None:
    rule = ThresholdRule(thresholds=((1.0, 1.0), (0.8, 0.5)))
    lines = ["1 2 0.6\n", "1 3 1\n", "2 3 0.8\n"]
    a, b = TrustEngine(), TrustEngine()
    assert load_edge_list(a, lines, rule=rule) == load_edge_arrays(b, lines, rule=rule)
    _same_graph(a, b)
    arrays = parse_edge_arrays(["a,b c 1\n"], fmt="whitespace")
    assert arrays.source.tolist() == [b"a,b"] and arrays.target.tolist() == [b"c"]


BAD = [
    ["1,2\n"], ["1 2 3 4 5\n"], ["1,2,3\n", "1,3,x\n"], ["1,2,3\n", "1,3,nan\n"],
    ["1,2,3,yesterday\n"], ["1,2,3,inf\n"], ["1,,3\n"], [",2,3\n"],
    ["1," + "9" * 2000 + ",3\n"], ["# " + "x" * 2000 + "\n", "1 2 3\n"],
    ["a b 1\n", "a" * 300 + " b 1\n"], ["h1 h2 h3\n", "a b c\n"], ["a b 1\n", "c d\n", "e\n"],
    ["1,2,3\n", "1,3,x\n", "1 2\n"], ["1,2,3\n", "1,2,\n"], ["1 2 1\n", "2 3 1\n", "3 4 1\n"],
    ["1 2 1\n", "2 3 1\n", "3 4 x\n"], ["1 2 1\n", "2 3 1\n", "3 4\n"],
    ["1 2 1\n"] * 5,
]


@pytest.mark.parametrize("lines", BAD)
def test_errors_name_the_same_line_with_the_same_words(lines: list[str]) -> None:
    limits = EdgeListLimits(max_edges=2, max_lines=4)
    with pytest.raises(ConfianceError) as old:
        list(EdgeListParser(limits=limits).parse(lines))
    with pytest.raises(ConfianceError) as new:
        parse_edge_arrays(lines, limits=limits)
    assert type(new.value) is type(old.value) and str(new.value) == str(old.value)


def test_limits_and_text_errors() -> None:
    with pytest.raises(LimitExceeded, match="more than 2 edges"):
        parse_edge_arrays(b"1 2 1\n2 3 1\n3 4 1\n", limits=EdgeListLimits(max_edges=2))
    with pytest.raises(MalformedDocument, match="not UTF-8"):
        parse_edge_arrays(b"\xff 2 1\n")


def test_an_update_turns_the_arrays_into_the_same_digraph() -> None:
    lines = SAMPLES[0]
    a, b = TrustEngine(), TrustEngine()
    load_edge_list(a, lines)
    load_edge_arrays(b, lines)
    assert isinstance(b.graph.adjacency("default"), ArrayAdjacency)
    claim = Claim("new", "Rating", "6", "1", "default", 2e9, 0.7, 7.0)
    a.add_claims([claim])
    b.add_claims([claim])
    assert not isinstance(b.graph.adjacency("default"), ArrayAdjacency)
    assert list(a.graph.graph("default").edges(data=True)) == \
        list(b.graph.graph("default").edges(data=True))
    assert a.rank("6").to_json() == b.rank("6").to_json()


def test_a_context_already_held_links_claims() -> None:
    g = TrustGraph()
    load_edge_arrays(g, ["a b 1\n"])
    report = load_edge_arrays(g, ["b c 1\n"])  # same context: added as claims
    assert report.linked == 1 and set(g.graph("default").edges) == {("a", "b"), ("b", "c")}


@pytest.mark.skipif(not OTC.exists(), reason="needs ../shared/data/bitcoin-otc")
def test_bitcoin_otc_scores_are_identical() -> None:
    text = OTC.read_bytes()
    a, b = TrustEngine(), TrustEngine()
    assert load_edge_list(a, text.decode().splitlines(keepends=True), origin="otc") == \
        load_edge_arrays(b, text, origin="otc")
    _same_graph(a, b)
    for source in ("1", "35", "2642"):
        for algorithm in ("ppr", "eigentrust"):
            ra, rb = a.rank(source, algorithm=algorithm, top=20), \
                b.rank(source, algorithm=algorithm, top=20)
            assert [e.node for e in ra.entries] == [e.node for e in rb.entries]
            assert np.allclose([e.score for e in ra.entries], [e.score for e in rb.entries],
                               rtol=0, atol=1e-12)
        target = a.rank(source, top=3).entries[-1].node
        for algorithm in ("ppr", "moletrust", "tidaltrust"):
            assert a.trust(source, target, algorithm=algorithm).to_json() == \
                b.trust(source, target, algorithm=algorithm).to_json()
    assert isinstance(b.graph.adjacency("default"), ArrayAdjacency)  # never materialised
