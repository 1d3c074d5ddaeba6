"""Every command the README shows is run here (or its marker says why it cannot be, and what
runs it instead): ``tests/readme_blocks.py`` reads the blocks and their markers.

Blocks run as written, by bash (``set -euo pipefail``), in a fresh folder beside a link to
``examples/``, with the ``confiance`` installed beside this Python first on ``PATH``. Blocks
sharing a name run as one script, in the README's order (the story's tour is one shell
session). Two changes, both so that concurrent test runs never meet: each fixed port
8080..8099 is replaced by a free one (and ``CONFIANCE_PORT`` names the one that stands for
the default 8080, for the commands that rely on it), and a trap stops, at the end, any
node a failed block left running (the README's own blocks stop theirs).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from readme_blocks import ROOT, SHELLS, block, blocks, free_port, with_free_ports

BIN = Path(sys.executable).parent
SHARED = ROOT.parent / "shared"
#: The names this file runs; each has a test below.
RUNS_HERE = {"tour", "publish", "node", "badges", "federate", "trust", "vectors", "python"}
TRAP = """__stop_nodes() {
    for record in $(find "$__START" -name run.json 2>/dev/null); do
        confiance stop --data-dir "$(dirname "$record")" >/dev/null 2>&1 || true
    done
}
__START=$PWD
trap __stop_nodes EXIT
"""


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("CONFIANCE_DATA_DIR", None)
    env.update(extra)
    return env


def needs_cli() -> None:
    if not (BIN / "confiance").exists():
        pytest.skip("the confiance script is not installed beside this Python")


def run_block(name: str, cwd: Path, *, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the README's blocks NAME as one bash script in ``cwd``; fail with its output."""
    needs_cli()
    (cwd / "examples").symlink_to(ROOT / "examples")
    text, ports = with_free_ports(block(name))
    extra = {"CONFIANCE_PORT": str(ports["8080"])} if "8080" in ports else {}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", TRAP + text], cwd=cwd,
                          env=environment(**extra), capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"README block {name!r} failed:\n{done.stdout[-3000:]}\n" \
                                 f"{done.stderr[-3000:]}"
    return done


# ------------------------------------------------------------------ every block accounted for
def test_every_shell_block_is_run_or_says_why_not() -> None:
    found = [b for b in blocks() if b.language in (*SHELLS, "python")]
    assert len(found) >= 15
    for b in found:
        where = f"README.md line {b.line}"
        assert b.marker is not None, f"{where}: a block without a marker (run by, or not run)"
        assert b.runner or b.reason, f"{where}: unreadable marker {b.marker!r}"
        if b.reason is not None:
            assert len(b.reason) >= 30, f"{where}: say why it is not run, and what covers it"
            continue
        assert (ROOT / str(b.runner)).exists(), f"{where}: {b.runner} does not exist"
        source = (ROOT / str(b.runner)).read_text(encoding="utf-8")
        assert f'"{b.name}"' in source, f"{where}: {b.runner} does not run {b.name!r}"
    assert {b.name for b in found if b.runner == "tests/test_readme.py"} == RUNS_HERE
    languages = {b.language for b in blocks()}
    assert languages <= {*SHELLS, "python", "text", "json", "toml"}, languages


def test_the_not_run_blocks_are_what_they_say() -> None:
    reasons = [b for b in blocks() if b.reason is not None]
    serve, tests = reasons[0], reasons[1]
    assert serve.text.strip().endswith(".venv/bin/confiance serve")  # test_quickstart_serve
    assert tests.text.strip().endswith(".venv/bin/pytest")  # the test command, as .ci/run
    assert "tests/browser" in reasons[2].text  # the browser tests, run in the suite


