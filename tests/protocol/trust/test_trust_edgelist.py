"""SNAP-style signed edge lists: both forms, headers and comments, rules, limits, errors."""

from __future__ import annotations

import pytest

from confiance.protocol.errors import LimitExceeded, MalformedDocument
from confiance.protocol.rules import ThresholdRule
from confiance.protocol.trust import (
    DEFAULT_RATING_RULE,
    DEFAULT_SIGN_RULE,
    EdgeListLimits,
    EdgeListParser,
    TrustGraph,
    load_edge_list,
)


def _weights(g: TrustGraph) -> dict[tuple[str, str], float | None]:
    return {(u, v): d["w"] for u, v, d in g.graph("default").edges(data=True)}


def test_csv_ratings_with_time() -> None:
    g = TrustGraph()
    rep = load_edge_list(g, ["6,2,4,1289241911.72836\n", "6,5,-10,1289241942.0\n",
                             "1,15,1,1289243140\n"], origin="otc")
    assert (rep.format, rep.edges, rep.linked, rep.rule) == ("csv", 3, 3, DEFAULT_RATING_RULE)
    assert _weights(g) == pytest.approx({("6", "2"): 0.4, ("6", "5"): -1.0, ("1", "15"): 0.1})
    claim = g.graph("default")["6"]["2"]["claims"][0]
    assert claim.id == "otc:1" and claim.time == 1289241911.72836


def test_snap_sign_form_with_comments_and_tabs() -> None:
    lines = ["# Directed graph: soc-sign-epinions.txt\n", "# FromNodeId\tToNodeId\tSign\n",
             "0\t1\t-1\n", "1\t128552\t1\n", "\n", "4 4 1\n"]
    g = TrustGraph()
    rep = load_edge_list(g, lines)
    assert (rep.format, rep.edges, rep.linked, rep.rule) == ("whitespace", 3, 2,
                                                             DEFAULT_SIGN_RULE)
    assert _weights(g) == {("0", "1"): -1.0, ("1", "128552"): 1.0}  # the self-loop is skipped


def test_headers_konect_comments_and_a_custom_rule() -> None:
    lines = ["% sym unweighted\n", "source_id target_id trust_value\n", "1 2 0.6\n",
             "1 3 1\n", "2 3 0.8\n"]
    rule = ThresholdRule(thresholds=((1.0, 1.0), (0.8, 0.5)))  # Apprentice (0.6) says nothing
    g = TrustGraph()
    rep = load_edge_list(g, lines, rule=rule, context="advogato")
    assert rep.edges == 3 and rep.linked == 2
    assert {(u, v) for u, v in g.graph("advogato").edges} == {("1", "3"), ("2", "3")}


def test_later_lines_win_for_the_same_pair() -> None:
    g = TrustGraph()
    load_edge_list(g, ["a b 1\n", "a b -1\n"])
    assert _weights(g) == {("a", "b"): -1.0}


def test_ratings_beyond_the_rule_are_clamped() -> None:
    g = TrustGraph()
    load_edge_list(g, ["a,b,50\n"])
    assert _weights(g) == {("a", "b"): 1.0}


@pytest.mark.parametrize(("lines", "message"), [
    (["1,2\n"], "line 1: expected source,target,rating"),
    (["1 2 3 4 5\n"], "line 1: expected source target sign"),
    (["1,2,3\n", "1,3,x\n"], "line 2: rating 'x' is not a number"),
    (["1,2,3\n", "1,3,nan\n"], "line 2: rating must be finite"),
    (["1,2,3,yesterday\n"], "line 1: time 'yesterday' is not a number"),
    (["1,,3\n"], "line 1: target id must have"),
    (["1," + "9" * 2000 + ",3\n"], "line 1: longer than 1024"),
])
def test_malformed_lines_name_the_line(lines: list[str], message: str) -> None:
    with pytest.raises(MalformedDocument, match=message):
        load_edge_list(TrustGraph(), lines)


def test_limits() -> None:
    parser = EdgeListParser(limits=EdgeListLimits(max_edges=2))
    with pytest.raises(LimitExceeded):
        list(parser.parse(["1 2 1\n", "2 3 1\n", "3 4 1\n"]))


def test_forced_format_and_empty_input() -> None:
    edges = list(EdgeListParser(fmt="whitespace").parse(["a,b c 1\n"]))
    assert [(e.source, e.target) for e in edges] == [("a,b", "c")]
    assert load_edge_list(TrustGraph(), ["# nothing\n"]).linked == 0
