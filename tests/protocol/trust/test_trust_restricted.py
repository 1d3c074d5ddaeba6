"""The reachable-set matrices after updates: patched in place when the set stays closed,
searched afresh otherwise, and the same vector either way (against a solve on the whole,
unrestricted operator)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from trusthelpers import aid, did, mark, rating, recognition

from confiance.protocol.rules import LinearRule
from confiance.protocol.trust import Claim, TrustEngine
from confiance.protocol.trust.matrix import operator_for
from confiance.protocol.trust.pagerank import pagerank_sparse

# s -> a -> b -> s is the cycle the source sits on; b -> d (d dangling); e, f and h are
# outside what s reaches, h without out-edges.
EDGES = [("s", "a"), ("a", "b"), ("b", "s"), ("b", "d"), ("a", "c"), ("c", "a"), ("e", "s"),
         ("f", "e"), ("e", "h")]


def _engine(extra: list[tuple[str, str, float]]) -> TrustEngine:
    engine = TrustEngine()
    claims = [Claim(f"e:{k}", "Rating", u, v, "default", float(k), 0.8)
              for k, (u, v) in enumerate(EDGES)]
    engine.add_claims(claims)
    engine.rank("s", "default", "ppr", top=3)  # compiles, caches the base reachable set
    engine.add_claims([Claim(f"x:{k}", "Rating", u, v, "default", 100.0 + k, w)
                       for k, (u, v, w) in enumerate(extra)])
    return engine


def _solve_both(engine: TrustEngine) -> tuple[np.ndarray, np.ndarray, bool]:
    op = operator_for(engine.graph.view("s", "default"))
    i = op.index("s")
    assert i is not None
    sub = op.restricted([i])
    local = pagerank_sparse(sub.split, {int(sub.local[i]): 1.0})
    restricted = np.zeros(op.n)
    restricted[sub.order] = local.x
    whole = pagerank_sparse(op, {i: 1.0}).x
    return restricted, whole, sub.split.extra is not None


@pytest.mark.parametrize(("extra", "patched"), [
    ([("a", "s", 0.5)], True),  # a new edge inside the set: patched
    ([("c", "b", 1.0), ("s", "b", 0.3)], True),  # two rows replaced inside the set
    ([("a", "b", -1.0)], True),  # a's positive edge to b withdrawn by a later rating
    ([("e", "f", 1.0)], True),  # a row outside the set: nothing to patch in it
    ([("b", "e", 1.0)], False),  # the set grows: e is reached now
    ([("d", "s", 1.0)], False),  # a dangling node gains an out-edge
    ([("a", "g", 1.0)], True),  # a subject new to the graph joins, dangling
    ([("a", "h", 1.0), ("c", "g", 0.5)], True),  # so do a dangling node from outside and g
    ([("a", "f", 1.0)], False),  # f is outside and has out-edges: the set grows further
    ([("a", "g", 1.0), ("g", "e", 1.0)], False),  # the new node has out-edges itself
])
def test_patched_or_searched_afresh_same_vector(extra: list[tuple[str, str, float]],
                                                patched: bool) -> None:
    restricted, whole, was_patched = _solve_both(_engine(extra))
    assert was_patched is patched
    assert np.abs(restricted - whole).sum() < 1e-12
    assert abs(restricted.sum() - 1.0) < 1e-12


def test_engine_answers_match_a_fresh_engine_after_updates() -> None:
    rng = np.random.default_rng(5)
    nodes = [f"n{i}" for i in range(60)]
    base = [(nodes[u], nodes[v], float(w)) for u, v, w in zip(
        rng.integers(0, 60, 300), rng.integers(0, 60, 300), rng.uniform(-0.3, 1, 300),
        strict=True) if u != v]
    live = TrustEngine()
    live.add_claims([Claim(f"b:{k}", "Rating", u, v, "default", float(k), w)
                     for k, (u, v, w) in enumerate(base)])
    source = base[0][0]
    live.rank(source, "default", "ppr", top=5)
    more = nodes + [f"new{i}" for i in range(20)]  # subjects new to the graph, too
    updates = [(more[u], more[v], float(w)) for u, v, w in zip(
        rng.integers(0, 60, 40), rng.integers(0, 80, 40), rng.uniform(-0.3, 1, 40),
        strict=True) if u != v]
    for k, (u, v, w) in enumerate(updates):  # one at a time, a query after each
        live.add_claims([Claim(f"u:{k}", "Rating", u, v, "default", 1000.0 + k, w)])
        live.rank(source, "default", "ppr", top=5)
    fresh = TrustEngine()
    fresh.add_claims([Claim(f"b:{k}", "Rating", u, v, "default", float(k), w)
                      for k, (u, v, w) in enumerate(base)]
                     + [Claim(f"u:{k}", "Rating", u, v, "default", 1000.0 + k, w)
                        for k, (u, v, w) in enumerate(updates)])
    got = {e.node: e.score for e in live.rank(source, "default", "ppr", top=80).entries}
    want = {e.node: e.score for e in fresh.rank(source, "default", "ppr", top=80).entries}
    assert any(node.startswith("new") for node in got)
    assert got.keys() == want.keys()
    assert sum(abs(got[k] - want[k]) for k in got) < 1e-11


def test_recognitions_marks_and_ratings_in_any_order_match_a_fresh_engine() -> None:
    """An evaluator whose view rewrites rows (it reads E1's marks through a rule), updated
    one assertion at a time with a ``ppr`` query after each: the answers of the live engine
    (cached sets, patched or searched afresh, warm starts) equal a fresh engine's."""
    rng = np.random.default_rng(9)
    people = [f"P{i}" for i in range(25)]
    rule = LinearRule(source_min=0, source_max=100, target_min=1, target_max=5)
    items: list[tuple[str, Any]] = [("rec", recognition("E2", "E1", rule))]
    for k in range(120):
        u, v = rng.choice(people, 2, replace=False)
        pick = rng.random()
        if pick < 0.2:  # E1 marks someone: E2 reads it through its rule
            items.append((f"m{k}", mark("E1", str(v), float(rng.integers(0, 101)))))
        elif pick < 0.3:
            items.append((f"e{k}", rating("E2", str(v), float(rng.integers(-10, 11)))))
        else:
            items.append((f"r{k}", rating(str(u), str(v), float(rng.integers(-10, 11)),
                                          day=float(k))))
    live = TrustEngine()
    evaluator = did("E2")
    for name, assertion in items:
        live.add(aid(name), assertion)
        if name == "rec" or name[0] in "me" or int(name[1:]) % 5 == 0:
            live.rank(evaluator, "seller", "ppr", top=5)
    fresh = TrustEngine()
    for name, assertion in items:
        fresh.add(aid(name), assertion)
    got = {e.node: e.score for e in live.rank(evaluator, "seller", "ppr", top=100).entries}
    want = {e.node: e.score for e in fresh.rank(evaluator, "seller", "ppr", top=100).entries}
    assert len(got) > 10 and got.keys() == want.keys()
    assert sum(abs(got[k] - want[k]) for k in got) < 1e-11


@pytest.mark.parametrize(("changed_is_eliminated", "to_eliminated"),
                         [(False, False), (False, True), (True, False)])
def test_a_patched_set_reuses_its_bases_elimination(changed_is_eliminated: bool,
                                                    to_eliminated: bool) -> None:
    rng = np.random.default_rng(21)
    names = [f"n{i}" for i in range(200)]
    engine = TrustEngine()
    engine.add_claims([Claim(f"b:{k}", "Rating", names[u], names[v], "default", float(k), 0.9)
                       for k, (u, v) in enumerate(zip(rng.integers(0, 200, 700),
                                                      rng.integers(0, 200, 700), strict=True))
                       if u != v])
    source = names[int(np.argmax([len(list(engine.graph.view(n, "default").successors(n)))
                                  for n in names]))]
    for _ in range(2):  # the second solve on the cached set makes its elimination
        engine._ppr.clear()
        engine.rank(source, "default", "ppr", top=3)
    op = operator_for(engine.graph.view(source, "default"))
    i = op.index(source)
    assert i is not None
    base = op.restricted([i])
    made = base.split.elimination()
    assert made is not None
    pool = made.eliminated if changed_is_eliminated else made.kept
    pool = pool[base.order[pool] != i]
    u = op.nodes[int(base.order[int(pool[0])])]
    targets = made.eliminated if to_eliminated else made.kept
    v = op.nodes[int(base.order[int(targets[targets != pool[0]][-1])])]
    engine.add_claims([Claim("new", "Rating", u, v, "default", 1e6, 0.4)])
    op = operator_for(engine.graph.view(source, "default"))
    sub = op.restricted([i])
    assert sub.split.extra is not None  # patched, not searched afresh
    reduction = sub.split.reduction(0.85)
    assert (reduction is None) is changed_is_eliminated
    local = pagerank_sparse(sub.split, {int(sub.local[i]): 1.0})
    assert local.method == "bicgstab"  # a wrong system would need power steps to pass F
    got = np.zeros(op.n)
    got[sub.order] = local.x
    assert np.abs(got - pagerank_sparse(op, {i: 1.0}).x).sum() < 1e-12
