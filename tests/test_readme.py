"""The README's command blocks marked ``<!-- run by tests/test_readme.py: NAME -->``, run as
written (in a temporary directory, with the ``confiance`` installed beside this Python).

Blocks with background servers (``... &``) are run line by line: a ``serve`` line starts the
process and waits for its run record, as a person waits for the first log lines before
typing the next command; fixed ports in the text are replaced by free ones.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def block(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = f"<!-- run by tests/test_readme.py: {name} -->"
    assert marker in text, f"README block {name!r} is gone"
    after = text.split(marker, 1)[1]
    match = re.match(r"\s*```sh\n(.*?)```", after, re.S)
    assert match, f"no sh block after {marker}"
    return match[1].replace("\\\n", " ")


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("CONFIANCE_DATA_DIR", None)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_publish_a_mark_and_revoke_it_by_the_printed_id(tmp_path: Path) -> None:
    if not (BIN / "confiance").exists():
        pytest.skip("the confiance script is not installed beside this Python")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block("publish")], cwd=tmp_path,
                          env=environment(), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    printed = (tmp_path / "alice-mark.id").read_text().strip()
    revocation = json.loads((tmp_path / "revoke.json").read_text())
    assert revocation["credentialSubject"]["id"] == printed


def test_two_nodes_federate_as_the_readme_shows(tmp_path: Path) -> None:
    if not (BIN / "confiance").exists():
        pytest.skip("the confiance script is not installed beside this Python")
    text = block("federate")
    for fixed in sorted(set(re.findall(r"\b80\d\d\b", text))):
        text = text.replace(fixed, str(free_port()))
    servers: list[subprocess.Popen[bytes]] = []
    outputs = []
    try:
        for line in filter(None, (raw.strip() for raw in text.splitlines())):
            argv = shlex.split(line, comments=True)
            if argv[-1] == "&":
                data = tmp_path / argv[argv.index("--data-dir") + 1]
                with open(f"{data}.log", "ab") as log:
                    servers.append(subprocess.Popen(argv[:-1], cwd=tmp_path, env=environment(),
                                                    stdout=log, stderr=log))
                deadline = time.monotonic() + 30
                while not (data / "run.json").exists():
                    assert servers[-1].poll() is None, Path(f"{data}.log").read_text()
                    assert time.monotonic() < deadline, "no run record in time"
                    time.sleep(0.05)
                continue
            done = subprocess.run(argv, cwd=tmp_path, env=environment(), capture_output=True,
                                  text=True, timeout=60, check=False)
            assert done.returncode == 0, (line, done.stderr)
            outputs.append(done.stdout)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=20)
    first, second, listing = outputs
    assert "on the running node at" in first
    assert "does not recognise this node yet" in first  # e2 had not added e1 yet
    assert "first exchange: exchanging with it now" in second
    assert listing.splitlines()[1].split()[0] == "e2"
    assert all(server.returncode == 0 for server in servers)


def test_badges_without_a_node_as_the_readme_shows(tmp_path: Path) -> None:
    """Sign a mark definition and a mark with a key, export the static site, verify it."""
    if not (BIN / "confiance").exists():
        pytest.skip("the confiance script is not installed beside this Python")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block("badges")], cwd=tmp_path,
                          env=environment(), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    mark = json.loads((tmp_path / "alice-top-seller.json").read_text())
    assert mark["credentialSubject"]["mark"] == {
        "id": "https://shop.example/marks/top-seller", "version": "1"}
    [page] = (tmp_path / "alice-badges" / "badges").glob("*/index.html")
    assert 'id="status-word">valid<' in page.read_text(encoding="utf-8")
    assert "valid" in done.stderr.splitlines()[-1]