# ------------------------------------------------------------------ the quickstart
def test_quickstart_serve(tmp_path: Path) -> None:
    """The quickstart's node, started the same way: ``confiance serve`` in a fresh folder
    (its port, 8080, made free for this run by ``CONFIANCE_PORT``)."""
    needs_cli()
    command = next(b for b in blocks() if b.reason is not None).text.strip()
    assert command.rsplit("&& ", 1)[-1] == ".venv/bin/confiance serve"
    port = free_port()
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen([str(BIN / "confiance"), "serve"], cwd=tmp_path,
                                env=environment(CONFIANCE_PORT=str(port)), stdout=log,
                                stderr=log)
    try:
        record_path = tmp_path / "confiance-data" / "run.json"
        deadline = time.monotonic() + 60
        while not record_path.exists():
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "no run record in time"
            time.sleep(0.05)
        record = json.loads(record_path.read_text())
        assert record["url"] == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{record['url']}/health", timeout=10) as answer:
            assert answer.status == 200
        assert (tmp_path / "confiance-data" / "admin.token").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0 and not record_path.exists()


# ------------------------------------------------------------------ the story's tour
def _scores(stdout: str) -> list[str]:
    """What each ``trust score`` line said: '4 on a 1..5 scale', '0.5', 'no opinion'..."""
    return re.findall(r"\(moletrust\): (.+)", stdout)


def test_the_story_tour_by_hand(tmp_path: Path) -> None:
    done = run_block("tour", tmp_path)
    out = done.stdout
    alice_at_e2, e1_at_e2, bob, stranger, alice_after, alice_erased = _scores(out)
    assert alice_at_e2 == "4 on a 1..5 scale"
    assert ("rule: E2 reads E1’s “positive feedback” mark on its own 1..5 scale: 98 or more "
            "is 5, 95 or more is 4, otherwise 1.") in out
    assert e1_at_e2 == "no opinion" and stranger == "no opinion"
    assert bob == "0.5"
    assert alice_after == "0.9"  # 1 x (1 - 0.1 x 1): her own vouch is no evidence for Bob
    assert alice_erased == "0.9"  # erasing the referral does not buy its cost back
    tour = tmp_path / "tour"
    [checked] = [json.loads(line) for line in out.splitlines()
                 if line.startswith('{"ni:///')]  # badges check's verdicts
    assert list(checked.values()) == ["revoked"]
    page = next((tour / "bob-badges" / "badges").glob("*/index.html")).read_text()
    assert 'id="status-word">revoked<' in page
    export = json.loads((tour / "alice-at-e2.json").read_text())
    assert (len(export["about"]), len(export["issued"])) == (1, 2)
    issued = sorted(i["id"] for i in export["issued"])
    assert set(issued) <= set(out.splitlines())  # the erasure printed what it erased
    at_e1 = json.loads((tour / "alice-at-e1.json").read_text())  # after the erasure's gossip
    assert at_e1["issued"] == [] and sorted(e["id"] for e in at_e1["erased"]) == issued
    [kept] = at_e1["referralJudgements"]
    assert (kept["bad"], kept["share"], kept["context"]) == (1.0, 0.1, "seller")
    assert (tour / "alice-badges" / "index.html").exists()
    assert not list(tour.glob("e*/run.json"))  # the tour stopped its nodes


def test_the_tour_and_the_script_use_the_same_commands() -> None:
    """The tour by hand and examples/two_sites/story.py run the same confiance commands."""
    used_by_hand = set(re.findall(r"\bconfiance (\w+)(?: (add|award|create|export|check|"
                                  r"accept|erase|score|referral|rating))?", block("tour")))
    story = (ROOT / "examples" / "two_sites" / "story.py").read_text(encoding="utf-8")
    for command, action in used_by_hand:
        if command in ("stop", "serve", "init", "keygen"):
            assert f'"{command}"' in story
            continue
        pattern = rf'"{command}",\s*"{action}"' if action else f'"{command}"'
        assert re.search(pattern, story), f"the script does not run confiance {command} {action}"


# ------------------------------------------------------------------ more of the node
def test_publish_a_mark_and_revoke_it_by_the_printed_id(tmp_path: Path) -> None:
    run_block("publish", tmp_path)
    printed = (tmp_path / "alice-mark.id").read_text().strip()
    revocation = json.loads((tmp_path / "revoke.json").read_text())
    assert revocation["credentialSubject"]["id"] == printed


