"""The commands the seed story needed, at their edges, with real processes.

``init`` listening on a loopback public URL's port; ``serve --background`` and ``stop``;
``marks award``, ``rules add``/``list``, ``revoke`` through the running node (and a clear
refusal without one); ``submit``; ``subject accept``/``export``/``erase`` with signed
requests bound to the node they are for; ``badges check`` (a status list read with bounds,
an issuer that cannot be reached). The story itself is ``tests/test_two_sites.py``.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import pytest
from processes import environment
from test_process import free_port

from confiance.node.cli import main
from confiance.node.commands.badgecheck import list_bit
from confiance.node.config import loopback_listen
from confiance.protocol.errors import MalformedDocument

ROOT = Path(__file__).resolve().parents[2]
MARK_FILE = ROOT / "examples" / "two_sites" / "positive-feedback.toml"
RULE_FILE = ROOT / "examples" / "two_sites" / "e2-reads-e1.json"
CLI = [sys.executable, "-m", "confiance.node.cli"]


#: Commands run as processes of their own: the ones that start or create a node (they change
#: the umask, or start a server); the others run in this process (same code, faster).
OWN_PROCESS = {"init", "serve", "stop"}


def cli(*args: str, cwd: Path | None = None, stdin: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    if args[0] in OWN_PROCESS or cwd is not None:
        return subprocess.run([*CLI, *args], cwd=cwd, env=environment(), input=stdin,
                              capture_output=True, text=True, timeout=120, check=False)
    out, err = io.StringIO(), io.StringIO()
    source = io.TextIOWrapper(io.BytesIO((stdin or "").encode()), encoding="utf-8")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            mock.patch.object(sys, "stdin", source):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def ok(*args: str, cwd: Path | None = None, stdin: str | None = None) -> str:
    done = cli(*args, cwd=cwd, stdin=stdin)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout.strip()


# ------------------------------------------------------------------ init and the listen port
@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:9101", ("127.0.0.1", 9101)),
    ("http://localhost:9101", ("127.0.0.1", 9101)),
    ("http://[::1]:9101", ("::1", 9101)),
    ("http://127.0.0.5:9101/trust", ("127.0.0.5", 9101)),
    ("http://127.0.0.1", None),  # no port: nothing to follow (80 is not ours to take)
    ("https://e1.example:8443", None),  # a name: behind whatever serves it
    ("http://127.example.com:9101", None),  # a name that only looks like an address
    ("http://10.0.0.1:9101", None),  # another machine's view of us: a proxy's business
    (None, None),
])
def test_a_loopback_public_url_says_where_to_listen(url: str | None,
                                                   expected: tuple[str, int] | None) -> None:
    assert loopback_listen(url) == expected


def test_init_records_the_public_urls_port_and_serve_listens_there(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "e1"
    done = cli("init", "--data-dir", str(data), "--public-url", f"http://127.0.0.1:{port}")
    assert done.returncode == 0 and done.stdout.strip() == f"did:web:127.0.0.1%3A{port}"
    assert f"port = {port}" in (data / "confiance.toml").read_text()
    assert "the port of its public URL" in done.stderr
    url = ok("serve", "--data-dir", str(data), "--background")
    try:
        assert url == f"http://127.0.0.1:{port}"
    finally:
        ok("stop", "--data-dir", str(data))


def test_init_warns_when_the_port_given_is_not_the_public_urls(tmp_path: Path) -> None:
    done = cli("init", "--data-dir", str(tmp_path / "e1"), "--public-url",
               "http://127.0.0.1:9101", "--port", "9102")
    assert done.returncode == 0
    assert "port 9101, but the node will listen on port 9102" in done.stderr
    assert "port = 9102" in (tmp_path / "e1" / "confiance.toml").read_text()
    other = cli("init", "--data-dir", str(tmp_path / "e2"), "--public-url",
                "https://e2.example")
    assert "port = 8080" in (tmp_path / "e2" / "confiance.toml").read_text()
    assert "warning" not in other.stderr


# ------------------------------------------------------------------ serve --background, stop
def test_serve_in_the_background_then_stop(tmp_path: Path) -> None:
    data = tmp_path / "n"
    port = free_port()
    url = ok("serve", "--data-dir", str(data), "--port", str(port), "--background")
    record = json.loads((data / "run.json").read_text())
    assert url == record["url"] == f"http://127.0.0.1:{port}"
    assert "serve.log" in os.listdir(data) and "listening on" in (data / "serve.log").read_text()
    again = cli("serve", "--data-dir", str(data), "--port", "0", "--background")
    assert again.returncode == 2 and "is in use by another node" in again.stderr
    assert json.loads((data / "run.json").read_text())["pid"] == record["pid"]  # still it
    stopped = cli("stop", "--data-dir", str(data))
    assert stopped.returncode == 0 and f"pid {record['pid']}" in stopped.stderr
    assert not (data / "run.json").exists()
    with socket.socket() as sock:  # it has let go of its port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    nothing = cli("stop", "--data-dir", str(data))
    assert nothing.returncode == 1 and "no node is running from" in nothing.stderr


def test_serve_in_the_background_on_a_taken_port_says_why_and_leaves_nothing(
        tmp_path: Path) -> None:
    first = tmp_path / "first"
    port = free_port()
    ok("serve", "--data-dir", str(first), "--port", str(port), "--background")
    try:
        done = cli("serve", "--data-dir", str(tmp_path / "second"), "--port", str(port),
                   "--background")
        assert done.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}: address already in use" in done.stderr
        assert not (tmp_path / "second").exists()
    finally:
        ok("stop", "--data-dir", str(first))


# ------------------------------------------------------------------ a node to talk to
@dataclass
class Node:
    data: Path
    url: str
    did: str
    tmp: Path


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("story-commands")
    data = tmp / "e1"
    port = free_port()
    did = ok("init", "--data-dir", str(data), "--name", "E1", "--public-url",
             f"http://127.0.0.1:{port}")
    url = ok("serve", "--data-dir", str(data), "--background")
    try:
        ok("marks", "create", str(MARK_FILE), "--data-dir", str(data))
        yield Node(data=data, url=url, did=did, tmp=tmp)
    finally:
        cli("stop", "--data-dir", str(data))


def key(node: Node, name: str) -> tuple[str, str]:
    path = node.tmp / f"{name}.json"
    if not path.exists():
        ok("keygen", "-o", str(path))
    return json.loads(path.read_text())["controller"], str(path)


def test_operator_commands_need_the_running_node(tmp_path: Path) -> None:
    data = tmp_path / "idle"
    ok("init", "--data-dir", str(data))
    for args in (["marks", "award", "positive-feedback", "--subject", "did:example:a",
                  "--status", "ok"],
                 ["revoke", "ni:///sha-256;" + "A" * 43],
                 ["rules", "add", "http://127.0.0.1:9/marks/x", "--rule", str(RULE_FILE),
                  "--scale", "1:5"]):
        done = cli(*args, "--data-dir", str(data))
        assert done.returncode == 2, args
        if args[0] != "rules":  # rules add reads the definition first: unreachable here
            assert f"no node is running from {data}" in done.stderr, done.stderr
    nowhere = cli("marks", "award", "x", "--subject", "did:example:a", "--status", "ok",
                  "--data-dir", str(tmp_path / "none"))
    assert nowhere.returncode == 2 and "holds no node" in nowhere.stderr


def test_award_then_revoke(node: Node) -> None:
    holder, _ = key(node, "holder")
    done = cli("marks", "award", "positive-feedback", "--subject", holder, "--status",
               "99% positive over 10 sales", "--value", "99", "--data-dir", str(node.data))
    assert done.returncode == 0, done.stderr
    mark = done.stdout.strip()
    short = mark.rsplit(";", 1)[1]
    assert f"{node.url}/badges/{short}" in done.stderr and f"{short}.svg" in done.stderr
    unknown = cli("marks", "award", "no-such-mark", "--subject", holder, "--status", "x",
                  "--data-dir", str(node.data))
    assert unknown.returncode == 2 and "no definition of" in unknown.stderr
    revoked = cli("revoke", f"{node.url}/assertions/{short}", "--reason", "test",
                  "--data-dir", str(node.data))
    assert revoked.returncode == 0 and revoked.stderr.startswith("revoked " + mark)
    again = cli("revoke", mark, "--data-dir", str(node.data))
    assert again.returncode == 0 and again.stderr.startswith("already revoked")
    assert again.stdout.strip() == revoked.stdout.strip()  # the same Revocation


def test_revoke_refuses_what_the_node_did_not_issue(node: Node) -> None:
    _, path = key(node, "writer")
    signed = ok("assert", "rating", "--key", path, "--subject", "did:example:x", "--context",
                "seller", "--score", "4")
    rating = ok("submit", "--node", node.url, "-", stdin=signed)
    done = cli("revoke", rating, "--data-dir", str(node.data))
    assert done.returncode == 2 and "only its issuer can revoke it" in done.stderr


def test_submit_says_what_the_node_refused(node: Node) -> None:
    _, path = key(node, "writer")
    signed = json.loads(ok("assert", "rating", "--key", path, "--subject", "did:example:y",
                           "--context", "seller", "--score=-1", "--scale", "-1:1"))
    assert signed["credentialSubject"]["scale"] == {"minimum": -1, "maximum": 1}
    good = node.tmp / "good.json"
    good.write_text(json.dumps(signed))
    first = cli("submit", "--node", node.url, str(good))
    assert first.returncode == 0 and "stored at" in first.stderr
    second = cli("submit", "--node", node.url, str(good))
    assert second.returncode == 0 and "already held" in second.stderr
    assert first.stdout == second.stdout
    signed["credentialSubject"]["score"] = 1  # no longer what was signed
    bad = node.tmp / "bad.json"
    bad.write_text(json.dumps(signed))
    done = cli("submit", "--node", node.url, str(bad))
    assert done.returncode == 2 and "confiance submit:" in done.stderr
    assert "proof" in done.stderr or "signature" in done.stderr
    array = node.tmp / "array.json"
    array.write_text("[]")
    assert "JSON object" in cli("submit", "--node", node.url,
                                                str(array)).stderr


def test_a_negative_scale_reads_as_a_value(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    assert main(["keygen", "-o", str(tmp_path / "k.json")]) == 0
    capsys.readouterr()
    assert main(["assert", "rating", "--key", str(tmp_path / "k.json"), "--subject",
                 "did:example:z", "--context", "seller", "--score", "-2", "--scale",
                 "-2.5:2.5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["credentialSubject"]["score"] == -2
    assert doc["credentialSubject"]["scale"] == {"minimum": -2.5, "maximum": 2.5}


# ------------------------------------------------------------------ rules
class _Files(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def files() -> Iterator[tuple[str, dict[str, Any]]]:
    """A plain web server serving JSON documents at chosen paths."""
    served: dict[str, Any] = {}
    handler = type("Handler", (_Files,), {"files": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def test_rules_add_publishes_a_rule_and_lists_it(node: Node) -> None:
    done = cli("rules", "add", f"{node.url}/marks/positive-feedback", "--rule",
               str(RULE_FILE), "--scale", "1:5", "--name", "feedback", "--data-dir",
               str(node.data))
    assert done.returncode == 2  # a node does not recognise itself
    assert "reads another issuer" in done.stderr


def test_rules_add_checks_the_definition_before_anything(node: Node, tmp_path: Path,
                                                        files: tuple[str, dict[str, Any]]
                                                        ) -> None:
    base, served = files
    _, shop = key(node, "shop")
    signed = json.loads(ok("marks", "create", str(MARK_FILE), "--key", shop, "--base-url",
                           base))
    served["/marks/positive-feedback/1"] = signed
    inline = '{"type": "ThresholdTable", "thresholds": [{"atLeast": 95, "value": 4}], ' \
             '"otherwise": 1}'
    done = cli("rules", "add", f"{base}/marks/positive-feedback/1", "--rule", inline,
               "--scale", "1:5", "--data-dir", str(node.data))
    assert done.returncode == 0, done.stderr
    rule = done.stdout.strip()
    assert "E1 reads" in done.stderr and "“positive feedback” mark on its own 1..5 scale: " \
        "95 or more is 4, otherwise 1." in done.stderr
    listed = json.loads(ok("rules", "list", "--json", "--data-dir", str(node.data)))
    assert rule in [r["id"] for r in listed]
    text = ok("rules", "list", "--node", node.url)
    assert rule in text and "95 or more is 4" in text
    # tampered: the signature no longer holds
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["shortName"] = "forged"
    served["/marks/forged/1"] = tampered
    done = cli("rules", "add", f"{base}/marks/forged/1", "--rule", inline, "--scale", "1:5",
               "--data-dir", str(node.data))
    assert done.returncode == 2 and "confiance rules:" in done.stderr
    # a did:web definition served by another origin than the DID's
    served["/marks/theirs/1"] = {**signed, "issuer": node.did}
    done = cli("rules", "add", f"{base}/marks/theirs/1", "--rule", inline, "--scale", "1:5",
               "--data-dir", str(node.data))
    assert done.returncode == 2 and "not by the did:web of" in done.stderr
    # a rule whose values leave the declared scale: the node's own words
    done = cli("rules", "add", f"{base}/marks/positive-feedback/1", "--rule", inline,
               "--scale", "0:1", "--data-dir", str(node.data))
    assert done.returncode == 2 and "outside the declared scale" in done.stderr
    done = cli("rules", "add", f"{base}/marks/positive-feedback/1", "--rule", "{not json",
               "--scale", "1:5", "--data-dir", str(node.data))
    assert done.returncode == 2


# ------------------------------------------------------------------ subject requests
def test_subject_requests_are_bound_to_the_node_they_are_for(node: Node) -> None:
    person, path = key(node, "person")
    mark = ok("marks", "award", "positive-feedback", "--subject", person, "--status",
              "96% positive over 40 sales", "--value", "96", "--data-dir", str(node.data))
    accepted = cli("subject", "accept", mark, "--key", path, "--node", node.url)
    assert accepted.returncode == 0 and accepted.stderr.startswith("accepted " + mark)
    # the same node under another name: its did:web is not that URL's, so nothing is signed
    alias = node.url.replace("127.0.0.1", "localhost")
    refused = cli("subject", "export", "--key", path, "--node", alias)
    assert refused.returncode == 2 and "give --audience DID" in refused.stderr
    wrong = cli("subject", "export", "--key", path, "--node", alias, "--audience",
                "did:web:elsewhere.example")
    assert wrong.returncode == 2 and "nothing was signed" in wrong.stderr
    export = json.loads(ok("subject", "export", "--key", path, "--node", alias,
                           "--audience", node.did))
    assert [i["id"] for i in export["about"]] == [mark]
    assert [i["kind"] for i in export["issued"]] == ["Acceptance"]
    _, other = key(node, "other")
    stolen = cli("subject", "accept", mark, "--key", other, "--node", node.url)
    assert stolen.returncode == 2 and "is refused" in stolen.stderr
    acceptance = export["issued"][0]["id"]
    erased = cli("subject", "erase", "--ids", acceptance, "--key", path, "--node", node.url,
                 "--wait-for", node.url)  # its own node: gone at once
    assert erased.returncode == 0 and erased.stdout.split() == [acceptance]
    assert f"{node.url} no longer holds them (after " in erased.stderr
    again = json.loads(ok("subject", "export", "--key", path, "--node", node.url))
    assert again["issued"] == [] and [e["id"] for e in again["erased"]] == [acceptance]


class _StillHolds(BaseHTTPRequestHandler):
    """A peer the erasure never reached: it serves every assertion asked of it."""

    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_erase_waits_for_a_peer_and_says_when_it_still_holds_them(node: Node) -> None:
    person, path = key(node, "waiter")
    mark = ok("marks", "award", "positive-feedback", "--subject", person, "--status",
              "91% positive over 11 sales", "--value", "91", "--data-dir", str(node.data))
    acceptance = ok("subject", "accept", mark, "--key", path, "--node", node.url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StillHolds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        peer = f"http://127.0.0.1:{server.server_address[1]}"
        done = cli("subject", "erase", "--ids", acceptance, "--key", path, "--node", node.url,
                   "--wait-for", peer, "--wait-timeout", "0.3")
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1, done.stderr
    assert done.stdout.split() == [acceptance]  # erased here all the same
    assert f"{peer} still holds 1 of them after 0.3 s" in done.stderr
    short = acceptance.rsplit(";", 1)[-1]
    assert _StillHolds.asked and set(_StillHolds.asked) == {f"/assertions/{short}"}
    assert len(_StillHolds.asked) >= 2  # asked again until the time was up
    for wrong in ("0", "601", "soon"):
        refused = cli("subject", "erase", "--all", "--key", path, "--node", node.url,
                      "--wait-timeout", wrong)
        assert refused.returncode == 2 and "--wait-timeout" in refused.stderr


# ------------------------------------------------------------------ badges check
def test_badges_check_keeps_what_it_cannot_check(tmp_path: Path) -> None:
    data = tmp_path / "e1"
    url = ok("serve", "--data-dir", str(data), "--port", "0", "--background")
    holder, path = tmp_path / "holder.json", str(tmp_path / "holder.json")
    did = ok("keygen", "-o", path)
    try:
        ok("marks", "create", str(MARK_FILE), "--data-dir", str(data))
        mark = ok("marks", "award", "positive-feedback", "--subject", did, "--status", "x",
                  "--value", "97", "--data-dir", str(data))
        ok("subject", "accept", mark, "--key", path, "--node", url)
        ok("badges", "export", "--subject", did, "--node", url, "--out", str(tmp_path / "b"))
        assert json.loads(ok("badges", "check", str(tmp_path / "b"))) == {mark: "valid"}
    finally:
        ok("stop", "--data-dir", str(data))
    done = cli("badges", "check", str(tmp_path / "b"))
    assert done.returncode == 1 and "could not check" in done.stderr
    assert json.loads(done.stdout) == {mark: "valid"}  # not "revoked", not "unverifiable"
    [page] = (tmp_path / "b" / "badges").glob("*/index.html")
    assert 'id="status-word">valid<' in page.read_text()
    assert holder.exists()
    none = cli("badges", "check", str(tmp_path))
    assert none.returncode == 2 and "was not written by confiance badges export" in none.stderr


def _encoded(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(raw)).rstrip(b"=").decode()


def test_a_status_list_is_read_with_bounds() -> None:
    bits = bytearray(16)
    bits[1] = 0b0010_0000  # bit 10
    assert list_bit(_encoded(bytes(bits)), 10) is True
    assert list_bit(_encoded(bytes(bits)), 11) is False
    with pytest.raises(MalformedDocument, match="no bit"):
        list_bit(_encoded(bytes(bits)), 128)
    with pytest.raises(MalformedDocument, match="larger than"):
        list_bit(_encoded(bytes(17 * 1024 * 1024)), 0)  # 17 MB of zeros: 17 KB compressed
    with pytest.raises(MalformedDocument, match="multibase"):
        list_bit("z" + _encoded(bytes(bits))[1:], 0)
    with pytest.raises(MalformedDocument, match="gzip"):
        list_bit("u" + base64.urlsafe_b64encode(b"not gzip").decode(), 0)
