"""``confiance simulate`` and ``confiance graph stats`` as a user runs them: files out,
the same numbers for the same seed in one process, on a local pool and on a Dask cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from confiance.node.cli import main
from confiance.node.simulate import run_scenario
from confiance.node.simulate.files import read_scenario, scenario_blob
from confiance.protocol.experiments import parse_scenario

ROOT = Path(__file__).resolve().parent.parent.parent
SCENARIO = """
[scenario]
name = "small sybil sweep"
experiment = "attack"
seed = 7
repetitions = 2

[graph]
generator = "watts-strogatz"
nodes = 150
k = 6
beta = 0.2

[attack]
type = "sybil"
sybils = 30

[evaluate]
algorithms = ["ppr", "advogato", "fairness"]
evaluators = 4

[sweep]
"attack.attack_edges" = [1, 4]
"""


def _results(path: Path) -> list[dict[str, Any]]:
    doc = json.loads((path / "results.json").read_text(encoding="utf-8"))
    return [{k: v for k, v in task.items() if k != "measure"} for task in doc["tasks"]]


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_simulate_writes_every_output(scenario: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["simulate", str(scenario), "--out", str(out), "--workers", "1"])
    assert code == 0
    assert "4 task(s)" in capsys.readouterr().out
    for name in ("results.json", "summary.csv", "tasks.csv", "report.md",
                 "attack-auc.png", "attack-mass_per_edge.png"):
        assert (out / name).stat().st_size > 100, name
    assert (out / "attack-auc.png").read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text(encoding="utf-8")
    for text in ("# small sybil sweep", "seed 7", "| numpy |", '"damping": 0.85',
                 '"distrust": "one-hop"', "attack.attack_edges", "![", "peak resident"):
        assert text in report, text
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["settings"]["scenario"]["seed"] == 7 and doc["versions"]["confiance"]
    assert all(t["measure"]["seconds"] > 0 and t["measure"]["peak_rss_mb"] > 10
               for t in doc["tasks"])
    summary = (out / "summary.csv").read_text(encoding="utf-8").splitlines()
    assert summary[0].startswith("point,attack.attack_edges,algorithm,measure,mean")
    code = main(["simulate", str(scenario), "--out", str(out), "--workers", "1", "--json",
                 "--no-plots", "--seed", "8"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and {r["algorithm"] for r in rows} == {"ppr", "advogato", "fairness"}


def test_same_seed_same_numbers_here_and_on_a_process_pool(scenario: Path,
                                                           tmp_path: Path) -> None:
    here = run_scenario(str(scenario), str(tmp_path / "a"), workers=1, plots=False)
    pool = run_scenario(str(scenario), str(tmp_path / "b"), workers=2, plots=False)
    assert _results(tmp_path / "a") == _results(tmp_path / "b")
    assert here.rows == pool.rows
    other = run_scenario(str(scenario), str(tmp_path / "c"), seed=8, workers=1, plots=False)
    assert other.rows != here.rows


@pytest.mark.slow
def test_a_dask_cluster_gives_the_local_numbers(scenario: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="the research extra is needed")
    local = run_scenario(str(scenario), str(tmp_path / "local"), workers=1, plots=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1") as cluster:
        remote = run_scenario(str(scenario), str(tmp_path / "dask"),
                              scheduler=cluster.scheduler_address, plots=False)
    assert _results(tmp_path / "local") == _results(tmp_path / "dask")
    assert local.rows == remote.rows
    doc = json.loads((tmp_path / "dask" / "results.json").read_text(encoding="utf-8"))
    assert doc["run"]["scheduler"].startswith("tcp://127.0.0.1:")
    assert len({t["measure"]["worker"] for t in doc["tasks"]}) >= 1


@pytest.mark.parametrize(("text", "message"), [
    ("[scenario]\nexperiment = 'attack'\n[graph]\ngenerator = 'barabasi-albert'\n",
     "[attack] needs a type"),
    ("[scenario\n", "not valid TOML"),
    ("[scenario]\nexperiment = 'prediction'\n[graph]\ndataset = 'missing.csv'\n"
     "format = 'snap-csv'\n", "cannot read"),
])
def test_an_unusable_scenario_is_one_line_and_status_2(
        text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["simulate", str(path), "--out", str(tmp_path / "out"), "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("confiance simulate: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler(scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed", reason="the research extra is needed")
    import socket

    from confiance.node.simulate import execute

    monkeypatch.setattr(execute, "CONNECT_TIMEOUT", 1.0)

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["simulate", str(scenario), "--out", str(tmp_path / "o"), "--scheduler",
                 f"tcp://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler" in err


def test_graph_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("1,2,5,0\n2,1,-3,1\n2,3,1,2\n3,1,2,3\n3,3,4,4\n4,5,1,5\n",
                    encoding="utf-8")
    assert main(["graph", "stats", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "snap-csv" and doc["statistics"]["triangles"] == 1
    assert main(["graph", "stats", str(path)]) == 0
    out = capsys.readouterr().out
    assert "reciprocity" in out and "50.0000%" in out and "triangles" in out
    assert main(["graph", "stats", str(tmp_path / "none.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid_scenarios(path: Path, request: pytest.FixtureRequest) -> None:
    doc, _ = read_scenario(str(path))
    scenario = parse_scenario(doc)
    assert scenario.tasks and scenario.description.strip()
    if "dataset" in doc.get("graph", {}):
        request.getfixturevalue("shared")  # skips with a message where ../shared is absent
        blob = scenario_blob(doc, path.parent)
        assert blob.graph and all(len(sha) == 64 for sha in blob.files.values())


@pytest.mark.slow
def test_epinions_statistics_equal_konects(shared: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The README's command: KONECT's published statistics of Epinions, every one."""
    from confiance.protocol.experiments import KONECT_EPINIONS

    path = shared / "data" / "epinions-signed" / "soc-sign-epinions.txt.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the data sets of ../shared")
    assert main(["graph", "stats", str(path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)["statistics"]
    for key, published in KONECT_EPINIONS.items():
        if isinstance(published, int):
            assert stats[key] == published, key
        elif key in ("reciprocity", "negativity"):  # KONECT prints 30.9 %, 14.7 %
            assert round(stats[key], 3) == published, key
        else:  # printed to six significant digits
            assert stats[key] == pytest.approx(published, rel=5e-6), key


def test_the_readmes_simulate_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Every ``confiance simulate`` command of the README names an example that parses;
    the quick one (the federation) runs as written."""
    import re
    import shlex

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^confiance simulate (.+)$", readme, flags=re.MULTILINE)
    assert len(commands) >= 4
    monkeypatch.chdir(ROOT)
    for command in commands:
        argv = shlex.split(command.split("#")[0])
        doc, _ = read_scenario(argv[0])
        parse_scenario(doc)
        if "federation" in argv[0]:
            out = tmp_path / "fed"
            argv[argv.index("--out") + 1] = str(out)
            assert main(["simulate", *argv, "--workers", "1"]) == 0
            assert "report:" in capsys.readouterr().out and (out / "federation.png").exists()
