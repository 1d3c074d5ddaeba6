"""The engine's questions: trust() with every algorithm, rank(), explanations, JSON, errors."""

from __future__ import annotations

import json

import pytest
from trusthelpers import STARS, aid, did, rating

from confiance.protocol.errors import RemoteProtocolError
from confiance.protocol.model import Scale
from confiance.protocol.trust import ALGORITHMS, TrustEngine

ME = did("Me")


def _engine() -> TrustEngine:
    e = TrustEngine()
    for i, (u, v, s) in enumerate([
        ("Me", "A", 10), ("Me", "B", 6), ("A", "C", 8), ("B", "C", 4), ("C", "D", 10),
        ("A", "E", -10), ("B", "A", 9), ("D", "Me", 7), ("C", "F", 3),
    ]):
        e.add(aid(f"r{i}"), rating(u, v, s, day=i))
    return e


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_answers_with_reasons(algorithm: str) -> None:
    e = _engine()
    res = e.trust(ME, did("C"), "seller", algorithm)
    assert res.value is not None
    doc = json.loads(json.dumps(res.to_json()))
    assert doc["algorithm"] == algorithm and doc["context"] == "seller"
    assert set(doc) == {"source", "target", "context", "algorithm", "score", "value", "scale",
                        "confidence", "distrust", "penalty", "paths", "details", "notes",
                        "raw", "layers"}
    if algorithm != "fairness":
        assert doc["paths"], algorithm
        first = doc["paths"][0]["hops"][0]
        assert first["from"] == ME and first["assertion"].startswith("ni:///sha-256;")
        assert 0 < doc["confidence"] <= 1


def test_path_metric_values() -> None:
    e = _engine()
    res = e.trust(ME, did("C"), "seller")
    assert res.algorithm == "moletrust"
    assert res.value == pytest.approx((1.0 * 0.8 + 0.6 * 0.4) / 1.6)
    assert res.scale == Scale(minimum=-10, maximum=10)  # Me's own rating scale
    assert res.score == pytest.approx(10 * res.value)
    assert e.trust(ME, did("E"), "seller").value == -1.0  # A, trusted, distrusts E
    stars = e.trust(ME, did("C"), "seller", scale=STARS)
    assert stars.score == pytest.approx(1 + 4 * res.value)


def test_ranking_applies_distrust() -> None:
    e = _engine()
    raw = e.trust(ME, did("E"), "seller", "ppr")
    assert raw.distrust.value == 1.0 and raw.value == 0.0 and raw.details["raw"] == 0.0
    ranked = e.rank(ME, "seller", "ppr", top=3)
    scores = [entry.score for entry in ranked.entries]
    assert scores == sorted(scores, reverse=True) and ME not in [x.node for x in ranked.entries]
    full = {n: e.trust(ME, n, "seller", "ppr").value for n in (did(x) for x in "ABCDF")}
    best = sorted(full.items(), key=lambda kv: -(kv[1] or 0))[:3]
    assert [x.node for x in ranked.entries] == [n for n, _ in best]


@pytest.mark.parametrize("algorithm", ["moletrust", "ppr", "eigentrust", "advogato", "fairness"])
def test_rank_every_ranking_algorithm(algorithm: str) -> None:
    ranked = _engine().rank(ME, None, algorithm, top=2)
    assert 0 < len(ranked.entries) <= 2
    assert ranked.to_json()["entries"][0]["node"].startswith("did:web:")


def test_pagerank_is_cached_and_warm_started() -> None:
    e = _engine()
    first = e.trust(ME, did("C"), "seller", "ppr")
    again = e.trust(ME, did("C"), "seller", "ppr")
    assert again.details == first.details
    e.add(aid("new"), rating("F", "B", 2, day=20))
    after = e.trust(ME, did("C"), "seller", "ppr")
    assert str(after.details["method"]).startswith("bicgstab-warm")


def test_eigentrust_uses_the_pre_trusted_seeds() -> None:
    e = TrustEngine(seeds=[did("D")])
    for i, (u, v, s) in enumerate([("Me", "A", 10), ("D", "B", 10), ("B", "A", 10)]):
        e.add(aid(f"x{i}"), rating(u, v, s))
    assert e.trust(ME, did("B"), "seller", "eigentrust").value == pytest.approx(
        e.trust(did("D"), did("B"), "seller", "ppr").value)


def test_unknown_nodes_and_contexts_have_no_opinion() -> None:
    e = _engine()
    res = e.trust(ME, did("Nobody"), "seller")
    assert res.value is None and res.score is None and res.paths == ()
    assert any("no edges" in n for n in res.notes)
    assert e.trust(ME, did("C"), "wiki").value is None
    assert e.rank(did("Nobody"), "seller").entries == ()


def test_errors_are_bad_input() -> None:
    e = _engine()
    with pytest.raises(RemoteProtocolError, match="unknown algorithm"):
        e.trust(ME, did("C"), "seller", "magic")
    with pytest.raises(RemoteProtocolError):
        e.trust("", did("C"), "seller")
    with pytest.raises(RemoteProtocolError, match="cannot rank"):
        e.rank(ME, "seller", "tidaltrust")
    with pytest.raises(RemoteProtocolError):
        e.rank(ME, "seller", top=0)
    e.add(aid("wiki"), rating("Me", "A", 3, context="wiki"))
    with pytest.raises(RemoteProtocolError, match="name a context"):
        e.trust(ME, did("A"))
    with pytest.raises(RemoteProtocolError, match="no trust context"):
        TrustEngine().trust(ME, did("A"))
