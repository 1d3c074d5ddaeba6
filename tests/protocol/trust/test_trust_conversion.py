"""Scales, claims, readers, and the weight callables networkx algorithms use."""

from __future__ import annotations

import networkx as nx
import pytest
from trusthelpers import aid, did, mark, rating, recognition

from confiance.protocol.model import Scale
from confiance.protocol.rules import CategoricalRule, LinearRule, ThresholdRule
from confiance.protocol.sentences import short_id
from confiance.protocol.trust import TrustGraph, from_unit, to_unit
from confiance.protocol.trust.conversion import Claim, compile_readers, resolve_claims

SIGNED = Scale(minimum=-10, maximum=10)
STARS = Scale(minimum=1, maximum=5)
ODD = Scale(minimum=-2, maximum=8)


@pytest.mark.parametrize(("scale", "value", "unit"), [
    (SIGNED, 10, 1.0), (SIGNED, -10, -1.0), (SIGNED, 0, 0.0), (SIGNED, 3, 0.3),
    (STARS, 1, 0.0), (STARS, 5, 1.0), (STARS, 4, 0.75), (STARS, 9, 1.0),
    (ODD, -1, -0.5), (ODD, 4, 0.5), (Scale(minimum=0, maximum=1), 0.25, 0.25),
    (Scale(minimum=-5, maximum=0), -5, -1.0),
])
def test_to_unit_and_back(scale: Scale, value: float, unit: float) -> None:
    assert to_unit(scale, value) == pytest.approx(unit)
    back = from_unit(scale, unit)
    assert back == pytest.approx(min(max(value, scale.minimum), scale.maximum))


def test_from_unit_clamps_distrust_on_unsigned_scales() -> None:
    assert from_unit(STARS, -0.7) == 1.0  # the bottom of a star scale is "no trust"


def _claim(kind: str, time: float, base: float | None, cid: str, **kw: object) -> Claim:
    return Claim(id=cid, kind=kind, issuer="u", subject="v", context="c", time=time,
                 base=base, **kw)  # type: ignore[arg-type]


def test_latest_evaluative_claim_wins_else_strongest_structural() -> None:
    old = _claim("Rating", 1, 0.9, "a")
    new = _claim("Rating", 2, -0.2, "b")
    ref = _claim("Referral", 3, 0.5, "c")
    rec = _claim("Recognition", 0, 1.0, "d")
    res = resolve_claims([old, new, ref, rec], "c")
    assert res is not None and res.claim.id == "b" and res.weight == -0.2
    res = resolve_claims([ref, rec], "c")
    assert res is not None and res.claim.id == "d"
    hidden_mark = _claim("TrustMark", 5, None, "e", value=99.0, mark="m")
    res = resolve_claims([hidden_mark, ref], "c")
    assert res is not None and res.claim.id == "c"  # nobody reads the mark
    res = resolve_claims([hidden_mark, ref], "c", evaluator="u", policy=TrustGraph().policy)
    assert res is not None and res.claim.id == "e" and res.weight == 1.0  # its issuer does


def test_readers_apply_to_their_mark_and_context_only() -> None:
    g = TrustGraph()
    g.add(aid("rec"), recognition("E2", "E1", ThresholdRule(thresholds=((90, 5),),
                                                             otherwise=2)))
    readers = compile_readers(g.recognitions("seller", did("E2")))
    (reader,) = readers[did("E1")]
    good = Claim(id="m", kind="TrustMark", issuer=did("E1"), subject="x", context="seller",
                 time=0, base=None, value=95, mark="https://e1.example/marks/pos")
    other = Claim(id="n", kind="TrustMark", issuer=did("E1"), subject="x", context="seller",
                  time=0, base=None, value=95, mark="https://e1.example/marks/other")
    elsewhere = Claim(id="o", kind="TrustMark", issuer=did("E1"), subject="x", context="wiki",
                      time=0, base=None, value=95, mark="https://e1.example/marks/pos")
    assert reader.applies(good) and not reader.applies(other) and not reader.applies(elsewhere)
    assert reader.read(good) == 1.0
    assert reader.read(Claim(id="p", kind="TrustMark", issuer=did("E1"), subject="x",
                             context="seller", time=0, base=None, value=50,
                             mark="https://e1.example/marks/pos")) == 0.25
    assert reader.sentence == (
        f"{short_id(did('E2'))} reads {short_id(did('E1'))}’s “e1.example/marks/pos” mark on "
        "its own 1..5 scale: 90 or more is 5, otherwise 2.")
    assert reader.sentence.count("scale") == 1


def test_a_rule_can_read_ratings_and_statuses() -> None:
    g = TrustGraph()
    g.add(aid("r"), rating("E1", "Bob", 4, scale=STARS))
    g.add(aid("m"), mark("E1", "Carol", None, "Administrator"))
    g.add(aid("rec1"), recognition("E2", "E1", LinearRule(source_min=1, source_max=5,
                                                          target_min=0, target_max=1),
                                   mark_id=None, scale=Scale(minimum=0, maximum=1)))
    g.add(aid("rec2"), recognition("E2", "E1", CategoricalRule(mapping=(("administrator", 0.9),)),
                                   scale=Scale(minimum=0, maximum=1)))
    view = g.view(did("E2"), "seller")
    assert view.edge_weight(did("E1"), did("Bob")) == 0.75
    assert view.edge_weight(did("E1"), did("Carol")) == 0.9
    # Everyone else reads E1's rating at its own scale and does not see the mark.
    other = g.view(did("E3"), "seller")
    assert other.edge_weight(did("E1"), did("Bob")) == 0.75
    assert other.edge_weight(did("E1"), did("Carol")) is None


def test_weight_callable_hides_edges_from_networkx_algorithms() -> None:
    g = TrustGraph()
    g.add(aid("a"), rating("E2", "E1", 10))
    g.add(aid("m"), mark("E1", "Alice", 97))
    stranger = g.view(did("E2"), "seller")
    with pytest.raises(nx.NetworkXNoPath):
        nx.dijkstra_path(stranger.graph, did("E2"), did("Alice"), weight=stranger.weight)
    g.add(aid("rec"), recognition("E2", "E1", ThresholdRule(thresholds=((95, 5),))))
    reader = g.view(did("E2"), "seller")
    assert nx.dijkstra_path(reader.graph, did("E2"), did("Alice"), weight=reader.weight) == [
        did("E2"), did("E1"), did("Alice")]
