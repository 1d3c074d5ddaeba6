"""One-step distrust: the evaluator's own word, then its trusted acquaintances', no further."""

from __future__ import annotations

import pytest
from trusthelpers import aid, at, did, rating

from confiance.protocol.trust import TrustGraph, distrust

ME, T = did("Me"), did("T")


def _graph(*ratings: tuple[str, str, float]) -> TrustGraph:
    g = TrustGraph()
    for i, (u, v, s) in enumerate(ratings):
        g.add(aid(f"r{i}"), rating(u, v, s, day=i))
    return g


def test_direct_statement_decides() -> None:
    g = _graph(("Me", "T", -6), ("Me", "F", 10), ("F", "T", 10))
    d = distrust(g.view(ME, "seller"), ME, T)
    assert (d.value, d.direct) == (0.6, True)
    g = _graph(("Me", "T", 2), ("Me", "F", 10), ("F", "T", -10))
    d = distrust(g.view(ME, "seller"), ME, T)
    assert (d.value, d.direct) == (0.0, True)


def test_one_hop_weighted_by_trust() -> None:
    g = _graph(("Me", "F1", 10), ("Me", "F2", 5), ("Me", "F3", 10),
               ("F1", "T", -10), ("F2", "T", -4), ("F3", "T", 6), ("Me", "Enemy", -10),
               ("Enemy", "T", -10))
    d = distrust(g.view(ME, "seller"), ME, T)
    # F1 (1.0) says -1, F2 (0.5) says -0.4, F3 (1.0) says +0.6; Enemy is not trusted.
    assert d.value == pytest.approx((1.0 * 1.0 + 0.5 * 0.4) / (1.0 + 0.5 + 1.0))
    assert not d.direct and [n for n, _ in d.sources] == sorted([did("F1"), did("F2")])


def test_two_hops_away_does_not_count() -> None:
    g = _graph(("Me", "F", 10), ("F", "FF", 10), ("FF", "T", -10))
    assert distrust(g.view(ME, "seller"), ME, T).value == 0.0


def test_since_keeps_later_statements_only() -> None:
    g = _graph(("Me", "F", 10), ("F", "T", -10))  # F's rating is at day 1
    view = g.view(ME, "seller")
    assert distrust(view, ME, T, since=at(1).timestamp()).value == 1.0
    assert distrust(view, ME, T, since=at(2).timestamp()).value == 0.0