def test_the_node_over_http_then_its_badges(tmp_path: Path) -> None:
    if not any((Path(p) / "curl").exists() for p in os.environ.get("PATH", "").split(":")):
        pytest.skip("curl is not installed: the README's HTTP examples use it "
                    "(.ci/run installs it)")
    done = run_block("node", tmp_path)
    url, location, valid, listing, revoked, revoked_again = done.stdout.splitlines()[:6]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)  # serve --background's URL
    assert re.fullmatch(r"/assertions/[A-Za-z0-9_-]{43}", location)
    assert valid.strip().lower() == "confiance-status: valid"
    assert json.loads(listing)["items"][0]["kind"] == "TrustMark"
    assert json.loads(revoked)["status"] == "revoked"
    assert revoked_again.strip().lower() == "confiance-status: revoked"
    assert done.stdout.strip().splitlines()[-1].startswith("ni:///sha-256;")  # marks award
    assert not (tmp_path / "confiance-data" / "run.json").exists()


def test_badges_without_a_node_as_the_readme_shows(tmp_path: Path) -> None:
    """Sign a mark definition and a mark with a key, export the static site, verify it."""
    done = run_block("badges", tmp_path)
    mark = json.loads((tmp_path / "alice-top-seller.json").read_text())
    assert mark["credentialSubject"]["mark"] == {
        "id": "https://shop.example/marks/top-seller", "version": "1"}
    [page] = (tmp_path / "alice-badges" / "badges").glob("*/index.html")
    assert 'id="status-word">valid<' in page.read_text(encoding="utf-8")
    assert "valid" in done.stderr.splitlines()[-1]


def test_two_nodes_federate_as_the_readme_shows(tmp_path: Path) -> None:
    done = run_block("federate", tmp_path)
    lines = done.stdout.splitlines()
    first = lines.index(next(line for line in lines if "added n2" in line))
    assert "on the running node at" in lines[first]
    assert "does not recognise this node yet" in lines[first + 1]  # n2 had not added n1
    assert "first exchange: exchanging with it now" in lines[first + 3]
    listing = lines[first + 4:]
    assert listing[1].split()[0] == "n2"
    assert not list(tmp_path.glob("n*/run.json"))


def _needs_shared(*parts: str) -> None:
    if not SHARED.joinpath(*parts).exists():
        pytest.skip(f"{SHARED.joinpath(*parts)} is absent: this README command reads the "
                    "read-only ../shared material")


def test_trust_on_real_networks_as_the_readme_shows(tmp_path: Path) -> None:
    _needs_shared("data", "bitcoin-otc", "soc-sign-bitcoinotc.csv")
    _needs_shared("data", "epinions-signed", "soc-sign-epinions.txt.gz")
    (tmp_path / "work").mkdir()
    (tmp_path / "shared").symlink_to(SHARED)
    done = run_block("trust", tmp_path / "work")
    assert done.stdout.startswith("top 10 for 1 in “default” (ppr")
    score: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{"):])
    assert score["algorithm"] == "ppr" and score["details"]["damping"] == 0.85
    assert score["details"]["bound"] <= 1e-9


def test_the_w3c_vectors_as_the_readme_shows(tmp_path: Path) -> None:
    _needs_shared("vectors", "w3c-vc-di-eddsa")
    (tmp_path / "work").mkdir()
    (tmp_path / "shared").symlink_to(SHARED)
    done = run_block("vectors", tmp_path / "work")
    published = json.loads((SHARED / "vectors" / "w3c-vc-di-eddsa" / "eddsa-rdfc-2022" /
                            "signedDataInt.json").read_text())
    signed = json.loads(done.stdout[done.stdout.index("{"):])
    assert signed["proof"]["proofValue"] == published["proof"]["proofValue"]


def test_the_python_snippet_prints_what_it_did() -> None:
    done = subprocess.run([sys.executable, "-c", block("python")], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert re.fullmatch(r"ni:///sha-256;[A-Za-z0-9_-]{43}", first)
    assert re.fullmatch(r"4\.0 / 5 from did:key:z6Mk\w+", second)
