"""Scenarios, generators, data-set readers, statistics, metrics, prediction and federation."""

from __future__ import annotations

import lzma
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from confiance.protocol.errors import MalformedDocument
from confiance.protocol.experiments import (
    generate,
    graph_statistics,
    parse_scenario,
    prediction_metrics,
    read_dataset,
    read_predgraph,
    roc_auc,
    run_task,
    summarise,
)
from confiance.protocol.trust import fairness_goodness


def _data(shared: Path, *parts: str) -> Path:
    path = shared.joinpath("data", *parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the data sets of ../shared")
    return path


def test_scenario_checks_and_sweep() -> None:
    doc = {"scenario": {"experiment": "attack", "seed": 4, "repetitions": 2},
           "graph": {"generator": "erdos-renyi", "nodes": 50},
           "attack": {"type": "sybil"}, "sweep": {"attack.attack_edges": [1, 2, 3]}}
    sc = parse_scenario(doc)
    assert len(sc.points) == 3 and len(sc.tasks) == 6
    assert [p["attack"]["attack_edges"] for p in sc.points] == [1, 2, 3]
    assert {t.spawn_key for t in sc.tasks} == {(p, r) for p in range(3) for r in range(2)}
    assert sc.settings()["layers"] == {"distrust": "one-hop", "penalty": "on"}
    assert parse_scenario(doc, seed=9).seed == 9
    bad: list[tuple[dict[str, Any], str]] = [
        ({**doc, "atack": {}}, "unknown section"),
        ({**doc, "graph": {"generator": "small-world"}}, "graph.generator"),
        ({**doc, "attack": {"type": "flood"}}, "attack"),
        ({**doc, "policy": {"dampin": 0.5}}, "unknown key"),
        ({**doc, "policy": {"damping": 2}}, "damping"),
        ({**doc, "layers": {"distrust": "all"}}, "layers.distrust"),
        ({**doc, "sweep": {"attack.attack_edges": list(range(20_000))}}, "sweep"),
        ({**doc, "scenario": {"experiment": "attack", "repetitions": 0}}, "repetitions"),
        ({**doc, "evaluate": {"algorithms": ["pagerank"]}}, "unknown algorithm"),
        # a horizon is 1..16 in ASCII digits: a superscript or another script's digit is
        # refused with the scenario's own error, never int()'s
        *[({**doc, "evaluate": {"algorithms": [f"moletrust@{h}"]}}, "horizon after @")
          for h in ("0", "17", "\u00b3", "\u0663", "-1", "0016")],
    ]
    for case, match in bad:
        with pytest.raises(MalformedDocument, match=match):
            parse_scenario(case)


@pytest.mark.parametrize("kind, params", [
    ("erdos-renyi", {"nodes": 300, "degree": 6}),
    ("barabasi-albert", {"nodes": 300, "m": 3, "weights": {"model": "quality"}}),
    ("watts-strogatz", {"nodes": 300, "k": 6, "beta": 0.2, "weights": {"model": "levels"}}),
    ("sbm", {"sizes": [100, 200], "probabilities": [[0.05, 0.002], [0.002, 0.03]],
             "weights": {"model": "uniform", "negative": 0.2}}),
])
def test_generators_are_seeded_and_shaped(kind: str, params: dict[str, Any]) -> None:
    a = generate(kind, params, np.random.default_rng(11))
    b = generate(kind, params, np.random.default_rng(11))
    c = generate(kind, params, np.random.default_rng(12))
    assert a.n == 300 and a.m > 300
    assert np.array_equal(a.source, b.source) and np.array_equal(a.weight, b.weight)
    assert not np.array_equal(a.weight, c.weight)
    assert (a.source != a.target).all() and np.abs(a.weight).max() <= 1
    if params.get("weights", {}).get("model") == "levels":
        assert set(np.unique(a.weight)) <= {0.6, 0.8, 1.0}
    if kind == "sbm":
        assert (a.weight < 0).mean() == pytest.approx(0.2, abs=0.05)
        block = a.meta["block"]
        assert (block[a.source] == block[a.target]).mean() > 0.8  # dense blocks, few ties


def test_dot_and_predgraph_readers() -> None:
    dot = (b'digraph "G" {\n   /* "ann" */\n   "ann" -> "bob" [level="Master"];\n'
           b'   "bob" -> "bob" [level="Observer"];\n   "ann" -> "bob" [level="Apprentice"];\n'
           b'   cy -> ann\t [level=Journeyer];\n}\n')
    g = read_dataset(dot, "advogato-dot")
    assert g.nodes == ("ann", "bob", "cy") and g.m == 4 and g.meta["declared"] == 1
    latest = g.latest()  # the later line wins, the loop goes
    assert latest.m == 2 and sorted(latest.weight.tolist()) == [0.6, 0.8]
    with pytest.raises(MalformedDocument, match="unknown level"):
        read_dataset(b'"a" -> "b" [level="Guru"];\n', "advogato-dot")
    with pytest.raises(MalformedDocument, match="line 1"):
        read_dataset(b'"a" -> [level="Master"];\n', "advogato-dot")
    preds = read_predgraph(b'strict digraph {\n\ta -> b\t [pred="0.8"];\n\tc;\n'
                           b'\tb -> a\t [pred="None"];\n}\n')
    assert preds == {("a", "b"): "0.8", ("b", "a"): "None"}


def test_statistics_of_a_small_graph() -> None:
    csv = b"1,2,5,0\n2,1,-3,1\n2,3,1,2\n3,1,2,3\n3,3,4,4\n4,5,1,5\n"
    stats = graph_statistics(read_dataset(csv, "snap-csv"))
    assert stats["nodes"] == 5 and stats["edges"] == 6 and stats["loops"] == 1
    assert stats["reciprocity"] == pytest.approx(3 / 6)  # 1<->2 and the loop
    assert stats["negativity"] == pytest.approx(1 / 6)
    assert stats["lcc"] == 3 and stats["lscc"] == 3
    assert stats["triangles"] == 1 and stats["wedges"] == 3 and stats["clustering"] == 1.0


def test_metrics() -> None:
    assert roc_auc([3, 2], [1, 0]) == 1.0 and roc_auc([1], [1]) == 0.5
    assert roc_auc([], [1]) is None
    m = prediction_metrics(np.array([1.0, -1.0, 0.5]), np.array([np.nan, -1.0, 0.5]),
                           fill=0.0)
    assert m["coverage"] == pytest.approx(2 / 3) and m["rmse"] == pytest.approx(
        np.sqrt(1 / 3))
    skip = prediction_metrics(np.array([1.0, -1.0, 0.5]), np.array([np.nan, -1.0, 0.5]))
    assert skip["rmse"] == 0.0 and skip["scored"] == 2


def _prediction(doc_graph: dict[str, Any], algorithms: list[str], **pred: Any) -> Any:
    doc = {"scenario": {"experiment": "prediction", "seed": 5, "chunks": 3},
           "graph": doc_graph, "prediction": {"algorithms": algorithms, **pred}}
    return parse_scenario(doc)


def test_leave_one_out_chunks_add_up_to_one_run() -> None:
    graph = {"generator": "barabasi-albert", "nodes": 120, "m": 3,
             "weights": {"model": "quality", "noise": 0.3}}
    sc = _prediction(graph, ["fairness", "goodness", "reciprocal", "ebay", "moletrust@2",
                             "tidaltrust"])
    chunks = [run_task(sc, t) for t in sc.tasks]
    one = parse_scenario({**{k: v for k, v in {
        "scenario": {"experiment": "prediction", "seed": 5}, "graph": graph,
        "prediction": {"algorithms": ["fairness"]}}.items()}})
    whole = run_task(one, one.tasks[0])
    rows = {(r["algorithm"], r["measure"]): r["mean"] for r in summarise(sc, chunks)}
    single = {(r["algorithm"], r["measure"]): r["mean"] for r in summarise(one, [whole])}
    assert rows[("fairness", "rmse")] == pytest.approx(single[("fairness", "rmse")], abs=1e-12)
    assert rows[("fairness", "coverage")] == 1.0
    # F x G beats predicting each node's goodness alone on quality-driven ratings? At least
    # it is never worse than the reciprocal baseline, which has no reverse edge to read half
    # the time
    assert rows[("fairness", "rmse")] <= rows[("reciprocal", "rmse")]
    assert 0 < rows[("moletrust@2", "coverage")] < 1


def test_held_out_fraction_refits_once() -> None:
    graph = {"generator": "erdos-renyi", "nodes": 150, "degree": 8,
             "weights": {"model": "quality"}}
    sc = _prediction(graph, ["fairness", "reciprocal"], method="held-out", fraction=0.2)
    got = [run_task(sc, t)["result"] for t in sc.tasks]
    assert sum(r["chunk_edges"] for r in got) == got[0]["evaluated"]
    assert got[0]["evaluated"] == pytest.approx(0.2 * got[0]["graph"]["edges"], abs=1)


def test_bitcoin_otc_leave_one_out_sample_equals_refits(shared: Path) -> None:
    """Kumar et al.'s protocol on a sample of Bitcoin OTC edges: our leave-one-out
    prediction equals a refit from scratch of each held-out edge."""
    path = _data(shared, "bitcoin-otc", "soc-sign-bitcoinotc.csv")
    g = read_dataset(path.read_bytes(), "snap-csv")
    doc = {"scenario": {"experiment": "prediction", "seed": 1},
           "graph": {"dataset": str(path), "format": "snap-csv"},
           "prediction": {"algorithms": ["fairness", "goodness"], "sample": 30}}
    sc = parse_scenario(doc)
    res = run_task(sc, sc.tasks[0], g)["result"]
    pred = res["predictions"]
    index = g.index()
    for k in range(0, 30, 7):
        u, v = index[pred["source"][k]], index[pred["target"][k]]
        keep = ~((g.source == u) & (g.target == v))
        w = sp.csr_array((g.weight[keep], (g.source[keep], g.target[keep])), shape=(g.n, g.n))
        fit = fairness_goodness(w)
        assert pred["actual"][k] == g.weight[~keep][0]
        assert pred["fairness"][k] == pytest.approx(fit.fairness[u] * fit.goodness[v],
                                                    abs=1e-9)
        assert pred["goodness"][k] == pytest.approx(fit.goodness[v], abs=1e-9)


def test_trustlet_predictions_agree_edge_by_edge(shared: Path) -> None:
    folder = "advogato-trustlet-2008-05-12"
    graph = read_dataset(lzma.decompress(_data(shared, folder, "graph-2008-05-12.dot.xz")
                                         .read_bytes()), "advogato-dot")
    refs = {f"moletrust-trustlet@{h}": read_predgraph(lzma.decompress(_data(
        shared, folder, f"PredGraph-moletrust_{h}.dot.xz").read_bytes())) for h in (2, 4)}
    refs["ebay"] = read_predgraph(lzma.decompress(_data(
        shared, folder, "PredGraph-ebay_tm.dot.xz").read_bytes()))
    doc = {"scenario": {"experiment": "prediction", "seed": 8},
           "graph": {"dataset": "advogato", "format": "advogato-dot"},
           "policy": {"threshold": 0.0},
           "prediction": {"algorithms": list(refs), "missing": "skip", "sample": 120}}
    sc = parse_scenario(doc)
    res = run_task(sc, sc.tasks[0], graph, refs)["result"]
    for name in refs:
        ref = res["algorithms"][name]["reference"]
        assert ref["compared"] == ref["in_reference"] == 120
        assert ref["agree"] == 120, ref["mismatches"]
        assert ref["max_difference"] < 1e-9


def test_federation_crosses_sites_only_where_recognised() -> None:
    doc = {"scenario": {"experiment": "federation", "seed": 2},
           "federation": {
               "users": 120, "noise": 0.02,
               "site": [{"name": "e1", "scale": "percent", "members": 70},
                        {"name": "e2", "scale": "stars", "members": 70},
                        {"name": "e3", "scale": "categorical", "members": 60,
                         "context": "buyer"}],
               "recognition": [
                   {"by": "e2", "of": "e1", "scale": "1:5", "rule": {
                       "type": "ThresholdTable", "thresholds": [
                           {"atLeast": 80, "value": 5}, {"atLeast": 60, "value": 4},
                           {"atLeast": 40, "value": 3}, {"atLeast": 20, "value": 2}],
                       "otherwise": 1}},
                   {"by": "e2", "of": "e3", "scale": "1:5", "source_context": "buyer",
                    "rule": {"type": "CategoricalMap", "map": {
                        "gold": 5, "silver": 4, "bronze": 3, "new": 2}}},
                   {"by": "e1", "of": "e2", "scale": "0:100", "rule": {
                       "type": "LinearRescale", "from": [1, 5], "to": [0, 100]}}]}}
    sc = parse_scenario(doc)
    res = run_task(sc, sc.tasks[0])["result"]
    pairs = {(p["reader"], p["site"]): p for p in res["pairs"]}
    for reader, site in (("e2", "e1"), ("e2", "e3"), ("e1", "e2")):
        pair = pairs[(reader, site)]
        assert pair["recognised"] and pair["coverage"] == 1.0, (reader, site)
        assert pair["spearman"] > 0.8  # the translated trust keeps its order
        assert "reads" in pair["rule"]
    # unilateral: e3 recognised nobody, so its operator scores no one elsewhere; e1 reads
    # e2's ratings but not e3's marks (only e2 recognised them), so of e3's members e1
    # scores those e2 rated too, not all
    assert pairs[("e3", "e1")]["coverage"] == pairs[("e3", "e2")]["coverage"] == 0.0
    assert 0 < pairs[("e1", "e3")]["coverage"] < 1
    # e2 reading e1's percent marks through its table lands near its own star ratings
    assert pairs[("e2", "e1")]["calibration"] < 0.6
