"""Operating a node as a newcomer would (issue 9), with real processes.

``confiance init`` records one port, ``confiance serve --port`` listens on another; the
other commands find the node through its run record, check who answers before sending the
admin token, and a program listening on the configured port hears nothing. A second serve
on the same data directory refuses; a taken port is one line and exit 2, with nothing left
behind; a killed node's record is recognised as stale. The console shows readable lines on
a terminal, JSON otherwise; malformed requests get problem+json and one log line.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
from processes import CLI, environment, served, wait_for_record

pytestmark = pytest.mark.slow

def cli(*argv: str, cwd: Path | None = None, timeout: float = 60
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *argv], capture_output=True, text=True, env=environment(),
                          cwd=cwd, timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Decoy:
    """A listener that records every byte anyone sends it (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.received = bytearray()
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.settimeout(0.5)
            try:
                while chunk := conn.recv(65536):
                    self.received += chunk
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_on_one_port_serve_on_another_peers_add_reaches_it_and_no_token_leaks(
        tmp_path: Path) -> None:
    decoy = Decoy()  # listens on the port the configuration names
    data = tmp_path / "d"
    try:
        done = cli("init", "--data-dir", str(data), "--port", str(decoy.port))
        assert done.returncode == 0, done.stderr
        with served(data, "--port", "0") as proc:
            record = wait_for_record(data, proc)
            url = str(record["url"])
            assert url != f"http://127.0.0.1:{decoy.port}" and record["pid"] == proc.pid
            assert str(record["did"]) == "did:web:127.0.0.1%3A" + url.rsplit(":", 1)[1]
            added = cli("peers", "add", "http://127.0.0.1:9", "--name", "far",
                        "--data-dir", str(data))
            assert added.returncode == 0, added.stderr
            assert f"added far (http://127.0.0.1:9) on the running node at {url}" \
                in added.stdout
            listed = cli("peers", "list", "--json", "--data-dir", str(data))
            peers = json.loads(listed.stdout)
            assert [p["name"] for p in peers] == ["far"]
            assert "lastSuccess" in peers[0]  # the live answer, not the data dir's table
            for path in [data / n for n in os.listdir(data) if n != "keys"]:
                assert mode(path) == 0o600, path  # run.json, gossip.sqlite3, the toml...
            assert mode(data) == 0o700
        assert not (data / "run.json").exists()  # removed on exit
    finally:
        decoy.close()
    assert decoy.connections == 0 and not decoy.received
    token = (data / "admin.token").read_text().strip()
    assert token.encode() not in decoy.received


def test_a_node_that_is_not_this_data_dirs_gets_no_token(tmp_path: Path) -> None:
    mine, other = tmp_path / "mine", tmp_path / "other"
    assert cli("init", "--data-dir", str(mine)).returncode == 0
    with served(other, "--port", "0") as proc:
        url = str(wait_for_record(other, proc)["url"])
        refused = cli("peers", "list", "--data-dir", str(mine), "--node", url)
        assert refused.returncode == 2
        assert "does not sign with the keys of" in refused.stderr
        assert "the admin token was not sent" in refused.stderr
    log = other.with_suffix(".log").read_text()
    requests = [json.loads(line) for line in log.splitlines() if '"access"' in line]
    assert [r["path"] for r in requests if r["path"].startswith("/admin")] == []


def test_a_second_serve_on_the_same_data_dir_refuses(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with served(data, "--port", "0") as proc:
        record = wait_for_record(data, proc)
        second = cli("serve", "--data-dir", str(data), "--port", "0")
        assert second.returncode == 2
        assert second.stderr == (
            f"confiance serve: {data} is in use by another node (pid {proc.pid}, listening on "
            f"{record['url']}); stop it first, or give this one another --data-dir\n")
        assert json.loads((data / "run.json").read_text()) == record  # untouched


def test_a_taken_port_is_one_line_exit_2_and_leaves_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        fresh = tmp_path / "fresh"
        done = cli("serve", "--data-dir", str(fresh), "--port", str(port))
        assert done.returncode == 2
        assert done.stderr == (f"confiance serve: cannot listen on 127.0.0.1:{port}: address "
                               "already in use; choose another with --port\n")
        assert not fresh.exists()  # the data dir of this run is not left behind
        existing = tmp_path / "existing"
        assert cli("init", "--data-dir", str(existing)).returncode == 0
        before = sorted(os.listdir(existing))
        done = cli("serve", "--data-dir", str(existing), "--port", str(port))
        assert done.returncode == 2 and done.stderr.count("\n") == 1
        assert sorted(os.listdir(existing)) == before


def test_a_killed_nodes_record_is_stale_and_changes_go_to_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with served(data, "--port", "0") as proc:
        wait_for_record(data, proc)
        proc.kill()
        proc.wait()
    assert (data / "run.json").exists()  # SIGKILL: nothing could remove it
    added = cli("peers", "add", "http://127.0.0.1:9", "--data-dir", str(data))
    assert added.returncode == 0, added.stderr
    assert f"no node is running from {data}; it applies when the node starts" in added.stdout
    assert not (data / "run.json").exists()  # recognised as stale and removed
    with served(data, "--port", "0") as proc:  # and the data dir serves again
        wait_for_record(data, proc)
        listed = cli("peers", "list", "--json", "--data-dir", str(data))
        assert [p["url"] for p in json.loads(listed.stdout)] == ["http://127.0.0.1:9"]


def test_console_is_readable_on_a_terminal_and_json_otherwise(tmp_path: Path) -> None:
    data = tmp_path / "d"
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*CLI, "serve", "--data-dir", str(data), "--port", "0"],
                            env=environment(), stdin=subprocess.DEVNULL, stdout=follower,
                            stderr=follower)
    os.close(follower)
    text = b""
    try:
        deadline = time.monotonic() + 30
        while text.count(b"\n") < 5 and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                text += os.read(leader, 65536)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        os.close(leader)
    lines = [line.split(None, 2)[2] for line in text.decode().splitlines()[:4]]
    record_url = f"http://127.0.0.1:{lines[0].rsplit(':', 1)[1]}"
    assert lines == [
        f"listening on {record_url}",
        f"node DID did:web:127.0.0.1%3A{record_url.rsplit(':', 1)[1]}",
        f"data dir {data.resolve()}",
        f"admin token in {data.resolve() / 'admin.token'} (mode 0600)",
    ]
    json_data = tmp_path / "j"
    with served(json_data, "--port", "0") as proc:
        wait_for_record(json_data, proc)
    first = json.loads(json_data.with_suffix(".log").read_text().splitlines()[0])
    assert first["msg"].startswith("listening on http://127.0.0.1:") and "url" in first


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_an_overlong_request_line_is_a_problem_and_one_log_line(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with served(data, "--port", "0", "--log-format", "json") as proc:
        port = int(str(wait_for_record(data, proc)["url"]).rsplit(":", 1)[1])
        path = "/assertions/" + "x" * 9000 + "MARKER"
        answer = _raw(port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b" ", 2)[1] == b"400"
        assert b"content-type: application/problem+json" in head.lower()
        assert b"x-content-type-options: nosniff" in head.lower()
        problem = json.loads(body)
        assert problem["type"].endswith("/line-too-long") and problem["status"] == 400
        assert b"MARKER" not in answer and b"xxxx" not in answer  # no echo
        header = _raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 9000
                      + b"\r\n\r\n")
        assert header.split(b" ", 2)[1] == b"400" and b"problem+json" in header
        time.sleep(0.3)
    log = data.with_suffix(".log").read_text()
    assert "Traceback" not in log and "MARKER" not in log
    refusals = [json.loads(line) for line in log.splitlines()
                if '"refused a malformed request"' in line]
    assert len(refusals) == 2 and all(r["problem"] == "line-too-long" for r in refusals)


def test_every_answer_says_nosniff(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with served(data, "--port", "0") as proc:
        port = int(str(wait_for_record(data, proc)["url"]).rsplit(":", 1)[1])
        for request in (b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        b"POST /admin/rotate-key HTTP/1.1\r\nHost: x\r\nConnection: close"
                        b"\r\nContent-Length: 0\r\n\r\n",
                        b"GET /.well-known/confiance HTTP/1.1\r\nHost: x\r\n"
                        b"Connection: close\r\n\r\n"):
            head = _raw(port, request).partition(b"\r\n\r\n")[0].lower()
            assert b"x-content-type-options: nosniff" in head, head
