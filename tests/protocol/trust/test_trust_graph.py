"""The contextual graph: statuses, revocation and consent, supersession, the clock, context
mapping, and incremental updates that match a graph built from scratch."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pytest
from trusthelpers import SIGNED, aid, at, did, mark, rating, recognition

from confiance.protocol.errors import LocalProtocolError
from confiance.protocol.model import Acceptance, Rating, Revocation
from confiance.protocol.rules import LinearRule
from confiance.protocol.trust import TrustEngine, TrustGraph
from confiance.protocol.trust.matrix import compiled, operator_for
from confiance.protocol.trust.pagerank import pagerank_sparse

A, B, C = did("A"), did("B"), did("C")


def weight(graph: TrustGraph, u: str, v: str, context: str = "seller") -> float | None:
    return graph.view(u, context).edge_weight(u, v)


def test_valid_assertions_make_edges_others_do_not() -> None:
    g = TrustGraph()
    assert g.add(aid("r1"), rating("A", "B", 5))
    assert weight(g, A, B) == 0.5
    assert not g.add(aid("r2"), rating("A", "C", 5), "expired")
    assert weight(g, A, C) is None
    assert g.set_status(aid("r2"), "valid") and weight(g, A, C) == 0.5
    assert g.set_status(aid("r1"), "revoked") and weight(g, A, B) is None
    assert g.status(aid("r1")) == "revoked"
    with pytest.raises(LocalProtocolError):
        g.add(aid("r3"), rating("A", "C", 1), "maybe")


def test_revocation_by_the_issuer_only_and_in_any_order() -> None:
    g = TrustGraph()
    g.add(aid("r"), rating("A", "B", 5))
    forged = Revocation(issuer=C, target=aid("r"), context=None, valid_from=at(1))
    g.add(aid("forged"), forged)
    assert weight(g, A, B) == 0.5
    g.add(aid("rev"), Revocation(issuer=A, target=aid("r"), context=None, valid_from=at(1)))
    assert weight(g, A, B) is None and g.status(aid("r")) == "revoked"
    # A revocation that arrives before its target applies when the target comes.
    g.add(aid("rev2"), Revocation(issuer=A, target=aid("late"), context=None, valid_from=at(1)))
    g.add(aid("late"), rating("A", "C", 5))
    assert weight(g, A, C) is None


def test_the_subjects_decision_counts_and_the_latest_wins() -> None:
    g = TrustGraph()
    g.add(aid("r"), rating("A", "B", 5))
    g.add(aid("x"), Acceptance(issuer=C, target=aid("r"), accepted=False, context=None,
                               valid_from=at(1)))
    assert weight(g, A, B) == 0.5  # only the subject decides
    g.add(aid("no"), Acceptance(issuer=B, target=aid("r"), accepted=False, context=None,
                                valid_from=at(1)))
    assert weight(g, A, B) is None and g.status(aid("r")) == "rejected-by-subject"
    g.add(aid("yes"), Acceptance(issuer=B, target=aid("r"), accepted=True, context=None,
                                 valid_from=at(2)))
    assert weight(g, A, B) == 0.5


def test_the_newest_of_a_slot_counts() -> None:
    g = TrustGraph()
    g.add(aid("old"), rating("A", "B", 8, day=0))
    g.add(aid("new"), rating("A", "B", -4, day=1))
    assert weight(g, A, B) == -0.4
    assert g.status(aid("old")) == "superseded" and g.status(aid("new")) == "valid"
    g.set_status(aid("new"), "revoked")
    assert weight(g, A, B) == 0.8  # the older one stands again
    g.remove(aid("old"))
    assert weight(g, A, B) is None


def test_refresh_applies_the_callers_clock() -> None:
    g = TrustGraph()
    short = Rating(issuer=A, subject=B, score=5, scale=SIGNED, context="seller",
                   valid_from=at(0), valid_until=at(10))
    later = rating("A", "C", 5, day=5)
    g.add(aid("short"), short)
    g.add(aid("later"), later, "not-yet-valid")
    assert weight(g, A, C) is None
    assert g.refresh(at(6)) == [aid("later")]
    assert weight(g, A, C) == 0.5 and weight(g, A, B) == 0.5
    assert g.refresh(at(10) + timedelta(seconds=1)) == [aid("short")]
    assert weight(g, A, B) is None and g.status(aid("short")) == "expired"


def test_self_assertions_make_no_edge() -> None:
    g = TrustGraph()
    g.add(aid("self"), rating("A", "A", 10))
    assert g.graph("seller").number_of_edges() == 0


STARS = LinearRule(source_min=0, source_max=100, target_min=1, target_max=5)


def test_context_mapping_reads_their_seller_as_our_buyer() -> None:
    e = TrustEngine()
    e.add(aid("m"), mark("E1", "Alice", 75, context="seller"))
    e.add(aid("rec"), recognition("E2", "E1", STARS, context="buyer", source_context="seller"))
    res = e.trust(did("E2"), did("Alice"), "buyer")
    assert res.score == 4.0 and res.value == 0.75  # 75% -> 4 stars -> 0.75
    hop = res.paths[0].hops[-1]
    assert hop.context == "seller" and "read as “buyer” here" in (hop.rule or "")
    # Someone who trusts E2 in "buyer" but has no rule of its own does not read E1's mark.
    e.add(aid("t"), rating("E3", "E2", 10, context="buyer"))
    assert e.trust(did("E3"), did("Alice"), "buyer").value is None
    # A mark E1 issues later is imported too; withdrawing the rule removes the imports.
    e.add(aid("m2"), mark("E1", "Bob", 100, context="seller"))
    assert e.trust(did("E2"), did("Bob"), "buyer").score == 5.0
    e.set_status(aid("rec"), "revoked")
    assert e.graph.graph("buyer").number_of_edges() == 1  # only E3 -> E2 is left
    assert e.trust(did("E2"), did("Alice"), "buyer").value is None


def _random_ratings(rng: random.Random, n: int, count: int) -> list[Rating]:
    out = []
    for i in range(count):
        u, v = rng.sample(range(n), 2)
        out.append(rating(f"n{u}", f"n{v}", rng.choice([-10, -2, 1, 3, 5, 10]), day=i))
    return out


def test_incremental_updates_match_a_graph_built_from_scratch() -> None:
    rng = random.Random(5)
    ratings = _random_ratings(rng, 60, 500)
    live = TrustEngine()
    for i, r in enumerate(ratings[:300]):
        live.add(aid(f"r{i}"), r)
    source = did("n0")
    live.rank(source, "seller")  # compiles the matrix
    for i, r in enumerate(ratings[300:], start=300):  # now only rows are patched
        live.add(aid(f"r{i}"), r)
        if i % 50 == 0:
            live.set_status(aid(f"r{i - 7}"), "revoked")
    _, dirty = compiled(live.graph, "seller")
    assert dirty  # the compiled matrix was patched, not rebuilt
    fresh = TrustEngine()
    for i, r in enumerate(ratings):
        fresh.add(aid(f"r{i}"), r)
        if i >= 300 and i % 50 == 0:
            fresh.set_status(aid(f"r{i - 7}"), "revoked")
    op_live = operator_for(live.graph.view(source, "seller"))
    op_fresh = operator_for(fresh.graph.view(source, "seller"))
    order = [op_fresh.index(n) for n in op_live.nodes]
    assert None not in order
    x = np.random.default_rng(1).random(op_live.n)
    y_live = op_live.apply(x)
    x_fresh = np.zeros(op_fresh.n)
    x_fresh[order] = x
    assert np.allclose(op_fresh.apply(x_fresh)[order], y_live, atol=1e-15)
    i_live = op_live.index(source)
    i_fresh = op_fresh.index(source)
    assert i_live is not None and i_fresh is not None
    p_live = pagerank_sparse(op_live, {i_live: 1.0}).x
    p_fresh = pagerank_sparse(op_fresh, {i_fresh: 1.0}).x
    assert np.abs(p_fresh[order] - p_live).sum() < 1e-11


def test_many_dirty_rows_trigger_a_recompilation() -> None:
    g = TrustGraph()
    g.add(aid("seed"), rating("A", "B", 5))
    first, _ = compiled(g, "seller")
    for i in range(300):
        g.add(aid(f"x{i}"), rating(f"u{i}", f"v{i}", 5))
    second, dirty = compiled(g, "seller")
    assert second is not first and not dirty and second.n == 602
