"""``confiance trust``: edge lists (plain and gzip), a node's data directory, a running node."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from nodehelpers import Factory, Party

from confiance.node.cli import main
from confiance.node.config import NodeConfig
from confiance.protocol.ids import assertion_id

CSV = "1,2,10,1\n2,3,5,2\n1,4,-10,3\n4,3,10,4\n2,5,8,5\n"


@pytest.fixture
def edges(tmp_path: Path) -> Path:
    path = tmp_path / "ratings.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_score_from_an_edge_list(edges: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["trust", "score", "--from", "1", "--to", "3", "--graph", str(edges),
                        "--json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["value"] == 0.5 and doc["context"] == "default"  # 1 -> 2 (1.0) -> 3 (0.5)
    assert doc["paths"][0]["hops"][0]["assertion"] == "ratings.csv:1"
    code, out, _ = run(["trust", "score", "--from", "1", "--to", "4", "--graph", str(edges)],
                       capsys)
    assert code == 0 and "1 -> 4 in “default” (moletrust): -1" in out


def test_gzip_rank_and_a_custom_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ratings.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(CSV)
    code, out, _ = run(["trust", "rank", "--from", "1", "--top", "2", "--graph", str(path),
                        "--json"], capsys)
    assert code == 0
    ranked = json.loads(out)
    assert ranked["algorithm"] == "ppr" and len(ranked["entries"]) == 2
    assert ranked["entries"][0]["node"] == "2"
    rule = '{"type": "ThresholdTable", "thresholds": [{"atLeast": 8, "value": 1}]}'
    code, out, _ = run(["trust", "rank", "--from", "1", "--graph", str(path), "--algorithm",
                        "moletrust", "--rule", rule], capsys)
    assert code == 0 and "   1  2" in out and " 4 " not in out  # 1 -> 4 (-10) is dropped


def test_damping_and_tolerance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(3)
    path = tmp_path / "random.csv"
    path.write_text("".join(f"{rng.randrange(300)},{rng.randrange(300)},{rng.randint(-3, 10)},"
                            f"{t}\n" for t in range(3000)), encoding="utf-8")

    def ppr(*extra: str) -> dict[str, Any]:
        code, out, _ = run(["trust", "score", "--from", "1", "--to", "3", "--graph", str(path),
                            "--algorithm", "ppr", "--json", *extra], capsys)
        assert code == 0
        doc: dict[str, Any] = json.loads(out)
        return doc

    default = ppr()
    assert default["details"]["damping"] == 0.85 and default["details"]["tolerance"] == 1e-12
    assert default["details"]["bound"] < 1e-12
    loose = ppr("--tolerance", "1e-3")
    assert loose["details"]["tolerance"] == 1e-3 and loose["details"]["bound"] < 1e-3
    assert loose["details"]["matvecs"] < default["details"]["matvecs"]
    assert abs(loose["value"] - default["value"]) < 1e-3
    low = ppr("--damping", "0.5")
    assert low["details"]["damping"] == 0.5 and abs(low["value"] - default["value"]) > 1e-6


@pytest.mark.parametrize(("argv", "message"), [
    (["--graph", "/nonexistent/file.csv"], "cannot read /nonexistent/file.csv"),
    (["--graph", "{edges}", "--rule", "{"], "--rule is not JSON"),
    (["--graph", "{edges}", "--rule", '{"type": "Odd"}'], "unknown rule type"),
    (["--graph", "{bad}"], "line 2: rating 'x' is not a number"),
    ([], "say where the assertions are"),
    (["--graph", "{edges}", "--damping", "1"], "damping must lie in (0, 1)"),
    (["--graph", "{edges}", "--tolerance", "0"], "tolerance must lie in (0, 1)"),
    (["--graph", "{edges}", "--damping", "nan"], "damping must lie in (0, 1)"),
    (["--node", "http://127.0.0.1:9", "--tolerance", "1e-6"], "apply to local computations"),
])
def test_unusable_input_is_one_line_and_status_2(
        argv: list[str], message: str, edges: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n1,3,x\n", encoding="utf-8")
    argv = [a.replace("{edges}", str(edges)).replace("{bad}", str(bad)) for a in argv]
    code, _, err = run(["trust", "score", "--from", "1", "--to", "3", *argv], capsys)
    assert code == 2 and err.startswith("confiance trust: ") and message in err
    assert len(err.strip().splitlines()) == 1


async def test_data_dir_and_node(make_client: Factory, config: NodeConfig, alice: Party,
                                 bob: Party, capsys: pytest.CaptureFixture[str]) -> None:
    client: TestClient[Any, Any] = await make_client(config)
    doc = alice.rating(bob.did, 5)
    response = await client.post("/assertions", data=json.dumps(doc),
                                 headers={"Content-Type": "application/ld+json"})
    assert response.status == 201
    loop = asyncio.get_running_loop()
    argv = ["trust", "score", "--from", alice.did, "--to", bob.did, "--json"]
    code = await loop.run_in_executor(None, main, [*argv, "--data-dir", str(config.data_dir)])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["value"] == 1.0
    url = str(client.make_url("")).rstrip("/")
    code = await loop.run_in_executor(None, main, [*argv, "--node", url])
    out, _ = capsys.readouterr()
    doc_out = json.loads(out)
    assert code == 0 and doc_out["score"] == 5.0
    assert doc_out["paths"][0]["hops"][0]["assertion"] == assertion_id(doc)
    code = await loop.run_in_executor(None, main, [*argv, "--node", url, "--algorithm",
                                                   "advogato", "--level", "2"])
    _, err = capsys.readouterr()
    assert code == 2 and "the node answered 400" in err


async def test_rank_from_a_running_node_with_headers_and_layers(
        make_client: Factory, config: NodeConfig, alice: Party, bob: Party,
        capsys: pytest.CaptureFixture[str]) -> None:
    client: TestClient[Any, Any] = await make_client(config)
    for score in (5, 4):
        doc = alice.rating(bob.did if score == 5 else "did:example:carol", score)
        response = await client.post("/assertions", data=json.dumps(doc),
                                     headers={"Content-Type": "application/ld+json"})
        assert response.status == 201
    url = str(client.make_url("")).rstrip("/")
    loop = asyncio.get_running_loop()
    argv = ["trust", "rank", "--from", alice.did, "--node", url]
    code = await loop.run_in_executor(None, main, [*argv, "--json"])
    out, _ = capsys.readouterr()
    ranked = json.loads(out)
    assert code == 0 and ranked["algorithm"] == "ppr" and ranked["layers"] == {
        "distrust": "one-hop", "penalty": "on"}
    assert [e["node"] for e in ranked["entries"]] == [bob.did, "did:example:carol"]
    assert all(e["score"] == e["raw"] for e in ranked["entries"])
    code = await loop.run_in_executor(None, main, [*argv, "--distrust", "none", "--penalty",
                                                   "off", "--top", "1"])
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert code == 0 and "distrust none, referral penalty off" in lines[0]
    assert lines[1].split() == ["rank", "node", "score", "raw"]
    assert lines[2].split()[:2] == ["1", bob.did] and len(lines) == 3
    code = await loop.run_in_executor(None, main, [*argv, "--top", "0"])
    _, err = capsys.readouterr()
    assert code == 2 and "top must" in err


def test_score_prints_the_raw_figure_beside_the_adjusted_one(
        edges: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["trust", "score", "--from", "1", "--to", "3", "--graph", str(edges), "--algorithm",
            "ppr"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "(raw " in out and "layers: distrust one-hop" in out
    code, out, _ = run([*argv, "--json", "--distrust", "none"], capsys)
    doc = json.loads(out)
    assert doc["layers"]["distrust"] == "none" and doc["value"] == doc["raw"]


@pytest.mark.parametrize("command", [
    ["trust", "score"], ["trust", "rank"], ["assert", "rating"], ["assert", "revocation"],
    ["assert", "acceptance"], ["simulate"], ["graph", "stats"]])
def test_every_option_has_help(command: list[str]) -> None:
    from confiance.node.cli import build_parser

    parser = build_parser()
    sub = parser
    for name in command:
        action = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction))
        sub = action.choices[name]
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{' '.join(command)} {action.option_strings} has no help"
